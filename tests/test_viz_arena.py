"""Tests of the live figures (rtgym_nb.course.viz): they render with Agg in plain Python."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from rtgym_nb._clock import SimulatedClock
from rtgym_nb.course.drone import DummyRCDrone
from rtgym_nb.course.viz import AgeHistogram, ArenaPlot, RewardCurve, drone_summary
from rtgym_nb.course.viz.live_figure import ipympl_active, nice_ceiling, use_widget_backend

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def flying_drone():
    clock = SimulatedClock()
    drone = DummyRCDrone(seed=0, clock=clock)
    drone.send_control(1.0, 0.5)
    clock.sleep(0.3)
    drone.send_control(-1.0, 0.0)
    clock.sleep(0.01)  # the second command is still on the wire (20-50 ms)
    return drone, clock


def test_plain_python_is_not_ipympl():
    assert ipympl_active() is False
    assert ArenaPlot().interactive is False


class FakeKernelShell:
    """What use_widget_backend needs of IPython's shell: a kernel, and line magics."""

    kernel = object()

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def test_use_widget_backend_outside_a_kernel_changes_nothing():
    import matplotlib

    before = matplotlib.get_backend()
    assert use_widget_backend() == before


def test_use_widget_backend_picks_ipympl_in_a_kernel(monkeypatch):
    import IPython

    shell = FakeKernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert use_widget_backend() == "widget"
    assert shell.magics == [("matplotlib", "widget")]


def test_use_widget_backend_falls_back_to_inline_without_ipympl(monkeypatch, capsys):
    import importlib.util

    import IPython

    shell = FakeKernelShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipympl" else find_spec(name, *a))
    assert use_widget_backend() == "inline"
    assert shell.magics == [("matplotlib", "inline")]
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "static pictures" in out


def test_use_widget_backend_falls_back_when_ipympl_fails(monkeypatch, capsys):
    import IPython

    class BrokenIpympl(FakeKernelShell):
        def run_line_magic(self, name, line):
            super().run_line_magic(name, line)
            if line == "widget":
                raise KeyError("module://ipympl.backend_nbagg")

    shell = BrokenIpympl()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert use_widget_backend() == "inline"
    assert shell.magics == [("matplotlib", "widget"), ("matplotlib", "inline")]
    assert "static pictures" in capsys.readouterr().out


def test_arena_shows_the_drone_its_trail_and_the_messages_in_flight(flying_drone):
    drone, _ = flying_drone
    arena = ArenaPlot(trail_length=50)
    arena.update_from_drone(drone, target=(0.3, -0.2), text=drone_summary(drone))
    xs, ys = arena.true_dot.get_data()
    assert (xs[0], ys[0]) == drone.true_position()
    xs, ys = arena.observed_dot.get_data()
    assert (xs[0], ys[0]) == drone.get_observation()
    assert len(arena.trail_line.get_xdata()) == 32  # ticks 0..31 so far (fewer than 50)
    in_flight = drone.in_flight()
    assert len(in_flight.commands) == 1
    assert arena.command_arrows.N == 1
    assert len(arena.in_flight_observations.get_xdata()) == len(in_flight.observations) > 0
    assert "on the wire: 1 command(s)" in arena.text.get_text()
    image = arena.rgb()
    assert image.shape == (320, 320, 3) and image.dtype == np.uint8
    assert image.std() > 0  # not a blank picture


def test_updates_are_blitted_and_match_a_full_render(flying_drone):
    drone, clock = flying_drone
    arena = ArenaPlot()
    arena.update_from_drone(drone, target=(0.3, -0.2))
    first = arena.rgb()
    assert arena.full_draws == 1
    clock.sleep(0.2)
    arena.update_from_drone(drone, target=(0.3, -0.2))
    blitted = arena.rgb()
    assert arena.full_draws == 1  # only the moving artists were redrawn
    assert not np.array_equal(first, blitted)  # ... and they did move
    arena.invalidate()
    assert np.array_equal(arena.rgb(), blitted)  # a full render gives the same picture
    assert arena.full_draws == 2


def test_in_flight_none_clears_the_messages(flying_drone):
    drone, _ = flying_drone
    arena = ArenaPlot()
    arena.update_from_drone(drone)
    arena.update(in_flight=None)
    assert arena.command_arrows.N == 0
    assert len(arena.in_flight_observations.get_xdata()) == 0
    arena.rgb()


