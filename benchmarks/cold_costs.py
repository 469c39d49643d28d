"""What small operations cost right after a wake-up, when the caches are cold.

A real-time step runs right after a sleep of milliseconds: by then this machine's caches hold
other work, and each line of Python, each call into numpy, costs far more than in a hot loop.
Several choices on rtgym_nb's hot path were made from these figures (the docstrings of
``rtgym_nb/timing.py``, ``rtgym_nb/env.py``, ``rtgym_nb/runners.py`` and the benchmark interfaces
quote them). Each operation runs once after a ``--sleep-ms`` sleep, ``--trials`` times, the
operations taking turns; the median wall time of an empty call is subtracted.

Usage: ``.venv/bin/python benchmarks/cold_costs.py [--trials 300] [--sleep-ms 10]``
"""

from __future__ import annotations

import argparse
import queue
import statistics
import threading
import time
from array import array

import numpy as np

from rtgym_nb._clock import _lower_timer_slack  # what rtgym_nb's waiting threads do (1 ns slack)

WIDTH = 12
perf_counter = time.perf_counter


def operations() -> dict[str, object]:
    table = np.full((1000, WIDTH), np.nan)
    flat = array("d", [float("nan")]) * (1000 * WIDTH)
    row = tuple(float(i) for i in range(WIDTH))
    action = np.zeros(1, dtype=np.float32)
    f32 = np.dtype(np.float32)
    stamp = np.zeros(1)
    view = memoryview(stamp)

    def array_fields(d=flat, b=120, v=row):
        d[b] = v[0]
        d[b + 1] = v[1]
        d[b + 2] = v[2]
        d[b + 3] = v[3]
        d[b + 4] = v[4]
        d[b + 5] = v[5]
        d[b + 6] = v[6]
        d[b + 7] = v[7]
        d[b + 8] = v[8]
        d[b + 9] = v[9]
        d[b + 10] = v[10]
        d[b + 11] = v[11]

    return {
        "trace row: numpy row assignment": lambda: table.__setitem__(10, row),
        "trace row: 12 array.array writes": array_fields,
        "action: np.array(a, dtype=float32)": lambda: np.array(action, dtype=f32),
        "action: a.copy()": action.copy,
        "stamp: numpy item assignment": lambda: stamp.__setitem__(0, 1.0),
        "stamp: memoryview item assignment": lambda: view.__setitem__(0, 1.0),
    }


def cold_costs(trials: int, sleep: float) -> dict[str, float]:
    ops = {"(empty call)": lambda: None, **operations()}
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(trials):
        for name, op in ops.items():
            time.sleep(sleep)
            t0 = perf_counter()
            op()
            samples[name].append(perf_counter() - t0)
    base = statistics.median(samples.pop("(empty call)"))
    return {name: (statistics.median(v) - base) * 1e6 for name, v in samples.items()}


def timed_waits(trials: int, sleep: float) -> dict[str, tuple[float, float, float]]:
    """For a wait of ``sleep`` s that times out: overshoot p50, p90 and CPU per wait (us)."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    bell = threading.Lock()
    bell.acquire()

    def queue_get(timeout: float) -> None:
        try:  # noqa: SIM105 (the raise-and-catch is what is being measured)
            jobs.get(timeout=timeout)
        except queue.Empty:
            pass

    waits = {"time.sleep": time.sleep, "SimpleQueue.get (raises Empty)": queue_get,
             "Lock.acquire (returns False)": lambda t: bell.acquire(True, t)}
    over: dict[str, list[float]] = {name: [] for name in waits}
    cpu: dict[str, list[float]] = {name: [] for name in waits}
    for _ in range(trials):
        for name, wait in waits.items():
            c0, t0 = time.thread_time(), perf_counter()
            wait(sleep)
            over[name].append(perf_counter() - t0 - sleep)
            cpu[name].append(time.thread_time() - c0)
    return {
        name: (statistics.median(over[name]) * 1e6,
               statistics.quantiles(over[name], n=10)[-1] * 1e6,
               statistics.median(cpu[name]) * 1e6)
        for name in waits
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--sleep-ms", type=float, default=10.0)
    args = parser.parse_args(argv)
    _lower_timer_slack()
    sleep = args.sleep_ms / 1e3
    print(f"after a {args.sleep_ms:g} ms sleep, median of {args.trials} (us, empty call "
          "subtracted):")
    for name, us in cold_costs(args.trials, sleep).items():
        print(f"  {name:<40} {us:7.1f}")
    print(f"a timed wait of {args.sleep_ms:g} ms that times out (us): overshoot p50, p90; CPU")
    for name, (p50, p90, cpu) in timed_waits(args.trials // 2, sleep).items():
        print(f"  {name:<40} {p50:7.1f} {p90:7.1f} {cpu:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
