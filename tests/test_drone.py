"""Tests of the event-driven dummy drone.

Everything but the last test runs on a SimulatedClock: no sleeping, exact times. Expected
positions are worked out by hand from the rules (ticks every ``control_sleep``; at a tick the
drone picks up arrived commands, emits its position, then moves by ``velocity * control_sleep``).
"""

from __future__ import annotations

import itertools
import math
import threading
import time

import numpy as np
import pytest

from rtgym_nb._clock import SimulatedClock, use_clock
from rtgym_nb.course.drone import CommandRecord, DummyRCDrone

ABS = 1e-12


def fixed_delay_drone(delay: float = 0.02, **kwargs) -> tuple[DummyRCDrone, SimulatedClock]:
    clock = SimulatedClock()
    kwargs.setdefault("seed", 0)
    drone = DummyRCDrone(
        communication_delay_min=delay, communication_delay_max=delay, clock=clock, **kwargs
    )
    return drone, clock


def test_scripted_commands_with_fixed_delay():
    drone, clock = fixed_delay_drone(0.02)
    # t=0: command (1.0, 0.5) arrives at 0.02 -> applied from tick 2 (t=0.02).
    drone.send_control(1.0, 0.5)
    assert drone.get_observation() == (0.0, 0.0)
    assert drone.true_velocity() == (0.0, 0.0)

    clock.sleep_until(0.03)
    # ticks 0, 1 still; tick 2 moves by (0.01, 0.005): position after tick 3 is (0.02, 0.01)
    assert drone.true_position() == pytest.approx((0.02, 0.01), abs=ABS)
    assert drone.true_velocity() == (1.0, 0.5)
    # newest observation arrived by 0.03 was emitted at tick 1 (t=0.01): still (0, 0)
    assert drone.get_observation() == (0.0, 0.0)

    clock.sleep_until(0.05)
    # arrived by 0.05: emitted at tick 3 (0.03), the position before tick 3's move
    assert drone.get_observation() == pytest.approx((0.01, 0.005), abs=ABS)
    # t=0.05: command (0, -1) arrives at 0.07 -> applied from tick 7
    drone.send_control(0.0, -1.0)

    clock.sleep_until(0.1)
    # moves at ticks 2..6 with (1, 0.5): (0.05, 0.025); ticks 7..10 with (0, -1): y -= 0.04
    assert drone.true_position() == pytest.approx((0.05, -0.015), abs=ABS)
    assert drone.true_velocity() == (0.0, -1.0)
    # newest arrived: emitted at tick 8 (0.08), after tick 7's move: (0.05, 0.015)
    assert drone.get_observation() == pytest.approx((0.05, 0.015), abs=ABS)
    assert drone.observation_age() == pytest.approx(0.02, abs=ABS)

    log = drone.command_log()
    assert [c.status for c in log] == ["applied", "applied"]
    assert [c.applied_at for c in log] == pytest.approx([0.02, 0.07], abs=ABS)
    assert [c.sent_at for c in log] == [0.0, 0.05]
    assert [c.arrives_at for c in log] == pytest.approx([0.02, 0.07], abs=ABS)

    history = drone.history()
    assert history.times == pytest.approx([0.01 * k for k in range(11)], abs=ABS)
    expected_x = [0, 0, 0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.05, 0.05, 0.05]
    expected_y = [0, 0, 0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.015, 0.005, -0.005]
    assert history.positions[:, 0] == pytest.approx(expected_x, abs=ABS)
    assert history.positions[:, 1] == pytest.approx(expected_y, abs=ABS)
    assert history.velocities[:, 1] == pytest.approx([0, 0, 0.5, 0.5, 0.5, 0.5, 0.5] + [-1] * 4)


def test_command_arriving_between_ticks_waits_for_the_next_tick():
    drone, clock = fixed_delay_drone(0.025)
    drone.send_control(1.0, 0.0)
    clock.sleep_until(0.029)
    assert drone.true_velocity() == (0.0, 0.0)  # arrived at 0.025, next tick is 0.03
    clock.sleep_until(0.03)
    assert drone.true_velocity() == (1.0, 0.0)
    assert drone.command_log()[0].applied_at == pytest.approx(0.03, abs=ABS)
    clock.sleep_until(0.045)
    assert drone.true_position() == pytest.approx((0.02, 0.0), abs=ABS)  # ticks 3 and 4 moved


