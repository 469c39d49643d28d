"""Leaks: threads and memory stay where they started (simulated clock, so it runs fast).

* 1,000 ``make``/``reset``/``step``/``close`` cycles per id: the thread count is unchanged,
  traced Python memory (``tracemalloc``) grows by less than 256 bytes per cycle on average,
  and every environment is garbage-collected.
* A one-hour-equivalent run of the tutorial's drone environment (72,000 steps at 20 Hz, 3,600 s
  of simulated time, the timing trace on): after 72,000 steps, the number of live Python
  objects and of blocks held by Python's allocator are what they were after 10,000, and
  resident memory is within a generous bound of it (the trace, the drone's history and its
  command log are bounded ring buffers). A leak of one small object per step would add 62,000
  blocks; RSS is noisy in a full test run (other tests' threads, allocator fragmentation).
* Steps do not move the garbage collector's counter: a real-time loop must not set off
  collections of its own.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import tracemalloc
import weakref

import gymnasium
import numpy as np
import pytest
from interfaces import ENV_IDS, faulty_config

import rtgym_nb
from rtgym_nb import live_threads
from rtgym_nb.course.tutorial import proportional_controller, tutorial_config

CYCLES = 1_000
BYTES_PER_CYCLE = 256


def _cycle(env_id: str) -> weakref.ref:
    env = gymnasium.make(env_id, config=faulty_config("simulated"))
    env.reset()
    env.step(np.array([1.0, 2.0]))
    env.close()
    return weakref.ref(env.unwrapped)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_reset_step_close_cycles_leak_nothing(env_id: str) -> None:
    for _ in range(50):  # warm-up: imports, caches, gymnasium's registry lookups
        _cycle(env_id)
    gc.collect()
    threads_before = threading.active_count()
    tracemalloc.start()
    try:
        gc.collect()
        memory_before = tracemalloc.get_traced_memory()[0]
        refs = [_cycle(env_id) for _ in range(CYCLES)]
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - memory_before
    finally:
        tracemalloc.stop()
    assert threading.active_count() == threads_before
    assert live_threads() == []
    alive = sum(ref() is not None for ref in refs)
    assert alive == 0, f"{alive} of {CYCLES} closed environments were never collected"
    assert grown < CYCLES * BYTES_PER_CYCLE, (
        f"traced memory grew by {grown} bytes over {CYCLES} cycles"
    )


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_one_hour_of_the_tutorial_drone_uses_bounded_memory(env_id: str) -> None:
    steps, checkpoint = 72_000, 10_000
    cfg = tutorial_config(clock="simulated", ep_max_length=1_000, benchmark=True,
                          benchmark_type="trace")
    env = gymnasium.make(env_id, config=cfg)
    try:
        obs, _ = env.reset(seed=0)
        episodes = 1
        marks: dict[int, tuple[int, int, int]] = {}
        for step in range(1, steps + 1):
            obs, _, terminated, truncated, _ = env.step(proportional_controller(obs))
            if terminated or truncated:
                obs, _ = env.reset()
                episodes += 1
            if step in (checkpoint, steps):
                gc.collect()
                marks[step] = (_rss(), len(gc.get_objects()), sys.getallocatedblocks())
        unwrapped = env.unwrapped
        assert unwrapped.clock.now() == pytest.approx(3600.0, abs=1.0)  # one simulated hour
        assert episodes >= steps // 1_000
        trace = unwrapped.trace
        assert trace.total > steps and len(trace) == trace.capacity  # the ring wrapped
        history = unwrapped.benchmarks()
        assert all(len(v) <= trace.capacity for v in history["deltas"].values())
        drone = unwrapped.interface.drone
        assert len(drone.history().times) <= 4096 and len(drone.command_log()) <= 4096
    finally:
        env.close()
    (rss_10k, objects_10k, blocks_10k), (rss_72k, objects_72k, blocks_72k) = (
        marks[checkpoint], marks[steps]
    )
    assert objects_72k - objects_10k < 1_000, (
        f"{objects_72k - objects_10k} more live objects at step 72k than at 10k"
    )
    assert blocks_72k - blocks_10k < 5_000, (
        f"{blocks_72k - blocks_10k} more allocated blocks at step 72k than at 10k"
    )
    assert rss_72k - rss_10k < 16 * 2**20, (
        f"resident memory grew by {(rss_72k - rss_10k) / 2**20:.1f} MiB from step 10k to 72k"
    )


class _QuietInterface(rtgym_nb.RealTimeGymInterface):
    """Keeps nothing per call: whatever a step leaves behind is the environment's."""

    def __init__(self) -> None:
        self._obs = [np.zeros(1, dtype=np.float32)]

    def send_control(self, control) -> None:
        pass

    def reset(self, seed=None, options=None):
        return self._obs, {}

    def get_obs_rew_terminated_info(self):
        return self._obs, 0.0, False, {}

    def get_observation_space(self):
        return gymnasium.spaces.Tuple((gymnasium.spaces.Box(-1.0, 1.0, shape=(1,)),))

    def get_action_space(self):
        return gymnasium.spaces.Box(-1.0, 1.0, shape=(1,))

    def get_default_action(self):
        return np.zeros(1, dtype=np.float32)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_steps_do_not_set_off_garbage_collections(env_id: str) -> None:
    """A collection is a pause of 0.1-1 ms (more for the oldest generation) in whichever thread
    allocates the container that crosses the threshold: on the persistent-thread runner, that
    can be the worker copying the action buffer just before a capture. Collections are counted
    in container allocations minus deallocations, and an object freed into one of the
    interpreter's free lists is not counted as freed: ``tuple()`` of a generator allocates a
    tuple of a guessed size and shrinks it, so it counted +1 on every step until that size's
    free list was full (2,000 tuples), which in a benchmark process is its whole life. 17
    buffered actions make tuple sizes that no other test has filled the free lists of."""
    config = rtgym_nb.make_config(_QuietInterface, clock="simulated", act_buf_len=17,
                                  time_step_duration=0.02, start_obs_capture=0.02,
                                  ep_max_length=10_000)
    # (the checker would warn that the interface hands out its one observation array each time)
    env = gymnasium.make(env_id, config=config, disable_env_checker=True)
    action = np.zeros(1, dtype=np.float32)
    try:
        env.reset()
        for _ in range(20):
            env.step(action)
        gc.disable()
        try:
            before = gc.get_count()[0]
            for _ in range(1_000):
                env.step(action)
            counted = gc.get_count()[0] - before
        finally:
            gc.enable()
    finally:
        env.close()
    assert counted < 50, f"1,000 steps counted {counted} container allocations not freed"
