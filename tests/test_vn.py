"""Vector-Neuron layers are exactly equivariant (float64, 2D and 3D); a plain linear layer is not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from agents.nn.vn import VNMLP, VNGate, VNLeakyReLU, VNLinear, VNRMSNorm, quarter_turns
from eqenvs.groups import SO2, SO3

F64 = torch.float64


def elements(dim: int):
    """Haar-random rotations and a finite subgroup (C4 / the octahedral group)."""
    group = SO2 if dim == 2 else SO3
    finite = group.cyclic(4) if dim == 2 else group.finite_subgroup("O")
    return group.sample(np.random.default_rng(dim), 16) + finite


def layers(dim: int):
    torch.manual_seed(0)
    return {
        "VNLinear": VNLinear(5, 7).double(),
        "VNLeakyReLU": VNLeakyReLU(5).double(),
        "VNRMSNorm": VNRMSNorm(5).double(),
        "VNGate": VNGate(5, 7).double(),
        "VNMLP": VNMLP(5, 16, 3, depth=2).double(),
    }


def residual(f, x: torch.Tensor, dim: int) -> float:
    worst = 0.0
    for g in elements(dim):
        worst = max(worst, float((f(g.act_vectors(x)) - g.act_vectors(f(x))).abs().max()))
    return worst / float(f(x).abs().max())


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("name", ["VNLinear", "VNLeakyReLU", "VNRMSNorm", "VNGate", "VNMLP"])
def test_vn_layers_are_equivariant_in_float64(name, dim):
    x = torch.randn(64, 5, dim, dtype=F64)
    with torch.no_grad():
        assert residual(layers(dim)[name], x, dim) < 1e-13


@pytest.mark.parametrize("dim", [2, 3])
def test_a_plain_linear_map_of_the_same_vectors_is_not(dim):
    torch.manual_seed(0)
    linear = nn.Linear(5 * dim, 3 * dim).double()
    with torch.no_grad():
        assert (
            residual(lambda x: linear(x.flatten(-2)).unflatten(-1, (3, dim)), torch.randn(64, 5, dim, dtype=F64), dim)
            > 0.1
        )


def test_quarter_turns_commute_with_rotations_not_reflections():
    x = torch.randn(10, 3, 2, dtype=F64)
    for g in elements(2):
        assert torch.allclose(quarter_turns(g.act_vectors(x)), g.act_vectors(quarter_turns(x)), atol=1e-14)
    mirror = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=F64)
    assert not torch.allclose(quarter_turns(x @ mirror), quarter_turns(x) @ mirror, atol=1e-3)
    with pytest.raises(ValueError, match="2D vectors"):
        quarter_turns(torch.randn(4, 3, 3))


def test_rms_norm_has_finite_gradients_at_zero():
    norm = VNRMSNorm(4)
    x = torch.zeros(2, 4, 3, requires_grad=True)
    norm(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    leaky = VNLeakyReLU(4)
    y = torch.zeros(2, 4, 3, requires_grad=True)
    leaky(y).sum().backward()
    assert torch.isfinite(y.grad).all()
