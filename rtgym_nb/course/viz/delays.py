"""Figures for delayed MDPs in the classroom (notebook 06).

* :class:`FlightComparison`: two controllers flying the same seeded episode, seen from above
  and as the true distance to the target over time.
* :class:`PredictabilityPlot`: how much of the drone's next observed move the last k actions
  explain (R^2), and what a least-squares fit learns about each buffered action.
* :class:`SweepFigure`: success rate and time to target over delay ranges x buffer lengths.

Like every figure of :mod:`rtgym_nb.course.viz`, they are
:class:`~rtgym_nb.course.viz.live_figure.LiveFigure`
objects: display them as the last expression of a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rtgym_nb.course.tutorial import SUCCESS_RADIUS
from rtgym_nb.course.viz.timing_plots import Figure

__all__ = ["FlightComparison", "PredictabilityPlot", "SweepFigure"]

COLORS = {"proportional": "tab:orange", "predictive": "tab:blue"}


class FlightComparison(Figure):
    """Flights of :func:`rtgym_nb.course.lessons.delayed_mdps.fly`, side by side.

    Left: the true paths from above, with the target. Right: the true distance to the target
    over time (log scale), with the success radius dashed.

    Args:
        flights: ``{label: fly(...) result}``.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, flights: dict[str, dict[str, Any]], *,
                 figsize: tuple[float, float] = (9.0, 3.6), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        above, distance = self.axes = self.figure.subplots(
            1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        for label, flight in flights.items():
            color = COLORS.get(label)
            outcome = flight["result"]["outcome"]
            steps = flight["result"]["steps"]
            text = f"{label}: {outcome} after {steps} steps"
            line = above.plot(*flight["true"].T, "-", lw=1.2, color=color, label=label)[0]
            above.plot(*flight["true"][-1], "o", color=line.get_color(), ms=6)
            distance.semilogy(flight["times"], np.maximum(flight["distance"], 1e-4), "-",
                              color=line.get_color(), lw=1.5, label=text)
        target = next(iter(flights.values()))["target"]
        above.plot(*target, "*", color="tab:red", ms=14, label="target")
        above.plot(0, 0, "s", color="0.3", ms=5)
        above.set(aspect="equal", title="true paths (from the origin)", xlabel="x (m)",
                  ylabel="y (m)")
        above.grid(alpha=0.3)
        above.legend(fontsize="x-small", loc="best")
        distance.axhline(SUCCESS_RADIUS, color="0.3", ls="--", lw=1)
        distance.text(0.02, SUCCESS_RADIUS * 1.15, "success radius", fontsize="small", color="0.3",
                      transform=distance.get_yaxis_transform())
        distance.set(xlabel="time (s)", ylabel="true distance to target (m)",
                     title="distance to the target")
        distance.grid(alpha=0.3, which="both")
        distance.legend(fontsize="small", loc="upper right")


class PredictabilityPlot(Figure):
    """The result of :func:`rtgym_nb.course.lessons.delayed_mdps.predictability`.

    Left: R^2 of the next observed move against the number k of buffered actions used.
    Right: the fitted coefficient of each action of the longest buffer, newest first
    (``a[t-1]`` is the action sent with the observation, ``a[t-k]`` the one sent k steps
    before it): how many seconds each command moved the drone between two observations (0 for
    commands too new or too old).

    Args:
        result: What :func:`~rtgym_nb.course.lessons.delayed_mdps.predictability` returned.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, result: dict[str, np.ndarray], *,
                 figsize: tuple[float, float] = (8.0, 3.0), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        left, right = self.axes = self.figure.subplots(1, 2)
        ks, r2 = result["buffer_lengths"], result["r2"]
        bars = left.bar(ks, r2, color="tab:blue", alpha=0.85)
        left.bar_label(bars, fmt="%.2f", fontsize="small")
        left.set(ylim=(0, 1.05), xlabel="actions used (newest k of the buffer)",
                 ylabel="R² of the next move", title="how predictable is the next move?")
        left.set_xticks(ks)
        left.grid(alpha=0.3, axis="y")
        weights = np.asarray(result["weights"])[::-1] * 1e3  # newest first
        n = len(weights)
        labels = [f"a[t-{k}]" for k in range(1, n + 1)]
        right.bar(range(n), weights, color="tab:green", alpha=0.85)
        right.set_xticks(range(n), labels, fontsize="small")
        right.set(ylabel="learned weight (ms)", title="what the fit learned per action")
        right.grid(alpha=0.3, axis="y")


class SweepFigure(Figure):
    """Heatmaps of a :class:`~rtgym_nb.course.lessons.delayed_mdps.SweepResult`.

    Rows are delay ranges; columns are the tutorial's proportional controller ("P", which
    ignores the buffer) and the predictive controller with each buffer length. Left: success
    rate. Right: median time to target of the successful episodes, shown only where at least
    ``min_success`` of the episodes succeeded (a median over one lucky episode would mislead).

    Args:
        result: A :class:`~rtgym_nb.course.lessons.delayed_mdps.SweepResult`.
        min_success: Success rate below which no time to target is shown.
        tuned: Optionally, per delay range, the best-tuned proportional controller
            ``(gain per step, success, time to target)`` (what
            :meth:`~rtgym_nb.course.lessons.delayed_mdps.GainSweep.best` returns): shown as a
            column "P best" beside the tutorial's gain, labelled "P k=1".
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, result: Any, *, min_success: float = 0.5,
                 tuned: Sequence[tuple[float, float, float]] | None = None,
                 figsize: tuple[float, float] = (9.5, 3.4), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        columns = ["P"] + [f"buf {b}" for b in result.buffer_lengths]
        rows = [f"{lo * 1e3:.0f}-{hi * 1e3:.0f} ms" for lo, hi in result.delays]
        success_columns = [result.success["proportional"][:, 0]]
        ttt_columns = [result.time_to_target["proportional"][:, 0]]
        if tuned is not None:
            columns[0:1] = ["P k=1", "P best"]
            success_columns.append(np.array([s for _, s, _ in tuned]))
            ttt_columns.append(np.array([t for _, _, t in tuned]))
            rows = [f"{row} (best k={k:g})" for row, (k, _, _) in zip(rows, tuned, strict=True)]
        success = np.column_stack([*success_columns, result.success["predictive"]])
        ttt = np.column_stack([*ttt_columns, result.time_to_target["predictive"]])
        ttt = np.where(success >= min_success, ttt, np.nan)
        self.axes = self.figure.subplots(1, 2)
        for axes, data, cmap, fmt, title, limits in (
                (self.axes[0], success, "Greens", "{:.0%}", "success rate", (0, 1)),
                (self.axes[1], ttt, "Blues_r", "{:.2f}",
                 f"time to target (s), where ≥ {min_success:.0%} succeed",
                 (0, max(np.nanmax(ttt, initial=1.0), 0.5)))):
            image = axes.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=limits[0],
                                vmax=limits[1], aspect="auto")
            self.figure.colorbar(image, ax=axes, shrink=0.85)
            for (i, j), value in np.ndenumerate(data):
                if np.isfinite(value):
                    shade = (value - limits[0]) / (limits[1] - limits[0])
                    dark = shade > 0.6 if cmap == "Greens" else shade < 0.4
                    axes.text(j, i, fmt.format(value), ha="center", va="center", fontsize="small",
                              color="white" if dark else "0.1")
            axes.set_xticks(range(len(columns)), columns, fontsize="small")
            axes.set_yticks(range(len(rows)), rows, fontsize="small")
            axes.axvline(len(success_columns) - 0.5, color="white", lw=3)
            axes.set(title=title, xlabel="controller / action buffer length")
        self.axes[0].set_ylabel("communication delay")
        self.figure.suptitle(f"{result.episodes} seeded episodes per cell (seed {result.seed})",
                             fontsize="medium")
