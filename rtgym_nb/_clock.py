"""Clocks: where "now" comes from and how a deadline is waited for.

The real-time pipeline never calls ``time`` directly: it asks a clock. Two clocks exist:

* :class:`WallClock` follows ``time.perf_counter`` and waits for deadlines precisely. A plain
  ``time.sleep`` overshoots by tens of microseconds (the kernel's timer slack plus the wake-up),
  so the clock sleeps coarsely until shortly before the deadline and spins for the last stretch.
  The length of that stretch adapts to the overshoot actually measured on this machine, so the
  clock is precise without burning a core on long time-steps.
* :class:`SimulatedClock` jumps to each deadline instantly. Nothing sleeps, runs are
  deterministic, and callbacks registered with :meth:`SimulatedClock.call_at` fire at their exact
  simulated time, even when a caller sleeps past them. This is how a time-step's observation is
  captured at its nominal time while the caller models a long inference with ``clock.sleep``.

Code that is not handed a clock (such as the tutorial's drone created inside an interface)
asks :func:`current_clock`, which returns the clock of the environment currently calling the
interface, or a shared :class:`WallClock` outside of any environment.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import heapq
import itertools
import math
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Protocol, TypeVar, runtime_checkable

from rtgym_nb._quantile import RunningQuantile

__all__ = [
    "Clock",
    "SimulatedClock",
    "TimerHandle",
    "WallClock",
    "current_clock",
    "use_clock",
]


T = TypeVar("T")


@runtime_checkable
class Clock(Protocol):
    """What the pipeline needs from a clock."""

    simulated: bool
    """True when time only advances through :meth:`sleep_until` (never on its own)."""

    def now(self) -> float:
        """Current time in seconds (an arbitrary but fixed origin)."""

    def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline`` (immediately if the deadline has passed)."""

    def sleep(self, duration: float) -> None:
        """Spend ``duration`` seconds (e.g. modelled inference time)."""


_PR_SET_TIMERSLACK = 29


def _lower_timer_slack() -> None:
    """Ask Linux for 1 ns of timer slack on the calling thread (the default is 50 us).

    The slack lets the kernel coalesce wake-ups; it is the main part of ``time.sleep``'s
    overshoot. It is a per-thread setting, so every thread that waits for deadlines calls this
    once. Elsewhere (or if libc is not found) it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # exotic libc: keep the default slack
        _libc().prctl(_PR_SET_TIMERSLACK, 1, 0, 0, 0)


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded once. ``CDLL(None)`` (the process's own symbols, which include
    libc's) avoids ``ctypes.util.find_library``, which runs a subprocess and takes milliseconds:
    too long for a thread that is about to wait for a deadline."""
    return ctypes.CDLL(None, use_errno=True)


