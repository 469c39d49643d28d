"""RunningQuantile: settles on its quantile, shrugs off outliers, catches up with a shift."""

from __future__ import annotations

import numpy as np
import pytest

from rtgym_nb._quantile import RunningQuantile

US = 1e-6


def _feed(tracker: RunningQuantile, samples) -> list[float]:
    return [tracker.add(float(x)) for x in samples]


@pytest.mark.parametrize("quantile", [0.9, 0.95])
def test_settles_where_the_quantile_of_the_samples_is(quantile):
    """Overshoot-like samples (a floor plus a long tail): the fraction of later samples at or
    below the estimate is close to ``quantile``. (Meant for high quantiles: at the median,
    misses in a row are common and the growing steps lift it to about the 61st percentile.)"""
    rng = np.random.default_rng(1)
    samples = (150 + rng.gamma(2.0, 30.0, 40_000)) * US
    tracker = RunningQuantile(100 * US, quantile, step=0.5 * US)
    values = _feed(tracker, samples)
    # fraction of samples at or below the estimate in force when each arrived, once settled
    below = samples[20_001:] <= np.array(values[20_000:-1])
    assert below.mean() == pytest.approx(quantile, abs=0.02)


def test_a_lone_outlier_moves_it_by_one_up_step():
    tracker = RunningQuantile(100 * US, 0.9, step=0.5 * US)
    before = tracker.value
    tracker.add(5e-3)  # a 5 ms preemption
    assert tracker.value == pytest.approx(before + 4.5 * US)
    tracker.add(0.0)
    assert tracker.value == pytest.approx(before + 4.0 * US)


def test_misses_in_a_row_raise_it_by_growing_steps():
    tracker = RunningQuantile(0.0, 0.9, step=0.5 * US)
    _feed(tracker, [1.0] * 4)
    assert tracker.value == pytest.approx((1 + 2 + 3 + 4) * 4.5 * US)
    tracker.add(0.0)  # a sample below ends the run: the next miss is one up-step again
    value = tracker.value
    tracker.add(1.0)
    assert tracker.value == pytest.approx(value + 4.5 * US)


def test_the_up_step_stops_growing_at_max_run():
    """So that the last step of a long run cannot carry the estimate far past the samples."""
    tracker = RunningQuantile(0.0, 0.9, step=0.5 * US)
    runs = RunningQuantile.MAX_RUN
    values = _feed(tracker, [1.0] * (runs + 5))
    assert values[runs - 1] == pytest.approx(runs * (runs + 1) / 2 * 4.5 * US)
    steps = np.diff(values[runs - 1:])
    assert steps == pytest.approx([runs * 4.5 * US] * 5)


def test_catches_up_with_a_shifted_distribution_in_a_handful_of_samples():
    """Overshoots that jump by 100 us (a machine that got busier): with fixed steps the
    estimate would stay below them for ~22 samples; growing steps take 6."""
    rng = np.random.default_rng(2)
    tracker = RunningQuantile(100 * US, 0.9, step=0.5 * US)
    _feed(tracker, (80 + rng.uniform(0, 20, 2000)) * US)  # settled near 98 us
    shifted = (180 + rng.uniform(0, 20, 50)) * US
    values = _feed(tracker, shifted)
    first_caught_up = next(i for i, v in enumerate(values) if v >= 180 * US)
    assert first_caught_up <= 8


def test_bounds_and_bad_arguments():
    tracker = RunningQuantile(1.0, 0.9, step=0.1, low=0.5, high=2.0)
    _feed(tracker, [10.0] * 10)
    assert tracker.value == 2.0
    _feed(tracker, [0.0] * 100)
    assert tracker.value == 0.5
    assert RunningQuantile(5.0, 0.9, step=0.1, high=2.0).value == 2.0
    with pytest.raises(ValueError, match="quantile"):
        RunningQuantile(0.0, 1.0, step=0.1)
    with pytest.raises(ValueError, match="step"):
        RunningQuantile(0.0, 0.5, step=0.0)
    with pytest.raises(ValueError, match="low <= high"):
        RunningQuantile(0.0, 0.5, step=0.1, low=1.0, high=0.0)
