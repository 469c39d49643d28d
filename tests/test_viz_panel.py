"""Tests of the widgets that run loops (viz.control_panel, viz.drone_pad), in plain Python."""

from __future__ import annotations

import time

import gymnasium
import numpy as np
import pytest

import rtgym_nb
from rtgym_nb.course.lessons.dashboard import measure_live_plot_cost
from rtgym_nb.course.tutorial import proportional_controller, run_episode, tutorial_config
from rtgym_nb.course.viz import ControlPanel, DronePad, RunResults, live_threads
from rtgym_nb.course.viz.control_panel import SETTINGS


def test_env_counts_timeouts_silently_when_warnings_are_off():
    # The panel steps from a background thread, where a warning would print into whatever cell
    # is active; it switches warnings off and reads the counter instead.
    with gymnasium.make("real-time-gym-v1", config=tutorial_config(clock="simulated")) as env:
        raw = env.unwrapped
        assert raw.warn_on_timeout is True
        raw.warn_on_timeout = False
        obs, _ = env.reset(seed=0)
        for _ in range(3):
            raw.clock.sleep(0.2)  # four time-steps of inference: beyond the elasticity
            obs, *_ = env.step(proportional_controller(obs))
        assert raw.timeouts == 3
        raw.warn_on_timeout = True
        raw.clock.sleep(0.2)
        with pytest.warns(rtgym_nb.TimeStepTimeoutWarning):
            env.step(np.zeros(2, dtype=np.float32))
        assert raw.timeouts == 4


# ------------------------------------------------------------------------------------------
# the control panel

@pytest.fixture
def panel():
    built = ControlPanel(seed=0)
    yield built
    built.close()
    assert live_threads() == []


