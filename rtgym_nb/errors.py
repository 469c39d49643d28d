"""Exceptions and warnings that rtgym_nb raises, so callers can catch exactly these."""

from __future__ import annotations

__all__ = [
    "EnvClosedError",
    "EpisodeNotRunningError",
    "InterfaceHangError",
    "TimeStepTimeoutWarning",
]


class EnvClosedError(RuntimeError):
    """The environment was closed (or failed beyond repair); make a new one."""


class EpisodeNotRunningError(RuntimeError):
    """``step()`` was called with no episode running: call ``reset()`` first."""


class InterfaceHangError(TimeoutError):
    """An interface method did not return within ``hang_timeout`` seconds.

    The caller is released instead of waiting forever; the environment cannot be used again
    (its worker is still stuck in your code) but can be closed.
    """


class TimeStepTimeoutWarning(UserWarning):
    """A time-step started later than its elasticity allows, so the real-time clock restarted.

    Occasional timeouts after pauses are expected; repeated ones mean inference (or capture)
    takes longer than the time-step.
    """
