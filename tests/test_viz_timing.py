"""Tests of the timing and transition figures (rtgym_nb.course.viz.timing_plots, .transitions).

Plain Python with the Agg backend: figures are built with ``interactive=False`` and rendered
to PNG; the numbers behind them are checked against traces made on the simulated clock.
"""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from rtgym_nb.course.lessons import delayed_mdps, timing, transitions
from rtgym_nb.course.viz.benchmarks_plot import GoFasterExplorer
from rtgym_nb.course.viz.timing_plots import (
    CaptureExplorer,
    ElasticExplorer,
    ElasticityPlot,
    PeriodHistograms,
    TimelinePlot,
    elasticity,
    periods,
)
from rtgym_nb.course.viz.transitions import TransitionTimeline, action_label

PNG = b"\x89PNG"


def synthetic_trace() -> dict[str, np.ndarray]:
    """Five time-steps of 10 ms; the fourth was opened by reset() after a pause."""
    send = np.array([0.0, 0.010, 0.0201, 0.100, 0.110])
    return {
        "step": np.arange(5),
        "send_start": send,
        "send_end": send + 1e-5,
        "capture_start": send + 0.0099,
        "from_reset": np.array([True, False, False, True, False]),
        "timed_out": np.zeros(5, dtype=bool),
        "nominal_end": np.array([0.01, 0.02, 0.03, 0.11, 0.12]),
    }


def test_periods_leave_out_reset_gaps():
    values = periods(synthetic_trace())
    assert values["control"] == pytest.approx([0.010, 0.0101, 0.010])
    assert values["capture"] == pytest.approx([0.010, 0.0101, 0.010])


def test_periods_skip_an_open_time_step():
    trace = synthetic_trace()
    trace["capture_start"][-1] = np.nan
    assert len(periods(trace)["capture"]) == 2
    assert len(periods(trace)["control"]) == 3


def test_elasticity_numbers_match_the_schedule():
    arrays = timing.elastic_run(0.08, steps=30)
    numbers = elasticity(arrays)
    assert np.isnan(numbers["duration"][0]) and np.isnan(numbers["lateness"][0])
    assert (numbers["timed_out"] == arrays["timed_out"]).all()
    # a timeout happens exactly when the lateness reaches one time-step (the elasticity)
    late = numbers["lateness"][1:] >= 0.05 - 1e-12
    assert (late == numbers["timed_out"][1:]).all()


def test_period_histograms_count_every_period():
    figure = PeriodHistograms(0.01, interactive=False)
    values = figure.update(synthetic_trace())
    assert figure.counts["control"].sum() == len(values["control"]) == 3
    assert "3 periods" in figure.texts["control"].get_text()
    assert figure.png().startswith(PNG)


def test_period_histograms_clip_outliers_into_the_edge_bins():
    trace = synthetic_trace()
    trace["send_start"] = np.array([0.0, 0.010, 0.050, 0.100, 0.110])  # one 40 ms period
    figure = PeriodHistograms(0.01, span=0.001, interactive=False)
    figure.update(trace)
    assert figure.counts["control"][-1] == 1
    assert figure.counts["control"].sum() == 3


def test_period_histograms_follow_a_run_until_it_ends():
    class FakeRun:
        def __init__(self):
            self.polls = 0

        @property
        def running(self):
            self.polls += 1
            return self.polls < 3

        def arrays(self):
            return synthetic_trace()

    figure = PeriodHistograms(0.01, interactive=False)
    run = FakeRun()
    values = figure.follow(run, every=0.0)
    assert run.polls == 3 and len(values["control"]) == 3


def test_period_histograms_leave_their_final_picture_in_the_notebook(monkeypatch):
    """An exported notebook shows the PNG stored with the figure's display, not the widget:
    after follow() it must be the filled histogram, not the empty one it was displayed as."""
    import IPython.display

    class Handle:
        def __init__(self, bundle):
            self.bundle = bundle

        def update(self, bundle, raw=False):
            assert raw
            self.bundle = bundle

    handles = []

    def display(bundle, raw=False, display_id=None):
        assert raw and display_id
        handles.append(Handle(bundle))
        return handles[-1]

    monkeypatch.setattr(IPython.display, "display", display)
    figure = PeriodHistograms(0.01, interactive=False)
    figure._ipython_display_()  # what IPython does with a figure that ends a cell
    empty = handles[0].bundle["image/png"]

    class FinishedRun:
        running = False

        def arrays(self):
            return synthetic_trace()

    figure.follow(FinishedRun(), every=0.0)
    assert len(handles) == 1
    assert "application/vnd.jupyter.widget-view+json" in handles[0].bundle
    assert handles[0].bundle["image/png"] != empty
    assert handles[0].bundle["image/png"] == base64.b64encode(figure.png()).decode("ascii")


def test_elasticity_plot_marks_timeouts():
    arrays = timing.elastic_run(0.07, steps=40)
    plot = ElasticityPlot(0.05, 1.0, steps=40, interactive=False)
    plot.update(arrays, label="test: ")
    timeouts = int(arrays["timeouts"])
    assert timeouts > 0
    assert plot.title.get_text() == f"test: {timeouts} timeouts in 40 time-steps"
    xs, _ = plot.timeout_marks.get_data()
    assert len(xs) == timeouts
    red = [bar for bar in plot.bars if bar.get_facecolor() == matplotlib.colors.to_rgba("tab:red")]
    assert len(red) == timeouts
    assert plot.png().startswith(PNG)


