"""The drone's square world seen from above, as a :class:`~.live_figure.LiveFigure`.

:class:`ArenaPlot` shows what is true, what is observed and what travels on the wire;
:func:`drone_summary` says the same in two lines of text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rtgym_nb.course.viz.live_figure import LiveFigure

__all__ = ["ArenaPlot", "drone_summary"]


class ArenaPlot(LiveFigure):
    """The drone's square world seen from above: what is true, what is observed, what travels.

    * a filled dot: where the drone really is (only a simulation can show this);
    * a hollow dot: where the latest received observation says it is;
    * a line: its true trail over the last ticks;
    * a star: the target;
    * small grey dots: observations still on their way back (the positions they carry);
    * arrows from the true position: velocity commands still on their way to the drone.

    Args:
        world_size: Half the side of the world (the drone stays in ``[-w, w]`` on each axis).
        trail_length: Ticks of true trajectory shown by :meth:`update_from_drone`.
        title: Axes title.
        figsize, dpi, interactive: As for :class:`LiveFigure`.
    """

    ARROW_SECONDS = 0.25
    """A command arrow is as long as the distance its velocity covers in this time."""

    def __init__(self, world_size: float = 1.0, trail_length: int = 300, *,
                 title: str = "the arena", figsize: tuple[float, float] = (4.0, 4.0),
                 dpi: float = 80, interactive: bool | None = None) -> None:
        super().__init__(figsize, dpi, interactive)
        self.world_size = float(world_size)
        self.trail_length = int(trail_length)
        axes = self.axes = self.figure.add_subplot()
        w = self.world_size
        axes.set(xlim=(-w, w), ylim=(-w, w), aspect="equal", title=title,
                 xlabel="x (m)", ylabel="y (m)")
        axes.grid(alpha=0.3)
        self.trail_line = axes.plot([], [], "-", color="tab:blue", alpha=0.35, lw=1.5,
                                    label="true trail")[0]
        self.in_flight_observations = axes.plot(
            [], [], "o", color="0.35", mec="white", mew=0.6, ms=5, alpha=0.9, zorder=3,
            label="obs. on the wire")[0]
        self.true_dot = axes.plot([], [], "o", color="tab:blue", ms=11, label="true")[0]
        self.observed_dot = axes.plot([], [], "o", mfc="none", mec="tab:orange", mew=2.0,
                                      ms=13, label="observed")[0]
        self.target_star = axes.plot([], [], "*", color="tab:red", ms=16, label="target")[0]
        self.command_arrows = self._quiver(np.zeros((0, 2)), np.zeros(0), np.zeros(0))
        axes.plot([], [], marker=r"$\rightarrow$", ls="none", color="tab:green", ms=12,
                  label="cmd. on the wire")  # legend entry only
        self.text = axes.text(0.02, 0.02, "", transform=axes.transAxes, fontsize=8,
                              va="bottom", ha="left", color="0.25")
        axes.legend(loc="upper right", fontsize=7, framealpha=0.6)
        self.figure.tight_layout(pad=0.4)
        self._animate(self.trail_line, self.in_flight_observations, self.true_dot,
                      self.observed_dot, self.target_star, self.command_arrows, self.text)

    def _quiver(self, offsets: np.ndarray, u: np.ndarray, v: np.ndarray) -> Any:
        return self.axes.quiver(offsets[:, 0], offsets[:, 1], u, v, color="tab:green",
                                angles="xy", scale_units="xy", scale=1.0, width=0.012,
                                zorder=5)

    def update(self, *, true: Sequence[float] | None = None,
               observed: Sequence[float] | None = None,
               target: Sequence[float] | None = None,
               trail: np.ndarray | None = None,
               in_flight: Any = None, text: str | None = None) -> None:
        """Move the artists (nothing is drawn until :meth:`redraw`).

        Arguments left as None are left as they are, except ``in_flight``: None clears the
        messages. ``in_flight`` is a :class:`~rtgym_nb.course.drone.InFlight` (or any object with
        ``commands`` and ``observations`` lists of the drone's in-flight records); the command
        arrows start from the true position.
        """
        with self._lock:
            if true is not None:
                self.true_dot.set_data([true[0]], [true[1]])
            if observed is not None:
                self.observed_dot.set_data([observed[0]], [observed[1]])
            if target is not None:
                self.target_star.set_data([target[0]], [target[1]])
            if trail is not None:
                trail = np.asarray(trail, dtype=float).reshape(-1, 2)
                self.trail_line.set_data(trail[:, 0], trail[:, 1])
            self._set_in_flight(in_flight)
            if text is not None:
                self.text.set_text(text)

    def _set_in_flight(self, in_flight: Any) -> None:
        commands = list(getattr(in_flight, "commands", ()) or ())
        observations = list(getattr(in_flight, "observations", ()) or ())
        self.in_flight_observations.set_data([o.pos_x for o in observations],
                                             [o.pos_y for o in observations])
        xs, ys = self.true_dot.get_data()
        origin = (float(xs[0]), float(ys[0])) if len(xs) else (0.0, 0.0)
        n = len(commands)
        offsets = np.tile(origin, (n, 1)).reshape(n, 2)
        u = np.array([c.vel_x for c in commands], dtype=float) * self.ARROW_SECONDS
        v = np.array([c.vel_y for c in commands], dtype=float) * self.ARROW_SECONDS
        if n != self.command_arrows.N:  # a quiver's number of arrows is fixed: rebuild it
            old = self.command_arrows
            old.remove()
            self.command_arrows = self._quiver(offsets, u, v)
            self._replace_animated(old, self.command_arrows)
        else:
            self.command_arrows.set_offsets(offsets)
            self.command_arrows.set_UVC(u, v)

    def update_from_drone(self, drone: Any, target: Sequence[float] | None = None,
                          text: str | None = None) -> None:
        """Read positions, trail and messages from a :class:`~rtgym_nb.course.drone.DummyRCDrone`.

        ``text`` (e.g. :func:`drone_summary`) is written in the corner; None leaves it as is.
        Text is by far the slowest thing to draw, so live displays keep it out of the figure.
        """
        trail = drone.history(last=self.trail_length).positions
        in_flight = drone.in_flight()
        self.update(true=drone.true_position(), observed=drone.get_observation(),
                    target=target, trail=trail, in_flight=in_flight, text=text)


def drone_summary(drone: Any) -> str:
    """Two lines: a drone's messages in flight, and the age of the observation it holds."""
    in_flight = drone.in_flight()
    age = drone.observation_age()
    age_text = "none received yet" if not np.isfinite(age) else f"{age * 1e3:.0f} ms"
    return (f"on the wire: {len(in_flight.commands)} command(s), "
            f"{len(in_flight.observations)} observation(s)\nobservation age: {age_text}")
