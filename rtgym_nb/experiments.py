"""Seeded reference experiments behind notebooks 04-06, runnable without Jupyter.

Everything here except :class:`BackgroundRun` runs on the simulated clock: nothing sleeps, a
run takes milliseconds, and every student who runs a cell gets the same numbers.

* :func:`elastic_run`: the elastic clock under a given inference time (notebook 04).
* :class:`BackgroundRun`: the tutorial's environment on the wall clock, stepped by a thread,
  so that a notebook can plot its timing live (notebook 04).
* :class:`RecordingInterface` and :func:`transition_run`: which action is applied when, around
  ``reset()`` (notebook 05).
* :func:`evaluate`, :func:`sweep` and :func:`predictability`: delayed MDPs, the action buffer
  and the controllers of :mod:`rtgym_nb.controllers` (notebook 06).

Timeouts are part of what these experiments show, so their environments count them
(``env.timeouts``, the trace's ``timed_out`` column) with ``warn_on_timeout`` off, instead of
letting :class:`~rtgym_nb.TimeStepTimeoutWarning` reach the notebook (from a background
thread, a warning would print into whatever cell is active).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import gymnasium
import numpy as np
from gymnasium import spaces

from rtgym_nb.clock import current_clock
from rtgym_nb.config import make_config
from rtgym_nb.controllers import PredictiveController
from rtgym_nb.interface import RealTimeGymInterface
from rtgym_nb.tutorial import proportional_controller, run_episode, tutorial_config

__all__ = [
    "DEFAULT_BUFFER_LENGTHS",
    "DEFAULT_DELAYS",
    "BackgroundRun",
    "Call",
    "EpisodeStats",
    "Event",
    "RecordingInterface",
    "SweepResult",
    "TransitionRun",
    "drone_env",
    "elastic_run",
    "evaluate",
    "fly",
    "predictability",
    "sweep",
    "transition_run",
]

ENV_ID = "real-time-gym-v1"


def _make(config: dict, env_id: str = ENV_ID, *, warn_on_timeout: bool = False) -> gymnasium.Env:
    """Make an environment; by default it counts timeouts without warning (see module doc)."""
    env = gymnasium.make(env_id, config=config, disable_env_checker=True)
    env.unwrapped.warn_on_timeout = warn_on_timeout
    return env


# ----------------------------------------------------------------------------- the elastic clock


def elastic_run(
    inference_time: float,
    *,
    steps: int = 80,
    time_step: float = 0.05,
    timeout_factor: float = 1.0,
    jitter: float = 0.5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Step the tutorial's environment with a policy that takes about ``inference_time`` s.

    Runs on the simulated clock. Before each ``step()`` the policy spends
    ``inference_time * (1 + jitter * u)`` seconds, with ``u`` uniform in [-1, 1] (seeded), so
    some steps are late even when the mean is not.

    Returns:
        The trace's arrays for the ``steps + 1`` time-steps (the first opened by ``reset()``;
        see :meth:`rtgym_nb.timing.TimingTrace.arrays`), plus ``"inference"`` (the time spent
        before the call that opened each time-step; NaN for the first) and ``"timeouts"``
        (a 0-d integer array: the environment's timeout count).
    """
    if inference_time < 0:
        raise ValueError(f"inference_time must be >= 0, got {inference_time!r}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    rng = np.random.default_rng(seed)
    durations = inference_time * (1.0 + jitter * rng.uniform(-1.0, 1.0, steps))
    config = tutorial_config(
        clock="simulated", time_step_duration=time_step, start_obs_capture=time_step,
        time_step_timeout_factor=timeout_factor, ep_max_length=np.inf,
    )
    with _make(config) as env:
        clock = env.unwrapped.clock
        action = env.unwrapped.default_action
        env.reset(seed=seed)
        for duration in durations:
            clock.sleep(float(duration))
            env.step(action)
        arrays = env.unwrapped.trace.arrays()
        arrays["timeouts"] = np.array(env.unwrapped.timeouts)
    arrays["inference"] = np.concatenate(([np.nan], durations))
    return arrays


# ----------------------------------------------------------------------------- the wall clock, live


class BackgroundRun:
    """The tutorial's environment on the wall clock, stepped by a background thread.

    The thread runs the proportional controller (or ``policy``) for ``duration`` seconds,
    spending ``inference_time`` before each step, while the notebook's own thread is free to
    draw the timing trace (:meth:`arrays`) as it fills. The thread never prints: timeouts are
    counted in :attr:`timeouts`, an exception is kept in :attr:`error` and re-raised by
    :meth:`join`.

    Use it as a context manager (``with BackgroundRun(...) as run:``): leaving the block joins
    the thread and closes the environment.

    Args:
        duration: Seconds of stepping.
        time_step: The time-step duration (s).
        inference_time: Seconds spent (with the clock's precise wait) before each step.
        env_id: ``"real-time-gym-v1"`` or ``"real-time-gym-ts-v1"``.
        policy: ``action = policy(obs)``; the tutorial's proportional controller by default.
        config: Overrides for :func:`~rtgym_nb.tutorial.tutorial_config`.
    """

    def __init__(
        self,
        duration: float = 3.0,
        *,
        time_step: float = 0.02,
        inference_time: float = 0.0,
        env_id: str = "real-time-gym-ts-v1",
        policy: Callable[[Any], Any] = proportional_controller,
        **config: Any,
    ) -> None:
        settings: dict[str, Any] = {
            "time_step_duration": time_step,
            "start_obs_capture": time_step,
            "ep_max_length": np.inf,
        }
        settings.update(config)
        self.duration = float(duration)
        self.inference_time = float(inference_time)
        self.policy = policy
        self.env = _make(tutorial_config(clock="wall", **settings), env_id)
        self.error: BaseException | None = None
        self.steps = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rtgym_nb-background-run",
                                        daemon=True)

    def start(self) -> BackgroundRun:
        """Start stepping (returns at once)."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def timeouts(self) -> int:
        return self.env.unwrapped.timeouts

    def arrays(self) -> dict[str, np.ndarray]:
        """A consistent copy of the trace so far (safe while the thread runs)."""
        return self.env.unwrapped.trace.arrays()

    def stop(self) -> None:
        """Ask the thread to stop after its current step."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread; re-raise what it raised."""
        self._thread.join(timeout)
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        self.stop()
        try:
            if self._thread.ident is not None:
                self.join()
        finally:
            self.env.close()

    def __enter__(self) -> BackgroundRun:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _loop(self) -> None:
        env = self.env.unwrapped  # the trace and clock live there; no wrapper to go through
        clock = env.clock
        try:
            obs, _ = env.reset(seed=0)
            end = clock.now() + self.duration
            while not self._stop.is_set() and clock.now() < end:
                action = self.policy(obs)
                if self.inference_time:
                    clock.sleep(self.inference_time)
                obs, _, terminated, truncated, _ = env.step(action)
                self.steps += 1
                if terminated or truncated:
                    obs, _ = env.reset()
            env.wait()  # close the open time-step; what follows is not a timeout
        except BaseException as exc:  # handed to join() on the caller's thread
            self.error = exc


