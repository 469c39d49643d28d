"""Timing benchmark: rtgym_nb against rtgym 0.16, measured identically, interleaved.

Run it with ``./dev bench`` or ``.venv/bin/python benchmarks/timing.py [--quick] [--load]``.

What runs
    One trivial interface (a 1-D action; an observation carrying its capture time) stamps
    ``time.perf_counter()`` on entry of ``send_control`` and of ``get_obs_rew_terminated_info``
    (``benchmarks/timing_worker.py``). Observations are captured at the end of each time-step
    (``start_obs_capture = time_step_duration``), the elasticity is one time-step. Each case --
    package x env id (``real-time-gym-v1``, ``real-time-gym-ts-v1``) x time-step (50, 20, 5, 2,
    1, 0.5, 0.2 ms) x caller -- runs as four short runs per package, each in a fresh
    subprocess: rtgym 0.16 in its own virtual environment (``benchmarks/.venv-rtgym016``,
    created on first use with ``pip install rtgym==0.16``), rtgym_nb in this interpreter's.
    The same worker script serves both packages (it imports ``rtgym`` or ``rtgym_nb``), and the
    two packages' runs of a case take turns (A B B A A B B A), so that a swing of the machine's
    load hits both; each package's four runs are pooled (no period spans two runs).

    The caller either sleeps half a time-step between steps (``time.sleep``), or computes in
    pure Python for half a time-step ("busy": the interpreter lock is held, as during real
    inference). ``--load`` adds the sleeping caller with a second process keeping a core busy.

What is measured (from the interface's stamps only, never from a package's own trace)
    * control latency: ``send_control`` stamp minus the previous capture stamp (the end of a
      time-step, turned into the next action);
    * control-period error: ``|interval between sends - time-step|``; capture-period error: the
      same for captures; all as p50 / p90 / p99 / max in microseconds;
    * timeouts: time-steps whose control period exceeded ``time_step * (1 + timeout_factor)``,
      or for which the package warned of a timeout;
    * CPU per step: process CPU time (every thread, spinning included) over the stepping loop,
      divided by the number of steps; for the busy caller its own work is subtracted;
    * steps/s.
    Because one run's CPU figure swings by tens of percent on a shared machine, CPU per step at
    20 ms is also measured as the median of several interleaved runs per variant (the figure
    the requirements check uses), with, in the same rounds, the floor under it: each variant's
    wake-ups and nothing else (``benchmarks/wake_floor.py``).
    Plus: the highest rate (shortest time-step) each package/env id sustains with fewer than
    1 % timeouts while the caller does nothing but call ``step()``; rtgym_nb's throughput on its
    simulated clock (the tutorial's drone env when ``rtgym_nb.course.tutorial`` exists, and the
    trivial interface); and a per-step cost profile of rtgym_nb.

Outputs
    ``benchmarks/results/timing.json`` (everything, raw statistics included),
    ``timing.md`` (the tables) and ``timing.png`` (period histograms at 20 ms and 2 ms, both
    packages side by side). ``--quick`` (a few hundred steps per case, a CI smoke test) writes
    to ``benchmarks/results/quick.tmp/`` instead unless ``--out`` is given.

The machine's load changes every figure: the load averages before and after the run are
recorded in the outputs. Compare the two packages within one run, not across runs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "timing_worker.py"
RTGYM_VENV = HERE / ".venv-rtgym016"
RTGYM_REQUIREMENT = "rtgym==0.16"
PACKAGES = ("rtgym", "rtgym_nb")
ENVS = ("v1", "ts")
TIME_STEPS_MS = (50.0, 20.0, 5.0, 2.0, 1.0, 0.5, 0.2)
MAX_RATE_CANDIDATES_MS = (1.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05,
                          0.04, 0.03, 0.025, 0.02)
TIMEOUT_FACTOR = 1.0
HIST_TIME_STEPS_MS = (20.0, 2.0)
SEGMENTS = 4
"""Runs per package and case in the main matrix, taking turns with the other package's."""

CALLER_LABELS = {
    "sleep": "caller sleeps half a time-step",
    "busy": "caller runs pure-Python inference for half a time-step",
    "sleep+load": "caller sleeps; a second process keeps one core busy",
}

if str(REPO) not in sys.path:  # rtgym_nb from this checkout even when not installed
    sys.path.insert(0, str(REPO))


# -- environments --------------------------------------------------------------------------


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_rtgym_venv(log) -> Path:
    """Create (or reuse) the virtual environment holding rtgym 0.16; return its Python."""
    python = _venv_python(RTGYM_VENV)
    check = [str(python), "-c", "import importlib.metadata as m, rtgym; print(m.version('rtgym'))"]
    if python.exists():
        done = subprocess.run(check, capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == RTGYM_REQUIREMENT.split("==")[1]:
            return python
    log(f"creating {RTGYM_VENV.relative_to(REPO)} with {RTGYM_REQUIREMENT} ...")
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(RTGYM_VENV)], check=True)
    (RTGYM_VENV / ".gitignore").write_text("# created by benchmarks/timing.py\n*\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         RTGYM_REQUIREMENT],
        check=True,
    )
    subprocess.run(check, check=True, capture_output=True)
    return python


def our_python() -> str:
    """This interpreter if it can import rtgym_nb (it normally is the project's venv)."""
    import importlib.util

    if importlib.util.find_spec("rtgym_nb") is not None:
        return sys.executable
    candidate = _venv_python(REPO / ".venv")
    if candidate.exists():
        return str(candidate)
    raise SystemExit("rtgym_nb is not importable: run this with the project's .venv Python")


ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Set for every process the harness starts. numpy's OpenBLAS starts a thread per extra core
when numpy is imported, and that thread spins for ~0.1 s before it first sleeps (again after
every multi-threaded BLAS call). A worker measures from its ``reset()``, 4-8 ms after its
imports, and up to ~13 ms of that spin came after the imports (``benchmarks/blas_spin.py``):
in the measured window of both packages' runs, up to ~85 us per step of a 150-step run at
20 ms, the CPU figure's runs. The trivial interface does no linear algebra; one BLAS thread
changes nothing else."""


def _clean_env(pythonpath: str | None = None) -> dict[str, str]:
    """The environment of a process the harness starts: no inherited ``PYTHONPATH``, one BLAS
    thread (:data:`ONE_BLAS_THREAD`)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(ONE_BLAS_THREAD)
    if pythonpath:  # another checkout of rtgym_nb first on the path (compare_revisions.py)
        env["PYTHONPATH"] = pythonpath
    return env


