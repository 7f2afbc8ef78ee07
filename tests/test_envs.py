"""Environment invariants, written once and parametrised over every registered eqenvs id and its observation
types (Gymnasium's tests/envs/test_envs.py style): API checkers, pickling, vector envs, bad inputs, bounds,
determinism, memory, frame-mode equivariance (with a non-equivariant twin), video recording, human rendering."""

from __future__ import annotations

import json
import math
import pickle
import time
import warnings

import gymnasium as gym
import imageio.v3 as iio
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import RecordVideo
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import eqenvs  # noqa: F401  (registers the ids)
from eqenvs import pusht, pusht3d
from eqenvs.experts.scripted import ScriptedPusher
from eqenvs.groups import rotation_2d
from eqenvs.speed3d import scripted_actions as scripted_actions_3d
from eqenvs.splits import group_of
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

# every env of the suite at its latest version: v0 differs only in its default reward (tests/test_tasks.py
# checks that v1 steps exactly as v0 apart from the reward), so the invariants are tested once per env
EQ_IDS = sorted(env_id for env_id, spec in gym.registry.items() if str(spec.entry_point).startswith("eqenvs."))
ENV_IDS = [env_id for env_id in EQ_IDS if gym.registry[env_id].version == 1]
OBS_TYPES = {"EqPushT-v1": pusht.OBS_TYPES, "EqPushT3D-v1": pusht3d.OBS_TYPES}
CASES = [(env_id, obs_type) for env_id in ENV_IDS for obs_type in OBS_TYPES[env_id]]
MODES = ("frame", "physics")
PIXELS = 48  # pixel observation side: SB3's checker wants images of at least 36x36
TRANSLATION = {"EqPushT-v1": 20.0, "EqPushT3D-v1": 0.05}  # px, m
SB3_ABSOLUTE_BOX_HINT = "symmetric and normalized"  # absolute targets are px / m by design (gym-pusht's semantics)


def make(env_id: str, obs_type: str = "state", **kwargs) -> gym.Env:
    return gym.make(env_id, obs_type=obs_type, obs_size=PIXELS, **kwargs)


def orientation(env_id: str, seed: int = 0):
    """A generic element: a Haar-random rotation (no quarter turn) and a translation."""
    return group_of(env_id).sample(np.random.default_rng(seed), translation_scale=TRANSLATION[env_id])


@pytest.fixture(scope="module")
def canonical_actions():
    """Contact-rich float32 actions of the push task at the identity from reset(seed=0), per env id."""
    env = gym.make("EqPushT-v1", task="push")
    policy = ScriptedPusher(env.unwrapped.obs_layout, noise=0.3, seed=0)
    obs, _ = env.reset(seed=0)
    actions = []
    for _ in range(60):
        actions.append(policy.act(obs).astype(np.float32))
        obs, *_ = env.step(actions[-1])
    return {"EqPushT-v1": np.array(actions), "EqPushT3D-v1": scripted_actions_3d(60, 0)[0]}


MID_PUSH = {"EqPushT-v1": (20, slice(2, 4), 5.0), "EqPushT3D-v1": (30, slice(3, 6), 0.005)}
"""When the canonical push is under way, where get_state() holds the block, and how far it then travels in 15 steps
at least (5 px, 5 mm)."""


