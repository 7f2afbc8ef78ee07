"""EqPushT3D-v1: T-block pushing in MuJoCo, seen from any orientation g in SE(3).

The scene (``assets/pusht3d.xml``) is a table, a T block on a free joint, a spherical pusher on two slide
joints parallel to the table, a goal ghost, a light and two cameras. ``PushT3DScene`` is the simulation
placed in the world by ``placement`` (the identity is the canonical scene); ``EqPushT3DEnv`` is the
registered environment: ``Orient`` around the canonical scene in frame mode, the placed scene in physics
mode. Placing the scene uses MuJoCo's model-editing API (``MjSpec``): everything that belongs to the lab
sits in one frame, which is moved by g, and gravity is rotated with it.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any, ClassVar

import mujoco
import numpy as np
from gymnasium import spaces

from eqenvs.groups import SE3, GroupElement
from eqenvs.render import check_frame_size
from eqenvs.scene import OrientedEnv, PlacedScene, choice, generator_from_state, quantise_action
from eqenvs.symmetry import PIXELS, Field, Layout, Symmetry, plane_disk
from eqenvs.tasks import Measurement, PoseTask, Task, select_task

__all__ = [
    "ACTION_ZERO",
    "CONTROL_DT",
    "DELTA_SCALE_M",
    "SCENE_FILE",
    "TASKS",
    "WORKSPACE_RADIUS_M",
    "EqPushT3DEnv",
    "PushT3DScene",
    "build_model",
    "scene_spec",
]

# --------------------------------------------------------------------------- scene constants (SI units)
SCENE_FILE = "pusht3d.xml"
"""The MJCF scene, a resource of the package ``eqenvs.assets``."""
CONTROL_DT = 0.1
"""Seconds per env step: 20 MuJoCo steps of 5 ms."""
GRAVITY = 9.81
DELTA_SCALE_M = 0.04
"""A delta action of norm 1 moves the pusher's target 4 cm from the pusher's current position."""
WORKSPACE_RADIUS_M = 0.25
"""Pusher targets are projected onto the disk of this radius about the table origin, in the table plane."""
_EGL_PROCESS: int | None = None
"""The process that created an EGL renderer (None: none yet). EGL does not survive ``fork``: a renderer made
in a forked child of that process hangs, so the child gets a clear error instead (``_new_renderer``)."""
_TABLE_NORMAL = np.array([0.0, 0.0, 1.0])  # the table frame's +z
PUSHER_RADIUS_M = 0.015
PUSHER_HEIGHT_M = 0.015
"""Height of the pusher's centre above the table: the block's mid-height, so pushes are horizontal."""
BLOCK_REST_Z = 0.014945
"""Height of the block's centre of mass when it rests on the table (its soft contacts sink 55 um)."""
BLOCK_HALF_SIZES = ((0.06, 0.015, 0.015), (0.015, 0.045, 0.015))  # bar, stem
BLOCK_GEOM_OFFSETS = ((0.0, 0.025714286, 0.0), (0.0, -0.034285714, 0.0))  # from the centre of mass
BLOCK_EXTENT_M = 0.0808
"""Largest distance from the block's centre of mass to any of its points (the stem's far corners)."""

# Radial bounds of every reachable state (checked under adversarial actions by the tests; the adversaries
# there reach 0.25 m, 0.58 m/s, 0.35 m, 0.53 m/s and 5.7 rad/s):
# - the pusher's target stays in the workspace disk and within 4 cm of the pusher, and the loop is critically
#   damped (no overshoot from rest, a few mm at most from speed): |pusher| <= 0.26 at 15 mm height;
# - its speed: the target leads by at most 4 cm, so |F| <= kp 0.04 = 6.4 N against damping 8 N s/m: a
#   terminal speed of 0.8 m/s; the block pushes back on it no faster than it was pushed (dissipative contacts);
# - the block only moves when pushed: its centre stays within pusher reach + pusher radius + block extent
#   (0.26 + 0.015 + 0.081), plus a slide of at most v^2 / (2 mu g) = 1.6^2 / 9.81 = 0.26 m after a strike at
#   twice the pusher's speed (an elastic bound); reset states are limited to 0.35 m and 5 cm of height;
# - its angular speed: a strike of contact speed v_c spins a body of gyration radius k at most v_c / (2 k):
#   v_c <= 1.6 m/s, k >= 28 mm (the T's smallest principal radius of gyration): 29 rad/s.
POINT_BOUNDS = {"pusher_pos": 0.27, "block_pos": 0.65, "goal_pos": 0.1}
VECTOR_BOUNDS = {"pusher_vel": 1.0, "block_vel": 2.0, "block_angvel": 50.0}
UNIT_BOUND = 1.0 + 1e-12  # unit vectors, up to the rounding of rotating them (a few ulp)
RESET_BLOCK_RADIUS_M = 0.35
RESET_BLOCK_MAX_HEIGHT_M = 0.05
RESET_PENETRATION_TOL_M = 1e-3

ACTION_TYPES = ("delta", "absolute")
OBS_TYPES = ("state", "pixels", "state_pixels")
CAMERAS = ("world", "scene")
CONES = ("elliptic", "pyramidal")
# Action components below these magnitudes are read as 0 (delta: units of 4 cm; absolute: metres): far
# below any physical effect, and above the ~1e-16-relative error of mapping an action to g and back.
ACTION_ZERO = {"delta": 1e-7, "absolute": 1e-7}
_STATE_SPEC = mujoco.mjtState.mjSTATE_INTEGRATION


