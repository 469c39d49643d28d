"""Optional dependencies: import one, or say which ``pip install "rtgym_nb[EXTRA]"`` brings it.

The core install (gymnasium, numpy) runs every environment. Drawing, the notebooks' frontends and
the course site come in extras; a feature that needs one imports it through :func:`require`, so a
user without it reads what to install instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {
    "viz": "matplotlib, ipywidgets, ipympl and Pillow: the notebooks' figures and widgets",
    "lab": "viz plus JupyterLab: the course in JupyterLab",
    "app": "lab plus Voila: the dashboard as a web app",
    "docs": "Sphinx, MyST-NB and the book theme: the course site",
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, with what it brings."""
    return f'pip install "rtgym_nb[{extra}]"  ({EXTRAS[extra]})'


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise ``ModuleNotFoundError`` naming the extra that provides it.

    Args:
        module: What to import, e.g. ``"matplotlib.figure"``.
        extra: The extra of rtgym_nb that installs it (a key of :data:`EXTRAS`).
        feature: What needs it, for the message (e.g. ``"DroneInterface.render()"``).

    Raises:
        ModuleNotFoundError: (a subclass of ImportError, as callers expect) when it is missing.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = error.name or module
        raise ModuleNotFoundError(
            f"{feature} needs {missing}, which is not installed. Install it with:\n"
            f"    {install_hint(extra)}",
            name=missing,
        ) from error
