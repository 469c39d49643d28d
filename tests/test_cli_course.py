"""``rtgym-nb notebooks``, ``lab`` and ``app`` from a source checkout (fast; the wheel's own path
is tests/test_wheel.py): copies that never overwrite a student's work, and a clear message naming
the extra when JupyterLab or Voila is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rtgym_nb.cli import main
from rtgym_nb.cli.notebooks import copy_notebooks, course_notebooks

REPO = Path(__file__).resolve().parent.parent


def test_the_course_is_the_repository_notebooks_in_a_checkout() -> None:
    assert [p.name for p in course_notebooks()] == sorted(
        p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )


def test_notebooks_command_copies_every_notebook(tmp_path: Path, capsys) -> None:
    assert main(["notebooks", str(tmp_path / "course")]) == 0
    copied = sorted(p.name for p in (tmp_path / "course").iterdir())
    assert copied == [p.name for p in course_notebooks()]
    first = course_notebooks()[0]
    assert (tmp_path / "course" / first.name).read_bytes() == first.read_bytes()
    assert f"rtgym-nb lab {tmp_path / 'course'}" in capsys.readouterr().out


def test_a_students_notebook_is_kept_unless_overwrite(tmp_path: Path) -> None:
    name = course_notebooks()[0].name
    (tmp_path / name).write_text("my answers")
    copied, kept = copy_notebooks(tmp_path)
    assert kept == [tmp_path / name]
    assert (tmp_path / name).read_text() == "my answers"
    assert tmp_path / name not in copied
    copied, kept = copy_notebooks(tmp_path, overwrite=True)
    assert tmp_path / name in copied and kept == []
    assert (tmp_path / name).read_bytes() == course_notebooks()[0].read_bytes()


@pytest.mark.parametrize(("command", "module", "extra"),
                         [("lab", "jupyterlab", "lab"), ("app", "voila", "app")])
def test_a_missing_server_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys, command: str, module: str,
                                          extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    assert main([command, str(tmp_path / "course")]) == 1
    err = capsys.readouterr().err
    assert f'pip install "rtgym_nb[{extra}]"' in err
    assert f"rtgym-nb {command} needs {module}" in err
    assert not (tmp_path / "course").exists(), "nothing is copied when the server is missing"


@pytest.mark.parametrize(("command", "module", "expected"), [
    ("lab", "jupyterlab", ["--port=8891", "--no-browser", "--IdentityProvider.token=abc"]),
    ("app", "voila", ["--port=8891", "--no-browser", "--token=abc"]),
])
def test_the_server_gets_the_options_in_its_own_spelling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, module: str,
        expected: list[str]) -> None:
    pytest.importorskip(module)
    started: list[list[str]] = []
    monkeypatch.setattr("rtgym_nb.cli._serve.run", lambda argv: started.append(argv) or 0)
    assert main([command, str(tmp_path / "course"), "--port", "8891", "--no-browser",
                 "--token", "abc", "--Server.extra=1"]) == 0
    (argv,) = started
    assert argv[:3] == [sys.executable, "-m", module]
    assert all(option in argv for option in expected), argv
    assert argv[-1] == "--Server.extra=1", "unknown options are passed on, last"
