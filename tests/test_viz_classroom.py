"""Tests of notebook 06's panel and figures (ControllerPanel, GainSweepFigure, "P best")."""

from __future__ import annotations

import pytest

from rtgym_nb.course.controllers import PredictiveController
from rtgym_nb.course.lessons import delayed_mdps
from rtgym_nb.course.viz.classroom import ControllerPanel, make_controller
from rtgym_nb.course.viz.delays import SweepFigure
from rtgym_nb.course.viz.stability import GainSweepFigure


def test_make_controller():
    assert isinstance(make_controller("predictive", (0.02, 0.05)), PredictiveController)
    obs = ([0.0], [0.0], [0.01], [0.0])
    assert make_controller("proportional, gain 20", (0.02, 0.05))(obs)[0] == pytest.approx(0.2)
    best = make_controller("proportional, best gain", (0.04, 0.08))
    assert 0 < best(obs)[0] < 0.2 * 0.347  # k below the bound 0.347 for d = 4
    with pytest.raises(ValueError, match="unknown controller"):
        make_controller("bang-bang", (0.0, 0.01))


def test_controller_panel_reflies_on_every_change(capsys):
    panel = ControllerPanel(episodes=4)
    assert "predictive, delay 20-50 ms, buffer 4: reached 100% of 4 targets" in panel.summary.value
    panel.controller.value = "proportional, gain 20"
    assert "proportional, gain 20" in panel.summary.value
    assert "reached 0%" in panel.summary.value or "reached 25%" in panel.summary.value
    panel.delay.value = (0, 10)
    panel.buffer.value = 0
    assert "delay 0-10 ms, buffer 0" in panel.summary.value
    capsys.readouterr()  # the Output widget echoes its content outside a notebook


def test_gain_sweep_figure_and_tuned_sweep_column():
    gains = delayed_mdps.gain_sweep(delays=[(0.0, 0.01), (0.02, 0.05)], gains=(0.2, 0.6),
                                    episodes=3)
    figure = GainSweepFigure(gains, interactive=False)
    assert len(figure.axes[0].lines) == 2 + 2  # a line and a bound per delay
    sweep = delayed_mdps.sweep(delays=gains.delays, buffer_lengths=[0, 2], episodes=3)
    heatmaps = SweepFigure(sweep, tuned=gains.best(), interactive=False)
    labels = [t.get_text() for t in heatmaps.axes[0].get_xticklabels()]
    assert labels == ["P k=1", "P best", "buf 0", "buf 2"]
    rows = [t.get_text() for t in heatmaps.axes[0].get_yticklabels()]
    assert rows[1].startswith("20-50 ms (best k=")
    assert heatmaps.png()[:4] == b"\x89PNG"
