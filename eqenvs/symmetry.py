"""The group action of an environment: which coordinates are points, vectors or scalars, and how g moves them.

A ``Layout`` names the slices of a flat vector (an observation, an action, a reset state) and says how
the group acts on each:

========  ==================================================================  =======================
kind      meaning                                                             action of g = (R, t)
========  ==================================================================  =======================
point     a position, ``origin + scale * x`` for a point x of the group frame  ``o + R (v - o) + s t``
vector    a direction or velocity                                             ``R v``
scalar    an invariant quantity                                               ``v``
angle     a 2D heading in radians (reset states only)                         ``v + angle(R)``
========  ==================================================================  =======================

Every kind is affine, so a whole layout acts as one affine map ``v -> A v + b`` (``Layout.affine``),
built in float64 and applied in float64 to numpy input, in the input's dtype to torch input (any
leading batch shape).
At the identity ``A = I`` and ``b = 0`` exactly, so acting with the identity returns the input bit for bit.

``bound`` is a *radial* bound: a point field satisfies ``|v - origin|_2 <= bound`` and a vector field
``|v|_2 <= bound`` for every reachable state, so the Box ``[-bound, bound]^d`` around it holds at every
rotation; a translation ``t`` widens a point field's box by ``scale * |t|``.

``Symmetry`` bundles the group with the layouts of an environment: ``act_obs``, ``act_action``,
``act_state`` and ``act_frame`` (pixels: exact quarter turns only). How g acts on an observation is
declared, not special-cased: ``observation`` is one part, or a mapping from each key of a dict
observation to its part, where a part is a ``Layout`` (an affine action, exact) or ``PIXELS`` (an image
of the scene: exact quarter turns as ``act_frame``; ``Orient`` re-renders it from g instead)::

    Symmetry(SE2, state, actions, observation=state)                                  # obs_type="state"
    Symmetry(SE2, state, actions, observation=PIXELS)                                 # obs_type="pixels"
    Symmetry(SE2, state, actions, observation={"pixels": PIXELS, "agent_pos": agent})  # a dict observation
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from gymnasium import spaces

from eqenvs.groups import GroupElement

__all__ = ["KINDS", "PIXELS", "Field", "Layout", "ObservationPart", "Symmetry", "plane_disk"]

KINDS = ("point", "vector", "scalar", "angle")
PIXELS = "pixels"
"""The observation part that is an RGB image of the scene (uint8, (H, W, 3))."""


def plane_disk(action: Any, normal: Any = None) -> Any:
    """A delta action as the env applies it: projected onto the plane orthogonal to ``normal`` (a unit
    vector; None: no projection), then onto the unit disk/ball. Batched over leading axes; numpy or torch.

    It is equivariant: ``plane_disk(R a, R n) = R plane_disk(a, n)`` for every rotation R, so a rotated
    scene with a rotated table normal gets the rotated action. This is the one definition of the map: the
    3D env applies it in its table frame, ``Symmetry.applied_action`` in any observation's frame, and the
    world models, the planner and the datasets through that.
    """
    if normal is not None:
        action = action - (action * normal).sum(-1)[..., None] * normal
    squared = (action * action).sum(-1)[..., None]
    norm = squared.sqrt() if hasattr(squared, "sqrt") else np.sqrt(squared)  # torch | numpy
    return action / norm.clip(min=1.0)


@dataclass(frozen=True)
class Field:
    """One named slice of a flat vector and how the group acts on it."""

    name: str
    kind: str
    start: int
    dim: int
    bound: float = math.inf
    origin: tuple[float, ...] = ()
    scale: float = 1.0
    unit: str = ""
    constant: bool = False
    """Constant within an episode (a goal, gravity): world models copy it rather than predict it."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {KINDS}")
        if self.kind in ("scalar", "angle") and self.dim != 1:
            raise ValueError(f"dim: a {self.kind} field has dim 1, got {self.dim}")
        if self.origin and len(self.origin) != self.dim:
            raise ValueError(f"origin: field {self.name!r} has dim {self.dim}, origin {self.origin}")

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.dim)

    @property
    def origin_array(self) -> np.ndarray:
        return np.asarray(self.origin, dtype=np.float64) if self.origin else np.zeros(self.dim)


