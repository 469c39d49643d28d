"""Which thread makes each call to the interface: ``real-time-gym-v1`` against ``-ts-v1``.

:class:`ThreadDiagram` draws the calls that
:func:`~rtgym_nb.course.lessons.timing.who_calls` recorded from real environments on the wall
clock: one panel per environment, one lane per thread, one mark per call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rtgym_nb.course.viz.timing_plots import CAPTURE_COLOR, CONTROL_COLOR, Figure

__all__ = ["ThreadDiagram"]

_MARKS = {  # method: (marker, colour, height in the lane, legend label)
    "__init__": ("s", "0.3", 0.0, "interface built"),
    "reset": ("D", "tab:green", 0.0, "reset"),
    "send_control": ("|", CONTROL_COLOR, 0.17, "send_control"),
    "get_obs_rew_terminated_info": ("|", CAPTURE_COLOR, -0.17, "get_obs_rew_terminated_info"),
}


class ThreadDiagram(Figure):
    """One panel per environment: its interface calls, by calling thread, over time.

    Args:
        runs: ``{label: calls}``, each a list of
            :class:`~rtgym_nb.course.lessons.timing.Call`.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, runs: dict[str, Sequence], *, figsize: tuple[float, float] | None = None,
                 dpi: float = 80, interactive: bool | None = None) -> None:
        lanes = sorted({c.thread for calls in runs.values() for c in calls},
                       key=lambda name: (name != "MainThread", name))
        size = figsize or (9.0, 1.0 + 0.55 * len(runs) * max(len(lanes), 1))
        super().__init__(size, dpi, interactive)
        axes_list = np.atleast_1d(self.figure.subplots(len(runs), 1, sharex=True))
        for axes, (label, calls) in zip(axes_list, runs.items(), strict=True):
            for method, (marker, color, shift, label_) in _MARKS.items():
                mine = [c for c in calls if c.method == method]
                axes.plot([c.time * 1e3 for c in mine],
                          [lanes.index(c.thread) + shift for c in mine], ls="none",
                          marker=marker, color=color, ms=10 if marker == "|" else 6, mew=2.5,
                          label=label_)
            axes.set_yticks(range(len(lanes)), [_lane_name(n) for n in lanes], fontsize=9)
            axes.set_ylim(-0.6, len(lanes) - 0.4)
            axes.set_title(label, fontsize=10, loc="left")
            axes.grid(alpha=0.25, axis="x")
        axes_list[0].legend(loc="upper right", fontsize=7, ncol=4, framealpha=0.8)
        axes_list[-1].set_xlabel("time (ms) since the environment was made")
        self.lanes = lanes


def _lane_name(thread: str) -> str:
    return "your thread" if thread == "MainThread" else thread
