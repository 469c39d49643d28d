"""The tutorial's interface, its config, its headless CLI, and the README tutorial ported as-is."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import gymnasium
import numpy as np
import pytest

from rtgym_nb.cli.tutorial import main
from rtgym_nb.course.tutorial import (
    DroneInterface,
    proportional_controller,
    run_episode,
    tutorial_config,
)

IDS = ["real-time-gym-v1", "real-time-gym-ts-v1"]
SCRIPT = Path(__file__).parent / "compat" / "tutorial_script.py"


def test_config_matches_the_tutorial():
    config = tutorial_config(clock="simulated")
    assert config["interface"] is DroneInterface
    assert config["time_step_duration"] == 0.05
    assert config["start_obs_capture"] == 0.05
    assert config["ep_max_length"] == 100
    assert config["act_buf_len"] == 4
    assert config["reset_act_buf"] is False
    assert config["clock"] == "simulated"
    assert tutorial_config(act_buf_len=2)["act_buf_len"] == 2


@pytest.mark.parametrize("env_id", IDS)
def test_spaces_and_default_action(env_id):
    with gymnasium.make(env_id, config=tutorial_config(clock="simulated")) as env:
        assert env.action_space == gymnasium.spaces.Box(-2.0, 2.0, (2,), np.float32)
        assert len(env.observation_space.spaces) == 4 + 4
        obs, info = env.reset(seed=3)
        assert env.observation_space.contains(obs)
        assert info == {}
        target = np.array([obs[2][0], obs[3][0]])
        assert np.all(np.abs(target) <= 0.5)
        assert all(np.array_equal(a, np.zeros(2, np.float32)) for a in obs[4:])


@pytest.mark.parametrize("env_id", IDS)
def test_seeded_runs_are_identical(env_id):
    def trajectory():
        with gymnasium.make(env_id, config=tutorial_config(clock="simulated")) as env:
            obs, _ = env.reset(seed=11)
            out = [np.concatenate(obs)]
            for _ in range(30):
                obs, *_ = env.step(proportional_controller(obs))
                out.append(np.concatenate(obs))
            return np.array(out), env.unwrapped.trace.arrays()["capture_start"]

    (a, times_a), (b, times_b) = trajectory(), trajectory()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(times_a, times_b)
    with gymnasium.make(env_id, config=tutorial_config(clock="simulated")) as env:
        obs, _ = env.reset(seed=12)
        assert not np.array_equal(np.concatenate(obs)[2:4], a[0][2:4])  # another target


def test_reward_and_termination_follow_the_observed_distance():
    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated")) as env:
        obs, _ = env.reset(seed=5)
        obs, reward, terminated, truncated, _ = env.step(np.zeros(2, np.float32))
        distance = np.hypot(obs[2][0] - obs[0][0], obs[3][0] - obs[1][0])
        assert reward == pytest.approx(-distance, abs=1e-6)
        assert terminated == (distance < 0.01)
        interface = env.unwrapped.interface
        interface.target[:] = interface.drone.get_observation()  # put the target on the drone
        *_, terminated, truncated, _ = env.step(np.zeros(2, np.float32))
        assert terminated and not truncated


def test_episode_truncates_after_100_steps_with_a_useless_policy():
    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated")) as env:
        result = run_episode(env, lambda obs: np.zeros(2, np.float32), seed=1)
    assert result["steps"] == 100
    assert result["outcome"] == "truncated"


def test_inference_time_is_spent_on_the_simulated_clock():
    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated")) as env:
        run_episode(env, seed=2, inference_time=0.02)
        durations = env.unwrapped.trace.durations()
    inference = durations["inference_duration"][~np.isnan(durations["inference_duration"])]
    assert inference.size > 10
    np.testing.assert_allclose(inference[1:], 0.02, atol=1e-9)


def test_render_returns_an_rgb_image():
    pytest.importorskip("matplotlib")
    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated"),
                        render_mode="rgb_array") as env:
        env.reset(seed=0)
        image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert image.min() < 100 and image.max() == 255  # something drawn on a white background


def test_cli_prints_episodes_and_is_deterministic_on_the_simulated_clock(capsys):
    args = ["--clock", "simulated", "--episodes", "2", "--seed", "4"]
    assert main(args) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(args) == 0
    second = capsys.readouterr().out.splitlines()
    assert first[:-1] == second[:-1]
    assert sum(line.startswith("episode ") for line in first) == 2
    assert any("time_step_duration" in line for line in first)
    assert first[-1].startswith("total: ") and "steps/s" in first[-1]
    steps = sum(int(line.split("after")[1].split()[0]) for line in first
                if line.startswith("episode "))
    assert f"total: {steps} env steps" in first[-1]


def test_cli_via_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "rtgym_nb", "tutorial", "--clock", "simulated",
         "--episodes", "1", "--seed", "0"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert result.stdout.startswith("episode 0:")
    bad = subprocess.run([sys.executable, "-m", "rtgym_nb", "tutorial", "--episodes", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--episodes" in bad.stderr


@pytest.mark.parametrize("clock", ["simulated", pytest.param("wall", marks=pytest.mark.wallclock)])
@pytest.mark.parametrize("env_id", IDS)
def test_readme_tutorial_runs_unchanged(env_id, clock):
    result = subprocess.run([sys.executable, str(SCRIPT), env_id, clock],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.splitlines()[0]
    steps = int(summary.split()[0].split("=")[1])
    assert 1 <= steps <= 100
    assert "obs_len=8" in summary
    assert ("terminated=True" in summary) or (steps == 100 and "truncated=True" in summary)


def test_the_tutorial_drone_starts_no_thread():
    before = threading.active_count()
    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated")) as env:
        run_episode(env, seed=0)
        assert threading.active_count() == before


def test_human_render_mode_shows_the_frame_and_returns_none():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    with gymnasium.make(IDS[0], config=tutorial_config(clock="simulated"),
                        render_mode="human") as env:
        env.reset(seed=0)
        assert env.render() is None
        shown = env.unwrapped.interface._window.get_array()
        assert shown.shape[2] == 3 and shown.min() < 100  # the arena was drawn into the window
    plt.close("all")


def test_capture_time_is_spent_on_the_environment_clock():
    config = tutorial_config(clock="simulated", interface_kwargs={"capture_time": 0.02})
    with gymnasium.make("real-time-gym-v1", config=config) as env:
        raw = env.unwrapped
        env.reset(seed=0)
        env.step(raw.default_action)
        arrays = raw.trace.arrays()
        spent = arrays["capture_end"] - arrays["capture_start"]
        assert spent[np.isfinite(spent)] == pytest.approx(0.02)
    with pytest.raises(ValueError, match="capture_time"):
        DroneInterface(capture_time=-0.01)


def test_episode_steps_yields_after_every_step_and_can_be_left_early():
    from rtgym_nb.course.tutorial import episode_steps

    with gymnasium.make("real-time-gym-v1", config=tutorial_config(clock="simulated")) as env:
        seen = []
        for progress in episode_steps(env, seed=0, inference_time=lambda: 0.01):
            seen.append((progress.steps, progress.total))
            if progress.steps == 3:
                break
        assert [steps for steps, _ in seen] == [1, 2, 3]
        assert not progress.done
        whole = run_episode(env, seed=0)
        *_, last = episode_steps(env, seed=0)
        assert last.summary() == whole
        assert whole["steps"] == 100 and whole["outcome"] == "truncated"
