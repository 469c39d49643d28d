"""Fly the dummy drone by hand, on the wall clock, and watch its delays (notebook 01).

CSS classes (stable, for browser tests): the pad ``rtgym-pad``; its buttons ``rtgym-pad-start``
and ``rtgym-pad-stop``; the status label ``rtgym-pad-status``; the figure boxes ``rtgym-arena``
and ``rtgym-age``.
"""

from __future__ import annotations

import threading
from collections import deque

import ipywidgets as widgets
import numpy as np

from rtgym_nb._clock import WallClock
from rtgym_nb.course.drone import DummyRCDrone
from rtgym_nb.course.tutorial import SUCCESS_RADIUS, TARGET_RANGE
from rtgym_nb.course.viz._loops import LoopHost, classed, stop_all, wrapping
from rtgym_nb.course.viz.age_histogram import AgeHistogram
from rtgym_nb.course.viz.arena import ArenaPlot, drone_summary

__all__ = ["DronePad"]


class DronePad(LoopHost, widgets.VBox):
    """Fly the dummy drone by hand, on the wall clock, and watch its delays.

    A loop thread sends the velocity set by the sliders (or the arrow buttons) every
    ``1 / rate`` seconds, like the README's experiment, and samples the age of the observation
    it holds. A drawing thread shows the arena (true and observed position, trail, target,
    messages in flight) and the histogram of observation ages.

    Changing the delay range rebuilds the drone with the new delays (a fresh drone at the
    origin): the drone's delays are fixed at construction, and a new drone keeps the lesson
    simple -- every message of the new drone follows the new range.

    Args:
        rate: Commands per second.
        plot_hz: Display refreshes per second.
        delays: ``(min, max)`` communication delay in seconds.
        seed: Seeds the drones and targets (None: not reproducible).
        live_plot: Draw while flying (False: only when stopped).

    Attributes:
        drone: The current :class:`~rtgym_nb.course.drone.DummyRCDrone`.
        target: The target to reach, as a (2,) array.
        ages: Observation ages sampled since the drone was built (seconds, newest last).
    """

    _loop_thread_name = "rtgym_nb-pad-loop"
    _draw_thread_name = "rtgym_nb-pad-draw"
    _figures = ("arena", "age_plot")
    STEP = 0.5
    """How much an arrow button changes the velocity (m/s)."""

    def __init__(self, *, rate: float = 20.0, plot_hz: float = 6.0,
                 delays: tuple[float, float] = (0.02, 0.05), seed: int | None = None,
                 live_plot: bool = True) -> None:
        if not rate > 0 or not plot_hz > 0:
            raise ValueError(f"rate and plot_hz must be > 0, got {rate!r}, {plot_hz!r}")
        self.rate = float(rate)
        self.plot_hz = float(plot_hz)
        self.live_plot = bool(live_plot)
        self.clock = WallClock()
        self._rng = np.random.default_rng(seed)
        self._delays = (float(delays[0]), float(delays[1]))
        self._pending_delays: tuple[float, float] | None = None
        self._syncing_slider = False
        self._velocity = (0.0, 0.0)
        self._stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._state_lock = threading.Lock()
        self.ages: deque[float] = deque(maxlen=20_000)
        self.commands_sent = 0
        self.target = np.zeros(2)
        self.drone = self._new_drone()
        self._new_target()
        self._build_widgets()
        super().__init__(children=self._layout())
        self.add_class("rtgym-pad")
        self._register()
        self._refresh(final=True)

    # -- state changed from widgets (main thread) -------------------------------------------

    def _new_drone(self) -> DummyRCDrone:
        low, high = self._delays
        with self._state_lock:
            self.ages.clear()
        return DummyRCDrone(communication_delay_min=low, communication_delay_max=high,
                            clock=self.clock, seed=int(self._rng.integers(2**63)))

    def _new_target(self) -> None:
        self.target = self._rng.uniform(-TARGET_RANGE, TARGET_RANGE, size=2)

    def set_velocity(self, vel_x: float, vel_y: float) -> None:
        """Set the velocity the loop sends (the sliders follow)."""
        self.controls["vel_x"].value = float(np.clip(vel_x, -2.0, 2.0))
        self.controls["vel_y"].value = float(np.clip(vel_y, -2.0, 2.0))
        self._velocity = (self.controls["vel_x"].value, self.controls["vel_y"].value)

    def set_delays(self, low: float, high: float) -> None:
        """Change the delay range (seconds); the loop rebuilds the drone at its next period."""
        if not 0 <= low <= high:
            raise ValueError(f"need 0 <= low <= high, got {low!r}, {high!r}")
        self._pending_delays = (float(low), float(high))
        slider = self.controls["delays"]
        if not self._syncing_slider and tuple(slider.value) != (low * 1e3, high * 1e3):
            self._syncing_slider = True  # the slider follows, without calling us back
            try:
                slider.value = (low * 1e3, high * 1e3)
            finally:
                self._syncing_slider = False
        if not self.running:
            self._apply_delays()
            self._refresh(final=True)

    def _apply_delays(self) -> None:
        pending = self._pending_delays
        if pending is None:
            return
        self._pending_delays = None
        self._delays = pending
        self.drone = self._new_drone()
        longest = pending[1] + self.drone.control_sleep
        self.age_plot.set_range(longest)
        self.age_plot.set_bounds(pending[0], longest)

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        style = {"description_width": "90px"}
        c = self.controls = {}
        for axis in ("vel_x", "vel_y"):
            c[axis] = widgets.FloatSlider(value=0.0, min=-2.0, max=2.0, step=0.1,
                                          description=f"{axis} (m/s)", style=style)
            c[axis].observe(lambda change: self._sync_velocity(), names="value")
        low, high = self._delays
        c["delays"] = widgets.FloatRangeSlider(value=(low * 1e3, high * 1e3), min=0.0,
                                               max=200.0, step=5.0, description="delays (ms)",
                                               style=style, continuous_update=False,
                                               readout_format=".0f")
        c["delays"].observe(self._on_delay_slider, names="value")

        def arrow(icon: str, dx: float, dy: float) -> widgets.Button:
            button = widgets.Button(icon=icon, tooltip=f"velocity {dx:+g}, {dy:+g}",
                                    layout=widgets.Layout(width="42px"))
            button.on_click(lambda _: self.set_velocity(
                self._velocity[0] + dx, self._velocity[1] + dy))
            return button

        s = self.STEP
        halt = widgets.Button(icon="stop", tooltip="hover (velocity 0)",
                              layout=widgets.Layout(width="42px"))
        halt.on_click(lambda _: self.set_velocity(0.0, 0.0))
        blank = widgets.Box(layout=widgets.Layout(width="42px"))
        self.arrows = widgets.GridBox(
            [blank, arrow("arrow-up", 0, s), widgets.Box(layout=widgets.Layout(width="42px")),
             arrow("arrow-left", -s, 0), halt, arrow("arrow-right", s, 0),
             widgets.Box(layout=widgets.Layout(width="42px")), arrow("arrow-down", 0, -s),
             widgets.Box(layout=widgets.Layout(width="42px"))],
            layout=widgets.Layout(grid_template_columns="repeat(3, 46px)"))
        self.start_button = classed(widgets.Button(description="Start", icon="play",
                                                    button_style="success"), "rtgym-pad-start")
        self.stop_button = classed(widgets.Button(description="Stop", icon="stop",
                                                   button_style="danger", disabled=True),
                                    "rtgym-pad-stop")
        self.target_button = widgets.Button(description="new target", icon="star")
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.target_button.on_click(lambda _: self._clicked_target())
        self.status = classed(widgets.Label(value="stopped"), "rtgym-pad-status")
        self.wire = widgets.Label(value="")
        self.arena = ArenaPlot(title="fly to the star")
        longest = self._delays[1] + self.drone.control_sleep
        self.age_plot = AgeHistogram(bounds=(self._delays[0], longest))
        self.age_plot.set_range(longest)

    def _layout(self) -> list:
        c = self.controls
        left = widgets.VBox([
            widgets.HBox([self.start_button, self.stop_button, self.target_button]),
            c["vel_x"], c["vel_y"], self.arrows, c["delays"], self.status, self.wire,
            classed(widgets.Box([self.age_plot.widget]), "rtgym-age"),
        ])
        arena = classed(widgets.Box([self.arena.widget]), "rtgym-arena")
        return [widgets.HBox([left, arena], layout=wrapping())]

    def _on_delay_slider(self, change: dict) -> None:
        if not self._syncing_slider:
            self.set_delays(change["new"][0] * 1e-3, change["new"][1] * 1e-3)

    def _sync_velocity(self) -> None:
        self._velocity = (self.controls["vel_x"].value, self.controls["vel_y"].value)

    def _clicked_target(self) -> None:
        self._new_target()
        if not self.running:
            self._refresh(final=True)

    # -- public API -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        """Start flying (in the background); any other loop is stopped first."""
        if self.running:
            return
        stop_all(besides=self)
        self._stop_event = threading.Event()
        self.start_button.disabled = True
        self.stop_button.disabled = False
        self._threads = self._start_threads(self._loop, self._draw_loop, self._stop_event)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop flying; returns once both threads have ended. The drone keeps its last command."""
        if not hasattr(self, "_threads"):  # a failed __init__ (Widget.__del__ calls close)
            return
        self._stop_event.set()
        self._join(self._threads, timeout)
        if threading.current_thread() not in self._threads:
            self.start_button.disabled = False
            self.stop_button.disabled = True

    # -- threads ----------------------------------------------------------------------------

    def _loop(self, stop_event: threading.Event) -> None:
        period = 1.0 / self.rate
        deadline = self.clock.now()
        try:
            while not stop_event.is_set():
                self._apply_delays()
                drone = self.drone
                drone.send_control(*self._velocity)
                self.commands_sent += 1
                age = drone.observation_age()
                with self._state_lock:
                    self.ages.append(age)
                deadline += period
                if stop_event.wait(max(0.0, deadline - self.clock.now())):
                    break
        except Exception as exc:  # never print from a worker: show it
            self.status.value = f"error: {type(exc).__name__}: {exc}"
            stop_event.set()

    def _draw_loop(self, stop_event: threading.Event) -> None:
        period = 1.0 / self.plot_hz
        while not stop_event.wait(period):
            if self.live_plot:
                self._refresh(final=False)
        self._refresh(final=True)
        self.start_button.disabled = False
        self.stop_button.disabled = True

    def _refresh(self, final: bool) -> None:
        try:
            drone = self.drone
            x, y = drone.true_position()
            distance = float(np.hypot(x - self.target[0], y - self.target[1]))
            reached = " — reached!" if distance < 10 * SUCCESS_RADIUS else ""
            state = "flying" if self.running and not final else "stopped"
            self.status.value = (f"{state} · {self.commands_sent} commands sent · "
                                 f"true distance to the star {distance:.3f} m{reached}")
            self.wire.value = drone_summary(drone).replace("\n", " · ")
            self.arena.update_from_drone(drone, target=self.target)
            with self._state_lock:
                ages = list(self.ages)
            self.age_plot.update(ages)
            self.arena.redraw()
            self.age_plot.redraw()
        except Exception as exc:  # pragma: no cover - display problems must not kill a loop
            self.status.value = f"display error: {type(exc).__name__}: {exc}"
