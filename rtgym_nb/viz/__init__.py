"""Plots and widgets for the notebooks (needs the ``viz`` extra: matplotlib, ipywidgets).

Submodules are imported directly (``from rtgym_nb.viz.arena import ...``) so that importing
``rtgym_nb`` never pulls in matplotlib or ipywidgets.
"""
