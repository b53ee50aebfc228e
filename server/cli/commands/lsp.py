"""``teamlore lsp [--tcp HOST:PORT]``: the language server (stdio by default)."""

from __future__ import annotations

import argparse

from server.cli.common import CliError, Context, examples


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {port!r}") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port out of range: {number}")
    return host, number


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lsp", help="run the language server (stdio; --tcp for debugging)",
                       epilog=examples("teamlore lsp   # what editors start", "teamlore lsp --tcp 127.0.0.1:2087"))
    p.add_argument("--tcp", metavar="HOST:PORT", type=_host_port, help="listen on TCP instead of stdio")
    p.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted because LSP clients pass it)")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    if ctx.args.stdio and ctx.args.tcp:
        raise CliError("--stdio and --tcp exclude each other")
    try:
        from server.lsp.server import main
    except ImportError as exc:  # pygls is a core dependency; this means a broken install
        raise CliError(f"the language server cannot start: {exc}") from None
    default_root = ctx.workspace.root if ctx.args.root else None
    return main(tcp=ctx.args.tcp, default_root=default_root)
