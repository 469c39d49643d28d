"""The course: the delayed drone, the tutorial's task, controllers, lessons and widgets.

Nothing in the engine imports from here: the course is a client of :mod:`rtgym_nb`, as a
student's own code would be.

* :mod:`~rtgym_nb.course.drone`: the dummy drone, with random communication delays;
* :mod:`~rtgym_nb.course.tutorial`: the tutorial's interface, config and controller;
* :mod:`~rtgym_nb.course.controllers`: controllers that read the action buffer;
* :mod:`~rtgym_nb.course.learn`: a learner (cross-entropy method on a linear policy);
* :mod:`~rtgym_nb.course.toy_mdp`: a tabular toy whose actions act one step late;
* :mod:`~rtgym_nb.course.exercises`: the checks of the notebooks' exercises;
* :mod:`~rtgym_nb.course.lessons`: one module per notebook, the seeded experiments it runs;
* :mod:`~rtgym_nb.course.parallel`: :func:`map_seeded`, many seeded runs at once;
* :mod:`~rtgym_nb.course.viz`: the figures and widgets (needs the ``viz`` extra).
"""

from rtgym_nb.course.drone import DummyRCDrone
from rtgym_nb.course.tutorial import (
    DroneInterface,
    episode_steps,
    proportional_controller,
    run_episode,
    tutorial_config,
)

__all__ = [
    "DroneInterface",
    "DummyRCDrone",
    "episode_steps",
    "proportional_controller",
    "run_episode",
    "tutorial_config",
]
