"""Errors of every ecosystem end to end: the real ``teamlore lsp`` over stdio, fed either a
diagnostic forwarded from another language server (tsserver, rust-analyzer) or the output
of a failing command run through ``teamlore run`` (real Node; for Go, Gradle, .NET and Ruby
a command printing the tool's output, as CI installs none of those toolchains), and a hover
that shows the fix recorded for the same error met on another machine."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from tests.conftest import run_cli
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, wait_until
from tests.lsp.test_server import add_record, diag_json, forward, hover_text, open_doc, root_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, f"polyglot-{request.param}")
    await start_session(lsp_client, request.param, root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def _confident_fix_in_hover(client: LanguageClient, uri: str, at: types.Position, fix: str) -> str:
    async def shown() -> str | None:
        text = await hover_text(client, uri, at.line, at.character)
        return text if text and fix in text else None

    text = await wait_until(shown, what=f"hover with the fix {fix!r}")
    assert "No confident past fix" not in text
    return text


async def _run_printing(root: Path, name: str, output: str, exit_code: int) -> None:
    """``teamlore run`` of a command that prints ``output`` (a tool's real-shaped output) and fails."""
    (root / f"{name}.out").write_text(output, encoding="utf-8")
    code = f"import sys; sys.stderr.write(open({name + '.out'!r}, encoding='utf-8').read()); sys.exit({exit_code})"
    proc = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "-c", code, root=root, cwd=root)
    assert proc.returncode == exit_code, proc.stderr


async def _terminal_diagnostic(client: LanguageClient, path: Path, needle: str) -> types.Diagnostic:
    uri = from_fs_path(str(path))
    diags = await wait_until(lambda: [d for d in client.diagnostics.get(uri, [])
                                      if d.code == "terminal" and needle in d.message],
                             what=f"terminal diagnostic on {path.name}")
    return diags[0]


async def test_javascript_real_node_failure(client: LanguageClient):
    root = root_of(client)
    (root / "app.js").write_text("const leftPad = require('left-pad');\nconsole.log(leftPad('7', 3, '0'));\n",
                                 encoding="utf-8")
    fix = "npm install left-pad, which the lockfile refresh had dropped from package.json"
    add_record(root, textwrap.dedent("""\
        Error: Cannot find module 'left-pad'
        Require stack:
        - /home/dana/work/shop/app.js
            at Module._resolveFilename (node:internal/modules/cjs/loader:1145:15)
            at Module._load (node:internal/modules/cjs/loader:986:27)
            at Module.require (node:internal/modules/cjs/loader:1233:19)
            at require (node:internal/modules/helpers:179:18)
            at Object.<anonymous> (/home/dana/work/shop/app.js:1:17)
            at node:internal/main/run_main_module:28:49 {
          code: 'MODULE_NOT_FOUND'
        }"""), fix)
    proc = await asyncio.to_thread(run_cli, "run", "--", "node", "app.js", root=root, cwd=root)
    assert proc.returncode == 1, proc.stderr
    diag = await _terminal_diagnostic(client, root / "app.js", "left-pad")
    assert diag.range.start.line == 0 and "seen before: 1 fix" in diag.message, diag
    await _confident_fix_in_hover(client, from_fs_path(str(root / "app.js")), diag.range.start, fix)


async def test_typescript_forwarded_tsserver_diagnostic(client: LanguageClient):
    root = root_of(client)
    fix = "added the lodash-es type declarations to devDependencies"
    add_record(root, "src/util/format.ts(2,24): error TS7016: Could not find a declaration file for module "
                     "'lodash-es'. '/home/li/web/node_modules/lodash-es/lodash.js' implicitly has an 'any' type.", fix)
    uri = open_doc(client, root / "web" / "src" / "dates.ts", "import { debounce } from 'lodash-es';\n")
    # tsserver reports the code apart from the message, as a number
    forward(client, uri, [diag_json(0, 25, 36, "Could not find a declaration file for module 'lodash-es'. "
                                    f"'{root}/web/node_modules/lodash-es/lodash.js' implicitly has an 'any' type.",
                                    source="ts", code=7016)])  # type: ignore[arg-type]
    await wait_until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "seen-before"],
                     what="seen-before diagnostic for the tsserver error")
    await _confident_fix_in_hover(client, uri, types.Position(line=0, character=30), fix)


