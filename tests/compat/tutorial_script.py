"""The rtgym README's tutorial, as a user would have typed it, ported by changing imports only.

Two deliberate differences from the README: the OpenCV ``render`` bonus is left out (rtgym_nb
renders with matplotlib instead), and the last lines read the env id and clock from the
command line so one test can run every combination. Nothing else is adapted: the interface
builds its drone with no clock argument and draws targets from NumPy's global generator.
"""

import sys

import gymnasium
import gymnasium.spaces as spaces
import numpy as np

from rtgym_nb import DEFAULT_CONFIG_DICT, DummyRCDrone, RealTimeGymInterface


class MyRealTimeInterface(RealTimeGymInterface):
    def __init__(self):
        self.rc_drone = None
        self.target = np.array([0.0, 0.0], dtype=np.float32)
        self.initialized = False

    def get_observation_space(self):
        pos_x_space = spaces.Box(low=-1.0, high=1.0, shape=(1,))
        pos_y_space = spaces.Box(low=-1.0, high=1.0, shape=(1,))
        tar_x_space = spaces.Box(low=-0.5, high=0.5, shape=(1,))
        tar_y_space = spaces.Box(low=-0.5, high=0.5, shape=(1,))
        return spaces.Tuple((pos_x_space, pos_y_space, tar_x_space, tar_y_space))

    def get_action_space(self):
        return spaces.Box(low=-2.0, high=2.0, shape=(2,))

    def get_default_action(self):
        return np.array([0.0, 0.0], dtype="float32")

    def send_control(self, control):
        vel_x = control[0]
        vel_y = control[1]
        self.rc_drone.send_control(vel_x, vel_y)

    def reset(self, seed=None, options=None):
        if not self.initialized:
            self.rc_drone = DummyRCDrone()
            self.initialized = True
        pos_x, pos_y = self.rc_drone.get_observation()
        self.target[0] = np.random.uniform(-0.5, 0.5)
        self.target[1] = np.random.uniform(-0.5, 0.5)
        return [np.array([pos_x], dtype="float32"),
                np.array([pos_y], dtype="float32"),
                np.array([self.target[0]], dtype="float32"),
                np.array([self.target[1]], dtype="float32")], {}

    def get_obs_rew_terminated_info(self):
        pos_x, pos_y = self.rc_drone.get_observation()
        tar_x = self.target[0]
        tar_y = self.target[1]
        obs = [np.array([pos_x], dtype="float32"),
               np.array([pos_y], dtype="float32"),
               np.array([tar_x], dtype="float32"),
               np.array([tar_y], dtype="float32")]
        rew = -np.linalg.norm(np.array([pos_x, pos_y], dtype=np.float32) - self.target)
        terminated = rew > -0.01
        info = {}
        return obs, rew, terminated, info

    def wait(self):
        pass


my_config = DEFAULT_CONFIG_DICT
my_config["interface"] = MyRealTimeInterface
my_config["time_step_duration"] = 0.05
my_config["start_obs_capture"] = 0.05
my_config["time_step_timeout_factor"] = 1.0
my_config["ep_max_length"] = 100
my_config["act_buf_len"] = 4
my_config["reset_act_buf"] = False
my_config["benchmark"] = True
my_config["benchmark_polyak"] = 0.2

env_id, clock = sys.argv[1], sys.argv[2]
my_config["clock"] = clock  # the one rtgym_nb-only line: which clock to run on

env = gymnasium.make(env_id, config=my_config)


def model(obs):
    return np.clip(np.concatenate((obs[2] - obs[0], obs[3] - obs[1])) * 20.0, -2.0, 2.0)


terminated, truncated = False, False
obs, info = env.reset()
steps = 0
while not (terminated or truncated):
    act = model(obs)
    obs, rew, terminated, truncated, info = env.step(act)
    steps += 1
print(f"steps={steps} terminated={terminated} truncated={truncated} obs_len={len(obs)}")
print("benchmarks:", sorted(env.unwrapped.benchmarks()))
env.close()
