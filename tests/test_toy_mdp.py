"""Tests of rtgym_nb.course.toy_mdp and the experiments of notebook 07 (lessons.learning)."""

from __future__ import annotations

import numpy as np
import pytest

from rtgym_nb.course import toy_mdp
from rtgym_nb.course.learn import Task
from rtgym_nb.course.lessons import learning


def test_step_applies_the_action_in_flight_in_real_time():
    right, stay, left = 2, 1, 0
    assert toy_mdp.step(2, right, stay, "turn-based") == (3, right, 0.0)
    assert toy_mdp.step(2, right, stay, "real-time") == (2, right, -1.0)  # stay still applies
    assert toy_mdp.step(2, stay, right, "real-time") == (3, stay, 0.0)
    assert toy_mdp.step(0, left, left, "real-time")[0] == 0  # walls


@pytest.mark.parametrize("seed", [0, 1])
def test_q_learning_needs_the_action_in_flight_in_real_time(seed):
    results = learning.toy_lesson(seed=seed)
    rates = {label: toy_mdp.settle_rate(r) for label, r in results.items()}
    assert rates["turn-based, state x"] == 1.0
    assert rates["real-time, state (x, a[t-1])"] == 1.0
    assert rates["real-time, state x"] < 0.5
    blind = results["real-time, state x"]
    start = toy_mdp.first_failure(blind)
    assert start is not None
    assert toy_mdp.first_failure(results["real-time, state (x, a[t-1])"]) is None


def test_q_learning_is_deterministic():
    a = toy_mdp.q_learning(seed=3, episodes=200)
    b = toy_mdp.q_learning(seed=3, episodes=200)
    np.testing.assert_array_equal(a.q, b.q)
    assert a.q.shape == (7, 3)
    assert toy_mdp.q_learning("real-time", "position+action", episodes=10).q.shape == (21, 3)


def test_train_side_by_side_keeps_learners_level_and_can_stop():
    seen = []
    learners = learning.train_side_by_side(
        {"a": Task(act_buf_len=1), "b": Task(act_buf_len=0)}, steps=1500, seed=0,
        on_iteration=lambda label, record: seen.append((label, record.steps)))
    assert all(learner.steps >= 1500 for learner in learners.values())
    assert {label for label, _ in seen} == {"a", "b"}
    # the learner advanced is always the one behind
    steps = {"a": 0, "b": 0}
    for label, total in seen:
        assert steps[label] <= max(steps.values())
        steps[label] = total
    stopped = learning.train_side_by_side({"a": Task()}, steps=10**6, should_stop=lambda: True)
    assert stopped["a"].steps == 0


def test_theta_at_replays_a_shorter_budget():
    long = learning.train_side_by_side({"a": Task(act_buf_len=1)}, steps=3000, seed=2)["a"]
    short = learning.train_side_by_side({"a": Task(act_buf_len=1)}, steps=1000, seed=2)["a"]
    np.testing.assert_array_equal(learning.theta_at(long, 1000), short.mean)


def test_separated_compares_intervals():
    assert learning.separated({"x": [1.0, 1.1, 1.05], "y": [0.0, 0.1, 0.05]}, "x", "y")
    assert not learning.separated({"x": [1.0, 0.0, 2.0], "y": [0.9, 1.0, 1.1]}, "x", "y")
