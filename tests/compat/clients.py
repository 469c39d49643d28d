"""Small client programs written for rtgym 0.16, in the style of real projects built on it.

tests/compat/test_clients.py runs this file twice: against rtgym 0.16 in a throwaway venv, and
against this project's package after a textual replacement of the package name in this file
(so the name of our package must not appear here). Each client runs on both env ids and
returns observable, timing-independent facts (spaces, step counts, buffer contents, what the
device received, warning categories, key sets); one JSON line per client and env id.

Usage: ``python clients.py [CLIENT ...]`` (all clients by default).
"""

import functools
import json
import sys
import time
import traceback
import warnings

import gymnasium
import gymnasium.spaces as spaces
import numpy as np
from rtgym import DEFAULT_CONFIG_DICT, RealTimeGymInterface

ENV_IDS = ("real-time-gym-v1", "real-time-gym-ts-v1")
DT = 0.02


class Counter(RealTimeGymInterface):
    """Observation: captures since reset, and the last control received (a Box of 2)."""

    def __init__(self, terminate_at=None, reset_sleep=0.0, gamepad=True):
        self.terminate_at = terminate_at
        self.reset_sleep = reset_sleep
        self.gamepad = gamepad
        self.captures = 0
        self.last = np.zeros(2, dtype=np.float32)
        self.received = []

    def get_observation_space(self):
        return spaces.Tuple((
            spaces.Box(0.0, 1000.0, (1,), np.float32),
            spaces.Box(-1.0, 1.0, (2,), np.float32),
        ))

    def get_action_space(self):
        return spaces.Box(-1.0, 1.0, (2,), np.float32)

    def get_default_action(self):
        return np.zeros(2, dtype=np.float32)

    def send_control(self, control):
        self.received.append(None if control is None else np.asarray(control).tolist())
        if control is not None:
            self.last = np.array(control, dtype=np.float32)

    def reset(self, seed=None, options=None):
        if self.reset_sleep:
            time.sleep(self.reset_sleep)  # an operator puts the robot back, a game respawns
        self.captures = 0
        return [np.zeros(1, np.float32), self.last.copy()], {}

    def get_obs_rew_terminated_info(self):
        self.captures += 1
        terminated = self.terminate_at is not None and self.captures >= self.terminate_at
        return [np.full(1, self.captures, np.float32), self.last.copy()], 1.0, terminated, {}


class DuckCounter:
    """The same device, written without subclassing the interface class."""

    def __init__(self):
        self.inner = Counter(terminate_at=3)

    def __getattr__(self, name):
        if name in ("get_observation_space", "get_action_space", "get_default_action",
                    "send_control", "reset", "get_obs_rew_terminated_info"):
            return getattr(self.inner, name)
        raise AttributeError(name)

    def wait(self):
        pass

    def render(self):
        return None


def config(**entries):
    """A copy of DEFAULT_CONFIG_DICT with ``entries``, as clients make theirs."""
    cfg = DEFAULT_CONFIG_DICT.copy()
    cfg.update(time_step_duration=DT, start_obs_capture=DT, act_buf_len=2)
    cfg.update(entries)
    return cfg


def plain(value):
    """``value`` as JSON: arrays as rounded lists."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if callable(value):
        return "<callable>"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return round(float(value), 6)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return np.round(np.asarray(value, dtype=np.float64), 6).tolist()


def space_facts(env):
    return {"obs_spaces": len(env.observation_space.spaces),
            "action_shape": list(env.action_space.shape)}


def episode(env, actions, **reset_kwargs):
    """Reset, then step through ``actions`` until the episode ends; what each call returned."""
    obs, _ = env.reset(**reset_kwargs)
    steps = [["reset", plain(obs)]]
    for act in actions:
        obs, rew, terminated, truncated, _ = env.step(act)
        steps.append([plain(obs), plain(rew), bool(terminated), bool(truncated)])
        if terminated or truncated:
            break
    return steps


ACTS = [np.array([0.1 * k, -0.1 * k], dtype=np.float32) for k in range(1, 8)]


# -- the clients ------------------------------------------------------------------------------


def partial_interface(env_id):
    """tmrl's pattern: the interface's keyword arguments bound with functools.partial."""
    cfg = config(interface=functools.partial(Counter, terminate_at=3, gamepad=False))
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    facts = space_facts(env)
    facts["episode"] = episode(env, ACTS)
    env.close()
    return facts


def duck_interface(env_id):
    """An interface class that has the methods but does not subclass the interface class."""
    env = gymnasium.make(env_id, config=config(interface=DuckCounter), disable_env_checker=True)
    facts = space_facts(env)
    facts["episode"] = episode(env, ACTS)
    env.close()
    return facts


def extra_keys(env_id):
    """A project keeps its own entries in rtgym's dictionary."""
    cfg = config(interface=Counter, disable_env_checking=True, img_hist_len=4, crash_penalty=10)
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    facts = space_facts(env)
    facts["episode"] = episode(env, ACTS[:3])
    env.close()
    return facts


def slow_reset(env_id):
    """A reset() that blocks a while, on the wall clock (no watchdog in rtgym)."""
    cfg = config(interface=Counter, interface_kwargs={"reset_sleep": 0.3}, ep_max_length=2)
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    facts = {"episodes": [episode(env, ACTS), episode(env, ACTS)]}
    env.close()
    return facts


