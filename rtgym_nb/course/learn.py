"""A learner for the tutorial's drone: the cross-entropy method on a linear policy.

The smallest reinforcement-learning agent that shows what the action buffer is for, in numpy
and in seconds. It learns on the ordinary real-time environment (``gymnasium.make`` of
``real-time-gym-v1``, the simulated clock by default, the wall clock when asked).

**The policy** is linear in what the agent observes. With ``e`` the error (target minus
observed position, per axis), ``dt`` the time-step and ``a[t-k]`` the action sent ``k`` steps
ago (``k = 1`` is the newest action in the buffer)::

    a[t] = clip( theta[0] * e / dt  +  theta[1] * a[t-1] + ... + theta[n] * a[t-n] ,  -2, 2)

The drone behaves the same along x and y, so one weight vector serves both axes: ``n + 1``
numbers in all. ``theta[0] = 1`` is the tutorial's proportional controller (gain 20 at 20 Hz).
Without a buffer (``n = 0``) only ``theta[0]`` is left: the agent is *delay-blind*.

:class:`~rtgym_nb.course.controllers.PredictiveController` is such a policy too (with
``theta[0] = gain`` and ``theta[k] = -gain * w[t-k] / dt``, ``w`` its weights):
:func:`predictor_theta` writes it in this form, so a notebook can set what the agent learned
against what the predictor was told.

**The learner** is the cross-entropy method (CEM): keep a Gaussian over ``theta``; each
iteration, draw a population of candidates, fly each on the same few seeded episodes
(common random numbers: they differ only by their weights), keep the best few (the *elite*),
and refit the Gaussian to them. Candidate 0 of every population is the current mean, whose
return is the learning curve. Every number comes from a seeded generator and the simulated
clock, so a run is exactly reproducible.

Episodes are flown through one ``map``-like callable (the builtin :func:`map` by default), one
call per population, with picklable jobs and a top-level :func:`rollout`: pass an executor's
``map`` to fly candidates in parallel, with the same results in the same order.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from rtgym_nb.course.controllers import PredictiveController
from rtgym_nb.course.episodes import Episodes
from rtgym_nb.course.lessons.delayed_mdps import buffer_for, drone_env

__all__ = [
    "HELD_OUT_SEED",
    "CrossEntropyLearner",
    "Evaluation",
    "IterationRecord",
    "LinearPolicy",
    "Rollout",
    "Task",
    "buffer_for",
    "evaluate_policy",
    "learn",
    "learned_policy",
    "mean_ci",
    "predictor_theta",
    "rollout",
    "t_quantile",
]

MapLike = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]

HELD_OUT_SEED = 2**31
"""Evaluation episodes use seeds from here up; training seeds are drawn below it."""


@dataclasses.dataclass(frozen=True)
class Task:
    """The tutorial's drone task, with the knobs the lessons turn. Hashable and picklable."""

    delay: tuple[float, float] = (0.02, 0.05)
    """The drone's random communication delay range ``(min, max)`` in seconds, each way."""
    act_buf_len: int = 4
    """Actions appended to the observation (0: the agent is delay-blind)."""
    time_step: float = 0.05
    """The environment's time-step (s); the observation is captured at its end."""
    clock: str = "simulated"
    """``"simulated"`` (instant, exactly reproducible) or ``"wall"`` (real time)."""

    def __post_init__(self) -> None:
        lo, hi = self.delay
        if not 0 <= lo <= hi:
            raise ValueError(f"delay must be (min, max) with 0 <= min <= max, got {self.delay!r}")
        if self.act_buf_len < 0:
            raise ValueError(f"act_buf_len must be >= 0, got {self.act_buf_len!r}")
        if self.time_step <= 0:
            raise ValueError(f"time_step must be > 0, got {self.time_step!r}")
        if self.clock not in ("simulated", "wall"):
            raise ValueError(f"clock must be 'simulated' or 'wall', got {self.clock!r}")

    def make_env(self) -> Any:
        """The real-time environment (``real-time-gym-v1``) for this task.

        Each seeded reset flies a fresh drone at rest, so the action buffer is emptied too
        (``reset_act_buf=True``): an episode then depends on its seed and the policy alone.
        """
        return drone_env(self.delay, self.act_buf_len, clock=self.clock,
                         time_step_duration=self.time_step, start_obs_capture=self.time_step,
                         reset_act_buf=True)


