"""EqPushT3D-v1 in MuJoCo: scene, flatness of physics mode, actions, bounds, reset states, tasks, rendering, bad
arguments. The invariants every env shares (checkers, pickling, vector envs, determinism, generic bad inputs,
frame-mode equivariance with the pyramidal-cone twin) live in test_envs.py."""

from __future__ import annotations

import math
import os

os.environ.setdefault("MUJOCO_GL", "egl")  # MuJoCo picks its OpenGL backend when first imported

import gymnasium as gym
import mujoco
import numpy as np
import pytest

import eqenvs  # noqa: F401  (registers the ids)
from eqenvs import pusht3d
from eqenvs.groups import SE3
from eqenvs.pusht3d import (
    BLOCK_REST_Z,
    DELTA_SCALE_M,
    PUSHER_HEIGHT_M,
    WORKSPACE_RADIUS_M,
    EqPushT3DEnv,
    PushT3DScene,
    build_model,
)
from eqenvs.speed3d import main as speed3d_main
from eqenvs.speed3d import position_deviation, rollout, scripted_actions
from eqenvs.splits import get_split
from eqenvs.symmetry import Symmetry
from eqenvs.wrappers import Orient, SampleOrientation

STEPS = 100


@pytest.fixture(scope="module")
def push():
    """A contact-rich canonical closed loop (seed 0): float32 actions and the canonical observations."""
    return scripted_actions(STEPS, 0)


def tilted(seed=1, translation=0.1):
    return SE3.sample(np.random.default_rng(seed), translation_scale=translation)


def se2(yaw, x, y):
    return SE3(SE3.from_yaw(yaw).rotation, [x, y, 0.0])


