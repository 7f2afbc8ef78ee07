"""EqPushT3D-v0 in MuJoCo: scene, API checks, exactness of frame mode, flatness of physics mode, bad inputs."""

from __future__ import annotations

import math
import os
import pickle
import warnings

os.environ.setdefault("MUJOCO_GL", "egl")  # MuJoCo picks its OpenGL backend when first imported

import gymnasium as gym
import mujoco
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import eqenvs  # noqa: F401  (registers the ids)
from eqenvs import pusht3d
from eqenvs.benchmark3d import main as benchmark_main
from eqenvs.benchmark3d import position_deviation, rollout, scripted_actions
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
from eqenvs.splits import get_split
from eqenvs.wrappers import Orient, SampleOrientation

SB3_ABSOLUTE_BOX_HINT = "symmetric and normalized"  # absolute targets are metres by design
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
    assert np.allclose(data.light_xdir[0], g.rotation @ [0, 0, -1], atol=1e-6)
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


# --------------------------------------------------------------------------- API checkers
@pytest.mark.parametrize("mode", ["frame", "physics"])
@pytest.mark.parametrize("obs_type", ["state", "pixels", "state_pixels"])
def test_gymnasium_and_sb3_checkers_are_clean(obs_type, mode):
    for action_type, task in (("delta", "push"), ("absolute", "pose")):
        kwargs = dict(obs_type=obs_type, orientation_mode=mode, orientation=tilted(), action_type=action_type,
                      task=task, render_mode="rgb_array", obs_size=64, render_size=64)  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(gym.make("EqPushT3D-v0", **kwargs).unwrapped, skip_render_check=False)
            sb3_check_env(gym.make("EqPushT3D-v0", **kwargs))
        messages = [str(w.message) for w in caught]
        allowed = [m for m in messages if action_type == "absolute" and SB3_ABSOLUTE_BOX_HINT in m]
        assert messages == allowed, messages


def test_registration_and_spec_kwargs_stay_json_able():
    env = gym.make("EqPushT3D-v0", orientation=tilted().matrix.tolist())
    assert env.spec.max_episode_steps == 200 and env.unwrapped.orientation == tilted()
    assert gym.make("eqenvs:EqPushT3D-v0").unwrapped.orientation.is_identity
    assert env.unwrapped.metadata["render_fps"] == 10 and env.unwrapped.symmetry.group is SE3
    obs, _ = env.reset(seed=0)
    assert obs.dtype == np.float64 and obs.shape == (33,) and env.action_space.dtype == np.float32
    assert [f.name for f in env.unwrapped.obs_layout] == [
        "pusher_pos", "pusher_vel", "block_pos", "block_x", "block_y", "block_vel", "block_angvel",
        "goal_pos", "goal_x", "goal_y", "up",
    ]  # fmt: skip


# --------------------------------------------------------------------------- exactness and flatness
def test_frame_mode_is_exact_for_twenty_haar_random_se3_elements(push):
    actions, _ = push
    canonical = EqPushT3DEnv(task="pose")
    sym = canonical.symmetry
    base = rollout(canonical, actions, 0)
    rewards = [canonical.step(a)[1] for a in actions[:5]]
    for g in SE3.sample(np.random.default_rng(7), 20, translation_scale=0.1):
        env = EqPushT3DEnv(orientation=g, task="pose")
        observed = rollout(env, sym.act_action(g, actions), 0)
        expected = sym.act_obs(g, base)
        assert np.max(np.abs(observed - expected)) <= 1e-9 * np.max(np.abs(expected))
        assert [env.step(sym.act_action(g, a))[1] for a in actions[:5]] == rewards  # invariant, exactly
    moved = np.linalg.norm(base[-1, 6:9] - base[0, 6:9])
    assert moved > 0.02  # the rollout pushed the block: contacts were exercised


def test_frame_mode_holds_for_every_quarter_turn_and_the_octahedral_group(push):
    actions, _ = push
    canonical = PushT3DScene()
    base = rollout(canonical, actions[:40], 0)
    for g in SE3.finite_subgroup("O"):
        observed = rollout(Orient(PushT3DScene(), g), canonical.symmetry.act_action(g, actions[:40]), 0)
        assert np.max(np.abs(observed - canonical.symmetry.act_obs(g, base))) <= 1e-15


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
    assert positions <= 1e-6  # measured ~1e-14 m: elliptic cones make the scene exactly isotropic
    assert everything <= 1e-6


def test_pyramidal_cones_break_the_symmetry_by_millimetres(push):
    """The non-equivariant control: the same comparison with MuJoCo's default cone fails by far."""
    actions, _ = push
    g = SE3.from_yaw(math.radians(30))
    elliptic, _ = _physics_vs_frame(g, actions, "elliptic")
    pyramidal, _ = _physics_vs_frame(g, actions, "pyramidal")
    assert elliptic <= 1e-9
    assert pyramidal >= 1e-3
    assert pyramidal / max(elliptic, 1e-16) > 1e8


def test_physics_mode_is_flat_in_a_tilted_lab_too(push):
    actions, _ = push
    positions, _ = _physics_vs_frame(tilted(5), actions)
    assert positions <= 1e-6  # reported by the benchmark per ladder rung; measured ~1e-13 m


