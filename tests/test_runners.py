"""Threads: where each interface call runs, errors crossing threads, and close().

* ``real-time-gym-ts-v1``: every interface call, construction included, on ONE worker thread
  (on the wall clock; on the simulated clock, no thread: the caller's, as for v1).
* ``real-time-gym-v1``: on the caller's thread, except captures that fall before the end of a
  time-step on the wall clock (a capture thread per time-step, joined at the next call).
* An exception raised by any interface method reaches the caller with its type and original
  traceback; the environment can still be closed.
* ``close()`` joins every thread, is idempotent, and is what the context manager calls.
"""

from __future__ import annotations

import threading
import time
import warnings

import gymnasium
import numpy as np
import pytest
from interfaces import (
    DT,
    Boom,
    RecordingInterface,
    action,
    interface_frames,
    run_episode,
    sim_config,
)

from rtgym_nb import (
    EnvClosedError,
    EpisodeNotRunningError,
    InterfaceHangError,
    WallClock,
    live_threads,
)
from rtgym_nb._clock import SimulatedClock, current_clock
from rtgym_nb._runners import PersistentThreadRunner, Runner, ThreadPerStepRunner, make_runner

TS, V1 = "real-time-gym-ts-v1", "real-time-gym-v1"
WALL_DT = 0.02
A1 = action(0.5, -0.5)

wall_timeouts_ignored = pytest.mark.filterwarnings(
    "ignore::rtgym_nb.errors.TimeStepTimeoutWarning"  # a noisy box may miss a deadline
)


def wall_env(make_env, **overrides):
    overrides.setdefault("clock", "wall")
    overrides.setdefault("time_step_duration", WALL_DT)
    overrides.setdefault("start_obs_capture", WALL_DT / 2)
    return make_env(**overrides)


def in_thread(fn, name: str = "agent"):
    """Run ``fn()`` on a new thread called ``name``; return its result or raise its error."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:  # pragma: no cover - surfaced below
            box["error"] = exc

    thread = threading.Thread(target=target, name=name)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    if "error" in box:
        raise box["error"]
    return box.get("result")


def started_since(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads alive now that were not alive at ``before`` (robust to unrelated threads
    ending meanwhile, unlike comparing ``threading.active_count()``)."""
    return [t for t in threading.enumerate() if t not in before]


def threads_by_method(env) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for call in env.unwrapped.interface.calls:
        out.setdefault(call.name, set()).add(call.thread)
    return out


ALL_METHODS = {"__init__", "get_observation_space", "get_action_space", "get_default_action",
               "reset", "send_control", "get_obs_rew_terminated_info", "wait", "render"}


def exercise(env, steps: int = 4):
    """Call every interface method at least once (through the env)."""
    clock = env.unwrapped.clock
    env.reset()
    for _ in range(steps):
        clock.sleep(WALL_DT / 4 if not clock.simulated else DT / 4)
        env.step(A1)
    env.render()
    env.unwrapped.wait()
    env.reset()


# -- where interface calls run -------------------------------------------------------------


@pytest.mark.parametrize("capture", [DT / 2, DT])
def test_one_thread_makes_and_steps_every_call_simulated(make_env, capture):
    """On simulated time the ts promise needs no worker: made and stepped on one thread, the
    interface sees only that thread (and the env starts none)."""

    def made_and_stepped():
        env = make_env(start_obs_capture=capture)
        exercise(env)
        assert env.unwrapped.threads() == []
        return env

    env = in_thread(made_and_stepped, name="owner")
    by_method = threads_by_method(env)
    assert set(by_method) == ALL_METHODS
    assert set().union(*by_method.values()) == {"owner"}


@pytest.mark.parametrize("capture", [DT / 2, DT])
def test_every_call_on_the_caller_thread_simulated(make_env, capture):
    env = in_thread(lambda: make_env(start_obs_capture=capture), name="maker")
    in_thread(lambda: exercise(env), name="agent")
    by_method = threads_by_method(env)
    assert set(by_method) == ALL_METHODS
    construction = {"__init__", "get_observation_space", "get_action_space",
                    "get_default_action"}
    for method, threads in by_method.items():
        assert threads == ({"maker"} if method in construction else {"agent"}), method
    assert env.unwrapped.threads() == []


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("env_id", [TS])
@pytest.mark.parametrize("capture", [WALL_DT / 2, WALL_DT])
def test_ts_every_call_on_one_worker_thread_wall_clock(make_env, capture):
    env = wall_env(make_env, start_obs_capture=capture)
    in_thread(lambda: exercise(env))
    by_method = threads_by_method(env)
    assert set(by_method) == ALL_METHODS
    names = set().union(*by_method.values())
    (worker,) = env.unwrapped.threads()
    assert names == {worker.name}


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("env_id", [V1])
def test_v1_wall_clock_mid_step_captures_run_on_a_capture_thread(make_env):
    env = wall_env(make_env, start_obs_capture=WALL_DT / 2)
    in_thread(lambda: exercise(env), name="agent")
    by_method = threads_by_method(env)
    captures = by_method.pop("get_obs_rew_terminated_info")
    assert captures and all(name.startswith("rtgym_nb-capture") for name in captures)
    for method in ("reset", "send_control", "wait", "render"):
        assert by_method[method] == {"agent"}, method


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("env_id", [V1])
def test_v1_wall_clock_end_of_step_captures_start_no_thread(make_env):
    before = set(threading.enumerate())
    env = wall_env(make_env, start_obs_capture=WALL_DT)
    clock = env.unwrapped.clock
    env.reset()
    for _ in range(4):
        assert env.unwrapped.threads() == []
        assert started_since(before) == []
        clock.sleep(WALL_DT / 4)
        env.step(A1)
    me = threading.current_thread().name
    assert all(threads == {me} for threads in threads_by_method(env).values())


