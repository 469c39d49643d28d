"""Bad configurations, as Hypothesis strategies and as a printable table.

Used by ``test_config_fuzz.py``. Run it as a script to print the table of representative cases
(key, class of bad value, example, what happens and its message)::

    .venv/bin/python tests/bad_configs.py

The principle: what rtgym 0.16 runs, rtgym_nb runs. Classes of bad values:

* ``wrong type`` / ``out of range``: a value that cannot run at all (rtgym fails on it too,
  or it is certainly a bug: NaN or infinite durations) -> :class:`rtgym_nb.ConfigError`
  (:class:`rtgym_nb.ConfigTypeError` for a wrong type), at construction;
* ``probable mistake``: a value rtgym runs, but that is probably not what was meant (a boolean
  for a number, ``start_obs_capture`` after the end of the time-step, ``ep_max_length=0``...)
  -> :class:`rtgym_nb.ConfigWarning`, and the environment runs it as rtgym would;
* ``misspelt key``: a key that is not a configuration key -> ignored, as rtgym ignores it,
  with a ``ConfigWarning`` ("did you mean") when it is close to a real one;
* ``missing key``: only ``"interface"`` is required (every other key has rtgym's default);
* ``not a dict``: the whole configuration has the wrong type (key ``"<config>"``).
"""

from __future__ import annotations

import dataclasses
import decimal
import fractions
import sys
import warnings
from typing import Any

import numpy as np
from hypothesis import strategies as st

from rtgym_nb import RealTimeEnv, RealTimeGymInterface, SimulatedClock, WallClock
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
_py_bools = st.sampled_from([True, False])
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


_not_a_number = st.one_of(  # what arithmetic cannot use (booleans can: they are probable mistakes)
    _texts, st.none(), _lists, _complex, _objects,
    st.decimals(allow_nan=False, allow_infinity=False),
    st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_not_an_integer = st.one_of(
    _not_a_number,
    _finite,  # 1.0 is a float, not an integer
    st.integers(-5, 5).map(np.float64),
    st.sampled_from([np.True_, np.False_]),  # (numpy booleans are no integers)
)
_not_a_bool = st.one_of(  # rtgym takes their truth value: probable mistakes
    st.integers().filter(lambda i: i not in (0, 1)), _finite, _texts, st.none(), _lists,
    _objects, st.integers(-(2**63), 2**63 - 1).filter(lambda i: i not in (0, 1)).map(np.int64),
)
_not_callable = st.one_of(st.integers(), _finite, _texts, _lists, _bools, _objects).filter(
    lambda v: bool(v))  # (a false value means "no function", as in rtgym)
_too_big = st.floats(min_value=MAX_SECONDS, exclude_min=True)  # up to +inf
_too_big_ints = st.integers(min_value=int(MAX_SECONDS) + 1)  # up to 10**400 and beyond


def _wrong_type(key: str) -> st.SearchStrategy[Any]:
    """Values of a type the key can never run with."""
    if key == "interface":
        return st.one_of(
            st.integers(), _texts, st.none(), _lists, _objects,
            # classes without the interface's methods
            st.sampled_from([int, dict, object, NotAnInterface, WallClock]),
        )
    if key == "interface_args":  # not iterable: cannot be unpacked with *
        return st.one_of(st.integers(), st.none(), _finite, _objects)
    if key == "interface_kwargs":
        return st.one_of(
            st.integers(), _texts, _lists, _objects, st.tuples(st.integers()),
            # a mapping whose keys are not all strings
            st.dictionaries(st.one_of(st.integers(), st.none(), st.tuples()), st.integers(),
                            min_size=1, max_size=2),
        )
    if key in ("benchmark_polyak", "hang_timeout"):
        return _not_a_number.filter(lambda v: v is not None)
    if key in REAL_KEYS or key == "ep_max_length":
        return _not_a_number
    if key == "act_buf_len":
        return _not_an_integer
    if key == "trace_length":
        return st.one_of(_not_an_integer, _py_bools)
    if key in BOOL_KEYS:  # no truth value at all
        return st.sampled_from([np.array([True, False]), np.zeros(2)])
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
    """Values of an accepted type that cannot run (None: no such values)."""
    if key == "interface":
        return st.just(RealTimeGymInterface)
    if key == "time_step_duration":
        return st.one_of(_numeric(st.floats(max_value=0.0, exclude_max=True)),
                         _numeric(_too_big), _nan, st.integers(max_value=-1), _too_big_ints)
    if key == "start_obs_capture":
        return st.one_of(_numeric(_too_big), _numeric(_too_big.map(lambda x: -x)), _nan,
                         _too_big_ints)
    if key == "time_step_timeout_factor":
        return _nan
    if key == "hang_timeout":
        return st.one_of(_numeric(st.floats(max_value=0.0)), _numeric(_too_big), _nan,
                         st.integers(max_value=0), _too_big_ints)
    if key in INT_KEYS:
        low, high = INT_KEYS[key]
        ints = st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1))
        return st.one_of(ints, st.integers(-(2**31), low - 1).map(np.int64))
    if key == "clock":
        return _texts.filter(lambda s: s not in ("wall", "simulated"))
    return None


