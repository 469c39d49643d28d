"""What one run of the dashboard records, and the readouts it shows from it.

:class:`RunResults` is what :meth:`~rtgym_nb.course.viz.control_panel.ControlPanel.run` returns;
:func:`time_to_target_text`, :func:`buffer_cover` and the benchmarks table turn it (and
the settings) into the panel's text.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from rtgym_nb._timing import BENCHMARK_KEYS

__all__ = ["RunResults", "RunState", "benchmarks_html", "buffer_cover", "time_to_target_text"]


@dataclasses.dataclass
class RunResults:
    """What one run of a :class:`ControlPanel` did (updated live while it runs).

    Attributes:
        settings: The settings the run started with.
        episodes: One dict per finished episode: ``steps``, ``return``, ``outcome``
            (``"reached"`` or ``"truncated"``), ``final_distance``, ``time`` (seconds of the
            environment's clock from reset to the end), ``timeouts``.
        steps: Time-steps taken, including those of an episode cut short by Stop.
        episode: Index of the episode running (or last run).
        timeouts: Time-steps that broke the elastic constraint.
        benchmarks: rtgym's benchmarks ``{name: (average, average deviation)}`` in seconds.
        trace: The environment's timing trace (:meth:`~rtgym_nb._timing.TimingTrace.arrays`),
            taken when the run ended.
        running: The loop has not ended yet.
        stopped: The run was ended by :meth:`ControlPanel.stop` (not by finishing its episodes).
        error: The exception that ended the run, if any.
        wall_time: Seconds of real time the run took.
        sim_time: Seconds of the environment's clock the run took.
    """

    settings: dict
    episodes: list = dataclasses.field(default_factory=list)
    steps: int = 0
    episode: int = 0
    timeouts: int = 0
    benchmarks: dict = dataclasses.field(default_factory=dict)
    trace: dict | None = None
    running: bool = True
    stopped: bool = False
    error: BaseException | None = None
    wall_time: float = 0.0
    sim_time: float = 0.0

    @property
    def returns(self) -> list[float]:
        """The return of every finished episode."""
        return [episode["return"] for episode in self.episodes]


class RunState:
    """The state one run shares between its loop, its drawing timer and the widgets."""

    def __init__(self, settings: dict, overrides: dict, limit: int) -> None:
        self.overrides = overrides
        self.limit = limit
        self.results = RunResults(settings={**settings, **overrides})
        self.stop_event = threading.Event()
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.env: Any = None  # the unwrapped environment, once built
        self.rewards: list[float] = []
        self.previous: list[float] = []
        self.policy: Any = None
        self.policy_key: tuple | None = None
        self.threads: list[threading.Thread] = []


def buffer_cover(settings: dict, control_sleep: float = 0.01) -> tuple[float, float]:
    """``(covered, worst)`` in seconds: how far back the action buffer reaches, and the
    worst-case loop delay it should cover.

    The loop, as notebook 01 adds it up: one time-step from the capture to the action computed
    from it leaving, the command's longest trip, a drone tick, the report's longest trip back.
    """
    dt = float(settings["time_step_duration"])
    high = float(settings["delays"][1])
    return int(settings["act_buf_len"]) * dt, dt + 2 * high + control_sleep


def time_to_target_text(episodes: list[dict]) -> str:
    """The panel's time-to-target readout for finished episodes (their ``time`` and outcome).

    An episode that did not reach the target counts with its whole length, so when some
    failed, the mean is a lower bound (shown with ">=").
    """
    if not episodes:
        return "time to target: – (no finished episode yet)"
    mean = sum(e["time"] for e in episodes) / len(episodes)
    reached = sum(e["outcome"] == "reached" for e in episodes)
    bound = "" if reached == len(episodes) else "≥ "
    return (f"time to target: {bound}{mean:.2f} s on average "
            f"({reached} of {len(episodes)} episodes reached)")


def benchmarks_html(bench: dict, results: RunResults | None) -> str:
    rows = []
    for key in BENCHMARK_KEYS:
        average, deviation = (bench or {}).get(key, (None, 0.0))
        shown = "–" if average is None else f"{average * 1e3:.3f} ± {deviation * 1e3:.3f}"
        rows.append(f"<tr><td style='text-align:left'>{key}</td><td>{shown}</td></tr>")
    episodes = ""
    if results is not None and results.episodes:
        recent = results.episodes[-5:]
        first = len(results.episodes) - len(recent) + 1
        lines = "".join(
            f"<tr><td>{first + i}</td><td>{e['steps']}</td><td>{e['return']:.3f}</td>"
            f"<td>{e['outcome']}</td><td>{e['timeouts']}</td></tr>"
            for i, e in enumerate(recent))
        episodes = ("<table style='margin-left:2em'><tr><th>episode</th><th>steps</th>"
                    "<th>return</th><th>outcome</th><th>timeouts</th></tr>"
                    f"{lines}</table>")
    table = ("<table><tr><th style='text-align:left'>benchmark</th>"
             "<th>average ± avg. deviation (ms)</th></tr>" + "".join(rows) + "</table>")
    return f"<div style='display:flex;align-items:flex-start'>{table}{episodes}</div>"
