"""Plots and widgets for the notebooks (needs the ``viz`` extra: matplotlib, ipywidgets).

Submodules are imported directly (``from rtgym_nb.course.viz.arena import ...``) so that importing
``rtgym_nb`` never pulls in matplotlib or ipywidgets.
"""
