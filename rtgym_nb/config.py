"""Configuration: rtgym 0.16's dictionary, kept as it was, and its validated, documented form.

Two ways in, one way through:

* ``DEFAULT_CONFIG_DICT`` is the plain, mutable dictionary of rtgym 0.16 (same keys, same
  defaults). Scripts written for rtgym do ``my_config = DEFAULT_CONFIG_DICT`` and mutate it, so
  it must stay a dict; :func:`make_config` returns a fresh copy with overrides instead, which is
  what our notebooks use.
* :class:`RealTimeConfig` is what an environment actually runs on. It is built from any such
  dictionary by :meth:`RealTimeConfig.from_dict`, which copies it (later changes to the dict
  never reach a live environment) and checks every entry.

The checks follow one principle: what rtgym 0.16 runs, rtgym_nb runs. An entry rtgym runs but
that is probably a mistake (a key close to a known one, ``start_obs_capture`` after the end of
the time-step, ``ep_max_length=0``...) gets a :class:`~rtgym_nb.errors.ConfigWarning` and runs
as in rtgym; other unknown keys are ignored, as rtgym ignores them. Only an entry that cannot
run at all (a negative time-step, an interface that is not callable, a value of a type the
key's arithmetic cannot use) raises, at construction, a :class:`ConfigError` that names the
key and quotes the value.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from rtgym_nb._clock import Clock, SimulatedClock, WallClock
from rtgym_nb.errors import warn_config
from rtgym_nb.interface import REQUIRED_METHODS, RealTimeGymInterface

__all__ = [
    "DEFAULT_CONFIG_DICT",
    "MAX_ACT_BUF_LEN",
    "MAX_SECONDS",
    "MAX_TRACE_LENGTH",
    "ConfigError",
    "ConfigTypeError",
    "RealTimeConfig",
    "check_interface_object",
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
Every key of :class:`RealTimeConfig` is accepted, including those not listed here; other keys
are ignored (with a :class:`~rtgym_nb.errors.ConfigWarning` when close to a known one).
"""


@dataclasses.dataclass
class RealTimeConfig:
    """Everything a real-time environment needs to know, checked.

    Build it with :meth:`from_dict`; the fields keep rtgym 0.16's names and defaults, with a few
    additions at the end.
    """

    interface: Callable[..., Any] = RealTimeGymInterface
    """What builds your interface: usually your :class:`RealTimeGymInterface` subclass, or any
    callable (``functools.partial``, a factory) returning an object with its methods."""

    interface_args: tuple = ()
    """Positional arguments for the interface's constructor."""

    interface_kwargs: dict = dataclasses.field(default_factory=dict)
    """Keyword arguments for the interface's constructor."""

    time_step_duration: float = 0.05
    """Nominal duration of a time-step, in seconds: actions are sent at this period."""

    start_obs_capture: float = 0.05
    """When, after a time-step starts, its observation is captured.

    Equal to ``time_step_duration`` (capture at the very end) unless capture takes a sizeable
    part of the time-step and you want it to finish by the end. A later capture runs (as in
    rtgym) but makes every time-step overrun.
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
    """``"polyak"`` (running averages) or ``"trace"`` (histories, with rtgym's keys)."""

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

    hang_timeout: float | None = None
    """Seconds a call to the interface on a worker thread may take before the caller gets an
    :class:`~rtgym_nb.errors.InterfaceHangError` instead of waiting (at most
    :data:`MAX_SECONDS`); ``None`` (the default, as in rtgym): wait as long as it takes.

    Opt in when a hung device must not freeze your program (a training run left unattended),
    with a value well above your slowest legitimate call (a ``reset()`` that waits for an
    operator or a respawn). Worker threads are ``real-time-gym-ts-v1``'s worker (every call)
    and ``real-time-gym-v1``'s capture thread (with ``start_obs_capture < time_step_duration``
    on the wall clock). A call made on the caller's own thread (``send_control`` and the rest
    on ``real-time-gym-v1``) cannot be interrupted: a hang there blocks the caller until the
    interface returns."""

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | RealTimeConfig | None) -> RealTimeConfig:
        """Copy and check a configuration dictionary (rtgym's keys, plus ours)."""
        if isinstance(config, RealTimeConfig):
            return copy.copy(config)
        if config is None:
            config = DEFAULT_CONFIG_DICT
        if not isinstance(config, Mapping):
            raise ConfigTypeError("<config>", config, "the configuration must be a dict")
        values = known_entries(config)
        if "interface_kwargs" in values and isinstance(values["interface_kwargs"], Mapping):
            values["interface_kwargs"] = dict(values["interface_kwargs"])
        result = cls(**values)
        result.validate()
        return result

    def validate(self) -> None:
        """Check every entry in turn: raise :class:`ConfigError` or warn, normalise the value."""
        for field in dataclasses.fields(self):
            setattr(self, field.name, self.checked(field.name, getattr(self, field.name)))

    def checked(self, key: str, value: Any) -> Any:
        """``value`` normalised for ``key``, in the context of the other entries.

        Raises :class:`ConfigError` if it cannot run; warns
        (:class:`~rtgym_nb.errors.ConfigWarning`) if rtgym would run it but it is probably a
        mistake. The environment's setters go through here too.
        """
        return _CHECKS[key](self, key, value)


