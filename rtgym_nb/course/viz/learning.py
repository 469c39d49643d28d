"""Figures for learning under delay (notebook 07).

* :class:`InteractionTimeline`: turn-based against real-time interaction, drawn as two timelines.
* :class:`ToyLearning`: the tabular toy's Q-learning curves and the greedy policies' paths.
* :class:`LearningCurves`: learning curves of several agents, updated live while they learn.
* :class:`WeightsFigure`: a learned linear policy's weights beside the predictive controller's.
* :class:`SeedSummary`: held-out returns over seeds, with 95% confidence intervals.

All are :class:`~rtgym_nb.course.viz.timing_plots.Figure` objects (live figures laid out with
constrained layout): display one as the last expression of a cell. Text sizes are relative
(``"small"``), so :func:`~rtgym_nb.course.viz.projector` scales them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from rtgym_nb.course import toy_mdp
from rtgym_nb.course.viz.projector_mode import figure_scale
from rtgym_nb.course.viz.timing_plots import Figure

__all__ = ["InteractionTimeline", "LearningCurves", "SeedSummary", "ToyLearning",
           "WeightsFigure", "running_mean"]


def running_mean(values: Sequence[float], window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start)."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


class InteractionTimeline(Figure):
    """Turn-based (top) against real-time (bottom) interaction, three steps of each.

    Turn-based: the world waits while the agent thinks, and the action acts on the state it
    was chosen from. Real-time: the world keeps moving; while the agent thinks about ``s[t]``,
    the previous action ``a[t-1]`` is being applied, so the action chosen from ``s[t]`` acts
    only from ``t+1`` on.
    """

    def __init__(self, *, figsize: tuple[float, float] = (9.0, 3.4), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figure_scale(figsize), dpi, interactive)
        turn, real = self.axes = self.figure.subplots(2, 1, sharex=True)
        for t in range(3):  # turn-based: think (world paused), then the world moves
            x = 2.0 * t
            turn.add_patch(Rectangle((x, 0.55), 1, 0.35, color="tab:orange", alpha=0.7))
            turn.text(x + 0.5, 0.72, f"think: s[{t}]", ha="center", va="center",
                      fontsize="small")
            turn.add_patch(Rectangle((x + 1, 0.1), 1, 0.35, color="tab:blue", alpha=0.7))
            turn.text(x + 1.5, 0.27, f"apply a[{t}]", ha="center", va="center",
                      fontsize="small", color="white")
            turn.text(x + 0.5, 0.27, "waits", ha="center", va="center",
                      fontsize="x-small", color="0.4")
        for t in range(3):  # real-time: thinking and moving overlap
            x = 2.0 * t
            real.add_patch(Rectangle((x, 0.55), 2, 0.35, color="tab:orange", alpha=0.7,
                                     ec="white"))
            real.text(x + 1, 0.72, f"think: s[{t}] → a[{t}]", ha="center", va="center",
                      fontsize="small")
            real.add_patch(Rectangle((x, 0.1), 2, 0.35, color="tab:blue", alpha=0.7,
                                     ec="white"))
            real.text(x + 1, 0.27, f"apply a[{t - 1}]", ha="center", va="center",
                      fontsize="small", color="white")
            if t < 2:
                real.add_patch(FancyArrowPatch((x + 1.9, 0.55), (x + 2.2, 0.45),
                                               arrowstyle="->", mutation_scale=12, color="0.2"))
        turn.set_title("turn-based: the world waits (the textbook MDP)", fontsize="medium")
        real.set_title("real-time: the world moves on; state = (s[t], a[t-1])",
                       fontsize="medium")
        for axes in self.axes:
            axes.set(xlim=(-0.1, 6.1), ylim=(0, 1), yticks=[])
            axes.set_yticks([0.27, 0.72], ["world", "agent"])
            axes.spines[["top", "right", "left"]].set_visible(False)
        real.set_xlabel("time (time-steps)")


class ToyLearning(Figure):
    """Q-learning on the toy: learning curves (left) and the greedy policies' paths (right).

    Args:
        results: ``{label: QResult}``.
        start: ``(cell, move in flight)`` the paths start from; by default the first start
            from which one of the policies fails to park (:func:`toy_mdp.first_failure`).
        window: Episodes averaged in the learning curves.
    """

    def __init__(self, results: dict[str, Any], *, start: tuple[int, int] | None = None,
                 window: int = 100, figsize: tuple[float, float] = (9.0, 3.2), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figure_scale(figsize), dpi, interactive)
        curves, paths = self.axes = self.figure.subplots(1, 2)
        if start is None:
            failures = [toy_mdp.first_failure(r) for r in results.values()]
            start = next((f for f in failures if f is not None), (0, 1))
        for i, (label, result) in enumerate(results.items()):
            curves.plot(running_mean(result.returns, window), label=label)
            path = toy_mdp.greedy_trajectory(result, start[0], start[1] + 1)
            paths.plot(path + 0.08 * (i - 1), "o-", ms=3, label=label)
        curves.set(xlabel="training episode", ylabel=f"return (mean of {window})",
                   title="Q-learning on the toy")
        curves.grid(alpha=0.3)
        curves.legend(fontsize="small", loc="lower right")
        paths.axhline(toy_mdp.GOAL, color="tab:red", ls="--", lw=1)
        paths.set(xlabel="step", ylabel="cell", ylim=(-0.5, toy_mdp.N_POSITIONS - 0.5),
                  title=f"greedy policy from cell {start[0]}, move {start[1]:+d} in flight")
        paths.grid(alpha=0.3)


class LearningCurves(Figure):
    """Learning curves of several agents against environment steps, updated live.

    Call :meth:`update` after each iteration of a learner (from any thread), then
    :meth:`redraw`. Each curve is the return of the learner's mean policy on that iteration's
    episodes (thin) and its running mean over ``window`` iterations (thick).
    """

    def __init__(self, labels: Sequence[str], *, title: str = "learning curves",
                 window: int = 5, reference: dict[str, float] | None = None,
                 figsize: tuple[float, float] = (8.0, 3.4), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figure_scale(figsize), dpi, interactive)
        self.axes = self.figure.subplots()
        self.window = window
        self._data: dict[str, tuple[list[int], list[float]]] = {}
        self._lines: dict[str, tuple[Any, Any]] = {}
        for label in labels:
            thin = self.axes.plot([], [], lw=0.8, alpha=0.35)[0]
            thick = self.axes.plot([], [], lw=2.2, color=thin.get_color(), label=label)[0]
            self._lines[label] = (thin, thick)
            self._data[label] = ([], [])
        for name, value in (reference or {}).items():
            self.axes.axhline(value, color="0.3", ls=":", lw=1.2)
            self.axes.text(0.99, value, name, transform=self.axes.get_yaxis_transform(),
                           ha="right", va="bottom", fontsize="small", color="0.3")
        self.axes.set(xlabel="environment steps", ylabel="return", title=title,
                      ylim=(-40, 0))
        self.axes.grid(alpha=0.3)
        self.axes.legend(loc="lower right", fontsize="small")

    def clear(self) -> None:
        """Forget every curve (the figure keeps its labels)."""
        for label in self._data:
            self._data[label] = ([], [])
            for line in self._lines[label]:
                line.set_data([], [])
        self.changed()

    def update(self, label: str, steps: int, mean_return: float) -> None:
        """Add one point to ``label``'s curve."""
        xs, ys = self._data[label]
        xs.append(steps)
        ys.append(mean_return)
        thin, thick = self._lines[label]
        thin.set_data(xs, ys)
        thick.set_data(xs, running_mean(ys, self.window))
        longest = max((d[0][-1] for d in self._data.values() if d[0]), default=1)
        self.axes.set_xlim(0, max(longest, 1) * 1.02)
        lowest = min(min(line.get_ydata()) for _, line in self._lines.values()
                     if len(line.get_ydata()))
        self.axes.set_ylim(max(lowest, -45.0) * 1.05 - 0.1, 0)
        self.changed()


