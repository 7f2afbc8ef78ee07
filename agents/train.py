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

Checkpoints (save, load, the env contract): ``agents.checkpoints``.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.checkpoints import save_checkpoint
from agents.config import TrainConfig
from agents.data import Transitions
from agents.world_models import MODEL_KINDS, WorldModel, build_model
from agents.world_models.models import centred
from eqenvs.splits import get_split

__all__ = ["TrainConfig", "fit_readout", "init_model", "loss_terms", "run_train", "train"]

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


def run_train(config: Any, log: Any = print) -> None:
    """``python -m agents train`` (a ``TrainCommand``): train on a dataset's training episodes, write the checkpoint."""
    from agents.data import load_dataset

    data = load_dataset(config.data, "data")
    train_data, _ = data.split_episodes(config.test_fraction, config.split_seed)
    model, history = train(train_data, config.train_config(), progress=True)
    extra = {"history": history, "data": str(config.data), "test_fraction": config.test_fraction,
             "split_seed": config.split_seed}  # fmt: skip
    path = save_checkpoint(model, config.out, data.env_id, data.meta["env_kwargs"], config.train_config(), extra)
    log(f"{model.label}: {model.parameter_count:,} parameters, final loss {history['loss'][-1]:.5g}; wrote {path}")