# -- running cases -------------------------------------------------------------------------


class Burner:
    """A second process keeping one core busy (``--load``)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Burner:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def run_worker(python: str, case: dict[str, Any], timeout: float,
               pythonpath: str | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(WORKER), json.dumps(case)],
        capture_output=True, text=True, timeout=timeout, env=_clean_env(pythonpath),
        cwd=str(HERE),
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"worker failed for {case}:\n{done.stderr.strip()[-2000:]}"
        )
    return json.loads(done.stdout)


def run_raw(pythons: dict[str, str], package: str, env: str, dt: float, steps: int,
            caller: str, pythonpath: str | None = None,
            cpus: list[int] | None = None) -> dict[str, Any]:
    """One run of a case in a subprocess: the worker's raw result (on ``cpus`` only, if given)."""
    case = {"package": package, "env": env, "dt": dt, "steps": steps,
            "caller": caller.split("+")[0], "timeout_factor": TIMEOUT_FACTOR, "cpus": cpus}
    budget = 60 + steps * dt * 6
    if caller.endswith("+load"):
        with Burner():
            return run_worker(pythons[package], case, budget, pythonpath)
    return run_worker(pythons[package], case, budget, pythonpath)


def combine(raws: list[dict[str, Any]], package: str, env: str, dt: float,
            caller: str) -> dict[str, Any]:
    """Statistics of one package's runs of a case, pooled; the stamps run by run."""
    from rtgym_nb.cli.bench import summarize_segments

    steps = sum(raw["steps"] for raw in raws)
    warmup = max(5, min(raw["steps"] for raw in raws) // 50)
    stats = summarize_segments([(raw["send"], raw["capture"], raw["warned"]) for raw in raws],
                               dt, TIMEOUT_FACTOR, warmup)

    def per_step(key: str) -> float:
        return sum(raw[key] for raw in raws) / steps * 1e6

    wall = sum(raw["wall_s"] for raw in raws)
    stats.update(
        package=package, version=raws[0]["version"], env=env, caller=caller,
        time_step_ms=dt * 1e3,
        runs=len(raws),
        steps_per_s=steps / wall,
        cpu_per_step_us=per_step("cpu_s") - per_step("inference_cpu_s"),
        cpu_per_step_gross_us=per_step("cpu_s"),
        caller_cpu_per_step_us=per_step("caller_cpu_s") - per_step("inference_cpu_s"),
        warned=sum(len(raw["warned"]) for raw in raws),
        threads_alive=max(raw["threads_alive"] for raw in raws),
    )
    return {"stats": stats, "send": [raw["send"] for raw in raws],
            "capture": [raw["capture"] for raw in raws]}


def run_case(pythons: dict[str, str], package: str, env: str, dt: float, steps: int,
             caller: str, pythonpath: str | None = None,
             cpus: list[int] | None = None) -> dict[str, Any]:
    """One case in one subprocess; returns its statistics and stamps (see :func:`combine`)."""
    raw = run_raw(pythons, package, env, dt, steps, caller, pythonpath, cpus)
    return combine([raw], package, env, dt, caller)


def steps_for(dt_ms: float, quick: bool) -> int:
    if quick:
        return int(min(300, max(40, 1000.0 / dt_ms)))
    # at 50 and 20 ms, 600 and 1200 periods: with 300 and 600 (until 2026-11-26) each p99 was
    # the 3rd or 6th largest error of a case, so that three hiccups of the machine decided it
    return {50.0: 600, 20.0: 1200, 5.0: 1200, 2.0: 2000, 1.0: 3000, 0.5: 4000, 0.2: 5000}.get(
        dt_ms, int(min(5000, max(150, 6000.0 / dt_ms)))
    )


def run_matrix(pythons, packages, callers, time_steps_ms, quick, log) -> tuple[list, dict]:
    """Every case, each as :data:`SEGMENTS` short runs per package taking turns (A B B A ...).

    One long run per package would leave the comparison at the mercy of the machine's load
    during those few seconds: on this machine, back-to-back runs of the same code can differ
    several-fold in their control-period error p99. Short runs in turns spread each swing of
    the load over both packages; their time-steps are pooled (:func:`combine`).
    """
    cases: list[dict[str, Any]] = []
    stamps: dict[tuple, tuple] = {}
    segments = 1 if quick else SEGMENTS
    flip = False
    for dt_ms in time_steps_ms:
        steps = steps_for(dt_ms, quick) // segments
        for caller in callers:
            for env in ENVS:
                raws: dict[str, list] = {package: [] for package in packages}
                for segment in range(segments):
                    order = list(packages)
                    if flip != (segment % 2 == 1):
                        order.reverse()
                    for package in order:
                        raws[package].append(run_raw(pythons, package, env, dt_ms / 1e3, steps,
                                                     caller))
                flip = not flip
                pair = {}
                for package in packages:
                    out = combine(raws[package], package, env, dt_ms / 1e3, caller)
                    pair[package] = out["stats"]
                    if dt_ms in HIST_TIME_STEPS_MS:
                        stamps[(package, env, caller, dt_ms)] = (out["send"], out["capture"])
                case = {"time_step_ms": dt_ms, "caller": caller, "env": env, **pair}
                if len(pair) == 2:
                    case["ratios"] = ratios(pair["rtgym"], pair["rtgym_nb"])
                cases.append(case)
                log(case_line(case))
    return cases, stamps


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    if b <= 0:
        return float("inf") if a > 0 else None
    return a / b


RATIO_KEYS = (
    ("latency_p50", ("latency", "p50")),
    ("latency_p99", ("latency", "p99")),
    ("control_period_error_p50", ("control_period_error", "p50")),
    ("control_period_error_p99", ("control_period_error", "p99")),
    ("capture_period_error_p50", ("capture_period_error", "p50")),
    ("capture_period_error_p99", ("capture_period_error", "p99")),
    ("cpu_per_step", ("cpu_per_step_us", None)),
    ("steps_per_s", ("steps_per_s", None)),
)


def ratios(theirs: dict, ours: dict) -> dict[str, float | None]:
    """rtgym / rtgym_nb for each headline figure (> 1: rtgym_nb is lower)."""
    out = {}
    for name, (key, stat) in RATIO_KEYS:
        a = theirs[key] if stat is None else theirs[key][stat]
        b = ours[key] if stat is None else ours[key][stat]
        out[name] = _ratio(a, b)
    return out


def case_line(case: dict[str, Any]) -> str:
    parts = [f"{case['time_step_ms']:>5g} ms {case['env']:<2} {case['caller']:<10}"]
    for package in PACKAGES:
        s = case.get(package)
        if s is None:
            continue
        parts.append(
            f"{package}: lat {s['latency']['p50']:7.1f} ctl {s['control_period_error']['p50']:6.1f}"
            f"/{s['control_period_error']['p99']:7.1f} cap {s['capture_period_error']['p50']:6.1f}"
            f" to {s['timeouts']:4d} cpu {s['cpu_per_step_us']:6.1f}"
        )
    return " | ".join(parts)


# -- highest rate --------------------------------------------------------------------------


def max_rate_search(pythons, packages, quick, log, cpus: list[int] | None = None
                    ) -> dict[str, Any]:
    """Shortest time-step with < 1 % timeouts, caller doing nothing, per package and env id
    (every worker process on ``cpus`` only, if given).

    Candidates are tried from long to short, the variants still in the race one after the
    other. A trial with too many timeouts is run once more (so that one burst of load does not
    decide); a variant whose candidate fails twice leaves the race, and its result is the last
    candidate it passed.
    """
    variants = [(p, e) for p in packages for e in ENVS]
    active = list(variants)
    trials: dict[str, list] = {f"{p} {e}": [] for p, e in variants}
    best: dict[str, Any] = {f"{p} {e}": None for p, e in variants}
    for dt_ms in MAX_RATE_CANDIDATES_MS:
        if not active:
            break
        for package, env in list(active):
            key = f"{package} {env}"
            dt = dt_ms / 1e3
            steps = 400 if quick else int(min(8000, max(1000, 0.8 / dt)))
            for attempt in (1, 2):
                out = run_case(pythons, package, env, dt, steps, "none", cpus=cpus)["stats"]
                trial = {
                    "time_step_ms": dt_ms,
                    "attempt": attempt,
                    "steps": steps,
                    "timeouts": out["timeouts"],
                    "timeout_fraction": out["timeout_fraction"],
                    "steps_per_s": out["steps_per_s"],
                    "cpu_per_step_us": out["cpu_per_step_us"],
                }
                trials[key].append(trial)
                passed = trial["timeout_fraction"] < 0.01
                log(f"max rate {key:<11} {dt_ms:6.3f} ms (try {attempt}): "
                    f"{trial['timeout_fraction']:6.1%} timeouts, "
                    f"{trial['steps_per_s']:7.0f} steps/s")
                if passed:
                    best[key] = trial
                    break
            else:
                active.remove((package, env))
    return {"best": best, "trials": trials,
            "candidates_ms": list(MAX_RATE_CANDIDATES_MS), "threshold": 0.01}


def interleaved(variants: list[Any], repeats: int, run: Callable[[Any], Any]) -> list[list[Any]]:
    """``run(variant)`` ``repeats`` times for every variant; the results, variant by variant.

    The variants take turns, in an order that rotates with each repeat, so that a swing of this
    shared machine's load (one few-second stretch to the next) hits all of them alike.
    """
    results: list[list[Any]] = [[] for _ in variants]
    order = list(range(len(variants)))
    for rep in range(repeats):
        k = rep % len(order)
        for i in order[k:] + order[:k]:
            results[i].append(run(variants[i]))
    return results


def median_of(runs: list[Any], get: Callable[[Any], float]) -> float:
    """The median over ``runs`` of ``get(run)``."""
    return statistics.median(get(r) for r in runs)


CPU_TIME_STEP_MS = 20.0
CPU_REPEATS = 7
CPU_STEPS = 150
SPIN_REPEATS = 5


FLOOR = "floor:"
FLOOR_PATTERNS = {"one thread": "2 wake-ups (one thread)", "worker": "3 wake-ups (worker)"}


def wake_floor_cpu(pattern: str, steps: int) -> float:
    """CPU per step (µs) of one run of ``pattern`` of ``benchmarks/wake_floor.py`` at 20 ms:
    the wake-ups a variant needs, with no framework (what no implementation can go below)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "wake_floor.py"), "--json", "--pattern", pattern,
         "--steps", str(steps), "--repeats", "1", "--spin-us", "0",
         "--time-step-ms", f"{CPU_TIME_STEP_MS:g}"],
        capture_output=True, text=True, timeout=60 + steps * CPU_TIME_STEP_MS / 1e3 * 4,
        env=_clean_env(), cwd=str(HERE), check=True,
    )
    return json.loads(done.stdout)[pattern]


def cpu_repeats(pythons, packages, callers, quick, log) -> dict[str, Any]:
    """CPU per step at 20 ms time-steps: the median of interleaved repetitions, per variant.

    One run's CPU figure moves by tens of percent on this shared machine from one few-second
    stretch to the next (the same configuration was measured anywhere between 90 and 290 us
    per step), more than the differences being compared. So every variant (package x env id)
    runs ``CPU_REPEATS`` times, the variants taking turns in a rotating order, and medians are
    compared.
    """
    repeats = 2 if quick else CPU_REPEATS
    steps = 60 if quick else CPU_STEPS
    out: dict[str, Any] = {"time_step_ms": CPU_TIME_STEP_MS, "repeats": repeats,
                           "steps": steps, "callers": {}}
    for caller in callers:
        if caller not in ("sleep", "busy"):
            continue
        variants = [(p, e) for p in packages for e in ENVS]
        if caller == "sleep":  # the floor under both packages, in the same rounds
            variants += [(FLOOR, pattern) for pattern in FLOOR_PATTERNS]

        def cpu(variant, caller=caller):
            package, env = variant
            if package == FLOOR:
                return wake_floor_cpu(env, steps)
            return run_case(pythons, package, env, CPU_TIME_STEP_MS / 1e3, steps,
                            caller)["stats"]["cpu_per_step_us"]

        results = interleaved(variants, repeats, cpu)
        runs = {f"{p} {e}": v for (p, e), v in zip(variants, results, strict=True)}
        out["callers"][caller] = {
            key: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}
            for key, v in runs.items()
        }
        log(f"CPU per step at {CPU_TIME_STEP_MS:g} ms, {caller}: " + ", ".join(
            f"{key} {statistics.median(v):.0f}" for key, v in runs.items()))
    return out


# -- simulated clock throughput and per-step profile (subprocesses of our Python) ------------


def _simulated_worker(seconds: float) -> dict[str, Any]:
    import gymnasium

    import rtgym_nb
    from rtgym_nb.cli.bench import _stamp_interface
    from rtgym_nb.config import make_config

    configs: list[tuple[str, Any]] = []
    try:
        from rtgym_nb.course.tutorial import tutorial_config
    except ImportError:
        tutorial_config = None
    if tutorial_config is not None:
        configs.append(("tutorial drone", lambda: tutorial_config(clock="simulated")))
    configs.append(("trivial interface", lambda: make_config(
        _stamp_interface()[0], time_step_duration=0.05, start_obs_capture=0.05,
        clock="simulated")))
    out: dict[str, Any] = {"rtgym_nb": rtgym_nb.__version__, "results": []}
    for name, make in configs:
        for env in ENVS:
            env_id = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}[env]
            with gymnasium.make(env_id, config=make(), disable_env_checker=True) as made:
                action = made.unwrapped.default_action
                steps = episodes = 0
                start = time.perf_counter()
                cpu = time.process_time()
                while time.perf_counter() - start < seconds:
                    made.reset()
                    episodes += 1
                    done = False
                    while not done:
                        _, _, terminated, truncated, _ = made.step(action)
                        steps += 1
                        done = terminated or truncated or steps % 1000 == 0
                wall = time.perf_counter() - start
                cpu = time.process_time() - cpu
            out["results"].append({
                "interface": name, "env": env, "steps": steps, "episodes": episodes,
                "steps_per_s": steps / wall, "cpu_per_step_us": cpu / steps * 1e6,
                "simulated_time_per_wall_s": steps * made.unwrapped.time_step_duration / wall,
            })
    return out


def _profile_worker(quick: bool) -> dict[str, Any]:
    """Per-step cost of rtgym_nb: cProfile on the simulated clock, phases on the wall clock."""
    import cProfile
    import pstats

    import gymnasium
    import numpy as np

    from rtgym_nb.cli.bench import _stamp_interface
    from rtgym_nb.config import make_config

    out: dict[str, Any] = {"simulated": {}, "wall": {}}
    n = 3000 if quick else 20000
    for env in ENVS:
        env_id = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}[env]
        config = make_config(_stamp_interface()[0], time_step_duration=0.01,
                             start_obs_capture=0.01, clock="simulated")
        with gymnasium.make(env_id, config=config, disable_env_checker=True) as made:
            action = np.zeros(1, dtype=np.float32)
            made.reset()
            for _ in range(200):
                made.step(action)
            t0 = time.perf_counter()
            for _ in range(n):
                made.step(action)
            plain = (time.perf_counter() - t0) / n * 1e6
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(n):
                made.step(action)
            profiler.disable()
        stats = pstats.Stats(profiler)
        rows = []
        for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
            short = filename
            for marker in ("rtgym_nb", "gymnasium", "threading.py", "queue.py", "contextlib.py"):
                if marker in filename:
                    short = filename[filename.index(marker):]
                    break
            rows.append({"function": f"{short}:{line}({func})", "calls_per_step": ncalls / n,
                         "self_us_per_step": tottime / n * 1e6,
                         "cumulative_us_per_step": cumtime / n * 1e6})
        rows.sort(key=lambda r: -r["self_us_per_step"])
        out["simulated"][env] = {
            "steps": n,
            "us_per_step": plain,
            "note": "the persistent-thread runner hands every step to its worker thread even on "
                    "the simulated clock; cProfile sees only the caller's thread",
            "top_self_time": rows[:14],
        }

    dt = 0.001
    steps = 500 if quick else 3000
    for env in ENVS:
        env_id = {"v1": "real-time-gym-v1", "ts": "real-time-gym-ts-v1"}[env]
        config = make_config(_stamp_interface()[0], time_step_duration=dt,
                             start_obs_capture=dt)
        with gymnasium.make(env_id, config=config, disable_env_checker=True) as made:
            inner = made.unwrapped
            inner.warn_on_timeout = False
            action = np.zeros(1, dtype=np.float32)
            made.reset()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(steps):
                time.sleep(dt / 2)
                made.step(action)
            cpu = (time.process_time() - cpu0) / steps * 1e6
            wall = (time.perf_counter() - wall0) / steps * 1e6
            tr = inner.trace.arrays()
            margin = getattr(inner.clock, "margin", None)
        k = slice(max(5, steps // 50), -1)

        def med(a, b, tr=tr, k=k):
            return float(np.nanmedian((tr[b] - tr[a])[k]) * 1e6)

        nxt = {f: np.concatenate((tr[f][1:], [np.nan])) for f in ("call", "send_start")}
        phases = {
            "step() call -> capture starts (waiting for the capture time)":
                float(np.nanmedian((tr["capture_start"] - nxt["call"])[k]) * 1e6),
            "capture (get_obs_rew_terminated_info)": med("capture_start", "capture_end"),
            "capture returned -> next send_control (control latency)":
                float(np.nanmedian((nxt["send_start"] - tr["capture_end"])[k]) * 1e6),
            "send_control": med("send_start", "send_end"),
            "send_control returned -> step() returns": med("send_end", "returned"),
            "whole step() call": med("call", "returned"),
        }
        out["wall"][env] = {
            "time_step_ms": dt * 1e3, "steps": steps, "caller": "sleep",
            "phases_median_us": phases,
            "cpu_per_step_us": cpu, "wall_per_step_us": wall,
            "clock_margin_us": None if margin is None else margin * 1e6,
        }
    # what the final spin costs: CPU per step at 20 ms with the default clock and with a clock
    # that never spins (WallClock(min_margin=0, max_margin=0): time.sleep to the deadline). As
    # for cpu_repeats, one run says little on this machine: the variants take turns, and the
    # medians of SPIN_REPEATS runs are reported.
    from rtgym_nb._clock import WallClock
    from rtgym_nb.cli.bench import run as bench_run

    steps = 50 if quick else 150
    repeats = 1 if quick else SPIN_REPEATS
    variants = [(env, name, make) for env in ENVS
                for name, make in (("default (spins the last margin)", WallClock),
                                   ("never spins",
                                    lambda: WallClock(min_margin=0.0, max_margin=0.0)))]
    results = interleaved(variants, repeats, lambda v: bench_run(
        v[0], time_step=0.02, steps=steps, caller="sleep", clock=v[2]()))
    out["spin_cost"] = [
        {
            "env": env, "clock": name, "time_step_ms": 20.0, "steps": steps, "repeats": repeats,
            "cpu_per_step_us": median_of(rs, lambda r: r["cpu_per_step_us"]),
            "control_period_error_p50_us":
                median_of(rs, lambda r: r["control_period_error"]["p50"]),
            "capture_period_error_p50_us":
                median_of(rs, lambda r: r["capture_period_error"]["p50"]),
            "latency_p50_us": median_of(rs, lambda r: r["latency"]["p50"]),
        }
        for (env, name, _), rs in zip(variants, results, strict=True)
    ]
    return out


def run_self(mode: str, payload: dict[str, Any], python: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), "--_internal", mode, json.dumps(payload)],
        capture_output=True, text=True, timeout=600, env=_clean_env(), cwd=str(HERE),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# -- requirements (issue 6) ----------------------------------------------------------------


def check_requirements(cases, max_rate, callers, cpu=None) -> list[dict[str, Any]]:
    """The figures the design requires of rtgym_nb, each marked met or not, with the numbers."""
    checks: list[dict[str, Any]] = []

    def find(dt_ms, caller, env):
        for case in cases:
            if (case["time_step_ms"] == dt_ms and case["caller"] == caller
                    and case["env"] == env and "ratios" in case):
                return case
        return None

    for caller in ("sleep", "busy"):
        if caller not in callers:
            continue
        for env in ENVS:
            for dt_ms in (20.0, 5.0, 1.0):
                case = find(dt_ms, caller, env)
                if case:
                    r = case["ratios"]["latency_p50"]
                    checks.append({
                        "requirement": "control latency median >= 10x lower than rtgym's",
                        "case": f"{env} {dt_ms:g} ms {caller}",
                        "rtgym": case["rtgym"]["latency"]["p50"],
                        "rtgym_nb": case["rtgym_nb"]["latency"]["p50"],
                        "ratio": r, "met": r is not None and r >= 10,
                    })
            for dt_ms in (5.0, 2.0, 1.0, 50.0, 20.0):
                case = find(dt_ms, caller, env)
                if case:
                    r = case["ratios"]["control_period_error_p50"]
                    need = 5.0 if dt_ms <= 5 else 1.0
                    checks.append({
                        "requirement": ("control-period error median >= 5x lower" if need > 1
                                        else "control-period error median no worse"),
                        "case": f"{env} {dt_ms:g} ms {caller}",
                        "rtgym": case["rtgym"]["control_period_error"]["p50"],
                        "rtgym_nb": case["rtgym_nb"]["control_period_error"]["p50"],
                        "ratio": r, "met": r is not None and r >= need,
                    })
    for case in cases:
        if "ratios" not in case:
            continue
        r = case["ratios"]["control_period_error_p99"]
        checks.append({
            "requirement": "control-period error p99 no worse",
            "case": f"{case['env']} {case['time_step_ms']:g} ms {case['caller']}",
            "rtgym": case["rtgym"]["control_period_error"]["p99"],
            "rtgym_nb": case["rtgym_nb"]["control_period_error"]["p99"],
            "ratio": r, "met": r is not None and r >= 1,
        })
    if max_rate:
        best = max_rate["best"]
        ref = best.get("rtgym ts")
        for env in ENVS:
            ours = best.get(f"rtgym_nb {env}")
            if ref and ours:
                rate_ref = 1e3 / ref["time_step_ms"]
                rate = 1e3 / ours["time_step_ms"]
                checks.append({
                    "requirement": "highest rate with < 1 % timeouts >= 2x rtgym ts",
                    "case": f"rtgym_nb {env} vs rtgym ts (steps/s)",
                    "rtgym": rate_ref, "rtgym_nb": rate, "ratio": rate / rate_ref,
                    "met": rate >= 2 * rate_ref,
                })
    for caller, medians in ((cpu or {}).get("callers") or {}).items():
        theirs = medians.get("rtgym ts", {}).get("median")
        for env in ENVS:
            ours = medians.get(f"rtgym_nb {env}", {}).get("median")
            if theirs is None or ours is None:
                continue
            checks.append({
                "requirement": "CPU per step at 20 ms <= rtgym ts (median of repeats)",
                "case": f"rtgym_nb {env} vs rtgym ts, 20 ms {caller}",
                "rtgym": theirs, "rtgym_nb": ours, "ratio": _ratio(theirs, ours),
                "met": ours <= theirs,
            })
    return checks


# -- reports -------------------------------------------------------------------------------


def _floor_label(key: str) -> str:
    """A CPU table column: ``floor: worker`` reads *floor: 3 wake-ups (worker)*."""
    if key.startswith(FLOOR):
        return f"*floor: {FLOOR_PATTERNS.get(key[len(FLOOR):].strip(), key)}*"
    return key


def _f(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:.1f}×" if value < 100 else f"{value:,.0f}×"


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        "# Timing: rtgym_nb vs rtgym 0.16",
        "",
        f"Run {meta['date']} on {meta['machine']}, Python {meta['python']}, rtgym "
        f"{meta['versions'].get('rtgym', '–')}, rtgym_nb {meta['versions'].get('rtgym_nb', '–')} "
        f"(commit {meta['commit']}). Command: `{meta['command']}`.",
        "",
        f"Load average (1, 5, 15 min) before: {meta['load_before']}, after: "
        f"{meta['load_after']}; {meta['cpus']} CPUs. {meta['note']}",
        "",
        "Every figure comes from timestamps taken inside the same trivial interface for both "
        "packages (see `benchmarks/timing.py`). Latency: capture → next `send_control`; period "
        "errors: `|interval − time-step|`; all in µs. Ratio = rtgym / rtgym_nb (higher: "
        "rtgym_nb is better). CPU: process CPU time per step, every thread, the caller's own "
        "inference excluded.",
        "",
    ]
    for caller in report["callers"]:
        lines += [f"## {CALLER_LABELS.get(caller, caller)}", ""]
        lines.append(
            "| time-step | env | latency p50 rtgym | latency p50 rtgym_nb | ratio "
            "| ctl-period err p50 rtgym | rtgym_nb | ratio | ctl-period err p99 rtgym | rtgym_nb "
            "| capture err p50 rtgym | rtgym_nb | timeouts rtgym | rtgym_nb "
            "| CPU/step rtgym | rtgym_nb | steps/s rtgym | rtgym_nb |"
        )
        lines.append("|" + "---|" * 18)
        for case in report["cases"]:
            if case["caller"] != caller:
                continue
            a, b = case.get("rtgym"), case.get("rtgym_nb")
            r = case.get("ratios", {})

            def g(s, key, stat="p50"):
                return None if s is None else s[key][stat]

            lines.append(
                f"| {case['time_step_ms']:g} ms | {case['env']} "
                f"| {_f(g(a, 'latency'))} | {_f(g(b, 'latency'))} | {_x(r.get('latency_p50'))} "
                f"| {_f(g(a, 'control_period_error'))} | {_f(g(b, 'control_period_error'))} "
                f"| {_x(r.get('control_period_error_p50'))} "
                f"| {_f(g(a, 'control_period_error', 'p99'))} "
                f"| {_f(g(b, 'control_period_error', 'p99'))} "
                f"| {_f(g(a, 'capture_period_error'))} | {_f(g(b, 'capture_period_error'))} "
                f"| {'–' if a is None else a['timeouts']}/{'–' if a is None else a['steps']} "
                f"| {'–' if b is None else b['timeouts']}/{'–' if b is None else b['steps']} "
                f"| {_f(None if a is None else a['cpu_per_step_us'], 0)} "
                f"| {_f(None if b is None else b['cpu_per_step_us'], 0)} "
                f"| {_f(None if a is None else a['steps_per_s'], 0)} "
                f"| {_f(None if b is None else b['steps_per_s'], 0)} |"
            )
        lines.append("")

    lines += ["## Distributions (µs): p50 / p90 / p99 / max", ""]
    for key, label in (("latency", "control latency"),
                       ("control_period_error", "control-period error"),
                       ("capture_period_error", "capture-period error")):
        lines += [f"### {label}", "",
                  "| caller | time-step | env | rtgym 0.16 | rtgym_nb |", "|---|---|---|---|---|"]
        for case in report["cases"]:
            cells = []
            for package in PACKAGES:
                s = case.get(package)
                cells.append("–" if s is None else " / ".join(
                    _f(s[key][q]) for q in ("p50", "p90", "p99", "max")))
            lines.append(f"| {case['caller']} | {case['time_step_ms']:g} ms | {case['env']} | "
                         + " | ".join(cells) + " |")
        lines.append("")

    cpu = report.get("cpu_repeats")
    if cpu and cpu.get("callers"):
        lines += [f"## CPU per step at {cpu['time_step_ms']:g} ms: median of {cpu['repeats']} "
                  f"interleaved runs of {cpu['steps']} steps", "",
                  "One run's CPU figure swings by tens of percent on this shared machine, so "
                  "every variant ran several times, the variants taking turns; µs per step, "
                  "median [min – max].", ""]
        keys = list(dict.fromkeys(k for medians in cpu["callers"].values() for k in medians))
        heads = [_floor_label(k) for k in keys]
        lines += ["| caller | " + " | ".join(heads) + " |", "|---|" + "---|" * len(keys)]
        for caller, medians in cpu["callers"].items():
            cells = [f"{_f(m['median'], 0)} [{_f(m['min'], 0)} – {_f(m['max'], 0)}]"
                     if (m := medians.get(k)) else "–" for k in keys]
            lines.append(f"| {caller} | " + " | ".join(cells) + " |")
        if any(k.startswith(FLOOR) for k in keys):
            lines += ["", "*floor*: `benchmarks/wake_floor.py`, the wake-ups a variant needs "
                      "with a sleeping caller and nothing else (no framework), in the same "
                      "rounds: what no implementation of that variant can go below here."]
        lines.append("")

    mr = report.get("max_rate")
    if mr:
        lines += ["## Highest rate with < 1 % timeouts (caller does nothing but step)", "",
                  "| package | env | time-step | nominal rate | measured steps/s | timeouts "
                  "| CPU/step (µs) |", "|---|---|---|---|---|---|---|"]
        for key, best in mr["best"].items():
            package, env = key.split()
            if best is None:
                lines.append(f"| {package} | {env} | none of the candidates | | | | |")
                continue
            lines.append(
                f"| {package} | {env} | {best['time_step_ms']:g} ms "
                f"| {1e3 / best['time_step_ms']:,.0f} /s | {best['steps_per_s']:,.0f} "
                f"| {best['timeouts']}/{best['steps']} | {_f(best['cpu_per_step_us'], 0)} |"
            )
        lines += ["", "Candidates (ms): " + ", ".join(f"{c:g}" for c in mr["candidates_ms"])
                  + "; a candidate with >= 1 % timeouts is tried once more, and a variant "
                  "stops at the first candidate that fails twice (all trials are in "
                  "timing.json).", ""]

    sim = report.get("simulated")
    if sim:
        lines += ["## rtgym_nb on the simulated clock (no sleeping; wall-clock throughput)", "",
                  "| interface | env | steps/s | CPU per step (µs) | simulated s per wall s |",
                  "|---|---|---|---|---|"]
        for r in sim["results"]:
            lines.append(f"| {r['interface']} | {r['env']} | {r['steps_per_s']:,.0f} "
                         f"| {r['cpu_per_step_us']:.1f} | {r['simulated_time_per_wall_s']:,.0f} |")
        lines.append("")

    prof = report.get("profile")
    if prof:
        lines += ["## Per-step cost profile of rtgym_nb", "",
                  "Wall clock, 1 ms time-steps, caller sleeping half a time-step; medians (µs) "
                  "from rtgym_nb's own trace:", "",
                  "| phase | v1 | ts |", "|---|---|---|"]
        wall = prof["wall"]
        for phase in wall["v1"]["phases_median_us"]:
            lines.append(f"| {phase} | {_f(wall['v1']['phases_median_us'][phase])} "
                         f"| {_f(wall['ts']['phases_median_us'][phase])} |")
        lines.append(f"| CPU per step (process) | {_f(wall['v1']['cpu_per_step_us'])} "
                     f"| {_f(wall['ts']['cpu_per_step_us'])} |")
        lines.append(f"| clock spin margin at the end | {_f(wall['v1']['clock_margin_us'])} "
                     f"| {_f(wall['ts']['clock_margin_us'])} |")
        if prof.get("spin_cost"):
            reps = prof["spin_cost"][0].get("repeats", 1)
            lines += ["", "What the final spin costs (20 ms time-steps, caller sleeping; the spin "
                      "is what makes the periods precise; "
                      + (f"medians of {reps} interleaved runs" if reps > 1 else "one run")
                      + f" of {prof['spin_cost'][0]['steps']} steps):", "",
                      "| env | clock | CPU per step (µs) | control-period err p50 (µs) "
                      "| capture-period err p50 (µs) | latency p50 (µs) |",
                      "|---|---|---|---|---|---|"]
            for r in prof["spin_cost"]:
                lines.append(f"| {r['env']} | {r['clock']} | {_f(r['cpu_per_step_us'])} "
                             f"| {_f(r['control_period_error_p50_us'])} "
                             f"| {_f(r['capture_period_error_p50_us'])} "
                             f"| {_f(r['latency_p50_us'])} |")
        lines += ["", "Simulated clock (no waiting at all: the pure Python cost of a step):", ""]
        for env in ENVS:
            s = prof["simulated"][env]
            lines += [f"**{env}**: {s['us_per_step']:.1f} µs per step"
                      + (" (includes two thread hand-offs)" if env == "ts" else "")
                      + "; caller-thread self time by function (cProfile, µs per step; the "
                        "profiler inflates the figures):", "",
                      "| function | calls/step | self µs/step |", "|---|---|---|"]
            for row in s["top_self_time"][:10]:
                lines.append(f"| `{row['function']}` | {row['calls_per_step']:.2f} "
                             f"| {row['self_us_per_step']:.2f} |")
            lines.append("")

    checks = report.get("checks")
    if checks:
        met = sum(c["met"] for c in checks)
        lines += [f"## Required figures (issue 6): {met} of {len(checks)} met", "",
                  "| requirement | case | rtgym | rtgym_nb | ratio | met |",
                  "|---|---|---|---|---|---|"]
        for c in checks:
            lines.append(f"| {c['requirement']} | {c['case']} | {_f(c['rtgym'])} "
                         f"| {_f(c['rtgym_nb'])} | {_x(c['ratio'])} "
                         f"| {'yes' if c['met'] else '**no**'} |")
        lines.append("")
    return "\n".join(lines)


def _joined(runs: list[list[float]]):
    """Several runs' stamps as one array, a NaN between runs (no period spans two runs)."""
    import numpy as np

    return np.concatenate([np.append(np.asarray(run, float), np.nan) for run in runs])[:-1]


def plot(stamps: dict, callers, path: Path) -> str | None:
    """Save the period histograms; return None, or why no plot was made."""
    import numpy as np

    from rtgym_nb.cli.bench import period_range, plot_periods

    caller = "sleep" if "sleep" in callers else callers[0]
    panels = []
    for dt_ms in HIST_TIME_STEPS_MS:
        periods = [np.diff(_joined(runs)) * 1e3
                   for (p, e, c, d), pair in stamps.items() if c == caller and d == dt_ms
                   for runs in pair]
        shared = period_range(np.concatenate(periods), dt_ms) if periods else None
        for package in PACKAGES:
            series = [(env, *map(_joined, stamps[(package, env, caller, dt_ms)]))
                      for env in ENVS if (package, env, caller, dt_ms) in stamps]
            if series:
                name = "rtgym 0.16" if package == "rtgym" else "rtgym_nb"
                panels.append({"title": f"{name}, {dt_ms:g} ms time-steps",
                               "time_step": dt_ms / 1e3, "series": series, "range": shared})
    if not panels:
        return "no 20 ms or 2 ms case was run"
    try:
        plot_periods(panels, str(path), columns=2,
                     title=f"Control (filled) and capture (outlined) periods; {caller} caller; "
                           "tails clipped to the edges")
    except ImportError:
        return "matplotlib is not installed"
    return None


# -- main ----------------------------------------------------------------------------------


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=str(REPO))
        return done.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_internal"]:
        mode, payload = argv[1], json.loads(argv[2])
        if mode == "simulated":
            result = _simulated_worker(payload["seconds"])
        elif mode == "profile":
            result = _profile_worker(payload["quick"])
        else:
            raise SystemExit(f"unknown internal mode {mode!r}")
        json.dump(result, sys.stdout)
        return 0

    parser = argparse.ArgumentParser(
        description="Timing benchmark of rtgym_nb against rtgym 0.16 (see the module docstring)."
    )
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred steps per case (a smoke test, about 2 minutes)")
    parser.add_argument("--load", action="store_true",
                        help="also run the sleeping caller while a second process keeps a "
                             "core busy")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default benchmarks/results, or "
                             "benchmarks/results/quick.tmp with --quick)")
    parser.add_argument("--packages", default="rtgym,rtgym_nb",
                        help="comma-separated subset of rtgym,rtgym_nb (default both)")
    parser.add_argument("--time-steps", default=",".join(f"{t:g}" for t in TIME_STEPS_MS),
                        help="comma-separated time-steps in ms")
    parser.add_argument("--callers", default=None,
                        help="comma-separated subset of sleep,busy (default both)")
    parser.add_argument("--no-max-rate", action="store_true", help="skip the highest-rate search")
    parser.add_argument("--no-cpu", action="store_true",
                        help="skip the repeated CPU-per-step measurement at 20 ms")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the simulated-clock throughput and the profile")
    args = parser.parse_args(argv)

    packages = tuple(p for p in PACKAGES if p in args.packages.split(","))
    if not packages:
        parser.error(f"--packages must name rtgym and/or rtgym_nb, got {args.packages!r}")
    time_steps = tuple(float(t) for t in args.time_steps.split(","))
    callers = tuple(args.callers.split(",")) if args.callers else ("sleep", "busy")
    if any(c not in ("sleep", "busy") for c in callers):
        parser.error(f"--callers must name sleep and/or busy, got {args.callers!r}")
    callers += ("sleep+load",) if args.load else ()
    out_dir = args.out or (HERE / "results" / ("quick.tmp" if args.quick else ""))
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    pythons = {"rtgym_nb": our_python()}
    if "rtgym" in packages:
        pythons["rtgym"] = str(ensure_rtgym_venv(log))
    load_before = _load()
    log(f"load average before: {load_before}")

    cases, stamps = run_matrix(pythons, packages, callers, time_steps, args.quick, log)
    max_rate = None if args.no_max_rate else max_rate_search(pythons, packages, args.quick, log)
    cpu = None if args.no_cpu else cpu_repeats(pythons, packages, callers, args.quick, log)
    simulated = profile = None
    if not args.no_extras:
        simulated = run_self("simulated", {"seconds": 0.5 if args.quick else 2.0},
                             pythons["rtgym_nb"])
        profile = run_self("profile", {"quick": args.quick}, pythons["rtgym_nb"])
    load_after = _load()

    versions = {}
    for case in cases:
        for package in packages:
            if package in case:
                versions[package] = case[package]["version"]
    report = {
        "meta": {
            "date": _dt.datetime.now().isoformat(timespec="seconds"),
            "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "versions": versions,
            "commit": _commit(),
            "command": "python benchmarks/timing.py " + " ".join(argv),
            "quick": args.quick,
            "load_before": load_before,
            "load_after": load_after,
            "duration_s": round(time.perf_counter() - started, 1),
            "timeout_factor": TIMEOUT_FACTOR,
            "note": "Other processes share this machine: compare the two packages within a run.",
        },
        "callers": list(callers),
        "cases": cases,
        "max_rate": max_rate,
        "cpu_repeats": cpu,
        "simulated": simulated,
        "profile": profile,
    }
    if len(packages) == 2:
        report["checks"] = check_requirements(cases, max_rate, callers, cpu)
    (out_dir / "timing.json").write_text(json.dumps(report, indent=1))
    (out_dir / "timing.md").write_text(markdown(report) + "\n")
    no_plot = plot(stamps, callers, out_dir / "timing.png")
    log(f"wrote {out_dir / 'timing.json'}, {out_dir / 'timing.md'}"
        + (f" (no plot: {no_plot})" if no_plot else f", {out_dir / 'timing.png'}")
        + f" in {report['meta']['duration_s']:.0f} s")
    if report.get("checks"):
        met = sum(c["met"] for c in report["checks"])
        log(f"required figures met: {met} of {len(report['checks'])}")
        for c in report["checks"]:
            if not c["met"]:
                log(f"  not met: {c['requirement']}: {c['case']} (rtgym {_f(c['rtgym'])}, "
                    f"rtgym_nb {_f(c['rtgym_nb'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
