"""Vector-Neuron layers: exactly rotation-equivariant maps of sets of vectors, in any dimension.

A VN feature is a tensor ``(..., C, d)``: C channels, each a d-vector (d = 2 or 3). Every layer here
commutes with ``x -> x R^T`` for any orthogonal R acting on the last axis, because it only mixes channels
(``W x``), scales vectors by invariant functions (inner products, norms), or combines vectors linearly:

* ``VNLinear``: ``x -> W x``, channel mixing with no bias (a bias vector would pick a direction);
* ``VNLeakyReLU``: a learned direction ``k = U x`` per channel; the part of ``x`` pointing against ``k``
  is (mostly) removed — the vector analogue of a ReLU;
* ``VNRMSNorm``: ``x / sqrt(mean_c |x_c|^2 + eps)`` with a gain per channel (the square root taken once, of
  a sum plus eps, so its gradient stays finite when x = 0). Mean-centred norms
  (LayerNorm/BatchNorm over vectors) subtract a direction and wreck multi-step exactness in float32;
* ``VNGate``: the scalar path — the Gram matrix (all inner products) of a few projected channels is
  invariant, so any MLP of it can scale vector channels: ``y_c = s_c(<p_i, p_j>) (V x)_c``. This gives the
  network general invariant functions (norms, angles, saturation) at the cost of a small MLP.

``quarter_turns`` (2D only) appends each vector turned by +90 degrees: channel mixing alone is
O(2)-equivariant and cannot tell the left of the block from its right; with the turned copies the model
is SO(2)-equivariant (quarter turns commute with rotations, not with reflections).

Layout: layers take and return ``(..., C, d)``. Internally (``forward_cl``) they work channels-last,
``(..., d, C)``, so that channel mixing is one matrix product over all samples and coordinates rather than
many tiny ones; ``VNMLP`` transposes once on the way in and once on the way out.

Speed without new rounding: the published tables were computed with these layers, so every speed-up here keeps
each output bit for bit (``python -m agents bit-identity`` checks it). Matrix products keep their operands'
layouts and row order (MKL's float64 results depend on where a row sits in the matrix); sums over the d
coordinates of a vector are written as ``a + b (+ c)`` on slices, the same additions in the same order that
``sum(-2)`` does, without its slow strided reduction; the gate's MLP is called through ``F.linear`` (the ops
``nn.Linear`` runs) rather than three module calls.
"""

from __future__ import annotations

import abc
import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "VNMLP",
    "ExtrinsicLinear",
    "VNLeakyReLU",
    "VNLinear",
    "VNRMSNorm",
    "make_extrinsic",
    "quarter_turns",
    "vector_sum",
]

_EPS = 1e-6
_SMALL = 4096  # elements below which one strided reduction costs less than the slices' three dispatches


def _recording(*tensors: torch.Tensor) -> bool:
    """Whether autograd records an op on ``tensors``: then layers use out-of-place ops (the graph of the code as
    it was, so gradients keep their rounding too); otherwise they reuse their own temporaries in place."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def vector_sum(x: torch.Tensor) -> torch.Tensor:
    """``x.sum(-2, keepdim=True)`` over the d coordinates of channels-last ``(..., d, C)``.

    Without autograd: the additions ``x_0 + x_1 (+ x_2)`` in torch's order, on slices (torch's strided
    reduction over a size-2 axis costs about twice a plain addition at a planner's sizes); equal to ``sum`` but
    for the sign of an exact zero (``sum`` adds its result to +0). With autograd, or on a few thousand elements
    (where dispatch dominates): ``sum`` itself, whose backward (one expand) is cheaper than the slices'."""
    d = x.shape[-2]
    if d == 1 or x.numel() < _SMALL or _recording(x):
        return x.sum(-2, keepdim=True)
    out = x[..., 0:1, :] + x[..., 1:2, :]
    for i in range(2, d):
        out += x[..., i : i + 1, :]
    return out


