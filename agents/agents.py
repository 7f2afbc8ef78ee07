"""Agents: anything with ``reset(seed)`` and ``act(obs) -> action``, and adapters that make one from a spec.

=====================================  =====================================================================
spec                                   agent
=====================================  =====================================================================
``planner:<checkpoint.pt>[,k=v...]``   a world model + MPC planner (``k=v``: PlannerConfig fields, plus
                                       ``dtype=float64`` and ``compile=true``)
``sb3:<algo>:<model.zip>``             a stable-baselines3 model (``algo``: ppo, sac, ...), deterministic
``callable:<module>:<function>``       any function ``f(obs) -> action`` (a ``reset(seed)`` attribute is
                                       called if it has one)
``scripted``                           the env's scripted pusher
``random``                             uniform actions from the action space, seeded
=====================================  =====================================================================

Agents that can act on a batch of observations at once (``act_batch``) let the benchmark evaluate all
orientations of a task together; the others are stepped one by one.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch

from agents.planning import MPCPlanner, PlannerConfig, default_cost

__all__ = [
    "Agent",
    "CallableAgent",
    "PlannerAgent",
    "RandomAgent",
    "SB3Agent",
    "ScriptedAgent",
    "as_agent",
    "make_agent",
]


class Agent(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def act(self, obs: Any) -> np.ndarray: ...


class PlannerAgent:
    """A world model and an MPC planner; ``act_batch`` plans for several observations in one pass."""

    def __init__(self, planner: MPCPlanner, label: str = "planner"):
        self.planner, self.label = planner, label

    def reset(self, seed: int | None = None) -> None:
        self.planner.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.act_batch(np.asarray(obs)[None])[0]

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return self.planner.plan(obs)


class SB3Agent:
    """A stable-baselines3 model (an object, or loaded from a .zip), acting deterministically."""

    def __init__(self, model: Any, label: str = "sb3"):
        self.model, self.label = model, label

    def reset(self, seed: int | None = None) -> None:
        del seed  # deterministic policies need no seed

    def act(self, obs: Any) -> np.ndarray:
        action, _ = self.model.predict(obs, deterministic=True)
        return np.asarray(action)

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(obs, deterministic=True)
        return np.asarray(action)


class CallableAgent:
    """Any function ``obs -> action``; its ``reset(seed)`` is called if it has one."""

    def __init__(self, function: Any, label: str = "callable"):
        if not callable(function):
            raise ValueError(f"agent: {function!r} is not callable")
        self.function, self.label = function, label

    def reset(self, seed: int | None = None) -> None:
        reset = getattr(self.function, "reset", None)
        if callable(reset):
            reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return np.asarray(self.function(obs))


class RandomAgent:
    """Uniform samples of the action space, seeded by ``reset(seed)``."""

    def __init__(self, action_space: gym.spaces.Box, label: str = "random"):
        self.space, self.label = action_space, label
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.rng.uniform(self.space.low, self.space.high).astype(self.space.dtype)


class ScriptedAgent:
    """The env's scripted pusher (``eqenvs.scripted``), deterministic."""

    def __init__(self, env: gym.Env, label: str = "scripted"):
        from eqenvs.scripted import ScriptedPusher, ScriptedPusher3D

        layout = env.unwrapped.obs_layout
        self.policy = ScriptedPusher(layout) if "block_dir" in layout else ScriptedPusher3D(layout)
        self.label = label

    def reset(self, seed: int | None = None) -> None:
        self.policy.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.policy.act(obs)


def _planner_agent(spec: str, env: gym.Env, label: str) -> PlannerAgent:
    from agents.train import load_checkpoint

    path, *options = spec.split(",")
    overrides: dict[str, Any] = {}
    dtype, compile_model = None, False
    fields = dict(PlannerConfig.__annotations__)  # field name -> type name (the annotations are strings)
    for option in options:
        key, sep, value = option.partition("=")
        if not sep:
            raise ValueError(f"agent: planner option {option!r} is not key=value")
        if key == "dtype":
            if value not in ("float32", "float64"):
                raise ValueError(f"agent: dtype={value!r} is not float32 or float64")
            dtype = getattr(torch, value)
        elif key == "compile":
            compile_model = _truthy(value)
        elif key in fields:
            overrides[key] = _parse_option(key, value, fields[key])
        else:
            raise ValueError(f"agent: unknown planner option {key!r}; expected dtype, compile or {sorted(fields)}")
    if not Path(path).is_file():
        raise ValueError(f"agent: {path} does not exist")
    model, meta = load_checkpoint(path)
    if meta["env_id"] != env.unwrapped.spec.id:
        raise ValueError(f"agent: {path} is a model of {meta['env_id']}, not {env.unwrapped.spec.id}")
    if dtype is not None:
        model = model.to(dtype)
    if compile_model:
        model.rollout = torch.compile(model.rollout, dynamic=False)  # shape-specialised, fused kernels
    task = env.unwrapped.task
    return PlannerAgent(MPCPlanner(model, default_cost(model.symmetry, task), PlannerConfig(**overrides)), label)


def _truthy(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def _parse_option(key: str, value: str, kind: str) -> Any:
    """A planner option's value as its PlannerConfig field's type."""
    if kind == "bool":
        return _truthy(value)
    try:
        return int(value) if kind == "int" else float(value) if kind == "float" else value
    except ValueError:
        raise ValueError(f"agent: planner option {key}={value!r} is not {kind}") from None


def as_agent(agent: Any, label: str = "agent") -> Agent:
    """An agent from a Python object: one with ``reset`` and ``act`` as it is, a stable-baselines3 model
    (anything with ``predict``) through :class:`SB3Agent`, a plain function ``obs -> action`` through
    :class:`CallableAgent`."""
    if callable(getattr(agent, "act", None)) and callable(getattr(agent, "reset", None)):
        return agent
    if callable(getattr(agent, "predict", None)):
        return SB3Agent(agent, label)
    if callable(agent):
        return CallableAgent(agent, label)
    raise ValueError(f"agent: {agent!r} has no reset/act, no predict, and is not callable")


def make_agent(spec: str, env: gym.Env, label: str | None = None) -> Agent:
    """An agent for ``env`` from a spec string (see the module docstring)."""
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"agent: expected a spec string, got {spec!r}")
    kind, _, rest = spec.partition(":")
    label = label or spec
    if kind == "random":
        return RandomAgent(env.action_space, label)
    if kind == "scripted":
        return ScriptedAgent(env, label)
    if kind == "planner":
        if not rest:
            raise ValueError("agent: planner:<checkpoint.pt>[,key=value...] needs a checkpoint")
        return _planner_agent(rest, env, label)
    if kind == "sb3":
        algo, _, path = rest.partition(":")
        import stable_baselines3 as sb3

        cls = {name.lower(): getattr(sb3, name) for name in ("PPO", "SAC", "TD3", "A2C", "DDPG")}.get(algo.lower())
        if cls is None or not path:
            raise ValueError(f"agent: expected sb3:<ppo|sac|td3|a2c|ddpg>:<model.zip>, got {spec!r}")
        if not Path(path).is_file():
            raise ValueError(f"agent: {path} does not exist")
        return SB3Agent(cls.load(path, device="cpu"), label)
    if kind == "callable":
        module_name, _, function_name = rest.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError, ValueError) as err:
            raise ValueError(f"agent: cannot import {rest!r} as module:function ({err})") from None
        return CallableAgent(function, label)
    raise ValueError(f"agent: unknown spec {spec!r}; expected planner:, sb3:, callable:, scripted or random")
