"""Clocks: the simulated clock's timers, the wall clock's deadlines, the current clock."""

from __future__ import annotations

import threading
import time

import pytest
from interfaces import FakeTime

from rtgym_nb._clock import (
    Clock,
    SimulatedClock,
    WallClock,
    current_clock,
    lend_clock,
    use_clock,
)

# -- SimulatedClock ------------------------------------------------------------------------


def test_simulated_clock_only_moves_when_waited_on():
    clock = SimulatedClock(start=2.5)
    assert clock.simulated is True
    assert clock.now() == 2.5
    assert clock.now() == 2.5
    clock.sleep(0.25)
    assert clock.now() == 2.75
    clock.sleep_until(3.0)
    assert clock.now() == 3.0


def test_simulated_clock_never_goes_backwards():
    clock = SimulatedClock(start=1.0)
    clock.sleep_until(0.5)
    assert clock.now() == 1.0
    clock.sleep(0.0)
    assert clock.now() == 1.0


def test_simulated_clock_rejects_negative_sleep():
    with pytest.raises(ValueError, match="negative"):
        SimulatedClock().sleep(-0.1)


def test_timers_fire_in_time_order_at_their_times():
    clock = SimulatedClock()
    fired = []

    def record(tag):
        return lambda: fired.append((tag, clock.now()))

    for when, tag in [(0.3, "c"), (0.1, "a"), (0.2, "b1"), (0.2, "b2"), (0.9, "late")]:
        clock.call_at(when, record(tag))
    clock.sleep_until(0.5)
    # same time: registration order; each callback sees now() == its own time
    assert fired == [("a", 0.1), ("b1", 0.2), ("b2", 0.2), ("c", 0.3)]
    assert clock.now() == 0.5
    clock.sleep(1.0)
    assert fired[-1] == ("late", 0.9)
    assert clock.now() == 1.5


def test_timer_due_exactly_at_the_deadline_fires():
    clock = SimulatedClock()
    fired = []
    clock.call_at(0.5, lambda: fired.append(clock.now()))
    clock.sleep_until(0.5)
    assert fired == [0.5]


def test_cancelled_timer_does_not_fire():
    clock = SimulatedClock()
    fired = []
    handle = clock.call_at(0.1, lambda: fired.append("cancelled"))
    clock.call_at(0.2, lambda: fired.append("kept"))
    handle.cancel()
    clock.sleep(1.0)
    assert fired == ["kept"]


def test_timer_in_the_past_fires_at_the_current_time():
    clock = SimulatedClock(start=1.0)
    fired = []
    clock.call_at(0.5, lambda: fired.append(clock.now()))
    assert fired == []  # nothing fires until somebody waits
    clock.sleep(0.0)
    assert fired == [1.0]


def test_timer_registered_by_a_timer_fires_in_the_same_wait():
    clock = SimulatedClock()
    fired = []

    def first():
        fired.append(("first", clock.now()))
        clock.call_at(0.3, lambda: fired.append(("second", clock.now())))

    clock.call_at(0.1, first)
    clock.sleep_until(0.5)
    assert fired == [("first", 0.1), ("second", 0.3)]


def test_sleeping_inside_a_timer_moves_time_for_later_timers():
    clock = SimulatedClock()
    fired = []

    def slow():
        clock.sleep(0.25)  # e.g. a capture that takes time
        fired.append(("slow done", clock.now()))

    clock.call_at(0.1, slow)
    clock.call_at(0.2, lambda: fired.append(("next", clock.now())))
    clock.sleep_until(1.0)
    assert fired == [("next", 0.2), ("slow done", 0.35)]
    assert clock.now() == 1.0


def test_the_alarm_rings_once_at_its_time_after_the_timers_of_that_time():
    clock = SimulatedClock()
    rang = []
    assert clock.claim_alarm(lambda: rang.append(("alarm", clock.now())))
    clock.call_at(0.2, lambda: rang.append(("timer", clock.now())))
    clock.alarm_at = 0.2
    clock.call_at(0.2, lambda: rang.append(("later timer", clock.now())))
    clock.call_at(0.1, lambda: rang.append(("early timer", clock.now())))
    clock.sleep_until(0.5)
    assert rang == [("early timer", 0.1), ("timer", 0.2), ("later timer", 0.2), ("alarm", 0.2)]
    assert clock.alarm_at == float("inf")  # disarmed once it rang
    clock.sleep(1.0)
    assert len(rang) == 4


def test_the_alarm_rings_at_its_time_when_a_sleep_goes_past_it():
    clock = SimulatedClock()
    rang = []
    clock.claim_alarm(lambda: rang.append(clock.now()))
    clock.alarm_at = 0.3
    clock.sleep_until(0.25)
    assert rang == [] and clock.now() == 0.25
    clock.sleep(1.0)
    assert rang == [0.3] and clock.now() == 1.25


