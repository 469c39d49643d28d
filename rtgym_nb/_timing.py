"""Timing records: a bounded trace of every time-step, and rtgym's running-average benchmarks.

The trace is what plots and benchmarks are drawn from: one row per time-step, with the time of
every event that shaped it. It is a fixed-size ring buffer, so an environment left running for
an hour in a notebook keeps constant memory (the newest ``capacity`` time-steps are kept).

The rows live in a flat ``array.array`` of doubles, written by a precompiled ``struct.Struct``
(``pack_into``): a whole row in one C call. The writes happen on the hot path of every
time-step, usually right after a wake-up, when caches are cold: there, a numpy row assignment
costs ~25-40 us and a dozen scalar writes to an ``array.array`` ~10-15 us; one ``pack_into``
costs about half as much as the scalar writes (measured warm), which matters on the simulated
clock too, where nothing waits and scalar writes would be a tenth of a time-step's cost.
Readers get numpy arrays (a view of the same memory, copied).
"""

from __future__ import annotations

import struct
from array import array

import numpy as np

__all__ = ["BENCHMARK_KEYS", "FIELDS", "PolyakBenchmark", "TimingTrace"]

FIELDS: tuple[str, ...] = (
    "call",           # the env call (reset/step) that opened this time-step was entered
    "joined",         # ... and had waited for the previous time-step to end
    "send_start",     # send_control() was called
    "send_end",       # send_control() returned
    "nominal_start",  # the elastic schedule's start of this time-step
    "nominal_obs",    # ... its capture time
    "nominal_end",    # ... its end
    "returned",       # the env call that opened this time-step returned to its caller
    "timed_out",      # 1.0 if the elastic constraint broke (not after wait())
    "from_reset",     # 1.0 if reset() opened this time-step
    "capture_start",  # get_obs_rew_terminated_info() was called
    "capture_end",    # get_obs_rew_terminated_info() returned
)
"""Columns of the trace; all but the two flags are times in seconds of the environment's clock.

The capture comes last: a time-step's capture is known when the next one opens, and the two
are then next to each other in memory (:meth:`TimingTrace.close_and_open` writes them at once).
"""

_COLUMN = {name: i for i, name in enumerate(FIELDS)}
_CAPTURE_START = _COLUMN["capture_start"]
assert _COLUMN["capture_end"] == _CAPTURE_START + 1 == len(FIELDS) - 1  # (see FIELDS)
_RETURNED = _COLUMN["returned"]
_NAN = float("nan")
_ROW = struct.Struct(f"{len(FIELDS)}d")
_PAIR = struct.Struct("2d")
_PAIR_AND_ROW = struct.Struct(f"{len(FIELDS) + 2}d")
_ROW_BYTES = _ROW.size
_WIDTH = len(FIELDS)
_NAN_ROW = array("d", [_NAN]) * _WIDTH
_NAN_VALUES = (_NAN,) * _WIDTH

BENCHMARK_KEYS: tuple[str, ...] = (
    "time_step_duration",
    "step_duration",
    "join_duration",
    "inference_duration",
    "send_control_duration",
    "get_obs_duration",
)
"""The six durations that rtgym 0.16's ``benchmarks()`` reports."""
_KEY_INDEX = {key: i for i, key in enumerate(BENCHMARK_KEYS)}


