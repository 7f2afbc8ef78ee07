"""The README's main job runs end to end on a tiny budget and reports frame-mode exactness."""

from __future__ import annotations

import imageio.v3 as iio

from agents import demo


def test_demo_writes_the_mosaic_and_reports_exactness(tmp_path, capsys):
    code = demo.main(["--out", str(tmp_path), "--steps", "30", "--slice-angles", "20", "--heldout-angles", "200",
                      "--tile", "64", "--gif-tile", "32"])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "frame-mode exactness" in printed
    video = iio.imread(tmp_path / "showcase_push.mp4")
    assert video.shape[1:] == (64, 256, 3)  # two labelled tiles in a row of four
    assert (tmp_path / "showcase_push.gif").stat().st_size > 1000
