"""Behaviour cloning: fit a policy to the demonstrations' expert chunks (negative log likelihood), with optional
augmentation over a split's arc."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from agents.imitation.demos import Demos
from agents.imitation.policies import bc_policy


def _augmentation_arc(demos: Demos, augment: str) -> tuple[float, float] | None:
    """The (start, length) of the split ``augment``'s arc, checked to hold every demonstration's orientation."""
    if not augment:
        return None
    from eqenvs.splits import get_split

    split = get_split(demos.env_id, augment)
    if not hasattr(split, "start") or split.group.dim != 2:
        raise ValueError(f"augment: {augment!r} is not an arc of planar orientations")
    outside = sorted({a for a in demos.angle.tolist() if not split.contains(a)})
    if outside:
        raise ValueError(f"augment: the demonstrations hold orientations outside {augment!r}: "
                         f"{[round(math.degrees(a), 3) for a in outside]} deg")  # fmt: skip
    return split.start, split.length


def _turn(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate every 2-vector of each row of ``x`` (..., 2k) or (..., k, 2) by that row's ``angle`` about the
    origin: frame mode's action on EqPushT's state (points about the arena centre, and vectors) and on
    delta actions (``tests/test_imitation.py`` checks it against ``Symmetry.act_obs``)."""
    c, s = torch.cos(angle), torch.sin(angle)
    shape = x.shape
    v = x.reshape(len(x), -1, 2)
    c, s = c[:, None], s[:, None]
    turned = torch.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], dim=-1)
    return turned.reshape(shape)


EMA_DECAY = 0.999
"""Flow policies sample with an exponential moving average of their weights (decay per gradient step)."""


def train_bc(demos: Demos, kind: str, *, hidden: int = 128, depth: int = 3, modes: int = 5, horizon: int = 8,
             execute: int = 4, epochs: int = 60, batch_size: int = 256, lr: float = 1e-3, seed: int = 0,
             steps: int = 10, extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, augment: str = "",
             init: nn.Module | None = None, compile_loss: bool = False, log: Any = None
             ) -> tuple[nn.Module, dict[str, Any]]:  # fmt: skip
    """Fit a policy to the demonstrations' action chunks (each step's label and the next ``horizon - 1``) by
    the mixture's negative log likelihood, or (``diffusion``, ``vn-diffusion``) by conditional flow matching with
    ``steps`` Euler steps at sampling (Adam, cosine-decayed step size). The agent acts with the first
    ``execute`` actions of a chunk, then predicts the next. ``extra``: more (observations, chunks,
    orientations) triples (DAgger's labels), trained on with the demonstrations. ``augment``: a split name
    (e.g. "slice"): every sample of every batch is turned, with its chunk, to an orientation drawn
    uniformly from that split's arc (frame mode's group action, so a turned sample is a true sample of the
    env at the new orientation); the policy still sees no orientation outside the split. ``init``: a policy of
    the same kind and sizes whose weights (and scaling) training starts from (DAgger's warm-started rounds).
    ``compile_loss``: the loss through ``torch.compile`` (the VN flow policy's epochs ~1.6x faster on a CPU; the
    same draws, but fused kernels round differently, so the weights are not eager training's bit for bit)."""
    if min(hidden, depth, modes, horizon, execute, epochs, batch_size) < 1 or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"hidden, depth, modes, horizon, execute, epochs, batch_size must be >= 1 and lr > 0; got "
                         f"{hidden}, {depth}, {modes}, {horizon}, {execute}, {epochs}, {batch_size}, {lr}")  # fmt: skip
    if execute > horizon:
        raise ValueError(f"execute: at most horizon ({horizon}) actions of a chunk can be executed, got {execute}")
    torch.manual_seed(seed)
    policy = bc_policy(kind, demos.env_id, demos.env_kwargs, hidden, depth, modes, horizon, steps)
    from agents.imitation.diffusion import FlowPolicy

    flow = isinstance(policy, FlowPolicy)
    obs, target = torch.as_tensor(demos.obs, dtype=torch.float32), torch.as_tensor(demos.chunks(horizon))
    angle = torch.as_tensor(demos.angle, dtype=torch.float32)
    if extra is not None:
        obs = torch.cat([obs, torch.as_tensor(extra[0], dtype=torch.float32)])
        target = torch.cat([target, torch.as_tensor(extra[1][:, :horizon], dtype=torch.float32)])
        angle = torch.cat([angle, torch.as_tensor(extra[2], dtype=torch.float32)])
    arc = _augmentation_arc(demos, augment)
    if init is not None:
        policy.load_state_dict(init.state_dict())  # its scaling included: a warm start keeps the input statistics
    else:
        policy.fit_scaling(obs)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    batches = math.ceil(len(obs) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * batches)
    generator = torch.Generator().manual_seed(seed)
    # flow policies: an exponential moving average of the weights is what samples (as diffusion models keep one)
    ema = [p.detach().clone() for p in policy.parameters()] if flow else None
    loss_fn = policy.flow_loss if flow else policy.nll
    if compile_loss:  # one graph per batch shape (the last, shorter batch compiles once more)
        loss_fn = torch.compile(loss_fn, dynamic=False)
    history, started = [], time.perf_counter()
    for epoch in range(epochs):
        order, total = torch.randperm(len(obs), generator=generator), 0.0
        for b in range(batches):
            idx = order[b * batch_size : (b + 1) * batch_size]
            batch_obs, batch_target = obs[idx], target[idx]
            if arc is not None:
                start, length = arc
                turn = start + length * torch.rand(len(idx), generator=generator) - angle[idx]
                batch_obs, batch_target = _turn(batch_obs, turn), _turn(batch_target, turn)
            draws = policy.draw(batch_target, generator) if flow else ()  # outside the (compilable) loss
            loss = loss_fn(batch_obs, batch_target, *draws)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            if ema is not None:
                with torch.no_grad():
                    for e, p in zip(ema, policy.parameters(), strict=True):
                        e.lerp_(p, 1.0 - EMA_DECAY)
            total += float(loss.detach()) * len(idx)
        history.append(total / len(obs))
        if log is not None and (epoch % 10 == 9 or epoch == epochs - 1):
            what = "flow-matching loss" if flow else "negative log likelihood"
            log(f"epoch {epoch + 1}/{epochs}: {what} {history[-1]:.4f} ({time.perf_counter() - started:.0f} s)")
    seconds = round(time.perf_counter() - started, 1)
    if ema is not None:
        with torch.no_grad():
            for p, e in zip(policy.parameters(), ema, strict=True):
                p.copy_(e)
    with torch.no_grad():  # the next action's error (flow policies: sampled from zero noise, on 4096 samples)
        n = 4096 if flow else len(obs)
        mse = float(((policy(obs[:n])[:, 0] - target[:n, 0]) ** 2).sum(-1).mean())
    hyper = {"hidden": hidden, "depth": depth, "modes": modes, "horizon": horizon} | ({"steps": steps} if flow else {})
    meta = {"policy": kind, "hyper": hyper,
            "execute": execute, "env_id": demos.env_id, "extra_labels": 0 if extra is None else len(extra[0]),
            "env_kwargs": demos.env_kwargs, "demos": demos.path, "steps": len(demos),
            "episodes": int(demos.episode.max()) + 1,
            "angles_deg": sorted({round(math.degrees(a), 6) for a in demos.angle.tolist()}),
            "train": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "augment": augment,
                      "compile": compile_loss},
            "loss": history, "action_mse": mse, "seconds": seconds,
            "parameter_count": sum(p.numel() for p in policy.parameters())}  # fmt: skip
    return policy.eval(), meta
