"""JavaScript/TypeScript tool output: npm/pnpm/yarn, tsc, bundlers, jest/vitest, Node stacks."""

from __future__ import annotations

from pathlib import Path

from memory_store.errors import parse_error
from memory_store.errors.parse import extract_errors

NPM_ERESOLVE = """\
npm ERR! code ERESOLVE
npm ERR! ERESOLVE unable to resolve dependency tree
npm ERR!
npm ERR! While resolving: shop-web@0.3.0
npm ERR! Found: react@18.2.0
npm ERR! node_modules/react
npm ERR!   react@"^18.2.0" from the root project
npm ERR!
npm ERR! Could not resolve dependency:
npm ERR! peer react@"^16.8.0" from react-sortable-hoc@1.11.0
npm ERR!
npm ERR! A complete log of this run can be found in:
npm ERR!     /home/dana/.npm/_logs/2024-03-01T10_00_00_000Z-debug-0.log
"""

NODE_THEN_LIFECYCLE = """\
/home/dana/shop/scripts/build.js:4
const chalk = require('chalk');
              ^

Error [ERR_REQUIRE_ESM]: require() of ES Module /home/dana/shop/node_modules/chalk/source/index.js from /home/dana/shop/scripts/build.js not supported.
    at Object.<anonymous> (/home/dana/shop/scripts/build.js:4:15)
    at node:internal/main/run_main_module:28:49 {
  code: 'ERR_REQUIRE_ESM'
}
npm ERR! code ELIFECYCLE
npm ERR! errno 1
npm ERR! shop@1.0.0 build: `node scripts/build.js`
npm ERR! Exit status 1
"""  # noqa: E501

TSC = """\
src/api/client.ts(12,24): error TS2307: Cannot find module 'axios' or its corresponding type declarations.
src/api/client.ts(40,5): error TS2322: Type 'string' is not assignable to type 'number'.
"""

TSC_PRETTY = "src/cart.ts:7:3 - error TS2339: Property 'totl' does not exist on type 'Cart'.\n\n7   cart.totl\n"

WEBPACK = """\
ERROR in ./src/index.js 3:0-28
Module not found: Error: Can't resolve 'lodash-es' in '/home/dana/shop/src'
resolve 'lodash-es' in '/home/dana/shop/src'
"""

ESBUILD = """\
✘ [ERROR] Could not resolve "react-dom/client"

    src/main.tsx:2:21:
      2 │ import ReactDOM from "react-dom/client";
        ╵                      ~~~~~~~~~~~~~~~~~~
"""

JEST = """\
 FAIL  src/cart.test.js
  ● Cart › total › adds the tax

    expect(received).toBe(expected) // Object.is equality

    Expected: 110
    Received: 100

      10 |     const cart = new Cart([{ price: 100 }]);
    > 11 |     expect(cart.total()).toBe(110);
         |                          ^

      at Object.toBe (src/cart.test.js:11:26)
"""

PNPM = """\
 ERR_PNPM_PEER_DEP_ISSUES  Unmet peer dependencies

.
└─┬ @vitejs/plugin-react 4.2.0
  └── ✕ unmet peer vite@"^4.2.0 || ^5.0.0": found 3.2.7
"""


def test_npm_block_gives_its_code_and_first_message_line() -> None:
    err = parse_error(NPM_ERESOLVE)
    assert err is not None
    assert (err.exc_type, err.code, err.message) == ("error", "ERESOLVE", "ERESOLVE unable to resolve dependency tree")
    assert "Found: react@18.2.0" in err.detail  # package names and versions kept as context


def test_npm_lifecycle_lines_after_a_node_stack_do_not_replace_it() -> None:
    err = parse_error(NODE_THEN_LIFECYCLE)
    assert err is not None
    assert (err.exc_type, err.code) == ("Error", "ERR_REQUIRE_ESM")
    assert err.frames and err.frames[-1].function == "Object.<anonymous>"


