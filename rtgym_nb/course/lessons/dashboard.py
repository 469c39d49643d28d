"""The experiments behind notebook 03 (the dashboard).

* :func:`measure_live_plot_cost`: what drawing while running costs a wall-clock loop.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from rtgym_nb.course.viz.control_panel import ControlPanel

__all__ = ["LivePlotCost", "measure_live_plot_cost"]


@dataclasses.dataclass
class LivePlotCost:
    """Timing of wall-clock runs with the live plot off and on (see :func:`measure_live_plot_cost`).

    ``rows`` holds one dict per run: ``live_plot``, ``steps``, ``timeouts``, and how late
    ``send_control`` left after the previous time-step's nominal end (``late_median_ms``,
    ``late_p99_ms``, ``late_max_ms``).
    """

    time_step_duration: float
    plot_hz: float
    seconds: float
    rows: list

    def __str__(self) -> str:
        lines = [f"{self.seconds:g} s per run at {1 / self.time_step_duration:g} Hz, "
                 f"live plot refreshed at {self.plot_hz:g} Hz",
                 f"{'live plot':<10}{'steps':>7}{'timeouts':>10}{'late median':>13}"
                 f"{'late p99':>10}{'late max':>10}  (ms)"]
        for row in self.rows:
            lines.append(f"{'on' if row['live_plot'] else 'off':<10}{row['steps']:>7}"
                         f"{row['timeouts']:>10}{row['late_median_ms']:>13.3f}"
                         f"{row['late_p99_ms']:>10.3f}{row['late_max_ms']:>10.3f}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _lateness(trace: dict) -> np.ndarray:
    """Per time-step: how long after the previous time-step's nominal end the control left.

    That is when the time-step should have started; a timed-out time-step shows its full
    delay here (its own nominal start is moved to the moment it actually started).
    """
    late = trace["send_start"][1:] - trace["nominal_end"][:-1]
    return late[np.isfinite(late)]


def measure_live_plot_cost(seconds: float = 5.0, *, time_step_duration: float = 0.05,
                           plot_hz: float = 4.0,
                           env_id: str = "real-time-gym-v1") -> LivePlotCost:
    """Run the tutorial task on the wall clock twice, live plot off then on, and compare.

    Each run uses a fresh, undisplayed :class:`ControlPanel` (building it stops any other
    loop). Lateness is how long after the previous time-step's nominal end each
    ``send_control`` began; timeouts are the time-steps that broke the elastic constraint.
    """
    rows = []
    for live in (False, True):
        panel = ControlPanel(clock="wall", live_plot=live, plot_hz=plot_hz, episodes=0,
                             time_step_duration=time_step_duration, env_id=env_id)
        try:
            panel.run()
            time.sleep(seconds)
            panel.stop()
            results = panel.results
        finally:
            panel.close()
        if results.error is not None:
            raise results.error
        late = _lateness(results.trace) * 1e3
        rows.append({
            "live_plot": live,
            "steps": results.steps,
            "timeouts": results.timeouts,
            "late_median_ms": float(np.median(late)) if late.size else math.nan,
            "late_p99_ms": float(np.percentile(late, 99)) if late.size else math.nan,
            "late_max_ms": float(late.max()) if late.size else math.nan,
        })
    return LivePlotCost(time_step_duration, plot_hz, seconds, rows)
