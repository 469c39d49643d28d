"""How late does a sleep wake up, by its length?

``time.sleep(d)`` for several lengths ``d``, with the thread's timer slack lowered as
:class:`rtgym_nb.WallClock` does: the overshoot (wake-up time minus ``d``) at p50 / p90 / p99 /
p99.9 / max in microseconds, and the thread's CPU time per sleep (the wake-up's own cost), as a
Markdown table.

On a virtual machine whose idle processors are handed back to the host, long sleeps wake up
later and with a wider spread than short ones; that is why the clock learns separate margins
for short and long waits. Run it on your own machine to see whether yours does the same::

    .venv/bin/python benchmarks/sleep_overshoot.py [--samples 3000] [--lengths-us 200,19000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtgym_nb._clock import _lower_timer_slack

QUANTILES = (50, 90, 99, 99.9, 100)
HEADER = "| p50 | p90 | p99 | p99.9 | max |"


def _row(values_us: np.ndarray) -> str:
    return " | ".join(f"{v:.1f}" for v in np.percentile(values_us, QUANTILES))


def sleep_overshoots(lengths_us: list[float], samples: int) -> list[str]:
    """Table 1: overshoot of ``time.sleep`` by length (at most ~4 s of sleeping per length)."""
    perf_counter, thread_time, sleep = time.perf_counter, time.thread_time, time.sleep
    lines = ["| sleep (µs) | sleeps | CPU per sleep (µs) " + HEADER,
             "|---|---|---" + "|---" * len(QUANTILES) + "|"]
    for length_us in lengths_us:
        d = length_us * 1e-6
        n = max(100, min(samples, int(4.0 / d)))
        out = np.empty(n)
        cpu = thread_time()
        for i in range(n):
            t = perf_counter()
            sleep(d)
            out[i] = perf_counter() - t - d
        cpu = (thread_time() - cpu) / n * 1e6
        lines.append(f"| {length_us:g} | {n} | {cpu:.1f} | {_row(out * 1e6)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=3000, help="sleeps per length")
    parser.add_argument("--lengths-us", default="100,200,300,600,1000,1900,5000,10000,19000",
                        help="comma-separated sleep lengths")
    args = parser.parse_args(argv)
    _lower_timer_slack()
    print("## time.sleep overshoot by length (µs)\n")
    lengths = [float(x) for x in args.lengths_us.split(",")]
    print("\n".join(sleep_overshoots(lengths, args.samples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
