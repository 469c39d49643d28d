"""Runners: *where* the time-step pipeline runs. The pipeline itself says *what* runs.

Two runners, one per registered environment id:

* :class:`ThreadPerStepRunner` (``real-time-gym-v1``). Everything runs on the caller's thread,
  including the wait for the end of the time-step and the ``send_control`` that opens the next
  one, so the action leaves as soon as the deadline passes. Only when the observation must be
  captured *during* the time-step (``start_obs_capture < time_step_duration``) is a thread
  started for that time-step, to capture while the caller computes its next action; it is
  joined at the next call. With the capture at the end of the time-step (the usual case) no
  thread is started at all.
* :class:`PersistentThreadRunner` (``real-time-gym-ts-v1``). One worker thread owns the
  interface for its whole life: it builds it and makes every call to it. The caller hands each
  ``step()`` to the worker and waits for it; the worker waits for the end of the time-step,
  sends the action immediately and only then releases the caller. Because the caller is
  blocked (not holding the interpreter lock) while the worker meets the deadline, the action
  goes out on time whatever the caller's Python does between steps. The worker spins only
  while it holds a ``step()``: when the capture time comes before the caller's next
  ``step()``, the worker waits for it without the interpreter lock (the caller needs that
  lock to compute its action) and captures alone at the capture time if it has not come.

On a simulated clock both ids run inline, on :class:`Runner`: nothing runs concurrently on
simulated time (waiting is instantaneous, the caller is never busy while a deadline passes), so
a thread would only add hand-offs. The thread that makes the environment builds the interface,
and every later call runs on the thread that calls the environment, one call at a time (the
environment's lock). For ``real-time-gym-ts-v1`` this is the one-thread promise kept where it
matters: an environment made and stepped on one thread -- a notebook's, or a background loop
that makes its own environment -- sees every interface call, construction included, on that
thread, and needs no thread at all (so it also runs where threads do not exist, such as a
browser kernel). An environment made on one thread and stepped from another calls its
interface from the stepping thread: on simulated time the interface is a simulation, with no
thread-bound resources to protect; an interface that has some belongs on the wall clock, where
the worker owns it. The capture is arranged through the clock's alarm (a one-shot timer when
another environment has it), which rings at the exact capture time even if the caller sleeps
past it, so trajectories are deterministic. There is no
hang watchdog on simulated time: a hanging interface blocks the caller, as on the caller's
thread of ``real-time-gym-v1``.

Errors raised by the interface on any thread are re-raised on the caller's thread, with their
original type and traceback, by the call that needs their result.

Hangs. An interface call running on a thread of the runner (the persistent worker, or the
thread-per-step runner's capture thread) that has not returned ``hang_timeout`` seconds after
it was due releases the caller with :class:`~rtgym_nb.errors.InterfaceHangError`. The runner is
then *hung*: every later call raises ``InterfaceHangError`` at once, calls queued behind the
stuck one are cancelled (they never reach the interface), the stuck call sends no control once
it returns (nor does a call interrupted by ``KeyboardInterrupt``), and ``close()`` returns without
waiting for the stuck thread, which ends by itself when the interface returns. Python cannot
stop a thread, so that is all a runner can do. A call made on the caller's own thread (on the
thread-per-step runner: ``send_control``, a capture at the end of the time-step, ``reset``,
``wait``, ``render``) cannot be interrupted at all: a hang there blocks the caller until the
interface returns (a ``TimeStepTimeoutWarning`` then reports the late time-step).
"""

from __future__ import annotations

import collections
import math
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rtgym_nb._clock import Clock, TimerHandle, use_clock
from rtgym_nb._inline_runner import Runner
from rtgym_nb._pipeline import Pipeline, StepResult
from rtgym_nb._quantile import RunningQuantile
from rtgym_nb.errors import InterfaceHangError

__all__ = [
    "RUNNERS",
    "THREAD_PREFIX",
    "PersistentThreadRunner",
    "Runner",
    "ThreadPerStepRunner",
    "live_threads",
    "make_runner",
]

THREAD_PREFIX = "rtgym_nb"
"""Every thread rtgym_nb starts (runners here, the course's widgets) has a name beginning so."""


