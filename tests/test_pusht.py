"""EqPushT-v1 on gym-pusht's physics: parity with gym-pusht (its observation types too), tasks, starts, rendering,
physics mode, bounds, reset states and bad arguments. The invariants every env shares (checkers, pickling,
vector envs, determinism, generic bad inputs, frame-mode equivariance) live in test_envs.py."""

from __future__ import annotations

import math
import pickle

import gym_pusht  # noqa: F401  (registers gym_pusht/PushT-v0)
import gymnasium as gym
import numpy as np
import pytest
import shapely.geometry as sg

import eqenvs
from eqenvs.experts.scripted import ScriptedPusher
from eqenvs.groups import SE2, SO2
from eqenvs.pusht import AGENT_POS_BOUND_PX, ARENA_CENTRE, KEYPOINT_BOUND_PX, POINT_BOUND, EqPushTEnv
from eqenvs.pusht_sim import PUSHER_RADIUS, T_OUTLINE
from eqenvs.speed import flatness
from eqenvs.symmetry import PIXELS
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

TASKS = ("pusht", "push", "pose")
GYM_PUSHT_OBS_TYPES = ("environment_state_agent_pos", "pixels_agent_pos")


def make(**kwargs):
    return gym.make("EqPushT-v1", **kwargs)


def rollout(env, actions, seed):
    obs, info = env.reset(seed=seed)
    observations, rewards, flags = [obs], [], []
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        observations.append(obs)
        rewards.append(reward)
        flags.append((terminated, truncated, info["is_success"]))
    return np.array(observations), np.array(rewards), flags


def scripted_actions(task="push", seed=0, steps=100, noise=0.4):
    """Contact-rich actions: the scripted pusher with noise, recorded at the identity."""
    env = make(task=task)
    policy = ScriptedPusher(env.unwrapped.obs_layout, noise=noise, seed=seed)
    obs, _ = env.reset(seed=seed)
    actions = []
    for _ in range(steps):
        actions.append(policy.act(obs))
        obs, *_ = env.step(actions[-1])
    return np.array(actions)


def wall_episode():
    """The block is pushed into the right wall for 100 steps (contacts with pusher and wall)."""
    state = [150.0, 330.0, 420.0, 230.0, 0.3]
    return state, np.tile([1.0, -0.05], (100, 1))


def test_from_a_reset_state_physics_mode_drifts_through_wall_contacts_while_frame_mode_stays_exact():
    """Reset states move by act_state: frame mode stays at rounding, the moved pymunk scene does not."""
    state, actions = wall_episode()
    g = SE2.from_angle(math.radians(30))
    base = make(task="push")
    sym = base.unwrapped.symmetry
    obs_e, *_ = rollout_from_state(base, state, actions)
    expected = sym.act_obs(g, obs_e)
    frame, *_ = rollout_from_state(make(task="push", orientation=g), sym.act_state(g, state),
                                   [sym.act_action(g, a) for a in actions])  # fmt: skip
    physics, *_ = rollout_from_state(make(task="push", orientation=g, orientation_mode="physics"),
                                     sym.act_state(g, state), [sym.act_action(g, a) for a in actions])  # fmt: skip
    assert np.abs(frame - expected).max() < 1e-12  # measured 2.2e-16 (the state's round trip through g and back)
    drift_px = np.abs(physics - expected).max() * 256
    assert drift_px > 0.2  # measured: 2.2 px; far beyond float rounding


def rollout_from_state(env, state, actions):
    obs, _ = env.reset(seed=0, options={"state": state})
    observations = [obs]
    for a in actions:
        observations.append(env.step(a)[0])
    return np.array(observations), env


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("obs_type", ["state_pixels", "environment_state_agent_pos"])
def test_physics_mode_at_identity_is_bit_identical_to_frame_mode(task, obs_type):
    actions = scripted_actions(task, seed=2, steps=60)
    frame = make(task=task, obs_type=obs_type)
    physics = make(task=task, obs_type=obs_type, orientation_mode="physics")
    for env_a, env_b in ((frame, physics),):
        oa, ia = env_a.reset(seed=2)
        ob, ib = env_b.reset(seed=2)
        for a in actions:
            assert _equal(oa, ob)
            oa, ra, ta, _, ia = env_a.step(a)
            ob, rb, tb, _, ib = env_b.step(a)
            assert ra == rb and ta == tb and ia == ib
            assert np.array_equal(env_a.unwrapped.get_state(), env_b.unwrapped.get_state())


