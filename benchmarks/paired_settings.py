"""CPU per step of two settings of one environment, alternated block by block in one process.

``benchmarks/compare_revisions.py`` runs revisions in separate processes, seconds apart; on this
shared machine the load swings within seconds, and a difference of 10 % in CPU per step drowns
in it. Here one environment runs blocks of ``--block`` steps, switching setting after every
block, so both settings see the same stretch of load; the paired difference of neighbouring
blocks is reported (median over pairs), next to each setting's median.

Settings (``--what``):

* ``long-quantile``: the wall clock's margin for long waits at 90 % (A, the default) vs 80 % (B).
* ``meanwhile``: step()'s action-buffer copies done after the send (A) vs in the time the clock
  would spin before the capture when they fit (B, what rtgym_nb does).
* ``spin``: the wall clock as it is (A) vs never spinning (B: ``min_margin = max_margin = 0``).
* ``defer`` (``--env ts``): a step() called before the capture time is left for the worker to
  find when it wakes up for the capture (A, what rtgym_nb does) vs step() waking the worker
  at once (B), which then sleeps only from there to the capture time, with no hand-over lead.

Usage (from the repository root)::

    .venv/bin/python benchmarks/paired_settings.py --env ts --what long-quantile --blocks 40
"""

from __future__ import annotations

import argparse
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


def switches(env: gymnasium.Env, what: str) -> Callable[[bool], None]:
    """``use_b(flag)``: put ``env`` in setting B (True) or A (False)."""
    raw = env.unwrapped
    clock, pipeline = raw.clock, raw._pipeline
    if what == "long-quantile":
        a, b = clock._long, clock._overshoot(100e-6, 0.8, up=4.5e-6)

        def use_b(flag: bool) -> None:
            clock._long = b if flag else a
    elif what == "meanwhile":
        offering = pipeline._wait_until

        def use_b(flag: bool) -> None:
            pipeline._wait_until = offering if flag else None
    elif what == "spin":
        margins = clock.min_margin, clock.max_margin

        def use_b(flag: bool) -> None:
            clock.min_margin, clock.max_margin = (0.0, 0.0) if flag else margins
    elif what == "defer":
        runner = raw._runner
        defer = runner._defer

        def use_b(flag: bool) -> None:
            runner._defer = (lambda job: False) if flag else defer
    else:
        raise ValueError(f"unknown --what {what!r}")
    return use_b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", choices=("v1", "ts"), default="ts")
    parser.add_argument("--what", choices=("long-quantile", "meanwhile", "spin", "defer"),
                        default="long-quantile")
    parser.add_argument("--time-step-ms", type=float, default=20.0)
    parser.add_argument("--blocks", type=int, default=40, help="blocks in all (even)")
    parser.add_argument("--block", type=int, default=25, help="timed steps per block")
    args = parser.parse_args(argv)

    dt = args.time_step_ms / 1e3
    env = timing_worker.make_env(rtgym_nb, args.env, dt)
    use_b = switches(env, args.what)
    action = np.zeros(1, dtype=np.float32)
    cpu: dict[bool, list[float]] = {False: [], True: []}
    env.reset()
    try:
        for block in range(args.blocks):
            b = block % 2 == 1
            use_b(b)
            for _ in range(3):  # let the setting's estimates settle in
                time.sleep(dt / 2)
                env.step(action)
            start = time.process_time()
            for _ in range(args.block):
                time.sleep(dt / 2)  # the caller "thinks" for half a time-step
                env.step(action)
            cpu[b].append((time.process_time() - start) / args.block * 1e6)
    finally:
        env.close()
    diffs = [b - a for a, b in zip(cpu[False], cpu[True], strict=False)]
    print(f"{args.env}, {args.what}, {args.time_step_ms:g} ms, {len(diffs)} pairs of "
          f"{args.block} steps: CPU per step A {statistics.median(cpu[False]):.0f} us, "
          f"B {statistics.median(cpu[True]):.0f} us, B - A {statistics.median(diffs):+.1f} us "
          f"(median of pairs; {sum(d < 0 for d in diffs)} of {len(diffs)} pairs B < A)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
