"""Faulty interfaces: exceptions and hangs in every interface method, on both ids and clocks.

Exceptions. Each interface method in turn raises :class:`faulty.Boom` (the constructor,
``reset``, ``get_obs_rew_terminated_info`` at the end of and in the middle of a time-step,
``send_control`` from ``reset`` and from ``step``, ``wait``, ``render``). On both ids and both
clocks the exception reaches the caller with its own type and a traceback that contains the
frame that raised it, within one time-step; the environment can then be closed (its threads
are gone) and, but for the constructor, reset and used again.

Hangs (wall clock, ``hang_timeout`` 0.15 s, the interface stuck for 0.5 s). What each runner
can do, and these tests check:

* ``real-time-gym-ts-v1``: every call runs on the worker, so every hang (constructor, reset,
  send_control, capture at the end or in the middle of a time-step, wait, render) releases the
  caller with :class:`rtgym_nb.InterfaceHangError` after ``hang_timeout`` (plus what remained
  of the time-step). Later calls fail at once, ``close()`` returns at once, nothing queued
  behind the stuck call ever reaches the interface, and the worker ends when the interface
  returns. Also on the simulated clock.
* ``real-time-gym-v1``: a hung mid-step capture runs on the capture thread, and is reported
  like the above. Every other call runs on the caller's own thread, and Python cannot
  interrupt it: the caller is blocked until the interface returns, and the late time-step is
  then reported by a :class:`rtgym_nb.TimeStepTimeoutWarning` (documented in the env and
  runner docstrings; tested here as the documented limitation).
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any

import gymnasium
import numpy as np
import pytest
from interfaces import ENV_IDS, Boom, FaultyInterface, faulty_config

from rtgym_nb import (
    EpisodeNotRunningError,
    InterfaceHangError,
    TimeStepTimeoutWarning,
    live_threads,
)

CLOCKS = ("simulated", pytest.param("wall", marks=pytest.mark.wallclock))
DT = 0.03  # time-step on the wall clock: the bound on how late an error may arrive
MARGIN = 0.25  # generous allowance for a loaded CI machine

# (case id, method that raises, which call raises, extra config, the env call expected to raise)
FAULTS = [
    ("reset", "reset", 1, {}, "reset"),
    ("send_control-in-reset", "send_control", 1, {}, "reset"),
    ("send_control-in-step", "send_control", 3, {}, "step"),
    ("capture-at-end", "get_obs_rew_terminated_info", 2, {}, "step"),
    ("capture-mid-step", "get_obs_rew_terminated_info", 2, {"start_obs_capture": DT / 2},
     "step"),
    ("wait", "wait", 1, {}, "wait"),
    ("render", "render", 1, {}, "render"),
]


def _make(env_id: str, clock: str, **overrides: Any) -> gymnasium.Env:
    # gymnasium's PassiveEnvChecker cannot take a step after a failed first reset() (its data
    # reuse check finds no previous data: TypeError); the env itself is what is tested here.
    settings = {"time_step_duration": DT, "start_obs_capture": DT, **overrides}
    return gymnasium.make(env_id, config=faulty_config(clock, **settings), disable_env_checker=True)


def _call_until_raises(env: gymnasium.Env, until: str) -> tuple[BaseException, float]:
    """Drive ``env`` until an exception; return it and how long the raising call took."""
    started = [time.perf_counter()]

    def timed(fn, *args):
        started[0] = time.perf_counter()
        return fn(*args)

    try:
        timed(env.reset)
        for i in range(4):
            timed(env.step, np.array([1.0, i]))
        timed(env.unwrapped.wait)
        timed(env.unwrapped.render)
        timed(env.reset)
    except BaseException as err:
        return err, time.perf_counter() - started[0]
    raise AssertionError(f"nothing raised (expected in {until})")


def _frames(err: BaseException) -> list[str]:
    return [frame.name for frame in traceback.extract_tb(err.__traceback__)]


def _own_threads(env: gymnasium.Env) -> list[threading.Thread]:
    return env.unwrapped.threads()


@pytest.mark.parametrize("clock", CLOCKS)
@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize(
    ("case", "method", "raise_on", "extra", "where"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_interface_exception_reaches_the_caller(
    env_id: str, clock: str, case: str, method: str, raise_on: int, extra: dict, where: str
) -> None:
    if case == "reset":
        raise_on = 2  # the second reset(): the first one starts the episode
    env = _make(env_id, clock, interface_kwargs={"raise_in": method, "raise_on": raise_on},
                **extra)
    iface = env.unwrapped.interface
    try:
        err, took = _call_until_raises(env, where)
        assert type(err) is Boom, f"{type(err).__name__}: {err}"
        assert str(err) == f"injected failure in {method}"
        frames = _frames(err)
        assert frames[-1] == "raise_boom", frames  # the raising frame itself
        assert method in frames, frames  # ... called from the interface's method
        assert took < DT + MARGIN, f"the error took {took:.3f} s to reach the caller"
        assert iface.counts[method] == raise_on
        # the episode is over; reset() brings the environment back
        env.reset()
        for i in range(3):
            env.step(np.array([2.0, i]))
    finally:
        env.close()
    assert _own_threads(env) == []


@pytest.mark.parametrize("clock", CLOCKS)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_constructor_exception_reaches_the_caller_and_leaves_no_thread(
    env_id: str, clock: str
) -> None:
    before = set(threading.enumerate())
    with pytest.raises(Boom) as info:
        gymnasium.make(env_id,
                       config=faulty_config(clock, interface_kwargs={"raise_in": "__init__"}))
    frames = _frames(info.value)
    assert frames[-1] == "raise_boom"
    assert "__init__" in frames
    deadline = time.perf_counter() + 1.0
    while set(live_threads()) - before and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert not set(live_threads()) - before


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_close_after_an_exception_mid_episode_joins_everything(env_id: str) -> None:
    """A failing capture on the wall clock, mid-step (v1's capture thread), then close()."""
    env = _make(env_id, "wall", start_obs_capture=DT / 2,
                interface_kwargs={"raise_in": "get_obs_rew_terminated_info", "raise_on": 3})
    env.reset()
    with pytest.raises(Boom):
        for i in range(5):
            env.step(np.array([1.0, i]))
    started = time.perf_counter()
    env.close()
    assert time.perf_counter() - started < MARGIN
    assert _own_threads(env) == []
    env.close()  # idempotent


# -- hangs -----------------------------------------------------------------------------------

HANG_TIMEOUT = 0.15
HANG_FOR = 0.5

# The faults above, each hanging instead of raising (but send_control in reset):
# (case id, method that hangs, which call, extra config, env call expected to hang)
TS_HANGS = [fault for fault in FAULTS if fault[0] != "send_control-in-reset"]


def _check_hung_env(env: gymnasium.Env) -> None:
    """Right after an InterfaceHangError: later calls fail at once and never reach the
    interface, close() returns at once, and the stuck thread ends when the interface returns
    without sending anything more."""
    iface: FaultyInterface = env.unwrapped.interface
    calls_at_hang = len(iface.calls)
    sends_at_hang = len(iface.sends)
    for call in (env.reset, env.unwrapped.render, env.unwrapped.wait,
                 lambda: env.step(np.zeros(2))):
        started = time.perf_counter()
        with pytest.raises((InterfaceHangError, EpisodeNotRunningError)):
            call()
        assert time.perf_counter() - started < 0.05, "a call after the hang waited"
    started = time.perf_counter()
    env.close()
    assert time.perf_counter() - started < 0.05, "close() waited for the stuck thread"
    deadline = time.perf_counter() + HANG_FOR + 2.0
    while _own_threads(env) and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert _own_threads(env) == [], "the stuck thread did not end after the interface returned"
    time.sleep(0.05)
    later = [name for name, _, _ in iface.calls[calls_at_hang:]]
    assert later == [], f"calls that reached the interface after the hang: {later}"
    # a send_control that was itself stuck completes; nothing else is sent
    stuck_send = iface.hang_in == "send_control"
    assert len(iface.sends) - sends_at_hang <= int(stuck_send), "sent after the hang"


@pytest.mark.wallclock
@pytest.mark.parametrize(
    ("case", "method", "hang_on", "extra", "where"), TS_HANGS, ids=[h[0] for h in TS_HANGS]
)
def test_ts_hang_releases_the_caller(
    case: str, method: str, hang_on: int, extra: dict, where: str
) -> None:
    if case == "reset":
        hang_on = 2
    env = _make("real-time-gym-ts-v1", "wall", hang_timeout=HANG_TIMEOUT, **extra,
                interface_kwargs={"hang_in": method, "hang_on": hang_on, "hang_for": HANG_FOR})
    try:
        err, took = _call_until_raises(env, where)
        assert type(err) is InterfaceHangError, repr(err)
        assert "hang_timeout" in str(err)
        assert HANG_TIMEOUT <= took < HANG_TIMEOUT + DT + MARGIN, f"released after {took:.3f} s"
        _check_hung_env(env)
    finally:
        env.close()


@pytest.mark.wallclock
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_hang_in_the_constructor(env_id: str) -> None:
    """ts: released after hang_timeout, worker gone later. v1: blocked (caller's thread)."""
    before = set(threading.enumerate())
    started = time.perf_counter()
    cfg = faulty_config("wall", hang_timeout=HANG_TIMEOUT,
                 interface_kwargs={"hang_in": "__init__", "hang_for": HANG_FOR})
    if env_id == "real-time-gym-ts-v1":
        with pytest.raises(InterfaceHangError):
            gymnasium.make(env_id, config=cfg)
        assert time.perf_counter() - started < HANG_TIMEOUT + MARGIN
    else:
        gymnasium.make(env_id, config=cfg).close()
        assert time.perf_counter() - started >= HANG_FOR
    deadline = time.perf_counter() + HANG_FOR + 2.0
    while set(live_threads()) - before and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert not set(live_threads()) - before


@pytest.mark.wallclock
def test_v1_hung_mid_step_capture_releases_the_caller() -> None:
    """v1's capture thread is a worker thread: its hang is reported like ts's."""
    env = _make("real-time-gym-v1", "wall", hang_timeout=HANG_TIMEOUT, start_obs_capture=DT / 2,
                interface_kwargs={"hang_in": "get_obs_rew_terminated_info", "hang_on": 2,
                                  "hang_for": HANG_FOR})
    try:
        assert env.unwrapped.config.start_obs_capture < env.unwrapped.config.time_step_duration
        err, took = _call_until_raises(env, "step")
        assert type(err) is InterfaceHangError, repr(err)
        assert "get_obs_rew_terminated_info" in str(err)
        assert HANG_TIMEOUT <= took < HANG_TIMEOUT + DT + MARGIN
        _check_hung_env(env)
    finally:
        env.close()


@pytest.mark.wallclock
@pytest.mark.parametrize("method", ["send_control", "get_obs_rew_terminated_info"])
def test_v1_hang_on_the_callers_thread_blocks_then_warns(method: str) -> None:
    """The documented limitation: on v1 these run on the caller's thread, which Python cannot
    interrupt. The caller is blocked until the interface returns; the late time-step is then
    reported (TimeStepTimeoutWarning), and the environment keeps working."""
    env = _make("real-time-gym-v1", "wall", hang_timeout=HANG_TIMEOUT,
                time_step_timeout_factor=1.0,
                interface_kwargs={"hang_in": method, "hang_on": 3, "hang_for": HANG_FOR})
    try:
        env.reset()
        started = time.perf_counter()
        with pytest.warns(TimeStepTimeoutWarning):
            for i in range(3):
                env.step(np.array([1.0, i]))
        assert time.perf_counter() - started >= HANG_FOR  # blocked: no InterfaceHangError
        env.reset()
        env.step(np.zeros(2))
    finally:
        env.close()
    assert _own_threads(env) == []
