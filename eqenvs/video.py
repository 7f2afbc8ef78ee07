"""Video writers (mp4 through imageio's bundled ffmpeg, GIF through Pillow) and labelled frame mosaics.

Files are written atomically: to a temporary file beside the target, then renamed, so a crash never
leaves a half-written video under the final name.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from eqenvs.files import atomic_path

__all__ = ["MACRO_BLOCK", "VIDEO_SUFFIXES", "label_frame", "mosaic", "pad_to_macro_blocks", "write_video"]

VIDEO_SUFFIXES = (".mp4", ".gif")
MACRO_BLOCK = 16
"""H.264 codes frames in 16x16 macro-blocks: mp4 frame sides are padded to multiples of this."""


def _check_frames(frames: Sequence[np.ndarray], name: str = "frames") -> list[np.ndarray]:
    frames = [np.asarray(f) for f in frames]
    if not frames:
        raise ValueError(f"{name}: no frames to write")
    shape = frames[0].shape
    for i, f in enumerate(frames):
        if f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3:
            raise ValueError(f"{name}[{i}]: expected uint8 RGB (H, W, 3), got {f.dtype} {f.shape}")
        if f.shape != shape:
            raise ValueError(f"{name}[{i}]: shape {f.shape} differs from the first frame's {shape}")
    return frames


def pad_to_macro_blocks(frame: np.ndarray, value: int = 0) -> np.ndarray:
    """``frame`` (H, W, 3) padded at the bottom and right with ``value`` to sides that are multiples of 16.

    The picture keeps its pixels and its top-left origin (nothing is rescaled); a frame whose sides are already
    multiples of 16 is returned as it is.
    """
    h, w = frame.shape[:2]
    pad_h, pad_w = -h % MACRO_BLOCK, -w % MACRO_BLOCK
    if not (pad_h or pad_w):
        return frame
    return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), constant_values=value)


def write_video(path: str | os.PathLike, frames: Sequence[np.ndarray], fps: float = 10.0) -> Path:
    """Write RGB uint8 ``frames`` to ``path`` (.mp4: H.264 via imageio-ffmpeg; .gif: looping GIF), atomically.

    H.264 codes 16x16 macro-blocks, so mp4 frames whose sides are not multiples of 16 (an 84 px pixel
    observation, say) are padded with black at the bottom and right to the next multiples
    (``pad_to_macro_blocks``): no codec rescales them. GIFs keep their size. Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"path: unsupported video type {path.suffix!r}; expected one of {VIDEO_SUFFIXES}")
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: must be a positive number, got {fps!r}")
    frames = _check_frames(frames)
    with atomic_path(path) as tmp:
        if suffix == ".mp4":
            import imageio.v2 as imageio

            with imageio.get_writer(
                tmp, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=MACRO_BLOCK,
                pixelformat="yuv420p", ffmpeg_log_level="error", output_params=["-crf", "20"],
            ) as writer:  # fmt: skip
                for frame in frames:
                    writer.append_data(pad_to_macro_blocks(frame))
        else:
            from PIL import Image

            images = [Image.fromarray(f) for f in frames]
            images[0].save(
                tmp, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0
            )
    return path


def label_frame(frame: np.ndarray, text: str, color: tuple = (255, 255, 255)) -> np.ndarray:
    """A copy of ``frame`` with ``text`` on a dark banner across its top."""
    out = np.array(frame, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    banner = max(12, h // 14)
    scale = banner / 30.0
    thickness = max(1, round(scale * 1.5))
    out[:banner] = (out[:banner].astype(np.uint16) * 2 // 7).astype(np.uint8)  # darken, keep the scene visible
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    if tw > w - 4:  # shrink long labels to fit
        scale *= (w - 4) / tw
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    origin = (max(2, (w - tw) // 2), (banner + th) // 2)
    cv2.putText(out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)
    return out


def mosaic(
    streams: Sequence[Sequence[np.ndarray]],
    labels: Sequence[str] | None = None,
    cols: int | None = None,
    label_colors: Sequence[tuple] | None = None,
    background: int = 32,
) -> list[np.ndarray]:
    """Tile per-orientation frame streams side by side, one labelled tile each, into one frame stream.

    Streams may have different lengths: a finished stream holds its last frame. All frames must share
    one shape. ``cols`` defaults to ceil(sqrt(number of streams)).
    """
    if not streams:
        raise ValueError("streams: need at least one frame stream")
    streams = [_check_frames(s, f"streams[{i}]") for i, s in enumerate(streams)]
    shape = streams[0][0].shape
    for i, s in enumerate(streams):
        if s[0].shape != shape:
            raise ValueError(f"streams[{i}]: frame shape {s[0].shape} differs from {shape}")
    n = len(streams)
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels: {len(labels)} labels for {n} streams")
    if label_colors is not None and len(label_colors) != n:
        raise ValueError(f"label_colors: {len(label_colors)} colours for {n} streams")
    cols = math.ceil(math.sqrt(n)) if cols is None else cols
    if isinstance(cols, bool) or not isinstance(cols, int) or cols < 1:
        raise ValueError(f"cols: must be a positive integer, got {cols!r}")
    rows = math.ceil(n / cols)
    h, w = shape[:2]
    length = max(len(s) for s in streams)
    out = []
    for t in range(length):
        canvas = np.full((rows * h, cols * w, 3), background, dtype=np.uint8)
        for i, s in enumerate(streams):
            frame = s[min(t, len(s) - 1)]
            if labels is not None:
                frame = label_frame(frame, labels[i], label_colors[i] if label_colors else (255, 255, 255))
            r, c = divmod(i, cols)
            canvas[r * h : (r + 1) * h, c * w : (c + 1) * w] = frame
        out.append(canvas)
    return out
