"""The base of every figure of the course: a matplotlib figure updated in place, ipympl or not.

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

:func:`use_widget_backend` is what every notebook's first code cell calls: ipympl where it
works, a quiet fall-back to static pictures where it does not.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["LiveFigure", "ipympl_active", "mime_bundle", "nice_ceiling", "use_widget_backend"]

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


STATIC_FIGURES_ENV = "RTGYM_NB_STATIC_FIGURES"
"""Set to ``"1"``, :func:`use_widget_backend` draws static pictures (see there)."""


def use_widget_backend() -> str:
    """Select ``%matplotlib widget`` (ipympl) in a notebook kernel, else fall back to ``inline``.

    Call it in a notebook's first code cell. The figures of :mod:`rtgym_nb.course.viz` work
    with either backend: interactive widgets with ipympl, static pictures without (which is
    also what an exported notebook shows). Outside an IPython kernel (plain Python, a script)
    it changes nothing.

    With the environment variable ``RTGYM_NB_STATIC_FIGURES=1`` (set by the course site's build
    and by ``scripts/store_outputs.py``) it selects ``inline`` without a word: those runs keep
    pictures, not live widgets.

    Returns:
        ``"widget"``, ``"inline"``, or matplotlib's current backend when not in a kernel.
    """
    import matplotlib

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every notebook
        return str(matplotlib.get_backend())
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return str(matplotlib.get_backend())
    if os.environ.get(STATIC_FIGURES_ENV) == "1":
        shell.run_line_magic("matplotlib", "inline")
        return "inline"
    if importlib.util.find_spec("ipympl") is not None:
        try:
            shell.run_line_magic("matplotlib", "widget")
            return "widget"
        except Exception:  # ipympl installed but not working: fall back below
            pass
    shell.run_line_magic("matplotlib", "inline")
    print("ipympl is not available here: figures are drawn as static pictures.")
    return "inline"


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
        return mime_bundle(self.widget, self, include, exclude)

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


def mime_bundle(widget: Any, figure: LiveFigure, include: Any = None,
                exclude: Any = None) -> dict:
    """What a notebook stores for ``widget`` showing ``figure``: the live widget for frontends
    that render widgets, the figure's PNG for everything else (exports, viewers without a
    kernel), as ipympl itself does for its canvases."""
    represent = getattr(widget, "_repr_mimebundle_", None)  # None once closed
    data = dict(represent(include=include, exclude=exclude) or {}) if represent else {}
    data.setdefault("image/png", base64.b64encode(figure.png()).decode("ascii"))
    return data


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


def nice_ceiling(value: float, steps: Sequence[float] = (0.05, 0.1, 0.2, 0.25, 0.5)) -> float:
    """The smallest of ``steps`` times a power of ten that is >= ``value`` (value > 0)."""
    scale = 10.0 ** np.floor(np.log10(value / steps[-1])) if value > steps[-1] else 1.0
    while True:
        for step in steps:
            if step * scale >= value:
                return float(step * scale)
        scale *= 10.0


