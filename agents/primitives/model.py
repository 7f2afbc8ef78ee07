"""Learned push-outcome models: (state, push primitive) -> the block's pose after the push, for gym-pusht's PushT.

A push primitive starts with the pusher at rest at a standoff beside a contact point of the T's outline and
drives it along a direction for a distance (the contact planner's primitive, ``eqenvs.experts.contact``). The
block has no momentum (gym-pusht's damping is 0), so the outcome depends on the block's pose, the push and the
walls only: a local contact model, learnable from simulated pushes.

Both models read the same quantities, in the observation's frame and arena units (256 px), positions from the
goal's (which sits at the arena's centre, where the walls are known from):

=========  ==================================================================================================
vector     meaning
=========  ==================================================================================================
``p``      the block's position (its body origin) - the goal's: where it sits relative to the walls
``u``      the block's heading (unit)
``w``      the goal's heading (unit): the walls' orientation, which turns with the whole task
``r``      contact point - ``p``, x 2
``d``      the push direction (unit)
``s``      ``d`` x push length (px / 128)
=========  ==================================================================================================

and predict the block's displacement and its new heading. ``vn``: Vector-Neuron layers over these six vectors
and their quarter turns (``agents.nn.vn``): exactly SO(2)-equivariant, so a model trained at the slice
orientations predicts the same push, turned, at every orientation. ``mlp``: the twelve numbers through an MLP,
the plain twin (it has seen the walls and the goal only at the orientations of its data). ``mlp`` with
``canonical=True``: the same MLP run in the block's own frame (every vector turned by minus the block's heading
on the way in, the outputs turned back; ``agents.canonical``'s method, applied to the model): exactly equivariant
whatever the network, the standard alternative to an equivariant architecture.

The loss is the planner's own measure: the mean squared distance (px) of the T's nine keypoints (outline
corners and centre of mass) between the predicted and the simulated pose.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from agents.nn.vn import VNMLP, quarter_turns
from eqenvs.pusht_sim import ARENA_UNIT_PX, T_CENTRE_OF_MASS, T_OUTLINE

__all__ = ["KEYPOINTS_PX", "MODEL_KINDS", "PushOutcomeModel", "build_outcome_model", "keypoints", "outcome_loss"]

MODEL_KINDS = ("vn", "mlp")
KEYPOINTS_PX = torch.tensor([*T_OUTLINE.tolist(), T_CENTRE_OF_MASS.tolist()], dtype=torch.float64)
"""The T's nine keypoints in its body frame (px): the outline's corners and the centre of mass."""


def keypoints(position: torch.Tensor, heading: torch.Tensor) -> torch.Tensor:
    """``(..., 2), (..., 2) -> (..., 9, 2)``: the keypoints (px, from the goal's position) of a block at
    ``position`` (arena units from the goal's position) with unit heading ``heading``."""
    k = KEYPOINTS_PX.to(position.dtype)
    c, s = heading[..., 0:1], heading[..., 1:2]  # (..., 1)
    x = c * k[:, 0] - s * k[:, 1]
    y = s * k[:, 0] + c * k[:, 1]
    return torch.stack([x, y], -1) + position[..., None, :] * ARENA_UNIT_PX


def outcome_loss(pred: tuple[torch.Tensor, torch.Tensor], position: torch.Tensor, heading: torch.Tensor
                 ) -> torch.Tensor:  # fmt: skip
    """Mean squared keypoint distance (px^2) between the predicted pose and the true one."""
    return (keypoints(*pred) - keypoints(position, heading)).square().sum(-1).mean()


class PushOutcomeModel(nn.Module):
    """``forward(vectors (..., 6, 2)) -> (position after (..., 2), heading after (..., 2))``; the vectors are
    ``p, u, w, r, d, s`` of the module docstring (``features`` builds them)."""

    def __init__(self, kind: str, hidden: int, depth: int, canonical: bool = False):
        super().__init__()
        if kind not in MODEL_KINDS:
            raise ValueError(f"model: {kind!r} is not one of {MODEL_KINDS}")
        if canonical and kind != "mlp":
            raise ValueError("canonical: only the MLP is canonicalised (the VN model is equivariant by construction)")
        self.kind, self.canonical = kind, bool(canonical)
        self.hyper = {"hidden": int(hidden), "depth": int(depth), "canonical": self.canonical}
        if kind == "vn":
            self.net: nn.Module = VNMLP(12, hidden, 2, depth=depth, invariants=12)
        else:
            layers: list[nn.Module] = [nn.Linear(12, hidden), nn.SiLU()]
            for _ in range(depth - 1):
                layers += [nn.Linear(hidden, hidden), nn.SiLU()]
            self.net = nn.Sequential(*layers, nn.Linear(hidden, 4))

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @staticmethod
    def features(position: torch.Tensor, heading: torch.Tensor, goal_heading: torch.Tensor, contact: torch.Tensor,
                 direction: torch.Tensor, length_px: torch.Tensor) -> torch.Tensor:  # fmt: skip
        """The six input vectors ``(..., 6, 2)`` (see the module docstring); positions in arena units."""
        r = (contact - position) * 2.0
        s = direction * (length_px[..., None] / 128.0)
        return torch.stack([position, heading, goal_heading, r, direction, s], -2)

    def forward(self, vectors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.canonical:  # in the block's frame: its heading along +x
            c, s = vectors[..., 1:2, 0:1], vectors[..., 1:2, 1:2]  # (..., 1, 1)
            local = torch.cat([c * vectors[..., 0:1] + s * vectors[..., 1:2],
                               c * vectors[..., 1:2] - s * vectors[..., 0:1]], -1)  # fmt: skip
            position, heading = self._predict(local)
            c, s = c[..., 0, :], s[..., 0, :]

            def back(v: torch.Tensor) -> torch.Tensor:
                return torch.cat([c * v[..., 0:1] - s * v[..., 1:2], s * v[..., 0:1] + c * v[..., 1:2]], -1)

            return back(position), back(heading)
        return self._predict(vectors)

    def _predict(self, vectors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        position, heading = vectors[..., 0, :], vectors[..., 1, :]
        if self.kind == "vn":
            out = self.net(quarter_turns(vectors))  # (..., 2, 2)
            shift, turn = out[..., 0, :], out[..., 1, :]
        else:
            out = self.net(vectors.flatten(-2))
            shift, turn = out[..., 0:2], out[..., 2:4]
        new_heading = heading + turn
        new_heading = new_heading / torch.linalg.vector_norm(new_heading, dim=-1, keepdim=True).clamp_min(1e-9)
        return position + shift * 0.5, new_heading


def build_outcome_model(kind: str, hidden: int, depth: int, canonical: bool = False) -> PushOutcomeModel:
    return PushOutcomeModel(kind, hidden, depth, canonical)


def describe(model: PushOutcomeModel) -> dict[str, Any]:
    return {"kind": model.kind, "hyper": model.hyper, "parameter_count": model.parameter_count}