# ----------------------------------------------------------------------------- reset transitions


_TIME_FIELDS = (
    "call", "joined", "send_start", "send_end", "nominal_start", "nominal_obs",
    "nominal_end", "capture_start", "capture_end", "returned",
)


class Event(NamedTuple):
    """One call into :class:`RecordingInterface`."""

    time: float
    """Clock time of the call."""
    kind: str
    """``"send"`` (``send_control``), ``"device"`` (an action the interface applied by itself,
    in ``wait()`` or ``reset()``), ``"reset"``, ``"wait"`` or ``"capture"``."""
    value: float
    """The action applied from now on (``"send"``, ``"device"``), or the one applied at the
    time of the call (the other kinds)."""


class RecordingInterface(RealTimeGymInterface):
    """A device that applies every action instantly and logs every call with its time.

    Actions are single numbers (``Box(-1000, 1000, (1,))``; the default action is 0), so a
    run can label them ``a0, a1, ...``. The observation is the action being applied. The log
    is :attr:`events`.

    Args:
        wait_action: If not None, ``wait()`` applies this action (e.g. "land").
        reset_action: If not None, ``reset()`` applies this action (e.g. "go home").
    """

    def __init__(self, wait_action: float | None = None,
                 reset_action: float | None = None) -> None:
        self.wait_action = wait_action
        self.reset_action = reset_action
        self.applied = 0.0
        self.events: list[Event] = []

    def _log(self, kind: str) -> None:
        self.events.append(Event(current_clock().now(), kind, self.applied))

    def _apply(self, value: float, kind: str) -> None:
        self.applied = float(value)
        self._log(kind)

    def get_observation_space(self) -> spaces.Tuple:
        return spaces.Tuple((spaces.Box(-1000.0, 1000.0, (1,), np.float32),))

    def get_action_space(self) -> spaces.Box:
        return spaces.Box(-1000.0, 1000.0, (1,), np.float32)

    def get_default_action(self) -> np.ndarray:
        return np.zeros(1, dtype=np.float32)

    def send_control(self, control: Any) -> None:
        self._apply(float(np.asarray(control).reshape(-1)[0]), "send")

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        self._log("reset")
        if self.reset_action is not None:
            self._apply(self.reset_action, "device")
        return self._obs(), {}

    def wait(self) -> None:
        self._log("wait")
        if self.wait_action is not None:
            self._apply(self.wait_action, "device")

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        self._log("capture")
        return self._obs(), 0.0, False, {}

    def _obs(self) -> list[np.ndarray]:
        return [np.array([self.applied], dtype=np.float32)]


