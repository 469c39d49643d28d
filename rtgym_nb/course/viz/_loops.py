"""What every widget that runs a real-time loop shares: its threads, and one live loop per kernel.

The rules, learnt the hard way in Jupyter:

* **The loop runs in a background thread.** Widget callbacks (sliders, buttons) only record new
  values; the loop reads them between time-steps. A loop run inside a button callback would
  freeze every other widget (and in Voila nothing would update at all).
* **Drawing has its own thread,** at a modest rate (``plot_hz``). The loop only appends numbers
  to lists; it never waits for matplotlib.
* **Workers never print.** Output from a background thread lands in whatever notebook cell
  happens to be active, so errors are shown in the widget itself.
* **Stop really stops.** ``stop()`` returns once the loop has ended and both threads are joined.
* **One live loop per kernel.** Building a new widget (for instance by re-running its cell)
  stops the loops of the previous ones, and starting a loop stops any other; loops never stack
  up.

:func:`live_threads` lists what is still running, which is how notebooks and tests check that
nothing was left behind.
"""

from __future__ import annotations

import base64
import threading
import time
import weakref
from typing import Any

from rtgym_nb._runners import live_threads

__all__ = ["LoopHost", "live_threads", "stop_all"]

_LIVE: weakref.WeakSet = weakref.WeakSet()
"""Every loop-running widget built in this process: the "one live loop per kernel" registry."""
_LIVE_LOCK = threading.Lock()


def stop_all(*, besides: Any = None) -> None:
    """Stop the loop of every panel and pad (except ``besides``)."""
    with _LIVE_LOCK:
        owners = [owner for owner in _LIVE if owner is not besides]
    for owner in owners:
        owner.stop()


class LoopHost:
    """A loop thread, a drawing thread, the "one live loop per kernel" rule, and ``close()``.

    Mixed into an ``ipywidgets`` box. Subclasses provide ``stop()`` and name the figures they
    own in :attr:`_figures` (closed with the widget).
    """

    _loop_thread_name = "rtgym_nb-loop"
    _draw_thread_name = "rtgym_nb-draw"
    _figures: tuple[str, ...] = ()
    """Attribute names of the :class:`~.live_figure.LiveFigure` objects the widget owns."""

    def stop(self) -> None:  # pragma: no cover - every host defines it
        raise NotImplementedError

    def _register(self) -> None:
        stop_all()  # a new panel or pad (e.g. a re-run cell) ends every other loop
        with _LIVE_LOCK:
            _LIVE.add(self)

    def _start_threads(self, loop: Any, draw: Any, *args: Any) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=loop, args=args, name=self._loop_thread_name, daemon=True),
            threading.Thread(target=draw, args=args, name=self._draw_thread_name, daemon=True),
        ]
        for thread in threads:
            thread.start()
        return threads

    @staticmethod
    def _join(threads: list[threading.Thread], timeout: float) -> bool:
        """Join ``threads`` (skipping the calling one); True if none is left alive."""
        deadline = time.monotonic() + timeout
        current = threading.current_thread()
        for thread in threads:
            if thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads if t is not current)

    def close(self) -> None:
        """Stop, then close every widget and figure (the widget disappears from the page)."""
        self.stop()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        for name in self._figures:  # (tolerates a half-built widget)
            figure = getattr(self, name, None)
            if figure is not None:
                figure.close()
        for child in list(getattr(self, "children", ())):
            _close_tree(child)
        super().close()  # type: ignore[misc]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        # The widget for live frontends, plus a picture of the arena for everything else
        # (an exported notebook, a viewer without a kernel).
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        arena = getattr(self, "arena", None)
        if data is not None and arena is not None:
            data = dict(data)
            data["image/png"] = base64.b64encode(arena.png()).decode("ascii")
        return data


def wrapping() -> Any:
    """Controls and figures side by side, the figures going below on a narrow screen (a laptop
    with JupyterLab's file browser open) instead of being clipped. A new Layout each time: a
    layout is a widget, closed with its owner."""
    import ipywidgets

    return ipywidgets.Layout(flex_flow="row wrap")


def classed(widget: Any, *classes: str) -> Any:
    """``widget`` with the CSS classes added (the browser tests find widgets by them)."""
    for name in classes:
        widget.add_class(name)
    return widget


def _close_tree(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
