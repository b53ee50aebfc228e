"""A failed package install end to end: the real ``teamlore lsp`` over stdio is sent the
output of a failed ``pip install -r requirements.txt`` (a native build naming no line of
the team's code) and shows it on the requirement of the package that failed, with the fix
a teammate recorded for the same missing header."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from tests.errors.test_langs_native import PIP_CFFI
from tests.lsp.conftest import CONFIG, PRESETS, WAIT, make_workspace, start_session, wait_until
from tests.lsp.test_server import add_record, hover_text, root_of

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

TEAMMATE_OUTPUT = """\
Collecting cffi==1.16.0
  Using cached cffi-1.16.0.tar.gz (512 kB)
  Installing build dependencies ... done
Building wheels for collected packages: cffi
  Building wheel for cffi (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for cffi (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [41 lines of output]
      running build_ext
      building '_cffi_backend' extension
      gcc -Wno-unused-result -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -I/usr/include/python3.12 \
-c src/c/_cffi_backend.c -o build/temp.linux-x86_64-cpython-312/src/c/_cffi_backend.o
      src/c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory
         15 | #include <ffi.h>
            |          ^~~~~~~
      compilation terminated.
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]

  ERROR: Failed building wheel for cffi
Failed to build cffi
ERROR: Could not build wheels for cffi, which is required to install pyproject.toml-based projects
"""

OUTPUT = """\
Collecting requests==2.31.0
  Using cached requests-2.31.0-py3-none-any.whl (62 kB)
""" + PIP_CFFI
"""A requirements.txt install whose third requirement, cffi, fails to build: the build output
of tests/errors/test_langs_native.py after another requirement was collected."""

FIX = "apt-get install libffi-dev before pip install, since cffi builds against the system libffi"


@pytest_lsp.fixture(config=CONFIG, params=PRESETS, scope="module")
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient,
                 tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory, f"manifests-{request.param}")
    await start_session(lsp_client, request.param, root)
    yield
    await asyncio.wait_for(lsp_client.shutdown_session(), WAIT)


async def test_failed_pip_install_is_shown_on_the_requirement_of_its_package(client: LanguageClient):
    root = root_of(client)
    requirements = root / "requirements.txt"
    requirements.write_text("# web service\nrequests==2.31.0\ncffi==1.15.1\ngunicorn==21.2.0\n", encoding="utf-8")
    add_record(root, TEAMMATE_OUTPUT, FIX)
    client.protocol.notify("teamlore/terminalOutput", {"command": "pip install -r requirements.txt",
                                                       "cwd": str(root), "exitCode": 1, "output": OUTPUT})
    uri = from_fs_path(str(requirements))

    def seen() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(uri, [])
                if d.code == "terminal" and "seen before: 1 fix" in d.message]

    diags = await wait_until(seen, what="terminal diagnostic on requirements.txt with a past fix")
    assert len(diags) == 1
    diag = diags[0]
    assert diag.message.startswith("missing header: 'ffi.h' file not found")
    assert (diag.range.start.line, diag.range.start.character) == (2, 0)
    assert diag.range.end.character == len("cffi==1.15.1")
    text = await hover_text(client, uri, 2, 3)
    assert text and FIX in text