START_BLOCK_XY = (-0.03, 0.0)
"""Nominal start of the block's centre of mass (table frame), heading 0."""
START_JITTER_M, START_JITTER_RAD = 0.008, 0.1
PUSHER_START_RADIUS_M = (0.11, 0.14)
"""The pusher starts this far behind the nominal block centre (bearing 180 +- 45 degrees): clear of the block."""
REWARD_DISTANCE_M = 0.06
TASKS: dict[str, Task] = {
    "push": PoseTask(
        "push", (0.03, 0.0, 0.0), "m", "block near the centre at heading 0, goal 6 cm along +x; within 24 mm",
        0.024, None, reward_distance=REWARD_DISTANCE_M,
    ),
    "pose": PoseTask(
        "pose", (0.03, 0.0, math.pi / 6), "m", "push plus a 30 degree turn; within 24 mm and 15 degrees",
        0.024, math.pi / 12, reward_distance=REWARD_DISTANCE_M,
    ),
}  # fmt: skip
"""The canonical tasks; goals are poses (x, y, yaw) of the block's centre of mass on the table, in m and rad."""


def _render_size(size: Any, name: str) -> int:
    size = check_frame_size(size, name)
    if size > 1024:
        raise ValueError(f"{name}: at most 1024 px (the scene's offscreen buffer), got {size}")
    return size


# --------------------------------------------------------------------------- model construction
@functools.lru_cache(maxsize=1)
def _scene_xml() -> str:
    return (resources.files("eqenvs.assets") / SCENE_FILE).read_text(encoding="utf-8")


def scene_spec(
    placement: Any = None, cone: str = "elliptic", goal: tuple[float, float, float] | None = None
) -> mujoco.MjSpec:
    """The scene as an ``mujoco.MjSpec``: the lab frame placed by ``placement``, gravity rotated with it.

    Args:
        placement: an SE(3) orientation form (None: the identity, the canonical scene).
        cone: "elliptic" (rotation-invariant friction) or "pyramidal" (MuJoCo's default; breaks the symmetry,
            for the non-equivariant control).
        goal: the goal ghost's pose in the table frame, (x, y, yaw) in m and rad; None keeps the file's.
    """
    h = SE3.identity() if placement is None else SE3.parse(placement, "placement")
    choice(cone, CONES, "cone")
    spec = mujoco.MjSpec.from_string(_scene_xml())
    if goal is not None:
        body = spec.body("goal")
        body.pos = [goal[0], goal[1], BLOCK_REST_Z]
        quat = np.empty(4)
        mujoco.mju_mat2Quat(quat, SE3.from_yaw(goal[2]).rotation.ravel())
        body.quat = quat.tolist()
    if cone == "pyramidal":
        spec.option.cone = mujoco.mjtCone.mjCONE_PYRAMIDAL
    if not h.is_identity:  # the identity keeps the file's exact numbers: physics mode then equals frame mode
        frame = spec.frame("scene")
        frame.pos = h.translation.tolist()
        quat = np.empty(4)
        mujoco.mju_mat2Quat(quat, h.rotation.ravel())
        frame.quat = quat.tolist()
        spec.option.gravity = h.act_vectors([0.0, 0.0, -GRAVITY]).tolist()
    return spec


def build_model(
    placement: Any = None, cone: str = "elliptic", goal: tuple[float, float, float] | None = None
) -> mujoco.MjModel:
    """The compiled ``mujoco.MjModel`` of ``scene_spec(placement, cone, goal)``."""
    return scene_spec(placement, cone, goal).compile()


# --------------------------------------------------------------------------- symmetry
def _symmetry(obs_type: str, action_type: str) -> Symmetry:
    """Obs: eleven 3-vectors in the env's frame (metres from the canonical table origin, m/s, rad/s)."""
    entries = [
        ("pusher_pos", "point", POINT_BOUNDS["pusher_pos"], "m"),
        ("pusher_vel", "vector", VECTOR_BOUNDS["pusher_vel"], "m/s"),
        ("block_pos", "point", POINT_BOUNDS["block_pos"], "m (centre of mass)"),
        ("block_x", "vector", UNIT_BOUND, "unit vector (the bar's axis)"),
        ("block_y", "vector", UNIT_BOUND, "unit vector (the stem points to -y)"),
        ("block_vel", "vector", VECTOR_BOUNDS["block_vel"], "m/s"),
        ("block_angvel", "vector", VECTOR_BOUNDS["block_angvel"], "rad/s"),
        ("goal_pos", "point", POINT_BOUNDS["goal_pos"], "m"),
        ("goal_x", "vector", UNIT_BOUND, "unit vector"),
        ("goal_y", "vector", UNIT_BOUND, "unit vector"),
        ("up", "vector", UNIT_BOUND, "unit vector, minus gravity"),
    ]
    constant = {"goal_pos", "goal_x", "goal_y", "up"}  # fixed within an episode
    obs_layout = Layout(
        [
            Field(n, k, 3 * i, 3, bound, unit=unit, constant=n in constant)
            for i, (n, k, bound, unit) in enumerate(entries)
        ]
    )
    if action_type == "delta":
        action_layout = Layout([Field("target_delta", "vector", 0, 3, 1.0, unit="x 4 cm, projected on the table")])
    else:
        reach = math.ceil(100 * math.hypot(WORKSPACE_RADIUS_M, PUSHER_HEIGHT_M)) / 100  # 0.26 m
        action_layout = Layout([Field("target", "point", 0, 3, reach, unit="m, projected on the table")])
    state_layout = Layout.of(
        ("pusher", "point", 3), ("block", "point", 3), ("block_x", "vector", 3), ("block_y", "vector", 3),
        point={"unit": "m"}, vector={"unit": "unit vector"},
    )  # fmt: skip
    observation = {
        "state": obs_layout,
        "pixels": PIXELS,
        "state_pixels": {"state": obs_layout, "pixels": PIXELS},
    }[obs_type]
    plane = "up" if action_type == "delta" else None  # delta actions: onto the plane orthogonal to the table's normal
    return Symmetry(SE3, obs_layout, action_layout, state_layout, observation, obs_type, action_plane=plane)