def _equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def test_parity_with_gym_pusht():
    """task="pusht", absolute actions, identity: gym_pusht/PushT-v0 step for step (float32 actions)."""
    ref = gym.make("gym_pusht/PushT-v0")
    ours = make(task="pusht", action_type="absolute")
    rng = np.random.default_rng(0)
    checked = 0
    for seed in range(2):
        ref_obs, _ = ref.reset(seed=seed)
        obs, _ = ours.reset(seed=seed)
        for t in range(300):
            state = ours.unwrapped.get_state()
            state[4] %= 2 * math.pi
            assert np.array_equal(ref_obs, state)  # the physics state, bit for bit
            # ... and the observation, mapped through the documented layout
            parts = ours.unwrapped.obs_layout.split(obs)
            assert np.abs(parts["pusher_pos"] * 256 + 255.5 - ref_obs[:2]).max() < 1e-12  # measured 1.4e-14 px
            assert np.abs(parts["block_pos"] * 256 + 255.5 - ref_obs[2:4]).max() < 1e-12
            assert np.allclose(parts["block_dir"], [math.cos(ref_obs[4]), math.sin(ref_obs[4])], atol=1e-12)
            if t % 15 == 0:
                action = rng.uniform(0, 512, 2).astype(np.float32)
            ref_obs, ref_reward, ref_term, ref_trunc, ref_info = ref.step(action)
            obs, reward, term, trunc, info = ours.step(action)
            # gym-pusht iterates a set of shapes for coverage, so its own instances can differ in the last bit
            assert reward == pytest.approx(ref_reward, rel=1e-12, abs=1e-15)
            assert (term, trunc) == (ref_term, ref_trunc)
            assert info["coverage"] == pytest.approx(ref_info["coverage"], rel=1e-12, abs=1e-15)
            checked += 1
            if term or trunc:
                break
    assert checked > 300


@pytest.mark.parametrize("obs_type", GYM_PUSHT_OBS_TYPES)
def test_gym_pusht_observation_types_match_gym_pusht_step_for_step(obs_type):
    """Same keys, shapes, dtypes and units; every non-pixel entry bit for bit (pixels: eqenvs' own drawing)."""
    ref = gym.make("gym_pusht/PushT-v0", obs_type=obs_type)
    ours = make(task="pusht", action_type="absolute", obs_type=obs_type)
    assert set(ours.observation_space.spaces) == set(ref.observation_space.spaces)
    for key, space in ref.observation_space.spaces.items():
        assert ours.observation_space[key].shape == space.shape and ours.observation_space[key].dtype == space.dtype
    rng = np.random.default_rng(1)
    ref_obs, _ = ref.reset(seed=4)
    obs, _ = ours.reset(seed=4)
    for t in range(120):
        assert list(obs) == list(ref_obs)  # gym-pusht's key order
        for key in obs:
            assert obs[key].dtype == ref_obs[key].dtype and obs[key].shape == ref_obs[key].shape
            if key != "pixels":
                assert np.array_equal(obs[key], ref_obs[key]), (t, key)
        if t % 10 == 0:
            action = rng.uniform(0, 512, 2).astype(np.float32)
        ref_obs, *_ = ref.step(action)
        obs, *_ = ours.step(action)
    start = ours.reset(seed=4)[0]
    assert np.abs(obs["agent_pos"] - start["agent_pos"]).max() > 50  # the pusher really travelled (px)


