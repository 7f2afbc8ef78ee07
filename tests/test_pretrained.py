"""The reference models shipped in agents/pretrained load, fit their env and plan from a name."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401
from agents.agents import make_agent
from agents.pretrained import available, folder, resolve
from agents.train import check_contract, load_checkpoint
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