class LinearPolicy:
    """``a[t] = clip(theta[0] * e / dt + sum_k theta[k] * a[t-k], -2, 2)`` (module docstring)."""

    def __init__(self, theta: Sequence[float], time_step: float = 0.05) -> None:
        self.theta = np.asarray(theta, dtype=np.float64).copy()
        self.time_step = float(time_step)

    def __call__(self, obs: Sequence[Any]) -> np.ndarray:
        error = np.array([obs[2][0] - obs[0][0], obs[3][0] - obs[1][0]], dtype=np.float64)
        action = self.theta[0] * error / self.time_step
        n = len(self.theta) - 1
        if n:
            newest_first = np.array(obs[len(obs) - 1:len(obs) - 1 - n:-1], dtype=np.float64)
            action = action + self.theta[1:] @ newest_first.reshape(n, 2)
        return np.clip(action, -2.0, 2.0).astype(np.float32)

    def __repr__(self) -> str:
        return f"LinearPolicy(theta={np.round(self.theta, 3).tolist()})"


def predictor_theta(controller: PredictiveController, act_buf_len: int) -> np.ndarray:
    """The predictive controller written as a :class:`LinearPolicy`'s ``theta``.

    It computes ``gain * (e - sum_k w[t-k] a[t-k]) / dt`` (ignoring its clip of the buffered
    speeds), so ``theta[0] = gain`` and ``theta[k] = -gain * w[t-k] / dt``.
    """
    weights = controller.weights(act_buf_len)[::-1]  # newest first: w[t-1], w[t-2], ...
    return np.concatenate([[controller.gain], -controller.gain * weights / controller.time_step])


@dataclasses.dataclass(frozen=True)
class Rollout:
    """One job for :func:`rollout`: fly ``theta`` on ``task`` for each seed (picklable)."""

    task: Task
    theta: tuple[float, ...]
    seeds: tuple[int, ...]


def rollout(job: Rollout) -> Episodes:
    """Fly one policy on a fresh environment for each of the job's seeds.

    A top-level function of a picklable argument, so that a process pool's ``map`` can run it.
    """
    with job.task.make_env() as env:
        return Episodes.fly(env, LinearPolicy(job.theta, job.task.time_step), job.seeds)


_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
          2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
          2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_quantile(n: int) -> float:
    """The 97.5% quantile of Student's t with ``n - 1`` degrees of freedom (for a 95% CI)."""
    if n < 2:
        raise ValueError(f"a confidence interval needs at least 2 values, got {n}")
    return _T_975[n - 2] if n - 1 <= len(_T_975) else 1.96


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95% confidence interval (Student's t)."""
    values = np.asarray(values, dtype=np.float64)
    half = t_quantile(len(values)) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean()), float(half)


class Evaluation(Episodes):
    """A policy flown on held-out seeded episodes (seeds ``HELD_OUT_SEED + i``)."""

    @property
    def mean_return(self) -> float:
        return float(self.returns.mean())

    @property
    def ci95(self) -> float:
        """Half-width of the 95% confidence interval of the mean return."""
        return mean_ci(self.returns)[1]

    @property
    def time_to_target(self) -> float:
        """Mean time to reach the target (s) over the episodes that reached it (NaN if none)."""
        return self.time_to_target_by(np.mean)

    def line(self, label: str = "learned policy") -> str:
        """One line: ``<label>: return -12.34 ± 0.56 (95% CI), reached 97% of targets, ...``."""
        return (f"{label}: return {self.mean_return:.2f} ± {self.ci95:.2f} (95% CI), "
                f"reached {self.success_rate:.0%} of targets, "
                f"mean time to target {self.time_to_target:.2f} s")


def evaluate_policy(policy: LinearPolicy | Sequence[float], task: Task, *, episodes: int = 100,
                    map: MapLike = map, chunk: int = 25) -> Evaluation:
    """Fly a linear policy on ``episodes`` held-out seeded episodes (``chunk`` per job)."""
    theta = tuple(float(v) for v in getattr(policy, "theta", policy))
    seeds = [HELD_OUT_SEED + i for i in range(episodes)]
    jobs = [Rollout(task, theta, tuple(seeds[i:i + chunk])) for i in range(0, episodes, chunk)]
    return Evaluation.joined(list(map(rollout, jobs)))


class IterationRecord(NamedTuple):
    """What one CEM iteration did: a point of the learning curve."""

    iteration: int
    steps: int
    """Environment steps used so far, this iteration's included."""
    mean_return: float
    """Return of the current mean policy (candidate 0) on this iteration's episodes."""
    best_return: float
    theta: np.ndarray
    """The mean of the search distribution after this iteration."""
    std: np.ndarray


