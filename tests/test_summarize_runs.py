"""benchmarks/summarize_runs.py: required figures lined up across benchmark runs."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def summarize_runs(load_benchmark):
    return load_benchmark("summarize_runs")


def report(commit: str, latency_ratio: float, cpu_ratio: float) -> dict:
    checks = [
        {"requirement": "latency >= 10x", "case": "ts 20 ms sleep", "rtgym": 100.0,
         "rtgym_nb": 100.0 / latency_ratio, "ratio": latency_ratio, "met": latency_ratio >= 10},
        {"requirement": "CPU <= rtgym ts", "case": "ts 20 ms sleep", "rtgym": 300.0,
         "rtgym_nb": 300.0 / cpu_ratio, "ratio": cpu_ratio, "met": cpu_ratio >= 1},
    ]
    meta = {"date": "2026-11-26T01:00:00", "commit": commit, "load_before": [0.1, 0.1, 0.1],
            "load_after": [0.5, 0.3, 0.2]}
    return {"meta": meta, "checks": checks}


def test_counts_in_how_many_runs_each_figure_was_met(summarize_runs, tmp_path):
    paths = []
    for i, (lat, cpu) in enumerate([(14.2, 0.93), (9.7, 1.1)]):
        path = tmp_path / f"run{i}.json"
        path.write_text(json.dumps(report(f"abc{i}", lat, cpu)))
        paths.append(path)
    out = tmp_path / "runs.md"

    assert summarize_runs.main([str(p) for p in paths] + ["--out", str(out)]) == 0

    text = out.read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| latency") or line.startswith("| CPU")}
    assert rows["latency >= 10x"].endswith("| 14× | **9.70×** | 1 of 2 |")
    assert rows["CPU <= rtgym ts"].endswith("| **0.93×** | 1.10× | 1 of 2 |")
    assert "commit abc0" in text and "commit abc1" in text
    assert "1 of 2 met" in text
    assert "Met in every run: 0 of 2 figures." in text


def test_a_report_without_checks_is_refused_by_name(summarize_runs, tmp_path):
    path = tmp_path / "one_package.json"
    path.write_text(json.dumps({"meta": {}, "checks": []}))
    with pytest.raises(SystemExit, match=r"one_package\.json"):
        summarize_runs.main([str(path)])
