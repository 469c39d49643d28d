"""Live figures of the drone's world: the arena, a reward curve and an observation-age histogram.

Each figure is a :class:`LiveFigure`: build it once, then call its ``update(...)`` method as
often as you like (it only moves data into existing artists with ``set_data``) and
:meth:`LiveFigure.redraw` when you want the picture refreshed. That split is what lets a
real-time loop record data at full speed while a slower timer does the drawing. Redraws are
blitted: only the moving artists are drawn again, over a kept picture of the rest, so a refresh
of the dashboard's two figures costs about 10 ms instead of well over 100.

The same code runs everywhere:

* under ``%matplotlib widget`` (ipympl) the figure's canvas is an interactive widget, redrawn in
  place (only the changed pixels travel to the browser);
* under any other backend (``inline``, ``Agg`` in plain Python, an exported notebook) the figure
  is rendered to PNG: :attr:`LiveFigure.widget` is then an ``ipywidgets.Image`` that
  :meth:`LiveFigure.redraw` refreshes, and displaying the figure also embeds a static PNG so
  that a notebook exported to HTML still shows it.

The figures are never registered with ``pyplot``: building one displays nothing by itself and
re-running a cell does not pile up pyplot figures. Display them with ``display(fig)`` or put
``fig.widget`` in a widget box.
"""

from __future__ import annotations

import base64
import io
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "AgeHistogram",
    "ArenaPlot",
    "LiveFigure",
    "RewardCurve",
    "drone_summary",
    "ipympl_active",
]

_IPYMPL_BACKENDS = ("widget", "ipympl", "module://ipympl.backend_nbagg")


def ipympl_active() -> bool:
    """True when matplotlib's backend is ipympl (``%matplotlib widget``) and ipympl imports."""
    import matplotlib

    try:
        backend = matplotlib.get_backend(auto_select=False)  # matplotlib >= 3.10
    except TypeError:  # pragma: no cover - older matplotlib
        backend = matplotlib.rcParams["backend"]
    if not isinstance(backend, str) or backend.lower() not in _IPYMPL_BACKENDS:
        return False
    try:
        import ipympl.backend_nbagg  # noqa: F401
    except ImportError:  # pragma: no cover - backend named but package missing
        return False
    return True


