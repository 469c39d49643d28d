"""Tests of rtgym_nb.course.controllers: the timing model, the prediction and the control law."""

from __future__ import annotations

import numpy as np
import pytest

from rtgym_nb.course.controllers import (
    PredictiveController,
    action_weights,
    clip_speed,
    split_observation,
)
from rtgym_nb.course.tutorial import proportional_controller


def obs_with(position, target, buffer=()):
    f = np.float32
    entries = [np.array([position[0]], f), np.array([position[1]], f),
               np.array([target[0]], f), np.array([target[1]], f)]
    return (*entries, *(np.array(a, dtype=f) for a in buffer))


def test_split_observation():
    position, target, buffer = split_observation(
        obs_with((0.1, -0.2), (0.3, 0.4), [(1.0, 2.0), (-1.0, 0.5)]))
    assert position == pytest.approx([0.1, -0.2])
    assert target == pytest.approx([0.3, 0.4])
    assert buffer.shape == (2, 2)
    assert buffer[-1] == pytest.approx([-1.0, 0.5])  # newest last, as in the env
    _, _, empty = split_observation(obs_with((0, 0), (0, 0)))
    assert empty.shape == (0, 2)
    with pytest.raises(ValueError, match="at least 4"):
        split_observation((np.zeros(1),))


def test_action_weights_by_hand():
    # window [-age, dt + latency] = [-0.04, 0.09]; command k (1 = newest) drives the drone on
    # [-(k-1)*dt + latency, ... + dt]: k=4 [-0.11, -0.06] -> 0, k=3 [-0.06, -0.01] -> 0.03,
    # k=2 [-0.01, 0.04] -> 0.05, k=1 [0.04, 0.09] -> 0.05
    weights = action_weights(4, 0.05, 0.04, 0.04)
    assert weights == pytest.approx([0.0, 0.03, 0.05, 0.05])
    assert action_weights(0, 0.05, 0.04, 0.04).shape == (0,)
    # a long enough buffer accounts for the whole window, a short one for part of it
    assert action_weights(6, 0.05, 0.04, 0.04).sum() == pytest.approx(0.13)
    assert action_weights(1, 0.05, 0.04, 0.04).sum() == pytest.approx(0.05)


@pytest.mark.parametrize(("args", "match"), [
    ((-1, 0.05, 0.04, 0.04), "buffer length"),
    ((2, 0.0, 0.04, 0.04), "time_step"),
    ((2, 0.05, -0.01, 0.04), "latency and age"),
])
def test_action_weights_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        action_weights(*args)


def test_clip_speed_scales_norm_like_the_drone():
    clipped = clip_speed(np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]]), 2.0)
    assert clipped[0] == pytest.approx([1.2, 1.6])
    assert clipped[1] == pytest.approx([0.3, 0.4])
    assert clipped[2] == pytest.approx([0.0, 0.0])


def test_empty_buffer_is_the_proportional_controller():
    controller = PredictiveController()
    obs = obs_with((0.1, -0.2), (0.3, 0.25))
    gain = controller.gain / controller.time_step
    assert controller(obs) == pytest.approx(proportional_controller(obs, gain=gain))


def test_prediction_adds_what_the_buffered_commands_will_move():
    controller = PredictiveController(time_step=0.05, latency=0.04, age=0.04)
    still = obs_with((0.1, 0.2), (0.0, 0.0), [(0.0, 0.0)] * 4)
    assert controller.predict(still) == pytest.approx([0.1, 0.2])
    moving = obs_with((0.1, 0.2), (0.0, 0.0), [(0, 0), (1.0, 0.0), (1.0, 0.0), (0.0, -2.0)])
    # weights [0, 0.03, 0.05, 0.05]
    assert controller.predict(moving) == pytest.approx([0.1 + 0.08, 0.2 - 0.10])
    # commands beyond max_speed count at max_speed, as the drone clips them
    fast = obs_with((0.0, 0.0), (0.0, 0.0), [(0, 0), (0, 0), (0, 0), (30.0, 40.0)])
    assert controller.predict(fast) == pytest.approx([0.05 * 1.2, 0.05 * 1.6])


def test_command_steers_from_the_prediction_and_is_clipped():
    controller = PredictiveController(gain=0.5)
    # the in-flight commands will carry the drone exactly onto the target: no correction
    obs = obs_with((0.0, 0.0), (0.08, 0.0), [(0, 0), (1.0, 0.0), (1.0, 0.0), (0.0, 0.0)])
    assert controller(obs) == pytest.approx([0.0, 0.0], abs=1e-6)
    far = obs_with((-0.5, 0.5), (0.5, -0.5), [(0, 0)] * 4)
    action = controller(far)
    assert action.dtype == np.float32
    assert action == pytest.approx([2.0, -2.0])


def test_for_drone_uses_the_mean_delay_plus_half_a_tick():
    controller = PredictiveController.for_drone(0.02, 0.05, control_sleep=0.01, gain=0.6)
    assert controller.latency == pytest.approx(0.04)
    assert controller.age == pytest.approx(0.04)
    assert controller.gain == 0.6


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"time_step": 0.0}, "time_step"),
    ({"latency": -0.1}, "latency and age"),
    ({"gain": 0.0}, "gain"),
    ({"gain": 3.0}, "gain"),
    ({"max_speed": 0.0}, "max_speed"),
])
def test_controller_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PredictiveController(**kwargs)