def test_tsc_diagnostics_keep_their_code_and_location(tmp_path: Path) -> None:
    err = parse_error(TSC)
    assert err is not None
    assert (err.exc_type, err.code, err.language) == ("tsc", "TS2307", "typescript")
    assert err.message.startswith("Cannot find module 'axios'")
    assert err.location is not None and (err.location.path, err.location.line) == ("src/api/client.ts", 12)
    assert [e.code for e in extract_errors(TSC, tmp_path)] == ["TS2307", "TS2322"]


def test_tsc_pretty_layout() -> None:
    err = parse_error(TSC_PRETTY)
    assert err is not None
    assert (err.code, err.message) == ("TS2339", "Property 'totl' does not exist on type 'Cart'.")


def test_webpack_module_not_found() -> None:
    err = parse_error(WEBPACK)
    assert err is not None
    assert err.exc_type == "ModuleNotFoundError"
    assert err.message.startswith("Can't resolve 'lodash-es'")
    assert err.location is not None and err.location.path == "src/index.js"


def test_esbuild_error_with_its_location() -> None:
    err = parse_error(ESBUILD)
    assert err is not None
    assert err.message == 'Could not resolve "react-dom/client"'
    assert err.location is not None and (err.location.path, err.location.line) == ("src/main.tsx", 2)


def test_jest_failure_block() -> None:
    err = parse_error(JEST)
    assert err is not None
    assert err.exc_type == "AssertionError"
    assert err.message.startswith("expect(received).toBe(expected)")
    assert err.frames[-1].path == "src/cart.test.js" and err.frames[-1].line == 11


def test_pnpm_error_code() -> None:
    err = parse_error(PNPM)
    assert err is not None
    assert (err.code, err.message) == ("ERR_PNPM_PEER_DEP_ISSUES", "Unmet peer dependencies")


def test_esm_file_url_frames_are_workspace_relative(tmp_path: Path) -> None:
    text = (f"TypeError: Cannot read properties of undefined (reading 'id')\n"
            f"    at handler (file://{tmp_path}/src/routes/user.mjs:14:22)\n"
            f"    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n")
    err = parse_error(text, tmp_path)
    assert err is not None
    app = err.innermost_app_frame()
    assert app is not None and (app.path, app.function) == ("src/routes/user.mjs", "handler")
    assert err.frames[-1].kind == "stdlib" or err.frames[0].kind == "stdlib"


VITEST = """\
 FAIL  src/cart.test.ts > Cart > adds the tax
AssertionError: expected 100 to be 110 // Object.is equality
 ❯ src/cart.test.ts:11:26
      9|   it('adds the tax', () => {
     10|     const cart = new Cart([{ price: 100 }]);
     11|     expect(cart.total()).toBe(110);
       |                          ^
"""


def test_vitest_failure_block() -> None:
    err = parse_error(VITEST)
    assert err is not None
    assert (err.exc_type, err.message, err.language) == ("AssertionError",
                                                         "expected 100 to be 110 // Object.is equality", "typescript")
    assert (err.frames[-1].path, err.frames[-1].line) == ("src/cart.test.ts", 11)


ESLINT = """
/home/u/app/src/cart.js
   3:7  error    'unused' is assigned a value but never used  no-unused-vars
   9:1  warning  Expected indentation of 2 spaces              indent

/home/u/app/src/api.ts
  12:5  error  Unexpected any. Specify a different type  @typescript-eslint/no-explicit-any

✖ 3 problems (2 errors, 1 warning)
"""


def test_eslint_stylish_report_gives_each_error_with_its_rule_and_place() -> None:
    from memory_store.errors import extract_errors, parse_error

    errors = extract_errors(ESLINT)
    assert [(e.exc_type, e.code, e.location.line if e.location else None) for e in errors] == [
        ("eslint", "no-unused-vars", 3), ("eslint", "@typescript-eslint/no-explicit-any", 12)]
    assert errors[1].language == "typescript"
    first = parse_error(ESLINT)
    assert first is not None and first.message == "'unused' is assigned a value but never used"


def test_an_indented_row_without_a_file_above_is_no_eslint_error() -> None:
    from memory_store.errors import parse_error

    parsed = parse_error("Report:\n   3:7  error  something odd  rule-x\n")
    assert parsed is None or parsed.exc_type != "eslint"