def _probable_mistake(key: str) -> st.SearchStrategy[Any] | None:
    """Values rtgym 0.16 runs that are probably not what was meant (None: no such values)."""
    if key == "interface_args":  # iterables unpacked element by element
        return st.one_of(_texts, st.frozensets(st.integers(), max_size=2),
                         st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
    if key == "time_step_duration":
        return st.one_of(_py_bools, st.sampled_from([0, 0.0, -0.0, np.float64(0)]))
    if key == "start_obs_capture":
        return st.one_of(
            _py_bools,
            _numeric(st.floats(min_value=-MAX_SECONDS, max_value=0.0, exclude_max=True)),
            _numeric(st.floats(min_value=DEFAULT_DURATION, max_value=MAX_SECONDS,
                               exclude_min=True)),
            st.integers(min_value=-int(MAX_SECONDS), max_value=-1),
            st.integers(min_value=1, max_value=int(MAX_SECONDS)),
        )
    if key == "time_step_timeout_factor":
        return st.one_of(_py_bools.filter(lambda b: not b), _numeric(st.floats(max_value=0.0)),
                         st.integers(max_value=0))
    if key == "benchmark_polyak":  # benchmarks are off in these cases
        return st.one_of(
            _not_a_number, _nan,
            _numeric(st.floats(max_value=0.0)),
            _numeric(st.floats(min_value=1.0, exclude_min=True)),
            st.integers(max_value=0), st.integers(min_value=2),
        )
    if key == "act_buf_len":
        return _py_bools
    if key == "ep_max_length":
        return st.one_of(
            _py_bools,
            st.integers(max_value=0),
            st.floats(max_value=1.0, exclude_max=True),  # includes -inf
            st.floats(1.0, 1e9).filter(lambda x: x != int(x)),  # not a whole number
            _nan,
            st.integers(-(2**63), 0).map(np.int64),
        )
    if key in BOOL_KEYS:
        return _not_a_bool
    if key == "benchmark_type":  # rtgym runs any other string as "trace"
        return _texts.filter(lambda s: s.lower() not in ("polyak", "trace"))
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
"""``(key, "wrong type" | "out of range")`` -> strategy of values that must raise."""
MISTAKES: dict[str, st.SearchStrategy[Any]] = {}
"""``key`` -> strategy of values that must warn, and run."""
for _key in KNOWN_KEYS:
    CASES[(_key, "wrong type")] = _wrong_type(_key)
    _range = _out_of_range(_key)
    if _range is not None:
        CASES[(_key, "out of range")] = _range
    _mistake = _probable_mistake(_key)
    if _mistake is not None:
        MISTAKES[_key] = _mistake

CONTEXT: dict[tuple[str, str], dict[str, Any]] = {
    ("benchmark_polyak", "wrong type"): {"benchmark": True},  # unused (a warning) otherwise
}
"""Other entries a case needs for its value to matter."""


# -- the table -------------------------------------------------------------------------------

EXAMPLES: list[tuple[str, str, Any]] = [
    ("interface", "wrong type", 42),
    ("interface", "wrong type", NotAnInterface),
    ("interface", "out of range", RealTimeGymInterface),
    ("interface_args", "wrong type", 3),
    ("interface_args", "probable mistake", {}),
    ("interface_kwargs", "wrong type", [1, 2]),
    ("interface_kwargs", "wrong type", {1: "a"}),
    ("time_step_duration", "wrong type", "0.05"),
    ("time_step_duration", "probable mistake", True),
    ("time_step_duration", "probable mistake", 0.0),
    ("time_step_duration", "out of range", -0.05),
    ("time_step_duration", "out of range", float("inf")),
    ("time_step_duration", "out of range", np.float64(2e6)),
    ("start_obs_capture", "wrong type", None),
    ("start_obs_capture", "probable mistake", -0.01),
    ("start_obs_capture", "probable mistake", fractions.Fraction(1, 10)),
    ("start_obs_capture", "out of range", float("nan")),
    ("time_step_timeout_factor", "wrong type", decimal.Decimal("1.5")),
    ("time_step_timeout_factor", "probable mistake", 0),
    ("ep_max_length", "wrong type", "100"),
    ("ep_max_length", "probable mistake", 0),
    ("ep_max_length", "probable mistake", 2.5),
    ("act_in_obs", "probable mistake", "no"),
    ("act_in_obs", "wrong type", np.zeros(2)),
    ("act_buf_len", "wrong type", 2.0),
    ("act_buf_len", "out of range", -1),
    ("act_buf_len", "out of range", 10**9),
    ("reset_act_buf", "probable mistake", "yes"),
    ("benchmark", "probable mistake", None),
    ("benchmark_polyak", "probable mistake", [0.1]),
    ("benchmark_polyak", "probable mistake", 1.5),
    ("benchmark_type", "wrong type", b"polyak"),
    ("benchmark_type", "probable mistake", "polyack"),
    ("wait_on_done", "probable mistake", 2),
    ("last_act_on_reset", "probable mistake", 1.0),
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
    ("disable_env_checking", "misspelt key", True),
    (3, "misspelt key", 0.05),
]


def outcome(config: Any, build: bool = False
            ) -> tuple[BaseException | None, list[warnings.WarningMessage]]:
    """What checking ``config`` raises (None if nothing) and warns.

    Through :class:`RealTimeConfig` only, or with ``build``, by making the environment (on the
    thread-per-step runner: with the simulated clock, it starts no thread), which also checks
    the interface it builds.
    """
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            if build:
                RealTimeEnv(config).close()
            else:
                RealTimeConfig.from_dict(config)
        except Exception as err:
            return err, list(record)
    return None, list(record)


def table() -> str:
    """A Markdown table of the representative cases and what they do."""
    from interfaces import FaultyInterface  # only needed here

    rows = ["| key | bad value class | example value | outcome | message |",
            "|---|---|---|---|---|"]

    def row(key: Any, kind: str, value: Any, config: Any) -> None:
        err, record = outcome(config, build=True)
        if err is not None:
            name, text = type(err).__name__, str(err)
        elif record:
            name = type(record[-1].message).__name__ + " (runs)"
            text = " / ".join(str(w.message) for w in record)
        else:
            name, text = "(runs)", "ignored, as in rtgym"
        shown = repr(value).replace("|", "\\|")
        text = text.replace("|", "\\|")
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