def test_keypoints_are_the_t_corners_in_px():
    env = make(task="push", obs_type="environment_state_agent_pos")
    state = [100.0, 120.0, 300.0, 280.0, 1.0]
    obs, _ = env.reset(seed=0, options={"state": state})
    corners = obs["environment_state"].reshape(8, 2)
    c, s = math.cos(1.0), math.sin(1.0)
    outline = T_OUTLINE @ np.array([[c, s], [-s, c]]) + state[2:4]  # the T's outer corners, px
    # gym-pusht's 8 keypoints are the corners of its two boxes: the T's 8 outline vertices less the 2 concave
    # ones, plus the 2 points where the stem meets the bar
    stem_top = np.array([[-15.0, 30.0], [15.0, 30.0]]) @ np.array([[c, s], [-s, c]]) + state[2:4]
    expected = np.concatenate([np.delete(outline, [3, 6], axis=0), stem_top])
    assert np.abs(np.sort(corners, axis=0) - np.sort(expected, axis=0)).max() < 1e-12
    assert np.array_equal(obs["agent_pos"], [100.0, 120.0])
    # the radial bounds behind the observation space: a corner is at most 121 px from the block's origin
    assert np.linalg.norm(corners - state[2:4], axis=1).max() <= math.hypot(15, 120) + 1e-9
    assert POINT_BOUND * 256 + math.hypot(15, 120) <= KEYPOINT_BOUND_PX
    assert AGENT_POS_BOUND_PX == POINT_BOUND * 256


@pytest.mark.parametrize("obs_type", GYM_PUSHT_OBS_TYPES)
def test_gym_pusht_observation_types_are_equivariant_in_frame_mode(obs_type):
    """agent_pos and the keypoints are points in px about the arena centre: frame mode at g is act_obs(g, identity)."""
    sym = make(obs_type=obs_type).unwrapped.symmetry
    layouts = {key: part for key, part in sym.observation.items() if part != PIXELS}  # the pixels are re-drawn
    actions = scripted_actions("push", seed=2, steps=30)

    def points(h, a):  # the trajectory of every point entry, side by side
        env = make(task="push", obs_type=obs_type, orientation=h, obs_size=32)
        out = [env.reset(seed=2)[0]]
        out += [env.step(action)[0] for action in a]
        return np.array([np.concatenate([o[key] for key in layouts]) for o in out])

    def act_out(g, rows):
        parts = np.split(rows, np.cumsum([layout.size for layout in layouts.values()])[:-1], axis=1)
        return np.column_stack([layout.act(g, part) for layout, part in zip(layouts.values(), parts, strict=True)])

    act_in = [lambda g, h: g @ h, sym.act_action]
    elements = sample_elements(SE2, 3, 3, translation_scale=20.0)
    assert_equivariant(points, [SE2.identity(), actions], act_in, act_out, elements, np.float64, "env")
    # the twin: reading the points as if g did not move them fails the check by far
    assert_not_equivariant(points, [SE2.identity(), actions], act_in, lambda g, rows: rows, elements, np.float64,
                           "env", at_least=0.1)  # fmt: skip


def test_goal_and_task_geometry():
    env = make(task="pusht")
    obs, _ = env.reset(seed=0)
    parts = env.unwrapped.obs_layout.split(obs)
    assert parts["goal_pos"].tolist() == [0.5 / 256, 0.5 / 256]  # gym-pusht's goal (256, 256)
    assert parts["goal_dir"] == pytest.approx([math.cos(math.pi / 4), math.sin(math.pi / 4)], abs=1e-15)
    angle = 1.1  # a generic angle: no exact integer matrix to hide rounding
    push = make(task="push", orientation=angle)
    obs, _ = push.reset(seed=0)
    parts = push.unwrapped.obs_layout.split(obs)
    # the goal is 60 px along the canonical +x axis from the nominal start, here turned by 1.1 rad
    start = push.unwrapped.symmetry.act_state(angle, [0, 0, ARENA_CENTRE[0] - 30, ARENA_CENTRE[1] - 45, 0])
    along = 60.0 * np.array([math.cos(angle), math.sin(angle)])
    assert np.abs(parts["goal_pos"] * 256 + ARENA_CENTRE - (start[2:4] + along)).max() < 1e-12
    assert np.abs(parts["goal_dir"] - [math.cos(angle), math.sin(angle)]).max() < 1e-15


