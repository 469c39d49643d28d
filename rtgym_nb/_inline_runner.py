"""The inline runner: every interface call on the caller's thread.

The base of every runner (:mod:`rtgym_nb._runners` adds the threaded ones) and, on a simulated
clock, the runner of both ids: nothing runs concurrently on simulated time, so no thread is
needed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from rtgym_nb._clock import Clock, TimerHandle, use_clock
from rtgym_nb._pipeline import Captured, Pipeline, StepResult
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import TimingTrace
from rtgym_nb.errors import InterfaceHangError
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["Runner"]

T = TypeVar("T")


class Runner:
    """Runs jobs (functions touching the interface) on the caller's thread.

    Both ids run on it on a simulated clock (see the module's docstring). Subclasses change
    where jobs run (:meth:`call`, :meth:`step`) and how the capture of a started time-step is
    arranged (:meth:`_arrange_capture`).

    Args:
        clock: The environment's clock.
        hang_timeout: Seconds a background interface call may take before the caller is told.
        kind: The name :attr:`RealTimeEnv.runner <rtgym_nb.env.RealTimeEnv.runner>` reports
            (default: the class's).
    """

    kind = "inline"
    _may_send: Callable[[], bool] | None = None
    """The pipeline's ``may_send`` hook (None: a control may always be sent)."""

    def __init__(self, clock: Clock, hang_timeout: float = 10.0, kind: str | None = None) -> None:
        self.clock = clock
        self.hang_timeout = hang_timeout
        if kind is not None:
            self.kind = kind
        self.pipeline: Pipeline | None = None
        self._timer: TimerHandle | None = None
        """The one-shot capture timer of the open time-step, on a clock without alarms."""
        self._alarm = False
        """This runner has its clock's alarm (:meth:`SimulatedClock.claim_alarm
        <rtgym_nb._clock.SimulatedClock.claim_alarm>`) for its background captures."""
        self.closed = False
        self.hung = False
        """An interface call overran ``hang_timeout`` (and may still be running)."""

    def make_pipeline(
        self,
        interface: RealTimeGymInterface,
        schedule: ElasticSchedule,
        trace: TimingTrace,
        act_prepro: Callable | None = None,
        obs_prepro: Callable | None = None,
    ) -> Pipeline:
        """The pipeline this runner drives from now on, with the runner's hooks."""
        clock = self.clock
        if clock.simulated and hasattr(clock, "claim_alarm") and not self._alarm:
            self._alarm = clock.claim_alarm(self._timer_capture)  # (False: another env has it)
        self.pipeline = Pipeline(
            interface, clock, schedule, trace, act_prepro, obs_prepro,
            on_start=None if self._alarm else self._arrange_capture,
            may_send=self._may_send, alarm=self._alarm,
        )
        return self.pipeline

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` where the interface lives and return its result (or raise)."""
        self._check_not_hung()
        with use_clock(self.clock):
            return fn(*args)

    def _check_not_hung(self) -> None:
        if self.hung:
            raise InterfaceHangError(
                "an earlier call to the interface overran hang_timeout and may still be "
                "running: this environment cannot be used any more (close it and make a new one)"
            )

    def finish(self) -> Captured:
        """Close the open time-step (capture, end) and return its observation.

        For jobs, which already run where the interface lives.
        """
        return self._close_step(None, math.nan, True).captured

    def step(self, action: Any, call_time: float, truncate: bool,
             prepare: Callable[[Any], Any] | None = None) -> StepResult:
        """``env.step()``'s time-step, run where the interface lives: :meth:`Pipeline.step`
        (close the open time-step, then send ``action``; see there)."""
        if self.hung:
            self._check_not_hung()
        with use_clock(self.clock):
            return self.pipeline.step(action, call_time, truncate, prepare)

    def _close_step(self, action: Any, call_time: float, truncate: bool,
                    prepare: Callable[[Any], Any] | None = None) -> StepResult:
        """:meth:`Pipeline.step`, on the thread already running the job."""
        return self.pipeline.step(action, call_time, truncate, prepare)

    def _arrange_capture(self, pipeline: Pipeline) -> TimerHandle | None:
        """On a simulated clock without alarms, a timer that captures at the exact capture
        time if the caller lets the clock pass it before ``step()`` (returned: the pipeline
        cancels it when it captures first). With alarms, the pipeline arms the runner's."""
        clock = self.clock
        if clock.simulated and not self._alarm:
            self._timer = clock.call_at(pipeline.schedule.obs, self._timer_capture)
            return self._timer
        return None

    def _timer_capture(self) -> None:
        pipeline = self.pipeline
        if pipeline is not None and pipeline.pending_capture:
            self.call(pipeline.capture_in_background)

    def close(self) -> None:
        """Stop every thread this runner started. Idempotent."""
        self.closed = True
        if self._alarm:
            self.clock.release_alarm(self._timer_capture)
            self._alarm = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def threads(self) -> list[threading.Thread]:
        """Threads started by this runner that are still alive."""
        return []