class CrossEntropyLearner:
    """The cross-entropy method on :class:`LinearPolicy` weights (see the module docstring).

    Call :meth:`iteration` to learn one population at a time (a notebook interleaves two
    learners this way and draws their curves live), or iterate over the learner.

    Args:
        task: What to learn.
        seed: Seeds the search and the choice of training episodes.
        population: Candidates per iteration (candidate 0 is the current mean).
        elite: How many of the best candidates the next distribution is fitted to.
        episodes: Episodes per candidate and iteration (the same seeds for all candidates).
        init_std: Initial spread of every weight (they all start at 0).
        noise: Extra spread added after each refit, shrinking as ``1 / iteration``, so that
            the search does not collapse on a lucky first elite.
        map: ``map``-like callable the population's rollouts go through.
    """

    def __init__(self, task: Task = Task(), *, seed: int = 0, population: int = 12,
                 elite: int = 3, episodes: int = 3, init_std: float = 0.3,
                 noise: float = 0.1, map: MapLike = map) -> None:
        if not 1 <= elite < population:
            raise ValueError(f"need 1 <= elite < population, got {elite} and {population}")
        if episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {episodes}")
        self.task = task
        self.population, self.elite, self.episodes = population, elite, episodes
        self.noise = noise
        self.map = map
        self.rng = np.random.default_rng(seed)
        self.mean = np.zeros(task.act_buf_len + 1)
        self.std = np.full(task.act_buf_len + 1, float(init_std))
        self.steps = 0
        self.history: list[IterationRecord] = []

    @property
    def policy(self) -> LinearPolicy:
        """The current mean policy."""
        return LinearPolicy(self.mean, self.task.time_step)

    def iteration(self) -> IterationRecord:
        """Draw a population, fly it, refit the distribution to the elite; return the record."""
        seeds = tuple(int(s) for s in self.rng.integers(0, HELD_OUT_SEED, self.episodes))
        noise = self.rng.standard_normal((self.population - 1, len(self.mean)))
        candidates = np.vstack([self.mean, self.mean + self.std * noise])
        jobs = [Rollout(self.task, tuple(float(v) for v in c), seeds) for c in candidates]
        results = list(self.map(rollout, jobs))
        scores = np.array([r.returns.mean() for r in results])
        self.steps += int(sum(r.steps.sum() for r in results))
        best = np.argsort(-scores, kind="stable")[:self.elite]
        n = len(self.history) + 1
        self.mean = candidates[best].mean(axis=0)
        self.std = candidates[best].std(axis=0) + self.noise / n
        record = IterationRecord(n, self.steps, float(scores[0]), float(scores[best[0]]),
                                 self.mean.copy(), self.std.copy())
        self.history.append(record)
        return record

    def run(self, steps: int) -> Iterator[IterationRecord]:
        """Iterate until ``steps`` environment steps have been used (yields each record)."""
        while self.steps < steps:
            yield self.iteration()


DEFAULT_STEPS = 30_000
"""Learning budget (environment steps) of :func:`learn` and ``python -m rtgym_nb learn``."""


def learn(task: Task = Task(), *, steps: int = DEFAULT_STEPS, seed: int = 0,
          map: MapLike = map, on_iteration: Callable[[IterationRecord], None] | None = None,
          **learner_kwargs: Any) -> CrossEntropyLearner:
    """Learn a policy for ``task`` with a budget of ``steps`` environment steps."""
    learner = CrossEntropyLearner(task, seed=seed, map=map, **learner_kwargs)
    for record in learner.run(steps):
        if on_iteration is not None:
            on_iteration(record)
    return learner


DASHBOARD_STEPS = 10_000
"""Learning budget of :func:`learned_policy`: a couple of seconds, so a class waits little."""


@functools.lru_cache(maxsize=32)
def learned_policy(task: Task, steps: int = DASHBOARD_STEPS, seed: int = 0) -> LinearPolicy:
    """A policy learnt for ``task`` on the simulated clock, remembered for the next call.

    This is the dashboard's "learned" controller: choosing it (or changing the buffer, the
    delays or the time-step) trains an agent once for those settings; coming back to settings
    already seen reuses it.
    """
    simulated = dataclasses.replace(task, clock="simulated")
    return learn(simulated, steps=steps, seed=seed).policy
