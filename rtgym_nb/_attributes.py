"""rtgym 0.16's attribute surface of the environment, backed by one live configuration.

rtgym clients read and set attributes of ``env.unwrapped`` (``ep_max_length = n``,
``time_step_duration``, ``act_prepro_func``, ``is_waiting``...). Here each configuration entry
has one home, ``env.config``: reading an attribute reads it, and setting one checks the value
as the configuration would (raise or :class:`~rtgym_nb.errors.ConfigWarning`), takes the step
lock, stores it in ``env.config`` and hands a copy to whoever runs on it (the elastic schedule,
the pipeline, the benchmark), so that it takes effect from the next time-step.
"""

from __future__ import annotations

from collections import deque
from operator import attrgetter
from typing import Any

from rtgym_nb.errors import warn_config

__all__ = ["RtgymAttributes"]


def _setting(key: str, doc: str) -> property:
    """An attribute that reads ``env.config.<key>`` and writes through ``env._set``.

    (The getter is an ``attrgetter``: read on every time-step, it must cost next to nothing.)
    """
    return property(attrgetter(f"config.{key}"),
                    lambda env, value: env._set(key, value), doc=doc)


class RtgymAttributes:
    """The part of :class:`~rtgym_nb.env.RealTimeEnv` that rtgym's attributes and setters are.

    Needs from the environment: ``config``, ``_lock`` (the step lock), ``_schedule``,
    ``_pipeline``, ``_bench``, ``_ep_max_length``, ``act_buf``, ``default_action`` and
    ``_check_action``.
    """

    time_step_duration = _setting("time_step_duration", "Nominal time-step duration (s).")
    start_obs_capture = _setting("start_obs_capture",
                                 "Capture time after a time-step's start (s).")
    time_step_timeout_factor = _setting("time_step_timeout_factor", "Elasticity (time-steps).")
    ep_max_length = _setting("ep_max_length", "Episode length at which truncated is True.")
    act_in_obs = _setting("act_in_obs", "Observations end with the action buffer.")
    act_buf_len = _setting("act_buf_len", "Length of the action buffer.")
    reset_act_buf = _setting("reset_act_buf", "reset() refills the buffer with the default.")
    wait_on_done = _setting("wait_on_done", "wait() is called when an episode ends.")
    last_act_on_reset = _setting("last_act_on_reset", "reset() sends the last action.")
    benchmark = _setting("benchmark", "benchmarks() are recorded.")
    benchmark_polyak = _setting("benchmark_polyak", "Weight of the newest benchmark sample.")
    act_prepro_func = _setting("act_prepro_func", "Applied to actions before send_control.")
    obs_prepro_func = _setting("obs_prepro_func", "Applied to captured observations.")

    def _set(self, key: str, value: Any) -> None:
        """Check ``value`` as the configuration would, then apply it under the step lock."""
        with self._lock:
            value = self.config.checked(key, value)
            setattr(self.config, key, value)
            schedule = self._schedule
            if key == "time_step_duration":
                schedule.duration = value
            elif key == "start_obs_capture":
                schedule.obs_offset = value
            elif key == "time_step_timeout_factor":
                schedule.timeout_factor = value
            elif key == "ep_max_length":
                self._ep_max_length = value
            elif key == "benchmark_polyak":
                self._bench.polyak = value
            elif key == "act_prepro_func":
                self._pipeline.act_prepro = value
            elif key == "obs_prepro_func":
                self._pipeline.obs_prepro = value
            elif key in ("act_in_obs", "act_buf_len"):
                if key == "act_buf_len":
                    kept = list(self.act_buf)[-value:] if value else []
                    padding = [self.default_action] * (value - len(kept))
                    self.act_buf = deque(padding + kept, maxlen=value)
                warn_config(key, value, "changes the observations from the next one on, but "
                            "not observation_space (fixed at construction, as in rtgym)")

    @property
    def time_step_timeout(self) -> float:
        """rtgym's elasticity in seconds: ``time_step_duration * time_step_timeout_factor``."""
        return self.time_step_duration * self.time_step_timeout_factor

    @time_step_timeout.setter
    def time_step_timeout(self, seconds: float) -> None:
        duration = self.time_step_duration
        self._set("time_step_timeout_factor", seconds / duration if duration else seconds)

    @property
    def interface_cls(self) -> Any:
        """rtgym's name for the ``"interface"`` entry (what built :attr:`interface`)."""
        return self.config.interface

    @property
    def interface_args(self) -> tuple:
        return self.config.interface_args

    @property
    def interface_kwargs(self) -> dict:
        return self.config.interface_kwargs

    @property
    def is_waiting(self) -> bool:
        """``wait()`` was called and the next time-step has not started yet."""
        return self._schedule.waiting

    @is_waiting.setter
    def is_waiting(self, waiting: bool) -> None:
        with self._lock:
            self._schedule.waiting = bool(waiting)

    @property
    def time_initialized(self) -> bool:
        """The elastic clock has started (at the first ``reset()``)."""
        return self._schedule.started

    def set_default_action(self, default_action: Any) -> None:
        """Replace the action that ``reset()`` sends (and fills the buffer with)."""
        with self._lock:
            self.default_action = self._check_action(default_action, "the new default action")

    def set_time_step_duration(
        self, time_step_duration: float, time_step_timeout_factor: float | None = None
    ) -> None:
        """Change the time-step duration (and elasticity) from the next time-step on.

        It waits for the step lock, not for the end of the time-step as rtgym 0.16 does, so a
        widget can call it while an episode runs. A capture time that was at the end of the
        time-step stays at the end; one that would fall after the new end is moved to it.
        """
        with self._lock:
            old = self.config.time_step_duration
            capture = self.config.start_obs_capture
            duration = self.config.checked("time_step_duration", time_step_duration)
            if time_step_timeout_factor is not None:
                self._set("time_step_timeout_factor", time_step_timeout_factor)
            if capture >= old or capture > duration:
                self._set("start_obs_capture", duration)
            self._set("time_step_duration", duration)

    def set_start_obs_capture(self, start_obs_capture: float) -> None:
        """Change when observations are captured, from the next time-step on."""
        self._set("start_obs_capture", start_obs_capture)

    def set_ep_max_length(self, ep_max_length: float) -> None:
        """Change the episode length limit, from the next step on."""
        self._set("ep_max_length", ep_max_length)
