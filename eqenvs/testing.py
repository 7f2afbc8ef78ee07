"""Equivariance checks with a measured tolerance table: test your own agents and models the way eqenvs tests its own.

In the style of e3nn's ``util/test.py``: a function ``f`` is equivariant when moving its inputs by g moves its
output by g,

    f(act_in_1(g, x_1), ..., act_in_k(g, x_k)) == act_out(g, f(x_1, ..., x_k))      for every g,

to a tolerance that depends on the dtype and on how much arithmetic lies between input and output. The table
``TOLERANCE`` holds them, each set 10-100x above the worst relative error measured on this stack (``MEASURED``,
the max over every test of the project that uses the entry), never looser. Every use keeps a non-equivariant
twin that must fail the same check (``assert_not_equivariant``), so the check has teeth: a check that a plain
model also passes measures nothing.

An environment fits the same form: ``f(orientation, actions)`` is the observed trajectory of the env built at
``orientation``, which moves as ``h -> g @ h``, with the actions moved by ``act_action`` and the trajectory by
``act_obs``. A policy is ``f(obs) -> action``, with ``act_in = [symmetry.act_obs]`` and ``act_out =
symmetry.act_action``.

Checking your own policy on EqPushT-v1 (here the env's scripted pusher; put yours in its place), and its twin::

    import gymnasium as gym
    import numpy as np
    import eqenvs
    from eqenvs.experts.scripted import ScriptedPusher
    from eqenvs.groups import SO2
    from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

    env = gym.make("EqPushT-v1", task="push")
    symmetry = env.unwrapped.symmetry  # act_obs(g, obs), act_action(g, action)
    obs, _ = env.reset(seed=0)
    policy = ScriptedPusher(env.unwrapped.obs_layout).act
    elements = sample_elements(SO2)  # 12 Haar-random rotations and the quarter turns C4
    error = assert_equivariant(policy, [obs], [symmetry.act_obs], symmetry.act_action, elements, np.float64, "planner")

    def plain(obs):  # always pushes along +x: not equivariant, so it must fail the same check
        return np.array([1.0, 0.0])

    assert_not_equivariant(plain, [obs], [symmetry.act_obs], symmetry.act_action, elements, np.float64, "planner", 0.1)

The functions take numpy arrays or torch tensors (duck-typed: this module imports numpy only) and raise
``AssertionError`` with the measured error, so they work inside pytest and out of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from eqenvs.groups import GroupElement

__all__ = [
    "MEASURED",
    "TOLERANCE",
    "assert_equivariant",
    "assert_not_equivariant",
    "dtype_name",
    "equivariance_error",
    "sample_elements",
]

# worst relative error measured on this stack (2-core x86-64 CPU, torch 2.13, numpy; the inputs and elements of
# the project's own tests): max over g of max|f(g x) - g f(x)| / max|g f(x)|, over every test that uses the entry
MEASURED: dict[str, dict[str, float]] = {
    "float64": {"layer": 1.1e-15, "model": 7.3e-16, "rollout": 6.2e-16, "planner": 3.2e-15, "env": 2.1e-16},
    "float32": {"layer": 5.7e-7, "model": 2.5e-7, "planner": 3.5e-7},
}
TOLERANCE: dict[str, dict[str, float]] = {
    "float64": {"layer": 5e-14, "model": 5e-14, "rollout": 5e-14, "planner": 1e-13, "env": 1e-14},
    "float32": {"layer": 2e-5, "model": 1e-5, "planner": 2e-5},
}
"""``TOLERANCE[dtype][level]``: the largest relative error the check accepts.

