"""Running the cases: worker processes, pooling their runs, and the three measurements.

* :func:`run_matrix`: every case of :func:`~rtgym_bench.cases.matrix`, both packages in turns,
  each package's runs pooled into one set of statistics;
* :func:`max_rate_search`: the shortest time-step each package and env id sustains with fewer
  than 1 % timeouts while the caller does nothing but step;
* :func:`cpu_repeats`: CPU per step at 20 ms, the median of interleaved runs.

Statistics come from :func:`rtgym_nb.cli.bench.summarize_segments`, the same function
``python -m rtgym_nb bench`` reports with. The searches take the function that runs one trial
as an argument, so their logic is tested without running anything.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtgym_nb.cli.bench import summarize_segments

from .cases import (
    CPU_REPEATS,
    CPU_STEPS,
    CPU_TIME_STEP_MS,
    ENVS,
    HIST_TIME_STEPS_MS,
    MAX_RATE_CANDIDATES_MS,
    MAX_RATE_THRESHOLD,
    SEGMENTS,
    TIMEOUT_FACTOR,
    matrix,
    max_rate_steps,
    package_order,
    rotating_order,
    steps_for,
)
from .environments import REPO, worker_env

__all__ = [
    "Burner",
    "Workers",
    "cpu_repeats",
    "max_rate_search",
    "pool",
    "ratios",
    "run_matrix",
]

Log = Callable[[str], None]


class Burner:
    """A second process keeping one core busy while the block runs (``--load``)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Burner:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)  # let it take its core before the measurement starts
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@dataclass
class Workers:
    """Starts :mod:`rtgym_bench.worker` processes, each package with its own Python.

    Attributes:
        pythons: The interpreter for each package (``"rtgym"``, ``"rtgym_nb"``).
        checkout: The folder whose ``rtgym_nb`` is measured (put first on its workers' path).
    """

    pythons: dict[str, str]
    checkout: Path = REPO

    def run(self, package: str, env: str, time_step: float, steps: int,
            caller: str) -> dict[str, Any]:
        """One run in a fresh process: the worker's raw result (stamps included).

        ``caller`` ending in ``+load`` runs with a :class:`Burner` next to the worker.
        """
        case = {"package": package, "env": env, "dt": time_step, "steps": steps,
                "caller": caller.split("+")[0], "timeout_factor": TIMEOUT_FACTOR}
        budget = 60 + steps * time_step * 6
        if caller.endswith("+load"):
            with Burner():
                return self._start(package, case, budget)
        return self._start(package, case, budget)

    def _start(self, package: str, case: dict[str, Any], budget: float) -> dict[str, Any]:
        done = subprocess.run(
            [self.pythons[package], "-m", "rtgym_bench.worker", json.dumps(case)],
            capture_output=True, text=True, timeout=budget,
            env=worker_env(self.checkout if package == "rtgym_nb" else None),
            cwd=str(Path(__file__).resolve().parents[1]),  # where `-m rtgym_bench` is found
        )
        if done.returncode != 0:
            raise RuntimeError(f"worker failed for {case}:\n{done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout)


def pool(raws: list[dict[str, Any]], time_step: float) -> dict[str, Any]:
    """Statistics of one package's runs of a case, pooled (no period spans two runs).

    Returns :func:`~rtgym_nb.cli.bench.summarize_segments`'s dictionary plus ``package``,
    ``version``, ``runs``, ``steps_per_s``, ``cpu_per_step_us`` (process CPU time per step, every
    thread, the caller's own inference excluded) and ``warned`` (timeout warnings).
    """
    steps = sum(raw["steps"] for raw in raws)
    warmup = max(5, min(raw["steps"] for raw in raws) // 50)
    stats = summarize_segments([(raw["send"], raw["capture"], raw["warned"]) for raw in raws],
                               time_step, TIMEOUT_FACTOR, warmup)
    cpu = sum(raw["cpu_s"] - raw["inference_cpu_s"] for raw in raws)
    stats.update(
        package=raws[0]["package"], version=raws[0]["version"], runs=len(raws),
        steps_per_s=steps / sum(raw["wall_s"] for raw in raws),
        cpu_per_step_us=cpu / steps * 1e6,
        warned=sum(len(raw["warned"]) for raw in raws),
    )
    return stats


RATIO_KEYS = (
    ("latency_p50", "latency", "p50"),
    ("latency_p99", "latency", "p99"),
    ("control_period_error_p50", "control_period_error", "p50"),
    ("control_period_error_p99", "control_period_error", "p99"),
    ("capture_period_error_p50", "capture_period_error", "p50"),
    ("capture_period_error_p99", "capture_period_error", "p99"),
    ("cpu_per_step", "cpu_per_step_us", None),
)


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b <= 0:
        return float("inf") if a > 0 else None
    return a / b


def ratios(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, float | None]:
    """rtgym 0.16's figure over rtgym_nb's, for each of :data:`RATIO_KEYS` (> 1: ours lower)."""
    out = {}
    for name, key, stat in RATIO_KEYS:
        a = theirs[key] if stat is None else theirs[key][stat]
        b = ours[key] if stat is None else ours[key][stat]
        out[name] = _ratio(a, b)
    return out


def run_matrix(workers: Workers, packages: tuple[str, ...], callers: tuple[str, ...],
               time_steps_ms: tuple[float, ...], quick: bool, log: Log
               ) -> tuple[list[dict[str, Any]], dict[tuple, list[dict[str, Any]]]]:
    """Every case, both packages in turns; returns the cases and the raw runs to plot.

    Each case is a dict with ``time_step_ms``, ``caller``, ``env``, one :func:`pool` per
    package and, with both packages, their :func:`ratios`. The raw runs of the
    :data:`~rtgym_bench.cases.HIST_TIME_STEPS_MS` cases are kept under
    ``(package, env, caller, time_step_ms)``.
    """
    from .report import case_line

    segments = 1 if quick else SEGMENTS
    cases: list[dict[str, Any]] = []
    kept: dict[tuple, list[dict[str, Any]]] = {}
    for index, case in enumerate(matrix(time_steps_ms, callers)):
        dt = case.time_step_ms / 1e3
        steps = steps_for(case.time_step_ms, quick) // segments
        raws: dict[str, list[dict[str, Any]]] = {package: [] for package in packages}
        for segment in range(segments):
            for package in package_order(packages, index, segment):
                raws[package].append(workers.run(package, case.env, dt, steps, case.caller))
        row: dict[str, Any] = {"time_step_ms": case.time_step_ms, "caller": case.caller,
                               "env": case.env}
        for package in packages:
            row[package] = pool(raws[package], dt)
            if case.time_step_ms in HIST_TIME_STEPS_MS:
                kept[(package, case.env, case.caller, case.time_step_ms)] = raws[package]
        if len(packages) == 2:
            row["ratios"] = ratios(row["rtgym"], row["rtgym_nb"])
        cases.append(row)
        log(case_line(row))
    return cases, kept


Trial = Callable[[str, str, float, int], dict[str, Any]]
"""``trial(package, env, time_step_ms, steps)``: :func:`pool`'s statistics of one run."""


def max_rate_search(trial: Trial, packages: tuple[str, ...], quick: bool, log: Log
                    ) -> dict[str, Any]:
    """The shortest time-step with < 1 % timeouts, per package and env id.

    Candidates (:data:`~rtgym_bench.cases.MAX_RATE_CANDIDATES_MS`) are tried from long to
    short, the variants still in the race one after the other. A trial with too many timeouts
    is run once more, so that one burst of load does not decide; a variant whose candidate
    fails twice leaves the race, and its result is the last candidate it passed (None if it
    passed none).

    Returns:
        ``{"best": {"PACKAGE ENV": trial or None}, "trials": {"PACKAGE ENV": [trial, ...]},
        "candidates_ms": [...], "threshold": 0.01}``; a trial holds ``time_step_ms``,
        ``attempt``, ``steps``, ``timeouts``, ``timeout_fraction``, ``steps_per_s`` and
        ``cpu_per_step_us``.
    """
    variants = [f"{p} {e}" for p in packages for e in ENVS]
    active = list(variants)
    trials: dict[str, list[dict[str, Any]]] = {key: [] for key in variants}
    best: dict[str, dict[str, Any] | None] = dict.fromkeys(variants)
    for dt_ms in MAX_RATE_CANDIDATES_MS:
        for key in list(active):
            package, env = key.split()
            steps = max_rate_steps(dt_ms, quick)
            for attempt in (1, 2):
                stats = trial(package, env, dt_ms, steps)
                result = {"time_step_ms": dt_ms, "attempt": attempt, "steps": stats["steps"],
                          **{k: stats[k] for k in ("timeouts", "timeout_fraction",
                                                   "steps_per_s", "cpu_per_step_us")}}
                trials[key].append(result)
                log(f"max rate {key:<11} {dt_ms:6.3f} ms (try {attempt}): "
                    f"{result['timeout_fraction']:6.1%} timeouts, "
                    f"{result['steps_per_s']:7.0f} steps/s")
                if result["timeout_fraction"] < MAX_RATE_THRESHOLD:
                    best[key] = result
                    break
            else:
                active.remove(key)
        if not active:
            break
    return {"best": best, "trials": trials, "candidates_ms": list(MAX_RATE_CANDIDATES_MS),
            "threshold": MAX_RATE_THRESHOLD}


CpuRun = Callable[[str, str, str, int], float]
"""``cpu_run(package, env, caller, steps)``: CPU per step (µs) of one run at 20 ms."""


def cpu_repeats(cpu_run: CpuRun, packages: tuple[str, ...], callers: tuple[str, ...],
                quick: bool, log: Log) -> dict[str, Any]:
    """CPU per step at 20 ms: the median of interleaved repetitions, per variant.

    One run's CPU figure moves by tens of percent on a shared machine from one few-second
    stretch to the next, more than the differences being compared. So every variant (package
    x env id) runs several times, the variants taking turns in a rotating order
    (:func:`~rtgym_bench.cases.rotating_order`), and medians are compared.
    """
    repeats = 2 if quick else CPU_REPEATS
    steps = 60 if quick else CPU_STEPS
    out: dict[str, Any] = {"time_step_ms": CPU_TIME_STEP_MS, "repeats": repeats,
                           "steps": steps, "callers": {}}
    variants = [(p, e) for p in packages for e in ENVS]
    for caller in callers:
        if caller not in ("sleep", "busy"):
            continue
        runs: dict[str, list[float]] = {f"{p} {e}": [] for p, e in variants}
        for i in rotating_order(len(variants), repeats):
            package, env = variants[i]
            runs[f"{package} {env}"].append(cpu_run(package, env, caller, steps))
        out["callers"][caller] = {
            key: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}
            for key, v in runs.items()
        }
        log(f"CPU per step at {CPU_TIME_STEP_MS:g} ms, {caller}: " + ", ".join(
            f"{key} {statistics.median(v):.0f}" for key, v in runs.items()))
    return out
