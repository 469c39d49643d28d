"""rtgym 0.16's ``rtgym.tuto.dummy_drone`` import path (the drone lives in the course)."""

from rtgym_nb.course.drone import DummyRCDrone

__all__ = ["DummyRCDrone"]
