"""The main job, the SB3 baseline command and the planning-speed command, on tiny budgets."""

from __future__ import annotations

import numpy as np
import pytest

from agents import plan_speed
from agents.sb3 import train_sb3
from agents.story import StoryConfig, run_story


def test_story_end_to_end(tmp_path):
    lines = []
    config = StoryConfig(episodes=4, epochs=1, tasks=1, orientations="0,90", max_steps=4, out=str(tmp_path / "run"),
                         video_dir=str(tmp_path / "videos"))  # fmt: skip
    result = run_story(config, log=lines.append)
    text = "\n".join(lines)
    assert "success rate by orientation" in text and "VN + equivariant planner" in text
    assert set(result["summaries"]) == {"VN + equivariant planner", "MLP + plain planner", "VN + plain planner"}
    # the equivariant agent's closed loop is exact, in float64, at the held-out orientation too
    assert result["summaries"]["VN + equivariant planner"]["max_residual"] < 1e-9
    assert (tmp_path / "videos" / "showcase_story.mp4").stat().st_size > 1000
    assert (tmp_path / "run" / "story.json").is_file()


def test_sb3_baseline_command(tmp_path):
    result = train_sb3("ppo", steps=64, out=tmp_path / "ppo.zip")
    assert (tmp_path / "ppo.zip").is_file() and result["steps"] == 64
    with pytest.raises(ValueError, match="algo"):
        train_sb3("dqn", out=tmp_path / "x.zip")
    with pytest.raises(ValueError, match="zip"):
        train_sb3("ppo", steps=8, out=tmp_path / "x.pt")


def test_plan_speed_measures_the_matmul_floor(monkeypatch):
    result = plan_speed.measure(repeats=1, compile_model=False, orientations=2)
    assert result["gflop_per_plan"] > 0.5  # 300 x 20 x 6 predictions of the VN latent model
    assert 0 < result["eager_flop_rate_ratio"] < 2 and np.isfinite(result["batched_speedup"])
