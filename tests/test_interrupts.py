"""KeyboardInterrupt while the caller is inside ``step()`` (a Jupyter cell interrupted).

A timer thread sends SIGINT to the main thread (``signal.pthread_kill``, as a terminal's
Ctrl-C or Jupyter's interrupt does when the signal reaches the main thread) at a chosen moment
of a wall-clock step: while the caller waits for the end of the time-step, while the interface
is inside ``send_control``, or inside ``get_obs_rew_terminated_info``. A second variant uses
``_thread.interrupt_main()``, which only sets the interrupt flag (no signal, so a blocked wait
is not woken: the interrupt lands at the next bytecode boundary).

After the interrupt, on both ids:

* the ``KeyboardInterrupt`` reaches the caller, from inside ``step()``;
* nothing more reaches the device: the interface's send log stops growing (at most the one
  ``send_control`` already under way completes), checked over a grace period;
* the environment is either usable after ``reset()`` or cleanly closed (threads gone).
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
import time
import traceback

import gymnasium
import numpy as np
import pytest
from interfaces import ENV_IDS, FaultyInterface, faulty_config

from rtgym_nb import EpisodeNotRunningError

pytestmark = [
    pytest.mark.wallclock,
    pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill"),
]

DT = 0.03
GRACE = 4 * DT
PHASES = {
    # phase: (interface method whose entry arms the interrupt, delay after it)
    "waiting-for-end": ("send_control", DT / 2),  # lands in the next step's wait
    "in-send_control": ("send_control", 0.005),
    "in-capture": ("get_obs_rew_terminated_info", 0.005),
}


@pytest.fixture(autouse=True)
def _default_sigint_handler():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT does not raise KeyboardInterrupt here")
    yield


class Interrupter:
    """Interrupts the main thread once, ``delay`` after the armed method's 3rd call."""

    def __init__(self, method: str, delay: float, how: str) -> None:
        self.method, self.delay, self.how = method, delay, how
        self.entries = 0
        self.armed = False
        self.fired = threading.Event()
        self._due = threading.Event()
        self._main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def on_enter(self, method: str) -> None:  # called by the interface, on any thread
        if self.armed and method == self.method:
            self.entries += 1
            if self.entries == 3:
                self._due.set()

    def _run(self) -> None:
        if not self._due.wait(10.0):
            return
        time.sleep(self.delay)
        if self.how == "pthread_kill":
            signal.pthread_kill(self._main, signal.SIGINT)
        else:
            _thread.interrupt_main()
        self.fired.set()

    def join(self) -> None:
        self._due.set()  # never leave the thread waiting
        self._thread.join(10.0)


class Hook:
    """The interface's ``on_enter``: forwards to the current :class:`Interrupter`, if any."""

    def __init__(self) -> None:
        self.target: Interrupter | None = None

    def __call__(self, method: str) -> None:
        target = self.target
        if target is not None:
            target.on_enter(method)


def _make(env_id: str, hook: Hook) -> gymnasium.Env:
    slow = {"send_control": 0.01, "get_obs_rew_terminated_info": 0.01}
    return gymnasium.make(
        env_id,
        config=faulty_config("wall", time_step_duration=DT, start_obs_capture=DT,
                      interface_kwargs={"on_enter": hook, "slow": slow}),
    )


def _step_until_interrupted(env: gymnasium.Env, hook: Hook, phase: str, how: str
                            ) -> tuple[KeyboardInterrupt, int]:
    """reset(), then step() until the interrupt for ``phase`` arrives; return it, and the
    length of the interface's send log when it was caught."""
    method, delay = PHASES[phase]
    interrupter = Interrupter(method, delay, how)
    hook.target = interrupter
    env.reset()
    sends = env.unwrapped.interface.sends
    caught: KeyboardInterrupt | None = None
    sends_at_catch = -1
    try:
        interrupter.armed = True
        for i in range(100):
            env.step(np.array([1.0, i]))
    except KeyboardInterrupt as err:
        sends_at_catch = len(sends)
        caught = err
    finally:
        interrupter.armed = False
        hook.target = None
        # if the interrupt was not delivered in the loop, let it land here rather than later
        if not interrupter.fired.wait(2.0) or caught is None:
            with contextlib.suppress(KeyboardInterrupt):
                time.sleep(0.2)
        interrupter.join()
    assert caught is not None, "the interrupt never reached the stepping loop"
    return caught, sends_at_catch


def _interrupted_env(env_id: str, phase: str, how: str
                     ) -> tuple[gymnasium.Env, KeyboardInterrupt, int]:
    hook = Hook()
    env = _make(env_id, hook)
    try:
        err, sends_at_catch = _step_until_interrupted(env, hook, phase, how)
    except BaseException:
        env.close()
        raise
    return env, err, sends_at_catch


