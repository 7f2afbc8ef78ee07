"""The MPC planner: equivariant without being told g (float64 and float32), the plain variant is not; MPPI and CEM.
Checked with the shared ``assert_equivariant`` and its per-dtype tolerance table."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.planning import MPCPlanner, PlannerConfig, default_cost, observation_frame
from agents.world_models import build_model
from eqenvs.groups import SE2, SE3
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

SMALL = {"samples": 64, "horizon": 6, "iterations": 3}


def planner(env_id: str, kind: str, dtype, **config):
    symmetry = gym.make(env_id).unwrapped.symmetry
    torch.manual_seed(0)
    model = build_model(kind, symmetry).to(dtype).eval()
    return MPCPlanner(model, default_cost(symmetry, "push"), PlannerConfig(**{**SMALL, **config})), symmetry


def observations(env_id: str, n: int = 3) -> np.ndarray:
    env = gym.make(env_id, task="push")
    return np.stack([env.reset(seed=s)[0] for s in range(n)])


def seeded(plan: MPCPlanner, seed: int = 5):
    """The plan as a function of the observation: the same seed, so the same local noise (never told g)."""

    def f(obs: np.ndarray) -> np.ndarray:
        plan.reset(seed)
        return plan.plan(obs)

    return f


def elements(group):
    """6 Haar-random elements and the quarter turns (in 3D about the table normal, where the planner's plane lies)."""
    return sample_elements(group, 6, seed=1, translation_scale=0.2, finite="C4")


@pytest.mark.parametrize(("env_id", "group"), [("EqPushT-v1", SE2), ("EqPushT3D-v1", SE3)])
@pytest.mark.parametrize("method", ["mppi", "cem"])
def test_the_equivariant_planner_is_equivariant_and_the_plain_one_is_not(env_id, group, method):
    obs = observations(env_id)
    plan64, symmetry = planner(env_id, "vn_explicit", torch.float64, method=method)
    plan32, _ = planner(env_id, "vn_explicit", torch.float32, method=method)
    plain, _ = planner(env_id, "vn_explicit", torch.float64, method=method, equivariant=False)
    act_in, act_out = [symmetry.act_obs], symmetry.act_action
    assert_equivariant(seeded(plan64), [obs], act_in, act_out, elements(group), torch.float64, "planner")
    if method == "mppi":  # CEM's top-k can flip on a float32 rounding difference
        assert_equivariant(seeded(plan32), [obs], act_in, act_out, elements(group), torch.float32, "planner")
    # the twin: per-axis noise and box clipping, in the world frame; measured 0.47-0.68
    assert_not_equivariant(seeded(plain), [obs], act_in, act_out, elements(group)[:4], torch.float64, "planner", 0.3)


def test_latent_models_plan_through_their_readout():
    plan, symmetry = planner("EqPushT-v1", "vn_latent", torch.float64)
    obs = observations("EqPushT-v1", 2)
    assert_equivariant(seeded(plan), [obs], [symmetry.act_obs], symmetry.act_action, elements(SE2), torch.float64,
                       "planner")  # fmt: skip


def test_plans_are_admissible_seeded_and_warm_started():
    plan, _ = planner("EqPushT-v1", "vn_explicit", torch.float64)
    obs = observations("EqPushT-v1", 2)
    plan.reset(3)
    first = plan.plan(obs)
    assert first.shape == (2, 2) and (np.linalg.norm(first, axis=1) <= 1 + 1e-12).all()
    second = plan.plan(obs)  # warm-started from the first plan's tail
    plan.reset(3)
    assert np.array_equal(plan.plan(obs), first)  # same seed, same plan
    assert not np.array_equal(second, first)
    box, _ = planner("EqPushT-v1", "vn_explicit", torch.float64, equivariant=False)
    assert (np.abs(box.plan(obs)) <= 1).all()


def test_observation_frames_rotate_with_the_scene():
    symmetry = gym.make("EqPushT3D-v1").unwrapped.symmetry
    obs = observations("EqPushT3D-v1", 2)
    frame = observation_frame(torch.tensor(obs), symmetry.obs_layout)
    assert torch.allclose(frame.transpose(-1, -2) @ frame, torch.eye(3, dtype=torch.float64).expand(2, 3, 3))
    for g in sample_elements(SE3, 4, seed=0, translation_scale=0.1):
        moved = observation_frame(torch.tensor(symmetry.act_obs(g, obs)), symmetry.obs_layout)
        assert (moved - torch.tensor(g.rotation) @ frame).abs().max() < 1e-14


def test_bad_planner_configs():
    with pytest.raises(ValueError, match="method"):
        PlannerConfig(method="ilqr")
    with pytest.raises(ValueError, match="elites"):
        PlannerConfig(method="cem", samples=10, elites=20)
    with pytest.raises(ValueError, match="samples"):
        PlannerConfig(samples=0)
