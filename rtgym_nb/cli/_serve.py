"""What ``rtgym-nb lab`` and ``rtgym-nb app`` share: the course folder, the server's options, and
a clear message when the extra that provides the server is missing."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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


def prepare(args: argparse.Namespace, module: str, extra: str, command: str) -> Path | None:
    """Check that ``module`` imports and the course folder holds the notebooks.

    Returns the folder, or None after printing which extra to install.
    """
    try:
        require(module, extra, command)
    except ModuleNotFoundError as error:
        print(error, file=sys.stderr)
        return None
    folder = Path(args.dir).resolve()
    copied, _ = copy_notebooks(folder)
    if copied:
        print(f"copied {len(copied)} notebooks into {folder}", file=sys.stderr)
    return folder


def run(argv: list[str]) -> int:
    """Run the server in place of this process (so signals reach it), or as a child elsewhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(argv[0], argv)
    return subprocess.call(argv)
