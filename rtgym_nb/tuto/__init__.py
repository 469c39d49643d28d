"""rtgym 0.16's ``rtgym.tuto`` import path: the dummy drone of its tutorial."""

from rtgym_nb.course.drone import DummyRCDrone

__all__ = ["DummyRCDrone"]
