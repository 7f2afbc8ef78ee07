"""Training of the world models: Muon + AdamW, EMA target encoder, rotation-invariant VICReg; checkpoints.

    python -m agents train --data runs/push2d.npz --model vn_latent --out runs/vn_latent.pt

Latent models minimise ``|f(E(s), a) - sg(E_ema(s'))|^2`` plus VICReg terms on E(s) that keep the latent
from collapsing; explicit models minimise ``|F(s, a) - s'|^2``. The VICReg terms are written from inner
products of latent vectors, so the *loss itself* is invariant under the group: rotating every sample by
the same g rotates the equivariant model's latents by rho(g) = R, and

* the variance hinge uses, per latent vector channel c, ``std_c = sqrt(tr Cov_c / d)`` — the trace of
  the channel's d x d batch covariance, which ``R Cov R^T`` leaves unchanged;
* the covariance term penalises the off-diagonal of the channel Gram covariance
  ``K_ce = mean_b <z_bc - mean_c, z_be - mean_e> / d``, made of inner products, also unchanged.

(A per-coordinate VICReg would penalise the x and y coordinates separately and change under rotation.)

Optimisers (``agents.optim``): ``"muon"``, the default, routes 2-D weight matrices (VN channel mixers, MLP
layers) to ``agents.optim.Muon`` — Muon with its Newton-Schulz orthogonalisation in float32 (float64 for
float64 models) — and everything else (gains, biases) to AdamW; ``"torch_muon"`` is the same routing with
``torch.optim.Muon``, which orthogonalises in bfloat16: 12-15x slower per epoch for the MLP models on a CPU
without bf16 units (``python -m agents optim-speed``); ``"adamw"``, ``"adam"`` and ``"sgd"`` use one
optimiser for all. Muon is the default on measured numbers: at the quick preset's budget (median of 3 seeds)
its seen relMSE is 6-14x below AdamW's for vn_latent, mlp_latent and vn_explicit (AdamW at 1e-2; 1e-3,
3e-3 and 3e-2 were worse for these three on seed 0), and AdamW misses the vn_latent and vn_explicit relMSE
targets; for mlp_explicit AdamW is 1.5x better. Weight decay is 1e-4 for both groups, chosen deliberately:
the models are small and the data short, and Muon's default of 0.1 shrinks the latent towards the variance
hinge. The learning rate follows a cosine decay to 5% of its start, which keeps the EMA target from lagging
at the end of training.

A checkpoint is one ``.pt`` file (loaded with ``torch.load(weights_only=True)``): the state dict and, as a
JSON string, everything needed to rebuild the model (env id and kwargs, model kind and hyperparameters,
training config, the env contract the model assumes), written atomically; ``<name>.pt.json`` is a readable
copy with the file's SHA-256. A corrupted or mismatched checkpoint raises ValueError.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import math
import warnings
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import TrainConfig
from agents.data import Transitions
from agents.world_models import MODEL_KINDS, WorldModel, build_model
from agents.world_models.models import centred
from eqenvs.files import atomic_path, check_output_path, existing_file, json_safe, write_sidecar
from eqenvs.splits import get_split

__all__ = [
    "TrainConfig",
    "check_contract",
    "init_model",
    "load_checkpoint",
    "loss_terms",
    "model_contract",
    "save_checkpoint",
    "train",
]

_EPS = 1e-4


# --------------------------------------------------------------------------- losses
def _centred(z: torch.Tensor) -> torch.Tensor:
    return z - z.mean(dim=0, keepdim=True)


def variance_hinge(z: torch.Tensor) -> torch.Tensor:
    """Mean over latent channels of ``relu(1 - std_c)``, ``std_c = sqrt(tr Cov_c / d)``: rotation-invariant."""
    c = _centred(z)  # (B, C, d)
    std = torch.sqrt((c * c).sum(-1).mean(0) / z.shape[-1] + _EPS)  # (C,)
    return torch.relu(1.0 - std).mean()


def covariance_penalty(z: torch.Tensor) -> torch.Tensor:
    """Squared off-diagonal of the channel Gram covariance (inner products only: rotation-invariant)."""
    c = _centred(z)
    gram = torch.einsum("bcd,bed->ce", c, c) / ((z.shape[0] - 1) * z.shape[-1])  # (C, C)
    off = gram - torch.diag(torch.diagonal(gram))
    return (off * off).sum() / z.shape[1]


def loss_terms(model: WorldModel, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor,
               config: TrainConfig) -> dict[str, torch.Tensor]:  # fmt: skip
    """The training loss and its parts for one batch."""
    z = model.encode(obs)
    pred = model.predict(z, action)
    if model.kind == "explicit":
        weights = getattr(model, "loss_weights", None)  # per field: one over its mean squared change
        squared = (pred - next_obs) ** 2
        prediction = (squared if weights is None else squared * weights).sum(-1).mean()
        return {"loss": prediction, "prediction": prediction}
    with torch.no_grad():
        target = model.target(next_obs)
    prediction = ((pred - target) ** 2).sum((-2, -1)).mean()
    variance, covariance = variance_hinge(z), covariance_penalty(z)
    loss = prediction + config.var_weight * variance + config.cov_weight * covariance
    return {"loss": loss, "prediction": prediction, "variance": variance, "covariance": covariance}


# --------------------------------------------------------------------------- optimisation
def _optimizers(model: WorldModel, config: TrainConfig) -> list[torch.optim.Optimizer]:
    from agents.optim import build_optimizers

    return build_optimizers(model, config.optimizer, lr=config.lr, weight_decay=config.weight_decay)


def _hyper(config: TrainConfig) -> dict[str, Any]:
    hyper = dict(config.hyper)
    if config.width != 1.0:
        defaults = {p.name: p.default for p in inspect.signature(MODEL_KINDS[config.model]).parameters.values()}
        hyper["hidden"] = max(1, round(hyper.get("hidden", defaults["hidden"]) * config.width))
    return hyper


def init_model(symmetry: Any, config: TrainConfig) -> WorldModel:
    """The model ``train`` starts from: built from ``config`` after seeding torch with ``config.seed``."""
    torch.manual_seed(config.seed)
    model = build_model(config.model, symmetry, **_hyper(config))
    try:
        return model.to(device=torch.device(config.device), dtype=getattr(torch, config.dtype))
    except (RuntimeError, ValueError, AssertionError) as err:  # an unknown or unavailable device (torch asserts
        # that it was compiled with CUDA)
        raise ValueError(f"device: {config.device!r} is not usable here ({err})") from None


def train(data: Transitions, config: TrainConfig, progress: bool = False) -> tuple[WorldModel, dict[str, Any]]:
    """Train a model of ``config.model`` on ``data``; returns the model and the per-epoch loss history.

    Same data, same config (seed included), same machine -> the same weights, bit for bit.
    """
    data.validate()
    dtype = getattr(torch, config.dtype)
    symmetry = data.symmetry()
    model = init_model(symmetry, config)
    device = next(model.parameters()).device
    obs, action, next_obs = (torch.tensor(a, dtype=dtype, device=device) for a in (data.obs, data.action,
                                                                                    data.next_obs))  # fmt: skip
    generator = torch.Generator().manual_seed(config.seed)
    rng = np.random.default_rng([config.seed, 0xA6])
    full = get_split(data.env_id, "full")
    fit_normalisation = getattr(model, "fit_normalisation", None)
    if fit_normalisation is not None:  # the MLP baselines standardise their inputs (training statistics) ...
        if config.augment or config.soft:  # ... of the inputs they will train on: rotated over the full group
            g = [full.sample(rng) for _ in range(len(obs))]
            fit_normalisation(*(torch.stack([layout.act(gi, row) for gi, row in zip(g, x, strict=True)])
                                for layout, x in ((symmetry.obs_layout, obs), (symmetry.action_layout, action),
                                                  (symmetry.obs_layout, next_obs))))  # fmt: skip
        else:
            fit_normalisation(obs, action, next_obs)
    optimizers = _optimizers(model, config)
    steps_per_epoch = math.ceil(len(obs) / config.batch_size)
    total = config.epochs * steps_per_epoch
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lambda k: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * k / total)))
                 for o in optimizers]  # fmt: skip
    history: dict[str, list[float]] = {}
    epochs = tqdm(range(config.epochs), desc=f"train {config.model}", disable=not progress, leave=False)
    for _ in epochs:
        sums: dict[str, float] = {}
        for batch in torch.randperm(len(obs), generator=generator).split(config.batch_size):
            o, a, o2 = obs[batch], action[batch], next_obs[batch]
            if config.augment:  # one random element of the full group per batch
                g = full.sample(rng)
                o, o2 = symmetry.obs_layout.act(g, o), symmetry.obs_layout.act(g, o2)
                a = symmetry.action_layout.act(g, a)
            terms = loss_terms(model, o, a, o2, config)
            loss = terms["loss"]
            if config.soft:
                g = full.sample(rng)
                moved = model(symmetry.obs_layout.act(g, o), symmetry.action_layout.act(g, a))
                penalty = ((moved - model.act_latent(g, model(o, a))) ** 2).mean()
                loss = loss + config.soft * penalty
                terms["soft"] = penalty
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            for schedule in schedules:
                schedule.step()
            model.update_target(config.ema)
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach()) * len(batch)
        for name, value in sums.items():
            history.setdefault(name, []).append(value / len(obs))
        epochs.set_postfix(loss=f"{history['loss'][-1]:.4g}")
    if model.kind == "latent" and config.readout_epochs:
        history["readout"] = fit_readout(model, obs, config.readout_epochs, config.batch_size, generator)
    model.eval()
    return model, history


def fit_readout(model: WorldModel, obs: torch.Tensor, epochs: int, batch_size: int,
                generator: torch.Generator) -> list[float]:  # fmt: skip
    """Train a latent model's planning readout on frozen latents: decode(E(s)) ~ the centred observation.

    Returns the per-epoch mean squared error.
    """
    with torch.no_grad():
        z, target = model.encode(obs), centred(obs, model.symmetry)
    optimizer = torch.optim.Adam(model.readout.parameters(), lr=3e-3)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(obs), generator=generator).split(batch_size):
            loss = ((model.decode(z[batch]) - target[batch]) ** 2).sum(-1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
        losses.append(total / len(obs))
    return losses


# --------------------------------------------------------------------------- checkpoints
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
