"""Wall-clock benchmark: rtgym_nb's event-driven drone against rtgym 0.16's threaded drone.

Both drones are driven the same way, on real time, at 20 Hz by default: every period the loop
sends a velocity command, reads the observation, and waits for the next period. The command
velocity turns slowly (the drone flies a small circle), so that every command and every tick's
position is unique and can be recognised later.

What is measured, for both drones with the same method:

* Cost of ``send_control`` and ``get_observation``: ``perf_counter_ns`` around each call. The
  call made first after the loop's sleep also pays the CPU's wake-up (cold caches, idle
  states), so the two calls alternate in order and their costs are reported both ways.
* Threads: ``threading.Thread.start`` is wrapped in the worker process to count every start,
  and ``threading.active_count()`` is sampled after every call.
* CPU: process CPU time over the run, divided by wall time (one core = 100 %).
* True trajectory: for rtgym, a subclass overrides its single-underscore hook ``_send_obs``,
  which rtgym's tick loop calls with the true position at every tick, to record
  ``(perf_counter(), x, y)`` before handing over to rtgym's own method. For rtgym_nb it is read
  from ``DummyRCDrone.history()``. From consecutive positions, the velocity applied at every
  tick is ``(p[k+1] - p[k]) / control_sleep``.
* Observation age (inferred): a received position is matched exactly (same floats) to the
  latest tick that emitted it, no later than the end of the ``get_observation`` call; the age
  is that end time minus the tick's time. Queries during the first 0.5 s (when the drone may
  still be at rest and positions repeat) are left out.
* Command latency (inferred): time from the start of the ``send_control`` call to the first
  tick, at or after it, whose applied velocity equals the command (within 1e-9 m/s). Commands
  never seen applied count as discarded.
* For rtgym_nb only, the same two quantities are also read directly (``observation_age()`` and
  the command log) as a check of the inference method.

Each drone runs in its own subprocess of this interpreter, one after the other, so thread
counts and CPU time are not mixed. rtgym 0.16 is imported if it is importable; otherwise it is
installed without dependencies (it needs only gymnasium and numpy, which this interpreter has)
into the throwaway directory ``benchmarks/.venv-rtgym`` with pip.

Usage::

    python benchmarks/drone_wall.py [--seconds 10] [--rate 20] [--out PATH]

Prints a Markdown table and writes JSON (default ``benchmarks/results/drone_wall.json``).
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RTGYM_DIR = HERE / ".venv-rtgym"
RTGYM_VERSION = "0.16"
WARMUP = 0.5  # seconds left out of the age statistics
CONTROL_SLEEP = 0.01  # both drones' default tick period


# ---------------------------------------------------------------------------- worker side


class ThreadStartCounter:
    """Counts ``threading.Thread.start`` calls in this process from ``install()`` on."""

    def __init__(self) -> None:
        self.count = 0
        self._original = threading.Thread.start

    def install(self) -> None:
        original = self._original
        counter = self

        def counting_start(thread: threading.Thread) -> None:
            counter.count += 1
            original(thread)

        threading.Thread.start = counting_start  # type: ignore[method-assign]


def make_rtgym_drone():
    """rtgym 0.16's drone, with its per-tick hook recording the true trajectory."""
    if importlib.util.find_spec("rtgym") is None:
        sys.path.insert(0, str(RTGYM_DIR))
    from importlib.metadata import version

    import rtgym

    found = version("rtgym")
    if found != RTGYM_VERSION:
        raise SystemExit(f"expected rtgym {RTGYM_VERSION}, found {found} at {rtgym.__file__}")

    class RecordingDrone(rtgym.DummyRCDrone):
        def __init__(self) -> None:
            self.trajectory: list[tuple[float, float, float]] = []  # before the tick thread runs
            super().__init__()

        def _send_obs(self, pos_x, pos_y):
            self.trajectory.append((time.perf_counter(), pos_x, pos_y))
            super()._send_obs(pos_x, pos_y)

    drone = RecordingDrone()
    return drone, lambda: list(drone.trajectory)


def make_our_drone(seconds: float):
    sys.path.insert(0, str(REPO))
    from rtgym_nb._clock import WallClock
    from rtgym_nb.course.drone import DummyRCDrone

    ticks = int((seconds + 5) / CONTROL_SLEEP)
    drone = DummyRCDrone(clock=WallClock(), history_length=ticks, command_log_length=ticks)

    def trajectory() -> list[tuple[float, float, float]]:
        history = drone.history()
        return [
            (float(t), float(x), float(y))
            for t, (x, y) in zip(history.times, history.positions, strict=True)
        ]

    return drone, trajectory


def command(step: int, rate: float) -> tuple[float, float]:
    """A slowly turning velocity (0.2 m/s, one turn per 2 s): unique commands, no walls."""
    angle = 2 * math.pi * step / (2.0 * rate)
    return 0.2 * math.cos(angle), 0.2 * math.sin(angle)