def wait_for(condition, timeout=10.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_panel_has_the_css_classes_the_browser_test_looks_for(panel):
    assert "rtgym-panel" in panel._dom_classes
    assert panel.run_button.description == "Run" and "rtgym-run" in panel.run_button._dom_classes
    assert panel.stop_button.description == "Stop"
    assert "rtgym-stop" in panel.stop_button._dom_classes
    slider = panel.controls["time_step_duration"]
    assert "rtgym-time-step" in slider._dom_classes and slider.value == 50.0  # milliseconds
    assert "rtgym-status" in panel.status._dom_classes
    assert "rtgym-arena" in panel.arena_box._dom_classes
    assert panel.status.value.startswith("idle")
    assert panel.results is None and not panel.running
    assert panel.run_button.disabled is False and panel.stop_button.disabled is True
    bundle = panel._repr_mimebundle_()  # the live widget, and a picture for exports
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle


def test_controls_record_their_values_in_seconds(panel):
    panel.controls["time_step_duration"].value = 20.0
    panel.controls["start_obs_capture"].value = 0.5
    panel.controls["inference_time"].value = 15.0
    panel.controls["clock"].value = "simulated"
    panel.controls["act_buf_len"].value = 2
    settings = panel.settings()
    assert settings["time_step_duration"] == pytest.approx(0.02)
    assert settings["start_obs_capture"] == pytest.approx(0.01)
    assert settings["inference_time"] == pytest.approx(0.015)
    assert settings["clock"] == "simulated" and settings["act_buf_len"] == 2
    assert set(settings) == set(SETTINGS)


def test_defaults_and_config_initialise_the_controls():
    config = tutorial_config(clock="simulated", time_step_duration=0.1, start_obs_capture=0.05,
                             act_buf_len=6, interface_kwargs={"drone_kwargs": {"max_vel": 1.0}})
    built = ControlPanel(config, gain=10.0)
    try:
        assert built.controls["time_step_duration"].value == 100.0
        assert built.controls["start_obs_capture"].value == 0.5
        assert built.controls["act_buf_len"].value == 6
        assert built.controls["clock"].value == "simulated"
        assert built.controls["gain"].value == 10.0
        results = built.run(episodes=1, block=True)
        assert results.settings["time_step_duration"] == 0.1
        assert built._run.env.interface.drone.max_vel == 1.0  # interface_kwargs kept
    finally:
        built.close()
    with pytest.raises(TypeError, match="unknown setting"):
        ControlPanel(time_step=0.05)
    with pytest.raises(ValueError, match="DroneInterface"):
        ControlPanel({"interface": rtgym_nb.RealTimeGymInterface})
    with pytest.raises(ValueError, match="start_obs_capture"):
        ControlPanel(start_obs_capture=0.2)


def test_blocking_simulated_run_is_the_tutorial_run(panel):
    results = panel.run(episodes=3, block=True, clock="simulated")
    assert isinstance(results, RunResults) and panel.results is results
    assert len(results.episodes) == 3 and results.steps == sum(e["steps"] for e in
                                                               results.episodes)
    assert not results.running and not results.stopped and results.error is None
    assert results.trace is not None and len(results.trace["step"]) >= results.steps
    assert results.benchmarks["time_step_duration"][0] == pytest.approx(0.05)
    # the same as the tutorial's own loop with the same seed
    with gymnasium.make("real-time-gym-v1", config=tutorial_config(clock="simulated")) as env:
        expected = [run_episode(env, seed=0 if i == 0 else None) for i in range(3)]
    assert [e["steps"] for e in results.episodes] == [e["steps"] for e in expected]
    assert results.returns == pytest.approx([e["return"] for e in expected], abs=1e-9)
    # overrides are for this run only; the display shows the outcome
    assert panel.controls["clock"].value == "wall"
    assert panel.status.value.startswith("done") and "step 300" in panel.status.value
    assert "time_step_duration" in panel.benchmarks.value
    assert panel.arena.full_draws >= 1 and len(panel.reward_curve.current_line.get_xdata()) == 100
    assert panel.run_button.disabled is False and panel.stop_button.disabled is True
    # and it is reproducible
    again = panel.run(episodes=3, block=True, clock="simulated")
    assert again.episodes == results.episodes


def test_modelled_inference_time_times_out_silently(panel):
    # filterwarnings = error: a TimeStepTimeoutWarning would fail the test
    results = panel.run(episodes=1, block=True, clock="simulated", inference_time=0.12)
    assert results.timeouts == results.episodes[0]["timeouts"] > 90
    assert "timeouts" in panel.status.value


def test_blocking_run_needs_a_number_of_episodes_and_reraises_errors(panel):
    with pytest.raises(ValueError, match="episodes"):
        panel.run(block=True)
    with pytest.raises(TypeError, match="unknown setting"):
        panel.run(episodes=1, block=True, gian=3)
    with pytest.raises(gymnasium.error.Error):
        panel.run(episodes=1, block=True, env_id="no-such-env-v0")
    assert "the run failed" in panel.message.value
    assert panel.status.value.startswith("error")


def test_background_error_is_shown_in_the_panel_never_printed(panel, capfd):
    panel.run(episodes=1, env_id="no-such-env-v0", clock="simulated")
    wait_for(lambda: not panel.running)
    panel.stop()
    assert panel.results.error is not None
    assert "the run failed" in panel.message.value
    assert capfd.readouterr() == ("", "")


def test_live_settings_reach_a_running_loop(panel):
    panel.run(clock="simulated")  # paced: simulated time follows real time
    wait_for(lambda: panel.results.steps > 2)
    panel.controls["time_step_duration"].value = 20.0
    panel.controls["ep_max_length"].value = 500
    wait_for(lambda: panel._run.env.time_step_duration == pytest.approx(0.02))
    assert panel._run.env.ep_max_length == 500
    assert panel._run.env.start_obs_capture == pytest.approx(0.02)  # still at the end
    panel.stop()
    assert panel.results.stopped and not panel.running


@pytest.mark.wallclock
def test_wall_clock_run_stops_within_a_time_step_and_leaves_no_thread(panel, capfd):
    panel.run_button.click()  # what the Run button does: a background run
    assert panel.running and panel.run_button.disabled and not panel.stop_button.disabled
    wait_for(lambda: panel.results.steps >= 5)
    names = {t.name for t in live_threads()}
    assert {"rtgym_nb-panel-loop", "rtgym_nb-panel-draw"} <= names
    panel.run_button.click()  # a second click does not start a second loop
    assert sum(t.name == "rtgym_nb-panel-loop" for t in live_threads()) == 1
    started = time.perf_counter()
    panel.stop_button.click()
    assert time.perf_counter() - started < 0.5  # one 50 ms time-step, plus the final draw
    results = panel.results
    assert results.stopped and not results.running and results.error is None
    assert live_threads() == []
    env = panel._run.env
    assert env._closed and env.threads() == []
    steps = results.steps
    time.sleep(0.2)
    assert panel.results.steps == steps  # nothing keeps stepping
    assert panel.status.value.startswith("stopped")
    assert capfd.readouterr() == ("", "")


@pytest.mark.wallclock
def test_a_new_panel_stops_the_old_one(panel):
    panel.run()
    wait_for(lambda: panel.results.steps >= 2)
    newer = ControlPanel()  # as when the cell is run again
    try:
        assert not panel.running and panel.results.stopped
        assert live_threads() == []
        newer.run()
        wait_for(lambda: newer.results.steps >= 1)
        panel.run()  # starting a loop stops every other one
        assert not newer.running and newer.results.stopped
        assert sum(t.name == "rtgym_nb-panel-loop" for t in live_threads()) == 1
    finally:
        newer.close()


# ------------------------------------------------------------------------------------------
# the drone pad


@pytest.mark.wallclock
def test_drone_pad_flies_where_it_is_told_and_stops():
    pad = DronePad(seed=0)
    try:
        assert "rtgym-arena" in pad.children[0].children[1]._dom_classes
        pad.start()
        pad.set_velocity(1.0, 0.0)
        assert pad.controls["vel_x"].value == 1.0
        wait_for(lambda: pad.drone.true_position()[0] > 0.1)
        assert abs(pad.drone.true_position()[1]) < 1e-9
        assert len(pad.ages) > 0
        pad.stop()
        assert live_threads() == [] and not pad.running
        sent = pad.commands_sent
        time.sleep(0.15)
        assert pad.commands_sent == sent
        assert "stopped" in pad.status.value
    finally:
        pad.close()


def test_drone_pad_buttons_and_delays_without_running():
    pad = DronePad(seed=1)
    try:
        arrows = [b for b in pad.arrows.children if isinstance(b, type(pad.start_button))]
        up = next(b for b in arrows if b.icon == "arrow-up")
        up.click()
        up.click()
        assert pad.controls["vel_y"].value == pytest.approx(1.0)
        next(b for b in arrows if b.icon == "stop").click()
        assert pad.controls["vel_y"].value == 0.0
        old = pad.drone
        pad.controls["delays"].value = (60.0, 120.0)  # milliseconds
        assert pad.drone is not old
        assert (pad.drone.communication_delay_min, pad.drone.communication_delay_max) == (
            pytest.approx(0.06), pytest.approx(0.12))
        assert [line.get_xdata()[0] for line in pad.age_plot.bound_lines] == pytest.approx(
            [60, 130])
        before = pad.target.copy()
        pad.target_button.click()
        assert not np.array_equal(before, pad.target)
        with pytest.raises(ValueError):
            pad.set_delays(0.1, 0.05)
        pad.set_delays(0.15, 0.2)  # from code: the slider and the histogram follow
        assert pad.controls["delays"].value == (150.0, 200.0)
        assert pad.drone.communication_delay_min == 0.15
        assert pad.age_plot.axes.get_xlim()[1] >= 210
        pad.set_delays(0.023, 0.031)  # off the slider's 5 ms grid: the drone keeps the request
        assert pad.drone.communication_delay_min == 0.023
    finally:
        pad.close()


@pytest.mark.wallclock
def test_measure_live_plot_cost_reports_both_runs():
    cost = measure_live_plot_cost(0.5)
    assert [row["live_plot"] for row in cost.rows] == [False, True]
    assert all(row["steps"] > 0 for row in cost.rows)
    assert "live plot" in str(cost)
    assert live_threads() == []


def test_no_thread_is_left_by_this_module():
    assert live_threads() == []


# ------------------------------------------------------------------------------------------
# controllers, delays and the readouts (issue: every control changes what the class sees)


def test_controls_that_wait_for_the_next_run_say_so(panel):
    from rtgym_nb.course.viz.control_panel import NEXT_RUN

    for key in ("act_buf_len", "delays", "reset_act_buf", "clock", "env_id"):
        assert panel.controls[key].description.endswith(NEXT_RUN), key
    for key in ("time_step_duration", "gain", "inference_time", "controller"):
        assert NEXT_RUN not in panel.controls[key].description, key
    # and they do wait: a running loop keeps its buffer, while the controller changes live
    panel.run(clock="simulated")  # (an override would pin the controller for this run)
    wait_for(lambda: panel.results.steps > 2)
    panel.controls["act_buf_len"].value = 2
    panel.controls["controller"].value = "predictive"
    wait_for(lambda: type(panel._run.policy).__name__ == "PredictiveController")
    assert panel._run.env.act_buf_len == 4
    panel.stop()


def test_delay_range_reaches_the_drone(panel):
    panel.controls["delays"].value = (60.0, 100.0)  # milliseconds
    assert panel.settings()["delays"] == pytest.approx((0.06, 0.1))
    panel.run(episodes=1, block=True, clock="simulated")
    drone = panel._run.env.interface.drone
    assert (drone.communication_delay_min, drone.communication_delay_max) == (
        pytest.approx(0.06), pytest.approx(0.1))


def test_buffer_readout_follows_buffer_time_step_and_delays(panel):
    assert "200 ms</b> of the worst-case <b>160 ms" in panel.buffer_cover.value
    assert "enough" in panel.buffer_cover.value
    panel.controls["act_buf_len"].value = 2
    assert "100 ms</b> of the worst-case <b>160 ms" in panel.buffer_cover.value
    assert "too short" in panel.buffer_cover.value
    panel.controls["delays"].value = (20.0, 100.0)
    assert "worst-case <b>260 ms" in panel.buffer_cover.value
    panel.controls["time_step_duration"].value = 20.0
    assert "40 ms</b> of the worst-case <b>230 ms" in panel.buffer_cover.value


def ttt_seconds(panel):
    import re

    return float(re.search(r"([\d.]+) s", panel.time_to_target.value).group(1))


def test_predictive_controller_reaches_faster_with_a_longer_buffer_and_shorter_delays(panel):
    # what the dashboard's lesson claims, measured as the page shows it
    assert panel.time_to_target.value.startswith("time to target: –")
    measured = {}
    for buf, delays in ((4, (0.02, 0.05)), (1, (0.02, 0.05)), (1, (0.06, 0.1))):
        panel.run(episodes=5, block=True, clock="simulated", controller="predictive",
                  act_buf_len=buf, delays=delays)
        measured[buf, delays] = ttt_seconds(panel)
    short, long_ = measured[1, (0.02, 0.05)], measured[4, (0.02, 0.05)]
    assert long_ < short < measured[1, (0.06, 0.1)]
    assert "5 of 5 episodes reached" in panel.time_to_target.value or "≥" in (
        panel.time_to_target.value)
    # the proportional controller ignores the buffer: the buffer changes nothing for it
    a = panel.run(episodes=2, block=True, clock="simulated", act_buf_len=1)
    b = panel.run(episodes=2, block=True, clock="simulated", act_buf_len=4)
    assert [e["steps"] for e in a.episodes] == [e["steps"] for e in b.episodes]


def test_controller_registry_can_be_extended(monkeypatch):
    from rtgym_nb.course.controllers import CONTROLLERS

    seen = []

    def still(settings):
        seen.append(settings)
        return lambda obs: np.zeros(2, dtype=np.float32)

    monkeypatch.setitem(CONTROLLERS, "hover", still)
    built = ControlPanel(controller="hover", seed=0)
    try:
        assert "hover" in built.controls["controller"].options
        results = built.run(episodes=1, block=True, clock="simulated")
        assert results.episodes[0]["outcome"] == "truncated"
        assert seen and seen[0]["time_step_duration"] == 0.05 and "delays" in seen[0]
        assert built._run.env.interface.drone.true_position() == (0.0, 0.0)
    finally:
        built.close()
    with pytest.raises(ValueError, match="controller"):
        ControlPanel(controller="no such controller")


def test_the_learned_controller_flies_the_dashboard_and_is_trained_once_per_setting():
    from rtgym_nb.course.controllers import CONTROLLERS
    from rtgym_nb.course.learn import LinearPolicy, learned_policy

    learned_policy.cache_clear()
    settings = {"delays": (0.02, 0.05), "act_buf_len": 2, "time_step_duration": 0.05}
    policy = CONTROLLERS["learned"](settings)
    assert isinstance(policy, LinearPolicy) and len(policy.theta) == 3  # error + 2 actions
    assert CONTROLLERS["learned"](dict(settings)) is policy  # same settings: no retraining
    assert CONTROLLERS["learned"]({**settings, "act_buf_len": 1}) is not policy
    panel = ControlPanel(controller="learned", seed=0)
    try:
        results = panel.run(episodes=3, block=True, clock="simulated", act_buf_len=2)
        assert [e["outcome"] for e in results.episodes].count("reached") >= 2
    finally:
        panel.close()
