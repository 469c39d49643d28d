"""Which of issue 6's required figures hold from one full run of the benchmark to the next.

One run of ``benchmarks/timing.py`` decides each required figure once, on a shared 2-core
machine whose load swings from minute to minute: a figure close to its threshold (a ratio of
9.7 against 10, say) can be met in one run and missed in the next. This script lines up the
``checks`` of several runs (their ``timing.json``) so that a reader sees, for every figure,
in how many runs it was met and by what ratio -- rather than the verdict of a single run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/summarize_runs.py benchmarks/results/timing.json \\
        benchmarks/results/repeat/timing.json [--out benchmarks/results/runs.md]

It prints a Markdown table (and writes it with ``--out``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any]:
    report = json.loads(path.read_text())
    if not report.get("checks"):
        raise SystemExit(f"{path}: no required-figure checks (was it a run of both packages?)")
    return report


def _ratio(check: dict[str, Any]) -> str:
    ratio = check["ratio"]
    text = "–" if ratio is None else (f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×")
    return text if check["met"] else f"**{text}**"


def summarize(reports: list[tuple[str, dict[str, Any]]]) -> str:
    """The Markdown table: one row per required figure, one column per run."""
    runs = [name for name, _ in reports]
    keys: list[tuple[str, str]] = []
    table: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for name, report in reports:
        for check in report["checks"]:
            key = (check["requirement"], check["case"])
            if key not in table:
                keys.append(key)
                table[key] = {}
            table[key][name] = check
    lines = [
        "# Required figures across full benchmark runs",
        "",
        "Each column is one full run of `python benchmarks/timing.py`; a cell is the ratio "
        "rtgym / rtgym_nb (higher is better for rtgym_nb), **bold** where the figure was not "
        "met in that run. Made by `benchmarks/summarize_runs.py`.",
        "",
    ]
    for name, report in reports:
        meta = report["meta"]
        met = sum(c["met"] for c in report["checks"])
        lines.append(
            f"- `{name}`: {meta['date']}, commit {meta['commit']}, load before/after "
            f"{meta['load_before']} / {meta['load_after']}: {met} of {len(report['checks'])} met"
        )
    lines += [
        "",
        "| requirement | case | " + " | ".join(f"run {i + 1}" for i in range(len(runs)))
        + " | met in |",
        "|---|---|" + "---|" * len(runs) + "---|",
    ]
    for key in keys:
        cells = [table[key].get(name) for name in runs]
        met = sum(1 for c in cells if c is not None and c["met"])
        seen = sum(1 for c in cells if c is not None)
        lines.append(
            f"| {key[0]} | {key[1]} | "
            + " | ".join("–" if c is None else _ratio(c) for c in cells)
            + f" | {met} of {seen} |"
        )
    always = sum(
        1 for key in keys
        if all(c is not None and c["met"] for c in (table[key].get(n) for n in runs))
    )
    lines += ["", f"Met in every run: {always} of {len(keys)} figures."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="timing.json files of full runs")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    text = summarize([(str(path), load(path)) for path in args.reports])
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
