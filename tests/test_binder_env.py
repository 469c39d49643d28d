"""Binder: does binder/ alone make an environment in which every notebook runs?

Binder (repo2docker) reads only binder/: it installs binder/requirements.txt with pip from the
repository root on the Python of binder/runtime.txt, then runs binder/postBuild. The slow test
does the same in a brand-new virtual environment (nothing of the project's .venv, no editable
install, throw-away Jupyter/IPython/matplotlib dirs), then runs nbval over notebooks/ in it and
reports how long the fresh install took.

Only pytest and nbval are added on top (Binder has no test runner). Anything else they would pull
in is reported as a failure: a package that only the test tools bring could hide a dependency that
binder/requirements.txt forgot.

pip's download cache is used as usual (it stores files, not decisions: every requirement is still
resolved from binder/requirements.txt); RTGYM_BINDER_NO_CACHE=1 adds --no-cache-dir, as Binder does.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BINDER = REPO / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
RUNTIME = BINDER / "runtime.txt"
POSTBUILD = BINDER / "postBuild"
NOTEBOOKS = REPO / "notebooks"

# What `pip install pytest nbval` may add to a complete Binder environment.
TEST_TOOLS = {"pytest", "nbval", "iniconfig", "pluggy", "coverage", "pygments", "packaging"}

INSTALL_TIMEOUT = 900
NBVAL_TIMEOUT = 1200


def _report(config: pytest.Config, line: str) -> None:
    """Print to the terminal even while pytest captures output (timings belong in CI logs)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:  # pragma: no cover
        print(f"[binder] {line}", file=sys.stderr)
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(f"[binder] {line}")


def _requirement_lines() -> list[str]:
    lines = []
    for raw in REQUIREMENTS.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _runtime_version() -> str:
    match = re.fullmatch(r"python-(\d+\.\d+)", RUNTIME.read_text().strip())
    assert match, f"{RUNTIME} must read python-X.Y"
    return match.group(1)


# ---------------------------------------------------------------------------------------------
# Quick checks of the files themselves
# ---------------------------------------------------------------------------------------------


def test_runtime_is_python_311() -> None:
    # Binder's default (3.10) is too old for numpy 2.4.
    assert _runtime_version() == "3.11"


def test_requirements_install_this_package_with_the_app_extra() -> None:
    local = [line for line in _requirement_lines() if line.startswith(".")]
    assert len(local) == 1, "binder/requirements.txt must install the repository itself ('.[app]')"
    extras = re.fullmatch(r"\.\[([\w,\s-]+)\]", local[0])
    assert extras, f"the local requirement {local[0]!r} names no extras"
    assert "app" in {e.strip() for e in extras.group(1).split(",")}


def test_requirements_have_lower_bounds_only() -> None:
    for line in _requirement_lines():
        if line.startswith("."):
            continue
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+\s*>=\s*[\w.]+", line), (
            f"{line!r}: give Binder a lower bound (name>=version), no pin and no cap"
        )


def test_postbuild_is_an_executable_script() -> None:
    if not POSTBUILD.exists():
        pytest.skip("no binder/postBuild")
    assert os.access(POSTBUILD, os.X_OK), "repo2docker runs ./binder/postBuild: make it executable"
    assert POSTBUILD.read_text().startswith("#!"), "binder/postBuild needs a shebang line"


# ---------------------------------------------------------------------------------------------
# The fresh environment
# ---------------------------------------------------------------------------------------------


def _binder_python() -> str:
    version = _runtime_version()
    found = shutil.which(f"python{version}")
    if found:
        return found
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    pytest.skip(f"no python{version} on this machine (binder/runtime.txt asks for it)")
    raise AssertionError  # unreachable


