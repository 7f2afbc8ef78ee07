"""World models: the VN models are exactly equivariant at every level (encoder, predictor, composed model,
rollout) in float64 over Haar-random elements and a finite subgroup, in 2D and 3D; the MLP baselines fail."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.world_models import MODEL_KINDS, build_model
from eqenvs.groups import SE2, SE3

ENVS = {"EqPushT-v0": SE2, "EqPushT3D-v0": SE3}
F64 = torch.float64


def setup(env_id: str, kind: str):
    symmetry = gym.make(env_id).unwrapped.symmetry
    torch.manual_seed(0)
    model = build_model(kind, symmetry).double().eval()
    rng = np.random.default_rng(1)
    obs = rng.normal(0, 0.3, (32, symmetry.obs_layout.size))
    action = rng.normal(0, 0.8, (32, symmetry.action_layout.size))  # some outside the unit disk/ball
    return symmetry, model, obs, action


def elements(group):
    finite = group.cyclic(4) if group.dim == 2 else group.finite_subgroup("O")
    return group.sample(np.random.default_rng(2), 12, translation_scale=0.3) + finite


def worst_residual(symmetry, model, obs, action, group, level: str) -> float:
    t = lambda a: torch.tensor(a, dtype=F64)  # noqa: E731
    worst, scale = 0.0, 0.0
    with torch.no_grad():
        z = model.encode(t(obs))
        for g in elements(group):
            moved_obs, moved_action = t(symmetry.act_obs(g, obs)), t(symmetry.act_action(g, action))
            if level == "encoder":
                lhs, rhs = model.encode(moved_obs), model.act_latent(g, z)
            elif level == "predictor":
                lhs, rhs = (
                    model.predict(model.act_latent(g, z), moved_action),
                    model.act_latent(g, model.predict(z, t(action))),
                )
            elif level == "model":
                lhs, rhs = model(moved_obs, moved_action), model.act_latent(g, model(t(obs), t(action)))
            else:  # an 8-step rollout
                actions = t(action)[:, None].repeat(1, 8, 1)
                moved_actions = moved_action[:, None].repeat(1, 8, 1)
                lhs = model.rollout(model.encode(moved_obs), moved_actions)[:, -1]
                rhs = model.act_latent(g, model.rollout(z, actions)[:, -1])
            worst = max(worst, float((lhs - rhs).abs().max()))
            scale = max(scale, float(rhs.abs().max()))
    return worst / scale


@pytest.mark.parametrize("env_id", list(ENVS))
@pytest.mark.parametrize("kind", ["vn_latent", "vn_explicit"])
@pytest.mark.parametrize("level", ["encoder", "predictor", "model", "rollout"])
def test_vn_models_are_equivariant_at_every_level(env_id, kind, level):
    symmetry, model, obs, action = setup(env_id, kind)
    assert worst_residual(symmetry, model, obs, action, ENVS[env_id], level) < 1e-12


@pytest.mark.parametrize("env_id", list(ENVS))
@pytest.mark.parametrize("kind", ["mlp_latent", "mlp_explicit"])
def test_mlp_baselines_fail_the_same_test(env_id, kind):
    symmetry, model, obs, action = setup(env_id, kind)
    assert worst_residual(symmetry, model, obs, action, ENVS[env_id], "model") > 1e-3


@pytest.mark.parametrize("env_id", list(ENVS))
def test_parameter_counts_and_repr(env_id):
    symmetry = gym.make(env_id).unwrapped.symmetry
    models = {kind: build_model(kind, symmetry) for kind in MODEL_KINDS}
    assert models["mlp_latent"].parameter_count >= 4 * models["vn_latent"].parameter_count
    assert models["mlp_explicit"].parameter_count >= 4 * models["vn_explicit"].parameter_count
    # F = f o E: the encoder and predictor; the EMA target copy and the planning readout are not counted
    latent = models["vn_latent"]
    assert latent.parameter_count == sum(p.numel() for m in (latent.encoder, latent.predictor) for p in m.parameters())
    assert f"{latent.parameter_count:,} parameters" in repr(latent)


@pytest.mark.parametrize("env_id", list(ENVS))
def test_vn_readout_is_equivariant_and_centred(env_id):
    symmetry, model, obs, _ = setup(env_id, "vn_latent")
    t = lambda a: torch.tensor(a, dtype=F64)  # noqa: E731
    with torch.no_grad():
        decoded = model.decode(model.encode(t(obs)))
        assert torch.equal(decoded[:, symmetry.obs_layout["block_pos"].slice], torch.zeros(32, model.dim, dtype=F64))
        for g in elements(ENVS[env_id]):
            moved = model.decode(model.encode(t(symmetry.act_obs(g, obs))))
            rotation_only = type(g)(g.rotation)  # the centred observation does not translate
            expected = t(symmetry.obs_layout.act(rotation_only, decoded.numpy()))
            assert (moved - expected).abs().max() < 1e-12


def test_explicit_models_copy_constant_fields_and_project_actions():
    symmetry, model, obs, action = setup("EqPushT-v0", "vn_explicit")
    with torch.no_grad():
        nxt = model(torch.tensor(obs), torch.tensor(action))
        far = model(torch.tensor(obs), torch.tensor(action) * 50)
        unit = model(torch.tensor(obs), torch.tensor(action) * 50 / torch.tensor(action).norm(dim=-1, keepdim=True))
    goal = symmetry.obs_layout["goal_pos"].slice
    assert torch.equal(nxt[:, goal], torch.tensor(obs)[:, goal])
    assert torch.allclose(far, unit, atol=1e-12)  # delta actions are projected onto the unit disk first


def test_bad_model_arguments():
    symmetry = gym.make("EqPushT-v0").unwrapped.symmetry
    with pytest.raises(ValueError, match="kind: 'transformer'"):
        build_model("transformer", symmetry)
    with pytest.raises(ValueError, match="hyper"):
        build_model("vn_latent", symmetry, widht=3)
    with pytest.raises(ValueError, match="delta"):
        build_model("vn_latent", gym.make("EqPushT-v0", action_type="absolute").unwrapped.symmetry)
    with pytest.raises(ValueError, match="reference"):
        build_model("vn_latent", symmetry, reference="goal_dir")
