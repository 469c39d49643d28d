"""Configuration: rtgym 0.16's dictionary, kept as it was, and its validated, documented form.

Two ways in, one way through:

* ``DEFAULT_CONFIG_DICT`` is the plain, mutable dictionary of rtgym 0.16 (same keys, same
  defaults). Scripts written for rtgym do ``my_config = DEFAULT_CONFIG_DICT`` and mutate it, so
  it must stay a dict; :func:`make_config` returns a fresh copy with overrides instead, which is
  what our notebooks use.
* :class:`RealTimeConfig` is what an environment actually runs on. It is built from any such
  dictionary by :meth:`RealTimeConfig.from_dict`, which copies it (later changes to the dict
  never reach a live environment) and rejects unknown keys, wrong types and bad values with a
  :class:`ConfigError` that names the key and quotes the value.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from rtgym_nb._clock import Clock, SimulatedClock, WallClock
from rtgym_nb.interface import RealTimeGymInterface

__all__ = [
    "DEFAULT_CONFIG_DICT",
    "MAX_ACT_BUF_LEN",
    "MAX_SECONDS",
    "MAX_TRACE_LENGTH",
    "ConfigError",
    "ConfigTypeError",
    "RealTimeConfig",
    "make_config",
]


_UNSET: Any = object()

MAX_SECONDS = 1e6
"""Upper bound of ``time_step_duration`` and ``hang_timeout`` (about 11.6 days).

Far above any real time-step, far below what ``time.sleep`` and lock timeouts accept (about
9.2e9 s, beyond which they raise ``OverflowError`` in the middle of a run)."""

MAX_ACT_BUF_LEN = 10_000
"""Upper bound of ``act_buf_len`` (every observation carries that many actions)."""

MAX_TRACE_LENGTH = 10_000_000
"""Upper bound of ``trace_length`` (the trace allocates 96 bytes per row up front: ~1 GB)."""


class ConfigError(ValueError):
    """A configuration entry is unknown or has a bad value. ``key`` and ``value`` say which."""

    def __init__(self, key: str, value: Any = _UNSET, message: str | None = None) -> None:
        if value is _UNSET and message is None:
            # Rebuilt from its text alone: gymnasium.make re-raises a TypeError raised by the env
            # as ``type(e)(text) from e`` (and pickling calls ``type(e)(*e.args)``). ``key`` and
            # ``value`` then come from the original error, the ``__cause__``.
            self._key = self._value = _UNSET
            super().__init__(key)
            return
        self._key = key
        self._value = value
        super().__init__(f"config[{key!r}] = {_short_repr(value)}: {message}")

    @property
    def key(self) -> str | None:
        """The offending configuration key."""
        return getattr(self.__cause__, "key", None) if self._key is _UNSET else self._key

    @property
    def value(self) -> Any:
        """The offending value."""
        return getattr(self.__cause__, "value", None) if self._value is _UNSET else self._value


class ConfigTypeError(ConfigError, TypeError):
    """A configuration entry has the wrong type."""


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


DEFAULT_CONFIG_DICT: dict[str, Any] = {
    "interface": RealTimeGymInterface,
    "interface_args": (),
    "interface_kwargs": {},
    "time_step_duration": 0.05,
    "start_obs_capture": 0.05,
    "time_step_timeout_factor": 1.0,
    "ep_max_length": np.inf,
    "act_in_obs": True,
    "act_buf_len": 1,
    "reset_act_buf": True,
    "benchmark": False,
    "benchmark_polyak": 0.1,
    "benchmark_type": "polyak",
    "wait_on_done": False,
    "last_act_on_reset": False,
}
"""rtgym 0.16's configuration dictionary: replace ``"interface"`` with your class.

