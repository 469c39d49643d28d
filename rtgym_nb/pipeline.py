"""One time-step, written once: send the control, follow the elastic schedule, capture.

Every runner (thread per step, persistent thread, inline) and every clock (wall, simulated)
drives this same object; none of them re-implements any part of a time-step. It knows nothing
about threads: a runner decides on which thread each method runs, and how the capture of a
started time-step gets done in the background (see :mod:`rtgym_nb.runners`).

A time-step's life: :meth:`Pipeline.start` sends the control and schedules the step;
:meth:`Pipeline.capture` waits for its capture time and records the observation;
:meth:`Pipeline.finish` makes sure the capture happened and waits for the nominal end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from rtgym_nb.clock import Clock
from rtgym_nb.interface import RealTimeGymInterface
from rtgym_nb.schedule import ElasticSchedule
from rtgym_nb.timing import TimingTrace

__all__ = ["Captured", "Pipeline"]


class Captured(NamedTuple):
    """What ``get_obs_rew_terminated_info`` returned for one time-step (after preprocessing)."""

    obs: tuple
    reward: Any
    terminated: Any
    info: dict
    row: int
    """The trace row of the time-step this observation belongs to."""


class Pipeline:
    """The shared time-step logic.

    Args:
        interface: The user's interface (already built, on the thread that owns it).
        clock: Where time comes from and how deadlines are waited for.
        schedule: The elastic schedule (shared with the environment's setters).
        trace: Where every timestamp is recorded.
        act_prepro: Applied to each action before ``send_control``.
        obs_prepro: Applied to each captured observation.
    """

    def __init__(
        self,
        interface: RealTimeGymInterface,
        clock: Clock,
        schedule: ElasticSchedule,
        trace: TimingTrace,
        act_prepro: Callable | None = None,
        obs_prepro: Callable | None = None,
    ) -> None:
        self.interface = interface
        self.clock = clock
        self.schedule = schedule
        self.trace = trace
        self.act_prepro = act_prepro
        self.obs_prepro = obs_prepro
        self.running = False
        """A time-step is open: its control was sent and :meth:`finish` has not run yet."""
        self.pending_capture = False
        """The open time-step's observation has not been captured yet."""
        self.row = -1
        self.captured: Captured | None = None
        self.error: BaseException | None = None
        """An exception raised by a background capture, re-raised by :meth:`finish`."""
        self.timeouts = 0
        self.on_start: Callable[[Pipeline], None] | None = None
        """Set by the runner: arranges the capture of a time-step that just started."""

    # -- the three phases ------------------------------------------------------------------

    def start(self, action: Any, call_time: float, joined: float, from_reset: bool) -> bool:
        """Send ``action`` and open the next time-step; return True if it timed out."""
        clock, trace = self.clock, self.trace
        row = trace.new_row()
        self.row = row
        trace.set(row, "call", call_time)
        trace.set(row, "joined", joined)
        control = self.act_prepro(action) if self.act_prepro is not None else action
        t = clock.now()
        trace.set(row, "send_start", t)
        self.interface.send_control(control)
        t = clock.now()
        trace.set(row, "send_end", t)
        schedule = self.schedule
        timed_out = schedule.advance(t)
        trace.set(row, "nominal_start", schedule.start)
        trace.set(row, "nominal_obs", schedule.obs)
        trace.set(row, "nominal_end", schedule.end)
        trace.set(row, "timed_out", 1.0 if timed_out else 0.0)
        trace.set(row, "from_reset", 1.0 if from_reset else 0.0)
        self.timeouts += timed_out
        self.captured = None
        self.error = None
        self.running = True
        self.pending_capture = True
        if self.on_start is not None:
            self.on_start(self)
        return timed_out

    def capture(self) -> None:
        """Wait for the capture time of the open time-step, then capture its observation."""
        if not self.pending_capture:
            return
        self.pending_capture = False
        clock, trace, row = self.clock, self.trace, self.row
        clock.sleep_until(self.schedule.obs)
        trace.set(row, "capture_start", clock.now())
        obs, reward, terminated, info = self.interface.get_obs_rew_terminated_info()
        trace.set(row, "capture_end", clock.now())
        if self.obs_prepro is not None:
            obs = self.obs_prepro(obs)
        self.captured = Captured(tuple(obs), reward, terminated, info, row)

    def capture_in_background(self) -> None:
        """:meth:`capture` for a helper thread or timer: keeps the error for :meth:`finish`."""
        try:
            self.capture()
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc

    def finish(self) -> Captured:
        """Close the open time-step: capture if still due, wait for its end; return the capture."""
        try:
            self.capture()
        finally:
            self.running = False  # even if the capture raised: the time-step is over either way
        error, self.error = self.error, None
        if error is not None:
            raise error
        self.clock.sleep_until(self.schedule.end)
        captured = self.captured
        assert captured is not None
        return captured

    def note_returned(self, when: float) -> None:
        """Record when the env call that opened the current time-step returned to its caller."""
        if self.row >= 0:
            self.trace.set(self.row, "returned", when)
