"""Model-free baselines: stable-baselines3 PPO or SAC trained on the slice orientations, in one command.

    python -m agents sb3 --algo ppo --env EqPushT-v0 --task push --steps 100000 --out runs/ppo_push.zip

The env is ``SampleOrientation(gym.make(env, task=...), split="slice")``: a fresh slice orientation every
episode. The saved model is an agent for the benchmark: ``eqbench --agent sb3:ppo:runs/ppo_push.zip``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gymnasium as gym

import eqenvs  # noqa: F401  (registers the env ids)
from eqenvs.files import atomic_path
from eqenvs.wrappers import SampleOrientation

__all__ = ["ALGORITHMS", "train_sb3"]

ALGORITHMS = ("ppo", "sac")


def train_sb3(algo: str, env_id: str = "EqPushT-v0", task: str = "push", steps: int = 100_000, seed: int = 0,
              out: str | Path = "runs/sb3.zip", max_episode_steps: int = 100) -> dict[str, Any]:  # fmt: skip
    """Train ``algo`` on the slice; save the model atomically to ``out`` (.zip). Returns timing and path."""
    if algo not in ALGORITHMS:
        raise ValueError(f"algo: {algo!r} is not one of {ALGORITHMS}")
    if steps < 1:
        raise ValueError(f"steps: must be >= 1, got {steps}")
    out = Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"out: an SB3 model is a .zip file, got {out.name!r}")
    from stable_baselines3 import PPO, SAC

    env = SampleOrientation(gym.make(env_id, task=task, max_episode_steps=max_episode_steps), split="slice", seed=seed)
    if algo == "ppo":
        model = PPO("MlpPolicy", env, seed=seed, device="cpu", n_steps=1024, batch_size=256, learning_rate=3e-4)
    else:
        model = SAC("MlpPolicy", env, seed=seed, device="cpu", learning_starts=1000, batch_size=256)
    started = time.perf_counter()
    model.learn(total_timesteps=steps)
    with atomic_path(out) as tmp:
        model.save(tmp)
    return {"algo": algo, "env": env_id, "task": task, "steps": steps, "seconds": time.perf_counter() - started,
            "path": str(out)}  # fmt: skip
