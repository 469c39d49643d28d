"""The experiment behind notebook 05: which action is applied when, around ``reset()``.

:class:`RecordingInterface` logs every call the environment makes, with its simulated time;
:func:`transition_run` runs a short seeded scenario and returns a :class:`TransitionRun` that
answers "which action was applied at time t?".
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np
from gymnasium import spaces

from rtgym_nb._clock import current_clock
from rtgym_nb.config import make_config
from rtgym_nb.course.lessons._env import make_env
from rtgym_nb.interface import RealTimeGymInterface

_TIME_FIELDS = (
    "call", "joined", "send_start", "send_end", "nominal_start", "nominal_obs",
    "nominal_end", "capture_start", "capture_end", "returned",
)


class Event(NamedTuple):
    """One call into :class:`RecordingInterface`."""

    time: float
    """Clock time of the call."""
    kind: str
    """``"send"`` (``send_control``), ``"device"`` (an action the interface applied by itself,
    in ``wait()`` or ``reset()``), ``"reset"``, ``"wait"`` or ``"capture"``."""
    value: float
    """The action applied from now on (``"send"``, ``"device"``), or the one applied at the
    time of the call (the other kinds)."""


class RecordingInterface(RealTimeGymInterface):
    """A device that applies every action instantly and logs every call with its time.

    Actions are single numbers (``Box(-1000, 1000, (1,))``; the default action is 0), so a
    run can label them ``a0, a1, ...``. The observation is the action being applied. The log
    is :attr:`events`.

    Args:
        wait_action: If not None, ``wait()`` applies this action (e.g. "land").
        reset_action: If not None, ``reset()`` applies this action (e.g. "go home").
    """

    def __init__(self, wait_action: float | None = None,
                 reset_action: float | None = None) -> None:
        self.wait_action = wait_action
        self.reset_action = reset_action
        self.applied = 0.0
        self.events: list[Event] = []

    def _log(self, kind: str) -> None:
        self.events.append(Event(current_clock().now(), kind, self.applied))

    def _apply(self, value: float, kind: str) -> None:
        self.applied = float(value)
        self._log(kind)

    def get_observation_space(self) -> spaces.Tuple:
        return spaces.Tuple((spaces.Box(-1000.0, 1000.0, (1,), np.float32),))

    def get_action_space(self) -> spaces.Box:
        return spaces.Box(-1000.0, 1000.0, (1,), np.float32)

    def get_default_action(self) -> np.ndarray:
        return np.zeros(1, dtype=np.float32)

    def send_control(self, control: Any) -> None:
        self._apply(float(np.asarray(control).reshape(-1)[0]), "send")

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[list, dict]:
        self._log("reset")
        if self.reset_action is not None:
            self._apply(self.reset_action, "device")
        return self._obs(), {}

    def wait(self) -> None:
        self._log("wait")
        if self.wait_action is not None:
            self._apply(self.wait_action, "device")

    def get_obs_rew_terminated_info(self) -> tuple[list, float, bool, dict]:
        self._log("capture")
        return self._obs(), 0.0, False, {}

    def _obs(self) -> list[np.ndarray]:
        return [np.array([self.applied], dtype=np.float32)]


class Call(NamedTuple):
    """One call of the agent into the environment."""

    kind: str
    """``"reset"`` or ``"step"``."""
    episode: int
    start: float
    """Clock time when the call was made."""
    end: float
    """Clock time when it returned."""
    action: float | None
    """The action passed to ``step()`` (None for ``reset()``)."""
    buffer: tuple[float, ...]
    """The action buffer in the returned observation, oldest first."""
    done: bool
    """The episode ended with this call (``terminated or truncated``)."""


@dataclasses.dataclass
class TransitionRun:
    """What :func:`transition_run` recorded. Times are on the simulated clock, from 0."""

    config: dict
    """The configuration the environment ran with."""
    calls: list[Call]
    events: list[Event]
    trace: dict[str, np.ndarray]
    """The environment's timing trace (:meth:`~rtgym_nb._timing.TimingTrace.arrays`)."""
    timeouts: int
    time_step: float

    def resets(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "reset"]

    def steps(self, episode: int | None = None) -> list[Call]:
        return [c for c in self.calls
                if c.kind == "step" and (episode is None or c.episode == episode)]

    def sent_during(self, call: Call) -> list[float]:
        """Actions that reached ``send_control`` while ``call`` ran."""
        return [e.value for e in self.events
                if e.kind == "send" and call.start <= e.time <= call.end]

    def applied_at(self, time: float) -> float:
        """The action the device applied at ``time`` (the default, 0, before anything)."""
        value = 0.0
        for event in self.events:
            if event.time > time:
                break
            if event.kind in ("send", "device"):
                value = event.value
        return value

    def segments(self, until: float | None = None) -> list[tuple[float, float, float, str]]:
        """``(start, end, action, how)`` for each stretch of one applied action.

        ``how`` is ``"send"`` (sent by the environment) or ``"device"`` (applied by the
        interface in ``wait()``/``reset()``). The last segment ends at ``until`` (default:
        the last recorded event).
        """
        changes = [e for e in self.events if e.kind in ("send", "device")]
        if until is None:
            until = self.events[-1].time if self.events else 0.0
        out = []
        for i, event in enumerate(changes):
            stop = changes[i + 1].time if i + 1 < len(changes) else max(until, event.time)
            out.append((event.time, stop, event.value, event.kind))
        return out


