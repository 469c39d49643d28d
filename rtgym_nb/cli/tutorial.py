"""``python -m rtgym_nb tutorial``: fly the tutorial's drone headless and print what happened."""

from __future__ import annotations

import argparse
import time

from rtgym_nb.course.tutorial import run_episode, tutorial_config


def main(argv: list[str] | None = None) -> int:
    """``python -m rtgym_nb tutorial``: the tutorial's controller, headless."""
    import gymnasium

    import rtgym_nb  # noqa: F401  (registers the ids)

    parser = argparse.ArgumentParser(
        prog="python -m rtgym_nb tutorial",
        description="Fly the tutorial's delayed drone to random targets with the proportional "
        "controller and print what happened.",
    )
    parser.add_argument("--clock", choices=("wall", "simulated"), default="wall")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--env", choices=("real-time-gym-v1", "real-time-gym-ts-v1"),
                        default="real-time-gym-v1")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f"--episodes must be >= 1, got {args.episodes}")

    config = tutorial_config(clock=args.clock, benchmark=True)
    total_steps = 0
    started = time.perf_counter()
    with gymnasium.make(args.env, config=config) as env:
        for episode in range(args.episodes):
            result = run_episode(env, seed=args.seed if episode == 0 else None)
            total_steps += result["steps"]
            print(f"episode {episode}: {result['outcome']:<9} after {result['steps']:3d} steps, "
                  f"return {result['return']:9.4f}, final distance "
                  f"{result['final_distance']:.4f}")
        print("benchmarks (average, average deviation) in ms:")
        for key, (average, deviation) in env.unwrapped.benchmarks().items():
            shown = "n/a" if average is None else f"{average * 1e3:8.3f} ± {deviation * 1e3:.3f}"
            print(f"  {key:<22} {shown}")
    elapsed = time.perf_counter() - started
    print(f"total: {total_steps} env steps in {elapsed:.3f} s wall time "
          f"({total_steps / elapsed:,.0f} steps/s)")
    return 0
