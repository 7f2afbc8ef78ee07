"""EqPushT-v0 on gym-pusht's physics: API checks, frame-mode exactness, parity with gym-pusht, bad inputs."""

from __future__ import annotations

import math
import pickle
import warnings

import gym_pusht  # noqa: F401  (registers gym_pusht/PushT-v0)
import gymnasium as gym
import numpy as np
import pytest
import shapely.geometry as sg
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import eqenvs
from eqenvs.groups import SE2, SO2
from eqenvs.pusht import ARENA_CENTRE, PUSHER_RADIUS, T_OUTLINE
from eqenvs.scripted import ScriptedPusher

TASKS = ("pusht", "push", "pose")
OBS_TYPES = ("state", "pixels", "state_pixels")
SB3_ABSOLUTE_BOX_HINT = "symmetric and normalized"  # absolute targets are px by design (gym-pusht's semantics)


def make(**kwargs):
    return gym.make("EqPushT-v0", **kwargs)


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


@pytest.mark.parametrize("mode", ["frame", "physics"])
@pytest.mark.parametrize("obs_type", OBS_TYPES)
@pytest.mark.parametrize("task", TASKS)
def test_gymnasium_and_sb3_checkers_are_clean(task, obs_type, mode):
    for action_type in ("delta", "absolute"):
        env = make(task=task, obs_type=obs_type, orientation_mode=mode, orientation=0.6, action_type=action_type,
                   render_mode="rgb_array")  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped)
            sb3_check_env(env.unwrapped)
        messages = [str(w.message) for w in caught]
        if action_type == "absolute":
            messages = [m for m in messages if SB3_ABSOLUTE_BOX_HINT not in m]
        assert messages == []


@pytest.mark.parametrize("task", TASKS)
def test_frame_mode_is_exact_for_haar_random_and_quarter_turns(task):
    actions = scripted_actions(task, seed=1)
    base = make(task=task)
    sym = base.unwrapped.symmetry
    obs_e, rewards_e, flags_e = rollout(base, actions, seed=1)
    elements = SE2.sample(np.random.default_rng(7), 20, translation_scale=25.0) + SE2.cyclic(4)
    worst_obs = worst_reward = 0.0
    for g in elements:
        env = make(task=task, orientation=g)
        obs_g, rewards_g, flags_g = rollout(env, [sym.act_action(g, a) for a in actions], seed=1)
        expected = sym.act_obs(g, obs_e)
        assert all(env.observation_space.contains(o) for o in obs_g)  # rotated unit vectors stay in bounds
        worst_obs = max(worst_obs, np.abs(obs_g - expected).max() / np.abs(expected).max())
        worst_reward = max(worst_reward, np.abs(rewards_g - rewards_e).max() / max(np.abs(rewards_e).max(), 1e-12))
        assert flags_g == flags_e
    assert worst_obs <= 1e-9
    assert worst_reward <= 1e-9
    # the episode is contact-rich: the block really moved
    assert np.abs(obs_e[-1, 4:6] - obs_e[0, 4:6]).max() > 0.05


def wall_episode():
    """The block is pushed into the right wall for 100 steps (contacts with pusher and wall)."""
    state = [150.0, 330.0, 420.0, 230.0, 0.3]
    return state, np.tile([1.0, -0.05], (100, 1))


def test_physics_mode_drifts_through_wall_contacts_while_frame_mode_stays_exact():
    """The teeth of the exactness test: rotating pymunk's scene itself is not exactly equivariant."""
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
    assert np.abs(frame - expected).max() < 1e-12
    drift_px = np.abs(physics - expected).max() * 256
    assert drift_px > 1e-3  # measured: ~1 px and more; far beyond float rounding


def rollout_from_state(env, state, actions):
    obs, _ = env.reset(seed=0, options={"state": state})
    observations = [obs]
    for a in actions:
        observations.append(env.step(a)[0])
    return np.array(observations), env


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("obs_type", ["state", "state_pixels"])
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
    for seed in range(3):
        ref_obs, _ = ref.reset(seed=seed)
        obs, _ = ours.reset(seed=seed)
        for t in range(300):
            state = ours.unwrapped.get_state()
            state[4] %= 2 * math.pi
            assert np.array_equal(ref_obs, state)  # the physics state, bit for bit
            # ... and the observation, mapped through the documented layout
            parts = ours.unwrapped.obs_layout.split(obs)
            assert np.allclose(parts["pusher_pos"] * 256 + 255.5, ref_obs[:2], rtol=0, atol=1e-9)
            assert np.allclose(parts["block_pos"] * 256 + 255.5, ref_obs[2:4], rtol=0, atol=1e-9)
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