async def test_go_panic_from_a_failing_command(client: LanguageClient):
    root = root_of(client)
    src = root / "internal" / "cart" / "cart.go"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("package cart\n\nfunc (c *Cart) Total() int {\n\treturn c.items[0].Price\n}\n", encoding="utf-8")
    panic = textwrap.dedent("""\
        panic: runtime error: index out of range [0] with length 0

        goroutine {gid} [running]:
        github.com/acme/shop/internal/cart.(*Cart).Total(...)
        \t{root}/internal/cart/cart.go:4
        main.main()
        \t{root}/cmd/shop/main.go:11 +0x{off}
        exit status 2
        """)
    fix = "Total returns 0 for an empty cart instead of indexing the first item"
    add_record(root, panic.format(gid=1, root="/home/dana/go/src/shop", off="1d"), fix)
    await _run_printing(root, "go-run", panic.format(gid=7, root=root, off="85"), 2)
    diag = await _terminal_diagnostic(client, src, "index out of range")
    assert diag.range.start.line == 3
    await _confident_fix_in_hover(client, from_fs_path(str(src)), diag.range.start, fix)


async def test_rust_forwarded_rust_analyzer_diagnostic(client: LanguageClient):
    root = root_of(client)
    fix = "pinned the nightly toolchain in rust-toolchain.toml"
    add_record(root, "error[E0554]: `#![feature]` may not be used on the stable release channel\n"
                     " --> /home/li/crates/parser/src/lib.rs:1:1\n", fix)
    uri = open_doc(client, root / "crates" / "lexer" / "src" / "lib.rs", "#![feature(let_chains)]\n")
    forward(client, uri, [diag_json(0, 0, 23, "`#![feature]` may not be used on the stable release channel",
                                    source="rustc", code="E0554")])
    await _confident_fix_in_hover(client, uri, types.Position(line=0, character=3), fix)


async def test_gradle_failure_is_shown_on_the_build_file(client: LanguageClient):
    root = root_of(client)
    (root / "build.gradle.kts").write_text('plugins {\n    id("com.android.application")\n}\n', encoding="utf-8")
    gradle = textwrap.dedent("""\
        FAILURE: Build failed with an exception.

        * What went wrong:
        Execution failed for task ':app:check{variant}DuplicateClasses'.
        > A failure occurred while executing com.android.build.gradle.internal.tasks.CheckDuplicatesRunnable
           > Duplicate class kotlin.collections.jdk8.CollectionsJDK8Kt found in modules kotlin-stdlib-1.8.0 (org.jetbrains.kotlin:kotlin-stdlib:1.8.0) and kotlin-stdlib-jdk8-1.7.10 (org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.7.10)

        * Try:
        > Run with --stacktrace option to get the stack trace.
        """)  # noqa: E501
    fix = "aligned kotlin-stdlib-jdk8 with the Kotlin plugin version through the Kotlin BOM"
    add_record(root, gradle.format(variant="Release"), fix)  # a teammate's release build
    await _run_printing(root, "gradle-run", gradle.format(variant="Debug"), 1)
    diag = await _terminal_diagnostic(client, root / "build.gradle.kts", "Duplicate class")
    assert diag.range.start.line == 0
    await _confident_fix_in_hover(client, from_fs_path(str(root / "build.gradle.kts")), diag.range.start, fix)


async def test_dotnet_sdk_error_is_shown_on_the_project_file(client: LanguageClient):
    root = root_of(client)
    (root / "Shop.csproj").write_text('<Project Sdk="Microsoft.NET.Sdk">\n</Project>\n', encoding="utf-8")
    line = ("{sdk}/sdk/{ver}/Sdks/Microsoft.NET.Sdk/targets/Microsoft.NET.TargetFrameworkInference.targets(141,5): "
            "error NETSDK1045: The current .NET SDK does not support targeting .NET 8.0.  Either target .NET 7.0 "
            "or lower, or use a version of the .NET SDK that supports .NET 8.0. [{proj}]\n")
    fix = "installed the .NET 8 SDK and pinned it in global.json"
    add_record(root, line.format(sdk="C:/Program Files/dotnet", ver="7.0.100", proj="C:/src/api/Api.csproj"), fix)
    await _run_printing(root, "dotnet-run",
                        "  Determining projects to restore...\n"
                        + line.format(sdk="/usr/share/dotnet", ver="7.0.403", proj=root / "Shop.csproj"), 1)
    diag = await _terminal_diagnostic(client, root / "Shop.csproj", "NETSDK1045")
    assert diag.range.start.line == 0
    await _confident_fix_in_hover(client, from_fs_path(str(root / "Shop.csproj")), diag.range.start, fix)