def test_push_starts_are_randomised_and_never_overlap():
    env = make(task="push")
    starts = []
    for seed in range(200):
        env.reset(seed=seed)
        px, py, bx, by, angle = env.unwrapped.get_state()
        c, s = math.cos(angle), math.sin(angle)
        block = sg.Polygon(T_OUTLINE @ np.array([[c, s], [-s, c]]) + (bx, by))
        assert block.distance(sg.Point(px, py)) > PUSHER_RADIUS + 5
        assert abs(angle) <= 0.1 and abs(bx - (ARENA_CENTRE[0] - 30)) <= 8 and abs(by - (ARENA_CENTRE[1] - 45)) <= 8
        starts.append((px, py, bx, by, angle))
    spread = np.std(np.array(starts), axis=0)
    assert spread[4] > 0.05 and spread[:4].min() > 4.0  # uniform +-0.1 rad: std 0.058; +-8 px: std 4.6


def test_gym_pusht_itself_does_not_pickle():
    ref = gym.make("gym_pusht/PushT-v0").unwrapped
    ref.reset(seed=0)
    with pytest.raises(TypeError):  # its collision handler holds a cffi callback
        pickle.dumps(ref)


def test_render_frames_and_pixel_observations():
    env = make(task="push", obs_type="pixels", render_mode="rgb_array", render_size=256, obs_size=64, orientation=0.8)
    obs, _ = env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.shape == (256, 256, 3)
    assert obs.dtype == np.uint8 and obs.shape == (64, 64, 3)
    colors = {tuple(c) for c in frame.reshape(-1, 3)}
    for name in ("goal", "block", "pusher", "floor"):  # goal ghost visible, every body drawn
        assert eqenvs.pusht.COLORS[name] in colors
    with pytest.warns(UserWarning, match="render_mode"):
        assert make().unwrapped.render() is None


def test_quarter_turn_frames_are_the_identitys_turned_bit_for_bit():
    """Frame mode at k x 90 deg: every pixel observation type and the rendered frame are np.rot90 of the
    identity's, exactly, over tasks and seeds (paired episodes, the actions turned with g)."""
    for task, seed, obs_type in (("pusht", 3, "pixels"), ("push", 0, "state_pixels"), ("pose", 1, "pixels_agent_pos")):
        episodes = {}
        for k in range(4):
            g = SO2.from_angle(k * math.pi / 2)
            env = make(
                task=task, obs_type=obs_type, obs_size=96, render_mode="rgb_array", render_size=128, orientation=g
            )
            obs, _ = env.reset(seed=seed)
            sym = env.unwrapped.symmetry
            for _ in range(4):
                obs, *_ = env.step(np.asarray(sym.act_action(g, np.array([0.3, -0.2])), np.float32))
            episodes[k] = (obs if obs_type == "pixels" else obs["pixels"], env.render(), sym, g)
        image, frame = episodes[0][:2]
        for k in (1, 2, 3):
            pixels, turned_frame, sym, g = episodes[k]
            assert np.array_equal(pixels, np.rot90(image, -k)) and np.array_equal(pixels, sym.act_frame(g, image))
            assert np.array_equal(turned_frame, np.rot90(frame, -k))


def test_the_rasteriser_alone_is_not_quarter_turn_symmetric():
    """Why quarter turns are drawn unturned: cv2 drawing the turned geometry differs from np.rot90 by whole
    intensity levels along every edge (so the exact test above would fail without it)."""
    env = make(task="pusht")
    env.reset(seed=3)
    scene = env.unwrapped.scene
    identity = scene.render_view(size=96, overlay=False)
    quarter = SO2.from_angle(math.pi / 2)
    drawn_turned = scene._draw(quarter, 96, False).astype(int)
    assert np.abs(drawn_turned - np.rot90(identity, -1).astype(int)).max() > 30
    assert np.array_equal(scene.render_view(quarter, size=96, overlay=False), np.rot90(identity, -1))


