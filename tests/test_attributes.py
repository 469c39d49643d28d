"""rtgym 0.16's attribute surface on ``env.unwrapped``, ``stop()`` and ``step(None)``.

Clients of rtgym read and set attributes of the environment itself; each must be there, and a
write must take effect, show in ``env.unwrapped.config`` and wait for the step lock.
"""

from __future__ import annotations

import threading

import gymnasium
import numpy as np
import pytest
from interfaces import DT, FaultyInterface, RecordingInterface, action, run_episode, sim_config

from rtgym_nb import ConfigError, ConfigWarning

RTGYM_016_NAMES = {
    # public attributes and methods of rtgym 0.16's RealTimeEnv and RealTimeEnvTS
    # (rtgym/envs/real_time_env.py), beyond gymnasium.Env's
    "interface", "is_waiting", "wait_on_done", "last_act_on_reset", "act_prepro_func",
    "obs_prepro_func", "ep_max_length", "time_step_duration", "time_step_timeout_factor",
    "start_obs_capture", "time_step_timeout", "benchmark", "benchmark_polyak", "act_in_obs",
    "act_buf_len", "act_buf", "reset_act_buf", "action_space", "observation_space",
    "current_step", "time_initialized", "running", "default_action", "seed", "options",
    "init_action_buffer", "stop", "wait", "benchmarks", "set_default_action",
    "set_time_step_duration", "set_start_obs_capture", "set_ep_max_length",
    "interface_cls", "interface_args", "interface_kwargs", "interface_action_space",
    "interface_observation_space",
}
OURS = {"config", "clock", "trace", "timeouts", "warn_on_timeout", "threads"}
"""rtgym_nb's additions, each used by the course or needed to observe the engine."""

A1, A2 = action(0.25, -0.25), action(0.5, -0.5)


def test_public_names_are_rtgyms_and_a_few_of_ours(make_env):
    raw = make_env().unwrapped
    public = {name for name in dir(raw) if not name.startswith("_")}
    assert public - set(dir(gymnasium.Env)) == RTGYM_016_NAMES - set(dir(gymnasium.Env)) | OURS
    assert public >= RTGYM_016_NAMES


def test_rtgym_attributes_read_the_configuration(make_env):
    prepro = np.asarray
    env = make_env(act_buf_len=2, ep_max_length=7, benchmark_polyak=0.5, wait_on_done=True,
                   act_prepro_func=prepro, interface_kwargs={"terminate_at": 5})
    raw = env.unwrapped
    assert (raw.act_buf_len, raw.ep_max_length, raw.benchmark_polyak) == (2, 7, 0.5)
    assert raw.wait_on_done is True and raw.act_in_obs is True and raw.benchmark is False
    assert raw.act_prepro_func is prepro and raw.obs_prepro_func is None
    assert raw.time_step_timeout == DT * raw.time_step_timeout_factor
    assert raw.interface_cls is RecordingInterface
    assert raw.interface_args == () and raw.interface_kwargs == {"terminate_at": 5}
    assert raw.interface_action_space == raw.action_space
    assert len(raw.interface_observation_space.spaces) == 3
    assert len(raw.observation_space.spaces) == 3 + 2
    assert (raw.seed, raw.options, raw.time_initialized, raw.is_waiting) == (None, None,
                                                                            False, False)
    env.reset(seed=3, options={"level": 1})
    assert (raw.seed, raw.options, raw.time_initialized) == (3, {"level": 1}, True)
    raw.wait()
    assert raw.is_waiting


def test_rtgym_attribute_writes_take_effect_and_show_in_config(make_env):
    env = make_env(act_buf_len=2)
    raw = env.unwrapped
    raw.ep_max_length = 2
    assert raw.config.ep_max_length == 2
    _, results = run_episode(env, [A1, A2, A1])
    assert [r[3] for r in results] == [False, True]

    raw.act_prepro_func = lambda a: np.clip(a, 0.0, 0.3)
    raw.obs_prepro_func = lambda obs: [o * 0 for o in obs]
    raw.time_step_duration = 2 * DT
    raw.benchmark = True
    assert raw.config.time_step_duration == 2 * DT and raw.config.benchmark is True
    env.reset()
    obs, *_ = env.step(A2)
    sent = [c.args[0] for c in raw.interface.named("send_control")]
    np.testing.assert_array_equal(sent[-1], action(0.3, 0.0))  # preprocessed when sent
    np.testing.assert_array_equal(obs[0], [0.0, 0.0])  # observation preprocessed
    np.testing.assert_array_equal(obs[-1], A2)  # the buffer keeps the raw action
    nominal = raw.trace.arrays()
    assert nominal["nominal_end"][-1] - nominal["nominal_start"][-1] == 2 * DT
    assert raw.benchmarks()["step_duration"][0] is not None

    raw.time_step_timeout = 4 * DT  # rtgym's elasticity in seconds: factor 2 at 2 * DT
    assert raw.config.time_step_timeout_factor == 2.0

    raw.set_time_step_duration(DT, time_step_timeout_factor=3.0)
    assert (raw.config.time_step_duration, raw.config.time_step_timeout_factor) == (DT, 3.0)
    assert raw.config.start_obs_capture == DT  # (was at the end: stays at the end)


