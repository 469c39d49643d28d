"""Reward per time-step of the current episode over the previous one, as a live figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rtgym_nb.course.viz.live_figure import LiveFigure, nice_ceiling

__all__ = ["RewardCurve"]


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
                self.axes.set_xlim(0, nice_ceiling(length * 1.2, (1, 2, 5)))
                self.invalidate()
            low, high = self.axes.get_ylim()
            if both.size and float(both.min()) < low:
                self.axes.set_ylim(-nice_ceiling(-float(both.min()) * 1.05), high)
                self.invalidate()
            if title is not None and title != self.axes.get_title():
                self.axes.set_title(title)  # static: costs one full render per change
                self.invalidate()
