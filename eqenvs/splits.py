"""Named sets of orientations: the training *slice*, the *held-out* orientations, the *full* orbit and the 3D *ladder*.

The 2D splits (for SO(2)/SE(2), angles about the arena centre):

=========  ============================  ===============================================
split      region                        default grid (``orientations``)
=========  ============================  ===============================================
slice      angles in [0, pi/2)           8 angles: 0, 11.25, ..., 78.75 degrees
heldout    angles in [pi/2, 2 pi)        9 angles: 90, 120, ..., 330 degrees
full       the whole circle              12 angles: the cyclic group C12 (every 30 degrees)
=========  ============================  ===============================================

``slice`` and ``heldout`` partition the circle, so no held-out orientation is ever seen in training.
Grids are deterministic; ``Split.sample`` draws uniformly from the region (``SampleOrientation`` uses it).

The 3D splits (for SO(3)/SE(3), about the table origin; yaw is the rotation about the table normal +z):

=========  ==============================  ==================================================
split      region                          default grid (``orientations``)
=========  ==============================  ==================================================
slice      yaw in [0, pi/2)                8 yaws: 0, 11.25, ..., 78.75 degrees
heldout    yaw in [pi/2, 2 pi)             9 yaws: 90, 120, ..., 330 degrees
full       all of SO(3)                    24 rotations: a super-Fibonacci grid (``SO3.grid``)
ladder     named rungs (not a region)      a dict, see ``ladder``
=========  ==============================  ==================================================

``orientations(env, "ladder")`` returns the SE(3) ladder of transforms, one list of elements per rung, from
the identity to general rigid motions: ``identity``; ``C4`` (quarter turns about the table normal);
``SO2`` (yaws); ``SE2`` (yaws plus translations in the table plane); ``SO3`` (Haar rotations: the tilted
lab, gravity rotated with it); ``SE3`` (Haar rotations plus translations). The random rungs are drawn
deterministically from ``seed``, each from its own stream, so changing ``n`` never reshuffles another rung.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from eqenvs.groups import GroupElement, get_group

__all__ = [
    "ENV_GROUPS",
    "LADDER_RUNGS",
    "LADDER_TRANSLATION_SCALE",
    "SPLITS_2D",
    "SPLITS_3D",
    "RotationGridSplit",
    "Split",
    "YawSplit",
    "get_split",
    "group_of",
    "ladder",
    "orientations",
]

ENV_GROUPS: dict[str, str] = {
    f"{name}-v{version}": group for name, group in (("EqPushT", "SE2"), ("EqPushT3D", "SE3")) for version in (0, 1)
}
"""The symmetry group of each registered environment id (v0: the dense reward; the groups are the same)."""

_TWO_PI = 2 * math.pi


def _angle_mod(g: GroupElement) -> float:
    r = g.rotation
    a = math.atan2(r[1, 0], r[0, 0]) % _TWO_PI
    return 0.0 if a >= _TWO_PI else a


@dataclass(frozen=True)
class Split:
    """An arc of rotation angles ``[start, start + length)`` for a 2D group, with a default grid size."""

    name: str
    group: type[GroupElement]
    start: float
    length: float
    default_n: int
    description: str

    def contains(self, g: Any) -> bool:
        """Whether the rotation part of ``g`` lies in this split's arc."""
        offset = (_angle_mod(self.group.parse(g, "g")) - self.start) % _TWO_PI
        return offset < self.length

    def grid(self, n: int | None = None) -> list[GroupElement]:
        """``n`` evenly spaced orientations from the start of the arc (its default size if ``n`` is None)."""
        n = self.default_n if n is None else n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n: must be a positive integer, got {n!r}")
        return [self.group.parse(self.start + self.length * k / n) for k in range(int(n))]

    def sample(self, rng: np.random.Generator) -> GroupElement:
        """One orientation drawn uniformly from the arc."""
        return self.group.parse(self.start + self.length * rng.uniform(0.0, 1.0))


def _splits_2d(group: type[GroupElement]) -> dict[str, Split]:
    return {
        "slice": Split("slice", group, 0.0, math.pi / 2, 8, "training slice: angles in [0, pi/2)"),
        "heldout": Split("heldout", group, math.pi / 2, 1.5 * math.pi, 9, "held out: angles in [pi/2, 2 pi)"),
        "full": Split("full", group, 0.0, _TWO_PI, 12, "the whole circle"),
    }


SPLITS_2D = tuple(_splits_2d(get_group("SO2")))


def _is_yaw(g: GroupElement) -> bool:
    """Whether a 3D element's rotation is about +z (the table normal), to 1e-9."""
    return bool(np.max(np.abs(g.rotation[:, 2] - (0.0, 0.0, 1.0))) <= 1e-9)


@dataclass(frozen=True)
class YawSplit(Split):
    """An arc of yaws about +z for a 3D group; a rotation that tilts the table normal lies outside it."""

    def contains(self, g: Any) -> bool:
        g = self.group.parse(g, "g")
        return _is_yaw(g) and super().contains(g)


@dataclass(frozen=True)
class RotationGridSplit:
    """All of SO(3) (no translation): a deterministic near-uniform grid, Haar-uniform sampling."""

    name: str
    group: type[GroupElement]
    default_n: int
    description: str

    def contains(self, g: Any) -> bool:
        """Every rotation lies in the whole group (``g`` is validated)."""
        self.group.parse(g, "g")
        return True

    def grid(self, n: int | None = None) -> list[GroupElement]:
        """``n`` rotations of the super-Fibonacci grid (its default size if ``n`` is None)."""
        return self.group.grid(self.default_n if n is None else n)

    def sample(self, rng: np.random.Generator) -> GroupElement:
        """One Haar-uniform rotation."""
        return self.group.sample(rng)