def _assert_nothing_more_is_sent(iface: FaultyInterface, interrupted_at: int,
                                 allowed: int = 1) -> None:
    """The send log stops growing; at most ``allowed`` sends (the one under way) complete."""
    time.sleep(GRACE)
    settled = len(iface.sends)
    time.sleep(GRACE)
    assert len(iface.sends) == settled, "the send log is still growing after the interrupt"
    assert settled - interrupted_at <= allowed, (
        f"{settled - interrupted_at} controls sent after the interrupt (allowed: {allowed})"
    )


def _frames(err: BaseException) -> list[tuple[str, str]]:
    return [(f.filename.replace("\\", "/").rsplit("/", 1)[-1], f.name)
            for f in traceback.extract_tb(err.__traceback__)]


@pytest.mark.parametrize("after", ["reset", "close"])
@pytest.mark.parametrize("phase", sorted(PHASES))
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_interrupt_inside_step(env_id: str, phase: str, after: str) -> None:
    env, err, sends_at_interrupt = _interrupted_env(env_id, phase, "pthread_kill")
    iface: FaultyInterface = env.unwrapped.interface
    try:
        frames = _frames(err)
        assert ("env.py", "step") in frames, f"the interrupt did not land in step(): {frames}"
        # interrupted while waiting for the end of the time-step, the step's own action is
        # never sent (ts: the worker drops the abandoned call); inside send_control or the
        # capture, a send already under way on the ts worker may complete
        allowed = 0 if phase == "waiting-for-end" else 1
        _assert_nothing_more_is_sent(iface, sends_at_interrupt, allowed)
        with pytest.raises(EpisodeNotRunningError):
            env.step(np.zeros(2))  # the interrupted episode is over
        if after == "reset":
            env.reset()
            before = len(iface.sends)
            for i in range(5):
                obs, *_ = env.step(np.array([7.0, i]))
            assert len(iface.sends) == before + 5
            np.testing.assert_array_equal(iface.sends[-1], [7.0, 4.0])
            np.testing.assert_array_equal(obs[-1], [7.0, 4.0])  # the action buffer's newest
    finally:
        started = time.perf_counter()
        env.close()
        assert time.perf_counter() - started < 0.5
    assert env.unwrapped.threads() == []
    sends_at_close = len(iface.sends)
    time.sleep(GRACE)
    assert len(iface.sends) == sends_at_close


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_interrupt_main_flag_only(env_id: str) -> None:
    """``_thread.interrupt_main()``: the flag is noticed at the next bytecode boundary (on ts,
    when the worker releases the caller); the outcome is the same."""
    env, _, sends_at_interrupt = _interrupted_env(env_id, "waiting-for-end", "interrupt_main")
    try:
        _assert_nothing_more_is_sent(env.unwrapped.interface, sends_at_interrupt)
        env.reset()
        env.step(np.zeros(2))
    finally:
        env.close()
    assert env.unwrapped.threads() == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_repeated_interrupts_of_one_env(env_id: str) -> None:
    """Interrupt, reset, interrupt again, in every phase: the env stays usable, and ts keeps
    exactly its one worker (v1 no thread at all: the capture is at the end of the step)."""
    hook = Hook()
    env = _make(env_id, hook)
    expected_threads = 1 if env_id == "real-time-gym-ts-v1" else 0
    try:
        for phase in sorted(PHASES) * 2:
            _step_until_interrupted(env, hook, phase, "pthread_kill")
            assert len(env.unwrapped.threads()) == expected_threads
        env.reset()
        env.step(np.zeros(2))
    finally:
        env.close()
    assert env.unwrapped.threads() == []


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")
@pytest.mark.parametrize("mid_step_capture", [False, True])
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_runner_threads_leave_sigint_to_the_main_thread(env_id: str,
                                                        mid_step_capture: bool) -> None:
    # A process-wide SIGINT (Jupyter's interrupt) must not land on a runner thread, where
    # Python would only flag it and the main thread, blocked in step(), would sleep on.
    step = 0.4  # long enough for a mid-step capture thread to be alive while we look at it
    capture = step / 2 if mid_step_capture else step
    env = gymnasium.make(env_id, config=faulty_config("wall", time_step_duration=step,
                                               start_obs_capture=capture),
                         disable_env_checker=True)
    try:
        env.reset()
        threads = env.unwrapped.threads()
        if env_id == "real-time-gym-v1" and not mid_step_capture:
            assert threads == []  # nothing but the caller's thread
        assert threads or env_id == "real-time-gym-v1"
        for thread in threads:
            with open(f"/proc/self/task/{thread.native_id}/status") as status:
                blocked = next(int(line.split()[1], 16) for line in status
                               if line.startswith("SigBlk:"))
            assert blocked & (1 << (signal.SIGINT - 1)), f"{thread.name} does not block SIGINT"
        env.step(np.zeros(2))
    finally:
        env.close()
