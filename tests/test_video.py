"""eqenvs.video: mp4/GIF files a person can open, written atomically; labelled mosaics."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from eqenvs.video import label_frame, mosaic, pad_to_macro_blocks, write_video


def frames(n=12, size=64, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return [np.roll(base, 4 * t, axis=1) for t in range(n)]


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_written_videos_read_back(tmp_path, suffix):
    clip = [np.full((48, 64, 3), 40 * t, dtype=np.uint8) for t in range(6)]
    path = write_video(tmp_path / "sub" / f"clip{suffix}", clip, fps=10)
    back = iio.imread(path)
    assert back.shape[0] == 6 and back.shape[1:3] == (48, 64)
    assert np.abs(back[..., :3].astype(int) - np.array(clip)).mean() < 3
    assert sorted(p.name for p in path.parent.iterdir()) == [f"clip{suffix}"]  # no temporary left


def test_failed_writes_leave_nothing(tmp_path):
    with pytest.raises(ValueError, match="frames\\[1\\]: shape"):
        write_video(tmp_path / "bad.mp4", [np.zeros((32, 32, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)])
    with pytest.raises(ValueError, match="path: unsupported video type"):
        write_video(tmp_path / "x.avi", frames())
    with pytest.raises(ValueError, match="fps"):
        write_video(tmp_path / "x.gif", frames(), fps=0)
    with pytest.raises(ValueError, match="uint8 RGB"):
        write_video(tmp_path / "x.gif", [np.zeros((16, 16), np.float32)])
    assert list(tmp_path.iterdir()) == []


def test_mp4_frames_that_are_not_multiples_of_16_are_padded_not_rescaled(tmp_path):
    clip = [np.full((84, 84, 3), 30 * t + 20, dtype=np.uint8) for t in range(5)]  # LeRobot's 84 px observations
    back = iio.imread(write_video(tmp_path / "obs.mp4", clip, fps=10))
    assert back.shape == (5, 96, 96, 3)  # padded to the next multiple of 16 at the bottom and right
    assert np.abs(back[:, :80, :80].astype(int) - np.array(clip)[:, :80, :80]).max() <= 3  # the picture, in place
    assert back[:, 88:, 88:].max() <= 3  # black padding
    gif = iio.imread(write_video(tmp_path / "obs.gif", clip, fps=10))
    assert gif.shape[1:3] == (84, 84)  # GIFs keep their size
    frame = np.ones((30, 40, 3), np.uint8)
    padded = pad_to_macro_blocks(frame)
    assert padded.shape == (32, 48, 3) and np.array_equal(padded[:30, :40], frame) and padded[30:].max() == 0
    same = np.ones((32, 48, 3), np.uint8)
    assert pad_to_macro_blocks(same) is same


def test_mosaic_tiles_labels_and_holds_finished_streams():
    streams = [frames(10, seed=0), frames(4, seed=1), frames(7, seed=2)]
    out = mosaic(streams, labels=["a", "b", "c"], cols=2)
    assert len(out) == 10 and out[0].shape == (128, 128, 3)
    # tile (0, 1) is stream b, which holds its last frame after 4 steps; below the label banner it is untouched
    assert np.array_equal(out[9][20:64, 64:128], streams[1][3][20:64])
    assert not np.array_equal(out[9][:8, 64:128], streams[1][3][:8])  # the label banner
    assert (out[0][64:, 64:] == 32).all()  # the empty fourth tile
    labelled = label_frame(np.full((64, 64, 3), 200, np.uint8), "x")
    assert labelled[:4].mean() < 100 and (labelled[12:] == 200).all()  # a 12-row banner


def test_mosaic_rejects_mismatches():
    with pytest.raises(ValueError, match="labels"):
        mosaic([frames(2)], labels=["a", "b"])
    with pytest.raises(ValueError, match="streams\\[1\\]"):
        mosaic([frames(2, 64), frames(2, 32)])
    with pytest.raises(ValueError, match="streams"):
        mosaic([])
