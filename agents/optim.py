"""Optimisers for the world models: a Muon whose Newton-Schulz orthogonalisation runs in float32, and the
builder ``agents.train`` uses (2-D weight matrices to Muon, every other parameter to AdamW).

Why not ``torch.optim.Muon`` as is: it orthogonalises every update in bfloat16. On a CPU without bf16
units (AVX2 only) a bf16 matrix product takes a slow path: 256 x 256 costs 28 ms against 0.8 ms in float32
on a user's AVX2 CPU, and 10.5 ms against 0.34 ms (31x) on an AMD EPYC with oneDNN capped at AVX2. The MLP
baseline's quick-preset training then takes 7 minutes instead of 25 s, and the quick report 540 s instead
of 53 s (``python -m agents optim-speed`` measures it). Where bf16 units exist, they do not pay at these
sizes: on an AVX512-bf16 CPU a bf16 orthogonalisation is 2x faster than float32 at 256 x 256 but 4-5x
slower at the VN models' 32 x 32 and 64 x 36 (the casts and small kernels cost more than the arithmetic).

The rule (``orthogonalisation_dtype``): orthogonalise in the parameter's own precision, never below
float32 — float64 for float64 parameters, float32 for everything else — on every device. One rule for
every machine: a rule that detected bf16 support would make the optimiser itself, not only the rounding,
differ between machines; and float32 is the more accurate choice. Pass ``ns_dtype=torch.bfloat16`` for
torch's behaviour (large matrices on a GPU with bf16 tensor cores, where it may pay off: not measured here).

The update (Keller Jordan's Muon, with torch's "match_rms_adamw" learning-rate scale from Moonshot's
"Muon is Scalable for LLM Training"), per 2-D parameter W with gradient G, momentum mu, weight decay wd:

    B <- mu B + (1 - mu) G                          (an average of gradients)
    D <- (1 - mu) G + mu B   (nesterov)  or  B      (the direction to orthogonalise)
    O <- NS_5(D)                                    (~ U V^T for D = U S V^T, see ``orthogonalise``)
    W <- (1 - lr wd) W - lr_adj O,   lr_adj = 0.2 sqrt(max(rows, cols)) lr   ("match_rms_adamw")
                                     or lr_adj = sqrt(max(1, rows / cols)) lr (Keller's "original")

The scale of B and D does not matter: NS starts by dividing by the Frobenius norm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

__all__ = [
    "NS_COEFFICIENTS",
    "OPTIMIZERS",
    "Muon",
    "adjusted_lr",
    "build_optimizers",
    "orthogonalisation_dtype",
    "orthogonalise",
    "split_parameters",
]

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
"""(a, b, c) of the quintic ``p(s) = a s + b s^3 + c s^5`` (Keller Jordan's: the largest slope at 0 for which
five steps still bring every singular value in [0.003, 1] into [0.68, 1.21])."""
OPTIMIZERS = ("muon", "torch_muon", "adamw", "adam", "sgd")
"""Names ``build_optimizers`` (and ``TrainConfig.optimizer``) accept."""


def orthogonalisation_dtype(param_dtype: torch.dtype) -> torch.dtype:
    """The dtype Muon orthogonalises a ``param_dtype`` update in: float64 for float64, else float32."""
    return torch.float64 if param_dtype == torch.float64 else torch.float32


def orthogonalise(matrix: torch.Tensor, steps: int = 5, coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                  eps: float = 1e-7, dtype: torch.dtype | None = None) -> torch.Tensor:  # fmt: skip
    """Newton-Schulz approximation of ``U V^T`` for ``matrix = U S V^T`` ``(..., m, n)``, computed in ``dtype``
    (default ``orthogonalisation_dtype(matrix.dtype)``) and returned in ``matrix.dtype``.

    After dividing by the Frobenius norm (>= the spectral norm, so every singular value lies in [0, 1]),
    each step maps ``X -> a X + b (X X^T) X + c (X X^T)^2 X``, i.e. applies the quintic to every singular
    value and keeps the singular vectors. Five steps give singular values in about [0.68, 1.21] (not 1:
    the coefficients trade exactness for speed, which does not hurt training). A leading batch axis is
    allowed (one independent orthogonalisation per matrix).
    """
    if matrix.ndim not in (2, 3):
        raise ValueError(f"matrix: expected (m, n) or (k, m, n), got shape {tuple(matrix.shape)}")
    a, b, c = coefficients
    x = matrix.to(orthogonalisation_dtype(matrix.dtype) if dtype is None else dtype)
    tall = x.shape[-2] > x.shape[-1]
    if tall:  # work with the smaller Gram matrix X X^T
        x = x.mT
    x = x / torch.linalg.matrix_norm(x, keepdim=True).clamp(min=eps)
    addmm = torch.addmm if x.ndim == 2 else torch.baddbmm
    for _ in range(steps):
        gram = x @ x.mT  # (..., m, m)
        x = addmm(x, addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)  # (a + b G + c G^2) X
    if tall:
        x = x.mT
    return x.to(matrix.dtype)


def adjusted_lr(lr: float, shape: tuple[int, ...] | torch.Size, adjust_lr_fn: str | None) -> float:
    """The learning rate Muon applies to a ``shape`` matrix: scaled so that the orthogonal update's RMS is
    comparable across shapes ("original": ``sqrt(max(1, rows / cols))``) or matches AdamW's typical update
    RMS ("match_rms_adamw": ``0.2 sqrt(max(rows, cols))``, so Muon and AdamW can share one learning rate)."""
    rows, cols = shape[0], shape[1]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1.0, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    raise ValueError(f"adjust_lr_fn: {adjust_lr_fn!r} is not None, 'original' or 'match_rms_adamw'")


class Muon(torch.optim.Optimizer):
    """Muon (momentum orthogonalised by Newton-Schulz) for 2-D parameters; the module docstring has the update.

    Same arguments and defaults as ``torch.optim.Muon`` (torch 2.13) plus ``ns_dtype``: the dtype of the
    orthogonalisation, default ``orthogonalisation_dtype`` of each parameter (float32, or float64 for
    float64 parameters). With ``ns_dtype=torch.bfloat16`` the weights equal ``torch.optim.Muon``'s bit for
    bit (torch 2.13). Matrices of the same shape are orthogonalised together in one batched product (fewer,
    larger kernels; the result does not depend on how parameters are grouped, to float rounding).
    """

    def __init__(self, params: Iterable[torch.Tensor] | Iterable[dict], lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7, ns_steps: int = 5,
                 adjust_lr_fn: str | None = None, ns_dtype: torch.dtype | None = None) -> None:  # fmt: skip
        if not lr >= 0.0:
            raise ValueError(f"lr: must be >= 0, got {lr}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay: must be >= 0, got {weight_decay}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum: must lie in [0, 1), got {momentum}")
        if ns_steps < 0:
            raise ValueError(f"ns_steps: must be >= 0, got {ns_steps}")
        if len(ns_coefficients) != 3:
            raise ValueError(f"ns_coefficients: expected (a, b, c), got {ns_coefficients}")
        adjusted_lr(1.0, (1, 1), adjust_lr_fn)  # validates the name
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
                    "ns_coefficients": tuple(ns_coefficients), "eps": eps, "ns_steps": ns_steps,
                    "adjust_lr_fn": adjust_lr_fn, "ns_dtype": ns_dtype}  # fmt: skip
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"params: Muon takes 2-D parameters only, got one of shape {tuple(p.shape)}")
                if p.is_complex():
                    raise ValueError("params: Muon does not take complex parameters")

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """One Muon step on every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            batches: dict[tuple, list[tuple[torch.Tensor, torch.Tensor]]] = {}
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("Muon does not take sparse gradients")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p.grad)
                buffer = state["momentum_buffer"]
                buffer.lerp_(p.grad, 1.0 - momentum)
                direction = p.grad.lerp(buffer, momentum) if group["nesterov"] else buffer
                key = (tuple(p.shape), p.dtype, p.device)
                batches.setdefault(key, []).append((p, direction))
            for pairs in batches.values():
                directions = torch.stack([d for _, d in pairs])  # (k, m, n)
                updates = orthogonalise(directions, group["ns_steps"], group["ns_coefficients"], group["eps"],
                                        group["ns_dtype"])  # fmt: skip
                for (p, _), update in zip(pairs, updates.unbind(0), strict=True):
                    p.mul_(1.0 - lr * decay)
                    p.add_(update, alpha=-adjusted_lr(lr, p.shape, group["adjust_lr_fn"]))
        return loss


