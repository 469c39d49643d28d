"""Instructions per simulated time-step: ``python -m rtgym_bench.instructions``.

Wall-clock steps/s on a shared machine move by half from one minute to the next; the number of
instructions a step executes does not. This counts them with valgrind's callgrind, for the
three loops of ``python -m rtgym_nb bench --simulated`` (:mod:`rtgym_nb.cli.sim_speed`): the
hand-written loop and both environment ids, on the tutorial's task. Each loop runs in its own
process under valgrind, twice (``low`` and ``high`` steps after the same warm-up); the
difference divided by ``high - low`` is the cost of one step, start-up and imports cancelled
out. One BLAS thread, so that no spinning helper thread is counted, and a fixed hash seed.
Needs ``valgrind`` on the ``PATH`` (Debian: ``apt install valgrind``); a minute per loop.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["LOOPS", "collected", "count", "main", "per_step", "workload"]

LOOPS = ("bare loop", "real-time-gym-v1", "real-time-gym-ts-v1")
WARM_UP = 300
_REPO = Path(__file__).resolve().parents[2]
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def workload(loop: str, steps: int) -> None:
    """Run ``loop`` for :data:`WARM_UP` steps, then ``steps`` more (what valgrind counts)."""
    from rtgym_nb.cli.sim_speed import BareLoop, EnvLoop

    runner = BareLoop(seed=0) if loop == "bare loop" else EnvLoop(loop, seed=0)
    try:
        runner.run(WARM_UP)
        runner.run(steps)
    finally:
        runner.close()


def collected(valgrind_output: str) -> int:
    """The instruction count in callgrind's report ("Collected : N")."""
    found = _COLLECTED.search(valgrind_output)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{valgrind_output[-2000:]}")
    return int(found.group(1))


def count(loop: str, steps: int) -> int:
    """Instructions of a whole process running :func:`workload` under callgrind."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join([str(_REPO / "benchmarks"), str(_REPO)])}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         "-m", "rtgym_bench.instructions", "--workload", loop, str(steps)],
        capture_output=True, text=True, env=env, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"valgrind failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return collected(result.stderr)


def per_step(loop: str, low: int = 1000, high: int = 3000,
             counter: Callable[[str, int], int] = count) -> float:
    """Instructions of one step of ``loop``: the difference of two runs, per extra step."""
    if not 0 <= low < high:
        raise ValueError(f"need 0 <= low < high, got {low=}, {high=}")
    return (counter(loop, high) - counter(loop, low)) / (high - low)


def main(argv: list[str] | None = None,
         counter: Callable[[str, int], int] = count) -> int:
    p = argparse.ArgumentParser(prog="python -m rtgym_bench.instructions",
                                description=__doc__.split("\n\n")[1])
    p.add_argument("--low", type=int, default=1000, help="steps of the shorter run (1000)")
    p.add_argument("--high", type=int, default=3000, help="steps of the longer run (3000)")
    p.add_argument("--workload", nargs=2, metavar=("LOOP", "STEPS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.workload:
        loop, steps = args.workload
        workload(loop, int(steps))
        return 0
    costs = {loop: per_step(loop, args.low, args.high, counter) for loop in LOOPS}
    bare = costs["bare loop"]
    print(f"instructions per step, the tutorial's task on the simulated clock "
          f"({args.high} - {args.low} steps)")
    for loop, cost in costs.items():
        shown = "" if loop == "bare loop" else f"{bare / cost:.2f}x the bare loop's speed"
        print(f"{loop:<22} {cost / 1e3:8.1f}k  {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
