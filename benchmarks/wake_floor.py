"""The floor: what each variant's pattern of wake-ups costs per step, with no framework at all.

With a caller that sleeps half of every time-step (``benchmarks/timing.py``'s sleeping caller),
a real-time step cannot be taken without threads waking up:

* ``one thread`` (rtgym_nb's ``real-time-gym-v1`` with the capture at the end of the time-step):
  the caller wakes from its own sleep, then from its wait for the deadline, where it captures
  and sends. Two wake-ups per step.
* ``worker`` (``real-time-gym-ts-v1``, in both packages: one thread owns the interface): the
  caller wakes from its sleep and again when the worker has sent the action; the worker wakes
  for the deadline. Three wake-ups per step.

This script runs both patterns bare -- a capture and a send that only read the clock, no
schedule, no trace, no observation -- and reports the process's CPU time per step. No
implementation of a variant can cost less on the machine it runs on; the difference between a
package's CPU per step (``timing.py``) and this floor is what its own code costs. With
``--spin-us``, the deadline is also waited for as a precise clock does: the sleep ends that
much earlier and the rest is spun, which shows what a given precision costs by itself.

Each pattern runs ``--repeats`` times, the patterns taking turns, in one process (which imports
no numpy, so no BLAS thread spins in it); medians are reported, with the capture's lateness
(how long after the deadline the capture came, p50 and p99).

Usage: ``.venv/bin/python benchmarks/wake_floor.py [--time-step-ms 20] [--steps 150]
[--repeats 7] [--spin-us 0,60]``. ``benchmarks/timing.py`` runs both patterns (``--json``) in
turns with the packages' runs of its CPU-per-step figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable

perf_counter = time.perf_counter


def _wait_until(deadline: float, spin: float, block: Callable[[float], object]) -> None:
    """Block until ``spin`` seconds before ``deadline``, then spin to it (unless ``block``
    returned something true: stop waiting)."""
    early = deadline - spin - perf_counter()
    if early > 0 and block(early):
        return
    while perf_counter() < deadline:
        pass


def one_thread(dt: float, steps: int, spin: float) -> tuple[float, list[float]]:
    """The caller sleeps half a time-step, waits for the deadline, captures and sends."""
    late: list[float] = []
    sleep = time.sleep
    deadline = perf_counter() + dt
    cpu = time.process_time()
    for _ in range(steps):
        sleep(dt / 2)
        _wait_until(deadline, spin, sleep)
        late.append(perf_counter() - deadline)  # the capture, then the send right after
        deadline += dt
    return (time.process_time() - cpu) / steps, late


def worker(dt: float, steps: int, spin: float) -> tuple[float, list[float]]:
    """A worker waits for each deadline, captures and sends, then releases the caller's step.

    As in rtgym_nb's persistent-thread runner, a step() called before the deadline is left
    for the worker (it does not wake it), and "sent" is a plain lock the caller blocks on.
    """
    late: list[float] = []
    bell, done = threading.Lock(), threading.Lock()
    bell.acquire()
    done.acquire()
    pending: list[bool] = []  # the caller's steps, handed over
    deadline = perf_counter() + dt
    waiting = False  # the worker waits for a late step(): the caller must ring
    stop = False

    def timed_wait(timeout: float) -> bool:  # (a bell rung late is not a reason to wake up)
        end = perf_counter() + timeout
        while not stop and (left := end - perf_counter()) > 0:
            bell.acquire(True, left)
        return stop

    def serve() -> None:
        nonlocal deadline, waiting
        while not stop:
            _wait_until(deadline, spin, timed_wait)
            waiting = True
            while not pending and not stop:  # the caller is late: wait for its step()
                bell.acquire()
            waiting = False
            if stop:
                return
            pending.pop()
            late.append(perf_counter() - deadline)
            deadline += dt
            done.release()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sleep = time.sleep
    cpu = time.process_time()
    for _ in range(steps):
        sleep(dt / 2)
        pending.append(True)
        if waiting:
            _ring(bell)
        done.acquire()
    per_step = (time.process_time() - cpu) / steps
    stop = True
    _ring(bell)
    thread.join()
    return per_step, late


def _ring(bell: threading.Lock) -> None:
    with contextlib.suppress(RuntimeError):  # rung already
        bell.release()


PATTERNS = {"one thread": one_thread, "worker": worker}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-step-ms", type=float, default=20.0)
    parser.add_argument("--steps", type=int, default=150, help="steps per run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--spin-us", default="0,60",
                        help="comma-separated final stretches spun before each deadline")
    parser.add_argument("--pattern", choices=sorted(PATTERNS), action="append",
                        help="run only this pattern (repeatable)")
    parser.add_argument("--json", action="store_true",
                        help="print {pattern: median CPU per step in µs} (the first spin only)")
    args = parser.parse_args(argv)
    dt = args.time_step_ms / 1e3
    spins = [float(s) for s in args.spin_us.split(",")]
    names = args.pattern or list(PATTERNS)
    variants = [(name, spin) for name in names for spin in spins]
    cpu: dict[tuple[str, float], list[float]] = {v: [] for v in variants}
    late: dict[tuple[str, float], list[float]] = {v: [] for v in variants}
    for rep in range(args.repeats):
        k = rep % len(variants)
        for name, spin in variants[k:] + variants[:k]:  # turns, in a rotating order
            per_step, lateness = PATTERNS[name](dt, args.steps, spin * 1e-6)
            cpu[name, spin].append(per_step * 1e6)
            late[name, spin].extend(x * 1e6 for x in lateness)
    if args.json:
        print(json.dumps({name: statistics.median(cpu[name, spins[0]]) for name in names}))
        return 0
    print(f"{args.time_step_ms:g} ms time-steps, caller sleeping half of each; "
          f"median of {args.repeats} runs of {args.steps} steps\n")
    print("| pattern | wake-ups per step | spun (µs) | CPU per step (µs) | runs' range | "
          "capture late p50 (µs) | p99 |")
    print("|---|---|---|---|---|---|---|")
    wakeups = {"one thread": 2, "worker": 3}
    for name, spin in variants:
        runs = cpu[name, spin]
        percentiles = statistics.quantiles(late[name, spin], n=100, method="inclusive")
        print(f"| {name} | {wakeups[name]} | {spin:g} | {statistics.median(runs):.0f} | "
              f"{min(runs):.0f}-{max(runs):.0f} | {percentiles[49]:.1f} | "
              f"{percentiles[98]:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
