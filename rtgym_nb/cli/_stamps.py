"""What a timing run does, in a file that imports only the standard library, numpy and gymnasium.

``python -m rtgym_nb bench`` runs it on rtgym_nb. The side-by-side harness's worker
(``benchmarks/rtgym_bench/worker.py``) loads this very file by its path, without importing
rtgym_nb, and runs it on rtgym 0.16 too, in a virtual environment where rtgym_nb is not
installed: both packages are measured by the same code.

The interface is the most trivial one possible: a 1-D action, and an observation carrying its
capture time. It stamps ``time.perf_counter()`` on entry of ``send_control`` and of
``get_obs_rew_terminated_info``; every figure is computed from these two stamp series (never
from a package's own instrumentation), so any implementation is measured the same way.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from gymnasium import spaces

ENV_IDS = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}
"""The two environment ids by their short names."""

CALLERS = ("sleep", "busy", "none")
"""What the caller does before each ``step()``: sleeps half a time-step, works (pure Python)
for half a time-step, or nothing."""


def stamp_interface(base: type) -> tuple[type, list[float], list[float]]:
    """A fresh trivial interface class subclassing ``base`` (a package's
    ``RealTimeGymInterface``), and the lists its instances stamp into: ``send_control``'s
    (reset's included) and ``get_obs_rew_terminated_info``'s."""
    send: list[float] = []
    capture: list[float] = []
    perf_counter = time.perf_counter

    class StampInterface(base):
        def __init__(self) -> None:
            self._obs_space = spaces.Tuple(
                (spaces.Box(-np.inf, np.inf, shape=(1,), dtype=np.float64),)
            )
            self._act_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
            stamp = np.zeros(1)  # reused: the interface itself should cost ~nothing
            self._obs = [stamp]
            # The stamp is written through a memoryview of the observation's array: a numpy
            # item assignment costs ~10 us more when caches are cold (docs/performance.md),
            # which would count in every package's control latency as if it were the framework's.
            self._stamp = memoryview(stamp)

        def send_control(self, control: Any) -> None:
            send.append(perf_counter())

        def reset(self, seed=None, options=None):
            return [np.array([perf_counter()])], {}

        def get_obs_rew_terminated_info(self):
            t = perf_counter()
            capture.append(t)
            self._stamp[0] = t
            return self._obs, 0.0, False, {}

        def get_observation_space(self):
            return self._obs_space

        def get_action_space(self):
            return self._act_space

        def get_default_action(self):
            return np.zeros(1, dtype=np.float32)

        def wait(self):
            pass

    return StampInterface, send, capture


def busy(duration: float) -> None:
    """Pure-Python "inference": holds the interpreter lock (except at switch intervals)."""
    perf_counter = time.perf_counter
    end = perf_counter() + duration
    x = 1.0
    while perf_counter() < end:
        for _ in range(50):
            x = (x * 1.000001 + 0.5) % 7.0


def step_as(caller: str, env: Any, steps: int, time_step: float) -> float:
    """``env.step()`` ``steps`` times, ``caller`` (one of :data:`CALLERS`) acting for half a
    ``time_step`` before each; returns the CPU time (s) the busy caller spent working."""
    if caller not in CALLERS:
        raise ValueError(f"caller must be 'sleep', 'busy' or 'none', got {caller!r}")
    action = np.zeros(1, dtype=np.float32)
    half = time_step / 2
    sleep, thread_time = time.sleep, time.thread_time
    inference_cpu = 0.0
    if caller == "sleep":
        for _ in range(steps):
            sleep(half)
            env.step(action)
    elif caller == "busy":
        for _ in range(steps):
            c0 = thread_time()
            busy(half)
            inference_cpu += thread_time() - c0
            env.step(action)
    else:
        for _ in range(steps):
            env.step(action)
    return inference_cpu
