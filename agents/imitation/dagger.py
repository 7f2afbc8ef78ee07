"""DAgger: roll the policy out at the demonstrations' orientations, have the contact planner (the oracle) label
the states it reaches, refit on everything; ``run_bc`` is ``python -m agents bc``."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from torch import nn

from agents.imitation.agent import BCAgent
from agents.imitation.demos import Demos, load_demos
from agents.imitation.policies import load_policy, save_policy
from agents.imitation.train import train_bc
from agents.seeds import TRAINING_SEEDS  # demonstrations and DAgger start at or above it: never a scored start


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
           workers: int = 1, round_epochs: int = 0, round_lr: float = 0.0, log: Any = None,
           **train: Any) -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """DAgger: train on the demonstrations, then ``rounds`` times roll the policy out (``episodes`` starts at
    each orientation of the demonstrations), have the expert label the states it reached, and retrain on
    everything (``round_epochs`` > 0: continue from the previous round's weights for that many epochs, at step
    size ``round_lr`` if > 0, instead of retraining from scratch). The rollouts use the demonstrations'
    orientations only, so the policy never sees another."""
    from agents.workers import run_jobs

    if not (math.isfinite(round_lr) and round_lr >= 0):
        raise ValueError(f"round_lr: expected a finite step size >= 0 (0: the first fit's), got {round_lr}")
    if rounds < 0 or episodes < 1 or round_epochs < 0:
        raise ValueError(f"rounds, episodes, round_epochs: expected >= 0, >= 1 and >= 0, got {rounds}, {episodes}, "
                         f"{round_epochs}")  # fmt: skip
    angles = sorted(set(demos.angle.tolist()))
    if episodes > 1000 or rounds * len(angles) > 500 or seed < 0:
        raise ValueError(f"episodes, rounds, seed: expected at most 1000 episodes, 500 rounds x orientations and "
                         f"seed >= 0, got {episodes}, {rounds} x {len(angles)}, {seed}")  # fmt: skip
    first = TRAINING_SEEDS + 1_000_000 * seed + 500_000  # above the demonstrations' starts
    extra_obs, extra_chunks, extra_angles, history = [], [], [], []
    started = time.perf_counter()
    policy, meta = train_bc(demos, kind, seed=seed, log=log, **train)
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
        if log is not None:
            log(f"DAgger round {r + 1}/{rounds}: the policy solved {solved:.2f} of its rollouts on the slice; "
                f"{history[-1]['labels']} expert-labelled states in all; retraining")  # fmt: skip
        extra = (np.concatenate(extra_obs), np.concatenate(extra_chunks), np.concatenate(extra_angles))
        if round_epochs:  # warm start: the previous round's weights, a shorter schedule
            warm = train | {"epochs": round_epochs} | ({"lr": round_lr} if round_lr else {})
            policy, meta = train_bc(demos, kind, seed=seed + r + 1, log=log, extra=extra, init=policy, **warm)
        else:
            policy, meta = train_bc(demos, kind, seed=seed, log=log, extra=extra, **train)
    meta["dagger"] = {
        "rounds": rounds,
        "episodes_per_orientation": episodes,
        "round_epochs": round_epochs,
        "round_lr": round_lr,
        "history": history,
        "seconds_total": round(time.perf_counter() - started, 1),
    }
    return policy, meta


def run_bc(config: Any, log: Any = print) -> None:
    """``python -m agents bc``: fit on the demonstrations, DAgger rounds, write the policy."""
    demos = load_demos(config.demos)
    train = dict(hidden=config.hidden, depth=config.depth, modes=config.modes, horizon=config.horizon,
                 execute=config.execute, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                 augment=config.augment, steps=config.steps, compile_loss=config.compile)  # fmt: skip
    policy, meta = dagger(demos, config.policy, rounds=config.dagger_rounds, episodes=config.dagger_episodes,
                          seed=config.seed, workers=config.workers, round_epochs=config.dagger_epochs,
                          round_lr=config.dagger_lr, log=log,
                          **train)  # fmt: skip
    path = save_policy(policy, meta, config.out)
    log(
        f"{config.policy}: {meta['parameter_count']:,} parameters, {meta['steps']} steps of {meta['episodes']} "
        f"episodes + {meta['extra_labels']} DAgger labels, final loss {meta['loss'][-1]:.4f}, action MSE "
        f"{meta['action_mse']:.4f}, {meta['seconds']} s (last fit), {meta['dagger']['seconds_total']} s in all; "
        f"wrote {path}"
    )