def _call(argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``argv`` from the repository root with ``env`` only, its output captured."""
    return subprocess.run(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _run(argv: list[str], env: dict[str, str], timeout: float, what: str) -> str:
    proc = _call(argv, env, timeout)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    return proc.stdout


def _installed(python: Path, env: dict[str, str]) -> dict[str, str]:
    out = _run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        env,
        120,
        "pip list",
    )
    pairs = (line.split("==", 1) for line in out.splitlines() if "==" in line)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pairs}


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT + NBVAL_TIMEOUT + 120)
def test_fresh_binder_environment_runs_every_notebook(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        pytest.skip("notebooks/ holds no notebook yet")
    base_python = _binder_python()

    venv = tmp_path / "binder-venv"
    python = venv / "bin" / "python"
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("JUPYTER_DATA_DIR", "jupyter-data"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ]:
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env.pop("MPLBACKEND", None)
    pip_cache = ["--no-cache-dir"] if os.environ.get("RTGYM_BINDER_NO_CACHE") == "1" else []

    # What Binder does: install binder/requirements.txt from the repository root, then postBuild.
    t0 = time.monotonic()
    _run([base_python, "-m", "venv", str(venv)], env, 120, "python -m venv")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", *pip_cache, "-r", str(REQUIREMENTS)],
        env,
        INSTALL_TIMEOUT,
        "pip install -r binder/requirements.txt",
    )
    if POSTBUILD.exists():
        _run([str(POSTBUILD)], env, 300, "binder/postBuild")
    install_seconds = time.monotonic() - t0
    _report(
        request.config,
        f"fresh install of binder/requirements.txt + postBuild: {install_seconds:.1f} s"
        f" (pip cache {'off' if pip_cache else 'on'})",
    )

    # The package comes from the environment (a normal, non-editable install), not from the tree.
    origin = subprocess.run(
        [str(python), "-c", "import rtgym_nb; print(rtgym_nb.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert Path(origin).is_relative_to(venv), f"rtgym_nb imported from {origin}"

    before = _installed(python, env)
    for name in ("rtgym-nb", "jupyterlab", "ipywidgets", "ipympl", "matplotlib", "voila"):
        assert name in before, f"{name} is missing from the Binder environment"

    _run(
        [str(python), "-m", "pip", "install", "--quiet", *pip_cache, "pytest", "nbval"],
        env,
        INSTALL_TIMEOUT,
        "pip install pytest nbval",
    )
    after = _installed(python, env)
    changed = {n for n in before if after.get(n) != before[n]}
    added = set(after) - set(before) - TEST_TOOLS
    assert not changed, f"installing the test tools changed Binder's packages: {sorted(changed)}"
    assert not added, f"the test tools brought packages Binder lacks: {sorted(added)}"

    # nbval in that environment. `-c /dev/null`: this repository's pytest settings (addopts with
    # nbval options, filterwarnings=error, ...) are for the project's own venv, not Binder's.
    t1 = time.monotonic()
    proc = _call(
        [
            str(python),
            "-m",
            "pytest",
            "-c",
            "/dev/null",
            "--rootdir",
            str(REPO),
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-cell-timeout=120",
            "-q",
            *(os.path.relpath(nb, REPO) for nb in notebooks),
        ],
        env,
        NBVAL_TIMEOUT,
    )
    nbval_seconds = time.monotonic() - t1
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    _report(
        request.config,
        f"nbval over {len(notebooks)} notebook(s) in the Binder environment: {nbval_seconds:.1f} s"
        f" ({summary})",
    )
    assert proc.returncode == 0, f"nbval failed in the Binder environment:\n{proc.stdout[-6000:]}"


def test_readme_binder_links_open_existing_notebooks() -> None:
    """The README's Binder links share one OWNER/REPO and open notebooks that exist."""
    links = re.findall(
        r"https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/([^?\s]+)\?urlpath=(\S+)",
        (REPO / "README.md").read_text(),
    )
    assert links, "README.md has no Binder link"
    assert len({repo for repo, _, _ in links}) == 1, "the Binder links name different repositories"
    if not any(NOTEBOOKS.glob("*.ipynb")):
        pytest.skip("notebooks/ holds no notebook yet")
    for _, _, urlpath in links:
        match = re.fullmatch(r"(?:lab/tree|voila/render)/(\S+\.ipynb)", urlpath)
        assert match, f"unexpected Binder urlpath {urlpath!r}"
        assert (REPO / match.group(1)).exists(), f"a Binder link opens a missing {match.group(1)}"
