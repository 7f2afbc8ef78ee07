"""The README's main job runs end to end on a tiny budget and reports exactness and flatness."""

from __future__ import annotations

import imageio.v3 as iio

from agents.__main__ import main


def test_demo_writes_the_mosaics_and_reports_exactness(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--steps", "30", "--slice-angles", "20", "--heldout-angles", "200",
                      "--tile", "64", "--gif-tile", "32", "--steps-3d", "8", "--pusht-angles", "0", "150"])  # fmt: skip
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
    assert (tmp_path / "showcase_push.gif").stat().st_size > 1000
    assert (tmp_path / "showcase_ladder3d.gif").stat().st_size > 1000
