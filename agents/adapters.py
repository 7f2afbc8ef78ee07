"""What an agent is — anything with ``reset(seed)`` and ``act(obs) -> action`` (``Agent``), optionally
``act_batch(obs)`` for a batch of observations — and the adapters that make one: a planner, a stable-baselines3
model, any function, the env's scripted pusher, the contact planner (an oracle), random actions. ``as_agent`` turns
a Python object into an agent; ``agents.specs`` builds one from a spec string.
"""

from __future__ import annotations

import inspect
import sysconfig
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:
    from agents.planning import MPCPlanner

__all__ = [
    "Agent",
    "AgentError",
    "CallableAgent",
    "ContactAgent",
    "PlannerAgent",
    "PrimitiveAgent",
    "RandomAgent",
    "SB3Agent",
    "ScriptedAgent",
    "as_agent",
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


class AgentError(ValueError):
    """An exception raised inside an agent's own code (a ``callable:`` function): its message names the agent, the
    exception and the file and line of the user's code that raised it; the original is its ``__cause__``."""


def _user_location(err: BaseException, function: Any) -> str:
    """``file:line`` of the innermost frame of ``err``'s traceback in the user's code: the file that defines
    ``function`` if it appears, else the innermost frame outside Python's and the installed packages' files."""
    frames = traceback.extract_tb(err.__traceback__)
    code = getattr(inspect.unwrap(function), "__code__", None)
    home = code.co_filename if code is not None else None
    paths = [sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    library = tuple(str(Path(p).resolve()) for p in [*paths, Path(__file__).parent])
    mine = [f for f in frames if f.filename == home]
    outside = [f for f in frames if not str(Path(f.filename).resolve()).startswith(library)]
    frame = (mine or outside or frames or [None])[-1]
    if frame is None:
        return "unknown location"
    return f"{frame.filename}:{frame.lineno}"


class CallableAgent:
    """Any function ``obs -> action``; its ``reset(seed)`` is called if it has one. An exception inside the
    function becomes an ``AgentError`` naming the agent, the exception and the user's file and line."""

    def __init__(self, function: Any, label: str = "callable"):
        if not callable(function):
            raise ValueError(f"agent: {function!r} is not callable")
        try:
            inspect.signature(function).bind(None)
        except TypeError:
            name = getattr(function, "__qualname__", repr(function))
            raise ValueError(
                f"agent: {name}{inspect.signature(function)} cannot be called as f(obs): an agent function takes "
                "one argument, the observation"
            ) from None
        except ValueError:  # builtins without a signature: trust them
            pass
        self.function, self.label = function, label

    def reset(self, seed: int | None = None) -> None:
        reset = getattr(self.function, "reset", None)
        if callable(reset):
            self._call(reset, seed)

    def act(self, obs: Any) -> np.ndarray:
        return np.asarray(self._call(self.function, obs))

    def _call(self, function: Any, argument: Any) -> Any:
        try:
            return function(argument)
        except Exception as err:  # anything the user's code raises: one line with its place, the original chained
            where = _user_location(err, function)
            name = getattr(function, "__qualname__", repr(function))
            raise AgentError(f"agent: {self.label} ({name}) raised {type(err).__name__}: {err} at {where}") from err


class RandomAgent:
    """Uniform samples of the action space, seeded by ``reset(seed)``."""

    def __init__(self, action_space: gym.spaces.Box, label: str = "random"):
        self.space, self.label = action_space, label
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.rng.uniform(self.space.low, self.space.high).astype(self.space.dtype)


class ContactAgent:
    """EqPushT-v1's push-primitive planner (``eqenvs.experts.contact.ContactPlanner``), deterministic."""

    def __init__(self, env: gym.Env, canonical: bool = True, label: str = "contact"):
        from eqenvs.experts.contact import ContactPlanner

        layout = env.unwrapped.obs_layout
        state = getattr(getattr(env.unwrapped, "scene", None), "obs_type", None) in ("state", "state_pixels")
        if "block_dir" not in layout or env.unwrapped.task != "pusht" or not state:
            raise ValueError("agent: contact plans gym-pusht's task: it needs EqPushT-v1 (or v0) with task='pusht' "
                             "and a state observation")  # fmt: skip
        self.policy = ContactPlanner(layout, env.unwrapped.scene.action_type, canonical=canonical)
        self.label = label

    def reset(self, seed: int | None = None) -> None:
        self.policy.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.policy.act(obs)


class PrimitiveAgent:
    """The push-primitive planner on a LEARNED outcome model (``agents.primitives``): no simulator at decision
    time. Deterministic."""

    def __init__(self, env: gym.Env, checkpoint: str, dtype: str = "float32", label: str = "primitive"):
        import torch

        from agents.primitives.planner import PrimitivePlanner
        from agents.primitives.train import load_outcome_model

        unwrapped = env.unwrapped
        layout = getattr(unwrapped, "obs_layout", None)
        state = getattr(getattr(unwrapped, "scene", None), "obs_type", None) in ("state", "state_pixels")
        if layout is None or "block_dir" not in layout or getattr(unwrapped, "task", None) != "pusht" or not state:
            raise ValueError("agent: primitive plans gym-pusht's task: it needs EqPushT-v1 (or v0) with task='pusht' "
                             "and a state observation")  # fmt: skip
        model, self.meta = load_outcome_model(checkpoint, "agent")
        env_id = unwrapped.spec.id if unwrapped.spec is not None else type(unwrapped).__name__
        if self.meta.get("task") != "pusht" or self.meta.get("env_id", "").split("-v")[0] != env_id.split("-v")[0]:
            raise ValueError(f"agent: {checkpoint} is a push model of {self.meta.get('env_id')} task "
                             f"{self.meta.get('task')!r}, not of {env_id} task 'pusht'")  # fmt: skip
        self.policy = PrimitivePlanner(model.to(getattr(torch, dtype)), layout, unwrapped.scene.action_type)
        self.label = label

    def reset(self, seed: int | None = None) -> None:
        self.policy.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.policy.act(obs)


class ScriptedAgent:
    """The env's scripted pusher (``eqenvs.experts.scripted``), deterministic. It reads the state (``obs_type`` state or
    state_pixels) and acts in the env's own action type (EqPushT3D-v1: delta actions only)."""

    def __init__(self, env: gym.Env, label: str = "scripted"):
        from eqenvs.experts.scripted import ScriptedPusher, ScriptedPusher3D

        unwrapped = env.unwrapped
        scene = getattr(unwrapped, "scene", None)
        obs_type, action_type = getattr(scene, "obs_type", None), getattr(scene, "action_type", None)
        layout = getattr(unwrapped, "obs_layout", None)
        if obs_type not in ("state", "state_pixels") or layout is None:
            raise ValueError(f"agent: scripted reads the state observation of an eqenvs env (obs_type 'state' or "
                             f"'state_pixels'); this env has obs_type {obs_type!r}")  # fmt: skip
        if "block_dir" in layout:
            self.policy: Any = ScriptedPusher(layout, action_type)
        elif action_type == "delta":
            self.policy = ScriptedPusher3D(layout)
        else:
            raise ValueError(f"agent: scripted drives EqPushT3D-v1 with delta actions; this env has action_type "
                             f"{action_type!r}")  # fmt: skip
        self.label = label

    def reset(self, seed: int | None = None) -> None:
        self.policy.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        return self.policy.act(obs)


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
