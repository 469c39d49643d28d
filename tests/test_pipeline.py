"""The pipeline's contract, driven directly on fake time: order of calls, timestamps, timeouts,
capture before or at the end of a time-step, errors, hooks, and where ``prepare`` runs.

Every clock here is deterministic: the simulated clock (the pipeline's short path) and
:class:`FakeClock`, a clock that is not "simulated" and so takes the general path, whose time
moves only when it is waited on. Both paths must give the same calls, times and results.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from interfaces import Boom, EventInterface

from rtgym_nb._clock import SimulatedClock
from rtgym_nb._pipeline import Pipeline, StepResult
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import TimingTrace

DT = 1 / 64  # exact in binary: nominal times compare with ==
T0 = 1.0
SEND, CAPTURE = "send_control", "get_obs_rew_terminated_info"


class FakeClock:
    """Fake time on the general (wall-clock) path: it moves only when waited on."""

    simulated = False

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep_until(self, deadline: float) -> None:
        self.t = max(self.t, deadline)

    def sleep(self, duration: float) -> None:
        self.t += duration


class SpinningFakeClock(FakeClock):
    """A :class:`FakeClock` whose waits offer ``spare`` seconds of spinning to other work."""

    def __init__(self, spare: float) -> None:
        super().__init__()
        self.spare = spare

    def wait_until(self, deadline, block, spin=True, meanwhile=None):
        if meanwhile is not None:
            meanwhile(self.spare)
        self.sleep_until(deadline)


CLOCKS = {"simulated": SimulatedClock, "general-path": FakeClock}


@pytest.fixture(params=sorted(CLOCKS))
def clock(request):
    return CLOCKS[request.param]()


def opened(clock, offset: float = DT, factor: float = 1.0, **interface_options):
    """A pipeline whose first time-step opened at T0 (its control sent); the log cleared."""
    clock.sleep_until(T0)
    events: list[str] = []
    interface = EventInterface(events, clock, **interface_options)
    schedule = ElasticSchedule(DT, offset, factor)
    started: list[Pipeline] = []
    pipeline = Pipeline(interface, clock, schedule, TimingTrace(16), on_start=started.append)
    schedule.restart(clock.now())
    assert pipeline.start("a0", T0, T0, from_reset=True) is False
    assert started == [pipeline]
    events.clear()
    interface.times.clear()
    return pipeline, interface, events


def row(pipeline: Pipeline, n: int) -> dict[str, float]:
    arrays = pipeline.trace.arrays()
    return {name: arrays[name][n] for name in arrays}


def test_start_sends_and_opens_a_time_step_on_the_schedule(clock):
    pipeline, interface, _ = opened(clock, offset=DT / 2)
    assert interface.controls == ["a0"]
    assert pipeline.running and pipeline.pending_capture and pipeline.row == 0
    first = row(pipeline, 0)
    assert (first["call"], first["joined"], first["send_start"], first["send_end"]) == (T0,) * 4
    assert (first["nominal_start"], first["nominal_obs"], first["nominal_end"]) == (
        T0, T0 + DT / 2, T0 + DT)
    assert first["from_reset"] and not first["timed_out"]
    assert math.isnan(first["capture_start"]) and math.isnan(first["returned"])


@pytest.mark.parametrize("offset", [DT / 2, DT], ids=["mid-step", "at-the-end"])
def test_step_captures_on_time_then_sends_at_the_end(clock, offset):
    pipeline, interface, events = opened(clock, offset=offset)
    result = pipeline.step("a1", T0 + DT / 8, truncate=False)
    assert isinstance(result, StepResult)
    assert events == [CAPTURE, SEND]
    assert interface.times == [T0 + offset, T0 + DT]
    assert result.sent and not result.timed_out and result.joined == T0 + DT
    assert result.captured.row == 0 and result.captured.reward == 1.0
    assert result.captured.obs[0][0] == 1.0
    assert result.prepared is None
    closed, new = row(pipeline, 0), row(pipeline, 1)
    assert (closed["capture_start"], closed["capture_end"]) == (T0 + offset, T0 + offset)
    assert new["call"] == T0 + DT / 8 and new["joined"] == new["send_start"] == T0 + DT
    assert (new["nominal_start"], new["nominal_end"]) == (T0 + DT, T0 + 2 * DT)
    assert not new["from_reset"] and pipeline.running and pipeline.pending_capture


def test_a_slow_capture_delays_the_send_within_the_elasticity(clock):
    pipeline, interface, _ = opened(clock, offset=DT / 2, capture_takes=3 * DT / 4)
    result = pipeline.step("a1", T0, truncate=False)
    assert interface.times == [T0 + DT / 2, T0 + 5 * DT / 4]  # sent as soon as it returned
    assert row(pipeline, 0)["capture_end"] == T0 + 5 * DT / 4
    assert not result.timed_out and pipeline.timeouts == 0
    assert row(pipeline, 1)["nominal_start"] == T0 + DT  # elastic: still on the old schedule


def test_a_send_beyond_the_elasticity_times_out_and_restarts_the_schedule(clock):
    pipeline, _, _ = opened(clock, offset=DT, capture_takes=5 * DT / 2)
    result = pipeline.step("a1", T0, truncate=False)
    late = T0 + DT + 5 * DT / 2
    assert result.timed_out and pipeline.timeouts == 1
    new = row(pipeline, 1)
    assert new["timed_out"] and new["nominal_start"] == new["send_end"] == late


@pytest.mark.parametrize("ending", ["terminated", "truncated", "not-awaited"])
def test_an_ended_episode_sends_nothing(clock, ending):
    clock.sleep_until(T0)
    events: list[str] = []
    interface = EventInterface(events, clock, terminate_on=1 if ending == "terminated" else None)
    schedule = ElasticSchedule(DT, DT, 1.0)
    awaited = [True]
    pipeline = Pipeline(interface, clock, schedule, TimingTrace(16),
                        may_send=lambda: awaited[0])
    schedule.restart(T0)
    pipeline.start("a0", T0, T0, from_reset=True)
    awaited[0] = ending != "not-awaited"
    prepared = []
    result = pipeline.step("a1", T0, truncate=ending == "truncated",
                           prepare=lambda action: prepared.append(action) or "copies")
    assert events == [SEND, CAPTURE]
    assert not result.sent and not result.timed_out and result.joined == T0 + DT
    assert result.prepared == "copies" and prepared == ["a1"]  # done once, all the same
    assert not pipeline.running and pipeline.trace.total == 1
    assert bool(result.captured.terminated) == (ending == "terminated")


def test_start_sends_nothing_when_nobody_awaits_the_call(clock):
    events: list[str] = []
    pipeline = Pipeline(EventInterface(events, clock), clock, ElasticSchedule(DT, DT, 1.0),
                        TimingTrace(16), may_send=lambda: False)
    pipeline.schedule.restart(clock.now())
    assert pipeline.start("a0", 0.0, 0.0, from_reset=True) is False
    assert events == [] and not pipeline.running


def test_a_failing_capture_raises_and_sends_nothing(clock):
    pipeline, _, events = opened(clock, fail_in=CAPTURE)
    with pytest.raises(Boom):
        pipeline.step("a1", T0, truncate=False)
    assert events == [CAPTURE]
    assert not pipeline.running and not pipeline.pending_capture


def test_a_failing_send_raises_after_the_capture_was_recorded(clock):
    pipeline, _, events = opened(clock, fail_in=SEND, fail_on=2)
    with pytest.raises(Boom):
        pipeline.step("a1", T0, truncate=False)
    assert events == [CAPTURE, SEND]
    assert row(pipeline, 0)["capture_start"] == T0 + DT
    assert pipeline.captured is not None and pipeline.captured.row == 0
    assert not pipeline.running and pipeline.trace.total == 1


def test_a_background_capture_happens_at_the_capture_time_however_late_step_comes():
    """A runner's timer (or thread) captures at the capture time; step() then only sends."""
    clock = SimulatedClock()
    pipeline, interface, events = opened(clock, offset=DT / 2)
    clock.call_at(T0 + DT / 2, pipeline.capture_in_background)
    clock.sleep_until(T0 + 3 * DT / 4)  # the caller is busy past the capture time
    assert events == [CAPTURE] and interface.times == [T0 + DT / 2]
    result = pipeline.step("a1", T0 + 3 * DT / 4, truncate=False)
    assert events == [CAPTURE, SEND] and interface.times[-1] == T0 + DT
    assert result.sent and result.captured.row == 0


