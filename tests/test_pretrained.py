"""The reference models shipped in agents/pretrained load, fit their env and plan from a name."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401
from agents.checkpoints import check_contract, load_checkpoint
from agents.pretrained import available, folder, resolve
from agents.specs import make_agent
from eqenvs.files import sha256_of


def test_every_shipped_model_loads_and_fits_its_env():
    names = available()
    assert {"vn_explicit-push2d", "mlp_explicit-push2d", "vn_explicit-push3d"} <= set(names)
    readme = (folder() / "README.md").read_text()
    for name in names:
        model, meta = load_checkpoint(resolve(name))
        check_contract(meta, gym.make(meta["env_id"], task="push"))
        assert 10_000 <= model.parameter_count <= 300_000 and f"`{name}`" in readme
        assert meta["command"] == f"python -m agents pretrain --models {name} --seed 0"
        sidecar = json.loads((folder() / f"{name}.pt.json").read_text())
        assert sidecar["sha256"] == sha256_of(folder() / f"{name}.pt")  # the readable copy describes this file


def test_a_planner_from_a_shipped_name():
    env = gym.make("EqPushT-v1", task="push")
    obs, _ = env.reset(seed=0)
    agent = make_agent("planner:vn_explicit-push2d,samples=16,horizon=3,iterations=1", env)
    assert agent.act(obs).shape == (2,) and np.linalg.norm(agent.act(obs)) <= 1.0 + 1e-12
    with pytest.raises(ValueError, match=r"'vn_big' is neither a \.pt checkpoint nor a shipped model"):
        make_agent("planner:vn_big", env)
    with pytest.raises(ValueError, match="trained on EqPushT3D-v0, not EqPushT-v1"):
        make_agent("planner:vn_explicit-push3d", env)


@pytest.mark.parametrize(
    ("name", "env_id"), [("vn_latent-push2d", "EqPushT-v1"), ("vn_explicit-push3d", "EqPushT3D-v1")]
)
def test_rollouts_in_the_observations_frame_stay_at_the_float32_floor(name, env_id):
    """Issue 14's H-step claim: computed in each observation's own frame (the same function: float64 agrees
    to 1e-13), a float32 VN rollout's residual is the rounding of the final move alone, flat in H; the
    plain computation's grows ~10-100x above it."""
    import copy

    import torch

    from agents.data import collect
    from agents.evaluate import _rollout_metrics, _test_elements, _windows, frame_rollout

    model, _ = load_checkpoint(resolve(name))
    data = collect(env_id, episodes=8, seed=5)
    metrics = _rollout_metrics(model.float(), data, _test_elements(model.symmetry, 0), max_windows=64)
    in_frame = [m["residual_in_frame"] for m in metrics.values()]
    plain = [m["residual"] for m in metrics.values()]
    assert len(in_frame) == 5 and max(in_frame) <= 2e-7 and max(plain) > 5 * max(in_frame)  # issue 14: <= 2e-7
    starts = _windows(data, 8)[:32]
    obs, actions = data.obs[starts], data.action[starts[:, None] + np.arange(8)[None]]
    m64 = copy.deepcopy(model).double()
    plain64 = m64.rollout(m64.encode(torch.tensor(obs)), torch.tensor(actions))[:, -1]
    assert float((frame_rollout(m64, obs, actions) - plain64).abs().max() / plain64.abs().max()) < 1e-13
    # canonicalisation: in its observation's frame the plain MLP is exact too, so the in-frame figure measures the
    # frame, not the model (issue 23); the MLP's own rollouts are O(1) off
    mlp, _ = load_checkpoint(resolve(name.replace("vn_", "mlp_")))
    mlp_metrics = _rollout_metrics(mlp.float(), data, _test_elements(mlp.symmetry, 0), max_windows=64)
    assert max(m["residual_in_frame"] for m in mlp_metrics.values()) <= 2e-7
    assert min(m["residual"] for m in mlp_metrics.values()) > 1e-2


def test_the_h_step_relmse_ratio_is_flat_for_the_vn_model_and_not_for_its_mlp():
    """Issue 14's "flat x1.00 at every H": the H-step relMSE of the worst held-out bin over the seen bins'."""
    from agents.data import collect
    from agents.evaluate import _rollout_metrics, _test_elements, bins_of

    data = collect("EqPushT-v1", episodes=8, seed=5)
    bins = bins_of(data, data.symmetry(), 0)
    ratios = {}
    for name in ("vn_explicit-push2d", "mlp_explicit-push2d"):
        model, _ = load_checkpoint(resolve(name))
        metrics = _rollout_metrics(model.float(), data, _test_elements(model.symmetry, 0), bins, max_windows=32)
        ratios[name] = {h: m["relmse_ratio"] for h, m in metrics.items()}
    assert list(ratios["vn_explicit-push2d"]) == ["1", "2", "4", "8", "16"]
    assert max(abs(r - 1) for r in ratios["vn_explicit-push2d"].values()) < 1e-4
    assert min(ratios["mlp_explicit-push2d"].values()) > 100  # measured: VN <= 1 + 6e-6, MLP 1.8e3-1.6e4


def test_ulp_sensitivity_is_the_floor_the_float64_residual_sits_on():
    """A float64 rollout moved by one ulp per input differs by what its dynamics amplify; the in-frame
    equivariance residual of the same rollouts is of that order, not above it."""
    import copy

    from agents.data import collect
    from agents.evaluate import _equivariance_residual, _test_elements, _windows, frame_rollout, ulp_sensitivity

    model, _ = load_checkpoint(resolve("vn_explicit-push3d"))
    model64 = copy.deepcopy(model).double()
    data = collect("EqPushT3D-v1", episodes=6, seed=5)
    floors = {}
    for h in (1, 16):
        starts = _windows(data, h)[:32]
        obs, actions = data.obs[starts], data.action[starts[:, None] + np.arange(h)[None]]
        floors[h] = ulp_sensitivity(model64, obs, actions)
        residual = _equivariance_residual(model64, obs, actions, _test_elements(model.symmetry, 0), frame_rollout)
        assert floors[h] > 1e-17 and residual < 100 * floors[h]
    assert floors[16] > floors[1]
