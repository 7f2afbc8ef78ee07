"""The orientations of a benchmark run, from the ``--orientations`` field: split grids, the ladder, angles."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agents.config import BenchConfig
from eqenvs.groups import GroupElement, format_angle, parse_angle
from eqenvs.splits import get_split, group_of, orientations

__all__ = ["Target", "parse_orientations"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Target:
    """One orientation of a run: its name (rows, files), split (slice, heldout or a ladder rung), element, and
    its angle in degrees in [0, 360) when it is a planar rotation or a yaw (None otherwise)."""

    name: str
    split: str
    element: GroupElement
    angle_deg: float | None


def _yaw_only(g: GroupElement) -> bool:
    if g.has_translation and np.any(g.translation):
        return False
    if g.dim == 2:
        return True
    r = g.rotation
    return bool(r[2, 2] == 1.0 and r[0, 2] == 0.0 and r[1, 2] == 0.0)


def _target(g: GroupElement, split: str, fallback: str) -> Target:
    if _yaw_only(g):
        name = format_angle(g)
        return Target(name, split, g, float(name.removesuffix("deg")))
    return Target(fallback, split, g, None)


def parse_orientations(config: BenchConfig) -> list[Target]:
    """The run's orientations, in the order given; ValueError naming ``orientations`` for a bad token."""
    group = group_of(config.env)
    n = config.per_split or None
    out: list[Target] = []
    for token in (t.strip() for t in config.orientations.split(",")):
        if not token:
            continue
        if token == "ladder":
            if group.dim != 3:
                raise ValueError(f"orientations: 'ladder' is the SE(3) ladder of EqPushT3D-v1, not of {config.env}")
            for rung, elements in orientations(config.env, "ladder", n=n or 2, seed=config.seed).items():
                out += [Target(f"{rung}-{i}", rung, g, None) for i, g in enumerate(elements)]
        elif _NUMBER.match(token):
            raise ValueError(f"orientations: {token!r} has no unit; write {token}deg or {token}rad")
        elif token[0].isdigit() or token[0] in "+-.":
            try:
                g = group.parse(parse_angle(token, "orientations"))
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is not an angle such as 90deg or 1.571rad ({err})") from None
            split = "slice" if get_split(config.env, "slice").contains(g) else "heldout"
            out.append(_target(g, split, token))
        else:
            try:
                grid = orientations(config.env, token, n=n, seed=config.seed)
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is neither an angle nor a split ({err})") from None
            out += [_target(g, token, f"{token}-{i}") for i, g in enumerate(grid)]
    if not out:
        raise ValueError("orientations: no orientation given")
    names = [t.name for t in out]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"orientations: {repeated} given more than once")
    return out