def _splits_3d(group: type[GroupElement]) -> dict[str, Split | RotationGridSplit]:
    return {
        "slice": YawSplit("slice", group, 0.0, math.pi / 2, 8, "training slice: yaw in [0, pi/2) about +z"),
        "heldout": YawSplit("heldout", group, math.pi / 2, 1.5 * math.pi, 9, "held out: yaw in [pi/2, 2 pi)"),
        "full": RotationGridSplit("full", group, 24, "all of SO(3): a super-Fibonacci grid"),
    }


SPLITS_3D = (*_splits_3d(get_group("SO3")), "ladder")
LADDER_RUNGS = ("identity", "C4", "SO2", "SE2", "SO3", "SE3")
"""The rungs of the SE(3) ladder, from the identity to general rigid motions (the last two need SE(3))."""
LADDER_TRANSLATION_SCALE = 0.1
"""Translations of the SE2/SE3 rungs: N(0, 0.1^2) per axis (metres for EqPushT3D-v1; in-plane for SE2)."""
_LADDER_DEFAULT_N = 8


def group_of(env_or_group: Any) -> type[GroupElement]:
    """The group of an env id ("EqPushT-v1", "eqenvs:EqPushT-v1"), a group name or class, or an env."""
    if isinstance(env_or_group, str):
        name = env_or_group.split(":", 1)[-1]
        if name in ENV_GROUPS:
            return get_group(ENV_GROUPS[name])
        try:
            return get_group(name)
        except ValueError:
            raise ValueError(
                f"env_or_group: {env_or_group!r} is neither a known env id {sorted(ENV_GROUPS)} "
                "nor a group name ('SO2', 'SE2', 'SO3', 'SE3')"
            ) from None
    if isinstance(env_or_group, type):
        return get_group(env_or_group)
    get_attr = getattr(env_or_group, "get_wrapper_attr", None)
    if get_attr is not None:
        try:
            return get_attr("symmetry").group
        except AttributeError:
            raise ValueError("env_or_group: this env exposes no `symmetry`") from None
    raise ValueError(f"env_or_group: expected an env id, a group or an env, got {type(env_or_group).__name__}")


def get_split(env_or_group: Any, split: str) -> Split | RotationGridSplit:
    """The named split for an env id, group or env."""
    group = group_of(env_or_group)
    table = _splits_2d(group) if group.dim == 2 else _splits_3d(group)
    if split == "ladder" and group.dim == 3:
        raise ValueError("split: 'ladder' is a set of named rungs, not a region; use orientations(..., 'ladder')")
    if split not in table:
        raise ValueError(f"split: {split!r} is not one of {sorted(table)} for {group.group}")
    return table[split]


def ladder(env_or_group: Any, n: int | None = None, seed: int = 0) -> dict[str, list[GroupElement]]:
    """The SE(3) ladder: ``{rung: elements}`` for the rungs of ``LADDER_RUNGS`` the group has (3D only).

    ``identity`` and ``C4`` are exact; ``SO2``, ``SE2``, ``SO3`` and ``SE3`` hold ``n`` elements each (8 if
    None) drawn from ``np.random.default_rng([seed, rung index])``: yaws uniform on the circle, rotations
    Haar-uniform, translations ``N(0, LADDER_TRANSLATION_SCALE^2)`` per axis (``SE2``: in the table plane).
    """
    group = group_of(env_or_group)
    if group.dim != 3:
        raise ValueError(f"env_or_group: the ladder is defined for 3D groups, got {group.group}")
    n = _LADDER_DEFAULT_N if n is None else n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    n, scale = int(n), LADDER_TRANSLATION_SCALE

    def rng(rung: str) -> np.random.Generator:
        return np.random.default_rng([int(seed), LADDER_RUNGS.index(rung)])

    rungs: dict[str, list[GroupElement]] = {"identity": [group.identity()], "C4": group.cyclic(4)}
    rungs["SO2"] = [group.from_yaw(a) for a in rng("SO2").uniform(0.0, _TWO_PI, n)]
    if group.has_translation:
        draws = rng("SE2")
        rungs["SE2"] = [
            group(group.from_yaw(draws.uniform(0.0, _TWO_PI)).rotation, [*draws.normal(0.0, scale, 2), 0.0])
            for _ in range(n)
        ]
    rungs["SO3"] = group.sample(rng("SO3"), n)
    if group.has_translation:
        draws = rng("SE3")  # one element at a time, so the first k elements do not depend on n
        rungs["SE3"] = [group.sample(draws, translation_scale=scale) for _ in range(n)]
    return rungs


def orientations(
    env_or_group: Any, split: str, n: int | None = None, seed: int = 0
) -> list[GroupElement] | dict[str, list[GroupElement]]:
    """The deterministic orientation grid of ``split`` (``n`` elements; the split's default if None).

    ``split="ladder"`` (3D) returns a dict of named rungs instead (see ``ladder``). ``seed`` is for sets
    drawn at random (the ladder's rungs); the grids are deterministic and ignore it.
    """
    if split == "ladder" and group_of(env_or_group).dim == 3:
        return ladder(env_or_group, n, seed)
    return get_split(env_or_group, split).grid(n)