def run_worker(kind: str, seconds: float, rate: float) -> dict:
    counter = ThreadStartCounter()
    counter.install()
    threads_before = threading.active_count()
    drone, trajectory = make_rtgym_drone() if kind == "rtgym" else make_our_drone(seconds)

    perf_counter = time.perf_counter
    perf_counter_ns = time.perf_counter_ns
    period = 1.0 / rate
    steps = round(seconds * rate)
    costs: dict[str, list[int]] = {
        f"{call}_{position}": []
        for call in ("send_control", "get_observation")
        for position in ("first", "second")
    }
    sends: list[tuple[float, float, float]] = []  # (send start, vel_x, vel_y)
    queries: list[tuple[float, float, float]] = []  # (get end, x, y)
    direct_ages: list[float] = []
    active_max = threading.active_count()
    active_sum = 0
    cpu_start = time.process_time()
    start = perf_counter()
    for step in range(steps):
        delay = start + step * period - perf_counter()
        if delay > 0:
            time.sleep(delay)
        vel_x, vel_y = command(step, rate)
        if step % 2 == 0:  # alternate which call comes first after the sleep (it pays the wake-up)
            a = perf_counter_ns()
            drone.send_control(vel_x, vel_y)
            b = perf_counter_ns()
            pos_x, pos_y = drone.get_observation()
            c = perf_counter_ns()
            costs["send_control_first"].append(b - a)
            costs["get_observation_second"].append(c - b)
            sends.append((a * 1e-9, vel_x, vel_y))
        else:
            a = perf_counter_ns()
            pos_x, pos_y = drone.get_observation()
            b = perf_counter_ns()
            drone.send_control(vel_x, vel_y)
            c = perf_counter_ns()
            costs["get_observation_first"].append(b - a)
            costs["send_control_second"].append(c - b)
            sends.append((b * 1e-9, vel_x, vel_y))
        queries.append(((b if step % 2 else c) * 1e-9, pos_x, pos_y))
        if kind == "rtgym_nb":
            direct_ages.append(drone.observation_age())
        active = threading.active_count()
        active_max = max(active_max, active)
        active_sum += active
    wall = perf_counter() - start
    cpu = time.process_time() - cpu_start
    time.sleep(0.2)  # let the last commands land
    points = trajectory()

    result = {
        "kind": kind,
        "steps": steps,
        "wall_seconds": wall,
        "cpu_percent": 100.0 * cpu / wall,
        "threads_started": counter.count,
        "threads_started_per_second": counter.count / wall,
        "active_threads_before": threads_before,
        "active_threads_max": active_max,
        "active_threads_mean": active_sum / steps,
        **{f"{key}_us": summary([n / 1000 for n in ns]) for key, ns in costs.items()},
        **infer(points, sends, queries, start),
    }
    if kind == "rtgym_nb":
        skip = int(WARMUP * rate)
        result["observation_age_direct_ms"] = summary([1e3 * a for a in direct_ages[skip:]])
        latencies = [
            1e3 * (c.applied_at - c.sent_at) for c in drone.command_log() if c.status == "applied"
        ]
        result["command_latency_direct_ms"] = summary(latencies)
        result["commands_discarded_direct"] = drone.stats().commands_discarded
    return result


def infer(points, sends, queries, start: float) -> dict:
    """Observation ages and command latencies recovered from the true trajectory."""
    times = [t for t, _, _ in points]
    periods = [b - a for a, b in itertools.pairwise(times)]
    velocities = [
        ((x1 - x0) / CONTROL_SLEEP, (y1 - y0) / CONTROL_SLEEP)
        for (_, x0, y0), (_, x1, y1) in itertools.pairwise(points)
    ]
    emitted: dict[tuple[float, float], list[float]] = {}
    for t, x, y in points:
        emitted.setdefault((x, y), []).append(t)

    ages, unmatched = [], 0
    for q, x, y in queries:
        if q - start < WARMUP:
            continue
        candidates = emitted.get((x, y), [])
        i = bisect.bisect_right(candidates, q)
        if i == 0:
            unmatched += 1
        else:
            ages.append(1e3 * (q - candidates[i - 1]))

    latencies, discarded = [], 0
    for s, vx, vy in sends:
        k = bisect.bisect_left(times, s)
        for j in range(k, min(k + 50, len(velocities))):
            ux, uy = velocities[j]
            if abs(ux - vx) < 1e-9 and abs(uy - vy) < 1e-9:
                latencies.append(1e3 * (times[j] - s))
                break
        else:
            discarded += 1
    return {
        "ticks_recorded": len(points),
        "tick_period_ms": summary([1e3 * p for p in periods]),
        "observation_age_ms": summary(ages),
        "observations_unmatched": unmatched,
        "command_latency_ms": summary(latencies),
        "commands_not_seen_applied": discarded,
    }


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "min": ordered[0],
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "max": ordered[-1],
    }