# --------------------------------------------------------------------------- determinism, pickling, vectors
def test_determinism_same_seed_same_bits_and_rendering_changes_nothing(push):
    actions, _ = push
    a = rollout(EqPushT3DEnv(orientation=tilted()), actions, 3)
    env = EqPushT3DEnv(orientation=tilted(), render_mode="rgb_array", render_size=64)
    obs, _ = env.reset(seed=3)
    b = [obs]
    for action in actions:
        env.render()
        b.append(env.step(action)[0])
    assert np.array_equal(a, np.array(b))
    assert not np.array_equal(a[0], rollout(EqPushT3DEnv(orientation=tilted()), actions[:1], 4)[0])
    starts = np.array([EqPushT3DEnv().reset(seed=s)[0] for s in range(20)])
    assert np.ptp(starts[:, 0:3], axis=0)[:2].min() > 0.02 and np.ptp(starts[:, 6:8], axis=0).min() > 0.004


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_pickled_env_continues_bit_for_bit_in_contact(mode, push):
    actions, canonical = push
    g = tilted(6)
    env = gym.make("EqPushT3D-v0", orientation=g, orientation_mode=mode)
    sym = env.unwrapped.symmetry
    mapped = sym.act_action(g, actions)
    env.reset(seed=0)
    for a in mapped[:30]:
        env.step(a)
    pushing = np.linalg.norm(np.diff(canonical[25:40, 6:9], axis=0), axis=1).max()
    assert pushing > 1e-3  # the pickle is taken mid-push
    clone = pickle.loads(pickle.dumps(env))
    for a in mapped[30:]:
        out, out_clone = env.step(a), clone.step(a)
        assert np.array_equal(out[0], out_clone[0]) and out[1:4] == out_clone[1:4]
    assert np.array_equal(env.reset()[0], clone.reset()[0])  # the random generator travelled too


def test_make_vec_sync_and_async_agree(push):
    actions, _ = push
    kwargs = dict(num_envs=2, orientation=tilted(), orientation_mode="physics")
    results = []
    for mode in ("sync", "async"):
        envs = gym.make_vec("EqPushT3D-v0", vectorization_mode=mode, **kwargs)
        obs, _ = envs.reset(seed=[0, 1])
        trace = [obs]
        for a in actions[:15]:
            trace.append(envs.step(np.stack([a, -a]))[0])
        envs.close()
        results.append(np.array(trace))
    assert results[0].shape == (16, 2, 33) and np.array_equal(results[0], results[1])
    assert not np.array_equal(results[0][:, 0], results[0][:, 1])


def test_observations_do_not_share_memory_with_the_simulation():
    env, twin = PushT3DScene(), PushT3DScene()
    obs, _ = env.reset(seed=0)
    twin.reset(seed=0)
    obs[:] = 7.0  # scribbling on what the env returned changes nothing inside it
    env.get_state()[:] = 7.0
    env.block_pose()[0][:] = 7.0
    assert np.array_equal(env.step(np.zeros(3, np.float32))[0], twin.step(np.zeros(3, np.float32))[0])
    assert not np.shares_memory(env.get_state(), env.data.qpos)


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
    for task, reward in (("push", 1.0), ("pose", 1.0)):
        env = gym.make("EqPushT3D-v0", task=task, orientation=tilted(11))
        obs, info = env.reset(seed=0)
        assert set(info) == {"is_success", "pos_error_m", "angle_error_rad", "orientation"}
        layout = env.unwrapped.obs_layout
        goal = obs[layout["goal_pos"].slice]
        state = np.concatenate([obs[layout["pusher_pos"].slice], goal, obs[layout["goal_x"].slice],
                                obs[layout["goal_y"].slice]])  # fmt: skip
        env.reset(options={"state": state})
        obs, r, terminated, truncated, info = env.step(np.zeros(3, np.float32))
        assert terminated and not truncated and info["is_success"]
        assert r == pytest.approx(reward, abs=1e-3) and info["pos_error_m"] < 1e-3 and info["angle_error_rad"] < 1e-3
    env = gym.make("EqPushT3D-v0", task="pose")
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
    forms = [g, g.matrix, g.matrix.tolist(), g.to_json()]
    for form in forms:
        assert EqPushT3DEnv(orientation=form).orientation == g
    for form in (0.4, yaw.rotation, yaw.rotation.tolist(), np.float32(0.4)):
        assert EqPushT3DEnv(orientation=form).orientation.isclose(yaw, 1e-7)


