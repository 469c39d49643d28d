"""A user's script written for rtgym 0.16: its own interface, DEFAULT_CONFIG_DICT mutated in place.

tests/test_compat_rtgym.py runs it twice: against rtgym 0.16 in a throwaway venv, and against
this project's package after a textual replacement of the package name in this file (so the
name of our package must not appear here). It prints one JSON line per fact; both runs must
print the same lines. Only structural, timing-independent facts are printed.
"""

import json
import sys

import gymnasium
import gymnasium.spaces as spaces
import numpy as np
from rtgym import DEFAULT_CONFIG_DICT, RealTimeGymInterface


class CounterInterface(RealTimeGymInterface):
    """Observation: how many observations were captured this episode, and the last control."""

    def __init__(self, terminate_at=4):
        self.terminate_at = terminate_at
        self.captures = 0
        self.episode = 0
        self.last_control = np.zeros(2, dtype=np.float32)

    def get_observation_space(self):
        return spaces.Tuple((
            spaces.Box(low=0.0, high=1000.0, shape=(1,), dtype=np.float32),
            spaces.Box(low=-1.0, high=1.0, shape=(2,), dtype=np.float32),
        ))

    def get_action_space(self):
        return spaces.Box(low=-1.0, high=1.0, shape=(2,), dtype=np.float32)

    def get_default_action(self):
        return np.zeros(2, dtype=np.float32)

    def send_control(self, control):
        self.last_control = np.array(control, dtype=np.float32)

    def reset(self, seed=None, options=None):
        self.episode += 1
        self.captures = 0
        return [np.array([0.0], dtype=np.float32), self.last_control.copy()], {}

    def get_obs_rew_terminated_info(self):
        self.captures += 1
        obs = [np.array([self.captures], dtype=np.float32), self.last_control.copy()]
        # only the first episode terminates; the second one is truncated by ep_max_length
        terminated = self.episode == 1 and self.captures >= self.terminate_at
        return obs, float(self.captures), terminated, {}

    def wait(self):
        self.last_control = np.zeros(2, dtype=np.float32)


def emit(**fact):
    print(json.dumps(fact, sort_keys=True), flush=True)


def rounded(values):
    return [np.round(np.asarray(v, dtype=np.float64), 3).tolist() for v in values]


def run_episode(env, first_action):
    obs, _info = env.reset()
    emit(event="reset", obs_len=len(obs), counter=float(obs[0][0]), buffer=rounded(obs[2:]))
    steps = []
    terminated = truncated = False
    k = 0
    while not (terminated or truncated):
        k += 1
        act = np.array([first_action, 0.01 * k], dtype=np.float32)
        obs, rew, terminated, truncated, _info = env.step(act)
        steps.append([float(obs[0][0]), rounded([obs[1]])[0], float(rew), bool(terminated),
                      bool(truncated), len(obs)])
    emit(event="episode", length=len(steps), steps=steps, last_buffer=rounded(obs[2:]))


my_config = DEFAULT_CONFIG_DICT
my_config["interface"] = CounterInterface
my_config["interface_kwargs"] = {"terminate_at": 4}
my_config["time_step_duration"] = 0.015
my_config["start_obs_capture"] = 0.01
my_config["time_step_timeout_factor"] = 1.0
my_config["ep_max_length"] = 6
my_config["act_buf_len"] = 3
my_config["reset_act_buf"] = True
my_config["benchmark"] = True
my_config["benchmark_polyak"] = 0.2

for env_id in sys.argv[1:] or ["real-time-gym-v1", "real-time-gym-ts-v1"]:
    env = gymnasium.make(env_id, config=my_config)
    emit(event="spaces", env_id=env_id, obs_spaces=len(env.observation_space.spaces),
         action_shape=list(env.action_space.shape))
    run_episode(env, 0.5)
    bench = env.unwrapped.benchmarks()
    emit(event="benchmarks", keys=sorted(bench), pairs=sorted({len(v) for v in bench.values()}))
    env.unwrapped.wait()
    env.unwrapped.set_default_action(np.array([-0.25, 0.25], dtype=np.float32))
    run_episode(env, -0.5)
    env.close()
emit(event="done")