class LiveFigure:
    """A matplotlib figure meant to be updated in place, with or without ipympl.

    Updates are cheap because of *blitting*: the static part of the picture (axes, ticks,
    legend) is rendered once and kept; a redraw restores it and draws only the artists that
    move (those registered with :meth:`_animate`). A full render happens only the first time
    and after something static changed (axis limits, a resize).

    Args:
        figsize: Size in inches.
        dpi: Resolution (dots per inch).
        interactive: Use an ipympl canvas. None (default): when ipympl is the active backend.

    Attributes:
        figure: The :class:`matplotlib.figure.Figure`.
        interactive: True when the canvas is an ipympl widget.
        full_draws: How many full renders happened (the rest were blits).
    """

    def __init__(self, figsize: tuple[float, float] = (4.0, 4.0), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        if interactive is None:
            interactive = ipympl_active()
        self._lock = threading.RLock()
        """Held while artists change or the figure renders: updates and draws may come from
        different threads (and ipympl renders on the kernel's main thread when the browser
        asks)."""
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.interactive = bool(interactive)
        if self.interactive:
            from ipympl.backend_nbagg import FigureManager

            canvas = _locked_ipympl_canvas()(self.figure)
            canvas.rtgym_lock = self._lock
            with warnings.catch_warnings():
                # ipympl's toolbar trips a traitlets DeprecationWarning that is none of ours
                warnings.filterwarnings("ignore", "Passing unrecognized arguments",
                                        DeprecationWarning)
                FigureManager(canvas, 0)  # the canvas needs a manager to talk to the browser
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False
            canvas.resizable = False
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(self.figure)
        self.full_draws = 0
        self._dynamic: list = []
        self._background: Any = None
        self._stale = True
        self._image: Any = None  # the ipywidgets.Image of the non-interactive case
        self._display: Any = None  # the handle of the last IPython display, if any
        self.figure.canvas.mpl_connect("draw_event", self._on_full_draw)

    # -- blitting -----------------------------------------------------------------------------

    def _animate(self, *artists: Any) -> None:
        """Register artists that move: they are left out of the kept background."""
        for artist in artists:
            artist.set_animated(True)
            self._dynamic.append(artist)

    def _replace_animated(self, old: Any, new: Any) -> None:
        new.set_animated(True)
        self._dynamic[self._dynamic.index(old)] = new

    def invalidate(self) -> None:
        """Ask for a full render at the next redraw (call after changing something static)."""
        self._stale = True

    def _on_full_draw(self, event: Any) -> None:
        # Any full render (ours, or one the browser asked ipympl for): keep its static picture
        # as the background, then complete it with the moving artists.
        canvas = self.figure.canvas
        if canvas.is_saving():
            return
        with self._lock:
            self.full_draws += 1
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._draw_dynamic()

    def _draw_dynamic(self) -> None:
        # in z-order, as a full render would (sorted() is stable: ties keep their order)
        for artist in sorted(self._dynamic, key=lambda a: a.get_zorder()):
            self.figure.draw_artist(artist)

    def render(self) -> None:
        """Bring the canvas's pixel buffer up to date (blit, or full render when needed)."""
        with self._lock:
            canvas = self.figure.canvas
            if not self._stale and self._background is not None:
                try:
                    canvas.restore_region(self._background)
                    self._draw_dynamic()
                    return
                except Exception:  # the canvas changed size under us: render it all
                    pass
            self._stale = False
            if self.interactive:  # ipympl's draw() also sends the picture; render only
                from matplotlib.backends.backend_agg import FigureCanvasAgg

                FigureCanvasAgg.draw(canvas)
            else:
                canvas.draw()

    # -- displaying ---------------------------------------------------------------------------

    @property
    def widget(self) -> Any:
        """A widget showing the figure: the ipympl canvas, else an ``ipywidgets.Image``."""
        if self.interactive:
            return self.figure.canvas
        with self._lock:
            if self._image is None:
                import ipywidgets

                self._image = ipywidgets.Image(value=self.png(), format="png")
            return self._image

    def redraw(self) -> None:
        """Render what changed and push the picture to wherever it is shown.

        Safe to call from any thread (a drawing timer, typically); it renders on the calling
        thread.
        """
        with self._lock:
            self.render()
            if self.interactive:
                canvas = self.figure.canvas
                if getattr(canvas, "syncing_data_url", False):
                    # No browser view has started yet. Keep the picture it will start from:
                    # ipympl's own sending would store it without the "data:" prefix, which
                    # breaks the view (the figure then never appears).
                    canvas._data_url = "data:image/png;base64," + base64.b64encode(
                        self._encode_png()).decode("ascii")
                else:
                    canvas.blit()  # sends the changed pixels to the browser
            elif self._image is not None:
                self._image.value = self._encode_png()

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        with self._lock:
            self.render()
            return self._encode_png()

    def _encode_png(self) -> bytes:
        from PIL import Image

        buffer = np.asarray(self.figure.canvas.buffer_rgba())
        with io.BytesIO() as out:
            Image.fromarray(buffer).save(out, format="png", compress_level=1)
            return out.getvalue()

    def rgb(self) -> np.ndarray:
        """The figure as an RGB array of shape (height, width, 3)."""
        with self._lock:
            self.render()
            return np.asarray(self.figure.canvas.buffer_rgba())[..., :3].copy()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        # The live widget for frontends that render widgets, a PNG for everything else
        # (exports, viewers without a kernel): what ipympl itself does for its canvases.
        represent = getattr(self.widget, "_repr_mimebundle_", None)  # None once closed
        data = dict(represent(include=include, exclude=exclude) or {}) if represent else {}
        data.setdefault("image/png", base64.b64encode(self.png()).decode("ascii"))
        return data

    def _ipython_display_(self) -> None:
        # As _repr_mimebundle_, but keeping the display's handle for refresh_display().
        from IPython.display import display

        self._display = display(self._repr_mimebundle_(), raw=True, display_id=True)

    def refresh_display(self) -> None:
        """Replace what the notebook stores for this figure's last display with its picture now.

        A notebook saves a widget's state only on request, so an exported notebook (or one
        opened without a kernel) shows the PNG taken when the figure was *displayed*: for a
        figure displayed empty and filled by a later cell (:meth:`PeriodHistograms.follow
        <rtgym_nb.course.viz.timing_plots.PeriodHistograms.follow>`), an empty plot. Call this once
        the updates are over (a live frontend then redraws the widget once). Does nothing
        outside IPython, or before the figure was displayed.
        """
        if self._display is not None:
            self._display.update(self._repr_mimebundle_(), raw=True)

    def close(self) -> None:
        """Close the widget(s); the figure stops being shown."""
        if self.interactive:
            self.figure.canvas.close()
        if self._image is not None:
            self._image.close()
            self._image = None


_LOCKED_CANVAS: Any = None


def _locked_ipympl_canvas() -> type:
    """ipympl's Canvas, rendering under the LiveFigure's lock (built on first use)."""
    global _LOCKED_CANVAS
    if _LOCKED_CANVAS is None:
        from ipympl.backend_nbagg import Canvas

        class LockedCanvas(Canvas):
            rtgym_lock: Any = None

            def draw(self) -> None:
                lock = self.rtgym_lock
                if lock is None:
                    super().draw()
                    return
                with lock:
                    super().draw()

        _LOCKED_CANVAS = LockedCanvas
    return _LOCKED_CANVAS


class ArenaPlot(LiveFigure):
    """The drone's square world seen from above: what is true, what is observed, what travels.

    * a filled dot: where the drone really is (only a simulation can show this);
    * a hollow dot: where the latest received observation says it is;
    * a line: its true trail over the last ticks;
    * a star: the target;
    * small grey dots: observations still on their way back (the positions they carry);
    * arrows from the true position: velocity commands still on their way to the drone.

    Args:
        world_size: Half the side of the world (the drone stays in ``[-w, w]`` on each axis).
        trail_length: Ticks of true trajectory shown by :meth:`update_from_drone`.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`LiveFigure`.
    """

    ARROW_SECONDS = 0.25
    """A command arrow is as long as the distance its velocity covers in this time."""

    def __init__(self, world_size: float = 1.0, trail_length: int = 300, *,
                 title: str = "the arena", figsize: tuple[float, float] = (4.0, 4.0),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.world_size = float(world_size)
        self.trail_length = int(trail_length)
        axes = self.axes = self.figure.add_subplot()
        w = self.world_size
        axes.set(xlim=(-w, w), ylim=(-w, w), aspect="equal", title=title,
                 xlabel="x (m)", ylabel="y (m)")
        axes.grid(alpha=0.3)
        self.trail_line = axes.plot([], [], "-", color="tab:blue", alpha=0.35, lw=1.5,
                                    label="true trail")[0]
        self.in_flight_observations = axes.plot(
            [], [], "o", color="0.35", mec="white", mew=0.6, ms=5, alpha=0.9, zorder=3,
            label="obs. on the wire")[0]
        self.true_dot = axes.plot([], [], "o", color="tab:blue", ms=11, label="true")[0]
        self.observed_dot = axes.plot([], [], "o", mfc="none", mec="tab:orange", mew=2.0,
                                      ms=13, label="observed")[0]
        self.target_star = axes.plot([], [], "*", color="tab:red", ms=16, label="target")[0]
        self.command_arrows = self._quiver(np.zeros((0, 2)), np.zeros(0), np.zeros(0))
        axes.plot([], [], marker=r"$\rightarrow$", ls="none", color="tab:green", ms=12,
                  label="cmd. on the wire")  # legend entry only
        self.text = axes.text(0.02, 0.02, "", transform=axes.transAxes, fontsize=8,
                              va="bottom", ha="left", color="0.25")
        axes.legend(loc="upper right", fontsize=7, framealpha=0.6)
        self.figure.tight_layout(pad=0.4)
        self._animate(self.trail_line, self.in_flight_observations, self.true_dot,
                      self.observed_dot, self.target_star, self.command_arrows, self.text)

    def _quiver(self, offsets: np.ndarray, u: np.ndarray, v: np.ndarray) -> Any:
        return self.axes.quiver(offsets[:, 0], offsets[:, 1], u, v, color="tab:green",
                                angles="xy", scale_units="xy", scale=1.0, width=0.012,
                                zorder=5)

    def update(self, *, true: Sequence[float] | None = None,
               observed: Sequence[float] | None = None,
               target: Sequence[float] | None = None,
               trail: np.ndarray | None = None,
               in_flight: Any = None, text: str | None = None) -> None:
        """Move the artists (nothing is drawn until :meth:`redraw`).

        Arguments left as None are left as they are, except ``in_flight``: None clears the
        messages. ``in_flight`` is a :class:`~rtgym_nb.course.drone.InFlight` (or any object with
        ``commands`` and ``observations`` lists of the drone's in-flight records); the command
        arrows start from the true position.
        """
        with self._lock:
            if true is not None:
                self.true_dot.set_data([true[0]], [true[1]])
            if observed is not None:
                self.observed_dot.set_data([observed[0]], [observed[1]])
            if target is not None:
                self.target_star.set_data([target[0]], [target[1]])
            if trail is not None:
                trail = np.asarray(trail, dtype=float).reshape(-1, 2)
                self.trail_line.set_data(trail[:, 0], trail[:, 1])
            self._set_in_flight(in_flight)
            if text is not None:
                self.text.set_text(text)

    def _set_in_flight(self, in_flight: Any) -> None:
        commands = list(getattr(in_flight, "commands", ()) or ())
        observations = list(getattr(in_flight, "observations", ()) or ())
        self.in_flight_observations.set_data([o.pos_x for o in observations],
                                             [o.pos_y for o in observations])
        xs, ys = self.true_dot.get_data()
        origin = (float(xs[0]), float(ys[0])) if len(xs) else (0.0, 0.0)
        n = len(commands)
        offsets = np.tile(origin, (n, 1)).reshape(n, 2)
        u = np.array([c.vel_x for c in commands], dtype=float) * self.ARROW_SECONDS
        v = np.array([c.vel_y for c in commands], dtype=float) * self.ARROW_SECONDS
        if n != self.command_arrows.N:  # a quiver's number of arrows is fixed: rebuild it
            old = self.command_arrows
            old.remove()
            self.command_arrows = self._quiver(offsets, u, v)
            self._replace_animated(old, self.command_arrows)
        else:
            self.command_arrows.set_offsets(offsets)
            self.command_arrows.set_UVC(u, v)

    def update_from_drone(self, drone: Any, target: Sequence[float] | None = None,
                          text: str | None = None) -> None:
        """Read positions, trail and messages from a :class:`~rtgym_nb.course.drone.DummyRCDrone`.

        ``text`` (e.g. :func:`drone_summary`) is written in the corner; None leaves it as is.
        Text is by far the slowest thing to draw, so live displays keep it out of the figure.
        """
        trail = drone.history(last=self.trail_length).positions
        in_flight = drone.in_flight()
        self.update(true=drone.true_position(), observed=drone.get_observation(),
                    target=target, trail=trail, in_flight=in_flight, text=text)


def drone_summary(drone: Any) -> str:
    """Two lines: a drone's messages in flight, and the age of the observation it holds."""
    in_flight = drone.in_flight()
    age = drone.observation_age()
    age_text = "none received yet" if not np.isfinite(age) else f"{age * 1e3:.0f} ms"
    return (f"on the wire: {len(in_flight.commands)} command(s), "
            f"{len(in_flight.observations)} observation(s)\nobservation age: {age_text}")


def _nice_ceiling(value: float, steps: Sequence[float] = (0.05, 0.1, 0.2, 0.25, 0.5)) -> float:
    """The smallest of ``steps`` times a power of ten that is >= ``value`` (value > 0)."""
    scale = 10.0 ** np.floor(np.log10(value / steps[-1])) if value > steps[-1] else 1.0
    while True:
        for step in steps:
            if step * scale >= value:
                return float(step * scale)
        scale *= 10.0


class RewardCurve(LiveFigure):
    """Reward per time-step of the current episode, over the previous episode's (faded).

    The axis limits only change in coarse steps (growing when a curve leaves them), so most
    redraws are cheap blits.

    Args:
        ep_max_length: Initial x range (time-steps); it grows if an episode runs longer.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`LiveFigure`.
    """

    def __init__(self, ep_max_length: int = 100, *, title: str = "reward per time-step",
                 figsize: tuple[float, float] = (5.0, 2.6), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.ep_max_length = int(ep_max_length)
        axes = self.axes = self.figure.add_subplot()
        axes.set(xlim=(0, self.ep_max_length), ylim=(-0.5, 0.02), xlabel="time-step",
                 ylabel="reward")
        axes.grid(alpha=0.3)
        self.previous_line = axes.plot([], [], "-", color="0.6", lw=1.2,
                                       label="previous episode")[0]
        self.current_line = axes.plot([], [], "-", color="tab:purple", lw=1.8,
                                      label="current episode")[0]
        axes.set_title(title)
        axes.legend(loc="lower right", fontsize=7, framealpha=0.6)
        self.figure.tight_layout(pad=0.4)
        self._animate(self.previous_line, self.current_line)

    def reset(self) -> None:
        """Clear both curves and go back to the initial limits."""
        with self._lock:
            self.current_line.set_data([], [])
            self.previous_line.set_data([], [])
            self.axes.set(xlim=(0, self.ep_max_length), ylim=(-0.5, 0.02))
            self.invalidate()

    def update(self, rewards: Sequence[float], previous: Sequence[float] | None = None,
               title: str | None = None) -> None:
        """Show ``rewards`` (and ``previous``, if given); widen the axes if they do not fit."""
        with self._lock:
            current = np.asarray(rewards, dtype=float)
            self.current_line.set_data(np.arange(len(current)), current)
            if previous is not None:
                old = np.asarray(previous, dtype=float)
                self.previous_line.set_data(np.arange(len(old)), old)
            old = np.asarray(self.previous_line.get_ydata(), dtype=float)
            both = np.concatenate((current, old))
            both = both[np.isfinite(both)]
            length = max(len(current), len(old))
            if length > self.axes.get_xlim()[1]:
                self.axes.set_xlim(0, _nice_ceiling(length * 1.2, (1, 2, 5)))
                self.invalidate()
            low, high = self.axes.get_ylim()
            if both.size and float(both.min()) < low:
                self.axes.set_ylim(-_nice_ceiling(-float(both.min()) * 1.05), high)
                self.invalidate()
            if title is not None and title != self.axes.get_title():
                self.axes.set_title(title)  # static: costs one full render per change
                self.invalidate()


class AgeHistogram(LiveFigure):
    """Histogram of observation ages (how old the held observation is when it is read).

    Args:
        bins: Bin edges in seconds (default: 0 to 100 ms in 2 ms bins).
        bounds: ``(lowest, highest)`` possible age in seconds, drawn as dashed lines (for the
            tutorial's drone: ``communication_delay_min`` and ``communication_delay_max +
            control_sleep``). None: no lines.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`LiveFigure`.
    """

    def __init__(self, bins: Sequence[float] | None = None,
                 bounds: tuple[float, float] | None = None, *,
                 title: str = "observation age", figsize: tuple[float, float] = (4.5, 2.6),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.bins = np.asarray(bins if bins is not None else np.linspace(0.0, 0.1, 51))
        axes = self.axes = self.figure.add_subplot()
        self.steps = axes.stairs(np.zeros(len(self.bins) - 1), self.bins * 1e3, fill=True,
                                 color="tab:orange", alpha=0.8)
        axes.set(xlim=(self.bins[0] * 1e3, self.bins[-1] * 1e3), ylim=(0, 0.1), title=title,
                 xlabel="age (ms)", ylabel="fraction of reads")
        axes.grid(alpha=0.3, axis="y")
        self.bound_lines = [axes.axvline(0, ls="--", color="0.3", lw=1, visible=False)
                            for _ in range(2)]
        self.text = axes.text(0.98, 0.95, "", transform=axes.transAxes, fontsize=8,
                              ha="right", va="top", color="0.25")
        self.figure.tight_layout(pad=0.4)
        self._animate(self.steps, self.text, *self.bound_lines)
        if bounds is not None:
            self.set_bounds(*bounds)

    def set_range(self, longest: float, bins: int = 50) -> None:
        """Make the x axis cover ages up to at least ``longest`` seconds (coarsely rounded up).

        The counts are cleared: call :meth:`update` again.
        """
        with self._lock:
            top = _nice_ceiling(max(float(longest), 1e-3) * 1.2)
            self.bins = np.linspace(0.0, top, bins + 1)
            self.steps.set_data(np.zeros(bins), self.bins * 1e3)
            self.axes.set_xlim(0.0, top * 1e3)
            self.invalidate()

    def set_bounds(self, lowest: float, highest: float) -> None:
        """Draw the lowest and highest possible ages (seconds) as dashed lines."""
        with self._lock:
            for line, value in zip(self.bound_lines, (lowest, highest), strict=True):
                line.set_xdata([value * 1e3, value * 1e3])
                line.set_visible(True)

    def update(self, ages: Sequence[float]) -> None:
        """Show the distribution of ``ages`` (seconds; infinite ages are left out)."""
        with self._lock:
            values = np.asarray(ages, dtype=float)
            values = values[np.isfinite(values)]
            counts, _ = np.histogram(values, bins=self.bins)
            fractions = counts / max(len(values), 1)
            self.steps.set_data(fractions)
            top = _nice_ceiling(max(float(fractions.max(initial=0.0)) * 1.1, 0.05))
            if top != self.axes.get_ylim()[1]:
                self.axes.set_ylim(0, top)
                self.invalidate()
            if len(values):
                self.text.set_text(f"{len(values)} reads\nmean {values.mean() * 1e3:.1f} ms\n"
                                   f"max {values.max() * 1e3:.1f} ms")
            else:
                self.text.set_text("no reads yet")
