"""The Python environments the harness runs its workers in, and how those processes start.

rtgym 0.16 and rtgym_nb cannot share an interpreter (both register ``real-time-gym-v1``), so
rtgym 0.16 lives in its own virtual environment. :func:`rtgym_python` is the one place that
makes it: the benchmark and ``tests/test_compat_rtgym.py`` both call it, so a checkout holds one
rtgym 0.16 environment, ``benchmarks/.venv-rtgym016`` (git-ignored). It is built in a temporary
folder and renamed into place once complete, so two processes making it at once never see a
half-installed one; it is rebuilt if its Python's minor version differs from this one's (both
packages are measured on the same Python).

Every worker process starts with :func:`worker_env`: one BLAS thread, and ``PYTHONPATH``
naming only the checkout whose rtgym_nb is measured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = [
    "ONE_BLAS_THREAD",
    "REPO",
    "RTGYM_VENV",
    "RTGYM_VERSION",
    "PackageIndexUnreachable",
    "rtgym_python",
    "venv_python",
    "worker_env",
]

REPO = Path(__file__).resolve().parents[2]
"""The checkout this harness belongs to (its rtgym_nb is the one measured)."""
RTGYM_VERSION = "0.16"
RTGYM_VENV = REPO / "benchmarks" / ".venv-rtgym016"
"""The one rtgym 0.16 environment of this checkout."""
_READY = "ready"  # written last: the environment is complete

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Set for every worker. numpy's OpenBLAS starts a thread per extra core when numpy is
imported, and that thread spins for ~0.1 s before it first sleeps: in a worker that starts
measuring a few milliseconds after its imports, that spin lands in the measured window (up to
~85 µs per step of a 150-step run, in either package's runs). The trivial interface does no
linear algebra, so one BLAS thread changes nothing else (``docs/performance.md``)."""


class PackageIndexUnreachable(RuntimeError):
    """pip cannot download rtgym 0.16 (no network, no index): nothing to compare against."""


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment ``venv``."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _python_tag() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _is_ready(venv: Path) -> bool:
    marker = venv / _READY
    return (marker.exists() and venv_python(venv).exists()
            and marker.read_text().split() == [RTGYM_VERSION, _python_tag()])


def _run(args: list, timeout: float) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def rtgym_python(venv: Path = RTGYM_VENV, log=None) -> Path:
    """The Python of a virtual environment holding rtgym 0.16, made on first use.

    Args:
        venv: Where the environment lives (default :data:`RTGYM_VENV`).
        log: Called with a line of text before a slow install (default: silent).

    Raises:
        PackageIndexUnreachable: pip could not download rtgym 0.16.
        RuntimeError: the environment could not be made for another reason.
    """
    if _is_ready(venv):
        return venv_python(venv)
    if log is not None:
        log(f"creating {venv} with rtgym=={RTGYM_VERSION} (once) ...")
    venv.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=venv.name + "-build-", dir=venv.parent))
    try:
        base = getattr(sys, "_base_executable", None) or sys.executable
        made = _run([base, "-m", "venv", build], timeout=300)
        if made.returncode != 0:
            raise RuntimeError(f"python -m venv failed: {made.stderr.strip()[-2000:]}")
        python = venv_python(build)
        pip = [python, "-m", "pip", "--disable-pip-version-check"]
        probe = _run([*pip, "download", "--no-deps", "-d", build / "probe",
                      f"rtgym=={RTGYM_VERSION}"], timeout=300)
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise PackageIndexUnreachable(f"pip cannot download rtgym=={RTGYM_VERSION}: {last}")
        shutil.rmtree(build / "probe", ignore_errors=True)
        installed = _run([*pip, "install", "--quiet", f"rtgym=={RTGYM_VERSION}", "gymnasium",
                          "numpy"], timeout=900)
        if installed.returncode != 0:
            raise RuntimeError("pip install rtgym failed:\n"
                               + (installed.stdout + installed.stderr)[-3000:])
        (build / ".gitignore").write_text("*\n")
        (build / _READY).write_text(f"{RTGYM_VERSION} {_python_tag()}\n")
        if venv.exists():  # stale (another Python or version): replace it
            shutil.rmtree(venv)
        try:
            build.rename(venv)
        except OSError:  # another process finished first: use theirs
            if not _is_ready(venv):
                raise
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return venv_python(venv)


def worker_env(checkout: Path | None = None) -> dict[str, str]:
    """The environment variables of a worker process.

    This process's, with :data:`ONE_BLAS_THREAD`, and ``PYTHONPATH`` set to ``checkout`` (the
    rtgym_nb to measure; it comes before any installed copy) or removed (rtgym 0.16's workers:
    nothing of this project on their path).
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    env.update(ONE_BLAS_THREAD)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    return env
