"""Plots and widgets for the notebooks (needs the ``viz`` extra: matplotlib, ipywidgets).

Submodules are imported directly (``from rtgym_nb.course.viz.arena import ...``) so that importing
``rtgym_nb`` never pulls in matplotlib or ipywidgets. :func:`projector` (larger fonts and lines
for a lecture hall) is the one name published here; importing this package imports matplotlib.
"""

from rtgym_nb.course.viz.projector import projector

__all__ = ["projector"]
