"""Seeded episodes of one policy, tallied: what notebook 06's evaluations and the learner's
held-out evaluation (notebook 07) report.

:meth:`Episodes.fly` runs :func:`~rtgym_nb.course.tutorial.run_episode` once per seed, one
after the other in one environment (as a student's loop would), and keeps each outcome as an
array with one entry per episode, in seed order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

import numpy as np

from rtgym_nb.course.tutorial import run_episode

__all__ = ["Episodes"]


@dataclasses.dataclass(frozen=True)
class Episodes:
    """The outcomes of seeded episodes, one entry per episode (seed order)."""

    returns: np.ndarray
    """Sums of the rewards."""
    steps: np.ndarray
    """Episode lengths in time-steps."""
    reached: np.ndarray
    """Boolean: the drone reached its target before the episode's time-steps ran out."""
    final_distance: np.ndarray
    """Observed distance to the target at the end."""
    time_step: float
    """The environment's time-step (s)."""

    @classmethod
    def fly(cls, env: Any, policy: Callable[[Any], Any], seeds: Iterable[int]) -> Self:
        """Fly ``policy`` in ``env`` for one episode per seed (``reset(seed=seed)``)."""
        results = [run_episode(env, policy, seed=seed) for seed in seeds]
        return cls(
            returns=np.array([r["return"] for r in results]),
            steps=np.array([r["steps"] for r in results]),
            reached=np.array([r["outcome"] == "reached" for r in results]),
            final_distance=np.array([r["final_distance"] for r in results]),
            time_step=env.unwrapped.time_step_duration,
        )

    @classmethod
    def joined(cls, parts: Sequence[Episodes]) -> Self:
        """The episodes of ``parts`` (flown at the same time-step), in order."""
        arrays = {field.name: np.concatenate([getattr(p, field.name) for p in parts])
                  for field in dataclasses.fields(Episodes) if field.name != "time_step"}
        return cls(**arrays, time_step=parts[0].time_step)

    @property
    def success_rate(self) -> float:
        return float(self.reached.mean())

    def time_to_target_by(self, average: Callable[[np.ndarray], Any]) -> float:
        """``average`` of the times (s) the episodes that reached their target took (NaN if
        none did)."""
        if not self.reached.any():
            return float("nan")
        return float(average(self.steps[self.reached]) * self.time_step)