class Call(NamedTuple):
    """One call of the agent into the environment."""

    kind: str
    """``"reset"`` or ``"step"``."""
    episode: int
    start: float
    """Clock time when the call was made."""
    end: float
    """Clock time when it returned."""
    action: float | None
    """The action passed to ``step()`` (None for ``reset()``)."""
    buffer: tuple[float, ...]
    """The action buffer in the returned observation, oldest first."""
    done: bool
    """The episode ended with this call (``terminated or truncated``)."""


@dataclasses.dataclass
class TransitionRun:
    """What :func:`transition_run` recorded. Times are on the simulated clock, from 0."""

    config: dict
    """The configuration the environment ran with."""
    calls: list[Call]
    events: list[Event]
    trace: dict[str, np.ndarray]
    """The environment's timing trace (:meth:`~rtgym_nb.timing.TimingTrace.arrays`)."""
    timeouts: int
    time_step: float

    def resets(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "reset"]

    def steps(self, episode: int | None = None) -> list[Call]:
        return [c for c in self.calls
                if c.kind == "step" and (episode is None or c.episode == episode)]

    def sent_during(self, call: Call) -> list[float]:
        """Actions that reached ``send_control`` while ``call`` ran."""
        return [e.value for e in self.events
                if e.kind == "send" and call.start <= e.time <= call.end]

    def applied_at(self, time: float) -> float:
        """The action the device applied at ``time`` (the default, 0, before anything)."""
        value = 0.0
        for event in self.events:
            if event.time > time:
                break
            if event.kind in ("send", "device"):
                value = event.value
        return value

    def segments(self, until: float | None = None) -> list[tuple[float, float, float, str]]:
        """``(start, end, action, how)`` for each stretch of one applied action.

        ``how`` is ``"send"`` (sent by the environment) or ``"device"`` (applied by the
        interface in ``wait()``/``reset()``). The last segment ends at ``until`` (default:
        the last recorded event).
        """
        changes = [e for e in self.events if e.kind in ("send", "device")]
        if until is None:
            until = self.events[-1].time if self.events else 0.0
        out = []
        for i, event in enumerate(changes):
            stop = changes[i + 1].time if i + 1 < len(changes) else max(until, event.time)
            out.append((event.time, stop, event.value, event.kind))
        return out