def live_threads() -> list[threading.Thread]:
    """Threads started by rtgym_nb that are still alive.

    An empty list after ``close()`` is the promise that nothing keeps running in the
    background (what notebooks and tests check).
    """
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


T = TypeVar("T")


class ThreadPerStepRunner(Runner):
    """``real-time-gym-v1``: the caller's thread, plus a capture thread per time-step if needed."""

    kind = "thread-per-step"

    def __init__(self, clock: Clock, hang_timeout: float = 10.0) -> None:
        super().__init__(clock, hang_timeout)
        self._capture_thread: threading.Thread | None = None

    def _arrange_capture(self, pipeline: Pipeline) -> TimerHandle | None:
        schedule = pipeline.schedule
        if self.clock.simulated:
            return super()._arrange_capture(pipeline)
        if schedule.obs < schedule.end:
            thread = threading.Thread(
                target=self._capture, args=(pipeline,), name="rtgym_nb-capture", daemon=True
            )
            self._capture_thread = thread
            thread.start()
        # else: the capture falls at the end of the time-step, where the caller's own thread
        # is waiting anyway (in finish()); no thread is needed.
        return None

    def _capture(self, pipeline: Pipeline) -> None:
        _leave_interrupts_to_the_main_thread()
        with use_clock(self.clock):
            pipeline.capture_in_background()

    def step(self, action: Any, call_time: float, truncate: bool,
             prepare: Callable[[Any], Any] | None = None) -> StepResult:
        return self.call(self._close_step, action, call_time, truncate, prepare)

    def _close_step(self, action: Any, call_time: float, truncate: bool,
                    prepare: Callable[[Any], Any] | None = None) -> StepResult:
        if self._capture_thread is not None:
            self._join_capture()
        return self.pipeline.step(action, call_time, truncate, prepare)

    def _join_capture(self) -> None:
        thread = self._capture_thread
        pipeline = self.pipeline
        assert pipeline is not None
        wait = self.hang_timeout + max(0.0, pipeline.schedule.obs - self.clock.now())
        thread.join(wait)
        if thread.is_alive():
            self.hung = True
            raise InterfaceHangError(
                f"get_obs_rew_terminated_info() has not returned {wait:.1f} s after its capture "
                f"time (hang_timeout={self.hang_timeout!r})"
            )
        self._capture_thread = None

    def close(self) -> None:
        super().close()
        thread = self._capture_thread
        if thread is not None and not self.hung:  # a hung capture thread ends by itself
            thread.join(self.hang_timeout)
            if thread.is_alive():
                self.hung = True
        if thread is not None and not thread.is_alive():
            self._capture_thread = None

    def threads(self) -> list[threading.Thread]:
        thread = self._capture_thread
        return [thread] if thread is not None and thread.is_alive() else []


class _Job:
    """A function for the worker, and the slot its result or exception comes back in.

    Each calling thread reuses one job (no allocation per ``step()``); ``done`` is a plain lock,
    held while the job is pending and released by the worker when it has run (cheaper to wait
    on than an ``Event``). ``claim`` decides, once per use, who owns a pending job: the worker
    (which then runs it) or a caller that gave up waiting (which cancels it: it never runs).
    A job its caller gave up on while it ran is ``abandoned``: it sends nothing more.
    """

    __slots__ = ("abandoned", "args", "claim", "done", "error", "fn", "result")

    def __init__(self) -> None:
        self.fn: Callable[..., Any] | None = None
        self.args: tuple = ()
        self.done = threading.Lock()
        self.done.acquire()
        self.claim = threading.Lock()
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None

    def cancel(self) -> bool:
        """Called by a caller that stopped waiting: True if the job will never run."""
        return self.claim.acquire(blocking=False)

    def run(self) -> None:
        if not self.claim.acquire(blocking=False):
            return  # cancelled by its caller; the job is never reused
        try:
            self.result = self.fn(*self.args)
        except BaseException as exc:  # re-raised on the caller's thread
            self.error = exc
        finally:
            self.claim.release()
            self.done.release()


_STOP = object()


