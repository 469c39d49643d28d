"""Helpers shared by the engine's tests (imported by ``conftest.py`` and the test modules).

* :class:`RecordingInterface`: a small, deterministic interface that records every call it
  receives (name, time on the environment's clock, calling thread, arguments). Its behaviour is
  set through ``interface_kwargs``: when to terminate, how long each method takes (spent on the
  environment's clock, so on the simulated clock it is exact), which call raises, ...
* :func:`sim_config`, :func:`run_episode`, :func:`interface_frames`, :func:`rtgym_threads`.

The time-step used on the simulated clock is a power of two (1/16 s), so that nominal times
computed by the elastic schedule are exact binary fractions and can be compared with ``==``.
"""

from __future__ import annotations

import dataclasses
import threading
import traceback
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from rtgym_nb import RealTimeGymInterface, make_config
from rtgym_nb._clock import current_clock

ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")

DT = 1 / 16
"""Time-step used on the simulated clock (exact in binary floating point)."""


class Boom(Exception):
    """Raised by :class:`RecordingInterface` on request (``fail_on``)."""


@dataclasses.dataclass(frozen=True)
class Call:
    """One call received by a :class:`RecordingInterface`."""

    name: str
    time: float
    thread: str
    args: tuple = ()


class RecordingInterface(RealTimeGymInterface):
    """A deterministic interface that records every call.

    Observation (a Tuple of three Boxes): the last control received since ``reset()`` (zeros
    right after a reset), the number of captures since ``reset()``, and one number drawn from
    the interface's generator (seeded by ``reset(seed=...)``). The reward is the capture count.

    Args:
        terminate_at: ``terminated`` is True on this capture since reset (1 = first ``step``).
        default_action: What ``get_default_action`` returns.
        tuple_space: If False, ``get_observation_space`` returns a Box (invalid for rtgym).
        send_duration, capture_duration, reset_duration, wait_duration: Time each method
            spends on the environment's clock.
        fail_on: Name of the method that raises :class:`Boom` (``"__init__"`` included).
        fail_at: The call of ``fail_on`` that raises (1 = the first).
        log: An external list that also receives every :class:`Call` (survives a failed
            construction).
    """

    render_mode: str | None = None

    def __init__(
        self,
        *,
        terminate_at: int | None = None,
        default_action: Any = (0.0, 0.0),
        tuple_space: bool = True,
        send_duration: float = 0.0,
        capture_duration: float = 0.0,
        reset_duration: float = 0.0,
        wait_duration: float = 0.0,
        fail_on: str | None = None,
        fail_at: int = 1,
        log: list | None = None,
    ) -> None:
        self.calls: list[Call] = []
        self.log = log
        self.terminate_at = terminate_at
        self.default_action = default_action
        self.tuple_space = tuple_space
        self.send_duration = send_duration
        self.capture_duration = capture_duration
        self.reset_duration = reset_duration
        self.wait_duration = wait_duration
        self.fail_on = fail_on
        self.fail_at = fail_at
        self.rng = np.random.default_rng(0)
        self.last_control = np.zeros(2, dtype=np.float32)
        self.captures = 0
        self._record("__init__")

    # -- helpers -------------------------------------------------------------------------

    def _record(self, name: str, *args: Any) -> None:
        call = Call(name, current_clock().now(), threading.current_thread().name, args)
        self.calls.append(call)
        if self.log is not None:
            self.log.append(call)
        if name == self.fail_on and sum(c.name == name for c in self.calls) == self.fail_at:
            raise Boom(f"{name} failed on call {self.fail_at}")

    @staticmethod
    def _spend(duration: float) -> None:
        if duration:
            current_clock().sleep(duration)

    def _obs(self) -> list:
        return [
            self.last_control.copy(),
            np.array([self.captures], dtype=np.float32),
            np.array([self.rng.uniform(-1.0, 1.0)], dtype=np.float32),
        ]

    def named(self, name: str) -> list[Call]:
        """The calls of one method, in order."""
        return [c for c in self.calls if c.name == name]

    # -- the interface -------------------------------------------------------------------

    def get_observation_space(self):
        self._record("get_observation_space")
        inner = (
            spaces.Box(-1.0, 1.0, (2,), np.float32),
            spaces.Box(0.0, 1000.0, (1,), np.float32),
            spaces.Box(-1.0, 1.0, (1,), np.float32),
        )
        return spaces.Tuple(inner) if self.tuple_space else inner[0]

    def get_action_space(self):
        self._record("get_action_space")
        return spaces.Box(-1.0, 1.0, (2,), np.float32)

    def get_default_action(self):
        self._record("get_default_action")
        return np.array(self.default_action, dtype=np.float32)

    def send_control(self, control):
        self._record("send_control", np.array(control, dtype=np.float32))
        self._spend(self.send_duration)
        self.last_control = np.clip(np.asarray(control, dtype=np.float32), -1.0, 1.0)

    def reset(self, seed=None, options=None):
        self._record("reset", seed, options)
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.captures = 0
        self.last_control = np.zeros(2, dtype=np.float32)
        self._spend(self.reset_duration)
        return self._obs(), {"seed": seed}

    def get_obs_rew_terminated_info(self):
        self._record("get_obs_rew_terminated_info")
        self._spend(self.capture_duration)
        self.captures += 1
        terminated = self.terminate_at is not None and self.captures >= self.terminate_at
        return self._obs(), float(self.captures), terminated, {"capture": self.captures}

    def wait(self):
        self._record("wait")
        self._spend(self.wait_duration)

    def render(self):
        self._record("render")
        if self.render_mode == "rgb_array":
            return np.zeros((4, 4, 3), dtype=np.uint8)
        return None


def interface_frames(exc: BaseException) -> list[str]:
    """Names of the frames of ``exc``'s traceback that belong to :class:`RecordingInterface`."""
    return [
        frame.name
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename == __file__ and frame.name in vars(RecordingInterface)
    ]


def rtgym_threads() -> list[threading.Thread]:
    """Live threads started by rtgym_nb (worker or capture threads)."""
    return [t for t in threading.enumerate() if t.name.startswith("rtgym_nb")]


def sim_config(interface: type = RecordingInterface, **overrides: Any) -> dict:
    """A fresh configuration on the simulated clock, time-step :data:`DT`, capture at its end."""
    overrides.setdefault("clock", "simulated")
    overrides.setdefault("time_step_duration", DT)
    overrides.setdefault("start_obs_capture", overrides["time_step_duration"])
    return make_config(interface, **overrides)


def run_episode(env: gymnasium.Env, actions, inference: float = 0.0, seed: int | None = None):
    """Reset, then step through ``actions`` (sleeping ``inference`` on the env's clock before
    each step) until the episode ends; return the reset observation and the step results."""
    clock = env.unwrapped.clock
    obs, info = env.reset(seed=seed)
    results = []
    for action in actions:
        clock.sleep(inference)
        result = env.step(action)
        results.append(result)
        if result[2] or result[3]:
            break
    return (obs, info), results


def action(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)