def transition_run(
    *,
    episodes: int = 2,
    steps: int = 3,
    inference: float = 0.02,
    pause: float = 0.08,
    set_default_on_done: bool = False,
    wait_action: float | None = None,
    reset_action: float | None = None,
    **config: Any,
) -> TransitionRun:
    """Run a short scripted session with :class:`RecordingInterface` on the simulated clock.

    Each episode is ``reset()`` followed by ``steps`` steps (``ep_max_length=steps``, so the
    last one truncates and its action is never sent). The actions are numbered across the
    session: ``step()`` number ``n`` (from 1) passes action ``n``; the default action is 0.
    Between episodes the agent spends ``pause`` seconds (logging, say) before the next
    ``reset()``; before each step it spends ``inference`` seconds.

    Args:
        set_default_on_done: When an episode ends, call ``env.set_default_action(last
            action)`` before the next ``reset()`` (the rtgym README's snippet).
        wait_action: Passed to :class:`RecordingInterface` (an action ``wait()`` applies).
        reset_action: Passed to :class:`RecordingInterface` (an action ``reset()`` applies).
        **config: Configuration entries, e.g. ``reset_act_buf=False``,
            ``last_act_on_reset=True``, ``wait_on_done=True``, ``act_buf_len=2``.
    """
    settings: dict[str, Any] = {
        "time_step_duration": 0.05,
        "start_obs_capture": 0.05,
        "act_buf_len": 2,
        "ep_max_length": steps,
        "clock": "simulated",
        "interface_kwargs": {"wait_action": wait_action, "reset_action": reset_action},
    }
    settings.update(config)
    cfg = make_config(RecordingInterface, **settings)
    calls: list[Call] = []

    def buffer_of(obs: tuple) -> tuple[float, ...]:
        return tuple(float(np.asarray(a).reshape(-1)[0]) for a in obs[1:])

    with _make(cfg) as env:
        clock = env.unwrapped.clock
        origin = clock.now()
        n = 0
        for episode in range(episodes):
            start = clock.now()
            obs, _ = env.reset()
            calls.append(Call("reset", episode, start, clock.now(), None, buffer_of(obs), False))
            done = False
            action = None
            while not done:
                clock.sleep(inference)
                n += 1
                action = np.array([n], dtype=np.float32)
                start = clock.now()
                obs, _, terminated, truncated, _ = env.step(action)
                done = bool(terminated or truncated)
                calls.append(Call("step", episode, start, clock.now(), float(n),
                                  buffer_of(obs), done))
            if set_default_on_done and action is not None:
                env.unwrapped.set_default_action(action)
            clock.sleep(pause)
        interface = env.unwrapped.interface
        events = list(interface.events)
        trace = env.unwrapped.trace.arrays()
        timeouts = env.unwrapped.timeouts

    calls = [c._replace(start=c.start - origin, end=c.end - origin) for c in calls]
    events = [e._replace(time=e.time - origin) for e in events]
    for key in _TIME_FIELDS:
        trace[key] = trace[key] - origin
    return TransitionRun(cfg, calls, events, trace, int(timeouts),
                         float(settings["time_step_duration"]))



# ----------------------------------------------------------------------------- delayed MDPs

DEFAULT_DELAYS: tuple[tuple[float, float], ...] = (
    (0.0, 0.01),
    (0.01, 0.03),
    (0.02, 0.05),
    (0.04, 0.08),
    (0.06, 0.12),
)
"""Communication delay ranges ``(min, max)`` in seconds swept by default; the tutorial's
drone is ``(0.02, 0.05)``."""

DEFAULT_BUFFER_LENGTHS: tuple[int, ...] = (0, 1, 2, 3, 4)
"""Action buffer lengths swept by default; the tutorial uses 4."""


def drone_env(delay: tuple[float, float] = (0.02, 0.05), act_buf_len: int = 4,
              **overrides: Any) -> gymnasium.Env:
    """The tutorial's environment on the simulated clock, with the drone's delays set."""
    delay_min, delay_max = delay
    config = tutorial_config(
        clock="simulated", act_buf_len=act_buf_len,
        interface_kwargs={"drone_kwargs": {"communication_delay_min": delay_min,
                                           "communication_delay_max": delay_max}},
        **overrides,
    )
    return _make(config)


def make_controller(name: str, delay: tuple[float, float]) -> Callable[[Any], np.ndarray]:
    """``"proportional"`` (the tutorial's) or ``"predictive"`` (tuned to ``delay``)."""
    if name == "proportional":
        return proportional_controller
    if name == "predictive":
        return PredictiveController.for_drone(*delay)
    raise ValueError(f"unknown controller {name!r}; expected 'proportional' or 'predictive'")


class EpisodeStats(NamedTuple):
    """Outcome of :func:`evaluate`: one entry per episode (seeds ``seed, seed + 1, ...``)."""

    reached: np.ndarray
    """Boolean: the drone reached its target before the episode's 100 time-steps ran out."""
    steps: np.ndarray
    """Episode lengths in time-steps."""
    final_distance: np.ndarray
    """Observed distance to the target at the end."""
    time_step: float

    @property
    def success_rate(self) -> float:
        return float(self.reached.mean())

    @property
    def time_to_target(self) -> float:
        """Median time to reach the target (s), over the successful episodes (NaN if none)."""
        if not self.reached.any():
            return float("nan")
        return float(np.median(self.steps[self.reached]) * self.time_step)