def test_any_rotation_keeps_the_whole_arena_in_view():
    for angle in (0.0, math.pi / 4, 1.0):
        env = make(render_mode="rgb_array", render_size=128, orientation=angle)
        env.reset(seed=0)
        frame = env.render()
        border = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        assert (border == eqenvs.pusht.COLORS["outside"]).all()


def test_reset_state_places_bodies_exactly_angle_before_position():
    state = [100.0, 120.0, 300.0, 280.0, 1.0]
    env = make(task="pusht")
    env.reset(seed=0, options={"state": state})
    assert np.allclose(env.unwrapped.get_state(), state, rtol=0, atol=1e-12)
    # gym-pusht's own reset_to_state sets the position first, so the block lands elsewhere
    ref = gym.make("gym_pusht/PushT-v0")
    ref_obs, _ = ref.reset(seed=0, options={"reset_to_state": state})
    assert np.linalg.norm(ref_obs[2:4] - state[2:4]) > 10
    # in a rotated frame the state is given in that frame
    g = SE2.from_angle(0.5)
    rotated = make(task="pusht", orientation=g)
    rotated.reset(seed=0, options={"state": env.unwrapped.symmetry.act_state(g, state)})
    assert np.abs(rotated.unwrapped.get_state() - env.unwrapped.symmetry.act_state(g, state)).max() < 1e-12  # 2.8e-14


def test_success_terminates_with_full_reward():
    env = make(task="pusht")
    env.reset(seed=0, options={"state": [100.0, 100.0, 256.0, 256.0, math.pi / 4]})
    obs, reward, terminated, truncated, info = env.step(np.zeros(2))
    assert info["coverage"] > 0.99 and info["is_success"] and terminated and reward == 1.0
    push = make(task="push", reward_type="dense")
    obs, _ = push.reset(seed=0)
    policy = ScriptedPusher(push.unwrapped.obs_layout)
    for _ in range(300):
        obs, reward, terminated, truncated, info = push.step(policy.act(obs))
        if terminated or truncated:
            break
    assert terminated and info["is_success"] and info["pos_error_px"] <= 24
    assert reward == 1.0 - info["pos_error_px"] / 60.0  # the dense push reward, exactly
    assert make(task="push").unwrapped.scene.task.reward_type == "penalty"  # v1's default: 0 at success


def test_observation_bounds_hold_under_adversarial_actions():
    rng = np.random.default_rng(0)
    configs = (("frame", "delta", 0.7, 0.04), ("physics", "delta", 2.0, 0.04), ("frame", "absolute", 4.0, 0.5))
    for mode, action_type, angle, driven in configs:
        env = make(task="pusht", orientation=angle, orientation_mode=mode, action_type=action_type)
        space = env.observation_space
        peak = 0.0
        for episode in range(2):
            obs, _ = env.reset(seed=episode)
            action = np.zeros(2)
            for t in range(300):
                if action_type == "absolute":  # far outside the arena
                    action = rng.uniform(-5e3, 5e3, 2)
                elif t % 7 == 0:  # bang-bang, in a direction that changes every few steps
                    action = 1e3 * np.sign(rng.normal(size=2))
                obs, *_ = env.step(action)
                assert space.contains(obs), (mode, t, obs)
                peak = max(peak, np.abs(obs[10:12]).max())
        assert peak > driven  # the pusher really was driven hard (a unit delta reaches ~0.058 per step)