def _weight_labels(n: int) -> list[str]:
    return ["e / dt"] + [f"a[t-{k}]" for k in range(1, n + 1)]


class WeightsFigure(Figure):
    """Weights of linear policies side by side: ``theta[0]`` on ``e / dt``, then ``a[t-k]``.

    Args:
        thetas: ``{label: theta}``; shorter vectors are padded with zeros.
    """

    def __init__(self, thetas: dict[str, Sequence[float]], *, title: str = "policy weights",
                 figsize: tuple[float, float] = (8.0, 3.2), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        super().__init__(figure_scale(figsize), dpi, interactive)
        self.axes = self.figure.subplots()
        n = max(len(t) for t in thetas.values())
        width = 0.8 / len(thetas)
        for i, (label, theta) in enumerate(thetas.items()):
            values = np.zeros(n)
            values[:len(theta)] = theta
            bars = self.axes.bar(np.arange(n) + (i - (len(thetas) - 1) / 2) * width, values,
                                 width, label=label, alpha=0.85)
            texts = [f"{v:.2f}" if j < len(theta) and abs(v) >= 0.005 else ""
                     for j, v in enumerate(values)]
            self.axes.bar_label(bars, texts, fontsize="x-small")
        self.axes.axhline(0, color="0.3", lw=0.8)
        self.axes.set_xticks(range(n), _weight_labels(n - 1))
        self.axes.set(ylabel="weight", title=title)
        self.axes.margins(y=0.15)
        self.axes.grid(alpha=0.3, axis="y")
        self.axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


class SeedSummary(Figure):
    """Mean held-out return per agent and setting, with a 95% interval over seeds.

    Args:
        rows: ``{setting: {agent: per-seed returns}}``.
    """

    def __init__(self, rows: dict[str, dict[str, Sequence[float]]], *,
                 title: str = "held-out return over seeds (95% CI)",
                 figsize: tuple[float, float] = (8.0, 3.2), dpi: float = 80,
                 interactive: bool | None = None) -> None:
        from rtgym_nb.course.learn import mean_ci

        super().__init__(figure_scale(figsize), dpi, interactive)
        self.axes = self.figure.subplots()
        settings = list(rows)
        agents = list(next(iter(rows.values())))
        width = 0.8 / len(agents)
        for i, agent in enumerate(agents):
            stats = [mean_ci(rows[s][agent]) for s in settings]
            x = np.arange(len(settings)) + (i - (len(agents) - 1) / 2) * width
            line = self.axes.errorbar(x, [m for m, _ in stats], yerr=[h for _, h in stats],
                                      fmt="s", ms=9, capsize=8, elinewidth=2, label=agent)
            color = line[0].get_color()
            for xi, s in zip(x, settings, strict=True):
                self.axes.plot(np.full(len(rows[s][agent]), xi + 0.12), rows[s][agent], "o",
                               color=color, ms=4, alpha=0.6)
        self.axes.set_xticks(range(len(settings)), settings)
        self.axes.set_xlim(-0.6, len(settings) - 0.4)
        n = len(next(iter(rows[settings[0]].values())))
        self.axes.set(ylabel="held-out return", title=f"{title}, {n} seeds")
        self.axes.grid(alpha=0.3, axis="y")
        self.axes.legend(fontsize="small", loc="best")
