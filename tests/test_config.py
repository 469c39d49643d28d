"""Configuration: rtgym 0.16's dictionary, kept as it was, and its validation.

Every bad entry must be rejected with a :class:`ConfigError` (a ``ValueError``) or a
:class:`ConfigTypeError` (also a ``TypeError``) that names the key and quotes the value, both
when the config is validated on its own and when it reaches ``gymnasium.make``.
"""

from __future__ import annotations

import copy
import functools
import math

import gymnasium
import numpy as np
import pytest
from interfaces import DT, RecordingInterface, sim_config

from rtgym_nb import (
    DEFAULT_CONFIG_DICT,
    ConfigError,
    ConfigTypeError,
    ConfigWarning,
    RealTimeConfig,
    RealTimeGymInterface,
    SimulatedClock,
    WallClock,
    live_threads,
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


def test_make_config_keeps_every_key_for_the_env_to_check():
    config = make_config(RecordingInterface, act_buff_len=2, my_project_key="x")
    assert config["act_buff_len"] == 2 and config["my_project_key"] == "x"


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


# -- what cannot run raises; what rtgym runs but is probably a mistake warns ----------------

RAISES = [
    # (key, value, error class): rtgym cannot run these either (or they are certainly bugs);
    # the message must name the key and quote the value
    ("time_step_duration", "0.05", ConfigTypeError),
    ("time_step_duration", -0.05, ConfigError),
    ("time_step_duration", math.inf, ConfigError),
    ("time_step_duration", math.nan, ConfigError),
    ("start_obs_capture", None, ConfigTypeError),
    ("start_obs_capture", math.nan, ConfigError),
    ("time_step_timeout_factor", "1", ConfigTypeError),
    ("act_buf_len", -1, ConfigError),
    ("act_buf_len", 1.5, ConfigTypeError),
    ("benchmark_type", 1, ConfigTypeError),
    ("ep_max_length", "10", ConfigTypeError),
    ("act_in_obs", np.array([True, False]), ConfigTypeError),
    ("interface_args", 5, ConfigTypeError),
    ("interface_kwargs", {1: 2}, ConfigTypeError),
    ("interface_kwargs", [("a", 1)], ConfigTypeError),
    ("act_prepro_func", 3, ConfigTypeError),
    ("obs_prepro_func", "f", ConfigTypeError),
    ("clock", "sundial", ConfigError),
    ("clock", 3, ConfigTypeError),
    ("trace_length", 1, ConfigError),
    ("hang_timeout", 0, ConfigError),
    ("hang_timeout", "10", ConfigTypeError),
    ("interface", "RecordingInterface", ConfigTypeError),
    ("interface", RealTimeGymInterface, ConfigError),
]

WARNS = [
    # (key, value, what the environment runs on): rtgym 0.16 runs these, so do we, with a
    # ConfigWarning naming the key and quoting the value
    ("time_step_duration", True, 1.0),
    ("time_step_duration", 0.0, 0.0),
    ("start_obs_capture", -0.01, -0.01),
    ("start_obs_capture", DT + 0.01, DT + 0.01),
    ("time_step_timeout_factor", 0.0, 0.0),
    ("time_step_timeout_factor", -1.0, -1.0),
    ("act_buf_len", True, 1),
    ("benchmark_polyak", 0.0, 0.0),
    ("benchmark_polyak", 1.5, 1.5),
    ("benchmark_polyak", "0.1", 0.1),  # unused: benchmarks are off
    ("benchmark_type", "average", "trace"),  # rtgym's rule: anything but "polyak" traces
    ("ep_max_length", 0, 0),
    ("ep_max_length", 2.5, 2.5),
    ("ep_max_length", math.nan, math.inf),
    ("reset_act_buf", "yes", True),
    ("benchmark", None, False),
    ("last_act_on_reset", "False", True),  # a non-empty string is true, in rtgym too
    ("interface_args", "ab", ("a", "b")),
]

ACCEPTED = [
    # (key, value, what the environment runs on): rtgym runs these and they are fine
    ("act_in_obs", 1, True),
    ("wait_on_done", 0, False),
    ("act_prepro_func", False, None),
    ("obs_prepro_func", 0, None),
    ("hang_timeout", None, None),
    ("interface_args", [1, 2], (1, 2)),
]


def _check_names_key_and_value(exc, key: str, value) -> None:
    assert exc.key == key
    assert exc.value is value or exc.value == value or (value != value and exc.value != exc.value)
    message = str(exc)
    assert repr(key) in message
    assert repr(value)[:60] in message


@pytest.mark.parametrize(("key", "value", "error"), RAISES,
                         ids=[f"{k}={v!r}" for k, v, _ in RAISES])
def test_what_cannot_run_is_rejected_by_from_dict(key, value, error):
    with pytest.raises(error) as info:
        RealTimeConfig.from_dict(sim_config(**{key: value}))
    _check_names_key_and_value(info.value, key, value)
    if error is ConfigTypeError:
        assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("key", "value", "expected"), WARNS,
                         ids=[f"{k}={v!r}" for k, v, _ in WARNS])