def test_a_background_capture_error_is_raised_by_step():
    clock = SimulatedClock()
    pipeline, _, events = opened(clock, fail_in=CAPTURE)
    clock.call_at(T0 + DT, pipeline.capture_in_background)
    clock.sleep_until(T0 + DT)  # the background capture fails: nothing raised here
    with pytest.raises(Boom):
        pipeline.step("a1", T0 + DT, truncate=False)
    assert events == [CAPTURE] and not pipeline.running


def test_note_returned_records_when_the_call_returned(clock):
    pipeline, _, _ = opened(clock)
    pipeline.note_returned(T0 + DT / 4)
    assert row(pipeline, 0)["returned"] == T0 + DT / 4


def test_both_paths_give_the_same_calls_times_and_trace():
    """The simulated clock's short path against the general one, over an episode with late
    captures, a timeout and an end."""

    def run(clock):
        pipeline, interface, events = opened(clock, offset=DT / 2, capture_takes=DT / 8,
                                             send_takes=DT / 16, terminate_on=6)
        results = []
        for n in range(8):
            clock.sleep(DT * (3 if n == 2 else 0.25))  # the caller's inference (once too long)
            result = pipeline.step(f"a{n + 1}", clock.now(), truncate=False,
                                   prepare=lambda action: action.upper())
            results.append(result._replace(captured=result.captured._replace(obs=None)))
            pipeline.note_returned(clock.now())  # (as the environment does)
            if not result.sent:
                break
        return events, interface.times, results, pipeline.trace.arrays()

    simulated, general = run(SimulatedClock()), run(FakeClock())
    assert simulated[:3] == general[:3]
    np.testing.assert_equal(simulated[3], general[3])  # (NaN where nothing was recorded)
    results = simulated[2]
    assert [r.sent for r in results] == [True] * 5 + [False]
    assert sum(r.timed_out for r in results) == 1


