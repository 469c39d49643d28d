"""A running quantile: where most of a stream of delays falls, learned one sample at a time.

The wall clock needs a high percentile of its wake-up overshoots (how early to stop sleeping and
start spinning: the 98th for short waits, the 90th for long ones), and the persistent-thread
runner the 90th percentile of its hand-over times (how early to wake up). These distributions
drift with the machine's load, are sampled once per time-step on the hot path, and may not be
thrown off by a single outlier (a preemption of a few milliseconds). :class:`RunningQuantile`
does that in a couple of float operations.
"""

from __future__ import annotations

import math

__all__ = ["RunningQuantile"]


class RunningQuantile:
    """Running estimate of the ``quantile`` of a stream of samples, O(1) time and memory.

    Each sample moves the estimate by a fixed step: down by ``step`` when the sample is at or
    below it, up by ``step * quantile / (1 - quantile)`` when above, the ratio at which the
    estimate settles where a fraction ``quantile`` of the samples fall below it. So a lone
    outlier moves it by one up-step only.

    When samples keep landing above the estimate, each one in a row raises it by one up-step
    more than the last (1, 2, 3, ... up-steps, at most ``MAX_RUN``): a distribution that moved
    up -- a machine that just got busier, or a first estimate far too low -- is caught up with
    in a handful of samples instead of tens. The cap bounds how far the last step of a run can
    carry the estimate past the samples (10 up-steps): coming back down is as slow as ever, one
    down-step per sample. (With fixed 4.5 us up-steps, overshoots that grew by 100 us left
    the wall clock ~22 wake-ups late in a row before its margin caught up, over a second of late
    captures at 50 ms time-steps; with growing steps, 6.) At the 90th percentile two misses in
    a row are rare in a steady state, so this barely biases the estimate; it is meant for high
    quantiles (at the median, misses in a row are common, and it settles higher).

    Args:
        start: The first estimate.
        quantile: Fraction of samples meant to fall at or below the estimate, in (0, 1).
        step: The down-step, in the samples' unit.
        low: The estimate never goes below this.
        high: ... nor above this.
    """

    __slots__ = ("_down", "_run", "_up", "high", "low", "value")

    MAX_RUN = 10
    """The largest up-step, in base up-steps."""

    def __init__(self, start: float, quantile: float, step: float, low: float = 0.0,
                 high: float = math.inf) -> None:
        if not 0 < quantile < 1:
            raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
        if not step > 0:
            raise ValueError(f"step must be > 0, got {step!r}")
        if not low <= high:
            raise ValueError(f"need low <= high, got {low!r}, {high!r}")
        self._down = step
        self._up = step * quantile / (1 - quantile)
        self._run = 0  # samples above the estimate in a row
        self.low = low
        self.high = high
        self.value = min(max(start, low), high)
        """The current estimate."""

    def add(self, sample: float) -> float:
        """Take one sample into account; return the new estimate."""
        value = self.value
        if sample > value:
            if self._run < self.MAX_RUN:
                self._run += 1
            value = min(value + self._up * self._run, self.high)
        else:
            self._run = 0
            value = max(value - self._down, self.low)
        self.value = value
        return value

    def __repr__(self) -> str:
        return f"RunningQuantile(value={self.value!r})"
