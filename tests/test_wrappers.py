"""eqenvs.wrappers: Orient is the frame-mode group action; SampleOrientation draws from a split each reset."""

from __future__ import annotations

import json
import math

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401
from eqenvs.groups import SE2
from eqenvs.pusht import PushTScene
from eqenvs.splits import get_split
from eqenvs.symmetry import PIXELS
from eqenvs.wrappers import Orient, SampleOrientation


def run(env, actions, seed=0, options=None):
    obs, _ = env.reset(seed=seed, options=options)
    out = [obs]
    for a in actions:
        out.append(env.step(a)[0])
    return np.array(out)


ACTIONS = np.random.default_rng(0).uniform(-1, 1, (40, 2))


def test_orient_on_the_canonical_scene_is_frame_mode():
    g = SE2.parse([[math.cos(0.8), -math.sin(0.8), 12.0], [math.sin(0.8), math.cos(0.8), -7.0], [0, 0, 1]])
    wrapped = Orient(PushTScene(task="push"), orientation=g)
    registered = gym.make("EqPushT-v1", task="push", orientation=g)
    assert np.array_equal(run(wrapped, ACTIONS), run(registered, ACTIONS))
    assert wrapped.observation_space == registered.observation_space


@pytest.mark.parametrize("obs_type", ["pixels_agent_pos", "environment_state_agent_pos", "state_pixels"])
def test_orient_is_frame_mode_for_every_observation_type(obs_type):
    g = SE2.parse([[math.cos(2.3), -math.sin(2.3), -9.0], [math.sin(2.3), math.cos(2.3), 15.0], [0, 0, 1]])
    wrapped = Orient(PushTScene(task="push", obs_type=obs_type, obs_size=32), orientation=g)
    registered = gym.make("EqPushT-v1", task="push", obs_type=obs_type, obs_size=32, orientation=g)
    assert wrapped.observation_space == registered.observation_space
    a, _ = wrapped.reset(seed=2)
    b, _ = registered.reset(seed=2)
    for action in ACTIONS[:15]:
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        a, b = wrapped.step(action)[0], registered.step(action)[0]
    # point entries widen with the translation; pixels keep their box
    for key, part in wrapped.symmetry.observation.items():
        if part == PIXELS:
            assert wrapped.observation_space[key] == PushTScene(obs_type=obs_type, obs_size=32).observation_space[key]
        else:
            assert (
                wrapped.observation_space[key].high.max()
                > PushTScene(obs_type=obs_type).observation_space[key].high.max()
            )


def test_orient_turns_the_pixels_of_an_env_that_cannot_draw_views():
    class PixelsOnly(gym.Wrapper):
        """Hides render_view: Orient can then only turn the images, by exact quarter turns."""

        def __getattr__(self, name):
            if name == "render_view":
                raise AttributeError(name)
            return getattr(self.env, name)

        def get_wrapper_attr(self, name):
            if name == "render_view":
                raise AttributeError(name)
            return self.env.get_wrapper_attr(name)

    scene = PushTScene(task="push", obs_type="pixels_agent_pos", obs_size=32)
    quarter = Orient(PixelsOnly(scene), orientation="90deg")
    obs, _ = quarter.reset(seed=0)
    canonical, _ = PushTScene(task="push", obs_type="pixels_agent_pos", obs_size=32).reset(seed=0)
    assert np.array_equal(obs["pixels"], np.rot90(canonical["pixels"], k=-1))
    assert np.array_equal(obs["agent_pos"], quarter.symmetry.act_obs("90deg", canonical)["agent_pos"])
    with pytest.raises(ValueError, match="only exact quarter turns"):
        Orient(PixelsOnly(PushTScene(obs_type="pixels")), orientation=0.3)


def test_orient_composes():
    g, h = SE2.from_angle(0.5), SE2.from_angle(-1.7)
    twice = Orient(Orient(gym.make("EqPushT-v1", task="pose"), orientation=h), orientation=g)
    once = gym.make("EqPushT-v1", task="pose", orientation=g @ h)
    assert np.abs(run(twice, ACTIONS) - run(once, ACTIONS)).max() < 1e-14  # measured 1.1e-16
    twice.unwrapped.render_mode = "rgb_array"
    assert np.abs(twice.render_view(size=64).astype(int) - once.unwrapped.render_view(size=64)).max() <= 2


