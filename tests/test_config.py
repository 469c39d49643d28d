"""Configuration: rtgym 0.16's dictionary, kept as it was, and its validation.

Every bad entry must be rejected with a :class:`ConfigError` (a ``ValueError``) or a
:class:`ConfigTypeError` (also a ``TypeError``) that names the key and quotes the value, both
when the config is validated on its own and when it reaches ``gymnasium.make``.
"""

from __future__ import annotations

import copy
import math

import gymnasium
import numpy as np
import pytest
from interfaces import DT, RecordingInterface, rtgym_threads, sim_config

from rtgym_nb import (
    DEFAULT_CONFIG_DICT,
    ConfigError,
    ConfigTypeError,
    RealTimeConfig,
    RealTimeGymInterface,
    SimulatedClock,
    WallClock,
    make_config,
)

# rtgym 0.16's DEFAULT_CONFIG_DICT, copied from rtgym/envs/real_time_env.py (the spec).
RTGYM_016_DEFAULTS = {
    "interface": RealTimeGymInterface,
    "interface_args": (),
    "interface_kwargs": {},
    "time_step_duration": 0.05,
    "start_obs_capture": 0.05,
    "time_step_timeout_factor": 1.0,
    "ep_max_length": np.inf,
    "act_in_obs": True,
    "act_buf_len": 1,
    "reset_act_buf": True,
    "benchmark": False,
    "benchmark_polyak": 0.1,
    "benchmark_type": "polyak",
    "wait_on_done": False,
    "last_act_on_reset": False,
}


# -- DEFAULT_CONFIG_DICT and make_config ---------------------------------------------------


def test_default_config_dict_is_rtgym_016s():
    assert isinstance(DEFAULT_CONFIG_DICT, dict)
    assert list(DEFAULT_CONFIG_DICT) == list(RTGYM_016_DEFAULTS)
    for key, expected in RTGYM_016_DEFAULTS.items():
        value = DEFAULT_CONFIG_DICT[key]
        assert type(value) is type(expected) or (
            isinstance(expected, float) and isinstance(value, float)
        ), key
        assert value == expected, key


def test_default_config_dict_is_also_importable_from_rtgym_path():
    from rtgym_nb.envs.real_time_env import DEFAULT_CONFIG_DICT as from_envs

    assert from_envs is DEFAULT_CONFIG_DICT


def test_make_config_returns_fresh_dicts():
    before = copy.deepcopy(DEFAULT_CONFIG_DICT)
    first = make_config(RecordingInterface, act_buf_len=3)
    second = make_config(RecordingInterface)
    assert first is not second and first is not DEFAULT_CONFIG_DICT
    assert first["interface_kwargs"] is not second["interface_kwargs"]
    assert first["interface_kwargs"] is not DEFAULT_CONFIG_DICT["interface_kwargs"]
    first["interface_kwargs"]["terminate_at"] = 3
    first["time_step_duration"] = 1.0
    assert second["interface_kwargs"] == {}
    assert second["time_step_duration"] == 0.05
    assert before == DEFAULT_CONFIG_DICT


def test_make_config_applies_interface_and_overrides():
    config = make_config(RecordingInterface, act_buf_len=3, clock="simulated")
    assert config["interface"] is RecordingInterface
    assert config["act_buf_len"] == 3
    assert config["clock"] == "simulated"
    untouched = set(RTGYM_016_DEFAULTS) - {"interface", "act_buf_len"}
    assert all(config[key] == RTGYM_016_DEFAULTS[key] for key in untouched)
    assert make_config()["interface"] is RealTimeGymInterface


def test_make_config_rejects_unknown_key_with_hint():
    with pytest.raises(ConfigError, match="did you mean 'act_buf_len'") as info:
        make_config(RecordingInterface, act_buff_len=2)
    assert info.value.key == "act_buff_len"
    assert info.value.value == 2


def test_mutating_the_dict_after_make_does_not_affect_the_env(env_id):
    config = sim_config(act_buf_len=2, interface_kwargs={"terminate_at": 5})
    env = gymnasium.make(env_id, config=config)
    try:
        config["time_step_duration"] = 1.0
        config["start_obs_capture"] = 0.5
        config["act_buf_len"] = 7
        config["ep_max_length"] = 1
        config["interface_kwargs"]["terminate_at"] = 1
        obs, _ = env.reset()
        assert len(obs) == 3 + 2
        assert env.unwrapped.time_step_duration == DT
        assert env.unwrapped.start_obs_capture == DT
        assert env.unwrapped.config.interface_kwargs == {"terminate_at": 5}
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated and not truncated
    finally:
        env.close()


