"""``python -m rtgym_bench`` (``./dev bench``): run the comparison and write its report.

Writes ``timing.json`` (everything, raw statistics included), ``timing.md`` (the tables, the
headline first) and ``timing.png`` (period histograms at 20 and 2 ms) to ``--out``: by default
``benchmarks/results/`` (git-ignored), ``benchmarks/results/quick/`` with ``--quick``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from .cases import CALLERS, CPU_TIME_STEP_MS, PACKAGES, TIME_STEPS_MS, TIMEOUT_FACTOR
from .environments import REPO, rtgym_python
from .figures import plot
from .measurement import Workers, cpu_repeats, max_rate_search, pool, run_matrix
from .report import headline_table, markdown

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    """The command line's options."""
    p = argparse.ArgumentParser(
        prog="python -m rtgym_bench",
        description="rtgym_nb against rtgym 0.16, side by side: control latency, period "
        "errors, CPU per step and the highest rate, from timestamps taken inside the same "
        "trivial interface (about 15 minutes; --quick: about 2).",
    )
    p.add_argument("--quick", action="store_true",
                   help="a few hundred steps per case, one run per package (a smoke test)")
    p.add_argument("--load", action="store_true",
                   help="also run the sleeping caller while a second process keeps a core busy")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default benchmarks/results, or benchmarks/results/quick "
                        "with --quick)")
    p.add_argument("--packages", default=",".join(PACKAGES),
                   help="comma-separated subset of rtgym,rtgym_nb (default both)")
    p.add_argument("--time-steps", default=",".join(f"{t:g}" for t in TIME_STEPS_MS),
                   help="comma-separated time-steps in ms")
    p.add_argument("--callers", default=",".join(CALLERS),
                   help="comma-separated subset of sleep,busy (default both)")
    p.add_argument("--no-max-rate", action="store_true", help="skip the highest-rate search")
    p.add_argument("--no-cpu", action="store_true",
                   help="skip the repeated CPU-per-step measurement at 20 ms")
    return p


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (see :func:`parser`); returns the exit status."""
    p = parser()
    args = p.parse_args(argv)
    packages = tuple(name for name in PACKAGES if name in args.packages.split(","))
    if not packages:
        p.error(f"--packages must name rtgym and/or rtgym_nb, got {args.packages!r}")
    callers = tuple(args.callers.split(","))
    if not callers or any(c not in CALLERS for c in callers):
        p.error(f"--callers must name sleep and/or busy, got {args.callers!r}")
    try:
        time_steps = tuple(float(t) for t in args.time_steps.split(","))
    except ValueError:
        p.error(f"--time-steps must be numbers in ms, got {args.time_steps!r}")
    callers += ("sleep+load",) if args.load else ()
    out_dir = args.out or REPO / "benchmarks" / "results" / ("quick" if args.quick else "")
    out_dir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    pythons = {"rtgym_nb": sys.executable}
    if "rtgym" in packages:
        pythons["rtgym"] = str(rtgym_python(log=_log))
    workers = Workers(pythons)
    load_before = _load()
    _log(f"load average before: {load_before}")

    cases, kept = run_matrix(workers, packages, callers, time_steps, args.quick, _log)
    max_rate = None if args.no_max_rate else max_rate_search(
        lambda package, env, dt_ms, steps: pool(
            [workers.run(package, env, dt_ms / 1e3, steps, "none")], dt_ms / 1e3),
        packages, args.quick, _log)
    cpu = None if args.no_cpu else cpu_repeats(
        lambda package, env, caller, steps: pool(
            [workers.run(package, env, CPU_TIME_STEP_MS / 1e3, steps, caller)],
            CPU_TIME_STEP_MS / 1e3)["cpu_per_step_us"],
        packages, callers, args.quick, _log)

    versions = {p_: case[p_]["version"] for case in cases for p_ in packages if p_ in case}
    report: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "versions": versions,
            "command": "python -m rtgym_bench " + " ".join(sys.argv[1:] if argv is None
                                                           else argv),
            "quick": args.quick,
            "load_before": load_before,
            "load_after": _load(),
            "duration_s": round(time.perf_counter() - started, 1),
            "timeout_factor": TIMEOUT_FACTOR,
        },
        "callers": list(callers),
        "cases": cases,
        "max_rate": max_rate,
        "cpu_repeats": cpu,
    }
    (out_dir / "timing.json").write_text(json.dumps(report, indent=1))
    (out_dir / "timing.md").write_text(markdown(report))
    no_plot = plot(kept, callers, out_dir / "timing.png")
    _log(f"wrote {out_dir / 'timing.json'}, {out_dir / 'timing.md'}"
         + (f" (no plot: {no_plot})" if no_plot else f", {out_dir / 'timing.png'}")
         + f" in {report['meta']['duration_s']:.0f} s")
    if len(packages) == 2:
        print(headline_table(report))
    return 0
