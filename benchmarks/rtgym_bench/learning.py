"""The learner's figures: the buffer against the delay-blind agent over seeds, and its speed.

    PYTHONPATH=benchmarks python -m rtgym_bench.learning [--seeds 5] [--steps 30000]

For each delay range (the tutorial's 20-50 ms and 40-80 ms), learns with the default budget
for each seed, once with a buffer covering the worst-case delay and once without a buffer,
evaluates each learned policy on the 100 held-out episodes, and prints the mean held-out
return over seeds with its 95% confidence interval (Student's t over seeds), the worst seed's
share of targets reached, and the wall time and steps/s of learning. Wall times depend on the
machine's load: say how loaded it was when quoting them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rtgym_nb.course.learn import DEFAULT_STEPS, Task, buffer_for, evaluate_policy, learn, mean_ci


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    args = parser.parse_args()
    for delay in ((0.02, 0.05), (0.04, 0.08)):
        for buffer in (buffer_for(delay), 0):
            task = Task(delay=delay, act_buf_len=buffer)
            returns, reached, seconds, steps = [], [], 0.0, 0
            for seed in range(args.seeds):
                started = time.perf_counter()
                learner = learn(task, steps=args.steps, seed=seed)
                seconds += time.perf_counter() - started
                steps += learner.steps
                evaluation = evaluate_policy(learner.policy, task)
                returns.append(evaluation.mean_return)
                reached.append(evaluation.success_rate)
            mean, half = mean_ci(returns)
            print(f"delay {delay[0] * 1e3:.0f}-{delay[1] * 1e3:.0f} ms, buffer {buffer}: "
                  f"return {mean:.3f} ± {half:.3f} (95% CI over {args.seeds} seeds: "
                  f"[{mean - half:.3f}, {mean + half:.3f}]), reached >= {min(reached):.0%} "
                  f"(worst seed), learning {seconds / args.seeds:.1f} s per run, "
                  f"{steps / seconds:,.0f} steps/s; per seed {np.round(returns, 2).tolist()}",
                  flush=True)


if __name__ == "__main__":
    main()