def quarter_turns(x: torch.Tensor) -> torch.Tensor:
    """2D: ``(..., C, 2) -> (..., 2C, 2)``, the channels followed by their +90 degree turns."""
    if x.shape[-1] != 2:
        raise ValueError(f"x: quarter turns are defined for 2D vectors, got dimension {x.shape[-1]}")
    turned = torch.stack([-x[..., 1], x[..., 0]], dim=-1)
    return torch.cat([x, turned], dim=-2)


class _ChannelsLast(nn.Module, abc.ABC):
    """Layers whose work happens on ``(..., d, C)``; ``forward`` is the ``(..., C, d)`` view of it."""

    @abc.abstractmethod
    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        """The layer on channels-last input ``(..., d, C)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cl(x.transpose(-1, -2)).transpose(-1, -2)


class VNLinear(_ChannelsLast):
    """``(..., C_in, d) -> (..., C_out, d)``: ``W x`` over channels, no bias."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels))
        nn.init.uniform_(self.weight, -1 / math.sqrt(in_channels), 1 / math.sqrt(in_channels))

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        # (..., d, C_in) @ (C_in, C_out): one matrix product (F.linear without a bias is torch.matmul with
        # weight.t(), so MKL sees exactly the operands of ``x @ self.weight.T``)
        return F.linear(x, self.weight)


class ExtrinsicLinear(_ChannelsLast):
    """The control for VNLinear: an ordinary linear map of the flattened ``(d, C_in)`` feature, initialised in
    the commutant (``kron(I_d, W)``, so it starts as the same equivariant map) but free to leave it.

    Equivariance here is *extrinsic*: a property of the weights, not of the parametrisation, kept only as
    long as every update stays in the commutant. Gradients of slice-only data (and Adam's per-entry
    scaling) do not, so training drifts off it; a VNLinear cannot (its weight acts on channels only).
    """

    def __init__(self, in_channels: int, out_channels: int, dim: int, weight: torch.Tensor | None = None):
        super().__init__()
        self.in_channels, self.out_channels, self.dim = in_channels, out_channels, dim
        if weight is None:
            weight = VNLinear(in_channels, out_channels).weight.detach()
        self.weight = nn.Parameter(torch.kron(torch.eye(dim, dtype=weight.dtype), weight))

    @classmethod
    def from_vn(cls, layer: VNLinear, dim: int) -> ExtrinsicLinear:
        out_channels, in_channels = layer.weight.shape
        return cls(in_channels, out_channels, dim, layer.weight.detach())

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(-2) @ self.weight.T  # (..., d * C_in) -> (..., d * C_out), index = coordinate * C + c
        return flat.unflatten(-1, (self.dim, self.out_channels))


def make_extrinsic(module: nn.Module, dim: int) -> nn.Module:
    """``module`` with every VNLinear inside replaced (in place) by its ExtrinsicLinear twin: the same function
    at the current weights, but no longer equivariant by construction."""
    for name, child in module.named_children():
        if isinstance(child, VNLinear):
            setattr(module, name, ExtrinsicLinear.from_vn(child, dim))
        else:
            make_extrinsic(child, dim)
    return module


class VNLeakyReLU(_ChannelsLast):
    """Per channel: keep ``x`` where it agrees with a learned direction ``k = U x``, else project it off ``k``
    (leaking ``negative_slope`` of the removed part)."""

    def __init__(self, channels: int, negative_slope: float = 0.2):
        super().__init__()
        self.direction = VNLinear(channels, channels)
        self.negative_slope = negative_slope

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        k = self.direction.forward_cl(x)  # (..., d, C)
        if _recording(x, k):
            dot = (x * k).sum(-2, keepdim=True)  # (..., 1, C), invariant
            k_norm2 = (k * k).sum(-2, keepdim=True) + _EPS
            # where x points against k (dot < 0), remove its component along k; elsewhere keep it
            kept = x - (torch.clamp(dot, max=0.0) / k_norm2) * k
            return self.negative_slope * x + (1 - self.negative_slope) * kept
        # the same ops in the same order, in two buffers (a planner's decode runs this on ~10^6 floats)
        work = x * k
        dot = vector_sum(work)
        k_norm2 = vector_sum(torch.mul(k, k, out=work)).add_(_EPS)
        kept = torch.sub(x, torch.mul(torch.clamp(dot, max=0.0).div_(k_norm2), k, out=work), out=work)
        return torch.mul(x, self.negative_slope, out=k).add_(kept.mul_(1 - self.negative_slope))


