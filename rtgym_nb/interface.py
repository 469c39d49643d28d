"""The one class a user implements to put a device (robot, game) under real-time control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gymnasium import spaces

__all__ = ["REQUIRED_METHODS", "RealTimeGymInterface"]

REQUIRED_METHODS: tuple[str, ...] = (
    "send_control",
    "reset",
    "get_obs_rew_terminated_info",
    "get_observation_space",
    "get_action_space",
    "get_default_action",
)
"""The methods an interface must have. Subclassing :class:`RealTimeGymInterface` is not
required: any object with these methods will do (``wait`` and ``render`` are only called by
``env.wait()`` and ``env.render()``)."""


class RealTimeGymInterface:
    """Your device, as the real-time environment sees it.

    Subclass it, implement the six methods that raise ``NotImplementedError`` and put the class
    under the ``"interface"`` key of the configuration (or any callable that returns an object
    with these methods, such as ``functools.partial(MyInterface, gamepad=False)``). The
    environment builds the instance (with ``interface_args`` and ``interface_kwargs``) and calls
    its methods at the right times:

    * ``send_control`` at the start of every time-step, with the action chosen for it;
    * ``get_obs_rew_terminated_info`` ``start_obs_capture`` seconds after that start;
    * ``reset``, ``wait`` and ``render`` from the environment's methods of the same names.

    On ``real-time-gym-ts-v1`` on the wall clock every one of these calls, construction
    included, comes from the environment's single worker thread, so an interface that owns
    thread-bound resources (a serial port, a GPU context) is safe. On the simulated clock
    nothing runs concurrently and there is no worker: the calls come from the thread calling
    the environment (the one that made it, for construction), one at a time. Exceptions
    raised here reach the caller of ``step()``/``reset()``/``wait()`` with their original type
    and traceback.

    Observations are lists matching the ``gymnasium.spaces.Tuple`` returned by
    :meth:`get_observation_space`. Never include the action buffer: the environment appends it.
    """

    def send_control(self, control: Any) -> None:
        """Apply ``control`` (an element of the action space) to the device, without blocking.

        It must return quickly: the time it takes delays the rest of the time-step.
        """
        raise NotImplementedError

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        """Start a new episode; return ``(obs, info)``.

        Heavy one-off set-up (connecting to the device) belongs here rather than in
        ``__init__``: libraries often build an environment only to read its spaces.
        """
        raise NotImplementedError

    def wait(self) -> None:
        """Called by ``env.wait()`` (and on episode end with ``wait_on_done``): pause the device.

        The default does nothing. If you make the device act here, keep ``reset_act_buf`` True,
        since the action buffer can no longer describe what was applied.
        """

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        """Return ``(obs, reward, terminated, info)`` from the latest available observation.

        Slow captures should run in a parallel process, this method only fetching their latest
        result; otherwise its duration adds to the delay the action buffer must cover.
        """
        raise NotImplementedError

    def get_observation_space(self) -> spaces.Tuple:
        """Return a ``gymnasium.spaces.Tuple`` describing ``obs`` (without the action buffer)."""
        raise NotImplementedError

    def get_action_space(self) -> spaces.Space:
        """Return the ``gymnasium`` space that ``send_control`` accepts."""
        raise NotImplementedError

    def get_default_action(self) -> Any:
        """Return the action applied at ``reset()`` and used to fill the action buffer.

        It must belong to the action space (the environment checks this at construction).
        """
        raise NotImplementedError

    def render(self) -> Any:
        """Optional visualisation; whatever it returns, ``env.render()`` returns."""
        return None
