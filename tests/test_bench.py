"""``python -m rtgym_nb bench``: the statistics (exact, on made-up stamps) and the CLI (real time).

The CLI tests run a few dozen real time-steps of 2 ms, so their bounds are deliberately loose:
they check that the command runs, reports every figure and saves a plot, not this machine's
precision (other processes may be running).
"""

from __future__ import annotations

import math
import os

import pytest

from rtgym_nb import __main__ as cli
from rtgym_nb.cli import bench

DT = 0.01


def test_summarize_on_exact_stamps():
    # sends every 10 ms except one 35 ms gap (a timeout with elasticity 1); each capture 7 us
    # before the next send
    send = [0.0, 0.010, 0.020, 0.055, 0.065]
    capture = [s - 7e-6 for s in send[1:]]
    result = bench.summarize(send, capture, DT, timeout_factor=1.0)
    assert result["steps"] == 4
    assert result["timeouts"] == 1
    assert result["timeout_fraction"] == 0.25
    assert result["latency"]["p50"] == pytest.approx(7.0)
    assert result["latency"]["max"] == pytest.approx(7.0)
    control = result["control_period_error"]
    assert control["p50"] == pytest.approx(0.0, abs=1e-6)
    assert control["max"] == pytest.approx(25_000.0)
    assert result["capture_period_error"]["max"] == pytest.approx(25_000.0)


def test_summarize_counts_flagged_steps_once():
    send = [0.0, 0.010, 0.020, 0.055]
    capture = [0.010, 0.020, 0.030]
    # send 3 is both late and flagged; send 1 only flagged; out-of-range flags are ignored
    result = bench.summarize(send, capture, DT, flagged=[1, 3, 99])
    assert result["timeouts"] == 2


def test_summarize_leaves_the_warmup_out_of_the_distributions():
    send = [0.0, 0.030, 0.040, 0.050]  # the first interval is off by 20 ms
    capture = [0.030, 0.040, 0.050]
    result = bench.summarize(send, capture, DT, warmup=1)
    assert result["control_period_error"]["max"] == pytest.approx(0.0, abs=1e-6)
    assert result["timeouts"] == 1  # 30 ms > 2 time-steps: timeouts count the warm-up too
    assert bench.summarize([0.0], [], DT)["latency"]["p50"] is None


def test_summarize_segments_pools_runs_without_bridging_them():
    # two runs, the second starting 5 s after the first: no interval spans the gap; each run's
    # first time-step (off by 3 ms) is its warm-up; flags index each run's own sends
    first = ([0.0, 0.013, 0.023, 0.033], [0.013 - 2e-6, 0.023 - 2e-6, 0.033 - 2e-6], [2])
    second = ([5.0, 5.013, 5.023], [5.013 - 4e-6, 5.023 - 4e-6], [])
    result = bench.summarize_segments([first, second], DT, warmup=1)
    assert result["steps"] == 5
    assert result["timeouts"] == 1
    assert result["control_period_error"]["max"] == pytest.approx(0.0, abs=1e-6)
    latency = result["latency"]
    assert (latency["p50"], latency["max"]) == (pytest.approx(2.0), pytest.approx(4.0))
    one = bench.summarize(*first[:2], DT, flagged=first[2], warmup=1)
    assert bench.summarize_segments([first], DT, warmup=1) == one


def test_format_table_lists_every_figure():
    send = [0.0, 0.010, 0.020]
    capture = [0.010, 0.020]
    result = bench.summarize(send, capture, DT) | {"env": "v1", "steps_per_s": 100.0,
                                                    "cpu_per_step_us": 50.0}
    table = bench.format_table([result])
    for label in ("control period error p50", "capture period error p99", "control latency max",
                  "timeouts", "CPU per step", "steps/s", "rtgym_nb v1"):
        assert label in table


