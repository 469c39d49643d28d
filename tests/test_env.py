"""The environment's semantics, on the simulated clock, for both ids.

The rules are rtgym 0.16's (``rtgym/envs/real_time_env.py``); where rtgym_nb deliberately
differs, the test says so. All times are exact: the time-step is 1/16 s and every modelled
duration is a binary fraction, so nominal timestamps are compared with ``==``.
"""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils import seeding
from gymnasium.utils.env_checker import check_env
from interfaces import DT, ENV_IDS, RecordingInterface, action, run_episode, sim_config

from rtgym_nb import (
    ConfigError,
    ConfigWarning,
    EnvClosedError,
    EpisodeNotRunningError,
    RealTimeEnv,
    RealTimeEnvTS,
    SimulatedClock,
    TimeStepTimeoutWarning,
    WallClock,
)
from rtgym_nb._timing import BENCHMARK_KEYS

NAN = np.nan


def trace(env) -> dict[str, np.ndarray]:
    return env.unwrapped.trace.arrays()


def in_steps(values) -> np.ndarray:
    """Times in units of the time-step."""
    return np.asarray(values) / DT


def sent(env) -> list[np.ndarray]:
    """Every control the interface received, in order."""
    return [call.args[0] for call in env.unwrapped.interface.named("send_control")]


def buffer_of(obs, inner: int = 3) -> list[np.ndarray]:
    return list(obs[inner:])


def assert_actions_equal(got, expected) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


A1, A2, A3, A4, A5 = (action(0.1 * k, -0.1 * k) for k in range(1, 6))
ZERO = action(0.0, 0.0)


# -- the elastic clock and the time-step -------------------------------------------------


def test_elastic_schedule_scenario(make_env):
    """A hand-worked scenario (times in time-steps, capture a quarter into each time-step).

    reset at 0 opens step 0 = [0, 1]. Then the caller "thinks" for:
    0.5: on time -> waits for 1, sends A1 at 1, returns at 1.
    1.5: late but within elasticity (factor 1) -> sends A2 at 2.5 in time-step [2, 3]; returns
         at once (time-step 1 ended at 2); its capture at 2.25 already passed: captured at 2.5.
    0.0: the next one is shorter -> returns at 3 (the nominal end), sends A3 at 3.
    2.0: beyond elasticity (5 >= 4 + 1) -> timeout, warned: time-step restarts at 5.
    0.25: on the new grid -> sends A5 at 6.
    """
    env = make_env(start_obs_capture=DT / 4)
    clock = env.unwrapped.clock
    env.reset()
    returns = [clock.now()]
    for think, act in [(0.5, A1), (1.5, A2), (0.0, A3), (2.0, A4), (0.25, A5)]:
        clock.sleep(think * DT)
        if act is A4:
            with pytest.warns(TimeStepTimeoutWarning, match="timed out"):
                env.step(act)
        else:
            env.step(act)
        returns.append(clock.now())
    t = trace(env)
    np.testing.assert_array_equal(in_steps(t["call"]), [0, 0.5, 2.5, 2.5, 5, 5.25])
    np.testing.assert_array_equal(in_steps(t["send_start"]), [0, 1, 2.5, 3, 5, 6])
    np.testing.assert_array_equal(in_steps(t["nominal_start"]), [0, 1, 2, 3, 5, 6])
    np.testing.assert_array_equal(in_steps(t["nominal_obs"]), [0.25, 1.25, 2.25, 3.25, 5.25, 6.25])
    np.testing.assert_array_equal(in_steps(t["nominal_end"]), [1, 2, 3, 4, 6, 7])
    np.testing.assert_array_equal(in_steps(t["capture_start"]), [0.25, 1.25, 2.5, 3.25, 5.25, NAN])
    np.testing.assert_array_equal(in_steps(t["returned"]), [0, 1, 2.5, 3, 5, 6])
    np.testing.assert_array_equal(in_steps(returns), [0, 1, 2.5, 3, 5, 6])
    np.testing.assert_array_equal(t["timed_out"], [False, False, False, False, True, False])
    np.testing.assert_array_equal(t["from_reset"], [True, False, False, False, False, False])
    assert env.unwrapped.timeouts == 1
    assert_actions_equal(sent(env), [ZERO, A1, A2, A3, A4, A5])


def test_on_time_steps_follow_the_nominal_grid(make_env):
    """Capture at nominal time, step returns at the time-step's end, action sent right then,
    the observation is the one of the time-step that just ended."""
    env = make_env(start_obs_capture=DT / 4, interface_kwargs={"terminate_at": 100})
    clock = env.unwrapped.clock
    env.reset()
    actions = [action(0.1 * k, 0.05 * k) for k in range(1, 9)]
    for k, act in enumerate(actions, start=1):
        clock.sleep(0.9 * DT)  # past the capture time, before the end
        obs, reward, terminated, truncated, info = env.step(act)
        assert clock.now() == k * DT  # returned at the nominal end of time-step k - 1
        assert info == {"capture": k} and reward == float(k)
        assert not terminated and not truncated
        # that time-step was opened by the previous action (the default one for k = 1)
        np.testing.assert_array_equal(obs[0], actions[k - 2] if k > 1 else ZERO)
    t = trace(env)
    k = np.arange(len(actions) + 1)
    np.testing.assert_array_equal(t["nominal_start"], k * DT)
    np.testing.assert_array_equal(t["nominal_obs"], k * DT + DT / 4)
    np.testing.assert_array_equal(t["nominal_end"], (k + 1) * DT)
    np.testing.assert_array_equal(t["send_start"], t["nominal_start"])
    np.testing.assert_array_equal(t["capture_start"][:-1], t["nominal_obs"][:-1])
    assert not t["timed_out"].any()
    captures = env.unwrapped.interface.named("get_obs_rew_terminated_info")
    np.testing.assert_array_equal([c.time for c in captures], t["nominal_obs"][:-1])
    assert_actions_equal(sent(env), [ZERO, *actions])


