"""``rtgym-nb notebooks DIR``: copy the course's notebooks into a folder of your own.

The notebooks travel inside the package (the wheel holds them under ``rtgym_nb/course/notebooks``);
in a source checkout they are the repository's ``notebooks/``. A student works on copies, never on
the installed files, so an upgrade of the package cannot overwrite their answers and their answers
cannot break the package.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DEFAULT_DIR = "rtgym_nb_course"
"""Where ``rtgym-nb lab``/``app`` put the notebooks when no folder is given."""


def course_notebooks() -> list[Path]:
    """The course's notebooks, in order: the installed copies, or the checkout's ``notebooks/``."""
    package = Path(__file__).resolve().parent.parent
    for folder in (package / "course" / "notebooks", package.parent / "notebooks"):
        found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if found:
            return found
    raise FileNotFoundError(
        f"no course notebooks found in {package / 'course' / 'notebooks'} (a wheel) nor in "
        f"{package.parent / 'notebooks'} (a source checkout)"
    )


def copy_notebooks(destination: Path, overwrite: bool = False) -> tuple[list[Path], list[Path]]:
    """Copy the course into ``destination`` (created if needed).

    Returns:
        (copied, kept): the files written, and those already there that were left alone because
        ``overwrite`` is False (a student's work is never replaced silently).
    """
    destination.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for source in course_notebooks():
        target = destination / source.name
        if target.exists() and not overwrite:
            kept.append(target)
            continue
        shutil.copyfile(source, target)
        copied.append(target)
    return copied, kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rtgym-nb notebooks",
        description="Copy the course's notebooks into DIR (existing files are kept).",
    )
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR,
                        help=f"the folder to copy into (default: ./{DEFAULT_DIR})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace notebooks that are already there (your changes are lost)")
    args = parser.parse_args(argv)
    destination = Path(args.dir)
    copied, kept = copy_notebooks(destination, overwrite=args.overwrite)
    for path in copied:
        print(f"copied {path}")
    for path in kept:
        print(f"kept   {path} (already there; --overwrite replaces it)", file=sys.stderr)
    print(f"\nnext: rtgym-nb lab {destination}")
    return 0
