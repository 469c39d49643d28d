"""On a core install (no ``viz`` extra), drawing says which extra to install.

matplotlib is made unimportable for the test (``sys.modules[name] = None`` is how Python marks a
module as missing), then ``render()`` and Gymnasium's ``check_env`` with a render mode are called.
"""

from __future__ import annotations

import sys

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import rtgym_nb  # noqa: F401  (registers the ids)
from rtgym_nb._extras import require
from rtgym_nb.course.tutorial import tutorial_config


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_require_names_the_extra_and_keeps_the_error_type(no_matplotlib: None) -> None:
    with pytest.raises(ModuleNotFoundError) as caught:
        require("matplotlib", "viz", "drawing")
    assert caught.value.name == "matplotlib"
    assert 'pip install "rtgym_nb[viz]"' in str(caught.value)
    assert str(caught.value).startswith("drawing needs matplotlib")


def test_require_returns_the_module_when_it_is_there() -> None:
    import json

    assert require("json", "viz", "anything") is json


@pytest.mark.parametrize("env_id", ["real-time-gym-v1", "real-time-gym-ts-v1"])
def test_render_without_matplotlib_says_install_viz(no_matplotlib: None, env_id: str) -> None:
    with gymnasium.make(env_id, config=tutorial_config(clock="simulated"),
                        render_mode="rgb_array") as env:
        env.reset(seed=0)
        with pytest.raises(ModuleNotFoundError, match=r"rtgym_nb\[viz\]"):
            env.unwrapped.render()


# The tutorial's velocities are deliberately not normalised (see test_conformance.ADVISORY).
@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space:UserWarning")
def test_check_env_without_matplotlib_says_install_viz(no_matplotlib: None) -> None:
    env = gymnasium.make("real-time-gym-v1", config=tutorial_config(clock="simulated"),
                         render_mode="rgb_array")
    try:
        with pytest.raises(ModuleNotFoundError, match=r"rtgym_nb\[viz\]"):
            check_env(env.unwrapped)
    finally:
        env.close()