def test_in_flight_shows_messages_until_they_arrive():
    drone, clock = fixed_delay_drone(0.02)
    clock.sleep_until(0.005)
    drone.send_control(0.3, 0.4)
    wire = drone.in_flight()
    assert [(c.sent_at, c.arrives_at, c.vel_x, c.vel_y) for c in wire.commands] == [
        (0.005, 0.025, 0.3, 0.4)
    ]
    # ticks 0 (t=0) has been emitted, arrives at 0.02
    assert [(o.tick, o.emitted_at, o.arrives_at) for o in wire.observations] == [(0, 0.0, 0.02)]
    assert drone.command_log()[0].status == "pending"
    clock.sleep_until(0.025)
    wire = drone.in_flight()
    assert wire.commands == []  # arrived; waits at the drone for the tick at 0.03
    assert drone.command_log()[0].status == "pending"
    assert [o.tick for o in wire.observations] == [1, 2]
    assert not any(o.superseded for o in wire.observations)


def test_velocity_norm_is_clipped_to_max_vel():
    drone, clock = fixed_delay_drone(0.02, max_vel=2.0)
    drone.send_control(3.0, -4.0)  # norm 5 -> scaled by 2/5
    clock.sleep_until(0.02)
    assert drone.true_velocity() == pytest.approx((1.2, -1.6), abs=ABS)
    drone.send_control(0.6, 0.8)  # norm 1: untouched
    clock.sleep_until(0.04)
    assert drone.true_velocity() == (0.6, 0.8)
    assert [c.clipped for c in drone.command_log()] == [True, False]
    assert drone.command_log()[0][3:5] == pytest.approx((1.2, -1.6), abs=ABS)


def test_position_is_clipped_to_the_world():
    drone, clock = fixed_delay_drone(0.0, world_size=0.05, max_vel=10.0)
    drone.send_control(1.0, -3.0)
    clock.sleep_until(1.0)
    assert drone.true_position() == (0.05, -0.05)
    positions = drone.history().positions
    assert positions.max() <= 0.05 and positions.min() >= -0.05
    # Sent at t=0 after tick 0 happened: even with no delay it is applied from tick 1.
    # y reaches the wall after 2 moves (-0.03, -0.06 -> -0.05), x after 5 moves.
    assert positions[:8, 1] == pytest.approx([0, 0, -0.03, -0.05, -0.05, -0.05, -0.05, -0.05])
    assert positions[:8, 0] == pytest.approx([0, 0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.05])
    drone.send_control(-1.0, 0.0)  # sent after the tick at 1.0: moves at ticks 1.01 and 1.02
    clock.sleep_until(1.02)
    assert drone.true_position() == pytest.approx((0.03, -0.05), abs=ABS)


def find_inversion(delay_max: float, gap: float) -> tuple[DummyRCDrone, SimulatedClock]:
    """A drone where command 0 (sent at 0) reaches the drone a tick after command 1 (at gap)."""
    for seed in range(1000):
        clock = SimulatedClock()
        drone = DummyRCDrone(
            communication_delay_min=0.0, communication_delay_max=delay_max, clock=clock, seed=seed
        )
        drone.send_control(1.0, 0.0)
        clock.sleep_until(gap)
        drone.send_control(0.0, 1.0)
        first, second = sorted(drone.in_flight().commands, key=lambda c: c.seq)
        # different ticks: command 1's tick comes strictly before command 0's arrival
        if math.ceil(second.arrives_at / 0.01) * 0.01 < first.arrives_at - 1e-6:
            return drone, clock
    raise AssertionError("no seed gives an inversion")  # pragma: no cover


def test_command_sent_earlier_but_arriving_later_is_discarded():
    drone, clock = find_inversion(delay_max=0.1, gap=0.001)
    clock.sleep_until(0.2)
    older, newer = drone.command_log()
    assert newer.status == "applied"
    assert newer.applied_at == pytest.approx(math.ceil(newer.arrives_at / 0.01 - 1e-9) * 0.01)
    assert older.status == "discarded" and older.applied_at is None
    assert drone.true_velocity() == (0.0, 1.0)
    assert drone.history().velocities[:, 0].max() == 0.0  # the older command never acted
    stats = drone.stats()
    assert (stats.commands_sent, stats.commands_applied, stats.commands_discarded) == (2, 1, 1)