class WallClock:
    """Real time, with deadlines met to within a few microseconds.

    ``sleep_until`` sleeps until a margin before the deadline, then spins on
    ``perf_counter``. The margin is a running estimate of a high quantile of the sleep
    overshoots measured on this machine, plus ``pad``, clamped to ``[min_margin,
    max_margin]`` (:class:`~rtgym_nb._quantile.RunningQuantile`: a hiccup raises it by a few
    microseconds only, a machine that got busier is caught up with in a few wake-ups).

    How late a sleep wakes up depends on its length: on a virtual machine whose idle processors
    are handed back to the host, a 19 ms sleep overshoots by ~65 us at the median and ~240 us at
    the 99th percentile, a 100-1900 us sleep by ~35 and ~55-75 us (measurements in
    ``docs/performance.md``). So waits up to ``long_wait`` and longer ones learn separate
    margins, at different quantiles:

    * short waits (short time-steps): ``quantile``, 98 %. Every sleep that wakes past the
      margin makes its time-step late and two periods wrong, and a plain ``time.sleep`` loop
      (rtgym's) keeps its p99 period error at a few tens of microseconds at these time-steps;
      covering 98 % rather than 90 % of the narrow overshoots costs ~15-25 us more spinning per
      time-step.
    * long waits: ``long_quantile``, 90 %. Their overshoots spread widely: covering 98 % would
      cost ~30-45 us more CPU per time-step at 20 ms, and a plain sleep's p99 period error is
      in the hundreds of microseconds there anyway. A lower quantile saves no CPU that stands
      out of the noise, and raises the median period error at 5 ms.

    Waits longer than ``split_above`` (20 ms: control loops of 50 Hz and slower) are slept in
    two parts: an *approach* sleep that ends ``final_sleep`` plus the approach's own overshoot
    estimate before the short margin, then a short final sleep with the short waits' margin.
    The approach's wide scatter is absorbed by ``final_sleep``, and the final sleep's overshoot
    is narrow. At 20 ms time-steps this halves the p99 period error, for a second wake-up that
    costs ~30 us of CPU per time-step; hence the threshold: above it those 30 us are a smaller
    share of the time-step. ``final_sleep=0`` never splits.

    The time a wait would spend spinning can be given to other work: ``meanwhile`` of
    :meth:`wait_until` (the pipeline does step()'s copies of the action buffer there).

    Args:
        min_margin: Shortest final stretch waited by spinning, in seconds.
        max_margin: Longest final stretch waited by spinning, in seconds.
        quantile: Fraction of short waits expected to wake up before ``deadline - pad``.
        pad: Seconds added to the overshoot estimates.
        long_wait: Waits longer than this (seconds) are long.
        long_quantile: :obj:`quantile` for long waits.
        split_above: Waits longer than this (seconds) end with a short sleep.
        final_sleep: Length of that short sleep, in seconds.
        timer: The time source (seconds, monotonic).
        sleeper: Sleeps for a number of seconds (the coarse wait of :meth:`sleep_until`).
            ``timer`` and ``sleeper`` are there for tests, which drive the margins' logic with
            a fake time source instead of real time.
    """

    simulated = False

    def __init__(
        self,
        min_margin: float = 20e-6,
        max_margin: float = 2e-3,
        quantile: float = 0.98,
        pad: float = 5e-6,
        long_wait: float = 4e-3,
        long_quantile: float = 0.9,
        split_above: float = 20e-3,
        final_sleep: float = 200e-6,
        *,
        timer: Callable[[], float] = time.perf_counter,
        sleeper: Callable[[float], object] = time.sleep,
    ) -> None:
        if not 0 <= min_margin <= max_margin:
            raise ValueError(
                f"WallClock needs 0 <= min_margin <= max_margin, got {min_margin!r}, {max_margin!r}"
            )
        for name, value in (("quantile", quantile), ("long_quantile", long_quantile)):
            if not 0 < value < 1:
                raise ValueError(f"WallClock needs 0 < {name} < 1, got {value!r}")
        for name, value in (("long_wait", long_wait), ("final_sleep", final_sleep)):
            if not value >= 0:
                raise ValueError(f"WallClock needs {name} >= 0, got {value!r}")
        if not split_above >= long_wait:
            raise ValueError(
                f"WallClock needs split_above >= long_wait, got {split_above!r}, {long_wait!r}"
            )
        self.min_margin = min_margin
        self.max_margin = max_margin
        self.pad = pad
        self.long_wait = long_wait
        self.split_above = split_above
        self.final_sleep = final_sleep
        # overshoot estimates; the up-step (a lone outlier's effect) is set, the down-step
        # follows from the quantile (at 98 %: 0.2 us, so the descent from the start takes
        # under a second at 1 ms time-steps)
        self._short = self._overshoot(50e-6, quantile, up=9.8e-6)
        self._long = self._overshoot(100e-6, long_quantile, up=4.5e-6)
        # the approach sleep's overshoot: how much earlier than the final sleep to end it
        self._approach = RunningQuantile(200e-6, 0.9, step=0.5e-6, high=10e-3)
        self._tuned = threading.local()
        self.now = timer
        self.timer = timer
        self.sleeper = sleeper

    def _overshoot(self, start: float, quantile: float, up: float) -> RunningQuantile:
        return RunningQuantile(start, quantile, step=up * (1 - quantile) / quantile,
                               high=self.max_margin)

    def now(self) -> float:  # (replaced in __init__ by the timer itself: one call less)
        return self.timer()

    @property
    def margin(self) -> float:
        """The final stretch waited by spinning after a short wait, in seconds."""
        return self._clamp(self._short.value + self.pad)

    @property
    def long_margin(self) -> float:
        """The final stretch waited by spinning after a long wait, in seconds."""
        return self._clamp(self._long.value + self.pad)

    def _clamp(self, margin: float) -> float:
        return min(max(margin, self.min_margin), self.max_margin)

    def sleep_until(self, deadline: float) -> None:
        self.wait_until(deadline, self.sleeper)

    def wait_until(
        self,
        deadline: float,
        block: Callable[[float], T | None],
        spin: bool = True,
        meanwhile: Callable[[float], object] | None = None,
    ) -> T | None:
        """:meth:`sleep_until` with ``block(timeout)`` as the coarse wait, which may end early.

        ``block`` waits for at most ``timeout`` seconds and returns None, or something else
        to stop waiting (say, ``queue.get`` wrapped to return None on ``queue.Empty``). That
        value is returned at once; otherwise the deadline is waited for precisely (the last
        margin by spinning) and None is returned. This lets a thread wait for a deadline *or*
        for work (with one wake-up, two for a wait split in two). With ``spin=False`` it
        returns None at the end of the coarse wait (a margin or less before the deadline),
        leaving the last stretch to a later :meth:`sleep_until`.

        ``meanwhile(seconds)`` is called once the sleeping is over, with the seconds left
        before the deadline, which would otherwise be spent spinning: work done there costs no
        CPU time beyond the spinning it replaces. It must return before the deadline (it is
        told how long it has).
        """
        if not getattr(self._tuned, "done", False):  # once per thread, before timing anything
            _lower_timer_slack()
            self._tuned.done = True
        perf_counter = self.timer
        now = perf_counter()
        split = self.final_sleep and deadline - now > self.split_above
        if split:  # close in first, so that the sleep below is short
            approach = deadline - self.margin - self.final_sleep - self._approach.value
            if approach > now:
                got = block(approach - now)
                if got is not None:
                    return got
                now = perf_counter()
                self._approach.add(now - approach)
        # A wait is long by its whole length, not by what is left before a margin: a wait near
        # the threshold must not flip between the two margins as they change.
        long = not split and deadline - now > self.long_wait
        wake = deadline - (self.long_margin if long else self.margin)
        if wake > now:
            got = block(wake - now)
            if got is not None:
                return got
            # (a split wait's final sleep is short: it teaches the short margin)
            (self._long if long else self._short).add(perf_counter() - wake)
        if meanwhile is not None:
            meanwhile(deadline - perf_counter())
        if spin:
            while perf_counter() < deadline:
                pass
        return None

    def sleep(self, duration: float) -> None:
        self.sleep_until(self.timer() + duration)

    def __repr__(self) -> str:
        return (f"WallClock(margin={self.margin * 1e6:.0f}us, "
                f"long_margin={self.long_margin * 1e6:.0f}us)")


