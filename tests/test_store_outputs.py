"""scripts/store_outputs.py on a tiny notebook: figures stored, checked outputs untouched, text
dropped, and nbval (lax) still passes on the result; ``--check`` reports stale files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "store_outputs.py"


def _fixture(path: Path) -> None:
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(6 * 7)")
    checked.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    checked.execution_count = 7  # stored by hand, as the course's checked cells are
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 00 · Fixture"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0]);"),
        nbformat.v4.new_code_cell("print('chatter')"),
        checked,
    ])
    nbformat.write(notebook, path)


def _run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_store_outputs_keeps_figures_and_checked_cells_and_nbval_passes(tmp_path: Path) -> None:
    path = tmp_path / "fixture.ipynb"
    _fixture(path)
    assert _run("--check", path).returncode == 1, "a notebook without figures is stale"
    result = _run(path)
    assert result.returncode == 0, result.stderr
    cells = nbformat.read(path, as_version=4).cells
    plot, chatter, checked = cells[2], cells[3], cells[4]
    assert [list(o["data"]) for o in plot.outputs] == [["image/png", "text/plain"]]
    assert plot.outputs[0]["data"]["image/png"].startswith("iVBORw0KGgo")  # base64 of a PNG
    assert chatter.outputs == []
    assert checked.outputs == [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    assert [c.execution_count for c in cells if c.cell_type == "code"] == [1, 2, 3, 7]
    assert _run("--check", path).returncode == 0, "a second run changes nothing"
    nbval = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--rootdir", str(tmp_path),
         "-c", str(REPO / "pyproject.toml"), str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert nbval.returncode == 0, nbval.stdout[-3000:]
    assert "4 passed" in nbval.stdout, nbval.stdout[-500:]  # the four code cells
