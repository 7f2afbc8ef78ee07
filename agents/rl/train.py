"""Model-free agents: stable-baselines3 PPO or SAC on a split of orientations, in one command.

    python -m agents sb3 --algo ppo --task push --out runs/sb3/ppo_push.zip                  # plain, the slice
    python -m agents sb3 --algo ppo --task push --split full --out runs/sb3/ppo_aug.zip      # augmented
    python -m agents sb3 --algo ppo --task push --policy vn --out runs/sb3/ppo_vn.zip        # equivariant
    python -m agents sb3 --algo ppo --seeds 0 1 2 3 4 --workers 2 --out runs/sb3/ppo.zip  # ppo_s0.zip ... ppo_s4.zip

Training runs ``n_envs`` copies of ``SampleOrientation(gym.make(env, task=...), split=...)`` (a fresh
orientation every episode; each copy draws its own) in a ``DummyVecEnv`` (with one torch thread per process,
stepping copies in one process is as fast as subprocesses at these sizes), each wrapped in SB3's ``Monitor``.
Hyperparameters come from ``agents/hyperparams/<algo>.yml``, in rl-baselines3-zoo's format (top-level keys
are env ids), so ``python -m rl_zoo3.train --algo ppo --env EqPushT-v1 --gym-packages eqenvs -conf
agents/hyperparams/ppo.yml`` reads the same file (``load_hyperparams`` says which keys each reads).
``EvalCallback`` evaluates the deterministic policy every ``eval_freq`` steps on slice orientations and,
separately, on the held-out ones (``eval_heldout/``), and logs their success rates (how many samples a
variant needs to close the gap); the logs (``progress.csv`` with SB3's standard keys, and
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

__all__ = ["ALGORITHMS", "EVAL_SEED_OFFSET", "ZOO_KEYS", "load_hyperparams", "train_sb3", "train_seeds"]

ALGORITHMS = ("ppo", "sac")
ZOO_KEYS = ("policy", "n_timesteps", "n_envs", "env_kwargs", "env_wrapper", "policy_kwargs")
"""Keys of a zoo entry that are not keyword arguments of the SB3 algorithm (every other key is one)."""
UNSUPPORTED_ZOO_KEYS = ("normalize", "frame_stack", "vec_env_wrapper", "callback", "monitor_kwargs", "noise_type",
                        "noise_std")  # fmt: skip
"""Zoo keys that ``python -m agents sb3`` does not apply: an entry with one is refused, not half followed."""
AGENTS_KEY = "agents.sb3"
"""The top-level key (not an env id, so the zoo never reads it) of what only ``python -m agents sb3`` uses:
``vn_policy_kwargs`` (the VN policy's arguments) and ``tasks`` (changes to an env's entry for one task, keyed
``"<env id>/<task>"``)."""
WRAPPER = "eqenvs.wrappers.SampleOrientation"
DEFAULT_TASK, DEFAULT_SPLIT = "push", "slice"
EVAL_SEED_OFFSET = 10_000
"""The evaluation env's orientation draws and resets are seeded apart from the training envs'."""


def load_hyperparams(algo: str, env_id: str, task: str | None = None, path: str | Path | None = None
                     ) -> dict[str, Any]:  # fmt: skip
    """rl-baselines3-zoo's entry for ``env_id`` (or the file's ``default``) in ``path`` (None: the shipped
    ``agents/hyperparams/<algo>.yml``), with ``task`` (None: the entry's) in its ``env_kwargs``, the file's
    ``agents.sb3`` changes for that task applied, and ``vn_policy_kwargs`` added ({} if the file has none).

    The zoo reads ``policy``, ``n_timesteps``, ``n_envs``, ``env_kwargs``, ``env_wrapper`` and passes every
    other key to the SB3 class; ``train_sb3`` does the same, with ``--task``, ``--split`` and
    ``--max-episode-steps`` replacing the env's task, the ``SampleOrientation`` wrapper's split and the
    episode length where given."""
    import copy

    import yaml

    if algo not in ALGORITHMS:
        raise ValueError(f"algo: {algo!r} is not one of {ALGORITHMS}")
    where = str(path) if path is not None else f"agents/hyperparams/{algo}.yml"
    if path is not None:
        text = Path(path).read_text()
    else:
        text = resources.files("agents").joinpath("hyperparams", f"{algo}.yml").read_text()
    try:
        table = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"hyperparams: {where} is not readable YAML ({str(err).splitlines()[0]})") from None
    entry = table.get(env_id, table.get("default")) if isinstance(table, dict) else None
    if not isinstance(entry, dict) or "n_timesteps" not in entry or "policy" not in entry:
        raise ValueError(f"hyperparams: {where} has no entry for {env_id} (nor a 'default') with policy and "
                         "n_timesteps (rl-baselines3-zoo's format: env id -> hyperparameters)")  # fmt: skip
    extra = table.get(AGENTS_KEY) or {}
    if not isinstance(extra, dict) or not isinstance(extra.get("tasks") or {}, dict):
        raise ValueError(f"hyperparams: {where}'s {AGENTS_KEY!r} must map vn_policy_kwargs and tasks to mappings")
    entry = copy.deepcopy(entry)  # YAML aliases share one dict between env ids
    env_kwargs = entry["env_kwargs"] = dict(entry.get("env_kwargs") or {})
    if task is not None:
        env_kwargs["task"] = task
    changes = (extra.get("tasks") or {}).get(f"{env_id}/{env_kwargs.get('task', DEFAULT_TASK)}") or {}
    entry.update(copy.deepcopy(changes))
    entry["vn_policy_kwargs"] = dict(extra.get("vn_policy_kwargs") or {})
    unsupported = sorted(set(entry) & set(UNSUPPORTED_ZOO_KEYS))
    if unsupported:
        raise ValueError(f"hyperparams: {where}'s entry for {env_id} uses the zoo's {unsupported}, which "
                         "`python -m agents sb3` does not apply")  # fmt: skip
    if entry["policy"] != "MlpPolicy":
        raise ValueError(f"hyperparams: {where}'s entry for {env_id} has policy {entry['policy']!r}; `python -m "
                         "agents sb3` trains MlpPolicy, or with --policy vn its VN twin (agents.rl)")  # fmt: skip
    return entry


def _wrapper_split(wrapper: Any, where: str) -> str | None:
    """The split of the entry's ``env_wrapper`` (the zoo's forms: a name, {name: kwargs}, or a list of them),
    which must be ``SampleOrientation`` alone or nothing."""
    wrappers = [] if wrapper is None else wrapper if isinstance(wrapper, list) else [wrapper]
    names = [next(iter(w)) if isinstance(w, dict) and len(w) == 1 else w for w in wrappers]
    if names and names != [WRAPPER]:
        raise ValueError(f"hyperparams: {where}'s env_wrapper is {wrapper!r}; `python -m agents sb3` applies "
                         f"{WRAPPER} (with --split) and nothing else")  # fmt: skip
    kwargs = wrappers[0].get(WRAPPER) if names and isinstance(wrappers[0], dict) else None
    return (kwargs or {}).get("split")


def _policy_kwargs(value: Any, where: str) -> dict[str, Any]:
    """The MLP's policy_kwargs: a mapping, or a string evaluated as the zoo does (``nn`` is ``torch.nn``)."""
    if isinstance(value, str):
        from torch import nn

        try:
            value = eval(value, {"__builtins__": {}, "dict": dict, "nn": nn})  # the zoo evaluates it too
        except Exception as err:  # any error of the user's expression, reported in one line
            raise ValueError(f"hyperparams: {where}'s policy_kwargs {value!r} does not evaluate ({err})") from None
    if not isinstance(value or {}, dict):
        raise ValueError(f"hyperparams: {where}'s policy_kwargs must be a mapping, got {value!r}")
    return dict(value or {})


