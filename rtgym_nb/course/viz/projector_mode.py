"""Projector mode: larger fonts and thicker lines for the lesson figures.

A lecture hall's back row cannot read 8-point tick labels. ``projector()`` scales matplotlib's
text and line sizes (its ``rcParams``), so every figure built afterwards is readable from
afar; figures already drawn keep their look. Use it either way:

* ``projector()`` switches it on for the rest of the session, ``projector(False)`` back off;
* ``with projector(): ...`` switches it on for the figures built inside the block only.

The course's figures size their text relative to ``font.size`` (``"small"``, ``"large"``), so
they all scale together.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl

__all__ = ["figure_scale", "projector", "projector_on"]

BASE = {
    "font.size": 10.0,
    "axes.titlesize": "large",
    "axes.labelsize": "medium",
    "xtick.labelsize": "medium",
    "ytick.labelsize": "medium",
    "legend.fontsize": "medium",
    "lines.linewidth": 1.5,
    "lines.markersize": 6.0,
    "axes.linewidth": 0.8,
    "grid.linewidth": 0.8,
    "patch.linewidth": 1.0,
}
"""The sizes projector mode scales (their values at a scale of 1)."""

_SCALED_NUMBERS = ("font.size", "lines.linewidth", "lines.markersize", "axes.linewidth",
                   "grid.linewidth", "patch.linewidth")

_saved: dict[str, Any] | None = None
"""The rcParams as they were before projector mode was switched on globally (None: off)."""

_scale = 1.0
"""The scale in force (1 when projector mode is off)."""


def _settings(scale: float) -> dict[str, Any]:
    return {key: value * scale if key in _SCALED_NUMBERS else value
            for key, value in BASE.items()}


class projector:
    """Switch projector mode on (``scale`` > 1 enlarges) or off (``on=False``).

    Called on its own it changes matplotlib's settings for the session; used as a context
    manager it changes them only inside the ``with`` block (and restores them on exit).

    Args:
        on: True to enlarge, False to restore the settings from before projector mode.
        scale: Factor applied to font sizes and line widths.
    """

    def __init__(self, on: bool = True, scale: float = 1.6) -> None:
        global _saved, _scale
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self._before = {key: mpl.rcParams[key] for key in BASE}
        self._was_on, self._scale_before = _saved is not None, _scale
        if on:
            if _saved is None:
                _saved = dict(self._before)
            mpl.rcParams.update(_settings(scale))
            _scale = scale
        elif _saved is not None:
            mpl.rcParams.update(_saved)
            _saved, _scale = None, 1.0

    def __enter__(self) -> projector:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _saved, _scale
        mpl.rcParams.update(self._before)
        _scale = self._scale_before
        if not self._was_on:
            _saved = None


def projector_on() -> bool:
    """Whether projector mode is switched on for the session."""
    return _saved is not None


def figure_scale(figsize: tuple[float, float]) -> tuple[float, float]:
    """``figsize`` enlarged for projector mode (by the square root of its text scale, so that
    the larger text still fits); unchanged when projector mode is off."""
    factor = _scale ** 0.5
    return figsize[0] * factor, figsize[1] * factor