def test_from_dict_copies_its_input():
    config = sim_config(interface_kwargs={"terminate_at": 2})
    validated = RealTimeConfig.from_dict(config)
    config["interface_kwargs"]["terminate_at"] = 9
    config["act_buf_len"] = 4
    assert validated.interface_kwargs == {"terminate_at": 2}
    assert validated.act_buf_len == 1


def test_from_dict_converts_types():
    validated = RealTimeConfig.from_dict(
        sim_config(interface_args=[], act_buf_len=np.int64(2), ep_max_length=5.0,
                   benchmark_type="TRACE", time_step_duration=1)
    )
    assert validated.interface_args == ()
    assert validated.act_buf_len == 2 and type(validated.act_buf_len) is int
    assert validated.ep_max_length == 5 and type(validated.ep_max_length) is int
    assert validated.benchmark_type == "trace"
    assert validated.time_step_duration == 1.0 and type(validated.time_step_duration) is float
    assert isinstance(validated.clock, SimulatedClock)
    assert isinstance(RealTimeConfig.from_dict(make_config(RecordingInterface)).clock, WallClock)


def test_clock_instance_is_used_as_is():
    clock = SimulatedClock(start=3.0)
    assert RealTimeConfig.from_dict(sim_config(clock=clock)).clock is clock


@pytest.mark.parametrize("value", [1, 1.0, math.inf, np.inf])
def test_ep_max_length_accepts_positive_integers_and_inf(value):
    assert RealTimeConfig.from_dict(sim_config(ep_max_length=value)).ep_max_length == value


@pytest.mark.parametrize("value", [0.0, DT / 2, DT])
def test_start_obs_capture_bounds_are_inclusive(value):
    assert RealTimeConfig.from_dict(sim_config(start_obs_capture=value)).start_obs_capture == value


def test_benchmark_polyak_one_is_allowed():
    assert RealTimeConfig.from_dict(sim_config(benchmark_polyak=1)).benchmark_polyak == 1.0


# -- rejections ----------------------------------------------------------------------------

BAD_VALUES = [
    # (key, value, error class); the message must name the key and quote the value
    ("time_step_duration", "0.05", ConfigTypeError),
    ("time_step_duration", True, ConfigTypeError),
    ("time_step_duration", 0.0, ConfigError),
    ("time_step_duration", -0.05, ConfigError),
    ("time_step_duration", math.inf, ConfigError),
    ("time_step_duration", math.nan, ConfigError),
    ("start_obs_capture", -0.01, ConfigError),
    ("start_obs_capture", DT + 0.01, ConfigError),
    ("start_obs_capture", None, ConfigTypeError),
    ("time_step_timeout_factor", 0.0, ConfigError),
    ("time_step_timeout_factor", -1.0, ConfigError),
    ("time_step_timeout_factor", "1", ConfigTypeError),
    ("act_buf_len", -1, ConfigError),
    ("act_buf_len", 1.5, ConfigTypeError),
    ("act_buf_len", True, ConfigTypeError),
    ("benchmark_polyak", 0.0, ConfigError),
    ("benchmark_polyak", 1.5, ConfigError),
    ("benchmark_polyak", -0.1, ConfigError),
    ("benchmark_polyak", "0.1", ConfigTypeError),
    ("benchmark_type", "average", ConfigError),
    ("benchmark_type", 1, ConfigTypeError),
    ("ep_max_length", 0, ConfigError),
    ("ep_max_length", 2.5, ConfigError),
    ("ep_max_length", "10", ConfigTypeError),
    ("act_in_obs", 1, ConfigTypeError),
    ("reset_act_buf", "yes", ConfigTypeError),
    ("benchmark", None, ConfigTypeError),
    ("wait_on_done", 0, ConfigTypeError),
    ("last_act_on_reset", "False", ConfigTypeError),
    ("interface_args", 5, ConfigTypeError),
    ("interface_kwargs", {1: 2}, ConfigTypeError),
    ("interface_kwargs", [("a", 1)], ConfigTypeError),
    ("act_prepro_func", 3, ConfigTypeError),
    ("obs_prepro_func", "f", ConfigTypeError),
    ("clock", "sundial", ConfigError),
    ("clock", 3, ConfigTypeError),
    ("trace_length", 1, ConfigError),
    ("hang_timeout", 0, ConfigError),
    ("interface", dict, ConfigTypeError),
    ("interface", "RecordingInterface", ConfigTypeError),
    ("interface", RealTimeGymInterface, ConfigError),
]