def test_rearming_moves_the_alarm_and_disarming_silences_it():
    clock = SimulatedClock()
    rang = []
    clock.claim_alarm(lambda: rang.append(clock.now()))
    clock.alarm_at = 0.1
    clock.alarm_at = 0.4  # (re-armed: only the new time counts)
    clock.sleep_until(0.3)
    assert rang == []
    clock.sleep_until(0.5)
    assert rang == [0.4]
    clock.alarm_at = 0.6
    clock.alarm_at = float("inf")
    clock.sleep(10.0)
    assert rang == [0.4]


def test_an_alarm_may_rearm_itself_while_it_rings():
    clock = SimulatedClock()
    rang = []

    def ring():
        rang.append(clock.now())
        if len(rang) < 3:
            clock.alarm_at = clock.now() + 0.1

    clock.claim_alarm(ring)
    clock.alarm_at = 0.1
    clock.sleep_until(1.0)
    assert rang == pytest.approx([0.1, 0.2, 0.3])


def test_the_alarm_has_one_owner_at_a_time():
    clock = SimulatedClock()
    first, second = (lambda: None), (lambda: None)
    assert clock.claim_alarm(first)
    assert not clock.claim_alarm(second)
    clock.alarm_at = 0.5
    clock.release_alarm(second)  # (not the owner: nothing happens)
    assert clock.alarm_at == 0.5
    clock.release_alarm(first)
    assert clock.alarm_at == float("inf")
    assert clock.claim_alarm(second)


def test_clocks_satisfy_the_protocol():
    assert isinstance(SimulatedClock(), Clock)
    assert isinstance(WallClock(), Clock)


# -- WallClock -----------------------------------------------------------------------------


def test_wall_clock_follows_perf_counter():
    clock = WallClock()
    assert clock.simulated is False
    before = time.perf_counter()
    now = clock.now()
    after = time.perf_counter()
    assert before <= now <= after


def test_wall_clock_past_deadline_returns_at_once():
    fake = FakeTime()
    clock = WallClock(timer=fake.now, sleeper=fake.sleep)
    clock.sleep_until(fake.now() - 1.0)
    assert fake.sleeps == []


def test_wall_clock_margin_is_clamped():
    clock = WallClock(min_margin=1e-4, max_margin=5e-4)
    assert 1e-4 <= clock.margin <= 5e-4
    with pytest.raises(ValueError, match="min_margin"):
        WallClock(min_margin=1e-3, max_margin=1e-4)
    with pytest.raises(ValueError):
        WallClock(min_margin=-1.0)


def fake_clock(**settings) -> tuple[WallClock, FakeTime]:
    fake = FakeTime()
    return WallClock(timer=fake.now, sleeper=fake.sleep, **settings), fake


def test_wall_clock_never_returns_early_and_meets_deadlines():
    clock, fake = fake_clock()
    fake.overshoot = lambda seconds: 30e-6 if len(fake.sleeps) % 7 else 400e-6  # (a hiccup)
    for i in range(60):
        deadline = fake.now() + 0.001 + (i % 4) * 0.0005
        clock.sleep_until(deadline)
        late = fake.now() - deadline
        assert late >= 0  # never early
        if i % 7 != 6:  # a wake-up within the margin: the spin ends on the deadline
            assert late <= 2 * fake.tick, i


@pytest.mark.wallclock
def test_wall_clock_never_returns_early_on_real_time():
    clock = WallClock()
    for duration in (0.0, 1e-4, 2e-3):
        deadline = time.perf_counter() + duration
        clock.sleep_until(deadline)
        assert time.perf_counter() >= deadline  # (true on any machine, however busy)


def test_wall_clock_margin_catches_up_with_longer_overshoots_in_a_few_wake_ups():
    """Every wake-up 300 us late, from a margin of ~55 us: with a fixed up-step (~10 us) the
    margin would need ~25 wake-ups; growing steps take 7, and do not overshoot far."""
    clock, fake = fake_clock()
    assert clock.margin < 150e-6
    for _ in range(12):
        clock.wait_until(fake.now() + 2e-3, fake.oversleeping(300e-6), spin=False)
    assert 300e-6 <= clock.margin < 450e-6


def test_wall_clock_learns_separate_margins_for_short_and_long_waits():
    """Long sleeps wake 300 us late, short ones 20 us, waits alternating: the short waits'
    margin stays near 20 us (one margin for both would be dragged up to 300 us, spun on every
    short wait), the long waits' rises to cover 300 us, and every deadline is met."""
    clock, fake = fake_clock()
    block = fake.oversleeping(20e-6, long_extra=300e-6)
    lateness = []
    for i in range(40):
        deadline = fake.now() + (8e-3 if i % 2 else 1e-3)
        clock.wait_until(deadline, block)
        lateness.append(fake.now() - deadline)
    assert 20e-6 < clock.margin < 100e-6
    assert 300e-6 < clock.long_margin < 500e-6
    assert max(lateness[-20:]) <= 2 * fake.tick  # (the spin ends on time)