def test_command_log_matches_the_newer_command_wins_rule():
    """Random commands at random times; each log entry is checked against the rule itself."""
    clock = SimulatedClock()
    drone = DummyRCDrone(
        communication_delay_min=0.0, communication_delay_max=0.08, clock=clock, seed=7
    )
    rng = np.random.default_rng(1)
    for _ in range(300):
        drone.send_control(*rng.uniform(-1, 1, 2))
        clock.sleep(float(rng.uniform(0.0, 0.02)))
    clock.sleep(0.1)
    log = drone.command_log()
    assert len(log) == 300

    def first_tick(t: float) -> float:
        return math.ceil(t / 0.01 - 1e-6) * 0.01

    for cmd in log:
        tick = first_tick(cmd.arrives_at)
        overtaken = any(
            other.seq > cmd.seq and first_tick(other.arrives_at) <= tick + 1e-9 for other in log
        )
        assert cmd.status == ("discarded" if overtaken else "applied"), cmd
        if cmd.status == "applied":
            assert cmd.applied_at == pytest.approx(tick, abs=1e-9)
    statuses = {c.status for c in log}
    assert statuses == {"applied", "discarded"}
    # the applied velocity at each tick is that of the last command applied at or before it
    applied = sorted((c.applied_at, c.vel_x, c.vel_y) for c in log if c.status == "applied")
    history = drone.history()
    for t, velocity in zip(history.times, history.velocities, strict=True):
        current = [(vx, vy) for at, vx, vy in applied if at <= t + 1e-9]
        assert tuple(velocity) == (current[-1] if current else (0.0, 0.0))


def test_observer_keeps_the_most_recently_emitted_observation():
    clock = SimulatedClock()
    drone = DummyRCDrone(
        communication_delay_min=0.002, communication_delay_max=0.06, clock=clock, seed=3
    )
    drone.send_control(1.0, 0.0)  # moving: each tick emits a different position
    known: dict[int, tuple[float, float, float]] = {}  # tick -> (arrives_at, x, y)
    held_tick = -1
    inversions = 0
    for i in range(1, 1001):
        now = i * 0.001
        clock.sleep_until(now)
        for obs in drone.in_flight().observations:
            known[obs.tick] = (obs.arrives_at, obs.pos_x, obs.pos_y)
        arrived = [k for k, (a, _, _) in known.items() if a <= now + 1e-9]
        if arrived:
            newest = max(arrived)
            inversions += any(known[k][0] > now + 1e-9 for k in known if k < newest)
            assert newest >= held_tick
            held_tick = newest
            assert drone.get_observation() == known[newest][1:]
        else:
            assert drone.get_observation() == (0.0, 0.0)
    assert inversions > 0  # some older observations were still on the wire: the rule mattered
    assert drone.stats().observations_discarded > 0


def test_superseded_observations_are_flagged_in_flight():
    clock = SimulatedClock()
    drone = DummyRCDrone(
        communication_delay_min=0.0, communication_delay_max=0.1, clock=clock, seed=0
    )
    flagged = 0
    for i in range(1, 200):
        clock.sleep_until(i * 0.005)
        wire = drone.in_flight()
        held = drone.get_observation()
        for obs in wire.observations:
            # superseded exactly when older than the held observation, known by its position
            # (still drone: every tick emits (0, 0), so compare emission times via the age)
            assert obs.superseded == (obs.emitted_at < clock.now() - drone.observation_age())
        flagged += sum(o.superseded for o in wire.observations)
        assert held == (0.0, 0.0)
    assert flagged > 0


def run_script(drone: DummyRCDrone, clock: SimulatedClock, extra_queries: bool) -> list:
    rng = np.random.default_rng(123)
    observations = []
    for step in range(400):
        drone.send_control(*rng.uniform(-2, 2, 2))
        if extra_queries:
            for _ in range(step % 4):
                clock.sleep(0.003)
                drone.get_observation()
                drone.true_position()
                drone.in_flight()
        clock.sleep_until(0.05 * (step + 1))
        observations.append(drone.get_observation())
    return observations


