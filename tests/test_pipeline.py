"""The shared time-step pipeline, driven directly: where step()'s ``meanwhile`` work goes."""

from __future__ import annotations

import numpy as np
import pytest

from rtgym_nb._clock import SimulatedClock, WallClock
from rtgym_nb._pipeline import Pipeline
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import TimingTrace

DT = 1 / 64


class EventInterface:
    """Records the order of interface calls (and of the test's meanwhile work) in ``events``."""

    def __init__(self, events: list[str], terminate: bool = False) -> None:
        self.events = events
        self.terminate = terminate

    def send_control(self, control) -> None:
        self.events.append("send")

    def get_obs_rew_terminated_info(self):
        self.events.append("capture")
        return [np.zeros(1)], 0.0, self.terminate, {}


def started(clock, terminate: bool = False) -> tuple[Pipeline, list[str]]:
    """A pipeline whose first time-step is open (its control sent)."""
    events: list[str] = []
    schedule = ElasticSchedule(DT, DT, 1.0)
    pipeline = Pipeline(EventInterface(events, terminate), clock, schedule, TimingTrace(16))
    schedule.restart(clock.now())
    pipeline.start(0.0, clock.now(), clock.now(), from_reset=True)
    events.clear()
    return pipeline, events


@pytest.mark.wallclock
def test_meanwhile_runs_in_the_wait_when_the_clock_spins_long_enough():
    clock = WallClock(min_margin=3e-3, max_margin=4e-3)  # 3-4 ms of spinning: room to spare
    pipeline, events = started(clock)
    _, sent, _, _ = pipeline.step(1.0, clock.now(), False, lambda: events.append("meanwhile"))
    assert sent
    assert events == ["meanwhile", "capture", "send"]


@pytest.mark.parametrize(
    "clock",
    [WallClock(min_margin=0.0, max_margin=0.0), SimulatedClock()],
    ids=["wall-clock-never-spinning", "simulated"],
)
def test_meanwhile_runs_after_the_send_when_there_is_no_spinning_time(clock):
    """Never between the capture and the send: that would delay the control."""
    pipeline, events = started(clock)
    pipeline.step(1.0, clock.now(), False, lambda: events.append("meanwhile"))
    assert events == ["capture", "send", "meanwhile"]


def test_meanwhile_runs_once_when_the_episode_ends():
    clock = SimulatedClock()
    pipeline, events = started(clock, terminate=True)
    _, sent, _, _ = pipeline.step(1.0, clock.now(), False, lambda: events.append("meanwhile"))
    assert not sent
    assert events == ["capture", "meanwhile"]


def test_a_clock_whose_wait_until_takes_no_meanwhile_is_not_offered_any():
    """A clock of one's own may have an older ``wait_until``: the pipeline then just waits."""

    class OwnClock(WallClock):
        def wait_until(self, deadline, block, spin=True):
            return super().wait_until(deadline, block, spin)

    clock = OwnClock()
    pipeline, events = started(clock)
    pipeline.step(1.0, clock.now(), False, lambda: events.append("meanwhile"))
    assert events == ["capture", "send", "meanwhile"]
