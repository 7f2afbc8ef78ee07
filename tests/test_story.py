"""The main job, the SB3 baseline command and the planning-speed command, on tiny budgets."""

from __future__ import annotations

import json

import pytest

from agents.config import SB3Config, StoryConfig
from agents.probes import plan_speed
from agents.rl.train import train_sb3
from agents.story import run_story
from eqenvs.files import sha256_of


def test_story_end_to_end(tmp_path):
    lines = []
    config = StoryConfig(episodes=4, epochs=1, tasks=1, orientations="0deg,110deg", max_steps=4,
                         out=str(tmp_path / "run"), video_dir=str(tmp_path / "videos"))  # fmt: skip
    result = run_story(config, log=lines.append, progress=False)
    text = "\n".join(lines)
    assert "success rate by orientation [Wilson 95% interval]" in text and "VN + equivariant planner" in text
    assert set(result["summaries"]) == {"VN + equivariant planner", "MLP + plain planner", "VN + plain planner"}
    # the equivariant agent's closed loop is exact, in float64, at a generic held-out orientation too
    # (110 deg: not a quarter turn, whose integer matrices would make exactness trivial)
    exact = result["summaries"]["VN + equivariant planner"]["exactness"]
    assert exact["max_residual"] < 1e-13 and exact["max_abs_paired_difference"]["pos_error"] < 1e-10
    assert result["summaries"]["MLP + plain planner"]["exactness"]["max_residual"] > 1e-3  # the control is not
    assert (tmp_path / "videos" / "showcase_story.mp4").stat().st_size > 1000
    assert (tmp_path / "run" / "story.json").is_file()
    # the story ends by writing its results page and saying where it is
    assert result["page"] == str(tmp_path / "run" / "page" / "index.html") and lines[-1].endswith(
        f"the results page: {result['page']} (open it in a browser)"
    )
    assert len(list((tmp_path / "run" / "page" / "page" / "videos").rglob("*.mp4"))) == 3 * 2


def test_sb3_baseline_command(tmp_path):
    out = tmp_path / "ppo.zip"
    # SB3's progress bar needs tqdm and rich; one env and no evaluation keep it quick
    result = train_sb3(SB3Config(out=out, steps=64, n_envs=1, eval_freq=0, progress=True))
    assert out.is_file() and result["steps"] == 64
    sidecar = json.loads((tmp_path / "ppo.zip.json").read_text())
    assert sidecar["env_kwargs"] == {"task": "push"} and sidecar["sha256"] == sha256_of(out)
    with pytest.raises(ValueError, match="zip"):
        SB3Config(out=tmp_path / "x.pt")


def test_plan_speed_measures_threads_and_the_matmul_floor():
    result = plan_speed.measure(repeats=1, compile_model=False, orientations=2, thread_counts=(1, 2), busy=True)
    assert 1.0 < result["gflop_per_plan"] < 2.5  # 300 x 20 x 6 predictions of the VN latent model: 1.63 GFLOP
    # the floor replays the plan's own products: at most the plan's time, and not negligible beside it
    assert 0.05 < result["eager_flop_rate_ratio"] <= 1.0
    assert set(result["threads"]) == {"1", "2"}
    assert all(set(e["1"]) == {"idle_ms", "busy_ms"} for e in result["threads"].values())
    assert result["batched_seconds"] > 0 and result["one_by_one_seconds"] > 0