def evaluate(
    controller: str | Callable[[Any], np.ndarray] = "predictive",
    *,
    delay: tuple[float, float] = (0.02, 0.05),
    act_buf_len: int = 4,
    episodes: int = 20,
    seed: int = 0,
) -> EpisodeStats:
    """Fly ``episodes`` seeded episodes on the simulated clock and tally the outcomes.

    Episode ``i`` uses ``reset(seed=seed + i)``: the same targets and message delays for
    every controller and buffer length (common random numbers make comparisons sharp).
    """
    policy = make_controller(controller, delay) if isinstance(controller, str) else controller
    results = []
    with drone_env(delay, act_buf_len) as env:
        for i in range(episodes):
            results.append(run_episode(env, policy, seed=seed + i))
        time_step = env.unwrapped.time_step_duration
    return EpisodeStats(
        reached=np.array([r["outcome"] == "reached" for r in results]),
        steps=np.array([r["steps"] for r in results]),
        final_distance=np.array([r["final_distance"] for r in results]),
        time_step=time_step,
    )


def fly(
    controller: str | Callable[[Any], np.ndarray] = "predictive",
    *,
    delay: tuple[float, float] = (0.02, 0.05),
    act_buf_len: int = 4,
    seed: int = 0,
) -> dict[str, Any]:
    """Fly one seeded episode and return the ground truth that only a simulation can show.

    Returns:
        ``"times"`` (s since the episode's start, one per drone tick), ``"true"`` (true
        positions at those ticks, shape ``(n, 2)``), ``"observed"`` (the position each step
        observed, ``(steps, 2)``), ``"step_times"`` (when each step's observation was
        captured), ``"target"`` (shape ``(2,)``), ``"distance"`` (true distance to the target
        at each tick) and ``"result"`` (what :func:`~rtgym_nb.tutorial.run_episode` returns).
    """
    policy = make_controller(controller, delay) if isinstance(controller, str) else controller
    observed, step_times = [], []

    def recording_policy(obs: Any) -> np.ndarray:
        observed.append((float(obs[0][0]), float(obs[1][0])))
        step_times.append(clock.now())
        return policy(obs)

    with drone_env(delay, act_buf_len) as env:
        clock = env.unwrapped.clock
        result = run_episode(env, recording_policy, seed=seed)
        interface = env.unwrapped.interface
        drone = interface.drone
        history = drone.history()
        target = np.array(interface.target, dtype=np.float64)
        start = drone.start_time
    true = history.positions
    return {
        "times": history.times - start,
        "true": true,
        "observed": np.array(observed).reshape(-1, 2),
        "step_times": np.array(step_times) - start,
        "target": target,
        "distance": np.linalg.norm(true - target, axis=1),
        "result": result,
    }


@dataclasses.dataclass
class SweepResult:
    """Success rates and times to target over delay ranges x buffer lengths, per controller."""

    delays: tuple[tuple[float, float], ...]
    buffer_lengths: tuple[int, ...]
    episodes: int
    seed: int
    success: dict[str, np.ndarray]
    """``controller -> array (len(delays), len(buffer_lengths))`` of success rates."""
    time_to_target: dict[str, np.ndarray]
    """Same shape: median seconds to reach the target over successful episodes (NaN: none)."""

    def table(self, controller: str = "predictive", what: str = "success") -> str:
        """A plain-text table (rows: delay ranges, columns: buffer lengths)."""
        data = (self.success if what == "success" else self.time_to_target)[controller]
        head = f"{controller} {what}".ljust(26) + "".join(
            f"buf={b:<4d}" for b in self.buffer_lengths)
        lines = [head]
        for (lo, hi), row in zip(self.delays, data, strict=True):
            label = f"delay {lo * 1e3:3.0f}-{hi * 1e3:3.0f} ms".ljust(26)
            lines.append(label + "".join(f"{v:<8.2f}" for v in row))
        return "\n".join(line.rstrip() for line in lines)


