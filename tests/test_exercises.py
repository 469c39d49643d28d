"""Tests of rtgym_nb.course.exercises: each check accepts the right answer, explains wrong ones."""

from __future__ import annotations

from rtgym_nb.course.exercises import (
    Feedback,
    check_buffer_length,
    check_parking_policy,
    check_proportional_gain,
    check_stability_bound,
)


def test_feedback_reads_as_one_line():
    assert str(Feedback(True, "fine")) == "✓ fine" and repr(Feedback(False, "no")) == "✗ no"
    assert Feedback(True, "") and not Feedback(False, "")


def test_check_buffer_length_tells_mean_from_worst_case():
    assert check_buffer_length(5, delay=(0.04, 0.08))
    mean_only = check_buffer_length(4, delay=(0.04, 0.08))
    assert not mean_only and "mean" in mean_only.message
    assert "too short" in check_buffer_length(2, delay=(0.04, 0.08)).message
    assert "longer than needed" in check_buffer_length(9, delay=(0.04, 0.08)).message
    assert check_buffer_length(7)  # 60-120 ms: 310 ms, 6.2 steps
    assert "310 ms" in check_buffer_length(7).message


def test_check_stability_bound():
    assert check_stability_bound(0.618, d=2)
    assert check_stability_bound(1.0, d=1)
    assert "still decays" in check_stability_bound(0.5, d=2).message
    assert "already oscillates" in check_stability_bound(0.7, d=2).message


def test_check_proportional_gain_flies_the_drone():
    good = check_proportional_gain(0.2)
    assert good and "100%" in good.message
    tutorial = check_proportional_gain(1.0)
    assert not tutorial and "circles" in tutorial.message


def test_check_parking_policy():
    def predicts(x, in_flight):
        will_be = x + in_flight
        return 0 if will_be == 3 else (1 if will_be < 3 else -1)

    def turn_based(x, in_flight):
        return 0 if x == 3 else (1 if x < 3 else -1)

    assert check_parking_policy(predicts)
    wrong = check_parking_policy(turn_based)
    assert not wrong and "of 21 starts" in wrong.message
    illegal = check_parking_policy(lambda x, f: 2)
    assert not illegal and "returned 2" in illegal.message