# -- errors cross threads ------------------------------------------------------------------


def trigger(env, method: str) -> None:
    """Drive ``env`` until ``method`` of the interface has been called (and may have failed)."""
    unwrapped = env.unwrapped
    clock = unwrapped.clock
    if method == "render":
        unwrapped.render()
        return
    env.reset()
    if method == "reset":
        return
    if method == "wait":
        unwrapped.wait()
        return
    for _ in range(3):
        clock.sleep((DT if clock.simulated else WALL_DT) * 3 / 4)
        env.step(A1)


@pytest.mark.parametrize("method", ["reset", "send_control", "get_obs_rew_terminated_info",
                                    "wait", "render"])
@pytest.mark.parametrize("capture", [DT / 2, DT])
def test_interface_error_reaches_the_caller_with_its_traceback(make_env, method, capture):
    fail_at = 2 if method == "send_control" else 1  # the first send is reset's
    env = make_env(start_obs_capture=capture,
                   interface_kwargs={"fail_on": method, "fail_at": fail_at})
    with pytest.raises(Boom, match=f"{method} failed") as info:
        trigger(env, method)
    frames = interface_frames(info.value)
    assert method in frames and "_record" in frames  # the frames where it was raised
    env.close()
    assert env.unwrapped.threads() == []


@pytest.mark.parametrize("method", ["__init__", "get_observation_space", "get_default_action"])
def test_construction_error_reaches_the_caller(env_id, method):
    before = set(live_threads())
    config = sim_config(interface_kwargs={"fail_on": method})
    with pytest.raises(Boom) as info:
        gymnasium.make(env_id, config=config)
    assert method in interface_frames(info.value)
    assert set(live_threads()) <= before  # the ts worker was stopped


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("method", ["send_control", "get_obs_rew_terminated_info"])
def test_interface_error_on_a_background_thread_wall_clock(env_id, make_env, method):
    """The v1 capture thread and the ts worker both hand their errors to the caller."""
    env = wall_env(make_env, start_obs_capture=WALL_DT / 2,
                   interface_kwargs={"fail_on": method, "fail_at": 2})
    with pytest.raises(Boom) as info:
        trigger(env, method)
    assert method in interface_frames(info.value)
    failed_on = env.unwrapped.interface.named(method)[-1].thread
    if env_id == TS:
        assert failed_on == "rtgym_nb-worker"
    elif method == "get_obs_rew_terminated_info":
        assert failed_on.startswith("rtgym_nb-capture")
    else:
        assert failed_on == threading.current_thread().name
    env.close()
    assert env.unwrapped.threads() == []


@pytest.mark.parametrize("method", ["send_control", "get_obs_rew_terminated_info"])
def test_env_recovers_after_a_failed_step(make_env, method):
    fail_at = 3 if method == "send_control" else 2  # reset sends too
    env = make_env(start_obs_capture=DT / 2,
                   interface_kwargs={"fail_on": method, "fail_at": fail_at})
    env.reset()
    env.step(A1)
    with pytest.raises(Boom):  # the second send, or the capture of the second time-step
        env.step(A1)
    with pytest.raises(EpisodeNotRunningError):  # the failed step ended the episode
        env.step(A1)
    _, results = run_episode(env, [A1, A1])
    assert len(results) == 2


