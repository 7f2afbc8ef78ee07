"""eqenvs: Gymnasium environments for measuring zero-shot generalisation across a symmetry group.

Importing the package registers the environment ids (Gymnasium 1.x has no plugin entry points)::

    import gymnasium as gym
    import eqenvs

    env = gym.make("EqPushT-v1", orientation=0.7)     # radians; also orientation="40deg", gym.make("eqenvs:EqPushT-v1")
    env3 = gym.make("EqPushT3D-v1", orientation=R)  # R: yaw, 3x3 rotation, 4x4 SE(3) matrix or element

Versions (Gymnasium's convention: a new version where a registered id's default behaviour changes):

* v1: ``push`` and ``pose`` default to the ``"penalty"`` reward, under which success is optimal
  (``eqenvs.tasks``); ``pusht`` keeps gym-pusht's reward bit for bit.
* v0: the first release's rewards (``reward_type="dense"`` for every task: under it, hovering near the
  goal until the time limit earns more than succeeding). Kept so earlier results reproduce; the
  scene, observations, actions, success and every trajectory are the same in both versions.

What is where (the package never imports ``agents``):

* ``groups``: SO(2), SE(2), SO(3), SE(3) elements, angles, Haar sampling: the one place rotations live.
  ``symmetry`` (how g moves an env's coordinates), ``splits`` (named sets of orientations), ``wrappers``.
* ``pusht`` and ``pusht3d``: the two environments, on ``scene`` (placed scene, oriented env) and ``tasks``
  (reward, success); ``pusht_sim`` is gym-pusht's simulation and the 2D scene's geometry.
* ``experts``: privileged experts that read the true state or simulator (scripted pushers, the contact
  planner, an oracle).
* ``testing``: the public equivariance checks with their measured tolerance table, for your own agents.
* ``speed`` and ``speed3d``: env speed and physics-mode flatness probes (``python -m eqenvs.speed``).
* ``render``, ``video``, ``files``: drawing, video writing, atomic files.
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

_LEGACY_REWARD = {"reward_type": "dense"}
for _id, _entry, _steps in (("EqPushT", "eqenvs.pusht:EqPushTEnv", 300),  # 300 steps of 0.1 s, as gym-pusht
                            ("EqPushT3D", "eqenvs.pusht3d:EqPushT3DEnv", 200)):  # fmt: skip
    if f"{_id}-v0" not in gym.registry:
        gym.register(id=f"{_id}-v0", entry_point=_entry, max_episode_steps=_steps, kwargs=_LEGACY_REWARD)
    if f"{_id}-v1" not in gym.registry:
        gym.register(id=f"{_id}-v1", entry_point=_entry, max_episode_steps=_steps)
