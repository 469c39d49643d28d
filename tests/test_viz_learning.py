"""Tests of the figures of notebook 07 and of projector mode (Agg, no browser)."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest

from rtgym_nb.course.lessons import learning
from rtgym_nb.course.viz import projector
from rtgym_nb.course.viz.learning import (
    InteractionTimeline,
    LearningCurves,
    SeedSummary,
    ToyLearning,
    WeightsFigure,
    running_mean,
)
from rtgym_nb.course.viz.projector_mode import projector_on
from rtgym_nb.course.viz.retrain import RetrainPanel


def test_projector_scales_and_restores():
    before = mpl.rcParams["font.size"], mpl.rcParams["lines.linewidth"]
    with projector(scale=2.0):
        assert mpl.rcParams["font.size"] == 20.0 and mpl.rcParams["lines.linewidth"] == 3.0
    assert (mpl.rcParams["font.size"], mpl.rcParams["lines.linewidth"]) == before
    projector()
    try:
        assert projector_on() and mpl.rcParams["font.size"] == 16.0
        projector(scale=1.2)  # changing the scale keeps the settings to restore
        assert mpl.rcParams["font.size"] == 12.0
    finally:
        projector(False)
    assert not projector_on() and mpl.rcParams["font.size"] == before[0]
    with pytest.raises(ValueError):
        projector(scale=0)


def test_projector_enlarges_figure_text():
    small = InteractionTimeline(interactive=False)
    with projector():
        large = InteractionTimeline(interactive=False)
    size = [fig.axes[0].title.get_fontsize() for fig in (small, large)]
    assert size[1] == pytest.approx(1.6 * size[0])


def test_running_mean():
    np.testing.assert_allclose(running_mean([1, 3, 5, 7], 2), [1, 2, 4, 6])


def test_learning_curves_follow_updates():
    curves = LearningCurves(["a", "b"], interactive=False)
    for i in range(4):
        curves.update("a", 100 * (i + 1), -30.0 + 5 * i)
    thin, _ = curves._lines["a"]
    assert list(thin.get_xdata()) == [100, 200, 300, 400]
    assert curves.axes.get_xlim()[1] == pytest.approx(408)
    assert curves.axes.get_ylim()[0] < -30
    curves.clear()
    assert len(thin.get_xdata()) == 0
    assert curves.png()[:4] == b"\x89PNG"


def test_static_figures_render():
    toy = learning.toy_lesson(episodes=300)
    for figure in (ToyLearning(toy, interactive=False),
                   WeightsFigure({"x": [0.3, -0.1], "y": [0.7, -0.7, -0.2]}, interactive=False),
                   SeedSummary({"s": {"a": [-1.0, -1.1, -1.2], "b": [-2.0, -2.1, -2.2]}},
                               interactive=False)):
        assert figure.rgb().shape[2] == 3
    labels = [t.get_text() for t in WeightsFigure({"x": [1, 2, 3]},
                                                  interactive=False).axes.get_xticklabels()]
    assert labels == ["e / dt", "a[t-1]", "a[t-2]"]


def test_retrain_panel_trains_both_agents_from_its_sliders():
    panel = RetrainPanel(steps=1500, interactive=False)
    panel.delay.value = (40, 80)
    panel.apply_rule()
    assert panel.buffer.value == 5
    tasks = panel.tasks()
    assert tasks["with the buffer"].act_buf_len == 5 and tasks["delay-blind"].act_buf_len == 0
    assert tasks["delay-blind"].delay == (0.04, 0.08)
    panel.train(wait=True)
    assert set(panel.results) == {"with the buffer", "delay-blind"}
    assert panel.status.value.count("return") == 2
    assert len(panel.curves._lines["delay-blind"][0].get_xdata()) >= 1


def test_projector_enlarges_course_figures():
    from rtgym_nb.course.viz.projector_mode import figure_scale

    assert figure_scale((8.0, 3.0)) == (8.0, 3.0)
    with projector(scale=4.0):
        assert figure_scale((8.0, 3.0)) == (16.0, 6.0)
        width = WeightsFigure({"x": [1.0]}, interactive=False).figure.get_figwidth()
    assert width == 16.0
    assert figure_scale((8.0, 3.0)) == (8.0, 3.0)
