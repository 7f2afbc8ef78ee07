"""Canonicalisation: any model or agent run in each observation's own frame — the standard alternative to an
equivariant architecture, measured beside it.

A *frame* is a group element read off the observation itself: the block's axes (2D: ``block_dir`` and its
quarter turn; 3D: ``block_x``, ``block_y`` and their cross product) placed at the block's position. It is
equivariant — the frame of ``act_obs(g, s)`` is ``g`` composed with the frame of ``s`` — so a function ``f``
run in the frame, ``rho(frame) f(frame^-1 . s)``, is exactly equivariant whatever ``f`` is: an MLP, a plain
planner, a policy. In floating point the frame is found in float64 and the inputs are moved there before they
are rounded, so ``s`` and ``g.s`` start from the same rounded numbers and repeat the same arithmetic.

Three uses, each measured in the report, the paper's bitter-lesson rows and the README:

* ``observation_frames`` + ``agents.evaluate.frame_rollout``: a model's H-step rollout in the first
  observation's frame (open loop; any model, VN or MLP);
* ``canonical=True`` on the explicit MLP world model (``MLPExplicitFM``): every step of every prediction in
  its own state's frame, so the network trains and predicts on canonicalised data only (``local_frame`` in
  torch, batched);
* ``CanonicalAgent`` (eqbench ``planner:<ckpt>,canonical=true``): a whole agent — planner, noise, clipping
  and all — run in each observation's frame, its action moved back.

It needs a frame that the observation defines everywhere. Here the block's pose does (its direction field is a
unit vector in every state); ``frame_conditioning`` measures how well-defined a frame is on data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from eqenvs.groups import GroupElement

__all__ = ["CanonicalAgent", "frame_conditioning", "local_frame", "observation_frame", "observation_frames"]


def observation_frame(obs: torch.Tensor, layout: Any) -> torch.Tensor:
    """A rotation (B, d, d) built from observed vectors: columns = the block's axes.

    2D: ``[u, perp(u)]`` from ``block_dir``; 3D: ``[x, y, x cross y]`` from ``block_x``, ``block_y``. It is
    equivariant: the frame of ``act_obs(g, s)`` is ``R`` times the frame of ``s``.
    """
    if "block_dir" in layout:
        u = obs[..., layout["block_dir"].slice]
        u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
        return torch.stack([u, torch.stack([-u[..., 1], u[..., 0]], dim=-1)], dim=-1)
    x, y = obs[..., layout["block_x"].slice], obs[..., layout["block_y"].slice]
    x = x / torch.linalg.vector_norm(x, dim=-1, keepdim=True)
    y = y - (y * x).sum(-1, keepdim=True) * x
    y = y / torch.linalg.vector_norm(y, dim=-1, keepdim=True)
    return torch.stack([x, y, torch.linalg.cross(x, y, dim=-1)], dim=-1)


def observation_frames(symmetry: Any, obs: np.ndarray) -> list[GroupElement]:
    """Each observation's own frame as a group element, found in float64: the block's axes
    (``observation_frame``) and, with translations, the block's position. Equivariant: the frame of
    ``act_obs(g, s)`` is ``g`` composed with the frame of ``s``."""
    obs = np.asarray(obs, dtype=np.float64)
    rotations = observation_frame(torch.from_numpy(obs), symmetry.obs_layout).numpy()
    group = symmetry.group
    if not group.has_translation:
        return [group(r) for r in rotations]
    block = symmetry.obs_layout["block_pos"]  # the element that takes the block from the field's origin to it
    translations = (obs[:, block.slice] - block.origin_array) / block.scale
    return [group(r, t) for r, t in zip(rotations, translations, strict=True)]


class _LocalFrame:
    """Batched frames of torch observations: ``to_local`` moves observations and vectors into each frame,
    ``vectors_back`` moves vectors (changes, actions) out of it. Computed in float64, returned in the input's
    dtype."""

    def __init__(self, obs: torch.Tensor, layout: Any):
        points = [f for f in layout if f.kind == "point"]
        if "block_pos" not in layout or any(f.scale != points[0].scale or f.origin != points[0].origin
                                            for f in points):  # fmt: skip
            raise ValueError("obs_layout: canonicalisation needs a block_pos field and point fields in one unit")
        if any(f.kind not in ("point", "vector", "scalar") for f in layout):
            raise ValueError(f"obs_layout: canonicalisation takes point, vector and scalar fields, got {layout}")
        self.layout, self.dtype = layout, obs.dtype
        wide = obs.to(torch.float64)
        self.rotation = observation_frame(wide, layout)  # (B, d, d): columns = the frame's axes
        self.origin = wide[..., layout["block_pos"].slice]  # (B, d)

    def to_local(self, obs: torch.Tensor) -> torch.Tensor:
        """``frame^-1 . obs``: points relative to the block, every point and vector in the block's axes."""
        wide, out = obs.to(torch.float64), obs.to(torch.float64).clone()
        for f in self.layout:
            if f.kind == "scalar":
                continue
            v = wide[..., f.slice] - self.origin if f.kind == "point" else wide[..., f.slice]
            out[..., f.slice] = self.vectors_in(v)
        return out.to(self.dtype)

    def vectors_in(self, v: torch.Tensor) -> torch.Tensor:
        """``R^T v`` for vectors (B, ..., d) in float64."""
        r = self.rotation.reshape(self.rotation.shape[0], *([1] * (v.ndim - 2)), *self.rotation.shape[-2:])
        return (r.transpose(-1, -2) @ v.to(torch.float64)[..., None])[..., 0]

    def vectors_back(self, v: torch.Tensor) -> torch.Tensor:
        """``R v`` for local vectors (B, ..., d), in float64."""
        r = self.rotation.reshape(self.rotation.shape[0], *([1] * (v.ndim - 2)), *self.rotation.shape[-2:])
        return (r @ v.to(torch.float64)[..., None])[..., 0]