def test_same_seed_same_run_whatever_the_query_pattern():
    a = DummyRCDrone(clock=(clock_a := SimulatedClock()), seed=42)
    b = DummyRCDrone(clock=(clock_b := SimulatedClock()), seed=42)
    c = DummyRCDrone(clock=(clock_c := SimulatedClock()), seed=42)
    obs_a = run_script(a, clock_a, extra_queries=False)
    obs_b = run_script(b, clock_b, extra_queries=False)
    obs_c = run_script(c, clock_c, extra_queries=True)
    assert obs_a == obs_b == obs_c
    assert a.command_log() == c.command_log()
    for x, y in [(a, b), (a, c)]:
        hx, hy = x.history(), y.history()
        np.testing.assert_array_equal(hx.times, hy.times)
        np.testing.assert_array_equal(hx.positions, hy.positions)
    assert a.stats() == b.stats()


def test_different_seeds_differ():
    a = DummyRCDrone(clock=(clock_a := SimulatedClock()), seed=1)
    b = DummyRCDrone(clock=(clock_b := SimulatedClock()), seed=2)
    assert run_script(a, clock_a, False) != run_script(b, clock_b, False)


def test_seed_sequence_is_accepted_as_a_seed():
    a = DummyRCDrone(clock=(clock_a := SimulatedClock()), seed=np.random.SeedSequence(9))
    b = DummyRCDrone(clock=(clock_b := SimulatedClock()), seed=np.random.SeedSequence(9))
    assert run_script(a, clock_a, False) == run_script(b, clock_b, False)


def test_mass_and_friction_do_not_change_the_physics():
    a = DummyRCDrone(mass=1.0, friction=1.0, clock=(clock_a := SimulatedClock()), seed=5)
    b = DummyRCDrone(mass=9.0, friction=0.0, clock=(clock_b := SimulatedClock()), seed=5)
    assert (b.mass, b.friction) == (9.0, 0.0)
    assert run_script(a, clock_a, False) == run_script(b, clock_b, False)


def test_observation_age_stays_within_delay_bounds():
    clock = SimulatedClock()
    drone = DummyRCDrone(clock=clock, seed=11)
    assert drone.observation_age() == math.inf  # nothing received yet
    ages = []
    for i in range(1, 5001):
        clock.sleep_until(i * 0.0037)
        if i % 13 == 0:
            drone.send_control(0.5, -0.5)
        if clock.now() >= drone.communication_delay_max:
            ages.append(drone.observation_age())
    ages = np.array(ages)
    assert ages.min() >= 0.02 - 1e-9
    assert ages.max() <= 0.05 + 0.01 + 1e-9
    assert ages.max() - ages.min() > 0.025  # the spread is really exercised


def test_no_thread_is_started(monkeypatch):
    before = set(threading.enumerate())
    starts = []
    original_start = threading.Thread.start

    def counting_start(self):
        starts.append(self)
        original_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    clock = SimulatedClock()
    drone = DummyRCDrone(clock=clock, seed=0)
    for _ in range(200):
        drone.send_control(0.1, 0.2)
        clock.sleep(0.05)
        drone.get_observation()
    assert starts == []
    assert set(threading.enumerate()) == before


def test_clock_none_follows_the_current_clock():
    sim = SimulatedClock(start=100.0)
    with use_clock(sim):
        drone = DummyRCDrone(communication_delay_min=0.02, communication_delay_max=0.02)
    assert drone.clock is sim
    assert drone.start_time == 100.0
    drone.send_control(1.0, 0.0)
    sim.sleep(0.1)  # outside the with block: the drone keeps the clock it was built with
    assert drone.stats().ticks == 11
    assert drone.true_position() == pytest.approx((0.09, 0.0), abs=1e-9)  # ticks 2..10 moved


def test_history_is_bounded():
    clock = SimulatedClock()
    drone = DummyRCDrone(clock=clock, seed=0, history_length=10, command_log_length=3)
    for _ in range(5):
        drone.send_control(0.1, 0.1)
    clock.sleep_until(10.0)
    history = drone.history()
    assert history.times.shape == (10,)
    assert history.positions.shape == history.velocities.shape == (10, 2)
    assert history.times == pytest.approx([9.91 + 0.01 * k for k in range(10)])
    assert drone.history(last=3).times == pytest.approx([9.98, 9.99, 10.0])
    assert drone.history(last=0).times.shape == (0,)
    assert len(drone.command_log()) == 3
    assert all(isinstance(c, CommandRecord) for c in drone.command_log())
    assert drone.stats().ticks == 1001


