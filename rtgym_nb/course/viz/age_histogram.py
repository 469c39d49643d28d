"""Histogram of observation ages (how old the held observation is when read), as a live figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rtgym_nb.course.viz.live_figure import LiveFigure, nice_ceiling

__all__ = ["AgeHistogram"]


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
            top = nice_ceiling(max(float(longest), 1e-3) * 1.2)
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
            top = nice_ceiling(max(float(fractions.max(initial=0.0)) * 1.1, 0.05))
            if top != self.axes.get_ylim()[1]:
                self.axes.set_ylim(0, top)
                self.invalidate()
            if len(values):
                self.text.set_text(f"{len(values)} reads\nmean {values.mean() * 1e3:.1f} ms\n"
                                   f"max {values.max() * 1e3:.1f} ms")
            else:
                self.text.set_text("no reads yet")
