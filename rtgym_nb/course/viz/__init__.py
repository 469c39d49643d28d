"""Figures and widgets for the notebooks (needs the ``viz`` extra: matplotlib, ipywidgets).

One widget or figure per module:

* :mod:`~.live_figure`: :class:`LiveFigure`, the base of every figure, and
  :func:`use_widget_backend`, the first line of every notebook;
* :mod:`~.arena`, :mod:`~.reward_curve`, :mod:`~.age_histogram`: the drone's figures;
* :mod:`~.timing_plots`, :mod:`~.benchmarks_plot`, :mod:`~.threads_plot`, :mod:`~.transitions`,
  :mod:`~.delays`: the figures of notebooks 04-06;
* :mod:`~.control_panel` (the dashboard, with :mod:`~.run_results`) and :mod:`~.drone_pad`:
  widgets that run a loop, on the shared machinery of :mod:`~._loops` (and
  :func:`live_threads`, what is still running);
* :mod:`~.learning`, :mod:`~.retrain`, :mod:`~.classroom`, :mod:`~.stability`: the figures and
  panels of notebooks 06-07;
* :mod:`~.projector_mode`: :func:`projector`, larger fonts and lines for a lecture hall.

Everything listed in ``__all__`` is importable from here (``from rtgym_nb.course.viz import
ControlPanel``). The submodules are imported on first use, so that :func:`live_threads` or a
single figure does not pull in every widget.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "AgeHistogram": "age_histogram",
    "ArenaPlot": "arena",
    "BenchmarkTimeline": "benchmarks_plot",
    "CaptureExplorer": "timing_plots",
    "ControlPanel": "control_panel",
    "DronePad": "drone_pad",
    "ElasticExplorer": "timing_plots",
    "ElasticityPlot": "timing_plots",
    "GoFasterExplorer": "benchmarks_plot",
    "LiveFigure": "live_figure",
    "PeriodHistograms": "timing_plots",
    "RewardCurve": "reward_curve",
    "RunResults": "control_panel",
    "ThreadDiagram": "threads_plot",
    "TimelinePlot": "timing_plots",
    "TransitionTimeline": "transitions",
    "drone_summary": "arena",
    "live_threads": "_loops",
    "projector": "projector_mode",
    "stop_all": "_loops",
    "use_widget_backend": "live_figure",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