Kept mutable on purpose (the rtgym tutorial mutates it in place). Prefer :func:`make_config`.
Every key of :class:`RealTimeConfig` is accepted, including those not listed here.
"""


@dataclasses.dataclass
class RealTimeConfig:
    """Everything a real-time environment needs to know, validated.

    Build it with :meth:`from_dict`; the fields keep rtgym 0.16's names and defaults, with a few
    additions at the end.
    """

    interface: type = RealTimeGymInterface
    """Your :class:`RealTimeGymInterface` subclass (the class, not an instance)."""

    interface_args: tuple = ()
    """Positional arguments for the interface's constructor."""

    interface_kwargs: dict = dataclasses.field(default_factory=dict)
    """Keyword arguments for the interface's constructor."""

    time_step_duration: float = 0.05
    """Nominal duration of a time-step, in seconds: actions are sent at this period."""

    start_obs_capture: float = 0.05
    """When, after a time-step starts, its observation is captured (0 to ``time_step_duration``).

    Equal to ``time_step_duration`` (capture at the very end) unless capture takes a sizeable
    part of the time-step and you want it to finish by the end.
    """

    time_step_timeout_factor: float = 1.0
    """Elasticity, in time-steps: how late a time-step may start (relative to the previous one's
    nominal end) and still be caught up. Beyond it the time-step times out and the clock restarts
    from the current time."""

    ep_max_length: float = math.inf
    """Episode length after which ``truncated`` is True (``inf``: never)."""

    act_in_obs: bool = True
    """Append the action buffer to every observation."""

    act_buf_len: int = 1
    """Number of past actions in the buffer; cover the worst total delay in time-steps (0: none)."""

    reset_act_buf: bool = True
    """Refill the action buffer with the default action on ``reset()``."""

    benchmark: bool = False
    """Keep the durations that ``env.benchmarks()`` reports."""

    benchmark_polyak: float = 0.1
    """Weight of the newest sample in the benchmarks' running averages, in (0, 1]."""

    benchmark_type: str = "polyak"
    """``"polyak"`` (running averages) or ``"trace"`` (full histories)."""

    wait_on_done: bool = False
    """Call ``wait()`` automatically when an episode ends."""

    last_act_on_reset: bool = False
    """With ``reset_act_buf`` False, ``reset()`` sends the episode's last (never sent) action
    instead of the default action."""

    act_prepro_func: Callable | None = None
    """Applied to each action before ``send_control`` (the buffer keeps the raw action)."""

    obs_prepro_func: Callable | None = None
    """Applied to each interface observation before the action buffer is appended (in both
    ``reset()`` and ``step()``, unlike rtgym 0.16 whose ``reset()`` applied it after)."""

    clock: Any = "wall"
    """``"wall"`` (real time), ``"simulated"`` (time jumps to each deadline: nothing sleeps, runs
    are reproducible) or a clock instance."""

    trace_length: int = 20_000
    """Time-steps kept in the timing trace (a ring buffer: memory stays constant)."""

    hang_timeout: float = 10.0
    """Seconds a call to the interface on a worker thread may take before the caller gets an
    :class:`~rtgym_nb.errors.InterfaceHangError` instead of waiting forever (at most
    :data:`MAX_SECONDS`).

    Worker threads are ``real-time-gym-ts-v1``'s worker (every call) and ``real-time-gym-v1``'s
    capture thread (with ``start_obs_capture < time_step_duration`` on the wall clock). A call
    made on the caller's own thread (``send_control`` and the rest on ``real-time-gym-v1``)
    cannot be interrupted: a hang there blocks the caller until the interface returns."""

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | RealTimeConfig | None) -> RealTimeConfig:
        """Copy and validate a configuration dictionary (rtgym's keys, plus ours)."""
        if isinstance(config, RealTimeConfig):
            return copy.copy(config)
        if config is None:
            config = DEFAULT_CONFIG_DICT
        if not isinstance(config, Mapping):
            raise ConfigTypeError("<config>", config, "the configuration must be a dict")
        known = {f.name for f in dataclasses.fields(cls)}
        for key in config:
            if key not in known:
                hint = difflib.get_close_matches(str(key), sorted(known), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ConfigError(key, config[key], f"unknown configuration key{extra}")
        values = {key: config[key] for key in config}
        if "interface_kwargs" in values and isinstance(values["interface_kwargs"], Mapping):
            values["interface_kwargs"] = dict(values["interface_kwargs"])
        result = cls(**values)
        result.validate()
        return result

    def validate(self) -> None:
        """Raise :class:`ConfigError` on the first bad entry."""
        interface = self.interface
        if not (isinstance(interface, type) and issubclass(interface, RealTimeGymInterface)):
            raise ConfigTypeError(
                "interface", interface, "must be a subclass of rtgym_nb.RealTimeGymInterface"
            )
        if interface is RealTimeGymInterface:
            raise ConfigError(
                "interface", interface,
                "is the abstract base class (is the key missing?); put your own subclass here",
            )
        if not isinstance(self.interface_args, (tuple, list)):
            raise ConfigTypeError("interface_args", self.interface_args, "must be a tuple")
        self.interface_args = tuple(self.interface_args)
        if not isinstance(self.interface_kwargs, Mapping) or not all(
            isinstance(k, str) for k in self.interface_kwargs
        ):
            raise ConfigTypeError(
                "interface_kwargs", self.interface_kwargs, "must be a dict with string keys"
            )
        self.time_step_duration = check_time_step_duration(self.time_step_duration)
        self.start_obs_capture = check_start_obs_capture(
            self.start_obs_capture, self.time_step_duration
        )
        self.time_step_timeout_factor = check_timeout_factor(self.time_step_timeout_factor)
        self.ep_max_length = check_ep_max_length(self.ep_max_length)
        for key in ("act_in_obs", "reset_act_buf", "benchmark", "wait_on_done",
                    "last_act_on_reset"):
            setattr(self, key, _boolean(key, getattr(self, key)))
        self.act_buf_len = _integer("act_buf_len", self.act_buf_len, 0, MAX_ACT_BUF_LEN)
        polyak = _real("benchmark_polyak", self.benchmark_polyak)
        if not 0 < polyak <= 1:
            raise ConfigError("benchmark_polyak", self.benchmark_polyak, "must be in (0, 1]")
        self.benchmark_polyak = polyak
        if not isinstance(self.benchmark_type, str):
            raise ConfigTypeError("benchmark_type", self.benchmark_type, 'must be a string')
        if self.benchmark_type.lower() not in ("polyak", "trace"):
            raise ConfigError("benchmark_type", self.benchmark_type,
                              'must be "polyak" or "trace"')
        self.benchmark_type = self.benchmark_type.lower()
        for key in ("act_prepro_func", "obs_prepro_func"):
            func = getattr(self, key)
            if func is not None and not callable(func):
                raise ConfigTypeError(key, func, "must be callable or None")
        self.clock = make_clock(self.clock)
        self.trace_length = _integer("trace_length", self.trace_length, 2, MAX_TRACE_LENGTH)
        hang = _real("hang_timeout", self.hang_timeout)
        if not 0 < hang <= MAX_SECONDS:
            raise ConfigError("hang_timeout", self.hang_timeout,
                              f"must be a number of seconds in (0, {MAX_SECONDS:g}]")
        self.hang_timeout = hang


def make_config(interface: type | None = None, **overrides: Any) -> dict[str, Any]:
    """A fresh configuration dictionary: rtgym's defaults, then ``interface`` and ``overrides``.

    Unlike mutating ``DEFAULT_CONFIG_DICT``, this never affects anyone else. Keys are checked
    here (with a did-you-mean hint); values are checked when the environment is made.
    """
    config = copy.deepcopy(DEFAULT_CONFIG_DICT)
    if interface is not None:
        config["interface"] = interface
    known = {f.name for f in dataclasses.fields(RealTimeConfig)}
    for key, value in overrides.items():
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(key, value, f"unknown configuration key{extra}")
        config[key] = value
    return config


def make_clock(spec: Any) -> Clock:
    """A clock from the ``"clock"`` entry: ``"wall"``, ``"simulated"`` or an instance."""
    if isinstance(spec, str):
        if spec == "wall":
            return WallClock()
        if spec == "simulated":
            return SimulatedClock()
        raise ConfigError("clock", spec, 'must be "wall", "simulated" or a clock instance')
    if isinstance(spec, (WallClock, SimulatedClock)) or (
        isinstance(spec, Clock) and not isinstance(spec, type)
    ):
        return spec
    raise ConfigTypeError("clock", spec, 'must be "wall", "simulated" or a clock instance')


# Errors quote the value as given (not its float conversion), so the user recognises it.

def check_time_step_duration(value: Any) -> float:
    seconds = _real("time_step_duration", value)
    if not 0 < seconds <= MAX_SECONDS:
        raise ConfigError("time_step_duration", value,
                          f"must be a number of seconds in (0, {MAX_SECONDS:g}]")
    return seconds


def check_start_obs_capture(value: Any, time_step_duration: float) -> float:
    seconds = _real("start_obs_capture", value)
    if not 0 <= seconds <= time_step_duration:
        raise ConfigError(
            "start_obs_capture", value,
            f"must be within [0, time_step_duration] = [0, {time_step_duration!r}]",
        )
    return seconds


def check_timeout_factor(value: Any) -> float:
    factor = _real("time_step_timeout_factor", value)
    if not factor > 0:
        raise ConfigError("time_step_timeout_factor", value, "must be > 0")
    return factor


def check_ep_max_length(value: Any) -> float | int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ConfigTypeError("ep_max_length", value, "must be a positive integer or inf")
    if value == math.inf:
        return math.inf
    if value != value or value < 1 or int(value) != value:
        raise ConfigError("ep_max_length", value, "must be a positive integer or inf")
    return int(value)


def _real(key: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ConfigTypeError(key, value, "must be a number")
    try:
        number = float(value)
    except OverflowError:  # e.g. 10**400
        raise ConfigError(key, value, "is too large") from None
    if number != number:
        raise ConfigError(key, value, "must not be NaN")
    return number


def _integer(key: str, value: Any, minimum: int, maximum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ConfigTypeError(key, value, "must be an integer")
    if not minimum <= value <= maximum:
        raise ConfigError(key, value, f"must be within [{minimum}, {maximum}]")
    return int(value)


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigTypeError(key, value, "must be True or False")
    return bool(value)