@pytest.mark.parametrize("think", [0.5, 1.0, 1.5])
def test_capture_is_at_nominal_time_even_when_the_caller_sleeps_past_it(make_env, think):
    env = make_env(start_obs_capture=DT / 2)
    clock = env.unwrapped.clock
    env.reset()
    clock.sleep(think * DT)
    env.step(A1)
    assert env.unwrapped.interface.named("get_obs_rew_terminated_info")[0].time == DT / 2
    assert trace(env)["capture_start"][0] == trace(env)["nominal_obs"][0] == DT / 2


def test_envs_sharing_a_simulated_clock_each_capture_on_time(make_env):
    """The clock's alarm has one owner: the second environment on the same clock captures with
    one-shot timers instead, on the same times."""
    clock = SimulatedClock()
    first = make_env(start_obs_capture=DT / 2, clock=clock)
    second = make_env(start_obs_capture=DT / 4, clock=clock)
    first.reset()
    second.reset()
    for _ in range(3):
        clock.sleep(0.75 * DT)  # past both captures before either step()
        first.step(A1)
        second.step(A2)
    for env, offset in ((first, DT / 2), (second, DT / 4)):
        t = trace(env)
        np.testing.assert_array_equal(t["capture_start"][:-1], t["nominal_obs"][:-1])
        np.testing.assert_array_equal(t["nominal_obs"] - t["nominal_start"], offset)
    first.close()
    assert clock.claim_alarm(print)  # (closing gave the alarm back)


def test_the_interface_sees_its_environments_clock_on_the_straight_path(make_env):
    """current_clock() inside the interface is the environment's clock during step(), even in
    the caller's own use_clock block, and nothing of it leaks out of step()."""
    from rtgym_nb import current_clock, use_clock

    env = make_env()
    interface, clock = env.unwrapped.interface, env.unwrapped.clock
    seen = []
    capture = interface.get_obs_rew_terminated_info
    interface.get_obs_rew_terminated_info = lambda: (seen.append(current_clock()), capture())[1]
    env.reset()
    outside = current_clock()
    env.step(A1)
    with use_clock(SimulatedClock()) as callers:
        env.step(A2)
        assert current_clock() is callers
    assert current_clock() is outside
    assert seen == [clock, clock]
    assert env.unwrapped._pipeline.straight  # (the path this is about)


def test_a_timeout_warning_points_at_the_callers_line_on_either_path(make_env):
    """The straight path (step() before the capture) and the general one (a capture the clock's
    alarm took while the caller slept) warn from the caller's own line."""
    env = make_env(start_obs_capture=DT / 2)
    clock = env.unwrapped.clock
    env.reset()
    caught = []
    for think in (0.0, 3.0):  # the general path: the alarm captured during the sleep
        env.unwrapped.interface.capture_duration = 3 * DT if think == 0.0 else 0.0
        clock.sleep(think * DT)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            env.unwrapped.step(A1)  # (through gymnasium's wrappers, the wrapper is the caller)
        caught += [w for w in got if issubclass(w.category, TimeStepTimeoutWarning)]
    assert len(caught) == 2
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]


def test_capture_at_the_end_of_the_time_step(make_env):
    env = make_env()  # start_obs_capture == time_step_duration
    clock = env.unwrapped.clock
    env.reset()
    for _ in range(3):
        clock.sleep(DT / 8)
        env.step(A1)
    t = trace(env)
    np.testing.assert_array_equal(t["capture_start"][:-1], t["nominal_end"][:-1])
    np.testing.assert_array_equal(t["send_start"][1:], t["nominal_end"][:-1])


@pytest.mark.parametrize(("factor", "late", "timeout"), [
    (1.0, 1.0, True), (1.0, 1.0 - 2**-10, False), (0.5, 0.5, True), (0.5, 0.5 - 2**-10, False),
    (2.0, 1.5, False), (2.0, 2.0, True),
])
def test_timeout_boundary(make_env, factor, late, timeout):
    """rtgym: elasticity holds while ``now < t_end + factor * time_step_duration``."""
    env = make_env(time_step_timeout_factor=factor)
    clock = env.unwrapped.clock
    env.reset()
    env.step(A1)  # returns at 1: time-step 1 = [1, 2]
    clock.sleep((1 + late) * DT)  # call at 2 + late
    if timeout:
        with pytest.warns(TimeStepTimeoutWarning):
            env.step(A2)
    else:
        env.step(A2)
    t = trace(env)
    assert bool(t["timed_out"][-1]) is timeout
    assert t["nominal_start"][-1] == ((2 + late) * DT if timeout else 2 * DT)
    assert env.unwrapped.timeouts == int(timeout)


