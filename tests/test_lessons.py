"""Tests of rtgym_nb.course.lessons: the seeded runs behind notebooks 04-06.

All on the simulated clock except the one marked ``wallclock``.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from rtgym_nb.course.lessons import delayed_mdps, timing, transitions
from rtgym_nb.course.parallel import SERIAL

DT = 0.05


# ----------------------------------------------------------------------------- elastic clock


def test_elastic_run_absorbs_late_steps_when_inference_fits_on_average():
    arrays = timing.elastic_run(0.04, jitter=0.2)  # 32-48 ms: never late
    assert int(arrays["timeouts"]) == 0
    sends = np.diff(arrays["send_start"])
    assert sends == pytest.approx(np.full(len(sends), DT))

    arrays = timing.elastic_run(0.035, jitter=0.5)  # up to 52.5 ms: some steps late, caught up
    assert int(arrays["timeouts"]) == 0
    durations = np.diff(arrays["send_start"])
    assert (durations > DT + 1e-9).any(), "some time-steps should run late"
    # nominal starts stay on the grid: lateness is absorbed by the following step
    assert np.diff(arrays["nominal_start"]) == pytest.approx(np.full(len(durations), DT))


def test_elastic_run_breaks_when_inference_is_too_long():
    arrays = timing.elastic_run(0.08)
    assert int(arrays["timeouts"]) > 10
    assert int(arrays["timeouts"]) == int(arrays["timed_out"].sum())
    lateness = arrays["send_end"][1:] - arrays["nominal_end"][:-1]
    # a time-step times out exactly when it starts one elasticity (1 time-step) late or more
    assert ((lateness >= DT - 1e-12) == arrays["timed_out"][1:]).all()
    more_elastic = timing.elastic_run(0.08, timeout_factor=3.0)
    assert int(more_elastic["timeouts"]) < int(arrays["timeouts"])


def test_elastic_run_is_deterministic_and_validates():
    a, b = timing.elastic_run(0.05, seed=3), timing.elastic_run(0.05, seed=3)
    for key in ("send_start", "capture_start", "timed_out", "inference"):
        np.testing.assert_array_equal(a[key], b[key])
    assert len(a["step"]) == 81 and np.isnan(a["inference"][0])
    with pytest.raises(ValueError, match="inference_time"):
        timing.elastic_run(-0.01)
    with pytest.raises(ValueError, match="jitter"):
        timing.elastic_run(0.01, jitter=2.0)


# ----------------------------------------------------------------------------- reset transitions


def sent_at_second_reset(run: transitions.TransitionRun) -> list[float]:
    return run.sent_during(run.resets()[1])


def test_transition_defaults_send_the_default_action_and_refill_the_buffer():
    run = transitions.transition_run()
    first, second = run.resets()
    assert first.buffer == (0.0, 0.0)
    assert sent_at_second_reset(run) == [0.0]
    assert second.buffer == (0.0, 0.0)
    last_step = run.steps(episode=0)[-1]
    assert last_step.done and run.sent_during(last_step) == []  # a3 is never sent
    # a2 stays applied from its send until the next reset sends a0
    assert run.applied_at(second.start - 1e-6) == 2.0
    assert run.applied_at(second.end + 1e-6) == 0.0
    assert run.timeouts == 1  # the pause between episodes broke the elastic constraint


def test_transition_keep_buffer_replaces_only_the_unsent_last_action():
    run = transitions.transition_run(reset_act_buf=False)
    assert sent_at_second_reset(run) == [0.0]
    assert run.resets()[1].buffer == (2.0, 0.0)


def test_transition_last_act_on_reset_sends_the_episodes_last_action():
    run = transitions.transition_run(reset_act_buf=False, last_act_on_reset=True)
    assert sent_at_second_reset(run) == [3.0]
    assert run.resets()[1].buffer == run.steps(episode=0)[-1].buffer == (2.0, 3.0)


def test_transition_set_default_action_matches_last_act_on_reset():
    run = transitions.transition_run(reset_act_buf=False, set_default_on_done=True)
    assert sent_at_second_reset(run) == [3.0]
    assert run.resets()[1].buffer == (2.0, 3.0)


def test_transition_wait_on_done_pauses_without_timeout():
    run = transitions.transition_run(wait_on_done=True, wait_action=-1.0)
    assert run.timeouts == 0
    kinds = [e.kind for e in run.events if e.kind != "capture"]
    # the episode's last step triggers wait(), which lands the device (-1) until reset()
    first_wait = kinds.index("wait")
    assert kinds[first_wait + 1] == "device" and kinds[first_wait + 2] == "reset"
    second = run.resets()[1]
    assert run.applied_at(second.start - 1e-6) == -1.0
    segments = run.segments(until=1.0)
    assert segments[-1][1] == 1.0 and {s[3] for s in segments} == {"send", "device"}


def test_recording_interface_reset_action():
    run = transitions.transition_run(reset_action=7.0)
    reset = run.resets()[1]
    device = [e for e in run.events if e.kind == "device"]
    assert [e.value for e in device] == [7.0, 7.0]
    assert reset.start <= device[1].time <= reset.end


# ----------------------------------------------------------------------------- delayed MDPs


def test_predictive_controller_beats_the_proportional_one_at_default_delays():
    proportional = delayed_mdps.evaluate("proportional", episodes=10)
    predictive = delayed_mdps.evaluate("predictive", episodes=10)
    assert predictive.success_rate >= 0.9
    assert proportional.success_rate <= 0.3
    assert predictive.success_rate - proportional.success_rate >= 0.6
    assert predictive.time_to_target < 1.0


def test_evaluate_accepts_a_callable_and_rejects_unknown_names():
    stats = delayed_mdps.evaluate(lambda obs: np.zeros(2, dtype=np.float32), episodes=2)
    assert not stats.reached.any() and np.isnan(stats.time_to_target)
    assert stats.steps.tolist() == [100, 100]
    with pytest.raises(ValueError, match="unknown controller"):
        delayed_mdps.evaluate("bang-bang", episodes=1)


def test_sweep_is_deterministic_and_shaped():
    kwargs = {"delays": [(0.0, 0.01), (0.04, 0.08)], "buffer_lengths": [0, 3], "episodes": 4,
              "executor": SERIAL}
    a, b = delayed_mdps.sweep(**kwargs), delayed_mdps.sweep(**kwargs)
    for name in ("proportional", "predictive"):
        assert a.success[name].shape == (2, 2)
        np.testing.assert_array_equal(a.success[name], b.success[name])
        np.testing.assert_array_equal(a.time_to_target[name], b.time_to_target[name])
    # the proportional controller ignores the buffer: one value per delay range
    assert (a.success["proportional"][:, 0] == a.success["proportional"][:, 1]).all()
    # a buffer that covers the delays makes the long delays manageable
    assert a.success["predictive"][1, 1] > a.success["predictive"][1, 0]
    table = a.table("predictive")
    assert "buf=3" in table and "delay  40- 80 ms" in table
    assert "buf=0" in a.table("proportional", what="time")


def test_predictability_grows_with_the_buffer_until_it_covers_the_delay():
    result = delayed_mdps.predictability(episodes=6)
    r2 = result["r2"]
    assert r2[0] == pytest.approx(0.0, abs=1e-12)  # nothing explained without actions
    assert r2[1] < 0.05  # the newest action has not reached the drone yet
    assert r2[3] > 0.7
    assert np.all(np.diff(r2) > -1e-3)
    # the fitted weights are how long each command moves the drone between observations
    assert result["weights"].sum() == pytest.approx(DT, rel=0.15)


# ----------------------------------------------------------------------------- wall clock


@pytest.mark.wallclock
def test_background_run_steps_in_real_time_and_reports_errors():
    with timing.BackgroundRun(0.3, time_step=0.02) as run:
        assert run.running
        run.join(5.0)
        arrays = run.arrays()
    assert 5 <= run.steps <= 16  # 15 on an idle machine; generous under load
    assert not run.running
    assert run.env.unwrapped.threads() == []
    periods = np.diff(arrays["send_start"])
    assert np.median(periods) == pytest.approx(0.02, abs=0.005)

    def broken(obs):
        raise RuntimeError("policy failed")

    run = timing.BackgroundRun(0.3, time_step=0.02, policy=broken).start()
    with pytest.raises(RuntimeError, match="policy failed"):
        run.join(5.0)
    run.close()


# ----------------------------------------------------------------------------- notebook 04 extras


def test_timed_run_benchmarks_are_polyak_averages_of_the_trace():
    run = timing.timed_run(0.014, time_step=DT)
    raw = run.durations["inference_duration"]
    values = raw[np.isfinite(raw)]
    average = values[0]
    for value in values[1:]:
        average += 0.1 * (value - average)
    assert run.benchmarks["inference_duration"][0] == pytest.approx(average)
    assert run.benchmarks["join_duration"][0] == pytest.approx(0.0347, abs=5e-4)
    assert run.benchmarks["time_step_duration"][0] == pytest.approx(DT)


def test_capture_time_adds_to_the_delay_or_makes_actions_late():
    from rtgym_nb.course.viz.timing_plots import capture_delays

    at_end = capture_delays(timing.timed_run(0.01, jitter=0.0, steps=12,
                                             capture_time=0.02).arrays)
    early = capture_delays(timing.timed_run(0.01, jitter=0.0, steps=12, capture_time=0.02,
                                            start_obs_capture=0.03).arrays)
    none = capture_delays(timing.timed_run(0.01, jitter=0.0, steps=12).arrays)
    assert none == pytest.approx({"delay": DT, "late": 0.0})
    assert at_end == pytest.approx({"delay": DT + 0.02, "late": 0.02})
    assert early == pytest.approx({"delay": DT + 0.02, "late": 0.0}, abs=1e-12)
    too_long = timing.timed_run(0.01, jitter=0.0, steps=12, capture_time=0.07)
    assert too_long.timeouts == 12


@pytest.mark.wallclock
def test_who_calls_shows_the_threads_of_each_runner():
    def callers(env_id, start=None):
        found = {}
        for call in timing.who_calls(env_id, start_obs_capture=start, steps=3):
            found.setdefault(call.method, set()).add(call.thread)
        return found

    main = {"MainThread"}
    assert callers("real-time-gym-v1") == dict.fromkeys(
        ("__init__", "reset", "send_control", "get_obs_rew_terminated_info"), main)
    mid = callers("real-time-gym-v1", 0.01)
    assert mid["get_obs_rew_terminated_info"] == {"rtgym_nb-capture"}
    assert mid["send_control"] == main
    worker = {"rtgym_nb-worker"}
    for start in (None, 0.01):
        assert set(map(frozenset, callers("real-time-gym-ts-v1", start).values())) == {
            frozenset(worker)}


def test_sweep_gives_the_same_results_whatever_the_executor():
    kwargs = {"delays": [(0.0, 0.01), (0.04, 0.08)], "buffer_lengths": [1, 3], "episodes": 3,
              "seed": 5}
    serial = delayed_mdps.sweep(**kwargs, executor=SERIAL)
    with ProcessPoolExecutor(2) as pool:
        pooled = delayed_mdps.sweep(**kwargs, executor=pool)
    for name in ("proportional", "predictive"):
        np.testing.assert_array_equal(serial.success[name], pooled.success[name])
        np.testing.assert_array_equal(serial.time_to_target[name], pooled.time_to_target[name])
    assert serial.table("predictive", "time") == pooled.table("predictive", "time")
