"""The dashboard in a real browser: JupyterLab and Voila, driven by headless Chromium.

What a student does, done by Playwright: open notebooks/03_configure_and_run.ipynb in JupyterLab,
Run All, move the time-step slider, press Run, watch the arena move and the step count rise, press
Stop. Then the same notebook as a Voila app (classroom mode). The panel is found by the CSS classes
that ``rtgym_nb.course.viz.control_panel`` puts on its widgets (``rtgym-panel``, ``rtgym-run``,
``rtgym-stop``,
``rtgym-time-step``, ``rtgym-status``, ``rtgym-arena``).

Until the dashboard notebook exists, tests/browser/fixture_panel.ipynb stands in for it (the same
classes on a few plain widgets and an ipympl figure that a thread redraws).

Chromium is Debian's (/usr/bin/chromium; ``./dev test`` apt-installs it); Playwright never downloads
a browser. Without Chromium these tests skip on a developer's machine and fail when CI=true.

Screenshots go to artifacts/browser/ (gitignored), timings to artifacts/browser/timings.json and to
the terminal. docs/screenshots/dashboard.png (the README picture) is written when it is missing or
when RTGYM_UPDATE_SCREENSHOTS=1, and only from the real dashboard notebook.

Every wait is for a condition, with generous deadlines: CI is a noisy 2-core machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = REPO / "notebooks" / "03_configure_and_run.ipynb"
FIXTURE = REPO / "tests" / "browser" / "fixture_panel.ipynb"
ARTIFACTS = REPO / "artifacts" / "browser"
README_PICTURE = REPO / "docs" / "screenshots" / "dashboard.png"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Deadlines (seconds). Generous on purpose; waits end as soon as their condition holds.
SERVER_START = 120
PAGE_LOAD = 120
RUN_ALL = 300
VOILA_RENDER = 300
LOOP_PROGRESS = 60
LOOP_STOPPED = 30

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")

# In JupyterLab the news/update-check pop-up would cover the bottom-right corner.
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


def _target() -> Path:
    return DASHBOARD if DASHBOARD.exists() else FIXTURE


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail loudly in CI (browser tests must run there)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: browser tests must not be skipped)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def headless_chromium() -> Iterator[Any]:
    """Debian's chromium, launched headless through playwright (skipped, or failed in CI, when
    either is missing); closed on leaving. Also the browser of tests/test_docs.py."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found (./dev test apt-installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (Python) is not installed: pip install -e .[test]")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _report(config: pytest.Config, line: str) -> None:
    """Print to the terminal even while pytest captures output (timings belong in CI logs)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:  # pragma: no cover - only without the terminal reporter
        print(f"[browser] {line}", file=sys.stderr)
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(f"[browser] {line}")


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _poll(condition: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    """Poll ``condition`` until it returns something truthy (returned); None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def _wait_for(
    condition: Callable[[], Any],
    timeout: float,
    what: str | Callable[[], str],
    interval: float = 0.2,
) -> Any:
    """Like :func:`_poll`, but fail the test after ``timeout`` seconds.

    ``what`` describes the awaited condition; a callable is evaluated at the time of failure
    (to show the page's state then).
    """
    value = _poll(condition, timeout, interval)
    if not value:
        described = what() if callable(what) else what
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {described}", pytrace=False)
    return value


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (kernels and their children), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent id; the command name (field 2) may hold spaces, so split after it.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Server:
    """A Jupyter server process (JupyterLab or Voila) with its own throw-away Jupyter dirs."""

    def __init__(self, name: str, argv: list[str], home: Path, port: int, token: str) -> None:
        self.name, self.port, self.token = name, port, token
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = ARTIFACTS / f"{name}-server.log"
        env = dict(os.environ)
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "user-settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("IPYTHONDIR", "ipython"),
        ]:
            (home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(home / sub)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def url(self, path: str, **query: str) -> str:
        params = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in query.items())])
        return f"{self.base}{path}?{params}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str) -> float:
        """Wait until ``path`` answers 200; return the seconds since the process started."""

        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(self.url(path), timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        _wait_for(ready, SERVER_START, f"{self.name} to answer {path}", interval=0.25)
        return time.monotonic() - self.started

    def request(self, method: str, path: str) -> Any:
        req = urllib.request.Request(
            self.url(path), method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=15) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop(self, graceful: Callable[[], None] | None = None) -> list[int]:
        """Stop the server and every kernel it started; return the pids that needed a kill."""
        pids = _descendants(self.proc.pid)
        if self.proc.poll() is None and graceful is not None:
            with contextlib.suppress(Exception):
                graceful()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        killed = []
        deadline = time.monotonic() + 15
        for pid in pids:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return killed


def _lab_argv(home: Path, port: int, token: str) -> list[str]:
    settings = home / "app-settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={REPO}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.app_settings_dir={settings}",
        f"--LabApp.user_settings_dir={home / 'user-settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.extension_manager=readonly",
    ]