def test_time_step_duration_and_send_duration_shape_the_schedule(make_env):
    """The elastic decision uses the time after ``send_control`` returned (as in rtgym)."""
    env = make_env(interface_kwargs={"send_duration": DT / 4})
    clock = env.unwrapped.clock
    env.reset()
    clock.sleep(DT)  # reset returned at 0.25 (sending took 0.25): call at 1.25
    env.step(A1)
    t = trace(env)
    np.testing.assert_array_equal(in_steps(t["send_start"]), [0, 1.25])
    np.testing.assert_array_equal(in_steps(t["send_end"]), [0.25, 1.5])
    np.testing.assert_array_equal(in_steps(t["nominal_start"]), [0, 1])
    assert clock.now() == 1.5 * DT  # step returns once the action has been sent


def test_no_timeout_after_wait(make_env):
    env = make_env(interface_kwargs={"terminate_at": 2})
    clock = env.unwrapped.clock
    run_episode(env, [A1, A2])
    env.unwrapped.wait()
    waits = env.unwrapped.interface.named("wait")
    assert len(waits) == 1 and waits[0].time == trace(env)["nominal_end"][-1]
    clock.sleep(10 * DT)
    env.reset()  # filterwarnings=error: a TimeStepTimeoutWarning would fail the test
    t = trace(env)
    assert not t["timed_out"][-1]
    assert t["nominal_start"][-1] == t["send_end"][-1] == clock.now()
    assert env.unwrapped.timeouts == 0


def test_reset_after_a_long_pause_without_wait_times_out(make_env):
    env = make_env(interface_kwargs={"terminate_at": 1})
    run_episode(env, [A1])
    env.unwrapped.clock.sleep(10 * DT)
    with pytest.warns(TimeStepTimeoutWarning):
        env.reset()
    assert env.unwrapped.timeouts == 1


def test_wait_excuses_only_the_next_time_step(make_env):
    """Deliberate difference with rtgym 0.16: there, wait() followed by a prompt reset() left
    ``is_waiting`` set, so the next genuine timeout went unreported."""
    env = make_env(interface_kwargs={"terminate_at": 2})
    clock = env.unwrapped.clock
    run_episode(env, [A1, A2])
    env.unwrapped.wait()
    env.reset()  # on time
    clock.sleep(3 * DT)
    with pytest.warns(TimeStepTimeoutWarning):
        env.step(A1)


def test_wait_mid_episode_completes_the_time_step_and_pauses(make_env):
    env = make_env(start_obs_capture=DT / 2)
    clock = env.unwrapped.clock
    env.reset()
    env.step(A1)  # returns at 1, time-step [1, 2] open
    env.unwrapped.wait()
    assert clock.now() == 2 * DT  # the open time-step was completed first
    names = [c.name for c in env.unwrapped.interface.calls]
    assert names[-2:] == ["get_obs_rew_terminated_info", "wait"]
    clock.sleep(5 * DT)
    _obs, *_, info = env.step(A2)  # no warning: the pause was announced
    assert info == {"capture": 2}
    assert trace(env)["nominal_start"][-1] == clock.now()


def test_wait_on_done(make_env):
    env = make_env(wait_on_done=True, interface_kwargs={"terminate_at": 2})
    clock = env.unwrapped.clock
    (_, _), results = run_episode(env, [A1, A2, A3])
    assert len(results) == 2
    interface = env.unwrapped.interface
    assert [c.name for c in interface.calls[-2:]] == ["get_obs_rew_terminated_info", "wait"]
    assert len(interface.named("wait")) == 1
    clock.sleep(10 * DT)
    env.reset()  # no timeout: wait() was called at the end of the episode
    assert env.unwrapped.timeouts == 0


def test_no_wait_without_wait_on_done(make_env):
    env = make_env(interface_kwargs={"terminate_at": 2})
    run_episode(env, [A1, A2])
    assert env.unwrapped.interface.named("wait") == []


# -- episodes, actions and the action buffer ----------------------------------------------


def test_final_action_is_not_sent_but_buffered(make_env):
    env = make_env(act_buf_len=3, interface_kwargs={"terminate_at": 3})
    (obs, _), results = run_episode(env, [A1, A2, A3])
    assert_actions_equal(buffer_of(obs), [ZERO, ZERO, ZERO])
    assert [r[2] for r in results] == [False, False, True]
    assert_actions_equal(buffer_of(results[-1][0]), [A1, A2, A3])
    assert_actions_equal(sent(env), [ZERO, A1, A2])
    assert not env.unwrapped.running
    with pytest.raises(EpisodeNotRunningError):
        env.step(A4)
    assert issubclass(EpisodeNotRunningError, RuntimeError)  # what rtgym raised
    assert_actions_equal(sent(env), [ZERO, A1, A2])


