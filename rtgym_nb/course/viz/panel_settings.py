"""What the dashboard can be set to: the settings, their defaults and checks, and the
environment configuration a run of :class:`~rtgym_nb.course.viz.control_panel.ControlPanel`
builds from them.

Plain functions of plain dicts, apart from the widgets: the panel keeps its settings in one
dict (``capture_fraction`` in place of ``start_obs_capture``, so that the capture follows the
time-step slider), and a run reads them through :func:`for_run`.
"""

from __future__ import annotations

import math
from typing import Any

from rtgym_nb.course.controllers import CONTROLLERS
from rtgym_nb.course.tutorial import DroneInterface, tutorial_config

__all__ = ["LIVE_SETTINGS", "READOUT_SETTINGS", "SETTINGS", "checked", "control_sleep",
           "current", "env_config", "for_run", "from_config", "reject_unknown"]

SETTINGS: dict[str, Any] = {
    "time_step_duration": 0.05,
    "start_obs_capture": None,
    "time_step_timeout_factor": 1.0,
    "act_buf_len": 4,
    "ep_max_length": 100,
    "reset_act_buf": False,
    "clock": "wall",
    "env_id": "real-time-gym-v1",
    "controller": "proportional",
    "gain": 20.0,
    "delays": (0.02, 0.05),
    "inference_time": 0.0,
    "episodes": 0,
    "seed": None,
    "pace": True,
    "live_plot": True,
}
"""What a :class:`ControlPanel` can be set to, with the defaults (the tutorial's settings).

Times are in seconds. ``start_obs_capture`` None means "at the end of the time-step" (it
follows the time-step slider as a fraction of it). ``controller`` names an entry of
:data:`~rtgym_nb.course.controllers.CONTROLLERS`; ``gain`` is the proportional controller's;
``delays`` the drone's ``(min, max)`` communication delay;
``inference_time`` is spent on the environment's clock before each ``step()`` (the modelled
duration of a policy). ``episodes`` 0 means "until Stop". ``seed`` seeds the first reset (None:
not reproducible). ``pace`` slows a background run on the simulated clock down to real time, so
it can be watched; blocking runs never wait. ``live_plot`` False keeps the figures still while
the loop runs (they are drawn once at the end).
"""

READOUT_SETTINGS = frozenset({"act_buf_len", "time_step_duration", "delays"})
"""Settings the buffer readout depends on."""

LIVE_SETTINGS = frozenset({
    "time_step_duration", "start_obs_capture", "time_step_timeout_factor", "ep_max_length",
    "controller", "gain", "inference_time", "pace", "live_plot",
})
"""Settings a running loop picks up from its next time-step; the others apply at the next Run."""


def reject_unknown(names: Any) -> None:
    """Raise ``TypeError`` naming every entry of ``names`` that is not a setting."""
    unknown = sorted(set(names) - set(SETTINGS))
    if unknown:
        raise TypeError(f"unknown setting(s) {unknown}; known: {sorted(SETTINGS)}")


def from_config(config: dict) -> tuple[dict, dict]:
    """The settings a configuration dict gives, and its ``interface_kwargs`` (kept for runs).

    Its interface must be the tutorial's ``DroneInterface`` (or a subclass): the panel drives
    that drone.
    """
    interface = config.get("interface", DroneInterface)
    if not (isinstance(interface, type) and issubclass(interface, DroneInterface)):
        raise ValueError(
            f"the panel drives the tutorial's DroneInterface; config['interface'] is "
            f"{interface!r}"
        )
    interface_kwargs = dict(config.get("interface_kwargs") or {})
    values = {key: config[key] for key in SETTINGS if key in config}
    drone = interface_kwargs.get("drone_kwargs") or {}
    if "communication_delay_min" in drone or "communication_delay_max" in drone:
        values["delays"] = (drone.get("communication_delay_min", SETTINGS["delays"][0]),
                            drone.get("communication_delay_max", SETTINGS["delays"][1]))
    clock = config.get("clock")
    if clock is not None and not isinstance(clock, str):
        values["clock"] = "simulated" if getattr(clock, "simulated", False) else "wall"
    if values.get("ep_max_length") == math.inf:
        values.pop("ep_max_length")
    return values, interface_kwargs


def checked(settings: dict) -> dict:
    """``settings`` checked (``ValueError`` quoting a bad value), with ``capture_fraction``."""
    dt = float(settings["time_step_duration"])
    if not dt > 0:
        raise ValueError(f"time_step_duration must be > 0, got {dt!r}")
    capture = settings["start_obs_capture"]
    fraction = 1.0 if capture is None else float(capture) / dt
    if not 0.0 <= fraction <= 1.0 + 1e-9:
        raise ValueError(f"start_obs_capture must be within [0, {dt}], got {capture!r}")
    if settings["clock"] not in ("wall", "simulated"):
        raise ValueError(f'clock must be "wall" or "simulated", got {settings["clock"]!r}')
    low, high = (float(v) for v in settings["delays"])
    if not 0.0 <= low <= high:
        raise ValueError(f"delays must be (min, max) with 0 <= min <= max, got "
                         f"{settings['delays']!r}")
    if settings["controller"] not in CONTROLLERS:
        raise ValueError(f"controller must be one of {sorted(CONTROLLERS)}, got "
                         f"{settings['controller']!r}")
    result = dict(settings)
    result["delays"] = (low, high)
    result["time_step_duration"] = dt
    result["capture_fraction"] = min(fraction, 1.0)
    return result


def current(settings: dict) -> dict:
    """Every setting of :data:`SETTINGS` from the panel's :func:`checked` dict."""
    values = {key: settings[key] for key in SETTINGS}
    values["start_obs_capture"] = settings["capture_fraction"] * values["time_step_duration"]
    return values


def for_run(settings: dict, overrides: dict) -> dict:
    """The settings a run uses: the panel's, with the run's ``overrides``; a time-step given
    alone carries the capture along at the same fraction."""
    values = current(settings)
    if "time_step_duration" in overrides and "start_obs_capture" not in overrides:
        values["start_obs_capture"] = (settings["capture_fraction"]
                                       * overrides["time_step_duration"])
    values.update(overrides)
    if values["start_obs_capture"] is None:
        values["start_obs_capture"] = values["time_step_duration"]
    return values


def env_config(s: dict, interface_kwargs: dict) -> dict:
    """The tutorial's configuration for a run's settings ``s`` (benchmarks on)."""
    low, high = s["delays"]
    interface_kwargs = dict(interface_kwargs)
    interface_kwargs["drone_kwargs"] = {**(interface_kwargs.get("drone_kwargs") or {}),
                                        "communication_delay_min": low,
                                        "communication_delay_max": high}
    return tutorial_config(
        clock=s["clock"],
        time_step_duration=s["time_step_duration"],
        start_obs_capture=s["start_obs_capture"],
        time_step_timeout_factor=s["time_step_timeout_factor"],
        ep_max_length=int(s["ep_max_length"]),
        act_buf_len=int(s["act_buf_len"]),
        reset_act_buf=bool(s["reset_act_buf"]),
        benchmark=True,
        interface_kwargs=interface_kwargs,
    )


def control_sleep(interface_kwargs: dict) -> float:
    """The drone's ``control_sleep`` (s) under ``interface_kwargs``: part of the loop delay."""
    drone = interface_kwargs.get("drone_kwargs") or {}
    return float(drone.get("control_sleep", 0.01))
