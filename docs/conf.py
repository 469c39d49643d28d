"""Sphinx configuration of the course site: the notebooks, executed at build time, and the API.

Build it with ``./dev docs`` (into docs/_build/html). It needs only the ``docs`` extra: Sphinx,
MyST-NB and sphinx-book-theme come from PyPI and fetch nothing at build time.

* The notebooks are read from ``notebooks/`` (``docs/notebooks`` is a link to it) and executed
  here, top to bottom, in a fresh kernel each. They run on the simulated clock, so every printed
  number and figure is the same on every build.
* Figures become static pictures: :data:`STATIC_FIGURES_ENV` tells the notebooks'
  ``use_widget_backend()`` to pick matplotlib's inline backend, and where a cell's output offers
  both a widget view and a PNG (ipympl canvases, the course's live figures) the PNG is shown.
  Pure widgets (sliders, buttons) keep their saved state, which a reader's browser draws with
  the ipywidgets script when it can load it.
* The API page lists the sections of :data:`API_SECTIONS` whose module exists in this tree.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))  # document (and execute the notebooks against) this tree

from rtgym_nb import __version__  # noqa: E402

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())

REPOSITORY_URL = PYPROJECT["project"]["urls"]["Source"]
"""Where the launch buttons and "edit" links point: pyproject.toml's ``project.urls.Source``
(one place to change when the repository moves)."""
REPOSITORY_BRANCH = "main"
BINDERHUB_URL = "https://mybinder.org"
JUPYTERHUB_URL = os.environ.get("RTGYM_NB_JUPYTERHUB_URL", "")
"""A school's own JupyterHub (e.g. ``https://hub.example.edu``): when set, every lesson also gets
a launch button that opens it there (with nbgitpuller). Empty: Binder only."""

STATIC_FIGURES_ENV = "RTGYM_NB_STATIC_FIGURES"
"""Set to ``1`` for the kernels this build starts (they inherit this process's environment):
``rtgym_nb.course.viz.use_widget_backend()`` then selects ``%matplotlib inline`` instead of
ipympl, because a page without a kernel can show a picture but not a live canvas."""
os.environ[STATIC_FIGURES_ENV] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
)

project = "rtgym_nb"
author = "rtgym_nb developers"
copyright = "2026, rtgym_nb developers"
version = release = __version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build", "jupyter_execute", "**/.ipynb_checkpoints", "screenshots",
                    "figures", "README.md"]

# -- notebooks (MyST-NB) ---------------------------------------------------------------------------
nb_execution_mode = "cache"  # executed on the first build, again only when a notebook changes
nb_execution_timeout = 300
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True
nb_merge_streams = True
nb_mime_priority_overrides = [
    # A static page has no kernel: prefer the picture that ipympl and the course's live figures
    # put next to their widget view. Outputs that are only a widget keep the widget view.
    ("html", "image/png", 5),
    ("html", "text/html", 6),
]
# Every widget the course displays carries a PNG too (ipympl canvases, the live figures, the
# dashboard), and the PNG is what the page shows: no page needs the ipywidgets script, so none
# loads it from a CDN (the site works offline).
nb_ipywidgets_js: dict = {}
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# -- API reference (autodoc + napoleon, Google style) --------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

API_SECTIONS = [
    ("The package", "rtgym_nb", ".. automodule:: rtgym_nb\n\n"
     ".. py:data:: rtgym_nb.DEFAULT_CONFIG_DICT\n\n"
     "   rtgym 0.16's configuration dictionary: the same keys and defaults, plain and mutable.\n"
     "   Each key is described under :class:`rtgym_nb.config.RealTimeConfig` below.\n"),
    ("The interface you implement", "rtgym_nb.interface", None),
    ("Configuration keys", "rtgym_nb.config", ":exclude-members: DEFAULT_CONFIG_DICT"),
    ("The environment", "rtgym_nb.env", None),
    ("Errors and warnings", "rtgym_nb.errors", None),
    ("Clocks", "rtgym_nb", "".join(
        f".. auto{kind}:: {name}\n" + ("   :members:\n   :undoc-members:\n" if kind == "class"
                                        else "")
        for kind, name in [("class", "rtgym_nb._clock.Clock"), ("class", "rtgym_nb.WallClock"),
                           ("class", "rtgym_nb.SimulatedClock"),
                           ("function", "rtgym_nb.use_clock"),
                           ("function", "rtgym_nb.current_clock")])),
    ("The dummy drone", "rtgym_nb.course.drone", None),
    ("The tutorial task", "rtgym_nb.course.tutorial", None),
    ("Controllers", "rtgym_nb.course.controllers", None),
    ("Seeded episodes, tallied", "rtgym_nb.course.episodes", None),
    ("Learning under delay", "rtgym_nb.course.learn", None),
]
"""The API page's sections, in order: (title, module, reST). The reST defaults to the module
with its members (a string starting with ``:`` adds options to that); a section whose module is
missing from this tree is left out, so the page lists what exists."""

nitpick_ignore_regex = [
    # No intersphinx (the build stays offline): names of other projects are left unlinked.
    ("py:.*", r"(numpy|np|collections|typing|gymnasium|spaces|threading|ctypes|types)\..*"),
    ("py:func", r"map"),  # the builtin
    # The course's lessons and widgets are taught in the notebooks, not on the API page.
    ("py:.*", r"rtgym_nb\.course\.(viz|lessons)(\..*)?"),
    ("py:class", r"MapLike"),
    # Private internals and the command line are not on the API page on purpose.
    ("py:.*", r"rtgym_nb\.(_\w+|cli)(\..*)?"),
    ("py:class", r"T"),
    ("py:obj", r"quantile"),  # a parameter named in WallClock's docstring, not an object
]


def _api_sections() -> str:
    sections = []
    for title, module, rest in API_SECTIONS:
        if importlib.util.find_spec(module) is None:
            continue
        if rest is None or rest.startswith(":"):
            options = f"   {rest}\n" if rest else ""
            rest = f".. automodule:: {module}\n   :members:\n{options}"
        sections.append(f"## {title}\n\n```{{eval-rst}}\n{rest}```\n")
    return "\n".join(sections)


def _fill_api_page(app, docname: str, source: list[str]) -> None:
    if docname == "api":
        source[0] = source[0].replace("<!-- api-modules -->", _api_sections())


_ATTRIBUTE_KINDS = ("attribute", "property", "data")


def _keep_attribute_docstring(app, what, name, obj, options, lines) -> None:
    """Napoleon reads an attribute docstring's ``Words: more words`` as ``type: description``;
    ours are sentences, so the text napoleon saw is put back as it was."""
    if what in _ATTRIBUTE_KINDS:
        app.env.temp_data.setdefault("rtgym_attr_lines", {})[name] = list(lines)


def _restore_attribute_docstring(app, what, name, obj, options, lines) -> None:
    kept = app.env.temp_data.get("rtgym_attr_lines", {}).pop(name, None)
    if what in _ATTRIBUTE_KINDS and kept is not None:
        lines[:] = kept


def _resolve_short_name(app, env, node, contnode):
    """Link a docstring's short name (``:class:`RealTimeGymInterface``` written in
    ``rtgym_nb.env``) to the one object of rtgym_nb documented under that name, preferring a
    member of the class the reference sits in."""
    from sphinx.util.nodes import make_refnode

    if node.get("refdomain") != "py":
        return None
    short = node["reftarget"].rsplit(".", 1)[-1]
    objects = env.get_domain("py").objects
    found = [name for name in objects
             if name.startswith("rtgym_nb.") and name.rsplit(".", 1)[-1] == short]
    in_class = [name for name in found if name.endswith(f".{node.get('py:class')}.{short}")]
    found = in_class or found
    if len(found) != 1:
        return None
    target = objects[found[0]]
    return make_refnode(app.builder, node["refdoc"], target.docname, target.node_id, contnode,
                        found[0])


def setup(app) -> None:
    app.connect("missing-reference", _resolve_short_name)
    app.connect("source-read", _fill_api_page)
    app.connect("autodoc-process-docstring", _keep_attribute_docstring, priority=100)
    app.connect("autodoc-process-docstring", _restore_attribute_docstring, priority=900)


# -- HTML ----------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = f"rtgym_nb {__version__}"
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": REPOSITORY_BRANCH,
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "binderhub_url": BINDERHUB_URL,
        "notebook_interface": "jupyterlab",  # Binder (and a hub) open the lesson in JupyterLab
        **({"jupyterhub_url": JUPYTERHUB_URL} if JUPYTERHUB_URL else {}),
    },
    "show_toc_level": 2,
}
html_last_updated_fmt = None
