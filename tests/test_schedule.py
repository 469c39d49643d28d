"""The elastic schedule: rtgym 0.16's ``_update_timestamps`` rule, as pure arithmetic.

rtgym 0.16: ``if now < t_end + time_step_duration * timeout_factor: t_start = t_end`` (catch
up), ``else: t_start = now`` (timeout, warned unless the env was waiting); then
``t_co = t_start + start_obs_capture`` and ``t_end = t_start + time_step_duration``.
Times below are binary fractions, so every comparison is exact.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtgym_nb._schedule import ElasticSchedule

D = 0.0625  # time-step
OBS = 0.03125  # capture offset


def started(now: float = 1.0, factor: float = 1.0) -> ElasticSchedule:
    schedule = ElasticSchedule(D, OBS, factor)
    schedule.restart(now)
    return schedule


def test_not_started_until_restart():
    schedule = ElasticSchedule(D, OBS, 1.0)
    assert not schedule.started
    assert math.isnan(schedule.start) and math.isnan(schedule.end)
    schedule.restart(2.0)
    assert schedule.started


def test_restart_fakes_a_time_step_ending_now():
    schedule = started(now=2.0)
    assert (schedule.start, schedule.obs, schedule.end) == (2.0 - D, 2.0 - D + OBS, 2.0)


@pytest.mark.parametrize("now", [1.0 - D / 2, 1.0, 1.0 + D / 2, 1.0 + D - 2**-20])
def test_within_elasticity_next_step_starts_at_previous_nominal_end(now):
    schedule = started(now=1.0)
    assert schedule.advance(now) is False
    assert (schedule.start, schedule.obs, schedule.end) == (1.0, 1.0 + OBS, 1.0 + D)


def test_late_steps_are_caught_up_on_the_nominal_grid():
    schedule = started(now=1.0)
    for k, lateness in enumerate([0.0, D * 0.75, D * 0.5, 0.0, D * 0.9]):
        previous_end = schedule.end
        assert schedule.advance(previous_end + lateness) is False
        assert schedule.start == previous_end == 1.0 + k * D
        assert schedule.end == 1.0 + (k + 1) * D


@pytest.mark.parametrize("factor", [1.0, 0.5, 2.0])
def test_at_or_beyond_elasticity_the_step_restarts_from_now(factor):
    schedule = started(now=1.0, factor=factor)
    boundary = 1.0 + D * factor  # rtgym: `now < t_end + timeout` keeps elasticity, so == breaks
    assert schedule.advance(boundary) is True
    assert (schedule.start, schedule.obs, schedule.end) == (boundary, boundary + OBS,
                                                            boundary + D)
    later = schedule.end + D * factor + 0.25
    assert schedule.advance(later) is True
    assert schedule.start == later


def test_just_before_the_boundary_is_not_a_timeout():
    schedule = started(now=1.0, factor=0.5)
    assert schedule.advance(1.0 + D * 0.5 - 2**-30) is False
    assert schedule.start == 1.0


def test_waiting_excuses_the_break_that_follows():
    schedule = started(now=1.0)
    schedule.waiting = True
    assert schedule.advance(5.0) is False  # elasticity broken, but expected after wait()
    assert schedule.start == 5.0
    assert schedule.waiting is False
    assert schedule.advance(10.0) is True  # the next break is a timeout again


def test_waiting_excuses_only_the_next_time_step():
    # Deliberate difference with rtgym 0.16, which kept `is_waiting` until elasticity broke,
    # so a genuine timeout many steps after wait() went unreported.
    schedule = started(now=1.0)
    schedule.waiting = True
    assert schedule.advance(1.0) is False  # on time: nothing to excuse
    assert schedule.waiting is False
    assert schedule.advance(7.0) is True


def test_lateness():
    schedule = started(now=1.0)
    assert schedule.lateness(1.0 + D) == D
    assert schedule.lateness(1.0 - D) == -D


def test_changed_duration_and_offset_apply_from_the_next_step():
    schedule = started(now=1.0)
    schedule.duration = 2 * D
    schedule.obs_offset = 0.0
    assert (schedule.start, schedule.end) == (1.0 - D, 1.0)  # the current step is untouched
    schedule.advance(1.0)
    assert (schedule.start, schedule.obs, schedule.end) == (1.0, 1.0, 1.0 + 2 * D)


def rtgym_rule(t_end: float, now: float, duration: float, factor: float):
    """rtgym 0.16's ``_update_timestamps``, restated: (t_start, timed_out)."""
    if now < t_end + duration * factor:
        return t_end, False
    return now, True


@given(
    factor=st.sampled_from([0.25, 0.5, 1.0, 1.5, 3.0]),
    delays=st.lists(st.integers(min_value=-4, max_value=16), min_size=1, max_size=30),
)
def test_matches_rtgym_rule_on_any_sequence_of_call_times(factor, delays):
    """Calls arrive ``delay/8`` time-steps after each nominal end (early, late or very late)."""
    schedule = started(now=0.0, factor=factor)
    t_end = 0.0
    for delay in delays:
        now = max(schedule.end + delay * D / 8, 0.0)
        expected_start, expected_timeout = rtgym_rule(t_end, now, D, factor)
        assert schedule.advance(now) is expected_timeout
        assert schedule.start == expected_start
        assert schedule.obs == expected_start + OBS
        assert schedule.end == expected_start + D
        t_end = expected_start + D
