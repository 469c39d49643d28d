"""Tests of rtgym_nb.course.learn and `python -m rtgym_nb learn`: small budgets, simulated clock."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rtgym_nb.cli import learn as cli_learn
from rtgym_nb.course.controllers import PredictiveController
from rtgym_nb.course.learn import (
    HELD_OUT_SEED,
    CrossEntropyLearner,
    LinearPolicy,
    Rollout,
    Task,
    buffer_for,
    evaluate_policy,
    learn,
    mean_ci,
    predictor_theta,
    rollout,
    t_quantile,
)
from rtgym_nb.course.tutorial import proportional_controller

LAST_LINE = re.compile(
    r"^learned policy: return -?\d+\.\d\d ± \d+\.\d\d \(95% CI\), reached \d+% of targets, "
    r"mean time to target (\d+\.\d\d|nan) s$"
)


def obs_with_buffer(pos, target, *buffer):
    return (np.array([pos[0]], np.float32), np.array([pos[1]], np.float32),
            np.array([target[0]], np.float32), np.array([target[1]], np.float32),
            *(np.array(a, np.float32) for a in buffer))


def test_linear_policy_reads_error_and_buffer_newest_first():
    obs = obs_with_buffer((0.1, 0.0), (0.2, -0.1), (9.0, 9.0), (0.5, 0.0), (0.0, 1.0))
    # buffer oldest first: a[t-3] = (9, 9), a[t-2] = (.5, 0), a[t-1] = (0, 1)
    action = LinearPolicy([0.5, -0.1, -0.2, 0.0], time_step=0.05)(obs)
    expected = 0.5 * np.array([0.1, -0.1]) / 0.05 - 0.1 * np.array([0, 1]) - 0.2 * np.array([.5, 0])
    np.testing.assert_allclose(action, expected, rtol=1e-5)
    assert action.dtype == np.float32
    assert (LinearPolicy([100.0])(obs) == np.array([2, -2], np.float32)).all()  # clipped


def test_theta_one_without_buffer_is_the_tutorials_controller():
    obs = obs_with_buffer((0.01, 0.02), (0.03, -0.01))
    np.testing.assert_allclose(LinearPolicy([1.0])(obs), proportional_controller(obs), rtol=1e-5)


def test_predictor_theta_reproduces_the_predictive_controller_when_speeds_are_legal():
    controller = PredictiveController.for_drone(0.02, 0.05)
    theta = predictor_theta(controller, 4)
    assert theta[0] == controller.gain and (theta[1:] <= 0).all()
    obs = obs_with_buffer((0.0, 0.1), (0.05, 0.12), (0.1, 0.2), (0.3, -0.2), (0.0, 0.4),
                          (-0.2, 0.1))
    np.testing.assert_allclose(LinearPolicy(theta)(obs), controller(obs), rtol=1e-5)


def test_buffer_for_covers_the_worst_case_delay():
    assert buffer_for((0.02, 0.05)) == 4  # 50 + 2 * (50 + 10) = 170 ms: 3.4 steps -> 4
    assert buffer_for((0.04, 0.08)) == 5  # 220 ms: 4.4 steps
    assert buffer_for((0.0, 0.0)) == 2  # 70 ms: more than one step
    assert buffer_for((0.02, 0.04)) == 3  # exactly 150 ms: 3 steps, no rounding up
    assert buffer_for((0.02, 0.05), worst=False) == 3  # the mean (130 ms) asks for less


def test_rollout_is_a_pure_function_of_its_job():
    job = Rollout(Task(act_buf_len=2), (0.3, -0.2, -0.2), (5, 6))
    first, again = rollout(job), rollout(job)
    np.testing.assert_array_equal(first.returns, again.returns)
    # an episode does not depend on the episodes flown before it
    alone = rollout(Rollout(job.task, job.theta, (6,)))
    assert alone.returns[0] == first.returns[1]
    still = rollout(Rollout(job.task, (0.0, 0.0, 0.0), (5,)))
    assert not still.reached[0] and still.steps[0] == 100


def test_learning_is_deterministic_and_improves():
    task = Task(act_buf_len=2)
    a = learn(task, steps=3000, seed=1)
    b = learn(task, steps=3000, seed=1)
    assert [r.mean_return for r in a.history] == [r.mean_return for r in b.history]
    np.testing.assert_array_equal(a.mean, b.mean)
    assert a.steps >= 3000 and a.history[-1].steps == a.steps
    # candidate 0 of the first population is theta = 0: the drone does not move
    assert a.history[0].mean_return < -20
    assert a.history[-1].mean_return > -6
    assert learn(task, steps=3000, seed=2).mean.tolist() != a.mean.tolist()


def test_population_goes_through_the_given_map():
    calls = []

    def recording_map(fn, jobs):
        jobs = list(jobs)
        calls.append(len(jobs))
        return [fn(job) for job in jobs]

    task = Task(act_buf_len=1)
    with_map = CrossEntropyLearner(task, seed=0, population=6, elite=2, map=recording_map)
    plain = CrossEntropyLearner(task, seed=0, population=6, elite=2)
    assert with_map.iteration().best_return == plain.iteration().best_return
    assert calls == [6]
    np.testing.assert_array_equal(with_map.mean, plain.mean)


def test_evaluation_uses_held_out_seeds_and_reports_one_line():
    task = Task(act_buf_len=0)
    evaluation = evaluate_policy([0.2], task, episodes=8, chunk=3)
    direct = rollout(Rollout(task, (0.2,), tuple(HELD_OUT_SEED + i for i in range(8))))
    np.testing.assert_array_equal(evaluation.returns, direct.returns)
    line = evaluation.line()
    assert LAST_LINE.match(line), line
    assert evaluation.success_rate == direct.reached.mean()
    assert evaluation.time_to_target == pytest.approx(direct.steps[direct.reached].mean() * 0.05)


def test_mean_ci_uses_students_t():
    mean, half = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(4.303 * 1.0 / np.sqrt(3))
    assert t_quantile(1000) == 1.96
    with pytest.raises(ValueError):
        t_quantile(1)


def test_task_validates():
    with pytest.raises(ValueError, match="delay"):
        Task(delay=(0.05, 0.02))
    with pytest.raises(ValueError, match="clock"):
        Task(clock="fast")
    with pytest.raises(ValueError, match="elite"):
        CrossEntropyLearner(Task(), population=4, elite=4)


def run_cli(capsys, *argv):
    assert cli_learn.main(list(argv)) == 0
    return capsys.readouterr()


def test_cli_same_seed_same_lines_and_last_line_format(capsys):
    argv = ("--steps", "2000", "--seed", "4", "--delay", "10-30")
    first = run_cli(capsys, *argv).out.splitlines()
    second = run_cli(capsys, *argv).out.splitlines()
    assert first == second
    assert first[0].startswith("task: delay 10-30 ms each way, action buffer 3")
    assert LAST_LINE.match(first[-1]), first[-1]
    other = run_cli(capsys, "--steps", "2000", "--seed", "5", "--delay", "10-30").out
    assert other.splitlines()[-1] != first[-1] or other.splitlines()[-2] != first[-2]


def test_cli_progress_and_time(capsys):
    out = run_cli(capsys, "--steps", "9000", "--act-buf-len", "0", "--time")
    assert re.search(r"^iteration +5: +[\d,]+ steps, mean policy return +-?\d+\.\d\d$",
                     out.out, re.MULTILINE)
    assert "action buffer 0" in out.out
    assert re.match(r"learning took \d+\.\d\d s wall time \([\d,]+ steps/s\)", out.err)


@pytest.mark.parametrize("argv, message", [
    (["--delay", "50-20"], "LO <= HI"),
    (["--delay", "fast"], "LO-HI"),
    (["--time-step", "0"], "--time-step"),
    (["--act-buf-len", "-1"], "--act-buf-len"),
])
def test_cli_rejects_bad_options(capsys, argv, message):
    with pytest.raises(SystemExit):
        cli_learn.main(argv)
    assert message in capsys.readouterr().err


def test_cli_is_registered(capsys):
    from rtgym_nb.cli import main

    assert main(["--help"]) == 0
    assert "learn" in capsys.readouterr().out


def test_a_process_pool_map_gives_the_same_learning():
    from concurrent.futures import ProcessPoolExecutor

    task = Task(act_buf_len=1)
    serial = CrossEntropyLearner(task, seed=3, population=4, elite=2, episodes=1)
    serial.iteration()
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = CrossEntropyLearner(task, seed=3, population=4, elite=2, episodes=1,
                                       map=pool.map)
        parallel.iteration()
    np.testing.assert_array_equal(serial.mean, parallel.mean)
    assert serial.steps == parallel.steps
