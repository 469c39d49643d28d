"""rtgym 0.16's ``rtgym.envs`` import path, kept so that ported scripts need no other change."""

from rtgym_nb.env import RealTimeEnv, RealTimeEnvTS
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["RealTimeEnv", "RealTimeEnvTS", "RealTimeGymInterface"]
