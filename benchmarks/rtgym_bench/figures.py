"""The period histograms of a run (``timing.png``): both packages side by side.

Drawn with :func:`rtgym_nb.cli.bench.plot_periods`, the figure ``python -m rtgym_nb bench
--plot`` makes, so the two tools' histograms read the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cases import ENVS, HIST_TIME_STEPS_MS, PACKAGES
from .report import NAMES

__all__ = ["joined", "plot"]


def joined(runs: list[list[float]]) -> Any:
    """Several runs' stamps as one array, a NaN between runs (no period spans two runs)."""
    import numpy as np

    return np.concatenate([np.append(np.asarray(run, float), np.nan) for run in runs])[:-1]


def plot(kept: dict[tuple, list[dict[str, Any]]], callers: tuple[str, ...],
         path: Path) -> str | None:
    """Save the histograms of ``kept`` runs (see :func:`~rtgym_bench.measurement.run_matrix`).

    Returns None, or why no figure was made.
    """
    import numpy as np

    from rtgym_nb.cli.bench import period_range, plot_periods

    caller = "sleep" if "sleep" in callers else callers[0]
    panels = []
    for dt_ms in HIST_TIME_STEPS_MS:
        mine = {key: raws for key, raws in kept.items() if key[2:] == (caller, dt_ms)}
        if not mine:
            continue
        periods = [np.diff(joined([raw[stamp] for raw in raws])) * 1e3
                   for raws in mine.values() for stamp in ("send", "capture")]
        shared = period_range(np.concatenate(periods), dt_ms)  # one range for both packages
        for package in PACKAGES:
            series = [(env, joined([r["send"] for r in raws]),
                       joined([r["capture"] for r in raws]))
                      for env in ENVS if (raws := mine.get((package, env, caller, dt_ms)))]
            if series:
                panels.append({"title": f"{NAMES[package]}, {dt_ms:g} ms time-steps",
                               "time_step": dt_ms / 1e3, "series": series, "range": shared})
    if not panels:
        return "no 20 ms or 2 ms case was run"
    try:
        plot_periods(panels, str(path), columns=2,
                     title=f"Control (filled) and capture (outlined) periods; {caller} caller; "
                           "tails clipped to the edges")
    except ImportError:
        return "matplotlib is not installed"
    return None
