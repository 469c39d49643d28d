"""The one home of the test interfaces and their helpers (imported by ``conftest.py`` and the
test modules; nothing here is a test itself: pytest only collects ``test_*.py``).

* :class:`RecordingInterface`: a small, deterministic interface that records every call it
  receives (name, time on the environment's clock, calling thread, arguments). Its behaviour is
  set through ``interface_kwargs``: when to terminate, how long each method takes (spent on the
  environment's clock, so on the simulated clock it is exact), which call raises, ...
  With :func:`sim_config`, :func:`run_episode`, :func:`interface_frames`.
* :class:`FaultyInterface`: a device for the reliability tests (faults, interrupts, leaks,
  concurrency, conformance) that fails, hangs or stalls on request, on real time.
  With :func:`faulty_config`.
* :class:`EventInterface`: the bare minimum the pipeline calls, logging the order of calls.
* :func:`live_threads`, :func:`wait_for_no_rtgym_threads`.

The time-step used on the simulated clock is a power of two (1/16 s), so that nominal times
computed by the elastic schedule are exact binary fractions and can be compared with ``==``.

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

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from rtgym_nb import RealTimeGymInterface, live_threads, make_config
from rtgym_nb._clock import current_clock

ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")

DT = 1 / 16
"""Time-step used on the simulated clock (exact in binary floating point)."""


class Boom(Exception):
    """Raised by the test interfaces on request (a type no library code raises)."""

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


METHODS = (
    "__init__",
    "reset",
    "get_obs_rew_terminated_info",
    "send_control",
    "wait",
    "render",
)


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


def faulty_config(clock: str = "simulated", **overrides: Any) -> dict[str, Any]:
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
    return make_config(FaultyInterface, **settings)


def wait_for_no_rtgym_threads(timeout: float = 5.0) -> list[threading.Thread]:
    """Wait until no rtgym_nb thread is alive (or ``timeout``); return those still alive."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        alive = live_threads()
        if not alive:
            return []
        time.sleep(0.01)
    return live_threads()


class EventInterface:
    """The two methods a :class:`~rtgym_nb._pipeline.Pipeline` calls, logging them (with
    whatever else a test appends) in ``events``, each with the clock's time in ``times``.

    Args:
        events: The shared log.
        clock: Whose time is logged.
        terminate_on: ``terminated`` is True on this capture (1 = the first), else False.
        fail_in: ``"send_control"`` or ``"get_obs_rew_terminated_info"``: raises :class:`Boom`
            on its ``fail_on``-th call.
        capture_takes, send_takes: Time each call spends on the clock.
    """

    def __init__(self, events: list[str], clock: Any = None, *, terminate_on: int | None = None,
                 fail_in: str | None = None, fail_on: int = 1, capture_takes: float = 0.0,
                 send_takes: float = 0.0) -> None:
        self.events = events
        self.clock = clock
        self.times: list[float] = []
        self.terminate_on = terminate_on
        self.fail_in = fail_in
        self.fail_on = fail_on
        self.capture_takes = capture_takes
        self.send_takes = send_takes
        self.captures = 0
        self.sends = 0
        self.controls: list[Any] = []

    def _log(self, name: str, count: int, takes: float) -> None:
        self.events.append(name)
        if self.clock is not None:
            self.times.append(self.clock.now())
        if name == self.fail_in and count == self.fail_on:
            raise Boom(f"{name} failed on call {count}")
        if takes:
            self.clock.sleep(takes)

    def send_control(self, control: Any) -> None:
        self.sends += 1
        self.controls.append(control)
        self._log("send_control", self.sends, self.send_takes)

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        self.captures += 1
        self._log("get_obs_rew_terminated_info", self.captures, self.capture_takes)
        terminated = self.terminate_on is not None and self.captures >= self.terminate_on
        return [np.array([float(self.captures)])], float(self.captures), terminated, {}


class FakeTime:
    """A fake time source for :class:`~rtgym_nb.WallClock` (``timer=fake.now``,
    ``sleeper=fake.sleep``): deterministic, however busy the machine is.

    Time moves by ``tick`` at every reading (so a clock spinning on it gets to its deadline)
    and by what a sleep is asked plus ``overshoot(seconds)`` (how late a wake-up is).

    Args:
        tick: Seconds each reading of the time takes.
        overshoot: How late a sleep of the given length wakes up.
    """

    def __init__(self, tick: float = 1e-6,
                 overshoot: Callable[[float], float] = lambda seconds: 0.0) -> None:
        self.t = 100.0
        self.tick = tick
        self.overshoot = overshoot
        self.sleeps: list[float] = []
        """Every sleep asked, in seconds."""

    def now(self) -> float:
        self.t += self.tick
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0) + self.overshoot(seconds)

    def oversleeping(self, extra: float, long_extra: float | None = None,
                     long: float = 4e-3) -> Callable[[float], None]:
        """A coarse wait (``block`` of ``wait_until``) that wakes ``extra`` seconds late, or
        ``long_extra`` late for sleeps longer than ``long`` (as on a virtual machine, where a
        sleep's overshoot grows with its length); it returns None (no work arrived)."""

        def block(timeout: float) -> None:
            late = long_extra if long_extra is not None and timeout > long else extra
            self.sleeps.append(timeout)
            self.t += timeout + late

        return block
