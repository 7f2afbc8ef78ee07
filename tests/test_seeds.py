"""Seed ranges (agents.seeds): test tasks, validation tasks and training starts never meet."""

from __future__ import annotations

import json

import pytest

from agents.benchmark import run_benchmark
from agents.benchmark.tables import format_comparison
from agents.config import BenchConfig
from agents.seeds import DATA_SEEDS, MAX_BENCH_SEED, TRAINING_SEEDS, VALIDATION_SEEDS, bench_seed


def test_the_ranges_are_disjoint_at_their_extremes():
    last_test = bench_seed("test", MAX_BENCH_SEED, 999)
    assert last_test < VALIDATION_SEEDS == bench_seed("validation", 0, 0)
    assert bench_seed("validation", MAX_BENCH_SEED, 999) < TRAINING_SEEDS < DATA_SEEDS
    with pytest.raises(ValueError, match="seed, task"):
        bench_seed("test", MAX_BENCH_SEED + 1, 0)
    with pytest.raises(ValueError, match="task_set"):
        bench_seed("train", 0, 0)


def test_eqbench_refuses_runs_that_would_leave_their_range():
    with pytest.raises(ValueError, match="tasks: at most 1000"):
        BenchConfig(tasks=1001)
    with pytest.raises(ValueError, match="seed: at most 99999"):
        BenchConfig(seed=100_000)
    with pytest.raises(ValueError, match="seed: must be an integer >= 0"):
        BenchConfig(seed=-1)


def test_validation_runs_use_their_own_seeds_and_are_labelled_as_such(tmp_path):
    summaries = []
    for task_set in ("test", "validation"):
        config = BenchConfig(agent="scripted", env_kwargs={"task": "push"}, orientations="0deg,90deg", tasks=2,
                             max_steps=3, videos=0, task_set=task_set, label="scripted",
                             out=str(tmp_path / task_set))  # fmt: skip
        summaries.append(run_benchmark(config, progress=False))
        rows = [json.loads(line) for line in (tmp_path / task_set / "rows.jsonl").read_text().splitlines()]
        expected = {0, 1} if task_set == "test" else {VALIDATION_SEEDS, VALIDATION_SEEDS + 1}
        assert {r["env_seed"] for r in rows} == expected and {r["agent_seed"] for r in rows} == expected
    table = format_comparison(summaries, reps=20)
    assert "[validation] scripted" in table and table.count("scripted") == 2  # never pooled with the test run


def test_world_model_data_starts_in_the_training_range():
    import gymnasium as gym
    import numpy as np

    from agents.data import collect

    data = collect("EqPushT-v1", episodes=2, max_steps=2, seed=3)
    first, _ = gym.make("EqPushT-v1", **data.meta["env_kwargs"]).reset(seed=DATA_SEEDS + 3 * 100_003)
    assert np.allclose(data.canonical(data.symmetry())[0][0], first, atol=1e-12)  # episode 0 started there
    with pytest.raises(ValueError, match="seed < 10000"):
        collect("EqPushT-v1", episodes=1, seed=10_000)


def test_a_run_of_seen_orientations_only_shows_its_success_in_compare(tmp_path):
    """A tuning run has no held-out orientation, so no headline; compare still reports its seen success."""
    config = BenchConfig(agent="scripted", task="push", orientations="0deg,30deg", tasks=3, max_steps=40, videos=0,
                         task_set="validation", label="tuned", out=str(tmp_path / "run"))  # fmt: skip
    summary = run_benchmark(config, progress=False)
    assert "headline" not in summary and summary["seen_only"]["success"]["n"] == 3
    line = next(x for x in format_comparison([summary], reps=20).splitlines() if x.startswith("[validation] tuned"))
    mean = summary["seen_only"]["success"]["mean"]
    assert f"{mean:.2f} [" in line  # the estimate with its interval, not n/a
