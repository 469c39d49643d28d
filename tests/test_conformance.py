"""Gymnasium conformance, on the simulated clock, for both ids.

* ``gymnasium.utils.env_checker.check_env`` passes on the tutorial's drone environment and on
  a test interface (:class:`faulty.FaultyInterface`). check_env also emits advisory warnings;
  only the ones listed in ``ADVISORY`` are accepted (each with the reason), any other fails.
* The environment works under ``FlattenObservation``, ``RecordEpisodeStatistics`` and
  ``gymnasium.vector.SyncVectorEnv`` (episodes end, reset and continue; observations stay in
  their spaces; closing joins every thread).
"""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import FlattenObservation, RecordEpisodeStatistics
from interfaces import ENV_IDS, faulty_config

from rtgym_nb import live_threads
from rtgym_nb.course.tutorial import proportional_controller, tutorial_config

ADVISORY = {
    # The tutorial's actions are velocities in [-2, 2] (rtgym's README), the test interface's
    # are tags: not normalized on purpose.
    "we recommend using a symmetric and normalized space": ("tutorial", "faulty"),
}

CONFIGS = {
    "tutorial": lambda: tutorial_config(clock="simulated"),
    "faulty": lambda: faulty_config("simulated"),
}


@pytest.mark.parametrize("which", sorted(CONFIGS))
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env_passes(env_id: str, which: str) -> None:
    env = gymnasium.make(env_id, config=CONFIGS[which]())
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped)  # check_env wants the env itself, not gymnasium's wrappers
    finally:
        env.close()
    for warning in caught:
        text = str(warning.message)
        accepted = [key for key, who in ADVISORY.items() if key in text and which in who]
        assert accepted, f"unexpected warning from check_env: {text}"
    assert live_threads() == [], "check_env's extra envs were not all closed"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_flatten_observation(env_id: str) -> None:
    env = FlattenObservation(
        gymnasium.make(env_id, config=tutorial_config(clock="simulated", ep_max_length=15))
    )
    inner = env.unwrapped
    try:
        assert isinstance(env.observation_space, gymnasium.spaces.Box)
        assert env.observation_space.shape == (4 + 2 * inner.act_buf_len,)
        obs, _ = env.reset(seed=1)
        assert env.observation_space.contains(obs)
        for _ in range(2):  # two episodes: truncation, then reset
            done = False
            steps = 0
            while not done:
                # the flattened observation: pos_x, pos_y, target_x, target_y, actions...
                obs, reward, terminated, truncated, _ = env.step(
                    np.clip(20 * (obs[2:4] - obs[0:2]), -2, 2).astype(np.float32)
                )
                assert env.observation_space.contains(obs)
                assert np.isfinite(reward)
                done = terminated or truncated
                steps += 1
            assert steps <= 15
            obs, _ = env.reset()
    finally:
        env.close()
    assert inner.threads() == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_record_episode_statistics(env_id: str) -> None:
    env = RecordEpisodeStatistics(
        gymnasium.make(env_id, config=tutorial_config(clock="simulated", ep_max_length=20))
    )
    try:
        episodes = []
        obs, _ = env.reset(seed=3)
        while len(episodes) < 3:
            obs, _, terminated, truncated, info = env.step(proportional_controller(obs))
            if terminated or truncated:
                episodes.append(info["episode"])
                obs, _ = env.reset()
        for episode in episodes:
            assert 1 <= int(episode["l"]) <= 20
            assert float(episode["r"]) <= 0  # minus distances
            assert float(episode["t"]) >= 0
        assert len(env.length_queue) == 3
    finally:
        env.close()
    assert env.unwrapped.threads() == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sync_vector_env(env_id: str) -> None:
    def make(ep_max_length: int):
        return lambda: gymnasium.make(
            env_id, config=tutorial_config(clock="simulated", ep_max_length=ep_max_length)
        )

    envs = gymnasium.vector.SyncVectorEnv([make(7), make(11)])
    try:
        obs, _ = envs.reset(seed=[10, 11])
        assert envs.observation_space.contains(obs)
        ends = np.zeros(2, dtype=int)
        for _ in range(40):
            actions = np.stack([proportional_controller(o) for o in _split(obs, 2)])
            obs, rewards, terminated, truncated, _ = envs.step(actions)
            assert envs.observation_space.contains(obs)
            assert rewards.shape == (2,) and np.all(np.isfinite(rewards))
            ends += terminated | truncated
        assert np.all(ends >= 3), f"episodes ended {ends} times: autoreset did not run"
    finally:
        envs.close()
    assert live_threads() == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_vec_sync(env_id: str) -> None:
    envs = gymnasium.make_vec(env_id, num_envs=3, vectorization_mode="sync",
                              config=faulty_config("simulated"))
    try:
        envs.reset(seed=0)
        for k in range(5):
            actions = np.array([[i, k] for i in range(3)], dtype=np.float64)
            obs, *_ = envs.step(actions)
        # each sub-env's newest buffered action is its own last action
        np.testing.assert_array_equal(obs[-1], [[0, 4], [1, 4], [2, 4]])
    finally:
        envs.close()
    assert live_threads() == []


def _split(batched_obs: tuple, n: int) -> list[tuple]:
    """A batched Tuple observation as ``n`` single observations."""
    return [tuple(part[i] for part in batched_obs) for i in range(n)]