def transition_run(
    *,
    episodes: int = 2,
    steps: int = 3,
    inference: float = 0.02,
    pause: float = 0.08,
    set_default_on_done: bool = False,
    wait_action: float | None = None,
    reset_action: float | None = None,
    **config: Any,
) -> TransitionRun:
    """Run a short scripted session with :class:`RecordingInterface` on the simulated clock.

    Each episode is ``reset()`` followed by ``steps`` steps (``ep_max_length=steps``, so the
    last one truncates and its action is never sent). The actions are numbered across the
    session: ``step()`` number ``n`` (from 1) passes action ``n``; the default action is 0.
    Between episodes the agent spends ``pause`` seconds (logging, say) before the next
    ``reset()``; before each step it spends ``inference`` seconds.

    Args:
        set_default_on_done: When an episode ends, call ``env.set_default_action(last
            action)`` before the next ``reset()`` (the rtgym README's snippet).
        wait_action: Passed to :class:`RecordingInterface` (an action ``wait()`` applies).
        reset_action: Passed to :class:`RecordingInterface` (an action ``reset()`` applies).
        **config: Configuration entries, e.g. ``reset_act_buf=False``,
            ``last_act_on_reset=True``, ``wait_on_done=True``, ``act_buf_len=2``.
    """
    settings: dict[str, Any] = {
        "time_step_duration": 0.05,
        "start_obs_capture": 0.05,
        "act_buf_len": 2,
        "ep_max_length": steps,
        "clock": "simulated",
        "interface_kwargs": {"wait_action": wait_action, "reset_action": reset_action},
    }
    settings.update(config)
    cfg = make_config(RecordingInterface, **settings)
    calls: list[Call] = []

    def buffer_of(obs: tuple) -> tuple[float, ...]:
        return tuple(float(np.asarray(a).reshape(-1)[0]) for a in obs[1:])

    with make_env(cfg) as env:
        clock = env.unwrapped.clock
        origin = clock.now()
        n = 0
        for episode in range(episodes):
            start = clock.now()
            obs, _ = env.reset()
            calls.append(Call("reset", episode, start, clock.now(), None, buffer_of(obs), False))
            done = False
            action = None
            while not done:
                clock.sleep(inference)
                n += 1
                action = np.array([n], dtype=np.float32)
                start = clock.now()
                obs, _, terminated, truncated, _ = env.step(action)
                done = bool(terminated or truncated)
                calls.append(Call("step", episode, start, clock.now(), float(n),
                                  buffer_of(obs), done))
            if set_default_on_done and action is not None:
                env.unwrapped.set_default_action(action)
            clock.sleep(pause)
        interface = env.unwrapped.interface
        events = list(interface.events)
        trace = env.unwrapped.trace.arrays()
        timeouts = env.unwrapped.timeouts

    calls = [c._replace(start=c.start - origin, end=c.end - origin) for c in calls]
    events = [e._replace(time=e.time - origin) for e in events]
    for key in _TIME_FIELDS:
        trace[key] = trace[key] - origin
    return TransitionRun(cfg, calls, events, trace, int(timeouts),
                         float(settings["time_step_duration"]))



