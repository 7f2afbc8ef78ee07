"""Videos of a benchmark task: one mp4 per orientation and a labelled mosaic of all of them."""

from __future__ import annotations

import re
from pathlib import Path

from agents.benchmark.orientations import Target
from eqenvs.video import mosaic, write_video

__all__ = ["VIDEO_NAME", "write_task_videos"]

FPS = 10  # both envs step at 10 Hz (metadata["render_fps"])
COLOURS = {True: (140, 255, 140), False: (255, 140, 140)}  # success: green label, failure: red
VIDEO_NAME = re.compile(r"^task(\d+)_(\d+)_.+_(success|failure)\.mp4$")
"""The name ``write_task_videos`` gives an orientation's mp4: groups task, orientation index, outcome."""


def write_task_videos(folder: Path, task: int, targets: list[Target], results: list[dict]) -> list[Path]:
    """Write ``task<k>_<i>_<orientation>_<success|failure>.mp4`` per orientation (``i`` is its position in the
    run, so the files sort in the run's order) and ``task<k>_mosaic.mp4``; tiles are labelled with the
    orientation, its split (slice, held-out, or the ladder rung) and the outcome. Returns the paths."""
    paths = []
    width = len(str(len(targets) - 1))
    for i, (target, result) in enumerate(zip(targets, results, strict=True)):
        outcome = "success" if result["info"].get("is_success") else "failure"
        name = f"task{task:03d}_{i:0{width}d}_{target.name}_{outcome}.mp4"
        paths.append(write_video(folder / name, result["frames"], fps=FPS))
    labels, colours = [], []
    for target, result in zip(targets, results, strict=True):
        ok = bool(result["info"].get("is_success"))
        split = "held-out" if target.split == "heldout" else target.split
        labels.append(f"{target.name} [{split}] {'ok' if ok else 'fail'}")
        colours.append(COLOURS[ok])
    frames = mosaic([r["frames"] for r in results], labels, label_colors=colours)
    paths.append(write_video(folder / f"task{task:03d}_mosaic.mp4", frames, fps=FPS))
    return paths
