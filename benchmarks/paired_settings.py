"""CPU per step of two settings of one environment, alternated block by block in one process.

``benchmarks/compare_revisions.py`` runs revisions in separate processes, seconds apart; on this
shared machine the load swings within seconds, and a difference of 10 % in CPU per step drowns
in it. Here one environment runs blocks of ``--block`` steps, switching setting after every
block, so both settings see the same stretch of load; the paired difference of neighbouring
blocks is reported (median over pairs), next to each setting's median, and what each setting
buys with it: the capture-period error (``|interval - time-step|`` between the captures of a
block, the interface's own stamps) at p50 / p90 / p99 over all of its blocks.

Settings (``--what``):

* ``long-quantile``: the wall clock's margin for long waits at 90 % (A, the default) vs
  ``--quantile`` (B, default 80 %).
* ``short-quantile``: the same for short waits: 98 % (A) vs ``--quantile`` (B). On the ts
  worker at 20 ms these are the capture's own waits, after the worker's hand-over.
* ``coarse`` (``--env ts``): as ``long-quantile``, and in B the worker's hand-over lead learns
  only the hand-over (from its wake-up to the capture's wait) instead of how late after the
  asked time the capture began to wait. The default lead also covers the clock's margin misses,
  so a lower quantile alone changes less: the lead grows back by part of what the margin lost.
* ``meanwhile``: step()'s action-buffer copies done after the send (A) vs in the time the clock
  would spin before the capture when they fit (B, what rtgym_nb does).
* ``spin``: the wall clock as it is (A) vs never spinning (B: ``min_margin = max_margin = 0``,
  and no hand-over lead for the ts worker, as on an environment made with such a clock).
* ``defer`` (``--env ts``): a step() called before the capture time is left for the worker to
  find when it wakes up for the capture (A, what rtgym_nb does) vs step() waking the worker
  at once (B), which then sleeps only from there to the capture time, with no hand-over lead.

Usage (from the repository root)::

    .venv/bin/python benchmarks/paired_settings.py --env ts --what long-quantile --blocks 40
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import timing_worker  # the same trivial interface as every timing benchmark

import rtgym_nb
from rtgym_nb._quantile import RunningQuantile


def switches(env: gymnasium.Env, what: str, quantile: float) -> Callable[[bool], None]:
    """``use_b(flag)``: put ``env`` in setting B (True) or A (False)."""
    raw = env.unwrapped
    clock, pipeline = raw.clock, raw._pipeline
    if what == "long-quantile":
        a, b = clock._long, clock._overshoot(100e-6, quantile, up=4.5e-6)

        def use_b(flag: bool) -> None:
            clock._long = b if flag else a
    elif what == "short-quantile":
        a, b = clock._short, clock._overshoot(50e-6, quantile, up=9.8e-6)

        def use_b(flag: bool) -> None:
            clock._short = b if flag else a
    elif what == "coarse":
        use_b = _coarse(raw, quantile)
    elif what == "meanwhile":
        offering = pipeline._wait_until

        def use_b(flag: bool) -> None:
            pipeline._wait_until = offering if flag else None
    elif what == "spin":
        margins = clock.min_margin, clock.max_margin
        runner = raw._runner
        lead_a = getattr(runner, "_lead", None)  # (ts) a clock that never spins has no lead
        lead_b = RunningQuantile(0.0, 0.9, step=0.5e-6, high=0.0)

        def use_b(flag: bool) -> None:
            clock.min_margin, clock.max_margin = (0.0, 0.0) if flag else margins
            if lead_a is not None:
                runner._lead = lead_b if flag else lead_a
    elif what == "defer":
        runner = raw._runner
        defer = runner._defer

        def never(job: object) -> bool:  # every step() goes through the queue, waking the worker
            return False

        def use_b(flag: bool) -> None:
            runner._defer = never if flag else defer
    else:
        raise ValueError(f"unknown --what {what!r}")
    return use_b


def _coarse(raw: gymnasium.Env, quantile: float) -> Callable[[bool], None]:
    """The ``coarse`` setting: a lower long-wait quantile, and a lead that learns the hand-over."""
    clock, runner = raw.clock, raw._runner
    if not hasattr(runner, "_lead"):
        raise SystemExit("--what coarse needs --env ts (only its worker hands captures over)")
    long_a, long_b = clock._long, clock._overshoot(100e-6, quantile, up=4.5e-6)
    lead_a = runner._lead
    lead_b = RunningQuantile(0.0, 0.9, step=0.5e-6, high=lead_a.high)
    wait_a, learn_a = runner._wait_until, runner._learn_lead
    woke = [math.nan]  # when the worker's last coarse wait returned

    def wait_b(*args, **kwargs):
        try:
            return wait_a(*args, **kwargs)
        finally:
            woke[0] = time.perf_counter()

    def learn_b(pipeline) -> None:
        runner._asked = math.nan
        took = pipeline.capture_wait_start - woke[0]
        if took == took:  # NaN: nothing was handed over
            runner._lead.add(took)

    def use_b(flag: bool) -> None:
        clock._long = long_b if flag else long_a
        runner._lead = lead_b if flag else lead_a
        runner._wait_until = wait_b if flag else wait_a
        runner._learn_lead = learn_b if flag else learn_a
    return use_b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", choices=("v1", "ts"), default="ts")
    parser.add_argument("--what", default="long-quantile",
                        choices=("long-quantile", "short-quantile", "coarse", "meanwhile", "spin",
                                 "defer"))
    parser.add_argument("--quantile", type=float, default=0.8,
                        help="B's quantile (long-quantile, short-quantile, coarse)")
    parser.add_argument("--time-step-ms", type=float, default=20.0)
    parser.add_argument("--blocks", type=int, default=40, help="blocks in all (even)")
    parser.add_argument("--block", type=int, default=25, help="timed steps per block")
    args = parser.parse_args(argv)

    dt = args.time_step_ms / 1e3
    env = timing_worker.make_env(rtgym_nb, args.env, dt)
    use_b = switches(env, args.what, args.quantile)
    action = np.zeros(1, dtype=np.float32)
    cpu: dict[bool, list[float]] = {False: [], True: []}
    errors: dict[bool, list[float]] = {False: [], True: []}
    captures = timing_worker.CAPTURE
    env.reset()
    try:
        for block in range(args.blocks):
            b = block % 2 == 1
            use_b(b)
            for _ in range(3):  # let the setting's estimates settle in
                time.sleep(dt / 2)
                env.step(action)
            first, start = len(captures), time.process_time()
            for _ in range(args.block):
                time.sleep(dt / 2)  # the caller "thinks" for half a time-step
                env.step(action)
            cpu[b].append((time.process_time() - start) / args.block * 1e6)
            errors[b].extend(np.abs(np.diff(captures[first:]) - dt) * 1e6)
    finally:
        env.close()
    diffs = [b - a for a, b in zip(cpu[False], cpu[True], strict=False)]
    print(f"{args.env}, {args.what}, {args.time_step_ms:g} ms, {len(diffs)} pairs of "
          f"{args.block} steps: CPU per step A {statistics.median(cpu[False]):.0f} us, "
          f"B {statistics.median(cpu[True]):.0f} us, B - A {statistics.median(diffs):+.1f} us "
          f"(median of pairs; {sum(d < 0 for d in diffs)} of {len(diffs)} pairs B < A)")
    for b in (False, True):
        p50, p90, p99 = np.percentile(errors[b], (50, 90, 99))
        print(f"  {'AB'[b]}: capture-period error p50 / p90 / p99 {p50:.1f} / {p90:.1f} / "
              f"{p99:.1f} us ({len(errors[b])} periods)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
