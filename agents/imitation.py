"""Demonstrations as a Minari dataset, and behaviour cloning on them: an MLP policy and its VN twin.

    python -m agents demos --out runs/demos      the contact planner's solved episodes on the slice (a Minari root)
    python -m agents bc --demos runs/demos --policy mlp --out runs/bc/mlp.pt    (the root's one dataset, or its folder)
    python -m agents bc --demos runs/demos --policy vn --out runs/bc/vn.pt
    eqbench --env-kwargs '{"task": "pusht"}' --agent bc:runs/bc/vn.pt,dtype=float64 --max-steps 300

**Why Minari.** It is Farama's dataset standard for Gymnasium environments (D4RL's successor), a small
pure-Python package over HDF5, and a dataset records its environment's spec (id and kwargs), so
``minari.load_dataset(id).recover_environment()`` rebuilds the env. LeRobot's format would need the
``lerobot`` package (torch models, video codecs, Hugging Face datasets) for a 12-number state.
``--out`` is a Minari datasets root: the dataset lands in ``<out>/<id>`` with an id that names the env
and the recording (``demos_dataset_id``), so ``MINARI_DATASETS_PATH=<out>`` makes ``minari.load_dataset(id)``
and ``minari show <id>`` work, and recordings with other settings sit beside it. Each episode keeps its
reset ``seed`` and ``options={"orientation": <rad>}``: ``env.reset(seed=seed, options=options)`` replays its
start exactly. Steps store the executed ``actions``: the expert's plus the recording noise, projected onto
the unit disk as the env projects every delta action, so they lie in the action space (the env is handed
the unprojected sum; the two execute the same step up to float rounding). ``infos`` hold T+1 entries as
Minari's ``DataCollector`` stores them, entry k describing ``observations[k]`` (the reset's first):
``expert_action`` (the expert's action at that observation, the label behaviour cloning learns: noise
during recording and clean labels is DART, which teaches the policy to recover from its own drift),
``coverage`` and ``is_success``.

**The policies.** Both read the 12-number state observation and predict a chunk of ``horizon`` delta
actions as a Gaussian mixture (``modes`` components), trained by negative log likelihood on the expert's
chunks; the agent acts with the first ``execute`` actions of the most probable component's chunk, then
predicts again (``MixturePolicy`` says why both parts are needed on this expert). ``mlp``: observations
standardised by the data's statistics, then an MLP. ``vn``: Vector-Neuron layers on the state's vectors
taken relative to the block, each joined by its quarter turn; the component means are VN output vectors,
the mixture weights and scales an MLP of inner products: ``policy(g.s) = g.policy(s)`` for every rotation
g, the choice of component included, so trained on the slice it acts the same at every orientation.
"""

from __future__ import annotations

import abc
import json
import math
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.seeds import TRAINING_SEEDS  # demonstrations and DAgger start at or above it: never a scored start
from eqenvs.files import check_output_folder, check_output_path, existing_file, json_safe, write_sidecar

__all__ = [
    "BCAgent",
    "Demos",
    "bc_policy",
    "dagger",
    "demos_dataset_id",
    "load_demos",
    "load_policy",
    "record_demos",
    "save_policy",
    "train_bc",
]

DATASET_NAMESPACE = "eqenvs"
"""Minari namespace of the demonstrations; ``demos_dataset_id`` adds the env id and the recording's settings."""
POLICY_FORMAT, POLICY_VERSION = "eqenvs-bc-policy", 1
ENV_NAMES = ("EqPushT",)  # the env (any version) whose layout the policies read


# --------------------------------------------------------------------------- recording
def _demo_job(env_id: str, env_kwargs: dict[str, Any], angle: float, seeds: list[int], noise: float,
              max_steps: int) -> list[dict[str, Any]]:  # fmt: skip
    """Episodes of the contact planner at one orientation (module level: worker processes import it)."""
    from eqenvs.experts.contact import ContactPlanner

    env = gym.make(env_id, max_episode_steps=max_steps, **env_kwargs)
    planner = ContactPlanner(env.unwrapped.obs_layout, env.unwrapped.scene.action_type)
    symmetry = env.unwrapped.symmetry
    episodes = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        obs, info = env.reset(seed=seed, options={"orientation": angle})
        planner.reset(seed)
        # infos, as Minari's DataCollector stores them: one per observation, the reset's first
        record: dict[str, list] = {"observations": [obs], "actions": [], "expert_action": [], "rewards": [],
                                   "terminations": [], "truncations": [], "coverage": [info["coverage"]],
                                   "is_success": [info["is_success"]]}  # fmt: skip
        done = False
        while not done:
            expert = planner.act(obs)
            action = expert if noise == 0 else (expert + noise * rng.standard_normal(2)).astype(np.float32)
            executed = symmetry.applied_action(obs, action)  # onto the unit disk, as the env projects it
            record["expert_action"].append(expert)
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            for key, value in (("observations", obs), ("actions", executed), ("rewards", reward),
                               ("terminations", terminated), ("truncations", truncated),
                               ("coverage", info["coverage"]), ("is_success", info["is_success"])):  # fmt: skip
                record[key].append(value)
        record["expert_action"].append(planner.act(obs))  # the expert at the last observation too: T+1 labels
        record.update(seed=seed, angle=angle, success=bool(info["is_success"]))
        episodes.append(record)
    env.close()
    return episodes


