"""The README's main job runs end to end on a tiny budget and reports exactness and flatness."""

from __future__ import annotations

import math
import re

import imageio.v3 as iio
import pytest

from agents.cli import main
from agents.config import ShowcaseConfig


def test_showcase_writes_the_mosaics_and_reports_exactness(tmp_path, capsys):
    code = main(["showcase", "--out", str(tmp_path), "--steps", "30", "--slice-angles", "20deg", "--heldout-angles",
                 "200deg", "--tile", "64", "--gif-tile", "32", "--steps-3d", "8", "--pusht-angles", "0deg", "150deg"
                 ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "frame-mode exactness" in printed and "physics-mode flatness on the ladder" in printed
    video = iio.imread(tmp_path / "showcase_push.mp4")
    assert video.shape[1:] == (64, 256, 3)  # two labelled tiles in a row of four
    ladder = iio.imread(tmp_path / "showcase_ladder3d.mp4")
    assert ladder.shape == (9, 128, 192, 3)  # six rungs in two rows of three, reset + 8 steps
    # gym-pusht's task solved by the contact planner, the identity's episode at 150 deg too (94 steps, measured)
    assert "the identity's episode at every orientation (steps, coverage, success): True" in printed
    pusht = iio.imread(tmp_path / "showcase_pusht.mp4")
    assert pusht.shape[1:] == (64, 128, 3) and 50 < len(pusht) < 300
    # and by the learned VN push model's planner (no simulator at decision time), identically at 150 deg
    assert "learned VN push model" in printed and printed.count("(steps, coverage, success): True") == 2
    learned = iio.imread(tmp_path / "showcase_pusht_learned.mp4")
    assert learned.shape[1:] == (64, 128, 3) and 50 < len(learned) < 300
    assert (tmp_path / "showcase_push.gif").stat().st_size > 1000
    assert (tmp_path / "showcase_ladder3d.gif").stat().st_size > 1000


@pytest.mark.parametrize(
    ("angles", "fault"),
    [
        ({"slice_angles": ("100deg",)}, "slice_angles: 100deg is not in the training slice"),
        ({"heldout_angles": ("10deg",)}, "heldout_angles: 10deg is not outside the slice"),
        ({"slice_angles": ("30",)}, "slice_angles: '30' has no unit; write 30deg or 30rad"),
        ({"pusht_angles": ("1e999deg",)}, "pusht_angles: angle '1e999deg' is not finite"),
        ({"slice_angles": (), "heldout_angles": ()}, "give at least one orientation"),
    ],
)
def test_demo_angles_have_units_and_lie_in_their_split(angles, fault):
    """Issue 23: --slice-angles 100 was accepted and labelled slice; bare degrees were this command's alone."""
    with pytest.raises(ValueError, match=re.escape(fault)):
        ShowcaseConfig(**angles)
    config = ShowcaseConfig(slice_angles=("30deg", "0.5rad"), heldout_angles=("-30deg", "90deg"))
    assert config.slice_rad == (math.radians(30), 0.5)
    assert config.heldout_rad == (math.radians(330), math.pi / 2)
