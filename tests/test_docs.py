"""The course site: it builds with no warning, and every lesson page shows its figures.

``sphinx-build -W --keep-going -n`` runs into a temporary folder exactly as ``./dev docs`` does
(every notebook executed on the simulated clock, in a fresh kernel). Then headless Chromium opens
each lesson page from disk and checks that every figure the executed notebook holds is on the page
as a loaded picture, that no cell shows an error, and that the page loads nothing from the
internet. docs/screenshots/site_06.png (the README picture) is written when it is missing or when
RTGYM_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_browser import headless_chromium

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "screenshots" / "site_06.png"
BUILD_TIMEOUT = 1800  # seconds: every notebook runs, on a shared 2-core machine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    started = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(REPO / "docs"), str(out / "html")],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT, cwd=REPO,
    )
    warnings = [line for line in build.stderr.splitlines() if "WARNING" in line
                and "[IPKernelApp]" not in line]  # a kernel's own start-up notice is not ours
    assert build.returncode == 0 and not warnings, (
        f"sphinx-build failed ({build.returncode}):\n{build.stderr[-6000:]}")
    print(f"site built in {time.monotonic() - started:.0f} s")
    return out


def _lessons() -> list[str]:
    return sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


HIDDEN = {"remove-cell", "remove-output"}
"""Cell tags with which MyST-NB leaves a cell's output off the page (it still runs)."""


def _figures_in(executed: Path) -> int:
    """How many figures the executed notebook shows: its PNG outputs, outside hidden cells."""
    notebook = json.loads(executed.read_text())
    return sum("image/png" in output.get("data", {})
               for cell in notebook["cells"]
               if not HIDDEN & set(cell.get("metadata", {}).get("tags", []))
               for output in cell.get("outputs", []))


def test_every_lesson_is_a_page_with_its_executed_figures(site: Path) -> None:
    for name in _lessons():
        assert (site / "html" / "notebooks" / f"{name}.html").exists(), name
    total = sum(_figures_in(site / "jupyter_execute" / "notebooks" / f"{name}.ipynb")
                for name in _lessons())
    assert total >= len(_lessons()) - 1, "the lessons drew almost no figures: was ipympl used?"


def test_the_api_page_documents_the_engine(site: Path) -> None:
    page = (site / "html" / "api.html").read_text()
    for name in ("rtgym_nb.interface.RealTimeGymInterface", "rtgym_nb.config.RealTimeConfig",
                 "rtgym_nb.SimulatedClock", "rtgym_nb.course.drone.DummyRCDrone"):
        assert f'id="{name}"' in page, name


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as launched:
        yield launched


@pytest.mark.browser
@pytest.mark.parametrize("name", _lessons())
def test_a_lesson_page_shows_its_figures_and_no_error(site: Path, browser: Any,
                                                      name: str) -> None:
    expected = _figures_in(site / "jupyter_execute" / "notebooks" / f"{name}.ipynb")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url) if r.url.startswith("http") else None)
    try:
        page.goto((site / "html" / "notebooks" / f"{name}.html").as_uri(), wait_until="load")
        figures = page.locator(".cell_output img")
        assert figures.count() == expected, f"{name}: {figures.count()} of {expected} figures"
        for index in range(figures.count()):
            figure = figures.nth(index)
            figure.scroll_into_view_if_needed()
            width = figure.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width > 100, f"{name}: figure {index} did not load (width {width})"
        errors = page.locator(".cell_output .output.traceback, .cell_output .output.error, "
                              ".cell_output .output.stderr")
        assert errors.count() == 0, f"{name}: {errors.all_inner_texts()}"
        assert "Traceback" not in page.locator("article").inner_text()
        assert page.locator(".cell_input").count() > 0, f"{name}: no code cells on the page"
        assert remote == [], f"{name} loads from the internet: {remote}"
        if name.startswith("06_") and (not SCREENSHOT.exists()
                                       or os.environ.get("RTGYM_UPDATE_SCREENSHOTS") == "1"):
            # the first figure, centred in the window, with the lesson's text around it
            figures.first.evaluate("img => img.scrollIntoView({block: 'center'})")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
    finally:
        context.close()