def record_demos(
    out: str | Path,
    *,
    env_id: str = "EqPushT-v1",
    split: str = "slice",
    angles: list[float] | None = None,
    episodes: int = 16,
    noise: float = 0.1,
    seed: int = 0,
    max_steps: int = 300,
    workers: int = 1,
    progress: bool = False,
) -> dict[str, Any]:
    """Record the contact planner at every orientation of ``split`` (or at ``angles``, radians), ``episodes``
    starts each, its actions perturbed by ``noise``, and write the solved episodes as a Minari dataset under
    the datasets root ``out``: ``<out>/<demos_dataset_id(...)>``, which must not exist (it is built in a hidden
    folder of ``out`` and moved into place whole; other datasets of the root are left alone)."""
    import minari
    from minari.data_collector import EpisodeBuffer

    from agents.workers import run_jobs
    from eqenvs.splits import orientations as split_orientations

    out = check_output_folder(out, "out")
    if episodes < 1 or max_steps < 1 or workers < 1:
        raise ValueError(f"episodes, max_steps, workers: must be >= 1, got {episodes}, {max_steps}, {workers}")
    if episodes > 10_000 or seed < 0:
        raise ValueError(f"episodes, seed: expected at most 10000 episodes per orientation and seed >= 0, got "
                         f"{episodes}, {seed}")  # fmt: skip
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise: must be finite and >= 0, got {noise}")
    env_kwargs = {"task": "pusht"}
    if angles is None:
        angles, where = [float(g.angle) for g in split_orientations(env_id, split)], f"{split!r} orientations"
    elif not angles or not all(math.isfinite(a) for a in angles):
        raise ValueError(f"angles: expected finite radians, got {angles!r}")
    else:
        angles, where, split = [float(a) for a in angles], "orientations", None
    if len(angles) > 50:
        raise ValueError(f"angles: at most 50 orientations, got {len(angles)}")
    dataset_id = demos_dataset_id(env_id, split, angles, episodes, noise, seed, max_steps)
    target = out.joinpath(*dataset_id.split("/"))
    if target.exists():
        raise ValueError(f"out: {str(target)!r} exists (dataset {dataset_id}); use another --out (a dataset is "
                         "never overwritten)")  # fmt: skip
    first = TRAINING_SEEDS + 1_000_000 * seed  # DAgger's starts are 500_000 above
    jobs = [(env_id, env_kwargs, angle, [first + 10_000 * i + k for k in range(episodes)], noise, max_steps)
            for i, angle in enumerate(angles)]  # fmt: skip
    results: dict[int, list[dict[str, Any]]] = {}
    started = time.perf_counter()

    def on_result(i: int, result: list[dict[str, Any]]) -> None:
        results[i] = result
        if progress:
            ok = sum(e["success"] for e in result)
            print(f"orientation {math.degrees(angles[i]):7.3f} deg: {ok}/{len(result)} solved", flush=True)

    run_jobs(_demo_job, jobs, on_result, workers=workers)
    recorded = [e for i in range(len(jobs)) for e in results[i]]
    kept = [e for e in recorded if e["success"]]
    if not kept:
        raise ValueError("no successful episode to save: the dataset would be empty")
    buffers = []
    for k, e in enumerate(kept):
        buffers.append(EpisodeBuffer(
            id=k, seed=e["seed"], options={"orientation": e["angle"]},
            observations=np.asarray(e["observations"], np.float64), actions=np.asarray(e["actions"], np.float32),
            rewards=np.asarray(e["rewards"], np.float64), terminations=np.asarray(e["terminations"], bool),
            truncations=np.asarray(e["truncations"], bool),
            infos={"expert_action": np.asarray(e["expert_action"], np.float32),
                   "coverage": np.asarray(e["coverage"], np.float64), "is_success": np.asarray(e["is_success"])},
        ))  # fmt: skip
    env = gym.make(env_id, max_episode_steps=max_steps, **env_kwargs)
    made = [f for f in (out, *out.parents) if not f.exists()]  # removed again if nothing lands in them
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=".demos-", dir=out)).resolve()  # hidden: minari's listing skips it
    previous = os.environ.get("MINARI_DATASETS_PATH")
    try:
        os.environ["MINARI_DATASETS_PATH"] = str(root)
        with warnings.catch_warnings():  # minari asks for an author email and a code link, says eval_env = env
            pattern = ".*(author_email|eval_env|code_permalink).*"
            warnings.filterwarnings("ignore", message=pattern, category=UserWarning)
            minari.create_dataset_from_buffers(
                dataset_id, buffers, env=env, algorithm_name="eqenvs.contact.ContactPlanner", author="eqenvs",
                description=(f"gym-pusht's PushT ({env_id}, task='pusht') solved by the contact planner at the "
                         f"{where} {[round(math.degrees(a), 3) for a in angles]} deg, {episodes} starts each; "
                         f"actions: the executed expert + N(0, {noise}^2) noise, projected onto the unit disk as "
                         "the env projects it; infos (T+1, entry k describing observation k, the reset's first): "
                         "expert_action (the expert's clean action there: the labels), coverage, is_success; "
                         "episodes keep their reset seed and options={'orientation': rad}; only successful "
                         "episodes (coverage > 0.95) are kept"),
            requirements=["eqenvs", "gym-pusht==0.1.8"],
            )  # fmt: skip
        summary = {"dataset_id": dataset_id, "path": str(target), "root": str(out), "env_id": env_id,
                   "env_kwargs": env_kwargs, "split": split,
                   "angles_deg": [math.degrees(a) for a in angles], "episodes_per_orientation": episodes,
                   "noise": noise, "seed": seed, "max_steps": max_steps, "recorded": len(recorded),
                   "kept": len(kept), "success_rate": len(kept) / len(recorded),
                   "steps": int(sum(len(e["actions"]) for e in kept)),
                   "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
        built = root.joinpath(*dataset_id.split("/"))
        (built / "eqenvs.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n")
        _move_dataset(root, dataset_id, out)
    finally:
        if previous is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous
        shutil.rmtree(root, ignore_errors=True)
        for folder in made:  # innermost first: the folders this call created, if they stayed empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        env.close()
    return summary


def demos_dataset_id(env_id: str, split: str | None, angles: list[float], episodes: int, noise: float, seed: int,
                     max_steps: int) -> str:  # fmt: skip
    """The Minari id of a recording: ``eqenvs/<env id>/pusht-contact-<split>-<n>starts-<T>steps-noise<s>-seed<k>-v0``
    (``angles<hash>`` for explicit angles; ``.`` written ``p``, as Minari ids allow no dots), so recordings
    with other settings never share an id."""
    import hashlib

    if split is None:
        split = "angles" + hashlib.sha256(json.dumps([round(a, 12) for a in angles]).encode()).hexdigest()[:8]

    def slug(x: float) -> str:
        return f"{x:g}".replace(".", "p").replace("+", "").replace("-", "m")

    name = f"pusht-contact-{split}-{episodes}starts-{max_steps}steps-noise{slug(noise)}-seed{seed}"
    return f"{DATASET_NAMESPACE}/{env_id}/{name}-v0"


def _move_dataset(root: Path, dataset_id: str, out: Path) -> None:
    """Move the dataset ``dataset_id`` that minari built under ``root`` into the datasets root ``out``, with the
    namespaces' metadata files minari writes (kept where ``out`` has them already)."""
    namespace = dataset_id.rsplit("/", 1)[0].split("/")
    for depth in range(1, len(namespace) + 1):
        level = Path(*namespace[:depth])
        (out / level).mkdir(exist_ok=True)
        metadata = out / level / "namespace_metadata.json"
        if not metadata.exists() and (root / level / metadata.name).is_file():
            shutil.copyfile(root / level / metadata.name, metadata)
    target = out.joinpath(*dataset_id.split("/"))
    if target.exists():  # written meanwhile by another process
        raise ValueError(f"out: {str(target)!r} exists (dataset {dataset_id}); use another --out")
    os.replace(root.joinpath(*dataset_id.split("/")), target)


# --------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class Demos:
    """The steps of a demonstration dataset: observations, the expert's actions, and where each came from."""

    obs: np.ndarray  # (N, 12) float64
    actions: np.ndarray  # (N, 2) float32: the labels (expert_action if recorded, else the executed action)
    episode: np.ndarray  # (N,) episode index
    angle: np.ndarray  # (N,) orientation of the step's episode, rad
    env_id: str
    env_kwargs: dict[str, Any]
    path: str

    def __len__(self) -> int:
        return len(self.obs)

    def chunks(self, horizon: int) -> np.ndarray:
        """(N, horizon, d): each step's label and the next ``horizon - 1`` of its episode (zeros past its end:
        the episode ended solved, and holding still keeps it so)."""
        n = len(self.actions)
        out = np.zeros((n, horizon, self.actions.shape[1]), np.float32)
        for h in range(horizon):
            later = np.arange(n) + h
            valid = later < n
            valid[valid] = self.episode[later[valid]] == self.episode[valid]
            out[valid, h] = self.actions[later[valid]]
        return out


def _datasets_under(root: Path, depth: int = 6) -> list[Path]:
    """The Minari dataset folders (each holding data/metadata.json) under ``root``, hidden folders skipped."""
    if (root / "data" / "metadata.json").is_file():
        return [root]
    if depth == 0:
        return []
    children = sorted(c for c in root.iterdir() if c.is_dir() and not c.name.startswith("."))
    return [found for child in children for found in _datasets_under(child, depth - 1)]


def load_demos(path: str | Path) -> Demos:
    """Read a demonstration dataset: a Minari dataset folder (``<root>/<id>``, or its ``data/``), or a Minari
    datasets root holding one dataset (``python -m agents demos --out``), of EqPushT's state observations, with
    one clear ValueError for each way it can be wrong. Labels are ``infos["expert_action"]`` (else the actions):
    one per observation (T+1, Minari's layout; the last, at the final observation, is not used) or, in
    datasets recorded before that layout, one per action."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"demos: {str(path)!r} does not exist (expected a Minari dataset or datasets root from "
                         "`python -m agents demos`)")  # fmt: skip
    data = path / "data" if (path / "data").is_dir() else path
    if not (data / "metadata.json").is_file() and path.is_dir():
        found = _datasets_under(path)
        if len(found) > 1:
            ids = [str(f.relative_to(path)) for f in found]
            raise ValueError(f"demos: {str(path)!r} is a Minari datasets root holding {len(found)} datasets {ids}; "
                             f"give one's folder, e.g. {str(found[0])!r}")  # fmt: skip
        data = found[0] / "data" if found else data
    for name in ("metadata.json", "main_data.hdf5"):
        if not (data / name).is_file():
            raise ValueError(f"demos: {str(path)!r} is not a Minari dataset: {name} is missing from {str(data)!r}")
    from minari import MinariDataset

    try:
        dataset = MinariDataset(data)
    except Exception as err:  # minari raises KeyError/ValueError/OSError for damaged metadata or HDF5
        raise ValueError(f"demos: {str(path)!r} is not a readable Minari dataset ({type(err).__name__}: {err})"
                         ) from None  # fmt: skip
    if dataset.total_episodes == 0:
        raise ValueError(f"demos: {str(path)!r} holds no episodes")
    spec = dataset.env_spec
    if spec is None or gym.envs.registration.parse_env_id(spec.id)[1] not in ENV_NAMES:
        raise ValueError(f"demos: {str(path)!r} was recorded on {getattr(spec, 'id', None)}, not EqPushT-v1: "
                         "the policies read EqPushT's state layout")  # fmt: skip
    env = gym.make(spec.id, **spec.kwargs)
    want_obs, want_act = env.observation_space, env.action_space
    env.close()
    if getattr(dataset.observation_space, "shape", None) != want_obs.shape:
        raise ValueError(f"demos: {str(path)!r} has observations {dataset.observation_space}, expected "
                         f"{spec.id}'s state observation {want_obs}")  # fmt: skip
    if getattr(dataset.action_space, "shape", None) != want_act.shape:
        raise ValueError(f"demos: {str(path)!r} has actions {dataset.action_space}, expected {want_act}")
    metadata = dataset.storage.get_episode_metadata(range(dataset.total_episodes))
    obs, actions, episode, angle = [], [], [], []
    for k, (ep, meta) in enumerate(zip(dataset.iterate_episodes(), metadata, strict=True)):
        o, a = np.asarray(ep.observations, np.float64), np.asarray(ep.actions, np.float32)
        labels = np.asarray(ep.infos.get("expert_action", a), np.float32)
        if len(labels) == len(a) + 1:  # one per observation (Minari's layout): the last one labels no step
            labels = labels[:-1]
        if o.ndim != 2 or len(o) != len(a) + 1 or labels.shape != a.shape:
            raise ValueError(f"demos: {str(path)!r} episode {k} has {o.shape} observations for {a.shape} actions "
                             f"and {labels.shape} labels (expected T+1 observations for T actions)")  # fmt: skip
        obs.append(o[:-1])
        actions.append(labels)
        episode.append(np.full(len(a), k))
        angle.append(np.full(len(a), float((meta.get("options") or {}).get("orientation", 0.0))))
    return Demos(np.concatenate(obs), np.concatenate(actions), np.concatenate(episode), np.concatenate(angle),
                 spec.id, dict(spec.kwargs), str(path))  # fmt: skip


# --------------------------------------------------------------------------- policies
LOG_STD_MIN, LOG_STD_MAX = -6.0, 1.0


class MixturePolicy(nn.Module, abc.ABC):
    """A Gaussian mixture over chunks of ``horizon`` actions (``modes`` components, each isotropic): trained
    by its negative log likelihood, acting with the mean chunk of its most probable component.

    A mean-squared-error policy of one action averages the expert's options where it has several (which
    side of the block to push from next) into a crawl, and re-choosing every step dithers between them; a
    mixture keeps the options apart and a chunk commits to one for several steps (the action chunks of
    ACT and Diffusion Policy; the mixture is the LSTM-GMM baseline's head)."""

    horizon: int

    @abc.abstractmethod
    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Means (..., K, H, d), mixture logits (..., K) and log standard deviations (..., K)."""

    def nll(self, obs: torch.Tensor, chunk: torch.Tensor) -> torch.Tensor:
        """Mean negative log likelihood of the action chunks ``chunk`` (..., H, d)."""
        means, logits, log_std = self.mixture(obs)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        d = chunk.shape[-1] * chunk.shape[-2]
        sq = ((chunk[..., None, :, :] - means) ** 2).sum((-1, -2))
        log_normal = -0.5 * sq * torch.exp(-2 * log_std) - d * log_std - 0.5 * d * math.log(2 * math.pi)
        return -torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1).mean()

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The most probable component's mean chunk, (..., H, d)."""
        means, logits, _ = self.mixture(obs)
        best = logits.argmax(-1)[..., None, None, None].expand(*means.shape[:-3], 1, *means.shape[-2:])
        return means.gather(-3, best)[..., 0, :, :]


class MLPPolicy(MixturePolicy):
    """Standardised observation -> MLP -> mixture (not equivariant)."""

    def __init__(self, obs_dim: int, action_dim: int, hidden: int, depth: int, modes: int, horizon: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("std", torch.ones(obs_dim))
        layers: list[nn.Module] = []
        width = obs_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        self.trunk = nn.Sequential(*layers)
        self.modes, self.action_dim, self.horizon = modes, action_dim, horizon
        self.head = nn.Linear(width, modes * (horizon * action_dim + 2))

    def fit_scaling(self, obs: torch.Tensor) -> None:
        self.mean.copy_(obs.mean(0))
        self.std.copy_(obs.std(0).clamp_min(1e-6))

    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.head(self.trunk((obs - self.mean) / self.std))
        k, d = self.modes, self.horizon * self.action_dim
        means = out[..., : k * d].unflatten(-1, (k, self.horizon, self.action_dim))
        return means, out[..., k * d : k * d + k], out[..., k * d + k :]


class VNPolicy(MixturePolicy):
    """The state's vectors relative to the block -> Vector-Neuron layers: the component means are VN output
    vectors (equivariant), the logits and scales an MLP of the Gram matrix of a few more (invariant), so
    ``policy(g.s) = g.policy(s)`` exactly, the choice of component included."""

    INVARIANTS = 4

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], hidden: int, depth: int, modes: int, horizon: int):
        super().__init__()
        from agents.nn.vn import VNMLP
        from agents.rl import REFERENCE, env_symmetry
        from agents.world_models.models import ObsChannels

        self.channels = ObsChannels(env_symmetry(env_id, env_kwargs), REFERENCE)
        if self.channels.dim != 2:
            raise ValueError("policy: the VN behaviour-cloning policy is built for planar (2D) observations")
        self.modes, self.horizon, k = modes, horizon, self.INVARIANTS
        self.vn = VNMLP(2 * self.channels.channels, hidden, modes * horizon + k, depth)
        self.head = nn.Sequential(nn.Linear(k * k, hidden), nn.SiLU(), nn.Linear(hidden, 2 * modes))

    def fit_scaling(self, obs: torch.Tensor) -> None:
        del obs  # invariant inputs need no statistics (a per-axis scaling would break equivariance)

    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from agents.nn.vn import quarter_turns

        vectors = self.vn(quarter_turns(self.channels(obs)))  # (..., K H + k, 2)
        split = self.modes * self.horizon
        means, extra = vectors[..., :split, :].unflatten(-2, (self.modes, self.horizon)), vectors[..., split:, :]
        out = self.head((extra @ extra.transpose(-1, -2)).flatten(-2))  # inner products: invariant
        return means, out[..., : self.modes], out[..., self.modes :]


