"""Demonstrations as a Minari dataset: recorded from the contact planner (an oracle) at a split's orientations
(``record_demos``, ``python -m agents demos``), and read back for behaviour cloning (``load_demos``)."""

from __future__ import annotations

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

from agents.seeds import TRAINING_SEEDS  # demonstrations and DAgger start at or above it: never a scored start
from eqenvs.files import check_output_folder, json_safe

DATASET_NAMESPACE = "eqenvs"
"""Minari namespace of the demonstrations; ``demos_dataset_id`` adds the env id and the recording's settings."""
ENV_NAMES = ("EqPushT",)  # the env (any version) whose layout the policies read


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
    log: Any = None,
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
        if log is not None:
            ok = sum(e["success"] for e in result)
            log(f"orientation {math.degrees(angles[i]):7.3f} deg: {ok}/{len(result)} solved")

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
                dataset_id, buffers, env=env, author="eqenvs",
                algorithm_name="eqenvs.experts.contact.ContactPlanner (oracle)",
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


def run_demos(config: Any, log: Any = print) -> None:
    """``python -m agents demos``: record, write the dataset, and say where it is."""
    summary = record_demos(config.out, env_id=config.env, split=config.split, episodes=config.episodes,
                           noise=config.noise, seed=config.seed, max_steps=config.max_steps,
                           workers=config.workers, log=log)  # fmt: skip
    log(
        f"wrote {summary['path']}: {summary['kept']} solved episodes of {summary['recorded']} "
        f"({summary['steps']} steps) at {len(summary['angles_deg'])} orientations of {config.split!r}, "
        f"{summary['seconds']} s; Minari dataset {summary['dataset_id']} (MINARI_DATASETS_PATH={config.out})"
    )
