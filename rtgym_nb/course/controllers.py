"""Controllers for the tutorial's delayed drone, in pure numpy.

The tutorial's :func:`~rtgym_nb.course.tutorial.proportional_controller` steers towards the target
from the observed position. Under the drone's delays that position is stale, and several
commands that will still move the drone are on their way: the controller answers an error that
its own earlier commands are already correcting, overshoots, and oscillates. The observation
alone is not a Markov state.

:class:`PredictiveController` reads the action buffer that rtgym appends to every observation
(``act_in_obs``) and predicts where the drone will be when its next command lands: the observed
position, plus how far each command still in flight, or applied since the observation was
emitted, moves the drone. It then steers from that prediction. With an empty buffer it
degenerates into the proportional controller (same gain), which is the whole point: the buffer
is what turns an unsteerable system into an easy one.

The timing model, for a controller whose observation is captured at the end of each time-step
(``start_obs_capture == time_step_duration``, the tutorial's setting). Take the capture time
as ``t = 0`` and the time-step as ``dt``:

* the newest buffered action was sent at ``0`` (``step()`` sends it as it returns the
  observation); the ``k``-th newest (``k = 1, 2, ...``) was sent at ``-(k - 1) * dt``;
* a command sent at ``s`` drives the drone from ``s + latency`` until the next command
  takes over, ``dt`` later (``latency`` = command delay + wait for the drone's next tick);
* the observation shows where the drone was at ``-age``;
* the action being chosen now will be sent at ``dt`` and land at ``dt + latency``.

So the drone's displacement between ``-age`` and ``dt + latency`` is the sum over the buffer
of ``velocity_k * overlap_k``, where ``overlap_k`` is how long command ``k`` drives the drone
within that window (see :func:`action_weights`). Commands older than the buffer are assumed
to be still, which is exactly the error a too-short buffer makes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from rtgym_nb.course.tutorial import proportional_controller

__all__ = [
    "CONTROLLERS",
    "ControllerFactory",
    "PredictiveController",
    "action_weights",
    "clip_speed",
    "split_observation",
]


def split_observation(obs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unpack a tutorial observation into ``(position, target, buffer)``.

    Args:
        obs: ``(pos_x, pos_y, target_x, target_y, *action_buffer)`` as the tutorial's
            environment returns it (each entry an array; buffer oldest first).

    Returns:
        ``position`` and ``target`` of shape ``(2,)``, and the buffered actions as an array of
        shape ``(n, 2)``, oldest first (``n = 0`` without an action buffer).
    """
    if len(obs) < 4:
        raise ValueError(f"expected at least 4 observation entries, got {len(obs)}")
    position = np.array([obs[0][0], obs[1][0]], dtype=np.float64)
    target = np.array([obs[2][0], obs[3][0]], dtype=np.float64)
    buffer = np.array([np.asarray(a, dtype=np.float64).reshape(2) for a in obs[4:]])
    return position, target, buffer.reshape(-1, 2)


def clip_speed(velocities: np.ndarray, max_speed: float) -> np.ndarray:
    """Scale each row of ``velocities`` down to norm ``max_speed``, as the drone does."""
    velocities = np.asarray(velocities, dtype=np.float64)
    norms = np.linalg.norm(velocities, axis=-1, keepdims=True)
    scale = np.minimum(1.0, max_speed / np.maximum(norms, 1e-300))
    return velocities * scale


def action_weights(
    n: int, time_step: float, latency: float, age: float
) -> np.ndarray:
    """How long each buffered command drives the drone between the observation and the next landing.

    Args:
        n: Buffer length.
        time_step: ``dt``, the time between two commands (s).
        latency: From sending a command to the drone applying it (s).
        age: How old the observation is when captured (s).

    Returns:
        Durations in seconds, shape ``(n,)``, oldest command first (the buffer's order). The
        window is ``[-age, dt + latency]`` around the capture time (see the module docstring);
        the newest command is assumed to drive the drone until the window ends.
    """
    if n < 0:
        raise ValueError(f"buffer length must be >= 0, got {n!r}")
    if time_step <= 0:
        raise ValueError(f"time_step must be > 0, got {time_step!r}")
    if latency < 0 or age < 0:
        raise ValueError(f"latency and age must be >= 0, got {latency!r}, {age!r}")
    window_start, window_end = -age, time_step + latency
    k = np.arange(n, 0, -1)  # oldest first: k = n, ..., 1 (1 = newest)
    drives_from = -(k - 1) * time_step + latency
    drives_until = np.where(k == 1, window_end, drives_from + time_step)
    overlap = np.minimum(drives_until, window_end) - np.maximum(drives_from, window_start)
    return np.maximum(overlap, 0.0)


