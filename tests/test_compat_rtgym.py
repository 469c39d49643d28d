"""A script written for rtgym 0.16 behaves the same on rtgym_nb with only its imports changed.

The script (``compat/rtgym_script.py``) runs against the real rtgym 0.16, installed with pip in a
throwaway venv (no system site-packages), and against rtgym_nb in this environment after the
textual replacement ``rtgym`` -> ``rtgym_nb``. Both must succeed and print the same structural
facts (space sizes, observation lengths, episode lengths, terminated/truncated flags, action
buffers, benchmark keys). The venv is cached under the system temp dir, keyed by the rtgym and
Python versions, so only the first run pays for the install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

RTGYM_VERSION = "0.16"
SCRIPT = Path(__file__).parent / "compat" / "rtgym_script.py"
PY = f"py{sys.version_info.major}{sys.version_info.minor}"
VENV = Path(tempfile.gettempdir()) / f"rtgym_nb-compat-rtgym-{RTGYM_VERSION}-{PY}"

pytestmark = pytest.mark.slow


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(args, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def rtgym_venv() -> Path:
    """A venv with rtgym 0.16, gymnasium and numpy (made once, then reused)."""
    if (VENV / "ready").exists():
        return VENV
    build = Path(tempfile.mkdtemp(prefix=VENV.name + "-build-", dir=VENV.parent))
    try:
        made = _run([sys.executable, "-m", "venv", build], timeout=300)
        assert made.returncode == 0, made.stderr
        python = _python(build)
        probe = _run([python, "-m", "pip", "download", "--no-deps", "-d", build / "probe",
                      f"rtgym=={RTGYM_VERSION}"], timeout=300)
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
            pytest.skip(f"pip cannot reach the package index for rtgym=={RTGYM_VERSION}: {last}")
        installed = _run([python, "-m", "pip", "install", f"rtgym=={RTGYM_VERSION}",
                          "gymnasium", "numpy"], timeout=900)
        assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
        (build / "ready").write_text(RTGYM_VERSION)
        try:
            build.rename(VENV)
        except OSError:  # another run finished first: use theirs
            if not (VENV / "ready").exists():
                raise
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return VENV


def facts(completed: subprocess.CompletedProcess) -> list[dict]:
    assert completed.returncode == 0, completed.stderr[-5000:]
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]


def test_rtgym_script_gives_the_same_results_on_rtgym_nb(tmp_path):
    source = SCRIPT.read_text()
    assert "rtgym_nb" not in source
    ported = tmp_path / "rtgym_nb_script.py"
    ported.write_text(source.replace("rtgym", "rtgym_nb"))

    python = _python(rtgym_venv())
    version = _run([python, "-c", "import importlib.metadata as m; print(m.version('rtgym'))"],
                   timeout=60, cwd=tmp_path)
    assert version.stdout.strip() == RTGYM_VERSION
    not_ours = _run([python, "-c", "import rtgym_nb"], timeout=60, cwd=tmp_path)
    assert not_ours.returncode != 0  # the venv really is isolated from this project

    original = facts(_run([python, SCRIPT], timeout=120, cwd=tmp_path))
    ours_run = _run([sys.executable, ported], timeout=120, cwd=tmp_path)
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