# --------------------------------------------------------------------------- the scene
class PushT3DScene(PlacedScene):
    """The T-pushing task on the MuJoCo scene, placed in the world by ``placement``.

    At the identity placement this is the canonical environment that ``Orient`` relabels (EqPushT3D-v1's
    frame mode); at any other placement the MuJoCo scene itself is moved and gravity rotated (physics mode).
    See ``EqPushT3DEnv`` for the documentation; this class takes the same arguments, with ``placement`` in
    place of ``orientation``/``orientation_mode``, plus ``cone`` ("elliptic", or "pyramidal" for the
    non-equivariant control). ``model`` and ``data`` are the MuJoCo model and data (read them; the env
    steps them), ``placement`` the current episode's placement.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": round(1 / CONTROL_DT)}
    """``render_fps`` is the control rate: 10 steps per simulated second."""
    group = SE3
    translation_unit = "m"

    def __init__(
        self,
        task: str = "push",
        obs_type: str = "state",
        action_type: str = "delta",
        reward_type: str | None = None,
        placement: Any = None,
        render_mode: str | None = None,
        camera: str = "world",
        obs_size: int = 96,
        render_size: int = 256,
        cone: str = "elliptic",
        obs_camera: str = "scene",
    ):
        self.task = select_task(TASKS, task, reward_type)
        self.obs_type = choice(obs_type, OBS_TYPES, "obs_type")
        self.action_type = choice(action_type, ACTION_TYPES, "action_type")
        if render_mode is not None:
            choice(render_mode, tuple(self.metadata["render_modes"]), "render_mode")
        self.camera = choice(camera, CAMERAS, "camera")
        self.obs_camera = choice(obs_camera, CAMERAS, "obs_camera")
        self.obs_size = _render_size(obs_size, "obs_size")
        self.render_size = _render_size(render_size, "render_size")
        self.cone = choice(cone, CONES, "cone")
        base = SE3.identity() if placement is None else SE3.parse(placement, "placement")
        self.render_mode = render_mode
        self.symmetry = _symmetry(self.obs_type, self.action_type)
        self.obs_layout = self.symmetry.obs_layout
        self._base_placement = base
        self._max_translation = float(np.linalg.norm(base.translation))
        self._action_zero = ACTION_ZERO[self.action_type]
        self._init_kwargs = dict(task=task, obs_type=obs_type, action_type=action_type, reward_type=reward_type,
                                 placement=base,
                                 render_mode=render_mode, camera=camera, obs_size=obs_size, render_size=render_size,
                                 cone=cone, obs_camera=obs_camera)  # fmt: skip
        self._renderers: dict[int, mujoco.Renderer] = {}
        self._target: tuple[float, float] | None = None  # the commanded pusher target, table frame
        self._load(base)

        pixels_box = spaces.Box(0, 255, (self.obs_size, self.obs_size, 3), np.uint8)
        parts = {key: pixels_box if part == PIXELS else part.box(self._max_translation)
                 for key, part in self.symmetry.observation_parts.items()}  # fmt: skip
        self.observation_space = parts[None] if None in parts else spaces.Dict(parts)
        self.action_space = self.symmetry.action_layout.box(self._max_translation, np.float32)

    # ------------------------------------------------------------------ model
    def _load(self, placement: GroupElement) -> None:
        """Compile the scene at ``placement`` (fresh MjData; renderers follow the new model)."""
        self.close()
        task = self.task
        self.model = build_model(placement, self.cone, task.goal)
        self.data = mujoco.MjData(self.model)
        self.placement = placement
        # fixed for the episode and asked every step: ``is_identity`` and ``inverse()`` each cost numpy calls
        self._at_identity = placement.is_identity
        self._inverse = placement.inverse()
        m = self.model
        self._substeps = round(CONTROL_DT / m.opt.timestep)
        self._eye_cache: tuple[GroupElement, Any] | None = None
        self._marker_frame = np.ascontiguousarray(placement.rotation).ravel()
        self._block_qpos = int(m.joint("block").qposadr[0])
        self._block_qvel = int(m.joint("block").dofadr[0])
        self._pusher_qpos = int(m.joint("pusher_x").qposadr[0])
        self._pusher_qvel = int(m.joint("pusher_x").dofadr[0])
        if int(m.joint("pusher_y").qposadr[0]) != self._pusher_qpos + 1:
            raise RuntimeError("scene: the pusher's slide joints must be adjacent")  # guards the asset file
        # views into this MjData, read every step (each access to an MjData array builds a new numpy view)
        d, i, j, k, n = self.data, self._block_qpos, self._pusher_qpos, self._block_qvel, self._pusher_qvel
        self._block_pos, self._block_quat = d.qpos[i : i + 3], d.qpos[i + 3 : i + 7]
        self._block_vel, self._block_angvel_local = d.qvel[k : k + 3], d.qvel[k + 3 : k + 6]  # angular: body frame
        self._pusher_table_pos, self._pusher_table_vel = d.qpos[j : j + 2], d.qvel[n : n + 2]
        self._ctrl = d.ctrl
        goal = self._table_pose(*task.goal)
        self._goal_pose = goal
        self._goal_pos = tuple(goal.translation.tolist())
        self._goal_axes = (*goal.rotation[:, 0].tolist(), *goal.rotation[:, 1].tolist())
        self._goal_quat = np.empty(4)  # MuJoCo's form, for mju_subQuat against the block's every step
        mujoco.mju_mat2Quat(self._goal_quat, goal.rotation.ravel())
        # scratch buffers of the per-step MuJoCo calls
        self._block_rotation = np.empty(9)
        self._block_angvel = np.empty(3)
        self._rotation_to_goal = np.empty(3)
        gravity = m.opt.gravity.tolist()
        norm = math.sqrt(sum(v * v for v in gravity))
        self._up = tuple(-v / norm for v in gravity)
        # a sane state before the first reset (the file's default puts the pusher inside the block)
        bx, by = START_BLOCK_XY
        self._place_bodies((bx - sum(PUSHER_START_RADIUS_M) / 2, by), self._table_pose(bx, by, 0.0))

    def _table_pose(self, x: float, y: float, yaw: float) -> GroupElement:
        """The resting pose at (x, y) on the table, heading ``yaw``, placed in the world (the block's or goal's)."""
        pose = SE3(SE3.from_yaw(yaw).rotation, [x, y, BLOCK_REST_Z])
        return pose if self._at_identity else self.placement @ pose

    def _place_bodies(
        self, pusher: tuple[float, float], block: GroupElement, data: mujoco.MjData | None = None
    ) -> None:
        """Put the bodies at rest where asked: the pusher in the table frame, the block's pose in the world.

        ``data`` is the MjData to write (default: the env's own).
        """
        d, i, j = self.data if data is None else data, self._block_qpos, self._pusher_qpos
        d.qpos[i : i + 3] = block.translation
        mujoco.mju_mat2Quat(d.qpos[i + 3 : i + 7], block.rotation.ravel())
        d.qpos[j : j + 2] = pusher
        d.qvel[:] = 0.0
        d.ctrl[:] = pusher  # hold still

    # ------------------------------------------------------------------ queries
    def block_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The block's centre of mass (m) and rotation matrix in the world."""
        rotation = np.empty(9)
        mujoco.mju_quat2Mat(rotation, self._block_quat)
        return self._block_pos.copy(), rotation.reshape(3, 3)

    def goal_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The goal's centre of mass (m) and rotation matrix in the world."""
        return self._goal_pose.translation.copy(), self._goal_pose.rotation.copy()

    def pusher_position(self) -> np.ndarray:
        """The pusher's centre in the world (m)."""
        position = [*self._pusher_table_pos.tolist(), PUSHER_HEIGHT_M]
        return np.array(position) if self._at_identity else self.placement.act_points(position)

    def pose_errors(self) -> tuple[float, float]:
        """Distance (m) between block and goal centres, and the geodesic angle (rad) between their frames."""
        # the rotation vector taking the goal's frame to the block's: its norm, in [0, pi], is the geodesic angle
        mujoco.mju_subQuat(self._rotation_to_goal, self._block_quat, self._goal_quat)
        return math.dist(self._block_pos.tolist(), self._goal_pos), mujoco.mju_norm3(self._rotation_to_goal)

    def measure(self) -> Measurement:
        """What the tasks read: the pose errors (no coverage in 3D)."""
        pos_error, angle_error = self.pose_errors()
        return Measurement(pos_error, angle_error, pusher_distance=math.dist(self.pusher_position(), self._block_pos))

    def get_state(self) -> np.ndarray:
        """[pusher (3), block centre (3), block x axis (3), block y axis (3)] in the world.

        The form ``reset(options={"state": ...})`` takes.
        """
        position, rotation = self.block_pose()
        return np.concatenate([self.pusher_position(), position, rotation[:, 0], rotation[:, 1]])

    # ---------------------------------------------------------------- gym API
    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        placement, state = self._parse_options(options)  # validate everything before touching any state
        super().reset(seed=seed)
        if placement != self.placement:
            self._load(placement)
        mujoco.mj_resetData(self.model, self.data)
        if state is None:
            rng = self.np_random
            dx, dy = rng.uniform(-START_JITTER_M, START_JITTER_M, 2).tolist()
            yaw = float(rng.uniform(-START_JITTER_RAD, START_JITTER_RAD))
            bearing = math.pi + float(rng.uniform(-math.pi / 4, math.pi / 4))
            radius = float(rng.uniform(*PUSHER_START_RADIUS_M))
            bx, by = START_BLOCK_XY
            pusher = (bx + radius * math.cos(bearing), by + radius * math.sin(bearing))
            block = self._table_pose(bx + dx, by + dy, yaw)
        else:
            pusher, block = state
        self._place_bodies(pusher, block)
        self._target = None
        return self._get_obs(), self._reset_info()

    def render_view(self, view: Any = None, size: int | None = None, overlay: bool = True,
                    camera: str | None = None) -> np.ndarray:  # fmt: skip
        """Render the scene as seen from orientation ``view`` through ``camera`` (default: this env's ``camera``;
        pixel observations use ``obs_camera``).

        The world camera sees the lab moved by ``view`` (rendered as the scene seen from the camera moved by
        ``view^-1``: the same picture, since every light lives in the lab); the scene camera is attached to
        the lab, so ``view`` does not change its picture. ``overlay`` marks the commanded target (red).
        """
        view = SE3.identity() if view is None else SE3.parse(view, "view")
        size = self.render_size if size is None else _render_size(size, "size")
        if _EGL_PROCESS not in (None, os.getpid()):  # a forked child of a process that rendered with EGL
            raise ValueError(
                "vector_kwargs: this process was forked from one that had rendered with MuJoCo's EGL, which does not "
                "survive fork (rendering here would hang); give gym.make_vec(..., vectorization_mode='async') "
                "vector_kwargs={'context': 'forkserver'} (or 'spawn'), or start other workers that way"
            )
        renderer = self._renderers.get(size) or self._new_renderer(size)
        m, d = self.model, self.data
        mujoco.mj_kinematics(m, d)  # derived quantities only: mj_step recomputes them, the trajectory is unchanged
        mujoco.mj_camlight(m, d)
        camera = self.camera if camera is None else choice(camera, CAMERAS, "camera")
        renderer.update_scene(d, camera=camera)
        scene = renderer.scene
        if camera == "world":
            eye = self._world_eye(view)
            if eye is not None:
                for camera in (scene.camera[0], scene.camera[1]):  # mono rendering averages the two eyes
                    camera.pos[:], camera.forward[:], camera.up[:] = eye
        if overlay and self._target is not None and scene.ngeom < scene.maxgeom:
            # the commanded target: a flat red square on the table, wider than the pusher above it
            marker = [*self._target, 0.0005]
            mujoco.mjv_initGeom(
                scene.geoms[scene.ngeom], mujoco.mjtGeom.mjGEOM_BOX, np.array([0.022, 0.022, 0.0005]),
                np.array(marker) if self._at_identity else self.placement.act_points(marker), self._marker_frame,
                np.array([0.86, 0.08, 0.24, 1.0], dtype=np.float32),
            )  # fmt: skip
            scene.ngeom += 1
        return renderer.render()

    def _world_eye(self, view: GroupElement) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The world camera's (position, forward, up) seeing the lab moved by ``view``; None at the identity.

        Moving the lab by ``view`` before a fixed camera is moving the camera by ``view^-1`` before the lab.
        Cached for the last view: frame mode renders every frame from the same one.
        """
        cached = self._eye_cache
        if cached is not None and cached[0] is view:
            return cached[1]
        eye = None
        if not view.is_identity:
            m = self.model
            cam = m.camera("world")
            frame = np.empty(9)
            mujoco.mju_quat2Mat(frame, cam.quat)  # a world-fixed camera: its model pose is its world pose
            frame = frame.reshape(3, 3)
            inv = view.inverse()
            eye = (inv.act_points(cam.pos), inv.act_vectors(-frame[:, 2]), inv.act_vectors(frame[:, 1]))
        self._eye_cache = (view, eye)
        return eye

    def _new_renderer(self, size: int) -> mujoco.Renderer:
        global _EGL_PROCESS
        try:
            renderer = mujoco.Renderer(self.model, size, size)
        except Exception as err:  # MuJoCo raises its own FatalError, or the GL backend's errors
            raise RuntimeError(
                f"render: MuJoCo could not create an OpenGL context ({err}). Headless machines need MUJOCO_GL=egl "
                "(or osmesa) set before mujoco is first imported; importing eqenvs first sets it."
            ) from err
        if mujoco.GLContext.__module__ == "mujoco.egl":
            _EGL_PROCESS = os.getpid()
        self._renderers[size] = renderer
        return renderer

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers = {}

    # ---------------------------------------------------------------- pickle
    def __getstate__(self) -> dict[str, Any]:
        """Constructor kwargs, the episode's placement, MuJoCo's integration state and the random generator.

        Restoring ``mjSTATE_INTEGRATION`` (time, qpos, qvel, act, warm start, controls, ...) into a model
        compiled from the same spec continues the episode bit for bit.
        """
        d = self.data
        physics = np.empty(mujoco.mj_stateSize(self.model, _STATE_SPEC))
        mujoco.mj_getState(self.model, d, physics, _STATE_SPEC)
        rng = None if self._np_random is None else self._np_random.bit_generator.state
        return {"kwargs": self._init_kwargs, "placement": self.placement, "physics": physics, "target": self._target,
                "rng": rng, "rng_seed": self._np_random_seed,
                "pixels_drawn_by_wrapper": self._pixels_drawn_by_wrapper}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["kwargs"])
        if state["placement"] != self.placement:
            self._load(state["placement"])
        mujoco.mj_setState(self.model, self.data, state["physics"], _STATE_SPEC)
        self._target = state["target"]
        self._pixels_drawn_by_wrapper = state["pixels_drawn_by_wrapper"]
        if state["rng"] is not None:
            self._np_random = generator_from_state(state["rng"])
        self._np_random_seed = state["rng_seed"]

    # -------------------------------------------------------------- internals
    def _advance(self, action: Any) -> None:
        tx, ty = self._target_from_action(action)
        self._target = (tx, ty)
        ctrl = self._ctrl
        ctrl[0] = tx
        ctrl[1] = ty
        mujoco.mj_step(self.model, self.data, self._substeps)

    def _target_from_action(self, action: Any) -> tuple[float, float]:
        """The pusher's target (table frame) for ``action``; raises ValueError before any state changes."""
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"action: expected a numeric array of shape (3,), got {action!r}") from None
        if a.shape != (3,):
            raise ValueError(f"action: expected shape (3,), got {a.shape}")
        x, y, z = a.tolist()
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
            raise ValueError(f"action: must be finite, got {a.tolist()}")
        zero = self._action_zero
        # into the table frame, then rounded there: a float32 action mapped to g and back (frame mode) or
        # given at g to the moved lab (physics mode) reaches the simulation as the canonical action, bit for bit
        if not self._at_identity:
            to_table = self._inverse.act_vectors if self.action_type == "delta" else self._inverse.act_points
            x, y, z = to_table(a).tolist()
        x, y = quantise_action(x, zero), quantise_action(y, zero)  # z, the table normal's component, is projected away
        px, py = self._pusher_table_pos.tolist()
        if self.action_type == "delta":  # the one action map (Symmetry.applied_action), in the table frame
            x, y, _ = plane_disk(np.array([x, y, z]), _TABLE_NORMAL).tolist()  # z: projected away
            tx, ty = px + DELTA_SCALE_M * x, py + DELTA_SCALE_M * y
        else:
            tx, ty = x, y
            dx, dy = tx - px, ty - py
            reach = math.hypot(dx, dy)
            if reach > DELTA_SCALE_M:  # approached at most 4 cm per step, like a delta action
                tx, ty = px + dx * (DELTA_SCALE_M / reach), py + dy * (DELTA_SCALE_M / reach)
        radius = math.hypot(tx, ty)
        if radius > WORKSPACE_RADIUS_M:
            tx, ty = tx * (WORKSPACE_RADIUS_M / radius), ty * (WORKSPACE_RADIUS_M / radius)
        return tx, ty

    def _get_obs(self) -> Any:
        if self.obs_type == "state":
            return self._state_obs()
        pixels = self._pixels()
        return pixels if self.obs_type == "pixels" else {"state": self._state_obs(), "pixels": pixels}

    def _state_obs(self) -> np.ndarray:
        quat, rotation, angvel = self._block_quat, self._block_rotation, self._block_angvel
        mujoco.mju_quat2Mat(rotation, quat)
        mujoco.mju_rotVecQuat(angvel, self._block_angvel_local, quat)
        r = rotation.tolist()
        pusher = [*self._pusher_table_pos.tolist(), PUSHER_HEIGHT_M]
        pusher_vel = [*self._pusher_table_vel.tolist(), 0.0]
        if not self._at_identity:
            pusher = self.placement.act_points(pusher).tolist()
            pusher_vel = self.placement.act_vectors(pusher_vel).tolist()
        return np.array([
            *pusher, *pusher_vel,
            *self._block_pos.tolist(), r[0], r[3], r[6], r[1], r[4], r[7],
            *self._block_vel.tolist(), *angvel.tolist(),
            *self._goal_pos, *self._goal_axes, *self._up,
        ])  # fmt: skip

    def _parse_state(self, state: Any, placement: GroupElement) -> tuple[tuple[float, float], GroupElement]:
        """Validate a reset state (world frame of ``placement``); return the pusher (table frame), the block's pose."""
        name = "options['state']"
        try:
            s = np.asarray(state, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected 12 numbers, got {state!r}") from None
        if s.shape != (12,):
            raise ValueError(
                f"{name}: expected [pusher(3), block(3), block_x(3), block_y(3)], shape (12,), got {s.shape}"
            )
        if not np.all(np.isfinite(s)):
            raise ValueError(f"{name}: must be finite, got {s.tolist()}")
        to_table = placement.inverse()
        px, py, pz = to_table.act_points(s[0:3]).tolist()
        if abs(pz - PUSHER_HEIGHT_M) > 1e-6:
            raise ValueError(f"{name}: the pusher moves {PUSHER_HEIGHT_M} m above the table, got {pz:.6g} m")
        if math.hypot(px, py) > WORKSPACE_RADIUS_M + 1e-9:
            raise ValueError(f"{name}: pusher {s[0:3].tolist()} lies outside the {WORKSPACE_RADIUS_M} m workspace")
        x_axis, y_axis = s[6:9], s[9:12]
        try:
            rotation = SE3.parse(np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)], axis=1), name).rotation
        except ValueError as err:
            raise ValueError(f"{name}: block_x and block_y must be orthonormal ({err})") from None
        bx, by, bz = to_table.act_points(s[3:6]).tolist()
        if math.hypot(bx, by) > RESET_BLOCK_RADIUS_M or bz > RESET_BLOCK_MAX_HEIGHT_M:
            raise ValueError(
                f"{name}: block centre must lie within {RESET_BLOCK_RADIUS_M} m of the table origin and "
                f"{RESET_BLOCK_MAX_HEIGHT_M} m above it, got {s[3:6].tolist()}"
            )
        pusher, block = (px, py), SE3(rotation, s[3:6])
        if self._overlaps(placement, pusher, block):
            raise ValueError(f"{name}: the block would sink into the table or overlap the pusher")
        return pusher, block

    def _overlaps(self, placement: GroupElement, pusher: tuple[float, float], block: GroupElement) -> bool:
        """Whether the block penetrates the table or the pusher by more than 1 mm (on a scratch MjData)."""
        m = self.model if placement == self.placement else build_model(placement, self.cone)
        d = mujoco.MjData(m)
        self._place_bodies(pusher, block, d)
        mujoco.mj_kinematics(m, d)
        pairs = [(a, b) for a in ("bar", "stem") for b in ("table", "pusher")]
        gap = min(mujoco.mj_geomDistance(m, d, m.geom(a).id, m.geom(b).id, 1.0, None) for a, b in pairs)
        return gap < -RESET_PENETRATION_TOL_M