class TimerHandle:
    """A callback registered with :meth:`SimulatedClock.call_at`; ``cancel()`` disarms it."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], object]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class SimulatedClock:
    """Deterministic time that advances only when somebody waits.

    ``sleep_until(t)`` fires, in time order, every callback due at or before ``t`` (with
    ``now()`` equal to each callback's time while it runs) and then sets ``now()`` to ``t``.
    Time never goes backwards: waiting for a past deadline returns at once.

    Callbacks come from :meth:`call_at` (one-shot timers) and from the clock's *alarm*: one
    callback, claimed by one owner (:meth:`claim_alarm`), that rings when time reaches
    :attr:`alarm_at`. The owner sets :attr:`alarm_at` to arm it and to infinity to disarm it,
    which costs one attribute write: an environment re-arms it on every time-step for its
    capture. Among callbacks due at the same time the alarm rings last (a capture at time t
    sees what the timers of time t did, as a capture that ``step()`` takes itself does).

    It is not locked: one thread advances it at a time. Environments guarantee this by running
    everything inline (or on their worker, while the caller waits) on this clock.

    Args:
        start: The initial value of ``now()``.
    """

    simulated = True

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._timers: list[tuple[float, int, TimerHandle]] = []
        self._order = itertools.count()
        self.alarm_at = math.inf
        """When the alarm rings (infinity: disarmed). Its owner's to set."""
        self._alarm: Callable[[], object] | None = None

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], object]) -> TimerHandle:
        """Run ``callback()`` when simulated time reaches ``when``."""
        when = self._timer_time(when)
        handle = TimerHandle(when, callback)
        heapq.heappush(self._timers, (when, next(self._order), handle))
        return handle

    def claim_alarm(self, callback: Callable[[], object]) -> bool:
        """Make ``callback`` the alarm's (disarmed); False if somebody has it already (use
        :meth:`call_at` then)."""
        if self._alarm is not None:
            return False
        self._alarm = callback
        self.alarm_at = math.inf
        return True

    def release_alarm(self, callback: Callable[[], object]) -> None:
        """Disarm the alarm and give it back, if ``callback`` has it."""
        if self._alarm is not None and self._alarm == callback:  # (equal: a bound method)
            self._alarm = None
            self.alarm_at = math.inf

    def _timer_time(self, when: float) -> float:
        """When a timer asked for ``when`` fires (subclasses with a coarse timer round up)."""
        return when

    def sleep_until(self, deadline: float) -> None:
        timers = self._timers
        if deadline >= self.alarm_at or (timers and timers[0][0] <= deadline):
            self._fire_until(deadline)
        if deadline > self._now:  # (never backwards; a NaN deadline leaves the time alone)
            self._now = deadline

    def _fire_until(self, deadline: float) -> None:
        """Fire every timer due at or before ``deadline`` in time order, the alarm among them
        (last among those of its time)."""
        timers = self._timers
        while True:
            alarm, at = self._alarm, self.alarm_at
            ring = self._timer_time(at) if alarm is not None and at < math.inf else math.inf
            if timers and timers[0][0] <= deadline and timers[0][0] <= ring:
                when, _, handle = heapq.heappop(timers)
                if handle.cancelled:
                    continue
                callback = handle.callback
            elif ring <= deadline:
                when, callback = ring, alarm
                self.alarm_at = math.inf  # (disarmed before it rings: it may re-arm itself)
            else:
                return
            if when > self._now:
                self._now = when
            callback()

    def sleep(self, duration: float) -> None:
        if duration < 0:
            raise ValueError(f"cannot sleep a negative duration, got {duration!r}")
        self.sleep_until(self._now + duration)

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self._now:.6f})"


