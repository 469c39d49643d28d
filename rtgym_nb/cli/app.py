"""``rtgym-nb app [DIR]``: the dashboard (notebook 03) as a Voila web app (needs the ``app`` extra).

Voila runs the notebook and shows only its outputs: the control panel, without code, for a
classroom projector or a student who should play before reading.
"""

from __future__ import annotations

from rtgym_nb.cli import _serve

DASHBOARD = "03_configure_and_run.ipynb"


def main(argv: list[str] | None = None) -> int:
    return _serve.serve(argv, "rtgym-nb app", "Open the dashboard notebook as a Voila app "
                        "(other options are passed on to Voila).", module="voila", extra="app",
                        token_option="--token", arguments=lambda folder: [str(folder / DASHBOARD)])