def same(a, b) -> bool:
    """Bit-identical observations (arrays or dicts of arrays)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)


def arrays(obs) -> list[np.ndarray]:
    return list(obs.values()) if isinstance(obs, dict) else [obs]


def test_every_registered_eqenvs_id_is_covered():
    assert ENV_IDS == ["EqPushT-v1", "EqPushT3D-v1"]
    assert EQ_IDS == ["EqPushT-v0", "EqPushT-v1", "EqPushT3D-v0", "EqPushT3D-v1"]
    for env_id in ENV_IDS:
        env = gym.make(env_id)
        assert env.metadata["render_fps"] == 10 == round(1 / 0.1)  # the control period: 0.1 s per step
        assert env.metadata["render_modes"] == ["rgb_array", "human"]
        assert set(OBS_TYPES[env_id]) >= {"state", "pixels", "state_pixels"}


# --------------------------------------------------------------------------- API checkers
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("env_id", "obs_type"), CASES)
def test_gymnasium_and_sb3_checkers_pass(env_id, obs_type, mode, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # Gymnasium's checker opens every render mode, "human" too
    tasks = ("pose", "push") if env_id == "EqPushT3D-v1" else ("pusht", "pose")
    for action_type, task in zip(("delta", "absolute"), tasks, strict=True):
        kwargs = dict(orientation=orientation(env_id), orientation_mode=mode, action_type=action_type, task=task,
                      render_mode="rgb_array", render_size=64)  # fmt: skip
        # frames depend on neither the observation nor the action type: check every render mode once per env (its
        # "human" check waits a frame at 10 fps); test_human_render_mode... and the env tests cover both modes
        skip_render_check = not (obs_type == "state" and action_type == "delta" and mode == "frame")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(make(env_id, obs_type, **kwargs).unwrapped, skip_render_check=skip_render_check)
            sb3_check_env(make(env_id, obs_type, **kwargs))
        messages = [str(w.message) for w in caught]
        assert [m for m in messages if not (action_type == "absolute" and SB3_ABSOLUTE_BOX_HINT in m)] == []


# --------------------------------------------------------------------------- pickling, vector envs, determinism
OBS_KINDS = [  # every kind of observation: a flat vector, pixels and points in a dict, pixels rendered by MuJoCo
    ("EqPushT-v1", "state"), ("EqPushT-v1", "pixels_agent_pos"), ("EqPushT-v1", "environment_state_agent_pos"),
    ("EqPushT3D-v1", "state"), ("EqPushT3D-v1", "state_pixels"),
]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("env_id", "obs_type"), OBS_KINDS)
def test_pickled_env_continues_bit_for_bit_mid_episode(env_id, obs_type, mode, canonical_actions):
    g = orientation(env_id, 1)
    env = make(env_id, obs_type, task="push", orientation=g, orientation_mode=mode)
    actions = env.unwrapped.symmetry.act_action(g, canonical_actions[env_id])
    start, block, travel = MID_PUSH[env_id]
    env.reset(seed=0)
    for a in actions[:start]:
        env.step(a)
    clone = pickle.loads(pickle.dumps(env))
    before = env.unwrapped.get_state()
    assert np.array_equal(clone.unwrapped.get_state(), before)
    for a in actions[start : start + 15]:
        out, out_clone = env.step(a), clone.step(a)
        assert same(out[0], out_clone[0]) and out[1:] == out_clone[1:]
    assert np.linalg.norm(env.unwrapped.get_state()[block] - before[block]) > travel  # pickled mid-push
    assert same(env.reset()[0], clone.reset()[0])  # the random generator travelled too


@pytest.mark.parametrize(("env_id", "obs_type"), OBS_KINDS)
def test_make_vec_sync_and_async_agree(env_id, obs_type, canonical_actions):
    actions = canonical_actions[env_id][:8]
    traces = []
    # a process that has rendered with EGL (the sync run's MuJoCo pixels) cannot be forked: fresh workers
    vector_kwargs = {"context": "forkserver"} if env_id == "EqPushT3D-v1" and obs_type != "state" else {}
    for mode in ("sync", "async"):
        envs = gym.make_vec(env_id, num_envs=2, vectorization_mode=mode, obs_type=obs_type, obs_size=PIXELS,
                            task="push", orientation=orientation(env_id), orientation_mode="physics",
                            vector_kwargs=vector_kwargs if mode == "async" else {})  # fmt: skip
        obs, _ = envs.reset(seed=[0, 1])
        trace = [obs]
        for a in actions:
            trace.append(envs.step(np.stack([a, -a]))[0])
        envs.close()
        traces.append(trace)
    assert all(same(a, b) for a, b in zip(*traces, strict=True))
    first = arrays(traces[0][-1])[0]
    assert first.shape[0] == 2 and not np.array_equal(first[0], first[1])  # two different episodes


FORK_AFTER_EGL = """
import gymnasium as gym, numpy as np, eqenvs
env = gym.make("EqPushT3D-v1", obs_type="pixels", obs_size=32)
first, _ = env.reset(seed=0)  # this process has rendered with EGL now
kwargs = dict(num_envs=2, vectorization_mode="async", obs_type="pixels", obs_size=32)
forked = gym.make_vec("EqPushT3D-v1", **kwargs)  # fork: the workers must not render
try:
    forked.reset(seed=0)
    print("fork: reset")
except ValueError as err:
    print("fork:", str(err).split(";")[0])