def bc_policy(kind: str, env_id: str, env_kwargs: dict[str, Any], hidden: int, depth: int, modes: int = 1,
              horizon: int = 1) -> MixturePolicy:  # fmt: skip
    if modes < 1 or horizon < 1:
        raise ValueError(f"modes, horizon: must be >= 1, got {modes}, {horizon}")
    if kind == "mlp":
        env = gym.make(env_id, **env_kwargs)
        obs_dim, action_dim = env.observation_space.shape[0], env.action_space.shape[0]
        env.close()
        return MLPPolicy(obs_dim, action_dim, hidden, depth, modes, horizon)
    if kind == "vn":
        return VNPolicy(env_id, env_kwargs, hidden, depth, modes, horizon)
    raise ValueError(f"policy: expected 'mlp' or 'vn', got {kind!r}")


def _augmentation_arc(demos: Demos, augment: str) -> tuple[float, float] | None:
    """The (start, length) of the split ``augment``'s arc, checked to hold every demonstration's orientation."""
    if not augment:
        return None
    from eqenvs.splits import get_split

    split = get_split(demos.env_id, augment)
    if not hasattr(split, "start") or split.group.dim != 2:
        raise ValueError(f"augment: {augment!r} is not an arc of planar orientations")
    outside = sorted({a for a in demos.angle.tolist() if not split.contains(a)})
    if outside:
        raise ValueError(f"augment: the demonstrations hold orientations outside {augment!r}: "
                         f"{[round(math.degrees(a), 3) for a in outside]} deg")  # fmt: skip
    return split.start, split.length


