"""Checkpoints: one writer and reader of weights files, shared by world models (``save_checkpoint`` /
``load_checkpoint``) and behaviour-cloning policies (``agents.imitation.policies``), and the env contract a model
assumes (``model_contract``, ``check_contract``).

A checkpoint is one ``.pt`` file (loaded with ``torch.load(weights_only=True)``: no pickle): a format tag, a
version, the state dict and, as a JSON string, everything needed to rebuild the model (env id and kwargs, model
kind and hyperparameters, training config, the env contract the model assumes), written atomically;
``<name>.pt.json`` beside it is a readable copy with the file's SHA-256. A corrupted or mismatched file raises a
ValueError naming the argument it came from.
"""

from __future__ import annotations

import dataclasses
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import TrainConfig
from agents.world_models import WorldModel, build_model
from eqenvs.files import atomic_path, check_output_path, existing_file, json_safe, write_sidecar

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "check_contract",
    "load_checkpoint",
    "model_contract",
    "read_weights",
    "save_checkpoint",
    "unversioned",
    "write_weights",
]


CHECKPOINT_FORMAT = "eqenvs-world-model"
CHECKPOINT_VERSION = 2


def save_checkpoint(model: WorldModel, path: str | Path, env_id: str, env_kwargs: dict[str, Any],
                    config: TrainConfig | None = None, extra: dict[str, Any] | None = None) -> Path:  # fmt: skip
    """Write ``path`` (.pt: the state dict and, as a JSON string, everything needed to rebuild the model)
    atomically, then its readable sidecar ``path.json``. The .pt alone is the checkpoint."""
    path = check_output_path(path, ".pt", "path")
    meta = {
        "model": model.name, "hyper": model.hyper, "env_id": env_id, "env_kwargs": env_kwargs,
        "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
        "parameter_count": model.parameter_count, "contract": model_contract(model.symmetry),
        "train": None if config is None else dataclasses.asdict(config), **(extra or {}),
    }  # fmt: skip
    write_weights(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, meta, model.state_dict())
    write_sidecar(path, meta)
    return path


def write_weights(path: Path, fmt: str, version: int, meta: dict[str, Any], state_dict: dict[str, Any]) -> None:
    """Write a weights file atomically: format tag, version, ``meta`` as a JSON string and a state dict.

    Serialised in memory first: ``torch.save`` names the archive's inner folder after the file it writes, so
    writing to a temporary file would make the same weights give different bytes."""
    payload = {"format": fmt, "version": version, "meta": json.dumps(json_safe(meta), allow_nan=False),
               "state_dict": state_dict}  # fmt: skip
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _load_fault(path: Path, err: Exception) -> str:
    """Why ``torch.load`` could not read ``path``, in one line (torch's own messages span lines and name its
    internals): another kind of zip archive (a stable-baselines3 model, a .npz), or the error's first line."""
    lines = str(err).strip().splitlines()
    first = f"{type(err).__name__}: {lines[0] if lines else 'no message'}"
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        with open(path, "rb") as f:
            zip_like = f.read(2) == b"PK"
        if zip_like:
            return f"damaged or truncated ({first.split('. ')[0]})"
        return "not a zip archive, as every torch checkpoint is"
    if not any(m.endswith("/data.pkl") for m in members):
        if "policy.pth" in members:
            return "a stable-baselines3 model, not a torch checkpoint; give it as sb3:<algo>:<model.zip>"
        return f"a zip archive of {', '.join(members[:4]) or 'nothing'}, not a torch checkpoint"
    return first


