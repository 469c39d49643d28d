"""What confining a process to one core does to the persistent-thread variant.

``real-time-gym-ts-v1`` hands every ``step()`` over twice: the caller wakes the worker (or
leaves it the job to find), and the worker wakes the caller once the control is out. A thread
woken on the *other* processor of a virtual machine whose idle processors are handed back to
the host (as on this one) starts tens of microseconds later, and that processor's wake-up is
paid in CPU time; two threads on one processor wake each other with a plain context switch.
Python runs one thread at a time anyway (the interpreter lock), so a pure-Python control loop
loses little by running on one core, and the persistent-thread variant gets its highest rate
from it.

Two tables, each run free (wherever the OS puts the threads) and on one CPU:

1. *Hand-off*: two threads pass a turn back and forth through two locks, as the ts runner's
   caller and worker do; whoever holds the turn first works ``--work-us`` by spinning (the
   capture's final wait, a step's Python). One-way latency (lock released -> the other thread
   runs, interpreter lock included) at p50 / p90 / p99, and the process's CPU time per round
   trip.
2. *Highest rate*: ``benchmarks/timing.py``'s search (same candidates, same < 1 % timeouts rule,
   caller doing nothing but step) for both packages and both env ids; the "one CPU" runs start
   each worker process on that CPU only (:func:`timing.max_rate_search` with ``cpus``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/one_core.py [--quick] [--out DIR] [--no-max-rate]

It writes ``DIR/one_core.json`` and ``DIR/one_core.md`` (default ``benchmarks/results``) and
prints the Markdown. To run your own loop this way: ``taskset -c 1 python my_loop.py``, or
``os.sched_setaffinity(0, {1})`` before making the environment (threads inherit it). Not when
your policy needs several cores (numpy or torch threads, a simulator): they would share it too.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timing  # this folder's timing.py: the same highest-rate search

from rtgym_nb.cli.bench import on_cpus

perf_counter = time.perf_counter


def one_cpu() -> int:
    """The CPU the "one CPU" runs use: the highest this process may run on (CPU 0 usually
    takes more of the machine's interrupts)."""
    return max(os.sched_getaffinity(0))


def handoff(round_trips: int, work: float, cpus: set[int] | None) -> dict[str, Any]:
    """Two threads passing a turn ``round_trips`` times; on ``cpus`` only, if given.

    The partner thread starts inside :func:`~rtgym_nb.cli.bench.on_cpus`, so it inherits the
    calling thread's CPUs, which are restored afterwards.
    """
    with on_cpus(cpus):
        go, back = threading.Lock(), threading.Lock()
        go.acquire()
        back.acquire()
        released = [0.0]
        latencies: list[float] = []
        partner_cpus: list[int] = []

        def hold_turn() -> None:
            end = perf_counter() + work
            while perf_counter() < end:
                pass

        def partner() -> None:
            partner_cpus.extend(sorted(os.sched_getaffinity(0)))
            for _ in range(round_trips):
                go.acquire()
                latencies.append(perf_counter() - released[0])
                hold_turn()
                released[0] = perf_counter()
                back.release()

        thread = threading.Thread(target=partner, name="one_core-partner")
        thread.start()
        cpu_start = time.process_time()
        for _ in range(round_trips):
            hold_turn()
            released[0] = perf_counter()
            go.release()
            back.acquire()
            latencies.append(perf_counter() - released[0])
        cpu = time.process_time() - cpu_start
        thread.join()
    p = statistics.quantiles([x * 1e6 for x in latencies], n=100)
    return {"p50": p[49], "p90": p[89], "p99": p[98],
            "cpu_per_round_trip_us": cpu / round_trips * 1e6,
            "overhead_per_round_trip_us": cpu / round_trips * 1e6 - 2 * work * 1e6,
            "round_trips": round_trips, "work_us": work * 1e6, "partner_cpus": partner_cpus}


def handoff_table(round_trips: int, work: float, repeats: int) -> dict[str, Any]:
    """:func:`handoff` free and on one CPU, alternated ``repeats`` times; medians of repeats."""
    settings = {"free": None, "one CPU": {one_cpu()}}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    for _ in range(repeats):
        for name, cpus in settings.items():
            runs[name].append(handoff(round_trips, work, cpus))
    return {name: {key: statistics.median(run[key] for run in found)
                   for key in found[0] if key != "partner_cpus"}
            for name, found in runs.items()}


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        "# One core: the persistent-thread variant with every thread on one CPU",
        "",
        f"Run {meta['date']} on {meta['machine']}, {meta['cpus']} CPUs, Python {meta['python']}"
        f" (commit {meta['commit']}). Command: `{meta['command']}`. \"one CPU\" is CPU "
        f"{meta['one_cpu']}. Load average before / after: {meta['load_before']} / "
        f"{meta['load_after']}.",
        "",
        "## Hand-off between two threads",
        "",
        f"Two threads pass a turn back and forth through two locks ({report['handoff_work_us']:g}"
        " µs of work per turn); medians of "
        f"{report['handoff_repeats']} alternated runs of {report['handoff_round_trips']} round "
        "trips. Latency: lock released → the other thread runs (µs). CPU overhead: the "
        "process's CPU time per round trip minus the two turns' work.",
        "",
        "| threads | latency p50 | p90 | p99 | CPU overhead per round trip (µs) |",
        "|---|---|---|---|---|",
    ]
    for name, row in report["handoff"].items():
        lines.append(f"| {name} | {row['p50']:.1f} | {row['p90']:.1f} | {row['p99']:.1f} | "
                     f"{row['overhead_per_round_trip_us']:.1f} |")
    searches = report.get("max_rate")
    if searches:
        lines += [
            "",
            "## Highest rate with < 1 % timeouts (caller does nothing but step)",
            "",
            "`benchmarks/timing.py`'s search, run free and with each worker process on one CPU.",
            "",
            "| package | env | free: time-step | steps/s | timeouts | one CPU: time-step | "
            "steps/s | timeouts |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for key in searches["free"]["best"]:
            package, env = key.split()
            cells = []
            for name in ("free", "one CPU"):
                best = searches[name]["best"].get(key)
                if best is None:
                    cells += ["none of the candidates", "–", "–"]
                else:
                    cells += [f"{best['time_step_ms']:g} ms", f"{best['steps_per_s']:,.0f}",
                              f"{best['timeouts']}/{best['steps']}"]
            lines.append(f"| {package} | {env} | " + " | ".join(cells) + " |")
        lines += ["", "Ratios of the highest rates (measured steps/s), rtgym_nb / rtgym 0.16's "
                  "persistent-thread variant, each in its own setting:", ""]
        for name in ("free", "one CPU"):
            theirs = searches[name]["best"].get("rtgym ts")
            for env in timing.ENVS:
                ours = searches[name]["best"].get(f"rtgym_nb {env}")
                ratio = (ours["steps_per_s"] / theirs["steps_per_s"]
                         if ours and theirs else None)
                lines.append(f"- {name}, rtgym_nb {env}: "
                             + ("n/a" if ratio is None else f"{ratio:.2f}×"))
        lines += ["", "Candidates (ms): " + ", ".join(
            f"{c:g}" for c in searches["free"]["candidates_ms"])
            + "; a candidate with >= 1 % timeouts is tried once more, and a variant stops at "
              "the first that fails twice (all trials are in one_core.json)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test (about 30 s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default benchmarks/results; "
                             "benchmarks/results/quick.tmp with --quick)")
    parser.add_argument("--no-max-rate", action="store_true",
                        help="the hand-off table only (seconds)")
    parser.add_argument("--work-us", type=float, default=50.0,
                        help="work per turn in the hand-off table (µs)")
    parser.add_argument("--packages", default="rtgym,rtgym_nb",
                        help="comma-separated subset of rtgym,rtgym_nb (default both)")
    args = parser.parse_args(argv)
    if not hasattr(os, "sched_setaffinity"):
        parser.error("this needs os.sched_setaffinity (Linux)")
    packages = tuple(p for p in timing.PACKAGES if p in args.packages.split(","))
    if not packages:
        parser.error(f"--packages must name rtgym and/or rtgym_nb, got {args.packages!r}")
    out_dir = args.out or (timing.HERE / "results" / ("quick.tmp" if args.quick else ""))
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load_before = timing._load()
    round_trips, repeats = (300, 2) if args.quick else (2000, 5)
    report: dict[str, Any] = {
        "handoff": handoff_table(round_trips, args.work_us * 1e-6, repeats),
        "handoff_round_trips": round_trips,
        "handoff_repeats": repeats,
        "handoff_work_us": args.work_us,
    }
    if not args.no_max_rate:
        pythons = {"rtgym_nb": timing.our_python()}
        if "rtgym" in packages:
            pythons["rtgym"] = str(timing.ensure_rtgym_venv(log))
        report["max_rate"] = {
            "free": timing.max_rate_search(pythons, packages, args.quick, log),
            "one CPU": timing.max_rate_search(pythons, packages, args.quick, log,
                                              cpus=[one_cpu()]),
        }
    report["meta"] = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": timing.platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "one_cpu": one_cpu(),
        "python": timing.platform.python_version(),
        "commit": timing._commit(),
        "command": " ".join(["python benchmarks/one_core.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "load_before": load_before,
        "load_after": timing._load(),
    }
    text = markdown(report)
    (out_dir / "one_core.json").write_text(json.dumps(report, indent=1))
    (out_dir / "one_core.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