# --------------------------------------------------------------------------- the registered env
class EqPushT3DEnv(OrientedEnv):
    """
    ## Description

    A T block pushed across a table by a spherical pusher, in MuJoCo, seen from any orientation ``g`` in
    SE(3). The pusher (blue) moves parallel to the table on two position-controlled slide joints; the block
    (grey, 12 x 12 cm, 94.5 g) slides on the table with friction 0.5 and must reach the goal ghost (green).
    ``g`` transforms the *whole* task: table, bodies, goal, gravity, lights, observations, actions, frames.

    ## Symmetry

    The group is SE(3) acting on space about the canonical table origin (the table surface's centre, +z its
    normal); translations in metres. ``env.unwrapped.symmetry`` gives ``act_obs(g, obs)`` /
    ``act_action(g, a)`` / ``act_state(g, s)``; ``obs_layout`` says which 3-vectors are points (rotate and
    translate) and which are vectors (rotate). ``orientation_mode="frame"`` (default) keeps the canonical
    simulation and relabels everything by ``g`` (it is ``Orient`` on the canonical scene): exact by
    construction. ``orientation_mode="physics"`` rebuilds the MuJoCo model with the whole lab (table, block,
    pusher, goal, light, scene camera) in a frame moved by ``g`` and gravity rotated with it, so the
    dynamics themselves carry the group; its flatness is measured (``python -m eqenvs.speed3d``): with
    elliptic friction cones and a block that starts at its resting depth, trajectories agree with frame mode
    to ~1e-14 m median on every rung of the SE(3) ladder, tilted labs included; rare strikes that make the
    block hop can turn that into a contact made in one lab and missed in the other (~1 mm).

    ## Action Space

    ``action_type="delta"`` (default): ``Box(-1, 1, (3,), float32)``, a displacement of the pusher's target
    from the pusher's current position, projected onto the table plane (of the env's own frame), then onto
    the unit ball, then scaled by 4 cm. ``action_type="absolute"``: a target point in metres in the env's
    frame, projected onto the table plane and approached at most 4 cm per step; the Box covers the rotated
    workspace. Either target is then projected onto the workspace disk (radius 0.25 m about the table
    origin). Components in the table frame are rounded to float32 (and |a| < 1e-7 read as 0), so a float32
    action mapped by ``act_action`` reaches the simulation unchanged. Any finite action is accepted;
    NaN/inf or a wrong shape raise ``ValueError`` and leave the state untouched.

    ## Observation Space

    ``obs_type="state"``: float64, 33 entries, eleven 3-vectors in the env's frame (``obs_layout``):
    ``pusher_pos``, ``pusher_vel``, ``block_pos`` (centre of mass), ``block_x``, ``block_y`` (the block's
    frame as two axis columns: the bar's axis and the stem's reverse), ``block_vel``, ``block_angvel``,
    ``goal_pos``, ``goal_x``, ``goal_y``, ``up`` (minus gravity's direction). Positions are metres from the
    canonical table origin; velocities m/s and rad/s. Radial bounds hold for every reachable state at every
    rotation: positions 0.27 (pusher), 0.65 (block), 0.1 (goal), plus ``|t|`` for a translation ``t``;
    speeds 1 m/s (pusher), 2 m/s and 50 rad/s (block); unit vectors 1. ``"pixels"``: uint8
    ``(obs_size, obs_size, 3)`` frames from ``obs_camera``; ``"state_pixels"``: a dict of both.

    Pixels are rendered with EGL (``MUJOCO_GL=egl``), which does not survive ``fork``: a process that has
    rendered must start ``gym.make_vec(..., vectorization_mode="async")`` workers with
    ``vector_kwargs={"context": "forkserver"}`` (or ``"spawn"``); forked workers raise a ``ValueError`` naming
    ``vector_kwargs`` on their first frame (they used to hang on it).

    ## Rewards

    ``reward_type="penalty"`` (v1's default), under which success is optimal: ``-(d / 0.06 + 0.2 p / 0.06)
    / 10`` before success and 0 on the success step, with ``d`` the distance (m) between the block's and
    the goal's centres and ``p`` the pusher's distance to the block's centre; ``"pose"`` adds ``e / (pi / 6)``
    for the geodesic angle ``e`` between their frames. ``"dense"`` (v0's): ``1 - min(d / 0.06, 1)``;
    ``"pose"``: ``0.5 (1 - min(d / 0.06, 1)) + 0.5 (1 - e / pi)``; success ends the episode, so under it
    hovering near the goal earns more than succeeding. All are invariant under the group.

    ## Starting State

    The block rests at the table's centre, its centre of mass 3 cm behind the origin along -x, heading 0
    (+-8 mm, +-0.1 rad, uniform); the pusher rests 11-14 cm behind the block (bearing 180 +- 45 degrees).
    The goal is 6 cm along +x (``"pose"``: turned by 30 degrees about the table normal). ``reset(options=
    {"state": [pusher(3), block(3), block_x(3), block_y(3)]})`` places the bodies exactly (env frame; the
    pusher in its plane 15 mm above the table, within the workspace; the block within 0.35 m, at most 5 cm
    up, not in the table or the pusher); ``options={"orientation": g}`` switches the orientation for one
    episode.

    ## Episode End

    Terminates on success (``"push"``: centres within 24 mm; ``"pose"``: also within 15 degrees);
    truncated after 200 steps (20 s, ``TimeLimit`` from ``gym.make``). ``info`` holds ``is_success``,
    ``pos_error_m``, ``angle_error_rad`` (and, after reset, ``orientation``).

    ## Arguments

    | argument           | default   | meaning                                                                 |
    |--------------------|-----------|-------------------------------------------------------------------------|
    | `orientation`      | `0.0`     | yaw about the table normal: radians, or a string with its unit          |
    |                    |           | (`"90deg"`, `"90°"`, `"1.5708rad"`); 3x3 rotation; 4x4 SE(3) matrix (m); |
    |                    |           | element or its JSON                                                     |
    | `orientation_mode` | `"frame"` | `"frame"` (exact relabelling) or `"physics"` (moved MuJoCo scene)       |
    | `task`             | `"push"`  | `"push"` or `"pose"`                                                    |
    | `obs_type`         | `"state"` | `"state"`, `"pixels"` or `"state_pixels"`                               |
    | `action_type`      | `"delta"` | `"delta"` or `"absolute"`                                               |
    | `reward_type`      | `None`    | `"penalty"` or `"dense"` (see Rewards); None: the version's default     |
    | `render_mode`      | `None`    | `"rgb_array"`, or `"human"` (a pygame window at `render_fps` = 10)      |
    | `camera`           | `"world"` | rendered frames (videos): `"world"` (fixed: sees the lab move) or `"scene"` |
    | `obs_camera`       | `"scene"` | pixel observations: `"scene"` (the task as seen on every rung) or `"world"` |
    | `obs_size`         | `96`      | side of pixel observations in px (an integer from 16 to 1024)           |
    | `render_size`      | `256`     | side of rendered frames in px (an integer from 16 to 1024)              |

    A bare yaw above 2 pi in magnitude is accepted as radians with a ``UserWarning`` (probably degrees
    typed as radians: write ``"90deg"``).

    ## Version History

    * v1: ``reward_type`` defaults to ``"penalty"``, under which success is optimal. Trajectories,
      observations and success are v0's, step for step.
    * Both, since the SE(3)-ladder agents: pixel observations come from ``obs_camera="scene"`` (they were
      the world camera's, nearly empty on the tilted rungs); delta actions go through the one action map
      (``eqenvs.symmetry.plane_disk``), so targets of actions longer than 1 can differ in the last bit.
    * v0: initial release (MuJoCo >= 3.2, elliptic cones); registered with ``reward_type="dense"``. Since
      then, without changing any trajectory, reward or success: ``render_mode="human"``, pixel sides that
      are not multiples of 16, angle strings.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array", "human"], "render_fps": round(1 / CONTROL_DT)}
    """``render_fps`` is the control rate: 10 steps per simulated second."""
    scene_class = PushT3DScene

    def __init__(
        self,
        orientation: Any = 0.0,
        orientation_mode: str = "frame",
        task: str = "push",
        obs_type: str = "state",
        action_type: str = "delta",
        reward_type: str | None = None,
        render_mode: str | None = None,
        camera: str = "world",
        obs_size: int = 96,
        render_size: int = 256,
        obs_camera: str = "scene",
    ):
        self._build(orientation, orientation_mode, task=task, obs_type=obs_type, action_type=action_type,
                    reward_type=reward_type, render_mode=render_mode, camera=camera, obs_size=obs_size,
                    render_size=render_size, obs_camera=obs_camera)  # fmt: skip

    def block_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """The block's centre (m) and rotation matrix in this env's frame."""
        s = self.get_state()
        x, y = s[6:9], s[9:12]
        return s[3:6], np.stack([x, y, np.cross(x, y)], axis=1)
