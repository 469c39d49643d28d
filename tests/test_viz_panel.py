"""Tests of the dashboard's control panel (rtgym_nb.viz.panel), in plain Python (no frontend)."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import rtgym_nb  # noqa: F401  (registers the environment ids)
from rtgym_nb.tutorial import proportional_controller, tutorial_config


def test_env_counts_timeouts_silently_when_warnings_are_off():
    # The panel steps from a background thread, where a warning would print into whatever cell
    # is active; it switches warnings off and reads the counter instead.
    with gymnasium.make("real-time-gym-v1", config=tutorial_config(clock="simulated")) as env:
        raw = env.unwrapped
        assert raw.warn_on_timeout is True
        raw.warn_on_timeout = False
        obs, _ = env.reset(seed=0)
        for _ in range(3):
            raw.clock.sleep(0.2)  # four time-steps of inference: beyond the elasticity
            obs, *_ = env.step(proportional_controller(obs))
        assert raw.timeouts == 3
        raw.warn_on_timeout = True
        raw.clock.sleep(0.2)
        with pytest.warns(rtgym_nb.TimeStepTimeoutWarning):
            env.step(np.zeros(2, dtype=np.float32))
        assert raw.timeouts == 4