def test_attribute_writes_are_checked_like_the_configuration(make_env):
    raw = make_env().unwrapped
    with pytest.raises(ConfigError, match="time_step_duration"):
        raw.time_step_duration = -1.0
    with pytest.raises(ConfigError, match="act_prepro_func"):
        raw.act_prepro_func = "np.clip"
    with pytest.warns(ConfigWarning, match="ep_max_length"):
        raw.ep_max_length = 0
    assert raw.config.time_step_duration == DT and raw.config.ep_max_length == 0


def test_act_buf_len_write_resizes_the_buffer_and_warns(make_env):
    env = make_env(act_buf_len=2)
    raw = env.unwrapped
    env.reset()
    env.step(A1)
    with pytest.warns(ConfigWarning, match="observation_space"):
        raw.act_buf_len = 3
    assert len(raw.act_buf) == 3 and raw.act_buf.maxlen == 3
    np.testing.assert_array_equal(raw.act_buf[-1], A1)
    assert len(raw.observation_space.spaces) == 3 + 2  # fixed at construction, as in rtgym


def test_setters_wait_for_the_step_lock(env_id):
    """A setter called while another thread is inside step() returns only after that step."""
    inside, release = threading.Event(), threading.Event()

    def on_enter(method: str) -> None:
        if method == "get_obs_rew_terminated_info" and not release.is_set():
            inside.set()
            release.wait(10)

    config = sim_config(FaultyInterface, interface_kwargs={"on_enter": on_enter})
    with gymnasium.make(env_id, config=config) as env:
        raw = env.unwrapped
        env.reset()
        stepper = threading.Thread(target=env.step, args=(np.ones(2),))
        stepper.start()
        assert inside.wait(10)
        setter = threading.Thread(target=raw.set_ep_max_length, args=(5,))
        setter.start()
        setter.join(0.2)
        assert setter.is_alive() and raw.config.ep_max_length != 5  # held off by the step
        release.set()
        stepper.join(10)
        setter.join(10)
        assert raw.config.ep_max_length == 5


def test_step_none_sends_none_and_buffers_none(make_env):
    """rtgym's "send nothing": None reaches send_control and the action buffer as it is."""

    class IgnoresNone(RecordingInterface):
        def send_control(self, control):
            if control is None:
                self._record("send_control", None)
            else:
                super().send_control(control)

    env = make_env(act_buf_len=2, interface=IgnoresNone)
    raw = env.unwrapped
    env.reset()
    obs, *_ = raw.step(None)  # (gymnasium's checker would object to None in an observation)
    assert obs[-1] is None and list(raw.act_buf)[-1] is None
    assert raw.interface.named("send_control")[-1].args == (None,)
    obs, *_ = raw.step(A1)
    assert obs[-2] is None
    np.testing.assert_array_equal(obs[-1], A1)


def test_stop_ends_the_time_step_and_keeps_its_observation(make_env):
    env = make_env(interface_kwargs={"terminate_at": 3})
    raw = env.unwrapped
    clock = raw.clock
    env.reset()
    env.step(A1)  # time-step [1, 2] open
    raw.stop()
    assert clock.now() == 2 * DT  # waited for its end
    captures = len(raw.interface.named("get_obs_rew_terminated_info"))
    raw.stop()  # nothing open: returns at once
    obs, reward, *_ = env.step(A2)  # the observation stop() waited for
    assert len(raw.interface.named("get_obs_rew_terminated_info")) == captures
    assert reward == 2.0
    np.testing.assert_array_equal(obs[0], A1)
    env.close()
    raw.stop()  # a client's close() may call it after the env's: no error


@pytest.mark.wallclock
@pytest.mark.parametrize("pause", ["stop", "wait"])
def test_step_after_stop_or_wait_on_the_wall_clock(env_id, pause):
    """The time-step closed by stop()/wait() leaves the next step() nothing to wait for."""
    config = sim_config(FaultyInterface, clock="wall", time_step_duration=0.01,
                        start_obs_capture=0.01, hang_timeout=30.0)
    with gymnasium.make(env_id, config=config) as env:
        env.unwrapped.warn_on_timeout = False  # (a loaded machine may be late: not the point)
        env.reset()
        env.step(np.ones(2))
        getattr(env.unwrapped, pause)()
        obs, *_ = env.step(np.full(2, 2.0))
        np.testing.assert_array_equal(obs[1], np.ones(2))  # captured before the pause
        env.step(np.full(2, 3.0))
        assert len(env.unwrapped.interface.sends) == 4  # default, 1, 2, 3
