"""The tutorial's dummy remote-controlled drone, simulated lazily from a clock.

The drone flies in a square 2D world. Every ``control_sleep`` seconds (one *tick*) it emits an
observation of its position and moves at the velocity it currently applies. Commands travel to
the drone, and observations travel back, with a random delay each. Both ends are "clever": the
drone ignores a command older than the one it already applies, and the observer ignores an
observation older than the one it already holds. This reproduces the behaviour of rtgym 0.16's
``DummyRCDrone`` (the object of its README tutorial), with a different machinery.

rtgym's drone runs a background loop and starts a thread for every message. Here nothing runs in
the background: the drone keeps the time up to which it has been simulated and, whenever it is
queried, catches up to ``clock.now()`` by replaying the ticks and message arrivals it missed.
Random delays come from two seeded generators, one consumed in the order commands are sent and
one in the order observations are emitted, so the trajectory depends only on the seed, the
commands and the times they were sent, never on how often the drone was looked at. On a
:class:`~rtgym_nb._clock.SimulatedClock` a run is exactly reproducible; on the wall clock the
drone behaves like rtgym's without threads or lock contention.

Because it is a simulation, the drone can also show what a real robot hides: its true position
and velocity, a bounded history of its trajectory, the age of the observation the observer holds,
the messages on the wire, and what became of every recent command.

Times are in the clock's time base (what ``clock.now()`` returns); ``drone.start_time`` is the
time of tick 0. A tick due at the very time of a call has already happened when the call acts,
so a command sent at a tick's time is applied at a later tick, even with no delay. Times closer
than one nanosecond are treated as equal, so a command due at ``0.05 + 0.02`` is applied at the
tick computed as ``7 * 0.01``, as the arithmetic intends.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import deque
from typing import Literal, NamedTuple

import numpy as np

from rtgym_nb._clock import Clock, current_clock

__all__ = [
    "CommandInFlight",
    "CommandRecord",
    "DroneHistory",
    "DroneStats",
    "DummyRCDrone",
    "InFlight",
    "ObservationInFlight",
]

_TIME_TOLERANCE = 1e-9
"""Seconds under which two times count as equal (absorbs float rounding of tick arithmetic)."""

_DELAY_BATCH = 1024
"""How many delays are drawn from a generator at once (drawing one at a time is slow)."""

_INF = math.inf

# Indices of the fields of an internal command entry (a list, so its status can be updated).
_SEQ, _SENT, _ARRIVES, _VX, _VY, _CLIPPED, _STATUS, _APPLIED_AT = range(8)


class CommandRecord(NamedTuple):
    """What became of one command (an entry of :meth:`DummyRCDrone.command_log`)."""

    seq: int
    """Position in send order (0 for the first command)."""
    sent_at: float
    """Clock time of the ``send_control`` call."""
    arrives_at: float
    """Clock time at which the command reaches the drone (``sent_at`` + its delay)."""
    vel_x: float
    """Commanded velocity along x, after clipping the norm to ``max_vel``."""
    vel_y: float
    """Commanded velocity along y, after clipping the norm to ``max_vel``."""
    clipped: bool
    """True when the requested velocity exceeded ``max_vel`` and was scaled down."""
    status: Literal["pending", "applied", "discarded"]
    """``"pending"``: on the wire, or arrived and waiting for the next tick. ``"discarded"``: a
    more recently sent command was applied at or before the tick that would have applied it."""
    applied_at: float | None
    """Time of the tick from which the drone applied it (None unless ``"applied"``)."""


class CommandInFlight(NamedTuple):
    """A command on its way to the drone."""

    seq: int
    sent_at: float
    arrives_at: float
    vel_x: float
    vel_y: float


class ObservationInFlight(NamedTuple):
    """An observation on its way back to the observer."""

    tick: int
    """Index of the tick that emitted it (tick k happens at ``start_time + k * control_sleep``)."""
    emitted_at: float
    arrives_at: float
    pos_x: float
    pos_y: float
    superseded: bool
    """True when the observer already holds a newer observation: this one will be ignored."""


class InFlight(NamedTuple):
    """Everything currently on the wire, each list in arrival order.

    A command that has arrived but waits for the next tick is no longer on the wire (its log
    entry stays ``"pending"`` until that tick).
    """

    commands: list[CommandInFlight]
    observations: list[ObservationInFlight]


class DroneHistory(NamedTuple):
    """The true trajectory over recent ticks (oldest first)."""

    times: np.ndarray
    """Tick times, shape ``(n,)``."""
    positions: np.ndarray
    """True position at each tick, before that tick's move (what the tick emits), ``(n, 2)``."""
    velocities: np.ndarray
    """Velocity applied during the move that follows each tick, ``(n, 2)``."""


