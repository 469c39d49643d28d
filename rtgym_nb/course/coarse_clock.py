"""A simulated clock with a coarse OS timer: why Windows' 15.6 ms timer wrecks a 20 ms time-step.

The rtgym README shows two histograms of time-step durations: on Linux, 2 ms time-steps land
within microseconds of 2 ms; on Windows, 20 ms time-steps swing between about 15 and 31 ms. The
difference is the operating system's timer. A ``sleep`` can only end on one of the timer's
ticks, and Windows' default tick is 1/64 s = 15.625 ms, whatever the duration asked for.

:class:`CoarseTimerClock` reproduces this deterministically. It is a
:class:`~rtgym_nb._clock.SimulatedClock` whose *waits* (``sleep_until``, and the timers an
environment sets for its captures) end on the next tick of a fixed grid, while *work*
(``sleep(duration)``, how a lesson models inference) takes exactly the time given. Give it to
an environment as its clock (``tutorial_config(clock=CoarseTimerClock())``) and the trace shows
the README's Windows figure, the same on every machine; a plain ``SimulatedClock`` is the
precise timer next to it.
"""

from __future__ import annotations

import math

from rtgym_nb._clock import SimulatedClock

__all__ = ["WINDOWS_TIMER", "CoarseTimerClock"]

WINDOWS_TIMER = 1 / 64
"""Windows' default timer resolution: 15.625 ms."""


class CoarseTimerClock(SimulatedClock):
    """Simulated time whose waits end on the next tick of a ``resolution`` grid.

    Args:
        resolution: The timer's tick (s); Windows' default 15.625 ms unless given.
        start: The initial value of ``now()``.
    """

    def __init__(self, resolution: float = WINDOWS_TIMER, start: float = 0.0) -> None:
        if not resolution > 0:
            raise ValueError(f"resolution must be > 0, got {resolution!r}")
        super().__init__(start)
        self.resolution = float(resolution)

    def tick_after(self, deadline: float) -> float:
        """The first tick at or after ``deadline`` (times within 1 ns of a tick count as on it)."""
        ticks = math.ceil(deadline / self.resolution - 1e-9 / self.resolution)
        return ticks * self.resolution

    def sleep_until(self, deadline: float) -> None:
        """Wait for ``deadline``: wake on the timer's next tick, as an OS sleep does."""
        super().sleep_until(self.tick_after(deadline))

    def _timer_time(self, when: float) -> float:
        """Timers fire on the timer's next tick at or after their time."""
        return self.tick_after(when)

    def sleep(self, duration: float) -> None:
        """Work for ``duration`` seconds: computing is not waiting, so it takes exactly that."""
        if duration < 0:
            raise ValueError(f"cannot sleep a negative duration, got {duration!r}")
        super().sleep_until(self.now() + duration)

    def __repr__(self) -> str:
        return f"CoarseTimerClock(resolution={self.resolution * 1e3:g} ms, now={self.now():.6f})"
