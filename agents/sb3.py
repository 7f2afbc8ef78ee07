"""Model-free agents: stable-baselines3 PPO or SAC on a split of orientations, in one command.

    python -m agents sb3 --algo ppo --task push --out runs/sb3/ppo_push.zip                  # plain, the slice
    python -m agents sb3 --algo ppo --task push --split full --out runs/sb3/ppo_aug.zip      # augmented
    python -m agents sb3 --algo ppo --task push --policy vn --out runs/sb3/ppo_vn.zip        # equivariant
    python -m agents sb3 --algo ppo --seeds 0 1 2 3 4 --workers 2 --out runs/sb3/ppo.zip  # ppo_s0.zip ... ppo_s4.zip

Training runs ``n_envs`` copies of ``SampleOrientation(gym.make(env, task=...), split=...)`` (a fresh
orientation every episode; each copy draws its own) in a ``DummyVecEnv`` (with one torch thread per process,
stepping copies in one process is as fast as subprocesses at these sizes), each wrapped in SB3's ``Monitor``.
Hyperparameters come from ``agents/sb3.yml`` (rl-baselines3-zoo's layout: per algorithm, per env and
task). ``EvalCallback`` evaluates the deterministic policy every ``eval_freq`` steps on slice
orientations and, separately, on the held-out ones (``eval_heldout/``), and logs their success rates (how
many samples a variant needs to close the gap); the logs (``progress.csv`` with SB3's standard keys, and
``evaluations.npz``) go to ``<out minus .zip>.logs/``. The model is saved atomically and is an eqbench
agent: ``eqbench --agent sb3:ppo:runs/sb3/ppo_push.zip``; its ``.zip.json`` sidecar records the env, kwargs,
split, policy, hyperparameters, seed and wall time.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import gymnasium as gym

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import SB3Config
from agents.workers import check_ray, files_of, run_jobs, scratch, write_files
from eqenvs.files import atomic_path, write_sidecar
from eqenvs.wrappers import SampleOrientation

__all__ = ["ALGORITHMS", "load_hyperparams", "train_sb3", "train_seeds"]

ALGORITHMS = ("ppo", "sac")
RESERVED = ("n_timesteps", "n_envs", "policy_kwargs", "vn_policy_kwargs")
"""Keys of the hyperparameter file that are not keyword arguments of the algorithm."""
EVAL_SEED_OFFSET = 10_000
"""The evaluation env's orientation draws and resets are seeded apart from the training envs'."""


def load_hyperparams(algo: str, env_id: str, task: str, path: str | Path | None = None) -> dict[str, Any]:
    """The hyperparameters of ``algo`` for ``<env name>/<task>`` (or the algorithm's ``default``)."""
    import yaml

    text = Path(path).read_text() if path is not None else resources.files("agents").joinpath("sb3.yml").read_text()
    where = str(path) if path is not None else "agents/sb3.yml"
    table = yaml.safe_load(text)
    if not isinstance(table, dict) or not isinstance(table.get(algo), dict):
        raise ValueError(f"hyperparams: {where} has no table for algorithm {algo!r}")
    name = gym.envs.registration.parse_env_id(env_id)[1]
    entry = table[algo].get(f"{name}/{task}", table[algo].get("default"))
    if not isinstance(entry, dict) or "n_timesteps" not in entry:
        raise ValueError(f"hyperparams: {where} has no {algo} entry for {name}/{task} and no default with n_timesteps")
    return dict(entry)


def _make_env(env_id: str, task: str, max_steps: int, split: str, seed: int) -> gym.Env:
    from stable_baselines3.common.monitor import Monitor

    env = gym.make(env_id, task=task, max_episode_steps=max_steps)
    return Monitor(SampleOrientation(env, split=split, seed=seed), info_keywords=("is_success",))


@functools.cache
def _prefixed_eval_class() -> type:
    from stable_baselines3.common.callbacks import EvalCallback

    class PrefixedEval(EvalCallback):
        """SB3's ``EvalCallback`` whose logged keys start with ``prefix`` instead of ``eval/``, so one run
        can log its success on the slice (``eval/``) and on the held-out orientations (``eval_heldout/``)."""

        def __init__(self, prefix: str, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.prefix = prefix

        def _on_step(self) -> bool:
            record = self.logger.record
            self.logger.record = lambda key, *a, **k: record(key.replace("eval/", self.prefix, 1), *a, **k)
            try:
                return super()._on_step()
            finally:
                del self.logger.record  # the logger's own method again

    return PrefixedEval


def _prefixed_eval(prefix: str, *args: Any, **kwargs: Any) -> Any:
    """A ``PrefixedEval`` callback (the class is built on first use: SB3 is imported lazily)."""
    return _prefixed_eval_class()(prefix, *args, **kwargs)


def _policy(config: SB3Config) -> Any:
    if config.policy == "mlp":
        return "MlpPolicy"
    from agents.rl import VNActorCriticPolicy, VNSACPolicy

    return VNActorCriticPolicy if config.algo == "ppo" else VNSACPolicy


def train_sb3(config: SB3Config) -> dict[str, Any]:
    """Train ``config.algo`` on ``config.split``; save the model atomically to ``config.out`` (.zip) with a
    sidecar, and the logs beside it. Returns the sidecar's metadata and the path."""
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import DummyVecEnv

    hyper = load_hyperparams(config.algo, config.env, config.task, config.hyperparams)
    steps = config.steps if config.steps is not None else int(hyper["n_timesteps"])
    n_envs = config.n_envs if config.n_envs is not None else int(hyper.get("n_envs", 1))
    kwargs = {key: value for key, value in hyper.items() if key not in RESERVED}
    if config.policy == "mlp":
        policy_kwargs = dict(hyper.get("policy_kwargs") or {})
    else:
        vn_kwargs = hyper.get("vn_policy_kwargs") or {}
        policy_kwargs = {"env_id": config.env, "env_kwargs": {"task": config.task}, **vn_kwargs}
    make = partial(_make_env, config.env, config.task, config.max_episode_steps)
    env = DummyVecEnv([partial(make, config.split, config.seed + rank) for rank in range(n_envs)])
    env.seed(config.seed)
    algo = PPO if config.algo == "ppo" else SAC
    model = algo(_policy(config), env, seed=config.seed, device="cpu", policy_kwargs=policy_kwargs, **kwargs)
    logs = config.out.with_suffix(".logs")
    logs.mkdir(parents=True, exist_ok=True)
    model.set_logger(configure(str(logs), ["csv"]))
    callbacks = []
    if config.eval_freq:
        for split, prefix in (("slice", "eval/"), ("heldout", "eval_heldout/")):
            eval_env = DummyVecEnv([partial(make, split, config.seed + EVAL_SEED_OFFSET)])
            eval_env.seed(config.seed + EVAL_SEED_OFFSET)
            callbacks.append(_prefixed_eval(prefix, eval_env, n_eval_episodes=config.eval_episodes, deterministic=True,
                                           log_path=str(logs if split == "slice" else logs / split), verbose=0,
                                           eval_freq=max(config.eval_freq // n_envs, 1)))  # fmt: skip
    started = time.perf_counter()
    model.learn(total_timesteps=steps, progress_bar=config.progress, callback=callbacks)
    seconds = time.perf_counter() - started
    with atomic_path(config.out) as tmp:
        model.save(tmp)
    meta = {"algo": config.algo, "policy": config.policy, "env_id": config.env, "env_kwargs": {"task": config.task},
            "split": config.split, "steps": steps, "n_envs": n_envs, "seed": config.seed,
            "max_episode_steps": config.max_episode_steps, "hyperparams": hyper, "seconds": seconds,
            "threads": config.threads, "logs": logs.name}  # fmt: skip
    write_sidecar(config.out, meta)
    return {**meta, "path": str(config.out), "logs": str(logs)}


def _train_job(config: SB3Config) -> dict[str, Any]:
    """A job (``agents.workers``): one seed trained in a private folder; the model, its sidecar and its logs
    come back as files for the folder of ``config.out``."""
    with scratch() as folder:
        result = train_sb3(replace(config, out=Path(folder) / config.out.name))
        files = files_of(folder)
    return {**result, "path": str(config.out), "logs": str(config.out.with_suffix(".logs")), "files": files}


def train_seeds(config: SB3Config, log: Any = print) -> list[dict[str, Any]]:
    """``train_sb3`` for every seed of ``config.seeds`` (or ``config.seed``), on ``config.workers`` processes
    or Ray; the models are the same wherever they train. ``log`` gets a line per finished model."""
    if not config.seeds and not config.parallel:
        result = train_sb3(config)
        log(_trained(result))
        return [result]
    check_ray(config.ray)
    seeds = config.seeds or (config.seed,)
    progress = config.progress and not config.parallel
    jobs = [(replace(config, seed=seed, seeds=(), out=out, workers=1, ray="", progress=progress),)
            for seed, out in zip(seeds, config.outputs, strict=True)]  # fmt: skip
    done: dict[int, dict[str, Any]] = {}

    def accept(i: int, result: dict[str, Any]) -> None:
        write_files(Path(result["path"]).parent, result.pop("files"))
        done[i] = result
        log(_trained(result))

    run_jobs(_train_job, jobs, accept, workers=config.workers, ray=config.ray, threads=config.threads)
    return [done[i] for i in sorted(done)]


def _trained(result: dict[str, Any]) -> str:
    return (f"trained {result['algo']} ({result['policy']} policy, seed {result['seed']}) for {result['steps']} "
            f"steps on the {result['split']} orientations in {result['seconds']:.0f} s; wrote {result['path']} "
            f"(logs: {result['logs']})")  # fmt: skip


# ------------------------------------------------------------------ learning curves
def learning_curves(model: str | Path) -> dict[str, Any]:
    """A trained model's evaluations from its logs: steps, slice success and held-out success (None where
    the run did not evaluate held out), with the sidecar's label fields."""
    import csv
    import json

    model = Path(model)
    rows = list(csv.DictReader((model.with_suffix(".logs") / "progress.csv").open()))
    meta_path = model.with_name(model.name + ".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    by_step: dict[int, dict[str, float]] = {}  # each evaluation callback logs its own row
    for row in rows:
        for key, name in (("eval/success_rate", "slice"), ("eval_heldout/success_rate", "heldout")):
            if row.get(key):
                by_step.setdefault(int(float(row["time/total_timesteps"])), {})[name] = float(row[key])
    steps = sorted(s for s, v in by_step.items() if "slice" in v)
    slice_success = [by_step[s]["slice"] for s in steps]
    heldout_success = [by_step[s].get("heldout") for s in steps]
    label = " ".join(str(meta.get(k, "?")) for k in ("algo", "policy", "split")) + f" s{meta.get('seed', '?')}"
    return {"model": str(model), "label": label, "steps": steps, "slice": slice_success, "heldout": heldout_success,
            "seconds": meta.get("seconds"), "total_steps": meta.get("steps")}  # fmt: skip


def _first_at(steps: list[int], values: list[float | None], threshold: float) -> str:
    hits = [s for s, v in zip(steps, values, strict=True) if v is not None and v >= threshold]
    if hits:
        return f"{hits[0]:,d}"
    return "n/a" if all(v is None for v in values) else "never"


def format_curves(curves: list[dict[str, Any]], threshold: float) -> str:
    """One line per run: training steps and minutes, final evaluations, and the first evaluation at or above
    ``threshold`` on the slice and held out (the samples a variant needs)."""
    header = (f"{'run':28s} {'steps':>9s} {'minutes':>7s} {'final slice':>11s} {'final held':>10s} "
              f"{f'steps to {threshold:.0%} slice':>20s} {f'steps to {threshold:.0%} held':>19s}")  # fmt: skip
    lines = [header, "-" * len(header)]
    for c in curves:
        final_held = c["heldout"][-1] if c["heldout"] and c["heldout"][-1] is not None else None
        minutes = f"{c['seconds'] / 60:.1f}" if c["seconds"] else "?"
        final_slice = f"{c['slice'][-1]:.2f}" if c["slice"] else "n/a"
        final_held = f"{final_held:.2f}" if final_held is not None else "n/a"
        to_slice, to_held = (_first_at(c["steps"], c[k], threshold) for k in ("slice", "heldout"))
        lines.append(f"{c['label'][:28]:28s} {c['total_steps'] or 0:>9,d} {minutes:>7s} {final_slice:>11s} "
                     f"{final_held:>10s} {to_slice:>20s} {to_held:>19s}")  # fmt: skip
    lines.append("success: deterministic policy, SB3 EvalCallback episodes at fresh slice / held-out orientations; "
                 "n/a: the run did not evaluate held out")  # fmt: skip
    return "\n".join(lines)


def plot_curves(curves: list[dict[str, Any]], out: str | Path) -> Path:
    """Success against training steps, slice (solid) and held out (dashed), one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, c in enumerate(curves):
        color = f"C{i % 10}"
        ax.plot(c["steps"], c["slice"], color=color, label=f"{c['label']} (slice)")
        held = [(s, v) for s, v in zip(c["steps"], c["heldout"], strict=True) if v is not None]
        if held:
            ax.plot(*zip(*held, strict=True), color=color, linestyle="--", label=f"{c['label']} (held out)")
    ax.set(xlabel="training steps", ylabel="success rate", ylim=(-0.02, 1.02), title="evaluation success")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return out
