"""The experiments behind notebook 04: the elastic clock, on simulated and on real time.

* :func:`elastic_run`: the elastic clock under a given inference time, on the simulated clock
  (nothing sleeps; every student gets the same numbers); :func:`timed_run` is the same run
  with every knob (clock, capture time, capture start, environment id) and rtgym's benchmarks.
* :func:`who_calls`: which thread makes each call to the interface, in each environment.
* :class:`BackgroundRun`: the tutorial's environment on the wall clock, stepped by a thread,
  so that a notebook can plot its timing live.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from rtgym_nb._clock import Clock, SimulatedClock
from rtgym_nb.course.lessons._env import ENV_ID, make_env
from rtgym_nb.course.tutorial import (
    DroneInterface,
    episode_steps,
    proportional_controller,
    tutorial_config,
)


@dataclasses.dataclass
class TimedRun:
    """What :func:`timed_run` returns."""

    arrays: dict[str, np.ndarray]
    """The trace's arrays (see :meth:`rtgym_nb._timing.TimingTrace.arrays`), plus
    ``"inference"``: the time spent before the call that opened each time-step (NaN for the
    first)."""
    benchmarks: dict[str, tuple[float | None, float]]
    """``env.benchmarks()`` at the end: rtgym's Polyak averages and average deviations."""
    timeouts: int
    """Time-steps that broke the elastic constraint."""

    durations: dict[str, np.ndarray]
    """The values the benchmarks average, one per time-step (NaN where undefined; see
    :meth:`rtgym_nb._timing.TimingTrace.durations`)."""