class PersistentThreadRunner(Runner):
    """``real-time-gym-ts-v1``: one worker thread makes every interface call, construction included.

    The worker serves jobs from a queue. While a time-step is open and its observation not yet
    captured, it waits for the next job only until shortly before the capture time, then
    captures precisely, so the capture happens on time even while the caller is busy.
    """

    kind = "persistent-thread"

    def __init__(self, clock: Clock, hang_timeout: float = 10.0) -> None:
        super().__init__(clock, hang_timeout)
        self._jobs: collections.deque = collections.deque()  # jobs for the worker, in order
        self._bell = threading.Lock()  # released ("rung") when a job may be waiting
        self._bell.acquire()
        self._local = threading.local()  # each calling thread's reusable _Job
        self._slot: _Job | None = None  # a job deferred until the pending capture is taken
        self._slot_lock = threading.Lock()
        self._deferring = False  # the worker waits for a capture time and will check the slot
        # how much earlier than the clock's margin to hand a deferred job over; never more than
        # the clock may spin (a clock told not to spin, max_margin=0, would otherwise wake the
        # worker early only to sleep a second time before the capture)
        self._lead = RunningQuantile(
            0.0, 0.9, step=0.5e-6, high=min(500e-6, getattr(clock, "max_margin", 500e-6))
        )
        self._asked = math.nan  # the wake-up time asked of the clock for the last hand-over
        self._running: _Job | None = None  # the job the worker is running
        self._wait_until = getattr(clock, "wait_until", None)  # (a custom clock may lack it)
        self._serving = True  # False once the worker's loop has ended, however it ended
        self._death: BaseException | None = None  # what ended the worker's loop, if it failed
        self._worker = threading.Thread(target=self._serve, name="rtgym_nb-worker", daemon=True)
        self._worker.start()
        self._worker_ident = self._worker.ident

    def _may_send(self) -> bool:
        """Someone still awaits the job being run (so it may send a control)."""
        job = self._running
        return not self.closed and (job is None or not job.abandoned)

    def _arrange_capture(self, pipeline: Pipeline) -> TimerHandle | None:
        if self.clock.simulated:
            return super()._arrange_capture(pipeline)
        return None  # the worker's loop captures (see _serve)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        return self._call(fn, args, False)

    def step(self, action: Any, call_time: float, truncate: bool,
             prepare: Callable[[Any], Any] | None = None) -> StepResult:
        # held until the capture it begins by waiting for (see _defer)
        return self._call(self._close_step, (action, call_time, truncate, prepare), True)

    def _call(self, fn: Callable[..., T], args: tuple, after_capture: bool) -> T:
        if threading.get_ident() == self._worker_ident:
            return fn(*args)
        self._check_not_hung()
        if self.closed or not self._serving:
            raise RuntimeError("the environment's worker thread has stopped") from self._death
        job = getattr(self._local, "job", None)
        if job is None:
            job = self._local.job = _Job()
        job.fn = fn
        job.args = args
        if not (after_capture and self._defer(job)):
            self._post(job)  # wakes the worker
        wait = self.hang_timeout
        pipeline = self.pipeline
        if pipeline is not None and pipeline.running and not self.clock.simulated:
            wait += max(0.0, pipeline.schedule.end - self.clock.now())
        done = False
        try:
            done = job.done.acquire(True, wait)
        finally:  # timed out or interrupted (KeyboardInterrupt): cancel the job if the worker
            if not done:  # has not started it; else it runs to its end, sending nothing more
                self._local.job = None  # (and is never reused)
                if not job.cancel():
                    job.abandoned = True
        if not done:
            self.hung = True
            raise InterfaceHangError(
                f"the interface has not returned from {getattr(fn, '__name__', fn)!s} "
                f"after {wait:.1f} s (hang_timeout={self.hang_timeout!r}); the worker is stuck "
                "in your interface code"
            )
        result, error = job.result, job.error
        job.fn = job.result = job.error = None  # keep no references between calls
        job.args = ()
        if error is not None:
            raise error
        return result

    def _defer(self, job: _Job) -> bool:
        """Leave ``job`` for the worker to pick up after its capture, without waking it.

        Only while the worker waits for a capture time (it looks here right after capturing);
        False otherwise, and the job goes through the queue.
        """
        with self._slot_lock:
            if self._deferring and self._slot is None:
                self._slot = job
                return True
        return False

    def _post(self, job: Any) -> None:
        """Queue ``job`` for the worker and wake it."""
        self._jobs.append(job)
        try:  # noqa: SIM105 (contextlib.suppress costs more, on every queued job)
            self._bell.release()
        except RuntimeError:  # rung already, and not heard yet: the worker will see this job too
            pass

    def _poll(self) -> Any:
        """The next job if one is queued, else None (without waiting)."""
        jobs = self._jobs
        return jobs.popleft() if jobs else None

    def _get(self, timeout: float | None = None) -> Any:
        """The next job within ``timeout`` seconds (None: however long it takes), else None.

        A deque and a lock used as a bell rather than a ``queue.SimpleQueue``: a timed-out
        ``SimpleQueue.get`` raises ``queue.Empty``, and the worker times out on nearly every
        time-step (that is how it wakes for a capture); raising and catching it cold costs
        ~10 us of CPU per wait more than a timed ``Lock.acquire``, which just returns False.
        """
        jobs, bell = self._jobs, self._bell
        if timeout is None:
            while not jobs:
                bell.acquire()
            return jobs.popleft()
        deadline = time.perf_counter() + timeout
        while not jobs:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not bell.acquire(True, remaining):
                break
        return jobs.popleft() if jobs else None

    def _wait_for_capture(self, pipeline: Pipeline) -> Any:
        """Until shortly before the capture time, serve other calls; then hand over the capture.

        Returns a job from the queue as soon as one arrives (the capture is then still
        pending). Else, a clock margin before the capture time, returns the job deferred
        meanwhile by :meth:`step`: that ``step()`` takes the capture itself
        (spinning to its exact time) and sends the next control right after it. With no job
        deferred, the worker takes the capture on its own and returns None. A ``step()``
        called on time thus costs the worker a single wake-up.
        """
        self._learn_lead(pipeline)
        with self._slot_lock:
            self._deferring = True
        clock = self.clock
        if self._wait_until is not None:
            asked = pipeline.schedule.obs - self._lead.value
            job = self._wait_until(asked, self._get, spin=False)
        else:  # a clock without wait_until: wake early enough to wait the last stretch precisely
            lead = pipeline.schedule.obs - clock.now() - 2 * getattr(clock, "margin", 0)
            job = self._get(lead) if lead > 0 else self._poll()
        if job is not None:
            return job
        with self._slot_lock:
            self._deferring = False
            job, self._slot = self._slot, None
        if job is not None:
            if self._wait_until is not None:
                self._asked = asked
                pipeline.capture_wait_start = math.nan  # the job's capture will tell its own
            return job
        # No step() yet: the caller is still running its own code, and may need the
        # interpreter lock for it. Spinning here would keep that lock away from the caller
        # (until the 5 ms switch interval), delaying the very step() the worker waits for.
        # So wait for it without the lock, up to the capture time, and capture alone only if
        # it has not come by then (then a wake-up later than a spin would be: the price of not
        # starving the caller).
        remaining = pipeline.schedule.obs - clock.now()
        if remaining > 0:
            job = self._get(remaining)
            if job is not None:
                return job
        pipeline.capture_in_background()
        return None

    def _learn_lead(self, pipeline: Pipeline) -> None:
        """Adapt the hand-over lead to how late the last handed-over capture began its wait.

        The worker asks the clock to end its coarse wait at ``capture time - lead``, the clock
        stops sleeping its margin before that, and then a few Python calls hand the capture
        over to the waiting ``step()``, slow when their code has gone cold in the caches (long
        time-steps). The capture should begin its precise wait by the capture time: the lead is
        the 90th percentile (a :class:`~rtgym_nb._quantile.RunningQuantile`) of how long after
        the asked time it began it (:attr:`Pipeline.capture_wait_start`). That covers the
        hand-over, and whatever the clock's margin misses of its own wake-up: after a change
        of load, the margin takes a few wake-ups to catch up, and many more at 50 ms
        time-steps, whose overshoots spread widely.

        It learns from when the wait began, not from how late the capture was: a capture that
        began its wait early enough sleeps once more before spinning, and the overshoot of that
        short sleep (the clock margin's business) would otherwise raise the lead, make the next
        capture begin earlier still, and on a loaded machine creep up to the cap, the worker
        spinning that much longer on every time-step. The lead learns the hand-over alone, and
        the last stretch before it is spent watching the queue rather than sleeping: sleeping
        it would cost a second wake-up per time-step (~170 us of CPU at 50 ms time-steps) for
        no better precision.
        """
        asked, self._asked = self._asked, math.nan
        late = pipeline.capture_wait_start - asked
        if late != late:  # NaN: nothing handed over, or the job never reached the capture
            return
        self._lead.add(late)

    def _serve(self) -> None:
        try:
            self._serve_jobs()
        except BaseException as exc:  # a bug (of rtgym_nb, or of a custom clock): not silent
            self._death = exc
            raise
        finally:
            self._serving = False
            if self._death is not None:  # release every caller still waiting for this worker
                self._drop_deferred(self._death)
                while self._jobs:
                    job = self._jobs.popleft()
                    if job is not _STOP:
                        self._fail(job, self._death)

    def _serve_jobs(self) -> None:
        _leave_interrupts_to_the_main_thread()
        with use_clock(self.clock):
            clock = self.clock
            while not self.closed:  # (after close, not even a pending capture is taken)
                pipeline = self.pipeline
                if pipeline is not None and pipeline.pending_capture and not clock.simulated:
                    job = self._wait_for_capture(pipeline)
                    if job is None:
                        continue
                else:
                    job = self._take_deferred() or self._get()
                if job is _STOP:
                    self._drop_deferred()
                    return
                self._running = job
                job.run()
                self._running = None
            self._drop_deferred()

    def _take_deferred(self) -> _Job | None:
        """Stop deferring, and return the job deferred meanwhile, if any.

        With no capture pending there is nothing to defer to: a job run from the queue (a
        ``wait()`` or ``stop()`` that closed the time-step) may have left a ``step()`` in the
        slot, which would otherwise wait there forever.
        """
        with self._slot_lock:
            self._deferring = False
            job, self._slot = self._slot, None
        return job

    def _drop_deferred(self, death: BaseException | None = None) -> None:
        """On close: a job still deferred never runs; its caller gets an error, not a hang."""
        with self._slot_lock:
            job, self._slot = self._slot, None
            self._deferring = False
        if job is not None:
            self._fail(job, death)

    @staticmethod
    def _fail(job: _Job, death: BaseException | None) -> None:
        """Release the caller of a job that will never run, with an error saying why."""
        if not job.cancel():
            return
        if death is None:
            job.error = RuntimeError("the environment was closed before this call could run")
        else:
            job.error = RuntimeError("the environment's worker thread has stopped")
            job.error.__cause__ = death
        job.done.release()

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        self._post(_STOP)
        if threading.current_thread() is not self._worker and not self.hung:
            self._worker.join(self.hang_timeout)  # a hung worker ends by itself
            if self._worker.is_alive():
                self.hung = True

    def threads(self) -> list[threading.Thread]:
        return [self._worker] if self._worker.is_alive() else []


def _leave_interrupts_to_the_main_thread() -> None:
    """Block SIGINT on the calling (runner) thread.

    Linux delivers a process-wide SIGINT -- Jupyter's "interrupt kernel", Ctrl-C -- to any
    thread that does not block it. Python only acts on it in the main thread, and if the
    signal lands on a runner thread the main thread, blocked in ``step()``, is not woken:
    the interrupt would wait for the step to end. Blocking it here sends it where it belongs.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


RUNNERS: dict[str, type[Runner]] = {
    ThreadPerStepRunner.kind: ThreadPerStepRunner,
    PersistentThreadRunner.kind: PersistentThreadRunner,
}


def make_runner(kind: str, clock: Clock, hang_timeout: float) -> Runner:
    """The runner named ``kind`` (``"thread-per-step"`` or ``"persistent-thread"``).

    On a simulated clock, the inline :class:`Runner` under that name (see the module's
    docstring).
    """
    try:
        cls = RUNNERS[kind]
    except KeyError:
        raise ValueError(f"unknown runner {kind!r}; expected one of {sorted(RUNNERS)}") from None
    if getattr(clock, "simulated", False):
        return Runner(clock, hang_timeout, kind=kind)
    return cls(clock, hang_timeout)
