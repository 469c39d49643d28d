"""``python -m rtgym_nb bench``: how precisely does this machine keep real time?

It runs a trivial interface (a 1-D action, an observation carrying its capture time) on real
time, for a few hundred time-steps, and prints the distribution of what matters:

* **control period**: the interval between two consecutive ``send_control`` calls (nominally one
  time-step); its error is ``|interval - time_step|``;
* **capture period**: the same for ``get_obs_rew_terminated_info`` calls;
* **control latency**: from an observation's capture to the next ``send_control``, i.e. how long
  the environment itself takes to turn "the time-step ended" into "the next action is out";
* **timeouts**: time-steps whose period exceeded ``time_step * (1 + timeout_factor)`` or that
  broke the elastic constraint.

Every figure comes from timestamps taken inside the interface (``time.perf_counter()`` on entry
of each call), not from the environment's own trace, so the same numbers can be computed for any
implementation; the side-by-side benchmark against rtgym 0.16 (``./dev bench``) uses the
functions here. With ``--plot out.png`` it also saves histograms of both periods (needs
matplotlib, which is imported only then). With ``--cpu N`` the run, the environments' threads
included, stays on CPU N: the persistent-thread variant hands every step over between two
threads, which on a virtual machine costs far less when both share a core
(``docs/performance.md``, "One core").

With ``--simulated`` it measures something else: steps per second on the simulated clock, the
environments against a hand-written loop of the same work (:mod:`rtgym_nb.cli.sim_speed`).

Examples::

    python -m rtgym_nb bench --time-step 0.005 --steps 2000 --plot timing.png
    python -m rtgym_nb bench --simulated
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from rtgym_nb.cli._stamps import CALLERS, ENV_IDS, stamp_interface, step_as

__all__ = [
    "METRICS",
    "format_table",
    "main",
    "on_cpus",
    "period_range",
    "plot_periods",
    "run",
    "summarize",
    "summarize_segments",
]

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0))

METRICS: tuple[tuple[str, str], ...] = (
    ("control_period_error", "control period error"),
    ("capture_period_error", "capture period error"),
    ("latency", "control latency"),
)
"""The distributions :func:`summarize` reports (key, label), each in microseconds."""


def _distribution(values: np.ndarray) -> dict[str, float | None]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {name: None for name, _ in QUANTILES} | {"max": None, "mean": None}
    out: dict[str, float | None] = {
        name: float(np.percentile(values, q)) for name, q in QUANTILES
    }
    out["max"] = float(values.max())
    out["mean"] = float(values.mean())
    return out


def summarize(
    send: Sequence[float],
    capture: Sequence[float],
    time_step: float,
    timeout_factor: float = 1.0,
    flagged: Sequence[int] = (),
    warmup: int = 0,
) -> dict[str, Any]:
    """Statistics of one run, from the interface's own timestamps.

    Args:
        send: Times (s) at which ``send_control`` was entered, in order (``reset()``'s first).
        capture: Times (s) at which ``get_obs_rew_terminated_info`` was entered; capture ``k``
            ends the time-step opened by send ``k``.
        time_step: Nominal time-step duration (s).
        timeout_factor: The environment's elasticity, in time-steps.
        flagged: Indices of sends that the environment reported as timed out (warnings).
        warmup: Leading time-steps left out of the distributions (timeouts count them all).

    Returns:
        ``{metric: {"p50", "p90", "p99", "max", "mean"}}`` in microseconds for each of
        :data:`METRICS`, plus ``timeouts`` (time-steps whose control period exceeded
        ``time_step * (1 + timeout_factor)``, or flagged), ``timeout_fraction`` and ``steps``.
    """
    return summarize_segments([(send, capture, flagged)], time_step, timeout_factor, warmup)


def summarize_segments(
    segments: Sequence[tuple[Sequence[float], Sequence[float], Sequence[int]]],
    time_step: float,
    timeout_factor: float = 1.0,
    warmup: int = 0,
) -> dict[str, Any]:
    """:func:`summarize` for a case measured as several separate runs, pooled.

    Each segment is one run's ``(send, capture, flagged)``; intervals are only taken within
    a run (never from the end of one to the start of the next) and each run's first
    ``warmup`` time-steps are left out. The side-by-side benchmark splits each case into short
    runs taking turns with the other package's, so that a slow swing of the machine's load
    falls on both packages alike.
    """
    pooled: dict[str, list[np.ndarray]] = {"control": [], "capture": [], "latency": []}
    steps = timeouts = 0
    for send, capture, flagged in segments:
        send_a = np.asarray(send, dtype=float)
        capture_a = np.asarray(capture, dtype=float)
        n = min(capture_a.size, send_a.size - 1)
        control = np.diff(send_a)
        pooled["latency"].append(((send_a[1 : n + 1] - capture_a[:n]) * 1e6)[warmup:])
        pooled["control"].append((np.abs(control - time_step) * 1e6)[warmup:])
        pooled["capture"].append((np.abs(np.diff(capture_a) - time_step) * 1e6)[warmup:])
        late = control > time_step * (1.0 + timeout_factor)  # late[i]: send i + 1
        timed_out = np.zeros(max(send_a.size, 1), dtype=bool)
        timed_out[1:][late] = True
        for index in flagged:
            if 0 <= index < timed_out.size:
                timed_out[index] = True
        steps += max(send_a.size - 1, 0)
        timeouts += int(timed_out[1:].sum())

    def pool(key: str) -> np.ndarray:
        return np.concatenate(pooled[key]) if pooled[key] else np.empty(0)

    return {
        "time_step_us": time_step * 1e6,
        "steps": steps,
        "control_period_error": _distribution(pool("control")),
        "capture_period_error": _distribution(pool("capture")),
        "latency": _distribution(pool("latency")),
        "timeouts": timeouts,
        "timeout_fraction": timeouts / steps if steps else 0.0,
    }


# -- measuring rtgym_nb --------------------------------------------------------------------


def run(
    env: str = "v1",
    time_step: float = 0.01,
    steps: int = 500,
    caller: str = "sleep",
    timeout_factor: float = 1.0,
    warmup: int | None = None,
    clock: Any = "wall",
) -> dict[str, Any]:
    """Run ``steps`` time-steps of the trivial interface on real time and summarize them.

    Args:
        env: ``"v1"`` (``real-time-gym-v1``) or ``"ts"`` (``real-time-gym-ts-v1``).
        time_step: Time-step duration (s); observations are captured at the end of each.
        steps: Number of ``step()`` calls.
        caller: What the caller does between steps: ``"sleep"`` (half a time-step),
            ``"busy"`` (pure-Python work for half a time-step) or ``"none"``.
        timeout_factor: The elasticity (time-steps).
        warmup: Leading time-steps left out of the distributions (default: 2 %, at least 2).
        clock: The ``"clock"`` entry of the configuration (a :class:`~rtgym_nb.WallClock`
            with other settings, say).

    Returns:
        :func:`summarize`'s dictionary, plus ``env``, ``caller``, ``steps_per_s``,
        ``cpu_per_step_us`` (process CPU time per step, the caller's own work excluded) and the
        raw stamps (``send``, ``capture``, in seconds).
    """
    import gymnasium

    import rtgym_nb  # registers the ids
    from rtgym_nb.config import make_config
    from rtgym_nb.interface import RealTimeGymInterface

    env_id = ENV_IDS[env]
    interface, send, capture = stamp_interface(RealTimeGymInterface)
    config = make_config(
        interface,
        time_step_duration=time_step,
        start_obs_capture=time_step,
        time_step_timeout_factor=timeout_factor,
        act_buf_len=1,
        clock=clock,
    )
    if warmup is None:
        warmup = max(2, steps // 50)
    with gymnasium.make(env_id, config=config, disable_env_checker=True) as made:
        inner = made.unwrapped
        inner.warn_on_timeout = False  # counted from the trace below instead
        made.reset()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        inference_cpu = step_as(caller, made, steps, time_step)
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        # what the stepped time-steps produced: the ts worker may capture the last one, still
        # open, on its own before the env is closed
        send, capture = send[: steps + 1], capture[:steps]
        trace = inner.trace.arrays()
        flagged = [int(i) for i in trace["step"][trace["timed_out"]]]
        version = rtgym_nb.__version__
    result = summarize(send, capture, time_step, timeout_factor, flagged, warmup)
    result.update(
        package="rtgym_nb",
        version=version,
        env=env,
        caller=caller,
        steps_per_s=steps / wall if wall > 0 else None,
        cpu_per_step_us=(cpu - inference_cpu) / steps * 1e6 if steps else None,
        send=list(send),
        capture=list(capture),
    )
    return result


# -- presenting ------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """A plain-text table: one column per result, one row per statistic (microseconds)."""
    header = ["(us)"] + [f"{r.get('package', 'rtgym_nb')} {r['env']}" for r in results]
    rows: list[list[str]] = []
    for key, label in METRICS:
        for stat in ("p50", "p90", "p99", "max"):
            rows.append([f"{label} {stat}"] + [_fmt(r[key][stat]) for r in results])
    rows.append(["timeouts"] + [f"{r['timeouts']} / {r['steps']}" for r in results])
    if all("cpu_per_step_us" in r for r in results):
        rows.append(["CPU per step"] + [_fmt(r["cpu_per_step_us"]) for r in results])
    if all("steps_per_s" in r for r in results):
        rows.append(["steps/s"] + [_fmt(r["steps_per_s"], 0) for r in results])
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for n, row in enumerate(table):
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def period_range(periods_ms: np.ndarray, time_step_ms: float) -> tuple[float, float]:
    """A histogram range (ms) covering the 0.5-99.5 percentiles of ``periods_ms``, padded."""
    periods_ms = periods_ms[np.isfinite(periods_ms)]
    if periods_ms.size == 0:
        return 0.0, 2 * time_step_ms
    low, high = np.percentile(periods_ms, [0.5, 99.5])
    span = max(high - low, time_step_ms * 0.02, 0.004)
    return max(low - 0.15 * span, 0.0), high + 0.15 * span


def plot_periods(
    panels: Sequence[dict[str, Any]],
    path: str,
    title: str | None = None,
    columns: int | None = None,
) -> None:
    """Save histograms of control and capture periods to ``path`` (PNG), one panel per entry.

    Each panel is a dict with ``title``, ``time_step`` (s) and ``series``: a list of
    ``(label, send_stamps, capture_stamps)`` (a NaN stamp separates two runs: the periods
    next to it are left out), and optionally ``range``: the ``(low, high)``
    period range in ms (panels to compare side by side should share it; by default it covers
    the panel's own 0.5-99.5 percentiles). Each series draws two histograms of its periods in
    milliseconds (control filled, capture outlined), on a log count axis so the tails show;
    periods outside the range land in the edge bins.
    """
    from matplotlib.figure import Figure  # a bare Figure: pyplot's backend is left alone

    n = len(panels)
    columns = columns or min(n, 2)
    rows = -(-n // columns)
    figure = Figure(figsize=(5.2 * columns, 3.4 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for ax, panel in zip(axes.flat, panels, strict=False):
        dt_ms = panel["time_step"] * 1e3
        series = [
            (label, np.diff(np.asarray(s, float)) * 1e3, np.diff(np.asarray(c, float)) * 1e3)
            for label, s, c in panel["series"]
        ]
        values = np.concatenate([np.concatenate((a, b)) for _, a, b in series] or [[]])
        values = values[np.isfinite(values)]
        if "range" in panel:
            bins = np.linspace(*panel["range"], 80)
        elif values.size:
            bins = np.linspace(*period_range(values, dt_ms), 80)
        else:
            bins = 80
        for (label, control, capture), color in zip(series, colors, strict=False):
            control, capture = control[np.isfinite(control)], capture[np.isfinite(capture)]
            if values.size:  # outliers land in the edge bins rather than off the axis
                control = np.clip(control, bins[0], bins[-1])
                capture = np.clip(capture, bins[0], bins[-1])
            ax.hist(control, bins=bins, color=color, alpha=0.45, label=f"{label} control")
            ax.hist(capture, bins=bins, color=color, histtype="step", linewidth=1.3,
                    label=f"{label} capture")
        ax.axvline(dt_ms, color="black", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
        ax.set_xlabel("period (ms)")
        ax.set_ylabel("time-steps")
        ax.set_title(panel["title"], fontsize="medium")
        ax.legend(fontsize="x-small")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    figure.savefig(path, dpi=110)


# -- command line ----------------------------------------------------------------------------


@contextlib.contextmanager
def on_cpus(cpus: set[int] | None) -> Iterator[None]:
    """Run the calling thread on ``cpus`` only inside the block (no change if None).

    Threads started inside the block inherit it (an environment's worker, say), so a whole
    measurement runs there; the calling thread gets its own CPUs back on leaving (Linux).
    """
    if cpus is None:
        yield
        return
    restore = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, restore)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rtgym_nb bench``: measure and print this machine's real-time precision."""
    parser = argparse.ArgumentParser(
        prog="python -m rtgym_nb bench",
        description="Measure how precisely rtgym_nb keeps real time on this machine: control "
        "and capture period errors, control latency and timeouts, from timestamps taken "
        "inside a trivial interface.",
    )
    parser.add_argument("--time-step", type=float, default=0.01, metavar="S",
                        help="time-step duration in seconds (default 0.01)")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="time-steps per environment (default 500; 60,000 with "
                        "--simulated)")
    parser.add_argument("--simulated", action="store_true",
                        help="measure steps/s on the simulated clock instead: the tutorial's "
                        "task in a hand-written loop and through both environment ids, "
                        "interleaved")
    parser.add_argument("--env", choices=("v1", "ts", "both"), default="both",
                        help="real-time-gym-v1, real-time-gym-ts-v1 or both (default)")
    parser.add_argument("--caller", choices=CALLERS, default="sleep",
                        help="between steps, the caller sleeps half a time-step (default), "
                        "computes in pure Python for half a time-step, or does nothing")
    parser.add_argument("--timeout-factor", type=float, default=1.0, metavar="F",
                        help="elasticity in time-steps (default 1)")
    parser.add_argument("--plot", metavar="OUT.png",
                        help="also save histograms of the periods (needs matplotlib)")
    parser.add_argument("--cpu", type=int, metavar="N",
                        help="run on CPU N only, the environments' threads included (Linux; "
                        "on a virtual machine this can speed the ts variant's thread "
                        "hand-offs up several-fold)")
    args = parser.parse_args(argv)
    if args.simulated:
        from rtgym_nb.cli.sim_speed import format_report, measure

        steps = 60_000 if args.steps is None else args.steps
        if steps < 30:
            parser.error(f"--steps must be >= 30 with --simulated, got {steps}")
        print(format_report(measure(steps, rounds=30)))
        return 0
    if args.steps is None:
        args.steps = 500
    if not args.time_step > 0:
        parser.error(f"--time-step must be > 0, got {args.time_step}")
    if args.steps < 2:
        parser.error(f"--steps must be >= 2, got {args.steps}")
    if not args.timeout_factor > 0:
        parser.error(f"--timeout-factor must be > 0, got {args.timeout_factor}")

    if args.cpu is not None:
        if not hasattr(os, "sched_setaffinity"):
            parser.error("--cpu needs os.sched_setaffinity (Linux)")
        allowed = os.sched_getaffinity(0)
        if args.cpu not in allowed:
            parser.error(f"--cpu {args.cpu}: this process may only run on CPUs "
                         f"{sorted(allowed)}")

    envs = ("v1", "ts") if args.env == "both" else (args.env,)
    print(f"rtgym_nb bench: {args.steps} time-steps of {args.time_step * 1e3:g} ms per env, "
          f"caller: {args.caller}; {sys.platform}, Python {sys.version.split()[0]}"
          + ("" if args.cpu is None else f"; on CPU {args.cpu} only"))
    with on_cpus(None if args.cpu is None else {args.cpu}):
        results = [run(env, args.time_step, args.steps, args.caller, args.timeout_factor)
                   for env in envs]
    print(format_table(results))
    if args.plot:
        panel = {
            "title": f"{args.time_step * 1e3:g} ms time-steps, caller: {args.caller}",
            "time_step": args.time_step,
            "series": [(f"rtgym_nb {r['env']}", r["send"], r["capture"]) for r in results],
        }
        plot_periods([panel], args.plot, columns=1)
        print(f"histograms saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
