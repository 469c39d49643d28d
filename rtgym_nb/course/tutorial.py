"""The tutorial's task: fly the delayed drone to a random target, as a real-time environment.

This is the interface the rtgym README builds step by step (notebook 02 rebuilds it method by
method and ends on this class), with three additions that a classroom needs:

* seeding: ``reset(seed=s)`` seeds the target generator and rebuilds the drone with a seed drawn
  from it, so a seeded run on the simulated clock is exactly reproducible;
* rendering without OpenCV: ``render()`` draws the arena with matplotlib and returns an RGB
  array (Gymnasium's ``"rgb_array"`` convention);
* ground truth: the drone behind the interface is reachable as ``env.unwrapped.interface.drone``.

Run it headless with ``python -m rtgym_nb tutorial --clock simulated --episodes 3 --seed 0``
(:mod:`rtgym_nb.cli.tutorial`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from gymnasium import spaces

from rtgym_nb._extras import require
from rtgym_nb.config import make_config
from rtgym_nb.course.drone import DummyRCDrone
from rtgym_nb.interface import RealTimeGymInterface

__all__ = [
    "DroneInterface",
    "EpisodeProgress",
    "episode_steps",
    "proportional_controller",
    "run_episode",
    "tutorial_config",
]

TARGET_RANGE = 0.5
"""Targets are drawn uniformly in ``[-TARGET_RANGE, TARGET_RANGE]`` on each axis."""

SUCCESS_RADIUS = 0.01
"""An episode terminates when an observation is closer than this to the target."""

_COLUMN = (4, 1)
_hypot = np.hypot


def _rows(values: np.ndarray) -> list[np.ndarray]:
    """The observation: the four values as four arrays of shape (1,), views of ``values``.

    Indexed one by one: iterating over an array (``list(a)``, ``x, y = a``) ends on an
    ``IndexError`` that numpy formats a message for, which costs more than the rest of this.
    """
    rows = values.reshape(_COLUMN)
    return [rows[0], rows[1], rows[2], rows[3]]


class DroneInterface(RealTimeGymInterface):
    """Reach a random target with the delayed :class:`~rtgym_nb.course.drone.DummyRCDrone`.

    Observation: ``[pos_x, pos_y, target_x, target_y]``, each a float32 array of shape (1,).
    Action: ``Box(-2, 2, (2,))`` velocities; default action: still (0, 0).
    Reward: minus the distance from the observed position to the target.

    Args:
        drone_kwargs: Passed to the drone (e.g. ``communication_delay_max=0.1``).
        capture_time: Seconds each :meth:`get_obs_rew_terminated_info` takes, spent on the
            environment's clock after reading the drone's position (a camera's exposure and
            processing, say). The observation is that much older when it is returned.
    """

    def __init__(self, drone_kwargs: dict | None = None, capture_time: float = 0.0) -> None:
        if not capture_time >= 0:
            raise ValueError(f"capture_time must be >= 0, got {capture_time!r}")
        self.drone_kwargs = dict(drone_kwargs or {})
        self.capture_time = float(capture_time)
        self.drone: DummyRCDrone | None = None
        self.target = np.zeros(2, dtype=np.float32)
        self.np_random = np.random.default_rng()
        self.render_mode: str | None = None
        self._canvas: Any = None

    def get_observation_space(self) -> spaces.Tuple:
        position = spaces.Box(low=-1.0, high=1.0, shape=(1,), dtype=np.float32)
        target = spaces.Box(low=-TARGET_RANGE, high=TARGET_RANGE, shape=(1,), dtype=np.float32)
        return spaces.Tuple((position, position, target, target))

    def get_action_space(self) -> spaces.Box:
        return spaces.Box(low=-2.0, high=2.0, shape=(2,), dtype=np.float32)

    def get_default_action(self) -> np.ndarray:
        return np.zeros(2, dtype=np.float32)

    def send_control(self, control: Any) -> None:
        self.drone.send_control(float(control[0]), float(control[1]))

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
            self.drone = None  # a seeded episode starts from a fresh, seeded drone
        if self.drone is None:
            # built here, not in __init__: making an env only to read its spaces flies nothing
            self.drone = DummyRCDrone(
                seed=int(self.np_random.integers(2**63)), **self.drone_kwargs
            )
        self.target[:] = self.np_random.uniform(-TARGET_RANGE, TARGET_RANGE, size=2)
        pos_x, pos_y = self.drone.get_observation()
        return _rows(self._values(pos_x, pos_y)), {}

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        pos_x, pos_y = self.drone.get_observation()
        if self.capture_time:
            self.drone.clock.sleep(self.capture_time)
        values = self._values(pos_x, pos_y)
        error = values[:2] - values[2:]  # (in float32, as the observation is)
        distance = float(_hypot(error[0], error[1]))
        return _rows(values), -distance, distance < SUCCESS_RADIUS, {}

    def _values(self, pos_x: float, pos_y: float) -> np.ndarray:
        """``[pos_x, pos_y, target_x, target_y]`` in one new float32 array.

        The observation is its four rows (views of it, of shape (1,)): one array made per
        time-step instead of four, and still a new one each time, so that no two observations
        share their data.
        """
        return np.array((pos_x, pos_y, *self.target.tolist()), dtype=np.float32)

    def render(self) -> np.ndarray | None:
        """The arena: true drone, observed drone, target (drawn with matplotlib's Agg).

        Returns it as an RGB array, except with ``render_mode="human"`` (Gymnasium's
        convention), where it is shown instead -- updated in place in a notebook, in a
        matplotlib window elsewhere -- and None is returned.
        """
        require("matplotlib", "viz", "DroneInterface.render()")  # a clear message on a core install
        image = self._draw_arena()
        if self.render_mode != "human":
            return image
        self._show(image)
        return None

    def _show(self, image: np.ndarray) -> None:
        """Show a frame where the user is: a notebook output updated in place, or a window."""
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:  # pragma: no cover - IPython comes with matplotlib's usual setups
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            import io

            from matplotlib.image import imsave

            with io.BytesIO() as buffer:
                imsave(buffer, image, format="png")
                frame = Image(data=buffer.getvalue(), format="png")
            if getattr(self, "_display", None) is None:
                self._display = display(frame, display_id=True)
            else:
                self._display.update(frame)
            return
        import matplotlib.pyplot as plt

        if getattr(self, "_window", None) is None:
            self._window = plt.figure("rtgym_nb drone").add_subplot().imshow(image)
            self._window.axes.set_axis_off()
        else:
            self._window.set_data(image)
        plt.pause(0.001)

    def _draw_arena(self) -> np.ndarray:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if self._canvas is None:
            figure = Figure(figsize=(4, 4), dpi=80)
            axes = figure.add_subplot()
            axes.set(xlim=(-1, 1), ylim=(-1, 1), aspect="equal", title="drone and target")
            self._artists = (
                axes.plot([], [], "o", color="tab:blue", ms=12, label="true")[0],
                axes.plot([], [], "o", mfc="none", color="tab:blue", ms=12, label="observed")[0],
                axes.plot([], [], "*", color="tab:red", ms=14, label="target")[0],
            )
            axes.legend(loc="upper right", fontsize="small")
            self._canvas = FigureCanvasAgg(figure)
        true_dot, observed_dot, target_dot = self._artists
        if self.drone is not None:
            true_dot.set_data(*([v] for v in self.drone.true_position()))
            observed_dot.set_data(*([v] for v in self.drone.get_observation()))
        target_dot.set_data([self.target[0]], [self.target[1]])
        self._canvas.draw()
        return np.asarray(self._canvas.buffer_rgba())[..., :3].copy()


def tutorial_config(clock: Any = "wall", **overrides: Any) -> dict[str, Any]:
    """The tutorial's complete configuration, on the clock of your choice.

    20 Hz control (0.05 s time-steps, capture at the end of each), elasticity of one time-step,
    100 time-steps per episode, and an action buffer of 4: the worst total delay is one
    time-step of inference plus 20-50 ms each way plus 10 ms between drone updates, about 160
    ms, which is more than 3 and less than 4 time-steps. The buffer is kept across resets
    because a reset only moves the target, not the drone.
    """
    settings: dict[str, Any] = {
        "time_step_duration": 0.05,
        "start_obs_capture": 0.05,
        "time_step_timeout_factor": 1.0,
        "ep_max_length": 100,
        "act_buf_len": 4,
        "reset_act_buf": False,
        "clock": clock,
    }
    settings.update(overrides)
    return make_config(DroneInterface, **settings)


def proportional_controller(obs: tuple, gain: float = 20.0) -> np.ndarray:
    """The tutorial's policy: velocity towards the target, proportional to the observed error.

    It ignores the action buffer, so under the drone's delays it overshoots and oscillates.
    """
    error = np.array((obs[2][0] - obs[0][0], obs[3][0] - obs[1][0]), dtype=np.float32)
    error *= gain
    # np.clip's result, without its Python-level dispatch (a third of this function's time)
    return np.minimum(np.maximum(error, -2.0, out=error), 2.0, out=error)


@dataclasses.dataclass
class EpisodeProgress:
    """How an episode stands after its latest step (see :func:`episode_steps`)."""

    obs: Any
    """The latest observation."""
    steps: int = 0
    """Time-steps taken."""
    total: float = 0.0
    """Sum of the rewards so far (the return, once the episode is over)."""
    reward: float = 0.0
    """The latest reward."""
    terminated: bool = False
    truncated: bool = False

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    def summary(self) -> dict[str, Any]:
        """``steps``, ``return``, ``outcome`` (``"reached"`` or ``"truncated"``) and
        ``final_distance`` (minus the latest reward: the tutorial's reward is the distance)."""
        return {
            "steps": self.steps,
            "return": self.total,
            "outcome": "reached" if self.terminated else "truncated",
            "final_distance": -self.reward,
        }


def episode_steps(env: Any, policy: Callable[[Any], Any] = proportional_controller, *,
                  seed: int | None = None,
                  inference_time: float | Callable[[], float] = 0.0,
                  ) -> Iterator[EpisodeProgress]:
    """Reset ``env``, then step it with ``policy`` until the episode ends, one yield per step.

    The one episode loop of the course: :func:`run_episode` runs it to the end, the dashboard
    and the lessons' background runs stop it when they like (leave the ``for`` loop) and do
    their own bookkeeping between two steps.

    Args:
        env: A tutorial environment (any rtgym_nb environment).
        policy: ``action = policy(obs)``, called before every step.
        seed: Seeds the reset.
        inference_time: Seconds spent with the environment's clock before each step (on the
            simulated clock this models a policy that takes that long). A function is called
            before each step for the current value (how a slider reaches a running loop).

    Yields:
        The same :class:`EpisodeProgress`, updated after every step.
    """
    obs, _ = env.reset(seed=seed)
    clock = env.unwrapped.clock
    step = env.step
    progress = EpisodeProgress(obs)
    pause_of = inference_time if callable(inference_time) else None
    pause = inference_time
    while not progress.done:
        action = policy(progress.obs)
        if pause_of is not None:
            pause = pause_of()
        if pause:
            clock.sleep(pause)
        obs, reward, terminated, truncated, _ = step(action)
        progress.obs = obs
        progress.reward = reward = float(reward)
        progress.total += reward
        progress.steps += 1
        progress.terminated, progress.truncated = bool(terminated), bool(truncated)
        yield progress


def run_episode(env: Any, policy: Callable[[Any], Any] = proportional_controller, *,
                seed: int | None = None, inference_time: float = 0.0) -> dict[str, Any]:
    """Run one episode; return its length, return, outcome and final distance.

    ``inference_time`` is spent with the environment's clock before each step (on the
    simulated clock this models a policy that takes that long).
    """
    *_, last = episode_steps(env, policy, seed=seed, inference_time=inference_time)
    return last.summary()
