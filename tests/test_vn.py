"""Vector-Neuron layers are equivariant to float rounding (float64 and float32, 2D and 3D); a plain linear layer is
not. Checked with the shared ``assert_equivariant`` and its per-dtype tolerance table."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from agents.nn.vn import VNMLP, VNGate, VNLeakyReLU, VNLinear, VNRMSNorm, quarter_turns
from eqenvs.groups import SO2, SO3
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

F64 = torch.float64
NAMES = ["VNLinear", "VNLeakyReLU", "VNRMSNorm", "VNGate", "VNMLP"]


def elements(dim: int):
    """16 Haar-random rotations and a finite subgroup (C4 / the octahedral group)."""
    return sample_elements(SO2 if dim == 2 else SO3, 16, seed=dim)


def layers() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {"VNLinear": VNLinear(5, 7), "VNLeakyReLU": VNLeakyReLU(5), "VNRMSNorm": VNRMSNorm(5),
            "VNGate": VNGate(5, 7), "VNMLP": VNMLP(5, 16, 3, depth=2)}  # fmt: skip


def rotate(g, x: torch.Tensor) -> torch.Tensor:
    """g on vector features of shape (..., channels, d)."""
    return g.act_vectors(x)


def features(dim: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.randn(64, 5, dim, dtype=dtype, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("name", NAMES)
def test_vn_layers_are_equivariant(name, dim, dtype):
    layer = layers()[name].to(dtype)
    with torch.no_grad():
        assert_equivariant(layer, [features(dim, dtype)], [rotate], rotate, elements(dim), dtype, "layer")


@pytest.mark.parametrize("dim", [2, 3])
def test_a_plain_linear_map_of_the_same_vectors_fails_the_same_check(dim):
    torch.manual_seed(0)
    linear = nn.Linear(5 * dim, 3 * dim).double()

    def plain(x: torch.Tensor) -> torch.Tensor:
        return linear(x.flatten(-2)).unflatten(-1, (3, dim))

    with torch.no_grad():
        assert_not_equivariant(plain, [features(dim, F64)], [rotate], rotate, elements(dim), F64, "layer", 0.1)


def test_quarter_turns_commute_with_rotations_not_reflections():
    x = torch.randn(10, 3, 2, dtype=F64)
    assert_equivariant(quarter_turns, [x], [rotate], rotate, elements(2), F64, "layer")
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


@pytest.mark.parametrize("dim", [2, 3])
def test_extrinsic_linear_is_the_same_map_at_init_and_leaves_the_commutant_when_perturbed(dim):
    """The control of issue 14's optimiser claim: ordinary linear maps initialised in the commutant."""
    from agents.nn.vn import ExtrinsicLinear, make_extrinsic

    torch.manual_seed(0)
    net = VNMLP(5, 8, 3, depth=1).double()
    x = features(dim, F64)
    with torch.no_grad():
        before = net(x)
        make_extrinsic(net, dim)
        assert sum(isinstance(m, ExtrinsicLinear) for m in net.modules()) == 6  # lift, gate x2, direction, block, out
        assert float((net(x) - before).abs().max()) < 1e-14
        assert_equivariant(net, [x], [rotate], rotate, elements(dim), F64, "layer")
        net.lift.weight[0, -1] += 0.1  # one entry off the kron(I, W) structure
        assert_not_equivariant(net, [x], [rotate], rotate, elements(dim), F64, "layer", 1e-3)
