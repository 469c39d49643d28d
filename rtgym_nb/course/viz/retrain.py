"""A panel that retrains two agents on demand: with the action buffer and delay-blind.

Sliders set the drone's delay range, the buffer length and the time-step; *train* starts both
learners (:func:`~rtgym_nb.course.lessons.learning.train_side_by_side`) in a background thread,
their curves growing live in a :class:`~rtgym_nb.course.viz.learning.LearningCurves`; *stop*
ends a run early. The thread never prints: it updates the figure and a status line only, so
nothing lands in whatever cell happens to be active.
"""

from __future__ import annotations

import threading
from typing import Any

from rtgym_nb.course.learn import Task
from rtgym_nb.course.lessons import learning
from rtgym_nb.course.lessons.delayed_mdps import buffer_for
from rtgym_nb.course.viz.learning import LearningCurves

__all__ = ["RetrainPanel"]

LABELS = ("with the buffer", "delay-blind")


class RetrainPanel:
    """Widgets to retrain both agents for another delay, buffer length or time-step.

    Display it as the last expression of a cell. :meth:`train` (``wait=True``) runs on the
    caller's thread, for scripts and tests.
    """

    def __init__(self, *, delay_ms: tuple[int, int] = (20, 50), act_buf_len: int = 4,
                 time_step: float = 0.05, steps: int = learning.NOTEBOOK_STEPS,
                 seed: int = 0, interactive: bool | None = None) -> None:
        import ipywidgets as w

        self.delay = w.IntRangeSlider(value=delay_ms, min=0, max=150, step=5,
                                      description="delay (ms)", continuous_update=False)
        self.buffer = w.IntSlider(value=act_buf_len, min=0, max=12,
                                  description="buffer", continuous_update=False)
        self.time_step = w.FloatSlider(value=time_step, min=0.02, max=0.1, step=0.01,
                                       description="time-step (s)", readout_format=".2f",
                                       continuous_update=False)
        self.rule = w.Button(description="rule of thumb", tooltip="set the buffer to cover "
                             "the worst-case delay")
        self.train_button = w.Button(description="train", button_style="primary")
        self.stop_button = w.Button(description="stop")
        self.status = w.HTML()
        self.steps, self.seed = steps, seed
        self.curves = LearningCurves(LABELS, title="retrained on demand",
                                     interactive=interactive)
        self.results: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rule.on_click(lambda _: self.apply_rule())
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self._stop.set())
        self.box = w.VBox([
            w.HBox([self.delay, self.buffer, self.time_step]),
            w.HBox([self.rule, self.train_button, self.stop_button]),
            self.curves.widget, self.status,
        ])

    def tasks(self) -> dict[str, Task]:
        """The two tasks the sliders describe."""
        lo, hi = self.delay.value
        delay = (lo / 1e3, hi / 1e3)
        return {LABELS[0]: Task(delay, self.buffer.value, self.time_step.value),
                LABELS[1]: Task(delay, 0, self.time_step.value)}

    def apply_rule(self) -> None:
        """Set the buffer to the rule of thumb for the delay and time-step shown."""
        lo, hi = self.delay.value
        self.buffer.value = min(buffer_for((lo / 1e3, hi / 1e3), self.time_step.value),
                                self.buffer.max)

    def train(self, wait: bool = False) -> None:
        """Retrain both agents (in a background thread unless ``wait``)."""
        if self._thread is not None and self._thread.is_alive():
            self.status.value = "still training: press <b>stop</b> first"
            return
        self._stop.clear()
        self.curves.clear()
        self.status.value = "training..."
        if wait:
            self._train()
        else:
            self._thread = threading.Thread(target=self._train, daemon=True)
            self._thread.start()

    def _train(self) -> None:
        try:
            def on_iteration(label: str, record: Any) -> None:
                self.curves.update(label, record.steps, record.mean_return)
                self.curves.redraw()

            learners = learning.train_side_by_side(
                self.tasks(), steps=self.steps, seed=self.seed, on_iteration=on_iteration,
                should_stop=self._stop.is_set)
            self.results = learning.describe(learners)
            self.status.value = "<br>".join(
                result.line(label) for label, result in self.results.items())
        except Exception as error:  # shown, not printed: this may run on a worker thread
            self.status.value = f"<b>failed:</b> {type(error).__name__}: {error}"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
