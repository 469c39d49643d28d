"""Timing records: the bounded trace and rtgym's Polyak benchmark."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rtgym_nb._timing import BENCHMARK_KEYS, FIELDS, PolyakBenchmark, TimingTrace

# -- TimingTrace ---------------------------------------------------------------------------


def fill(trace: TimingTrace, rows: int) -> None:
    """Row ``r`` gets ``call = r`` and ``send_start = 10 r``."""
    for _ in range(rows):
        row = trace.new_row()
        trace.set(row, "call", float(row))
        trace.set(row, "send_start", 10.0 * row)


def test_empty_trace():
    trace = TimingTrace(4)
    assert len(trace) == 0 and trace.total == 0
    arrays = trace.arrays()
    assert set(arrays) == {"step", *FIELDS}
    assert all(len(column) == 0 for column in arrays.values())


def test_rows_are_numbered_from_zero():
    trace = TimingTrace(4)
    assert [trace.new_row() for _ in range(3)] == [0, 1, 2]
    assert len(trace) == 3 and trace.total == 3


def test_ring_buffer_keeps_the_newest_rows_in_chronological_order():
    trace = TimingTrace(4)
    fill(trace, 10)
    assert len(trace) == 4 and trace.total == 10
    arrays = trace.arrays()
    np.testing.assert_array_equal(arrays["step"], [6, 7, 8, 9])
    np.testing.assert_array_equal(arrays["call"], [6.0, 7.0, 8.0, 9.0])
    np.testing.assert_array_equal(arrays["send_start"], [60.0, 70.0, 80.0, 90.0])
    assert np.isnan(arrays["capture_start"]).all()


def test_ring_buffer_at_every_fill_level():
    for rows in range(1, 12):
        trace = TimingTrace(5)
        fill(trace, rows)
        expected = list(range(max(0, rows - 5), rows))
        np.testing.assert_array_equal(trace.arrays()["call"], expected)


def test_arrays_last():
    trace = TimingTrace(4)
    fill(trace, 10)
    np.testing.assert_array_equal(trace.arrays(last=2)["call"], [8.0, 9.0])
    np.testing.assert_array_equal(trace.arrays(last=100)["step"], [6, 7, 8, 9])


def test_get_returns_nan_for_overwritten_or_future_rows():
    trace = TimingTrace(4)
    fill(trace, 10)
    assert trace.get(9, "call") == 9.0
    assert trace.get(6, "send_start") == 60.0
    assert math.isnan(trace.get(5, "call"))  # overwritten
    assert math.isnan(trace.get(10, "call"))  # not yet written
    assert math.isnan(trace.get(-1, "call"))
    assert math.isnan(trace.get(9, "capture_end"))  # never set


def test_new_row_clears_the_reused_slot():
    trace = TimingTrace(2)
    row = trace.new_row()
    trace.set(row, "capture_start", 1.0)
    trace.new_row()
    reused = trace.new_row()  # same slot as row 0
    assert math.isnan(trace.get(reused, "capture_start"))


def test_arrays_are_copies():
    trace = TimingTrace(4)
    fill(trace, 2)
    arrays = trace.arrays()
    arrays["call"][:] = -1.0
    assert trace.get(0, "call") == 0.0


def test_flags_come_back_as_booleans():
    trace = TimingTrace(4)
    for flag in (1.0, 0.0):
        row = trace.new_row()
        trace.set(row, "timed_out", flag)
    row = trace.new_row()  # never set: NaN -> False
    arrays = trace.arrays()
    assert arrays["timed_out"].dtype == bool
    np.testing.assert_array_equal(arrays["timed_out"], [True, False, False])
    np.testing.assert_array_equal(arrays["from_reset"], [False, False, False])


def test_clear():
    trace = TimingTrace(4)
    fill(trace, 6)
    trace.clear()
    assert len(trace) == 0 and trace.total == 0
    assert trace.new_row() == 0
    assert math.isnan(trace.get(0, "call"))


def test_durations_from_a_hand_filled_trace():
    trace = TimingTrace(8)
    # two time-steps: times chosen so every difference is distinct
    rows = [
        {"call": 0.0, "joined": 0.5, "send_start": 1.0, "send_end": 1.25,
         "capture_start": 3.0, "capture_end": 3.5, "returned": 1.5},
        {"call": 2.0, "joined": 4.0, "send_start": 5.0, "send_end": 5.125,
         "capture_start": 7.0, "capture_end": 7.75, "returned": 6.0},
    ]
    for values in rows:
        row = trace.new_row()
        for field, value in values.items():
            trace.set(row, field, value)
    d = trace.durations()
    assert set(d) == set(BENCHMARK_KEYS)
    np.testing.assert_array_equal(d["time_step_duration"], [np.nan, 4.0])
    np.testing.assert_array_equal(d["step_duration"], [1.5, 4.0])
    np.testing.assert_array_equal(d["join_duration"], [0.5, 2.0])
    np.testing.assert_array_equal(d["inference_duration"], [np.nan, 0.5])
    np.testing.assert_array_equal(d["send_control_duration"], [0.25, 0.125])
    np.testing.assert_array_equal(d["get_obs_duration"], [0.5, 0.75])


def test_trace_capacity_bounds_memory():
    trace = TimingTrace(16)
    fill(trace, 1000)
    assert len(trace._data) == 17 * len(FIELDS)  # never grows past the capacity (+1 spare)
    assert len(trace) == 16
    assert trace.arrays()["step"].tolist() == list(range(1000 - 16, 1000))


# -- PolyakBenchmark -----------------------------------------------------------------------


def polyak(samples, factor):
    """rtgym 0.16's Benchmark.running_average, restated: first sample sets the average."""
    avg, dev = None, 0.0
    for x in samples:
        if avg is None:
            avg, dev = x, 0.0
        else:
            delta = x - avg
            avg, dev = avg + factor * delta, dev + factor * (abs(delta) - dev)
    return avg, dev


