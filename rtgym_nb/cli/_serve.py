"""What ``rtgym-nb lab`` and ``rtgym-nb app`` share: the course folder, the server's options, and
a clear message when the extra that provides the server is missing."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from rtgym_nb._extras import require
from rtgym_nb.cli.notebooks import DEFAULT_DIR, copy_notebooks


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options both servers take; anything else is passed on to the server unchanged."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("dir", nargs="?", default=DEFAULT_DIR,
                   help=f"the course folder; the notebooks are copied there first if missing "
                   f"(default: ./{DEFAULT_DIR})")
    p.add_argument("--port", type=int, default=None, help="the port to serve on")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--token", default=None, help="the access token (default: the server's)")
    return p


def serve(argv: list[str] | None, prog: str, description: str, *, module: str, extra: str,
          token_option: str, arguments: Callable[[Path], list[str]]) -> int:
    """The whole command: parse ``argv``, check the server, fill the course folder, start it.

    Args:
        argv: The command's arguments; those :func:`parser` does not know go to the server.
        prog, description: For ``--help``.
        module: The server, run as ``python -m module``; missing, it is named with ``extra``.
        extra: The extra of rtgym_nb that installs ``module``.
        token_option: How the server spells the access token's option.
        arguments: The server's own arguments, given the course folder.

    Returns:
        1 when the server is missing (after printing which extra to install), else the server's.
    """
    args, rest = parser(prog, description).parse_known_args(argv)
    try:
        require(module, extra, prog)
    except ModuleNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    folder = Path(args.dir).resolve()
    copied, _ = copy_notebooks(folder)
    if copied:
        print(f"copied {len(copied)} notebooks into {folder}", file=sys.stderr)
    given = []
    if args.port is not None:
        given.append(f"--port={args.port}")
    if args.no_browser:
        given.append("--no-browser")
    if args.token is not None:
        given.append(f"{token_option}={args.token}")
    return run([sys.executable, "-m", module, *arguments(folder), *given, *rest])


def run(argv: list[str]) -> int:
    """Run the server in place of this process (so signals reach it), or as a child elsewhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(argv[0], argv)
    return subprocess.call(argv)
