"""Crisp 2D drawing of transformed geometry (anti-aliased, sub-pixel exact), for frames and pixel observations.

Scenes are drawn from their transformed geometry, never by rotating an image, so a frame at any
orientation is as sharp as the canonical one. A ``Canvas`` maps scene coordinates to pixels by one
similarity transform: the scene point ``centre`` lands on the exact centre of the pixel grid, so a
quarter turn of the scene about ``centre`` is a quarter turn of the grid (``np.rot90``) up to the
rasteriser's tie-breaking rules.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from eqenvs.groups import GroupElement

__all__ = ["Canvas", "check_frame_size"]

_SHIFT = 4  # cv2 fixed-point bits: vertices are placed to 1/16 of a pixel
_ONE = 1 << _SHIFT


def check_frame_size(size: Any, name: str) -> int:
    """Validate a square frame side: a positive int, a multiple of 16 (video codecs' macro-block)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16 or size % 16:
        raise ValueError(f"{name}: must be a positive multiple of 16 (video macro-blocks), got {size!r}")
    return int(size)


class Canvas:
    """A square RGB uint8 image of side ``size`` showing scene points within ``half_extent`` of ``centre``,
    as seen through ``view`` (a 2D group element acting on coordinates relative to ``centre``).

    Scene coordinates are y-down (like the pymunk/gym-pusht frame), so rows grow with y.
    """

    def __init__(self, size: int, centre: np.ndarray, half_extent: float, view: GroupElement, background: tuple):
        self.size = size
        self.image = np.empty((size, size, 3), dtype=np.uint8)
        self.image[:] = background
        self.px_per_unit = size / (2.0 * half_extent)
        k = self.px_per_unit
        r = view.rotation
        # pixel = k * (R (p - centre) + t) + (size - 1) / 2, as one affine map p -> M p + offset
        self._m = k * r
        self._offset = k * (view.translation - r @ centre) + (size - 1) / 2.0

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """Scene points (..., 2) to continuous pixel coordinates (x right, y down)."""
        return np.asarray(points, dtype=np.float64) @ self._m.T + self._offset

    def _fixed(self, points: np.ndarray) -> np.ndarray:
        return np.round(self.to_pixels(points) * _ONE).astype(np.int32)

    def polygon(self, points: np.ndarray, color: tuple) -> None:
        """Fill the polygon with scene vertices ``points`` (n, 2)."""
        cv2.fillPoly(self.image, [self._fixed(points)], color, lineType=cv2.LINE_AA, shift=_SHIFT)

    def outline(self, points: np.ndarray, color: tuple, width: float) -> None:
        """Closed polyline through scene ``points`` with a stroke ``width`` in scene units."""
        thickness = max(1, round(width * self.px_per_unit))
        cv2.polylines(self.image, [self._fixed(points)], True, color, thickness, lineType=cv2.LINE_AA, shift=_SHIFT)

    def disk(self, centre: np.ndarray, radius: float, color: tuple) -> None:
        """Filled disk of scene ``radius`` around scene point ``centre``."""
        c = self._fixed(centre)
        r = max(1, round(radius * self.px_per_unit * _ONE))
        cv2.circle(self.image, (int(c[0]), int(c[1])), r, color, -1, lineType=cv2.LINE_AA, shift=_SHIFT)

    def cross(self, centre: np.ndarray, arm: float, color: tuple, width: float) -> None:
        """An axis-aligned (in the scene) plus-shaped marker, e.g. a commanded target."""
        c = np.asarray(centre, dtype=np.float64)
        thickness = max(1, round(width * self.px_per_unit))
        for d in ((arm, 0.0), (0.0, arm)):
            a, b = self._fixed(c - d), self._fixed(c + d)
            cv2.line(self.image, tuple(map(int, a)), tuple(map(int, b)), color, thickness, cv2.LINE_AA, _SHIFT)