def sweep(
    delays: Sequence[tuple[float, float]] = DEFAULT_DELAYS,
    buffer_lengths: Sequence[int] = DEFAULT_BUFFER_LENGTHS,
    *,
    episodes: int = 20,
    seed: int = 0,
    controllers: Sequence[str] = ("proportional", "predictive"),
) -> SweepResult:
    """Evaluate each controller for every delay range and action-buffer length.

    The proportional controller ignores the buffer, so it is evaluated once per delay range
    and its row repeated across buffer lengths. Deterministic for a given ``seed``.
    """
    delays = tuple((float(lo), float(hi)) for lo, hi in delays)
    buffer_lengths = tuple(int(b) for b in buffer_lengths)
    shape = (len(delays), len(buffer_lengths))
    success = {name: np.full(shape, np.nan) for name in controllers}
    ttt = {name: np.full(shape, np.nan) for name in controllers}
    for i, delay in enumerate(delays):
        for name in controllers:
            lengths = (0,) if name == "proportional" else buffer_lengths
            for j, length in enumerate(lengths):
                stats = evaluate(name, delay=delay, act_buf_len=length, episodes=episodes,
                                 seed=seed)
                cols = slice(None) if name == "proportional" else j
                success[name][i, cols] = stats.success_rate
                ttt[name][i, cols] = stats.time_to_target
    return SweepResult(delays, buffer_lengths, episodes, seed, success, ttt)


def predictability(
    buffer_lengths: Sequence[int] = DEFAULT_BUFFER_LENGTHS,
    *,
    delay: tuple[float, float] = (0.02, 0.05),
    episodes: int = 20,
    steps: int = 100,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """How well the next observed move can be predicted from the observation and k actions.

    A statistical look at the Markov property. The drone is flown with random actions
    (uniform in [-1, 1] per axis, seeded) on the simulated clock, recording for each step the
    observed displacement ``pos[t+1] - pos[t]``. For each ``k`` in ``buffer_lengths`` a linear
    model (least squares, with an intercept) predicts that displacement from the newest ``k``
    buffered actions; its R^2 says how much of the next move the observation plus ``k``
    actions explain. (The observed position itself is useless here: the actions are random,
    so where the drone is says nothing about where it goes.)

    Returns:
        ``"buffer_lengths"``, ``"r2"`` (one value per k), and ``"weights"``: for the longest
        buffer, the fitted coefficient of each action (oldest first), i.e. how many seconds
        each buffered command moved the drone between two observations.
    """
    buffer_lengths = tuple(int(k) for k in buffer_lengths)
    longest = max(buffer_lengths)
    rng = np.random.default_rng(seed)
    moves, histories = [], []
    with drone_env(delay, max(longest, 1), ep_max_length=steps) as env:
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            buffer = [np.zeros(2)] * longest
            position = np.array([obs[0][0], obs[1][0]], dtype=np.float64)
            for _ in range(steps):
                action = rng.uniform(-1.0, 1.0, 2).astype(np.float32)
                obs, _, terminated, truncated, _ = env.step(action)
                new_position = np.array([obs[0][0], obs[1][0]], dtype=np.float64)
                # the buffer as the observation *before* this step showed it
                histories.append(np.array(buffer[len(buffer) - longest:]).reshape(longest, 2))
                moves.append(new_position - position)
                buffer = [*buffer, action.astype(np.float64)][-longest:] if longest else []
                position = new_position
                if terminated or truncated:
                    break
    y = np.array(moves)  # (n, 2)
    hist = np.array(histories)  # (n, longest, 2), oldest first
    # One model for both axes (the drone is isotropic): move = c + sum_j w_j * action_j, fitted
    # on the x and y samples together, so the models for growing k are nested and R^2 grows.
    target = np.concatenate([y[:, 0], y[:, 1]])
    total = ((target - target.mean()) ** 2).sum()
    r2 = []
    weights = np.zeros(longest)
    for k in buffer_lengths:
        features = hist[:, longest - k:, :]  # the newest k actions
        x = np.concatenate([features[:, :, 0], features[:, :, 1]])
        x = np.column_stack([x, np.ones(len(x))])
        coef, *_ = np.linalg.lstsq(x, target, rcond=None)
        residual = target - x @ coef
        if k == longest:
            weights = coef[:k]
        r2.append(1.0 - (residual ** 2).sum() / total)
    return {"buffer_lengths": np.array(buffer_lengths), "r2": np.array(r2), "weights": weights}