def _turn(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate every 2-vector of each row of ``x`` (..., 2k) or (..., k, 2) by that row's ``angle`` about the
    origin: frame mode's action on EqPushT's state (points about the arena centre, and vectors) and on
    delta actions (``tests/test_imitation.py`` checks it against ``Symmetry.act_obs``)."""
    c, s = torch.cos(angle), torch.sin(angle)
    shape = x.shape
    v = x.reshape(len(x), -1, 2)
    c, s = c[:, None], s[:, None]
    turned = torch.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], dim=-1)
    return turned.reshape(shape)


def train_bc(demos: Demos, kind: str, *, hidden: int = 128, depth: int = 3, modes: int = 5, horizon: int = 8,
             execute: int = 4, epochs: int = 60, batch_size: int = 256, lr: float = 1e-3, seed: int = 0,
             extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, augment: str = "",
             progress: bool = False
             ) -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """Fit a policy to the demonstrations' action chunks (each step's label and the next ``horizon - 1``) by
    the mixture's negative log likelihood (Adam, cosine-decayed step size). The agent acts with the first
    ``execute`` actions of a chunk, then predicts the next. ``extra``: more (observations, chunks,
    orientations) triples (DAgger's labels), trained on with the demonstrations. ``augment``: a split name
    (e.g. "slice"): every sample of every batch is turned, with its chunk, to an orientation drawn
    uniformly from that split's arc (frame mode's group action, so a turned sample is a true sample of the
    env at the new orientation); the policy still sees no orientation outside the split."""
    if min(hidden, depth, modes, horizon, execute, epochs, batch_size) < 1 or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"hidden, depth, modes, horizon, execute, epochs, batch_size must be >= 1 and lr > 0; got "
                         f"{hidden}, {depth}, {modes}, {horizon}, {execute}, {epochs}, {batch_size}, {lr}")  # fmt: skip
    if execute > horizon:
        raise ValueError(f"execute: at most horizon ({horizon}) actions of a chunk can be executed, got {execute}")
    torch.manual_seed(seed)
    policy = bc_policy(kind, demos.env_id, demos.env_kwargs, hidden, depth, modes, horizon)
    obs, target = torch.as_tensor(demos.obs, dtype=torch.float32), torch.as_tensor(demos.chunks(horizon))
    angle = torch.as_tensor(demos.angle, dtype=torch.float32)
    if extra is not None:
        obs = torch.cat([obs, torch.as_tensor(extra[0], dtype=torch.float32)])
        target = torch.cat([target, torch.as_tensor(extra[1][:, :horizon], dtype=torch.float32)])
        angle = torch.cat([angle, torch.as_tensor(extra[2], dtype=torch.float32)])
    arc = _augmentation_arc(demos, augment)
    policy.fit_scaling(obs)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    batches = math.ceil(len(obs) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * batches)
    generator = torch.Generator().manual_seed(seed)
    history, started = [], time.perf_counter()
    for epoch in range(epochs):
        order, total = torch.randperm(len(obs), generator=generator), 0.0
        for b in range(batches):
            idx = order[b * batch_size : (b + 1) * batch_size]
            batch_obs, batch_target = obs[idx], target[idx]
            if arc is not None:
                start, length = arc
                turn = start + length * torch.rand(len(idx), generator=generator) - angle[idx]
                batch_obs, batch_target = _turn(batch_obs, turn), _turn(batch_target, turn)
            loss = policy.nll(batch_obs, batch_target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        history.append(total / len(obs))
        if progress and (epoch % 10 == 9 or epoch == epochs - 1):
            print(f"epoch {epoch + 1}/{epochs}: negative log likelihood {history[-1]:.4f}", flush=True)
    with torch.no_grad():
        mse = float(((policy(obs)[:, 0] - target[:, 0]) ** 2).sum(-1).mean())  # the next action's
    meta = {"policy": kind, "hyper": {"hidden": hidden, "depth": depth, "modes": modes, "horizon": horizon},
            "execute": execute, "env_id": demos.env_id, "extra_labels": 0 if extra is None else len(extra[0]),
            "env_kwargs": demos.env_kwargs, "demos": demos.path, "steps": len(demos),
            "episodes": int(demos.episode.max()) + 1,
            "angles_deg": sorted({round(math.degrees(a), 6) for a in demos.angle.tolist()}),
            "train": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "augment": augment},
            "loss": history, "action_mse": mse, "seconds": round(time.perf_counter() - started, 1),
            "parameter_count": sum(p.numel() for p in policy.parameters())}  # fmt: skip
    return policy.eval(), meta


# --------------------------------------------------------------------------- DAgger
class _Labeller:
    """The contact planner's next ``horizon`` actions from any state of the canonical (identity) scene: a fresh
    planner on a fresh copy of the state (pusher velocity included), run forward in the simulator."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], horizon: int):
        from eqenvs.experts.contact import ContactPlanner

        self.env = gym.make(env_id, max_episode_steps=None, **env_kwargs)
        self.planner = ContactPlanner(self.env.unwrapped.obs_layout, self.env.unwrapped.scene.action_type)
        self.horizon = horizon

    def chunk(self, state: np.ndarray, velocity: tuple[float, float]) -> np.ndarray | None:
        """None for a state the env cannot be reset to (a block pressed into a wall past its origin)."""
        env, scene = self.env, self.env.unwrapped.scene
        try:
            env.reset(options={"state": state})
        except ValueError:
            return None
        scene._sim.agent.velocity = velocity
        obs = scene._get_obs()
        self.planner.reset()
        actions = np.zeros((self.horizon, 2))
        for h in range(self.horizon):
            actions[h] = self.planner.act(obs)
            obs, _, terminated, _, _ = env.step(actions[h])
            if terminated:  # solved: hold still, as the demonstrations' chunks do past an episode's end
                break
        return actions


