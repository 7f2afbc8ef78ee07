"""Agents: anything with ``reset(seed)`` and ``act(obs) -> action``, and adapters that make one from a spec.

=====================================  =====================================================================
spec                                   agent
=====================================  =====================================================================
``planner:<checkpoint>[,k=v...]``      a world model + MPC planner; the checkpoint is a .pt file or the
                                       name of a shipped reference model (``agents.pretrained``); ``k=v``:
                                       PlannerConfig fields (3D: ``PLANNER_DEFAULTS_3D[task]`` first), plus
                                       ``dtype=float64``, ``compile=true`` (``MPCPlanner.compile``: faster,
                                       rounds differently from eager), ``device=cuda`` and
                                       ``canonical=true`` (the whole agent run in each observation's
                                       frame: ``agents.canonical``) and ``heading_weight=`` (the cost's
                                       heading term); booleans are true/false (1/0, yes/no, on/off)
``sb3:<algo>:<model.zip>[,dtype=float64]``
                                       a stable-baselines3 model (``algo``: ppo, sac, ...), deterministic;
                                       its spaces must be the env's; ``dtype=float64`` runs the policy in
                                       float64 (the VN policies of ``agents.rl`` keep it end to end)
``callable:<module>:<function>``       any function ``f(obs) -> action`` (a ``reset(seed)`` attribute is
                                       called if it has one); the module is imported from the current
                                       folder first, or give a file: ``callable:path/to/policy.py:act``
``scripted``                           the env's scripted pusher
``contact[:plain]``                    EqPushT-v1's push-primitive planner on gym-pusht's simulator
                                       (``eqenvs.experts.contact``), in the goal's frame (equivariant); ``plain``:
                                       its twin that plans in the observation's frame
``primitive:<model.pt>[,dtype=float64]``
                                       the contact planner's push-primitive search on a LEARNED outcome model
                                       (``agents.primitives``, ``python -m agents pusht-model``; a .pt file or
                                       the name of a shipped one): no simulator at decision time
``bc:<policy.pt>``                     a behaviour-cloning policy of ``agents.imitation``, deterministic
``random``                             uniform actions from the action space, seeded
=====================================  =====================================================================

Agents that can act on a batch of observations at once (``act_batch``) let the benchmark evaluate all
orientations of a task together; the others are stepped one by one.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import math
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.adapters import (
    Agent,
    CallableAgent,
    ContactAgent,
    PlannerAgent,
    PrimitiveAgent,
    RandomAgent,
    SB3Agent,
    ScriptedAgent,
)
from agents.canonical import CanonicalAgent
from agents.config import parse_bool
from agents.planning import MPCPlanner, PlannerConfig, default_cost, default_planner_config

__all__ = ["agent_files", "make_agent"]


def _planner_path(spec: str) -> Path:
    """The checkpoint a planner spec names: a .pt path, or the name of a shipped reference model."""
    name = spec.split(",")[0]
    from agents.pretrained import resolve

    return resolve(name)


def _planner_agent(spec: str, env: gym.Env, label: str) -> PlannerAgent:
    from agents.checkpoints import check_contract, load_checkpoint

    _, *options = spec.split(",")
    path = _planner_path(spec)
    overrides: dict[str, Any] = {}
    dtype, compile_model, device, canonical, heading_weight = None, False, "cpu", False, None
    fields = {f.name: f.type for f in dataclasses.fields(PlannerConfig)}  # name -> annotation (a string)
    for option in options:
        key, sep, value = option.partition("=")
        if not sep:
            raise ValueError(f"agent: planner option {option!r} is not key=value")
        if key == "dtype":
            if value not in ("float32", "float64"):
                raise ValueError(f"agent: dtype={value!r} is not float32 or float64")
            dtype = getattr(torch, value)
        elif key == "compile":
            compile_model = parse_bool(value, "agent: compile")
        elif key == "device":
            device = value
        elif key == "canonical":
            canonical = parse_bool(value, "agent: canonical")
        elif key == "heading_weight":
            heading_weight = _parse_option(key, value, "float")
            if not (math.isfinite(heading_weight) and heading_weight >= 0):
                raise ValueError(f"agent: heading_weight={value!r} must be finite and >= 0")
        elif key in fields:
            overrides[key] = _parse_option(key, value, str(fields[key]))
        else:
            expected = ["canonical", "compile", "device", "dtype", "heading_weight", *sorted(fields)]
            raise ValueError(f"agent: unknown planner option {key!r}; expected one of {expected}")
    model, meta = load_checkpoint(path)
    check_contract(meta, env, "agent")
    try:
        model = model.to(device=torch.device(device), dtype=dtype)
    except (RuntimeError, ValueError, AssertionError) as err:  # an unknown or unavailable device (torch asserts
        # that it was compiled with CUDA)
        raise ValueError(f"agent: device={device!r} is not usable here ({err})") from None
    task = env.unwrapped.task
    config = default_planner_config(model.symmetry, task, **overrides)  # 3D: tuned per task
    cost = default_cost(model.symmetry, task, heading_weight)
    planner = MPCPlanner(model, cost, config)
    if compile_model:
        planner.compile()  # shape-specialised, fused kernels (rounding differs from eager)
    agent = PlannerAgent(planner, label)
    return CanonicalAgent(agent, model.symmetry, label) if canonical else agent


def _primitive_path(rest: str) -> Path:
    """The model a primitive spec names: a .pt path, or the name of a shipped one (``agents.pretrained``)."""
    name = rest.partition(",")[0]
    if not name:
        raise ValueError("agent: primitive:<model.pt or name>[,dtype=float64] needs a model from "
                         "`python -m agents pusht-model`")  # fmt: skip
    from agents.pretrained import folder

    shipped = folder() / f"{name}.pt"
    return shipped if not name.endswith(".pt") and shipped.is_file() else Path(name)


def _primitive_agent(rest: str, env: gym.Env, label: str) -> PrimitiveAgent:
    _, _, options = rest.partition(",")
    dtype = "float32"
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if key != "dtype" or value not in ("float32", "float64"):
            raise ValueError(f"agent: a primitive spec takes one option, dtype=float32 or dtype=float64; got "
                             f"{option!r}")  # fmt: skip
        dtype = value
    return PrimitiveAgent(env, str(_primitive_path(rest)), dtype, label)


def _parse_option(key: str, value: str, kind: str) -> Any:
    """A planner option's value as its PlannerConfig field's type."""
    if kind == "bool":
        return parse_bool(value, f"agent: planner option {key}")
    try:
        return int(value) if kind == "int" else float(value) if kind == "float" else value
    except ValueError:
        raise ValueError(f"agent: planner option {key}={value!r} is not {kind}") from None


def _sb3_dtype(options: str, spec: str) -> str:
    """The one option of an sb3 spec: ``dtype=float32`` (default) or ``dtype=float64``."""
    if not options:
        return "float32"
    key, _, value = options.partition("=")
    if key != "dtype" or value not in ("float32", "float64"):
        raise ValueError(f"agent: an sb3 spec takes one option, dtype=float32 or dtype=float64; got {options!r} "
                         f"in {spec!r}")  # fmt: skip
    return value


_SB3_FAMILIES = {"ppo": "ppo", "a2c": "a2c", "sac": "sac", "td3": "td3/ddpg", "ddpg": "td3/ddpg"}


def _sb3_family(path: str) -> str | None:
    """The algorithm an SB3 .zip was saved by, from the hyperparameters in its ``data`` (None: unreadable, left
    to SB3's own loader to report): PPO has a clip range, A2C rollouts without one, SAC a target entropy, TD3
    and DDPG (one family: DDPG is TD3 with fixed settings) a policy delay."""
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    for key, family in (("clip_range", "ppo"), ("target_entropy", "sac"), ("policy_delay", "td3/ddpg"),
                        ("n_steps", "a2c")):  # fmt: skip
        if key in data:
            return family
    return None


def _float64_features(policy: Any) -> None:
    """Make SB3's own policy modules keep float64 from the observation to the action.

    SB3 casts observations to float32 (``preprocess_obs``) before the features extractor, which after
    ``policy.double()`` meets float64 weights ("mat1 and mat2 must have the same dtype"). The VN policies of
    ``agents.rl`` override these paths to keep the parameters' dtype; this gives SB3's plain policies (PPO's
    and A2C's actor-critic, SAC's and TD3's actors and critics) the same, on the instance.
    """
    from stable_baselines3.common.policies import ActorCriticPolicy, BaseModel
    from stable_baselines3.common.preprocessing import is_image_space, preprocess_obs

    def features(self: Any, obs: Any, extractor: Any) -> Any:
        plain_box = isinstance(self.observation_space, gym.spaces.Box) and not is_image_space(self.observation_space)
        if plain_box and torch.is_tensor(obs) and obs.is_floating_point():
            x = obs.to(torch.float64)  # preprocess_obs would round it to float32 first
        else:
            x = preprocess_obs(obs, self.observation_space, normalize_images=self.normalize_images)
            x = {k: v.to(torch.float64) for k, v in x.items()} if isinstance(x, dict) else x.to(torch.float64)
        return extractor(x)

    def extract_features(self: Any, obs: Any, features_extractor: Any = None) -> Any:
        if isinstance(self, ActorCriticPolicy) and not self.share_features_extractor:
            return features(self, obs, self.pi_features_extractor), features(self, obs, self.vf_features_extractor)
        return features(self, obs, self.features_extractor if features_extractor is None else features_extractor)

    def get_distribution(self: Any, obs: Any) -> Any:  # SB3's calls BaseModel.extract_features directly
        latent = self.mlp_extractor.forward_actor(features(self, obs, self.pi_features_extractor))
        return self._get_action_dist_from_latent(latent)

    def predict_values(self: Any, obs: Any) -> Any:
        return self.value_net(self.mlp_extractor.forward_critic(features(self, obs, self.vf_features_extractor)))

    overrides = {
        "extract_features": (extract_features, (BaseModel.extract_features, ActorCriticPolicy.extract_features)),
        "get_distribution": (get_distribution, (ActorCriticPolicy.get_distribution,)),
        "predict_values": (predict_values, (ActorCriticPolicy.predict_values,)),
    }
    for module in policy.modules():
        if not isinstance(module, BaseModel):
            continue
        for name, (method, sb3_own) in overrides.items():
            if getattr(type(module), name, None) in sb3_own:  # the VN policies' own overrides stay
                setattr(module, name, types.MethodType(method, module))


def _check_sb3_spaces(model: Any, env: gym.Env, path: str) -> None:
    """The SB3 model's spaces must be the env's: same observation shape and type, same action box."""
    obs, act = env.observation_space, env.action_space
    faults = []
    if type(model.observation_space) is not type(obs) or model.observation_space.shape != obs.shape:
        faults.append(f"observations: model {model.observation_space}, env {obs}")
    same_box = (
        isinstance(model.action_space, gym.spaces.Box) and isinstance(act, gym.spaces.Box)
        and model.action_space.shape == act.shape
        and np.allclose(model.action_space.low, act.low) and np.allclose(model.action_space.high, act.high)
    )  # fmt: skip
    if not same_box:
        faults.append(f"actions: model {model.action_space}, env {act}")
    if faults:
        raise ValueError(f"agent: {path} was trained on an env with other spaces: " + "; ".join(faults))


def _import_callable(target: str) -> Any:
    """``module:function`` or ``path/to/file.py:function``; modules resolve from the current folder first,
    as ``python -m`` would (console scripts do not put it on ``sys.path``)."""
    source, sep, name = target.rpartition(":")
    if not sep or not source or not name:
        raise ValueError(f"agent: expected callable:<module or file.py>:<function>, got callable:{target}")
    try:
        if source.endswith(".py"):
            path = Path(source)
            if not path.is_file():
                raise ValueError(f"agent: {source} does not exist")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            cwd = str(Path.cwd())
            if cwd not in sys.path:
                sys.path.insert(0, cwd)
            module = importlib.import_module(source)
        return getattr(module, name)
    except (ImportError, AttributeError, SyntaxError) as err:
        raise ValueError(f"agent: cannot import {target!r} as module:function ({err})") from None


def agent_files(spec: str) -> list[Path]:
    """The files an agent spec reads (a checkpoint, an SB3 zip, a Python file): a run fingerprints them."""
    kind, _, rest = spec.partition(":")
    if kind == "planner" and rest:
        return [_planner_path(rest)]
    if kind == "primitive" and rest:
        path = _primitive_path(rest)
        return [path] if path.is_file() else []
    if kind == "sb3":
        path = Path(rest.partition(":")[2].partition(",")[0])
        return [path] if path.is_file() else []
    if kind == "bc":
        path = Path(rest.partition(",")[0])
        return [path] if path.is_file() else []
    if kind == "callable":
        source = rest.rpartition(":")[0]
        return [Path(source)] if source.endswith(".py") and Path(source).is_file() else []
    return []


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
    if kind == "contact":
        if rest not in ("", "plain"):
            raise ValueError(f"agent: expected contact or contact:plain, got {spec!r}")
        return ContactAgent(env, canonical=rest != "plain", label=label)
    if kind == "bc":
        from agents.imitation import BCAgent

        if not rest.partition(",")[0]:
            raise ValueError("agent: bc:<policy.pt>[,dtype=float64] needs a policy file from `python -m agents bc`")
        try:
            return BCAgent.load(rest, env, label)
        except ValueError as err:  # the policy file's faults: name the flag they came through
            message = str(err)
            raise ValueError(message if message.startswith("agent:") else f"agent: bc {message}") from None
    if kind == "primitive":
        return _primitive_agent(rest, env, label)
    if kind == "planner":
        if not rest:
            raise ValueError("agent: planner:<checkpoint.pt or name>[,key=value...] needs a checkpoint")
        return _planner_agent(rest, env, label)
    if kind == "sb3":
        algo, _, path = rest.partition(":")
        path, _, options = path.partition(",")
        dtype = _sb3_dtype(options, spec)
        import stable_baselines3 as sb3

        cls = {name.lower(): getattr(sb3, name) for name in ("PPO", "SAC", "TD3", "A2C", "DDPG")}.get(algo.lower())
        if cls is None or not path:
            raise ValueError(f"agent: expected sb3:<ppo|sac|td3|a2c|ddpg>:<model.zip>, got {spec!r}")
        if not Path(path).is_file():
            raise ValueError(f"agent: {path} does not exist")
        family = _sb3_family(path)
        if family is not None and family != _SB3_FAMILIES[algo.lower()]:
            raise ValueError(f"agent: {path} is a model of {family.upper()}, not {algo.upper()}; give it as "
                             f"sb3:{family.split('/')[0]}:{path}")  # fmt: skip
        try:
            model = cls.load(path, device="cpu")
        except Exception as err:  # SB3 raises zip, key and pickle errors for files it cannot read
            fault = f"{type(err).__name__}: {err}"
            raise ValueError(f"agent: {path} is not a readable {algo.upper()} model ({fault})") from None
        _check_sb3_spaces(model, env, path)
        if dtype == "float64":
            model.policy.double()
            _float64_features(model.policy)
        return SB3Agent(model, label)
    if kind == "callable":
        return CallableAgent(_import_callable(rest), label)
    raise ValueError(
        f"agent: unknown spec {spec!r}; expected planner:, primitive:, sb3:, callable:, bc:, contact, scripted or "
        "random"
    )