def known_entries(config: Mapping[Any, Any]) -> dict[str, Any]:
    """The entries of ``config`` that are configuration keys; the others are ignored, as rtgym
    ignores them, with a :class:`~rtgym_nb.errors.ConfigWarning` for a near-miss of a key."""
    known = {f.name for f in dataclasses.fields(RealTimeConfig)}
    for key in config:
        if key in known:
            continue
        hint = difflib.get_close_matches(key, sorted(known), n=1) if isinstance(key, str) else []
        if hint:
            warn_config(key, config[key], f"unknown key, ignored; did you mean {hint[0]!r}?")
    return {key: config[key] for key in config if key in known}


def make_config(interface: Callable[..., Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A fresh configuration dictionary: rtgym's defaults, then ``interface`` and ``overrides``.

    Unlike mutating ``DEFAULT_CONFIG_DICT``, this never affects anyone else. Keys and values
    are checked when the environment is made (:meth:`RealTimeConfig.from_dict`).
    """
    config = copy.deepcopy(DEFAULT_CONFIG_DICT)
    if interface is not None:
        config["interface"] = interface
    config.update(overrides)
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


def check_interface_object(interface: Any, factory: Any) -> Any:
    """``interface`` (built by ``factory``, the ``"interface"`` entry) if it has every method
    the environment calls (duck typing), else :class:`ConfigTypeError` naming the first
    missing one."""
    for name in REQUIRED_METHODS:
        if not callable(getattr(interface, name, None)):
            raise ConfigTypeError(
                "interface", factory,
                f"builds a {type(interface).__name__!r} without a method {name}() (an "
                f"interface needs {', '.join(REQUIRED_METHODS)})",
            )
    return interface


# -- one check per key -------------------------------------------------------------------------
# Each takes (config, key, value) and returns the value to run on. Messages quote the value as
# given (not its conversion), so the user recognises it.

def _check_interface(cfg: RealTimeConfig, key: str, value: Any) -> Any:
    if not callable(value):
        raise ConfigTypeError(
            key, value,
            "must be callable: your interface class, or a factory returning an interface",
        )
    if value is RealTimeGymInterface:
        raise ConfigError(
            key, value,
            "is the abstract base class (is the key missing?); put your own subclass here",
        )
    # (the methods are checked on the object it builds: a class may provide them only on its
    # instances, through __init__ or __getattr__, and rtgym runs such classes)
    return value


def _check_args(cfg: RealTimeConfig, key: str, value: Any) -> tuple:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    if not isinstance(value, Iterable):
        raise ConfigTypeError(key, value, "must be a tuple (it is unpacked with *)")
    warn_config(key, value, "is not a tuple; unpacked with * as rtgym does, element by element")
    return tuple(value)


def _check_kwargs(cfg: RealTimeConfig, key: str, value: Any) -> dict:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ConfigTypeError(key, value, "must be a dict with string keys (unpacked with **)")
    return value if isinstance(value, dict) else dict(value)


def _number(key: str, value: Any) -> float:
    """``value`` as a float; ConfigError if arithmetic cannot use it, or it is NaN."""
    if not isinstance(value, numbers.Real):
        raise ConfigTypeError(key, value, "must be a number")
    try:
        number = float(value)
    except OverflowError:  # e.g. 10**400
        raise ConfigError(key, value, "is too large") from None
    if number != number:
        raise ConfigError(key, value, "must not be NaN")
    if isinstance(value, (bool, np.bool_)):
        warn_config(key, value, f"is a boolean; used as the number {number!r}")
    return number


def _seconds(key: str, value: Any) -> float:
    seconds = _number(key, value)
    if seconds < 0:
        raise ConfigError(key, value, "must not be negative")
    if seconds > MAX_SECONDS:
        raise ConfigError(key, value, f"must be a number of seconds <= {MAX_SECONDS:g}")
    return seconds


def _check_duration(cfg: RealTimeConfig, key: str, value: Any) -> float:
    seconds = _seconds(key, value)
    if seconds == 0:
        warn_config(key, value, "a zero time-step never waits: every time-step times out")
    return seconds


def _check_obs_capture(cfg: RealTimeConfig, key: str, value: Any) -> float:
    seconds = _number(key, value)
    if abs(seconds) > MAX_SECONDS:
        raise ConfigError(key, value, f"must be a number of seconds <= {MAX_SECONDS:g}")
    if seconds < 0:
        warn_config(key, value, "is negative: the observation is captured as soon as the action "
                          "is sent (as with 0)")
    elif seconds > cfg.time_step_duration:
        warn_config(key, value, f"is after the end of the time-step (time_step_duration = "
                          f"{cfg.time_step_duration!r}): every time-step overruns and times out")
    return seconds


def _check_timeout_factor(cfg: RealTimeConfig, key: str, value: Any) -> float:
    factor = _number(key, value)
    if factor <= 0:
        warn_config(key, value, "no elasticity: every time-step times out")
    return factor


def _check_ep_max_length(cfg: RealTimeConfig, key: str, value: Any) -> float | int:
    if not isinstance(value, numbers.Real):
        raise ConfigTypeError(key, value, "must be a positive integer or inf")
    if isinstance(value, (bool, np.bool_)):
        warn_config(key, value, f"is a boolean; used as the number {int(value)}")
    if value != value:
        warn_config(key, value, "is NaN: episodes are never truncated (as with inf)")
        return math.inf
    if value == math.inf:
        return math.inf
    if isinstance(value, numbers.Integral):
        if value < 1:
            warn_config(key, value, "is below 1: every episode is truncated at its first step")
        return int(value)
    if value < 1:
        warn_config(key, value, "is below 1: every episode is truncated at its first step")
    elif int(value) != value:
        warn_config(key, value, f"is not a whole number: episodes are truncated at step "
                          f"{math.ceil(value)}")
        return float(value)
    return int(value) if value >= 1 and int(value) == value else float(value)


def _check_flag(cfg: RealTimeConfig, key: str, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, numbers.Integral) and value in (0, 1)
    ):
        return bool(value)
    try:
        flag = bool(value)
    except Exception as err:  # e.g. an array of several values
        raise ConfigTypeError(key, value, f"must be True or False ({err})") from None
    warn_config(key, value, f"is not True or False; taken as {flag} (its truth value), as in rtgym")
    return flag


def _check_act_buf_len(cfg: RealTimeConfig, key: str, value: Any) -> int:
    if not isinstance(value, numbers.Integral):
        raise ConfigTypeError(key, value, "must be an integer")
    if isinstance(value, (bool, np.bool_)):
        warn_config(key, value, f"is a boolean; used as the number {int(value)}")
    if not 0 <= value <= MAX_ACT_BUF_LEN:
        raise ConfigError(key, value, f"must be within [0, {MAX_ACT_BUF_LEN}]")
    return int(value)


def _check_polyak(cfg: RealTimeConfig, key: str, value: Any) -> float:
    if not isinstance(value, numbers.Real) or value != value:
        if cfg.benchmark:
            raise ConfigTypeError(key, value, "must be a number in (0, 1]")
        warn_config(key, value, "is not a number; benchmarks are off, so it is unused "
                          "(0.1 if they are turned on)")
        return 0.1
    polyak = _number(key, value)
    if not 0 < polyak <= 1:
        warn_config(key, value, "is outside (0, 1]: the running averages will not converge")
    return polyak


def _check_benchmark_type(cfg: RealTimeConfig, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigTypeError(key, value, 'must be "polyak" or "trace"')
    kind = value.lower()
    if kind not in ("polyak", "trace"):
        warn_config(key, value, 'is neither "polyak" nor "trace"; run as "trace", as in rtgym')
        return "trace"
    return kind


def _check_prepro(cfg: RealTimeConfig, key: str, value: Any) -> Callable | None:
    if callable(value):
        return value
    try:
        off = not value
    except Exception:
        off = False
    if off:  # rtgym tests ``if func:``, so any false value means "none"
        return None
    raise ConfigTypeError(key, value, "must be callable or None")


def _check_clock(cfg: RealTimeConfig, key: str, value: Any) -> Clock:
    return make_clock(value)


def _check_trace_length(cfg: RealTimeConfig, key: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ConfigTypeError(key, value, "must be an integer")
    if not 2 <= value <= MAX_TRACE_LENGTH:
        raise ConfigError(key, value, f"must be within [2, {MAX_TRACE_LENGTH}]")
    return int(value)


def _check_hang_timeout(cfg: RealTimeConfig, key: str, value: Any) -> float | None:
    if value is None:
        return None
    seconds = _number(key, value)
    if not 0 < seconds <= MAX_SECONDS:
        raise ConfigError(key, value,
                          f"must be None or a number of seconds in (0, {MAX_SECONDS:g}]")
    return seconds


_CHECKS: dict[str, Callable[[RealTimeConfig, str, Any], Any]] = {
    "interface": _check_interface,
    "interface_args": _check_args,
    "interface_kwargs": _check_kwargs,
    "time_step_duration": _check_duration,
    "start_obs_capture": _check_obs_capture,
    "time_step_timeout_factor": _check_timeout_factor,
    "ep_max_length": _check_ep_max_length,
    "act_in_obs": _check_flag,
    "act_buf_len": _check_act_buf_len,
    "reset_act_buf": _check_flag,
    "benchmark": _check_flag,
    "benchmark_polyak": _check_polyak,
    "benchmark_type": _check_benchmark_type,
    "wait_on_done": _check_flag,
    "last_act_on_reset": _check_flag,
    "act_prepro_func": _check_prepro,
    "obs_prepro_func": _check_prepro,
    "clock": _check_clock,
    "trace_length": _check_trace_length,
    "hang_timeout": _check_hang_timeout,
}