def split_parameters(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The trainable parameters of ``model`` as (2-D weight matrices, the rest: gains, biases, vectors)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return [p for p in params if p.ndim == 2], [p for p in params if p.ndim != 2]


def build_optimizers(model: nn.Module, name: str = "muon", lr: float = 1e-2, weight_decay: float = 1e-4,
                     ns_dtype: torch.dtype | None = None) -> list[torch.optim.Optimizer]:  # fmt: skip
    """The optimisers that train ``model`` (step all of them after each backward pass).

    * ``"muon"``: ``Muon`` (float32/float64 orthogonalisation, or ``ns_dtype``) on the 2-D weight matrices,
      AdamW on the rest; ``"torch_muon"``: the same with ``torch.optim.Muon`` (bfloat16 orthogonalisation).
      Both use the "match_rms_adamw" scale, so the two groups share one learning rate and weight decay;
    * ``"adamw"``, ``"adam"`` (no weight decay), ``"sgd"`` (10 x lr, momentum 0.9): one optimiser for all.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"name: {name!r} is not one of {OPTIMIZERS}")
    matrices, rest = split_parameters(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if name in ("muon", "torch_muon"):
        if name == "muon":
            muon: torch.optim.Optimizer = Muon(matrices, lr=lr, weight_decay=weight_decay,
                                               adjust_lr_fn="match_rms_adamw", ns_dtype=ns_dtype)  # fmt: skip
        else:
            muon = torch.optim.Muon(matrices, lr=lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
        return [muon] + ([torch.optim.AdamW(rest, lr=lr, weight_decay=weight_decay)] if rest else [])
    if name == "adamw":
        return [torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)]
    if name == "adam":
        return [torch.optim.Adam(params, lr=lr)]
    return [torch.optim.SGD(params, lr=lr * 10, momentum=0.9, weight_decay=weight_decay)]