def test_goal_and_task_geometry():
    env = make(task="pusht")
    obs, _ = env.reset(seed=0)
    parts = env.unwrapped.obs_layout.split(obs)
    assert parts["goal_pos"].tolist() == [0.5 / 256, 0.5 / 256]  # gym-pusht's goal (256, 256)
    assert parts["goal_dir"] == pytest.approx([math.cos(math.pi / 4), math.sin(math.pi / 4)], abs=1e-15)
    push = make(task="push", orientation=math.pi / 2)
    obs, _ = push.reset(seed=0)
    parts = push.unwrapped.obs_layout.split(obs)
    # the goal is 60 px along the canonical +x axis from the nominal start, here turned by 90 degrees
    start = push.unwrapped.symmetry.act_state(math.pi / 2, [0, 0, ARENA_CENTRE[0] - 30, ARENA_CENTRE[1] - 45, 0])
    assert np.allclose(parts["goal_pos"] * 256 + ARENA_CENTRE, start[2:4] + np.array([0.0, 60.0]), atol=1e-12)


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
    assert np.std(np.array(starts), axis=0).min() > 0.02  # every coordinate varies


def test_determinism_same_seed_same_bits():
    actions = scripted_actions("pose", seed=3, steps=80)
    for kwargs in ({"task": "pose", "orientation": 1.3}, {"task": "pusht", "orientation_mode": "physics"}):
        a, ra, _ = rollout(make(**kwargs), actions, seed=3)
        b, rb, _ = rollout(make(**kwargs), actions, seed=3)
        assert np.array_equal(a, b) and np.array_equal(ra, rb)
        c, _, _ = rollout(make(**kwargs), actions, seed=4)
        assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_pickled_env_continues_bit_for_bit(mode):
    env = make(task="push", orientation=0.4, orientation_mode=mode)
    policy = ScriptedPusher(env.unwrapped.obs_layout, noise=0.3, seed=0)
    obs, _ = env.reset(seed=0)
    for _ in range(10):  # mid-episode, in contact
        obs, *_ = env.step(policy.act(obs))
    clone = pickle.loads(pickle.dumps(env))
    assert np.array_equal(clone.unwrapped.get_state(), env.unwrapped.get_state())
    for _ in range(40):
        action = policy.act(obs)
        obs, reward, *_ = env.step(action)
        obs_c, reward_c, *_ = clone.step(action)
        assert np.array_equal(obs, obs_c) and reward == reward_c
    assert env.unwrapped.np_random.random() == clone.unwrapped.np_random.random()
    assert np.array_equal(pickle.loads(pickle.dumps(make())).reset(seed=5)[0], make().reset(seed=5)[0])


def test_gym_pusht_itself_does_not_pickle():
    ref = gym.make("gym_pusht/PushT-v0").unwrapped
    ref.reset(seed=0)
    with pytest.raises(TypeError):  # its collision handler holds a cffi callback
        pickle.dumps(ref)


def test_make_vec_sync_and_async_agree():
    actions = np.random.default_rng(0).uniform(-1, 1, (20, 2, 2)).astype(np.float32)
    results = []
    for mode in ("sync", "async"):
        envs = gym.make_vec("EqPushT-v0", num_envs=2, vectorization_mode=mode, task="push", orientation=0.9)
        obs, _ = envs.reset(seed=[0, 1])
        trace = [obs]
        for a in actions:
            trace.append(envs.step(a)[0])
        envs.close()
        results.append(np.array(trace))
    assert results[0].shape == (21, 2, 12)
    assert np.array_equal(results[0], results[1])


def test_observations_do_not_share_memory_with_the_simulation():
    env = make(task="push", obs_type="state_pixels")
    first, _ = env.reset(seed=0)
    state = env.unwrapped.get_state()
    first["state"][:] = 99.0
    first["pixels"][:] = 0
    assert np.array_equal(env.unwrapped.get_state(), state)
    second, *_ = env.step(np.zeros(2))
    third, *_ = env.step(np.zeros(2))
    assert not np.shares_memory(second["state"], third["state"])
    assert not np.shares_memory(second["pixels"], third["pixels"])
    assert second["pixels"].max() > 0


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


def test_quarter_turn_frames_match_rotated_pixels():
    base = make(task="push", render_mode="rgb_array", render_size=128)
    base.reset(seed=0)
    identity_frame = base.render()
    sym = base.unwrapped.symmetry
    for k in (1, 2, 3):
        g = SO2.from_angle(k * math.pi / 2)
        env = make(task="push", render_mode="rgb_array", render_size=128, orientation=g)
        env.reset(seed=0)
        frame = env.render().astype(int)
        expected = sym.act_frame(g, identity_frame).astype(int)
        difference = np.abs(frame - expected).max(axis=2)
        assert difference.mean() < 1.0
        # anti-aliasing is not exactly symmetric: differences sit only on shape edges
        padded = np.pad(expected, ((1, 1), (1, 1), (0, 0)), mode="edge")
        windows = np.stack([padded[i : i + 128, j : j + 128] for i in range(3) for j in range(3)])
        edges = (windows.max(axis=0) - windows.min(axis=0)).max(axis=2) > 0
        assert not np.any((difference > 8) & ~edges)
        assert np.mean(difference > 8) < 0.03


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
    assert np.allclose(rotated.unwrapped.get_state(), env.unwrapped.symmetry.act_state(g, state), atol=1e-9)


