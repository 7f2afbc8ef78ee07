"""eqenvs.testing, as a user meets it: their own function checked, equivariant or not, in numpy or torch; the
module docstring's example runs; the module itself imports no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import eqenvs.testing
from eqenvs.groups import SE2, SO2
from eqenvs.testing import assert_equivariant, assert_not_equivariant, equivariance_error, sample_elements


def rotate(g, v):
    return g.act_vectors(v)


def scaled_by_norm(v):
    """A user's equivariant map of 2-vectors: each scaled by its squared norm (an invariant)."""
    return v * (v**2).sum(-1, keepdims=True)


def stretched_along_x(v):
    """A user's plain map: stretches the x axis, which no rotation leaves fixed."""
    return v * np.array([2.0, 1.0])


def test_a_users_equivariant_function_passes_and_a_plain_one_fails():
    x = np.random.default_rng(0).normal(size=(5, 2))
    elements = sample_elements(SO2)
    error = assert_equivariant(scaled_by_norm, [x], [rotate], rotate, elements, np.float64, "layer")
    assert error < 1e-15  # float64 rounding of a few multiplications
    twin = assert_not_equivariant(stretched_along_x, [x], [rotate], rotate, elements, np.float64, "layer", 0.1)
    assert twin > 0.1
    with pytest.raises(AssertionError, match=r"equivariance error .* > 5e-14 \(float64, layer\)"):
        assert_equivariant(stretched_along_x, [x], [rotate], rotate, elements, np.float64, "layer")
    with pytest.raises(AssertionError, match="the non-equivariant twin passes the check"):
        assert_not_equivariant(scaled_by_norm, [x], [rotate], rotate, elements, np.float64, "layer", 0.1)


def test_torch_tensors_are_checked_in_their_dtype():
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float32)
    elements = sample_elements(SO2)
    error = assert_equivariant(scaled_by_norm, [x], [rotate], rotate, elements, torch.float32, "layer")
    assert 0 < error < 2e-5  # float32 rounding: seen, and within the table's float32 entry
    with pytest.raises(ValueError, match=r"dtype: no tolerances for torch\.float16"):
        assert_equivariant(scaled_by_norm, [x], [rotate], rotate, elements, torch.float16, "layer")


def test_points_move_with_translations():
    points = np.random.default_rng(1).normal(size=(4, 2))
    elements = sample_elements(SE2, translation_scale=3.0)

    def centroid(p):  # equivariant under SE(2): the mean of the points moves with them
        return p.mean(axis=0)

    def act_points(g, p):
        return g.act_points(p)

    assert equivariance_error(centroid, [points], [act_points], act_points, elements) < 1e-14


def test_a_function_that_outputs_zero_is_refused():
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match="the output is zero at every element"):
        equivariance_error(lambda v: 0.0 * v, [x], [rotate], rotate, sample_elements(SO2))


def test_the_docstring_example_runs():
    doc = eqenvs.testing.__doc__
    example = doc.split("::\n\n", 1)[1].split("\n\nThe functions", 1)[0]
    exec(compile("\n".join(line[4:] for line in example.splitlines()), "eqenvs.testing example", "exec"), {})


def test_the_module_imports_no_torch():
    code = "import sys, eqenvs.testing; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
