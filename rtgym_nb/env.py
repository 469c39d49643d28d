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

from rtgym_nb._attributes import RtgymAttributes
from rtgym_nb._clock import Clock, lend_clock
from rtgym_nb._runners import Runner, make_runner
from rtgym_nb._schedule import ElasticSchedule
from rtgym_nb._timing import FIELDS, PolyakBenchmark, TimingTrace
from rtgym_nb.config import (
    MAX_SECONDS,
    ConfigError,
    ConfigTypeError,
    RealTimeConfig,
    check_interface_object,
)
from rtgym_nb.errors import (
    EnvClosedError,
    EpisodeNotRunningError,
    TimeStepTimeoutWarning,
    warn_config,
)
from rtgym_nb.interface import RealTimeGymInterface

__all__ = ["RealTimeEnv", "RealTimeEnvTS"]


class RealTimeEnv(RtgymAttributes, gymnasium.Env):
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
        The attributes of rtgym 0.16's ``RealTimeEnv`` and ``RealTimeEnvTS``, with the same
        meaning: the configuration entries (``time_step_duration``, ``start_obs_capture``,
        ``time_step_timeout_factor``, ``ep_max_length``, ``act_in_obs``, ``act_buf_len``,
        ``reset_act_buf``, ``wait_on_done``, ``last_act_on_reset``, ``benchmark``,
        ``benchmark_polyak``, ``act_prepro_func``, ``obs_prepro_func``; reading one reads
        :attr:`config`, setting one checks the value as the configuration would, takes the
        step lock, updates :attr:`config` and takes effect from the next time-step),
        ``time_step_timeout``, ``interface_cls``, ``interface_args``, ``interface_kwargs``,
        ``interface_observation_space``, ``interface_action_space``, ``is_waiting``,
        ``time_initialized``, ``seed``, ``options`` and:

        interface: The interface instance.
        act_buf: The action buffer (most recent action last).
        default_action: The action ``reset()`` sends (see ``set_default_action()``).
        current_step: Time-steps since the last ``reset()``.
        running: An episode is running (``step()`` is allowed).

        rtgym_nb's own:

        config: The live configuration (:class:`~rtgym_nb.config.RealTimeConfig`); every
            setter shows here.
        clock: The clock everything runs on; with ``"clock": "simulated"``, call
            ``env.unwrapped.clock.sleep(d)`` to spend modelled inference time.
        trace: Timestamps of recent time-steps (:class:`~rtgym_nb._timing.TimingTrace`):
            richer than ``benchmarks()`` with ``benchmark_type="trace"``, always on.
        warn_on_timeout: Warn (:class:`~rtgym_nb.errors.TimeStepTimeoutWarning`) when a
            time-step times out (default True). Code that steps from a background thread, where
            a warning would print into whatever notebook cell is active, sets it to False and
            reads :attr:`timeouts` (the number of time-steps that broke the elastic
            constraint) instead.

    Threads: ``reset``, ``step``, ``wait`` and ``render`` may be called from several threads;
    they are serialized by one re-entrant lock, held for the whole call (the setters and
    ``stop`` take it too). Each call therefore
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

    Hangs (only with ``hang_timeout`` set; it is off by default): an interface call made on a
    worker thread (every call on ``real-time-gym-ts-v1``; the
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
        hang_timeout = MAX_SECONDS if cfg.hang_timeout is None else cfg.hang_timeout
        self._runner: Runner = make_runner(runner, self.clock, hang_timeout)
        self._finalizer = weakref.finalize(self, self._runner.close)
        try:
            self.interface = check_interface_object(
                self._runner.call(self._build_interface), cfg.interface)
            inner_obs_space, action_space, default_action = self._runner.call(self._read_spaces)
            _check_observation_space(inner_obs_space)
            if not isinstance(action_space, spaces.Space):
                raise ConfigTypeError("interface", action_space,
                                      "get_action_space() must return a gymnasium space")
            self.action_space = action_space
            self.default_action = self._check_action(default_action, "get_default_action()")
        except BaseException:  # a failed construction must not leave the worker running
            self.close()
            raise
        self.interface_observation_space = inner_obs_space
        self.interface_action_space = action_space
        self.seed: int | None = None
        self.options: dict | None = None
        buffered = (action_space,) * (cfg.act_buf_len if cfg.act_in_obs else 0)
        self.observation_space = spaces.Tuple((*inner_obs_space.spaces, *buffered))
        self._buffer_dtype = getattr(action_space, "dtype", None)
        self.act_buf: deque = deque(maxlen=cfg.act_buf_len)
        self._last_action = self.default_action
        self._prepare = self._prepare_buffer  # (bound once: step() hands it over every time)
        self.init_action_buffer()
        self.current_step = 0
        self.running = False
        self.warn_on_timeout = True
        self._ep_max_length = cfg.ep_max_length
        self._bench = PolyakBenchmark(cfg.benchmark_polyak)
        self._last_return: float | None = None
        self.trace = TimingTrace(cfg.trace_length)
        self._schedule = ElasticSchedule(
            cfg.time_step_duration, cfg.start_obs_capture, cfg.time_step_timeout_factor
        )
        self._pipeline = self._runner.make_pipeline(
            self.interface, self._schedule, self.trace, cfg.act_prepro_func, cfg.obs_prepro_func
        )
        self._inline = type(self._runner) is Runner  # step() takes its straight path

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
        """``action`` as the action space's dtype; a ConfigWarning if outside the space (rtgym
        takes it as it is, and so do we)."""
        space = self.action_space
        candidate = action
        if isinstance(space, spaces.Box):
            try:
                candidate = np.array(action, dtype=space.dtype)
            except (TypeError, ValueError):
                candidate = action
        try:
            inside = space.contains(candidate)
        except Exception:  # (a space may fail on a value of the wrong kind)
            inside = False
        if not inside:
            warn_config("interface", action, f"{what} is not in the action space {space}")
            if getattr(candidate, "shape", None) != getattr(space, "shape", None):
                return action
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
        if action is None:  # rtgym's step(None), "send nothing": None goes in the buffer
            return None
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

    def init_action_buffer(self) -> None:
        """Fill the action buffer with the default action (as ``reset()`` does)."""
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
            self.seed = seed
            self.options = options
            if self.reset_act_buf:
                self.init_action_buffer()
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
        if not self._inline:
            return self._step_general(action)
        # The inline runner's straight path (Pipeline.step_straight): the same calls, results
        # and records as the general way, without a runner hand-off or a prepare hook (the
        # buffer's copies are made after the send_control, where the general path makes them
        # when a wait has no spinning time to offer). Nothing here waits after the pipeline's
        # part, which has traced the time this returns.
        lock = self._lock
        lock.acquire()  # (not ``with``: it makes two bound methods per call)
        try:
            pipeline = self._pipeline
            if not (self.running and pipeline.pending_capture and pipeline.straight):
                return self._step_general(action)  # (which raises if closed or not running)
            clock = self.clock
            truncate = self.current_step + 1 >= self._ep_max_length
            call_time = clock._now
            try:  # (this frame lends clock to the interface's current_clock(): lend_clock)
                obs, reward, terminated, info, sent, timed_out, joined, row = (
                    pipeline.step_straight(action, call_time, truncate))
            except BaseException:
                self.running = False  # interrupted or failed mid-step: reset() before going on
                raise
            if type(action) is np.ndarray and action.dtype is self._buffer_dtype:
                buffered = action.copy()
            else:
                buffered = self._as_buffered(action)
            self.current_step += 1
            act_buf = self.act_buf
            act_buf.append(buffered)
            self._last_action = buffered
            config = self.config
            if not config.act_in_obs:
                obs = tuple(obs)
            else:
                try:  # (what _copies does, without its call and its tuple)
                    obs = (*obs, *map(_copy_array, act_buf))
                except TypeError:
                    obs = (*obs, *_copies(act_buf))
            terminated = bool(terminated)
            if config.benchmark:
                self._record_benchmarks(call_time, joined, row, sent)
            self._last_return = clock._now
            if not sent:
                self.running = False
                if config.wait_on_done:
                    self.wait()
            elif timed_out and self.warn_on_timeout:
                self._warn_timeout(stacklevel=3)
            return obs, reward, terminated, truncate and not terminated, info
        finally:
            lock.release()

    def _step_general(self, action: Any) -> tuple[tuple, Any, bool, bool, dict]:
        """:meth:`step` through the runner: any runner, any clock."""
        with self._lock:
            call_time = self.clock.now()
            self._check_open()
            if not self.running:
                raise EpisodeNotRunningError(_NOT_RUNNING)
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
                self._record_benchmarks(call_time, joined, captured.row, sent)
            self._after_call(call_time, timed_out, sent, stacklevel=5)
            if not sent and self.wait_on_done:
                self.wait()
            return obs, captured.reward, terminated, truncated, captured.info

    def _record_benchmarks(
        self, call_time: float, joined: float, capture_row: int, sent: bool
    ) -> None:
        """rtgym's running averages, updated on the caller's thread after each step()."""
        trace, row, last_return = self.trace, self._pipeline.row, self._last_return
        current = trace.row(row)  # (whole rows: one read each instead of one per value)
        previous = trace.row(row - 1)
        cap = capture_row
        capture = current if cap == row else previous if cap == row - 1 else trace.row(cap)
        self._bench.add_all([  # in BENCHMARK_KEYS order; NaN: not measured this time
            current[_SEND_START] - previous[_SEND_START] if sent else _NAN,
            self.clock.now() - call_time,
            joined - call_time,
            _NAN if last_return is None else call_time - last_return,
            current[_SEND_END] - current[_SEND_START] if sent else _NAN,
            capture[_CAPTURE_END] - capture[_CAPTURE_START],
        ])

    def _after_call(self, call_time: float, timed_out: bool, sent: bool = True,
                    stacklevel: int = 4) -> None:
        """Bookkeeping on the caller's thread: the trace's return time, timeout warnings."""
        now = self.clock.now()
        if sent:
            self._pipeline.note_returned(now)
        if timed_out and self.warn_on_timeout:
            self._warn_timeout(stacklevel=stacklevel)
        self._last_return = now

    def _warn_timeout(self, stacklevel: int) -> None:
        """The :class:`~rtgym_nb.errors.TimeStepTimeoutWarning` of the time-step just opened
        (``stacklevel`` counted from here: it points at the caller of ``step()``/``reset()``)."""
        row = self._pipeline.row
        late = self.trace.get(row, "send_end") - self.trace.get(row - 1, "nominal_end")
        warnings.warn(
            TimeStepTimeoutWarning(
                f"Time-step timed out: it started {late * 1e3:.1f} ms after the previous "
                f"nominal end (elasticity {self.time_step_timeout_factor:g} time-steps of "
                f"{self.time_step_duration * 1e3:.1f} ms)"
            ),
            stacklevel=stacklevel,
        )

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
        self.running = False
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

        With ``benchmark_type="trace"``, rtgym's histories: ``{"clock": {...}, "deltas": {...}}``
        with rtgym's keys (``"clock"``: ``start_step``, ``end_step_join``, ``end_step``,
        ``start_get_obs``, ``end_get_obs``, ``start_send_control``, ``end_send_control``; one
        value per time-step). Every timestamp, under rtgym_nb's own names, is in :attr:`trace`.
        """
        if not self.benchmark:
            raise RuntimeError(
                'benchmarks are off: set config["benchmark"] = True to record them'
            )
        if self.config.benchmark_type == "trace":
            ours = self.trace.arrays()
            clock = {theirs: ours[name] for theirs, name in _RTGYM_TRACE_KEYS.items()}
            return {"clock": clock, "deltas": self.trace.durations()}
        return self._bench.as_dict()

    def stop(self) -> None:
        """rtgym's ``stop()``: wait for the open time-step to end (its observation is kept for
        the next ``step()``). Does nothing on a closed environment, so a client's own
        ``close()`` may call it in any order."""
        with self._lock:
            if self._closed:
                return
            self._runner.call(self._stop_job)

    def _stop_job(self) -> None:
        if self._pipeline.running:
            self._runner.finish()

    @property
    def timeouts(self) -> int:
        """Time-steps that broke the elastic constraint (``wait()`` excused)."""
        return self._pipeline.timeouts

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


_SEND_START, _SEND_END, _CAPTURE_START, _CAPTURE_END = (
    FIELDS.index(name) for name in ("send_start", "send_end", "capture_start", "capture_end")
)
_NAN = float("nan")
_NOT_RUNNING = (
    "step() was called with no episode running (the last one ended, or reset() was never "
    "called or was interrupted): call reset() first"
)

_RTGYM_TRACE_KEYS = {
    "start_step": "call",
    "end_step_join": "joined",
    "end_step": "returned",
    "start_get_obs": "capture_start",
    "end_get_obs": "capture_end",
    "start_send_control": "send_start",
    "end_send_control": "send_end",
}
"""rtgym 0.16's trace keys -> the :class:`~rtgym_nb._timing.TimingTrace` columns they are."""


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


lend_clock(RealTimeEnv.step, "clock")  # (the straight path's interface calls: see current_clock)
