"""Shared fixtures for the engine's tests; the test interfaces and helpers are in
``interfaces.py``.

(A helper module rather than ``from conftest import ...``: ``tests/browser`` has a conftest of
its own, so the name ``conftest`` is ambiguous on ``sys.path``.)

* ``env_id``: parametrized over both registered ids.
* ``make_env(render_mode=None, **overrides)``: ``gymnasium.make(env_id, config=...)`` on the
  simulated clock by default; every environment it makes is closed (and checked to have joined
  its threads) when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gymnasium
import pytest
from interfaces import ENV_IDS, sim_config


@pytest.fixture(params=ENV_IDS)
def env_id(request: pytest.FixtureRequest) -> str:
    """Each registered id in turn."""
    return request.param


@pytest.fixture
def make_env(env_id: str) -> Iterator[Callable[..., gymnasium.Env]]:
    """``make_env(render_mode=None, **overrides)``: a gymnasium-made env of ``env_id``.

    The configuration is :func:`sim_config` (simulated clock) with ``overrides``; pass
    ``clock="wall"`` for real time. All envs are closed at the end of the test, which also
    checks that closing joined every thread they started.
    """
    made: list[gymnasium.Env] = []

    def factory(render_mode: str | None = None, **overrides: Any) -> gymnasium.Env:
        config = sim_config(**overrides)
        env = gymnasium.make(env_id, config=config, render_mode=render_mode)
        made.append(env)
        return env

    yield factory
    for env in made:
        env.close()
    for env in made:
        assert env.unwrapped.threads() == [], f"{env_id}: threads still alive after close()"
