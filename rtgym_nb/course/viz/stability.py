"""The proportional controller without a buffer: success and speed against its gain (notebook 06).

:class:`GainSweepFigure` draws a :class:`~rtgym_nb.course.lessons.delayed_mdps.GainSweep`: for
each delay range, the share of targets reached (left) and the median time to reach them (right)
against the gain ``k`` per time-step, with the delay-stability bound of each delay range marked
on the left. It shows the lesson "without the buffer you can be stable or fast, not both": the
gains that would be fast lie beyond the bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rtgym_nb.course.lessons import delayed_mdps
from rtgym_nb.course.viz.projector_mode import figure_scale
from rtgym_nb.course.viz.timing_plots import Figure

__all__ = ["GainSweepFigure"]


class GainSweepFigure(Figure):
    """Success rate and time to target against the proportional gain, one line per delay."""

    def __init__(self, result: Any, *, figsize: tuple[float, float] = (9.0, 3.4),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figure_scale(figsize), dpi, interactive)
        success_axes, time_axes = self.axes = self.figure.subplots(1, 2)
        for delay, success, ttt in zip(result.delays, result.success, result.time_to_target,
                                       strict=True):
            label = f"{delay[0] * 1e3:.0f}-{delay[1] * 1e3:.0f} ms"
            line = success_axes.plot(result.gains, success, "o-", ms=4, label=label)[0]
            bound = delayed_mdps.stability_bound(delayed_mdps.delay_steps(delay))
            success_axes.axvline(bound, color=line.get_color(), ls=":", lw=1.2)
            shown = np.where(success >= 0.5, ttt, np.nan)
            time_axes.plot(result.gains, shown, "o-", ms=4, color=line.get_color(), label=label)
        success_axes.set(xlabel="gain k per time-step (1 = the tutorial's 20)",
                         ylabel="targets reached", ylim=(-0.03, 1.03),
                         title="reached (dotted: stability bound)")
        time_axes.set(xlabel="gain k per time-step", ylabel="median time to target (s)",
                      title="time to target, where ≥ 50% reached", ylim=(0, None))
        for axes in self.axes:
            axes.grid(alpha=0.3)
        success_axes.legend(fontsize="small", title="delay each way", title_fontsize="small")
