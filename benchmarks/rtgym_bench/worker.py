"""One run of a timing case, identical on rtgym 0.16 and on rtgym_nb (the package is a parameter).

The harness starts ``python -m rtgym_bench.worker CASE_JSON`` once per run, with the Python of
the environment that holds the package under test (rtgym 0.16 runs in its own virtual
environment), so both packages are measured by the very same code. It prints one JSON object on
stdout.

The interface is the most trivial one possible: a 1-D action, and an observation carrying its
capture time. It stamps ``time.perf_counter()`` on entry of ``send_control`` and of
``get_obs_rew_terminated_info``; every figure is computed from these two stamp series (never from
a package's own instrumentation), so both packages are measured the same way.

Usage: ``python -m rtgym_bench.worker '{"package": "rtgym", "env": "ts", "dt": 0.005, ...}'``
(keys: see :func:`main`). This module imports only the standard library, numpy, gymnasium and the
package under test: it runs where rtgym_nb is not installed. That is why it has its own copy of
the trivial interface rather than ``rtgym_nb.cli.bench``'s.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import threading
import time
import warnings

import gymnasium
import numpy as np
from gymnasium import spaces

perf_counter = time.perf_counter

SEND: list[float] = []
"""``perf_counter()`` on entry of every ``send_control`` (reset's included)."""
CAPTURE: list[float] = []
"""``perf_counter()`` on entry of every ``get_obs_rew_terminated_info``."""
WARNED: list[int] = []
"""For every timeout warning: the index of the send stamp it belongs to."""


def make_interface_class(base: type) -> type:
    """The trivial interface, subclassing the package's ``RealTimeGymInterface``."""

    class StampInterface(base):
        def __init__(self) -> None:
            self._obs_space = spaces.Tuple(
                (spaces.Box(-np.inf, np.inf, shape=(1,), dtype=np.float64),)
            )
            self._act_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
            stamp = np.zeros(1)
            self._obs = [stamp]
            # The stamp is written through a memoryview of the observation's array: a numpy
            # item assignment costs ~10 us more when caches are cold (docs/performance.md),
            # which would count in every package's control latency as if it were the framework's.
            self._stamp = memoryview(stamp)

        def send_control(self, control):
            SEND.append(perf_counter())

        def reset(self, seed=None, options=None):
            return [np.array([perf_counter()])], {}

        def get_obs_rew_terminated_info(self):
            t = perf_counter()
            CAPTURE.append(t)
            self._stamp[0] = t  # one preallocated array: the interface itself costs ~nothing
            return self._obs, 0.0, False, {}

        def get_observation_space(self):
            return self._obs_space

        def get_action_space(self):
            return self._act_space

        def get_default_action(self):
            return np.zeros(1, dtype=np.float32)

        def wait(self):
            pass

    return StampInterface


def busy(duration: float) -> None:
    """Pure-Python "inference": holds the interpreter lock (except at switch intervals)."""
    end = perf_counter() + duration
    x = 1.0
    while perf_counter() < end:
        for _ in range(50):
            x = (x * 1.000001 + 0.5) % 7.0


def _record_warning(message, category, filename, lineno, file=None, line=None):
    if "timed out" in str(message):
        WARNED.append(len(SEND) - 1)


ENV_IDS = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}


def make_env(package, env: str, dt: float, timeout_factor: float = 1.0) -> gymnasium.Env:
    """The benchmark's environment: ``package``'s (the imported module) env id ``env`` ("v1"
    or "ts") on the trivial interface, time-step ``dt``, capture at the end of each time-step,
    endless episodes, a one-action buffer."""
    config = dict(package.DEFAULT_CONFIG_DICT)
    config.update(
        interface=make_interface_class(package.RealTimeGymInterface),
        time_step_duration=dt,
        start_obs_capture=dt,
        time_step_timeout_factor=timeout_factor,
        ep_max_length=np.inf,
        act_buf_len=1,
    )
    return gymnasium.make(ENV_IDS[env], config=config, disable_env_checker=True)


def main(argv: list[str]) -> int:
    """Run one case.

    Keys of the JSON argument: ``package`` ("rtgym" or "rtgym_nb"), ``env`` ("v1" or "ts"),
    ``dt`` (time-step, s), ``steps``, ``caller`` ("sleep": sleeps half a time-step between
    steps; "busy": pure-Python busy loop for half a time-step; "none": calls step() at once),
    ``timeout_factor`` (default 1.0), ``stamps`` (return the raw stamps, default true).
    """
    case = json.loads(argv[0])
    package = importlib.import_module(case["package"])
    dt = float(case["dt"])
    steps = int(case["steps"])
    caller = case.get("caller", "sleep")
    timeout_factor = float(case.get("timeout_factor", 1.0))

    warnings.simplefilter("always")
    warnings.showwarning = _record_warning

    env = make_env(package, case["env"], dt, timeout_factor)
    action = np.zeros(1, dtype=np.float32)
    half = dt / 2
    sleep = time.sleep
    thread_time = time.thread_time
    inference_cpu = 0.0
    env.reset()
    t0_wall, t0_cpu, t0_caller = perf_counter(), time.process_time(), thread_time()
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
    elif caller == "none":
        for _ in range(steps):
            env.step(action)
    else:
        raise ValueError(f"unknown caller {caller!r}")
    wall = perf_counter() - t0_wall
    cpu = time.process_time() - t0_cpu
    caller_cpu = thread_time() - t0_caller  # this thread only (the rest: the package's threads)
    sends, captures = SEND[: steps + 1], CAPTURE[:steps]  # (a worker may capture once more)
    threads = threading.active_count()
    with contextlib.suppress(Exception):  # rtgym 0.16 has no close() of its own
        env.close()
    result = {
        "package": case["package"],
        "version": getattr(package, "__version__", None) or _dist_version(case["package"]),
        "env": case["env"],
        "dt": dt,
        "steps": steps,
        "caller": caller,
        "timeout_factor": timeout_factor,
        "wall_s": wall,
        "cpu_s": cpu,
        "inference_cpu_s": inference_cpu,
        "caller_cpu_s": caller_cpu,
        "threads_alive": threads,
        "n_send": len(sends),
        "n_capture": len(captures),
        "warned": WARNED,
    }
    if case.get("stamps", True):
        result["send"] = sends
        result["capture"] = captures
    json.dump(result, sys.stdout)
    return 0


def _dist_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
