"""A script written for rtgym 0.16 behaves the same on rtgym_nb with only its imports changed.

The script (``compat/rtgym_script.py``) runs against the real rtgym 0.16, in the checkout's one
rtgym 0.16 virtual environment (no system site-packages; made on first use by
:func:`rtgym_bench.environments.rtgym_python`, which the benchmark uses too), and against
rtgym_nb in this environment after the textual replacement ``rtgym`` -> ``rtgym_nb``. Both must
succeed and print the same structural facts (space sizes, observation lengths, episode lengths,
terminated/truncated flags, action buffers, benchmark keys).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rtgym_bench.environments import RTGYM_VERSION, PackageIndexUnreachable, rtgym_python

SCRIPT = Path(__file__).parent / "compat" / "rtgym_script.py"

pytestmark = pytest.mark.slow


def _run(args, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def rtgym_interpreter() -> Path:
    """The Python of the rtgym 0.16 environment; skips the test when pip cannot get rtgym."""
    try:
        return rtgym_python()
    except PackageIndexUnreachable as unreachable:
        pytest.skip(str(unreachable))


def facts(completed: subprocess.CompletedProcess) -> list[dict]:
    assert completed.returncode == 0, completed.stderr[-5000:]
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]


def test_rtgym_script_gives_the_same_results_on_rtgym_nb(tmp_path):
    source = SCRIPT.read_text()
    assert "rtgym_nb" not in source
    ported = tmp_path / "rtgym_nb_script.py"
    ported.write_text(source.replace("rtgym", "rtgym_nb"))

    python = rtgym_interpreter()
    version = _run([python, "-c", "import importlib.metadata as m; print(m.version('rtgym'))"],
                   timeout=60, cwd=tmp_path)
    assert version.stdout.strip() == RTGYM_VERSION
    not_ours = _run([python, "-c", "import rtgym_nb"], timeout=60, cwd=tmp_path)
    assert not_ours.returncode != 0  # the venv really is isolated from this project

    original = facts(_run([python, SCRIPT], timeout=120, cwd=tmp_path))
    ours_run = subprocess.run([sys.executable, str(ported)], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(SCRIPT.parents[2])})
    ours = facts(ours_run)

    assert ours == original
    # and the facts are the ones the script is built to produce (so both can't be empty/wrong)
    episodes = [f for f in original if f["event"] == "episode"]
    assert [e["length"] for e in episodes] == [4, 6, 4, 6]  # two ids x two episodes
    assert [(e["steps"][-1][3], e["steps"][-1][4]) for e in episodes] == [
        (True, False), (False, True)] * 2
    spaces = [f for f in original if f["event"] == "spaces"]
    assert [s["obs_spaces"] for s in spaces] == [2 + 3, 2 + 3]
    bench = [f for f in original if f["event"] == "benchmarks"]
    assert bench and all(len(b["keys"]) == 6 and b["pairs"] == [2] for b in bench)
    assert original[-1] == {"event": "done"}
    # rtgym 0.16 returns observations that share arrays (gymnasium's checker warns); we don't
    assert "share an object" not in ours_run.stderr