@pytest.mark.wallclock
def test_buffer_copies_made_while_the_clock_spins_are_the_same(make_env):
    """On a clock that spins long before each capture, step() copies the action buffer in that
    time: the observations must hold the same, unshared arrays, and the caller's own action
    array (modified after step()) must not leak into the buffer."""
    env = make_env(clock=WallClock(min_margin=3e-3, max_margin=4e-3), act_buf_len=3,
                   interface_kwargs={"terminate_at": 4})
    obs, _ = env.reset()
    action_array = A1.copy()
    observations = [obs]
    for expected in (A1, A2, A3):
        action_array[:] = expected
        observations.append(env.step(action_array)[0])
        action_array[:] = A5  # the caller reuses its array
    assert_actions_equal(buffer_of(observations[-1]), [A1, A2, A3])
    assert_actions_equal(buffer_of(observations[1]), [ZERO, ZERO, A1])
    assert_actions_equal(list(env.unwrapped.act_buf), [A1, A2, A3])
    arrays = [a for o in observations for a in buffer_of(o)]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])
    assert not any(np.shares_memory(a, b) for a in arrays for b in env.unwrapped.act_buf)


def test_step_before_reset_raises(make_env):
    env = make_env()
    with pytest.raises(EpisodeNotRunningError):
        env.unwrapped.step(A1)


def test_truncation_at_ep_max_length(make_env):
    env = make_env(ep_max_length=3)
    _, results = run_episode(env, [A1, A2, A3, A4])
    assert [(r[2], r[3]) for r in results] == [(False, False), (False, False), (False, True)]
    assert_actions_equal(sent(env), [ZERO, A1, A2])
    with pytest.raises(EpisodeNotRunningError):
        env.step(A4)
    run_episode(env, [A1, A2, A3])  # the count restarts at reset
    assert env.unwrapped.current_step == 3


def test_terminated_wins_over_truncated(make_env):
    env = make_env(ep_max_length=3, interface_kwargs={"terminate_at": 3})
    _, results = run_episode(env, [A1, A2, A3])
    assert (results[-1][2], results[-1][3]) == (True, False)


def test_terminated_is_a_bool(make_env):
    class NumpyTerminated(RecordingInterface):
        def get_obs_rew_terminated_info(self):
            obs, reward, terminated, info = super().get_obs_rew_terminated_info()
            return obs, reward, np.bool_(terminated), info

    env = make_env(interface=NumpyTerminated, interface_kwargs={"terminate_at": 1})
    env.reset()
    assert env.step(A1)[2] is True


# rtgym 0.16's reset():
#   if reset_act_buf: fill the buffer with default actions
#   elif not last_act_on_reset: act_buf[-1] = default_action
#   then send act_buf[-1]
# After an episode A1, A2, A3 (A3 terminal, never sent) and set_default_action(NEW):
NEW = action(-0.5, 0.5)
RESET_COMBOS = [
    # reset_act_buf, last_act_on_reset, buffer after reset, action sent by reset
    (True, False, [NEW, NEW, NEW], NEW),
    (True, True, [NEW, NEW, NEW], NEW),
    (False, False, [A1, A2, NEW], NEW),
    (False, True, [A1, A2, A3], A3),
]


@pytest.mark.parametrize(("reset_act_buf", "last_act_on_reset", "buffer", "sent_on_reset"),
                         RESET_COMBOS, ids=[f"reset_act_buf={r}-last_act={la}"
                                            for r, la, _, _ in RESET_COMBOS])
def test_reset_action_and_buffer(make_env, reset_act_buf, last_act_on_reset, buffer,
                                 sent_on_reset):
    env = make_env(act_buf_len=3, reset_act_buf=reset_act_buf,
                   last_act_on_reset=last_act_on_reset, interface_kwargs={"terminate_at": 3})
    (obs, _), _ = run_episode(env, [A1, A2, A3])
    assert_actions_equal(buffer_of(obs), [ZERO] * 3)  # first reset: the initial default
    env.unwrapped.set_default_action(NEW)
    obs, _ = env.reset()
    assert_actions_equal(buffer_of(obs), buffer)
    assert_actions_equal(list(env.unwrapped.act_buf), buffer)
    assert_actions_equal(sent(env), [ZERO, A1, A2, sent_on_reset])
    obs, *_ = env.step(A4)  # the buffer goes on from there
    assert_actions_equal(buffer_of(obs), [*buffer[1:], A4])
    np.testing.assert_array_equal(obs[0], sent_on_reset)  # what the device received


def test_reset_mid_episode_completes_the_open_time_step(make_env):
    env = make_env()
    clock = env.unwrapped.clock
    env.reset()
    env.step(A1)  # time-step [1, 2] open
    env.reset()
    t = trace(env)
    assert env.unwrapped.interface.named("reset")[-1].time == 2 * DT
    assert t["nominal_start"][-1] == 2 * DT and t["from_reset"][-1]
    assert clock.now() == 2 * DT