def _voila_argv(notebook: Path, port: int, token: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook.relative_to(REPO)),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--token={token}",
    ]


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Timings of this module, printed and saved to artifacts/browser/timings.json at the end."""
    start = time.monotonic()
    found: dict[str, Any] = {}
    yield found
    found["whole browser test module (s)"] = round(time.monotonic() - start, 2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(found, indent=2) + "\n")
    for name, value in found.items():
        _report(request.config, f"{name}: {value}")


@pytest.fixture(scope="module")
def browser(timings: dict[str, Any]) -> Iterator[Any]:
    with headless_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    page = context.new_page()
    messages: list[str] = []
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            messages.append(f"console.{msg.type}: {msg.text}")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    try:
        yield page
    finally:
        name = request.node.name
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(messages) + "\n")
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
        context.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Server]:
    """JupyterLab on 127.0.0.1, a free port and a random token, with its own settings dirs."""
    port, token = _free_port(), secrets.token_hex(16)
    server = Server("jupyterlab", _lab_argv(tmp_path, port, token), tmp_path, port, token)
    try:
        yield server
    finally:

        def graceful() -> None:
            for kernel in server.request("GET", "/api/kernels"):
                server.request("DELETE", f"/api/kernels/{kernel['id']}")
            server.request("POST", "/api/shutdown")

        killed = server.stop(graceful)
        assert not killed, f"processes left behind by JupyterLab were killed: {killed}"


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[Server]:
    port, token = _free_port(), secrets.token_hex(16)
    server = Server("voila", _voila_argv(_target(), port, token), tmp_path, port, token)
    try:
        yield server
    finally:
        killed = server.stop()
        assert not killed, f"processes left behind by Voila were killed: {killed}"


# ---------------------------------------------------------------------------------------------
# The panel, as the page shows it
# ---------------------------------------------------------------------------------------------

STEP_PATTERNS = [
    re.compile(r"(\d+)\s*steps?\b", re.IGNORECASE),
    re.compile(r"\bsteps?\b\D{0,3}?(\d+)", re.IGNORECASE),
]


def step_count(text: str) -> int | None:
    """The live step count in the status label ("step 12", "12 steps", "steps: 12", ...).

    None when the label shows no count (an idle panel may say just "idle · press Run").
    """
    for pattern in STEP_PATTERNS:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


class Panel:
    """The dashboard's widgets in one page (JupyterLab or Voila)."""

    def __init__(self, page: Any, prefix: str) -> None:
        self.page, self.prefix = page, prefix
        self.root = page.locator(".rtgym-panel").first
        self.arena = self.root.locator(".rtgym-arena").first
        self.status = self.root.locator(".rtgym-status").first
        self.run = self.root.locator(".rtgym-run").first
        self.stop = self.root.locator(".rtgym-stop").first
        self.slider = self.root.locator(".rtgym-time-step").first
        self.shots = 0

    def shot(self, name: str, full_page: bool = False) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.prefix}_{self.shots:02d}_{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if full_page:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.root.scroll_into_view_if_needed()
            self.root.screenshot(path=str(path))
        return path

    def arena_pixels(self) -> bytes:
        self.arena.scroll_into_view_if_needed()
        return self.arena.screenshot()

    def steps(self) -> int:
        """The status label's step count; 0 while it shows none (before the first Run)."""
        count = step_count(self.status.inner_text())
        return 0 if count is None else count

    def assert_no_panel_error(self) -> None:
        """The panel's message box (``rtgym-message``), if it has one, reports no failure."""
        message = self.root.locator(".rtgym-message")
        text = " ".join(message.all_inner_texts()).strip().lower()
        assert not any(w in text for w in ("error", "failed", "traceback")), text

    def assert_loop_follows_slider(self, readout: str, timings: dict[str, Any], label: str) -> None:
        """The running loop's measured time-step matches the slider's value (in ms).

        Checked where the panel shows its timing table (``rtgym-benchmarks``, a row
        ``time_step_duration`` with the average in ms): the slider's value reached the loop.
        """
        table = self.root.locator(".rtgym-benchmarks")
        if table.count() == 0:
            return
        wanted = float(readout)

        def measured() -> float | None:
            match = re.search(r"time_step_duration\s+([\d.]+)", table.first.inner_text())
            value = float(match.group(1)) if match else None
            return value if value is not None and abs(value - wanted) <= 0.2 * wanted else None

        value = _wait_for(
            measured,
            LOOP_PROGRESS,
            lambda: (
                f"the measured time-step to match the slider's {wanted:g} ms "
                f"(table: {table.first.inner_text()!r})"
            ),
        )
        timings[f"{label}: measured time-step (ms)"] = value

    def canvases(self) -> Any:
        return self.root.locator("canvas")

    def assert_widgets_rendered(self) -> None:
        """Every widget view came up: nothing still loading, no rendering error."""
        page = self.page
        _wait_for(
            lambda: page.get_by_text("Loading widget...").count() == 0,
            PAGE_LOAD,
            '"Loading widget..." placeholders to be replaced by widgets',
        )
        errors = page.get_by_text("Error displaying widget")
        assert errors.count() == 0, f"{errors.count()} widget(s) failed to render"
        for part in (self.arena, self.status, self.run, self.stop, self.slider):
            part.wait_for(state="visible")
        # The ipympl figure has drawn: its canvas has a size.
        _wait_for(
            lambda: (
                self.arena.locator("canvas").count() > 0
                and (self.arena.locator("canvas").first.bounding_box() or {}).get("height", 0) > 50
            ),
            PAGE_LOAD,
            "the arena's matplotlib canvas",
        )

    def move_slider(self) -> tuple[str, str]:
        """Drag the time-step slider's handle (keyboard as a fallback); return old/new readout."""
        readout = self.slider.locator(".widget-readout").first
        handle = self.slider.locator(".noUi-handle").first
        self.slider.scroll_into_view_if_needed()
        handle.wait_for(state="visible")
        before = readout.inner_text().strip()
        box = handle.bounding_box()
        assert box, "the time-step slider's handle has no box"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        track = self.slider.locator(".noUi-target, .slider").first.bounding_box()
        shift = (
            40.0 if track is None else max(20.0, min(60.0, (track["x"] + track["width"]) - x - 5))
        )
        if shift < 20 and track is not None:  # handle at the right end: drag left instead
            shift = -40.0
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        for i in range(1, 11):
            self.page.mouse.move(x + shift * i / 10, y)
        self.page.mouse.up()
        if not _poll(lambda: readout.inner_text().strip() != before, 5):
            # The drag did not take: use the keyboard.
            handle.focus()
            for _ in range(3):
                handle.press("ArrowRight")
            if readout.inner_text().strip() == before:
                for _ in range(6):
                    handle.press("ArrowLeft")
        after = _wait_for(
            lambda: (t := readout.inner_text().strip()) != before and t,
            10,
            "the time-step readout to change",
        )
        return before, after

    def wait_steps_above(self, count: int, timeout: float = LOOP_PROGRESS) -> int:
        return _wait_for(
            lambda: (n := self.steps()) > count and n,
            timeout,
            lambda: (
                f"the status step count to rise above {count} "
                f"(status: {self.status.inner_text()!r})"
            ),
        )

    def wait_arena_changes(self, reference: bytes, timeout: float = LOOP_PROGRESS) -> bytes:
        return _wait_for(
            lambda: (shot := self.arena_pixels()) != reference and shot,
            timeout,
            "the arena plot to change",
            interval=0.3,
        )

    def wait_stopped(self) -> int:
        """Wait until the step count holds still, then check that it stays still."""
        last = {"n": self.steps(), "t": time.monotonic()}

        def settled() -> bool:
            n = self.steps()
            if n != last["n"]:
                last.update(n=n, t=time.monotonic())
                return False
            return time.monotonic() - last["t"] > 2.0

        _wait_for(settled, LOOP_STOPPED, "the step count to stop rising after Stop", interval=0.25)
        frozen = last["n"]
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            assert self.steps() == frozen, "the step count still rises after Stop"
            time.sleep(0.25)
        return frozen

    def exercise(
        self, timings: dict[str, Any], label: str, while_running: Callable[[], None] | None = None
    ) -> None:
        """Slider, Run, watch, Stop: the checks shared by JupyterLab and Voila.

        ``while_running`` is called once the live plot has been seen moving, before Stop.
        """
        before, after = self.move_slider()
        timings[f"{label}: time-step slider moved (readout)"] = f"{before} -> {after}"
        start_steps = self.steps()
        arena_before = self.arena_pixels()
        figures_before = [c.screenshot() for c in self.canvases().all() if c.is_visible()]
        self.run.click()
        t0 = time.monotonic()
        running = self.wait_steps_above(start_steps)
        timings[f"{label}: Run -> step count rises (s)"] = round(time.monotonic() - t0, 2)
        shot_a = self.wait_arena_changes(arena_before)
        self.shot("running_a")
        shot_b = self.wait_arena_changes(shot_a)  # the live plot keeps moving
        self.shot("running_b")
        assert shot_a != shot_b
        if while_running is not None:
            while_running()
        self.assert_loop_follows_slider(after, timings, label)
        later = self.wait_steps_above(running)
        assert later > running
        figures_after = [c.screenshot() for c in self.canvases().all() if c.is_visible()]
        changed = sum(a != b for a, b in zip(figures_before, figures_after, strict=False))
        assert changed >= 1, "no figure in the panel changed while the loop ran"
        timings[f"{label}: panel canvases changed while running"] = (
            f"{changed}/{len(figures_after)}"
        )
        self.assert_no_panel_error()
        self.stop.click()
        frozen = self.wait_stopped()
        assert frozen >= later
        self.assert_no_panel_error()
        self.shot("stopped")


# ---------------------------------------------------------------------------------------------
# JupyterLab
# ---------------------------------------------------------------------------------------------

JS_COMMAND_READY = (
    """(cmd) => !!(window.jupyterapp && window.jupyterapp.commands.hasCommand(cmd))"""
)

JS_NOTEBOOK_STATE = """() => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (!panel || !panel.content || !panel.sessionContext) return null;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter((c) => c.model.type === 'code');
    const errors = [];
    for (const cell of cells) {
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
        }
    }
    return {
        kernel: kernel ? kernel.status : null,
        cells: cells.length,
        executed: cells.filter((c) => c.model.executionCount !== null).length,
        pending: cells.filter((c) => c.promptNode && c.promptNode.textContent.includes('*')).length,
        errors,
    };
}"""


def _notebook_state(page: Any) -> dict[str, Any]:
    return page.evaluate(JS_NOTEBOOK_STATE) or {}


def _open_and_run_all(
    lab: Server, page: Any, timings: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """Open the dashboard notebook in JupyterLab and Run All; fail on any cell error."""
    notebook = _target()
    rel = notebook.relative_to(REPO).as_posix()
    _report(request.config, f"JupyterLab opens {rel}")
    timings["JupyterLab: server ready (s)"] = round(lab.wait_ready("/api/status"), 2)

    page.goto(lab.url(f"/lab/tree/{rel}", reset=""), timeout=PAGE_LOAD * 1000)
    page.wait_for_function(JS_COMMAND_READY, arg="notebook:run-all-cells", timeout=PAGE_LOAD * 1000)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return !!(w && w.content && w.content.widgets && w.content.widgets.length); }""",
        timeout=PAGE_LOAD * 1000,
    )
    # A notebook without kernel metadata asks for one: take the default.
    with contextlib.suppress(Exception):
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=2000)
    _wait_for(
        lambda: _notebook_state(page).get("kernel") == "idle", PAGE_LOAD, "the kernel to be idle"
    )
    timings["JupyterLab: start -> notebook open, kernel idle (s)"] = round(
        time.monotonic() - lab.started, 2
    )

    # Run All acts on the focused notebook: focus it, then run; retry if nothing started.
    def start_run_all() -> bool:
        page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.keyboard.press("Escape")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        return bool(
            _poll(
                lambda: (
                    (s := _notebook_state(page)).get("executed", 0) > 0
                    or s.get("pending", 0) > 0
                    or s.get("kernel") == "busy"
                ),
                10,
            )
        )

    _wait_for(start_run_all, 60, "Run All to start executing cells", interval=0.5)

    def all_ran() -> bool:
        state = _notebook_state(page)
        if state.get("errors"):
            pytest.fail(f"a cell raised in JupyterLab: {state['errors']}", pytrace=False)
        return (
            state.get("cells", 0) > 0
            and state.get("executed") == state.get("cells")
            and state.get("pending") == 0
            and state.get("kernel") == "idle"
        )

    _wait_for(all_ran, RUN_ALL, "Run All to finish", interval=0.5)
    timings["JupyterLab: Run All finished (s since server start)"] = round(
        time.monotonic() - lab.started, 2
    )


def test_dashboard_in_jupyterlab(
    lab: Server, page: Any, timings: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    _open_and_run_all(lab, page, timings, request)
    panel = Panel(page, "lab")
    panel.root.scroll_into_view_if_needed()
    panel.assert_widgets_rendered()
    timings["JupyterLab: start -> first plot visible (s)"] = round(
        time.monotonic() - lab.started, 2
    )
    panel.shot("notebook", full_page=True)
    panel.shot("panel")

    panel.exercise(timings, "JupyterLab")
    panel.assert_widgets_rendered()


TIME_TO_TARGET = re.compile(r"time to target:\s*(≥\s*)?([\d.]+)\s*s")


def _press(handle: Any, key: str, times: int) -> None:
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(times):
        handle.press(key)


def test_dashboard_predictive_controller_in_jupyterlab(
    lab: Server, page: Any, timings: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """The lesson of the buffer, on the page: with the predictive controller, a shorter buffer
    and then longer delays make the measured time to target (the panel's readout) longer."""
    if _target() != DASHBOARD:
        pytest.skip("needs the dashboard notebook")
    _open_and_run_all(lab, page, timings, request)
    panel = Panel(page, "lab-predictive")
    panel.root.scroll_into_view_if_needed()
    panel.assert_widgets_rendered()
    root = panel.root
    readout = root.locator(".rtgym-time-to-target").first
    cover = root.locator(".rtgym-buffer-cover").first

    root.locator(".rtgym-controller select").first.select_option("predictive")
    root.locator(".rtgym-clock button", has_text="simulated").first.click()
    pace = root.locator(".rtgym-pace input[type=checkbox]").first
    if pace.is_checked():
        pace.uncheck()
    episodes = root.locator(".rtgym-episodes input").first
    episodes.fill("5")
    episodes.press("Enter")

    def run_and_read(label: str) -> tuple[float, str]:
        before = readout.inner_text()
        panel.run.click()

        def finished() -> str | None:
            status, text = panel.status.inner_text(), readout.inner_text()
            done = status.startswith("done") and "5 finished" in status
            return text if done and text != before and TIME_TO_TARGET.search(text) else None

        text = _wait_for(finished, LOOP_PROGRESS, lambda: (
            f"a finished run of 5 episodes (status {panel.status.inner_text()!r}, "
            f"readout {readout.inner_text()!r})"))
        panel.assert_no_panel_error()
        seconds = float(TIME_TO_TARGET.search(text).group(2))
        timings[f"JupyterLab predictive: {label}"] = text
        panel.shot(label.replace(" ", "_"))
        return seconds, text

    long_buffer, _ = run_and_read("buffer 4, delays 20-50 ms")
    assert "200 ms" in cover.inner_text() and "160 ms" in cover.inner_text()

    _press(root.locator(".rtgym-act-buf-len .noUi-handle").first, "ArrowLeft", 3)
    _wait_for(lambda: "50 ms" in cover.inner_text(), 10,
              lambda: f"the buffer readout to show 1 action (50 ms): {cover.inner_text()!r}")
    short_buffer, _ = run_and_read("buffer 1, delays 20-50 ms")
    assert short_buffer > long_buffer, (short_buffer, long_buffer)

    delays = root.locator(".rtgym-delays").first
    _press(delays.locator(".noUi-handle-upper").first, "ArrowRight", 10)  # 50 -> 100 ms
    _press(delays.locator(".noUi-handle-lower").first, "ArrowRight", 8)  # 20 -> 60 ms
    _wait_for(lambda: "260 ms" in cover.inner_text(), 10,
              lambda: f"the worst case to reach 260 ms: {cover.inner_text()!r}")
    long_delays, text = run_and_read("buffer 1, delays 60-100 ms")
    assert long_delays > short_buffer, (long_delays, short_buffer)
    assert "≥" in text  # with one buffered action the drone never settles on the target


def _save_readme_picture(panel: Panel, notebook: Path, request: pytest.FixtureRequest) -> None:
    """docs/screenshots/dashboard.png: only from the real dashboard, once (or when asked).

    Taken from the Voila app (the full page width, unlike a notebook's output area), cropped to
    what the panel draws, and reduced to 256 colours to stay small in git.
    """
    if notebook != DASHBOARD:
        return
    if README_PICTURE.exists() and os.environ.get("RTGYM_UPDATE_SCREENSHOTS") != "1":
        return
    from PIL import Image, ImageChops

    raw = panel.shot("readme")
    README_PICTURE.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(raw) as image:
        rgb = image.convert("RGB")
        background = Image.new("RGB", rgb.size, rgb.getpixel((rgb.width - 1, rgb.height - 1)))
        box = ImageChops.difference(rgb, background).getbbox() or (0, 0, *rgb.size)
        margin = 8
        box = (
            max(0, box[0] - margin),
            max(0, box[1] - margin),
            min(rgb.width, box[2] + margin),
            min(rgb.height, box[3] + margin),
        )
        small = rgb.crop(box).quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        small.save(README_PICTURE, optimize=True)
    _report(request.config, f"wrote {README_PICTURE.relative_to(REPO)}")


# ---------------------------------------------------------------------------------------------
# Voila (classroom mode)
# ---------------------------------------------------------------------------------------------


def test_dashboard_as_voila_app(
    voila: Server, page: Any, timings: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    _report(request.config, f"Voila serves {_target().relative_to(REPO).as_posix()}")
    timings["Voila: server ready (s)"] = round(voila.wait_ready("/"), 2)
    page.goto(voila.url("/"), timeout=VOILA_RENDER * 1000)
    panel = Panel(page, "voila")
    panel.root.wait_for(state="visible", timeout=VOILA_RENDER * 1000)
    panel.assert_widgets_rendered()
    timings["Voila: start -> panel and first plot visible (s)"] = round(
        time.monotonic() - voila.started, 2
    )
    tracebacks = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert "Traceback" not in " ".join(tracebacks.all_inner_texts())
    panel.shot("app", full_page=True)
    panel.exercise(
        timings, "Voila", while_running=lambda: _save_readme_picture(panel, _target(), request)
    )