async def test_ruby_load_error_from_a_failing_command(client: LanguageClient):
    root = root_of(client)
    src = root / "app" / "mailers" / "order_mailer.rb"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("require 'mail'\n\nclass OrderMailer\nend\n", encoding="utf-8")
    trace = textwrap.dedent("""\
        {gems}/gems/mail-2.7.1/lib/mail.rb:9:in `require': cannot load such file -- net/smtp (LoadError)
        \tfrom {gems}/gems/mail-2.7.1/lib/mail.rb:9:in `<module:Mail>'
        \tfrom {app}/app/mailers/order_mailer.rb:1:in `<top (required)>'
        \tfrom {app}/config/environment.rb:5:in `<main>'
        """)
    fix = "added the net-smtp gem to the Gemfile as Ruby 3.1 no longer bundles it"
    add_record(root, trace.format(gems="/home/li/.rbenv/versions/3.1.0/lib/ruby/gems/3.1.0", app="/srv/shop"), fix)
    await _run_printing(root, "rails-run", trace.format(gems="/usr/local/bundle", app=root), 1)
    diag = await _terminal_diagnostic(client, src, "net/smtp")
    assert diag.range.start.line == 0
    await _confident_fix_in_hover(client, from_fs_path(str(src)), diag.range.start, fix)


# -- Python errors in the shapes of logs and pretty printers -----------------------------

PLAIN_KEYERROR = """Traceback (most recent call last):
  File "/home/dana/src/shop/shop/api.py", line 42, in create_order
    total = compute(items)
  File "/home/dana/src/shop/shop/pricing.py", line 7, in compute
    return sum(i["price"] for i in items)
KeyError: 'price'
"""


async def test_a_traceback_inside_a_json_log_record_from_a_failing_command(client: LanguageClient):
    root = root_of(client)
    src = root / "shop" / "pricing.py"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("def compute(items):\n    total = 0\n    for i in items:\n        total += 1\n"
                   "    # sum the prices\n    # of every line\n    return sum(i['price'] for i in items)\n",
                   encoding="utf-8")
    fix = "compute: skip draft items, which have no price yet"
    add_record(root, PLAIN_KEYERROR, fix)
    tb = PLAIN_KEYERROR.replace("/home/dana/src/shop", str(root)).replace("line 42", "line 40")
    import json

    records = [json.dumps({"level": "INFO", "message": "request started"}),
               json.dumps({"level": "ERROR", "message": "Unhandled exception", "exc_info": tb.rstrip("\n")})]
    await _run_printing(root, "json-log", "\n".join(records) + "\n", 1)
    diag = await _terminal_diagnostic(client, src, "price")
    assert diag.range.start.line == 6, diag
    await _confident_fix_in_hover(client, from_fs_path(str(src)), diag.range.start, fix)


async def test_a_real_rich_traceback_from_a_failing_command(client: LanguageClient):
    root = root_of(client)
    src = root / "tools" / "stats.py"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("def avg(values):\n    return sum(values) / len(values)\n", encoding="utf-8")
    (root / "tools" / "__init__.py").write_text("", encoding="utf-8")
    (root / "report.py").write_text("import rich.traceback\n\nrich.traceback.install(width=160)\n\n"
                                    "from tools.stats import avg\n\nprint(avg([]))\n", encoding="utf-8")
    fix = "avg of no values is 0.0 since the weekly report has empty weeks"
    add_record(root, 'Traceback (most recent call last):\n  File "/home/li/shop/report.py", line 7, in <module>\n'
                     '    print(avg([]))\n  File "/home/li/shop/tools/stats.py", line 2, in avg\n'
                     "    return sum(values) / len(values)\nZeroDivisionError: division by zero\n", fix)
    proc = await asyncio.to_thread(run_cli, "run", "--", sys.executable, "report.py", root=root, cwd=root)
    assert proc.returncode == 1, proc.stderr
    diag = await _terminal_diagnostic(client, src, "division by zero")
    assert diag.range.start.line == 1, diag
    await _confident_fix_in_hover(client, from_fs_path(str(src)), diag.range.start, fix)
