"""Crisp 2D drawing of transformed geometry (anti-aliased, sub-pixel exact), for frames and pixel observations.

Scenes are drawn from their transformed geometry, never by rotating an image, so a frame at any
orientation is as sharp as the canonical one. A ``Canvas`` maps scene coordinates to pixels by one
similarity transform: the scene point ``centre`` lands on the exact centre of the pixel grid, so a
quarter turn of the scene about ``centre`` is a quarter turn of the grid (``np.rot90``). A rasteriser is not
symmetric under quarter turns (its tie-breaking and anti-aliasing run along rows), so scenes draw a view of
``quarter_turns(view) = k`` unturned and turn the grid: bit for bit ``np.rot90`` of the unturned frame.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import cv2
import numpy as np

from eqenvs.groups import GroupElement

__all__ = ["MIN_FRAME_SIZE", "Canvas", "HumanWindow", "check_frame_size", "quarter_turns", "turn_grid"]

_SHIFT = 4  # cv2 fixed-point bits: vertices are placed to 1/16 of a pixel
_ONE = 1 << _SHIFT
MIN_FRAME_SIZE = 16
"""Smallest frame side accepted (px): below it the T and the pusher are a few pixels wide."""


def check_frame_size(size: Any, name: str) -> int:
    """Validate a square frame side in px: an integer >= ``MIN_FRAME_SIZE`` (any such size: 84, 96, 100, ...).

    Only mp4 writing cares about multiples of 16, and ``eqenvs.video.write_video`` pads frames to them.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < MIN_FRAME_SIZE:
        raise ValueError(f"{name}: must be an integer number of pixels >= {MIN_FRAME_SIZE}, got {size!r}")
    return int(size)


_QUARTER_TURNS = {
    (1.0, 0.0, 0.0, 1.0): 0,
    (0.0, 1.0, -1.0, 0.0): 1,
    (-1.0, 0.0, 0.0, -1.0): 2,
    (0.0, -1.0, 1.0, 0.0): 3,
}


def quarter_turns(view: GroupElement) -> int | None:
    """k in 0..3 when the planar ``view``'s rotation is exactly k quarter turns (counter-clockwise in a y-up frame;
    ``eqenvs.groups`` makes those matrices integer), else None. A scene drawn through such a view can be drawn
    unturned and its pixel grid turned by ``np.rot90``: the frame is then exactly the unturned one's rotation."""
    r = view.rotation
    if r.shape != (2, 2):
        return None
    return _QUARTER_TURNS.get((float(r[0, 0]), float(r[1, 0]), float(r[0, 1]), float(r[1, 1])))


_CV2_TURNS = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn_grid(image: np.ndarray, k: int) -> np.ndarray:
    """``np.rot90(image, -k, axes=(-3, -2))`` of an image (..., H, W, C) as a new contiguous array: the pixel grid
    turned as a scene turned by k quarter turns (counter-clockwise in a y-up frame, so clockwise on y-down rows).
    One (H, W, C) image goes through cv2's copy, 8x faster than numpy's; batches through numpy."""
    image = np.asarray(image)
    if k % 4 == 0:
        return np.array(image, copy=True, order="C")
    if image.ndim == 3:
        return cv2.rotate(image, _CV2_TURNS[k % 4])
    return np.ascontiguousarray(np.rot90(image, k=-k, axes=(-3, -2)))


class HumanWindow:
    """A pygame window that shows RGB frames at ``fps`` frames per second: ``render_mode="human"``.

    Opened on the first ``show``, closed by ``close`` (the env's ``close``). Pickling drops the window (a
    restored env opens its own on its next frame).

    On Linux without a display (no ``DISPLAY`` or ``WAYLAND_DISPLAY``) and no ``SDL_VIDEODRIVER`` chosen, the
    window opens on SDL's "dummy" driver, with a warning: SDL would otherwise fall back to its "offscreen"
    driver, whose shutdown terminates the EGL display that MuJoCo renders with (``MUJOCO_GL=egl``), breaking
    every MuJoCo renderer of the process. Do not choose ``SDL_VIDEODRIVER=offscreen`` beside EqPushT3D-v1.
    """

    def __init__(self, title: str, fps: float):
        self.title, self.fps = title, fps
        self._window: Any = None
        self._clock: Any = None

    @property
    def is_open(self) -> bool:
        return self._window is not None

    def show(self, frame: np.ndarray) -> None:
        """Draw ``frame`` (H, W, 3) uint8 and wait out the rest of this frame's 1 / fps seconds."""
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        frame = np.asarray(frame)
        size = (frame.shape[1], frame.shape[0])
        if self._window is None or self._window.get_size() != size:
            _init_display(pygame)
            self._window = pygame.display.set_mode(size)
            pygame.display.set_caption(self.title)
            self._clock = pygame.time.Clock()
        pygame.surfarray.blit_array(self._window, np.ascontiguousarray(frame.swapaxes(0, 1)))  # pygame is (x, y)
        pygame.event.pump()  # keeps the window responsive
        pygame.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = self._clock = None

    def __getstate__(self) -> dict[str, Any]:
        return {"title": self.title, "fps": self.fps, "_window": None, "_clock": None}


@functools.lru_cache(maxsize=32)
def _blank(size: int, background: tuple) -> np.ndarray:
    """A read-only frame filled with ``background``: copying it is ~15x faster than a broadcast fill of 3 channels."""
    image = np.empty((size, size, 3), dtype=np.uint8)
    image[:] = background
    image.setflags(write=False)
    return image


class Canvas:
    """A square RGB uint8 image of side ``size`` showing scene points within ``half_extent`` of ``centre``,
    as seen through ``view`` (a 2D group element acting on coordinates relative to ``centre``).

    Scene coordinates are y-down (like the pymunk/gym-pusht frame), so rows grow with y.
    """

    def __init__(self, size: int, centre: np.ndarray, half_extent: float, view: GroupElement, background: tuple):
        self.size = size
        self.image = _blank(size, tuple(background)).copy()
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


def _init_display(pygame: Any) -> None:
    """``pygame.display.init()``, on SDL's dummy driver when a Linux machine has no display (see ``HumanWindow``)."""
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not headless or "SDL_VIDEODRIVER" in os.environ:
        pygame.display.init()
        return
    from gymnasium import logger

    logger.warn(
        "render_mode='human': no display (DISPLAY and WAYLAND_DISPLAY are unset), so frames go to SDL's dummy "
        "video driver; set SDL_VIDEODRIVER to choose another"
    )
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    try:
        pygame.display.init()
    finally:
        del os.environ["SDL_VIDEODRIVER"]