def test_static_widget_is_a_png_image_refreshed_by_redraw(flying_drone):
    drone, _ = flying_drone
    arena = ArenaPlot()
    image = arena.widget
    assert type(image).__name__ == "Image" and bytes(image.value).startswith(PNG_MAGIC)
    before = image.value
    arena.update_from_drone(drone, target=(0.4, 0.4))
    arena.redraw()
    assert image.value != before
    bundle = arena._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    arena.close()


def test_interactive_canvas_builds_and_blits_without_a_frontend():
    arena = ArenaPlot(interactive=True)
    assert type(arena.widget).__name__ == "LockedCanvas"
    arena.update(true=(0.5, 0.5), observed=(0.4, 0.5), target=(0.0, 0.0))
    arena.redraw()
    arena.redraw()
    assert arena.full_draws == 1
    # no browser view yet: the picture it will start from is a valid data URL
    assert arena.widget._data_url.startswith("data:image/png;base64,")
    bundle = arena._repr_mimebundle_()
    assert "image/png" in bundle  # exported notebooks keep a picture
    arena.close()


def test_reward_curve_widens_in_coarse_steps():
    curve = RewardCurve(ep_max_length=100)
    curve.update([-0.1, -0.2, -0.3])
    curve.rgb()
    assert curve.axes.get_ylim()[0] == -0.5 and curve.full_draws == 1
    curve.update([-0.1, -0.2, -0.3, -0.2])
    curve.rgb()
    assert curve.full_draws == 1  # still fits: a blit
    curve.update(np.linspace(-0.1, -0.7, 150), previous=[-0.3] * 20)
    assert curve.axes.get_ylim()[0] == -1.0
    assert curve.axes.get_xlim()[1] == 200
    curve.update([-0.1], title="episode 2")
    curve.rgb()
    assert curve.full_draws == 2
    assert curve.axes.get_title() == "episode 2"
    assert len(curve.previous_line.get_xdata()) == 20  # kept when previous is None
    curve.reset()
    assert len(curve.current_line.get_xdata()) == 0


def test_age_histogram_counts_fractions_and_ignores_infinite_ages():
    histogram = AgeHistogram(bounds=(0.02, 0.06))
    ages = [0.021, 0.021, 0.035, 0.059, np.inf]
    histogram.update(ages)
    fractions = histogram.steps.get_data().values
    assert fractions.sum() == pytest.approx(1.0)
    assert fractions.max() == pytest.approx(0.5)
    assert histogram.axes.get_ylim()[1] == 1.0  # 0.5 * 1.1, rounded up coarsely
    assert [line.get_xdata()[0] for line in histogram.bound_lines] == pytest.approx([20, 60])
    assert "4 reads" in histogram.text.get_text()
    histogram.update([])
    assert histogram.text.get_text() == "no reads yet"
    assert histogram.rgb().shape[2] == 3


def test_age_histogram_range_follows_longer_delays():
    histogram = AgeHistogram()
    assert histogram.axes.get_xlim() == (0.0, 100.0)
    histogram.set_range(0.21)
    assert histogram.axes.get_xlim() == (0.0, 500.0)
    histogram.update([0.15, 0.2, 0.2])
    assert histogram.steps.get_data().values.sum() == pytest.approx(1.0)
    histogram.rgb()


def test_nice_ceiling():
    assert [nice_ceiling(x) for x in (0.01, 0.06, 0.3, 0.7, 1.3, 2.4, 12)] == pytest.approx(
        [0.05, 0.1, 0.5, 1.0, 2.0, 2.5, 20.0])
    assert nice_ceiling(120, (1, 2, 5)) == 200


def test_drone_summary_before_any_observation():
    drone = DummyRCDrone(seed=0, clock=SimulatedClock())
    assert "none received yet" in drone_summary(drone)


def test_drone_history_asking_for_more_ticks_than_kept():
    # the arena asks for its trail length, often more ticks than the drone has flown yet
    clock = SimulatedClock()
    drone = DummyRCDrone(seed=0, clock=clock)
    clock.sleep(0.3)
    assert len(drone.history(last=1000).times) == len(drone.history().times) == 31