def test_success_terminates_with_full_reward():
    env = make(task="pusht")
    env.reset(seed=0, options={"state": [100.0, 100.0, 256.0, 256.0, math.pi / 4]})
    obs, reward, terminated, truncated, info = env.step(np.zeros(2))
    assert info["coverage"] > 0.99 and info["is_success"] and terminated and reward == 1.0
    push = make(task="push")
    obs, _ = push.reset(seed=0)
    policy = ScriptedPusher(push.unwrapped.obs_layout)
    for _ in range(300):
        obs, reward, terminated, truncated, info = push.step(policy.act(obs))
        if terminated or truncated:
            break
    assert terminated and info["is_success"] and info["pos_error_px"] <= 24 and reward >= 0.6


def test_observation_bounds_hold_under_adversarial_actions():
    rng = np.random.default_rng(0)
    configs = (("frame", "delta", 0.7, 0.04), ("physics", "delta", 2.0, 0.04), ("frame", "absolute", 4.0, 0.5))
    for mode, action_type, angle, driven in configs:
        env = make(task="pusht", orientation=angle, orientation_mode=mode, action_type=action_type)
        space = env.observation_space
        peak = 0.0
        for episode in range(3):
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
        ({"orientation": float("nan")}, "orientation: angle is nan"),
        ({"orientation": [[1, 0], [0, -1]]}, "orientation: det = -1"),
        ({"orientation": [[1, 0.2], [0, 1]]}, "orientation: matrix is not orthogonal"),
        ({"orientation": [1, 2, 3]}, "orientation: expected a 2x2 rotation or a 3x3 homogeneous matrix"),
        ({"orientation": "north"}, "orientation: unsupported type str"),
        ({"task": "stack"}, "task: 'stack' is not one of"),
        ({"obs_type": "rgb"}, "obs_type: 'rgb' is not one of"),
        ({"orientation_mode": "world"}, "orientation_mode: 'world' is not one of"),
        ({"action_type": "velocity"}, "action_type: 'velocity' is not one of"),
        ({"obs_size": 100}, "obs_size: must be a positive multiple of 16"),
        ({"render_size": 0}, "render_size: must be a positive multiple of 16"),
    ],
)
def test_bad_constructor_arguments(kwargs, fault):
    with pytest.raises(ValueError) as err:
        make(**kwargs)
    assert fault in str(err.value)


def test_only_rgb_array_rendering():
    with pytest.raises(ValueError, match="render_mode: 'human' is not one of"):
        eqenvs.pusht.EqPushTEnv(render_mode="human")


@pytest.mark.parametrize("mode", ["frame", "physics"])
def test_bad_actions_and_options_leave_the_state_untouched(mode):
    env = make(task="push", orientation=0.5, orientation_mode=mode)
    twin = make(task="push", orientation=0.5, orientation_mode=mode)
    env.reset(seed=0)
    twin.reset(seed=0)
    env.step(np.array([0.5, 0.5]))
    twin.step(np.array([0.5, 0.5]))
    rng_state = env.unwrapped.np_random.bit_generator.state
    bad_actions = [[np.nan, 0.0], [0.0, np.inf], [1.0, 2.0, 3.0], [[1.0, 2.0]], "left", None]
    for action in bad_actions:
        with pytest.raises(ValueError, match="action"):
            env.step(action)
    bad_options = [
        ("options", ["state"]),
        ("unknown key", {"goal": [1, 2]}),
        ("options['state']", {"state": [1, 2, 3]}),
        ("options['state']", {"state": [100, 100, 250, np.nan, 0]}),
        ("outside", {"state": [100, 100, 900, 250, 0]}),
        ("options['orientation']", {"orientation": [[2, 0], [0, 2]]}),
        ("exceeds", {"orientation": [[1, 0, 50], [0, 1, 0], [0, 0, 1]]}),
    ]
    for fault, options in bad_options:
        with pytest.raises(ValueError, match=fault.replace("[", r"\[").replace("]", r"\]")):
            env.reset(seed=1, options=options)
    assert env.unwrapped.np_random.bit_generator.state == rng_state
    assert np.array_equal(env.unwrapped.get_state(), twin.unwrapped.get_state())
    a, *_ = env.step(np.array([-0.3, 0.8]))
    b, *_ = twin.step(np.array([-0.3, 0.8]))
    assert np.array_equal(a, b)


def test_huge_and_tiny_actions_are_projected():
    env = make(task="push")
    twin = make(task="push")
    env.reset(seed=0)
    twin.reset(seed=0)
    a, *_ = env.step(np.array([1e30, -1e30]))
    b, *_ = twin.step(np.array([1.0, -1.0]) / math.sqrt(2))
    assert np.abs(a - b).max() < 1e-6  # projected onto the unit disk
    a, *_ = env.step(np.array([1e-9, 0.0]))
    b, *_ = twin.step(np.zeros(2))
    assert np.abs(a - b).max() < 1e-6


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
    assert physics.unwrapped.scene.wall_clearance() == pytest.approx(frame.unwrapped.scene.wall_clearance(), abs=1e-9)
    frame.reset(seed=0, options={"state": [60.0, 256.0, 440.0, 200.0, 0.0]})  # bar's right end at 500
    assert frame.unwrapped.scene.wall_clearance() == pytest.approx(4.0)
