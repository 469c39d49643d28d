"""rtgym 0.16's ``rtgym.envs.real_time_env`` import path (the README imports from here)."""

from rtgym_nb.config import DEFAULT_CONFIG_DICT
from rtgym_nb.env import RealTimeEnv, RealTimeEnvTS
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["DEFAULT_CONFIG_DICT", "RealTimeEnv", "RealTimeEnvTS", "RealTimeGymInterface"]
