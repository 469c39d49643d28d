"""Property-based: every bad configuration fails fast, clearly, and before any thread starts.

For each configuration key and each class of bad value (wrong type, out of range; see
``bad_configs.py``, which also prints the table of cases), and for misspelt keys, a missing
``"interface"`` and configurations that are not dicts, making either environment id must:

* raise :class:`rtgym_nb.ConfigError` (:class:`rtgym_nb.ConfigTypeError` for a wrong type)
  whose ``key`` is the bad key, and whose text quotes the key and the value's repr;
* do so within 1 s;
* never start a thread (``threading.active_count()`` and the set of threads unchanged).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import gymnasium
import pytest
from bad_configs import CASES, KNOWN_KEYS, misspelt_keys, not_a_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interfaces import ENV_IDS, FaultyInterface

import rtgym_nb
from rtgym_nb import ConfigError, ConfigTypeError, RealTimeEnv

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
        config[key] = value
        assert_rejected(config, key, value, type_error=kind == "wrong type")

    check()


@FUZZ
@given(key=misspelt_keys, value=st.one_of(st.integers(), st.floats(), st.text(max_size=4)))
def test_unknown_key_is_rejected(key: Any, value: Any) -> None:
    config = _base()
    config[key] = value
    assert_rejected(config, key, value, type_error=False)


@FUZZ
@given(key=misspelt_keys.filter(lambda k: isinstance(k, str)), value=st.integers())
def test_make_config_rejects_unknown_keys_at_once(key: str, value: int) -> None:
    with pytest.raises(ConfigError) as info:
        rtgym_nb.make_config(FaultyInterface, **{key: value})
    assert info.value.key == key
    assert repr(key) in str(info.value)


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
    config.update(time_step_duration=0.1, start_obs_capture=0.2, act_buf_len=3)
    assert_rejected(config, "start_obs_capture", 0.2, type_error=False)


def test_table_covers_every_key() -> None:
    """The printable table (``python tests/bad_configs.py``) has a row for every key."""
    from bad_configs import table

    text = table()
    for key in KNOWN_KEYS:
        assert f"| `{key}` |" in text
    assert "builds fine" not in text
