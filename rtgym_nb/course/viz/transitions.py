"""Which action is applied when, around ``reset()`` (notebook 05).

:class:`TransitionTimeline` draws a
:class:`~rtgym_nb.course.lessons.transitions.TransitionRun`: the agent's
calls on one lane, what the interface was asked to do on another, and, as coloured segments,
the action the device actually applied at every moment. Actions are labelled ``a0`` (the
default action), ``a1``, ``a2``... in the order ``step()`` received them; an action applied by
the interface itself (in ``wait()`` or ``reset()``) is hatched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rtgym_nb.course.viz.timing_plots import Figure

__all__ = ["TransitionTimeline", "action_label"]

TIMEOUT_COLOR = "tab:red"


def action_label(value: float) -> str:
    """``a3`` for action 3.0 (the numbering of
    :func:`~rtgym_nb.course.lessons.transitions.transition_run`);
    other values (e.g. a ``wait_action`` of -1) are shown as numbers."""
    rounded = round(float(value))
    if rounded == value and rounded >= 0:
        return f"a{rounded}"
    return f"{value:g}"


class TransitionTimeline(Figure):
    """The action applied at every moment of a scripted session, with the calls that caused it.

    Lanes, from the top:

    * ``agent``: ``reset()`` (triangles, with the action buffer it returned) and ``step(aN)``
      calls (dots labelled ``aN``, at the time the call was made); a red cross marks the step
      that ended the episode, whose action is never sent;
    * ``interface``: ``send_control`` (ticks), ``reset`` and ``wait`` (labelled);
    * ``applied``: the action the device applied, segment by segment.

    Thin vertical lines mark the nominal start of each time-step (red: it timed out).

    Args:
        run: A :class:`~rtgym_nb.course.lessons.transitions.TransitionRun`.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`~rtgym_nb.course.viz.live_figure.LiveFigure`.
    """

    def __init__(self, run: Any, *, title: str = "", figsize: tuple[float, float] = (9.0, 2.6),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.run = run
        self.axes = self.figure.add_subplot()
        self._draw(title)

    def _draw(self, title: str) -> None:
        run, axes = self.run, self.axes
        ms = 1e3
        end = max([e.time for e in run.events] + [c.end for c in run.calls]) + run.time_step
        segments = run.segments(until=end)
        cmap = _palette(sorted({v for _, _, v, _ in segments}))
        # applied action, lane 0
        for start, stop, value, how in segments:
            axes.broken_barh([(start * ms, (stop - start) * ms)], (-0.35, 0.7),
                             facecolor=cmap[value], edgecolor="white",
                             hatch="//" if how == "device" else None)
            axes.text((start + stop) / 2 * ms, 0, action_label(value), ha="center",
                      va="center", fontsize=9, fontweight="bold", color="0.1")
        # interface, lane 1
        for event in run.events:
            if event.kind == "send":
                axes.plot([event.time * ms], [1], "|", color="tab:blue", ms=14, mew=2)
            elif event.kind in ("reset", "wait"):
                axes.plot([event.time * ms], [1], "s", color="0.3", ms=6)
                axes.text(event.time * ms, 1.3, event.kind, ha="center", fontsize=8,
                          color="0.2")
        # agent, lane 2
        for call in run.calls:
            if call.kind == "reset":
                axes.plot([call.start * ms], [2], "v", color="tab:purple", ms=10)
                buffer = ", ".join(action_label(v) for v in call.buffer)
                axes.text(call.start * ms, 2.55, f"reset() → buf [{buffer}]", ha="left",
                          fontsize=8, color="tab:purple")
            else:
                axes.plot([call.start * ms], [2], "X" if call.done else "o",
                          color=TIMEOUT_COLOR if call.done else "0.3", ms=8 if call.done else 5)
                axes.text(call.start * ms, 2.22, action_label(call.action), ha="center",
                          fontsize=8, color=TIMEOUT_COLOR if call.done else "0.3")
        trace = run.trace
        for start, timed_out in zip(trace["nominal_start"], trace["timed_out"], strict=True):
            if np.isfinite(start):
                axes.axvline(start * ms, color=TIMEOUT_COLOR if timed_out else "0.8",
                             lw=1.5 if timed_out else 0.8, zorder=0)
        axes.set_yticks([0, 1, 2], ["applied", "interface", "agent"])
        axes.set_ylim(-0.6, 2.95)
        axes.set_xlim(-0.02 * end * ms, end * ms)
        axes.set_xlabel("time (ms)")
        label = title or _describe(run.config)
        if run.timeouts:
            label += f"  ({run.timeouts} timeout{'s' if run.timeouts > 1 else ''})"
        axes.set_title(label, fontsize=10)


def _palette(values: list[float]) -> dict[float, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    out = {}
    for value in values:
        if value == 0:
            out[value] = "0.85"
        elif value < 0:
            out[value] = "#f4c7a1"
        else:
            out[value] = cmap((round(value) * 2 + 1) % 20)
    return out


def _describe(config: dict) -> str:
    keys = ("reset_act_buf", "last_act_on_reset", "wait_on_done")
    return ", ".join(f"{k}={config.get(k)}" for k in keys)
