"""One module per notebook: the seeded, headless experiments each notebook runs.

* :mod:`~rtgym_nb.course.lessons.dashboard`: notebook 03, the dashboard;
* :mod:`~rtgym_nb.course.lessons.timing`: notebook 04, the elastic clock;
* :mod:`~rtgym_nb.course.lessons.transitions`: notebook 05, reset transitions;
* :mod:`~rtgym_nb.course.lessons.delayed_mdps`: notebook 06, delayed MDPs and the action buffer.

Each runs without Jupyter, so the tests and the figures script use the same code as the class.
"""
