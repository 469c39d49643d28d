"""Bad configurations, as Hypothesis strategies and as a printable table.

Used by ``test_config_fuzz.py``. Run it as a script to print the table of representative cases
(key, class of bad value, example, the error raised and its message)::

    .venv/bin/python tests/bad_configs.py

Classes of bad values:

* ``wrong type``: a value of a type the key never accepts -> :class:`rtgym_nb.ConfigTypeError`;
* ``out of range``: the right type, a forbidden value -> :class:`rtgym_nb.ConfigError`;
* ``misspelt key``: a key close to (or far from) a real one -> ``ConfigError`` naming that key;
* ``missing key``: only ``"interface"`` is required (every other key has rtgym's default);
* ``not a dict``: the whole configuration has the wrong type (key ``"<config>"``).
"""

from __future__ import annotations

import dataclasses
import decimal
import fractions
import sys
from typing import Any

import numpy as np
from hypothesis import strategies as st

from rtgym_nb import RealTimeGymInterface, SimulatedClock, WallClock
from rtgym_nb.config import (
    MAX_ACT_BUF_LEN,
    MAX_SECONDS,
    MAX_TRACE_LENGTH,
    RealTimeConfig,
)

KNOWN_KEYS = tuple(f.name for f in dataclasses.fields(RealTimeConfig))
REAL_KEYS = (
    "time_step_duration",
    "start_obs_capture",
    "time_step_timeout_factor",
    "benchmark_polyak",
    "hang_timeout",
)
BOOL_KEYS = ("act_in_obs", "reset_act_buf", "benchmark", "wait_on_done", "last_act_on_reset")
INT_KEYS = {"act_buf_len": (0, MAX_ACT_BUF_LEN), "trace_length": (2, MAX_TRACE_LENGTH)}
DEFAULT_DURATION = 0.05  # time_step_duration when the case does not set it


class NotAnInterface:
    """A class that is not a RealTimeGymInterface subclass."""


# -- building blocks -------------------------------------------------------------------------

_objects = st.builds(object)
_texts = st.text(max_size=8)
_lists = st.lists(st.integers(), max_size=3)
_complex = st.complex_numbers(allow_nan=False, min_magnitude=1).filter(lambda z: z.imag != 0)
_bools = st.sampled_from([True, False, np.True_, np.False_])
_finite = st.floats(allow_nan=False, allow_infinity=False)
_nan = st.sampled_from([float("nan"), np.float64("nan"), np.float32("nan")])


