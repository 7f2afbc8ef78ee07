"""The flow-matching (diffusion-family) chunk policies: the VN policy's velocity field is exactly equivariant and its
sampler, with the noise placed in the block's frame, turns a paired sample with the observation; the plain twin does
neither. Training runs and lowers its loss."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.imitation.policies import bc_policy
from eqenvs.groups import SE2


def observations(n: int = 6) -> tuple[torch.Tensor, torch.Tensor, SE2]:
    env = gym.make("EqPushT-v1", task="pusht")
    symmetry, g = env.unwrapped.symmetry, SE2.parse(0.7)  # off every grid
    obs = np.stack([env.reset(seed=100_000_000 + k)[0] for k in range(n)])
    turned = np.stack([symmetry.act_obs(g, o) for o in obs])
    return torch.as_tensor(obs), torch.as_tensor(turned), g


@pytest.mark.parametrize("kind", ["vn-diffusion", "diffusion"])
def test_vn_flow_policy_samples_turn_with_the_observation_and_the_plain_twins_do_not(kind):
    torch.manual_seed(0)
    policy = bc_policy(kind, "EqPushT-v1", {"task": "pusht"}, hidden=16, depth=2, horizon=4, steps=3).double().eval()
    obs, turned, g = observations()
    rotation = torch.as_tensor(g.rotation)
    x = torch.randn(len(obs), 4, 2, dtype=torch.float64)
    t = torch.rand(len(obs), dtype=torch.float64)
    z = torch.randn(4, 2, dtype=torch.float64)  # one draw of noise numbers for every row (a paired task)
    with torch.no_grad():
        velocity = policy.velocity(obs, x, t)
        velocity_error = (policy.velocity(turned, x @ rotation.T, t) - velocity @ rotation.T).abs().max()
        sample_error = (policy.sample(turned, z) - policy.sample(obs, z) @ rotation.T).abs().max()
    if kind == "vn-diffusion":
        assert velocity_error < 1e-12 and sample_error < 1e-12
    else:
        assert velocity_error > 1e-3 and sample_error > 1e-3


def test_flow_loss_trains():
    torch.manual_seed(0)
    policy = bc_policy("vn-diffusion", "EqPushT-v1", {"task": "pusht"}, hidden=16, depth=1, horizon=2, steps=2)
    obs, _, _ = observations(16)
    obs = obs.float()
    chunk = torch.stack([obs[:, 6:8], obs[:, 6:8]], 1) * 0.5  # a chunk that depends on the block's heading
    optimiser = torch.optim.Adam(policy.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    first = float(policy.loss(obs, chunk, generator))
    for _ in range(150):
        loss = policy.loss(obs, chunk, generator)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert float(policy.loss(obs, chunk, torch.Generator().manual_seed(1))) < 0.5 * first