def test_set_default_action_outside_the_space_warns_and_is_taken(make_env):
    """rtgym takes any default action; one outside the action space is probably a mistake."""
    env = make_env()
    with pytest.warns(ConfigWarning, match="not in the action space"):
        env.unwrapped.set_default_action(action(2.0, 0.0))
    np.testing.assert_array_equal(env.unwrapped.default_action, action(2.0, 0.0))
    with pytest.warns(UserWarning, match="not within the observation space"):  # gymnasium's
        env.reset()
    assert_actions_equal(sent(env), [action(2.0, 0.0)])
    with pytest.warns(ConfigWarning, match="not in the action space"):
        env.unwrapped.set_default_action(action(0.0, 0.0, 0.0))
    np.testing.assert_array_equal(env.unwrapped.default_action, action(0.0, 0.0, 0.0))


def test_set_default_action_converts_to_the_space_dtype(make_env):
    env = make_env()
    env.unwrapped.set_default_action([0.25, 0.5])  # a list is converted to the space's dtype
    default = env.unwrapped.default_action
    assert isinstance(default, np.ndarray) and default.dtype == np.float32
    obs, _ = env.reset()
    assert_actions_equal(sent(env), [action(0.25, 0.5)])
    assert_actions_equal(buffer_of(obs), [action(0.25, 0.5)])


def test_returned_observations_do_not_share_buffers(make_env):
    env = make_env(act_buf_len=2)
    obs0, _ = env.reset()
    obs1, *_ = env.step(A1)
    obs2, *_ = env.step(A2)
    obs1[-1][:] = 0.9  # a caller scribbling on an observation
    np.testing.assert_array_equal(obs2[-2], A1)
    assert not np.shares_memory(obs0[-1], obs1[-2])


# -- observation assembly ------------------------------------------------------------------


def test_observation_space_and_obs_include_the_buffer(make_env):
    env = make_env(act_buf_len=4)
    assert len(env.observation_space.spaces) == 3 + 4
    assert all(space == env.action_space for space in env.observation_space.spaces[3:])
    obs, _ = env.reset()
    assert len(obs) == 7 and env.observation_space.contains(obs)
    obs, *_ = env.step(A1)
    assert len(obs) == 7 and env.observation_space.contains(obs)


def test_act_buf_len_zero_means_no_actions_in_obs(make_env):
    env = make_env(act_buf_len=0, reset_act_buf=False, last_act_on_reset=True,
                   interface_kwargs={"terminate_at": 2})
    assert len(env.observation_space.spaces) == 3
    (obs, _), results = run_episode(env, [A1, A2])
    assert len(obs) == 3 and all(len(r[0]) == 3 for r in results)
    env.reset()  # rtgym 0.16 raised IndexError here (act_buf[-1] of an empty deque)
    assert_actions_equal(sent(env), [ZERO, A1, A2])


def test_act_in_obs_false(make_env):
    env = make_env(act_in_obs=False, act_buf_len=3)
    assert len(env.observation_space.spaces) == 3
    obs, _ = env.reset()
    assert len(obs) == 3
    obs, *_ = env.step(A1)
    assert len(obs) == 3
    assert_actions_equal(list(env.unwrapped.act_buf), [ZERO, ZERO, A1])  # still kept


def test_act_prepro_func_applies_to_what_is_sent_not_to_the_buffer(make_env):
    env = make_env(act_buf_len=2, act_prepro_func=lambda a: np.asarray(a) * 0.5)
    obs, _ = env.reset()
    obs, *_ = env.step(A2)
    obs, *_ = env.step(A4)
    assert_actions_equal(sent(env), [ZERO, A2 * 0.5, A4 * 0.5])
    assert_actions_equal(buffer_of(obs), [A2, A4])


def test_obs_prepro_func_sees_interface_obs_only_in_reset_and_step(make_env):
    """One order everywhere: interface obs -> obs_prepro_func -> action buffer appended.
    (rtgym 0.16's reset() applied it after appending the buffer; step() before.)"""
    seen = []

    def prepro(obs):
        seen.append(len(obs))
        return [np.asarray(o) * np.float32(0.5) for o in obs]

    env = make_env(act_buf_len=2, obs_prepro_func=prepro)
    interface = env.unwrapped.interface
    obs, _ = env.reset()
    assert seen == [3]
    assert obs[1][0] == 0.0
    assert_actions_equal(buffer_of(obs), [ZERO, ZERO])  # the buffer is not preprocessed
    obs, *_ = env.step(A2)
    obs, *_ = env.step(A4)
    assert seen == [3, 3, 3]
    assert obs[1][0] == 0.5 * 2  # second capture, halved
    np.testing.assert_array_equal(obs[0], A2 * 0.5)  # the control the device had, halved
    assert_actions_equal(buffer_of(obs), [A2, A4])
    assert interface.captures == 2


# -- setters ---------------------------------------------------------------------------------


def test_set_time_step_duration_applies_from_the_next_time_step(make_env):
    env = make_env()
    unwrapped = env.unwrapped
    env.reset()
    env.step(A1)  # time-step 1 = [1, 2] open
    unwrapped.set_time_step_duration(DT / 2, time_step_timeout_factor=2.0)
    assert unwrapped.time_step_duration == DT / 2
    assert unwrapped.time_step_timeout_factor == 2.0
    env.step(A2)
    env.step(A3)
    t = trace(env)
    np.testing.assert_array_equal(in_steps(t["nominal_start"]), [0, 1, 2, 2.5])
    np.testing.assert_array_equal(in_steps(t["nominal_end"]), [1, 2, 2.5, 3])
    # capture was at the end of the time-step: it stays there (rtgym kept the absolute offset)
    np.testing.assert_array_equal(in_steps(t["nominal_obs"]), [1, 2, 2.5, 3])
    assert unwrapped.start_obs_capture == DT / 2