def test_wall_clock_ends_waits_above_split_above_with_a_short_sleep():
    """Long sleeps wake 300 us late, short ones 20 us: a 30 ms wait closes in with a long
    sleep, then sleeps briefly and spins only the short waits' margin, and is on time once the
    approach has learned the long sleeps' overshoot. Without the split, one sleep per wait."""
    for split, sleeps_per_wait in ((True, 2), (False, 1)):
        clock, fake = fake_clock(**({} if split else {"final_sleep": 0.0}))
        block = fake.oversleeping(20e-6, long_extra=300e-6)
        lateness, sleeps = [], []
        for _ in range(20):
            before = len(fake.sleeps)
            deadline = fake.now() + 30e-3
            clock.wait_until(deadline, block)
            lateness.append(fake.now() - deadline)
            sleeps.append(len(fake.sleeps) - before)
        assert sleeps[-10:] == [sleeps_per_wait] * 10
        assert max(lateness[-10:]) <= 2 * fake.tick
        if split:
            assert clock.margin < 100e-6  # the final sleeps are short: their margin stays small
            assert fake.sleeps[-1] < 1e-3  # ... and the last sleep is the short one


def test_wall_clock_rejects_bad_settings():
    for bad in ({"quantile": 1.0}, {"long_quantile": 0.0}, {"long_wait": -1e-3},
                {"final_sleep": -1e-3}, {"split_above": 1e-3}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            WallClock(**bad)


def test_wall_clock_sleep_spends_the_duration():
    clock, fake = fake_clock()
    start = fake.now()
    clock.sleep(0.02)
    assert 0.02 <= fake.now() - start <= 0.02 + 3 * fake.tick
    assert fake.sleeps and sum(fake.sleeps) < 0.02  # slept most of it, spun the rest


# -- current_clock / use_clock -------------------------------------------------------------


def test_current_clock_defaults_to_a_shared_wall_clock():
    assert isinstance(current_clock(), WallClock)
    assert current_clock() is current_clock()


def test_use_clock_sets_and_restores_the_current_clock():
    outer, inner = SimulatedClock(), SimulatedClock()
    default = current_clock()
    with use_clock(outer) as got:
        assert got is outer and current_clock() is outer
        with use_clock(inner):
            assert current_clock() is inner
        assert current_clock() is outer
        with pytest.raises(KeyError), use_clock(inner):
            raise KeyError("boom")
        assert current_clock() is outer
    assert current_clock() is default


def test_current_clock_is_per_thread():
    clock = SimulatedClock()
    seen = []
    with use_clock(clock):
        thread = threading.Thread(target=lambda: seen.append(current_clock()))
        thread.start()
        thread.join()
        assert current_clock() is clock
    assert seen and seen[0] is not clock and isinstance(seen[0], WallClock)


def _lender(clock, callee):
    """A function that lends ``clock`` to what it calls (as RealTimeEnv.step does)."""
    lent = clock
    return callee(), lent


lend_clock(_lender, "lent")


def test_a_lending_frame_is_the_current_clock_of_what_it_calls():
    mine, other = SimulatedClock(), SimulatedClock()
    got, _ = _lender(mine, current_clock)
    assert got is mine
    assert current_clock() is not mine  # (only while it runs)
    with use_clock(other):  # a lending frame inside a block: the innermost wins
        assert _lender(mine, current_clock)[0] is mine
        assert current_clock() is other

    def block_inside():
        with use_clock(other):
            return current_clock()

    assert _lender(mine, block_inside)[0] is other  # ... and a block inside a lending frame
    assert _lender(mine, lambda: _lender(other, current_clock)[0])[0] is other


def test_a_lending_frame_lends_nothing_before_its_clock_is_set():
    def early():
        return current_clock()

    assert _lender(None, early)[0] is current_clock()  # (no clock in the local: not lent)


def test_on_another_thread_a_copied_context_gives_the_blocks_clock():
    import contextvars

    clock = SimulatedClock()
    seen = []
    with use_clock(clock):
        context = contextvars.copy_context()
    thread = threading.Thread(target=lambda: seen.append(context.run(current_clock)))
    thread.start()
    thread.join()
    assert seen == [clock]


def test_wait_until_offers_the_time_it_would_spin():
    """``meanwhile`` is told, once the sleeping is over, how long is left before the deadline
    (what the clock would otherwise spin); the deadline is still met."""
    clock, fake = fake_clock(min_margin=1e-3, max_margin=2e-3)
    offered: list[tuple[float, float]] = []
    deadline = clock.now() + 10e-3
    clock.wait_until(deadline, fake.sleep,
                     meanwhile=lambda seconds: offered.append((seconds, fake.t)))
    assert clock.now() >= deadline
    assert len(offered) == 1
    seconds, at = offered[0]
    assert clock.min_margin - 5 * fake.tick <= seconds <= clock.max_margin  # (the margin)
    assert at + seconds == pytest.approx(deadline, abs=2 * fake.tick)


def test_wait_until_offers_nothing_when_the_wait_is_cut_short():
    clock = WallClock()
    offered: list[float] = []
    got = clock.wait_until(clock.now() + 1.0, lambda timeout: "work", meanwhile=offered.append)
    assert got == "work"
    assert offered == []
