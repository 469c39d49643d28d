"""Exceptions and warnings that rtgym_nb raises, so callers can catch exactly these."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import gymnasium

__all__ = [
    "ConfigWarning",
    "EnvClosedError",
    "EpisodeNotRunningError",
    "InterfaceHangError",
    "TimeStepTimeoutWarning",
    "warn_config",
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


class ConfigWarning(UserWarning):
    """A configuration entry that rtgym 0.16 runs, but that is probably a mistake.

    The environment runs it as rtgym would; the message names the key, quotes the value and
    says what will happen (with "did you mean" for a key close to a known one). Turn it into
    an error with ``warnings.simplefilter("error", rtgym_nb.ConfigWarning)``.
    """

    def __init__(self, key: Any, value: Any, message: str) -> None:
        self.key = key
        self.value = value
        text = repr(value)
        text = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"config[{key!r}] = {text}: {message}")


_INTERNAL = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
             os.path.dirname(os.path.abspath(gymnasium.__file__)) + os.sep)


def warn_config(key: Any, value: Any, message: str) -> None:
    """Warn :class:`ConfigWarning`, attributed to the user's line (``gymnasium.make``, a setter
    call), not to the line of rtgym_nb or gymnasium that noticed."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    warnings.warn(ConfigWarning(key, value, message), stacklevel=level)