@pytest.mark.wallclock
def test_cli_prints_the_table_and_saves_a_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "timing.png"
    code = cli.main(["bench", "--time-step", "0.002", "--steps", "30", "--env", "v1",
                     "--plot", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "rtgym_nb v1" in printed and "rtgym_nb ts" not in printed
    for label in ("control period error p50", "capture period error p90",
                  "control latency p99", "timeouts", "steps/s"):
        assert label in printed
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in printed


@pytest.mark.wallclock
@pytest.mark.parametrize("env", ["v1", "ts"])
@pytest.mark.parametrize("caller", ["sleep", "busy", "none"])
def test_run_measures_every_step(env, caller):
    result = bench.run(env, time_step=0.002, steps=25, caller=caller)
    assert result["steps"] == 25
    assert len(result["send"]) == 26 and len(result["capture"]) == 25
    assert 0 <= result["timeouts"] <= 25
    # generous: the elastic clock keeps the average period near 2 ms unless it timed out
    assert 20 < result["steps_per_s"] < 1_000
    assert result["cpu_per_step_us"] > 0
    for key, _ in bench.METRICS:
        stats = result[key]
        assert stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
        assert math.isfinite(stats["max"])
    # the next control follows its capture at once, unless the caller itself is late (a busy
    # caller preempted by other processes): a bound that only catches gross errors
    assert result["latency"]["p50"] < 20_000


@pytest.mark.wallclock
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="sets the CPUs it runs on")
def test_cli_runs_the_envs_on_the_cpu_it_is_given_then_lets_go(monkeypatch, capsys):
    before = os.sched_getaffinity(0)
    cpu = max(before)
    seen = []

    def run(*args, **kwargs):
        result = real_run(*args, **kwargs)
        seen.append(os.sched_getaffinity(0))
        return result

    real_run = bench.run
    monkeypatch.setattr(bench, "run", run)
    assert bench.main(["--time-step", "0.002", "--steps", "10", "--env", "ts",
                       "--cpu", str(cpu)]) == 0
    assert seen == [{cpu}]
    assert os.sched_getaffinity(0) == before
    assert f"on CPU {cpu} only" in capsys.readouterr().out


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="sets the CPUs it runs on")
def test_cli_names_a_cpu_it_may_not_use(capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--cpu", "4096"])
    assert exit_info.value.code == 2
    assert "--cpu 4096" in capsys.readouterr().err


def test_cli_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--time-step", "0"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        bench.main(["--steps", "1"])
    assert "--steps must be >= 2" in capsys.readouterr().err


def test_cli_help_through_the_dispatcher(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "--help"])
    assert exit_info.value.code == 0
    assert "--time-step" in capsys.readouterr().out


# -- --simulated: steps/s on the simulated clock (only what is deterministic is checked) --------


def test_the_bare_loop_does_the_environments_work():
    """Same seed, same returns: the bare loop is the environments' work, nothing less."""
    from rtgym_nb.cli.sim_speed import ENV_IDS, BareLoop, EnvLoop, run_returns

    bare = run_returns(BareLoop(seed=3), 4)
    for env_id in ENV_IDS:
        loop = EnvLoop(env_id, seed=3)
        try:
            assert run_returns(loop, 4) == bare, env_id
        finally:
            loop.close()
    assert len(set(bare)) == 4  # (four different episodes, not one repeated)


def test_measure_interleaves_rounds_and_reports_medians():
    from rtgym_nb.cli.sim_speed import ENV_IDS, format_report, measure

    ticks = iter(range(10**6))
    result = measure(steps=40, rounds=4, timer=lambda: float(next(ticks)))
    # every block takes one tick of the fake timer: 10 steps per tick for every loop
    assert result["steps"] == 40 and result["rounds"] == 4
    assert result["steps_per_s"] == {"bare loop": 10.0, **dict.fromkeys(ENV_IDS, 10.0)}
    assert result["ratio"] == dict.fromkeys(ENV_IDS, 1.0)
    table = format_report(result)
    assert "40 time-steps per loop in 4 interleaved rounds" in table
    assert table.splitlines()[-1].split() == ["real-time-gym-ts-v1", "10", "1.00"]
    with pytest.raises(ValueError, match="rounds"):
        measure(steps=3, rounds=4)


def test_cli_simulated_prints_the_three_loops(capsys):
    assert cli.main(["bench", "--simulated", "--steps", "300"]) == 0
    out = capsys.readouterr().out
    for name in ("bare loop", "real-time-gym-v1", "real-time-gym-ts-v1"):
        assert name in out
    assert "300 time-steps per loop in 30 interleaved rounds" in out
