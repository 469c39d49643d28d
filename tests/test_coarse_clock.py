"""The coarse-timer clock (rtgym_nb.course.coarse_clock): waits on a grid, work exact."""

from __future__ import annotations

import numpy as np
import pytest

from rtgym_nb.course.coarse_clock import WINDOWS_TIMER, CoarseTimerClock
from rtgym_nb.course.lessons.timing import timed_run
from rtgym_nb.course.viz.timing_plots import periods


def test_waits_end_on_the_next_tick_and_work_takes_its_time():
    clock = CoarseTimerClock(resolution=0.01)
    clock.sleep_until(0.023)
    assert clock.now() == pytest.approx(0.03)
    clock.sleep_until(0.04)  # on a tick (up to float rounding): no extra tick
    assert clock.now() == pytest.approx(0.04)
    clock.sleep(0.002)  # computing is not waiting
    assert clock.now() == pytest.approx(0.042)
    fired = []
    clock.call_at(0.051, lambda: fired.append(clock.now()))
    clock.sleep(0.005)  # work up to 0.047: the timer's tick (0.06) has not come
    assert fired == []
    clock.sleep_until(0.055)  # the wait ends on the tick at 0.06, where the timer fires
    assert fired == [pytest.approx(0.06)] and clock.now() == pytest.approx(0.06)
    assert WINDOWS_TIMER * 64 == 1.0
    with pytest.raises(ValueError, match="resolution"):
        CoarseTimerClock(resolution=0.0)
    with pytest.raises(ValueError, match="negative"):
        clock.sleep(-1.0)


def test_the_alarm_rings_on_the_tick_after_its_time_as_timers_fire():
    clock = CoarseTimerClock(resolution=0.01)
    rang = []
    clock.claim_alarm(lambda: rang.append(clock.now()))
    clock.alarm_at = 0.051
    clock.sleep(0.055)  # work up to 0.055: the alarm's tick (0.06) has not come
    assert rang == []
    clock.sleep_until(0.056)
    assert rang == [pytest.approx(0.06)]


def test_the_readme_windows_histogram_and_what_elasticity_does():
    # 20 ms time-steps on a 15.625 ms timer: periods of one or two ticks, 20 ms on average
    run = timed_run(0.002, time_step=0.02, steps=200, jitter=0.0, clock=CoarseTimerClock())
    control = periods(run.arrays)["control"]
    assert set(np.round(control * 1e3, 2)) == {15.62, 31.25}
    assert control.mean() == pytest.approx(0.02, abs=1e-4)
    assert run.timeouts == 0
    # an elasticity shorter than the tick: every step times out, the loop runs at 32 Hz
    run = timed_run(0.002, time_step=0.02, steps=200, jitter=0.0, clock=CoarseTimerClock(),
                    timeout_factor=0.5)
    assert run.timeouts == 200
    slow = periods(run.arrays)["control"]
    assert slow == pytest.approx(np.full_like(slow, 0.03125))
    # the precise clock next to it
    precise = periods(timed_run(0.002, time_step=0.02, steps=200, jitter=0.0).arrays)
    assert precise["control"] == pytest.approx(np.full_like(precise["control"], 0.02))
