"""Checks for the exercises of notebooks 06 and 07: each says what is right or what is wrong.

Every ``check_...`` function takes the student's answer and returns a :class:`Feedback`,
which a notebook shows as one line starting with ✓ or ✗. The checks explain a wrong answer
(too short, unstable, dithers from which start...) rather than only rejecting it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from rtgym_nb.course import toy_mdp
from rtgym_nb.course.lessons import delayed_mdps

__all__ = [
    "Feedback",
    "check_buffer_length",
    "check_parking_policy",
    "check_proportional_gain",
    "check_stability_bound",
]


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on an answer: ``ok`` and a sentence saying why."""

    ok: bool
    message: str

    def __str__(self) -> str:
        return ("✓ " if self.ok else "✗ ") + self.message

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.ok


def check_buffer_length(n: int, delay: tuple[float, float] = (0.06, 0.12),
                        time_step: float = 0.05) -> Feedback:
    """Is ``n`` actions the rule of thumb's buffer for ``delay`` (s, each way) at ``time_step``?"""
    worst = delayed_mdps.buffer_for(delay, time_step)
    mean = delayed_mdps.buffer_for(delay, time_step, worst=False)
    total = time_step + delayed_mdps.loop_delay(delay)
    if n == worst:
        return Feedback(True, f"{n} actions cover the worst total delay "
                              f"({total * 1e3:.0f} ms = {total / time_step:.1f} time-steps).")
    if n == mean and mean < worst:
        return Feedback(False, f"{n} covers the *mean* delay only; when the messages run "
                               f"late ({total * 1e3:.0f} ms in the worst case), commands still "
                               f"in flight fall off the buffer. Round the worst case up.")
    if n < worst:
        return Feedback(False, f"too short: the worst total delay is {total * 1e3:.0f} ms, "
                               f"{total / time_step:.1f} time-steps (one step, plus the delay "
                               f"both ways, plus a drone tick each way).")
    return Feedback(False, f"longer than needed: {worst} actions already cover the worst "
                           f"delay; every extra action is one more input to learn to ignore.")


def check_stability_bound(value: float, d: int = 2) -> Feedback:
    """Is ``value`` the largest stable gain of ``x[t+1] = x[t] - k x[t-d]``?"""
    bound = delayed_mdps.stability_bound(d)
    if math.isclose(value, bound, rel_tol=1e-3):
        return Feedback(True, f"k < 2 sin(pi / {2 * (2 * d + 1)}) = {bound:.3f} for d = {d}.")
    decays = delayed_mdps.recurrence_decays(value * 0.99, d)
    where = "still decays" if decays else "already oscillates"
    return Feedback(False, f"not quite: at k = {value:.3f} the recurrence {where} "
                           f"(simulate it with lesson.recurrence_decays({value:.3f}, {d})). "
                           f"Hint: 2 sin(pi / (2 (2d + 1))).")


def check_proportional_gain(k: float, delay: tuple[float, float] = (0.02, 0.05),
                            episodes: int = 20) -> Feedback:
    """Does the proportional controller with gain ``k`` per time-step reach 90% of targets?"""
    stats = delayed_mdps.evaluate(delayed_mdps.proportional(k), delay=delay, act_buf_len=0,
                                  episodes=episodes)
    d = delayed_mdps.delay_steps(delay)
    bound = delayed_mdps.stability_bound(d)
    reached = f"reached {stats.success_rate:.0%} of {episodes} targets"
    if stats.success_rate >= 0.9:
        return Feedback(True, f"k = {k:g} {reached} (median {stats.time_to_target:.2f} s); "
                              f"it is below the bound {bound:.3f} for d = {d}.")
    if k >= bound:
        return Feedback(False, f"k = {k:g} {reached}: above the bound {bound:.3f} for "
                               f"d = {d} steps of delay, the drone circles the target.")
    return Feedback(False, f"k = {k:g} {reached}: close to the bound {bound:.3f} (d = {d}), "
                           f"where random delays already make it ring. Try lower.")


def check_parking_policy(policy: Callable[[int, int], int]) -> Feedback:
    """Does ``policy(x, in_flight) -> move`` park the toy's cart in the real-time world?

    ``x`` is the cell (0 to 6, goal 3); ``in_flight`` is the move still to be applied (-1, 0
    or +1); the policy returns a move (-1, 0 or +1). It must park the cart on the goal from
    every start (cell x action in flight) and keep it there.
    """
    failures = []
    for x in range(toy_mdp.N_POSITIONS):
        for in_flight in (-1, 0, 1):
            position, flying, visited = x, in_flight + 1, [x]
            for _ in range(toy_mdp.EPISODE_LENGTH):
                move = int(policy(position, int(toy_mdp.ACTIONS[flying])))
                if move not in (-1, 0, 1):
                    return Feedback(False, f"policy({position}, {toy_mdp.ACTIONS[flying]}) "
                                           f"returned {move!r}; moves are -1, 0 or +1.")
                position, flying, _ = toy_mdp.step(position, move + 1, flying, "real-time")
                visited.append(position)
            if not (np.array(visited[toy_mdp.EPISODE_LENGTH // 2:]) == toy_mdp.GOAL).all():
                failures.append((x, in_flight, visited[:8]))
    if not failures:
        return Feedback(True, "parks from all 21 starts: it brakes one step early when a move "
                              "is still in flight.")
    x, in_flight, visited = failures[0]
    return Feedback(False, f"fails from {len(failures)} of 21 starts, e.g. from cell {x} with "
                           f"move {in_flight:+d} in flight it visits {visited}...")