def test_elastic_explorer_reruns_on_slider_changes():
    explorer = ElasticExplorer(0.02, steps=40, interactive=False)
    assert explorer.timeouts == 0
    assert explorer.set(inference_time=0.09) > 10
    many = explorer.timeouts
    explorer.factor_slider.value = 3.0  # as a user dragging the slider would
    assert explorer.timeouts < many
    assert "elasticity 3" in explorer.plot.title.get_text()
    assert explorer.widget.children[-1] is explorer.plot.widget


def test_timeline_draws_the_last_complete_steps():
    arrays = timing.elastic_run(0.03, steps=10)
    plot = TimelinePlot(arrays, count=4, interactive=False)
    labels = [t.get_text() for t in plot.axes.get_yticklabels()]
    assert labels == ["capture", "send_control", "inside step()", "inference"]
    steps = [t.get_text() for t in plot.axes.texts]
    assert steps == ["step 6", "step 7", "step 8", "step 9"]  # step 10 never captured
    plot.draw_trace(arrays, first=1, count=2)
    assert [t.get_text() for t in plot.axes.texts] == ["step 1", "step 2"]
    assert plot.png().startswith(PNG)


def test_transition_timeline_labels_actions():
    assert action_label(3.0) == "a3"
    assert action_label(0.0) == "a0"
    assert action_label(-1.0) == "-1"
    run = transitions.transition_run(reset_act_buf=False, last_act_on_reset=True)
    plot = TransitionTimeline(run, interactive=False)
    texts = [t.get_text() for t in plot.axes.texts]
    assert "reset() → buf [a2, a3]" in texts
    assert "1 timeout" in plot.axes.get_title()
    assert plot.png().startswith(PNG)


def test_delay_figures_render():
    from rtgym_nb.course.viz.delays import FlightComparison, PredictabilityPlot, SweepFigure

    flights = {name: delayed_mdps.fly(name, seed=0) for name in ("proportional", "predictive")}
    assert flights["predictive"]["result"]["outcome"] == "reached"
    assert flights["predictive"]["distance"][-1] < 0.01 < flights["proportional"]["distance"][-1]
    figure = FlightComparison(flights, interactive=False)
    labels = [t.get_text() for t in figure.axes[1].get_legend().get_texts()]
    assert labels[1].startswith("predictive: reached after")
    assert figure.png().startswith(PNG)

    result = delayed_mdps.predictability(episodes=3)
    plot = PredictabilityPlot(result, interactive=False)
    assert len(plot.axes[0].patches) == len(result["r2"])
    assert plot.png().startswith(PNG)

    sweep = delayed_mdps.sweep(delays=[(0.0, 0.01), (0.02, 0.05)], buffer_lengths=[0, 2],
                               episodes=3)
    heatmaps = SweepFigure(sweep, interactive=False)
    assert [t.get_text() for t in heatmaps.axes[0].get_xticklabels()] == ["P", "buf 0", "buf 2"]
    assert heatmaps.png().startswith(PNG)


# ----------------------------------------------------------------------------- notebook 04 extras


def test_benchmark_timeline_draws_each_entry_from_the_trace():
    from rtgym_nb.course.lessons.timing import timed_run
    from rtgym_nb.course.viz.benchmarks_plot import BENCHMARK_INTERVALS, BenchmarkTimeline

    run = timed_run(0.014, time_step=0.05)
    figure = BenchmarkTimeline(run.arrays, run.benchmarks, row=40)
    assert set(figure.values) == set(BENCHMARK_INTERVALS)
    for name, value in figure.values.items():
        assert value == pytest.approx(run.durations[name][40], nan_ok=True)
    assert figure.png().startswith(b"\x89PNG")


def test_go_faster_explorer_trades_join_time_for_timeouts():
    from rtgym_nb.course.viz.benchmarks_plot import GoFasterExplorer

    explorer = GoFasterExplorer(time_step=0.05, interactive=False)
    slow = explorer.result
    fast = explorer.set(0.012)
    assert explorer.slider.value == 12.0
    assert fast.benchmarks["join_duration"][0] < slow.benchmarks["join_duration"][0]
    assert slow.timeouts == 0 < fast.timeouts
    assert "timeouts" in explorer.readout.value
    explorer.widget.close()


def test_capture_explorer_reports_the_delay_and_lateness():
    from rtgym_nb.course.viz.timing_plots import CaptureExplorer

    explorer = CaptureExplorer(capture_time=0.0, interactive=False)
    assert explorer.numbers["delay"] == pytest.approx(0.05)
    numbers = explorer.set(capture_time=0.02)
    assert numbers["delay"] == pytest.approx(0.07) and numbers["late"] == pytest.approx(0.02)
    assert "70 ms" in explorer.readout.value
    explorer.widget.close()


def test_thread_diagram_has_one_lane_per_thread():
    from rtgym_nb.course.lessons.timing import Call
    from rtgym_nb.course.viz.threads_plot import ThreadDiagram

    calls = [Call("__init__", "rtgym_nb-worker", 0.0), Call("reset", "rtgym_nb-worker", 0.001),
             Call("send_control", "MainThread", 0.02)]
    figure = ThreadDiagram({"a": calls, "b": calls[:1]})
    assert figure.lanes == ["MainThread", "rtgym_nb-worker"]
    assert figure.png().startswith(b"\x89PNG")


@pytest.mark.parametrize("make", [
    lambda: ElasticExplorer(0.02, steps=20, interactive=False),
    lambda: CaptureExplorer(interactive=False),
    lambda: GoFasterExplorer(time_step=0.05, interactive=False),
], ids=["elastic", "capture", "go-faster"])
def test_an_explorer_shows_its_widgets_live_and_its_figure_as_a_png(make):
    explorer = make()
    bundle = explorer._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.widget.model_id
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)
