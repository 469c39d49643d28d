"""Render each notebook's main figure to ``docs/figures/<notebook>.png`` (for the README).

    python scripts/render_figures.py              # every figure
    python scripts/render_figures.py 04 06        # those whose name starts with 04 or 06
    python scripts/render_figures.py --list

Each entry of :data:`FIGURES` maps a notebook's file name (without ``.ipynb``) to a function that
builds its main figure with the package's helpers, the way the notebook does, and returns it:
an :class:`rtgym_nb.course.viz.live_figure.LiveFigure` or a plain :class:`matplotlib.figure.Figure`.
To add a
notebook, write such a function and add a line to the dict.

Figures drawn from the simulated clock come out identical on every run; those drawn from the wall
clock do not (which is why notebook 04 is represented by its simulated-clock figure). Images are
quantised to 256 colours to stay small.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "figures"


def figure_01() -> Any:
    """The drone 20 ms after being told to turn: true and observed positions, messages in flight."""
    from rtgym_nb import DummyRCDrone, SimulatedClock
    from rtgym_nb.course.viz.arena import ArenaPlot, drone_summary

    clock = SimulatedClock()
    drone = DummyRCDrone(seed=0, clock=clock)
    drone.send_control(1.0, 0.0)
    clock.sleep(0.40)
    drone.send_control(0.0, 1.0)
    clock.sleep(0.02)
    arena = ArenaPlot(title="20 ms after asking to turn", interactive=False)
    arena.update_from_drone(drone, text=drone_summary(drone))
    return arena


def figure_02() -> Any:
    """One seeded episode of the finished interface: the true path towards the target."""
    from rtgym_nb.course.lessons.delayed_mdps import fly
    from rtgym_nb.course.viz.arena import ArenaPlot

    flight = fly("proportional", seed=0)
    arena = ArenaPlot(title="the tutorial's controller, one episode", trail_length=10_000,
                      interactive=False)
    arena.update(true=flight["true"][-1], observed=flight["observed"][-1],
                 trail=flight["true"], target=flight["target"])
    return arena


def figure_03() -> Any:
    """The dashboard's arena and reward curve after three seeded episodes (simulated clock)."""
    import matplotlib.pyplot as plt

    from rtgym_nb.course.viz import ControlPanel

    panel = ControlPanel(seed=0)
    try:
        panel.run(episodes=3, block=True, clock="simulated")
        figure = plt.figure(figsize=(9.5, 4.0), dpi=100)
        for index, part in enumerate((panel.arena, panel.reward_curve)):
            part.redraw()
            image = _rgb(part.figure)
            axes = figure.add_subplot(1, 2, index + 1)
            axes.imshow(image)
            axes.set_axis_off()
        figure.tight_layout()
        return figure
    finally:
        panel.close()


def _rgb(figure: Any) -> Any:
    """A matplotlib figure's pixels as an array."""
    import numpy as np
    from PIL import Image

    with io.BytesIO() as buffer:
        figure.savefig(buffer, format="png", dpi=figure.dpi, facecolor="white")
        buffer.seek(0)
        return np.asarray(Image.open(buffer).convert("RGB"))


def figure_04() -> Any:
    """The elastic clock at a mean inference time of one time-step: late steps, timeouts."""
    from rtgym_nb.course.lessons.timing import elastic_run
    from rtgym_nb.course.viz.timing_plots import ElasticityPlot

    plot = ElasticityPlot(0.05, 1.0, steps=80, interactive=False)
    plot.update(elastic_run(0.05), label="inference ≈ 50 ms ± 50%, elasticity 1: ")
    return plot


def figure_05() -> Any:
    """Reset transitions with ``wait_on_done`` and a ``wait()`` that brakes (action -1)."""
    from rtgym_nb.course.lessons.transitions import transition_run
    from rtgym_nb.course.viz.transitions import TransitionTimeline

    return TransitionTimeline(transition_run(wait_on_done=True, wait_action=-1),
                              interactive=False)


def figure_06() -> Any:
    """Success rate and time to target over communication delay x action-buffer length."""
    from rtgym_nb.course.lessons.delayed_mdps import sweep
    from rtgym_nb.course.viz.delays import SweepFigure

    return SweepFigure(sweep(episodes=40, seed=0), interactive=False)


def figure_07() -> Any:
    """Two agents learning side by side at 20-50 ms, with and without the action buffer."""
    from rtgym_nb.course.learn import Task
    from rtgym_nb.course.lessons.learning import train_side_by_side
    from rtgym_nb.course.viz.learning import LearningCurves

    tasks = {"with the buffer (4)": Task(delay=(0.02, 0.05), act_buf_len=4),
             "delay-blind": Task(delay=(0.02, 0.05), act_buf_len=0)}
    curves = LearningCurves(list(tasks), title="learning at 20-50 ms, side by side",
                            interactive=False)
    train_side_by_side(tasks, steps=20_000, seed=0,
                       on_iteration=lambda label, r: curves.update(label, r.steps,
                                                                   r.mean_return))
    return curves


FIGURES: dict[str, Callable[[], Any]] = {
    "01_delayed_drone": figure_01,
    "02_writing_an_interface": figure_02,
    "03_configure_and_run": figure_03,
    "04_timing_and_elasticity": figure_04,
    "05_reset_transitions": figure_05,
    "06_delayed_mdps_classroom": figure_06,
    "07_learning_under_delay": figure_07,
}
"""Notebook name -> function returning its main figure."""


def to_png(figure: Any, dpi: float = 100) -> bytes:
    """A LiveFigure or matplotlib Figure as a 256-colour PNG."""
    from PIL import Image

    mpl_figure = getattr(figure, "figure", figure)
    with io.BytesIO() as buffer:
        mpl_figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    with io.BytesIO() as out:
        image.quantize(colors=256).save(out, format="png", optimize=True)
        return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="prefixes of the figures to render (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--dpi", type=float, default=100)
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, build in FIGURES.items():
            print(f"{name}: {(build.__doc__ or '').strip()}")
        return 0
    chosen = [n for n in FIGURES if not args.names or any(n.startswith(p) for p in args.names)]
    if not chosen:
        parser.error(f"no figure matches {args.names}; known: {', '.join(FIGURES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        data = to_png(FIGURES[name](), args.dpi)
        path = args.out / f"{name}.png"
        path.write_bytes(data)
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
              f"{len(data) / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
