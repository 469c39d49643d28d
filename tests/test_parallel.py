"""rtgym_nb.course.parallel: many seeded runs at once, the same results wherever they run."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from rtgym_nb.course import parallel
from rtgym_nb.course.parallel import SERIAL, default_executor, map_seeded


def seeded_draws(seed: int) -> list[float]:
    """A seeded run (at the top of the module: picklable for a process pool)."""
    import numpy as np

    return np.random.default_rng(seed).uniform(size=3).tolist()


class CountingExecutor:
    """An executor of one's own: only ``map``, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def map(self, fn, *iterables):
        self.calls += 1
        return [fn(*args) for args in zip(*iterables, strict=True)]


def test_results_come_in_the_order_of_the_items_whatever_the_executor():
    seeds = [5, 1, 4, 2, 3]
    expected = [seeded_draws(seed) for seed in seeds]
    assert map_seeded(seeded_draws, seeds, SERIAL) == expected
    with ThreadPoolExecutor(3) as threads:
        assert map_seeded(seeded_draws, seeds, threads) == expected
    with ProcessPoolExecutor(2) as processes:
        assert map_seeded(seeded_draws, iter(seeds), processes) == expected  # (any iterable)
    own = CountingExecutor()
    assert map_seeded(seeded_draws, seeds, own) == expected and own.calls == 1


def test_the_default_is_serial_for_one_item_or_one_cpu(monkeypatch):
    assert default_executor(1) is SERIAL
    monkeypatch.setattr(parallel, "_cpus", lambda: 1)
    assert default_executor(10) is SERIAL
    assert map_seeded(seeded_draws, [7, 8]) == [seeded_draws(7), seeded_draws(8)]


def test_the_default_pool_is_shared_and_gives_the_serial_results(monkeypatch):
    monkeypatch.setattr(parallel, "_cpus", lambda: 2)
    pool = default_executor(4)
    assert isinstance(pool, ProcessPoolExecutor) and default_executor(3) is pool
    assert map_seeded(seeded_draws, range(4)) == [seeded_draws(s) for s in range(4)]


def test_the_default_falls_back_to_serial_where_processes_cannot_start(monkeypatch):
    def no_processes(*args, **kwargs):
        raise NotImplementedError("no processes in a browser kernel")

    monkeypatch.setattr(parallel, "_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "_pool", None)
    monkeypatch.setattr(parallel.concurrent.futures, "ProcessPoolExecutor", no_processes)
    assert default_executor(4) is SERIAL


@pytest.mark.parametrize("executor", [SERIAL, CountingExecutor()], ids=["serial", "own"])
def test_an_error_in_a_run_reaches_the_caller(executor):
    with pytest.raises(TypeError):
        map_seeded(seeded_draws, ["not a seed"], executor)