def test_set_time_step_duration_keeps_a_mid_step_capture_that_still_fits(make_env):
    env = make_env(start_obs_capture=DT / 4)
    env.unwrapped.set_time_step_duration(DT * 2)
    assert env.unwrapped.start_obs_capture == DT / 4
    env.unwrapped.set_time_step_duration(DT / 8)  # shorter than the capture offset
    assert env.unwrapped.start_obs_capture == DT / 8


@pytest.mark.parametrize("bad", [-DT, np.inf, np.nan, "0.1"])
def test_set_time_step_duration_that_cannot_run_raises(make_env, bad):
    env = make_env()
    with pytest.raises(ConfigError, match="time_step_duration"):
        env.unwrapped.set_time_step_duration(bad)
    with pytest.raises(ConfigError, match="time_step_timeout_factor"):
        env.unwrapped.set_time_step_duration(DT / 2, time_step_timeout_factor="2")
    assert env.unwrapped.time_step_duration == DT
    assert env.unwrapped.time_step_timeout_factor == 1.0
    assert env.unwrapped.config.time_step_duration == DT


def test_set_time_step_duration_warns_on_probable_mistakes(make_env):
    env = make_env()
    with pytest.warns(ConfigWarning, match="time_step_timeout_factor"):
        env.unwrapped.set_time_step_duration(DT, time_step_timeout_factor=0.0)
    assert env.unwrapped.time_step_timeout_factor == 0.0
    with pytest.warns(ConfigWarning, match="time_step_duration"):
        env.unwrapped.set_time_step_duration(0.0)
    assert env.unwrapped.config.time_step_duration == 0.0


def test_set_start_obs_capture(make_env):
    env = make_env()
    clock = env.unwrapped.clock
    env.reset()
    env.unwrapped.set_start_obs_capture(DT / 4)
    env.step(A1)
    clock.sleep(DT)
    env.step(A2)
    t = trace(env)
    np.testing.assert_array_equal(in_steps(t["nominal_obs"] - t["nominal_start"]), [1, 0.25, 0.25])
    assert t["capture_start"][1] == t["nominal_obs"][1]
    with pytest.raises(ConfigError, match="start_obs_capture"):
        env.unwrapped.set_start_obs_capture("0.1")
    assert env.unwrapped.start_obs_capture == DT / 4
    for odd in (-DT / 4, DT * 1.5):  # rtgym runs both; probably mistakes
        with pytest.warns(ConfigWarning, match="start_obs_capture"):
            env.unwrapped.set_start_obs_capture(odd)
        assert env.unwrapped.start_obs_capture == env.unwrapped.config.start_obs_capture == odd


def test_set_ep_max_length(make_env):
    env = make_env()
    env.unwrapped.set_ep_max_length(2)
    assert env.unwrapped.ep_max_length == 2
    _, results = run_episode(env, [A1, A2, A3])
    assert [r[3] for r in results] == [False, True]
    with pytest.raises(ConfigError):
        env.unwrapped.set_ep_max_length("3")
    with pytest.warns(ConfigWarning, match="ep_max_length"):
        env.unwrapped.set_ep_max_length(1.5)  # as rtgym: truncated at step 2
    _, results = run_episode(env, [A1, A2, A3])
    assert [r[3] for r in results] == [False, True]
    env.unwrapped.set_ep_max_length(np.inf)
    _, results = run_episode(env, [A1] * 5)
    assert not any(r[3] for r in results)


def test_set_time_step_timeout_factor(make_env):
    env = make_env()
    env.unwrapped.time_step_timeout_factor = 3.0
    env.reset()
    env.step(A1)
    env.unwrapped.clock.sleep(3 * DT)  # 2 time-steps late: fine with elasticity 3
    env.step(A2)
    assert env.unwrapped.timeouts == 0
    assert env.unwrapped.config.time_step_timeout_factor == 3.0
    assert env.unwrapped.time_step_timeout == 3 * DT
    with pytest.raises(ConfigError):
        env.unwrapped.time_step_timeout_factor = None
    with pytest.warns(ConfigWarning, match="every time-step times out"):
        env.unwrapped.time_step_timeout_factor = -1.0


# -- render, benchmarks --------------------------------------------------------------------


def test_render_returns_what_the_interface_renders(make_env):
    env = make_env(render_mode="rgb_array")
    interface = env.unwrapped.interface
    assert interface.render_mode == "rgb_array"
    env.reset()
    frame = env.render()
    assert isinstance(frame, np.ndarray) and frame.shape == (4, 4, 3)
    assert env.unwrapped.render(mode="human", join_thread=True).shape == (4, 4, 3)  # rtgym's
    assert len(interface.named("render")) == 2