forked.close()
fresh = gym.make_vec("EqPushT3D-v1", vector_kwargs={"context": "forkserver"}, **kwargs)
obs, _ = fresh.reset(seed=0)
print("forkserver:", obs.shape, np.array_equal(obs[0], first))
fresh.close()
"""


def test_async_vector_env_after_egl_rendering_refuses_to_fork_instead_of_hanging():
    """A process that has rendered EqPushT3D with EGL and then forks async workers: they raise one clear error
    (before, they hung on their first frame); forkserver workers render the parent's frame. In a subprocess
    with a timeout, so a hang fails the test."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FORK_AFTER_EGL], capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stdout.splitlines() if line.startswith(("fork", "forkserver"))]
    assert lines == ["fork: vector_kwargs: this process was forked from one that had rendered with MuJoCo's EGL, "
                     "which does not survive fork (rendering here would hang)",
                     "forkserver: (2, 32, 32, 3) True"], result.stdout + result.stderr[-2000:]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("env_id", "obs_type"), OBS_KINDS)
def test_same_seed_same_bits(env_id, obs_type, mode, canonical_actions):
    g = orientation(env_id, 2)

    def run(seed, steps=10):
        env = make(env_id, obs_type, task="pose", orientation=g, orientation_mode=mode)
        obs, info = env.reset(seed=seed)
        out = [(obs, info["orientation"])]
        for a in env.unwrapped.symmetry.act_action(g, canonical_actions[env_id][:steps]):
            obs, *rest = env.step(a)
            out.append((obs, *rest))
        return out

    a, b = run(3), run(3)
    assert all(same(x[0], y[0]) and x[1:] == y[1:] for x, y in zip(a, b, strict=True))
    assert not any(np.array_equal(x, y) for x, y in zip(arrays(a[0][0]), arrays(run(4, 0)[0][0]), strict=True))


@pytest.mark.parametrize(("env_id", "obs_type"), CASES)
def test_observations_do_not_share_memory_with_the_simulation(env_id, obs_type):
    env, twin = (make(env_id, obs_type, task="push", orientation=orientation(env_id)) for _ in range(2))
    zero = np.zeros(env.action_space.shape, np.float32)
    first, _ = env.reset(seed=0)
    twin.reset(seed=0)
    for x in arrays(first):
        x[...] = 7  # scribbling on what the env returned changes nothing inside it
    second, third = env.step(zero)[0], env.step(zero)[0]
    twin.step(zero)
    assert same(third, twin.step(zero)[0])
    assert not any(np.shares_memory(x, y) for x, y in zip(arrays(second), arrays(third), strict=True))


# --------------------------------------------------------------------------- bad inputs
def bad_orientations(env_id):
    """(form, fault) pairs every env rejects with a ValueError naming `orientation`."""
    d = group_of(env_id).dim
    return [
        (float("nan"), "angle is nan"),
        (math.inf, "angle is inf"),
        ("north", "cannot read 'north' as an angle"),
        ("90", "cannot read '90' as an angle"),  # a string needs its unit
        ("90 degrees", "cannot read '90 degrees' as an angle"),
        (True, "got a bool"),
        (None, "unsupported type NoneType"),
        (object(), "unsupported type object"),
        ([1.0, 2.0, 3.0], "expected a"),
        (np.full((d, d), np.nan), "NaN or inf"),
        (2 * np.eye(d), "not orthogonal"),
        (np.diag([1.0] * (d - 1) + [-1.0]), "det = -1"),
        ({"group": "SE2"}, "keys 'group' and 'matrix'"),
    ]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_bad_orientation_forms_raise_a_value_error_naming_the_argument(env_id):
    for form, fault in bad_orientations(env_id):
        with pytest.raises(ValueError, match=r"^orientation: ") as err:
            gym.make(env_id, orientation=form)
        assert fault in str(err.value), (form, str(err.value))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_bad_actions_and_options_raise_and_leave_the_state_untouched(env_id, mode, canonical_actions):
    g = orientation(env_id, 3)
    env, twin = (make(env_id, task="push", orientation=g, orientation_mode=mode) for _ in range(2))
    actions = env.unwrapped.symmetry.act_action(g, canonical_actions[env_id])
    for e in (env, twin):
        e.reset(seed=0)
        for a in actions[:15]:
            e.step(a)
    state, rng = env.unwrapped.get_state(), env.unwrapped.np_random.bit_generator.state
    d = env.action_space.shape[0]
    bad_actions = [[np.nan] * d, [0.0] * (d - 1) + [np.inf], np.zeros(d + 1), np.zeros((1, d)), "left", None]
    for action in bad_actions:
        with pytest.raises(ValueError, match=r"^action: "):
            env.step(action)
    group = group_of(env_id)
    shift = np.linalg.norm(g.translation) + 1.0  # more than the bounds were built for
    far = group(np.eye(group.dim), [shift] + [0.0] * (group.dim - 1))
    bad_options = [(["state"], "^options: expected a dict"), ({"goal": 1}, r"^options: unknown key\(s\) \['goal'\]"),
                   ({"orientation": far}, r"^options\['orientation'\]: translation .* exceeds")]  # fmt: skip
    forms = [form for form, _ in bad_orientations(env_id) if form is not None]  # None: the env's own orientation
    bad_options += [({"orientation": form}, r"^options\['orientation'\]: ") for form in forms]
    for options, fault in bad_options:
        with pytest.raises(ValueError, match=fault):
            env.reset(seed=1, options=options)
    assert np.array_equal(env.unwrapped.get_state(), state) and env.unwrapped.orientation == g
    assert env.unwrapped.np_random.bit_generator.state == rng
    for a in actions[15:30]:  # the episode goes on exactly as if nothing had happened
        assert same(env.step(a)[0], twin.step(a)[0])