# --------------------------------------------------------------------------- the scene
def test_scene_asset_resolves_from_the_package_not_the_working_directory(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        pusht3d._scene_xml.cache_clear()
        model = build_model()
    finally:
        os.chdir(cwd)
    assert model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    assert model.opt.timestep * round(pusht3d.CONTROL_DT / model.opt.timestep) == pytest.approx(0.1, abs=1e-15)
    assert model.vis.quality.shadowsize == 0 and model.vis.quality.offsamples == 0
    assert model.vis.headlight.active == 0 and model.nlight == 1 and not model.light_castshadow[0]
    assert model.body("block").mass[0] == pytest.approx(0.0945, abs=1e-9)
    assert model.body("pusher").mass[0] == pytest.approx(0.1)
    # the block's body origin is its centre of mass; the pusher moves at the block's mid-height
    assert np.abs(model.body("block").ipos).max() < 1e-8
    assert model.body("pusher").pos[2] == PUSHER_HEIGHT_M and model.geom("pusher").size[0] == pusht3d.PUSHER_RADIUS_M
    assert model.body("block").pos[2] == BLOCK_REST_Z
    corners = np.array(pusht3d.BLOCK_GEOM_OFFSETS)[:, None, :2] + np.array(pusht3d.BLOCK_HALF_SIZES)[:, None, :2] * [
        [1, 1], [1, -1], [-1, 1], [-1, -1]
    ]  # fmt: skip
    assert np.linalg.norm(corners.reshape(-1, 2), axis=1).max() == pytest.approx(pusht3d.BLOCK_EXTENT_M, abs=2e-4)
    for name in ("goal_bar", "goal_stem"):  # the ghost never collides
        assert model.geom(name).contype[0] == 0 and model.geom(name).conaffinity[0] == 0
    table, pusher = model.geom("table"), model.geom("pusher")  # the pusher never touches the table
    assert not (table.contype & pusher.conaffinity) and not (pusher.contype & table.conaffinity)


def test_physics_placement_moves_the_whole_lab_and_rotates_gravity():
    g = tilted()
    model = build_model(g)
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    mujoco.mj_camlight(model, data)
    assert np.allclose(model.opt.gravity, g.rotation @ [0, 0, -9.81], atol=1e-14)
    assert np.allclose(data.geom_xpos[model.geom("table").id], g.translation, atol=1e-15)
    assert np.allclose(data.geom_xmat[model.geom("table").id].reshape(3, 3), g.rotation, atol=1e-15)
    assert np.abs(data.light_xdir[0] - g.rotation @ [0, 0, -1]).max() < 1e-14  # measured 2.8e-16
    assert np.allclose(data.cam_xpos[model.camera("scene").id], g.act_points([0, 0, 0.8]), atol=1e-15)
    assert np.allclose(data.cam_xpos[model.camera("world").id], [0, -0.65, 0.75])  # the world camera stays
    assert np.allclose(data.xpos[model.body("goal").id], g.act_points([0.03, 0.0, BLOCK_REST_Z]), atol=1e-15)


@pytest.mark.parametrize(
    "name, placement, cone",
    [("frame", None, "elliptic"), ("yaw", 0.7, "elliptic"), ("SE2", se2(2.0, 0.1, -0.05), "elliptic"),
     ("SO3", tilted(2, 0.0), "elliptic"), ("SE3", tilted(3), "elliptic"), ("upside down", np.diag([1, -1, -1]),
     "elliptic"), ("pyramidal", tilted(4), "pyramidal")],
)  # fmt: skip
def test_every_scene_variant_steps_one_second_without_a_mujoco_warning(name, placement, cone):
    env = PushT3DScene(placement=placement, cone=cone)
    rng = np.random.default_rng(0)
    for seed in range(3):
        env.reset(seed=seed)
        for _ in range(10):  # 1 s of random actions
            obs, *_ = env.step(rng.uniform(-1, 1, 3).astype(np.float32))
        assert [int(w.number) for w in env.data.warning] == [0] * len(env.data.warning), name
        assert np.all(np.isfinite(obs)) and env.observation_space.contains(obs)
        assert env.data.time == pytest.approx(1.0)


# --------------------------------------------------------------------------- registration
def test_registration_and_spec_kwargs_stay_json_able():
    env = gym.make("EqPushT3D-v1", orientation=tilted().matrix.tolist())
    assert env.spec.max_episode_steps == 200 and env.unwrapped.orientation == tilted()
    assert gym.make("eqenvs:EqPushT3D-v1").unwrapped.orientation.is_identity
    assert env.unwrapped.metadata["render_fps"] == 10 and env.unwrapped.symmetry.group is SE3
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float64 and obs.shape == (33,) and env.action_space.dtype == np.float32
    assert [f.name for f in env.unwrapped.obs_layout] == [
        "pusher_pos", "pusher_vel", "block_pos", "block_x", "block_y", "block_vel", "block_angvel",
        "goal_pos", "goal_x", "goal_y", "up",
    ]  # fmt: skip


# --------------------------------------------------------------------------- exactness and flatness
def test_physics_mode_at_identity_is_bit_identical_to_frame_mode(push):
    actions, _ = push
    frame = rollout(EqPushT3DEnv(), actions, 0)
    physics = rollout(EqPushT3DEnv(orientation_mode="physics"), actions, 0)
    assert np.array_equal(frame, physics)


def _physics_vs_frame(g, actions, cone="elliptic"):
    """Max over steps of the pusher/block position deviation (m) of physics mode from frame mode, and the
    max over all observation entries."""
    frame_env, physics_env = Orient(PushT3DScene(cone=cone), g), PushT3DScene(placement=g, cone=cone)
    mapped = frame_env.symmetry.act_action(g, actions)
    frame, physics = rollout(frame_env, mapped, 0), rollout(physics_env, mapped, 0)
    layout = physics_env.obs_layout
    return float(position_deviation(layout, physics, frame).max()), float(np.abs(physics - frame).max())


@pytest.mark.parametrize(
    "g", [SE3.from_yaw(math.pi / 2), SE3.from_yaw(0.3), SE3.from_yaw(2.4), SE3.from_yaw(-1.1), se2(0.9, 0.12, -0.07),
          se2(4.0, -0.05, 0.15)],
    ids=["C4", "yaw0.3", "yaw2.4", "yaw-1.1", "SE2a", "SE2b"],
)  # fmt: skip
def test_physics_mode_matches_frame_mode_for_yaw_and_se2(g, push):
    actions, _ = push
    positions, everything = _physics_vs_frame(g, actions)
    assert positions <= 1e-12  # measured <= 1.7e-14 m: elliptic cones make the scene isotropic about the normal
    assert everything <= 1e-10  # measured <= 1.2e-12 (velocities, m/s and rad/s)


def test_pyramidal_cones_break_the_symmetry_by_centimetres(push):
    """The non-equivariant control: the same comparison with MuJoCo's default cone fails by far."""
    actions, _ = push
    g = SE3.from_yaw("30deg")
    elliptic, _ = _physics_vs_frame(g, actions, "elliptic")
    pyramidal, _ = _physics_vs_frame(g, actions, "pyramidal")
    assert elliptic <= 1e-13  # measured 2.6e-15 m
    assert pyramidal >= 0.02  # measured 0.24 m: the block ends up somewhere else on the table


def test_physics_mode_is_flat_in_a_tilted_lab_too(push):
    actions, _ = push
    positions, _ = _physics_vs_frame(tilted(5), actions)
    assert positions <= 5e-12  # measured 7.9e-14 m; eqenvs.speed3d reports every rung of the ladder


# --------------------------------------------------------------------------- rendering changes nothing, starts vary
def test_rendering_changes_nothing_and_starts_are_randomised(push):
    actions, _ = push
    g = tilted()
    env = EqPushT3DEnv(orientation=g)
    plain = [env.reset(seed=3)[0]] + [env.step(a)[0] for a in actions]
    env = EqPushT3DEnv(orientation=g, render_mode="rgb_array", render_size=64)
    obs, _ = env.reset(seed=3)
    rendered = [obs]
    for action in actions:
        env.render()  # mj_kinematics and mj_camlight only: the trajectory is unchanged, bit for bit
        rendered.append(env.step(action)[0])
    assert np.array_equal(np.array(plain), np.array(rendered))
    starts = np.array([EqPushT3DEnv().reset(seed=s)[0] for s in range(20)])
    # pusher 11-14 cm behind the block at bearing 180 +- 45 deg; block +-8 mm: every coordinate varies
    assert np.ptp(starts[:, 0:2], axis=0).min() > 0.05 and np.ptp(starts[:, 6:8], axis=0).min() > 0.01


# --------------------------------------------------------------------------- actions and bounds
def test_delta_actions_are_projected_onto_the_table_plane_and_the_unit_ball():
    g = tilted(8)
    canonical = PushT3DScene()
    canonical.reset(seed=0)
    canonical.step(np.array([1.0, 0.0, 0.0], np.float32))
    for mode in ("frame", "physics"):
        env = EqPushT3DEnv(orientation=g, orientation_mode=mode)
        env.reset(seed=0)
        start = env.get_state()[:3]
        env.step(5.0 * g.rotation[:, 2])  # along the table normal (of the env's frame): projected to nothing
        assert np.max(np.abs(env.get_state()[:3] - start)) < 1e-15  # the pusher stays put
        env.reset(seed=0)
        env.step(1e6 * g.rotation[:, 0] + 3.0 * g.rotation[:, 2])  # a huge action is a unit one, in the plane
        assert env.scene._target == canonical._target
    reach = np.hypot(*(np.array(canonical._target) - PushT3DScene().reset(seed=0)[0][:2]))
    assert reach == pytest.approx(DELTA_SCALE_M, abs=1e-12)


def test_targets_are_projected_onto_the_workspace_and_absolute_moves_are_limited():
    env = PushT3DScene(action_type="absolute")
    env.reset(seed=0)
    start = env.get_state()[:2]
    env.step(np.array([1.0, 0.0, 0.5], np.float32))
    assert np.hypot(*(np.array(env._target) - start)) == pytest.approx(DELTA_SCALE_M)
    for _ in range(30):
        env.step(np.array([1.0, 0.3, 0.0], np.float32))
    assert np.hypot(*env._target) == pytest.approx(WORKSPACE_RADIUS_M)
    assert np.hypot(*env.get_state()[:2]) <= WORKSPACE_RADIUS_M + 1e-3
    delta = PushT3DScene()
    delta.reset(seed=0)
    for _ in range(30):
        delta.step(np.array([-1.0, 1.0, 0.0], np.float32))
    assert np.hypot(*delta._target) == pytest.approx(WORKSPACE_RADIUS_M)


def test_tiny_components_are_flushed_and_actions_rounded_to_float32():
    env = PushT3DScene()
    env.reset(seed=0)
    tx, _ = env._target_from_action([1e-8, 0.0, 0.0])
    assert tx == env.get_state()[0]
    tx, _ = env._target_from_action([0.1 + 1e-12, 0.0, 0.0])
    assert tx == env.get_state()[0] + DELTA_SCALE_M * float(np.float32(0.1))


def test_observation_bounds_hold_under_adversarial_actions():
    """Strikes, rams, off-centre spins and oscillations, in frame mode and in a tilted, translated lab."""
    g = tilted(9, 0.15)
    for env in (EqPushT3DEnv(orientation=g), EqPushT3DEnv(orientation=g, orientation_mode="physics"),
                EqPushT3DEnv(orientation=g, action_type="absolute")):  # fmt: skip
        layout = env.obs_layout
        rng = np.random.default_rng(0)
        peak = {f.name: 0.0 for f in layout}
        for episode in range(4):
            obs, _ = env.reset(seed=episode)
            for k in range(120):
                towards = g.rotation.T @ (obs[layout["block_pos"].slice] - obs[layout["pusher_pos"].slice])
                u = np.r_[towards[:2] / (np.linalg.norm(towards[:2]) + 1e-9), 0.0]  # table frame
                side = np.array([-u[1], u[0], 0.0])
                strike = [u * 9, -u if k % 6 < 2 else u * 5, (u + 0.8 * side) * 3 if k % 5 > 1 else -u,
                          np.array([1.0, 0, 0]) * (-1) ** (k // 2)][episode] + rng.normal(0, 0.2, 3)  # fmt: skip
                a = g.act_vectors(strike)
                if env.scene.action_type == "absolute":
                    a = obs[layout["pusher_pos"].slice] + a * DELTA_SCALE_M
                obs, *_ = env.step(a)
                assert env.observation_space.contains(obs)
                for f in layout:
                    radius = np.linalg.norm(obs[f.slice] - (g.translation if f.kind == "point" else 0.0))
                    assert radius <= f.bound, (f.name, radius)
                    peak[f.name] = max(peak[f.name], radius)
        assert peak["pusher_pos"] > 0.24 and peak["block_vel"] > 0.1  # the adversary did reach far and fast


# --------------------------------------------------------------------------- reset states, tasks, orientation
@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_reset_state_round_trip_and_its_group_action(mode, push):
    actions, _ = push
    g = tilted(10)
    env = EqPushT3DEnv(orientation=g, orientation_mode=mode)
    env.reset(seed=0)
    for a in env.symmetry.act_action(g, actions[:30]):
        env.step(a)
    state = env.get_state()
    obs, _ = env.reset(options={"state": state})
    assert np.max(np.abs(env.get_state() - state)) < 1e-12
    assert np.allclose(obs[6:9], state[3:6], atol=1e-15) and np.allclose(obs[3:6], 0.0)
    canonical = PushT3DScene()
    canonical.reset(options={"state": env.symmetry.act_state(g.inverse(), state)})
    assert np.allclose(env.symmetry.act_state(g, canonical.get_state()), state, atol=1e-12)


def test_success_terminates_with_full_reward_and_infos_hold_the_errors():
    for task in ("push", "pose"):
        env = gym.make("EqPushT3D-v1", task=task, orientation=tilted(11), reward_type="dense")
        obs, info = env.reset(seed=0)
        assert set(info) == {"is_success", "pos_error_m", "angle_error_rad", "orientation"}
        layout = env.unwrapped.obs_layout
        goal = obs[layout["goal_pos"].slice]
        state = np.concatenate([obs[layout["pusher_pos"].slice], goal, obs[layout["goal_x"].slice],
                                obs[layout["goal_y"].slice]])  # fmt: skip
        env.reset(options={"state": state})
        obs, r, terminated, truncated, info = env.step(np.zeros(3, np.float32))
        assert terminated and not truncated and info["is_success"]
        assert info["pos_error_m"] < 1e-3 and info["angle_error_rad"] < 1e-3
        expected = 1.0 - info["pos_error_m"] / 0.06  # the task's reward, exactly
        if task == "pose":
            expected = 0.5 * expected + 0.5 * (1.0 - info["angle_error_rad"] / math.pi)
        assert r == expected
    env = gym.make("EqPushT3D-v1", task="pose")
    obs, info = env.reset(seed=0)
    assert info["angle_error_rad"] == pytest.approx(math.pi / 6, abs=0.11)
    assert info["pos_error_m"] == pytest.approx(0.06, abs=0.012)
    for k in range(200):
        *_, terminated, truncated, _ = env.step(np.zeros(3, np.float32))
        assert not terminated and truncated == (k == 199)


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_orientation_option_switches_for_one_episode(mode):
    g, h = tilted(12, 0.2), tilted(13, 0.05)
    env = EqPushT3DEnv(orientation=g, orientation_mode=mode)
    obs_g, info = env.reset(seed=0)
    assert info["orientation"] == g and env.orientation == g
    obs_h, info = env.reset(seed=0, options={"orientation": h})
    assert info["orientation"] == h and env.orientation == h
    assert np.allclose(obs_h, env.symmetry.act_obs(h @ g.inverse(), obs_g), atol=1e-12)
    _, info = env.reset(seed=0)
    assert info["orientation"] == g
    with pytest.raises(ValueError, match=r"options\['orientation'\]: translation"):
        env.reset(options={"orientation": SE3(np.eye(3), [1.0, 0, 0])})


def test_orientation_forms_agree():
    g = tilted(14)
    yaw = SE3.from_yaw(0.4)
    for form in (g, g.matrix, g.matrix.tolist(), g.to_json()):
        assert EqPushT3DEnv(orientation=form).orientation == g  # bit for bit
    for form in (0.4, "0.4rad", " 0.4 rad", yaw.rotation, yaw.rotation.tolist(), yaw.to_json()):
        assert EqPushT3DEnv(orientation=form).orientation == yaw
    assert EqPushT3DEnv(orientation=np.float32(0.4)).orientation.isclose(yaw, 1e-8)  # float32(0.4) = 0.4 + 6e-9
    degrees = EqPushT3DEnv(orientation="22.5deg").orientation
    assert (
        degrees.isclose(SE3.from_yaw(math.pi / 8), 1e-16) and degrees == EqPushT3DEnv(orientation="22.5°").orientation
    )


def test_sample_orientation_trains_on_the_slice():
    for mode in ("frame", "physics"):
        env = SampleOrientation(gym.make("EqPushT3D-v1", orientation_mode=mode), split="slice", seed=0)
        slice_ = get_split("EqPushT3D-v1", "slice")
        seen = []
        for seed in range(4):
            _, info = env.reset(seed=seed)
            assert slice_.contains(info["orientation"])
            assert env.unwrapped.orientation.isclose(SE3.parse(info["orientation"]))
            seen.append(info["orientation"])
        assert len({round(SE3.parse(s).rotation[1, 0], 12) for s in seen}) == 4


# --------------------------------------------------------------------------- rendering
def test_render_frames_from_both_cameras():
    g = tilted(15, 0.05)
    frames = {}
    for mode in ("frame", "physics"):
        for camera in ("world", "scene"):
            env = EqPushT3DEnv(orientation=g, orientation_mode=mode, render_mode="rgb_array", camera=camera,
                               render_size=96)  # fmt: skip
            env.reset(seed=0)
            env.step(g.act_vectors([1.0, 0.0, 0.0]))
            frames[mode, camera] = env.render()
            assert frames[mode, camera].shape == (96, 96, 3) and frames[mode, camera].dtype == np.uint8
    # frame mode moves the world camera instead of the lab: the same picture up to rasterisation
    diff = np.abs(frames["frame", "world"].astype(int) - frames["physics", "world"])
    assert diff.mean() < 1.0 and (diff.max(-1) > 40).mean() < 0.01
    assert np.abs(frames["frame", "scene"].astype(int) - frames["physics", "scene"]).mean() < 0.1
    # the scene camera rides with the lab: orientation does not change its picture; the world camera's does
    canonical = EqPushT3DEnv(render_mode="rgb_array", camera="scene", render_size=96)
    canonical.reset(seed=0)
    canonical.step(np.array([1.0, 0.0, 0.0]))
    assert np.array_equal(canonical.render(), frames["frame", "scene"])
    assert np.array_equal(canonical.render_view(g, 96), frames["frame", "scene"])
    world = EqPushT3DEnv(render_mode="rgb_array", camera="world", render_size=96)
    world.reset(seed=0)
    world.step(np.array([1.0, 0.0, 0.0]))
    assert np.abs(world.render().astype(int) - frames["frame", "world"]).mean() > 5.0
    # render_view(view) draws the lab as seen from view: the canonical env seen from g is the env at g
    assert np.array_equal(world.render_view(g, 96, True), frames["frame", "world"])
    assert not np.array_equal(world.render_view(g, 96, False), frames["frame", "world"])  # the target marker


def test_pixel_observations_are_drawn_once_from_g():
    g = tilted(17, 0.05)
    env = gym.make("EqPushT3D-v1", obs_type="state_pixels", obs_size=64, orientation=g)
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(np.array([0.5, 0.5, 0.0]))
    assert obs["pixels"].shape == (64, 64, 3) and obs["pixels"].dtype == np.uint8 and obs["pixels"].std() > 5
    assert np.array_equal(obs["pixels"], env.unwrapped.scene.render_view(g, 64, False, camera="scene"))
    assert obs["state"].shape == (33,)
    physics = gym.make("EqPushT3D-v1", obs_type="pixels", obs_size=64, orientation=g, orientation_mode="physics")
    physics.reset(seed=0)
    pixels = physics.step(np.array([0.5, 0.5, 0.0]))[0]
    assert pixels.shape == (64, 64, 3) and np.abs(pixels.astype(int) - obs["pixels"]).mean() < 1.0
    # a scene wrapped by the user draws its own pixels
    assert PushT3DScene(obs_type="pixels", obs_size=48).reset(seed=0)[0].std() > 5


def test_pixel_observations_see_the_task_on_every_rung():
    """The default obs camera (the scene's) sees the table on every ladder rung; the world camera sees the
    tilted labs edge-on or from below (what pixel observations were before), so its frames are nearly empty."""
    from eqenvs.splits import orientations

    def pixels(g, **kwargs):
        env = gym.make("EqPushT3D-v1", obs_type="pixels", obs_size=48, orientation=g, **kwargs)
        return env.reset(seed=3)[0]

    coloured = lambda img: (np.ptp(img.astype(int), axis=-1) > 25).mean()  # noqa: E731  T, goal, pusher pixels
    identity = pixels(np.eye(3))
    assert coloured(identity) > 0.02  # measured 0.029 at 48 px
    ladder = orientations("EqPushT3D-v1", "ladder")
    for rung, elements in ladder.items():
        for g in elements:
            assert np.array_equal(pixels(g), identity), rung  # frame mode: the scene camera moves with the lab
    world = [coloured(pixels(g, obs_camera="world")) for rung in ("SO3", "SE3") for g in ladder[rung]]
    assert min(world) < 0.005, world  # measured 0.0 (edge-on), 0.0004, 0.0009, ...


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "kwargs, fault",
    [
        (dict(orientation=np.eye(2)), "orientation: expected a 3x3 rotation"),
        (dict(orientation="up"), "orientation: cannot read 'up' as an angle; write a number in radians, or a string"),
        (dict(orientation=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]), "orientation: homogeneous"),
        (dict(orientation_mode="lab"), "orientation_mode: 'lab'"),
        (dict(task="pusht"), "task: 'pusht'"),
        (dict(obs_type="rgb"), "obs_type: 'rgb'"),
        (dict(action_type="velocity"), "action_type: 'velocity'"),
        (dict(render_mode="window"), "render_mode: 'window' is not one of ('rgb_array', 'human')"),
        (dict(camera="top"), "camera: 'top'"),
        (dict(obs_size=12), "obs_size: must be an integer number of pixels >= 16, got 12"),
        (dict(render_size=2048), "render_size: at most 1024 px"),
    ],
)
def test_bad_constructor_arguments(kwargs, fault):
    with pytest.raises(ValueError, match=fault.replace("(", r"\(").replace(")", r"\)")):
        EqPushT3DEnv(**kwargs)


def test_bad_cone_and_placement_of_the_scene_builder():
    with pytest.raises(ValueError, match="cone: 'conic'"):
        PushT3DScene(cone="conic")
    with pytest.raises(ValueError, match="placement: det = -1"):
        build_model(-np.eye(3))


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_bad_reset_states_raise_and_leave_the_state_untouched(mode, push):
    actions, _ = push
    g = tilted(16)
    env = EqPushT3DEnv(orientation=g, orientation_mode=mode)
    twin = EqPushT3DEnv(orientation=g, orientation_mode=mode)
    mapped = env.symmetry.act_action(g, actions)
    for e in (env, twin):
        e.reset(seed=0)
        for a in mapped[:20]:
            e.step(a)
    good = env.get_state()
    valid = good.copy()
    off_plane = valid.copy()
    off_plane[:3] += g.rotation[:, 2] * 0.01
    far = valid.copy()
    far[:3] = g.act_points([0.3, 0.0, PUSHER_HEIGHT_M])
    skew = valid.copy()
    skew[6:9] = g.rotation @ [1.0, 0.1, 0.0]
    sunk = valid.copy()
    sunk[3:6] = g.act_points([0.0, 0.0, 0.0])
    overlap = valid.copy()
    overlap[3:6] = valid[:3]
    away = valid.copy()
    away[3:6] = g.act_points([0.5, 0.0, BLOCK_REST_Z])
    bad_options = [
        ({"state": valid[:5]}, r"options\['state'\]: (expected \[pusher\(3\)|last dimension must be 12)"),
        ({"state": np.r_[valid[:11], np.nan]}, r"options\['state'\]: must be finite"),
        ({"state": "x"}, r"options\['state'\]: (expected 12 numbers|must be numeric)"),
        ({"state": off_plane}, r"options\['state'\]: the pusher moves 0.015 m above the table"),
        ({"state": far}, r"options\['state'\]: pusher .* outside the 0.25 m workspace"),
        ({"state": skew}, r"options\['state'\]: block_x and block_y must be orthonormal"),
        ({"state": sunk}, r"options\['state'\]: the block would sink into the table or overlap the pusher"),
        ({"state": overlap}, r"options\['state'\]: the block would sink into the table or overlap the pusher"),
        ({"state": away}, r"options\['state'\]: block centre must lie within 0.35 m"),
    ]  # fmt: skip
    for options, fault in bad_options:
        with pytest.raises(ValueError, match=fault):
            env.reset(options=options)
    assert np.array_equal(env.get_state(), good) and env.orientation == g
    for a in mapped[20:40]:  # the episode goes on exactly as if nothing had happened
        assert np.array_equal(env.step(a)[0], twin.step(a)[0])


def test_speed3d_smoke(capsys):
    speed3d_main(["--episodes", "1", "--per-rung", "1", "--steps", "30", "--speed-steps", "50", "--frames", "5"])
    out = capsys.readouterr().out
    for label in ("[step]", "[render] 224x224 world", "[render] 224x224 scene", "[frame]", "elliptic", "pyramidal"):
        assert label in out

    def table(section: str) -> dict[str, list[str]]:
        lines = section.splitlines()[2:]
        return {line.split()[0]: line.split() for line in lines if line.strip() and not line.startswith("(")}

    rungs = {"identity", "C4", "SO2", "SE2", "SO3", "SE3"}
    frame = table(out.split("[frame]")[1].split("[flat]")[0])
    assert set(frame) == rungs  # frame mode measured at the same elements as physics mode
    assert all(float(row[2]) <= 1e-14 and float(row[3]) <= 1e-14 for row in frame.values())  # measured ~1e-16
    elliptic = table(out.split("elliptic cones")[1].split("[flat]")[0])
    assert set(elliptic) == rungs
    assert all(float(row[4]) <= 1e-11 for row in elliptic.values())  # max deviation per rung, 30 steps (m)


def test_rollout_video_of_two_orientations(tmp_path):
    from eqenvs.video import mosaic, write_video

    streams = []
    for g in (SE3.identity(), tilted(18, 0.05)):
        env = EqPushT3DEnv(orientation=g, render_mode="rgb_array", render_size=64)
        env.reset(seed=0)
        frames = [env.render()]
        for _ in range(4):
            env.step(g.act_vectors([1.0, 0.0, 0.0]))
            frames.append(env.render())
        streams.append(frames)
    path = write_video(tmp_path / "pusht3d.mp4", mosaic(streams, labels=["identity", "tilted"]), fps=10)
    assert path.stat().st_size > 1000 and [p.name for p in tmp_path.iterdir()] == ["pusht3d.mp4"]


# --------------------------------------------------------------------------- the one action map
def test_the_action_map_is_one_equivariant_definition_used_by_the_env():
    """``plane_disk``: onto the plane orthogonal to up, then the unit disk; equivariant; numpy = torch; and the
    env's commanded target is the pusher plus 4 cm times ``Symmetry.applied_action`` of the observation."""
    import torch

    from eqenvs.symmetry import plane_disk

    rng = np.random.default_rng(5)
    actions = rng.normal(0, 1.2, (64, 3))
    g = tilted(23, 0.0)
    up = g.act_vectors(np.array([0.0, 0.0, 1.0]))
    mapped = plane_disk(actions, up)
    assert np.abs(mapped @ up).max() < 1e-15 and np.linalg.norm(mapped, axis=1).max() <= 1 + 1e-15
    inside = np.linalg.norm(actions - (actions @ up)[:, None] * up, axis=1) <= 1
    assert np.abs(mapped[inside] - (actions - (actions @ up)[:, None] * up)[inside]).max() < 1e-15
    r = g.rotation
    assert np.abs(plane_disk(actions @ r.T, r @ up) - mapped @ r.T).max() < 1e-15  # equivariant
    assert np.abs(plane_disk(torch.tensor(actions), torch.tensor(up)).numpy() - mapped).max() < 1e-15  # torch too

    env = gym.make("EqPushT3D-v1", orientation=g)
    sym = env.unwrapped.symmetry
    obs, _ = env.reset(seed=4)
    scene, layout = env.unwrapped.scene, sym.obs_layout
    for a in (np.array([0.3, -0.2, 0.9], np.float32), np.array([2.0, 1.5, -3.0], np.float32)):
        applied = sym.applied_action(obs, a.astype(np.float64))
        expected = g.inverse().act_points(obs[layout["pusher_pos"].slice] + 0.04 * applied)[:2]
        obs, *_ = env.step(a)
        assert np.abs(np.array(scene._target) - expected).max() < 1e-8  # float32 rounding of the action
    with pytest.raises(ValueError, match="action_plane"):
        Symmetry(sym.group, sym.obs_layout, sym.action_layout, action_plane="block_pos")


def test_3d_datasets_store_the_action_as_applied():
    from agents.data import collect

    data = collect("EqPushT3D-v1", episodes=3, max_steps=8, seed=1)
    layout = data.symmetry().obs_layout
    up = data.obs[:, layout["up"].slice]
    assert np.abs((data.action * up).sum(1)).max() < 1e-12  # no component along the table normal
    assert np.linalg.norm(data.action, axis=1).max() <= 1 + 1e-12
    assert (np.linalg.norm(data.action, axis=1) > 0.99).mean() > 0.3  # the scripted pusher saturates often