def test_orient_records_json_able_constructor_arguments():
    env = Orient(gym.make("EqPushT-v1"), orientation=0.25)
    recorded = json.loads(json.dumps(env._saved_kwargs))
    assert SE2.parse(recorded["orientation"]).angle == pytest.approx(0.25, abs=1e-15)
    assert SampleOrientation(gym.make("EqPushT-v1"), split="heldout", seed=3)._saved_kwargs == {
        "split": "heldout", "seed": 3}  # fmt: skip


def test_orient_state_round_trip_in_its_own_frame():
    env = Orient(gym.make("EqPushT-v1", task="push"), orientation=2.1)
    env.reset(seed=4)
    for a in ACTIONS[:10]:
        obs, *_ = env.step(a)
    state = env.get_state()
    twin = Orient(gym.make("EqPushT-v1", task="push"), orientation=2.1)
    obs_twin, _ = twin.reset(seed=9, options={"state": state})
    assert np.abs(twin.get_state() - state).max() < 1e-11  # px; measured 7.1e-14
    assert np.abs(obs_twin[:10] - obs[:10]).max() < 1e-14  # same scene (measured 3.0e-16); velocity restarts at 0


def test_orient_needs_a_symmetry():
    with pytest.raises(ValueError, match="env: Orient needs an env exposing `symmetry`"):
        Orient(gym.make("CartPole-v1"), orientation=0.3)


def test_sample_orientation_draws_from_the_split_every_reset():
    env = SampleOrientation(gym.make("EqPushT-v1", task="push"), split="slice", seed=0)
    split = get_split("EqPushT-v1", "slice")
    drawn = []
    for episode in range(30):
        _, info = env.reset(seed=episode if episode == 0 else None)
        g = env.unwrapped.symmetry.element(info["orientation"])
        assert split.contains(g)
        assert env.unwrapped.orientation == g
        drawn.append(g.angle)
    assert len(set(drawn)) == 30 and max(drawn) - min(drawn) > math.radians(60)
    # same seeds, same orientations
    again = SampleOrientation(gym.make("EqPushT-v1", task="push"), split="slice", seed=0)
    assert [again.reset(seed=0 if i == 0 else None)[1]["orientation"].angle for i in range(30)] == drawn
    held = SampleOrientation(gym.make("EqPushT-v1"), split="heldout", seed=1)
    assert all(get_split("SE2", "heldout").contains(held.reset()[1]["orientation"]) for _ in range(20))
    # an explicit orientation wins
    assert env.reset(options={"orientation": 3.0})[1]["orientation"].angle == pytest.approx(3.0, abs=1e-15)


def test_sample_orientation_physics_mode_moves_the_scene():
    env = SampleOrientation(gym.make("EqPushT-v1", orientation_mode="physics"), split="heldout", seed=2)
    _, info = env.reset(seed=0)
    assert get_split("SE2", "heldout").contains(info["orientation"])
    assert env.unwrapped.scene.placement == info["orientation"]


def test_stable_baselines3_ppo_runs_on_the_slice_with_a_fresh_orientation_per_episode():
    """What the wrapper promises SB3 (that PPO *learns* the task is measured by `python -m agents sb3`, not here):
    every episode at a new slice orientation, and PPO's updates happen on them."""
    import torch
    from stable_baselines3 import PPO

    class Record(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            self.orientations = []

        def reset(self, **kwargs):
            obs, info = self.env.reset(**kwargs)
            self.orientations.append(info["orientation"])
            return obs, info

    env = Record(SampleOrientation(gym.make("EqPushT-v1", task="push", max_episode_steps=25), split="slice", seed=0))
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=128)
    assert model.num_timesteps == 128
    changed = [not torch.equal(a, b) for a, b in zip(before, model.policy.parameters(), strict=True)]
    assert sum(changed) >= len(changed) // 2  # two gradient updates moved the policy and value networks
    split = get_split("EqPushT-v1", "slice")
    assert len(env.orientations) >= 128 // 25
    assert all(split.contains(g) for g in env.orientations)
    assert len({g.angle for g in env.orientations}) == len(env.orientations)