class TimingTrace:
    """Timestamps of the last ``capacity`` time-steps.

    One writer at a time (the thread running the time-steps, which come one after the other)
    opens rows and fills them; readers on any thread take copies with :meth:`arrays`. Rows are
    numbered from 0 for the first time-step ever; ``total`` counts them all, ``len()`` those
    still kept.

    The writer takes no lock (a row is written, then counted in ``total``): it writes on every
    time-step, readers a few times a second. The ring has one slot more than ``capacity``, so
    that the row being written never lands on a row a reader may return; a reader that a fast
    writer overtook while it copied (a simulated clock can run thousands of time-steps in one
    thread switch) drops the oldest rows whose slots were reused meanwhile, and returns fewer
    rows.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = int(capacity)
        self._slots = self.capacity + 1  # (the spare one: see arrays())
        self._data = _NAN_ROW * self._slots
        self.total = 0

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def new_row(self) -> int:
        """Open the next row (overwriting the oldest when full); return its number."""
        row = self.total
        base = row % self._slots * _WIDTH
        self._data[base:base + _WIDTH] = _NAN_ROW
        self.total = row + 1
        return row

    def open_row(
        self,
        call: float,
        joined: float,
        send_start: float,
        send_end: float,
        nominal_start: float,
        nominal_obs: float,
        nominal_end: float,
        timed_out: bool,
        from_reset: bool,
    ) -> int:
        """:meth:`new_row` and every field known when a time-step opens, in one call.

        The pipeline calls this once per time-step. The capture times and ``returned`` are
        left NaN.
        """
        row = self.total
        _ROW.pack_into(
            self._data, row % self._slots * _ROW_BYTES,
            call, joined, send_start, send_end, nominal_start, nominal_obs, nominal_end,
            _NAN, 1.0 if timed_out else 0.0, 1.0 if from_reset else 0.0, _NAN, _NAN,
        )
        self.total = row + 1
        return row

    def close_and_open(
        self,
        row: int,
        capture_start: float,
        capture_end: float,
        call: float,
        joined: float,
        send_start: float,
        send_end: float,
        nominal_start: float,
        nominal_obs: float,
        nominal_end: float,
        timed_out: bool,
        returned: float = _NAN,
    ) -> int:
        """:meth:`set_capture` of ``row``, :meth:`open_row` of the next time-step (opened by a
        ``step()``) and, if given, its :meth:`set_returned`, in one call: the simulated path's
        writes of every time-step (one write of memory when the two rows are next to each
        other)."""
        new = self.total
        slot = new % self._slots
        if row == new - 1 and slot:
            _PAIR_AND_ROW.pack_into(
                self._data, (slot * _WIDTH - 2) * 8, capture_start, capture_end,
                call, joined, send_start, send_end, nominal_start, nominal_obs, nominal_end,
                returned, 1.0 if timed_out else 0.0, 0.0, _NAN, _NAN,
            )
        else:
            _PAIR.pack_into(self._data, (row % self._slots * _WIDTH + _CAPTURE_START) * 8,
                            capture_start, capture_end)
            _ROW.pack_into(
                self._data, slot * _ROW_BYTES,
                call, joined, send_start, send_end, nominal_start, nominal_obs, nominal_end,
                returned, 1.0 if timed_out else 0.0, 0.0, _NAN, _NAN,
            )
        self.total = new + 1
        return new

    def set_capture(self, row: int, start: float, end: float) -> None:
        """Record when ``get_obs_rew_terminated_info`` was called and returned, in one call."""
        _PAIR.pack_into(self._data, (row % self._slots * _WIDTH + _CAPTURE_START) * 8,
                        start, end)

    def set_returned(self, row: int, when: float) -> None:
        """Record when the env call that opened time-step ``row`` returned to its caller."""
        if row >= 0:
            self._data[row % self._slots * _WIDTH + _RETURNED] = when

    def set(self, row: int, field: str, value: float) -> None:
        self._data[row % self._slots * _WIDTH + _COLUMN[field]] = value

    def get(self, row: int, field: str) -> float:
        """One value (NaN if not recorded, or if the row was overwritten)."""
        if row < self.total - self.capacity or row < 0 or row >= self.total:
            return float("nan")
        return self._data[row % self._slots * _WIDTH + _COLUMN[field]]

    def row(self, row: int) -> tuple[float, ...]:
        """Every value of one row, in :data:`FIELDS` order (all NaN if not recorded, or if the
        row was overwritten): one read for a caller that needs several of them."""
        if row < self.total - self.capacity or row < 0 or row >= self.total:
            return _NAN_VALUES
        return _ROW.unpack_from(self._data, row % self._slots * _ROW_BYTES)

    def clear(self) -> None:
        """Forget every row (by the writer, or while nobody writes)."""
        self.total = 0
        self._data[:] = _NAN_ROW * self._slots

    def arrays(self, last: int | None = None) -> dict[str, np.ndarray]:
        """Chronological copies of every column (the ``last`` rows only, if given).

        Also ``"step"``: the row numbers. Flags come back as booleans.
        """
        total, capacity = self.total, self.capacity
        n = min(total, capacity)
        if last is not None:
            n = min(n, int(last))
        idx = np.arange(total - n, total)
        rows = self._copy_rows(idx % self._slots)
        # A writer that went on meanwhile reused the slots of rows before its new rows: row r
        # shares its slot with row r + capacity + 1, and the row being written is not counted
        # in total yet. Without a writer, every row read is kept (the spare slot's use).
        reused = int(np.searchsorted(idx, self.total - capacity, side="left"))
        if reused:
            idx, rows = idx[reused:], rows[reused:]
        out: dict[str, np.ndarray] = {"step": idx}
        for name, col in _COLUMN.items():
            out[name] = rows[:, col]
        out["timed_out"] = out["timed_out"] == 1.0
        out["from_reset"] = out["from_reset"] == 1.0
        return out

    def _copy_rows(self, slots: np.ndarray) -> np.ndarray:
        """A copy of the rows in ``slots`` (one per line)."""
        table = np.frombuffer(self._data, dtype=np.float64).reshape(self._slots, _WIDTH)
        return table[slots]  # (fancy indexing copies)

    def durations(self, last: int | None = None) -> dict[str, np.ndarray]:
        """rtgym's six durations, one value per time-step, from the trace (NaN where undefined).

        ``time_step_duration`` is the interval between two consecutive ``send_control`` calls;
        ``inference_duration`` the time the caller spent between two env calls.
        """
        a = self.arrays(last)
        nan = np.array([np.nan])
        return {
            "time_step_duration": np.diff(a["send_start"], prepend=nan),
            "step_duration": a["returned"] - a["call"],
            "join_duration": a["joined"] - a["call"],
            "inference_duration": a["call"] - np.concatenate((nan, a["returned"][:-1])),
            "send_control_duration": a["send_end"] - a["send_start"],
            "get_obs_duration": a["capture_end"] - a["capture_start"],
        }


class PolyakBenchmark:
    """rtgym's benchmark: for each duration, a running average and average absolute deviation.

    With weight ``polyak`` for the newest sample: ``avg += polyak * (x - avg)`` and
    ``dev += polyak * (|x - avg_old| - dev)``. The first sample sets the average.
    """

    def __init__(self, polyak: float = 0.1) -> None:
        self.polyak = polyak
        self._avg: list[float | None] = [None] * len(BENCHMARK_KEYS)  # in BENCHMARK_KEYS order
        self._dev: list[float] = [0.0] * len(BENCHMARK_KEYS)

    def add(self, key: str, value: float) -> None:
        """One sample of the duration ``key`` (NaN: nothing measured, ignored)."""
        samples = [_NAN] * len(BENCHMARK_KEYS)
        samples[_KEY_INDEX[key]] = value
        self.add_all(samples)

    def add_all(self, samples: list[float]) -> None:
        """One sample of each duration, in :data:`BENCHMARK_KEYS` order (NaN: nothing
        measured, that duration is left alone). A step's samples in one call."""
        polyak, averages, deviations = self.polyak, self._avg, self._dev
        for i, value in enumerate(samples):
            if value != value:  # NaN
                continue
            avg = averages[i]
            if avg is None:
                averages[i] = value
                continue
            delta = value - avg
            averages[i] = avg + polyak * delta
            deviations[i] += polyak * (abs(delta) - deviations[i])

    def as_dict(self) -> dict[str, tuple[float | None, float]]:
        return {key: (self._avg[i], self._dev[i]) for i, key in enumerate(BENCHMARK_KEYS)}
