"""benchmarks/timing.py's processes: what they run with, and the tool that shows why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"),
                                    reason="sets the CPUs a process runs on")

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


@pytest.fixture(scope="module")
def one_core(load_benchmark):
    return load_benchmark("one_core")


@needs_affinity
def test_worker_runs_on_the_cpus_it_is_given(timing, one_core):
    pythons = {"rtgym_nb": timing.our_python()}
    cpu = one_core.one_cpu()
    pinned = timing.run_raw(pythons, "rtgym_nb", "ts", 1e-3, 20, "none", cpus=[cpu])
    free = timing.run_raw(pythons, "rtgym_nb", "ts", 1e-3, 20, "none")
    assert pinned["cpus"] == [cpu]
    assert free["cpus"] == sorted(os.sched_getaffinity(0))
    assert pinned["n_send"] == free["n_send"] == 21  # reset's send, then one per step


@needs_affinity
def test_handoff_runs_both_threads_on_the_given_cpu_and_restores_the_caller(one_core):
    before = os.sched_getaffinity(0)
    cpu = one_core.one_cpu()
    result = one_core.handoff(50, 0.0, {cpu})
    assert result["partner_cpus"] == [cpu]
    assert os.sched_getaffinity(0) == before
    assert 0 < result["p50"] <= result["p90"] <= result["p99"]
    assert result["cpu_per_round_trip_us"] > 0
    free = one_core.handoff(50, 0.0, None)
    assert free["partner_cpus"] == sorted(before)


def test_one_core_table_gives_each_setting_its_own_ratio(one_core):
    def best(ms, rate):
        return {"time_step_ms": ms, "steps_per_s": rate, "timeouts": 3, "steps": 1000}

    def search(rtgym_ts, ours_ts):
        return {"candidates_ms": [0.2, 0.1], "best": {
            "rtgym v1": best(0.25, 4000.0), "rtgym ts": best(0.2, rtgym_ts),
            "rtgym_nb v1": None, "rtgym_nb ts": best(0.1, ours_ts)}}

    handoff = {"p50": 1.0, "p90": 2.0, "p99": 3.0, "overhead_per_round_trip_us": 4.0}
    report = {
        "meta": {"date": "d", "machine": "m", "cpus": 2, "one_cpu": 1, "python": "3.11",
                 "commit": "c", "command": "x", "load_before": [], "load_after": []},
        "handoff": {"free": handoff, "one CPU": handoff}, "handoff_round_trips": 10,
        "handoff_repeats": 1, "handoff_work_us": 50.0,
        "max_rate": {"free": search(5000.0, 10000.0), "one CPU": search(4000.0, 20000.0)},
    }
    text = one_core.markdown(report)
    assert "- free, rtgym_nb ts: 2.00×" in text
    assert "- one CPU, rtgym_nb ts: 5.00×" in text
    assert "- free, rtgym_nb v1: n/a" in text
    assert ("| rtgym_nb | ts | 0.1 ms | 10,000 | 3/1000 | 0.1 ms | 20,000 | 3/1000 |"
            in text.splitlines())
    assert ("| rtgym_nb | v1 | none of the candidates | – | – | none of the candidates | – | – |"
            in text.splitlines())
