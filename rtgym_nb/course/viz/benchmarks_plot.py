"""``env.benchmarks()`` explained: each entry drawn on one time-step, and "could it go faster?".

rtgym's benchmarks are six running averages. :class:`BenchmarkTimeline` draws what each one
measures on one real time-step of a trace, as an interval from one event to another, with that
time-step's raw value next to the running (Polyak) average the environment reports.
:class:`GoFasterExplorer` makes the reference README's reading interactive: a large
``join_duration`` means the agent waits for the time-step to end, so the time-step could be
shorter; shorten it until the wait is gone and timeouts start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rtgym_nb.course.viz.live_figure import mime_bundle
from rtgym_nb.course.viz.timing_plots import CAPTURE_COLOR, CONTROL_COLOR, Figure

__all__ = ["BENCHMARK_INTERVALS", "BenchmarkTimeline", "GoFasterExplorer"]

BENCHMARK_INTERVALS: dict[str, tuple[str, int, str, str]] = {
    "time_step_duration": ("send_start", -1, "send_start", "one send_control to the next"),
    "inference_duration": ("returned", -1, "call", "the agent, between two env calls"),
    "step_duration": ("call", 0, "returned", "inside step(), call to return"),
    "join_duration": ("call", 0, "joined", "inside step(), waiting for the time-step's end"),
    "send_control_duration": ("send_start", 0, "send_end", "the interface's send_control"),
    "get_obs_duration": ("capture_start", 0, "capture_end",
                         "the interface's get_obs_rew_terminated_info"),
}
"""For each benchmark: the trace event it starts from, in the previous (-1) or the same (0)
time-step, the event it ends at (same time-step), and what it measures."""

_COLORS = {"time_step_duration": "0.35", "inference_duration": "tab:green",
           "step_duration": "0.6", "join_duration": "0.75",
           "send_control_duration": CONTROL_COLOR, "get_obs_duration": CAPTURE_COLOR}


class BenchmarkTimeline(Figure):
    """The six benchmark entries as intervals on one time-step of a trace.

    Args:
        arrays: A trace's arrays (:meth:`~rtgym_nb._timing.TimingTrace.arrays`).
        benchmarks: ``env.benchmarks()`` of the same run (the running averages).
        row: The time-step (index into the arrays) drawn; default: the last complete one.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, arrays: dict[str, np.ndarray] | None = None,
                 benchmarks: dict | None = None, row: int | None = None, *,
                 title: str = "one time-step, and what each benchmark measures",
                 figsize: tuple[float, float] = (10.0, 3.6), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.axes = self.figure.add_subplot()
        self.title = title
        self.values: dict[str, float] = {}
        if arrays is not None:
            self.draw_run(arrays, benchmarks or {}, row)

    def draw_run(self, arrays: dict[str, np.ndarray], benchmarks: dict,
                 row: int | None = None) -> dict[str, float]:
        """(Re)draw for a trace; return the raw value (s) of each entry in the row drawn."""
        a = {k: np.asarray(v) for k, v in arrays.items()}
        if row is None:
            complete = np.flatnonzero(np.isfinite(a["capture_end"]) & np.isfinite(a["returned"]))
            row = int(complete[-1]) if len(complete) else len(a["step"]) - 1
        row = max(1, row)
        origin = a["send_start"][row - 1]
        axes = self.axes
        self.values = {}
        with self._lock:
            axes.clear()
            names = list(BENCHMARK_INTERVALS)
            for y, name in enumerate(reversed(names)):
                start, shift, end, _ = BENCHMARK_INTERVALS[name]
                t0, t1 = a[start][row + shift], a[end][row]
                raw = float(t1 - t0) if np.isfinite(t0) and np.isfinite(t1) else float("nan")
                self.values[name] = raw
                if np.isfinite(raw):
                    axes.broken_barh([((t0 - origin) * 1e3, max(raw * 1e3, 0.15))],
                                     (y - 0.3, 0.6), color=_COLORS[name])
                average, deviation = benchmarks.get(name, (None, 0.0))
                polyak = ("–" if average is None
                          else f"{average * 1e3:.2f} ± {deviation * 1e3:.2f}")
                axes.text(1.01, y, f"{raw * 1e3:6.2f}   {polyak}", va="center", fontsize=9,
                          family="monospace", transform=axes.get_yaxis_transform())
            axes.text(1.01, len(names) - 0.4, "this step  Polyak avg (ms)",
                      transform=axes.get_yaxis_transform(), fontsize=8, color="0.3")
            labels = [f"{n}\n{BENCHMARK_INTERVALS[n][3]}" for n in reversed(names)]
            axes.set_yticks(range(len(names)), labels, fontsize=8)
            for event in ("nominal_start", "nominal_end"):
                axes.axvline((a[event][row] - origin) * 1e3, color="0.2", lw=1, ls="--")
            axes.set_xlabel(f"time (ms) from the previous send_control (time-step {row} "
                            "between the dashed lines)")
            axes.set_title(self.title)
            axes.grid(alpha=0.25, axis="x")
            axes.set_ylim(-0.6, len(names) - 0.1)
        self.changed()
        return self.values


class GoFasterExplorer:
    """A time-step slider over a :class:`BenchmarkTimeline`: could this agent control faster?

    Each change reruns ``run(time_step)`` on the simulated clock (by default the tutorial's
    task with a policy of 14 ms ± 50 %, the reference README's example) and shows the new
    time-step, with the average ``join_duration`` and the timeouts in a readout.

    Args:
        time_step: Initial time-step (s).
        inference_time: Mean modelled inference time (s).
        run: ``timed = run(time_step)`` returning a
            :class:`~rtgym_nb.course.lessons.timing.TimedRun`; None for the default.
        interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, time_step: float = 0.05, inference_time: float = 0.014, *,
                 run: Callable[[float], Any] | None = None,
                 interactive: bool | None = None) -> None:
        import ipywidgets as widgets

        if run is None:
            from rtgym_nb.course.lessons.timing import timed_run

            def run(dt: float) -> Any:
                return timed_run(inference_time, time_step=dt)

        self._run = run
        self.plot = BenchmarkTimeline(interactive=interactive)
        self.slider = widgets.FloatSlider(
            value=time_step * 1e3, min=5.0, max=60.0, step=1.0, description="time-step (ms)",
            continuous_update=False, readout_format=".0f",
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.readout = widgets.HTML()
        self.slider.observe(lambda change: self._refresh(), names="value")
        self.widget = widgets.VBox([self.slider, self.readout, self.plot.widget])
        self.result: Any = None
        self._refresh()

    def set(self, time_step: float) -> Any:
        """Move the slider (seconds); return the new run."""
        self.slider.value = time_step * 1e3
        return self.result

    def _refresh(self) -> None:
        dt = self.slider.value / 1e3
        self.result = result = self._run(dt)
        join = result.benchmarks["join_duration"][0]
        steps = len(result.arrays["step"]) - 1
        self.readout.value = (
            f"time-step {dt * 1e3:.0f} ms: step() waits <b>{join * 1e3:.1f} ms</b> on average "
            f"for the time-step to end (join_duration); <b>{result.timeouts}</b> timeouts in "
            f"{steps} time-steps")
        self.plot.draw_run(result.arrays, result.benchmarks)
        self.plot.redraw()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        return mime_bundle(self.widget, self.plot, include, exclude)
