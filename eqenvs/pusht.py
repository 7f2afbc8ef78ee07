"""EqPushT-v1: 2D T-block pushing on gym-pusht's real pymunk physics, seen from any orientation g in SE(2).

The simulator is gym-pusht's own ``PushTEnv`` scene (its pymunk space, walls, pusher, T block, PD
controller constants and coverage), wrapped so that an orientation ``g`` transforms the whole task
(``eqenvs.pusht_sim``, which the contact planner shares).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from eqenvs.groups import SE2, GroupElement, wrap_angle
from eqenvs.pusht_sim import (
    ARENA_CENTRE,
    ARENA_SQUARE,
    ARENA_UNIT_PX,
    CONTROL_DT,
    PUSHER_RADIUS,
    T_CENTRE_OF_MASS,
    T_REACH_PX,
    WALL_CORNERS,
    WALL_RADIUS,
    PushTSim,
    centred,
    t_polygon,
)
from eqenvs.render import Canvas, check_frame_size, quarter_turns, turn_grid
from eqenvs.scene import OrientedEnv, PlacedScene, choice, generator_from_state, quantise_action
from eqenvs.symmetry import PIXELS, Field, Layout, Symmetry
from eqenvs.tasks import CoverageTask, Measurement, PoseTask, Task, select_task

__all__ = ["ARENA_CENTRE", "ARENA_UNIT_PX", "DELTA_SCALE_PX", "TASKS", "EqPushTEnv", "PushTScene"]

# ------------------------------------------------- actions and observations (the scene's geometry: pusht_sim)
DELTA_SCALE_PX = 40.0
"""A delta action of norm 1 moves the pusher's target 40 px from the pusher's current position."""
VELOCITY_UNIT = CONTROL_DT / ARENA_UNIT_PX
"""Observed pusher velocity = px/s * VELOCITY_UNIT: arena units travelled per control step."""

# Radial bounds of every reachable state (see ``PushTScene`` docstring, "Observation Space"):
# pusher targets stay in the 512 px square and the PD loop's position impulse response is positive, so
# the pusher stays in it too; its velocity is at most 3.75 x 512 px/s per axis (sum of the positive part
# of the velocity impulse response); the block only moves when pushed (gym-pusht's damping is 0), so its
# origin stays within 15 + 121 px of the pusher's square. Bounds below round those up.
POINT_BOUND = 2.25  # arena units; block origin <= 2.17, pusher <= 1.42, goals <= 0.6
VELOCITY_BOUND = 1.1  # arena units per step; reachable <= 3.75 * 512 * sqrt(2) * VELOCITY_UNIT = 1.061
UNIT_BOUND = 1.0 + 1e-12  # unit vectors, up to the rounding of rotating them (a few ulp)
# gym-pusht's observation types measure in px about the arena centre: the same radial bounds, in px
AGENT_POS_BOUND_PX = POINT_BOUND * ARENA_UNIT_PX  # 576 px
KEYPOINT_BOUND_PX = math.ceil(POINT_BOUND * ARENA_UNIT_PX + T_REACH_PX)  # a T point is <= 121 px from its origin


_PUSH_START = (ARENA_CENTRE[0] - 30.0, ARENA_CENTRE[1] - 45.0)  # block origin; its centre of mass at (-30, 0)
PUSHT_SUCCESS_COVERAGE = 0.95
REWARD_DISTANCE_PX = 60.0  # push/pose reward falls linearly to 0 at this position error
TASKS: dict[str, Task] = {
    "pusht": CoverageTask(
        "pusht",
        (256.0, 256.0, math.pi / 4),
        "px",
        "gym-pusht's task: its own start distribution and goal; success = coverage > 0.95",
        PUSHT_SUCCESS_COVERAGE,
        reward_distance=REWARD_DISTANCE_PX,
    ),
    "push": PoseTask(
        "push",
        (_PUSH_START[0] + 60.0, _PUSH_START[1], 0.0),
        "px",
        "block near the centre at heading 0, goal 60 px along +x; success = within 24 px",
        24.0,
        None,
        reward_distance=REWARD_DISTANCE_PX,
    ),
    "pose": PoseTask(
        "pose",
        (_PUSH_START[0] + 60.0, _PUSH_START[1], math.pi / 6),
        "px",
        "push plus a 30 degree turn; success = within 24 px and 15 degrees",
        24.0,
        math.pi / 12,
        reward_distance=REWARD_DISTANCE_PX,
    ),
}
"""The canonical tasks; goals are poses of the block's body frame (gym-pusht's origin) in px, rad."""
OBS_TYPES = ("state", "pixels", "state_pixels", "pixels_agent_pos", "environment_state_agent_pos")
"""The first three are eqenvs' own; the last two are gym-pusht's (LeRobot reads them), with its keys and units."""
ACTION_TYPES = ("delta", "absolute")
START_JITTER_PX, START_JITTER_RAD = 8.0, 0.1  # push/pose starts: uniform jitter of block position and heading
# Action components below these magnitudes are read as 0 (delta: units of 40 px; absolute: px): far
# below any physical effect, and above the ~1e-16-relative error of mapping an action to g and back.
ACTION_ZERO = {"delta": 1e-7, "absolute": 1e-4}

COLORS = {
    "outside": (214, 214, 214),
    "floor": (255, 255, 255),
    "wall": (150, 150, 150),
    "goal": (144, 238, 144),  # LightGreen, as gym-pusht
    "block": (119, 136, 153),  # LightSlateGray
    "pusher": (65, 105, 225),  # RoyalBlue
    "target": (220, 20, 60),
}
VIEW_HALF_EXTENT_PX = 372.0  # the rotated wall square reaches 250.5 * sqrt(2) + 2 = 356.3 px from the centre


class PushTScene(PlacedScene):
    """The T-pushing task on gym-pusht's pymunk scene, placed in the world by ``placement``.

    At the identity placement this is the canonical environment that ``Orient`` relabels (EqPushT-v1's
    frame mode); at any other placement the pymunk scene itself is moved (EqPushT-v1's physics mode).
    See ``EqPushTEnv`` for the full documentation; this class takes the same arguments, with
    ``placement`` in place of ``orientation``/``orientation_mode``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": round(1 / CONTROL_DT)}
    """``render_fps`` is the control rate (10 steps per simulated second), as gym-pusht's."""
    group = SE2
    translation_unit = "px"

    def __init__(
        self,
        task: str = "pusht",
        obs_type: str = "state",
        action_type: str = "delta",
        reward_type: str | None = None,
        placement: Any = 0.0,
        render_mode: str | None = None,
        obs_size: int = 96,
        render_size: int = 512,
    ):
        self.task = select_task(TASKS, task, reward_type)
        self.obs_type = choice(obs_type, OBS_TYPES, "obs_type")
        self.action_type = choice(action_type, ACTION_TYPES, "action_type")
        if render_mode is not None:
            choice(render_mode, tuple(self.metadata["render_modes"]), "render_mode")
        self.render_mode = render_mode
        self.obs_size = check_frame_size(obs_size, "obs_size")
        self.render_size = check_frame_size(render_size, "render_size")
        self.symmetry = _pusht_symmetry(self.obs_type, self.action_type)
        self.obs_layout = self.symmetry.obs_layout
        self._base_placement = SE2.parse(placement, "placement")
        self._max_translation = float(np.linalg.norm(self._base_placement.translation))
        self._sim = PushTSim(centred(self._base_placement))
        self.placement = self._base_placement
        self._target: tuple[float, float] | None = None
        self._action_zero = ACTION_ZERO[self.action_type]
        self._init_kwargs = dict(task=task, obs_type=obs_type, action_type=action_type, reward_type=reward_type,
                                 placement=self._base_placement,
                                 render_mode=render_mode, obs_size=obs_size, render_size=render_size)  # fmt: skip
        self._scene_frame: tuple[GroupElement, GroupElement] | None = None  # set by reset
        self._episode: dict[str, Any] | None = None  # how the current episode began, for pickling
        self._history: list[tuple[float, float]] = []  # validated actions since reset, for pickling

        pixels_box = spaces.Box(0, 255, (self.obs_size, self.obs_size, 3), np.uint8)
        parts = {key: pixels_box if part == PIXELS else part.box(self._max_translation)
                 for key, part in self.symmetry.observation_parts.items()}  # fmt: skip
        self.observation_space = parts[None] if None in parts else spaces.Dict(parts)
        self.action_space = self.symmetry.action_layout.box(self._max_translation, np.float32)

    # ------------------------------------------------------------------ queries
    def block_pose(self) -> tuple[float, float, float]:
        """The block's body-frame pose in the world: origin x, y (px) and angle (rad, unwrapped)."""
        x, y = self._sim.block.position
        return x, y, self._sim.block.angle

    def goal_pose(self) -> tuple[float, float, float]:
        """The goal pose of the block's body frame in the world (px, rad)."""
        x, y, a = self._sim.goal_pose
        return float(x), float(y), float(a)

    def coverage(self) -> float:
        """Fraction of the goal T covered by the block (gym-pusht's shapely computation)."""
        return float(self._sim.coverage())

    def pose_errors(self) -> tuple[float, float]:
        """Distance (px) between the block's and the goal's body origins, and their heading difference (rad)."""
        bx, by, ba = self.block_pose()
        gx, gy, ga = self.goal_pose()
        return math.hypot(bx - gx, by - gy), abs(wrap_angle(ba - ga))

    def measure(self) -> Measurement:
        """What every task reads: pose errors and coverage (which ``info`` reports for every task)."""
        pos_error, angle_error = self.pose_errors()
        block = self._sim.block
        pusher = math.dist(self._sim.agent.position, block.local_to_world(block.center_of_gravity))
        return Measurement(pos_error, angle_error, self.coverage(), pusher)

    def wall_clearance(self) -> float:
        """Distance (px) from the block to the nearest wall's inner surface; <= 0 means touching."""
        vertices = t_polygon(*self.block_pose())
        if self._scene_frame is not None:
            vertices = self._scene_frame[1].act_points(vertices)
        inner_lo, inner_hi = WALL_CORNERS[0, 0] + WALL_RADIUS, WALL_CORNERS[2, 0] - WALL_RADIUS
        return float(np.min(np.minimum(vertices - inner_lo, inner_hi - vertices)))

    def get_state(self) -> np.ndarray:
        """[pusher_x, pusher_y, block_x, block_y, block_angle] (world px, rad), as ``reset(options={"state": ...})``."""
        px, py = self._sim.agent.position
        bx, by, ba = self.block_pose()
        return np.array([px, py, bx, by, ba])

    # ---------------------------------------------------------------- gym API
    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        placement, state = self._parse_options(options)  # validate everything before touching any state
        super().reset(seed=seed)
        self._episode = {"rng": self.np_random.bit_generator.state, "seed": self._np_random_seed,
                         "options": {"orientation": placement, "state": state}}  # fmt: skip
        self._history = []
        self.placement = placement
        sim = self._sim
        sim.placement = h = centred(placement)
        self._scene_frame = None if h.is_identity else (h, h.inverse())  # scene px -> world px, and back
        sim.build()
        goal = self.task.goal
        sim.goal_pose = np.array([*h.act_points(goal[:2]).tolist(), goal[2] + self._phi])
        if state is not None:
            self._place(*state)
        elif self.task.name == "pusht":
            # gym-pusht's own draw and its legacy placement order (position, then angle), for parity
            rng = self.np_random
            draw = [rng.integers(50, 450), rng.integers(50, 450), rng.integers(100, 400), rng.integers(100, 400)]
            angle = rng.uniform(-np.pi, np.pi)
            sim.agent.position = h.act_points(draw[:2]).tolist()
            sim.block.position = h.act_points(draw[2:4]).tolist()
            sim.block.angle = angle + self._phi
            sim.space.step(sim.dt)
        else:
            block = self._push_start_block()
            pusher = h.act_points(self._push_start_pusher()).tolist()
            self._place(*pusher, *block)
        self._target = None
        return self._get_obs(), self._reset_info()

    def render_view(self, view: Any = None, size: int | None = None, overlay: bool = True) -> np.ndarray:
        """Draw the current scene as seen from orientation ``view`` (about the arena centre).

        ``size`` defaults to ``render_size``; ``overlay`` adds the commanded target (a red cross), as
        gym-pusht's render does. The whole arena stays in view at every rotation. At a quarter turn (``view``'s
        rotation k x 90 deg) the frame is ``np.rot90`` of the view without that rotation, bit for bit, so frame
        mode's pixel observations at 90, 180 and 270 deg are the identity's turned (``render.quarter_turns``).
        """
        view = SE2.identity() if view is None else SE2.parse(view, "view")
        size = self.render_size if size is None else check_frame_size(size, "size")
        k = quarter_turns(view)
        if k:  # drawn unturned, then the pixel grid turned: exactly np.rot90 of the unturned frame
            unturned = SE2(np.eye(2), view.rotation.T @ view.translation)
            return turn_grid(self._draw(unturned, size, overlay), k)
        return self._draw(view, size, overlay)

    def _draw(self, view: GroupElement, size: int, overlay: bool) -> np.ndarray:
        sim = self._sim
        canvas = Canvas(size, ARENA_CENTRE, VIEW_HALF_EXTENT_PX, view, COLORS["outside"])
        walls = sim.placement.act_points(WALL_CORNERS)
        canvas.polygon(walls, COLORS["floor"])
        canvas.outline(walls, COLORS["wall"], 2 * WALL_RADIUS)
        gx, gy, ga = sim.goal_pose
        canvas.polygon(t_polygon(gx, gy, ga), COLORS["goal"])
        canvas.polygon(t_polygon(*self.block_pose()), COLORS["block"])
        canvas.disk(np.array(sim.agent.position), PUSHER_RADIUS, COLORS["pusher"])
        if overlay and self._target is not None:
            canvas.cross(np.array(self._target), 8.0, COLORS["target"], 2.0)
        return canvas.image

    # ---------------------------------------------------------------- pickle
    def __getstate__(self) -> dict[str, Any]:
        """Constructor kwargs, how the episode began and its actions: enough to rebuild it bit for bit.

        pymunk cannot restore a body with an offset centre of gravity exactly (its pickle even sets the
        position before the centre of gravity, moving gym-pusht's block by 45 px), so the episode is
        replayed instead: same seed, same actions, same floats.
        """
        rng_now = None if self._np_random is None else self._np_random.bit_generator.state
        return {"kwargs": self._init_kwargs, "episode": self._episode, "history": list(self._history),
                "rng_now": rng_now, "rng_seed": self._np_random_seed,
                "pixels_drawn_by_wrapper": self._pixels_drawn_by_wrapper}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["kwargs"])
        self._pixels_drawn_by_wrapper = state["pixels_drawn_by_wrapper"]
        if state["episode"] is not None:
            self._np_random = generator_from_state(state["episode"]["rng"])
            self.reset(options=state["episode"]["options"])
            self._episode["rng"] = state["episode"]["rng"]
            for action in state["history"]:
                self._advance(action)
        if state["rng_now"] is not None:
            self._np_random = generator_from_state(state["rng_now"])
        self._np_random_seed = state["rng_seed"]

    # -------------------------------------------------------------- internals
    def _advance(self, action: Any) -> None:
        if self._episode is None:  # gym-pusht's simulator has no bodies before the first reset
            raise ResetNeeded("Cannot call env.step() before calling env.reset()")
        tx, ty = self._target_from_action(action)
        self._history.append(self._last_action)
        self._target = (tx, ty)
        self._sim.advance(tx, ty)

    @property
    def _phi(self) -> float:
        r = self._sim.placement.rotation
        return math.atan2(r[1, 0], r[0, 0])

    def _parse_state(self, state: Any, placement: GroupElement) -> np.ndarray:
        """Validate a reset state [pusher_x, pusher_y, block_x, block_y, block_angle] (px, rad, in the frame of
        ``placement``): finite, the pusher in the arena, the block's origin inside the walls."""
        try:
            s = np.asarray(state, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"options['state']: expected 5 numbers, got {state!r}") from None
        if s.shape != (5,):
            raise ValueError(
                "options['state']: expected [pusher_x, pusher_y, block_x, block_y, block_angle], shape (5,), "
                f"got {s.shape}"
            )
        if not np.all(np.isfinite(s)):
            raise ValueError(f"options['state']: must be finite, got {s.tolist()}")
        local = centred(placement).inverse().act_points(s[:4].reshape(2, 2))
        (lo, hi), wall_lo, wall_hi = ARENA_SQUARE, WALL_CORNERS[0], WALL_CORNERS[2]
        if np.any(local[0] < lo) or np.any(local[0] > hi):
            raise ValueError(f"options['state']: pusher {s[:2].tolist()} lies outside the arena")
        if np.any(local[1] < wall_lo) or np.any(local[1] > wall_hi):
            raise ValueError(f"options['state']: block origin {s[2:4].tolist()} lies outside the walls")
        return s

    def _push_start_block(self) -> tuple[float, float, float]:
        rng = self.np_random
        dx, dy = rng.uniform(-START_JITTER_PX, START_JITTER_PX, 2)
        angle = rng.uniform(-START_JITTER_RAD, START_JITTER_RAD)
        x, y = self._sim.placement.act_points([_PUSH_START[0] + dx, _PUSH_START[1] + dy]).tolist()
        return x, y, angle + self._phi

    def _push_start_pusher(self) -> np.ndarray:
        """The pusher starts behind the block (relative to +x), 100-130 px from its nominal centre of mass."""
        rng = self.np_random
        bearing = math.pi + rng.uniform(-math.pi / 4, math.pi / 4)
        radius = rng.uniform(100.0, 130.0)
        com = np.array(_PUSH_START) + T_CENTRE_OF_MASS
        return com + radius * np.array([math.cos(bearing), math.sin(bearing)])

    def _place(self, px: float, py: float, bx: float, by: float, angle: float) -> None:
        """Put the bodies exactly where asked (world frame): the block's angle first, then its origin."""
        sim = self._sim
        sim.agent.position = (px, py)
        sim.agent.velocity = (0.0, 0.0)
        sim.block.angle = angle
        sim.block.position = (bx, by)
        sim.space.step(sim.dt)  # as PushTEnv._set_state: let pymunk take the new poses into account

    def _target_from_action(self, action: Any) -> tuple[float, float]:
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"action: expected a numeric array of shape (2,), got {action!r}") from None
        if a.shape != (2,):
            raise ValueError(f"action: expected shape (2,), got {a.shape}")
        x, y = a.tolist()
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"action: must be finite, got {a.tolist()}")
        self._last_action = (x, y)
        sim, frame, delta = self._sim, self._scene_frame, self.action_type == "delta"
        if frame is not None:
            # into the scene's own frame first, so that the float32 rounding below happens where frame mode's
            # does: physics mode then differs from frame mode by pymunk alone, not by rounding
            to_scene = frame[1].act_vectors if delta else frame[1].act_points
            x, y = to_scene([x, y]).tolist()
        x, y = quantise_action(x, self._action_zero), quantise_action(y, self._action_zero)
        if delta:
            norm2 = x * x + y * y
            if norm2 > 1.0:  # project onto the unit disk: the admissible set is rotation-invariant
                inv = 1.0 / math.sqrt(norm2)
                x, y = x * inv, y * inv
            px, py = sim.agent.position if frame is None else frame[1].act_points(sim.agent.position).tolist()
            x, y = px + DELTA_SCALE_PX * x, py + DELTA_SCALE_PX * y
        x, y = _clip(x, 0), _clip(y, 1)  # onto the arena square
        if frame is None:
            return x, y
        tx, ty = frame[0].act_points([x, y]).tolist()
        return tx, ty

    def _get_obs(self) -> Any:
        obs_type = self.obs_type
        if obs_type == "pixels":
            return self._pixels()
        if obs_type == "pixels_agent_pos":  # gym-pusht's keys, dtypes and units (px)
            return {"pixels": self._pixels(), "agent_pos": np.array(self._sim.agent.position)}
        if obs_type == "environment_state_agent_pos":
            sim = self._sim
            keypoints = sim.keypoints().flatten()  # gym-pusht's own 8 corners, in px
            return {"environment_state": keypoints, "agent_pos": np.array(sim.agent.position)}
        sim = self._sim
        cx, cy = ARENA_CENTRE
        k = 1.0 / ARENA_UNIT_PX
        gx, gy, ga = sim.goal_pose
        bx, by = sim.block.position
        ba = sim.block.angle
        px, py = sim.agent.position
        vx, vy = sim.agent.velocity
        state = np.array([
            (gx - cx) * k, (gy - cy) * k, math.cos(ga), math.sin(ga),
            (bx - cx) * k, (by - cy) * k, math.cos(ba), math.sin(ba),
            (px - cx) * k, (py - cy) * k, vx * VELOCITY_UNIT, vy * VELOCITY_UNIT,
        ])  # fmt: skip
        if obs_type == "state":
            return state
        return {"state": state, "pixels": self._pixels()}


