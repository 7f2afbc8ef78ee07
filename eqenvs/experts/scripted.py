"""Scripted pushing policies: ``ScriptedPusher`` (EqPushT-v1) and ``ScriptedPusher3D`` (EqPushT3D-v1).

They are the reference controllers of the env suite (the demo, the benchmarks and data collection use
them): privileged experts that read the full state observation. They live in eqenvs because eqenvs never
imports agents.

``ScriptedPusher`` reads only the observation, so it is equivariant by construction.

It moves the pusher behind the block (relative to the goal), going around the block if needed, then
pushes the block's centre of mass towards the goal's, steering back onto the push line. Every quantity
it uses is a difference, a norm, a dot or 2D cross product, or a quarter-turn of an observed vector,
and every branch tests an invariant, so ``act(act_obs(g, obs)) == act_action(g, act(obs))`` for
any rotation g (to float rounding), and the closed loop at g is the loop at identity seen from g.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from eqenvs.pusht import DELTA_SCALE_PX
from eqenvs.pusht3d import DELTA_SCALE_M as DELTA_SCALE_M_3D
from eqenvs.pusht_sim import ARENA_UNIT_PX, PUSHER_RADIUS, T_CENTRE_OF_MASS, T_OUTLINE
from eqenvs.symmetry import Layout

__all__ = ["ScriptedPusher", "ScriptedPusher3D"]

_PX = 1.0 / ARENA_UNIT_PX  # one px in arena units
_COM_OFFSET = T_CENTRE_OF_MASS[1] * _PX  # centre of mass sits 45 px along the body's +y axis
_BLOCK_REACH = 75.0 * _PX  # farthest point of the T from its centre of mass
_ORBIT = _BLOCK_REACH + (PUSHER_RADIUS + 22) * _PX  # radius of the detour around the block
_GAP = 8 * _PX  # clearance of the standoff point behind the block
_PUSH_STEP = 12 * _PX  # how far inside the block the pusher aims while pushing
_OUTLINE = T_OUTLINE  # px, body frame
_COM = T_CENTRE_OF_MASS


def _perp(v: np.ndarray) -> np.ndarray:
    """Quarter turn (+90 degrees), which commutes with every rotation."""
    return np.array([-v[1], v[0]])


def _unit(v: np.ndarray) -> tuple[np.ndarray, float]:
    n = float(math.hypot(v[0], v[1]))
    return (v / n if n > 0 else np.zeros(2)), n


def _reach(block_dir: np.ndarray, direction: np.ndarray) -> float:
    """Distance from the centre of mass to the T's outer boundary along ``-direction`` (arena units)."""
    ray = np.array([-(direction @ block_dir), -(direction @ _perp(block_dir))])  # in the body frame
    best = 0.0
    for p, q in zip(_OUTLINE, np.roll(_OUTLINE, -1, axis=0), strict=True):
        edge = q - p
        denom = ray[0] * edge[1] - ray[1] * edge[0]
        if abs(denom) < 1e-12:
            continue
        w = p - _COM
        s = (w[0] * edge[1] - w[1] * edge[0]) / denom  # distance along the ray
        u = (w[0] * ray[1] - w[1] * ray[0]) / denom  # position along the edge
        if s > 0 and 0.0 <= u <= 1.0:
            best = max(best, s)
    return best * _PX


