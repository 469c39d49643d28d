"""What the benchmark runs: the case matrix, each case's length, and the order of the runs.

A *case* is one env id at one time-step with one kind of caller, run on both packages. Each case
runs as :data:`SEGMENTS` short runs per package, the two packages taking turns (A B B A A B B A,
the next case starting with the other package): on a shared machine the same code's p99 period
error can differ several-fold from one few-second run to the next, and short runs in turns
spread such swings over both packages. Everything here is pure: no process is started.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CALLERS",
    "CALLER_LABELS",
    "CPU_REPEATS",
    "CPU_STEPS",
    "CPU_TIME_STEP_MS",
    "ENVS",
    "HIST_TIME_STEPS_MS",
    "MAX_RATE_CANDIDATES_MS",
    "MAX_RATE_THRESHOLD",
    "PACKAGES",
    "SEGMENTS",
    "TIMEOUT_FACTOR",
    "TIME_STEPS_MS",
    "Case",
    "matrix",
    "max_rate_steps",
    "package_order",
    "rotating_order",
    "steps_for",
]

PACKAGES = ("rtgym", "rtgym_nb")
"""rtgym 0.16 (the reference) and this project."""
ENVS = ("v1", "ts")
"""``real-time-gym-v1`` (a thread per step) and ``real-time-gym-ts-v1`` (a persistent thread)."""
TIME_STEPS_MS = (50.0, 20.0, 5.0, 2.0, 1.0, 0.5, 0.2)
HIST_TIME_STEPS_MS = (20.0, 2.0)
"""Time-steps whose period histograms are plotted."""
TIMEOUT_FACTOR = 1.0
"""The elasticity, in time-steps; a period longer than ``(1 + TIMEOUT_FACTOR)`` time-steps is
a timeout."""
SEGMENTS = 4
"""Runs per package and case, taking turns with the other package's."""

CALLERS = ("sleep", "busy")
CALLER_LABELS = {
    "sleep": "caller sleeps half a time-step",
    "busy": "caller runs pure-Python inference for half a time-step",
    "sleep+load": "caller sleeps; a second process keeps one core busy",
    "none": "caller does nothing but step",
}

MAX_RATE_CANDIDATES_MS = (1.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05,
                          0.04, 0.03, 0.025, 0.02)
"""Time-steps tried, longest first, in the search for the highest rate."""
MAX_RATE_THRESHOLD = 0.01
"""A time-step is sustained when fewer than this fraction of its steps time out."""

CPU_TIME_STEP_MS = 20.0
CPU_REPEATS = 7
CPU_STEPS = 150
"""CPU per step is measured again on its own, at 20 ms: ``CPU_REPEATS`` runs of ``CPU_STEPS``
steps per variant, the variants taking turns (one run's figure moves by tens of percent on a
shared machine; medians of interleaved runs are compared)."""

_FULL_STEPS = {50.0: 600, 20.0: 1200, 5.0: 1200, 2.0: 2000, 1.0: 3000, 0.5: 4000, 0.2: 5000}


@dataclass(frozen=True)
class Case:
    """One env id at one time-step with one kind of caller; both packages run it."""

    time_step_ms: float
    caller: str
    env: str


def steps_for(time_step_ms: float, quick: bool) -> int:
    """Time-steps a case runs per package, all segments together.

    Long enough that a p99 is not decided by two or three hiccups of the machine (1,200
    periods at 20 ms put a dozen periods above it), short enough that the full run takes
    about a quarter of an hour. ``quick``: a few hundred, a smoke test.
    """
    if quick:
        return int(min(300, max(40, 1000.0 / time_step_ms)))
    return _FULL_STEPS.get(time_step_ms, int(min(5000, max(150, 6000.0 / time_step_ms))))


def matrix(time_steps_ms: tuple[float, ...], callers: tuple[str, ...]) -> list[Case]:
    """Every case, in the order they run: by time-step, then caller, then env id."""
    return [Case(dt, caller, env) for dt in time_steps_ms for caller in callers for env in ENVS]


def package_order(packages: tuple[str, ...], case_index: int, segment: int) -> list[str]:
    """The packages in the order they run in ``segment`` of the ``case_index``-th case.

    The order flips every segment (A B, B A, A B, ...) and every case starts with the package
    the previous case started its first segment without, so neither package is always first
    after a pause.
    """
    order = list(packages)
    if (case_index % 2 == 1) != (segment % 2 == 1):
        order.reverse()
    return order


def rotating_order(variants: int, repeats: int) -> list[int]:
    """Indices of ``variants`` things to run ``repeats`` times each, taking turns.

    The order rotates by one with each repeat (0 1 2, 1 2 0, 2 0 1, ...), so that no variant is
    always the one that runs right after another in particular.
    """
    base = list(range(variants))
    out: list[int] = []
    for rep in range(repeats):
        k = rep % variants if variants else 0
        out += base[k:] + base[:k]
    return out


def max_rate_steps(time_step_ms: float, quick: bool) -> int:
    """Time-steps in one trial of the highest-rate search (about 0.8 s, 1,000 to 8,000)."""
    if quick:
        return 400
    return int(min(8000, max(1000, 0.8 / (time_step_ms / 1e3))))
