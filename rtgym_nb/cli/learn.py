"""``python -m rtgym_nb learn``: train a linear policy on the delayed drone, headless.

Learns with :mod:`rtgym_nb.course.learn` (the cross-entropy method) and evaluates the result on
100 held-out seeded episodes. Everything printed on stdout depends only on the options: the
same seed prints the same lines. The last line is the verdict::

    learned policy: return -1.80 ± 0.17 (95% CI), reached 100% of targets,
    mean time to target 0.45 s

(one line, folded here).

``--time`` adds how long learning took (wall time, steps/s) on stderr.
"""

from __future__ import annotations

import argparse
import sys
import time

from rtgym_nb.course.learn import DEFAULT_STEPS, Task, buffer_for, evaluate_policy, learn

PROGRESS_EVERY = 5
"""Print a progress line every this many iterations (and after the last)."""


def parse_delay(text: str) -> tuple[float, float]:
    """``"20-50"`` (milliseconds) -> ``(0.02, 0.05)`` (seconds)."""
    try:
        lo, hi = (float(part) for part in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LO-HI in milliseconds (e.g. 20-50), got {text!r}") from None
    if not 0 <= lo <= hi:
        raise argparse.ArgumentTypeError(f"expected 0 <= LO <= HI, got {text!r}")
    return lo / 1e3, hi / 1e3


def main(argv: list[str] | None = None) -> int:
    """``python -m rtgym_nb learn``: learn, show progress, print the held-out evaluation last."""
    parser = argparse.ArgumentParser(
        prog="python -m rtgym_nb learn",
        description="Learn to fly the tutorial's delayed drone with the cross-entropy method on "
        "a linear policy over [target - observed position, buffered actions], then evaluate it "
        "on 100 held-out seeded episodes.",
    )
    parser.add_argument("--act-buf-len", type=int, default=None, metavar="N",
                        help="actions in the observation (default: enough to cover the "
                        "worst-case delay; 0 makes the agent delay-blind)")
    parser.add_argument("--delay", type=parse_delay, default=(0.02, 0.05), metavar="LO-HI",
                        help="the drone's communication delay range in ms, each way "
                        "(default: 20-50, the tutorial's)")
    parser.add_argument("--time-step", type=float, default=0.05, metavar="S",
                        help="time-step duration in seconds (default: 0.05)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                        help=f"environment steps to learn from (default: {DEFAULT_STEPS})")
    parser.add_argument("--seed", type=int, default=0, metavar="K", help="default: 0")
    parser.add_argument("--clock", choices=("simulated", "wall"), default="simulated",
                        help="'wall' learns in real time: 20 steps/s, so set --steps low")
    parser.add_argument("--time", action="store_true",
                        help="print the learning time and steps/s on stderr")
    args = parser.parse_args(argv)
    if args.time_step <= 0:
        parser.error(f"--time-step must be > 0, got {args.time_step}")
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    buffer = args.act_buf_len
    if buffer is None:
        buffer = buffer_for(args.delay, args.time_step)
    if buffer < 0:
        parser.error(f"--act-buf-len must be >= 0, got {buffer}")

    task = Task(delay=args.delay, act_buf_len=buffer, time_step=args.time_step, clock=args.clock)
    lo, hi = (round(v * 1e3) for v in args.delay)
    print(f"task: delay {lo}-{hi} ms each way, action buffer {buffer}, "
          f"time-step {args.time_step:g} s, {args.clock} clock; budget {args.steps:,} steps, "
          f"seed {args.seed}")

    def progress(record) -> None:
        if record.iteration % PROGRESS_EVERY == 0:
            print(f"iteration {record.iteration:3d}: {record.steps:7,d} steps, "
                  f"mean policy return {record.mean_return:7.2f}", flush=True)

    started = time.perf_counter()
    learner = learn(task, steps=args.steps, seed=args.seed, on_iteration=progress)
    elapsed = time.perf_counter() - started
    weights = ", ".join(f"{v:.2f}" for v in learner.mean)
    print(f"learned after {len(learner.history)} iterations, {learner.steps:,} steps: "
          f"theta = [{weights}]")
    if args.time:
        print(f"learning took {elapsed:.2f} s wall time ({learner.steps / elapsed:,.0f} steps/s)",
              file=sys.stderr)
    print(evaluate_policy(learner.policy, task).line())
    return 0