def test_benchmark_keys_are_rtgyms():
    assert BENCHMARK_KEYS == (
        "time_step_duration", "step_duration", "join_duration", "inference_duration",
        "send_control_duration", "get_obs_duration",
    )


def test_polyak_before_any_sample():
    assert PolyakBenchmark(0.1).as_dict() == dict.fromkeys(BENCHMARK_KEYS, (None, 0.0))


def test_polyak_first_sample_sets_the_average():
    bench = PolyakBenchmark(0.1)
    bench.add("step_duration", 0.05)
    assert bench.as_dict()["step_duration"] == (0.05, 0.0)


@pytest.mark.parametrize("factor", [0.1, 0.5, 1.0])
def test_polyak_formula(factor):
    samples = [0.05, 0.07, 0.03, 0.05, 0.11, 0.02, 0.05]
    bench = PolyakBenchmark(factor)
    for x in samples:
        bench.add("join_duration", x)
    avg, dev = bench.as_dict()["join_duration"]
    expected_avg, expected_dev = polyak(samples, factor)
    assert avg == pytest.approx(expected_avg, rel=1e-12)
    assert dev == pytest.approx(expected_dev, rel=1e-12)
    # by hand for the first three samples: avg 0.05 -> 0.05 + f 0.02 -> ...
    bench3 = PolyakBenchmark(factor)
    for x in samples[:3]:
        bench3.add("join_duration", x)
    a1 = 0.05 + factor * 0.02
    d1 = factor * 0.02
    a2 = a1 + factor * (0.03 - a1)
    d2 = d1 + factor * (abs(0.03 - a1) - d1)
    assert bench3.as_dict()["join_duration"] == pytest.approx((a2, d2), rel=1e-12)


def test_polyak_keys_are_independent_and_nan_is_ignored():
    bench = PolyakBenchmark(0.5)
    bench.add("get_obs_duration", 1.0)
    bench.add("get_obs_duration", float("nan"))
    bench.add("get_obs_duration", 3.0)
    result = bench.as_dict()
    assert result["get_obs_duration"] == (2.0, 1.0)
    assert result["step_duration"] == (None, 0.0)


