"""Figures of an environment's timing, drawn from its recorded trace (notebook 04).

Every figure reads the arrays of :meth:`rtgym_nb._timing.TimingTrace.arrays` (one entry per
time-step, every event's timestamp), so what you see is what happened, not a model of it:

* :class:`PeriodHistograms`: distributions of the *control* period (between two
  ``send_control`` calls) and the *capture* period (between two observation captures), like the
  rtgym README's Windows and Linux figures; live while a run fills the trace.
* :class:`ElasticityPlot` and :class:`ElasticExplorer`: the duration and lateness of every
  time-step, with the elasticity limit and the timeouts, and a slider that reruns the
  simulated clock for another inference time.
* :class:`TimelinePlot`: a few time-steps of one run laid out in time, lane by lane (inference,
  waiting inside ``step()``, ``send_control``, capture): the measured counterpart of the
  diagram that explains rtgym's framework.

All are :class:`~rtgym_nb.course.viz.live_figure.LiveFigure` objects (through :class:`Figure`):
interactive
under ``%matplotlib widget`` (ipympl), a PNG everywhere else (``inline``, plain Python, exported
notebooks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from rtgym_nb.course.viz.live_figure import LiveFigure, mime_bundle

__all__ = [
    "ElasticExplorer",
    "ElasticityPlot",
    "Figure",
    "PeriodHistograms",
    "TimelinePlot",
    "elasticity",
    "periods",
]

CONTROL_COLOR = "tab:blue"
CAPTURE_COLOR = "tab:orange"
LATE_COLOR = "tab:olive"
TIMEOUT_COLOR = "tab:red"


class Figure(LiveFigure):
    """A :class:`~rtgym_nb.course.viz.live_figure.LiveFigure` whose artists may all change.

    Laid out with matplotlib's constrained layout; :meth:`changed` asks for a full render at
    the next redraw (the figures here change bars, limits and titles, not just a few moving
    artists).
    """

    def __init__(self, figsize: tuple[float, float], dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.figure.set_layout_engine("constrained")

    def changed(self) -> None:
        """Call after changing artists: the next redraw renders everything."""
        invalidate = getattr(super(), "invalidate", None)
        if invalidate is not None:
            invalidate()

    def redraw(self) -> None:
        """Push the picture to where it is shown (see :class:`~.live_figure.LiveFigure`).

        An ipympl canvas that no browser has shown yet is left alone: a picture pushed before
        the browser's first handshake leaves ipympl's initial image broken (a blank figure),
        while the first display renders the figure in full anyway.
        """
        if self.interactive and getattr(self.figure.canvas, "syncing_data_url", False):
            self.changed()
            return
        super().redraw()


# ----------------------------------------------------------------------------- numbers


def periods(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Control and capture periods (s) from a trace, as in the rtgym README's figures.

    ``"control"``: the time between two consecutive ``send_control`` calls;
    ``"capture"``: between two consecutive observation captures. Intervals that end at a
    time-step opened by ``reset()`` are left out (they span the pause between episodes), as
    are intervals with a missing timestamp (a time-step still open).
    """
    keep = ~arrays["from_reset"][1:]
    out = {}
    for name, field in (("control", "send_start"), ("capture", "capture_start")):
        values = np.diff(arrays[field])[keep]
        out[name] = values[np.isfinite(values)]
    return out