def _check_names_key_and_value(exc: ConfigError, key: str, value) -> None:
    assert exc.key == key
    assert exc.value is value or exc.value == value or (value != value and exc.value != exc.value)
    message = str(exc)
    assert repr(key) in message
    assert repr(value)[:60] in message


@pytest.mark.parametrize(("key", "value", "error"), BAD_VALUES,
                         ids=[f"{k}={v!r}" for k, v, _ in BAD_VALUES])
def test_bad_value_is_rejected_by_from_dict(key, value, error):
    with pytest.raises(error) as info:
        RealTimeConfig.from_dict(sim_config(**{key: value}))
    _check_names_key_and_value(info.value, key, value)
    if error is ConfigTypeError:
        assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)


def test_config_error_classes():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigTypeError, ConfigError)
    assert issubclass(ConfigTypeError, TypeError)


@pytest.mark.parametrize(("key", "value", "error"), [
    ("time_step_duration", -1.0, ConfigError),
    ("act_buf_len", "2", ConfigTypeError),
    ("benchmark_polyak", 2.0, ConfigError),
    ("interface", object, ConfigTypeError),
])
def test_bad_value_is_rejected_by_gymnasium_make(env_id, key, value, error):
    before = set(rtgym_threads())
    with pytest.raises(error) as info:
        gymnasium.make(env_id, config=sim_config(**{key: value}))
    _check_names_key_and_value(info.value, key, value)
    assert set(rtgym_threads()) <= before


def test_unknown_key_is_rejected_with_did_you_mean(env_id):
    config = sim_config()
    config["time_step_duraton"] = 0.1  # typo, as a user mutating the dict would make it
    with pytest.raises(ConfigError, match="did you mean 'time_step_duration'") as info:
        gymnasium.make(env_id, config=config)
    _check_names_key_and_value(info.value, "time_step_duraton", 0.1)
    assert "unknown" in str(info.value)


def test_unknown_key_without_close_match_has_no_hint():
    config = sim_config()
    config["zzzzzz"] = 1
    with pytest.raises(ConfigError) as info:
        RealTimeConfig.from_dict(config)
    assert "unknown" in str(info.value)
    assert "did you mean" not in str(info.value)


def test_config_must_be_a_mapping():
    with pytest.raises(ConfigTypeError):
        RealTimeConfig.from_dict([("interface", RecordingInterface)])


def test_interface_instance_instead_of_class_is_rejected():
    instance = RecordingInterface()
    with pytest.raises(ConfigTypeError) as info:
        RealTimeConfig.from_dict(sim_config(interface=instance))
    assert info.value.key == "interface" and info.value.value is instance


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"default_action": (5.0, 5.0)}, "not in the action space"),
    ({"default_action": (0.0, 0.0, 0.0)}, "not in the action space"),
    ({"tuple_space": False}, "gymnasium.spaces.Tuple"),
])
def test_interface_spaces_are_validated_at_make(env_id, kwargs, fragment):
    """Default action outside the action space, observation space not a Tuple: ConfigError
    naming the offending value; no thread is left running."""
    before = set(rtgym_threads())
    with pytest.raises(ConfigError, match=fragment) as info:
        gymnasium.make(env_id, config=sim_config(interface_kwargs=kwargs))
    assert info.value.key == "interface"
    if "default_action" in kwargs:
        np.testing.assert_array_equal(info.value.value, kwargs["default_action"])
    else:
        assert isinstance(info.value.value, gymnasium.spaces.Box)
    assert set(rtgym_threads()) <= before


def test_interface_args_and_kwargs_reach_the_constructor(env_id):
    class WithArgs(RecordingInterface):
        def __init__(self, first, second, **kwargs):
            self.received = (first, second)
            super().__init__(**kwargs)

    config = sim_config(WithArgs, interface_args=("a", "b"),
                        interface_kwargs={"terminate_at": 1})
    env = gymnasium.make(env_id, config=config)
    try:
        assert env.unwrapped.interface.received == ("a", "b")
        env.reset()
        assert env.step(env.action_space.sample())[2] is True
    finally:
        env.close()
