"""``rtgym-nb lab [DIR]``: open the course in JupyterLab (needs the ``lab`` extra)."""

from __future__ import annotations

import os
import sys

from rtgym_nb.cli import _serve


def main(argv: list[str] | None = None) -> int:
    parser = _serve.parser("rtgym-nb lab", "Open the course's notebooks in JupyterLab "
                           "(other options are passed on to JupyterLab).")
    args, rest = parser.parse_known_args(argv)
    folder = _serve.prepare(args, "jupyterlab", "lab", "rtgym-nb lab")
    if folder is None:
        return 1
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    first = sorted(folder.glob("01_*.ipynb"))
    if first:
        command.append(str(first[0]))  # opened first; inside root_dir, as JupyterLab requires
    if args.port is not None:
        command.append(f"--port={args.port}")
    if args.no_browser:
        command.append("--no-browser")
    if args.token is not None:
        command.append(f"--IdentityProvider.token={args.token}")
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")  # e.g. in a container
    return _serve.run(command + rest)
