"""The orientations of a benchmark run, from the ``--orientations`` field: split grids, the ladder, angles."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agents.config import BenchConfig
from eqenvs.groups import GroupElement, format_angle
from eqenvs.splits import get_split, group_of, orientations

__all__ = ["Target", "parse_orientations", "split_tokens"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Target:
    """One orientation of a run: its name (rows, files), split (slice, heldout or a ladder rung), element, its
    angle in degrees in [0, 360) when it is a planar rotation or a yaw (None otherwise), and whether it is
    *seen*: an orientation of the training slice (on the SE(3) ladder, the identity rung), the headline's
    reference."""

    name: str
    split: str
    element: GroupElement
    angle_deg: float | None
    seen: bool = False


def _yaw_only(g: GroupElement) -> bool:
    if g.has_translation and np.any(g.translation):
        return False
    if g.dim == 2:
        return True
    r = g.rotation
    return bool(r[2, 2] == 1.0 and r[0, 2] == 0.0 and r[1, 2] == 0.0)


def _target(g: GroupElement, split: str, fallback: str, seen: bool) -> Target:
    if _yaw_only(g):
        name = format_angle(g)
        return Target(name, split, g, float(name.removesuffix("deg")), seen)
    return Target(fallback, split, g, None, seen)


def split_tokens(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and braces (a JSON element or matrix is one token)."""
    tokens, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char in "[{") - (char in "]}")
        if char == "," and depth == 0:
            tokens.append(text[start:i])
            start = i + 1
    tokens.append(text[start:])
    return [t.strip() for t in tokens]


def parse_orientations(config: BenchConfig) -> list[Target]:
    """The run's orientations, in the order given; ValueError naming ``orientations`` for a bad token.

    A token is a split name (its grid; 3D also ``ladder``), an angle with its unit, or the JSON of a group
    element (``json.dumps(element.to_json())``) or of a matrix. A target is seen when it lies in the training
    slice (on the ladder: the identity rung).
    """
    group = group_of(config.env)
    n = config.per_split or None
    in_slice = get_split(config.env, "slice").contains
    out: list[Target] = []
    for token in split_tokens(config.orientations):
        if not token:
            continue
        if token == "ladder":
            if group.dim != 3:
                raise ValueError(f"orientations: 'ladder' is the SE(3) ladder of EqPushT3D-v1, not of {config.env}")
            for rung, elements in orientations(config.env, "ladder", n=n or 2, seed=config.seed).items():
                out += [Target(f"{rung}-{i}", rung, g, None, rung == "identity") for i, g in enumerate(elements)]
        elif _NUMBER.match(token):
            raise ValueError(f"orientations: {token!r} has no unit; write {token}deg or {token}rad")
        elif token[0] in "[{":
            try:
                g = group.parse(token, "orientations")
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is not a {group.group} element ({err})") from None
            split = "slice" if in_slice(g) else "heldout"
            out.append(_target(g, split, f"element-{len(out)}", in_slice(g)))
        elif token[0].isdigit() or token[0] in "+-.":
            try:
                g = group.parse(token, "orientations")  # a string carries its unit: no degrees-as-radians warning
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is not an angle such as 90deg or 1.571rad ({err})") from None
            split = "slice" if in_slice(g) else "heldout"
            out.append(_target(g, split, token, in_slice(g)))
        else:
            try:
                grid = orientations(config.env, token, n=n, seed=config.seed)
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is neither an angle nor a split ({err})") from None
            out += [_target(g, token, f"{token}-{i}", in_slice(g)) for i, g in enumerate(grid)]
    if not out:
        raise ValueError("orientations: no orientation given")
    names = [t.name for t in out]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"orientations: {repeated} given more than once")
    return out
