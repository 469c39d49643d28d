"""The tutorial's task under its first import path; it lives in :mod:`rtgym_nb.course.tutorial`."""

from rtgym_nb.course.tutorial import *  # noqa: F403
from rtgym_nb.course.tutorial import __all__  # noqa: F401