def test_orientation_option_switches_for_one_episode():
    for mode in ("frame", "physics"):
        env = make(task="push", orientation=0.2, orientation_mode=mode)
        _, info = env.reset(seed=0, options={"orientation": 1.0})
        assert info["orientation"].angle == pytest.approx(1.0, abs=1e-15)
        assert env.unwrapped.orientation.angle == pytest.approx(1.0, abs=1e-15)
        obs_switched, _ = env.reset(seed=0, options={"orientation": 1.0})
        obs_direct, _ = make(task="push", orientation=1.0, orientation_mode=mode).reset(seed=0)
        assert np.abs(obs_switched - obs_direct).max() < 1e-15
        _, info = env.reset(seed=0)
        assert info["orientation"].angle == pytest.approx(0.2, abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "fault"),
    [
        ({"orientation": [[1, 0.2], [0, 1]]}, "orientation: matrix is not orthogonal"),
        ({"orientation": [1, 2, 3]}, "orientation: expected a 2x2 rotation or a 3x3 homogeneous matrix"),
        ({"orientation": "north"}, "orientation: cannot read 'north' as an angle; write a number in radians, or a"),
        ({"task": "stack"}, "task: 'stack' is not one of"),
        ({"obs_type": "rgb"}, "obs_type: 'rgb' is not one of"),
        ({"orientation_mode": "world"}, "orientation_mode: 'world' is not one of"),
        ({"action_type": "velocity"}, "action_type: 'velocity' is not one of"),
        ({"render_mode": "window"}, "render_mode: 'window' is not one of ('rgb_array', 'human')"),
        ({"obs_size": 8}, "obs_size: must be an integer number of pixels >= 16, got 8"),
        ({"obs_size": 84.0}, "obs_size: must be an integer number of pixels >= 16, got 84.0"),
        ({"render_size": 0}, "render_size: must be an integer number of pixels >= 16, got 0"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*render_mode='window':UserWarning")  # gym.make's own warning, before ours
def test_bad_constructor_arguments(kwargs, fault):
    with pytest.raises(ValueError) as err:
        make(**kwargs)
    assert fault in str(err.value)


def test_pixel_sides_need_not_be_multiples_of_16():
    env = make(task="push", obs_type="pixels_agent_pos", obs_size=84, render_mode="rgb_array", render_size=100)
    obs, _ = env.reset(seed=0)
    assert obs["pixels"].shape == (84, 84, 3) and env.observation_space["pixels"].shape == (84, 84, 3)
    assert env.render().shape == (100, 100, 3)
    colors = {tuple(c) for c in obs["pixels"].reshape(-1, 3)}
    assert eqenvs.pusht.COLORS["block"] in colors and eqenvs.pusht.COLORS["pusher"] in colors


def test_the_scene_draws_frames_and_only_the_registered_env_opens_windows():
    with pytest.raises(ValueError, match=r"render_mode: 'human' is not one of \('rgb_array',\)"):
        eqenvs.pusht.PushTScene(render_mode="human")
    assert EqPushTEnv(render_mode="human").scene.render_mode == "rgb_array"  # its frames feed the window


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_bad_reset_states_raise_and_leave_the_state_untouched(mode):
    env = make(task="push", orientation=0.5, orientation_mode=mode)
    twin = make(task="push", orientation=0.5, orientation_mode=mode)
    for e in (env, twin):
        e.reset(seed=0)
        e.step(np.array([0.5, 0.5]))
    rng_state = env.unwrapped.np_random.bit_generator.state
    bad_states = [  # frame mode first moves the state by g^-1 (act_state), which checks its shape and type
        (r"expected \[pusher_x, pusher_y, block_x, block_y, block_angle\]|last dimension must be 5", [1, 2, 3]),
        ("expected 5 numbers|must be numeric", [1, 2, "x", 4, 5]),
        ("must be finite", [100, 100, 250, np.nan, 0]),
        (r"block origin \[.*\] lies outside the walls", [100, 100, 900, 250, 0]),
        (r"pusher \[.*\] lies outside the arena", [-600, 100, 250, 250, 0]),
    ]
    for fault, state in bad_states:
        with pytest.raises(ValueError, match=r"^options\['state'\]: " + f"({fault})"):
            env.reset(seed=1, options={"state": state})
    assert env.unwrapped.np_random.bit_generator.state == rng_state
    assert np.array_equal(env.unwrapped.get_state(), twin.unwrapped.get_state())
    a, *_ = env.step(np.array([-0.3, 0.8]))
    b, *_ = twin.step(np.array([-0.3, 0.8]))
    assert np.array_equal(a, b)


def test_huge_and_tiny_actions_are_projected():
    env = make(task="push")
    env.reset(seed=0)
    start = env.unwrapped.get_state()[:2]
    env.step(np.array([1e30, -1e30]))  # projected onto the unit disk: 40 px along (1, -1) / sqrt(2)
    target = np.array(env.unwrapped.scene._target)
    assert np.abs(target - (start + 40.0 * np.array([1.0, -1.0]) / math.sqrt(2))).max() < 1e-12
    twin = make(task="push")
    twin.reset(seed=0)
    twin.step(np.array([1e30, -1e30]))
    a, *_ = env.step(np.array([1e-9, 0.0]))  # below 1e-7: read as exactly 0
    b, *_ = twin.step(np.zeros(2))
    assert np.array_equal(a, b)


def test_frame_mode_pixels_are_drawn_once_from_g(monkeypatch):
    draws = []

    class CountingCanvas(eqenvs.pusht.Canvas):
        def __init__(self, *args, **kwargs):
            draws.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(eqenvs.pusht, "Canvas", CountingCanvas)
    env = make(task="push", obs_type="state_pixels", orientation=0.9)
    env.reset(seed=0)
    draws.clear()
    obs, *_ = env.step(np.array([0.3, 0.4]))
    assert len(draws) == 1
    assert np.array_equal(obs["pixels"], env.unwrapped.render_view(size=96, overlay=False))
    clone = pickle.loads(pickle.dumps(env))  # the arrangement survives pickling
    draws.clear()
    obs_clone, *_ = clone.step(np.array([0.3, 0.4]))
    obs, *_ = env.step(np.array([0.3, 0.4]))
    assert len(draws) == 2 and np.array_equal(obs["pixels"], obs_clone["pixels"])


def test_wall_clearance_is_measured_in_the_scene_frame():
    state = [60.0, 256.0, 200.0, 200.0, 0.0]  # bar from x = 140 to 260, y from 200 to 320 (stem to 320)
    frame = make(task="push")
    frame.reset(seed=0, options={"state": state})
    assert frame.unwrapped.scene.wall_clearance() == pytest.approx(min(140 - 7, 504 - 260, 200 - 7, 504 - 320))
    g = SE2.from_angle(1.1)
    physics = make(task="push", orientation=g, orientation_mode="physics")
    physics.reset(seed=0, options={"state": physics.unwrapped.symmetry.act_state(g, state)})
    assert abs(physics.unwrapped.scene.wall_clearance() - frame.unwrapped.scene.wall_clearance()) < 1e-12  # 0 measured
    frame.reset(seed=0, options={"state": [60.0, 256.0, 440.0, 200.0, 0.0]})  # bar's right end at 500
    assert frame.unwrapped.scene.wall_clearance() == pytest.approx(4.0)


def test_the_speed_probe_measures_frame_mode_at_the_orientations_it_measures_physics_mode():
    physics, frame = flatness(episodes=1, steps=10)
    assert set(frame) == {"C4", "generic"}
    assert frame["C4"]["rollouts"] == 2 * 3 and frame["generic"]["rollouts"] == 2 * 4  # interior + wall, per angle
    # measured: C4 0 and 0 px; generic 2.2e-16 and 6.4e-14 px over 300-step episodes
    assert frame["C4"]["max_relative_obs_error"] == 0.0 and frame["C4"]["max_px"] == 0.0
    assert frame["generic"]["max_relative_obs_error"] < 1e-14 and frame["generic"]["max_px"] < 1e-11
    assert sum(entry["episodes"] for entry in physics.values()) == 2 * 7