def _clip(v: float, axis: int) -> float:
    lo, hi = ARENA_SQUARE[0][axis], ARENA_SQUARE[1][axis]
    return lo if v < lo else hi if v > hi else v


def _pusht_symmetry(obs_type: str, action_type: str) -> Symmetry:
    k = 1.0 / ARENA_UNIT_PX
    position = {"bound": POINT_BOUND, "scale": k, "unit": "arena units (256 px) from the arena centre"}
    direction = {"bound": UNIT_BOUND, "unit": "unit vector"}
    obs_layout = Layout([
        Field("goal_pos", "point", 0, 2, **position, constant=True),
        Field("goal_dir", "vector", 2, 2, **direction, constant=True),
        Field("block_pos", "point", 4, 2, **position),
        Field("block_dir", "vector", 6, 2, **direction),
        Field("pusher_pos", "point", 8, 2, **position),
        Field("pusher_vel", "vector", 10, 2, VELOCITY_BOUND, unit="arena units per step"),
    ])  # fmt: skip
    if action_type == "delta":
        action_layout = Layout.of(("target_delta", "vector", 2), vector={"bound": 1.0, "unit": "x 40 px"})
    else:
        half = math.ceil(math.hypot(*(np.array(ARENA_SQUARE[1]) - ARENA_CENTRE)))  # the square's farthest corner
        action_layout = Layout.of(
            ("target", "point", 2),
            point={"bound": float(half), "origin": tuple(ARENA_CENTRE), "scale": 1.0, "unit": "px"},
        )
    state_layout = Layout.of(
        ("pusher", "point", 2),
        ("block", "point", 2),
        ("block_angle", "angle", 1),
        point={"origin": tuple(ARENA_CENTRE), "scale": 1.0, "unit": "px"},
    )
    # gym-pusht's observation types: positions in px about the arena centre
    px = {"origin": tuple(ARENA_CENTRE), "scale": 1.0, "unit": "px"}
    agent_pos = Layout.of(("agent_pos", "point", 2), point={"bound": AGENT_POS_BOUND_PX, **px})
    keypoints = Layout.of(*[(f"keypoint_{i}", "point", 2) for i in range(8)], point={"bound": KEYPOINT_BOUND_PX, **px})
    observation = {
        "state": obs_layout,
        "pixels": PIXELS,
        "state_pixels": {"state": obs_layout, "pixels": PIXELS},
        "pixels_agent_pos": {"pixels": PIXELS, "agent_pos": agent_pos},
        "environment_state_agent_pos": {"environment_state": keypoints, "agent_pos": agent_pos},
    }[obs_type]
    return Symmetry(SE2, obs_layout, action_layout, state_layout, observation, obs_type)


