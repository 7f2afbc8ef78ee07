"""Episodes of one base task at every orientation: envs, lockstep stepping, the closed-loop residual."""

from __future__ import annotations

import math
import time
from typing import Any

import gymnasium as gym
import numpy as np

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import BenchConfig
from agents.seeds import bench_seed
from eqenvs.groups import GroupElement

__all__ = ["make_env", "residual", "run_task", "task_seed"]

VIDEO_RENDER_SIZE = 256
"""Side of recorded frames unless ``render_size`` is in the env kwargs: 17 orientations tile a 1024 px mosaic."""


def task_seed(config: BenchConfig, task: int) -> int:
    """The env reset seed (and agent seed) of base task ``task``: in the run's task set (``agents.seeds``)."""
    return bench_seed(config.task_set, config.seed, task)


def make_env(config: BenchConfig, g: GroupElement, render: bool) -> gym.Env:
    """The env of one orientation, with the run's merged kwargs and episode cap."""
    kwargs = config.merged_env_kwargs
    if render:
        kwargs = {"render_size": VIDEO_RENDER_SIZE, **kwargs, "render_mode": "rgb_array"}
    try:
        return gym.make(config.env, orientation=g, max_episode_steps=config.max_steps, **kwargs)
    except TypeError as err:  # an unknown keyword
        raise ValueError(f"env_kwargs: {err}") from None


def run_task(config: BenchConfig, agent: Any, envs: list[gym.Env], task: int, record: bool) -> list[dict]:
    """One base task at every orientation (``envs``, index 0 = the identity reference); a dict per env.

    Batched agents step every env in lockstep and plan for all of them at once (finished envs keep being
    planned for, so each plan depends on its own state only); other agents run one episode per env, each
    from ``reset(seed)``: either way, every orientation gets the same paired episode.
    """
    seed = task_seed(config, task)
    if config.batched and hasattr(agent, "act_batch"):
        return _lockstep(agent, envs, seed, record)
    return [_lockstep(_Single(agent), [env], seed, record)[0] for env in envs]


class _Single:
    """A one-env batch of a plain agent."""

    def __init__(self, agent: Any):
        self.agent = agent

    def reset(self, seed: int) -> None:
        self.agent.reset(seed)

    def act_batch(self, obs: Any) -> list:
        first = {k: v[0] for k, v in obs.items()} if isinstance(obs, dict) else obs[0]
        return [self.agent.act(first)]


def _lockstep(agent: Any, envs: list[gym.Env], seed: int, record: bool) -> list[dict]:
    agent.reset(seed)
    n = len(envs)
    obs = [env.reset(seed=seed)[0] for env in envs]
    traces = [[o] for o in obs]
    frames: list[list[np.ndarray]] = [[env.render()] if record else [] for env in envs]
    rewards, done, info = np.zeros(n), np.zeros(n, bool), [{} for _ in envs]
    steps, plan_seconds = np.zeros(n, int), np.zeros(n)
    while not done.all():
        started = time.perf_counter()
        actions = agent.act_batch(_stack(obs))
        plan_seconds[~done] += (time.perf_counter() - started) / n
        for i, env in enumerate(envs):
            if done[i]:
                continue
            try:
                obs[i], reward, terminated, truncated, info[i] = env.step(actions[i])
            except ValueError as err:  # the env validates an action before any state changes: the agent's fault
                raise ValueError(f"agent: gave an action the env refuses at step {steps[i]} ({err})") from None
            traces[i].append(obs[i])
            rewards[i] += reward
            steps[i] += 1
            done[i] = terminated or truncated
            if record:
                frames[i].append(env.render())
    return [{"trace": traces[i], "return": rewards[i], "steps": int(steps[i]), "info": info[i],
             "plan_ms": 1e3 * plan_seconds[i] / max(steps[i], 1), "frames": frames[i]} for i in range(n)]  # fmt: skip


def _stack(obs: list) -> Any:
    if isinstance(obs[0], dict):
        return {k: np.stack([o[k] for o in obs]) for k in obs[0]}
    return np.stack(obs)


def _states(trace: list, symmetry: Any) -> np.ndarray | None:
    """The state part of a trace of observations (None for pixel-only observations)."""
    first = trace[0]
    if isinstance(first, dict):
        key = getattr(symmetry, "state_key", None)
        if key not in first:
            return None
        trace = [o[key] for o in trace]
    elif not isinstance(first, np.ndarray) or first.dtype.kind != "f":
        return None
    return np.stack(trace)


def residual(symmetry: Any, g: GroupElement, trace: list, reference: list) -> float:
    """``max_t |obs_g(t) - act_obs(g, obs_e(t))| / max_t |obs_e(t)|`` over the common length of two traces
    (state observations; NaN for pixels)."""
    states, expected = _states(trace, symmetry), _states(reference, symmetry)
    if states is None or expected is None:
        return math.nan
    n = min(len(states), len(expected))
    moved = symmetry.obs_layout.act(g, expected[:n])
    return float(np.abs(states[:n] - moved).max()) / float(np.abs(expected[:n]).max())
