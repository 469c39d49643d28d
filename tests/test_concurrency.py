"""Several threads stepping one environment: calls are serialized, never interleaved.

The environment serializes ``reset``/``step``/``wait``/``render`` with one re-entrant lock
held for the whole call (see the ``RealTimeEnv`` docstring). Four threads each call ``step()``
with actions tagged ``(thread, sequence)`` and keep what their calls returned. Then:

* the device received exactly the actions passed, each once, each thread's in its own order;
  the order they were sent in is the order the calls were serialized in;
* each call's observation carries the action buffer exactly as it was right after its own
  action: its own action last, preceded by the actions of the calls serialized just before
  it (no other call's action slipped in between), and the final buffer holds the last ones;
* each call's observation was captured in the time-step between the previous call's send and
  its own (the interface's counter and last-control fields say so): two time-steps never mix;
* every time-step's trace row is well formed (send before capture, capture not before its
  nominal time, nominal times ordered, the next send after this capture...).

On ``real-time-gym-ts-v1`` (the id with a persistent worker) on both clocks, and on
``real-time-gym-v1`` too, which shares the lock.
"""

from __future__ import annotations

import threading

import gymnasium
import numpy as np
import pytest
from interfaces import ENV_IDS, FaultyInterface, faulty_config

THREADS = 4
BUF = 3


def _run_threads(env: gymnasium.Env, steps_per_thread: int) -> list[tuple]:
    """Each thread steps ``steps_per_thread`` times; return (action, obs) of every call."""
    barrier = threading.Barrier(THREADS)
    results: list[list[tuple]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for k in range(steps_per_thread):
                action = np.array([index + 1.0, float(k)])
                obs, _, terminated, truncated, _ = env.step(action)
                assert not (terminated or truncated)
                results[index].append((action, obs))
        except BaseException as err:  # re-raised on the main thread
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60.0)
    assert not any(thread.is_alive() for thread in threads), "a stepping thread is stuck"
    if errors:
        raise errors[0]
    return [item for per_thread in results for item in per_thread]


def _check_trace(env: gymnasium.Env, n_sends: int) -> None:
    a = env.unwrapped.trace.arrays()
    assert len(a["step"]) == n_sends, "one trace row per time-step (per send)"
    rows = range(len(a["step"]))
    for r in rows:
        row = {k: v[r] for k, v in a.items()}
        assert row["call"] <= row["joined"] <= row["send_start"] <= row["send_end"], row
        assert row["nominal_start"] <= row["nominal_obs"] <= row["nominal_end"], row
        if r + 1 < len(a["step"]):  # captured (the last time-step is still open)
            assert row["send_end"] <= row["capture_start"] <= row["capture_end"], row
            assert row["capture_start"] >= row["nominal_obs"], row
            assert a["send_start"][r + 1] >= row["capture_end"], "next send before capture"
            assert a["nominal_start"][r + 1] >= row["nominal_end"] or a["timed_out"][r + 1]
        if not np.isnan(row["returned"]):
            assert row["returned"] >= row["send_end"], row


@pytest.mark.parametrize(
    ("env_id", "clock", "steps"),
    [
        ("real-time-gym-ts-v1", "simulated", 100),
        pytest.param("real-time-gym-ts-v1", "wall", 12, marks=pytest.mark.wallclock),
        ("real-time-gym-v1", "simulated", 100),
        pytest.param("real-time-gym-v1", "wall", 12, marks=pytest.mark.wallclock),
    ],
)
def test_threads_stepping_one_env_are_serialized(env_id: str, clock: str, steps: int) -> None:
    env = gymnasium.make(
        env_id,
        config=faulty_config(clock, time_step_duration=0.005, start_obs_capture=0.005,
                      act_buf_len=BUF),
    )
    iface: FaultyInterface = env.unwrapped.interface
    try:
        env.reset()
        env.step(np.array([0.0, -1.0]))  # once on the main thread: gymnasium's checker
        results = _run_threads(env, steps)
        final_buffer = list(env.unwrapped.act_buf)
    finally:
        env.close()
    assert env.unwrapped.threads() == []

    sends = [tuple(s) for s in iface.sends]
    assert sends[:2] == [(0.0, 0.0), (0.0, -1.0)]  # reset's default action, the warm-up step
    order = sends[2:]  # the order the threads' calls were serialized in
    passed = [tuple(action) for action, _ in results]
    assert sorted(order) == sorted(passed), "the device got other actions than those passed"
    assert len(set(order)) == len(order) == THREADS * steps
    for index in range(THREADS):
        own = [k for tag, k in order if tag == index + 1]
        assert own == [float(k) for k in range(steps)], f"thread {index}'s order changed"

    position = {action: j for j, action in enumerate(sends)}
    for action, obs in results:
        j = position[tuple(action)]  # this call's send is sends[j]
        count, last, *buffer = obs
        # the action buffer right after this call's own action, nothing interleaved
        expected = sends[max(0, j - BUF + 1): j + 1]
        expected = [(0.0, 0.0)] * (BUF - len(expected)) + expected
        assert [tuple(b) for b in buffer] == expected
        # captured in the time-step opened by the previous call's send (sends[j - 1])
        assert count[0] == j, f"captured after {int(count[0])} sends, expected {j}"
        assert tuple(last) == sends[j - 1]
    assert [tuple(b) for b in final_buffer] == sends[-BUF:]

    if env_id == "real-time-gym-ts-v1" and clock == "wall":  # every call from the one worker
        assert len({thread for _, _, thread in iface.calls[1:]}) == 1
    _check_trace(env, len(sends))


def test_render_and_wait_from_other_threads_do_not_split_a_step() -> None:
    """``render``/``wait`` from another thread take the same lock: they run between steps."""
    env = gymnasium.make(
        "real-time-gym-v1",
        config=faulty_config("wall", time_step_duration=0.01, start_obs_capture=0.01,
                      interface_kwargs={"slow": {"send_control": 0.002,
                                                 "get_obs_rew_terminated_info": 0.002}}),
    )
    iface: FaultyInterface = env.unwrapped.interface
    stop = threading.Event()

    def renderer() -> None:
        while not stop.is_set():
            env.unwrapped.render()

    try:
        env.reset()
        thread = threading.Thread(target=renderer)
        thread.start()
        try:
            for k in range(20):
                env.step(np.array([1.0, float(k)]))
        finally:
            stop.set()
            thread.join(10.0)
        names = [name for name, _, _ in iface.calls]
    finally:
        env.close()
    # on v1 a step is capture then send, on the caller's thread; a render never splits them
    for i, name in enumerate(names[:-1]):
        if name == "get_obs_rew_terminated_info":
            assert names[i + 1] == "send_control", names[i - 2: i + 3]


def test_lock_is_reentrant_and_shared() -> None:
    """The serializing lock is one RLock per env (wait_on_done calls wait() inside step())."""
    for env_id in ENV_IDS:
        env = gymnasium.make(env_id, config=faulty_config("simulated", wait_on_done=True,
                                                    ep_max_length=2))
        try:
            lock = env.unwrapped._lock
            assert isinstance(lock, type(threading.RLock()))
            env.reset()
            env.step(np.zeros(2))
            _, _, _, truncated, _ = env.step(np.zeros(2))  # ends: wait() runs inside step()
            assert truncated
            assert env.unwrapped.interface.counts["wait"] == 1
        finally:
            env.close()
