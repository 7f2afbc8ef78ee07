"""The learned push-primitive agent on gym-pusht's PushT: its VN outcome model is exactly equivariant (the MLP
twin is not), the agent's episodes are the identity's at every orientation in float64 (the MLP twin's are
not), and its data, training and files behave."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.primitives.data import collect_pushes, frame_arrays
from agents.primitives.model import PushOutcomeModel, build_outcome_model, outcome_loss
from agents.primitives.train import load_outcome_model, save_outcome_model, train_outcome_model
from agents.specs import make_agent
from eqenvs.groups import rotation_2d


def rotate(v: torch.Tensor, angle: float) -> torch.Tensor:
    return v @ torch.as_tensor(rotation_2d(angle)).T


@pytest.mark.parametrize("kind", ["vn", "mlp", "mlp_canonical"])
def test_vn_outcome_model_is_equivariant_and_its_plain_twin_is_not(kind):
    torch.manual_seed(0)
    model = build_outcome_model(kind.removesuffix("_canonical"), 16, 2, canonical=kind.endswith("canonical"))
    model = model.double()
    x = torch.randn(64, 6, 2, dtype=torch.float64)
    x[:, 1] /= torch.linalg.vector_norm(x[:, 1], dim=-1, keepdim=True)  # the block's heading is a unit vector
    angle = 0.7  # off every grid
    with torch.no_grad():
        position, heading = model(x)
        turned_position, turned_heading = model(rotate(x, angle))
    error = max(float((turned_position - rotate(position, angle)).abs().max()),
                float((turned_heading - rotate(heading, angle)).abs().max()))  # fmt: skip
    if kind in ("vn", "mlp_canonical"):
        assert error < 1e-12
    else:
        assert error > 1e-3


def episode(spec: str, angle: float, steps: int, seed: int = 100_000_003):
    env = gym.make("EqPushT-v1", task="pusht", orientation=angle)
    agent = make_agent(spec, env)
    obs, _ = env.reset(seed=seed)
    agent.reset(seed)
    actions, states = [], []
    for _ in range(steps):
        action = agent.act(obs)
        obs, _, terminated, truncated, _ = env.step(action)
        actions.append(action)
        states.append(env.unwrapped.scene.get_state())
        if terminated or truncated:
            break
    return np.array(actions), np.array(states)


def test_learned_agent_episode_is_the_identitys_at_held_out_orientations_and_the_mlps_is_not():
    steps = 60
    actions0, states0 = episode("primitive:vn_primitive-pusht2d,dtype=float64", 0.0, steps)
    for angle in (2.3, 4.0):  # held out: the model's data saw [0, 90) degrees only
        actions, states = episode("primitive:vn_primitive-pusht2d,dtype=float64", angle, steps)
        assert np.array_equal(states, states0)  # frame mode simulates the identity's scene: bit for bit
        rotated = actions0 @ rotation_2d(angle).T
        assert np.max(np.abs(actions - rotated)) < 1e-12
    _, mlp0 = episode("primitive:mlp_primitive-pusht2d,dtype=float64", 0.0, steps)
    _, mlp = episode("primitive:mlp_primitive-pusht2d,dtype=float64", 2.3, steps)
    n = min(len(mlp), len(mlp0))
    assert np.max(np.abs(mlp[:n, :4] - mlp0[:n, :4])) > 1.0  # px: the plain twin takes another path


def test_pushes_are_deterministic_and_frame_arrays_turn_them():
    a = collect_pushes(40, seed=7)
    b = collect_pushes(40, seed=7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    moved = np.hypot(*(a["after"][:, :2] - a["block"][:, :2]).T)
    assert np.mean(moved > 0.5) > 0.5  # most pushes move the block
    f0 = frame_arrays(a, np.zeros(40))
    f1 = frame_arrays(a, np.full(40, 1.0))
    r = rotation_2d(1.0)
    for key in ("position", "heading", "contact", "direction", "position_after", "heading_after"):
        assert np.allclose(f1[key], f0[key] @ r.T, atol=1e-12), key


def test_training_lowers_the_loss_and_the_file_round_trips(tmp_path):
    data = collect_pushes(600, seed=1)
    model, report = train_outcome_model(data, "vn", 8, 1, epochs=3, batch_size=64, log=None)
    assert report["validation_rmse_px_slice"] < 60.0 and report["samples"] == 570
    untrained = build_outcome_model("vn", 8, 1)
    f = {k: torch.as_tensor(v).float() for k, v in frame_arrays(data, np.zeros(600)).items()}
    x = PushOutcomeModel.features(f["position"], f["heading"], f["goal_heading"], f["contact"], f["direction"],
                                  f["length"])  # fmt: skip
    with torch.no_grad():
        assert outcome_loss(model(x), f["position_after"], f["heading_after"]) < outcome_loss(
            untrained(x), f["position_after"], f["heading_after"]
        )
    path = save_outcome_model(model, tmp_path / "m.pt", report)
    loaded, meta = load_outcome_model(path)
    assert meta["model"] == "vn" and (tmp_path / "m.pt.json").is_file()
    with torch.no_grad():
        assert torch.equal(loaded(x)[0], model(x)[0])


def test_bad_inputs_are_one_clear_error(tmp_path):
    pusht = gym.make("EqPushT-v1", task="pusht")
    with pytest.raises(ValueError, match="not a push-outcome model"):
        make_agent("primitive:vn_explicit-push2d", pusht)  # a world model of another kind
    with pytest.raises(ValueError, match="is a PushT push-outcome model, not a world model; give it as primitive:"):
        make_agent("planner:vn_primitive-pusht2d", pusht)
    with pytest.raises(ValueError, match="task='pusht'"):
        make_agent("primitive:vn_primitive-pusht2d", gym.make("EqPushT-v1", task="push"))
    with pytest.raises(ValueError, match="dtype=float32"):
        make_agent("primitive:vn_primitive-pusht2d,dtype=float16", pusht)
    with pytest.raises(ValueError, match="does not exist"):
        make_agent(f"primitive:{tmp_path / 'missing.pt'}", pusht)
    other = save_outcome_model(build_outcome_model("mlp", 8, 1), tmp_path / "push.pt", {"task": "push"})
    with pytest.raises(ValueError, match="is a push model of EqPushT-v1 task 'push', not of EqPushT-v1 task 'pusht'"):
        make_agent(f"primitive:{other}", pusht)
    other.unlink()
    other.with_suffix(".pt.json").unlink()
    with pytest.raises(ValueError, match="augment"):
        train_outcome_model(collect_pushes(40, seed=2), "mlp", 8, 1, epochs=1, augment="orbit", log=None)
    from agents.config import PushtModelConfig

    with pytest.raises(ValueError, match=r"out: expected a \.pt file"):
        PushtModelConfig(out=tmp_path / "m.zip")
    with pytest.raises(ValueError, match="canonical: only --model mlp"):
        PushtModelConfig(out=tmp_path / "m.pt", model="vn", canonical=True)
    assert not list(tmp_path.iterdir())  # nothing half-written
    from agents.primitives.train import collect_or_load

    collect_or_load(tmp_path / "p.npz", 20, seed=3, workers=1)
    with pytest.raises(ValueError, match="holds 20 pushes collected with seed 3, not --pushes 20 --seed 4"):
        collect_or_load(tmp_path / "p.npz", 20, seed=4, workers=1)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a push dataset"):
        collect_or_load(tmp_path / "bad.npz", 20, seed=3, workers=1)