def _numeric(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    """``floats`` as Python floats, numpy floats and (when finite) fractions."""
    return st.one_of(
        floats,
        floats.map(np.float64),
        floats.filter(lambda x: x == x and abs(x) != float("inf")).map(fractions.Fraction),
    )


_not_a_number = st.one_of(
    _texts, st.none(), _lists, _complex, _bools, _objects,
    st.decimals(allow_nan=False, allow_infinity=False),
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_not_an_integer = st.one_of(
    _not_a_number,
    _finite,  # 1.0 is a float, not an integer
    st.integers(-5, 5).map(np.float64),
)
_not_a_bool = st.one_of(
    st.integers(), _finite, _texts, st.none(), _lists, _objects,
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
)
_not_callable = st.one_of(st.integers(), _finite, _texts, _lists, _bools, _objects)


def _wrong_type(key: str) -> st.SearchStrategy[Any]:
    if key == "interface":
        return st.one_of(
            st.integers(), _texts, st.none(), _lists, _objects,
            st.sampled_from([int, dict, object, NotAnInterface, WallClock]),
        )
    if key == "interface_args":
        return st.one_of(
            st.integers(), _texts, st.none(), _finite, _objects,
            st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
            st.frozensets(st.integers(), max_size=2),
        )
    if key == "interface_kwargs":
        return st.one_of(
            st.integers(), _texts, _lists, _objects, st.tuples(st.integers()),
            # a mapping whose keys are not all strings
            st.dictionaries(st.one_of(st.integers(), st.none(), st.tuples()), st.integers(),
                            min_size=1, max_size=2),
        )
    if key in REAL_KEYS:
        return _not_a_number
    if key in INT_KEYS:
        return _not_an_integer
    if key == "ep_max_length":
        return _not_a_number
    if key in BOOL_KEYS:
        return _not_a_bool
    if key == "benchmark_type":
        return st.one_of(st.integers(), st.none(), _lists, st.binary(max_size=4), _bools,
                         _objects)
    if key in ("act_prepro_func", "obs_prepro_func"):
        return _not_callable
    if key == "clock":
        return st.one_of(
            st.integers(), st.none(), _finite, _lists, _objects,
            st.sampled_from([WallClock, SimulatedClock]),  # the classes, not instances
        )
    raise KeyError(key)


def _out_of_range(key: str) -> st.SearchStrategy[Any] | None:
    """Values of an accepted type that the key forbids (None: no such values)."""
    too_big = st.floats(min_value=MAX_SECONDS, exclude_min=True)  # up to +inf
    non_positive_ints = st.integers(max_value=0)
    too_big_ints = st.integers(min_value=int(MAX_SECONDS) + 1)  # up to 10**400 and beyond
    if key == "interface":
        return st.just(RealTimeGymInterface)
    if key == "time_step_duration":
        return st.one_of(_numeric(st.floats(max_value=0.0)), _numeric(too_big), _nan,
                         non_positive_ints, too_big_ints)
    if key == "start_obs_capture":
        # negative, or after the end of the (default) time-step
        return st.one_of(
            _numeric(st.floats(max_value=0.0, exclude_max=True)),
            _numeric(st.floats(min_value=DEFAULT_DURATION, exclude_min=True)),
            _nan,
            st.integers(max_value=-1),
            st.integers(min_value=1),
        )
    if key == "time_step_timeout_factor":
        return st.one_of(_numeric(st.floats(max_value=0.0)), _nan, non_positive_ints)
    if key == "benchmark_polyak":
        return st.one_of(
            _numeric(st.floats(max_value=0.0)),
            _numeric(st.floats(min_value=1.0, exclude_min=True)),
            _nan,
            non_positive_ints,
            st.integers(min_value=2),
        )
    if key == "hang_timeout":
        return st.one_of(_numeric(st.floats(max_value=0.0)), _numeric(too_big), _nan,
                         non_positive_ints, too_big_ints)
    if key in INT_KEYS:
        low, high = INT_KEYS[key]
        ints = st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1))
        return st.one_of(ints, st.integers(-(2**31), low - 1).map(np.int64))
    if key == "ep_max_length":
        return st.one_of(
            st.integers(max_value=0),
            st.floats(max_value=1.0, exclude_max=True),  # includes -inf
            st.floats(1.0, 1e9).filter(lambda x: x != int(x)),  # not a whole number
            _nan,
            st.integers(-(2**63), 0).map(np.int64),
        )
    if key == "benchmark_type":
        return _texts.filter(lambda s: s.lower() not in ("polyak", "trace"))
    if key == "clock":
        return _texts.filter(lambda s: s not in ("wall", "simulated"))
    return None


def _misspell(key: str, how: int, where: int) -> str:
    i = where % (len(key) + 1)
    j = min(i, len(key) - 1)
    kinds = [
        key[:j] + key[j + 1:],                     # a letter dropped
        key[:i] + key[j:j + 1] + key[i:],          # a letter doubled
        key[:j] + key[j + 1:j + 2] + key[j] + key[j + 2:],  # two letters swapped
        key.upper(),                               # wrong case
        key.replace("_", "-"),                     # dashes
        key + "s",                                 # plural
        " " + key,                                 # stray space
    ]
    return kinds[how % len(kinds)]


misspelt_keys = st.one_of(
    st.builds(_misspell, st.sampled_from(KNOWN_KEYS), st.integers(0, 6), st.integers(0, 40)),
    st.text(min_size=0, max_size=12),
    st.one_of(st.integers(), st.tuples(st.integers()), st.none()),  # not even a string
).filter(lambda k: k not in KNOWN_KEYS)
"""Keys that are not configuration keys."""

not_a_dict = st.one_of(
    st.lists(st.tuples(st.sampled_from(KNOWN_KEYS), st.integers()), max_size=3),
    st.integers(), _texts, st.tuples(st.integers()), _objects,
)
"""Whole configurations of the wrong type (``None`` means rtgym's defaults, so not here)."""

CASES: dict[tuple[str, str], st.SearchStrategy[Any]] = {}
"""``(key, "wrong type" | "out of range")`` -> strategy of bad values for that key."""
for _key in KNOWN_KEYS:
    CASES[(_key, "wrong type")] = _wrong_type(_key)
    _range = _out_of_range(_key)
    if _range is not None:
        CASES[(_key, "out of range")] = _range