# ---------------------------------------------------------------------------- driver side


def ensure_rtgym() -> str:
    """Make rtgym 0.16 importable by the workers; returns how it was found."""
    if importlib.util.find_spec("rtgym") is not None:
        return "importable"
    if not (RTGYM_DIR / "rtgym").is_dir():
        print(f"installing rtgym=={RTGYM_VERSION} into {RTGYM_DIR} ...", file=sys.stderr)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                "--target", str(RTGYM_DIR), f"rtgym=={RTGYM_VERSION}",
            ],
            check=True,
        )  # fmt: skip
    return f"pip --target {RTGYM_DIR.relative_to(REPO)}"


def run_in_subprocess(kind: str, seconds: float, rate: float) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--seconds", str(seconds),
         "--rate", str(rate)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(completed.stdout)


def row(name: str, ours: str, theirs: str) -> str:
    return f"| {name} | {ours} | {theirs} |"


def fmt(stats: dict, digits: int = 1) -> str:
    if not stats.get("n"):
        return "n/a"
    return (
        f"{stats['mean']:.{digits}f} / {stats['p50']:.{digits}f} / {stats['p95']:.{digits}f} "
        f"/ {stats['max']:.{digits}f}"
    )


def table(ours: dict, theirs: dict) -> str:
    lines = [
        "| metric (mean / p50 / p95 / max) | rtgym_nb 0.1 (event-driven) | rtgym 0.16 (threads) |",
        "|---|---|---|",
        row(
            "observation age, inferred (ms)",
            fmt(ours["observation_age_ms"]),
            fmt(theirs["observation_age_ms"]),
        ),
        row("observation age, direct (ms)", fmt(ours["observation_age_direct_ms"]), "n/a"),
        row(
            "command latency, inferred (ms)",
            fmt(ours["command_latency_ms"]),
            fmt(theirs["command_latency_ms"]),
        ),
        row("command latency, direct (ms)", fmt(ours["command_latency_direct_ms"]), "n/a"),
        row(
            "commands never seen applied",
            str(ours["commands_not_seen_applied"]),
            str(theirs["commands_not_seen_applied"]),
        ),
        row(
            "tick period (ms; rtgym_nb: computed, rtgym: measured)",
            fmt(ours["tick_period_ms"], digits=3),
            fmt(theirs["tick_period_ms"], digits=3),
        ),
    ]
    for call in ("send_control", "get_observation"):
        for position in ("first", "second"):
            key = f"{call}_{position}_us"
            lines.append(
                row(f"`{call}` cost, {position} call after the sleep (µs)", fmt(ours[key]),
                    fmt(theirs[key]))
            )  # fmt: skip
    lines += [
        row(
            "threads started (total, per s)",
            f"{ours['threads_started']}, {ours['threads_started_per_second']:.1f}",
            f"{theirs['threads_started']}, {theirs['threads_started_per_second']:.1f}",
        ),
        row(
            "active threads (before, mean, max)",
            f"{ours['active_threads_before']}, {ours['active_threads_mean']:.1f}, "
            f"{ours['active_threads_max']}",
            f"{theirs['active_threads_before']}, {theirs['active_threads_mean']:.1f}, "
            f"{theirs['active_threads_max']}",
        ),
        row("CPU (% of one core)", f"{ours['cpu_percent']:.1f}", f"{theirs['cpu_percent']:.1f}"),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="run length per drone")
    parser.add_argument("--rate", type=float, default=20.0, help="control frequency in Hz")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "drone_wall.json")
    parser.add_argument("--worker", choices=["rtgym_nb", "rtgym"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seconds <= WARMUP + 1:
        parser.error(f"--seconds must be > {WARMUP + 1}, got {args.seconds}")
    if args.rate <= 0:
        parser.error(f"--rate must be > 0, got {args.rate}")

    if args.worker:
        print(json.dumps(run_worker(args.worker, args.seconds, args.rate)))
        return

    source = ensure_rtgym()
    ours = run_in_subprocess("rtgym_nb", args.seconds, args.rate)
    theirs = run_in_subprocess("rtgym", args.seconds, args.rate)
    text = table(ours, theirs)
    print(
        f"Drones on the wall clock, {args.rate:g} Hz for {args.seconds:g} s each "
        f"(rtgym {RTGYM_VERSION}: {source})\n"
    )
    print(text)
    report = {
        "benchmark": "drone_wall",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "seconds": args.seconds,
        "rate_hz": args.rate,
        "rtgym_version": RTGYM_VERSION,
        "rtgym_source": source,
        "method": (
            "same driver for both; true trajectory from rtgym's _send_obs hook (subclass) or "
            "rtgym_nb's history(); ages and latencies inferred by exact matching of positions "
            "and of per-tick velocities; rtgym_nb also read directly"
        ),
        "rtgym_nb": ours,
        "rtgym": theirs,
        "markdown": text,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