class VNRMSNorm(_ChannelsLast):
    """``x / sqrt(mean_c |x_c|^2 + eps) * gain_c``: one invariant scale per sample, a gain per channel."""

    def __init__(self, channels: int, eps: float = _EPS):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.eps = eps

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        # mean over channels of |x_c|^2, then one sqrt with eps inside: no per-channel norm (whose gradient
        # at 0 would be NaN) and no slow strided norm kernel
        if _recording(x, self.gain):
            mean_square = (x * x).sum(-2, keepdim=True).mean(-1, keepdim=True)  # (..., 1, 1)
            return x * torch.rsqrt(mean_square + self.eps) * self.gain
        square = x * x
        mean_square = vector_sum(square).mean(-1, keepdim=True)  # the same, with the sum over d as additions
        return torch.mul(x, torch.rsqrt(mean_square + self.eps), out=square).mul_(self.gain)  # the same, in place


class VNGate(_ChannelsLast):
    """``(..., C_in, d) -> (..., C_out, d)``: ``(V x)_c * s_c``, the scales ``s`` an MLP of invariants.

    The invariants are the Gram matrix ``<p_i, p_j>`` of ``k`` projected channels ``p = P x`` (inner
    products of equivariant vectors, so unchanged by any rotation).
    """

    def __init__(self, in_channels: int, out_channels: int, invariants: int = 6, hidden: int = 32):
        super().__init__()
        self.project = VNLinear(in_channels, invariants)
        self.values = VNLinear(in_channels, out_channels)
        self.scales = nn.Sequential(
            nn.Linear(invariants * invariants, hidden), nn.SiLU(), nn.Linear(hidden, out_channels)
        )

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        p = self.project.forward_cl(x)  # (..., d, k)
        recording = _recording(p, self.values.weight)
        products = p[..., :, :, None] * p[..., :, None, :]  # (..., d, k, k)
        # (..., k * k), invariant; without autograd the same sums over d as additions
        gram = products.sum(-3).flatten(-2) if recording else vector_sum(products.flatten(-2)).squeeze(-2)
        first, _, second = self.scales  # Linear, SiLU, Linear: nn.Linear's own ops, without three module calls
        scales = F.linear(F.silu(F.linear(gram, first.weight, first.bias)), second.weight, second.bias)
        values = self.values.forward_cl(x)
        return values * scales[..., None, :] if recording else values.mul_(scales[..., None, :])


class VNMLP(nn.Module):
    """An equivariant map of vector sets: a VNLinear lift, ``depth`` residual blocks, a VNLinear readout.

    Block: ``x + VNLinear(VNLeakyReLU(VNGate(VNRMSNorm(x))))``.
    """

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int = 2, invariants: int = 6):
        super().__init__()
        self.lift = VNLinear(in_channels, hidden)
        self.blocks = nn.ModuleList(
            nn.ModuleList(
                [
                    VNRMSNorm(hidden),
                    VNGate(hidden, hidden, invariants, 2 * hidden),
                    VNLeakyReLU(hidden),
                    VNLinear(hidden, hidden),
                ]
            )
            for _ in range(depth)
        )
        self.readout = VNLinear(hidden, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_cl(x.transpose(-1, -2)).transpose(-1, -2)

    def forward_cl(self, x: torch.Tensor) -> torch.Tensor:
        """The map on channels-last ``(..., d, C_in) -> (..., d, C_out)``. The lift's product depends on the
        input's layout (torch copies a transposed input to a contiguous one, or, when the weight does not require
        grad, multiplies it batch by batch), so ``forward`` hands it the transposed view it always had."""
        x = self.lift.forward_cl(x)
        for block in self.blocks:
            h = x
            for layer in block:
                h = layer.forward_cl(h)
            x = x + h if _recording(x, h) else h.add_(x)  # x + h == h + x, bit for bit
        return self.readout.forward_cl(x)