def read_weights(path: Path, name: str, fmt: str, version: int, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(payload, meta) of a ``write_weights`` file of format ``fmt`` (weights only: no pickle); ValueErrors
    name ``name`` and say the file is not ``what``."""
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises pickle, zip and runtime errors for damaged files
        raise ValueError(f"{name}: {path} is not a readable checkpoint ({_load_fault(path, err)})") from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise ValueError(f"{name}: {path} is not {what}")
    if payload.get("version") != version:
        raise ValueError(f"{name}: {path} has checkpoint version {payload.get('version')}, expected "
                         f"{version}; retrain it with this version")  # fmt: skip
    try:
        return payload, json.loads(payload["meta"])
    except (TypeError, KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"{name}: {path} holds unreadable metadata ({err!r})") from None


def model_contract(symmetry: Any) -> dict[str, Any]:
    """What a model assumes of an env: its group, observation type and the observation and action layouts
    (each field's name, kind, width and units). ``check_contract`` compares an env against it."""

    def fields(layout: Any) -> list[list[Any]]:
        return [[f.name, f.kind, f.dim, f.scale, list(f.origin), f.unit] for f in layout]

    return {"group": symmetry.group.group, "obs_type": symmetry.obs_type, "obs": fields(symmetry.obs_layout),
            "action": fields(symmetry.action_layout)}  # fmt: skip


def unversioned(env_id: str) -> tuple[str | None, str]:
    """An env id without its version: EqPushT-v1 and EqPushT-v1 differ only in their default reward, which a
    world model never sees, so a model of one fits the other."""
    namespace, name, _ = gym.envs.registration.parse_env_id(env_id)
    return namespace, name


def check_contract(meta: dict[str, Any], env: gym.Env, what: str = "agent") -> None:
    """ValueError naming ``what`` unless ``env`` is an env the checkpoint described by ``meta`` was trained for:
    the same env (any version of it), group, observation type and observation and action layouts (so a model
    of delta actions never drives an absolute-action env, nor a state model a pixel env)."""
    unwrapped = env.unwrapped
    env_id = unwrapped.spec.id if unwrapped.spec is not None else type(unwrapped).__name__
    if unversioned(meta["env_id"]) != unversioned(env_id):
        raise ValueError(f"{what}: the model was trained on {meta['env_id']}, not {env_id}")
    symmetry = getattr(unwrapped, "symmetry", None)
    if symmetry is None:
        raise ValueError(f"{what}: {env_id} exposes no symmetry, so the model's contract cannot be checked")
    have, need = model_contract(symmetry), meta["contract"]
    faults = [f"{key}: env has {have[key]}, model needs {need[key]}" for key in need if have.get(key) != need[key]]
    if faults:
        trained_on = f"{meta['env_id']} {meta.get('env_kwargs', {})}"
        raise ValueError(f"{what}: this env differs from the one the model was trained on ({trained_on}): "
                         + "; ".join(faults))  # fmt: skip


def load_checkpoint(path: str | Path, name: str = "path") -> tuple[WorldModel, dict[str, Any]]:
    """Rebuild a model from ``save_checkpoint`` output: (model in eval mode, its metadata); ValueErrors name
    ``name`` (the caller's argument)."""
    path = existing_file(path, name, "a .pt world-model checkpoint")
    what = "an eqenvs world-model checkpoint (written by save_checkpoint)"
    payload, meta = read_weights(path, name, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, what)
    try:
        kind, hyper, env_id, env_kwargs = meta["model"], meta["hyper"], meta["env_id"], meta["env_kwargs"]
        if not isinstance(meta["contract"], dict):
            raise TypeError("contract is not a JSON object")
    except (TypeError, KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"{name}: {path} holds unreadable metadata ({err!r})") from None
    try:
        with warnings.catch_warnings():  # the model's own env, made for its symmetry only: no deprecation notice
            warnings.simplefilter("ignore", DeprecationWarning)
            env = gym.make(env_id, **env_kwargs)
        symmetry = env.unwrapped.symmetry
        env.close()
    except Exception as err:  # an unknown id (gymnasium's own error) or bad kwargs
        raise ValueError(f"{name}: {path} names an env that cannot be made: {env_id} {env_kwargs} ({err})") from None
    model = build_model(kind, symmetry, **hyper).to(getattr(torch, meta.get("dtype", "float32")))
    try:
        model.load_state_dict(payload["state_dict"], strict=True)
    except (RuntimeError, TypeError, KeyError) as err:
        raise ValueError(f"{name}: {path} does not match a {kind} model with {hyper} ({err})") from None
    return model.eval(), meta
