"""One run of a timing case, identical on rtgym 0.16 and on rtgym_nb (the package is a parameter).

The harness starts ``python -m rtgym_bench.worker CASE_JSON`` once per run, with the Python of
the environment that holds the package under test (rtgym 0.16 runs in its own virtual
environment), so both packages are measured by the very same code. It prints one JSON object on
stdout.

The interface (stamps taken on entry of ``send_control`` and ``get_obs_rew_terminated_info``)
and the caller's loop are ``rtgym_nb/cli/_stamps.py``, the code ``python -m rtgym_nb bench``
runs. This module imports only the standard library, numpy, gymnasium and the package under
test, because it runs where rtgym_nb is not installed: it loads that file by its path in this
checkout (the file imports nothing else), without importing rtgym_nb.

Usage: ``python -m rtgym_bench.worker '{"package": "rtgym", "env": "ts", "dt": 0.005, ...}'``
(keys: see :func:`main`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import gymnasium
import numpy as np

STAMPS_FILE = Path(__file__).resolve().parents[2] / "rtgym_nb" / "cli" / "_stamps.py"
"""The interface and the caller's loop, shared with ``python -m rtgym_nb bench``."""


def _load_stamps() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rtgym_bench._stamps", STAMPS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamps = _load_stamps()


def make_env(package, interface: type, env: str, dt: float,
             timeout_factor: float = 1.0) -> gymnasium.Env:
    """The benchmark's environment: ``package``'s (the imported module) env id ``env`` ("v1"
    or "ts") on ``interface`` (the trivial one), time-step ``dt``, capture at the end of each
    time-step, endless episodes, a one-action buffer."""
    config = dict(package.DEFAULT_CONFIG_DICT)
    config.update(
        interface=interface,
        time_step_duration=dt,
        start_obs_capture=dt,
        time_step_timeout_factor=timeout_factor,
        ep_max_length=np.inf,
        act_buf_len=1,
    )
    return gymnasium.make(stamps.ENV_IDS[env], config=config, disable_env_checker=True)


def _record_timeouts(send: list[float], warned: list[int]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that notes, for every timeout warning, the index of the send
    stamp it belongs to."""
    def record(message, category, filename, lineno, file=None, line=None):
        if "timed out" in str(message):
            warned.append(len(send) - 1)
    return record


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

    interface, send, capture = stamps.stamp_interface(package.RealTimeGymInterface)
    warned: list[int] = []
    warnings.simplefilter("always")
    warnings.showwarning = _record_timeouts(send, warned)

    env = make_env(package, interface, case["env"], dt, timeout_factor)
    env.reset()
    perf_counter, thread_time = time.perf_counter, time.thread_time
    t0_wall, t0_cpu, t0_caller = perf_counter(), time.process_time(), thread_time()
    inference_cpu = stamps.step_as(caller, env, steps, dt)
    wall = perf_counter() - t0_wall
    cpu = time.process_time() - t0_cpu
    caller_cpu = thread_time() - t0_caller  # this thread only (the rest: the package's threads)
    sends, captures = send[: steps + 1], capture[:steps]  # (a worker may capture once more)
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
        "warned": warned,
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
