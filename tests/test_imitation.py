"""Demonstrations as a Minari dataset (written whole, replayable, bad datasets refused) and behaviour cloning
(the VN policy exactly equivariant, the MLP not; same seed, same weights)."""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents.imitation import BCAgent, load_demos, load_policy, record_demos, save_policy, train_bc
from agents.seeds import TRAINING_SEEDS
from agents.specs import agent_files, make_agent
from eqenvs.groups import SE2

ANGLES = [0.0, 0.5]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    """A Minari datasets root holding one recording, and the recording's id."""
    folder = tmp_path_factory.mktemp("demos")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # a relative --out, as the Makefile gives (minari needs its root absolute)
        summary = record_demos(Path("runs/demos"), angles=ANGLES, episodes=1, noise=0.1, seed=0)
    assert summary["recorded"] == 2 and summary["kept"] == 2  # both starts solved
    assert sorted(p.name for p in (folder / "runs" / "demos").iterdir()) == ["eqenvs"]  # no scratch folder left
    return folder / "runs" / "demos", summary["dataset_id"]


@pytest.fixture(scope="module")
def demo_path(demo_root):
    root, dataset_id = demo_root
    return root.joinpath(*dataset_id.split("/"))


def minari_dataset(root, name, buffers, **kw):
    """A Minari dataset written by minari itself, under ``root``; returns its folder."""
    import minari

    os.environ["MINARI_DATASETS_PATH"] = str(root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            minari.create_dataset_from_buffers(f"eqenvs/{name}-v0", buffers, **kw)
    finally:
        os.environ.pop("MINARI_DATASETS_PATH")
    return root / "eqenvs" / f"{name}-v0"


def episode_buffer(obs_dim: int, action_dim: int, steps: int = 3, infos: dict | None = None):
    from minari.data_collector import EpisodeBuffer

    zeros, flags = np.zeros(steps), np.zeros(steps, bool)
    obs, actions = np.zeros((steps + 1, obs_dim)), np.zeros((steps, action_dim), np.float32)
    return EpisodeBuffer(id=0, observations=obs, actions=actions, rewards=zeros, terminations=flags, truncations=flags,
                         infos=infos)  # fmt: skip


def test_dataset_is_minari_and_replayable(demo_path):
    import minari

    demos = load_demos(demo_path)
    assert demos.obs.shape[1] == 12 and demos.actions.shape == (len(demos), 2)
    assert sorted(set(demos.angle.tolist())) == ANGLES
    dataset = minari.MinariDataset(demo_path / "data")
    assert dataset.total_episodes == 2 and dataset.total_steps == len(demos)
    env = dataset.recover_environment()  # the spec it recorded: EqPushT-v1, task "pusht"
    assert env.spec.id == "EqPushT-v1" and env.unwrapped.task == "pusht"
    meta = list(dataset.storage.get_episode_metadata([0, 1]))
    for k, (episode, m) in enumerate(zip(dataset.iterate_episodes(), meta, strict=True)):
        obs, _ = env.reset(seed=m["seed"], options={"orientation": m["options"]["orientation"]})
        assert np.array_equal(obs, episode.observations[0])  # the start replays exactly
        # infos as Minari's DataCollector stores them: one per observation, the reset's first
        steps = len(episode.actions)
        assert {len(v) for v in episode.infos.values()} == {steps + 1} == {len(episode.observations)}
        assert episode.infos["coverage"][0] < 0.95 and not episode.infos["is_success"][0]
        assert episode.infos["coverage"][-1] > 0.95 and episode.infos["is_success"][-1] and episode.terminations[-1]
        labels = episode.infos["expert_action"][:-1]  # the expert at each observation an action was taken at
        assert np.array_equal(demos.actions[demos.episode == k], labels)  # what behaviour cloning learns
        noise = np.linalg.norm(episode.actions - labels, axis=1)
        assert 0.03 < float(np.mean(noise)) < 0.3  # executed = expert + N(0, 0.1^2) per component, projected
        # the executed actions lie in the dataset's action space: projected onto the unit disk, as the env does
        assert all(dataset.action_space.contains(a) for a in episode.actions), k
        assert float(np.linalg.norm(episode.actions, axis=1).max()) <= 1.0 + 1e-6
        # replaying them from the reset gives the recorded episode (to float rounding)
        replay = [obs] + [env.step(a)[0] for a in episode.actions]
        assert np.abs(np.array(replay) - episode.observations).max() < 1e-5, k  # measured 5.6e-8 px
    summary = json.loads((demo_path / "eqenvs.json").read_text())
    assert summary["env_kwargs"] == {"task": "pusht"} and summary["noise"] == 0.1
    # the starts lie above every benchmark task's seed (seed * 1000 + k): none is scored on a start it saw
    assert [m["seed"] for m in meta] == [TRAINING_SEEDS, TRAINING_SEEDS + 10_000]


def test_minari_loads_and_shows_the_dataset_by_its_id(demo_root, tmp_path):
    """--out is a Minari datasets root: with MINARI_DATASETS_PATH=<out>, Minari's own reader and CLI find the
    dataset by an id that carries the env id and the recording's settings, so two recordings never collide."""
    import shutil
    import subprocess
    import sys

    import minari

    root, dataset_id = demo_root
    assert re.fullmatch(r"eqenvs/EqPushT-v1/pusht-contact-angles[0-9a-f]{8}-1starts-300steps-noise0p1-seed0-v0",
                        dataset_id)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(root))
        dataset = minari.load_dataset(dataset_id)
        assert dataset.total_episodes == 2 and dataset.spec.env_spec.id == "EqPushT-v1"
        assert list(minari.list_local_datasets()) == [dataset_id]
    cli = [str(Path(sys.executable).parent / "minari"), "show", dataset_id]
    env = {**os.environ, "MINARI_DATASETS_PATH": str(root), "COLUMNS": "200"}
    shown = subprocess.run(cli, capture_output=True, text=True, timeout=60, env=env)
    assert shown.returncode == 0 and re.search(r"Total Episodes\s*│\s*2\s", shown.stdout), shown.stdout + shown.stderr
    assert re.search(r"Dataset Action Space\s*│\s*Box\(-1\.0, 1\.0, \(2,\), float32\)", shown.stdout)
    # a second recording (other noise, one orientation) beside it: its own id, both readable
    both = tmp_path / "demos"
    shutil.copytree(root, both)
    other = record_demos(both, angles=[0.0], episodes=1, noise=0.0, seed=0)
    assert other["dataset_id"] != dataset_id and "-noise0-" in other["dataset_id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(both))
        assert sorted(minari.list_local_datasets()) == sorted([dataset_id, other["dataset_id"]])
        assert minari.load_dataset(other["dataset_id"]).total_episodes == 1
    assert len(load_demos(root).obs) == len(load_demos(root.joinpath(*dataset_id.split("/"))).obs)  # one: read it
    with pytest.raises(ValueError, match=r"is a Minari datasets root holding 2 datasets .*; give one's folder"):
        load_demos(both)
    assert set(load_demos(both.joinpath(*other["dataset_id"].split("/"))).angle.tolist()) == {0.0}


def test_the_makefiles_demos_folder_is_its_recordings_id():
    """make pusht-results trains on $(DEMOS): the folder `python -m agents demos` writes for its arguments."""
    from agents.config import DemosConfig
    from agents.imitation import demos_dataset_id

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    folder = re.search(r"^DEMOS := runs/demos/(\S+)$", makefile, re.M).group(1)
    command = re.search(r"agents demos --out runs/demos (.*)$", makefile, re.M).group(1)
    split = re.search(r"--split (\S+)", command).group(1)
    episodes = int(re.search(r"--episodes (\d+)", command).group(1))
    defaults = DemosConfig(out=Path("runs/demos"))
    assert folder == demos_dataset_id(defaults.env, split, [], episodes, defaults.noise, defaults.seed,
                                      defaults.max_steps)  # fmt: skip


def test_datasets_of_the_earlier_layout_still_load(tmp_path):
    """A dataset with one label per action (infos of T entries, before Minari's T+1) reads the same labels."""
    env = gym.make("EqPushT-v1", task="pusht")
    labels = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    for name, infos in (("old", labels), ("new", np.concatenate([labels, np.ones((1, 2), np.float32)]))):
        buffer = episode_buffer(12, 2, steps=3, infos={"expert_action": infos})
        demos = load_demos(minari_dataset(tmp_path / name, name, [buffer], env=env))
        assert np.array_equal(demos.actions, labels), name


def test_nothing_half_written(tmp_path, demo_root):
    root, _ = demo_root
    with pytest.raises(ValueError, match=r"-v0' exists \(dataset eqenvs/EqPushT-v1/pusht-contact-.*use another"):
        record_demos(root, angles=ANGLES, episodes=1)  # the same recording: refused before recording
    out = tmp_path / "never"
    with pytest.raises(ValueError, match="no successful episode"):
        record_demos(out, angles=[0.0], episodes=1, max_steps=3)
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no dataset, no scratch folder
    import minari

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(OSError, match="No space left"):
        patch.setattr(minari, "create_dataset_from_buffers", full_disk)
        record_demos(tmp_path / "new" / "root", angles=[0.0], episodes=1)  # fails while writing
    assert list(tmp_path.iterdir()) == []  # the folders it made for the root are gone again


def test_bad_datasets(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_demos(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match=r"is not a Minari dataset: metadata\.json is missing"):
        load_demos(tmp_path / "plain")
    other = minari_dataset(tmp_path / "m1", "other", [episode_buffer(17, 3)], env=gym.make("EqPushT3D-v1"))
    with pytest.raises(ValueError, match="recorded on EqPushT3D-v1, not EqPushT-v1"):
        load_demos(other)
    pusht = gym.make("EqPushT-v1", task="pusht")
    layout = minari_dataset(tmp_path / "m2", "layout", [episode_buffer(5, 2)], env=pusht,
                            observation_space=gym.spaces.Box(-1, 1, (5,)), action_space=pusht.action_space)  # fmt: skip
    with pytest.raises(ValueError, match=r"has observations Box\(-1.0, 1.0, \(5,\)"):
        load_demos(layout)
    empty = minari_dataset(tmp_path / "m3", "empty", [], env=pusht)
    with pytest.raises(ValueError, match="holds no episodes"):
        load_demos(empty)


def test_bc_policies(tmp_path, demo_path):
    demos = load_demos(demo_path)
    env = gym.make("EqPushT-v1", task="pusht")
    symmetry = env.unwrapped.symmetry
    obs = torch.as_tensor(demos.obs[::7], dtype=torch.float64)
    g = SE2.parse(2.0)
    rotated = torch.as_tensor(np.stack([symmetry.act_obs(g, o) for o in obs.numpy()]))
    exact, plain = (lambda d: d < 1e-12), (lambda d: d > 1e-3)
    for kind, check in (("vn", exact), ("mlp", plain), ("vn-diffusion", exact), ("diffusion", plain)):
        epochs = 40 if "diffusion" in kind else 3  # a flow's loss is noisy (its noise and times are sampled)
        policy, meta = train_bc(demos, kind, hidden=16, depth=2, epochs=epochs, seed=1, steps=2)
        again, _ = train_bc(demos, kind, hidden=16, depth=2, epochs=epochs, seed=1, steps=2)
        assert all(
            torch.equal(a, b) for a, b in zip(policy.state_dict().values(), again.state_dict().values(), strict=True)
        )
        k = max(1, len(meta["loss"]) // 4)
        assert np.mean(meta["loss"][-k:]) < np.mean(meta["loss"][:k])  # it learns
        policy = policy.double()
        with torch.no_grad():
            a, b = policy(obs).numpy(), policy(rotated).numpy()  # action chunks, (N, horizon, 2)
        assert a.shape == (len(obs), meta["hyper"]["horizon"], 2)
        gap = float(np.max(np.abs(b - np.stack([[symmetry.act_action(g, x) for x in chunk] for chunk in a]))))
        assert check(gap), (kind, gap)  # VN: policy(g.s) = g.policy(s); the MLP is far from it
        path = save_policy(policy.float(), meta, tmp_path / f"{kind}.pt")
        loaded, loaded_meta = load_policy(path)
        with torch.no_grad():
            assert torch.equal(loaded(obs.float()), policy.float()(obs.float()))
        assert loaded_meta["policy"] == kind and json.loads(path.with_suffix(".pt.json").read_text())["policy"] == kind
        agent = make_agent(f"bc:{path},dtype=float64", env)
        assert agent_files(f"bc:{path},dtype=float64") == [path]  # a benchmark run fingerprints the policy
        assert isinstance(agent, BCAgent) and agent.act(demos.obs[0]).shape == (2,)


def test_flow_policy_episodes_are_the_identitys_with_seeded_noise_in_the_blocks_frame(tmp_path, demo_path):
    """A sampled policy in closed loop: the VN flow policy's paired episodes at two orientations are the same, bit for
    bit (its noise numbers come from the task's seed and sit in the block's frame); the plain twin's are not; the
    same seed gives the same episode."""
    demos = load_demos(demo_path)

    def episode(path, angle: float, seed: int = 5) -> np.ndarray:
        env = gym.make("EqPushT-v1", task="pusht", orientation=angle)
        agent = make_agent(f"bc:{path},dtype=float64", env)
        obs, _ = env.reset(seed=100_000_007)
        agent.reset(seed)
        states = []
        for _ in range(24):
            obs, *_ = env.step(agent.act(obs))
            states.append(env.unwrapped.scene.get_state())
        return np.array(states)

    for kind in ("vn-diffusion", "diffusion"):
        policy, meta = train_bc(demos, kind, hidden=16, depth=2, horizon=4, execute=2, epochs=2, seed=1, steps=2)
        path = save_policy(policy, meta, tmp_path / f"{kind}.pt")
        identity = episode(path, 0.0)
        assert np.array_equal(identity, episode(path, 0.0))  # the same seed, the same episode
        assert not np.array_equal(identity, episode(path, 0.0, seed=6))  # another seed, other noise
        if kind == "vn-diffusion":
            assert np.array_equal(episode(path, 2.5), identity)
        else:
            assert np.max(np.abs(episode(path, 2.5)[:, :4] - identity[:, :4])) > 1e-3


def test_chunks_and_their_execution(demo_path):
    demos = load_demos(demo_path)
    chunks = demos.chunks(4)
    last = int(np.flatnonzero(demos.episode == 0)[-1])  # the first episode's last step
    assert np.array_equal(chunks[last - 1, :2], demos.actions[last - 1 : last + 1])
    assert np.array_equal(chunks[last, 1:], np.zeros((3, 2)))  # nothing from the next episode
    policy, meta = train_bc(demos, "mlp", hidden=8, depth=1, horizon=4, execute=3, epochs=1)
    agent = BCAgent(policy, meta, dtype=torch.float64)
    obs = demos.obs[0]
    with torch.no_grad():
        chunk = policy.double()(torch.as_tensor(obs[None]))[0].numpy()
    taken = [agent.act(obs) for _ in range(4)]
    # the first 3 actions of the chunk, then a new chunk (the same observation: its first action again)
    assert np.array_equal(np.array(taken), chunk[[0, 1, 2, 0]])
    agent.reset()
    assert np.array_equal(agent.act(obs), chunk[0])


def test_dagger_labels_states_with_the_experts_chunks(demo_path):
    import agents.imitation.dagger as dagger_module
    from agents.imitation.dagger import _Labeller, dagger

    demos = load_demos(demo_path)
    # the labeller from an episode's start state gives the expert's first action of that episode
    env = gym.make("EqPushT-v1", task="pusht")
    env.reset(seed=demos_seed(demo_path, 0), options={"orientation": 0.0})
    scene = env.unwrapped.scene
    labeller = _Labeller("EqPushT-v1", {"task": "pusht"}, 3)
    chunk = labeller.chunk(scene.get_state(), tuple(scene._sim.agent.velocity))
    first = demos.actions[demos.episode == 0][0]
    assert chunk.shape == (3, 2) and np.max(np.abs(chunk[0] - first)) < 1e-4
    # a block pressed into the right wall past its origin (met in a rollout) cannot be reset to: no label
    assert labeller.chunk(np.array([256.0, 256.0, 509.3, 349.4, 0.3]), (0.0, 0.0)) is None
    seeds, rollout = [], dagger_module._dagger_job

    def job(*args):
        seeds.extend(args[4])
        return rollout(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dagger_module, "_dagger_job", job)
        _, meta = dagger(demos, "mlp", rounds=2, episodes=1, max_steps=8, hidden=8, depth=1, epochs=1, horizon=4,
                         execute=4)  # fmt: skip
    # 2 rounds x 2 orientations x 1 start x (8 steps / 4 per chunk) labelled states
    assert meta["extra_labels"] == 8 and [h["labels"] for h in meta["dagger"]["history"]] == [4, 8]
    # every rollout starts anew, above the demonstrations' starts and every benchmark task's seed
    first = TRAINING_SEEDS + 500_000
    assert seeds == [first, first + 1000, first + 2000, first + 3000]


def test_warm_started_dagger_rounds_continue_from_the_previous_weights(demo_path):
    from agents.imitation.dagger import dagger
    from agents.imitation.train import train_bc

    demos = load_demos(demo_path)
    small = dict(hidden=8, depth=1, horizon=4, execute=4, steps=2)
    first, _ = train_bc(demos, "diffusion", epochs=1, **small)
    # a fit of zero learning-rate effect (one tiny step) from `init` stays by its weights; from scratch it does not
    warm, _ = train_bc(demos, "diffusion", epochs=1, lr=1e-9, init=first, seed=5, **small)
    cold, _ = train_bc(demos, "diffusion", epochs=1, lr=1e-9, seed=5, **small)

    def gap(a, b):
        return max(float((x - y).detach().abs().max()) for x, y in zip(a.parameters(), b.parameters(), strict=True))

    assert gap(warm, first) < 1e-6 < gap(cold, first)
    assert torch.equal(warm.mean, first.mean) and torch.equal(warm.std, first.std)
    _, meta = dagger(demos, "diffusion", rounds=1, episodes=1, max_steps=8, epochs=1, round_epochs=1, round_lr=3e-4,
                     **small)  # fmt: skip
    assert meta["dagger"]["round_epochs"] == 1 and meta["train"]["epochs"] == 1 and meta["extra_labels"] == 4
    assert meta["dagger"]["round_lr"] == 3e-4 and meta["train"]["lr"] == 3e-4
    assert meta["dagger"]["seconds_total"] >= meta["seconds"]


def demos_seed(path, episode: int) -> int:
    import minari

    return next(iter(minari.MinariDataset(path / "data").storage.get_episode_metadata([episode])))["seed"]


def test_slice_augmentation_is_the_group_action(demo_path):
    from agents.imitation.train import _turn

    demos = load_demos(demo_path)
    symmetry = gym.make("EqPushT-v1", task="pusht").unwrapped.symmetry
    obs, chunk = demos.obs[:5], demos.chunks(3)[:5]
    angle = np.array([0.3, -1.0, 2.0, 0.0, 4.0])
    turned_obs = _turn(torch.as_tensor(obs), torch.as_tensor(angle)).numpy()
    turned_chunk = _turn(torch.as_tensor(chunk, dtype=torch.float64), torch.as_tensor(angle)).numpy()
    for k, a in enumerate(angle):
        g = SE2.parse(float(a))
        assert np.allclose(turned_obs[k], symmetry.act_obs(g, obs[k]), atol=1e-12)
        assert np.allclose(turned_chunk[k], [symmetry.act_action(g, x) for x in chunk[k]], atol=1e-6)
    _, meta = train_bc(demos, "mlp", hidden=8, depth=1, epochs=1, augment="slice")
    assert meta["train"]["augment"] == "slice"
    with pytest.raises(ValueError, match="outside 'heldout'"):
        train_bc(demos, "mlp", hidden=8, depth=1, epochs=1, augment="heldout")


def test_bc_bad_input(tmp_path, demo_path):
    demos = load_demos(demo_path)
    policy, meta = train_bc(demos, "mlp", hidden=8, depth=1, epochs=1)
    path = save_policy(policy, meta, tmp_path / "mlp.pt")
    from agents.imitation.dagger import dagger

    with pytest.raises(ValueError, match="at most 1000 episodes"):
        dagger(demos, "mlp", rounds=1, episodes=1001)
    with pytest.raises(ValueError, match="at most 10000 episodes per orientation"):
        record_demos(tmp_path / "many", angles=ANGLES, episodes=10_001)
    with pytest.raises(ValueError, match=r"policy: expected one of \('mlp', 'vn', 'diffusion', 'vn-diffusion'\)"):
        train_bc(demos, "transformer")
    with pytest.raises(ValueError, match=r"execute: at most horizon \(4\)"):
        train_bc(demos, "mlp", horizon=4, execute=5)
    with pytest.raises(ValueError, match="dtype=float32 or dtype=float64"):
        make_agent(f"bc:{path},dtype=float16", gym.make("EqPushT-v1", task="pusht"))
    with pytest.raises(ValueError, match="execute=N"):
        make_agent(f"bc:{path},execute=0", gym.make("EqPushT-v1", task="pusht"))
    with pytest.raises(ValueError, match=r"execute=9 is more than .* chunk of 8 actions"):
        make_agent(f"bc:{path},execute=9", gym.make("EqPushT-v1", task="pusht"))
    agent = make_agent(f"bc:{path},dtype=float64,execute=1", gym.make("EqPushT-v1", task="pusht"))
    assert agent.execute == 1 and agent.dtype == torch.float64 and load_policy(path)[1]["execute"] == 4
    with pytest.raises(ValueError, match="was trained on EqPushT-v1, not EqPushT3D-v1"):
        make_agent(f"bc:{path}", gym.make("EqPushT3D-v1"))
    with pytest.raises(ValueError, match="action_type 'absolute'"):
        make_agent(f"bc:{path}", gym.make("EqPushT-v1", task="pusht", action_type="absolute"))
    with pytest.raises(ValueError, match="does not exist"):
        load_policy(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a behaviour-cloning policy"):
        load_policy(tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"expected a \.pt file"):
        save_policy(policy, meta, tmp_path / "policy.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.pt", "mlp.pt.json", "other.pt"]


@pytest.mark.skipif(
    not (shutil.which("c++") or shutil.which("g++")), reason="torch.compile on a CPU needs a C++ compiler"
)
def test_compiled_training_follows_eager_training(demo_path):
    demos = load_demos(demo_path)
    small = dict(hidden=16, depth=2, horizon=4, execute=2, steps=2, epochs=2, seed=3)
    eager, eager_meta = train_bc(demos, "diffusion", **small)
    fused, fused_meta = train_bc(demos, "diffusion", compile_loss=True, **small)
    # the same draws and batches: the losses agree to rounding, the weights to rounding (not bit for bit)
    assert fused_meta["train"]["compile"] and not eager_meta["train"]["compile"]
    assert np.allclose(fused_meta["loss"], eager_meta["loss"], rtol=1e-4)
    for a, b in zip(eager.parameters(), fused.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-4)