def _dagger_job(policy_path: str, env_id: str, env_kwargs: dict[str, Any], angle: float, seeds: list[int],
                max_steps: int) -> dict[str, Any]:  # fmt: skip
    """Roll the current policy out at one orientation; label every state it predicts a chunk at with the
    expert's chunk (computed in the canonical scene, then seen from the orientation)."""
    policy, meta = load_policy(policy_path)
    agent = BCAgent(policy, meta)
    labeller = _Labeller(env_id, env_kwargs, policy.horizon)
    env = gym.make(env_id, max_episode_steps=max_steps, **env_kwargs)
    symmetry, g = env.unwrapped.symmetry, env.unwrapped.symmetry.element(angle)
    observations, chunks, solved = [], [], 0
    for seed in seeds:
        obs, _ = env.reset(seed=seed, options={"orientation": angle})
        agent.reset()
        for t in range(max_steps):
            if t % agent.execute == 0:  # where the policy predicts a chunk
                scene = env.unwrapped.scene
                expert = labeller.chunk(scene.get_state(), tuple(scene._sim.agent.velocity))
                if expert is not None:
                    observations.append(obs)
                    chunks.append(np.stack([symmetry.act_action(g, a) for a in expert]))
            obs, _, terminated, truncated, info = env.step(agent.act(obs))
            if terminated or truncated:
                break
        solved += bool(info["is_success"])
    return {"obs": np.array(observations), "chunks": np.array(chunks, np.float32), "solved": solved,
            "episodes": len(seeds)}  # fmt: skip