@dataclasses.dataclass
class PredictiveController:
    """Steer from where the drone will be, not from where it was seen.

    Call it like the tutorial's controller: ``action = controller(obs)``. It needs the action
    buffer in the observation (``act_in_obs=True``); with ``act_buf_len=0`` it behaves like
    the proportional controller with gain ``gain / time_step``.

    Build it for given drone delays with :meth:`for_drone`.
    """

    time_step: float = 0.05
    """The environment's time-step duration (s)."""

    latency: float = 0.04
    """Mean time from ``send_control`` to the drone applying the command (s): the mean
    communication delay plus half a drone tick."""

    age: float = 0.04
    """Mean age of the observation at capture (s): the drone's position is this old."""

    gain: float = 0.7
    """Fraction of the predicted error corrected by the next command (1: all of it, in one
    time-step; smaller is slower but forgives errors of the timing model)."""

    max_speed: float = 2.0
    """The drone's speed limit (m/s); commands are also clipped to ``[-max_speed, max_speed]``."""

    def __post_init__(self) -> None:
        if self.time_step <= 0:
            raise ValueError(f"time_step must be > 0, got {self.time_step!r}")
        if self.latency < 0 or self.age < 0:
            raise ValueError(
                f"latency and age must be >= 0, got {self.latency!r}, {self.age!r}"
            )
        if not 0 < self.gain <= 2:
            raise ValueError(f"gain must be in (0, 2], got {self.gain!r}")
        if self.max_speed <= 0:
            raise ValueError(f"max_speed must be > 0, got {self.max_speed!r}")

    @classmethod
    def for_drone(
        cls,
        communication_delay_min: float = 0.02,
        communication_delay_max: float = 0.05,
        control_sleep: float = 0.01,
        time_step: float = 0.05,
        **kwargs: Any,
    ) -> PredictiveController:
        """A controller tuned to a drone's delay range (the drone's constructor arguments).

        Both the command latency and the observation age are taken as the mean message delay
        plus half a drone tick (a command waits for the next tick; an observation is on
        average half a tick older than its arrival suggests).
        """
        mean = 0.5 * (communication_delay_min + communication_delay_max) + 0.5 * control_sleep
        return cls(time_step=time_step, latency=mean, age=mean, **kwargs)

    def weights(self, n: int) -> np.ndarray:
        """:func:`action_weights` for a buffer of length ``n``, with this controller's timing."""
        return action_weights(n, self.time_step, self.latency, self.age)

    def predict(self, obs: Sequence[Any]) -> np.ndarray:
        """Predicted position of the drone when the next command lands, shape ``(2,)``."""
        position, _, buffer = split_observation(obs)
        if len(buffer) == 0:
            return position
        velocities = clip_speed(buffer, self.max_speed)
        return position + self.weights(len(buffer)) @ velocities

    def __call__(self, obs: Sequence[Any]) -> np.ndarray:
        _, target, _ = split_observation(obs)
        error = target - self.predict(obs)
        action = self.gain * error / self.time_step
        return np.clip(action, -self.max_speed, self.max_speed).astype(np.float32)


# ------------------------------------------------------------------------------------------
# the registry the dashboard chooses from

ControllerFactory = Callable[[Mapping[str, Any]], Callable[[Any], Any]]
"""``policy = factory(settings)``; then ``action = policy(obs)`` at every time-step."""


def _proportional(settings: Mapping[str, Any]) -> Callable[[Any], Any]:
    gain = float(settings.get("gain", 20.0))
    return lambda obs: proportional_controller(obs, gain=gain)


def _predictive(settings: Mapping[str, Any]) -> Callable[[Any], Any]:
    low, high = settings.get("delays", (0.02, 0.05))
    return PredictiveController.for_drone(
        low, high, control_sleep=settings.get("control_sleep", 0.01),
        time_step=settings.get("time_step_duration", 0.05),
    )


def _learned(settings: Mapping[str, Any]) -> Callable[[Any], Any]:
    from rtgym_nb.course.learn import Task, learned_policy  # the learner imports this module

    low, high = settings.get("delays", (0.02, 0.05))
    task = Task(delay=(float(low), float(high)), act_buf_len=int(settings.get("act_buf_len", 4)),
                time_step=float(settings.get("time_step_duration", 0.05)))
    return learned_policy(task)


CONTROLLERS: dict[str, ControllerFactory] = {
    "proportional": _proportional,
    "predictive": _predictive,
    "learned": _learned,
}
"""The controllers of the dashboard (:class:`~rtgym_nb.course.viz.control_panel.ControlPanel`),
by the name its menu shows.

A factory receives the run's settings and returns a policy. The settings are the panel's
(:data:`~rtgym_nb.course.viz.control_panel.SETTINGS`), times in seconds; the ones a controller
needs: ``time_step_duration``, ``act_buf_len``, ``gain`` (the proportional controller's),
``delays`` (the drone's ``(min, max)`` communication delay) and ``control_sleep`` (its tick).
The panel builds the policy again when ``gain`` or ``time_step_duration`` change during a run.
``"learned"`` trains an agent (:func:`~rtgym_nb.course.learn.learned_policy`, a couple of
seconds) the first time it meets a buffer length, delay range and time-step.

To add a controller, register it before building the panel::

    CONTROLLERS["learned policy"] = lambda settings: my_trained_policy

and it appears in the menu of every panel built afterwards.
"""
