"""agents.optim: the float32 Muon equals an independent float64 computation of the same update, its
orthogonalisation lands in the Newton-Schulz band, only 2-D weights reach it, runs are bit-reproducible,
and it trains."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from agents.config import ModelKind, Optimizer
from agents.optim import NS_COEFFICIENTS, OPTIMIZERS, Muon, build_optimizers, orthogonalisation_dtype, orthogonalise
from agents.train import TrainConfig, train
from agents.world_models import MODEL_KINDS

NS_BAND = (0.68, 1.21)  # five quintic steps map every normalised singular value in [0.003, 1] into this band
SHAPES = [(256, 256), (64, 36), (32, 10), (8, 32), (256, 12)]  # weight shapes of the 2D world models


def quintic_power(s: np.ndarray, steps: int = 5) -> np.ndarray:
    a, b, c = NS_COEFFICIENTS
    for _ in range(steps):
        s = a * s + b * s**3 + c * s**5
    return s


def spectral_reference(matrix: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """Newton-Schulz as what it is, in float64: the quintic applied to the singular values of G / |G|_F."""
    g = matrix.double()
    u, s, vh = torch.linalg.svd(g / torch.linalg.matrix_norm(g), full_matrices=False)
    return u @ torch.diag(torch.from_numpy(quintic_power(s.numpy(), steps))) @ vh


@pytest.mark.parametrize("shape", [(48, 20), (20, 48), (32, 32)])
def test_orthogonalise_equals_the_spectral_reference(shape):
    matrix = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    reference = spectral_reference(matrix)
    out32 = orthogonalise(matrix)
    out64 = orthogonalise(matrix.double())
    assert out32.dtype == torch.float32 and out64.dtype == torch.float64
    # measured: fp32 6.7e-7, fp64 2.6e-15 at most (entries up to ~0.5)
    assert float((out32.double() - reference).abs().max()) < 3e-6
    assert float((out64 - reference).abs().max()) < 1e-12
    batched = orthogonalise(torch.stack([matrix, 2 * matrix, -matrix]))  # one orthogonalisation per matrix
    assert float((batched[1] - out32).abs().max()) < 3e-6 and float((batched[2] + out32).abs().max()) < 3e-6


@pytest.mark.parametrize("shape", SHAPES)
def test_orthogonalised_singular_values_lie_in_the_newton_schulz_band(shape):
    matrix = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    s_in = torch.linalg.svdvals(matrix.double() / torch.linalg.matrix_norm(matrix.double()))
    s_out = torch.linalg.svdvals(orthogonalise(matrix).double())  # both descending
    inside = s_in >= 3e-3  # a square Gaussian matrix has a few below (256 x 256: 7); NS leaves those smaller
    assert int(inside.sum()) >= (0.95 if shape[0] == shape[1] else 1.0) * min(shape)
    assert NS_BAND[0] <= float(s_out[inside].min()) and float(s_out[inside].max()) <= NS_BAND[1]


def test_orthogonalisation_dtype_rule():
    assert orthogonalisation_dtype(torch.float64) == torch.float64
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        assert orthogonalisation_dtype(dtype) == torch.float32


def reference_muon(weights, grads, lr, decay, momentum, nesterov, adjust):
    """Muon on float64 copies, written from the algorithm (module docstring of agents.optim)."""
    weights = [w.double().clone() for w in weights]
    buffers = [torch.zeros_like(w) for w in weights]
    for step_grads in grads:
        for w, buffer, g in zip(weights, buffers, step_grads, strict=True):
            g = g.double()
            buffer.mul_(momentum).add_((1 - momentum) * g)
            direction = (1 - momentum) * g + momentum * buffer if nesterov else buffer
            rows, cols = w.shape
            scale = 0.2 * math.sqrt(max(rows, cols)) if adjust == "match_rms_adamw" else math.sqrt(max(1, rows / cols))
            w.mul_(1 - lr * decay).sub_(lr * scale * spectral_reference(direction))
    return weights


@pytest.mark.parametrize(("nesterov", "adjust"), [(True, "match_rms_adamw"), (False, "original")])
def test_muon_update_equals_a_float64_reference(nesterov, adjust):
    gen = torch.Generator().manual_seed(2)
    shapes = [(16, 8), (16, 8), (5, 16)]  # two of one shape: orthogonalised in one batch
    weights = [nn.Parameter(torch.randn(*s, generator=gen)) for s in shapes]
    grads = [[torch.randn(*s, generator=gen) for s in shapes] for _ in range(4)]
    lr, decay, momentum = 0.05, 0.1, 0.9
    expected = reference_muon([w.detach() for w in weights], grads, lr, decay, momentum, nesterov, adjust)
    optimizer = Muon(weights, lr=lr, weight_decay=decay, momentum=momentum, nesterov=nesterov, adjust_lr_fn=adjust)
    for step_grads in grads:
        for w, g in zip(weights, step_grads, strict=True):
            w.grad = g.clone()
        optimizer.step()
    # measured: 3.4e-7 (float32 rounding of weights up to ~3)
    assert max(float((w.detach().double() - e).abs().max()) for w, e in zip(weights, expected, strict=True)) < 2e-6


def test_bfloat16_muon_reproduces_torch_muon_bit_for_bit():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(6, 32, bias=False), nn.Tanh(), nn.Linear(32, 32, bias=False), nn.Tanh(),
                        nn.Linear(32, 32, bias=False), nn.Tanh(), nn.Linear(32, 2, bias=False))  # fmt: skip
    x, y = torch.randn(64, 6), torch.randn(64, 2)

    def weights_after(make) -> list[torch.Tensor]:
        model = copy.deepcopy(net)
        optimizer = make(model.parameters())
        for _ in range(5):
            optimizer.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            optimizer.step()
        return [p.detach() for p in model.parameters()]

    kwargs = {"lr": 0.02, "weight_decay": 0.01, "adjust_lr_fn": "match_rms_adamw"}
    ours = weights_after(lambda p: Muon(p, ns_dtype=torch.bfloat16, **kwargs))
    theirs = weights_after(lambda p: torch.optim.Muon(p, **kwargs))
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True))
    float32 = weights_after(lambda p: Muon(p, **kwargs))  # the default differs by bf16 rounding (measured 0.0097)
    assert 1e-5 < max(float((a - b).abs().max()) for a, b in zip(float32, theirs, strict=True)) < 0.05


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 8)  # weight (8, 4) and bias (8,)
        self.gain = nn.Parameter(torch.ones(8))
        self.head = nn.Linear(8, 1, bias=False)  # weight (1, 8)
        self.frozen = nn.Parameter(torch.ones(3, 3), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.layer(x)) * self.gain)


def test_muon_takes_the_2d_weights_and_adamw_the_rest():
    model = Tiny()
    muon, adamw = build_optimizers(model, "muon")
    assert isinstance(muon, Muon) and type(adamw) is torch.optim.AdamW
    in_muon = {id(p) for g in muon.param_groups for p in g["params"]}
    in_adamw = {id(p) for g in adamw.param_groups for p in g["params"]}
    assert in_muon == {id(model.layer.weight), id(model.head.weight)}
    assert in_adamw == {id(model.layer.bias), id(model.gain)}  # the frozen matrix goes nowhere
    torch_muon = build_optimizers(model, "torch_muon")[0]
    assert type(torch_muon) is torch.optim.Muon and muon.param_groups[0]["adjust_lr_fn"] == "match_rms_adamw"
    with pytest.raises(ValueError, match="params: Muon takes 2-D parameters only"):
        Muon([model.gain])
    with pytest.raises(ValueError, match="name"):
        build_optimizers(model, "lion")
    assert Optimizer.__args__ == OPTIMIZERS and set(ModelKind.__args__) == set(MODEL_KINDS)  # one list each


def test_muon_step_leaves_parameters_without_gradient_alone():
    model = Tiny()
    optimizer = Muon([model.layer.weight, model.head.weight], lr=0.1)
    before = model.head.weight.detach().clone()
    model.layer.weight.grad = torch.ones_like(model.layer.weight)
    optimizer.step()
    assert torch.equal(model.head.weight, before) and "momentum_buffer" not in optimizer.state[model.head.weight]


def test_world_model_training_with_muon_learns_and_is_bit_reproducible():
    from agents.data import collect

    data = collect("EqPushT-v1", episodes=8, max_steps=25, seed=0)  # 163 transitions
    config = TrainConfig(model="vn_explicit", epochs=10, batch_size=32, optimizer="muon", readout_epochs=0)
    model, history = train(data, config)
    again, history_again = train(data, config)
    assert history_again == history
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True))
    # measured: epoch-mean loss 0.207 -> 0.0023 (90x) over 10 epochs (AdamW at the same lr: 60x)
    assert history["loss"][-1] < history["loss"][0] / 30


def test_optim_speed_tables_cover_every_model_shape():
    from agents.probes.optim_speed import MODELS, format_speed, measure_ns
    from agents.probes.optim_speed import OPTIMIZERS as SPEED_OPTIMIZERS

    ns = measure_ns(repeats=1)
    assert {tuple(r["shape"]) for r in ns["per_shape"]} >= {(256, 256), (32, 32), (64, 36)}
    assert all(r["bf16"] > 0 and r["fp32"] > 0 for r in ns["per_shape"]) and set(ns["per_model"]) == set(MODELS)
    text = format_speed({"ns": ns, "epochs": {m: dict.fromkeys(SPEED_OPTIMIZERS, 1.0) for m in MODELS}}, None)
    assert "256x256" in text and "mlp_latent x4" in text