def test_long_gap_is_replayed_in_constant_memory():
    clock = SimulatedClock()
    drone = DummyRCDrone(clock=clock, seed=0)
    drone.send_control(0.0, 0.0)
    clock.sleep(3600.0)  # an hour without any call
    drone.get_observation()
    assert drone.stats().ticks == 360_001
    assert len(drone.in_flight().observations) <= 6
    assert drone.history().times.shape == (4096,)


def test_repr_mentions_the_state():
    drone, clock = fixed_delay_drone(0.02)
    clock.sleep(0.5)
    text = repr(drone)
    assert text.startswith("DummyRCDrone(t=0.500s")
    assert "SimulatedClock" in text


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"communication_delay_min": 0.06, "communication_delay_max": 0.05}, "communication_delay"),
        ({"communication_delay_min": -0.01}, "communication_delay_min"),
        ({"communication_delay_min": -0.02, "communication_delay_max": -0.01}, "delay_min"),
        ({"communication_delay_max": float("nan")}, "communication_delay_max"),
        ({"control_sleep": 0.0}, "control_sleep"),
        ({"control_sleep": -0.01}, "control_sleep"),
        ({"max_vel": 0.0}, "max_vel"),
        ({"max_vel": -1.0}, "max_vel"),
        ({"world_size": 0.0}, "world_size"),
        ({"world_size": float("inf")}, "world_size"),
        ({"mass": 0.0}, "mass"),
        ({"mass": "heavy"}, "mass"),
        ({"friction": -1.0}, "friction"),
        ({"history_length": 0}, "history_length"),
        ({"command_log_length": 1.5}, "command_log_length"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DummyRCDrone(clock=SimulatedClock(), **kwargs)


def test_bad_argument_message_quotes_the_value():
    with pytest.raises(ValueError, match=r"control_sleep must be > 0, got -0\.5"):
        DummyRCDrone(control_sleep=-0.5, clock=SimulatedClock())


def test_non_finite_command_is_rejected():
    drone, _ = fixed_delay_drone()
    with pytest.raises(ValueError, match="finite"):
        drone.send_control(float("nan"), 0.0)
    assert drone.stats().commands_sent == 0


def test_numpy_inputs_give_python_floats():
    drone, clock = fixed_delay_drone(0.0)
    drone.send_control(np.float32(0.5), np.float64(0.25))
    clock.sleep(0.1)
    x, y = drone.get_observation()
    assert type(x) is float and type(y) is float


@pytest.mark.wallclock
def test_readme_experiment_on_the_wall_clock():
    """rtgym's README loop: 5 iterations moving at (0.1, 0.5), 5 still, at about 20 Hz."""
    before = threading.active_count()
    drone = DummyRCDrone()
    received = []
    sent_at = []
    for i in range(10):
        vel_x, vel_y = (0.1, 0.5) if i < 5 else (0.0, 0.0)
        sent_at.append(time.perf_counter())
        drone.send_control(vel_x, vel_y)
        received.append(drone.get_observation())
        time.sleep(0.05)
    assert threading.active_count() == before
    ys = [y for _, y in received]
    assert received[0] == (0.0, 0.0)
    assert all(b >= a for a, b in itertools.pairwise(ys))  # never moves backwards
    assert ys[5] > 0.0  # moving well before the stop command
    # The move starts 0.02-0.06 s after the first command (delay, then the next tick) and stops
    # 0.02-0.06 s after the stop command: its duration is within 0.04 s of the time between them.
    moving = sent_at[5] - sent_at[0]
    final_x, final_y = drone.true_position()
    assert 0.1 * (moving - 0.045) <= final_x <= 0.1 * (moving + 0.045)
    assert final_y == pytest.approx(5 * final_x)
    # the last iterations are still: the last observation has caught up with the true position
    assert received[-1] == pytest.approx((final_x, final_y))