def test_probable_mistakes_warn_and_run_as_rtgym(key, value, expected):
    with pytest.warns(ConfigWarning) as record:
        config = RealTimeConfig.from_dict(sim_config(**{key: value}))
    mine = [w.message for w in record if w.message.key == key]
    assert len(mine) == 1, [str(w.message) for w in record]
    _check_names_key_and_value(mine[0], key, value)
    assert issubclass(ConfigWarning, UserWarning)
    assert getattr(config, key) == expected or (expected != expected and getattr(config, key)
                                                != getattr(config, key))


@pytest.mark.parametrize(("key", "value", "expected"), ACCEPTED,
                         ids=[f"{k}={v!r}" for k, v, _ in ACCEPTED])
def test_what_rtgym_accepts_is_accepted_silently(key, value, expected):
    config = RealTimeConfig.from_dict(sim_config(**{key: value}))  # (warnings are errors here)
    assert getattr(config, key) == expected
    assert type(getattr(config, key)) is type(expected)


def test_config_error_classes():
    assert issubclass(ConfigError, ValueError)
    assert issubclass(ConfigTypeError, ConfigError)
    assert issubclass(ConfigTypeError, TypeError)


@pytest.mark.parametrize(("key", "value", "error"), [
    ("time_step_duration", -1.0, ConfigError),
    ("act_buf_len", "2", ConfigTypeError),
    ("benchmark_type", None, ConfigTypeError),
    ("interface", object, ConfigTypeError),
    ("interface", dict, ConfigTypeError),
])
def test_bad_value_is_rejected_by_gymnasium_make(env_id, key, value, error):
    before = set(live_threads())
    with pytest.raises(error) as info:
        gymnasium.make(env_id, config=sim_config(**{key: value}))
    _check_names_key_and_value(info.value, key, value)
    assert set(live_threads()) <= before


def test_near_miss_of_a_key_warns_with_did_you_mean_and_is_ignored(env_id):
    config = sim_config()
    config["time_step_duraton"] = 0.1  # typo, as a user mutating the dict would make it
    with pytest.warns(ConfigWarning, match="did you mean 'time_step_duration'") as record:
        env = gymnasium.make(env_id, config=config)
    env.close()
    _check_names_key_and_value(record[0].message, "time_step_duraton", 0.1)
    assert env.unwrapped.time_step_duration == DT


def test_other_unknown_keys_are_ignored_silently_as_in_rtgym(env_id):
    config = sim_config()
    config["disable_env_checking"] = True  # keys real projects keep in rtgym's dict
    config["zzzzzz"] = 1
    config[3] = "not even a string"
    with gymnasium.make(env_id, config=config) as env:  # (warnings are errors here)
        env.reset()
        assert not hasattr(env.unwrapped.config, "zzzzzz")


