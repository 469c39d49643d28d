"""The report: Markdown tables of a run, and the one headline table the README shows.

Everything here is a pure function of the report dictionary the command line writes to
``timing.json`` (:func:`rtgym_bench.cli.main`), so a saved run can be rendered again.
"""

from __future__ import annotations

from typing import Any

from .cases import CALLER_LABELS, PACKAGES

__all__ = ["case_line", "fmt", "headline_table", "markdown", "times"]

NAMES = {"rtgym": "rtgym 0.16", "rtgym_nb": "rtgym_nb"}
ENV_IDS = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}


def fmt(value: float | None, digits: int = 1) -> str:
    """A figure for a table: thousands separated, ``–`` when missing, ``∞`` when infinite."""
    if value is None:
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:,.{digits}f}"


def times(value: float | None) -> str:
    """A ratio for a table: ``41×``, ``2.1×``, ``1,522×``, ``0.016×``."""
    if value is None:
        return "–"
    if value == float("inf"):
        return "∞"
    if value >= 100:
        return f"{value:,.0f}×"
    if value < 0.1:
        return f"{value:.2g}×"
    return f"{value:.1f}×" if value < 10 else f"{value:.0f}×"


def case_line(case: dict[str, Any]) -> str:
    """One line of progress for a finished case (both packages' headline figures)."""
    parts = [f"{case['time_step_ms']:>5g} ms {case['env']:<2} {case['caller']:<10}"]
    for package in PACKAGES:
        s = case.get(package)
        if s is not None:
            parts.append(
                f"{package}: lat {s['latency']['p50']:7.1f} ctl "
                f"{s['control_period_error']['p50']:6.1f}/{s['control_period_error']['p99']:7.1f}"
                f" cap {s['capture_period_error']['p50']:6.1f} to {s['timeouts']:4d}"
                f" cpu {s['cpu_per_step_us']:6.1f}")
    return " | ".join(parts)


def _find(report: dict[str, Any], time_step_ms: float, env: str,
          caller: str = "sleep") -> dict[str, Any] | None:
    for case in report["cases"]:
        if (case["time_step_ms"], case["env"], case["caller"]) == (time_step_ms, env, caller):
            return case
    return None


def _pair(theirs: float | None, ours: float | None, digits: int = 1, unit: str = "") -> str:
    """``104 → 1.4 µs (75×)``: rtgym 0.16's figure, rtgym_nb's, and how many times lower."""
    ratio = None if theirs is None or ours is None or ours <= 0 else theirs / ours
    text = f"{fmt(theirs, digits)} → {fmt(ours, digits)}{unit}"
    return text if ratio is None else f"{text} ({times(ratio)})"


def _steps_per_s(rate: float) -> str:
    return f"{rate / 1e3:.1f}k" if rate >= 1e3 else f"{rate:.0f}"


def _rate(best: dict[str, Any] | None, longest_ms: float) -> str:
    """The measured rate of the shortest time-step sustained; if none of the candidates was,
    less than the longest candidate's rate."""
    if best is None:
        return f"< {_steps_per_s(1e3 / longest_ms)}"
    return _steps_per_s(best["steps_per_s"])


