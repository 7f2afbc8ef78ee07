"""World models: VN (exactly equivariant) and MLP (plain) variants of a latent model and an explicit state model.

Inputs come from the env's ``symmetry``: its ``obs_layout`` says which observation entries are points,
vectors or constants, and its ``action_layout`` that the action is a vector (delta actions). The VN models
see the observation as a set of vector channels — every point minus a per-sample reference point (the
block's position: translations drop out), every vector as is — so with ``rho(g) = R`` on vector channels

    encode(act_obs(g, x)) == act_latent(g, encode(x))   and   predict(act_latent(g, z), act_action(g, a))
    == act_latent(g, predict(z, a))

hold exactly, for every rotation and translation g (to float rounding). The MLP models read the flat
observation and satisfy neither; ``act_latent`` on them applies the same rho(g), so the residual measures
how far they are from equivariant.

* latent models (``VNLatentWM``, ``MLPLatentWM``): encoder E (obs -> C latent vectors), predictor f(z, a)
  with a residual ``z + delta``, and an EMA copy of E (``target_encoder``) that gives training targets;
* explicit models (``VNExplicitFM``, ``MLPExplicitFM``): E is the identity on the typed observation and
  f predicts the change of every non-constant field (constants such as the goal are copied).
"""

from __future__ import annotations

import abc
import copy
from typing import Any, ClassVar

import torch
from torch import nn

from agents.canonical import local_frame
from agents.nn.vn import VNMLP, make_extrinsic, quarter_turns
from eqenvs.groups import GroupElement
from eqenvs.symmetry import Symmetry, plane_disk

__all__ = ["MODEL_KINDS", "MLPExplicitFM", "MLPLatentWM", "VNExplicitFM", "VNLatentWM", "WorldModel", "build_model"]


class ObsChannels:
    """A flat observation ``(..., D)`` as translation-free vector channels ``(..., C, d)``.

    Channels: every point field except ``reference`` minus the reference point, then every vector field.
    """

    def __init__(self, symmetry: Symmetry, reference: str):
        layout = symmetry.obs_layout
        if reference not in layout or layout[reference].kind != "point":
            raise ValueError(f"reference: {reference!r} is not a point field of {layout}")
        if any(f.kind not in ("point", "vector") for f in layout):
            raise ValueError(f"obs_layout: VN models take point and vector fields only, got {layout}")
        self.reference = layout[reference].slice
        self.points = [f.slice for f in layout if f.kind == "point" and f.name != reference]
        self.vectors = [f.slice for f in layout if f.kind == "vector"]
        self.names = [f.name for f in layout if f.kind == "point" and f.name != reference]
        self.names += [f.name for f in layout if f.kind == "vector"]
        self.dim = layout[reference].dim

    @property
    def channels(self) -> int:
        return len(self.names)

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        ref = obs[..., self.reference]
        parts = [obs[..., s] - ref for s in self.points] + [obs[..., s] for s in self.vectors]
        return torch.stack(parts, dim=-2)  # (..., C, d)


def _dynamic_slices(symmetry: Symmetry) -> list[slice]:
    return [f.slice for f in symmetry.obs_layout if not f.constant]


def _action_dim(symmetry: Symmetry) -> int:
    layout = symmetry.action_layout
    if len(layout) != 1 or layout.fields[0].kind != "vector":
        raise ValueError(f"symmetry: world models need a delta (vector) action, got {layout}")
    return layout.size


def _mlp(inputs: int, hidden: int, outputs: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(inputs, hidden), nn.SiLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(hidden, hidden), nn.SiLU()]
    layers.append(nn.Linear(hidden, outputs))
    return nn.Sequential(*layers)


