"""Tests of notebook 06's delay-stability helpers (rtgym_nb.course.lessons.delayed_mdps)."""

from __future__ import annotations

import math

import pytest

from rtgym_nb.course.lessons import delayed_mdps as lesson


@pytest.mark.parametrize("d", [0, 1, 2, 3, 4])
def test_stability_bound_separates_decay_from_growth(d):
    bound = lesson.stability_bound(d)
    assert lesson.recurrence_decays(0.97 * bound, d)
    assert not lesson.recurrence_decays(1.03 * bound, d)


def test_stability_bound_values():
    assert lesson.stability_bound(0) == 2
    assert lesson.stability_bound(1) == pytest.approx(1)
    assert lesson.stability_bound(2) == pytest.approx((math.sqrt(5) - 1) / 2)
    with pytest.raises(ValueError):
        lesson.stability_bound(-1)


def test_loop_delay_and_buffer_rule():
    assert lesson.loop_delay((0.02, 0.05)) == pytest.approx(0.12)
    assert lesson.loop_delay((0.02, 0.05), worst=False) == pytest.approx(0.08)
    assert lesson.delay_steps((0.02, 0.05)) == 3
    assert lesson.buffer_for((0.06, 0.12)) == 7
    assert lesson.buffer_for((0.06, 0.12), worst=False) == 5


def test_proportional_gain_per_step():
    controller = lesson.proportional(1.0)
    obs = ([0.0], [0.0], [0.01], [-0.02])
    assert controller(obs).tolist() == pytest.approx([0.2, -0.4])


def test_gain_sweep_fails_above_the_bound():
    sweep = lesson.gain_sweep(delays=[(0.02, 0.05)], gains=(0.2, 0.4, 0.7, 1.0), episodes=10)
    bound = lesson.stability_bound(lesson.delay_steps((0.02, 0.05)))
    for k, success in zip(sweep.gains, sweep.success[0], strict=True):
        if k > bound:
            assert success < 0.5
    assert sweep.largest_stable()[0] <= bound
    gain, success, _ = sweep.best()[0]
    assert success >= 0.9 and gain < bound
