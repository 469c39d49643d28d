"""benchmarks/timing.py's processes: what they run with, and the tool that shows why."""

from __future__ import annotations

import subprocess
import sys

import pytest

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

COUNT_THREADS = "import numpy, os; print(len(os.listdir('/proc/self/task')))"


@pytest.fixture(scope="module")
def timing(load_benchmark):
    return load_benchmark("timing")


@linux_only
def test_workers_run_with_one_blas_thread(timing, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")  # a user's shell setting does not leak in
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    env = timing._clean_env()
    assert "PYTHONPATH" not in env
    threads = subprocess.run([sys.executable, "-c", COUNT_THREADS], env=env, check=True,
                             capture_output=True, text=True).stdout
    assert int(threads) == 1  # numpy imported, and no BLAS thread besides the main one


@linux_only
def test_clean_env_puts_another_checkout_first(timing):
    assert timing._clean_env("/some/checkout")["PYTHONPATH"] == "/some/checkout"


@linux_only
def test_blas_spin_reports_both_settings(load_benchmark, capsys, monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert load_benchmark("blas_spin").main(["--runs", "1"]) == 0
    rows = {line.split(" | ")[0]: line.split(" | ")
            for line in capsys.readouterr().out.splitlines() if line.startswith("| ")}
    pinned = rows["| OPENBLAS_NUM_THREADS=1"]
    assert pinned[1] == "1"  # threads: the main one only
    assert all(float(cell) == 0.0 for cell in pinned[2:-1])
    assert "| default" in rows  # (its BLAS threads depend on the machine's core count)


def test_wake_floor_runs_both_patterns_and_never_captures_early(load_benchmark, capsys):
    floor = load_benchmark("wake_floor")
    assert floor.main(["--time-step-ms", "2", "--steps", "20", "--repeats", "2",
                       "--spin-us", "0,50"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines()
            if line.startswith("| one thread") or line.startswith("| worker")]
    assert [(r[0], r[2]) for r in rows] == [("| one thread", "0"), ("| one thread", "50"),
                                            ("| worker", "0"), ("| worker", "50")]
    for row in rows:
        assert float(row[3]) > 0  # CPU per step
        assert float(row[5]) >= 0  # the capture's lateness, p50: never before the deadline


def test_wake_floor_worker_pattern_captures_every_step(load_benchmark):
    floor = load_benchmark("wake_floor")
    per_step, late = floor.worker(0.002, 30, 20e-6)
    assert per_step > 0
    assert len(late) == 30
    assert min(late) >= 0


def test_cpu_table_shows_the_floor_and_dashes_where_it_was_not_run(timing):
    def cell(median):
        return {"median": median, "min": median - 1, "max": median + 1, "runs": [median]}

    meta = {"date": "d", "machine": "m", "python": "3.11", "versions": {}, "commit": "c",
            "command": "x", "load_before": [], "load_after": [], "cpus": 2, "note": ""}
    cpu = {"time_step_ms": 20.0, "repeats": 1, "steps": 10, "callers": {
        "sleep": {"rtgym ts": cell(90), "floor: one thread": cell(60), "floor: worker": cell(70)},
        "busy": {"rtgym ts": cell(190)},
    }}
    text = timing.markdown({"meta": meta, "callers": [], "cases": [], "cpu_repeats": cpu})
    lines = text.splitlines()
    start = lines.index("## CPU per step at 20 ms: median of 1 interleaved runs of 10 steps")
    table = [line for line in lines[start:] if line.startswith("| ")]
    assert table[0] == ("| caller | rtgym ts | *floor: 2 wake-ups (one thread)* "
                        "| *floor: 3 wake-ups (worker)* |")
    assert table[1] == "| sleep | 90 [89 – 91] | 60 [59 – 61] | 70 [69 – 71] |"
    assert table[2] == "| busy | 190 [189 – 191] | – | – |"
    assert "*floor*: `benchmarks/wake_floor.py`" in text
