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

Optimisers: ``"muon"`` routes 2-D weight matrices (VN channel mixers, MLP layers) to ``torch.optim.Muon``
and everything else (gains, biases) to AdamW; ``"adamw"``, ``"adam"`` and ``"sgd"`` use one optimiser for
all. Weight decay is 1e-4 for both groups, chosen deliberately: the models are small and the data short,
and Muon's default of 0.1 shrinks the latent towards the variance hinge. The learning rate follows a
cosine decay to 5% of its start, which keeps the EMA target from lagging at the end of training.

Checkpoints are a ``.pt`` state dict (loaded with ``torch.load(weights_only=True)``) and a ``.json``
sidecar with everything needed to rebuild the model (env id, model kind and hyperparameters, training
config); both are written atomically, and a corrupted or mismatched checkpoint raises ValueError.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.data import Transitions
from agents.world_models import MODEL_KINDS, WorldModel, build_model
from agents.world_models.models import centred
from eqenvs.files import atomic_path, existing_with_sidecar, write_json
from eqenvs.splits import get_split

__all__ = ["TrainConfig", "init_model", "load_checkpoint", "loss_terms", "save_checkpoint", "train"]

OPTIMIZERS = ("muon", "adamw", "adam", "sgd")
_EPS = 1e-4


@dataclass(frozen=True)
class TrainConfig:
    """One training run; every field is also a command-line flag."""

    model: str = "vn_latent"
    """vn_latent | mlp_latent | vn_explicit | mlp_explicit."""
    epochs: int = 40
    """Passes over the training transitions."""
    batch_size: int = 128
    """Transitions per step."""
    lr: float = 1e-2
    """Start learning rate (Muon with AdamW-matched update scale, and AdamW)."""
    weight_decay: float = 1e-4
    """Decoupled weight decay, every parameter group."""
    optimizer: str = "muon"
    """muon (2-D weights) + AdamW (the rest) | adamw | adam | sgd."""
    ema: float = 0.99
    """EMA decay of the latent models' target encoder."""
    var_weight: float = 1.0
    """VICReg variance hinge weight (latent models)."""
    cov_weight: float = 0.04
    """VICReg covariance weight (latent models)."""
    augment: bool = False
    """Baseline stress test: rotate every batch by a random element of the full group."""
    soft: float = 0.0
    """Baseline stress test: weight of a soft-equivariance penalty |rho(g) F(x, a) - F(g x, g a)|^2."""
    width: float = 1.0
    """Baseline stress test ("scale"): multiply the model's hidden width."""
    dtype: str = "float32"
    """float32 | float64."""
    seed: int = 0
    """Seeds initialisation, batch order and augmentation."""
    hyper: dict[str, Any] = field(default_factory=dict)
    """Model hyperparameters (``build_model`` keywords), e.g. {"hidden": 48}."""
    readout_epochs: int = 10
    """Latent models: epochs of the planning readout (latent -> centred observation), trained afterwards."""

    def __post_init__(self) -> None:
        if self.model not in MODEL_KINDS:
            raise ValueError(f"model: {self.model!r} is not one of {sorted(MODEL_KINDS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: {self.optimizer!r} is not one of {OPTIMIZERS}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: {self.dtype!r} is not float32 or float64")
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema: must lie in [0, 1), got {self.ema}")


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
        prediction = ((pred - next_obs) ** 2).sum(-1).mean()
        return {"loss": prediction, "prediction": prediction}
    with torch.no_grad():
        target = model.target(next_obs)
    prediction = ((pred - target) ** 2).sum((-2, -1)).mean()
    variance, covariance = variance_hinge(z), covariance_penalty(z)
    loss = prediction + config.var_weight * variance + config.cov_weight * covariance
    return {"loss": loss, "prediction": prediction, "variance": variance, "covariance": covariance}


