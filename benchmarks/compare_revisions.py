"""A/B of rtgym_nb revisions (and rtgym 0.16) on one timing case, interleaved and repeated.

``benchmarks/timing.py`` compares rtgym_nb with rtgym 0.16; this script answers "did this
change help?": it checks out each git revision in a temporary worktree and runs the very same
case of ``benchmarks/timing_worker.py`` (the harness of *this* checkout) against each of them in
turn, ``--repeats`` times in a rotating order, so that the machine's load swings hit every
revision alike. It prints, per revision, the median over repeats of: CPU per step (and the
caller thread's share of it), control-period error p50 and p99, control latency p50, timeouts
and steps/s.

Examples (from the repository root, with the project's venv)::

    .venv/bin/python benchmarks/compare_revisions.py ec33b09 HEAD --env ts --caller sleep \\
        --time-step-ms 20 --steps 150 --repeats 4
    .venv/bin/python benchmarks/compare_revisions.py ef408a6 HEAD rtgym --env ts \\
        --caller none --time-step-ms 0.15 --repeats 2

A revision is anything ``git worktree add`` accepts; ``rtgym`` stands for rtgym 0.16 (in
``benchmarks/.venv-rtgym016``, created on first use); ``.`` for the working tree as it is.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import timing  # this folder's timing.py: the same harness functions


def _checkout(revision: str, root: Path) -> str | None:
    """A PYTHONPATH entry holding ``revision``'s rtgym_nb (None: this working tree)."""
    if revision == ".":
        return None
    path = root / revision.replace("/", "_")
    subprocess.run(["git", "-C", str(timing.REPO), "worktree", "add", "--detach", "--force",
                    str(path), revision], check=True, capture_output=True)
    return str(path)


def _row(runs: list[dict[str, Any]]) -> dict[str, float]:
    def med(get) -> float:
        return timing.median_of(runs, get)

    return {
        "cpu/step us": med(lambda r: r["cpu_per_step_us"]),
        "of it caller us": med(lambda r: r["caller_cpu_per_step_us"]),
        "ctl err p50 us": med(lambda r: r["control_period_error"]["p50"]),
        "ctl err p99 us": med(lambda r: r["control_period_error"]["p99"]),
        "latency p50 us": med(lambda r: r["latency"]["p50"]),
        "timeouts %": med(lambda r: 100.0 * r["timeout_fraction"]),
        "steps/s": med(lambda r: r["steps_per_s"]),
    }


def _paired_ratio(runs: list[dict[str, Any]], base: list[dict[str, Any]]) -> float:
    """Median over rounds of CPU per step relative to the first revision's in the same round:
    steadier than the ratio of the medians when the machine's load swings between rounds."""
    return timing.median_of(list(zip(runs, base, strict=True)),
                            lambda rb: rb[0]["cpu_per_step_us"] / rb[1]["cpu_per_step_us"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs="+", help='git revisions, "rtgym" or "."')
    parser.add_argument("--env", choices=timing.ENVS, default="ts")
    parser.add_argument("--caller", choices=("sleep", "busy", "none"), default="sleep")
    parser.add_argument("--time-step-ms", type=float, default=20.0)
    parser.add_argument("--steps", type=int, default=None,
                        help="steps per run (default: as many as timing.py's max-rate search)")
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args(argv)

    dt = args.time_step_ms / 1e3
    steps = args.steps or int(min(8000, max(150, 0.8 / dt)))
    pythons = {"rtgym_nb": timing.our_python()}
    if "rtgym" in args.revisions:
        pythons["rtgym"] = str(timing.ensure_rtgym_venv(lambda m: print(m, file=sys.stderr)))
    with tempfile.TemporaryDirectory(prefix="rtgym_nb-ab-") as tmp:
        paths = {r: _checkout(r, Path(tmp)) for r in args.revisions if r != "rtgym"}
        try:
            def run(revision: str) -> dict[str, Any]:
                package = "rtgym" if revision == "rtgym" else "rtgym_nb"
                return timing.run_case(pythons, package, args.env, dt, steps, args.caller,
                                       pythonpath=paths.get(revision))["stats"]

            results = timing.interleaved(args.revisions, args.repeats, run)
            runs = dict(zip(args.revisions, results, strict=True))
        finally:
            for path in paths.values():
                if path is not None:
                    subprocess.run(["git", "-C", str(timing.REPO), "worktree", "remove",
                                    "--force", path], check=False, capture_output=True)
    print(f"{args.env}, caller {args.caller}, {args.time_step_ms:g} ms, {steps} steps, "
          f"median of {args.repeats} interleaved runs")
    rows = {r: _row(v) for r, v in runs.items()}
    base = runs[args.revisions[0]]
    for revision, row in rows.items():  # the load swings hit both runs of a round alike
        row[f"cpu vs {args.revisions[0][:7]}"] = _paired_ratio(runs[revision], base)
    names = list(next(iter(rows.values())))
    print(f"{'revision':<12}" + "".join(f"{n:>16}" for n in names))
    for revision, row in rows.items():
        print(f"{revision:<12}" + "".join(f"{row[n]:>16.2f}" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