class Layout:
    """An ordered, contiguous set of ``Field``s covering a flat vector of ``size`` entries."""

    def __init__(self, fields: Sequence[Field]):
        start = 0
        for f in fields:
            if f.start != start:
                raise ValueError(f"fields: {f.name!r} starts at {f.start}, expected {start} (contiguous)")
            start += f.dim
        self.fields: tuple[Field, ...] = tuple(fields)
        self.size = start
        self._by_name = {f.name: f for f in fields}

    @classmethod
    def of(cls, *entries: tuple[str, str, int], **common: Any) -> Layout:
        """Build from ``(name, kind, dim)`` triples laid out back to back, with shared Field kwargs per kind.

        ``common`` maps a kind to a dict of Field kwargs, e.g. ``point={"bound": 2.0, "scale": 1/256}``.
        """
        fields, start = [], 0
        for name, kind, dim in entries:
            fields.append(Field(name, kind, start, dim, **common.get(kind, {})))
            start += dim
        return cls(fields)

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        body = ", ".join(f"{f.name}[{f.start}:{f.start + f.dim}]:{f.kind}" for f in self.fields)
        return f"Layout({body})"

    def split(self, x: Any) -> dict[str, Any]:
        """The named slices of ``x`` (views, last axis)."""
        return {f.name: x[..., f.slice] for f in self.fields}

    def affine(self, g: GroupElement) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` in float64 with ``act(g, v) == v @ A.T + b``."""
        a = np.zeros((self.size, self.size))
        b = np.zeros(self.size)
        r, t = g.rotation, g.translation
        for f in self.fields:
            s = f.slice
            if f.kind in ("point", "vector"):
                if f.dim != g.dim:
                    raise ValueError(f"g: a {g.dim}D element cannot act on the {f.dim}D field {f.name!r}")
                a[s, s] = r
                if f.kind == "point":
                    o = f.origin_array
                    b[s] = (o - r @ o) + f.scale * t
            else:
                a[s, s] = 1.0
                if f.kind == "angle":
                    if g.dim != 2:
                        raise ValueError(f"g: angle field {f.name!r} needs a 2D element")
                    b[s] = math.atan2(r[1, 0], r[0, 0])
        return a, b

    def act(self, g: GroupElement, x: Any, name: str = "x") -> Any:
        """Apply g to ``x`` of shape (..., size): numpy (float64 result) or torch (in x's dtype)."""
        a, b = self.affine(g)
        if type(x).__module__.startswith("torch"):
            import torch

            if x.shape[-1] != self.size:
                raise ValueError(f"{name}: last dimension must be {self.size}, got shape {tuple(x.shape)}")
            return x @ torch.as_tensor(a.T, dtype=x.dtype, device=x.device) + torch.as_tensor(
                b, dtype=x.dtype, device=x.device
            )
        x = np.asarray(x)
        if x.dtype.kind not in "iuf":
            raise ValueError(f"{name}: must be numeric, got dtype {x.dtype}")
        if x.ndim == 0 or x.shape[-1] != self.size:
            raise ValueError(f"{name}: last dimension must be {self.size}, got shape {x.shape}")
        # numpy inputs are computed in (at least) float64, so a float32 action mapped to g and back is
        # recovered exactly after rounding to float32; torch inputs keep their dtype (models choose theirs)
        dtype = np.promote_types(x.dtype, np.float64)
        return x.astype(dtype, copy=False) @ a.T.astype(dtype) + b.astype(dtype)

    def box(self, translation_norm: float = 0.0, dtype: Any = np.float64) -> spaces.Box:
        """The Box holding every reachable value at any rotation and translations up to ``translation_norm``."""
        low, high = np.empty(self.size), np.empty(self.size)
        for f in self.fields:
            s = f.slice
            extent = f.bound + (f.scale * translation_norm if f.kind == "point" else 0.0)
            low[s], high[s] = f.origin_array - extent, f.origin_array + extent
        return spaces.Box(low.astype(dtype), high.astype(dtype), dtype=dtype)


ObservationPart = Layout | str
"""A ``Layout`` (a flat float vector) or ``PIXELS`` (an image)."""


@dataclass(frozen=True)
class Symmetry:
    """The group action of an environment on its observations, actions, reset states and frames.

    ``act_obs(g, obs)`` and ``act_action(g, a)`` are the representations that make frame mode exact:
    the observation at orientation ``g`` is ``act_obs(g, obs at identity)`` when the actions are mapped
    by ``act_action(g, .)``.

    Fields:
        group: the element class (``SE2``, ``SE3``, ...).
        obs_layout: the layout of the env's state vector (what ``obs_type="state"`` returns); world
            models and scripted policies read it, whatever the observation type.
        action_layout: the layout of an action.
        state_layout: the layout of a reset state (``reset(options={"state": ...})``), if any.
        observation: how g acts on the observation as returned: one ``ObservationPart``, or a mapping from
            each key of a dict observation to its part. None (the default) means ``obs_layout``.
        obs_type: the env's name for its observation type ("state", "pixels_agent_pos", ...): a label for
            checkpoints and reports; ``observation`` alone defines the action.
        action_plane: for delta actions, the vector field of ``obs_layout`` normal to the plane the env
            projects actions onto (3D: "up", the table normal); None when no projection (2D).
    """

    group: type[GroupElement]
    obs_layout: Layout
    action_layout: Layout
    state_layout: Layout | None = None
    observation: ObservationPart | Mapping[str, ObservationPart] | None = None
    obs_type: str = "state"
    notes: dict[str, str] = field(default_factory=dict)
    action_plane: str | None = None

    def __post_init__(self) -> None:
        observation = self.obs_layout if self.observation is None else self.observation
        if isinstance(observation, Mapping):
            if not observation:
                raise ValueError("observation: a dict observation needs at least one key")
            for key, part in observation.items():
                _check_part(part, f"observation[{key!r}]")
            observation = dict(observation)  # a copy: the caller's dict cannot change the action afterwards
        else:
            _check_part(observation, "observation")
        object.__setattr__(self, "observation", observation)
        plane = self.action_plane
        if plane is not None and (plane not in self.obs_layout or self.obs_layout[plane].kind != "vector"):
            raise ValueError(f"action_plane: {plane!r} is not a vector field of {self.obs_layout}")

    @property
    def observation_parts(self) -> dict[str | None, ObservationPart]:
        """``{key: part}`` of a dict observation; ``{None: part}`` for a single array."""
        observation = self.observation
        return dict(observation) if isinstance(observation, Mapping) else {None: observation}

    @property
    def state_key(self) -> str | None:
        """The key under which a dict observation holds the state vector (``obs_layout``), e.g. "state" for
        ``obs_type="state_pixels"``; None when the observation is not a dict or holds no state vector."""
        observation = self.observation
        if not isinstance(observation, Mapping):
            return None
        return next((key for key, part in observation.items() if part is self.obs_layout), None)

    def element(self, x: Any, name: str = "orientation") -> GroupElement:
        """Parse any accepted orientation form into an element of this symmetry's group."""
        return self.group.parse(x, name)

    def act_obs(self, g: Any, obs: Any) -> Any:
        """The observation seen at ``g`` given the one seen at identity (layouts exact; pixels: quarter turns)."""
        g = self.element(g, "g")
        observation = self.observation
        if not isinstance(observation, Mapping):
            return self._act_part(g, observation, obs, "obs")
        if not isinstance(obs, Mapping) or set(obs) != set(observation):
            got = sorted(obs) if isinstance(obs, Mapping) else type(obs).__name__
            raise ValueError(f"obs: expected a dict with keys {sorted(observation)}, got {got}")
        return {key: self._act_part(g, part, obs[key], f"obs[{key!r}]") for key, part in observation.items()}

    def _act_part(self, g: GroupElement, part: ObservationPart, value: Any, name: str) -> Any:
        if part == PIXELS:
            return self.act_frame(g, value)
        return part.act(g, value, name)

    def act_action(self, g: Any, action: Any) -> Any:
        """The action at ``g`` that does what ``action`` does at identity."""
        return self.action_layout.act(self.element(g, "g"), action, "action")

    def applied_action(self, obs: Any, action: Any) -> Any:
        """The delta action as the env applies it, in the frame of ``obs`` (a state vector, ``obs_layout``):
        ``plane_disk(action, obs[action_plane])``. Batched: ``obs`` broadcasts against ``action``'s leading
        axes; numpy or torch (the world models and the planner call it on tensors)."""
        layout = self.action_layout
        if len(layout) != 1 or layout.fields[0].kind != "vector":
            raise ValueError(f"action: applied_action maps delta (vector) actions, this env's are {layout}")
        normal = None if self.action_plane is None else obs[..., self.obs_layout[self.action_plane].slice]
        return plane_disk(action, normal)

    def act_state(self, g: Any, state: Any, name: str = "state") -> Any:
        """A reset state (``reset(options={"state": ...})``) moved by ``g``."""
        if self.state_layout is None:
            raise ValueError(f"{name}: this environment declares no reset-state layout")
        return self.state_layout.act(self.element(g, "g"), state, name)

    def act_frame(self, g: Any, image: np.ndarray) -> np.ndarray:
        """Rotate an image (..., H, W, C) by an exact quarter turn of the scene (y-down pixel rows).

        Only rotations by multiples of 90 degrees about the image centre, with no translation, map a
        pixel grid onto itself; anything else must be re-rendered, so it raises ``ValueError``.
        """
        from eqenvs.render import quarter_turns, turn_grid

        g = self.element(g, "g")
        quarter = quarter_turns(g)
        if g.dim != 2 or quarter is None or np.any(g.translation):
            raise ValueError(f"g: only exact quarter turns without translation act on pixels, got {g!r}")
        image = np.asarray(image)
        if image.ndim < 3:
            raise ValueError(f"image: expected shape (..., H, W, C), got {image.shape}")
        # rows grow downwards, so a counter-clockwise turn of the scene's (x, y) frame is clockwise on screen
        return turn_grid(image, quarter)


def _check_part(part: Any, name: str) -> None:
    if not (isinstance(part, Layout) or part == PIXELS):
        raise ValueError(f"{name}: expected a Layout or {PIXELS!r}, got {part!r}")
