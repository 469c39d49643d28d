"""The version, in one place: the build backend reads it and ``rtgym_nb`` re-exports it."""

__version__ = "0.1.0"
