"""A tabular toy of real-time interaction: every action takes effect one step late.

A cart sits on a track of :data:`N_POSITIONS` cells and must park on the middle one. Actions
are *left*, *stay*, *right* (-1, 0, +1). In a **turn-based** world the action moves the cart
at once: ``x[t+1] = x[t] + a[t]``. In a **real-time** world the world does not wait while the
agent decides: the action chosen at step ``t`` is applied during the next step, so
``x[t+1] = x[t] + a[t-1]``: the action *in flight* moves the cart while the agent picks the
next one (Ramstedt & Pal, "Real-Time Reinforcement Learning", NeurIPS 2019).

The position alone is then not a Markov state: at one cell left of the goal, "stay" is right
if the cart is already moving right, and wrong if it is standing still. The pair
``(x[t], a[t-1])``, the position plus the action in flight, is Markov again: it is rtgym's
action buffer, of length one.

:func:`q_learning` is textbook tabular Q-learning (epsilon-greedy, seeded), on whichever state
the agent is told to see; :func:`settle_rate` measures what the learned greedy policy does
from every start. Everything runs in well under a second.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

__all__ = [
    "ACTIONS",
    "GOAL",
    "N_POSITIONS",
    "QResult",
    "first_failure",
    "greedy_trajectory",
    "q_learning",
    "settle_rate",
    "step",
]

N_POSITIONS = 7
GOAL = 3
ACTIONS = np.array([-1, 0, 1])
"""Action ``i`` moves the cart by ``ACTIONS[i]`` cells: left, stay, right."""
EPISODE_LENGTH = 20

World = Literal["turn-based", "real-time"]
Observed = Literal["position", "position+action"]


def step(x: int, action: int, in_flight: int, world: World) -> tuple[int, int, float]:
    """One step: ``(next x, next action in flight, reward)``. Actions are indices into ACTIONS.

    The reward is minus the distance to the goal after the move (0 when parked on it).
    """
    applied = action if world == "turn-based" else in_flight
    x = min(max(x + applied - 1, 0), N_POSITIONS - 1)  # action i moves by ACTIONS[i] = i - 1
    return x, action, -float(abs(x - GOAL))


def _state(x: int, in_flight: int, observed: Observed) -> int:
    return x if observed == "position" else x * len(ACTIONS) + in_flight


@dataclasses.dataclass
class QResult:
    """A learned Q-table and its learning curve."""

    q: np.ndarray
    """Shape ``(states, 3)``: states are positions, or ``x * 3 + action in flight``."""
    world: World
    observed: Observed
    returns: np.ndarray
    """Return of each training episode (exploration included)."""

    def action(self, x: int, in_flight: int) -> int:
        """The greedy action (ties: the first, i.e. the leftmost in ACTIONS)."""
        return int(np.argmax(self.q[_state(x, in_flight, self.observed)]))


def q_learning(world: World = "real-time", observed: Observed = "position", *,
               episodes: int = 2000, alpha: float = 0.1, gamma: float = 0.9,
               epsilon: float = 0.1, seed: int = 0) -> QResult:
    """Tabular Q-learning; each episode starts at a random cell with a random action in flight.

    Args:
        world: ``"turn-based"`` (actions act at once) or ``"real-time"`` (one step late).
        observed: What the agent's state is: ``"position"``, or ``"position+action"``
            (the position and the action in flight).
    """
    rng = np.random.default_rng(seed)
    states = N_POSITIONS * (1 if observed == "position" else len(ACTIONS))
    q = np.zeros((states, len(ACTIONS)))
    returns = np.zeros(episodes)
    starts = rng.integers((N_POSITIONS, len(ACTIONS)), size=(episodes, 2)).tolist()
    explore = (rng.random((episodes, EPISODE_LENGTH)) < epsilon).tolist()
    random_actions = rng.integers(len(ACTIONS), size=(episodes, EPISODE_LENGTH)).tolist()
    for episode in range(episodes):
        x, in_flight = starts[episode]
        for t in range(EPISODE_LENGTH):
            s = _state(x, in_flight, observed)
            explored = explore[episode][t]
            action = random_actions[episode][t] if explored else int(np.argmax(q[s]))
            x, in_flight, reward = step(x, action, in_flight, world)
            returns[episode] += reward
            target = reward + gamma * q[_state(x, in_flight, observed)].max()
            q[s, action] += alpha * (target - q[s, action])
    return QResult(q, world, observed, returns)


def greedy_trajectory(result: QResult, x: int, in_flight: int = 1,
                      steps: int = EPISODE_LENGTH) -> np.ndarray:
    """Positions visited by the greedy policy from ``(x, in_flight)``, start included."""
    positions = [x]
    for _ in range(steps):
        x, in_flight, _ = step(x, result.action(x, in_flight), in_flight, result.world)
        positions.append(x)
    return np.array(positions)


def settle_rate(result: QResult) -> float:
    """Share of starts (every cell x every action in flight) from which the greedy policy
    is parked on the goal for the whole second half of an episode."""
    settled = [
        (greedy_trajectory(result, x, a)[EPISODE_LENGTH // 2:] == GOAL).all()
        for x in range(N_POSITIONS) for a in range(len(ACTIONS))
    ]
    return float(np.mean(settled))


def first_failure(result: QResult) -> tuple[int, int] | None:
    """The first start ``(cell, move in flight)`` from which the greedy policy does not park
    (None if it parks from every start)."""
    for x in range(N_POSITIONS):
        for a in range(len(ACTIONS)):
            if not (greedy_trajectory(result, x, a)[EPISODE_LENGTH // 2:] == GOAL).all():
                return x, int(ACTIONS[a])
    return None
