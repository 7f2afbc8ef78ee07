"""Configs of the two showcase jobs: the story (``make demo``'s main job) and the environment showcase."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from agents.config.common import Threads, non_negative, positive
from eqenvs.files import check_output_folder


@dataclass(frozen=True, kw_only=True)
class StoryConfig(Threads):
    """The main job: collect on the slice, train the world models, plan at slice and held-out orientations."""

    episodes: int = 200
    """Training episodes collected on the slice."""
    epochs: int = 30
    """Training epochs of each world model."""
    tasks: int = 4
    """Paired push tasks per orientation."""
    orientations: str = "0deg,45deg,90deg,180deg,270deg"
    """Benchmark orientations (0 and 45 deg lie in the training slice)."""
    max_steps: int = 60
    """Episode cap in the benchmark."""
    seed: int = 0
    """Seeds collection, training and the tasks."""
    out: str = "runs/story"
    """Output folder (data, checkpoints, benchmark rows)."""
    video_dir: str = "videos"
    """Folder of the videos."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "episodes", "epochs", "tasks", "max_steps")
        check_output_folder(self.out, "out")
        check_output_folder(self.video_dir, "video_dir")


def _angles(values: tuple[str, ...], name: str, split: str = "") -> tuple[float, ...]:
    """Angles with their unit ("30deg", "0.5rad") as radians in [0, 2 pi); with ``split``, each must lie in that
    split of EqPushT-v1. A ValueError names ``name`` and the fault (a bare number: its unit is asked for)."""
    from eqenvs.groups import parse_angle
    from eqenvs.splits import get_split

    out = []
    for value in values:
        text = str(value).strip()
        if _BARE_NUMBER.match(text):
            raise ValueError(f"{name}: {text!r} has no unit; write {text}deg or {text}rad (as every command takes "
                             "angles)")  # fmt: skip
        radians = parse_angle(text, name) % (2 * math.pi)
        if split and not get_split("EqPushT-v1", split).contains(radians):
            where = "in the training slice [0deg, 90deg)" if split == "slice" else "outside the slice [0deg, 90deg)"
            raise ValueError(f"{name}: {text} is not {where}")
        out.append(radians)
    return tuple(out)


_BARE_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, kw_only=True)
class ShowcaseConfig:
    """The environment showcase: a scripted pusher at slice and held-out orientations, gym-pusht's PushT solved
    at four by the contact planner (a privileged oracle: it plans with gym-pusht's own simulator), and the SE(3)
    ladder."""

    task: Literal["push", "pose", "pusht"] = "push"
    """EqPushT-v1 task."""
    seed: int = 0
    """Episode seed (same canonical episode at every orientation)."""
    slice_angles: tuple[str, ...] = ("0deg", "30deg", "60deg")
    """Orientations in the training slice [0deg, 90deg), with their unit (e.g. 30deg, 0.5rad)."""
    heldout_angles: tuple[str, ...] = ("90deg", "150deg", "210deg", "270deg", "330deg")
    """Held-out orientations (outside the slice), with their unit."""
    steps: int = 120
    """Episode length cap (the env's own limit is 300)."""
    tile: int = 256
    """Side of each mosaic tile in px (a multiple of 16)."""
    gif_tile: int = 128
    """Tile side of the small GIFs for the README (0: no GIF)."""
    pusht_angles: tuple[str, ...] = ("0deg", "45deg", "150deg", "270deg")
    """Orientations (with their unit) of the PushT showcase: the contact planner, a privileged oracle, on
    gym-pusht's task (empty: skip it)."""
    pusht_seed: int = 0
    """Reset seed of the PushT showcase (gym-pusht's random start)."""
    pusht_learned: str = "vn_primitive-pusht2d"
    """A learned push model (shipped name or .pt) planned with at the same orientations and start: the learned
    agent's PushT showcase (empty: skip it)."""
    steps_3d: int = 60
    """Steps of the EqPushT3D-v1 ladder showcase (0: skip it)."""
    out: str = "videos"
    """Output folder."""

    def __post_init__(self) -> None:
        positive(self, "steps", "tile")
        non_negative(self, "gif_tile", "steps_3d")
        if self.tile % 16:
            raise ValueError(f"tile: must be a multiple of 16 px, got {self.tile}")
        if self.gif_tile % 16:
            raise ValueError(f"gif_tile: must be 0 (no GIF) or a multiple of 16 px, got {self.gif_tile}")
        self.slice_rad, self.heldout_rad, self.pusht_rad  # noqa: B018  (validates the angles)
        if not self.slice_angles and not self.heldout_angles:
            raise ValueError("slice_angles, heldout_angles: give at least one orientation")
        check_output_folder(self.out, "out")

    @property
    def slice_rad(self) -> tuple[float, ...]:
        """``slice_angles`` in radians, each checked to lie in the slice."""
        return _angles(self.slice_angles, "slice_angles", "slice")

    @property
    def heldout_rad(self) -> tuple[float, ...]:
        """``heldout_angles`` in radians, each checked to lie outside the slice."""
        return _angles(self.heldout_angles, "heldout_angles", "heldout")

    @property
    def pusht_rad(self) -> tuple[float, ...]:
        """``pusht_angles`` in radians in [0, 2 pi)."""
        return _angles(self.pusht_angles, "pusht_angles")