class WorldModel(nn.Module, abc.ABC):
    """The protocol: ``encode``, ``predict``, ``rollout``, ``act_latent``; ``target`` gives training targets."""

    kind: ClassVar[str]  # "latent" or "explicit"
    equivariant: ClassVar[bool]
    name: ClassVar[str]

    def __init__(self, symmetry: Symmetry, **hyper: Any):
        super().__init__()
        self.symmetry = symmetry
        self.hyper = hyper  # the constructor's keyword arguments, saved with checkpoints
        self.action_dim = _action_dim(symmetry)
        self.dim = symmetry.group.dim

    # ---------------------------------------------------------------- protocol
    @abc.abstractmethod
    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        """The latent of observations ``(B, D)``."""

    @abc.abstractmethod
    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        """The latent after ``action`` ``(B, A)`` from latent ``z``.

        The action goes through the env's own action map (``Symmetry.applied_action``: 3D projects onto the
        table plane, then the disk). Explicit models apply it themselves (``z`` is the observation, which
        holds the table's normal); a latent does not hold the normal, so latent models bound the action by
        the unit ball alone and expect applied actions: the planner and the 3D datasets give them those.
        """

    def target(self, obs: torch.Tensor) -> torch.Tensor:
        """The training target of ``obs`` (the EMA encoder's latent; the observation for explicit models)."""
        return self.encode(obs)

    @abc.abstractmethod
    def act_latent(self, g: GroupElement, z: torch.Tensor) -> torch.Tensor:
        """rho(g) on this model's latent."""

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        self.check_inputs(obs, action)
        return self.predict(self.encode(obs), action)

    def check_inputs(self, obs: torch.Tensor | None = None, action: torch.Tensor | None = None) -> None:
        """ValueError unless ``obs`` (..., D) and ``action`` (..., A) have this model's env's widths."""
        for name, x, width in (("obs", obs, self.symmetry.obs_layout.size), ("action", action, self.action_dim)):
            if x is not None and (x.ndim == 0 or x.shape[-1] != width):
                raise ValueError(
                    f"{name}: expected shape (..., {width}) for {self.name} on a {self.dim}D env "
                    f"({self.symmetry.group.__name__}), got {tuple(x.shape)}"
                )

    def rollout(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Latents after each of ``actions`` (B, H, A): (B, H, *latent)."""
        self._check_actions(actions)
        out = []
        for t in range(actions.shape[1]):
            z = self.predict(z, actions[:, t])
            out.append(z)
        return torch.stack(out, dim=1)

    def _check_actions(self, actions: torch.Tensor) -> None:
        if actions.ndim != 3:
            raise ValueError(f"actions: expected shape (B, H, {self.action_dim}), got {tuple(actions.shape)}")
        self.check_inputs(action=actions)

    def update_target(self, decay: float) -> None:
        """EMA step of the target encoder (no-op for explicit models)."""

    @property
    def parameter_count(self) -> int:
        """Parameters of the world model F = f o E (the EMA target copy and the planning readout not counted)."""
        readout = getattr(self, "readout", None)
        excluded = 0 if readout is None else sum(p.numel() for p in readout.parameters() if p.requires_grad)
        return sum(p.numel() for p in self.parameters() if p.requires_grad) - excluded

    @property
    def label(self) -> str:
        """The model's name with its variant (``mlp_explicit+canonical``), for tables."""
        return self.name + ("+canonical" if getattr(self, "canonical", False) else "")

    def extra_repr(self) -> str:
        return f"{self.label}: {self.parameter_count:,} parameters, {'equivariant' if self.equivariant else 'plain'}"


def centred(obs: torch.Tensor, symmetry: Symmetry, reference: str = "block_pos") -> torch.Tensor:
    """``obs`` with every point field moved by minus the reference point (which becomes 0): what a
    translation-invariant latent can decode, and all the planning cost needs."""
    layout = symmetry.obs_layout
    ref = obs[..., layout[reference].slice]
    out = obs.clone()
    for f in layout:
        if f.kind == "point":
            out[..., f.slice] = obs[..., f.slice] - ref
    return out


class _LatentMixin:
    """EMA target encoder and planning readout shared by the latent models.

    The readout maps a latent to the centred observation (``centred``); it is trained after the world
    model (``agents.train.fit_readout``) and lets the planner score latent rollouts with the task cost.
    """

    encoder: nn.Module
    target_encoder: nn.Module
    readout: nn.Module

    def _make_target(self) -> None:
        self.target_encoder = copy.deepcopy(self.encoder)
        self.target_encoder.requires_grad_(False)

    @torch.no_grad()
    def update_target(self, decay: float) -> None:
        for online, target in zip(self.encoder.parameters(), self.target_encoder.parameters(), strict=True):
            target.lerp_(online, 1.0 - decay)


class VNLatentWM(_LatentMixin, WorldModel):
    """Equivariant latent world model: VN encoder to ``latent_channels`` vectors, VN residual predictor."""

    kind, equivariant, name = "latent", True, "vn_latent"

    def __init__(
        self,
        symmetry: Symmetry,
        latent_channels: int = 8,
        hidden: int = 32,
        depth: int = 2,
        reference: str = "block_pos",
        extrinsic: bool = False,
    ):
        super().__init__(symmetry, latent_channels=latent_channels, hidden=hidden, depth=depth, reference=reference,
                         **({"extrinsic": True} if extrinsic else {}))  # fmt: skip
        self.channels = ObsChannels(symmetry, reference)
        turns = 2 if self.dim == 2 else 1  # 2D: quarter-turned copies make the model SO(2)-, not O(2)-equivariant
        self.encoder = VNMLP(turns * self.channels.channels, hidden, latent_channels, depth)
        self.predictor = VNMLP(turns * (latent_channels + 1), hidden, latent_channels, depth)
        if extrinsic:  # the control: the same network with ordinary linear maps, equivariant only at init
            self.equivariant = False
            make_extrinsic(self.encoder, self.dim)
            make_extrinsic(self.predictor, self.dim)
        self._make_target()
        layout = symmetry.obs_layout
        self._decoded = [f.slice for f in layout if f.name != reference]  # points as offsets, vectors as is
        self.readout = VNMLP(turns * latent_channels, hidden, len(self._decoded), depth=1)

    def _vectors(self, x: torch.Tensor) -> torch.Tensor:
        return quarter_turns(x) if self.dim == 2 else x

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The centred observation read out of latents (..., C, d) -> (..., D); equivariant."""
        vectors = self.readout(self._vectors(z))
        out = torch.zeros(*z.shape[:-2], self.symmetry.obs_layout.size, dtype=z.dtype, device=z.device)
        for i, s in enumerate(self._decoded):
            out[..., s] = vectors[..., i, :]
        return out

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encoder(self._vectors(self.channels(obs)))  # (B, C, d)

    def target(self, obs: torch.Tensor) -> torch.Tensor:
        return self.target_encoder(self._vectors(self.channels(obs)))

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([z, plane_disk(action)[..., None, :]], dim=-2)  # (B, C + 1, d); see WorldModel.predict
        return z + self.predictor(self._vectors(inputs))

    def act_latent(self, g: GroupElement, z: torch.Tensor) -> torch.Tensor:
        return g.act_vectors(z)

    def rollout(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """``WorldModel.rollout`` bit for bit, faster where autograd records nothing (planning, evaluation): every
        step's action through the action map at once, each step's predictor input written into one buffer (the
        latent, the action and, in 2D, their quarter turns: the channels ``predict`` concatenates), and the
        latents into the output as they come, instead of ~15 small ops and a stack per step."""
        weight = self.predictor.lift.weight
        if torch.is_grad_enabled() and (z.requires_grad or actions.requires_grad or weight.requires_grad):
            return super().rollout(z, actions)  # a graph for autograd: the per-step predict
        self._check_actions(actions)
        batch, horizon, _ = actions.shape
        channels = z.shape[-2]
        applied = plane_disk(actions)  # (B, H, d): the env's action map, elementwise, so all steps at once
        out = z.new_empty(batch, horizon, *z.shape[-2:])  # (B, H, C, d)
        inputs = z.new_empty(batch, (2 if self.dim == 2 else 1) * (channels + 1), self.dim)  # predict's channels
        for t in range(horizon):
            inputs[:, :channels] = z
            inputs[:, channels] = applied[:, t]
            if self.dim == 2:  # quarter_turns: (x, y) -> (-y, x), after the channels
                turned = inputs[:, channels + 1 :]
                torch.neg(inputs[:, : channels + 1, 1], out=turned[..., 0])
                turned[..., 1] = inputs[:, : channels + 1, 0]
            change = self.predictor.forward_cl(inputs.transpose(-1, -2)).transpose(-1, -2)  # (B, C, d)
            z = torch.add(z, change, out=out[:, t])  # z + change, as predict adds it
        return out


class _Standardise(nn.Module):
    """Input standardisation of the MLP baselines (statistics of the training data, saved as buffers).

    A fair baseline: plain MLPs train badly on raw inputs of different scales. The statistics come from
    the training slice, as any practitioner's would; they are not rotation-aware.
    """

    def __init__(self, size: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("std", torch.ones(size))

    def fit(self, x: torch.Tensor) -> None:
        self.mean.copy_(x.mean(0))
        self.std.copy_(x.std(0).clamp(min=1e-3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class MLPLatentWM(_LatentMixin, WorldModel):
    """Plain latent world model of the same class: MLP encoder and residual MLP predictor on flat inputs.

    The latent has the VN model's shape (``latent_channels`` d-vectors) so ``act_latent`` can apply the
    same rho(g) and the equivariance residual is comparable.
    """

    kind, equivariant, name = "latent", False, "mlp_latent"

    def __init__(self, symmetry: Symmetry, latent_channels: int = 8, hidden: int = 256, depth: int = 3):
        super().__init__(symmetry, latent_channels=latent_channels, hidden=hidden, depth=depth)
        self.latent_shape = (latent_channels, self.dim)
        size = latent_channels * self.dim
        self.inputs = _Standardise(symmetry.obs_layout.size)
        self.encoder = _mlp(symmetry.obs_layout.size, hidden, size, depth)
        self.predictor = _mlp(size + self.action_dim, hidden, size, depth)
        self._make_target()
        self.readout = _mlp(size, hidden, symmetry.obs_layout.size, 2)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The centred observation read out of latents (..., C, d) -> (..., D)."""
        return self.readout(z.flatten(-2))

    def fit_normalisation(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> None:
        """Set the input standardisation from training data."""
        self.inputs.fit(obs)

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.inputs(obs)).unflatten(-1, self.latent_shape)

    def target(self, obs: torch.Tensor) -> torch.Tensor:
        return self.target_encoder(self.inputs(obs)).unflatten(-1, self.latent_shape)

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        flat = z.flatten(-2)
        return z + self.predictor(torch.cat([flat, plane_disk(action)], dim=-1)).unflatten(-1, self.latent_shape)

    def act_latent(self, g: GroupElement, z: torch.Tensor) -> torch.Tensor:
        return g.act_vectors(z)


class _ExplicitMixin:
    """Explicit models: the latent is the observation itself; only non-constant fields change."""

    symmetry: Symmetry

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        return obs

    def act_latent(self, g: GroupElement, z: torch.Tensor) -> torch.Tensor:
        return self.symmetry.obs_layout.act(g, z, "z")

    def _field_changes(self, obs: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """The change of every non-constant field, (N, n_dynamic, d)."""
        return torch.stack([(next_obs - obs)[:, s] for s in self.dynamic], dim=-2)

    def _fit_loss_weights(self, change_rms: torch.Tensor) -> None:
        """``loss_weights``: per observation entry, one over its field's mean squared change; 0 for constants."""
        weights = torch.zeros_like(self.loss_weights)
        for s, scale in zip(self.dynamic, change_rms, strict=True):
            weights[s] = 1.0 / (scale * scale)
        self.loss_weights.copy_(weights)

    def _apply_change(self, obs: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
        """``obs`` with ``change`` (..., n_dynamic, d) added to its non-constant fields."""
        out = obs.clone()
        for i, s in enumerate(self.dynamic):
            out[..., s] = obs[..., s] + change[..., i, :]
        return out


class VNExplicitFM(_ExplicitMixin, WorldModel):
    """Equivariant explicit forward model: the next typed state from the state, a small VN map.

    ``normalise`` (default: on in 3D, off in 2D, where the shipped models predate it): every input channel
    is divided by its RMS norm over the training data and every predicted change multiplied by its field's,
    and the training loss weighs each field by one over its mean squared change (``loss_weights``). One
    scalar per channel is rotation-invariant, so the model stays exactly equivariant. Without it, a 3D
    model spends its capacity on the block's angular velocity (rad/s), whose changes are ~10^4 times the
    block position's (m) in squared size, and predicts the block's motion poorly.
    """

    kind, equivariant, name = "explicit", True, "vn_explicit"

    def __init__(self, symmetry: Symmetry, hidden: int = 24, depth: int = 2, reference: str = "block_pos",
                 normalise: bool | None = None):  # fmt: skip
        normalise, recorded = _normalise_option(symmetry, normalise)
        super().__init__(symmetry, hidden=hidden, depth=depth, reference=reference, **recorded)
        self.channels = ObsChannels(symmetry, reference)
        self.dynamic = _dynamic_slices(symmetry)
        turns = 2 if self.dim == 2 else 1
        self.net = VNMLP(turns * (self.channels.channels + 1), hidden, len(self.dynamic), depth)
        self.normalise = normalise
        if normalise:
            self.register_buffer("input_scale", torch.ones(self.channels.channels + 1, 1))
            self.register_buffer("change_scale", torch.ones(len(self.dynamic), 1))
            self.register_buffer("loss_weights", torch.ones(symmetry.obs_layout.size))

    def fit_normalisation(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> None:
        """Channel and change scales, and the loss weights, from training data (no-op unless ``normalise``)."""
        if not self.normalise:
            return
        vectors = torch.cat([self.channels(obs), self.symmetry.applied_action(obs, action)[..., None, :]], dim=-2)
        self.input_scale.copy_(_rms_norm(vectors)[:, None])
        self.change_scale.copy_(_rms_norm(self._field_changes(obs, next_obs))[:, None])
        self._fit_loss_weights(self.change_scale[:, 0])

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        vectors = torch.cat([self.channels(z), self.symmetry.applied_action(z, action)[..., None, :]], dim=-2)
        if self.normalise:
            vectors = vectors / self.input_scale
        if self.dim == 2:
            vectors = quarter_turns(vectors)
        change = self.net(vectors)
        if self.normalise:
            change = change * self.change_scale
        return self._apply_change(z, change)  # point fields move by an equivariant vector


class MLPExplicitFM(_ExplicitMixin, WorldModel):
    """Plain explicit forward model: an MLP from (state, action) to the change of the non-constant fields.

    ``normalise`` (default: on in 3D): the training loss weighs each field by one over its mean squared
    change, as the VN model's does (its inputs and outputs are always standardised).

    ``canonical``: canonicalisation (``agents.canonical``) — every prediction runs in its own state's frame
    (the block's axes at the block's position, found in float64): the state and action are moved there, the
    MLP predicts the fields' changes in that frame, and the changes are turned back. The network then trains
    and predicts on canonicalised data only, and the model is exactly equivariant by construction, to the
    rounding of the frame.
    """

    kind, equivariant, name = "explicit", False, "mlp_explicit"

    def __init__(self, symmetry: Symmetry, hidden: int = 192, depth: int = 3, normalise: bool | None = None,
                 canonical: bool = False):  # fmt: skip
        normalise, recorded = _normalise_option(symmetry, normalise)
        if canonical:
            recorded["canonical"] = True  # recorded only when on: the shipped checkpoints predate it
        super().__init__(symmetry, hidden=hidden, depth=depth, **recorded)
        self.canonical = bool(canonical)
        if self.canonical:
            self.equivariant = True  # by construction (the frame), not by architecture
            local_frame(torch.zeros(1, symmetry.obs_layout.size, dtype=torch.float64), symmetry.obs_layout)
        self.dynamic = _dynamic_slices(symmetry)
        outputs = len(self.dynamic) * self.dim
        self.inputs = _Standardise(symmetry.obs_layout.size + self.action_dim)
        self.register_buffer("change_scale", torch.ones(outputs))
        self.net = _mlp(symmetry.obs_layout.size + self.action_dim, hidden, outputs, depth)
        self.normalise = normalise
        if normalise:
            self.register_buffer("loss_weights", torch.ones(symmetry.obs_layout.size))

    def fit_normalisation(self, obs: torch.Tensor, action: torch.Tensor, next_obs: torch.Tensor) -> None:
        """Set the input standardisation and the scale of the predicted changes from training data (in each
        state's frame when ``canonical``: the data the network sees)."""
        frame = local_frame(obs, self.symmetry.obs_layout) if self.canonical else None
        inputs, changes = self._inputs(obs, action, frame), self._field_changes(obs, next_obs)  # changes (N, n, d)
        if frame is not None:
            changes = frame.vectors_in(changes).to(obs.dtype)
        self.inputs.fit(inputs)
        self.change_scale.copy_(changes.flatten(-2).std(0).clamp(min=1e-6))
        if self.normalise:
            self._fit_loss_weights(_rms_norm(changes))

    def _inputs(self, z: torch.Tensor, action: torch.Tensor, frame: Any = None) -> torch.Tensor:
        """The network's input: the state and the applied action, in ``frame`` (``canonical``) if given."""
        applied = self.symmetry.applied_action(z, action)
        if frame is not None:
            z, applied = frame.to_local(z), frame.vectors_in(applied).to(z.dtype)
        return torch.cat([z, applied], dim=-1)

    def predict(self, z: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        frame = local_frame(z, self.symmetry.obs_layout) if self.canonical else None
        change = self.net(self.inputs(self._inputs(z, action, frame))) * self.change_scale
        change = change.unflatten(-1, (len(self.dynamic), self.dim))  # (B, n_dynamic, d)
        if frame is not None:  # the predicted changes are vectors of the frame: turned back in float64, then rounded
            change = frame.vectors_back(change).to(z.dtype)
        return self._apply_change(z, change)


def _normalise_option(symmetry: Symmetry, normalise: bool | None) -> tuple[bool, dict[str, bool]]:
    """The explicit models' ``normalise`` (None: on in 3D, off in 2D) and the hyper entry checkpoints record:
    always in 3D; in 2D only when on (the shipped 2D checkpoints predate it)."""
    normalise = symmetry.group.dim == 3 if normalise is None else bool(normalise)
    return normalise, ({"normalise": normalise} if normalise or symmetry.group.dim != 2 else {})


def _rms_norm(vectors: torch.Tensor) -> torch.Tensor:
    """Per channel of (N, C, d): the root mean square of the vectors' norms (floored at 1e-6)."""
    return torch.sqrt((vectors * vectors).sum(-1).mean(0)).clamp(min=1e-6)


MODEL_KINDS: dict[str, type[WorldModel]] = {
    cls.name: cls for cls in (VNLatentWM, MLPLatentWM, VNExplicitFM, MLPExplicitFM)
}


def build_model(kind: str, symmetry: Symmetry, **hyper: Any) -> WorldModel:
    """A world model of ``kind`` ("vn_latent", "mlp_latent", "vn_explicit", "mlp_explicit") for an env's symmetry."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {sorted(MODEL_KINDS)}")
    try:
        return MODEL_KINDS[kind](symmetry, **hyper)
    except TypeError as err:
        raise ValueError(f"hyper: {err}") from None
    except RuntimeError as err:  # a size torch cannot build (a negative width)
        raise ValueError(f"hyper: {hyper} cannot build a {kind} model ({err})") from None
