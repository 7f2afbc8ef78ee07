"""Canonicalisation (agents.canonical): any model or agent run in each observation's own frame is exactly
equivariant; the same model or agent without the frame is not (the twin must fail the same check)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.canonical import CanonicalAgent, frame_conditioning, observation_frames
from agents.planning import MPCPlanner, PlannerConfig, default_cost
from agents.specs import make_agent
from agents.world_models import build_model
from eqenvs.groups import SE2, SE3
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

SMALL = {"samples": 48, "horizon": 5, "iterations": 2, "equivariant": False}


def observations(env_id: str, n: int = 4) -> np.ndarray:
    env = gym.make(env_id, task="push")
    obs = [env.reset(seed=s)[0] for s in range(n)]
    for _ in range(5):  # away from the start: the block moved and turned
        obs.append(env.step(env.action_space.sample())[0])
    return np.stack(obs)


@pytest.mark.parametrize(("env_id", "group"), [("EqPushT-v1", SE2), ("EqPushT3D-v1", SE3)])
def test_the_canonical_mlp_is_exactly_equivariant_and_the_plain_mlp_is_not(env_id, group):
    symmetry = gym.make(env_id).unwrapped.symmetry
    obs = torch.tensor(observations(env_id))
    action = torch.tensor(np.random.default_rng(0).uniform(-1, 1, (len(obs), symmetry.action_layout.size)))
    elements = sample_elements(group, n=8, translation_scale=0.2)
    act = [symmetry.obs_layout.act, symmetry.action_layout.act]
    for canonical in (True, False):
        torch.manual_seed(0)
        model = build_model("mlp_explicit", symmetry, hidden=32, canonical=canonical).double().eval()
        assert model.equivariant is canonical and (model.hyper.get("canonical", False) is canonical)
        with torch.no_grad():
            if canonical:  # measured: 2.2e-16 (2D) / 4.4e-16 (3D)
                assert_equivariant(model, (obs, action), act, symmetry.obs_layout.act, elements, torch.float64, "model")
            else:
                assert_not_equivariant(model, (obs, action), act, symmetry.obs_layout.act, elements, torch.float64,
                                       "model", at_least=1e-3)  # fmt: skip


def test_the_canonical_agent_makes_a_plain_planner_exact_and_the_plain_planner_alone_is_not():
    env = gym.make("EqPushT-v1", task="push")
    symmetry = env.unwrapped.symmetry
    torch.manual_seed(0)
    model = build_model("mlp_explicit", symmetry, hidden=32).double().eval()  # a plain model, plain planner
    obs = observations("EqPushT-v1", 3)
    elements = sample_elements(SE2, n=6, translation_scale=0.2)

    def plan_with(agent):
        def f(o: np.ndarray) -> np.ndarray:
            agent.reset(5)
            return np.asarray(agent.act_batch(o))

        return f

    plain = MPCPlanner(model, default_cost(symmetry, "push"), PlannerConfig(**SMALL))
    canonical = CanonicalAgent(_Batched(plain), symmetry)
    act_obs = lambda g, o: symmetry.act_obs(g, o)  # noqa: E731
    act_action = lambda g, a: symmetry.act_action(g, a)  # noqa: E731
    assert_equivariant(plan_with(canonical), (obs,), [act_obs], act_action, elements, np.float64, "planner")
    assert_not_equivariant(plan_with(_Batched(plain)), (obs,), [act_obs], act_action, elements, np.float64, "planner",
                           at_least=1e-2)  # fmt: skip


class _Batched:
    def __init__(self, planner: MPCPlanner):
        self.planner = planner

    def reset(self, seed: int | None = None) -> None:
        self.planner.reset(seed)

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return self.planner.plan(obs)


def test_the_canonical_spec_option_wraps_any_planner_and_is_checked():
    env = gym.make("EqPushT-v1", task="push")
    agent = make_agent("planner:mlp_explicit-push2d,equivariant=false,canonical=true,samples=8,horizon=2,"
                       "iterations=1", env)  # fmt: skip
    assert isinstance(agent, CanonicalAgent) and hasattr(agent, "act_batch")
    obs, _ = env.reset(seed=0)
    agent.reset(0)
    assert agent.act(obs).shape == (2,)
    with pytest.raises(ValueError, match="agent: canonical: expected true or false"):
        make_agent("planner:mlp_explicit-push2d,canonical=maybe", env)
    with pytest.raises(ValueError, match="heading_weight"):
        make_agent("planner:mlp_explicit-push2d,heading_weight=-1", env)


def test_frames_are_equivariant_and_well_defined_on_every_state():
    env = gym.make("EqPushT-v1", task="push")
    symmetry = env.unwrapped.symmetry
    obs = observations("EqPushT-v1")
    c, s = np.cos(1.1), np.sin(1.1)
    g = SE2(np.array([[c, -s], [s, c]]), np.array([12.0, -5.0]))
    for f, fg in zip(observation_frames(symmetry, obs), observation_frames(symmetry, symmetry.act_obs(g, obs)),
                     strict=True):  # fmt: skip
        assert np.allclose((g @ f).matrix, fg.matrix, atol=1e-12)
    assert abs(frame_conditioning(obs, symmetry.obs_layout)["min_norm"] - 1.0) < 1e-12
    turns = frame_conditioning(obs[4:-1], symmetry.obs_layout, obs[5:])["max_turn_rad"]  # consecutive steps
    assert 0 <= turns < 0.5  # continuous along a trajectory: it turns with the block, never jumps
    flipped = obs[5:].copy()
    flipped[:, symmetry.obs_layout["block_dir"].slice] *= -1  # a frame that jumped by pi would show
    assert frame_conditioning(obs[4:-1], symmetry.obs_layout, flipped)["max_turn_rad"] > 3.0
    obs3 = observations("EqPushT3D-v1")
    measured = frame_conditioning(obs3, gym.make("EqPushT3D-v1").unwrapped.symmetry.obs_layout)
    assert measured["min_sine"] > 0.99  # the block's two axes stay orthogonal: the 3D frame is defined too
