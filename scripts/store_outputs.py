"""Store each notebook's figures in the committed notebook, so GitHub and nbviewer show them.

    python scripts/store_outputs.py notebooks/0[1-6]_*.ipynb
    python scripts/store_outputs.py --check notebooks/*.ipynb   # exit 1 if a file would change

Each notebook is executed top to bottom in a fresh kernel from its own folder, with
``RTGYM_NB_STATIC_FIGURES=1`` (the notebooks' ``use_widget_backend()`` then draws with
matplotlib's inline backend) and on the simulated clock the notebooks use, so the figures are the
same on every run. Then, cell by cell:

* a cell marked ``# NBVAL_CHECK_OUTPUT`` is left exactly as it is: its stored output is what nbval
  compares, and it is written by hand on purpose;
* any other code cell keeps only its figures (``image/png``, with a ``text/plain`` stand-in), no
  text and no widget views; nbval in lax mode compares none of these, and it never compares images;
* execution counts are those of the top-to-bottom run and the saved widget state is dropped, so a
  re-run makes no diff.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECKED = "# NBVAL_CHECK_OUTPUT"
STATIC_FIGURES_ENV = "RTGYM_NB_STATIC_FIGURES"
CELL_TIMEOUT = 300  # seconds


def execute(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """A copy of ``notebook``, executed in a fresh kernel whose working folder is ``folder``."""
    os.environ[STATIC_FIGURES_ENV] = "1"  # the kernel inherits this process's environment
    ran = copy.deepcopy(notebook)
    NotebookClient(ran, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return ran


def figures(outputs: list) -> list:
    """The outputs that are pictures, reduced to the PNG and its text stand-in."""
    kept = []
    for output in outputs:
        data = output.get("data", {})
        if "image/png" not in data:
            continue
        kept.append(nbformat.v4.new_output(
            "display_data",
            data={"image/png": data["image/png"], "text/plain": data.get("text/plain", "<Figure>")},
            metadata={key: value for key, value in output.get("metadata", {}).items()
                      if key == "image/png"},
        ))
    return kept


def with_figures(notebook: nbformat.NotebookNode,
                 ran: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with the figures of its executed copy ``ran`` stored in its cells."""
    stored = copy.deepcopy(notebook)
    for cell, executed in zip(stored.cells, ran.cells, strict=True):
        if cell.cell_type != "code":
            continue
        if CHECKED in cell.source:
            continue
        cell.outputs = figures(executed.get("outputs", []))
        # nbval refuses stored outputs of a cell that was never run (no count); the counts of a
        # top-to-bottom run are 1, 2, 3, ...: the same on every run
        cell.execution_count = executed.get("execution_count")
    stored.metadata.pop("widgets", None)
    return stored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a notebook's stored figures are stale")
    args = parser.parse_args(argv)
    stale = []
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        stored = with_figures(notebook, execute(notebook, path.resolve().parent))
        count = sum(len(c.get("outputs", [])) for c in stored.cells if c.cell_type == "code"
                    and CHECKED not in c.source)
        if nbformat.writes(stored) == nbformat.writes(notebook):
            print(f"{path}: up to date ({count} figures)")
            continue
        stale.append(path)
        if args.check:
            print(f"{path}: stored figures are stale")
        else:
            nbformat.write(stored, path)
            print(f"{path}: stored {count} figures")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