# -- close ---------------------------------------------------------------------------------


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("capture", [WALL_DT / 2, WALL_DT])
def test_close_joins_every_thread_wall_clock(env_id, capture):
    before = set(threading.enumerate())
    env = gymnasium.make(env_id, config=sim_config(clock="wall", time_step_duration=WALL_DT,
                                                   start_obs_capture=capture))
    env.reset()
    env.step(A1)  # a time-step is open (and, for v1 mid-step capture, its thread alive)
    if env_id == V1 and capture < WALL_DT:
        assert len(env.unwrapped.threads()) == 1
    env.close()
    assert env.unwrapped.threads() == []
    assert started_since(before) == []  # threading.active_count() is back
    env.close()
    with pytest.raises(EnvClosedError):
        env.step(A1)
    with pytest.raises(EnvClosedError):
        env.reset()


def test_close_joins_every_thread_simulated(env_id):
    before = set(threading.enumerate())
    with gymnasium.make(env_id, config=sim_config()) as env:
        assert env.unwrapped.threads() == []  # nothing runs concurrently on simulated time
        run_episode(env, [A1] * 3)
    assert env.unwrapped.threads() == []
    assert started_since(before) == []  # threading.active_count() is back


def test_close_after_an_interface_error(env_id):
    before = set(threading.enumerate())
    env = gymnasium.make(env_id, config=sim_config(interface_kwargs={"fail_on": "reset"}))
    with pytest.raises(Boom):
        env.reset()
    env.close()
    assert started_since(before) == []  # threading.active_count() is back


def test_close_calls_the_interface_close_where_it_lives(make_env):
    class Closable(RecordingInterface):
        def close(self):
            self._record("close")

    env = make_env(interface=Closable)
    env.reset()
    creator = env.unwrapped.interface.calls[0].thread
    env.close()
    env.close()
    closes = env.unwrapped.interface.named("close")
    assert len(closes) == 1 and closes[0].thread == creator


def test_many_envs_do_not_leak_threads(env_id):
    before = set(threading.enumerate())
    for _ in range(20):
        with gymnasium.make(env_id, config=sim_config()) as env:
            env.reset()
            env.step(A1)
    assert started_since(before) == []  # threading.active_count() is back


# -- runners on their own ------------------------------------------------------------------


def test_make_runner():
    clock = WallClock()
    assert isinstance(make_runner("thread-per-step", clock, 1.0), ThreadPerStepRunner)
    runner = make_runner("persistent-thread", clock, 1.0)
    try:
        assert isinstance(runner, PersistentThreadRunner)
    finally:
        runner.close()
    with pytest.raises(ValueError, match="unknown runner"):
        make_runner("fibers", clock, 1.0)


@pytest.mark.parametrize("kind", ["thread-per-step", "persistent-thread"])
def test_make_runner_runs_inline_on_a_simulated_clock(kind):
    runner = make_runner(kind, SimulatedClock(), 1.0)
    assert type(runner) is Runner and runner.kind == kind and runner.threads() == []
    with pytest.raises(ValueError, match="unknown runner"):
        make_runner("fibers", SimulatedClock(), 1.0)


@pytest.mark.parametrize("cls", [Runner, ThreadPerStepRunner, PersistentThreadRunner])
def test_runner_call_returns_results_and_sets_the_current_clock(cls):
    clock = SimulatedClock()
    runner = cls(clock, 5.0)
    try:
        assert runner.call(lambda a, b: (a + b, current_clock()), 2, 3) == (5, clock)
        with pytest.raises(KeyError):
            runner.call(dict().__getitem__, "missing")
        assert runner.call(lambda: runner.call(lambda: 7)) == 7  # nested calls do not deadlock
    finally:
        runner.close()
    assert runner.threads() == []


def test_persistent_runner_refuses_calls_after_close():
    runner = PersistentThreadRunner(SimulatedClock(), 5.0)
    runner.close()
    runner.close()
    with pytest.raises(RuntimeError, match="stopped"):
        runner.call(lambda: None)


@pytest.mark.wallclock
def test_persistent_runner_reports_a_hung_interface():
    runner = PersistentThreadRunner(WallClock(), hang_timeout=0.05)
    release = threading.Event()
    try:
        with pytest.raises(InterfaceHangError, match="hang_timeout"):
            runner.call(release.wait, 5.0)
    finally:
        release.set()
        runner.close()
    for thread in runner.threads():
        thread.join(5.0)
    assert runner.threads() == []



class BrokenClockError(Exception):
    pass


class ClockBreakingOnTheWorker(WallClock):
    """A custom clock that fails inside the ts worker's loop (not inside an interface call)."""

    def wait_until(self, *args, **kwargs):
        if threading.current_thread().name == "rtgym_nb-worker":
            raise BrokenClockError("the clock broke")
        return super().wait_until(*args, **kwargs)


