"""eqenvs: Gymnasium environments for measuring zero-shot generalisation across a symmetry group.

Importing the package registers the environment ids (Gymnasium 1.x has no plugin entry points)::

    import gymnasium as gym
    import eqenvs

    env = gym.make("EqPushT-v0", orientation=0.7)   # also gym.make("eqenvs:EqPushT-v0", ...)
"""

from __future__ import annotations

import gymnasium as gym

from eqenvs.groups import SE2, SE3, SO2, SO3, GroupElement
from eqenvs.splits import orientations

__all__ = ["SE2", "SE3", "SO2", "SO3", "GroupElement", "__version__", "orientations"]
__version__ = "0.1.0"

if "EqPushT-v0" not in gym.registry:
    gym.register(id="EqPushT-v0", entry_point="eqenvs.pusht:EqPushTEnv", max_episode_steps=300)
