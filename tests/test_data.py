"""Transition datasets: collected on the slice through the real env, round-tripped through one .npz file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from agents.checkpoints import load_checkpoint, save_checkpoint
from agents.data import ARRAYS, collect, load_dataset, save_dataset
from agents.train import TrainConfig, train
from eqenvs.files import sha256_of
from eqenvs.splits import get_split


@pytest.fixture(scope="module")
def data2d():
    return collect("EqPushT-v1", episodes=6, max_steps=30, seed=3)


def test_collection_is_the_canonical_task_seen_from_slice_orientations(data2d):
    sym = data2d.symmetry()
    slice_ = get_split("EqPushT-v1", "slice")
    elements = data2d.elements(sym)
    assert len(elements) == 6 and all(slice_.contains(g) for g in elements)
    assert len({round(g.angle, 9) for g in elements}) == 6  # a fresh orientation per episode
    # moved back to the identity, every episode starts like the canonical push task: heading 0 (+-0.1 rad)
    obs, _, _ = data2d.canonical(sym)
    first = data2d.step == 0
    heading = obs[first][:, sym.obs_layout["block_dir"].slice]
    assert np.abs(np.arctan2(heading[:, 1], heading[:, 0])).max() <= 0.1 + 1e-9
    goal = obs[:, sym.obs_layout["goal_dir"].slice]
    assert np.allclose(goal, [1.0, 0.0], atol=1e-12)
    # ... and the stored data is the canonical data seen from each episode's orientation (to rounding)
    for e, g in enumerate(elements):
        rows = data2d.episode == e
        assert np.abs(sym.act_obs(g, obs[rows]) - data2d.obs[rows]).max() < 1e-14
    # as collected, episodes start with headings in a quarter of the orbit: [0, 90) degrees +- the jitter
    start = data2d.obs[first][:, sym.obs_layout["block_dir"].slice]
    degrees = np.degrees(np.arctan2(start[:, 1], start[:, 0]))
    assert degrees.min() >= -6.0 and degrees.max() < 96.0
    hist = np.array(data2d.meta["block_heading_histogram"])  # the sidecar's view of the same
    assert hist.sum() == len(data2d) and len(hist) == 12


def test_transitions_chain_within_episodes(data2d):
    same = (data2d.episode[1:] == data2d.episode[:-1]) & (data2d.step[1:] == data2d.step[:-1] + 1)
    assert same.sum() > len(data2d) / 2
    assert np.array_equal(data2d.next_obs[:-1][same], data2d.obs[1:][same])


def test_round_trip_and_bad_files(data2d, tmp_path):
    path = save_dataset(data2d, tmp_path / "d.npz")
    back = load_dataset(path)
    for name in ("obs", "action", "next_obs", "episode", "step", "interior", "orientation"):
        assert np.array_equal(getattr(back, name), getattr(data2d, name))
    assert back.meta == json.loads(json.dumps(data2d.meta))
    # the readable sidecar is the file's full name + .json and names the file's hash
    sidecar = json.loads((tmp_path / "d.npz.json").read_text())
    assert sidecar["sha256"] == sha256_of(path) and sidecar["transitions"] == len(data2d)
    # the .npz alone is the dataset: no sidecar needed, a stale one ignored
    (tmp_path / "d.npz.json").write_text(json.dumps({"transitions": 1}))
    assert len(load_dataset(path)) == len(data2d)
    (tmp_path / "d.npz.json").unlink()
    assert len(load_dataset(path)) == len(data2d)
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"not a \.npz dataset \(not a zip archive"):
        load_dataset(tmp_path / "junk.npz")
    # an object array would need pickle to load: refused
    np.savez(tmp_path / "obj.npz", obs=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        load_dataset(tmp_path / "obj.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        save_dataset(data2d, tmp_path / "d.pkl")


def test_a_checkpoint_beside_a_dataset_of_the_same_name_leaves_it_loadable(data2d, tmp_path):
    """Issue: `train --data c/push.npz --out c/push.pt` replaced c/push.json and the dataset stopped loading."""
    path = save_dataset(data2d, tmp_path / "push.npz")
    model, _ = train(data2d, TrainConfig(model="vn_explicit", epochs=1))
    save_checkpoint(model, tmp_path / "push.pt", data2d.env_id, data2d.meta["env_kwargs"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["push.npz", "push.npz.json", "push.pt", "push.pt.json"]
    assert len(load_dataset(path)) == len(data2d)
    assert load_checkpoint(tmp_path / "push.pt")[1]["env_id"] == "EqPushT-v1"


def _saved_with(tmp_path, data, **arrays):
    """A dataset file of ``data`` with some arrays replaced (as a hand-made or foreign file would be)."""
    path = tmp_path / "bad.npz"
    fields = {name: getattr(data, name) for name in ARRAYS}
    meta = dict(data.meta)
    if "obs" in arrays:
        meta["transitions"] = len(arrays["obs"])
    np.savez(path, **{**fields, **arrays}, meta=np.array(json.dumps(meta)))
    return path


def test_datasets_are_checked_against_their_env(data2d, tmp_path):
    n = len(data2d)
    cases = {
        "'obs' has shape": {"obs": data2d.obs[:, :10]},  # a width the env does not have
        "'action' has shape": {"action": np.zeros((n, 3))},
        "homogeneous 3x3": {"orientation": data2d.orientation[:, :2, :2]},  # 2x2 matrices: refused
        "not orthogonal": {"orientation": data2d.orientation * np.array([1.0, 1.1, 1.0])[:, None]},
        "finite": {"next_obs": np.where(np.arange(n)[:, None] == 0, np.nan, data2d.next_obs)},
        "episode indices": {"episode": data2d.episode + 100},
    }
    for fault, arrays in cases.items():
        with pytest.raises(ValueError, match=fault):
            load_dataset(_saved_with(tmp_path, data2d, **arrays))
    # metadata of another env, or none
    path = tmp_path / "other.npz"
    np.savez(path, **{name: getattr(data2d, name) for name in ARRAYS},
             meta=np.array(json.dumps({**data2d.meta, "env_id": "CartPole-v1"})))  # fmt: skip
    with pytest.raises(ValueError, match="CartPole-v1"):
        load_dataset(path)
    np.savez(path, **{name: getattr(data2d, name) for name in ARRAYS})
    with pytest.raises(ValueError, match=r"lacks the arrays \['meta'\]"):
        load_dataset(path)
    # training validates Python-made data too: one clear line instead of a torch RuntimeError
    bad = data2d.subset(np.ones(n, bool))
    bad.action = np.zeros((n, 3))
    with pytest.raises(ValueError, match="'action' has shape"):
        train(bad, TrainConfig(model="vn_explicit", epochs=1))


def test_interior_only_and_episode_split():
    data = collect("EqPushT-v1", episodes=5, max_steps=20, seed=0, interior_only=True)
    assert data.interior.all() and data.meta["interior_only"]
    train, test = data.split_episodes(0.4, seed=1)
    assert not set(train.episode) & set(test.episode)
    assert len(train) + len(test) == len(data)
    with pytest.raises(ValueError, match="test_fraction"):
        data.split_episodes(1.0, 0)


def test_3d_collection_on_the_yaw_slice():
    data = collect("EqPushT3D-v1", episodes=3, max_steps=15, seed=0)
    sym = data.symmetry()
    yaws = [math.degrees(math.atan2(g.rotation[1, 0], g.rotation[0, 0])) for g in data.elements(sym)]
    assert all(0 <= y < 90 for y in yaws)
    obs, _, _ = data.canonical(sym)
    up = obs[:, sym.obs_layout["up"].slice]
    assert np.allclose(up, [0.0, 0.0, 1.0], atol=1e-12)


def test_bad_collection_arguments():
    with pytest.raises(ValueError, match="episodes"):
        collect("EqPushT-v1", episodes=0)
    with pytest.raises(ValueError, match="split"):
        collect("EqPushT-v1", split="train", episodes=1)
    with pytest.raises(ValueError, match="env_id"):
        collect("CartPole-v1", episodes=1)