# -- where prepare runs ----------------------------------------------------------------------


def test_prepare_runs_in_the_wait_when_the_clock_would_spin_long_enough():
    clock = SpinningFakeClock(spare=1e-3)  # more than a prepare is expected to take
    pipeline, _, events = opened(clock)
    result = pipeline.step(1.0, clock.now(), False, lambda a: events.append(f"prepare {a}"))
    assert result.sent
    assert events == ["prepare 1.0", CAPTURE, SEND]


@pytest.mark.parametrize("clock", [SpinningFakeClock(spare=0.0), SimulatedClock(), FakeClock()],
                         ids=["never-spinning", "simulated", "no-wait-until"])
def test_prepare_runs_after_the_send_when_there_is_no_spinning_time(clock):
    """Never between the capture and the send: that would delay the control."""
    pipeline, _, events = opened(clock)
    result = pipeline.step(1.0, clock.now(), False, lambda a: events.append("prepare") or a * 2)
    assert events == [CAPTURE, SEND, "prepare"]
    assert result.prepared == 2.0


def test_a_clock_whose_wait_until_takes_no_meanwhile_is_not_offered_any():
    """A clock of one's own may have an older ``wait_until``: the pipeline then just waits."""

    class OwnClock(FakeClock):
        def wait_until(self, deadline, block, spin=True):
            self.sleep_until(deadline)

    clock = OwnClock()
    pipeline, _, events = opened(clock)
    pipeline.step(1.0, clock.now(), False, lambda a: events.append("prepare"))
    assert events == [CAPTURE, SEND, "prepare"]
