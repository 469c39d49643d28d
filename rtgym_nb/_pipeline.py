"""One time-step, written once: send the control, follow the elastic schedule, capture.

Every runner (thread per step, persistent thread, inline) and every clock (wall, simulated)
drives this same object; none of them re-implements any part of a time-step. It knows nothing
about threads: a runner decides on which thread each method runs, and how the capture of a
started time-step gets done in the background (see :mod:`rtgym_nb._runners`).

A time-step's life: :meth:`Pipeline.start` sends the control and schedules the step;
:meth:`Pipeline.capture` waits for its capture time and records the observation;
:meth:`Pipeline.step` makes sure the capture happened, waits for the nominal end and, unless
the episode ended, starts the next time-step: it sends the next control right after the capture
and does all the bookkeeping afterwards. Work of the caller's that only has to be done by the
time ``step()`` returns (the environment's copies of the action buffer) is handed in as
``prepare``: it is called with the action, done while the wait for the capture would otherwise
spin, when it fits there, and what it returns comes back in :class:`StepResult`. Called with
nothing to send (:meth:`rtgym_nb._runners.Runner.finish`), it just closes the time-step.

On a simulated clock nothing waits for real time, so :meth:`Pipeline.step` takes a short path:
the same calls, timestamps and results, without the precise-wait machinery.

The runner that drives a pipeline gives it two hooks at construction: ``on_start`` (arrange the
capture of a time-step that just opened) and ``may_send`` (False once nobody awaits the call in
progress, which then sends nothing).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from rtgym_nb._clock import Clock, SimulatedClock
from rtgym_nb._quantile import RunningQuantile
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import TimingTrace
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["Captured", "Pipeline", "StepResult"]


class Captured(NamedTuple):
    """What ``get_obs_rew_terminated_info`` returned for one time-step (after preprocessing)."""

    obs: tuple
    reward: Any
    terminated: Any
    info: dict
    row: int
    """The trace row of the time-step this observation belongs to."""


class StepResult(NamedTuple):
    """What :meth:`Pipeline.step` did."""

    captured: Captured
    """The observation of the time-step it closed."""
    sent: bool
    """The action was sent (False when the episode ended, or nobody awaits the call any more)."""
    timed_out: bool
    """The time-step the action opened broke the elastic constraint."""
    joined: float
    """When the closed time-step ended (for a sent action, when ``send_control`` was called)."""
    prepared: Any
    """What ``prepare(action)`` returned (None without a ``prepare``)."""


class Pipeline:
    """The shared time-step logic.

    Args:
        interface: The user's interface (already built, on the thread that owns it).
        clock: Where time comes from and how deadlines are waited for.
        schedule: The elastic schedule (shared with the environment's setters).
        trace: Where every timestamp is recorded.
        act_prepro: Applied to each action before ``send_control``.
        obs_prepro: Applied to each captured observation.
        on_start: Called with the pipeline when a time-step opens: the runner arranges its
            capture (a timer, a thread), or leaves it to :meth:`step`. It may return a handle
            with a ``cancel()`` method (a clock's timer): a capture :meth:`step` takes on a
            simulated clock before that timer fired cancels it, which then never fires.
        may_send: Asked before every ``send_control``: False when nobody awaits the call in
            progress any more (hang, interrupt, close), which then sends nothing.
        alarm: The clock's alarm rings the runner's background capture (a simulated clock's,
            :meth:`SimulatedClock.claim_alarm <rtgym_nb._clock.SimulatedClock.claim_alarm>`):
            the pipeline arms it for the capture time of every time-step that opens, and
            disarms it when :meth:`step` captures first.
    """

    def __init__(
        self,
        interface: RealTimeGymInterface,
        clock: Clock,
        schedule: ElasticSchedule,
        trace: TimingTrace,
        act_prepro: Callable | None = None,
        obs_prepro: Callable | None = None,
        *,
        on_start: Callable[[Pipeline], object] | None = None,
        may_send: Callable[[], bool] | None = None,
        alarm: bool = False,
    ) -> None:
        self.interface = interface
        self.clock = clock
        self.schedule = schedule
        self.trace = trace
        self.act_prepro = act_prepro
        self.obs_prepro = obs_prepro
        self.on_start = on_start
        self.may_send = may_send
        self.alarm = alarm
        self._arranged: Any = None
        """What ``on_start`` returned for the open time-step (a timer to cancel, or None)."""
        self.running = False
        """A time-step is open: its control was sent and :meth:`step` has not closed it yet."""
        self.pending_capture = False
        """The open time-step's observation has not been captured yet."""
        self.row = -1
        self.captured: Captured | None = None
        self._taken: tuple | None = None
        """What :meth:`_take` got and :meth:`_record` has not traced yet."""
        self.error: BaseException | None = None
        """An exception raised by a background capture, re-raised by :meth:`step`."""
        self.timeouts = 0
        self.capture_wait_start = float("nan")
        """When the last capture began to wait for its capture time (the persistent-thread
        runner times its hand-over of a capture to ``step()`` with it)."""
        self.straight = isinstance(clock, SimulatedClock) and type(clock).now is SimulatedClock.now
        """:meth:`step` takes the straight path of a simulated clock (see :meth:`step_straight`)
        when the observation is still to be captured."""
        self._wait_until = _offering_wait(clock)
        self._sleep = getattr(clock, "sleeper", time.sleep)
        # step()'s prepare and its action, until done; then what it returned
        self._prepare: Callable[[Any], Any] | None = None
        self._action: Any = None
        self._prepared: Any = None
        self._prepare_cost = RunningQuantile(50e-6, 0.9, step=0.5e-6, high=1e-3)

    # -- the three phases ------------------------------------------------------------------

    def start(self, action: Any, call_time: float, joined: float, from_reset: bool) -> bool:
        """Send ``action`` and open the next time-step; return True if it timed out."""
        if self.may_send is not None and not self.may_send():
            return False  # the caller gave up on this call: the device gets nothing
        control = self.act_prepro(action) if self.act_prepro is not None else action
        clock = self.clock
        sent = clock.now()
        self.interface.send_control(control)
        return self._open(call_time, joined, sent, clock.now(), from_reset)

    def _open(self, call_time: float, joined: float, send_start: float, send_end: float,
              from_reset: bool) -> bool:
        """Bookkeeping after a ``send_control``: schedule the new time-step, trace it."""
        schedule = self.schedule
        timed_out = schedule.advance(send_end)
        self.row = self.trace.open_row(
            call_time, joined, send_start, send_end,
            schedule.start, schedule.obs, schedule.end, timed_out, from_reset,
        )
        self.timeouts += timed_out
        self.captured = None
        self.error = None
        self.running = True
        self.pending_capture = True
        if self.alarm:
            self.clock.alarm_at = schedule.obs
        if self.on_start is not None:
            self._arranged = self.on_start(self)
        return timed_out

    def capture(self) -> None:
        """Wait for the capture time of the open time-step, then capture its observation."""
        if not self.pending_capture:
            return
        self._take()
        self._record()

    def _take(self) -> None:
        """The part of a capture that must be on time: wait for it, call the interface.

        What it got is kept as it is until :meth:`_record` traces and preprocesses it, so that
        :meth:`step` can send the next control in between.
        """
        self.pending_capture = False
        clock = self.clock
        self.capture_wait_start = clock.now()
        self._wait(self.schedule.obs)
        taken_at = clock.now()
        result = self.interface.get_obs_rew_terminated_info()
        self._taken = (result, taken_at, clock.now())

    def _record(self) -> Captured:
        """Trace the capture taken by :meth:`_take` and build its :class:`Captured`."""
        taken, self._taken = self._taken, None
        if taken is None:  # recorded already (a background capture)
            captured = self.captured
            assert captured is not None
            return captured
        result, taken_at, returned_at = taken
        return self._captured(result, taken_at, returned_at)

    def _captured(self, result: tuple, taken_at: float, returned_at: float) -> Captured:
        row = self.row
        self.trace.set_capture(row, taken_at, returned_at)
        obs, reward, terminated, info = result
        if self.obs_prepro is not None:
            obs = self.obs_prepro(obs)
        captured = Captured(tuple(obs), reward, terminated, info, row)
        self.captured = captured
        return captured

    def capture_in_background(self) -> None:
        """:meth:`capture` for a helper thread or timer: keeps the error for :meth:`step`."""
        try:
            self.capture()
        except BaseException as exc:  # handed to the caller's thread
            self._taken = None
            self.error = exc

    def step(self, action: Any, call_time: float, truncate: bool,
             prepare: Callable[[Any], Any] | None = None) -> StepResult:
        """Close the open time-step, then :meth:`start` the next unless the episode ended.

        Closing means: capture if still due, then wait for the nominal end. Between the
        observation's capture and the next ``send_control`` nothing runs but that wait and the
        check of ``terminated``: tracing and preprocessing the observation wait until the
        control is out. This is what keeps the control latency at a few microseconds.

        ``prepare(action)``, if given, is done before this returns (unless it raises), and its
        result returned as :attr:`StepResult.prepared`: in the last stretch of the wait, which
        the clock would otherwise spend spinning, if its usual duration fits there; else after
        the control is sent, before the next time-step opens. Never between capture and send.
        """
        if self.straight and self.pending_capture:
            return self._step_simulated(action, call_time, truncate, prepare)
        self._prepare = prepare
        self._action = action
        try:
            return self._close_and_send(action, call_time, truncate)
        finally:  # (when it raised before prepare was done)
            self._prepare = self._action = self._prepared = None

    def _step_simulated(self, action: Any, call_time: float, truncate: bool,
                        prepare: Callable[[Any], Any] | None) -> StepResult:
        """:meth:`step` on the straight path: :meth:`step_straight`, then ``prepare``."""
        obs, reward, terminated, info, sent, timed_out, joined, row = self.step_straight(
            action, call_time, truncate)
        captured = Captured(tuple(obs), reward, terminated, info, row)
        return StepResult(captured, sent, timed_out, joined,
                          None if prepare is None else prepare(action))

    def step_straight(self, action: Any, call_time: float, truncate: bool) -> tuple:
        """:meth:`step` on a simulated clock, its observation not captured yet (the usual case).

        The calls, timestamps and trace of :meth:`_close_and_send`, in a straight line:
        waiting is instantaneous, so there is no spinning time to offer and nothing to hand
        over between threads (what :meth:`_captured` and :meth:`_open` do is written out here:
        this is the whole of a simulated time-step's cost). The capture's trace entry and the
        next time-step's row are written in one call, after the send (the same values; a
        failure on the way records what the general path would have).

        Needs :attr:`straight` and :attr:`pending_capture`. Returns ``(obs, reward,
        terminated, info, sent, timed_out, joined, row)``: what the interface returned (``obs``
        preprocessed, as it came), whether ``action`` was sent, whether the time-step it opened
        timed out, when the closed time-step ended, and the trace row of the closed time-step
        (:attr:`row` is the open one's). The new row's ``returned`` is the time this returns:
        the caller (``step()``) must return at that simulated time, waiting for nothing more.
        """
        clock, schedule, interface = self.clock, self.schedule, self.interface
        alarm = self.alarm
        if alarm:  # captured here: the alarm has nothing left to do
            clock.alarm_at = _NEVER
        elif self._arranged is not None:
            self._arranged.cancel()
            self._arranged = None
        # Open, not captured (running, pending_capture) on the way in: it stays so when the
        # action is sent, and is closed otherwise. (captured and error are None: only a
        # capture off this path sets them.)
        try:
            obs_time = schedule.obs
            clock.sleep_until(obs_time)
            taken_at = clock._now
            obs, reward, terminated, info = interface.get_obs_rew_terminated_info()
            returned_at = clock._now
            if obs_time < schedule.end:
                clock.sleep_until(schedule.end)
            row = self.row
            sent = clock._now
            if terminated or truncate or (self.may_send is not None and not self.may_send()):
                self.pending_capture = self.running = False
                obs = self._captured((obs, reward, terminated, info), taken_at, returned_at).obs
                return obs, reward, terminated, info, False, False, sent, row
            try:
                if self.act_prepro is None:
                    interface.send_control(action)
                else:
                    interface.send_control(self.act_prepro(action))
            except BaseException:  # recorded as on the general path (the capture, its Captured)
                self._captured((obs, reward, terminated, info), taken_at, returned_at)
                raise
            send_end = clock._now
            if self.obs_prepro is not None:
                try:
                    obs = self.obs_prepro(obs)
                except BaseException:  # (the capture is traced before preprocessing)
                    self.trace.set_capture(row, taken_at, returned_at)
                    raise
        except BaseException:
            self.pending_capture = self.running = False
            raise
        timed_out = schedule.advance(send_end)
        # step() returns at this time: nothing it does after this path waits
        self.row = self.trace.close_and_open(
            row, taken_at, returned_at, call_time, sent, sent, send_end,
            schedule.start, schedule.obs, schedule.end, timed_out, clock._now)
        if timed_out:
            self.timeouts += 1
        if alarm:
            clock.alarm_at = schedule.obs
        if self.on_start is not None:
            self._arranged = self.on_start(self)
        return obs, reward, terminated, info, True, timed_out, sent, row

    def _catch_up(self) -> Any:
        """Do step()'s prepare if the wait had no room for it; return what it returned.

        Called before the next time-step opens: opening it may start a capture on another
        thread, whose wait must not find a prepare to run.
        """
        job, self._prepare = self._prepare, None
        if job is not None:
            self._prepared = job(self._action)
        return self._prepared

    def _wait(self, deadline: float) -> None:
        """Wait for ``deadline``, offering the clock's spinning time to step()'s prepare."""
        if self._prepare is not None and self._wait_until is not None:
            self._wait_until(deadline, self._sleep, meanwhile=self._spare)
        else:
            self.clock.sleep_until(deadline)

    def _spare(self, seconds: float) -> None:
        """Do step()'s prepare now if it usually takes less than ``seconds``.

        Its duration is learned (a high quantile, :class:`~rtgym_nb._quantile.RunningQuantile`):
        copying a few small arrays takes tens of microseconds right after a wake-up, and more
        on a busy machine; a capture delayed by work that did not fit would be late.
        """
        cost = self._prepare_cost
        if seconds > cost.value:
            now = self.clock.now
            start = now()
            job, self._prepare = self._prepare, None
            self._prepared = job(self._action)
            cost.add(now() - start)

    def _close_and_send(self, action: Any, call_time: float, truncate: bool) -> StepResult:
        clock, schedule = self.clock, self.schedule
        if self.pending_capture:  # the usual case: capture now and send right after
            try:
                self._take()
                _, _, terminated, _ = self._taken[0]
            except BaseException:
                self._taken = None
                raise
            finally:
                self.running = False
            if schedule.obs < schedule.end:  # else: now >= capture time >= end
                clock.sleep_until(schedule.end)
        else:  # captured (and recorded) on another thread or by a timer
            self.running = False
            self._taken = None
            error, self.error = self.error, None
            if error is not None:  # ... which failed: the caller's thread raises it
                raise error
            captured = self.captured
            assert captured is not None
            terminated = captured.terminated
            self._wait(schedule.end)
        if terminated or truncate or (self.may_send is not None and not self.may_send()):
            captured, ended = self._record(), clock.now()
            return StepResult(captured, False, False, ended, self._catch_up())
        control = self.act_prepro(action) if self.act_prepro is not None else action
        sent = clock.now()
        try:
            self.interface.send_control(control)
        finally:
            send_end = clock.now()
            captured = self._record()
        prepared = self._catch_up()
        timed_out = self._open(call_time, sent, sent, send_end, from_reset=False)
        return StepResult(captured, True, timed_out, sent, prepared)

    def note_returned(self, when: float) -> None:
        """Record when the env call that opened the current time-step returned to its caller."""
        self.trace.set_returned(self.row, when)


_NEVER = float("inf")


def _offering_wait(clock: Clock) -> Callable[..., object] | None:
    """``clock.wait_until`` if it can offer a wait's spinning time to other work
    (:meth:`WallClock.wait_until <rtgym_nb._clock.WallClock.wait_until>`'s ``meanwhile``), else
    None: a clock of your own need not have it."""
    wait_until = getattr(clock, "wait_until", None)
    try:
        offers = wait_until is not None and "meanwhile" in inspect.signature(wait_until).parameters
    except (TypeError, ValueError):  # no signature to read (a builtin): assume it does not
        offers = False
    return wait_until if offers else None
