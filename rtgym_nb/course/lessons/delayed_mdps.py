"""The experiments behind notebook 06: delayed MDPs, the action buffer and the controllers.

:func:`evaluate`, :func:`fly`, :func:`sweep` and :func:`predictability` fly the tutorial's drone
on the simulated clock with the controllers of :mod:`rtgym_nb.course.controllers`; every run is
seeded and takes milliseconds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium
import numpy as np

from rtgym_nb.course.controllers import PredictiveController
from rtgym_nb.course.episodes import Episodes
from rtgym_nb.course.lessons._env import make_env
from rtgym_nb.course.parallel import Executor, map_seeded
from rtgym_nb.course.tutorial import proportional_controller, run_episode, tutorial_config

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
              clock: Any = "simulated", **overrides: Any) -> gymnasium.Env:
    """The tutorial's environment, with the drone's delays set (simulated clock by default)."""
    delay_min, delay_max = delay
    config = tutorial_config(
        clock=clock, act_buf_len=act_buf_len,
        interface_kwargs={"drone_kwargs": {"communication_delay_min": delay_min,
                                           "communication_delay_max": delay_max}},
        **overrides,
    )
    return make_env(config)


def make_controller(name: str, delay: tuple[float, float]) -> Callable[[Any], np.ndarray]:
    """``"proportional"`` (the tutorial's) or ``"predictive"`` (tuned to ``delay``)."""
    if name == "proportional":
        return proportional_controller
    if name == "predictive":
        return PredictiveController.for_drone(*delay)
    raise ValueError(f"unknown controller {name!r}; expected 'proportional' or 'predictive'")


class EpisodeStats(Episodes):
    """Outcome of :func:`evaluate`: one entry per episode (seeds ``seed, seed + 1, ...``)."""

    @property
    def time_to_target(self) -> float:
        """Median time to reach the target (s), over the successful episodes (NaN if none)."""
        return self.time_to_target_by(np.median)


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
    every controller and buffer length (common random numbers make comparisons sharp). The
    episodes run one after the other in one environment, as a student's would: each starts
    with the action buffer the last one left (the tutorial keeps it across resets), so they
    cannot be spread over processes; :func:`sweep` spreads whole evaluations instead.
    """
    policy = make_controller(controller, delay) if isinstance(controller, str) else controller
    with drone_env(delay, act_buf_len) as env:
        return EpisodeStats.fly(env, policy, range(seed, seed + episodes))


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
        at each tick) and ``"result"`` (what :func:`~rtgym_nb.course.tutorial.run_episode` returns).
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
    executor: Executor | None = None,
) -> SweepResult:
    """Evaluate each controller for every delay range and action-buffer length.

    The proportional controller ignores the buffer, so it is evaluated once per delay range
    and its row repeated across buffer lengths. Deterministic for a given ``seed``, whatever
    the ``executor`` that runs the evaluations (:func:`~rtgym_nb.course.parallel.map_seeded`:
    by default, on this machine's CPUs).
    """
    delays = tuple((float(lo), float(hi)) for lo, hi in delays)
    buffer_lengths = tuple(int(b) for b in buffer_lengths)
    shape = (len(delays), len(buffer_lengths))
    success = {name: np.full(shape, np.nan) for name in controllers}
    ttt = {name: np.full(shape, np.nan) for name in controllers}
    cells = [(i, name, j, delay, length)
             for i, delay in enumerate(delays)
             for name in controllers
             for j, length in enumerate((0,) if name == "proportional" else buffer_lengths)]
    runs = [(name, delay, length, episodes, seed) for _, name, _, delay, length in cells]
    for (i, name, j, _, _), stats in zip(cells, map_seeded(_evaluate, runs, executor),
                                         strict=True):
        cols = slice(None) if name == "proportional" else j
        success[name][i, cols] = stats.success_rate
        ttt[name][i, cols] = stats.time_to_target
    return SweepResult(delays, buffer_lengths, episodes, seed, success, ttt)


def _evaluate(run: tuple[str, tuple[float, float], int, int, int]) -> EpisodeStats:
    """One cell of :func:`sweep`: :func:`evaluate` with its settings in one picklable tuple."""
    name, delay, length, episodes, seed = run
    return evaluate(name, delay=delay, act_buf_len=length, episodes=episodes, seed=seed)


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


# ----------------------------------------------------------------------------- delay and gain

CONTROL_SLEEP = 0.01
"""The tutorial drone's tick (s): a command waits up to one tick, an observation is up to one
tick older than its message says."""


def loop_delay(delay: tuple[float, float], *, worst: bool = True,
               control_sleep: float = CONTROL_SLEEP) -> float:
    """From a command leaving to its effect showing in an observation (s), worst case or mean.

    A command travels to the drone (one message delay) and waits for its next tick; the
    position it causes travels back (another message delay) and is up to a tick old. Worst
    case: ``2 * (max delay + tick)``; mean: ``2 * (mean delay + tick / 2)``.
    """
    if worst:
        return 2 * (delay[1] + control_sleep)
    return 2 * (0.5 * (delay[0] + delay[1]) + 0.5 * control_sleep)


def buffer_for(delay: tuple[float, float], time_step: float = 0.05, *, worst: bool = True,
               control_sleep: float = CONTROL_SLEEP) -> int:
    """The rule of thumb: enough actions to cover the total delay, in time-steps.

    Total delay = one time-step (the action is sent when the step's observation is captured)
    + the :func:`~rtgym_nb.course.lessons.delayed_mdps.loop_delay`. Size it for the *worst*
    case (``worst=True``, the default): a buffer sized for the mean misses the commands in
    flight whenever the delays run long.
    """
    total = time_step + loop_delay(delay, worst=worst, control_sleep=control_sleep)
    return math.ceil(total / time_step - 1e-9)


def stability_bound(d: int) -> float:
    """Largest stable gain of ``x[t+1] = x[t] - k * x[t-d]``: ``2 sin(pi / (2 (2d + 1)))``.

    For ``0 < k`` below this bound every solution decays to 0; above it, one oscillates with
    growing amplitude (the drone's speed limit turns that into endless circling). ``d = 0`` is
    the undelayed loop (any ``k < 2``); each step of delay lowers the bound: 1, 0.618, 0.445,
    0.347, ...
    """
    if d < 0:
        raise ValueError(f"d must be >= 0, got {d!r}")
    return 2 * math.sin(math.pi / (2 * (2 * d + 1)))


def recurrence_decays(k: float, d: int, steps: int = 2000) -> bool:
    """Simulate ``x[t+1] = x[t] - k x[t-d]`` from ``x = 1`` and say whether it dies out."""
    x = [1.0] * (d + 1)
    for _ in range(steps):
        x.append(x[-1] - k * x[-1 - d])
    return abs(x[-1]) < 1e-3 and max(abs(v) for v in x[-d - 2:]) < 1e-3


def delay_steps(delay: tuple[float, float], time_step: float = 0.05) -> int:
    """The drone's worst-case :func:`loop_delay` in whole time-steps (rounded up): the ``d``
    of :func:`stability_bound` for a proportional controller without a buffer."""
    return math.ceil(loop_delay(delay) / time_step - 1e-9)


def proportional(gain_per_step: float) -> Callable[[Any], np.ndarray]:
    """The tutorial's controller with gain ``k`` per time-step (``k = 1``: gain 20 at 20 Hz)."""
    gain = gain_per_step / 0.05

    def controller(obs: Any) -> np.ndarray:
        return proportional_controller(obs, gain=gain)

    controller.__name__ = f"proportional(k={gain_per_step:g})"
    return controller


DEFAULT_GAINS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Proportional gains per time-step swept by default (1.0 is the tutorial's gain 20)."""


@dataclasses.dataclass
class GainSweep:
    """Success rate and time to target of the proportional controller over gains, per delay."""

    delays: tuple[tuple[float, float], ...]
    gains: tuple[float, ...]
    success: np.ndarray
    """Shape ``(len(delays), len(gains))``."""
    time_to_target: np.ndarray

    def best(self, min_success: float = 0.9) -> list[tuple[float, float, float]]:
        """Per delay, the fastest gain reaching ``min_success``: ``(gain, success, time)``
        (the most successful gain when none does)."""
        rows = []
        for success, ttt in zip(self.success, self.time_to_target, strict=True):
            ok = success >= min_success
            j = int(np.nanargmin(np.where(ok, ttt, np.inf))) if ok.any() else int(
                np.argmax(success))
            rows.append((self.gains[j], float(success[j]), float(ttt[j])))
        return rows

    def largest_stable(self, min_success: float = 0.9) -> list[float]:
        """Per delay, the largest gain below which every gain reaches ``min_success``."""
        out = []
        for success in self.success:
            failing = np.flatnonzero(success < min_success)
            last = failing[0] - 1 if len(failing) else len(self.gains) - 1
            out.append(self.gains[last] if last >= 0 else float("nan"))
        return out


def gain_sweep(delays: Sequence[tuple[float, float]] = DEFAULT_DELAYS,
               gains: Sequence[float] = DEFAULT_GAINS, *, episodes: int = 20,
               seed: int = 0) -> GainSweep:
    """Fly the proportional controller without a buffer for every delay range and gain."""
    delays = tuple((float(lo), float(hi)) for lo, hi in delays)
    gains = tuple(float(k) for k in gains)
    success = np.zeros((len(delays), len(gains)))
    ttt = np.zeros_like(success)
    for i, delay in enumerate(delays):
        for j, k in enumerate(gains):
            stats = evaluate(proportional(k), delay=delay, act_buf_len=0, episodes=episodes,
                             seed=seed)
            success[i, j], ttt[i, j] = stats.success_rate, stats.time_to_target
    return GainSweep(delays, gains, success, ttt)