class ScriptedPusher:
    """Push the block's origin to the goal position, with optional isotropic Gaussian action noise.

    Args:
        obs_layout: the env's ``obs_layout`` (``env.unwrapped.obs_layout``).
        action_type: the env's ``action_type`` ("delta" or "absolute").
        noise: standard deviation of isotropic noise added to delta actions (0 = deterministic).
        seed: seeds the noise.
    """

    def __init__(self, obs_layout: Layout, action_type: str = "delta", noise: float = 0.0, seed: int | None = None):
        for name in ("goal_pos", "block_pos", "block_dir", "pusher_pos"):
            if name not in obs_layout:
                raise ValueError(f"obs_layout: missing field {name!r}; is this an EqPushT-v1 state layout?")
        if action_type not in ("delta", "absolute"):
            raise ValueError(f"action_type: {action_type!r} is not 'delta' or 'absolute'")
        if not (math.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise: must be finite and >= 0, got {noise}")
        self.layout, self.action_type, self.noise = obs_layout, action_type, noise
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, obs: Any) -> np.ndarray:
        state = np.asarray(obs["state"] if isinstance(obs, dict) else obs, dtype=np.float64)
        f = self.layout.split(state)
        heading = f["block_dir"]
        offset = _COM_OFFSET * _perp(heading)  # origin -> centre of mass at the current heading
        block = f["block_pos"] + offset
        goal = f["goal_pos"] + offset  # where the centre of mass must go for the origin to reach the goal
        pusher = f["pusher_pos"]
        direction, distance = _unit(goal - block)
        move = self._move(pusher, block, heading, direction, distance)  # desired displacement, arena units
        delta = move / (DELTA_SCALE_PX * _PX)
        norm = math.hypot(delta[0], delta[1])
        if norm > 1.0:
            delta = delta / norm
        if self.noise:
            delta = delta + self.noise * self.rng.standard_normal(2)
        if self.action_type == "delta":
            return delta
        return (pusher + delta * DELTA_SCALE_PX * _PX) * ARENA_UNIT_PX + 255.5

    @staticmethod
    def _move(pusher, block, heading, direction, distance) -> np.ndarray:
        if distance < 2 * _PX:
            return np.zeros(2)
        reach = _reach(heading, direction) + PUSHER_RADIUS * _PX
        rel = pusher - block
        along = float(rel @ direction)
        lateral = float(direction[0] * rel[1] - direction[1] * rel[0])  # signed offset from the push line
        if along < -0.8 * reach and abs(lateral) < 6 * _PX:
            # push: aim a little inside the block on the line through the centre of mass
            contact = block - (reach - min(distance, _PUSH_STEP)) * direction
            return contact - pusher
        standoff = block - (reach + _GAP) * direction
        radial, r = _unit(rel)
        if along < -0.5 * reach or r > _ORBIT + 40 * _PX:
            return standoff - pusher  # the way to the standoff point is clear
        # go around the block: tangent step towards the standoff side, pulled onto the detour circle
        side = 1.0 if lateral >= 0 else -1.0
        return 30 * _PX * side * _perp(radial) + (_ORBIT - r) * radial


class ScriptedPusher3D:
    """EqPushT3D-v1's scripted pusher, for the canonical frame (the table is the xy plane; yaws keep it so).

    Get behind the block (as seen from the goal), going round it if needed, then push it towards the goal,
    plus isotropic Gaussian action noise. ``act(obs, goal)`` may herd the block towards another point of the
    table plane. In a tilted frame, conjugate it: ``act_action(g, policy.act(act_obs(g^-1, obs)))``.
    """

    def __init__(self, obs_layout: Layout, noise: float = 0.0, seed: Any = None):
        for name in ("pusher_pos", "block_pos", "goal_pos"):
            if name not in obs_layout:
                raise ValueError(f"obs_layout: missing field {name!r}; is this an EqPushT3D-v1 state layout?")
        if not (math.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise: must be finite and >= 0, got {noise}")
        self.layout, self.noise = obs_layout, noise
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: Any = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, obs: Any, goal: np.ndarray | None = None) -> np.ndarray:
        obs = np.asarray(obs["state"] if isinstance(obs, dict) else obs, dtype=np.float64)
        pusher, block = (obs[self.layout[name].slice][:2] for name in ("pusher_pos", "block_pos"))
        goal = obs[self.layout["goal_pos"].slice][:2] if goal is None else np.asarray(goal, dtype=np.float64)
        direction = goal - block
        distance = float(np.linalg.norm(direction))
        u = direction / distance if distance > 1e-3 else np.array([1.0, 0.0])
        side = np.array([-u[1], u[0]])
        rel = pusher - block
        along, lateral = float(rel @ u), float(rel @ side)
        if along < -0.07 and abs(lateral) < 0.02:
            aim = block + 0.5 * min(distance, 0.08) * u  # in position: push through the block's centre
        elif along < -0.09:
            aim = block - 0.11 * u  # behind it: slide across to the push line
        elif abs(lateral) < 0.11:
            aim = pusher + math.copysign(0.04, lateral) * side  # beside or in front of it: step clear sideways
        else:
            aim = block - 0.11 * u + math.copysign(0.13, lateral) * side  # clear of it: go round to behind
        action = np.array([*((aim - pusher) / DELTA_SCALE_M_3D), 0.0]) + self.rng.normal(0.0, self.noise, 3)
        return action.astype(np.float32)