# --------------------------------------------------------------------------- observation bounds
@pytest.mark.parametrize(("env_id", "obs_type"), CASES)
def test_observation_bounds_hold_under_bang_bang_actions(env_id, obs_type):
    """Random full-scale actions far outside the Box, at a translated generic orientation, in both modes."""
    rng = np.random.default_rng(0)
    for mode, action_type in (("frame", "delta"), ("physics", "absolute")):
        task = "pusht" if env_id == "EqPushT-v1" else "push"
        env = make(env_id, obs_type, task=task, orientation=orientation(env_id), orientation_mode=mode,
                   action_type=action_type)  # fmt: skip
        far = 5e3 if env_id == "EqPushT-v1" else 1.0  # absolute targets: px / m, well outside the arena
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        for t in range(40):
            if t % 5 == 0:
                shape = env.action_space.shape
                action = (
                    1e3 * np.sign(rng.normal(size=shape)) if action_type == "delta" else rng.uniform(-far, far, shape)
                )
            obs, *_ = env.step(action)
            assert env.observation_space.contains(obs), (mode, t)


# --------------------------------------------------------------------------- frame-mode equivariance
def _wall_push(task: str, steps: int = 100) -> np.ndarray:
    """2D: the scripted pusher drives the block (reset seed 0) into the right wall and grinds it there (from step
    54 on; pusht: 70): pusher-block and block-wall contacts."""
    env = gym.make("EqPushT-v1", task=task)
    layout = env.unwrapped.obs_layout
    policy = ScriptedPusher(layout)
    obs, _ = env.reset(seed=0)
    actions = []
    for _ in range(steps):
        obs[layout["goal_pos"].slice] = [2.0, 0.3]  # a goal beyond the wall
        actions.append(policy.act(obs).astype(np.float32))
        obs, *_ = env.step(actions[-1])
    return np.array(actions)


def _trajectory(make_env, h, actions) -> np.ndarray:
    """Observations, rewards and terminations of one episode from reset(seed=0), as rows [obs, reward, terminated]."""
    env = make_env(h)
    obs, _ = env.reset(seed=0)
    rows = [np.r_[obs, 0.0, 0.0]]
    for a in actions:
        obs, reward, terminated, *_ = env.step(a)
        rows.append(np.r_[obs, reward, float(terminated)])
    return np.array(rows)


@pytest.mark.parametrize(("env_id", "task"), [("EqPushT-v1", "pose"), ("EqPushT3D-v1", "pose")])
def test_frame_mode_is_equivariant_and_physics_mode_twin_is_not(env_id, task):
    """Frame mode at g is act_obs(g, identity) for act_action-mapped actions (rewards and terminations equal), to
    float64 rounding, over Haar-random elements with translations and a finite subgroup. The twin, the scene
    moved inside the simulator, fails the same check: pymunk through wall contacts; MuJoCo with pyramidal cones."""
    group = group_of(env_id)
    actions = _wall_push(task) if env_id == "EqPushT-v1" else scripted_actions_3d(100, 0)[0]  # 3D: herded on the table
    sym = gym.make(env_id).unwrapped.symmetry
    act_in = [lambda g, h: g @ h, sym.act_action]

    def act_out(g, rows):
        return np.column_stack([sym.act_obs(g, rows[:, :-2]), rows[:, -2:]])

    def frame(h, a):
        return _trajectory(lambda h: gym.make(env_id, task=task, orientation=h), h, a)

    if env_id == "EqPushT-v1":
        twin_env = lambda h: gym.make(env_id, task=task, orientation=h, orientation_mode="physics")  # noqa: E731
    else:
        twin_env = lambda h: pusht3d.PushT3DScene(task=task, placement=h, cone="pyramidal")  # noqa: E731

    def twin(h, a):
        return _trajectory(twin_env, h, a)

    scale = TRANSLATION[env_id]
    identity = group.identity()
    elements = sample_elements(group, 12, 7, translation_scale=scale)
    assert_equivariant(frame, [identity, actions], act_in, act_out, elements, np.float64, "env")
    at_least = 5e-3 if env_id == "EqPushT-v1" else 0.1  # measured: 0.05 (through the wall), 1.2 (0.24 m)
    assert_not_equivariant(twin, [identity, actions], act_in, act_out, sample_elements(group, 3, 8, scale)[:3],
                           np.float64, "env", at_least)  # fmt: skip