def test_render_without_mode(make_env):
    env = make_env()
    assert env.unwrapped.render() is None
    assert len(env.unwrapped.interface.named("render")) == 1


def test_benchmarks_off_by_default(make_env):
    env = make_env()
    with pytest.raises(RuntimeError, match="benchmark"):
        env.unwrapped.benchmarks()


def polyak(samples, factor):
    avg, dev = None, 0.0
    for x in samples:
        if avg is None:
            avg = x
        else:
            delta = x - avg
            avg, dev = avg + factor * delta, dev + factor * (abs(delta) - dev)
    return avg, dev


def test_polyak_benchmarks_on_the_simulated_clock(make_env):
    """Every duration is known in advance: sending takes s, capturing g, the caller thinks
    i_k before step k; capture at the end of each time-step of duration d.

    Step k is called at r_{k-1} + i_k, joins once the capture of the time-step ending at k d
    is over (k d + g), sends, returns at k d + g + s. Hence, per step: join = k d + g - call,
    step = join + s, time-step (between sends) = d (d + g for the first: reset sent at 0).
    """
    s, g, factor = DT / 8, DT / 16, 0.5
    thinks = [DT / 2, DT / 4, DT * 3 / 8, 0.0, DT / 2, DT / 8]
    env = make_env(benchmark=True, benchmark_polyak=factor,
                   interface_kwargs={"send_duration": s, "capture_duration": g})
    clock = env.unwrapped.clock
    env.reset()
    assert env.unwrapped.benchmarks() == dict.fromkeys(BENCHMARK_KEYS, (None, 0.0))
    returned = s  # reset returns once its action is sent
    samples = {key: [] for key in BENCHMARK_KEYS}
    for k, think in enumerate(thinks, start=1):
        clock.sleep(think)
        call = returned + think
        env.step(A1)
        returned = k * DT + g + s
        assert clock.now() == returned
        samples["inference_duration"].append(think)
        samples["join_duration"].append(k * DT + g - call)
        samples["step_duration"].append(k * DT + g + s - call)
        samples["time_step_duration"].append(DT + g if k == 1 else DT)
        samples["send_control_duration"].append(s)
        samples["get_obs_duration"].append(g)
    bench = env.unwrapped.benchmarks()
    assert list(bench) == list(BENCHMARK_KEYS)
    for key in BENCHMARK_KEYS:
        avg, dev = bench[key]
        expected_avg, expected_dev = polyak(samples[key], factor)
        assert avg == pytest.approx(expected_avg, rel=1e-12, abs=1e-15), key
        assert dev == pytest.approx(expected_dev, rel=1e-12, abs=1e-15), key
    assert bench["inference_duration"][1] > 0  # the thinking times vary: a real deviation


def test_trace_benchmarks_keep_histories(make_env):
    thinks = [DT / 2, DT / 4, DT / 8, 0.0]
    env = make_env(benchmark=True, benchmark_type="trace",
                   interface_kwargs={"capture_duration": DT / 16})
    clock = env.unwrapped.clock
    env.reset()
    for think in thinks:
        clock.sleep(think)
        env.step(A1)
    bench = env.unwrapped.benchmarks()
    assert set(bench) == {"clock", "deltas"}
    assert set(bench["deltas"]) == set(BENCHMARK_KEYS)
    deltas = bench["deltas"]
    assert all(len(v) == len(thinks) + 1 for v in deltas.values())  # reset + each step
    np.testing.assert_array_equal(deltas["inference_duration"], [NAN, *thinks])
    np.testing.assert_array_equal(deltas["get_obs_duration"], [DT / 16] * len(thinks) + [NAN])
    np.testing.assert_array_equal(deltas["time_step_duration"],
                                  [NAN, DT + DT / 16] + [DT] * (len(thinks) - 1))
    assert set(bench["clock"]) == {  # rtgym 0.16's keys
        "start_step", "end_step_join", "end_step", "start_get_obs", "end_get_obs",
        "start_send_control", "end_send_control"}
    np.testing.assert_array_equal(bench["clock"]["start_send_control"],
                                  trace(env)["send_start"])
    np.testing.assert_array_equal(bench["clock"]["end_get_obs"], trace(env)["capture_end"])


# -- seeding, determinism, gymnasium's checker --------------------------------------------


def trajectory(env_id: str, seed: int, thinks=(0.25, 0.5, 0.875, 1.5, 0.0, 0.75)):
    env = gymnasium.make(env_id, config=sim_config(start_obs_capture=DT / 2, act_buf_len=2))
    try:
        clock = env.unwrapped.clock
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        observations, rewards = [np.concatenate(obs)], []
        for think in thinks:
            clock.sleep(think * DT)
            obs, reward, *_ = env.step(env.action_space.sample())
            observations.append(np.concatenate(obs))
            rewards.append(reward)
        return np.array(observations), rewards, trace(env)
    finally:
        env.close()


def assert_same_trace(a, b):
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_seeded_runs_are_identical_timestamps_included(env_id):
    obs_a, rew_a, trace_a = trajectory(env_id, seed=3)
    obs_b, rew_b, trace_b = trajectory(env_id, seed=3)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert rew_a == rew_b
    assert_same_trace(trace_a, trace_b)
    obs_c, _, _ = trajectory(env_id, seed=4)
    assert not np.array_equal(obs_a, obs_c)


