"""benchmarks/paired_settings.py: each setting really switches the environment, and back.

The script reaches into rtgym_nb's internals (the clock's estimators, the worker's lead); a
refactoring that renames one of them must fail here, not leave the tool measuring A against A.
"""

from __future__ import annotations

import pytest

SETTINGS = [("v1", "long-quantile"), ("ts", "long-quantile"), ("v1", "short-quantile"),
            ("ts", "coarse"), ("v1", "meanwhile"), ("ts", "meanwhile"), ("v1", "spin"),
            ("ts", "spin"), ("ts", "defer")]


@pytest.fixture(scope="module")
def paired_settings(load_benchmark):
    return load_benchmark("paired_settings")


def state(env) -> dict:
    """Everything a setting may switch."""
    raw = env.unwrapped
    clock, runner = raw.clock, raw._runner
    names = ("_lead", "_wait_until", "_learn_lead", "_defer")
    return {
        "long": clock._long, "short": clock._short,
        "margins": (clock.min_margin, clock.max_margin),
        "pipeline_wait": raw._pipeline._wait_until,
        **{name: getattr(runner, name, None) for name in names},
    }


@pytest.mark.parametrize(("env_id", "what"), SETTINGS)
def test_settings_a_and_b_differ_and_one_is_the_default(paired_settings, env_id, what):
    env = paired_settings.timing_worker.make_env(paired_settings.rtgym_nb, env_id, 0.002)
    try:
        default = state(env)
        use_b = paired_settings.switches(env, what, 0.7)
        use_b(True)
        b = state(env)
        use_b(False)
        a = state(env)
        assert a != b
        assert default in (a, b)  # (A is the default but for "meanwhile", whose B is)
        use_b(True)
        assert state(env) == b  # back and forth, as the blocks alternate
    finally:
        env.close()


@pytest.mark.filterwarnings("ignore::rtgym_nb.TimeStepTimeoutWarning")  # (data, for this tool)
def test_a_short_run_reports_cpu_and_precision_of_both(paired_settings, capsys):
    assert paired_settings.main(["--env", "ts", "--what", "coarse", "--quantile", "0.6",
                                 "--time-step-ms", "2", "--blocks", "2", "--block", "4"]) == 0
    out = capsys.readouterr().out
    assert "1 pairs of 4 steps" in out
    for setting in "AB":
        assert f"  {setting}: capture-period error p50 / p90 / p99" in out
        assert "(3 periods)" in out  # 4 captures in a block: 3 periods each


def test_coarse_needs_the_persistent_thread_variant(paired_settings):
    env = paired_settings.timing_worker.make_env(paired_settings.rtgym_nb, "v1", 0.002)
    try:
        with pytest.raises(SystemExit, match="--env ts"):
            paired_settings.switches(env, "coarse", 0.6)
    finally:
        env.close()