_DEFAULT_WALL_CLOCK = WallClock()
_current: contextvars.ContextVar[tuple[Clock, FrameType]] = contextvars.ContextVar(
    "rtgym_nb_clock")
"""The clock of the innermost :class:`use_clock` block, with the frame that entered it."""

_LENDING: dict[CodeType, str] = {}
"""Functions that lend a clock to whatever they call, without setting :data:`_current`: their
code, and the name of the local variable that holds the clock (:func:`lend_clock`)."""


def lend_clock(function: Callable[..., object], local: str) -> None:
    """Make ``function`` lend the clock in its local variable ``local`` to what it calls.

    For a function too hot to enter :class:`use_clock` (``RealTimeEnv.step`` on a simulated
    clock: setting a context variable and resetting it is a tenth of the framework's cost per
    step there). :func:`current_clock` finds it on the stack instead, where it is the innermost
    frame lending a clock or holding a :class:`use_clock` block.
    """
    _LENDING[function.__code__] = local


def current_clock() -> Clock:
    """The clock of the environment currently calling an interface, else a shared wall clock.

    That is the innermost of: an environment's call on the caller's stack, a :class:`use_clock`
    block. (On another thread than the block's, with its context copied: the block's clock.)
    """
    marked = _current.get(None)
    if _LENDING:
        stop = None if marked is None else marked[1]
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame is not stop:
            local = _LENDING.get(frame.f_code)
            if local is not None:
                clock = frame.f_locals.get(local)
                if clock is not None:
                    return clock
            frame = frame.f_back
    return _DEFAULT_WALL_CLOCK if marked is None else marked[0]


class use_clock:
    """Make ``clock`` what :func:`current_clock` returns inside the ``with`` block.

    A small class rather than a ``contextlib.contextmanager`` generator: environments enter
    it around every interface call, where a generator-based context manager costs tens of
    microseconds of CPU per ``step()`` when its code is cold in the caches.
    """

    __slots__ = ("_clock", "_token")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __enter__(self) -> Clock:
        self._token = _current.set((self._clock, sys._getframe(1)))
        return self._clock

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)
