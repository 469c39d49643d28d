"""``python -m rtgym_nb bench --simulated``: what the real-time machinery costs on simulated time.

On the simulated clock nothing waits for real time, so what a student or a learner waits for is
steps per second. This measures the tutorial's task three ways, interleaved in one run so that
a busy machine slows all three alike:

* **bare loop**: the work itself, written by hand -- the tutorial interface's ``send_control``,
  the simulated clock's sleep of one time-step, ``get_obs_rew_terminated_info``, the
  proportional controller and the action buffer kept in a deque -- in rtgym's order (capture at
  the end of the time-step, then send the next action right away);
* **real-time-gym-v1** and **real-time-gym-ts-v1** end to end: ``gymnasium.make`` with its
  default wrappers, the same controller, episodes reset as they end.

The bare loop computes the same trajectories as the environments (same seed, same returns:
:func:`run_returns`), so the ratio of their speeds is the framework's own cost. Each round runs
one block of every loop (2,000 time-steps by default, a few tens of milliseconds), each loop
first in turn; the figures are medians over rounds: steps/s of each loop, and the ratio of
each environment's speed to the bare loop's in the same round. Short blocks and many rounds
keep a burst of other work on the machine to a few rounds, which the medians then ignore.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from rtgym_nb._clock import SimulatedClock, use_clock
from rtgym_nb.course.tutorial import DroneInterface, proportional_controller, tutorial_config

__all__ = ["ENV_IDS", "BareLoop", "EnvLoop", "format_report", "measure", "run_returns"]

ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")


class BareLoop:
    """The tutorial's task without the environment: what a hand-written loop would do.

    Episodes follow the tutorial's configuration (its time-step, episode length, action buffer
    and reset rules), so that a seeded run gives the environment's trajectory.

    Args:
        seed: Seed of the first episode.
        policy: Maps an observation (with the action buffer) to an action.
    """

    def __init__(self, seed: int | None = 0,
                 policy: Callable[[tuple], Any] = proportional_controller) -> None:
        config = tutorial_config(clock="simulated")
        self.clock = SimulatedClock()
        self.time_step = config["time_step_duration"]
        self.max_length = config["ep_max_length"]
        self.policy = policy
        with use_clock(self.clock):
            self.interface = DroneInterface()
        self.default = self.interface.get_default_action()
        self.buffer: deque = deque([self.default] * config["act_buf_len"],
                                   maxlen=config["act_buf_len"])
        self.returns: list[float] = []
        self._seed = seed
        self._obs: tuple = ()
        self._episode_steps = 0
        self._return = 0.0
        self._reset()

    def _reset(self) -> None:
        interface, clock = self.interface, self.clock
        with use_clock(clock):
            obs, _ = interface.reset(seed=self._seed)
            self._seed = None
            self.buffer[-1] = self.default  # the episode's last, never-sent action
            interface.send_control(self.default)
        self._obs = (*obs, *self.buffer)
        self._episode_steps = 0
        self._return = 0.0

    def run(self, steps: int) -> None:
        """Run ``steps`` time-steps, resetting episodes as they end."""
        interface, clock, policy, buffer = self.interface, self.clock, self.policy, self.buffer
        time_step, max_length = self.time_step, self.max_length
        obs = self._obs
        with use_clock(clock):
            for _ in range(steps):
                action = policy(obs)
                clock.sleep(time_step)
                inner, reward, terminated, _ = interface.get_obs_rew_terminated_info()
                buffer.append(action)
                obs = (*inner, *buffer)
                self._return += reward
                self._episode_steps += 1
                if terminated or self._episode_steps >= max_length:
                    self.returns.append(self._return)
                    self._reset()
                    obs = self._obs
                else:
                    interface.send_control(action)
        self._obs = obs

    def close(self) -> None:
        """Nothing to release (the same interface as :class:`EnvLoop`)."""


class EnvLoop:
    """The tutorial's task end to end: ``gymnasium.make(env_id)`` on the simulated clock.

    Args:
        env_id: ``"real-time-gym-v1"`` or ``"real-time-gym-ts-v1"``.
        seed: Seed of the first episode.
        policy: Maps an observation to an action.
    """

    def __init__(self, env_id: str, seed: int | None = 0,
                 policy: Callable[[tuple], Any] = proportional_controller) -> None:
        import gymnasium

        import rtgym_nb  # noqa: F401  (registers the ids)

        self.env = gymnasium.make(env_id, config=tutorial_config(clock="simulated"))
        self.policy = policy
        self.returns: list[float] = []
        self._obs, _ = self.env.reset(seed=seed)
        self._return = 0.0

    def run(self, steps: int) -> None:
        """Run ``steps`` calls of ``step()``, resetting episodes as they end."""
        env, policy = self.env, self.policy
        obs = self._obs
        for _ in range(steps):
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            self._return += reward
            if terminated or truncated:
                self.returns.append(self._return)
                self._return = 0.0
                obs, _ = env.reset()
        self._obs = obs

    def close(self) -> None:
        self.env.close()


def run_returns(loop: BareLoop | EnvLoop, episodes: int) -> list[float]:
    """The returns of the first ``episodes`` episodes ``loop`` completes."""
    while len(loop.returns) < episodes:
        loop.run(100)
    return loop.returns[:episodes]


def measure(steps: int = 60_000, rounds: int = 30, seed: int = 0,
            timer: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    """Run the bare loop and both environments, interleaved, ``steps`` time-steps each.

    Returns ``{"steps_per_s": {name: median over rounds}, "ratio": {env id: median over
    rounds of its speed / the bare loop's}, "steps": steps, "rounds": rounds}``.
    """
    if rounds < 1 or steps < rounds:
        raise ValueError(f"need rounds >= 1 and steps >= rounds, got {steps=}, {rounds=}")
    block = steps // rounds
    loops: dict[str, BareLoop | EnvLoop] = {"bare loop": BareLoop(seed)}
    loops.update({env_id: EnvLoop(env_id, seed) for env_id in ENV_IDS})
    rates: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    try:
        for loop in loops.values():  # warm up (first calls, caches)
            loop.run(min(block, 200))
        for k in range(rounds):
            for name in names[k % 3:] + names[:k % 3]:  # each loop first in turn
                loop = loops[name]
                started = timer()
                loop.run(block)
                rates[name].append(block / (timer() - started))
    finally:
        for loop in loops.values():
            loop.close()
    bare = rates["bare loop"]
    return {
        "steps": block * rounds,
        "rounds": rounds,
        "steps_per_s": {name: statistics.median(r) for name, r in rates.items()},
        "ratio": {env_id: statistics.median(np.divide(rates[env_id], bare))
                  for env_id in ENV_IDS},
    }


def format_report(result: dict[str, Any]) -> str:
    """A small table of :func:`measure`'s result."""
    lines = [f"simulated clock, the tutorial's drone task: {result['steps']} time-steps per "
             f"loop in {result['rounds']} interleaved rounds (medians)",
             f"{'':<22} {'steps/s':>9} {'x bare loop':>12}"]
    for name, rate in result["steps_per_s"].items():
        ratio = result["ratio"].get(name)
        shown = "" if ratio is None else f"{ratio:.2f}"
        lines.append(f"{name:<22} {rate:>9,.0f} {shown:>12}")
    return "\n".join(lines)