def dagger(demos: Demos, kind: str, *, rounds: int, episodes: int, seed: int = 0, max_steps: int = 300,
           workers: int = 1, progress: bool = False, **train: Any) -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """DAgger: train on the demonstrations, then ``rounds`` times roll the policy out (``episodes`` starts at
    each orientation of the demonstrations), have the expert label the states it reached, and retrain on
    everything. The rollouts use the demonstrations' orientations only, so the policy never sees another."""
    from agents.workers import run_jobs

    if rounds < 0 or episodes < 1:
        raise ValueError(f"rounds, episodes: expected >= 0 and >= 1, got {rounds}, {episodes}")
    angles = sorted(set(demos.angle.tolist()))
    if episodes > 1000 or rounds * len(angles) > 500 or seed < 0:
        raise ValueError(f"episodes, rounds, seed: expected at most 1000 episodes, 500 rounds x orientations and "
                         f"seed >= 0, got {episodes}, {rounds} x {len(angles)}, {seed}")  # fmt: skip
    first = TRAINING_SEEDS + 1_000_000 * seed + 500_000  # above the demonstrations' starts
    extra_obs, extra_chunks, extra_angles, history = [], [], [], []
    policy, meta = train_bc(demos, kind, seed=seed, progress=progress, **train)
    for r in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            path = save_policy(policy, meta, Path(folder) / "policy.pt")
            jobs = [(str(path), demos.env_id, demos.env_kwargs, angle,
                     [first + 1000 * (r * len(angles) + i) + k for k in range(episodes)], max_steps)
                    for i, angle in enumerate(angles)]  # fmt: skip
            results: dict[int, dict[str, Any]] = {}
            run_jobs(_dagger_job, jobs, results.__setitem__, workers=workers)
        solved = sum(results[i]["solved"] for i in results) / sum(results[i]["episodes"] for i in results)
        extra_obs += [results[i]["obs"] for i in sorted(results)]
        extra_chunks += [results[i]["chunks"] for i in sorted(results)]
        extra_angles += [np.full(len(results[i]["obs"]), angles[i]) for i in sorted(results)]
        history.append({"round": r + 1, "rollout_success": solved, "labels": int(sum(len(o) for o in extra_obs))})
        if progress:
            print(f"DAgger round {r + 1}/{rounds}: the policy solved {solved:.2f} of its rollouts on the slice; "
                  f"{history[-1]['labels']} expert-labelled states in all; retraining", flush=True)  # fmt: skip
        extra = (np.concatenate(extra_obs), np.concatenate(extra_chunks), np.concatenate(extra_angles))
        policy, meta = train_bc(demos, kind, seed=seed, progress=progress, extra=extra, **train)
    meta["dagger"] = {"rounds": rounds, "episodes_per_orientation": episodes, "history": history}
    return policy, meta


