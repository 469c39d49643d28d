"""The real-time Gymnasium environment, written once for every runner and every clock.

``real-time-gym-v1`` and ``real-time-gym-ts-v1`` are this class with two different runners
(:mod:`rtgym_nb._runners`); the time-step itself lives in :mod:`rtgym_nb._pipeline`. This module
holds what the user sees: configuration, spaces, the action buffer, the observation assembly,
episode bookkeeping and rtgym 0.16's reset/step/wait semantics.

The contract of ``step(action)`` (as in rtgym): it waits for the end of the current time-step,
returns the observation captured ``start_obs_capture`` after that time-step's start, and opens
the next time-step by sending ``action`` -- unless the episode just ended, in which case the
action is not sent (it is still appended to the action buffer).
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections import deque
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces

from rtgym_nb._clock import Clock
from rtgym_nb._pipeline import Captured
from rtgym_nb._runners import Runner, make_runner
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import PolyakBenchmark, TimingTrace
from rtgym_nb.config import (
    ConfigError,
    RealTimeConfig,
    check_ep_max_length,
    check_start_obs_capture,
    check_time_step_duration,
    check_timeout_factor,
)
from rtgym_nb.errors import EnvClosedError, EpisodeNotRunningError, TimeStepTimeoutWarning
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["RealTimeEnv", "RealTimeEnvTS"]


class RealTimeEnv(gymnasium.Env):
    """A Gymnasium environment that runs your :class:`RealTimeGymInterface` in real time.

    Usually made with ``gymnasium.make("real-time-gym-v1", config=...)`` (or ``-ts-v1``).

    Args:
        config: A configuration dictionary (see :data:`~rtgym_nb.DEFAULT_CONFIG_DICT` and
            :class:`~rtgym_nb.config.RealTimeConfig`). It is copied: changing it later has no
            effect on this environment.
        runner: ``"thread-per-step"`` (``real-time-gym-v1``) or ``"persistent-thread"``
            (``real-time-gym-ts-v1``).
        render_mode: Gymnasium's render mode, passed on as ``interface.render_mode`` when the
            interface has such an attribute.

    Attributes:
        interface: The interface instance.
        clock: The clock everything runs on; with ``"clock": "simulated"``, call
            ``env.unwrapped.clock.sleep(d)`` to spend modelled inference time.
        trace: Timestamps of recent time-steps (:class:`~rtgym_nb._timing.TimingTrace`).
        act_buf: The action buffer (most recent action last).
        default_action: The action ``reset()`` sends (see :meth:`set_default_action`).
        current_step: Time-steps since the last ``reset()``.
        running: An episode is running (``step()`` is allowed).
        timeouts: Number of time-steps that broke the elastic constraint.
        warn_on_timeout: Warn (:class:`~rtgym_nb.errors.TimeStepTimeoutWarning`) when a
            time-step times out (default True). Code that steps from a background thread, where
            a warning would print into whatever notebook cell is active, sets it to False and
            reads :attr:`timeouts` instead.

    Threads: ``reset``, ``step``, ``wait`` and ``render`` may be called from several threads;
    they are serialized by one re-entrant lock, held for the whole call. Each call therefore
    runs a complete time-step (or reset) on its own: two threads' steps are never interleaved,
    the action buffer receives the actions in the order their calls took the lock, and each
    observation carries the buffer as it was right after its own action. Which of two waiting
    threads goes first is up to the lock. (Serializing is the only sound choice: a time-step is
    a single timeline of sends and captures, so concurrent steps could not run in parallel
    anyway.) ``close`` does not take the lock, so it can stop an environment another thread is
    stepping.

    Failures: an exception raised by the interface reaches the caller of the call that needed
    it, with its original type and traceback, whichever thread raised it; the episode is over
    (``step`` raises :class:`~rtgym_nb.errors.EpisodeNotRunningError` until ``reset``), and the
    environment can still be reset or closed. The same holds for a ``KeyboardInterrupt`` (a
    notebook cell interrupted during ``step``): on ``real-time-gym-ts-v1`` the worker drops the
    interrupted call (it never starts it, or sends nothing more in it: at most a
    ``send_control`` already under way completes), so nothing reaches the device after the
    interrupt until the next ``reset``.

    Hangs: an interface call made on a worker thread (every call on ``real-time-gym-ts-v1``; the
    mid-step capture thread of ``real-time-gym-v1``) that overruns ``hang_timeout`` raises
    :class:`~rtgym_nb.errors.InterfaceHangError`; from then on the environment only closes
    (promptly, without waiting for the stuck thread), and the stuck call sends nothing more
    once the interface returns. On ``real-time-gym-v1`` every other call
    (``send_control`` included) runs on the caller's own thread and cannot be interrupted: a
    hang there blocks the caller until the interface returns. Use ``real-time-gym-ts-v1`` if
    your interface can hang. On the simulated clock neither id starts a thread (nothing runs
    concurrently on simulated time): every call runs on the caller's thread, as above.
    """

    metadata: ClassVar[dict] = {"render_modes": ["human", "rgb_array"], "render_fps": 20}

    def __init__(
        self,
        config: dict | RealTimeConfig | None = None,
        *,
        runner: str = "thread-per-step",
        render_mode: str | None = None,
    ) -> None:
        cfg = RealTimeConfig.from_dict(config)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not one of {self.metadata['render_modes']}"
            )
        self.config = cfg
        self.render_mode = render_mode
        self.clock: Clock = cfg.clock
        self._closed = False
        self._lock = threading.RLock()
        self._runner: Runner = make_runner(runner, self.clock, cfg.hang_timeout)
        self._finalizer = weakref.finalize(self, self._runner.close)
        try:
            self.interface = self._runner.call(self._build_interface)
            inner_obs_space, action_space, default_action = self._runner.call(self._read_spaces)
            _check_observation_space(inner_obs_space)
            self.action_space = action_space
            self.default_action = self._check_action(default_action, "get_default_action()")
        except BaseException:  # a failed construction must not leave the worker running
            self.close()
            raise
        self.act_in_obs = cfg.act_in_obs
        self.act_buf_len = cfg.act_buf_len
        self.reset_act_buf = cfg.reset_act_buf
        self.last_act_on_reset = cfg.last_act_on_reset
        self.wait_on_done = cfg.wait_on_done
        self.benchmark = cfg.benchmark
        self.benchmark_type = cfg.benchmark_type
        buffered = (action_space,) * (cfg.act_buf_len if cfg.act_in_obs else 0)
        self.observation_space = spaces.Tuple((*inner_obs_space.spaces, *buffered))
        self._buffer_dtype = getattr(action_space, "dtype", None)
        self.act_buf: deque = deque(maxlen=cfg.act_buf_len)
        self._last_action = self.default_action
        self._prepare = self._prepare_buffer  # (bound once: step() hands it over every time)
        self._fill_action_buffer()
        self.current_step = 0
        self.running = False
        self.warn_on_timeout = True
        self._ep_max_length = cfg.ep_max_length
        self.bench = PolyakBenchmark(cfg.benchmark_polyak)
        self._last_return: float | None = None
        self.trace = TimingTrace(cfg.trace_length)
        self._schedule = ElasticSchedule(
            cfg.time_step_duration, cfg.start_obs_capture, cfg.time_step_timeout_factor
        )
        self._pipeline = self._runner.make_pipeline(
            self.interface, self._schedule, self.trace, cfg.act_prepro_func, cfg.obs_prepro_func
        )

    # -- construction helpers (run where the interface lives) ------------------------------

    def _build_interface(self) -> RealTimeGymInterface:
        cfg = self.config
        interface = cfg.interface(*cfg.interface_args, **cfg.interface_kwargs)
        if self.render_mode is not None and hasattr(interface, "render_mode"):
            interface.render_mode = self.render_mode
        return interface

    def _read_spaces(self) -> tuple[Any, Any, Any]:
        interface = self.interface
        return (
            interface.get_observation_space(),
            interface.get_action_space(),
            interface.get_default_action(),
        )

    def _check_action(self, action: Any, what: str) -> Any:
        """``action`` as the action space's dtype, or ConfigError if outside the space."""
        space = self.action_space
        candidate = action
        if isinstance(space, spaces.Box):
            try:
                candidate = np.array(action, dtype=space.dtype)
            except (TypeError, ValueError):
                candidate = action
        if not space.contains(candidate):
            raise ConfigError("interface", action, f"{what} is not in the action space {space}")
        return candidate

    def _as_buffered(self, action: Any) -> Any:
        """A private copy of ``action`` in the action space's dtype, for the buffer.

        An array already of that dtype is just copied: ``np.array(action, dtype=...)`` walks
        numpy's conversion machinery, about twice the cost of a copy when caches are cold
        (~25-35 us against ~10-15 us).
        """
        space = self.action_space
        if type(action) is np.ndarray and action.dtype == self._buffer_dtype:
            return action.copy()
        if isinstance(space, spaces.Box):
            try:
                return np.array(action, dtype=space.dtype)
            except (TypeError, ValueError):
                return action
        return action

    def _prepare_buffer(self, action: Any) -> tuple[Any, tuple]:
        """step()'s copies of the action buffer, made before they are needed.

        Returns ``action`` as the buffer will hold it, and the observation's copies of the
        buffer once it is in: arrays copied right after a wake-up cost tens of microseconds,
        which the pipeline does in time the clock would otherwise spend spinning before the
        capture (``prepare`` of :meth:`Pipeline.step <rtgym_nb._pipeline.Pipeline.step>`). It
        changes nothing: ``step()`` commits the result once the time-step has gone through.
        """
        buffered = self._as_buffered(action)
        if not (self.act_in_obs and self.act_buf_len):
            return buffered, ()
        return buffered, _copies([*self.act_buf, buffered][-self.act_buf_len:])

    def _fill_action_buffer(self) -> None:
        for _ in range(self.act_buf_len):
            self.act_buf.append(self.default_action)

    # -- gymnasium API ---------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict | None = None
    ) -> tuple[tuple, dict]:
        """Start an episode: reset the interface, then send the default action.

        The elastic clock starts at the first ``reset()`` and keeps running across later ones
        (a time-step still open is completed first). What is sent, and what the action buffer
        holds, follow ``reset_act_buf`` and ``last_act_on_reset`` exactly as in rtgym 0.16:

        * ``reset_act_buf`` True: the buffer is refilled with the default action, which is sent.
        * False, ``last_act_on_reset`` False: the newest buffer entry (the episode's last,
          never-sent action) becomes the default action, which is sent.
        * False, ``last_act_on_reset`` True: that last action is kept and sent.
        """
        with self._lock:
            call_time = self.clock.now()
            self._check_open()
            super().reset(seed=seed)
            if self.reset_act_buf:
                self._fill_action_buffer()
                action = self.default_action
            elif self.last_act_on_reset:
                action = self._last_action
            else:
                if self.act_buf:
                    self.act_buf[-1] = self.default_action
                action = self.default_action
            self._last_action = action
            self.running = False
            obs, info, timed_out = self._runner.call(
                self._reset_job, seed, options, action, call_time
            )
            self.current_step = 0
            self.running = True
            if self.act_in_obs:
                obs = (*obs, *_copies(self.act_buf))
            self._after_call(call_time, timed_out)
            return obs, info

    def _reset_job(self, seed, options, action, call_time) -> tuple[tuple, dict, bool]:
        pipeline = self._pipeline
        if pipeline.running:
            self._runner.finish()
        joined = self.clock.now()
        obs, info = self.interface.reset(seed=seed, options=options)
        if pipeline.obs_prepro is not None:
            obs = pipeline.obs_prepro(obs)
        if not self._schedule.started:
            self._schedule.restart(self.clock.now())
        timed_out = pipeline.start(action, call_time, joined, from_reset=True)
        return tuple(obs), info, timed_out

    def step(self, action: Any) -> tuple[tuple, Any, bool, bool, dict]:
        """Wait for the time-step to end, return its observation, then send ``action``.

        Returns ``(obs, reward, terminated, truncated, info)``; ``terminated`` wins over
        ``truncated``. When the episode ends, ``action`` is not sent.

        As in rtgym 0.16, ``action`` goes to ``send_control`` as given, unchecked against the
        action space: interfaces commonly clip what a policy proposes, and a check here would
        break rtgym code relying on that (and cost every time-step).
        """
        with self._lock:
            call_time = self.clock.now()
            self._check_open()
            if not self.running:
                raise EpisodeNotRunningError(
                    "step() was called with no episode running (the last one ended, or reset() "
                    "was never called or was interrupted): call reset() first"
                )
            truncate = self.current_step + 1 >= self._ep_max_length
            try:
                # finish the time-step and send the action, with nothing in between
                result = self._runner.step(action, call_time, truncate, self._prepare)
            except BaseException:
                self.running = False  # interrupted or failed mid-step: reset() before going on
                raise
            captured, sent, timed_out, joined, (buffered, snapshot) = result
            self.current_step += 1
            self.act_buf.append(buffered)
            self._last_action = buffered
            terminated = bool(captured.terminated)
            truncated = truncate and not terminated
            obs = captured.obs
            if self.act_in_obs:
                obs = (*obs, *snapshot)
            if not sent:
                self.running = False
            if self.benchmark:
                self._record_benchmarks(call_time, joined, captured, sent)
            self._after_call(call_time, timed_out, sent)
            if not sent and self.wait_on_done:
                self.wait()
            return obs, captured.reward, terminated, truncated, captured.info

    def _record_benchmarks(
        self, call_time: float, joined: float, captured: Captured, sent: bool
    ) -> None:
        """rtgym's running averages, updated on the caller's thread after each step()."""
        bench, trace, row = self.bench, self.trace, self._pipeline.row
        bench.add("step_duration", self.clock.now() - call_time)
        bench.add("join_duration", joined - call_time)
        if self._last_return is not None:
            bench.add("inference_duration", call_time - self._last_return)
        cap = captured.row
        bench.add("get_obs_duration",
                  trace.get(cap, "capture_end") - trace.get(cap, "capture_start"))
        if sent:
            bench.add("send_control_duration",
                      trace.get(row, "send_end") - trace.get(row, "send_start"))
            bench.add("time_step_duration",
                      trace.get(row, "send_start") - trace.get(row - 1, "send_start"))

    def _after_call(self, call_time: float, timed_out: bool, sent: bool = True) -> None:
        """Bookkeeping on the caller's thread: the trace's return time, timeout warnings."""
        now = self.clock.now()
        row = self._pipeline.row
        if sent:
            self._pipeline.note_returned(now)
        if timed_out and self.warn_on_timeout:
            late = self.trace.get(row, "send_end") - self.trace.get(row - 1, "nominal_end")
            warnings.warn(
                TimeStepTimeoutWarning(
                    f"Time-step timed out: it started {late * 1e3:.1f} ms after the previous "
                    f"nominal end (elasticity {self.time_step_timeout_factor:g} time-steps of "
                    f"{self.time_step_duration * 1e3:.1f} ms)"
                ),
                stacklevel=3,
            )
        self._last_return = now

    def wait(self) -> None:
        """Pause: complete the open time-step, then call the interface's ``wait()``.

        The next time-step restarts the elastic clock without counting a timeout.
        """
        with self._lock:
            self._check_open()
            self._runner.call(self._wait_job)

    def _wait_job(self) -> None:
        if self._pipeline.running:
            self._runner.finish()
        self._schedule.waiting = True
        self.interface.wait()

    def render(self, mode: str | None = None, join_thread: bool = False) -> Any:
        """Return what the interface's ``render()`` returns (on the interface's thread).

        ``mode`` and ``join_thread`` are accepted for rtgym compatibility and ignored: on
        ``real-time-gym-ts-v1`` rendering always runs on the worker, between time-steps.
        """
        with self._lock:
            self._check_open()
            return self._runner.call(self.interface.render)

    def close(self) -> None:
        """Stop and join every thread the environment started. Safe to call more than once."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        runner = self._runner
        try:
            close = getattr(getattr(self, "interface", None), "close", None)
            if callable(close) and not runner.closed and not runner.hung:
                runner.call(close)  # (after a hang the interface is still busy: left alone)
        finally:
            runner.close()
            self._finalizer.detach()

    def __enter__(self) -> RealTimeEnv:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise EnvClosedError("this real-time environment is closed; make a new one")

    # -- rtgym's extras ----------------------------------------------------------------------

    def benchmarks(self) -> dict:
        """rtgym's benchmarks: ``{name: (average, average deviation)}`` for six durations.

        With ``benchmark_type="trace"``: ``{"clock": {...}, "deltas": {...}}`` histories (one
        value per time-step, from :attr:`trace`).
        """
        if not self.benchmark:
            raise RuntimeError(
                'benchmarks are off: set config["benchmark"] = True to record them'
            )
        if self.benchmark_type == "trace":
            return {"clock": self.trace.arrays(), "deltas": self.trace.durations()}
        return self.bench.as_dict()

    def set_default_action(self, default_action: Any) -> None:
        """Replace the action that ``reset()`` sends (and fills the buffer with)."""
        self.default_action = self._check_action(default_action, "the new default action")

    def set_time_step_duration(
        self, time_step_duration: float, time_step_timeout_factor: float | None = None
    ) -> None:
        """Change the time-step duration (and elasticity) from the next time-step on.

        Unlike rtgym 0.16 this does not block until the current time-step ends, so it can be
        called from a widget while an episode runs. A capture time that was at the end of the
        time-step stays at the end; one that would fall after the new end is moved to it.
        """
        duration = check_time_step_duration(time_step_duration)
        schedule = self._schedule
        if time_step_timeout_factor is not None:
            schedule.timeout_factor = check_timeout_factor(time_step_timeout_factor)
        if schedule.obs_offset >= schedule.duration or schedule.obs_offset > duration:
            schedule.obs_offset = duration
        schedule.duration = duration

    def set_start_obs_capture(self, start_obs_capture: float) -> None:
        """Change when observations are captured, from the next time-step on."""
        self._schedule.obs_offset = check_start_obs_capture(
            start_obs_capture, self._schedule.duration
        )

    def set_ep_max_length(self, ep_max_length: float) -> None:
        """Change the episode length limit, from the next step on."""
        self._ep_max_length = check_ep_max_length(ep_max_length)

    def set_time_step_timeout_factor(self, time_step_timeout_factor: float) -> None:
        """Change the elasticity (in time-steps), from the next time-step on."""
        self._schedule.timeout_factor = check_timeout_factor(time_step_timeout_factor)

    @property
    def time_step_duration(self) -> float:
        return self._schedule.duration

    @property
    def start_obs_capture(self) -> float:
        return self._schedule.obs_offset

    @property
    def time_step_timeout_factor(self) -> float:
        return self._schedule.timeout_factor

    @property
    def ep_max_length(self) -> float:
        return self._ep_max_length

    @property
    def timeouts(self) -> int:
        return self._pipeline.timeouts

    @property
    def runner(self) -> str:
        """``"thread-per-step"`` or ``"persistent-thread"``."""
        return self._runner.kind

    def threads(self) -> list[threading.Thread]:
        """Threads this environment started that are still alive (empty after ``close()``)."""
        return self._runner.threads()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("running" if self.running else "idle")
        return (
            f"<RealTimeEnv {self._runner.kind} {type(self.interface).__name__} "
            f"dt={self.time_step_duration:g}s clock={self.clock!r} {state}>"
        )


class RealTimeEnvTS(RealTimeEnv):
    """:class:`RealTimeEnv` on the persistent-thread runner (rtgym's ``RealTimeEnvTS``)."""

    def __init__(self, config: dict | RealTimeConfig | None = None, *,
                 runner: str = "persistent-thread", render_mode: str | None = None) -> None:
        super().__init__(config, runner=runner, render_mode=render_mode)


def _check_observation_space(space: Any) -> spaces.Tuple:
    if not isinstance(space, spaces.Tuple):
        raise ConfigError(
            "interface", space,
            "get_observation_space() must return a gymnasium.spaces.Tuple "
            "(one entry per observation component, without the action buffer)",
        )
    return space


def _copies(actions: Any) -> tuple:
    """Fresh copies of buffered actions for an observation, so that no two observations share
    an array (a caller may keep or modify them)."""
    # (a list first: tuple() of an iterator allocates a tuple of a guessed size and shrinks it,
    # which moves the garbage collector's counter on every step, see _copies' test)
    try:  # the usual case, every entry an array (a Box action space), in one pass
        return tuple([*map(_copy_array, actions)])
    except TypeError:  # something else in the buffer: arrays copied, the rest as it is
        return tuple([a.copy() if isinstance(a, np.ndarray) else a for a in actions])


_copy_array = np.ndarray.copy