def test_sample_orientation_trains_on_the_slice():
    for mode in ("frame", "physics"):
        env = SampleOrientation(gym.make("EqPushT3D-v0", orientation_mode=mode), split="slice", seed=0)
        slice_ = get_split("EqPushT3D-v0", "slice")
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
    env = gym.make("EqPushT3D-v0", obs_type="state_pixels", obs_size=64, orientation=g)
    obs, _ = env.reset(seed=0)
    obs, *_ = env.step(np.array([0.5, 0.5, 0.0]))
    assert obs["pixels"].shape == (64, 64, 3) and obs["pixels"].dtype == np.uint8 and obs["pixels"].std() > 5
    assert np.array_equal(obs["pixels"], env.unwrapped.scene.render_view(g, 64, False))
    assert obs["state"].shape == (33,)
    physics = gym.make("EqPushT3D-v0", obs_type="pixels", obs_size=64, orientation=g, orientation_mode="physics")
    physics.reset(seed=0)
    pixels = physics.step(np.array([0.5, 0.5, 0.0]))[0]
    assert pixels.shape == (64, 64, 3) and np.abs(pixels.astype(int) - obs["pixels"]).mean() < 1.0
    # a scene wrapped by the user draws its own pixels
    assert PushT3DScene(obs_type="pixels", obs_size=48).reset(seed=0)[0].std() > 5


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "kwargs, fault",
    [
        (dict(orientation=float("nan")), "orientation: angle is nan"),
        (dict(orientation=np.full((3, 3), np.inf)), "orientation: matrix contains NaN or inf"),
        (dict(orientation=np.eye(2)), "orientation: expected a 3x3 rotation"),
        (dict(orientation=np.eye(3) * 1.1), "orientation: matrix is not orthogonal"),
        (dict(orientation=np.diag([1.0, 1.0, -1.0])), "orientation: det = -1"),
        (dict(orientation="up"), "orientation: unsupported type str"),
        (dict(orientation=True), "orientation: got a bool"),
        (dict(orientation=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]), "orientation: homogeneous"),
        (dict(orientation_mode="lab"), "orientation_mode: 'lab'"),
        (dict(task="pusht"), "task: 'pusht'"),
        (dict(obs_type="rgb"), "obs_type: 'rgb'"),
        (dict(action_type="velocity"), "action_type: 'velocity'"),
        (dict(render_mode="human"), "render_mode: 'human'"),
        (dict(camera="top"), "camera: 'top'"),
        (dict(obs_size=100), "obs_size: must be a positive multiple of 16"),
        (dict(render_size=2048), "render_size: at most 1024"),
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
def test_bad_actions_and_options_leave_the_state_untouched(mode, push):
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
    bad_actions = [
        ([np.nan, 0, 0], "action: must be finite"), ([0, np.inf, 0], "action: must be finite"),
        ([1.0, 0.0], r"action: expected shape \(3,\)"), (np.zeros((1, 3)), r"action: expected shape \(3,\)"),
        ("left", "action: expected a numeric array"), ([None, 1, 2], "action: must be finite"),
    ]  # fmt: skip
    for action, fault in bad_actions:
        with pytest.raises(ValueError, match=fault):
            env.step(action)
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
        ([0.0], "options: expected a dict or None"), ({"goal": 1}, r"options: unknown key\(s\) \['goal'\]"),
        ({"state": valid[:5]}, r"options\['state'\]: (expected \[pusher\(3\)|last dimension must be 12)"),
        ({"state": np.r_[valid[:11], np.nan]}, r"options\['state'\]: must be finite"),
        ({"state": "x"}, r"options\['state'\]: (expected 12 numbers|must be numeric)"),
        ({"state": off_plane}, r"options\['state'\]: the pusher moves 0.015 m above the table"),
        ({"state": far}, r"options\['state'\]: pusher .* outside the 0.25 m workspace"),
        ({"state": skew}, r"options\['state'\]: block_x and block_y must be orthonormal"),
        ({"state": sunk}, r"options\['state'\]: the block would sink into the table or overlap the pusher"),
        ({"state": overlap}, r"options\['state'\]: the block would sink into the table or overlap the pusher"),
        ({"state": away}, r"options\['state'\]: block centre must lie within 0.35 m"),
        ({"orientation": np.eye(4)[:3]}, r"options\['orientation'\]: expected a 3x3 rotation"),
        ({"orientation": float("inf")}, r"options\['orientation'\]: angle is inf"),
    ]  # fmt: skip
    for options, fault in bad_options:
        with pytest.raises(ValueError, match=fault):
            env.reset(options=options)
    assert np.array_equal(env.get_state(), good) and env.orientation == g
    for a in mapped[20:40]:  # the episode goes on exactly as if nothing had happened
        assert np.array_equal(env.step(a)[0], twin.step(a)[0])


def test_benchmark_smoke(capsys):
    benchmark_main(["--episodes", "1", "--per-rung", "1", "--steps", "30", "--speed-steps", "50", "--frames", "5"])
    out = capsys.readouterr().out
    for label in ("[step]", "[render] 224x224 world", "[render] 224x224 scene", "[frame]", "elliptic", "pyramidal"):
        assert label in out
    exact = float(out.split("max relative deviation")[1].split()[0])
    assert exact <= 1e-12
    elliptic = out.split("elliptic cones")[1].split("[flat]")[0]
    rows = {line.split()[0]: line.split() for line in elliptic.splitlines()[2:] if line.strip()}
    assert set(rows) == {"identity", "C4", "SO2", "SE2", "SO3", "SE3"}
    assert all(float(row[4]) <= 1e-9 for row in rows.values())  # max deviation per rung, 30 steps


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
