"""Model-free baselines: stable-baselines3 PPO or SAC trained on the slice orientations, in one command.

    python -m agents sb3 --algo ppo --env EqPushT-v1 --task push --steps 100000 --out runs/ppo_push.zip

The env is ``SampleOrientation(gym.make(env, task=...), split="slice")``: a fresh slice orientation every
episode. Training shows SB3's progress bar (steps, ETA). The saved model is an agent for the benchmark:
``eqbench --agent sb3:ppo:runs/ppo_push.zip``; its ``.zip.json`` sidecar records the env and kwargs it was
trained on.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import SB3Config
from eqenvs.files import atomic_path, write_sidecar
from eqenvs.wrappers import SampleOrientation

__all__ = ["ALGORITHMS", "train_sb3"]

ALGORITHMS = ("ppo", "sac")


def train_sb3(config: SB3Config) -> dict[str, Any]:
    """Train ``config.algo`` on the slice; save the model atomically to ``config.out`` (.zip) with a sidecar.
    Returns timing and path."""
    from stable_baselines3 import PPO, SAC

    env_kwargs = {"task": config.task}
    env = gym.make(config.env, max_episode_steps=config.max_episode_steps, **env_kwargs)
    env = SampleOrientation(env, split="slice", seed=config.seed)
    if config.algo == "ppo":
        model = PPO("MlpPolicy", env, seed=config.seed, device="cpu", n_steps=1024, batch_size=256, learning_rate=3e-4)
    else:
        model = SAC("MlpPolicy", env, seed=config.seed, device="cpu", learning_starts=1000, batch_size=256)
    started = time.perf_counter()
    model.learn(total_timesteps=config.steps, progress_bar=config.progress)
    seconds = time.perf_counter() - started
    with atomic_path(config.out) as tmp:
        model.save(tmp)
    meta = {"algo": config.algo, "env_id": config.env, "env_kwargs": env_kwargs, "split": "slice",
            "steps": config.steps, "seed": config.seed, "max_episode_steps": config.max_episode_steps,
            "seconds": seconds, "threads": config.threads}  # fmt: skip
    write_sidecar(config.out, meta)
    return {**meta, "path": str(config.out)}