def test_config_must_be_a_mapping():
    with pytest.raises(ConfigTypeError):
        RealTimeConfig.from_dict([("interface", RecordingInterface)])


def test_interface_instance_instead_of_class_is_rejected():
    instance = RecordingInterface()
    with pytest.raises(ConfigTypeError) as info:
        RealTimeConfig.from_dict(sim_config(interface=instance))
    assert info.value.key == "interface" and info.value.value is instance


def test_observation_space_that_is_not_a_tuple_is_rejected_at_make(env_id):
    """ConfigError naming the offending value; no thread is left running."""
    before = set(live_threads())
    with pytest.raises(ConfigError, match=r"gymnasium\.spaces\.Tuple") as info:
        gymnasium.make(env_id, config=sim_config(interface_kwargs={"tuple_space": False}))
    assert info.value.key == "interface"
    assert isinstance(info.value.value, gymnasium.spaces.Box)
    assert set(live_threads()) <= before


@pytest.mark.parametrize("default", [(5.0, 5.0), (0.0, 0.0, 0.0)])
def test_default_action_outside_the_space_warns_and_is_kept(env_id, default):
    """rtgym takes any default action; one outside the action space is probably a mistake."""
    with pytest.warns(ConfigWarning, match="not in the action space") as record:
        env = gymnasium.make(env_id, config=sim_config(interface_kwargs={
            "default_action": default}))
    env.close()
    assert record[0].message.key == "interface"
    np.testing.assert_array_equal(env.unwrapped.default_action, default)


class DuckInterface:
    """The interface's methods, without subclassing RealTimeGymInterface."""

    def __init__(self, scale=1.0):
        self.scale = scale
        self.sent = []

    def get_observation_space(self):
        return gymnasium.spaces.Tuple((gymnasium.spaces.Box(-10, 10, (1,), np.float32),))

    def get_action_space(self):
        return gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def get_default_action(self):
        return np.zeros(1, np.float32)

    def send_control(self, control):
        self.sent.append(control)

    def reset(self, seed=None, options=None):
        return [np.zeros(1, np.float32)], {}

    def get_obs_rew_terminated_info(self):
        return [np.full(1, self.scale * len(self.sent), np.float32)], 0.0, False, {}


@pytest.mark.parametrize("factory", [
    DuckInterface,
    functools.partial(DuckInterface, scale=0.5),
    lambda: DuckInterface(scale=0.25),
], ids=["class", "partial", "lambda"])
def test_any_callable_returning_an_interface_is_accepted(env_id, factory):
    with gymnasium.make(env_id, config=sim_config(factory, act_buf_len=2)) as env:
        env.reset()
        obs, *_ = env.step(np.ones(1, np.float32))
        assert env.unwrapped.interface_cls is factory
        assert isinstance(env.unwrapped.interface, DuckInterface)
        assert obs[0][0] == env.unwrapped.interface.scale  # one control sent before capture


def test_interface_missing_a_method_is_named(env_id):
    class NoReset(DuckInterface):
        reset = None

    with pytest.raises(ConfigTypeError, match=r"without a method reset\(\)") as info:
        gymnasium.make(env_id, config=sim_config(NoReset))
    assert info.value.key == "interface"
    before = set(live_threads())
    with pytest.raises(ConfigTypeError, match=r"without a method send_control\(\)"):
        gymnasium.make(env_id, config=sim_config(lambda: object()))  # found once built
    assert set(live_threads()) <= before


def test_hang_timeout_is_off_by_default():
    assert RealTimeConfig.from_dict(sim_config()).hang_timeout is None
    assert "hang_timeout" not in DEFAULT_CONFIG_DICT


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


def test_config_warning_points_at_the_callers_line(env_id):
    with pytest.warns(ConfigWarning) as record:
        env = gymnasium.make(env_id, config=sim_config(ep_max_length=0))
    with pytest.warns(ConfigWarning) as written:
        env.unwrapped.act_buf_len = 2
    env.close()
    assert record[0].filename == written[0].filename == __file__