class DroneStats(NamedTuple):
    """Counters since construction."""

    ticks: int
    commands_sent: int
    commands_applied: int
    commands_discarded: int
    observations_received: int
    observations_discarded: int


def _number(name: str, value: object) -> float:
    """``value`` as a finite float, or a ValueError quoting the argument."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class DummyRCDrone:
    """A remote-controlled drone with random communication delays, simulated without threads.

    Same constructor arguments and defaults as rtgym 0.16's ``DummyRCDrone``, plus keyword-only
    extras. The physics follows rtgym's:

    * Ticks happen at ``start_time + k * control_sleep`` (k = 0, 1, 2, ...; no drift). At each
      tick the drone takes the velocity it currently applies, emits an observation of its
      current position, then moves by ``velocity * control_sleep`` and clips each coordinate to
      ``[-world_size, world_size]``. It starts at (0, 0), still.
    * ``send_control`` scales the commanded velocity down to norm ``max_vel`` if needed. The
      command reaches the drone after a delay drawn uniformly in
      ``[communication_delay_min, communication_delay_max]`` and is applied from the first tick
      at or after its arrival, unless a command sent more recently was already applied then
      (it is then discarded).
    * Each observation also travels such a random delay. The observer keeps the most recently
      emitted observation received so far; one arriving after a newer one is discarded. Until
      the first arrival the observer holds (0.0, 0.0).

    The state is computed lazily up to ``clock.now()`` at each call, so nothing runs between
    calls and no thread is ever started. Calls from several threads are serialised by a lock.

    Args:
        mass: Stored for compatibility with rtgym; unused by the physics (as in rtgym).
        friction: Stored for compatibility with rtgym; unused by the physics (as in rtgym).
        communication_delay_min: Shortest delay of a message, in seconds.
        communication_delay_max: Longest delay of a message, in seconds.
        max_vel: Largest norm of an applied velocity, in m/s.
        world_size: The drone stays in ``[-world_size, world_size]`` on each axis, in m.
        control_sleep: Time between two ticks, in seconds.
        clock: Where time comes from. None: :func:`rtgym_nb._clock.current_clock` at
            construction, so a drone created by an interface follows its environment's clock.
        seed: Seeds the message delays; None draws fresh entropy (not reproducible).
        history_length: How many recent ticks :meth:`history` keeps.
        command_log_length: How many recent commands :meth:`command_log` keeps.
    """

    def __init__(
        self,
        mass: float = 1.0,
        friction: float = 1.0,
        communication_delay_min: float = 0.02,
        communication_delay_max: float = 0.05,
        max_vel: float = 2.0,
        world_size: float = 1.0,
        control_sleep: float = 0.01,
        *,
        clock: Clock | None = None,
        seed: int | np.random.SeedSequence | None = None,
        history_length: int = 4096,
        command_log_length: int = 1024,
    ) -> None:
        self.mass = _number("mass", mass)
        self.friction = _number("friction", friction)
        if self.mass <= 0:
            raise ValueError(f"mass must be > 0, got {mass!r}")
        if self.friction < 0:
            raise ValueError(f"friction must be >= 0, got {friction!r}")
        delay_min = _number("communication_delay_min", communication_delay_min)
        delay_max = _number("communication_delay_max", communication_delay_max)
        if delay_min < 0:
            raise ValueError(
                f"communication_delay_min must be >= 0, got {communication_delay_min!r}"
            )
        if delay_max < delay_min:
            raise ValueError(
                "communication_delay_max must be >= communication_delay_min, got "
                f"communication_delay_min={communication_delay_min!r} > "
                f"communication_delay_max={communication_delay_max!r}"
            )
        self._delay_min = delay_min
        self._delay_max = delay_max
        self._max_vel = _number("max_vel", max_vel)
        if self._max_vel <= 0:
            raise ValueError(f"max_vel must be > 0, got {max_vel!r}")
        self._world_size = _number("world_size", world_size)
        if self._world_size <= 0:
            raise ValueError(f"world_size must be > 0, got {world_size!r}")
        self._control_sleep = _number("control_sleep", control_sleep)
        if self._control_sleep <= 0:
            raise ValueError(f"control_sleep must be > 0, got {control_sleep!r}")
        history_length = _positive_int("history_length", history_length)
        command_log_length = _positive_int("command_log_length", command_log_length)
        if clock is None:
            clock = current_clock()
        elif not callable(getattr(clock, "now", None)):
            raise ValueError(f"clock must have a now() method, got {clock!r}")
        self._clock = clock
        self._now = clock.now

        # Two independent streams: commands draw in send order, observations in tick order, so
        # the query pattern can never shift one draw onto another message.
        if not isinstance(seed, np.random.SeedSequence):
            seed = np.random.SeedSequence(seed)
        command_seed, observation_seed = seed.spawn(2)
        self._command_rng = np.random.default_rng(command_seed)
        self._observation_rng = np.random.default_rng(observation_seed)
        self._command_delays: list[float] = []
        self._command_delay_index = 0
        self._observation_delays: list[float] = self._draw(self._observation_rng)
        self._observation_delay_index = 0

        self._lock = threading.Lock()
        self._start_time = float(clock.now())
        self._next_tick = 0  # index of the first tick not simulated yet
        self._next_tick_time = self._start_time
        self._x = 0.0
        self._y = 0.0
        self._vel_x = 0.0
        self._vel_y = 0.0
        self._applied_seq = -1  # the initial stillness counts as sent at -inf

        # In flight, as heaps ordered by arrival: commands (arrives_at, seq, entry) and
        # observations (arrives_at, tick, emitted_at, pos_x, pos_y).
        self._commands: list[tuple[float, int, list]] = []
        self._observations: list[tuple[float, int, float, float, float]] = []
        self._held_tick = -1  # the observer's (0, 0) counts as emitted at -inf
        self._held_time = -_INF
        self._held_x = 0.0
        self._held_y = 0.0

        self._history: deque[tuple[float, float, float, float, float]] = deque(
            maxlen=history_length
        )
        self._command_log: deque[list] = deque(maxlen=command_log_length)
        self._commands_sent = 0
        self._commands_applied = 0
        self._commands_discarded = 0
        self._observations_received = 0
        self._observations_discarded = 0

    # ------------------------------------------------------------------ configuration (read-only)
    # Read-only because the simulation caches them; rtgym exposes the same names as attributes.

    @property
    def communication_delay_min(self) -> float:
        return self._delay_min

    @property
    def communication_delay_max(self) -> float:
        return self._delay_max

    @property
    def max_vel(self) -> float:
        return self._max_vel

    @property
    def world_size(self) -> float:
        return self._world_size

    @property
    def control_sleep(self) -> float:
        return self._control_sleep

    @property
    def clock(self) -> Clock:
        """The clock this drone follows (fixed at construction)."""
        return self._clock

    @property
    def start_time(self) -> float:
        """Clock time of tick 0 (the construction time)."""
        return self._start_time

    # ------------------------------------------------------------------ rtgym's API

    def send_control(self, vel_x: float, vel_y: float) -> None:
        """Send a velocity command; it reaches the drone after a random delay.

        The norm of the velocity is clipped to ``max_vel`` (both components scaled alike).

        Raises:
            ValueError: A component is not a finite number.
        """
        vel_x = float(vel_x)
        vel_y = float(vel_y)
        norm = math.hypot(vel_x, vel_y)
        if not math.isfinite(norm):
            raise ValueError(f"velocity must be finite, got vel_x={vel_x!r}, vel_y={vel_y!r}")
        clipped = norm > self._max_vel
        if clipped:
            scale = self._max_vel / norm
            vel_x *= scale
            vel_y *= scale
        with self._lock:
            now = self._now()
            self._advance(now)
            if self._command_delay_index == len(self._command_delays):
                self._command_delays = self._draw(self._command_rng)
                self._command_delay_index = 0
            arrives_at = now + self._command_delays[self._command_delay_index]
            self._command_delay_index += 1
            seq = self._commands_sent
            self._commands_sent = seq + 1
            entry = [seq, now, arrives_at, vel_x, vel_y, clipped, "pending", None]
            self._command_log.append(entry)
            heapq.heappush(self._commands, (arrives_at, seq, entry))

    def get_observation(self) -> tuple[float, float]:
        """The position in the most recently emitted observation received so far."""
        with self._lock:
            self._advance(self._now())
            return self._held_x, self._held_y

    # ------------------------------------------------------------------ ground truth

    def true_position(self) -> tuple[float, float]:
        """Where the drone really is now (what the observer will only learn later)."""
        with self._lock:
            self._advance(self._now())
            return self._x, self._y

    def true_velocity(self) -> tuple[float, float]:
        """The velocity the drone applies now (set by the last applied command)."""
        with self._lock:
            self._advance(self._now())
            return self._vel_x, self._vel_y

    def observation_age(self) -> float:
        """How old the held observation is: now minus its emission time.

        Between ``communication_delay_min`` and ``communication_delay_max + control_sleep`` once
        the first observation has arrived; ``inf`` before (the initial (0, 0) was never emitted).
        """
        with self._lock:
            now = self._now()
            self._advance(now)
            return now - self._held_time

    def history(self, last: int | None = None) -> DroneHistory:
        """The true trajectory over the last ``last`` ticks (default: all those kept)."""
        with self._lock:
            self._advance(self._now())
            rows = list(self._history)
        if last is not None:
            if last < 0:
                raise ValueError(f"last must be >= 0, got {last!r}")
            rows = rows[max(len(rows) - last, 0) :] if last else []
        table = np.array(rows, dtype=np.float64).reshape(-1, 5)
        return DroneHistory(
            times=table[:, 0].copy(),
            positions=table[:, 1:3].copy(),
            velocities=table[:, 3:5].copy(),
        )

    def in_flight(self) -> InFlight:
        """Snapshot of the commands and observations currently travelling, in arrival order."""
        with self._lock:
            now = self._now()
            self._advance(now)
            limit = now + _TIME_TOLERANCE
            commands = [
                CommandInFlight(e[_SEQ], e[_SENT], e[_ARRIVES], e[_VX], e[_VY])
                for arrives, _, e in sorted(self._commands)
                if arrives > limit
            ]
            held = self._held_tick
            observations = [
                ObservationInFlight(tick, emitted, arrives, x, y, tick < held)
                for arrives, tick, emitted, x, y in sorted(self._observations)
            ]
        return InFlight(commands, observations)

    def command_log(self) -> list[CommandRecord]:
        """What became of the recent commands (the last ``command_log_length``), oldest first."""
        with self._lock:
            self._advance(self._now())
            return [CommandRecord(*entry) for entry in self._command_log]

    def stats(self) -> DroneStats:
        """Counters of ticks and of messages sent, applied, received and discarded."""
        with self._lock:
            self._advance(self._now())
            return DroneStats(
                ticks=self._next_tick,
                commands_sent=self._commands_sent,
                commands_applied=self._commands_applied,
                commands_discarded=self._commands_discarded,
                observations_received=self._observations_received,
                observations_discarded=self._observations_discarded,
            )

    def __repr__(self) -> str:
        with self._lock:
            now = self._now()
            self._advance(now)
            return (
                f"DummyRCDrone(t={now - self._start_time:.3f}s, "
                f"position=({self._x:.3f}, {self._y:.3f}), "
                f"velocity=({self._vel_x:.3f}, {self._vel_y:.3f}), "
                f"observed=({self._held_x:.3f}, {self._held_y:.3f}), "
                f"observation_age={now - self._held_time:.3f}s, "
                f"in_flight={len(self._commands)} commands/{len(self._observations)} observations, "
                f"clock={self._clock!r})"
            )

    # ------------------------------------------------------------------ simulation

    def _draw(self, rng: np.random.Generator) -> list[float]:
        return rng.uniform(self._delay_min, self._delay_max, _DELAY_BATCH).tolist()

    def _advance(self, now: float) -> None:
        """Replay every tick and observation arrival up to ``now`` (caller holds the lock)."""
        limit = now + _TIME_TOLERANCE
        if self._next_tick_time <= limit:
            self._run_ticks(limit)
        observations = self._observations
        if observations and observations[0][0] <= limit:
            self._receive(limit)

    def _receive(self, limit: float) -> None:
        """Deliver, in arrival order, the observations arriving at or before ``limit``."""
        observations = self._observations
        pop = heapq.heappop
        while observations and observations[0][0] <= limit:
            _, tick, emitted, x, y = pop(observations)
            if tick > self._held_tick:
                self._held_tick, self._held_time, self._held_x, self._held_y = tick, emitted, x, y
                self._observations_received += 1
            else:
                self._observations_discarded += 1

    def _apply_commands(self, tick_time: float, limit: float) -> None:
        """At the tick at ``tick_time``: apply the newest-sent command arrived by ``limit``."""
        commands = self._commands
        best = None
        while commands and commands[0][0] <= limit:
            _, seq, entry = heapq.heappop(commands)
            if seq > self._applied_seq and (best is None or seq > best[_SEQ]):
                if best is not None:
                    best[_STATUS] = "discarded"
                    self._commands_discarded += 1
                best = entry
            else:
                entry[_STATUS] = "discarded"
                self._commands_discarded += 1
        if best is not None:
            best[_STATUS] = "applied"
            best[_APPLIED_AT] = tick_time
            self._applied_seq = best[_SEQ]
            self._vel_x = best[_VX]
            self._vel_y = best[_VY]
            self._commands_applied += 1

    def _run_ticks(self, limit: float) -> None:
        """Simulate every tick due at or before ``limit``: the hot path, kept to plain floats."""
        start = self._start_time
        step = self._control_sleep
        high = self._world_size
        low = -high
        tolerance = _TIME_TOLERANCE
        commands = self._commands
        observations = self._observations
        push = heapq.heappush
        pop = heapq.heappop
        record = self._history.append
        delays = self._observation_delays
        index = self._observation_delay_index
        n_delays = len(delays)
        held_tick = self._held_tick
        received = discarded = 0
        x, y, vx, vy = self._x, self._y, self._vel_x, self._vel_y
        next_command = commands[0][0] if commands else _INF

        tick = self._next_tick
        t = start + tick * step
        while t <= limit:
            due = t + tolerance
            if next_command <= due:
                self._x, self._y = x, y
                self._apply_commands(t, due)
                vx, vy = self._vel_x, self._vel_y
                next_command = commands[0][0] if commands else _INF
            if index == n_delays:
                delays = self._observation_delays = self._draw(self._observation_rng)
                index = 0
            push(observations, (t + delays[index], tick, t, x, y))
            index += 1
            while observations[0][0] <= due:
                _, o_tick, o_time, o_x, o_y = pop(observations)
                if o_tick > held_tick:
                    held_tick = o_tick
                    self._held_time, self._held_x, self._held_y = o_time, o_x, o_y
                    received += 1
                else:
                    discarded += 1
                if not observations:
                    break
            record((t, x, y, vx, vy))
            x += vx * step
            if x > high:
                x = high
            elif x < low:
                x = low
            y += vy * step
            if y > high:
                y = high
            elif y < low:
                y = low
            tick += 1
            t = start + tick * step

        self._x, self._y = x, y
        self._next_tick = tick
        self._next_tick_time = t
        self._observation_delay_index = index
        self._held_tick = held_tick
        self._observations_received += received
        self._observations_discarded += discarded
