"""``rtgym-nb app [DIR]``: the dashboard (notebook 03) as a Voila web app (needs the ``app`` extra).

Voila runs the notebook and shows only its outputs: the control panel, without code, for a
classroom projector or a student who should play before reading.
"""

from __future__ import annotations

import sys

from rtgym_nb.cli import _serve

DASHBOARD = "03_configure_and_run.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = _serve.parser("rtgym-nb app", "Open the dashboard notebook as a Voila app "
                           "(other options are passed on to Voila).")
    args, rest = parser.parse_known_args(argv)
    folder = _serve.prepare(args, "voila", "app", "rtgym-nb app")
    if folder is None:
        return 1
    command = [sys.executable, "-m", "voila", str(folder / DASHBOARD)]
    if args.port is not None:
        command.append(f"--port={args.port}")
    if args.no_browser:
        command.append("--no-browser")
    if args.token is not None:
        command.append(f"--token={args.token}")
    return _serve.run(command + rest)