# --------------------------------------------------------------------------- optimisation
def _optimizers(model: WorldModel, config: TrainConfig) -> list[torch.optim.Optimizer]:
    params = [p for p in model.parameters() if p.requires_grad]
    decay = config.weight_decay
    if config.optimizer == "muon":
        matrices = [p for p in params if p.ndim == 2]
        rest = [p for p in params if p.ndim != 2]
        # the AdamW-matched scale lets both groups share one learning rate
        optimizers: list[torch.optim.Optimizer] = [
            torch.optim.Muon(matrices, lr=config.lr, weight_decay=decay, adjust_lr_fn="match_rms_adamw")
        ]
        if rest:
            optimizers.append(torch.optim.AdamW(rest, lr=config.lr, weight_decay=decay))
        return optimizers
    if config.optimizer == "adamw":
        return [torch.optim.AdamW(params, lr=config.lr, weight_decay=decay)]
    if config.optimizer == "adam":
        return [torch.optim.Adam(params, lr=config.lr)]
    return [torch.optim.SGD(params, lr=config.lr * 10, momentum=0.9, weight_decay=decay)]


def _hyper(config: TrainConfig) -> dict[str, Any]:
    hyper = dict(config.hyper)
    if config.width != 1.0:
        defaults = {p.name: p.default for p in inspect.signature(MODEL_KINDS[config.model]).parameters.values()}
        hyper["hidden"] = max(1, round(hyper.get("hidden", defaults["hidden"]) * config.width))
    return hyper


def init_model(symmetry: Any, config: TrainConfig) -> WorldModel:
    """The model ``train`` starts from: built from ``config`` after seeding torch with ``config.seed``."""
    torch.manual_seed(config.seed)
    return build_model(config.model, symmetry, **_hyper(config)).to(getattr(torch, config.dtype))


def train(data: Transitions, config: TrainConfig, progress: bool = False) -> tuple[WorldModel, dict[str, Any]]:
    """Train a model of ``config.model`` on ``data``; returns the model and the per-epoch loss history.

    Same data, same config (seed included), same machine -> the same weights, bit for bit.
    """
    dtype = getattr(torch, config.dtype)
    symmetry = data.symmetry()
    model = init_model(symmetry, config)
    obs, action, next_obs = (torch.tensor(a, dtype=dtype) for a in (data.obs, data.action, data.next_obs))
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
def save_checkpoint(model: WorldModel, path: str | Path, env_id: str, env_kwargs: dict[str, Any],
                    config: TrainConfig | None = None, extra: dict[str, Any] | None = None) -> Path:  # fmt: skip
    """Write ``path`` (.pt state dict) and ``path``.json (how to rebuild it), each atomically."""
    path = Path(path)
    if path.suffix != ".pt":
        raise ValueError(f"path: a checkpoint is a .pt file, got {path.name!r}")
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    meta = {
        "model": model.name, "hyper": model.hyper, "env_id": env_id, "env_kwargs": env_kwargs,
        "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
        "parameter_count": model.parameter_count,
        "train": None if config is None else dataclasses.asdict(config), **(extra or {}),
    }  # fmt: skip
    write_json(path.with_suffix(".json"), meta)
    return path


def load_checkpoint(path: str | Path) -> tuple[WorldModel, dict[str, Any]]:
    """Rebuild a model from ``save_checkpoint`` output: (model in eval mode, its JSON metadata)."""
    path, sidecar = existing_with_sidecar(path, "a checkpoint")
    try:
        meta = json.loads(sidecar.read_text())
        kind, hyper, env_id, env_kwargs = meta["model"], meta["hyper"], meta["env_id"], meta["env_kwargs"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"path: {sidecar} is not a checkpoint sidecar ({err!r})") from None
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises pickle, zip and runtime errors for damaged files
        raise ValueError(f"path: {path} is not a readable checkpoint ({type(err).__name__}: {err})") from None
    symmetry = gym.make(env_id, **env_kwargs).unwrapped.symmetry
    model = build_model(kind, symmetry, **hyper).to(getattr(torch, meta.get("dtype", "float32")))
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"path: {path} does not match a {kind} model with {hyper} ({err})") from None
    return model.eval(), meta
