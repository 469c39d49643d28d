"""Real rtgym clients run unchanged: each client of ``clients.py`` gives the same facts on
rtgym 0.16 and on rtgym_nb, on both env ids.

``clients.py`` runs once against rtgym 0.16 in its own venv (made once by
``tests/test_compat_rtgym.py``'s ``rtgym_venv``) and once against this package after the
textual replacement ``rtgym`` -> ``rtgym_nb``. The facts are structural (spaces, step counts,
buffer contents, what the device received, warning categories, key sets), never timings, so
the comparison holds on a loaded machine. The only differences allowed are the deliberate
ones of docs/compat.md, listed here in ``EXPECTED_DIFFERENCES``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_compat_rtgym import _run, rtgym_interpreter

pytestmark = pytest.mark.slow

CLIENTS = Path(__file__).with_name("clients.py")
ROOT = Path(__file__).resolve().parents[2]
NAMES = ("partial_interface", "duck_interface", "extra_keys", "slow_reset",
         "capture_after_end", "step_none", "trace_keys", "attributes", "stop_then_close",
         "tuto_import")
ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")

EXPECTED_DIFFERENCES = {
    # client -> warning categories rtgym_nb adds (a probable mistake that rtgym runs silently)
    "capture_after_end": {"ConfigWarning"},
}


def _results(lines: str) -> dict[tuple[str, str], dict]:
    rows = [json.loads(line) for line in lines.splitlines() if line.strip()]
    return {(row["client"], row["env_id"]): row for row in rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """Every client on both packages (one process each)."""
    source = CLIENTS.read_text()
    assert "rtgym_nb" not in source
    ported = tmp_path_factory.mktemp("ported") / "clients_nb.py"
    ported.write_text(source.replace("rtgym", "rtgym_nb"))
    theirs = _run([rtgym_interpreter(), CLIENTS], timeout=300, cwd=ported.parent)
    # this checkout's package, whatever the interpreter has installed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours = subprocess.run([sys.executable, str(ported)], capture_output=True, text=True,
                          timeout=300, cwd=ported.parent, env=env)
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    assert ours.returncode == 0, ours.stderr[-3000:]
    return {"rtgym": _results(theirs.stdout), "rtgym_nb": _results(ours.stdout)}


def test_the_suite_lists_every_client():
    text = CLIENTS.read_text()
    for name in NAMES:
        assert f"def {name}(env_id)" in text


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("client", NAMES)
def test_client_gives_the_same_facts(runs, client, env_id):
    theirs = runs["rtgym"][(client, env_id)]
    ours = runs["rtgym_nb"][(client, env_id)]
    assert "error" not in theirs["facts"], theirs["facts"]  # the client is valid rtgym code
    assert "error" not in ours["facts"], ours["facts"]
    assert ours["facts"] == theirs["facts"]
    extra = EXPECTED_DIFFERENCES.get(client, set())
    assert set(ours["warnings"]) == set(theirs["warnings"]) | extra


def test_facts_are_the_ones_the_clients_are_built_to_produce(runs):
    """So that both runs cannot agree by being empty or wrong in the same way."""
    theirs = runs["rtgym"]
    for env_id in ENV_IDS:
        assert len(theirs[("partial_interface", env_id)]["facts"]["episode"]) == 1 + 3
        assert theirs[("partial_interface", env_id)]["facts"]["episode"][-1][2] is True
        assert [len(e) for e in theirs[("slow_reset", env_id)]["facts"]["episodes"]] == [3, 3]
        step_none = theirs[("step_none", env_id)]["facts"]
        assert step_none["buffer"][0] is None and step_none["received"][-2:][0] is None
        assert theirs[("trace_keys", env_id)]["facts"]["clock"] == sorted([
            "start_step", "end_step_join", "end_step", "start_get_obs", "end_get_obs",
            "start_send_control", "end_send_control"])
        attributes = theirs[("attributes", env_id)]["facts"]
        assert attributes["after_setters"]["ep_max_length"] == 3
        assert attributes["truncated"][-1][3] is True and len(attributes["truncated"]) == 3
        assert theirs[("extra_keys", env_id)]["warnings"] == []