# --------------------------------------------------------------------------- videos, human rendering, angles
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_record_video_writes_every_frame_at_the_control_rate(env_id, tmp_path):
    size, steps = 100, 6  # a side that is not a multiple of 16
    env = gym.make(env_id, render_mode="rgb_array", render_size=size, orientation="30deg")
    recorder = RecordVideo(env, str(tmp_path / "videos"), episode_trigger=lambda episode: episode == 0,
                           disable_logger=True)  # fmt: skip
    recorder.reset(seed=0)
    first = env.render()
    for _ in range(steps):
        recorder.step(np.full(env.action_space.shape, 0.5, np.float32))
    recorder.close()
    (path,) = (tmp_path / "videos").glob("*.mp4")
    video = iio.imread(path)
    assert video.shape == (steps + 1, size, size, 3)  # the reset frame and one per step
    assert iio.immeta(path)["fps"] == 10.0
    assert np.abs(video[0].astype(int) - first).mean() < 4  # the scene, up to H.264 compression


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_human_render_mode_shows_every_frame_in_a_window(env_id, monkeypatch):
    import pygame

    for name in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY"):  # a headless machine
        monkeypatch.delenv(name, raising=False)
    g = orientation(env_id, 4)
    twin = gym.make(env_id, render_mode="rgb_array", render_size=64, orientation=g)
    twin.reset(seed=0)
    twin.render()  # MuJoCo's EGL context exists before the window opens
    env = gym.make(env_id, render_mode="human", render_size=64, orientation=g)
    action = env.unwrapped.symmetry.act_action(g, np.r_[1.0, np.zeros(env.action_space.shape[0] - 1)])
    started = time.perf_counter()
    with pytest.warns(UserWarning, match="no display .* SDL's dummy video driver"):
        env.reset(seed=0)
    assert pygame.display.get_driver() == "dummy"  # not "offscreen", whose EGL teardown would break MuJoCo
    for _ in range(2):
        env.step(action)
        twin.step(action)
    elapsed = time.perf_counter() - started
    shown = pygame.surfarray.array3d(pygame.display.get_surface()).swapaxes(0, 1)
    assert np.array_equal(shown, twin.render())  # the frame of the latest step, as drawn at g
    assert env.render() is None  # Gymnasium's convention for "human"
    assert elapsed >= 2 / env.metadata["render_fps"] - 0.02  # three frames at 10 fps: two waits of 0.1 s
    env.close()
    assert pygame.display.get_surface() is None
    twin.step(action)
    assert twin.render().std() > 10  # the renderer made before the window still draws the scene


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_orientation_accepts_angles_with_units_and_warns_about_degrees_typed_as_radians(env_id):
    group = group_of(env_id)
    env = gym.make(env_id, orientation="90deg")
    assert env.unwrapped.orientation == group.parse(math.pi / 2)  # an exact quarter turn
    assert np.all(np.isin(env.unwrapped.orientation.rotation, [-1.0, 0.0, 1.0]))
    assert json.loads(json.dumps(env.spec.kwargs))["orientation"] == "90deg"
    _, info = env.reset(seed=0, options={"orientation": "-30 deg"})
    assert info["orientation"].isclose(group.parse(math.radians(330)), 1e-15)
    assert gym.make(env_id, orientation="0.25rad").unwrapped.orientation == group.parse(0.25)
    with pytest.warns(UserWarning, match="orientation: 90 rad is more than a full turn.*'90deg'") as caught:
        env = gym.make(env_id, orientation=90)
    assert caught[0].filename == __file__  # the warning points at the user's call, not into eqenvs or gymnasium
    assert np.array_equal(env.unwrapped.orientation.rotation[:2, :2], rotation_2d(90.0))  # still accepted, as radians