Levels: "layer" (one Vector-Neuron layer or block), "model" (an encoder, a predictor, or encoder and predictor
composed: one world-model step), "rollout" (8 predicted steps), "planner" (an MPC plan: the model under
softmax weights over sampled action sequences), "env" (a 40-100 step trajectory of the simulator in frame
mode, through contacts). For a function of your own, take the level with about as much arithmetic between input
and output as it has (a policy's ``act``: "planner")."""


def dtype_name(dtype: Any) -> str:
    """The table's key ("float64" or "float32") for a torch or numpy dtype, or its name."""
    name = str(dtype).removeprefix("torch.") if type(dtype).__module__.startswith("torch") else np.dtype(dtype).name
    if name not in TOLERANCE:
        raise ValueError(f"dtype: no tolerances for {dtype!r}; the table has {sorted(TOLERANCE)}")
    return name


def _max_abs(x: Any) -> float:
    if type(x).__module__.startswith("torch"):
        return float(x.detach().abs().max()) if x.numel() else 0.0
    x = np.asarray(x, dtype=np.float64)
    return float(np.max(np.abs(x))) if x.size else 0.0


def equivariance_error(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    act_in: Sequence[Callable[[GroupElement, Any], Any]],
    act_out: Callable[[GroupElement, Any], Any],
    elements: Iterable[GroupElement],
) -> float:
    """``max_g max |f(act_in(g, inputs)) - act_out(g, f(inputs))| / max_g max |act_out(g, f(inputs))|``."""
    if len(act_in) != len(inputs):
        raise ValueError(f"act_in: {len(act_in)} actions for {len(inputs)} inputs")
    reference = f(*inputs)
    worst = scale = 0.0
    for g in elements:
        moved = f(*(act(g, x) for act, x in zip(act_in, inputs, strict=True)))
        expected = act_out(g, reference)
        worst = max(worst, _max_abs(moved - expected))
        scale = max(scale, _max_abs(expected))
    if scale == 0.0:
        raise ValueError("f: the output is zero at every element, so the check would measure nothing")
    return worst / scale


def assert_equivariant(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    act_in: Sequence[Callable[[GroupElement, Any], Any]],
    act_out: Callable[[GroupElement, Any], Any],
    elements: Iterable[GroupElement],
    dtype: Any,
    level: str,
) -> float:
    """Assert ``f`` is equivariant to ``TOLERANCE[dtype][level]``; return the measured relative error."""
    tolerance = TOLERANCE[dtype_name(dtype)][level]
    error = equivariance_error(f, inputs, act_in, act_out, elements)
    if not error <= tolerance:
        raise AssertionError(f"equivariance error {error:.3g} > {tolerance:.3g} ({dtype_name(dtype)}, {level})")
    return error


def assert_not_equivariant(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    act_in: Sequence[Callable[[GroupElement, Any], Any]],
    act_out: Callable[[GroupElement, Any], Any],
    elements: Iterable[GroupElement],
    dtype: Any,
    level: str,
    at_least: float,
) -> float:
    """The twin: ``f`` fails the same check, by at least ``at_least`` (relative); return the measured error."""
    tolerance = TOLERANCE[dtype_name(dtype)][level]
    error = equivariance_error(f, inputs, act_in, act_out, elements)
    if not error > tolerance:
        raise AssertionError(f"the non-equivariant twin passes the check: {error:.3g} <= {tolerance:.3g}")
    if not error >= at_least:
        raise AssertionError(f"the non-equivariant twin fails only by {error:.3g} < {at_least:.3g}")
    return error


def sample_elements(
    group: type[GroupElement], n: int = 12, seed: int = 0, translation_scale: float = 0.0, finite: str = "O"
) -> list[GroupElement]:
    """``n`` Haar-random elements (generic angles) plus a finite subgroup: C4 in 2D; in 3D the octahedral group
    ("O", 24 elements) or the quarter turns about the table normal ("C4").

    Quarter turns are exact integer matrices, so they alone would hide rounding; the random ones do not.
    """
    if group.dim == 2:
        finite_elements = group.cyclic(4)
    elif finite in ("O", "C4"):
        finite_elements = group.finite_subgroup("O") if finite == "O" else group.cyclic(4)
    else:
        raise ValueError(f"finite: {finite!r} is not 'O' or 'C4'")
    return group.sample(np.random.default_rng(seed), n, translation_scale=translation_scale) + finite_elements
