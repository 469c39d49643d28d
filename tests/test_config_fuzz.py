"""Property-based: a configuration that cannot run fails fast and clearly; one that rtgym 0.16
runs but is probably a mistake warns and runs.

For each configuration key and each class of bad value (see ``bad_configs.py``, which also
prints the table of cases), and for misspelt keys, a missing ``"interface"`` and
configurations that are not dicts:

* a value that cannot run makes either environment id (and the class itself) raise
  :class:`rtgym_nb.ConfigError` (:class:`rtgym_nb.ConfigTypeError` for a wrong type) whose
  ``key`` is the bad key and whose text quotes the key and the value's repr, within 1 s and
  without ever starting a thread;
* a probable mistake gets a :class:`rtgym_nb.ConfigWarning` naming the key and quoting the
  value, and no error;
* an unknown key is ignored, with a ``ConfigWarning`` only when it is close to a real key.
"""

from __future__ import annotations

import difflib
import os
import threading
import time
from typing import Any

import gymnasium
import pytest
from bad_configs import CASES, CONTEXT, KNOWN_KEYS, MISTAKES, misspelt_keys, not_a_dict, outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interfaces import ENV_IDS, FaultyInterface

import rtgym_nb
from rtgym_nb import ConfigError, ConfigTypeError, ConfigWarning, RealTimeEnv

_EXPLORE = int(os.environ.get("RTGYM_FUZZ_EXAMPLES", "0"))
"""Set RTGYM_FUZZ_EXAMPLES=1000 to explore with fresh random draws instead of CI's fixed ones."""

FUZZ = settings(
    max_examples=_EXPLORE or 50,
    derandomize=not _EXPLORE,  # CI draws the same examples on every run: it never flakes
    deadline=None,  # the 1 s bound is asserted explicitly
    database=None,  # nothing written to the working tree
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def _repr_ish(value: Any) -> str:
    """What the message must contain: the value's repr (cut like ConfigError cuts it)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77]


def _base() -> dict[str, Any]:
    return rtgym_nb.make_config(FaultyInterface, clock="simulated")


def assert_rejected(config: Any, key: Any, value: Any, *, type_error: bool | None) -> None:
    """Both ids (through gymnasium.make) and the class itself reject ``config`` properly."""
    makers = [
        *((env_id, lambda env_id=env_id: gymnasium.make(env_id, config=config))
          for env_id in ENV_IDS),
        ("RealTimeEnv", lambda: RealTimeEnv(config)),
    ]
    for name, make in makers:
        threads_before = set(threading.enumerate())
        count_before = threading.active_count()
        started = time.perf_counter()
        with pytest.raises(ConfigError) as info:
            env = make()
            env.close()  # not reached when the test passes
        elapsed = time.perf_counter() - started
        err = info.value
        assert elapsed < 1.0, f"{name}: took {elapsed:.3f} s to reject {key!r}={value!r}"
        assert threading.active_count() == count_before, f"{name}: a thread was started"
        assert set(threading.enumerate()) == threads_before, f"{name}: a thread was started"
        assert err.key == key, f"{name}: error names {err.key!r}, not {key!r}: {err}"
        text = str(err)
        assert repr(key) in text, f"{name}: {key!r} missing from {text!r}"
        assert _repr_ish(value) in text, f"{name}: {value!r} missing from {text!r}"
        if type_error is True:
            assert isinstance(err, ConfigTypeError), f"{name}: {type(err).__name__}: {text}"
        elif type_error is False:
            assert not isinstance(err, ConfigTypeError), f"{name}: {text}"


@pytest.mark.parametrize(("key", "kind"), sorted(CASES), ids=lambda x: str(x))
def test_bad_value_is_rejected(key: str, kind: str) -> None:
    @FUZZ
    @given(value=CASES[(key, kind)])
    def check(value: Any) -> None:
        config = _base()
        config.update(CONTEXT.get((key, kind), {}))
        config[key] = value
        assert_rejected(config, key, value, type_error=kind == "wrong type")

    check()


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_probable_mistake_warns_and_runs(key: str) -> None:
    @FUZZ
    @given(value=MISTAKES[key])
    def check(value: Any) -> None:
        config = _base()
        config[key] = value
        err, record = outcome(config)
        assert err is None, f"{key}={value!r} raised {err!r}"
        mine = [w.message for w in record if getattr(w.message, "key", None) == key]
        assert mine, f"{key}={value!r}: no warning naming it in {record}"
        assert all(isinstance(w.message, ConfigWarning) for w in record)
        assert repr(key) in str(mine[0]) and _repr_ish(value) in str(mine[0])

    check()


@FUZZ
@given(key=misspelt_keys, value=st.one_of(st.integers(), st.floats(), st.text(max_size=4)))
def test_unknown_key_is_ignored_with_a_hint_when_close(key: Any, value: Any) -> None:
    config = _base()
    config[key] = value
    err, record = outcome(config)
    assert err is None
    close = isinstance(key, str) and difflib.get_close_matches(key, KNOWN_KEYS, n=1)
    if close:
        assert len(record) == 1 and isinstance(record[0].message, ConfigWarning)
        assert record[0].message.key == key
        assert f"did you mean {close[0]!r}" in str(record[0].message)
    else:
        assert record == []


@FUZZ
@given(dropped=st.sets(st.sampled_from([k for k in KNOWN_KEYS if k != "interface"])))
def test_missing_interface_is_rejected(dropped: set[str]) -> None:
    config = _base()
    for key in {"interface", *dropped}:
        config.pop(key, None)
    assert_rejected(config, "interface", rtgym_nb.RealTimeGymInterface, type_error=False)


@FUZZ
@given(dropped=st.sets(st.sampled_from([k for k in KNOWN_KEYS if k != "interface"])))
def test_other_missing_keys_take_rtgym_defaults(dropped: set[str]) -> None:
    """Not an error, by design: every key but ``"interface"`` has rtgym 0.16's default."""
    config = _base()
    for key in dropped:
        config.pop(key, None)
    cfg = rtgym_nb.RealTimeConfig.from_dict(config)
    for key in dropped:
        if key != "clock":
            assert getattr(cfg, key) == getattr(rtgym_nb.RealTimeConfig(), key)


@FUZZ
@given(config=not_a_dict)
def test_config_that_is_not_a_dict_is_rejected(config: Any) -> None:
    assert_rejected(config, "<config>", config, type_error=True)


def test_one_bad_value_in_many_good_ones_is_named() -> None:
    """The error names the bad key, wherever it sits among valid overrides."""
    config = _base()
    config.update(time_step_duration=0.1, start_obs_capture=float("nan"), act_buf_len=3)
    assert_rejected(config, "start_obs_capture", config["start_obs_capture"], type_error=False)


def test_table_covers_every_key() -> None:
    """The printable table (``python tests/bad_configs.py``) has a row for every key."""
    from bad_configs import table

    text = table()
    for key in KNOWN_KEYS:
        assert f"| `{key}` |" in text
    assert "ignored, as in rtgym" in text