def save_policy(policy: nn.Module, meta: dict[str, Any], path: str | Path) -> Path:
    """Write the policy (.pt: state dict + JSON metadata) atomically, and its readable sidecar .pt.json."""
    from agents.train import write_weights

    path = check_output_path(path, ".pt", "out")
    write_weights(path, POLICY_FORMAT, POLICY_VERSION, meta, policy.state_dict())
    write_sidecar(path, {k: v for k, v in meta.items() if k != "loss"} | {"final_loss": meta["loss"][-1]})
    return path


def load_policy(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a policy written by ``save_policy`` (weights only: no pickle)."""
    from agents.train import read_weights

    path = existing_file(path, "policy", "a .pt behaviour-cloning policy from `python -m agents bc`")
    what = "a behaviour-cloning policy (written by `python -m agents bc`)"
    payload, meta = read_weights(path, "policy", POLICY_FORMAT, POLICY_VERSION, what)
    try:
        policy = bc_policy(meta["policy"], meta["env_id"], meta["env_kwargs"], **meta["hyper"])
        if not 1 <= int(meta["execute"]) <= policy.horizon:
            raise ValueError(f"execute {meta['execute']} is not in [1, {policy.horizon}]")
        policy.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"policy: {path} holds a policy that cannot be rebuilt ({err!r})") from None
    return policy.eval(), meta


class BCAgent:
    """A behaviour-cloning policy as a benchmark agent: deterministic and batched; it predicts a chunk of
    actions, acts with the first ``meta["execute"]`` of them, then predicts again (``reset`` starts afresh)."""

    def __init__(self, policy: nn.Module, meta: dict[str, Any], label: str = "bc", dtype: torch.dtype = torch.float32):
        self.policy, self.meta, self.label, self.dtype = policy.to(dtype), meta, label, dtype
        self.execute = int(meta.get("execute", 1))
        self._queue: np.ndarray | None = None  # (B, steps left, d)

    @classmethod
    def load(cls, spec: str, env: gym.Env, label: str) -> BCAgent:
        path, _, option = spec.partition(",")
        dtype = torch.float32
        if option:
            key, _, value = option.partition("=")
            if key != "dtype" or value not in ("float32", "float64"):
                raise ValueError(f"agent: a bc spec takes one option, dtype=float32 or dtype=float64; got {option!r}")
            dtype = getattr(torch, value)
        policy, meta = load_policy(path)
        unwrapped = env.unwrapped
        env_id = unwrapped.spec.id if unwrapped.spec is not None else type(unwrapped).__name__
        if gym.envs.registration.parse_env_id(env_id)[1] != gym.envs.registration.parse_env_id(meta["env_id"])[1]:
            raise ValueError(f"agent: {path} was trained on {meta['env_id']}, not {env_id}")
        if env.observation_space.shape != (12,) or getattr(unwrapped.scene, "action_type", None) != "delta":
            raise ValueError(f"agent: {path} reads EqPushT's 12-number state and acts in delta actions; this env "
                             f"has observations {env.observation_space} and action_type "
                             f"{getattr(unwrapped.scene, 'action_type', None)!r}")  # fmt: skip
        return cls(policy, meta, label, dtype)

    def reset(self, seed: int | None = None) -> None:
        del seed  # deterministic
        self._queue = None

    def act(self, obs: Any) -> np.ndarray:
        return self.act_batch(np.asarray(obs, np.float64)[None])[0]

    @torch.no_grad()
    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        if self._queue is None or self._queue.shape[1] == 0 or len(self._queue) != len(obs):
            chunk = self.policy(torch.as_tensor(obs, dtype=self.dtype)).double().numpy()
            self._queue = chunk[:, : self.execute]
        action, self._queue = self._queue[:, 0], self._queue[:, 1:]
        return action
