"""A panel for teaching notebook 06 live: pick a delay range, a buffer length and a controller.

Each change flies one seeded episode (drawn as in section 1 of the notebook) and 20 seeded
episodes (tallied underneath), on the simulated clock: a teacher answers "and with 80 ms?"
without editing code. The runs take a fraction of a second, so they run in the widgets'
callback itself.
"""

from __future__ import annotations

from typing import Any

from rtgym_nb.course.controllers import PredictiveController
from rtgym_nb.course.lessons import delayed_mdps
from rtgym_nb.course.viz.delays import FlightComparison

__all__ = ["CONTROLLERS", "ControllerPanel", "make_controller"]

CONTROLLERS = ("predictive", "proportional, gain 20", "proportional, best gain")


def make_controller(name: str, delay: tuple[float, float]) -> Any:
    """One of :data:`CONTROLLERS`, for drone delays ``delay`` (s).

    "proportional, best gain" is the gain below the delay-stability bound that
    :func:`~rtgym_nb.course.lessons.delayed_mdps.gain_sweep` finds fastest for that delay.
    """
    if name == "predictive":
        return PredictiveController.for_drone(*delay)
    if name == "proportional, gain 20":
        return delayed_mdps.proportional(1.0)
    if name == "proportional, best gain":
        gain = delayed_mdps.gain_sweep([delay], episodes=10).best()[0][0]
        return delayed_mdps.proportional(gain)
    raise ValueError(f"unknown controller {name!r}; expected one of {CONTROLLERS}")


class ControllerPanel:
    """Sliders for the delay range and buffer length, a menu of controllers, and the flight.

    Display it as the last expression of a cell; :meth:`update` redraws for the current
    settings (called on every change).
    """

    def __init__(self, *, delay_ms: tuple[int, int] = (20, 50), act_buf_len: int = 4,
                 controller: str = "predictive", seed: int = 0, episodes: int = 20) -> None:
        import ipywidgets as w

        self.delay = w.IntRangeSlider(value=delay_ms, min=0, max=150, step=5,
                                      description="delay (ms)", continuous_update=False)
        self.buffer = w.IntSlider(value=act_buf_len, min=0, max=8, description="buffer",
                                  continuous_update=False)
        self.controller = w.Dropdown(options=CONTROLLERS, value=controller,
                                     description="controller")
        self.output = w.Output()
        self.summary = w.HTML()
        self.seed, self.episodes = seed, episodes
        for widget in (self.delay, self.buffer, self.controller):
            widget.observe(lambda _: self.update(), names="value")
        self.box = w.VBox([w.HBox([self.delay, self.buffer, self.controller]), self.output,
                           self.summary])
        self.update()

    def settings(self) -> tuple[tuple[float, float], int, Any]:
        """``(delay in s, buffer length, controller)`` as the widgets show them."""
        lo, hi = self.delay.value
        delay = (lo / 1e3, hi / 1e3)
        return delay, self.buffer.value, make_controller(self.controller.value, delay)

    def update(self) -> None:
        """Fly the seeded episode and the tally for the current settings, and show them."""
        delay, length, controller = self.settings()
        flight = delayed_mdps.fly(controller, delay=delay, act_buf_len=length, seed=self.seed)
        stats = delayed_mdps.evaluate(controller, delay=delay, act_buf_len=length,
                                      episodes=self.episodes, seed=self.seed)
        self.figure = FlightComparison({self.controller.value: flight}, interactive=False)
        self.output.clear_output(wait=True)
        with self.output:
            from IPython.display import display

            display(self.figure.widget)
        self.summary.value = (
            f"{self.controller.value}, delay {self.delay.value[0]}-{self.delay.value[1]} ms, "
            f"buffer {length}: reached {stats.success_rate:.0%} of {self.episodes} targets, "
            f"median time {stats.time_to_target:.2f} s")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)
