"""Test interfaces that record every call and fail, hang or stall on request.

Shared by the reliability tests (faults, interrupts, leaks, concurrency, conformance). Nothing
here is a test itself: pytest only collects ``test_*.py``.

:class:`FaultyInterface` is a tiny, deterministic device:

* action: ``Box(-1e9, 1e9, (2,), float64)``, so tags such as ``(thread, seq)`` pass exactly;
* observation: ``[sends, last]``: how many controls it has received since ``reset()``, and
  the last one (zeros right after a reset), so a reset with any seed is deterministic;
* every call is logged with the wall time and the thread it came from (``calls``), and every
  control with its value (``sends``), so a test can see what really reached the "device".

Faults are configured through ``interface_kwargs`` (so they work across ``gymnasium.make``):
``raise_in="send_control", raise_on=3`` makes the third ``send_control`` raise :class:`Boom`;
``hang_in``/``hang_on``/``hang_for`` make one call block (``time.sleep``) for a while;
``slow={"get_obs_rew_terminated_info": 0.02}`` makes every such call take that long;
``on_enter`` is called with the method's name at the start of every call (to synchronise an
interrupting thread with the call it must land in).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

import rtgym_nb
from rtgym_nb import RealTimeGymInterface

ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")
METHODS = (
    "__init__",
    "reset",
    "get_obs_rew_terminated_info",
    "send_control",
    "wait",
    "render",
)


class Boom(Exception):
    """What :class:`FaultyInterface` raises on request (a type no library code raises)."""


class FaultyInterface(RealTimeGymInterface):
    """A recording test device that can raise, hang or stall in any of its methods.

    Args:
        raise_in: Name of the method that raises :class:`Boom` (``"__init__"`` included).
        raise_on: Which call of that method raises (1 for the first); only that one does.
        hang_in: Name of the method that blocks on one call.
        hang_on: Which call of that method blocks.
        hang_for: How long it blocks, in wall-clock seconds.
        slow: ``{method name: seconds}`` spent (wall clock) in every call of those methods.
        on_enter: Called with the method's name at the start of every call.
        terminate_after: ``terminated`` becomes True at this many captures into an episode.
    """

    def __init__(
        self,
        raise_in: str | None = None,
        raise_on: int = 1,
        hang_in: str | None = None,
        hang_on: int = 1,
        hang_for: float = 0.0,
        slow: dict[str, float] | None = None,
        on_enter: Callable[[str], None] | None = None,
        terminate_after: int | None = None,
    ) -> None:
        self.raise_in = raise_in
        self.raise_on = raise_on
        self.hang_in = hang_in
        self.hang_on = hang_on
        self.hang_for = hang_for
        self.slow = dict(slow or {})
        self.on_enter = on_enter
        self.terminate_after = terminate_after
        self.counts: dict[str, int] = dict.fromkeys(METHODS, 0)
        self.calls: list[tuple[str, float, int]] = []
        """``(method, wall time, thread ident)`` for every call, in order."""
        self.sends: list[np.ndarray] = []
        """Every control received, in order."""
        self.episode_sends = 0
        self.last_send = np.zeros(2)
        self.send_times: list[float] = []
        self.captures_in_episode = 0
        self.render_mode: str | None = None
        self._enter("__init__")

    # -- fault machinery -------------------------------------------------------------------

    def _enter(self, method: str) -> None:
        self.counts[method] += 1
        self.calls.append((method, time.perf_counter(), threading.get_ident()))
        if self.on_enter is not None:
            self.on_enter(method)
        delay = self.slow.get(method, 0.0)
        if delay:
            time.sleep(delay)
        if method == self.hang_in and self.counts[method] == self.hang_on:
            time.sleep(self.hang_for)
        if method == self.raise_in and self.counts[method] == self.raise_on:
            raise_boom(method)

    # -- the interface -----------------------------------------------------------------------

    def get_observation_space(self) -> spaces.Tuple:
        return spaces.Tuple((
            spaces.Box(0.0, 1e9, (1,), np.float64),
            spaces.Box(-1e9, 1e9, (2,), np.float64),
        ))

    def get_action_space(self) -> spaces.Box:
        return spaces.Box(-1e9, 1e9, (2,), np.float64)

    def get_default_action(self) -> np.ndarray:
        return np.zeros(2, dtype=np.float64)

    def send_control(self, control: Any) -> None:
        self._enter("send_control")
        control = np.array(control, dtype=np.float64)
        self.sends.append(control)
        self.send_times.append(time.perf_counter())
        self.episode_sends += 1
        self.last_send = control

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        self._enter("reset")
        self.captures_in_episode = 0
        self.episode_sends = 0
        self.last_send = np.zeros(2)
        return self._obs(), {}

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        self._enter("get_obs_rew_terminated_info")
        self.captures_in_episode += 1
        terminated = (
            self.terminate_after is not None
            and self.captures_in_episode >= self.terminate_after
        )
        return self._obs(), 0.0, terminated, {}

    def wait(self) -> None:
        self._enter("wait")

    def render(self) -> np.ndarray | None:
        self._enter("render")
        if self.render_mode == "human":
            return None  # (gymnasium's contract: "human" rendering shows, returns nothing)
        return np.zeros((4, 4, 3), dtype=np.uint8)

    def _obs(self) -> list[np.ndarray]:
        return [np.array([float(self.episode_sends)]), self.last_send.copy()]


def raise_boom(method: str) -> None:
    """The frame every :class:`Boom` is raised from (tests look for it in tracebacks)."""
    raise Boom(f"injected failure in {method}")


def config(clock: str = "simulated", **overrides: Any) -> dict[str, Any]:
    """A fresh configuration for :class:`FaultyInterface`: 20 ms steps, no timeout warnings.

    Faults go in ``interface_kwargs={...}``; every keyword is a config override.
    """
    settings: dict[str, Any] = {
        "time_step_duration": 0.02,
        "start_obs_capture": 0.02,
        "time_step_timeout_factor": 1000.0,  # never warn (warnings are errors in the tests)
        "act_buf_len": 2,
        "clock": clock,
    }
    settings.update(overrides)
    return rtgym_nb.make_config(FaultyInterface, **settings)


def rtgym_threads() -> list[threading.Thread]:
    """Live threads started by rtgym_nb runners (named ``rtgym_nb-*``), in any environment."""
    return [t for t in threading.enumerate() if t.name.startswith("rtgym_nb")]


def wait_for_no_rtgym_threads(timeout: float = 5.0) -> list[threading.Thread]:
    """Wait until no rtgym_nb thread is alive (or ``timeout``); return those still alive."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        alive = rtgym_threads()
        if not alive:
            return []
        time.sleep(0.01)
    return rtgym_threads()
