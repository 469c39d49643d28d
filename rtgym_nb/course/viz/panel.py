"""The dashboard and the drone pad under their former import path.

They live in :mod:`~rtgym_nb.course.viz.control_panel` and :mod:`~rtgym_nb.course.viz.drone_pad`
now; new code imports them from :mod:`rtgym_nb.course.viz`.
"""

from rtgym_nb.course.lessons.dashboard import LivePlotCost, measure_live_plot_cost
from rtgym_nb.course.viz._loops import live_threads, stop_all
from rtgym_nb.course.viz.control_panel import SETTINGS, ControlPanel, RunResults
from rtgym_nb.course.viz.drone_pad import DronePad

__all__ = [
    "SETTINGS",
    "ControlPanel",
    "DronePad",
    "LivePlotCost",
    "RunResults",
    "live_threads",
    "measure_live_plot_cost",
    "stop_all",
]