# -- the table -------------------------------------------------------------------------------

EXAMPLES: list[tuple[str, str, Any]] = [
    ("interface", "wrong type", 42),
    ("interface", "wrong type", NotAnInterface),
    ("interface", "out of range", RealTimeGymInterface),
    ("interface_args", "wrong type", 3),
    ("interface_kwargs", "wrong type", [1, 2]),
    ("interface_kwargs", "wrong type", {1: "a"}),
    ("time_step_duration", "wrong type", "0.05"),
    ("time_step_duration", "wrong type", True),
    ("time_step_duration", "out of range", 0.0),
    ("time_step_duration", "out of range", float("inf")),
    ("time_step_duration", "out of range", np.float64(2e6)),
    ("start_obs_capture", "wrong type", None),
    ("start_obs_capture", "out of range", -0.01),
    ("start_obs_capture", "out of range", fractions.Fraction(1, 10)),
    ("time_step_timeout_factor", "wrong type", decimal.Decimal("1.5")),
    ("time_step_timeout_factor", "out of range", 0),
    ("ep_max_length", "wrong type", "100"),
    ("ep_max_length", "out of range", 0),
    ("ep_max_length", "out of range", 2.5),
    ("act_in_obs", "wrong type", 1),
    ("act_buf_len", "wrong type", 2.0),
    ("act_buf_len", "out of range", -1),
    ("act_buf_len", "out of range", 10**9),
    ("reset_act_buf", "wrong type", "yes"),
    ("benchmark", "wrong type", None),
    ("benchmark_polyak", "wrong type", [0.1]),
    ("benchmark_polyak", "out of range", 1.5),
    ("benchmark_type", "wrong type", b"polyak"),
    ("benchmark_type", "out of range", "polyack"),
    ("wait_on_done", "wrong type", 0),
    ("last_act_on_reset", "wrong type", 1.0),
    ("act_prepro_func", "wrong type", "np.clip"),
    ("obs_prepro_func", "wrong type", 3),
    ("clock", "wrong type", WallClock),
    ("clock", "out of range", "real"),
    ("trace_length", "wrong type", 1e4),
    ("trace_length", "out of range", 1),
    ("trace_length", "out of range", 10**12),
    ("hang_timeout", "wrong type", "10"),
    ("hang_timeout", "out of range", 0),
    ("hang_timeout", "out of range", float("inf")),
    ("hang_timeout", "out of range", float("nan")),
]
"""One or more representative bad values per key and class, for the table."""

MISC_EXAMPLES: list[tuple[str, str, Any]] = [
    ("time_step_durations", "misspelt key", 0.05),
    ("start_obs_captur", "misspelt key", 0.05),
    ("Benchmark", "misspelt key", True),
    (3, "misspelt key", 0.05),
]


def error_for(config: Any) -> BaseException | None:
    """What building an env on ``config`` raises (None if it builds), without making one.

    Goes through :class:`RealTimeConfig` only, so it never starts a thread (the tests check
    the full ``gymnasium.make`` path).
    """
    try:
        RealTimeConfig.from_dict(config)
    except Exception as err:
        return err
    return None


def table() -> str:
    """A Markdown table of the representative cases and the errors they raise."""
    from interfaces import FaultyInterface  # only needed here

    rows = ["| key | bad value class | example value | error | message |",
            "|---|---|---|---|---|"]

    def row(key: Any, kind: str, value: Any, config: Any) -> None:
        err = error_for(config)
        name = type(err).__name__ if err is not None else "(none)"
        text = str(err).replace("|", "\\|") if err is not None else "builds fine"
        shown = repr(value).replace("|", "\\|")
        rows.append(f"| `{key!s}` | {kind} | `{shown}` | {name} | {text} |")

    base: dict[str, Any] = {"interface": FaultyInterface, "clock": "simulated"}
    for key, kind, value in EXAMPLES + MISC_EXAMPLES:
        row(key, kind, value, {**base, key: value})
    row("interface", "missing key", "(absent)", {"clock": "simulated"})
    row("<config>", "not a dict", [("clock", "wall")], [("clock", "wall")])
    return "\n".join(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    print(table())
