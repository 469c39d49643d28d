"""The elastic time-step: pure arithmetic on timestamps, no threads, no clock.

A real-time environment cannot pause, so when a time-step starts late it must decide whether
to catch up or to give up. rtgym's rule, kept exactly: the new time-step starts at the previous
one's *nominal* end (so a late step is compensated by shorter ones after it) as long as "now" is
within ``timeout_factor`` time-steps of that end. Beyond it the elastic constraint breaks: the
time-step starts now, and the break counts as a timeout unless the environment was deliberately
paused with ``wait()``.
"""

from __future__ import annotations

import math

__all__ = ["ElasticSchedule"]


class ElasticSchedule:
    """Nominal times of the current time-step, and the rule that computes the next ones.

    Attributes:
        duration: Nominal time-step duration (s).
        obs_offset: Observation capture time after the start of a time-step (s).
        timeout_factor: Elasticity, in time-steps.
        start: Nominal start of the current time-step.
        obs: Nominal capture time of the current time-step (``start + obs_offset``).
        end: Nominal end of the current time-step (``start + duration``).
        waiting: Set by ``wait()``: the next break of elasticity is expected, not a timeout.
    """

    __slots__ = ("duration", "end", "obs", "obs_offset", "start", "timeout_factor", "waiting")

    def __init__(self, duration: float, obs_offset: float, timeout_factor: float) -> None:
        self.duration = duration
        self.obs_offset = obs_offset
        self.timeout_factor = timeout_factor
        self.start = self.obs = self.end = math.nan
        self.waiting = False

    @property
    def started(self) -> bool:
        """True once :meth:`restart` has run (the first ``reset()``)."""
        return self.end == self.end  # not NaN

    def restart(self, now: float) -> None:
        """Pretend a time-step just ended at ``now``, so the next one starts on time."""
        self.start = now - self.duration
        self.obs = self.start + self.obs_offset
        self.end = now

    def advance(self, now: float) -> bool:
        """Move to the next time-step, given the current time; return True on a timeout.

        Called right after the control that opens the new time-step has been sent.
        """
        if now < self.end + self.duration * self.timeout_factor:
            start = self.end
            timed_out = False
        else:
            start = now
            timed_out = not self.waiting
        # rtgym 0.16 forgot a wait() only when elasticity broke, so a later genuine timeout could
        # go unreported; here wait() excuses exactly the next time-step.
        self.waiting = False
        self.start = start
        self.obs = start + self.obs_offset
        self.end = start + self.duration
        return timed_out

    def lateness(self, now: float) -> float:
        """How far past the current nominal end ``now`` is (negative when early)."""
        return now - self.end
