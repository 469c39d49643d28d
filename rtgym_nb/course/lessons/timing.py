"""The experiments behind notebook 04: the elastic clock, on simulated and on real time.

* :func:`elastic_run`: the elastic clock under a given inference time, on the simulated clock
  (nothing sleeps; every student gets the same numbers).
* :class:`BackgroundRun`: the tutorial's environment on the wall clock, stepped by a thread,
  so that a notebook can plot its timing live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from rtgym_nb.course.lessons._env import make_env
from rtgym_nb.course.tutorial import episode_steps, proportional_controller, tutorial_config


def elastic_run(
    inference_time: float,
    *,
    steps: int = 80,
    time_step: float = 0.05,
    timeout_factor: float = 1.0,
    jitter: float = 0.5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Step the tutorial's environment with a policy that takes about ``inference_time`` s.

    Runs on the simulated clock. Before each ``step()`` the policy spends
    ``inference_time * (1 + jitter * u)`` seconds, with ``u`` uniform in [-1, 1] (seeded), so
    some steps are late even when the mean is not.

    Returns:
        The trace's arrays for the ``steps + 1`` time-steps (the first opened by ``reset()``;
        see :meth:`rtgym_nb._timing.TimingTrace.arrays`), plus ``"inference"`` (the time spent
        before the call that opened each time-step; NaN for the first) and ``"timeouts"``
        (a 0-d integer array: the environment's timeout count).
    """
    if inference_time < 0:
        raise ValueError(f"inference_time must be >= 0, got {inference_time!r}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    rng = np.random.default_rng(seed)
    durations = inference_time * (1.0 + jitter * rng.uniform(-1.0, 1.0, steps))
    config = tutorial_config(
        clock="simulated", time_step_duration=time_step, start_obs_capture=time_step,
        time_step_timeout_factor=timeout_factor, ep_max_length=np.inf,
    )
    with make_env(config) as env:
        clock = env.unwrapped.clock
        action = env.unwrapped.default_action
        env.reset(seed=seed)
        for duration in durations:
            clock.sleep(float(duration))
            env.step(action)
        arrays = env.unwrapped.trace.arrays()
        arrays["timeouts"] = np.array(env.unwrapped.timeouts)
    arrays["inference"] = np.concatenate(([np.nan], durations))
    return arrays


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
