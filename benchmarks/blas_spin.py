"""How much CPU numpy's BLAS threads burn after ``import numpy``, where a benchmark sees it.

numpy ships OpenBLAS, which starts one thread per extra core at import. Before a BLAS thread
first sleeps, it spins for a while (and again after every multi-threaded BLAS call, such as a
large matrix product). On a 2-core machine that spin takes the core a real-time loop's other
thread needs, and a benchmark that starts measuring soon after its imports counts it.

For each setting (the default, and ``OPENBLAS_NUM_THREADS=1``) this starts fresh Python
processes that import what ``benchmarks/timing_worker.py`` imports (numpy, gymnasium), then
report the CPU time of every thread but the main one: during the imports, in successive
windows after them, and after one 300x300 matrix product (a policy's layer, say). The
threads spin on whichever core is free -- the one a real-time loop's other thread (the
persistent-thread variant's worker) needs. ``benchmarks/timing.py`` starts its workers with
one BLAS thread; a real-time loop whose policy runs numpy on a machine with few cores may want
the same (``OPENBLAS_NUM_THREADS=1`` before numpy is imported, or ``threadpoolctl``).

Usage: ``.venv/bin/python benchmarks/blas_spin.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import ONE_BLAS_THREAD  # what the harness sets: here, what "default" must not

WINDOWS_MS = (50, 100, 200, 400)
"""Ends of the windows after the imports in which the other threads' CPU is summed."""

PROBE = r"""
import json, os, sys, time

def others_cpu_ms():
    me, total = str(os.getpid()), 0
    for tid in os.listdir("/proc/self/task"):
        if tid != me:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    return total / 1e6

import numpy, gymnasium  # what the timing worker imports
ends = json.loads(sys.argv[1])

def windows():
    start, base = time.perf_counter(), others_cpu_ms()
    out = []
    for end in ends:
        while (time.perf_counter() - start) * 1e3 < end:
            time.sleep(0.002)
        out.append(others_cpu_ms() - base)
    return base, out

during_imports, after_imports = windows()
a = numpy.ones((300, 300))
a @ a  # a policy's layer, say: large enough for OpenBLAS to use its threads
_, after_product = windows()
threads = len(os.listdir("/proc/self/task"))
print(json.dumps({"during_imports": during_imports, "after": after_imports,
                  "after_product": after_product, "threads": threads}))
"""


def probe(env: dict[str, str]) -> dict:
    """One fresh process's figures (see :data:`PROBE`)."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(WINDOWS_MS)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per setting")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("this measurement reads /proc: Linux only")
        return 1
    base = {k: v for k, v in os.environ.items() if k not in ONE_BLAS_THREAD}  # the default
    settings = {"default": base, "OPENBLAS_NUM_THREADS=1": {**base, "OPENBLAS_NUM_THREADS": "1"}}
    print("CPU time (ms) of the threads other than the main one, median of "
          f"{args.runs} fresh processes:\n")
    print("| setting | threads | during the imports | "
          + " | ".join(f"first {w} ms after" for w in WINDOWS_MS)
          + " | first 50 ms after a 300x300 product | first 400 ms after |")
    print("|---|---|---|" + "---|" * (len(WINDOWS_MS) + 2))
    for name, env in settings.items():
        runs = [probe(env) for _ in range(args.runs)]
        cells = [statistics.median(r["during_imports"] for r in runs)]
        cells += [statistics.median(r["after"][i] for r in runs) for i in range(len(WINDOWS_MS))]
        cells += [statistics.median(r["after_product"][i] for r in runs)
                  for i in (0, len(WINDOWS_MS) - 1)]
        print(f"| {name} | {runs[0]['threads']} | " + " | ".join(f"{c:.1f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
