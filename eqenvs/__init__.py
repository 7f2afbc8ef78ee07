"""eqenvs: Gymnasium environments for measuring zero-shot generalisation across a symmetry group.

Importing the package registers the environment ids (Gymnasium 1.x has no plugin entry points)::

    import gymnasium as gym
    import eqenvs

    env = gym.make("EqPushT-v0", orientation=0.7)     # radians; also orientation="40deg", gym.make("eqenvs:EqPushT-v0")
    env3 = gym.make("EqPushT3D-v0", orientation=R)  # R: yaw, 3x3 rotation, 4x4 SE(3) matrix or element
"""

from __future__ import annotations

import os

# MuJoCo picks its OpenGL backend when first imported: render headless (EGL) unless the user chose one
os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym

from eqenvs.groups import SE2, SE3, SO2, SO3, GroupElement, format_angle, parse_angle
from eqenvs.splits import orientations

__all__ = ["SE2", "SE3", "SO2", "SO3", "GroupElement", "__version__", "format_angle", "orientations", "parse_angle"]
__version__ = "0.1.0"

if "EqPushT-v0" not in gym.registry:
    gym.register(id="EqPushT-v0", entry_point="eqenvs.pusht:EqPushTEnv", max_episode_steps=300)
if "EqPushT3D-v0" not in gym.registry:  # 200 steps of 0.1 s
    gym.register(id="EqPushT3D-v0", entry_point="eqenvs.pusht3d:EqPushT3DEnv", max_episode_steps=200)
