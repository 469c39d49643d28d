"""rtgym_nb: real-time Gymnasium environments, and the notebooks that teach them.

A drop-in for rtgym 0.16: code written for ``rtgym`` runs with ``rtgym_nb`` in its imports.
Importing this package registers the Gymnasium ids ``real-time-gym-v1`` (thread-per-step
runner) and ``real-time-gym-ts-v1`` (persistent-thread runner).
"""

from gymnasium.envs.registration import register, registry

from rtgym_nb.__about__ import __version__
from rtgym_nb._clock import SimulatedClock, WallClock, current_clock, use_clock
from rtgym_nb._runners import live_threads
from rtgym_nb.config import (
    DEFAULT_CONFIG_DICT,
    ConfigError,
    ConfigTypeError,
    RealTimeConfig,
    make_config,
)
from rtgym_nb.course.drone import DummyRCDrone
from rtgym_nb.env import RealTimeEnv, RealTimeEnvTS
from rtgym_nb.errors import (
    ConfigWarning,
    EnvClosedError,
    EpisodeNotRunningError,
    InterfaceHangError,
    TimeStepTimeoutWarning,
)
from rtgym_nb.interface import RealTimeGymInterface

__all__ = [
    "DEFAULT_CONFIG_DICT",
    "ConfigError",
    "ConfigTypeError",
    "ConfigWarning",
    "DummyRCDrone",
    "EnvClosedError",
    "EpisodeNotRunningError",
    "InterfaceHangError",
    "RealTimeConfig",
    "RealTimeEnv",
    "RealTimeEnvTS",
    "RealTimeGymInterface",
    "SimulatedClock",
    "TimeStepTimeoutWarning",
    "WallClock",
    "__version__",
    "current_clock",
    "live_threads",
    "make_config",
    "use_clock",
]

for _id, _runner in (("real-time-gym-v1", "thread-per-step"),
                     ("real-time-gym-ts-v1", "persistent-thread")):
    if _id not in registry:  # rtgym itself may have registered it in the same process
        register(id=_id, entry_point="rtgym_nb.env:RealTimeEnv", kwargs={"runner": _runner})
