"""``rtgym-nb lab [DIR]``: open the course in JupyterLab (needs the ``lab`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

from rtgym_nb.cli import _serve


def main(argv: list[str] | None = None) -> int:
    return _serve.serve(argv, "rtgym-nb lab", "Open the course's notebooks in JupyterLab "
                        "(other options are passed on to JupyterLab).", module="jupyterlab",
                        extra="lab", token_option="--IdentityProvider.token", arguments=_arguments)


def _arguments(folder: Path) -> list[str]:
    arguments = [f"--ServerApp.root_dir={folder}"]
    first = sorted(folder.glob("01_*.ipynb"))
    if first:
        arguments.append(str(first[0]))  # opened first; inside root_dir, as JupyterLab requires
    if hasattr(os, "getuid") and os.getuid() == 0:
        arguments.append("--allow-root")  # e.g. in a container
    return arguments
