"""The course from a wheel: build it, install it with the ``app`` extra into a fresh virtual
environment, copy the notebooks out and start JupyterLab and Voila headless.

This is a student's path (``pip install "rtgym_nb[app]"``, ``rtgym-nb notebooks``, ``rtgym-nb lab``)
run end to end. pip's cache keeps the install short after the first run; every package comes from
the package index alone.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from test_browser import Server, _free_port

import rtgym_nb

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT = 1200  # seconds; a cold pip cache downloads JupyterLab and Voila
APP_RENDER = 600  # seconds for Voila to run the dashboard notebook and send the whole page


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                    str(REPO)], check=True, timeout=600)
    (found,) = out.glob("rtgym_nb-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", f"{wheel}[app]"],
                   check=True, timeout=INSTALL_TIMEOUT)
    return root


def test_the_wheel_holds_the_course_the_license_and_the_type_marker(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"rtgym_nb-{rtgym_nb.__version__}.dist-info/METADATA").decode()
    notebooks = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert notebooks, "the repository has no notebooks"
    for name in notebooks:
        assert f"rtgym_nb/course/notebooks/{name}" in names
    assert "rtgym_nb/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert f"Version: {rtgym_nb.__version__}" in metadata.splitlines()
    assert "Provides-Extra: app" in metadata.splitlines()


def test_a_student_copies_the_notebooks_from_the_installed_wheel(venv: Path,
                                                                 tmp_path: Path) -> None:
    run = subprocess.run([str(venv / "bin" / "rtgym-nb"), "notebooks", str(tmp_path / "course")],
                         capture_output=True, text=True, check=True, timeout=120,
                         cwd=tmp_path)  # not the checkout: the notebooks must come from the wheel
    for source in sorted((REPO / "notebooks").glob("*.ipynb")):
        copy = tmp_path / "course" / source.name
        assert copy.read_bytes() == source.read_bytes()
        json.loads(copy.read_text())
    assert "next: rtgym-nb lab" in run.stdout


@pytest.mark.parametrize(("command", "ready_path"), [("lab", "/lab"), ("app", "/")])
def test_lab_and_app_start_headless(venv: Path, tmp_path: Path, command: str,
                                    ready_path: str) -> None:
    port, token = _free_port(), secrets.token_hex(16)
    argv = [str(venv / "bin" / "rtgym-nb"), command, str(tmp_path / "course"), "--no-browser",
            "--port", str(port), "--token", token]
    server = Server(f"wheel-{command}", argv, tmp_path / "home", port, token)
    try:
        server.wait_ready(ready_path)  # HTTP 200, within test_browser's generous deadline
        if command == "app":
            # Voila streams the page while the notebook runs: the whole body is the executed
            # dashboard, with its widgets and without an error.
            with urllib.request.urlopen(server.url("/"), timeout=APP_RENDER) as response:
                body = response.read().decode(errors="replace")
            assert "application/vnd.jupyter.widget-view+json" in body
            assert "Traceback" not in body and "error when executing" not in body.lower()
    finally:
        server.stop()
    assert (tmp_path / "course" / "03_configure_and_run.ipynb").exists()
