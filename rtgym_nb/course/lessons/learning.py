"""The experiments behind notebook 07: reinforcement learning with and without the action buffer.

* :func:`toy_lesson`: tabular Q-learning on the one-step-late toy (:mod:`rtgym_nb.course.toy_mdp`),
  turn-based, real-time on the position, real-time on (position, action in flight);
* :func:`train_side_by_side`: several cross-entropy learners (:mod:`rtgym_nb.course.learn`) on
  the drone, advanced in turn so that their curves grow together, on the same seed;
* :func:`seed_summary`: the held-out return of each agent over several seeds.

Every run is seeded and on the simulated clock: each student gets the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rtgym_nb.course import toy_mdp
from rtgym_nb.course.learn import (
    CrossEntropyLearner,
    IterationRecord,
    MapLike,
    Task,
    evaluate_policy,
    learn,
)

NOTEBOOK_STEPS = 20_000
"""Learning budget per agent in notebook 07 (the command line uses 30,000)."""

TOY_AGENTS = {
    "turn-based, state x": ("turn-based", "position"),
    "real-time, state x": ("real-time", "position"),
    "real-time, state (x, a[t-1])": ("real-time", "position+action"),
}


def toy_lesson(seed: int = 0, episodes: int = 2000) -> dict[str, toy_mdp.QResult]:
    """Q-learning on the toy, three ways (:data:`TOY_AGENTS`), from the same seed."""
    return {label: toy_mdp.q_learning(world, observed, episodes=episodes, seed=seed)
            for label, (world, observed) in TOY_AGENTS.items()}


def train_side_by_side(
    tasks: dict[str, Task], *, steps: int = NOTEBOOK_STEPS, seed: int = 0,
    on_iteration: Callable[[str, IterationRecord], None] | None = None, map: MapLike = map,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, CrossEntropyLearner]:
    """Train one learner per task, always advancing the one that has used fewest steps.

    All learners share ``seed``, so they draw the same training episodes in the same order.
    ``on_iteration(label, record)`` is called after each iteration (to draw live curves);
    ``should_stop()``, if given, can end training early (a widget's *stop* button).
    """
    learners = {label: CrossEntropyLearner(task, seed=seed, map=map)
                for label, task in tasks.items()}
    while True:
        if should_stop is not None and should_stop():
            break
        behind = [label for label, learner in learners.items() if learner.steps < steps]
        if not behind:
            break
        label = min(behind, key=lambda name: learners[name].steps)
        record = learners[label].iteration()
        if on_iteration is not None:
            on_iteration(label, record)
    return learners


def seed_summary(
    settings: dict[str, dict[str, Task]], seeds: Iterable[int] = range(3), *,
    steps: int = NOTEBOOK_STEPS, map: MapLike = map,
) -> dict[str, dict[str, list[float]]]:
    """Held-out mean return of each agent, per setting and seed.

    Args:
        settings: ``{setting label: {agent label: task}}``.

    Returns:
        ``{setting label: {agent label: [mean held-out return for each seed]}}``.
    """
    seeds = list(seeds)
    out: dict[str, dict[str, list[float]]] = {}
    for setting, agents in settings.items():
        out[setting] = {}
        for agent, task in agents.items():
            out[setting][agent] = [
                evaluate_policy(learn(task, steps=steps, seed=s, map=map).policy, task,
                                map=map).mean_return
                for s in seeds
            ]
    return out


def separated(rows: dict[str, list[float]], better: str, worse: str) -> bool:
    """Whether ``better``'s 95% interval lies entirely above ``worse``'s."""
    from rtgym_nb.course.learn import mean_ci

    (m_b, h_b), (m_w, h_w) = mean_ci(rows[better]), mean_ci(rows[worse])
    return m_b - h_b > m_w + h_w


def describe(learners: dict[str, CrossEntropyLearner], *, episodes: int = 100,
             map: MapLike = map) -> dict[str, Any]:
    """Evaluate each learner's policy on the held-out episodes: ``{label: Evaluation}``."""
    return {label: evaluate_policy(learner.policy, learner.task, episodes=episodes, map=map)
            for label, learner in learners.items()}


def theta_at(learner: CrossEntropyLearner, steps: int) -> Any:
    """The learner's mean weights once it had used ``steps`` environment steps.

    A learner is deterministic for its seed, so this is what a run with that smaller budget
    would have learned: one long run answers "what would a shorter one have found?".
    """
    for record in learner.history:
        if record.steps >= steps:
            return record.theta
    return learner.mean