def test_both_ids_give_the_same_trajectory():
    runs = [trajectory(env_id, seed=7) for env_id in ENV_IDS]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert_same_trace(runs[0][2], runs[1][2])


def test_reset_seed_seeds_np_random_and_reaches_the_interface(make_env):
    env = make_env()
    env.reset(seed=42, options={"level": 2})
    unwrapped = env.unwrapped
    assert unwrapped.np_random_seed == 42
    expected, _ = seeding.np_random(42)
    assert unwrapped.np_random.random() == expected.random()
    env.reset()
    reset_calls = unwrapped.interface.named("reset")
    assert [c.args for c in reset_calls] == [(42, {"level": 2}), (None, None)]


def test_gymnasium_check_env(make_env):
    env = make_env()
    check_env(env.unwrapped)  # any warning of the checker is an error here
    with pytest.warns(UserWarning, match="unwrapped"):
        check_env(env)


def test_passive_checker_is_silent_on_a_full_episode(make_env):
    env = make_env(act_buf_len=2, ep_max_length=4)  # no disable_env_checker
    for _ in range(2):
        run_episode(env, [env.action_space.sample() for _ in range(4)])


# -- close and lifecycle -------------------------------------------------------------------


def test_step_reset_wait_render_after_close_raise(make_env):
    env = make_env()
    env.reset()
    env.close()
    env.close()  # idempotent
    for call in (lambda: env.step(A1), env.reset, env.unwrapped.wait, env.unwrapped.render):
        with pytest.raises(EnvClosedError):
            call()


def test_context_manager_closes(env_id):
    with gymnasium.make(env_id, config=sim_config()) as env:
        env.reset()
        env.step(A1)
    with pytest.raises(EnvClosedError):
        env.reset()
    with RealTimeEnv(sim_config()) as raw:
        assert "thread-per-step" in repr(raw)
    with RealTimeEnvTS(sim_config()) as raw_ts:
        assert "persistent-thread" in repr(raw_ts)
    assert raw.threads() == raw_ts.threads() == []


def test_repr(make_env):
    env = make_env()
    text = repr(env.unwrapped)
    assert "RecordingInterface" in text and "idle" in text
    env.reset()
    assert "running" in repr(env.unwrapped)
    env.close()
    assert "closed" in repr(env.unwrapped)


def test_registered_ids_use_the_right_runner():
    for env_id, runner in zip(ENV_IDS, ("thread-per-step", "persistent-thread"), strict=True):
        spec = gymnasium.spec(env_id)
        assert spec.entry_point == "rtgym_nb.env:RealTimeEnv"
        with gymnasium.make(env_id, config=sim_config()) as env:
            assert runner in repr(env.unwrapped)


def test_no_stray_warnings_in_a_normal_run(make_env):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = make_env(act_buf_len=2, interface_kwargs={"terminate_at": 5})
        for _ in range(3):
            run_episode(env, [A1] * 6, inference=DT / 2)


@pytest.mark.parametrize("capture", [DT, DT / 2])
def test_straight_simulated_step_matches_the_general_step(env_id, capture):
    """step()'s straight path on the simulated clock (no runner hand-off, no prepare hook, the
    pipeline's step_straight) returns, sends, traces and benchmarks exactly what the general
    path (the runner, the pipeline's general step) does: alarm captures
    (the caller sleeps past the capture time), timeouts, episode ends, the benchmarks."""
    from rtgym_nb.course.tutorial import proportional_controller, tutorial_config

    def run(straight: bool):
        config = tutorial_config(clock="simulated", benchmark=True, ep_max_length=30,
                                 time_step_duration=DT, start_obs_capture=capture)
        env = gymnasium.make(env_id, config=config)
        env.unwrapped._inline = env.unwrapped._pipeline.straight = straight
        env.unwrapped.warn_on_timeout = False
        clock = env.unwrapped.clock
        steps = []
        try:
            obs, _ = env.reset(seed=5)
            for k in range(80):
                clock.sleep((k % 11) * DT / 4)  # sometimes past the capture, sometimes late
                obs, reward, terminated, truncated, info = env.step(proportional_controller(obs))
                steps.append((obs, reward, terminated, truncated, info))
                if terminated or truncated:
                    obs, _ = env.reset()
            return (steps, trace(env), env.unwrapped.benchmarks(), env.unwrapped.timeouts,
                    [a.copy() for a in env.unwrapped.act_buf])
        finally:
            env.close()

    straight, general = run(True), run(False)
    assert general[3] > 0  # the scenario does time out
    for (o1, *rest1), (o2, *rest2) in zip(straight[0], general[0], strict=True):
        assert len(o1) == len(o2)
        for a, b in zip(o1, o2, strict=True):
            np.testing.assert_array_equal(a, b)
        assert rest1 == rest2
    assert_same_trace(straight[1], general[1])
    assert straight[2] == general[2]
    assert straight[3] == general[3]
    assert_actions_equal(straight[4], general[4])
