"""The dashboard: configure the tutorial's drone environment, run it, watch it (notebook 03).

The loop and drawing threads follow the rules of :mod:`~rtgym_nb.course.viz._loops`: the Run
button starts a background thread, widget callbacks only record values, nothing prints, Stop
joins. :func:`~rtgym_nb.course.lessons.dashboard.measure_live_plot_cost`
measures what drawing while running costs the loop.

CSS classes (stable, for browser tests): the panel ``rtgym-panel``; its buttons ``rtgym-run``
and ``rtgym-stop``; the time-step slider ``rtgym-time-step`` (milliseconds); the controller menu
``rtgym-controller``; the ``rtgym-act-buf-len`` and ``rtgym-delays`` (milliseconds) sliders; the
``rtgym-clock`` toggle, ``rtgym-episodes`` box and ``rtgym-pace`` checkbox; the status label
``rtgym-status``; the readouts ``rtgym-buffer-cover`` and ``rtgym-time-to-target``; the figure
boxes ``rtgym-arena`` and ``rtgym-reward``; the benchmarks table ``rtgym-benchmarks``; the
error box ``rtgym-message``.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import gymnasium
import ipywidgets as widgets
import numpy as np

import rtgym_nb  # noqa: F401  (registers the environment ids)
from rtgym_nb.course.controllers import CONTROLLERS
from rtgym_nb.course.tutorial import episode_steps
from rtgym_nb.course.viz import panel_settings
from rtgym_nb.course.viz._loops import LoopHost, classed, stop_all, wrapping
from rtgym_nb.course.viz.arena import ArenaPlot
from rtgym_nb.course.viz.panel_settings import READOUT_SETTINGS, SETTINGS
from rtgym_nb.course.viz.reward_curve import RewardCurve
from rtgym_nb.course.viz.run_results import (
    RunResults,
    RunState,
    benchmarks_html,
    buffer_cover,
    time_to_target_text,
)

__all__ = [
    "SETTINGS",
    "ControlPanel",
    "RunResults",
]

NEXT_RUN = " ⟳ next Run"
"""Marks, on a control, a setting that a running loop does not pick up."""


class ControlPanel(LoopHost, widgets.VBox):
    """The dashboard: configure the tutorial's drone environment, run it, watch it.

    The environment is the tutorial's (:class:`~rtgym_nb.course.tutorial.DroneInterface`) driven by
    :func:`~rtgym_nb.course.tutorial.proportional_controller`. Settings marked *live* in the panel
    (time-step, capture, elasticity, episode length, gain, inference time) reach a running loop
    from its next time-step, through the environment's setters; the others (action buffer,
    clock, environment id) apply at the next Run.

    The panel is an ``ipywidgets.VBox``: display it, or put it in another box.

    Args:
        config: Optional configuration dict (e.g. from
            :func:`~rtgym_nb.course.tutorial.tutorial_config`)
            whose values initialise the controls; its interface must be ``DroneInterface`` (or
            a subclass), and its ``interface_kwargs`` are kept.
        plot_hz: How often the drawing thread refreshes the status, table and figures.
        **defaults: Initial values of any of
            :data:`~rtgym_nb.course.viz.panel_settings.SETTINGS` (they win over ``config``).

    Attributes:
        controls: The input widgets, by setting name.
        results: The :class:`RunResults` of the latest run (None before the first).
    """

    _loop_thread_name = "rtgym_nb-panel-loop"
    _draw_thread_name = "rtgym_nb-panel-draw"
    _figures = ("arena", "reward_curve")

    def __init__(self, config: dict | None = None, *, plot_hz: float = 4.0,
                 **defaults: Any) -> None:
        settings = dict(SETTINGS)
        self._interface_kwargs: dict = {}
        if config is not None:
            given, self._interface_kwargs = panel_settings.from_config(config)
            settings.update(given)
        panel_settings.reject_unknown(defaults)
        settings.update(defaults)
        if not plot_hz > 0:
            raise ValueError(f"plot_hz must be > 0, got {plot_hz!r}")
        self.plot_hz = float(plot_hz)
        self._settings = panel_settings.checked(settings)
        self._run: RunState | None = None
        self._build_widgets()
        super().__init__(children=self._layout())
        self.add_class("rtgym-panel")
        self._register()
        self._show_idle()

    # -- settings (kept and checked by :mod:`~rtgym_nb.course.viz.panel_settings`) ------------

    def settings(self) -> dict:
        """The current value of every setting (as the controls show them)."""
        return panel_settings.current(self._settings)

    def _run_settings(self, run: RunState) -> dict:
        return panel_settings.for_run(self._settings, run.overrides)

    def _on_change(self, key: str, scale: float = 1.0) -> Any:
        def record(change: dict) -> None:  # widget callbacks only record the new value
            value = change["new"]
            if scale != 1.0:
                value = (tuple(v * scale for v in value) if isinstance(value, tuple)
                         else value * scale)
            self._settings[key] = value
            if key in READOUT_SETTINGS:
                self._show_buffer_cover()
        return record

    # -- widgets ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        s = self._settings
        style = {"description_width": "150px"}
        wide = widgets.Layout(width="380px")

        def slider(cls: Any, key: str, description: str, value: Any, scale: float = 1.0,
                   **kwargs: Any) -> Any:
            widget = cls(value=value, description=description, style=style, layout=wide,
                         continuous_update=False, **kwargs)
            widget.observe(self._on_change(key, scale), names="value")
            return widget

        c = self.controls = {}
        c["time_step_duration"] = classed(slider(
            widgets.FloatSlider, "time_step_duration", "time-step (ms)",
            s["time_step_duration"] * 1e3, 1e-3, min=5.0, max=200.0, step=5.0,
            readout_format=".0f"), "rtgym-time-step")
        c["start_obs_capture"] = slider(
            widgets.FloatSlider, "capture_fraction", "capture (× time-step)",
            s["capture_fraction"], min=0.0, max=1.0, step=0.05, readout_format=".2f")
        c["time_step_timeout_factor"] = slider(
            widgets.FloatSlider, "time_step_timeout_factor", "elasticity (time-steps)",
            s["time_step_timeout_factor"], min=0.1, max=3.0, step=0.1, readout_format=".1f")
        c["ep_max_length"] = slider(
            widgets.IntSlider, "ep_max_length", "ep_max_length", int(s["ep_max_length"]),
            min=10, max=1000, step=10)
        c["controller"] = classed(widgets.Dropdown(
            options=list(CONTROLLERS), value=s["controller"], description="controller",
            style=style, layout=wide), "rtgym-controller")
        c["controller"].observe(self._on_change("controller"), names="value")
        c["gain"] = slider(widgets.FloatSlider, "gain", "gain (proportional)", s["gain"],
                           min=0.0, max=40.0, step=1.0, readout_format=".0f")
        c["inference_time"] = slider(
            widgets.FloatSlider, "inference_time", "inference time (ms)",
            s["inference_time"] * 1e3, 1e-3, min=0.0, max=150.0, step=5.0, readout_format=".0f")
        c["act_buf_len"] = classed(slider(
            widgets.IntSlider, "act_buf_len", f"act_buf_len{NEXT_RUN}", s["act_buf_len"],
            min=0, max=10), "rtgym-act-buf-len")
        low, high = s["delays"]
        c["delays"] = classed(slider(
            widgets.FloatRangeSlider, "delays", f"drone delays (ms){NEXT_RUN}",
            (low * 1e3, high * 1e3), 1e-3, min=0.0, max=200.0, step=5.0,
            readout_format=".0f"), "rtgym-delays")
        c["reset_act_buf"] = widgets.Checkbox(value=s["reset_act_buf"],
                                              description=f"reset_act_buf{NEXT_RUN}",
                                              indent=False)
        c["reset_act_buf"].observe(self._on_change("reset_act_buf"), names="value")
        c["clock"] = classed(widgets.ToggleButtons(
            options=["wall", "simulated"], value=s["clock"], description=f"clock{NEXT_RUN}",
            style={"button_width": "90px", "description_width": "initial"}), "rtgym-clock")
        c["clock"].observe(self._on_change("clock"), names="value")
        c["env_id"] = widgets.Dropdown(options=["real-time-gym-v1", "real-time-gym-ts-v1"],
                                       value=s["env_id"],
                                       description=f"environment{NEXT_RUN}",
                                       style=style, layout=wide)
        c["env_id"].observe(self._on_change("env_id"), names="value")
        c["episodes"] = classed(widgets.BoundedIntText(
            value=s["episodes"], min=0, max=100_000, description="episodes (0: ∞)",
            style={"description_width": "100px"}, layout=widgets.Layout(width="190px")),
            "rtgym-episodes")
        c["episodes"].observe(self._on_change("episodes"), names="value")
        c["pace"] = classed(widgets.Checkbox(value=s["pace"], description="pace simulated runs",
                                             indent=False), "rtgym-pace")
        c["pace"].observe(self._on_change("pace"), names="value")
        c["live_plot"] = widgets.Checkbox(value=s["live_plot"], description="live plot",
                                          indent=False)
        c["live_plot"].observe(self._on_change("live_plot"), names="value")

        self.run_button = classed(widgets.Button(description="Run", button_style="success",
                                                  icon="play"), "rtgym-run")
        self.stop_button = classed(widgets.Button(description="Stop", button_style="danger",
                                                   icon="stop", disabled=True), "rtgym-stop")
        self.run_button.on_click(lambda _: self._clicked_run())
        self.stop_button.on_click(lambda _: self.stop())
        self.status = classed(widgets.Label(value="idle"), "rtgym-status")
        self.message = classed(widgets.HTML(value=""), "rtgym-message")
        self.benchmarks = classed(widgets.HTML(value=""), "rtgym-benchmarks")
        self.buffer_cover = classed(widgets.HTML(value=""), "rtgym-buffer-cover")
        self.time_to_target = classed(widgets.Label(value=""), "rtgym-time-to-target")

        self.arena = ArenaPlot(title="arena (true, observed, target)")
        self.reward_curve = RewardCurve(ep_max_length=int(s["ep_max_length"]),
                                        figsize=(4.0, 2.4))
        self.arena_box = classed(widgets.Box([self.arena.widget]), "rtgym-arena")
        self.reward_box = classed(widgets.Box([self.reward_curve.widget]), "rtgym-reward")

    def _layout(self) -> list:
        c = self.controls
        heading = widgets.HTML
        live = widgets.VBox([
            heading("<b>live</b> <i>(a running loop picks these up)</i>"),
            c["time_step_duration"], c["start_obs_capture"], c["time_step_timeout_factor"],
            c["ep_max_length"], c["controller"], c["gain"], c["inference_time"],
        ])
        at_run = widgets.VBox([
            heading(f"<b>at the next Run</b> <i>(marked{NEXT_RUN})</i>"),
            c["act_buf_len"], c["delays"], self.buffer_cover, c["reset_act_buf"], c["clock"],
            c["env_id"],
        ])
        buttons = widgets.HBox([self.run_button, self.stop_button, c["episodes"]])
        options = widgets.HBox([c["live_plot"], c["pace"]])
        controls = widgets.VBox([live, at_run, buttons, options, self.status,
                                 self.time_to_target, self.message],
                                layout=widgets.Layout(min_width="400px"))
        figures = widgets.VBox([self.arena_box, self.reward_box])
        return [widgets.HBox([controls, figures], layout=wrapping()), self.benchmarks]

    # -- public API -------------------------------------------------------------------------

    @property
    def results(self) -> RunResults | None:
        return None if self._run is None else self._run.results

    @property
    def running(self) -> bool:
        """A loop is running (started and not yet ended)."""
        run = self._run
        return run is not None and not run.done.is_set()

    def run(self, episodes: int | None = None, block: bool = False,
            **overrides: Any) -> RunResults:
        """Start a run: build the environment, fly episodes, close the environment.

        Any other loop (of this or another panel or pad) is stopped first.

        Args:
            episodes: How many episodes; None takes the panel's "episodes" control (0 there:
                until :meth:`stop`).
            block: False (the Run button): run in a background thread and return at once.
                True: run in the calling thread and return when done (for scripts, tests and
                nbval); the display is refreshed once at the end and an error is re-raised.
            **overrides: Settings for this run only (any of
                :data:`~rtgym_nb.course.viz.panel_settings.SETTINGS`); the controls keep their
                values.

        Returns:
            The run's :class:`RunResults` (filled in live for a background run).
        """
        panel_settings.reject_unknown(overrides)
        limit = self._settings["episodes"] if episodes is None else episodes
        if not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"episodes must be an integer >= 0, got {limit!r}")
        if block and limit == 0:
            raise ValueError("a blocking run needs a number of episodes (episodes >= 1)")
        stop_all()
        self.stop()
        run = RunState(self.settings(), overrides, int(limit))
        run.results.settings = self._run_settings(run)
        self._run = run
        self.message.value = ""
        self.reward_curve.reset()
        self._set_buttons(running=True)
        if block:
            try:
                self._loop(run)
            finally:
                self._refresh(run, final=True)
                self._set_buttons(running=False)
            if run.results.error is not None:
                raise run.results.error
            return run.results
        run.threads = self._start_threads(self._loop, self._draw_loop, run)
        return run.results

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the running loop, if any, and return once it has ended.

        The loop ends within one time-step (plus the modelled inference time), the
        environment is closed, and the loop and drawing threads are joined.
        """
        run = getattr(self, "_run", None)  # (also called by Widget.__del__ after a failed init)
        if run is None:
            return
        run.stop_event.set()
        if not self._join(run.threads, timeout):  # pragma: no cover - a hung interface
            self.message.value = (
                "<span style='color:#b00'>the loop did not stop within "
                f"{timeout:g} s (is the interface stuck?)</span>")
            return
        if threading.current_thread() not in run.threads:
            self._set_buttons(running=False)

    # -- the loop (background thread, or the caller's with block=True) ----------------------

    def _control_sleep(self) -> float:
        return panel_settings.control_sleep(self._interface_kwargs)

    def _policy(self, run: RunState) -> Any:
        """The chosen controller's policy, built again when a setting it reads changes."""
        live = self._run_settings(run)
        key = (live["controller"], live["gain"], live["time_step_duration"])
        if run.policy_key != key:
            factory = CONTROLLERS[live["controller"]]
            run.policy = factory({**live, "control_sleep": self._control_sleep()})
            run.policy_key = key
        return run.policy

    def _loop(self, run: RunState) -> None:
        """Fly episodes until done or stopped. Never prints: everything goes to ``results``."""
        results = run.results
        env = None
        wall_start = time.perf_counter()
        sim_start = None
        try:
            s = results.settings
            config = panel_settings.env_config(s, self._interface_kwargs)
            env = gymnasium.make(s["env_id"], config=config, disable_env_checker=True)
            raw = env.unwrapped
            raw.warn_on_timeout = False  # counted in results.timeouts instead
            run.env = raw
            clock = raw.clock
            sim_start = clock.now()
            paced = clock.simulated and threading.current_thread() in run.threads
            applied = self._apply_live(raw, self._run_settings(run), ())

            def policy(obs: Any) -> Any:
                return self._policy(run)(obs)

            def inference_time() -> float:
                return float(self._run_settings(run)["inference_time"])

            while not run.stop_event.is_set() and (run.limit == 0
                                                   or len(results.episodes) < run.limit):
                episode = len(results.episodes)
                timeouts_before = raw.timeouts
                with run.lock:
                    if run.rewards:
                        run.previous = run.rewards
                    run.rewards = []
                    results.episode = episode
                progress = None
                episode_start = clock.now()
                for progress in episode_steps(env, policy, inference_time=inference_time,
                                              seed=s["seed"] if episode == 0 else None):
                    with run.lock:
                        run.rewards.append(progress.reward)
                        results.steps += 1
                        results.timeouts = raw.timeouts
                    live = self._run_settings(run)
                    applied = self._apply_live(raw, live, applied)
                    if paced and live["pace"]:
                        ahead = (clock.now() - sim_start) - (time.perf_counter() - wall_start)
                        if ahead > 0:
                            run.stop_event.wait(ahead)
                    if run.stop_event.is_set():
                        break
                if progress is not None and progress.done:
                    with run.lock:
                        results.episodes.append({**progress.summary(),
                                                 "time": clock.now() - episode_start,
                                                 "timeouts": raw.timeouts - timeouts_before})
            results.stopped = run.stop_event.is_set()
        except BaseException as exc:  # shown in the panel, re-raised by a blocking run
            results.error = exc
        finally:
            if env is not None:
                raw = env.unwrapped
                try:
                    results.timeouts = raw.timeouts
                    results.benchmarks = raw.benchmarks()
                    results.trace = raw.trace.arrays()
                    if sim_start is not None:
                        results.sim_time = raw.clock.now() - sim_start
                finally:
                    env.close()
            results.wall_time = time.perf_counter() - wall_start
            results.running = False
            run.done.set()

    @staticmethod
    def _apply_live(raw: Any, s: dict, applied: tuple) -> tuple:
        """Hand changed live settings to the environment (they apply from the next step)."""
        wanted = (s["time_step_duration"], s["start_obs_capture"],
                  s["time_step_timeout_factor"], int(s["ep_max_length"]))
        if wanted != applied:
            dt, capture, elasticity, length = wanted
            raw.set_time_step_duration(dt, elasticity)
            raw.set_start_obs_capture(min(capture, dt))
            raw.set_ep_max_length(length)
        return wanted

    # -- the display (drawing thread, or the caller's at the end) ---------------------------

    def _draw_loop(self, run: RunState) -> None:
        period = 1.0 / self.plot_hz
        try:
            while not run.done.wait(period):
                self._refresh(run, final=False)
        finally:
            run.done.wait()
            self._refresh(run, final=True)
            self._set_buttons(running=False)

    def _refresh(self, run: RunState, final: bool) -> None:
        """Update status, table and (if live plot is on, or at the end) the figures."""
        try:
            self._refresh_text(run)
            if final or self._settings["live_plot"]:
                self._refresh_figures(run)
        except Exception as exc:  # a drawing problem must not kill the run
            if run.results.error is None:
                self.message.value = (f"<span style='color:#b00'>display error: "
                                      f"{html.escape(repr(exc))}</span>")

    def _refresh_text(self, run: RunState) -> None:
        r = run.results
        with run.lock:
            steps, episode, done = r.steps, r.episode, len(r.episodes)
        if r.error is not None:
            state = "error"
            self.message.value = ("<span style='color:#b00'><b>the run failed:</b> "
                                  f"{html.escape(type(r.error).__name__)}: "
                                  f"{html.escape(str(r.error))}</span>")
        elif r.running:
            state = "running"
        elif r.stopped:
            state = "stopped"
        else:
            state = "done"
        clock = r.settings.get("clock", "wall")
        self.status.value = (f"{state} · episode {episode + 1} · step {steps} · "
                             f"{done} finished · {r.timeouts} timeouts · {clock} clock")
        bench = r.benchmarks
        raw = run.env
        if r.running and raw is not None:
            try:
                bench = raw.benchmarks()
            except Exception:  # pragma: no cover - benchmarks off
                bench = {}
        self.benchmarks.value = benchmarks_html(bench, r)
        with run.lock:
            episodes = list(r.episodes)
        self.time_to_target.value = time_to_target_text(episodes)

    def _show_buffer_cover(self) -> None:
        covered, worst = buffer_cover(self._settings, self._control_sleep())
        verdict = ("<span style='color:#070'>enough</span>" if covered >= worst - 1e-9 else
                   "<span style='color:#b00'>too short: older actions are missing</span>")
        self.buffer_cover.value = (f"buffer covers <b>{covered * 1e3:.0f} ms</b> of the "
                                   f"worst-case <b>{worst * 1e3:.0f} ms</b> loop delay: "
                                   f"{verdict}")

    def _refresh_figures(self, run: RunState) -> None:
        raw = run.env
        drone = getattr(getattr(raw, "interface", None), "drone", None)
        if drone is not None:
            target = raw.interface.target.copy()
            self.arena.update_from_drone(drone, target=target)
            self.arena.redraw()
        with run.lock:
            rewards = list(run.rewards)
            previous = list(run.previous)
            episode = run.results.episode
        self.reward_curve.update(rewards, previous,
                                 title=f"reward per time-step (episode {episode + 1})")
        self.reward_curve.redraw()

    def _set_buttons(self, running: bool) -> None:
        self.run_button.disabled = running
        self.stop_button.disabled = not running

    def _clicked_run(self) -> None:
        if self.running:  # a double click: the loop is already there
            return
        try:
            self.run()
        except Exception as exc:  # a bad setting: say so in the panel, never print
            self.message.value = (f"<span style='color:#b00'>{html.escape(type(exc).__name__)}: "
                                  f"{html.escape(str(exc))}</span>")
            self._set_buttons(running=False)

    def _show_idle(self) -> None:
        self.status.value = "idle · press Run"
        self.time_to_target.value = time_to_target_text([])
        self._show_buffer_cover()
        self.benchmarks.value = benchmarks_html({}, None)
        self.arena.update(true=(0.0, 0.0), observed=(0.0, 0.0))
        self.arena.redraw()
        self.reward_curve.redraw()