@pytest.mark.wallclock
@pytest.mark.parametrize("env_id", [TS])
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dying_worker_is_reported_to_the_caller_not_a_hang(make_env):
    """A failure of the worker's own loop releases the caller with the cause, at once (the
    worker's traceback is also printed, by ``threading.excepthook``)."""
    env = wall_env(make_env, clock=ClockBreakingOnTheWorker(), hang_timeout=30.0,
                   start_obs_capture=WALL_DT)
    env.reset()  # opens a time-step: the worker starts waiting for its capture, and dies
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="worker thread has stopped") as info:
        env.step(A1)
    assert isinstance(info.value.__cause__, BrokenClockError)
    assert time.perf_counter() - started < 5.0  # not hang_timeout
    env.close()
    assert env.unwrapped.threads() == []
class PlainWallClock:
    """The bare :class:`~rtgym_nb._clock.Clock` protocol on real time: no ``wait_until``, no
    ``margin`` (a user's own clock); the ts worker falls back to plain timed waits with it."""

    simulated = False
    now = staticmethod(time.perf_counter)

    def sleep_until(self, deadline: float) -> None:
        remaining = deadline - time.perf_counter()
        if remaining > 0:
            time.sleep(remaining)
        while time.perf_counter() < deadline:  # sleep may wake a hair early on some systems
            pass

    def sleep(self, duration: float) -> None:
        self.sleep_until(time.perf_counter() + duration)


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("env_id", [TS])
def test_ts_runs_on_a_clock_with_only_the_clock_protocol(make_env):
    env = wall_env(make_env, clock=PlainWallClock(), start_obs_capture=WALL_DT)
    env.reset()
    for _ in range(10):
        time.sleep(WALL_DT / 4)
        env.step(A1)
    t = env.unwrapped.trace.arrays()
    captured = ~np.isnan(t["capture_start"])
    assert captured.sum() >= 10
    assert (t["capture_start"][captured] >= t["nominal_obs"][captured]).all()  # never early


def _step_on_time_at_5ms(make_env, clock, steps: int) -> None:
    """A ts episode at 5 ms time-steps whose caller always calls step() early (1 ms after the
    last one returned), so that the worker hands every capture over to it."""
    env = wall_env(make_env, clock=clock, time_step_duration=0.005, start_obs_capture=0.005)
    env.reset()
    for _ in range(steps):
        time.sleep(0.001)
        env.step(A1)
    env.close()


class NeverSpinningClock(WallClock):
    """A wall clock told never to spin (``max_margin=0``) that counts, on the ts worker, the
    waits for a capture time that still had to sleep: the worker woke up too early for them."""

    def __init__(self) -> None:
        super().__init__(min_margin=0.0, max_margin=0.0)
        self.early_wake_ups = 0

    def sleep_until(self, deadline: float) -> None:
        early = deadline - time.perf_counter()
        if 20e-6 < early < 1e-3 and threading.current_thread().name == "rtgym_nb-worker":
            self.early_wake_ups += 1
        super().sleep_until(deadline)


@pytest.mark.wallclock
@wall_timeouts_ignored
@pytest.mark.parametrize("env_id", [TS])
def test_ts_worker_wakes_once_per_step_on_a_clock_that_never_spins(make_env):
    """With max_margin=0 every capture starts a wake-up's overshoot late; the worker must not
    answer that by waking earlier and earlier (it would then sleep twice per time-step)."""
    clock = NeverSpinningClock()
    _step_on_time_at_5ms(make_env, clock, 100)
    assert clock.early_wake_ups == 0


@pytest.mark.wallclock
@wall_timeouts_ignored
def test_wall_clock_episode_keeps_the_order_of_its_deadlines(env_id, make_env):
    """Nothing happens before its nominal time (how soon after it is the benchmarks' job:
    ``python -m rtgym_nb bench``)."""
    env = wall_env(make_env, start_obs_capture=WALL_DT / 2)
    clock = env.unwrapped.clock
    env.reset()
    for _ in range(15):
        clock.sleep(WALL_DT / 4)
        env.step(A1)
    t = env.unwrapped.trace.arrays()
    ok = ~t["timed_out"]
    captured = ~np.isnan(t["capture_start"])
    assert captured.sum() >= 15
    # captures never before their nominal time
    assert (t["capture_start"][captured] >= t["nominal_obs"][captured]).all()
    # actions leave at the nominal start (or when the late caller arrives), never before; a
    # time-step that timed out starts when its send_control returned (rtgym's rule), so skip it
    assert (t["send_start"] - t["nominal_start"])[1:][ok[1:]].min(initial=0.0) >= 0
    # step() returned no earlier than the end of the time-step whose observation it returned
    assert (t["returned"][1:] >= t["nominal_end"][:-1]).all()


def test_no_background_output(make_env, capsys):
    """Workers never print or warn: everything reaches the caller's thread."""
    env = make_env(interface_kwargs={"terminate_at": 3})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_episode(env, [A1] * 3)
    assert caught == []
    assert capsys.readouterr() == ("", "")