def elasticity(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-time-step quantities that show the elastic constraint at work.

    Returns:
        ``"step"`` (row numbers), ``"duration"`` (s from the previous ``send_control`` to this
        one; NaN for the first), ``"lateness"`` (s from the previous time-step's nominal end to
        this ``send_control``: 0 when on time; a timeout when it reaches the elasticity) and
        ``"timed_out"`` (booleans). Rows opened by ``reset()`` are included.
    """
    send = arrays["send_start"]
    nan = np.array([np.nan])
    return {
        "step": arrays["step"],
        "duration": np.diff(send, prepend=nan),
        "lateness": arrays["send_end"] - np.concatenate((nan, arrays["nominal_end"][:-1])),
        "timed_out": arrays["timed_out"].copy(),
    }


def _summary(values: np.ndarray, nominal: float) -> str:
    if not len(values):
        return "no data yet"
    deviation = values - nominal
    return (f"{len(values)} periods\nmean {values.mean() * 1e3:.3f} ms\n"
            f"std {values.std() * 1e6:.0f} µs\n"
            f"worst {deviation[np.argmax(np.abs(deviation))] * 1e6:+.0f} µs")


# ----------------------------------------------------------------------------- histograms


class PeriodHistograms(Figure):
    """Histograms of the control and capture periods, with the nominal time-step marked.

    The bins are fixed (``nominal ± span`` around the time-step), so the figure can be updated
    while a run goes on; periods outside the range are counted in the edge bins, and the text
    box gives the exact mean, standard deviation and worst deviation.

    Args:
        time_step: The nominal time-step (s).
        span: Half-width of the histogram's range (s); default 10% of the time-step.
        bins: Number of bins.
        title: Figure title.
        interactive: Use an ipympl canvas. False by default: the figure is shown as an image
            widget, which a cell that is busy (running :meth:`follow`) can update. An ipympl
            canvas must first complete a handshake with the browser, which a busy kernel only
            answers when the cell ends: displayed just before a blocking cell (as under "Run
            All"), it would stay blank until the run is over.
        figsize, dpi: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, time_step: float, *, span: float | None = None, bins: int = 41,
                 title: str | None = None, figsize: tuple[float, float] = (8.0, 3.0),
                 dpi: float = 80, interactive: bool | None = False) -> None:
        super().__init__(figsize, dpi, interactive)
        self.time_step = float(time_step)
        self.span = float(span) if span is not None else 0.1 * self.time_step
        self.edges = np.linspace(self.time_step - self.span, self.time_step + self.span,
                                 bins + 1)
        self.axes = self.figure.subplots(1, 2, sharey=True)
        self.patches = {}
        self.texts = {}
        for axes, name, color in zip(self.axes, ("control", "capture"),
                                     (CONTROL_COLOR, CAPTURE_COLOR), strict=True):
            self.patches[name] = axes.stairs(np.zeros(bins), self.edges * 1e3, fill=True,
                                             color=color, alpha=0.8)
            axes.axvline(self.time_step * 1e3, color="0.2", ls="--", lw=1)
            axes.set(xlim=(self.edges[0] * 1e3, self.edges[-1] * 1e3), ylim=(0, 1.05),
                     xlabel=f"{name} period (ms)", title=name)
            axes.grid(alpha=0.3)
            self.texts[name] = axes.text(0.02, 0.95, "", transform=axes.transAxes, va="top",
                                         fontsize=8, color="0.2")
        self.axes[0].set_ylabel("fraction of time-steps")
        self.figure.suptitle(title or f"time-step periods (nominal {self.time_step * 1e3:g} ms)")
        self.counts: dict[str, np.ndarray] = {}

    def update(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Show the periods of a trace (nothing is drawn until :meth:`redraw`); return them."""
        values = periods(arrays)
        with self._lock:
            top = 0.05
            for name, patch in self.patches.items():
                clipped = np.clip(values[name], self.edges[0], self.edges[-1])
                counts, _ = np.histogram(clipped, bins=self.edges)
                fractions = counts / max(len(clipped), 1)
                self.counts[name] = counts
                patch.set_data(fractions)
                top = max(top, float(fractions.max(initial=0.0)))
                self.texts[name].set_text(_summary(values[name], self.time_step))
            self.axes[0].set_ylim(0, top * 1.1)
        self.changed()
        return values

    def follow(self, run: Any, every: float = 0.25) -> dict[str, np.ndarray]:
        """Redraw from ``run.arrays()`` every ``every`` seconds while ``run.running``.

        ``run`` is a started :class:`~rtgym_nb.course.lessons.timing.BackgroundRun` (anything with
        ``running`` and ``arrays()``). Returns the final periods. At the end the notebook's
        stored picture of the figure is replaced by the final one (:meth:`refresh_display`).
        """
        while run.running:
            self.update(run.arrays())
            self.redraw()
            time.sleep(every)
        values = self.update(run.arrays())
        self.redraw()
        self.refresh_display()
        return values


# ----------------------------------------------------------------------------- elasticity


class ElasticityPlot(Figure):
    """Each time-step's duration (top) and lateness (bottom) under the elastic constraint.

    Top: the time between consecutive ``send_control`` calls. A late step (longer than the
    nominal time-step) is olive; the short step that follows is the elastic clock catching up.
    Bottom: how late each ``send_control`` came after the previous nominal end, with the
    elasticity limit (``timeout_factor`` time-steps) dashed; a red cross is a timeout, after
    which the clock restarts from the current time.

    Args:
        time_step: Nominal time-step (s).
        timeout_factor: Elasticity, in time-steps.
        steps: Number of time-steps shown (x range).
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, time_step: float = 0.05, timeout_factor: float = 1.0, *,
                 steps: int = 80, figsize: tuple[float, float] = (8.0, 4.2), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.time_step = float(time_step)
        self.timeout_factor = float(timeout_factor)
        top, bottom = self.axes = self.figure.subplots(2, 1, sharex=True)
        x = np.arange(1, steps + 1)
        self.bars = top.bar(x, np.zeros(steps), width=0.8, color=CONTROL_COLOR)
        self.nominal_line = top.axhline(self.time_step * 1e3, color="0.2", ls="--", lw=1,
                                        label="nominal")
        top.set(ylabel="duration (ms)", xlim=(0.3, steps + 0.7))
        top.grid(alpha=0.3, axis="y")
        self.lateness_line = bottom.plot([], [], "-", color="0.35", lw=1.2,
                                         drawstyle="steps-mid")[0]
        self.timeout_marks = bottom.plot([], [], "x", color=TIMEOUT_COLOR, ms=9, mew=2.5,
                                         label="timeout")[0]
        self.limit_line = bottom.axhline(0, color=TIMEOUT_COLOR, ls="--", lw=1,
                                         label="elasticity")
        bottom.set(xlabel="time-step", ylabel="lateness (ms)")
        bottom.grid(alpha=0.3)
        bottom.legend(loc="upper left", fontsize=8)
        self.title = top.set_title("")

    def update(self, arrays: dict[str, np.ndarray], timeout_factor: float | None = None,
               label: str = "") -> dict[str, np.ndarray]:
        """Show a trace (its first row, opened by ``reset()``, is skipped); return the numbers."""
        if timeout_factor is not None:
            self.timeout_factor = float(timeout_factor)
        numbers = elasticity(arrays)
        duration = numbers["duration"][1:] * 1e3
        lateness = numbers["lateness"][1:] * 1e3
        timed_out = numbers["timed_out"][1:]
        n = min(len(duration), len(self.bars))
        limit = self.timeout_factor * self.time_step * 1e3
        x = np.arange(1, n + 1)
        with self._lock:
            for i, bar in enumerate(self.bars):
                if i < n:
                    late = duration[i] > self.time_step * 1e3 * (1 + 1e-9)
                    bar.set_height(duration[i])
                    bar.set_color(TIMEOUT_COLOR if timed_out[i]
                                  else LATE_COLOR if late else CONTROL_COLOR)
                else:
                    bar.set_height(0.0)
            self.lateness_line.set_data(x, lateness[:n])
            self.timeout_marks.set_data(x[timed_out[:n]], lateness[:n][timed_out[:n]])
            self.limit_line.set_ydata([limit, limit])
            top, bottom = self.axes
            top.set_ylim(0, max(2.2 * self.time_step * 1e3, float(np.nanmax(duration, initial=0))
                                * 1.1))
            bottom.set_ylim(-0.05 * limit, max(1.3 * limit, float(np.nanmax(lateness[:n],
                                                                          initial=0)) * 1.1))
            count = int(timed_out[:n].sum())
            self.title.set_text(f"{label}{count} timeout{'s' if count != 1 else ''} "
                                f"in {n} time-steps")
        self.changed()
        return numbers


def _move_sliders(ms_slider: Any, seconds: float | None, slider: Any,
                  value: float | None) -> None:
    """Move an explorer's two sliders together (the first shows milliseconds, ``seconds`` is in
    seconds); None leaves a slider where it is."""
    with ms_slider.hold_trait_notifications(), slider.hold_trait_notifications():
        if seconds is not None:
            ms_slider.value = seconds * 1e3
        if value is not None:
            slider.value = value


class ElasticExplorer:
    """Sliders for inference time and elasticity, over an :class:`ElasticityPlot`.

    Each change reruns ``run(inference_time, timeout_factor)`` (by default
    :func:`rtgym_nb.course.lessons.timing.elastic_run`, on the simulated clock: a few
    milliseconds) and
    redraws. Display :attr:`widget`; drive it from code with :meth:`set`.

    Args:
        inference_time: Initial mean inference time (s).
        timeout_factor: Initial elasticity (time-steps).
        time_step: Nominal time-step (s).
        steps: Time-steps per run.
        run: ``arrays = run(inference_time, timeout_factor)``; None for ``elastic_run``.
        interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, inference_time: float = 0.03, timeout_factor: float = 1.0, *,
                 time_step: float = 0.05, steps: int = 80,
                 run: Callable[[float, float], dict[str, np.ndarray]] | None = None,
                 interactive: bool | None = None) -> None:
        import ipywidgets as widgets

        if run is None:
            from rtgym_nb.course.lessons.timing import elastic_run

            def run(inference: float, factor: float) -> dict[str, np.ndarray]:
                return elastic_run(inference, steps=steps, time_step=time_step,
                                   timeout_factor=factor)

        self._run = run
        self.time_step = time_step
        self.plot = ElasticityPlot(time_step, timeout_factor, steps=steps,
                                   interactive=interactive)
        style = {"description_width": "initial"}
        layout = widgets.Layout(width="420px")
        self.inference_slider = widgets.FloatSlider(
            value=inference_time * 1e3, min=0.0, max=2.5 * time_step * 1e3,
            step=time_step * 1e3 / 20, description="mean inference time (ms)",
            continuous_update=False, style=style, layout=layout, readout_format=".1f")
        self.factor_slider = widgets.FloatSlider(
            value=timeout_factor, min=0.25, max=3.0, step=0.25,
            description="elasticity (time-steps)", continuous_update=False, style=style,
            layout=layout)
        self.arrays: dict[str, np.ndarray] = {}
        for slider in (self.inference_slider, self.factor_slider):
            slider.observe(self._changed, names="value")
        self.widget = widgets.VBox([self.inference_slider, self.factor_slider, self.plot.widget])
        self._refresh()

    @property
    def timeouts(self) -> int:
        """Timeouts in the run shown."""
        return int(self.arrays["timed_out"].sum()) if self.arrays else 0

    def set(self, inference_time: float | None = None,
            timeout_factor: float | None = None) -> int:
        """Move the sliders (seconds, time-steps); return the new run's timeout count."""
        _move_sliders(self.inference_slider, inference_time, self.factor_slider, timeout_factor)
        self._refresh()
        return self.timeouts

    def _changed(self, change: dict) -> None:
        self._refresh()

    def _refresh(self) -> None:
        inference = self.inference_slider.value / 1e3
        factor = self.factor_slider.value
        self.arrays = self._run(inference, factor)
        self.plot.update(self.arrays, factor,
                         label=f"inference ≈ {inference * 1e3:.1f} ms, elasticity "
                               f"{factor:g}: ")
        self.plot.redraw()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        return mime_bundle(self.widget, self.plot, include, exclude)


# ----------------------------------------------------------------------------- timeline

_LANES = ("capture", "send_control", "inside step()", "inference")


class TimelinePlot(Figure):
    """A few consecutive time-steps of a trace, event by event, lane by lane.

    From the top: the agent's inference (between an env call returning and the next one being
    made), its time inside ``step()``/``reset()`` (mostly waiting for the time-step to end),
    the ``send_control`` calls and the observation captures. Vertical lines mark the nominal
    start of each time-step (solid; red when it timed out) and its nominal capture time
    (dotted). Times are in milliseconds from the first time-step shown.

    Args:
        arrays: A trace's arrays.
        first: Index (into the arrays) of the first time-step shown; default: the last
            ``count`` complete ones.
        count: Number of time-steps shown.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, arrays: dict[str, np.ndarray], first: int | None = None, count: int = 5,
                 *, title: str = "one run, as recorded", figsize: tuple[float, float] = (9.0, 3.2),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.axes = self.figure.add_subplot()
        self.axes.set_title(title)
        self.draw_trace(arrays, first, count)

    def draw_trace(self, arrays: dict[str, np.ndarray], first: int | None = None,
                   count: int = 5) -> None:
        """(Re)draw the timeline for ``arrays``."""
        n = len(arrays["step"])
        complete = np.flatnonzero(np.isfinite(arrays["capture_start"]) &
                                  np.isfinite(arrays["returned"]))
        if first is None:
            last = int(complete[-1]) if len(complete) else n - 1
            first = max(1, last - count + 1)
        stop = min(first + count, n)
        rows = np.arange(first, stop)
        a = {k: np.asarray(v) for k, v in arrays.items()}
        origin = a["nominal_start"][first]
        ms = lambda t: (np.asarray(t) - origin) * 1e3  # noqa: E731
        axes = self.axes
        with self._lock:
            for artist in list(axes.lines) + list(axes.collections) + list(axes.texts):
                artist.remove()
            y = {name: i for i, name in enumerate(_LANES)}
            height = 0.6
            for i in rows:
                # inference: previous return -> this call
                t0, t1 = a["returned"][i - 1], a["call"][i]
                if np.isfinite(t0) and np.isfinite(t1) and t1 > t0:
                    axes.broken_barh([(ms(t0), ms(t1) - ms(t0))], (y["inference"] - height / 2,
                                     height), color="tab:green", alpha=0.8)
                # inside the env call: call -> joined (waiting), joined -> returned
                t0, t1, t2 = a["call"][i], a["joined"][i], a["returned"][i]
                if np.isfinite(t0) and np.isfinite(t1):
                    axes.broken_barh([(ms(t0), max(ms(t1) - ms(t0), 0.05))],
                                     (y["inside step()"] - height / 2, height),
                                     color="0.75")
                if np.isfinite(t1) and np.isfinite(t2):
                    axes.broken_barh([(ms(t1), max(ms(t2) - ms(t1), 0.05))],
                                     (y["inside step()"] - height / 2, height),
                                     color="0.45")
                for lane, (start, end), color in (
                        ("send_control", ("send_start", "send_end"), CONTROL_COLOR),
                        ("capture", ("capture_start", "capture_end"), CAPTURE_COLOR)):
                    t0, t1 = a[start][i], a[end][i]
                    if np.isfinite(t0):
                        axes.plot([ms(t0)], [y[lane]], "|", color=color, ms=18, mew=2.5)
                        axes.broken_barh([(ms(t0), max(ms(t1) - ms(t0), 0.0))],
                                         (y[lane] - height / 2, height), color=color)
                nominal = a["nominal_start"][i]
                axes.axvline(ms(nominal), color=TIMEOUT_COLOR if a["timed_out"][i] else "0.3",
                             lw=1.2)
                axes.axvline(ms(a["nominal_obs"][i]), color=CAPTURE_COLOR, lw=1, ls=":")
                axes.text(ms(nominal) + 0.5, len(_LANES) - 0.45, f"step {a['step'][i]}",
                          fontsize=8, color="0.3", va="bottom")
            end = a["nominal_end"][rows[-1]] if len(rows) else origin
            axes.axvline(ms(end), color="0.3", lw=1.2)
            axes.set_yticks(range(len(_LANES)), _LANES)
            axes.set_ylim(-0.7, len(_LANES) - 0.1)
            axes.set_xlim(-0.05 * ms(end), ms(end) * 1.02)
            axes.set_xlabel("time (ms) from the nominal start of the first time-step shown")
            axes.grid(alpha=0.25, axis="x")
        self.changed()


class CaptureExplorer:
    """Sliders for the interface's capture time and the capture start, over a :class:`TimelinePlot`.

    Each change reruns ``run(capture_time, start_obs_capture)`` on the simulated clock (by
    default :func:`~rtgym_nb.course.lessons.timing.timed_run` with a 10 ms policy and 50 ms
    time-steps) and redraws four time-steps; the readout gives the delay from the start of a
    capture to the action computed from it, how late actions leave, and the timeouts.

    Args:
        capture_time: Initial capture duration (s).
        start_fraction: Initial capture start, as a fraction of the time-step.
        time_step: The time-step (s).
        run: ``timed = run(capture_time, start_obs_capture)``; None for the default.
        interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, capture_time: float = 0.02, start_fraction: float = 1.0, *,
                 time_step: float = 0.05, run: Callable[[float, float], Any] | None = None,
                 interactive: bool | None = None) -> None:
        import ipywidgets as widgets

        if run is None:
            from rtgym_nb.course.lessons.timing import timed_run

            def run(capture: float, start: float) -> Any:
                return timed_run(0.01, jitter=0.0, steps=12, time_step=time_step,
                                 capture_time=capture, start_obs_capture=start)

        self._run = run
        self.time_step = time_step
        style, layout = {"description_width": "initial"}, widgets.Layout(width="420px")
        self.capture_slider = widgets.FloatSlider(
            value=capture_time * 1e3, min=0.0, max=2 * time_step * 1e3, step=5.0,
            description="capture time (ms)", continuous_update=False, readout_format=".0f",
            style=style, layout=layout)
        self.start_slider = widgets.FloatSlider(
            value=start_fraction, min=0.0, max=1.0, step=0.05,
            description="capture starts at (× time-step)", continuous_update=False,
            readout_format=".2f", style=style, layout=layout)
        self.readout = widgets.HTML()
        self.plot = TimelinePlot(run(capture_time, start_fraction * time_step).arrays, count=4,
                                 title="four time-steps", interactive=interactive)
        for slider in (self.capture_slider, self.start_slider):
            slider.observe(lambda change: self._refresh(), names="value")
        self.widget = widgets.VBox([self.capture_slider, self.start_slider, self.readout,
                                    self.plot.widget])
        self.numbers: dict[str, float] = {}
        self._refresh()

    def set(self, capture_time: float | None = None,
            start_fraction: float | None = None) -> dict[str, float]:
        """Move the sliders (seconds, fraction of the time-step); return the readout's numbers."""
        _move_sliders(self.capture_slider, capture_time, self.start_slider, start_fraction)
        self._refresh()
        return self.numbers

    def _refresh(self) -> None:
        capture = self.capture_slider.value / 1e3
        start = self.start_slider.value * self.time_step
        result = self._run(capture, start)
        self.numbers = capture_delays(result.arrays)
        self.numbers["timeouts"] = result.timeouts
        n = self.numbers
        self.readout.value = (
            f"capture → its action sent: <b>{n['delay'] * 1e3:.0f} ms</b> "
            f"(a time-step is {self.time_step * 1e3:.0f} ms); actions leave "
            f"<b>{n['late'] * 1e3:.0f} ms</b> late on average; <b>{result.timeouts}</b> "
            "timeouts")
        self.plot.draw_trace(result.arrays, count=4)
        self.plot.redraw()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        return mime_bundle(self.widget, self.plot, include, exclude)


def capture_delays(arrays: dict[str, np.ndarray]) -> dict[str, float]:
    """How a trace's captures turn into actions, averaged over its time-steps (seconds).

    ``"delay"``: from the start of a capture (the moment the observation describes) to the
    ``send_control`` of the action computed from it, two time-steps later in the trace (the
    observation captured in time-step k is returned by the call that opens k + 1, and answered
    by the call that opens k + 2). ``"late"``: how long after its nominal start each
    ``send_control`` began.
    """
    delay = arrays["send_start"][2:] - arrays["capture_start"][:-2]
    late = (arrays["send_start"] - arrays["nominal_start"])[1:]
    return {"delay": float(np.nanmean(delay)), "late": max(0.0, float(np.nanmean(late)))}