class EqPushTEnv(OrientedEnv):
    """
    ## Description

    gym-pusht's PushT on its real pymunk physics, seen from any orientation ``g`` in SE(2). A blue
    circular pusher (position-controlled through gym-pusht's PD loop) pushes a T-shaped block towards
    a green goal pose. ``g`` transforms the *whole* task: scene, goal, observations, actions and frames.

    ## Symmetry

    The group is SE(2) acting on the plane about the arena centre (255.5, 255.5) px; translations in px.
    ``env.unwrapped.symmetry`` gives ``act_obs(g, obs)`` / ``act_action(g, a)``; ``obs_layout`` says
    which coordinates are points (rotate and translate), vectors (rotate) or scalars (invariant).
    ``orientation_mode="frame"`` (default) keeps the canonical simulation and relabels everything by
    ``g`` (it is ``Orient`` on the canonical scene), so the observation at ``g`` is exactly
    ``act_obs(g, observation at identity)`` for ``act_action``-mapped actions. ``orientation_mode=
    "physics"`` moves the pymunk scene itself (walls, goal, bodies); pymunk is not exactly rotation
    equivariant through contacts, and ``python -m eqenvs.speed`` measures by how much.

    ## Action Space

    ``action_type="delta"`` (default): ``Box(-1, 1, (2,))``, the pusher's target as a displacement
    from its current position in units of 40 px, projected onto the unit disk (so the admissible set
    is rotation-invariant). ``action_type="absolute"``: gym-pusht's absolute target in px, in the
    rotated frame; the Box covers the rotated arena. Either target is then projected onto the arena
    square [0, 512]^2 of the scene. Any finite action is accepted; NaN/inf or a wrong shape raise
    ``ValueError`` and leave the state untouched.

    ## Observation Space

    ``obs_type="state"``: float64, 12 entries, six 2-vectors in the rotated frame (``obs_layout``):
    ``goal_pos``, ``goal_dir``, ``block_pos``, ``block_dir``, ``pusher_pos``, ``pusher_vel``.
    Positions are relative to the arena centre in arena units (256 px; the walls at +-0.98); the
    block position is its body origin (gym-pusht's, the middle of the bar's top edge, not its centre of
    mass); directions are unit vectors of the body angle; the velocity is in arena units per step.
    Bounds hold for every reachable state at every rotation: positions 2.25 (+ |t|/256 for a
    translation t), velocity 1.1. ``"pixels"``: uint8 (obs_size, obs_size, 3) frames of the rotated
    scene (eqenvs' own drawing of the whole arena, re-drawn from g; not gym-pusht's pygame picture);
    ``"state_pixels"``: a dict of both.

    gym-pusht's observation types (what LeRobot reads), with its keys, shapes, dtypes and units; at the
    identity their state entries equal ``gym_pusht/PushT-v0``'s bit for bit, step for step:
    ``"pixels_agent_pos"``: ``{"pixels": uint8 (obs_size, obs_size, 3), "agent_pos": float64 (2,)}``;
    ``"environment_state_agent_pos"``: ``{"environment_state": float64 (16,), "agent_pos": float64 (2,)}``.
    ``agent_pos`` is the pusher's position and ``environment_state`` the T's 8 corners (x0, y0, ..., x7, y7;
    gym-pusht's ``get_keypoints`` order), in px of the rotated frame: points about the arena centre, so
    ``g`` maps p to ``c + R (p - c) + t`` (``symmetry.act_obs``). Their radial bounds about the centre
    (576 px for ``agent_pos``, 697 px for the corners, + |t|) replace gym-pusht's [0, 512] box, which a
    rotated arena leaves. Like gym-pusht's, these carry no goal vector (its goal is fixed): the goal is
    drawn in ``pixels``, and ``environment_state_agent_pos`` holds none, so a policy reading it cannot
    tell the goal of another task or orientation (use ``"state"`` for that).

    ## Rewards

    Two reward types (``reward_type``; ``eqenvs.tasks`` says why). ``"penalty"``, v1's default for
    ``"push"`` and ``"pose"``, under which success is optimal: ``-(d / 60 + 0.2 p / 60) / 10`` before
    success and 0 on the success step, with ``d`` the block's position error in px and ``p`` the pusher's
    distance to the block's centre of mass; ``"pose"`` adds ``e / (pi / 6)`` for the angle error ``e``;
    ``"pusht"`` reads ``1 - clip(coverage / 0.95, 0, 1)`` for the position term. ``"dense"``, v0's, and
    gym-pusht's for ``"pusht"`` in every version (bit for bit): ``clip(coverage / 0.95, 0, 1)`` for
    ``"pusht"``, ``1 - min(d / 60, 1)`` for ``"push"``, ``0.5 (1 - min(d / 60, 1)) + 0.5 (1 - e / pi)``
    for ``"pose"``; success ends the episode, so under these hovering near the goal earns more than
    succeeding. All are functions of invariants, so they do not depend on ``g``.

    ## Starting State

    ``"pusht"``: gym-pusht's own draw (pusher in [50, 450)^2, block in [100, 400)^2, any angle),
    reproducing ``gym_pusht/PushT-v0`` step for step at the identity. ``"push"``/``"pose"``: the block's
    centre of mass 30 px left of the arena centre at heading 0 (+-8 px, +-0.1 rad), the pusher 100-130 px
    behind it (bearing 180 +- 45 degrees); the goal is 60 px along +x (``"pose"``: turned by 30 degrees).
    ``reset(options={"state": [pusher_x, pusher_y, block_x, block_y, block_angle]})`` (px, rad, in the
    rotated frame) places the bodies exactly (angle before position); ``options={"orientation": g}``
    switches the orientation for one episode.

    ## Episode End

    Terminates on success (``"pusht"``: coverage > 0.95; ``"push"``: within 24 px; ``"pose"``: also
    within 15 degrees); truncated after 300 steps (``TimeLimit`` from ``gym.make``). ``info`` holds
    ``is_success``, ``coverage``, ``pos_error_px``, ``angle_error_rad`` (and, after reset, ``orientation``).

    ## Arguments

    | argument           | default   | meaning                                                                |
    |--------------------|-----------|------------------------------------------------------------------------|
    | `orientation`      | `0.0`     | angle: radians, or a string with its unit (`"90deg"`, `"90°"`,         |
    |                    |           | `"1.5708rad"`); 2x2 rotation; 3x3 SE(2) matrix (px); element or JSON   |
    | `orientation_mode` | `"frame"` | `"frame"` (exact relabelling) or `"physics"` (moved pymunk scene)      |
    | `task`             | `"pusht"` | `"pusht"`, `"push"` or `"pose"`                                        |
    | `obs_type`         | `"state"` | `"state"`, `"pixels"`, `"state_pixels"`, or gym-pusht's                |
    |                    |           | `"pixels_agent_pos"` and `"environment_state_agent_pos"`               |
    | `action_type`      | `"delta"` | `"delta"` or `"absolute"`                                              |
    | `reward_type`      | `None`    | `"penalty"` or `"dense"` (see Rewards); None: the version's default    |
    | `render_mode`      | `None`    | `"rgb_array"`, or `"human"` (a pygame window at `render_fps` = 10)     |
    | `obs_size`         | `96`      | side of pixel observations in px (any integer >= 16, e.g. 84 or 96)    |
    | `render_size`      | `512`     | side of rendered frames in px (any integer >= 16)                      |

    A bare angle above 2 pi in magnitude is accepted as radians with a ``UserWarning`` (probably degrees
    typed as radians: write ``"90deg"``).

    ## Version History

    * v1: ``reward_type`` defaults to ``"penalty"`` for ``"push"`` and ``"pose"``, under which success is
      optimal; ``"pusht"`` keeps gym-pusht's reward. Trajectories, observations and success are v0's.
    * v0: initial release (gym-pusht 0.1.8, pymunk 6); registered with ``reward_type="dense"``. Since
      then, without changing any trajectory, reward or success: gym-pusht's ``pixels_agent_pos`` and
      ``environment_state_agent_pos`` observation types, ``render_mode="human"``, pixel sides that are not
      multiples of 16, angle strings with units.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "human"], "render_fps": round(1 / CONTROL_DT)}
    """``render_fps`` is the control rate: 10 steps per simulated second, as gym-pusht's."""
    scene_class = PushTScene

    def __init__(
        self,
        orientation: Any = 0.0,
        orientation_mode: str = "frame",
        task: str = "pusht",
        obs_type: str = "state",
        action_type: str = "delta",
        reward_type: str | None = None,
        render_mode: str | None = None,
        obs_size: int = 96,
        render_size: int = 512,
    ):
        self._build(orientation, orientation_mode, task=task, obs_type=obs_type, action_type=action_type,
                    reward_type=reward_type, render_mode=render_mode, obs_size=obs_size,
                    render_size=render_size)  # fmt: skip

    def block_pose(self) -> tuple[float, float, float]:
        """Block body-frame pose in this env's frame (px, rad)."""
        s = self.get_state()
        return float(s[2]), float(s[3]), float(s[4])
