"""Named sets of orientations: the training *slice*, the *held-out* orientations and the *full* orbit.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from eqenvs.groups import GroupElement, get_group

__all__ = ["ENV_GROUPS", "SPLITS_2D", "Split", "get_split", "group_of", "orientations"]

ENV_GROUPS: dict[str, str] = {"EqPushT-v0": "SE2"}
"""The symmetry group of each registered environment id."""

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


def group_of(env_or_group: Any) -> type[GroupElement]:
    """The group of an env id ("EqPushT-v0", "eqenvs:EqPushT-v0"), a group name or class, or an env."""
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


def get_split(env_or_group: Any, split: str) -> Split:
    """The named split for an env id, group or env."""
    group = group_of(env_or_group)
    if group.dim != 2:
        raise ValueError(f"env_or_group: no splits are defined yet for {group.group}")
    table = _splits_2d(group)
    if split not in table:
        raise ValueError(f"split: {split!r} is not one of {sorted(table)} for {group.group}")
    return table[split]


def orientations(env_or_group: Any, split: str, n: int | None = None, seed: int = 0) -> list[GroupElement]:
    """The deterministic orientation grid of ``split`` (``n`` elements; the split's default if None).

    ``seed`` is for splits whose grids are random draws; the 2D grids are evenly spaced and ignore it.
    """
    del seed  # 2D grids are evenly spaced
    return get_split(env_or_group, split).grid(n)