def local_frame(obs: torch.Tensor, layout: Any) -> _LocalFrame:
    """The frames of a batch of observations ``(B, D)`` (torch), for a model that runs in them."""
    return _LocalFrame(obs, layout)


def frame_conditioning(obs: np.ndarray, layout: Any, next_obs: np.ndarray | None = None) -> dict[str, float]:
    """Where canonicalisation could fail, measured over a batch: ``min_norm``, the smallest norm of the vector(s)
    the frame is built from (1 for a unit direction; a frame from a vector near 0 is ill-defined and jumps); in
    3D ``min_sine``, the smallest sine between the two axes; with ``next_obs``, ``max_turn_rad``, the largest
    angle the frame turns in one step (a discontinuous frame would jump by up to pi)."""
    obs = np.asarray(obs, dtype=np.float64)
    if "block_dir" in layout:
        out = {"min_norm": float(np.linalg.norm(obs[:, layout["block_dir"].slice], axis=-1).min())}
    else:
        x, y = obs[:, layout["block_x"].slice], obs[:, layout["block_y"].slice]
        nx, ny = np.linalg.norm(x, axis=-1), np.linalg.norm(y, axis=-1)
        sine = np.linalg.norm(np.cross(x, y), axis=-1) / (nx * ny)
        out = {"min_norm": float(min(nx.min(), ny.min())), "min_sine": float(sine.min())}
    if next_obs is not None:
        before = observation_frame(torch.from_numpy(obs), layout)
        after = observation_frame(torch.from_numpy(np.asarray(next_obs, dtype=np.float64)), layout)
        relative = before.transpose(-1, -2) @ after  # the turn from one frame to the next, (B, d, d)
        trace = torch.diagonal(relative, dim1=-2, dim2=-1).sum(-1)
        d = relative.shape[-1]  # rotation angle from the trace: 2D tr = 2 cos, 3D tr = 1 + 2 cos
        cosine = (trace / 2) if d == 2 else (trace - 1) / 2
        out["max_turn_rad"] = float(torch.arccos(cosine.clamp(-1.0, 1.0)).max())
    return out


class CanonicalAgent:
    """An agent run in each observation's own frame: ``act(s) = rho(frame) inner.act(frame^-1 . s)``.

    Exactly equivariant whatever the inner agent is (its noise, clipping and warm starts all live in the
    frame), so a plain planner with an MLP world model becomes exact. The frame and both moves are float64;
    the inner agent rounds its inputs to its own dtype, and the action comes back in float64 so the env's
    float32 rounding in its own frame recovers it. A batched inner agent stays batched.
    """

    def __init__(self, inner: Any, symmetry: Any, label: str | None = None):
        self.inner, self.symmetry = inner, symmetry
        self.label = label or f"{getattr(inner, 'label', 'agent')} (canonical)"
        if hasattr(inner, "act_batch"):
            self.act_batch = self._act_batch

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed)

    def act(self, obs: Any) -> np.ndarray:
        frame = observation_frames(self.symmetry, np.asarray(obs)[None])[0]
        local = self.inner.act(self.symmetry.act_obs(frame.inverse(), obs))
        return self.symmetry.act_action(frame, np.asarray(local, dtype=np.float64))

    def _act_batch(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        frames = observation_frames(self.symmetry, obs)
        local = np.stack([self.symmetry.act_obs(f.inverse(), o) for f, o in zip(frames, obs, strict=True)])
        actions = np.asarray(self.inner.act_batch(local), dtype=np.float64)
        return np.stack([self.symmetry.act_action(f, a) for f, a in zip(frames, actions, strict=True)])