def capture_after_end(env_id):
    """start_obs_capture after the end of the time-step: rtgym runs it, with timeouts."""
    cfg = config(interface=Counter, start_obs_capture=1.5 * DT, ep_max_length=4)
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    facts = {"episode": episode(env, ACTS)}
    env.close()
    return facts


def step_none(env_id):
    """rtgym's documented "send nothing": step(None)."""
    env = gymnasium.make(env_id, config=config(interface=Counter), disable_env_checker=True)
    raw = env.unwrapped
    env.reset()
    obs_none = env.step(None)[0]
    obs_next = env.step(ACTS[0])[0]
    facts = {"after_none": plain(obs_none), "after_next": plain(obs_next),
             "buffer": plain(list(raw.act_buf))}
    env.unwrapped.stop()
    facts["received"] = plain(interface_of(env).received)
    env.close()
    return facts


def trace_keys(env_id):
    """benchmark_type="trace": the key sets of rtgym's histories."""
    cfg = config(interface=Counter, benchmark=True, benchmark_type="trace")
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    episode(env, ACTS[:3])
    bench = env.unwrapped.benchmarks()
    facts = {"keys": sorted(bench), "clock": sorted(bench["clock"]),
             "deltas": sorted(bench.get("deltas", {}))}
    env.close()
    return facts


COMMON = ("is_waiting", "wait_on_done", "last_act_on_reset", "act_prepro_func",
          "obs_prepro_func", "ep_max_length", "time_step_duration", "time_step_timeout_factor",
          "start_obs_capture", "time_step_timeout", "benchmark", "benchmark_polyak",
          "act_in_obs", "act_buf_len", "reset_act_buf", "current_step", "time_initialized",
          "running", "default_action", "seed", "options", "act_buf")
TS_ONLY = ("interface_args", "interface_kwargs")


def attributes(env_id):
    """Reads of rtgym's attributes, writes that take effect, and the setters."""
    cfg = config(interface=Counter, interface_kwargs={"gamepad": False})
    env = gymnasium.make(env_id, config=cfg, disable_env_checker=True)
    raw = env.unwrapped
    names = COMMON + (TS_ONLY if "ts" in env_id else ())

    def read():
        return {name: plain(list(v) if name == "act_buf" else v)
                for name in names for v in [getattr(raw, name)]}

    facts = {"before": read(), "has_interface_cls": hasattr(raw, "interface_cls") or
             "ts" not in env_id}
    facts["first"] = episode(env, ACTS[:2], seed=5, options={"level": 2})
    raw.stop()  # (rtgym's ts worker may still be sending the last action: let it finish)
    facts["after_reset"] = read()
    raw.ep_max_length = 2  # plain attribute writes, as clients do
    raw.act_prepro_func = lambda a: a * 0.5
    facts["truncated"] = episode(env, ACTS)
    raw.set_ep_max_length(3)
    raw.set_time_step_duration(DT / 2)
    raw.set_start_obs_capture(DT / 2)
    raw.set_default_action(np.array([0.5, 0.5], dtype=np.float32))
    facts["after_setters"] = read()
    facts["third"] = episode(env, ACTS)
    raw.stop()
    facts["received"] = plain(interface_of(env).received[-6:])
    env.close()
    return facts


def stop_then_close(env_id):
    """A client's close() that stops the env (rtgym's stop()) before closing it."""
    env = gymnasium.make(env_id, config=config(interface=Counter), disable_env_checker=True)
    raw = env.unwrapped
    env.reset()
    env.step(ACTS[0])
    raw.stop()
    raw.stop()
    obs = env.step(ACTS[1])[0]  # the observation stop() waited for
    raw.stop()
    env.close()
    return {"obs": plain(obs)}


def tuto_import(env_id):
    """rtgym's tutorial imports its dummy drone from rtgym.tuto.dummy_drone."""
    from rtgym.tuto.dummy_drone import DummyRCDrone

    return {"methods": sorted(m for m in ("send_control", "get_observation")
                              if callable(getattr(DummyRCDrone, m, None)))}


def interface_of(env):
    """The interface instance (rtgym's ts env keeps it private)."""
    raw = env.unwrapped
    return raw.__dict__.get("interface") or raw.__dict__["_RealTimeEnvTS__interface"]


CLIENTS = {f.__name__: f for f in (
    partial_interface, duck_interface, extra_keys, slow_reset, capture_after_end, step_none,
    trace_keys, attributes, stop_then_close, tuto_import)}


def run(name, env_id):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            facts = CLIENTS[name](env_id)
        except Exception:
            facts = {"error": traceback.format_exc(limit=3)}
    # time-step timeouts depend on the machine's load: left out
    categories = sorted({w.category.__name__ for w in record if "timed out" not in
                         str(w.message)})
    return {"client": name, "env_id": env_id, "facts": facts, "warnings": categories}


if __name__ == "__main__":
    for client in sys.argv[1:] or CLIENTS:
        for env_id in ENV_IDS:
            print(json.dumps(run(client, env_id), sort_keys=True), flush=True)