def _make_env(env_id: str, env_kwargs: dict[str, Any], max_steps: int | None, split: str, seed: int) -> gym.Env:
    from stable_baselines3.common.monitor import Monitor

    env = gym.make(env_id, max_episode_steps=max_steps, **env_kwargs)
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
    from agents.rl.policies import VNActorCriticPolicy, VNSACPolicy

    return VNActorCriticPolicy if config.algo == "ppo" else VNSACPolicy


def train_sb3(config: SB3Config) -> dict[str, Any]:
    """Train ``config.algo`` on ``config.split``; save the model atomically to ``config.out`` (.zip) with a
    sidecar, and the logs beside it. Returns the sidecar's metadata and the path."""
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import DummyVecEnv

    hyper = load_hyperparams(config.algo, config.env, config.task, config.hyperparams)
    where = str(config.hyperparams or f"agents/hyperparams/{config.algo}.yml")
    steps = config.steps if config.steps is not None else int(hyper["n_timesteps"])
    n_envs = config.n_envs if config.n_envs is not None else int(hyper.get("n_envs", 1))
    kwargs = {key: value for key, value in hyper.items() if key not in (*ZOO_KEYS, "vn_policy_kwargs")}
    env_kwargs = dict(hyper["env_kwargs"])
    env_kwargs.setdefault("task", DEFAULT_TASK)
    file_steps = env_kwargs.pop("max_episode_steps", None)  # gym.make's argument, not the env's
    max_steps = next((s for s in (config.max_episode_steps, file_steps) if s is not None),
                     gym.spec(config.env).max_episode_steps)  # fmt: skip
    split = config.split or _wrapper_split(hyper.get("env_wrapper"), where) or DEFAULT_SPLIT
    if config.policy == "mlp":
        policy_kwargs = _policy_kwargs(hyper.get("policy_kwargs"), where)
    else:
        policy_kwargs = {"env_id": config.env, "env_kwargs": env_kwargs, **hyper["vn_policy_kwargs"]}
    make = partial(_make_env, config.env, env_kwargs, max_steps)
    env = DummyVecEnv([partial(make, split, config.seed + rank) for rank in range(n_envs)])
    env.seed(config.seed)
    algo = PPO if config.algo == "ppo" else SAC
    model = algo(_policy(config), env, seed=config.seed, device="cpu", policy_kwargs=policy_kwargs, **kwargs)
    logs = config.out.with_suffix(".logs")
    logs.mkdir(parents=True, exist_ok=True)
    model.set_logger(configure(str(logs), ["csv"]))
    callbacks = []
    if config.eval_freq:
        for eval_split, prefix in (("slice", "eval/"), ("heldout", "eval_heldout/")):
            eval_env = DummyVecEnv([partial(make, eval_split, config.seed + EVAL_SEED_OFFSET)])
            eval_env.seed(config.seed + EVAL_SEED_OFFSET)
            log_path = str(logs if eval_split == "slice" else logs / eval_split)
            callbacks.append(_prefixed_eval(prefix, eval_env, n_eval_episodes=config.eval_episodes, deterministic=True,
                                           log_path=log_path, verbose=0,
                                           eval_freq=max(config.eval_freq // n_envs, 1)))  # fmt: skip
    started = time.perf_counter()
    model.learn(total_timesteps=steps, progress_bar=config.progress, callback=callbacks)
    seconds = time.perf_counter() - started
    with atomic_path(config.out) as tmp:
        model.save(tmp)
    meta = {"algo": config.algo, "policy": config.policy, "env_id": config.env, "env_kwargs": env_kwargs,
            "split": split, "steps": steps, "n_envs": n_envs, "seed": config.seed,
            "max_episode_steps": max_steps, "hyperparams": hyper, "seconds": seconds,
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