def test_add_all_is_one_add_per_key_in_order():
    samples = [[0.05, 0.02, float("nan"), 0.01, 0.004, 0.003],
               [0.06, 0.01, 0.2, 0.03, float("nan"), 0.002],
               [0.04, 0.03, 0.1, 0.02, 0.005, 0.001]]
    together, one_by_one = PolyakBenchmark(0.3), PolyakBenchmark(0.3)
    for row in samples:
        together.add_all(row)
        for key, value in zip(BENCHMARK_KEYS, row, strict=True):
            one_by_one.add(key, value)
    assert together.as_dict() == one_by_one.as_dict()
    assert together.as_dict()["join_duration"][0] == 0.2 + 0.3 * (0.1 - 0.2)  # nan skipped


def test_row_reads_every_field_of_a_kept_row():
    trace = TimingTrace(4)
    fill(trace, 10)
    for row in (6, 9):
        expected = [trace.get(row, name) for name in FIELDS]
        np.testing.assert_array_equal(trace.row(row), expected)
    assert trace.row(9)[FIELDS.index("send_start")] == 90.0
    for gone in (5, 10, -1):  # overwritten, not yet written, before the first
        assert all(math.isnan(v) for v in trace.row(gone))


def test_close_and_open_is_set_capture_then_open_row_then_set_returned():
    a, b = TimingTrace(3), TimingTrace(3)
    for trace in (a, b):
        trace.open_row(0.0, 0.0, 0.1, 0.2, 0.0, 1.0, 1.0, False, True)
    times = (1.0, 1.1, 1.2, 1.2, 1.2, 1.3, 1.0, 2.0, 2.0)
    for k in range(5):  # wraps around the ring
        row = a.total - 1
        returned = (k + 2.5,) if k % 3 else ()  # (given or not)
        new_a = a.close_and_open(row, k + 1.0, k + 1.05, *(t + k for t in times[2:]),
                                 k % 2 == 1, *returned)
        b.set_capture(row, k + 1.0, k + 1.05)
        new_b = b.open_row(*(t + k for t in times[2:]), k % 2 == 1, False)
        if returned:
            b.set_returned(new_b, *returned)
        assert new_a == new_b == row + 1
    got, expected = a.arrays(), b.arrays()
    assert list(got) == list(expected)
    for key in got:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    assert got["capture_start"][-2] == 5.0  # (the last closed row's capture)


def test_set_returned_writes_returned_only():
    trace = TimingTrace(2)
    fill(trace, 3)
    before = np.array(trace.row(2))
    trace.set_returned(2, 99.0)
    after = np.array(trace.row(2))
    returned = FIELDS.index("returned")
    assert after[returned] == 99.0
    np.testing.assert_array_equal(np.delete(after, returned), np.delete(before, returned))
    empty = TimingTrace(2)
    empty.set_returned(-1, 5.0)  # no time-step yet: nothing written
    empty.new_row()
    assert math.isnan(empty.get(0, "returned"))


class _Overtaken(TimingTrace):
    """A trace whose reader is overtaken by the writer while it copies (a thread switch)."""

    def __init__(self, capacity: int, writes: int, written_not_counted: bool) -> None:
        super().__init__(capacity)
        self.writes = writes
        self.written_not_counted = written_not_counted

    def _copy_rows(self, slots):
        rows = super()._copy_rows(slots)
        fill(self, self.writes)  # the writer runs on while the reader holds its copy
        if self.written_not_counted:  # ... and is preempted between writing a row and counting it
            self.open_row(*[-1.0] * 7, False, False)
            self.total -= 1
        return rows


@pytest.mark.parametrize("writes", [0, 1, 3, 20])
@pytest.mark.parametrize("written_not_counted", [False, True])
def test_a_reader_overtaken_by_the_writer_returns_only_rows_it_read_intact(
        writes, written_not_counted):
    trace = _Overtaken(8, writes=0, written_not_counted=False)
    fill(trace, 30)
    trace.writes, trace.written_not_counted = writes, written_not_counted
    got = trace.arrays()
    # a row whose slot the writer reused is dropped, never returned with another row's values
    # (the row written but not counted yet takes the spare slot: it costs the reader nothing)
    assert got["step"].tolist() == list(range(30 - 8 + min(writes, 8), 30))
    np.testing.assert_array_equal(got["call"], got["step"])
    np.testing.assert_array_equal(got["send_start"], got["step"] * 10.0)