def timed_run(
    inference_time: float,
    *,
    steps: int = 80,
    time_step: float = 0.05,
    timeout_factor: float = 1.0,
    jitter: float = 0.5,
    seed: int = 0,
    clock: Clock | None = None,
    capture_time: float = 0.0,
    start_obs_capture: float | None = None,
    env_id: str = ENV_ID,
) -> TimedRun:
    """Step the tutorial's environment with a policy that takes about ``inference_time`` s.

    Before each ``step()`` the policy spends ``inference_time * (1 + jitter * u)`` seconds on
    the environment's clock, with ``u`` uniform in [-1, 1] (seeded), so some steps are late
    even when the mean is not.

    Args:
        clock: The environment's clock; a fresh :class:`~rtgym_nb._clock.SimulatedClock` by
            default (try a :class:`~rtgym_nb.course.coarse_clock.CoarseTimerClock`).
        capture_time: How long the interface's capture takes (see
            :class:`~rtgym_nb.course.tutorial.DroneInterface`).
        start_obs_capture: When the capture starts in the time-step; None: at its end.
        env_id: ``"real-time-gym-v1"`` or ``"real-time-gym-ts-v1"``.
    """
    if inference_time < 0:
        raise ValueError(f"inference_time must be >= 0, got {inference_time!r}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    rng = np.random.default_rng(seed)
    spent = inference_time * (1.0 + jitter * rng.uniform(-1.0, 1.0, steps))
    config = tutorial_config(
        clock=SimulatedClock() if clock is None else clock, time_step_duration=time_step,
        start_obs_capture=time_step if start_obs_capture is None else start_obs_capture,
        time_step_timeout_factor=timeout_factor, ep_max_length=np.inf, benchmark=True,
        interface_kwargs={"capture_time": capture_time},
    )
    with make_env(config, env_id) as env:
        raw = env.unwrapped
        action = raw.default_action
        env.reset(seed=seed)
        for duration in spent:
            raw.clock.sleep(float(duration))
            env.step(action)
        arrays = raw.trace.arrays()
        run = TimedRun(arrays, raw.benchmarks(), raw.timeouts, raw.trace.durations())
    arrays["inference"] = np.concatenate(([np.nan], spent))
    return run


def elastic_run(inference_time: float, **kwargs: Any) -> dict[str, np.ndarray]:
    """:func:`timed_run`'s trace arrays, plus ``"timeouts"`` (a 0-d integer array)."""
    run = timed_run(inference_time, **kwargs)
    run.arrays["timeouts"] = np.array(run.timeouts)
    return run.arrays


class Call(NamedTuple):
    """One call to the interface, as :func:`who_calls` saw it."""

    method: str
    thread: str
    """The calling thread's name: ``MainThread`` is the notebook's own."""
    time: float
    """Seconds since the environment was made."""


class _ThreadNoting(DroneInterface):
    """The tutorial's interface, noting which thread makes each call."""

    def __init__(self, calls: list, origin: float) -> None:
        self._calls, self._origin = calls, origin
        self._note("__init__")
        super().__init__()

    def _note(self, method: str) -> None:
        self._calls.append(Call(method, threading.current_thread().name,
                                time.perf_counter() - self._origin))

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        self._note("reset")
        return super().reset(seed, options)

    def send_control(self, control: Any) -> None:
        self._note("send_control")
        super().send_control(control)

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        self._note("get_obs_rew_terminated_info")
        return super().get_obs_rew_terminated_info()


def who_calls(env_id: str = ENV_ID, *, start_obs_capture: float | None = None,
              steps: int = 5, time_step: float = 0.02) -> list[Call]:
    """Make an environment on the wall clock, reset it, step it; return every interface call.

    Real threads on a real clock (a few time-steps: ``steps * time_step`` seconds), so the
    answer is what the environment really does: on ``real-time-gym-v1`` the caller's own
    thread makes every call, except a capture *inside* the time-step (``start_obs_capture``
    below the time-step), which gets a thread of its own; on ``real-time-gym-ts-v1`` one
    worker thread makes all of them, construction included.
    """
    calls: list[Call] = []
    config = tutorial_config(
        clock="wall", time_step_duration=time_step,
        start_obs_capture=time_step if start_obs_capture is None else start_obs_capture,
        ep_max_length=np.inf,
    )
    config.update(interface=_ThreadNoting,
                  interface_kwargs={"calls": calls, "origin": time.perf_counter()})
    with make_env(config, env_id) as env:
        env.reset(seed=0)
        for _ in range(steps):
            env.step(env.unwrapped.default_action)
        env.unwrapped.wait()
    return calls


class BackgroundRun:
    """The tutorial's environment on the wall clock, stepped by a background thread.

    The thread runs the proportional controller (or ``policy``) for ``duration`` seconds,
    spending ``inference_time`` before each step, while the notebook's own thread is free to
    draw the timing trace (:meth:`arrays`) as it fills. The thread never prints: timeouts are
    counted in :attr:`timeouts`, an exception is kept in :attr:`error` and re-raised by
    :meth:`join`.

    Use it as a context manager (``with BackgroundRun(...) as run:``): leaving the block joins
    the thread and closes the environment.

    Args:
        duration: Seconds of stepping.
        time_step: The time-step duration (s).
        inference_time: Seconds spent (with the clock's precise wait) before each step.
        env_id: ``"real-time-gym-v1"`` or ``"real-time-gym-ts-v1"``.
        policy: ``action = policy(obs)``; the tutorial's proportional controller by default.
        config: Overrides for :func:`~rtgym_nb.course.tutorial.tutorial_config`.
    """

    def __init__(
        self,
        duration: float = 3.0,
        *,
        time_step: float = 0.02,
        inference_time: float = 0.0,
        env_id: str = "real-time-gym-ts-v1",
        policy: Callable[[Any], Any] = proportional_controller,
        **config: Any,
    ) -> None:
        settings: dict[str, Any] = {
            "time_step_duration": time_step,
            "start_obs_capture": time_step,
            "ep_max_length": np.inf,
        }
        settings.update(config)
        self.duration = float(duration)
        self.inference_time = float(inference_time)
        self.policy = policy
        self.env = make_env(tutorial_config(clock="wall", **settings), env_id)
        self.error: BaseException | None = None
        self.steps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rtgym_nb-background-run",
                                        daemon=True)

    def start(self) -> BackgroundRun:
        """Start stepping (returns at once)."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def timeouts(self) -> int:
        return self.env.unwrapped.timeouts

    def arrays(self) -> dict[str, np.ndarray]:
        """A consistent copy of the trace so far (safe while the thread runs)."""
        return self.env.unwrapped.trace.arrays()

    def stop(self) -> None:
        """Ask the thread to stop after its current step."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread; re-raise what it raised."""
        self._thread.join(timeout)
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        self.stop()
        try:
            if self._thread.ident is not None:
                self.join()
        finally:
            self.env.close()

    def __enter__(self) -> BackgroundRun:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _loop(self) -> None:
        env = self.env.unwrapped  # the trace and clock live there; no wrapper to go through
        clock = env.clock
        try:
            end = clock.now() + self.duration
            seed: int | None = 0
            while not self._stop.is_set() and clock.now() < end:
                for _ in episode_steps(env, self.policy, seed=seed,
                                       inference_time=self.inference_time):
                    self.steps += 1
                    if self._stop.is_set() or clock.now() >= end:
                        break
                seed = None
            env.wait()  # close the open time-step; what follows is not a timeout
        except BaseException as exc:  # handed to join() on the caller's thread
            self.error = exc