def headline_table(report: dict[str, Any], time_steps_ms: tuple[float, ...] = (20.0, 1.0)
                   ) -> str:
    """The README's table: rtgym 0.16 → rtgym_nb, one column per env id, medians.

    Rows: control latency and control-period error (sleeping caller) at each of
    ``time_steps_ms`` that was run, CPU per step at 20 ms (the repeated measurement's medians
    when it was made), and the highest rate. A row whose figures were not measured is left out.
    """
    lines = ["| rtgym 0.16 → rtgym_nb, medians (×: how many times lower) "
             "| `real-time-gym-v1` | `real-time-gym-ts-v1` |", "|---|---|---|"]
    for dt_ms in time_steps_ms:
        found = {env: _find(report, dt_ms, env) for env in ("v1", "ts")}
        if not all(case and "rtgym" in case and "rtgym_nb" in case for case in found.values()):
            continue
        for key, label in (("latency", "control latency"),
                           ("control_period_error", "control-period error")):
            cells = [_pair(found[env]["rtgym"][key]["p50"], found[env]["rtgym_nb"][key]["p50"],
                           unit=" µs") for env in ("v1", "ts")]
            lines.append(f"| {label}, {dt_ms:g} ms time-steps | " + " | ".join(cells) + " |")
    cpu = ((report.get("cpu_repeats") or {}).get("callers") or {}).get("sleep")
    if cpu and all(f"{p} {e}" in cpu for p in PACKAGES for e in ("v1", "ts")):
        cells = [_pair(cpu[f"rtgym {env}"]["median"], cpu[f"rtgym_nb {env}"]["median"], 0,
                       " µs") for env in ("v1", "ts")]
        lines.append("| CPU per step, 20 ms time-steps | " + " | ".join(cells) + " |")
    max_rate = report.get("max_rate") or {}
    best = max_rate.get("best") or {}
    if all(f"{p} {e}" in best for p in PACKAGES for e in ("v1", "ts")):
        longest = max(max_rate["candidates_ms"])
        cells = [f"{_rate(best[f'rtgym {env}'], longest)} → "
                 f"{_rate(best[f'rtgym_nb {env}'], longest)} steps/s" for env in ("v1", "ts")]
        lines.append("| highest rate with < 1 % timeouts | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cases_table(report: dict[str, Any], caller: str) -> list[str]:
    lines = [
        "| time-step | env | latency p50 rtgym | rtgym_nb | ratio "
        "| ctl-period err p50 rtgym | rtgym_nb | ratio | ctl-period err p99 rtgym | rtgym_nb "
        "| capture err p50 rtgym | rtgym_nb | timeouts rtgym | rtgym_nb "
        "| CPU/step rtgym | rtgym_nb | steps/s rtgym | rtgym_nb |",
        "|" + "---|" * 18,
    ]
    for case in report["cases"]:
        if case["caller"] != caller:
            continue
        a, b = case.get("rtgym"), case.get("rtgym_nb")
        r = case.get("ratios", {})

        def get(s, key, stat="p50"):
            return None if s is None else s[key][stat] if stat else s[key]

        def count(s):
            return "–" if s is None else f"{s['timeouts']}/{s['steps']}"

        lines.append(
            f"| {case['time_step_ms']:g} ms | {case['env']} "
            f"| {fmt(get(a, 'latency'))} | {fmt(get(b, 'latency'))} "
            f"| {times(r.get('latency_p50'))} "
            f"| {fmt(get(a, 'control_period_error'))} | {fmt(get(b, 'control_period_error'))} "
            f"| {times(r.get('control_period_error_p50'))} "
            f"| {fmt(get(a, 'control_period_error', 'p99'))} "
            f"| {fmt(get(b, 'control_period_error', 'p99'))} "
            f"| {fmt(get(a, 'capture_period_error'))} | {fmt(get(b, 'capture_period_error'))} "
            f"| {count(a)} | {count(b)} "
            f"| {fmt(get(a, 'cpu_per_step_us', None), 0)} "
            f"| {fmt(get(b, 'cpu_per_step_us', None), 0)} "
            f"| {fmt(get(a, 'steps_per_s', None), 0)} | {fmt(get(b, 'steps_per_s', None), 0)} |"
        )
    return lines


def _distributions(report: dict[str, Any]) -> list[str]:
    lines = ["## Distributions (µs): p50 / p90 / p99 / max", ""]
    for key, label in (("latency", "control latency"),
                       ("control_period_error", "control-period error"),
                       ("capture_period_error", "capture-period error")):
        lines += [f"### {label}", "",
                  "| caller | time-step | env | rtgym 0.16 | rtgym_nb |", "|---|---|---|---|---|"]
        for case in report["cases"]:
            cells = ["–" if (s := case.get(p)) is None else
                     " / ".join(fmt(s[key][q]) for q in ("p50", "p90", "p99", "max"))
                     for p in PACKAGES]
            lines.append(f"| {case['caller']} | {case['time_step_ms']:g} ms | {case['env']} | "
                         + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _cpu(cpu: dict[str, Any]) -> list[str]:
    lines = [f"## CPU per step at {cpu['time_step_ms']:g} ms: median of {cpu['repeats']} "
             f"interleaved runs of {cpu['steps']} steps", "",
             "µs per step, median [min – max] over the runs; the variants took turns.", ""]
    keys = list(dict.fromkeys(k for medians in cpu["callers"].values() for k in medians))
    lines += ["| caller | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for caller, medians in cpu["callers"].items():
        cells = [f"{fmt(m['median'], 0)} [{fmt(m['min'], 0)} – {fmt(m['max'], 0)}]"
                 if (m := medians.get(k)) else "–" for k in keys]
        lines.append(f"| {caller} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _max_rate(mr: dict[str, Any]) -> list[str]:
    lines = ["## Highest rate with < 1 % timeouts (caller does nothing but step)", "",
             "| package | env | time-step | nominal rate | measured steps/s | timeouts "
             "| CPU/step (µs) |", "|---|---|---|---|---|---|---|"]
    for key, best in mr["best"].items():
        package, env = key.split()
        if best is None:
            lines.append(f"| {package} | {env} | none of the candidates | | | | |")
            continue
        lines.append(f"| {package} | {env} | {best['time_step_ms']:g} ms "
                     f"| {1e3 / best['time_step_ms']:,.0f} /s | {best['steps_per_s']:,.0f} "
                     f"| {best['timeouts']}/{best['steps']} "
                     f"| {fmt(best['cpu_per_step_us'], 0)} |")
    return [*lines, "",
            "Candidates (ms): " + ", ".join(f"{c:g}" for c in mr["candidates_ms"])
            + "; a candidate with >= 1 % timeouts is run once more, and a variant stops at the "
            "first candidate that fails twice (every trial is in timing.json).", ""]


def markdown(report: dict[str, Any]) -> str:
    """Every table of a run, as Markdown (``timing.md``)."""
    meta = report["meta"]
    versions = meta.get("versions", {})
    lines = [
        "# Timing: rtgym_nb against rtgym 0.16",
        "",
        f"Run {meta['date']}, Python {meta['python']}, rtgym {versions.get('rtgym', '–')}, "
        f"rtgym_nb {versions.get('rtgym_nb', '–')}, {meta['cpus']} CPUs, load average "
        f"before {meta['load_before']}, after {meta['load_after']}. "
        f"Command: `{meta['command']}`.",
        "",
        "Every figure comes from timestamps taken inside the same trivial interface for both "
        "packages. Latency: capture → next `send_control`; period errors: "
        "`|interval − time-step|`; all in µs. Ratio = rtgym / rtgym_nb (higher: rtgym_nb is "
        "lower). CPU: process CPU time per step, every thread, the caller's own inference "
        "excluded. Other processes share the machine: compare the packages within one run.",
        "",
        "## Headline",
        "",
        headline_table(report),
        "",
    ]
    for caller in report["callers"]:
        lines += [f"## {CALLER_LABELS.get(caller, caller)}", "", *_cases_table(report, caller),
                  ""]
    if report["cases"]:
        lines += _distributions(report)
    if (report.get("cpu_repeats") or {}).get("callers"):
        lines += _cpu(report["cpu_repeats"])
    if report.get("max_rate"):
        lines += _max_rate(report["max_rate"])
    return "\n".join(lines).rstrip() + "\n"
