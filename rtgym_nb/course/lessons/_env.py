"""How every lesson makes its environment.

Timeouts are part of what the lessons show, so their environments count them (``env.timeouts``,
the trace's ``timed_out`` column) with ``warn_on_timeout`` off, instead of letting
:class:`~rtgym_nb.TimeStepTimeoutWarning` reach the notebook: from a background thread, a
warning would print into whatever cell is active.
"""

from __future__ import annotations

import gymnasium

ENV_ID = "real-time-gym-v1"


def make_env(config: dict, env_id: str = ENV_ID, *, warn_on_timeout: bool = False) -> gymnasium.Env:
    """Make an environment that counts timeouts without warning (see the module's docstring)."""
    env = gymnasium.make(env_id, config=config, disable_env_checker=True)
    env.unwrapped.warn_on_timeout = warn_on_timeout
    return env
