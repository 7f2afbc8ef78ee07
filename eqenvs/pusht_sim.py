"""gym-pusht's PushT simulation and the scene's geometry, shared by EqPushT-v1 and the experts that simulate it.

``PushTSim`` is gym-pusht's own ``PushTEnv`` scene (its pymunk space, walls, pusher, T block, PD controller
constants and coverage), placed in the world by an SE(2) element; ``centred(g)`` is the element ``g`` acting on
scene px about the arena centre, which is how an orientation moves the scene. The constants are the scene's
geometry in gym-pusht's px frame (y down): the arena, the walls, the pusher and the T. ``eqenvs.pusht`` builds
the env on these; the contact planner (``eqenvs.experts.contact``) plans with the same simulator.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # gym_pusht imports pygame, which greets on stdout
from gym_pusht.envs.pusht import PushTEnv, pymunk_to_shapely

from eqenvs.groups import SE2, GroupElement

__all__ = [
    "ARENA_CENTRE",
    "ARENA_SQUARE",
    "ARENA_UNIT_PX",
    "CONTROL_DT",
    "PUSHER_RADIUS",
    "T_CENTRE_OF_MASS",
    "T_OUTLINE",
    "T_REACH_PX",
    "WALL_CORNERS",
    "WALL_RADIUS",
    "PushTSim",
    "centred",
    "t_polygon",
]

# --------------------------------------------------------------------------- geometry (px, y down)
ARENA_CENTRE = np.array([255.5, 255.5])
"""Centre of gym-pusht's wall square [5, 506]^2: orientations rotate the task about this point."""
ARENA_UNIT_PX = 256.0
"""Observation positions are ``(p - ARENA_CENTRE) / ARENA_UNIT_PX``: the walls sit at about +-0.98."""
ARENA_SQUARE = ((0.0, 0.0), (512.0, 512.0))
"""Commanded pusher targets are projected onto this square (gym-pusht's action box), in the scene frame."""
WALL_CORNERS = np.array([(5.0, 5.0), (506.0, 5.0), (506.0, 506.0), (5.0, 506.0)])
WALL_RADIUS = 2.0
PUSHER_RADIUS = 15.0
CONTROL_DT = 0.1
"""Seconds per env step: gym-pusht runs 10 pymunk substeps of 0.01 s per action."""
# T outline in the block's body frame (gym-pusht's two boxes: bar 120x30 on top of a 30x90 stem)
T_OUTLINE = np.array([(-60, 0), (60, 0), (60, 30), (15, 30), (15, 120), (-15, 120), (-15, 30), (-60, 30)], float)
T_CENTRE_OF_MASS = np.array([0.0, 45.0])
T_REACH_PX = math.hypot(15.0, 120.0)
"""Largest distance from the block's body origin to any point of the T (the stem's far corners)."""


def centred(g: GroupElement) -> GroupElement:
    """g acting on scene px coordinates: ``p -> c + R (p - c) + t``, exact at the identity."""
    shift = SE2(np.eye(2), ARENA_CENTRE)
    return shift @ SE2.parse(g) @ shift.inverse()


def t_polygon(x: float, y: float, angle: float) -> np.ndarray:
    """The T's outline (8 vertices, px) with its body origin at (x, y) and heading ``angle`` (rad)."""
    c, s = math.cos(angle), math.sin(angle)
    return T_OUTLINE @ np.array([[c, s], [-s, c]]) + (x, y)


class PushTSim(PushTEnv):
    """gym-pusht's PushTEnv scene, placed in the world by ``placement`` (scene px -> world px).

    Only the scene construction is replaced (walls, pusher, block and goal are put where ``placement``
    says, with gym-pusht's own builders); the pymunk space, body constants and coverage are PushTEnv's.
    No collision handler is installed: PushTEnv's ``n_contacts`` is wrong, and a handler stops pickling.
    Coverage iterates the block's shapes in a fixed order: PushTEnv iterates ``body.shapes``, a set whose
    order varies between instances, so its coverage can differ in the last bit from one instance to the next.
    """

    def __init__(self, placement: GroupElement):
        super().__init__(obs_type="state", render_mode="rgb_array")
        self.placement = placement  # px frame element
        self.goal_pose = np.zeros(3)

    def build(self) -> None:
        """A fresh pymunk space with walls, pusher and block where ``placement`` puts gym-pusht's scene."""
        import pymunk

        h, phi = self.placement, math.atan2(self.placement.rotation[1, 0], self.placement.rotation[0, 0])
        self.space = pymunk.Space()
        self.space.gravity = 0, 0
        self.space.damping = 0.0
        corners = h.act_points(WALL_CORNERS).tolist()
        # PushTEnv's four wall segments, endpoints moved by the placement
        ends = [(corners[3], corners[0]), (corners[0], corners[1]), (corners[1], corners[2]), (corners[3], corners[2])]
        self.space.add(*[self.add_segment(self.space, a, b, WALL_RADIUS) for a, b in ends])
        self.agent = self.add_circle(self.space, tuple(h.act_points([256.0, 400.0])), PUSHER_RADIUS)
        self.block, self._block_shapes = self.add_tee(self.space, tuple(h.act_points([256.0, 300.0])), phi)
        self.n_contact_points = 0

    def coverage(self) -> float:
        """Fraction of the goal T covered by the block (gym-pusht's shapely computation)."""
        goal = pymunk_to_shapely(self.get_goal_pose_body(self.goal_pose), self._block_shapes)
        block = pymunk_to_shapely(self.block, self._block_shapes)
        return goal.intersection(block).area / goal.area

    def keypoints(self) -> np.ndarray:
        """The T's 8 corners in world px, shape (8, 2): gym-pusht's ``get_keypoints`` of the block."""
        return self.get_keypoints(self._block_shapes)

    # PushTEnv's hooks (its reset and step call them), kept on the public methods above
    def _setup(self) -> None:
        self.build()

    def _get_coverage(self) -> float:
        return self.coverage()

    def advance(self, tx: float, ty: float) -> None:
        """One control step towards world target (tx, ty): PushTEnv.step's PD loop, bit for bit, minus its
        numpy temporaries (the same float operations in the same order, on Python floats)."""
        agent, space, kp, kv, dt = self.agent, self.space, self.k_p, self.k_v, self.dt
        for _ in range(int(1 / (dt * self.control_hz))):
            px, py = agent.position
            vx, vy = agent.velocity
            ax = kp * (tx - px) + kv * (0 - vx)
            ay = kp * (ty - py) + kv * (0 - vy)
            agent.velocity = (vx + ax * dt, vy + ay * dt)
            space.step(dt)
