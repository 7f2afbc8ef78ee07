"""Agent adapters and the any-agent benchmark: paired rows, exact closed loops, resume, videos, bad inputs."""

from __future__ import annotations

import json
import shutil

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents import benchmark as bench
from agents.agents import CallableAgent, PlannerAgent, RandomAgent, SB3Agent, ScriptedAgent, as_agent, make_agent
from agents.data import collect
from agents.train import TrainConfig, save_checkpoint, train

PLANNER = "samples=32,horizon=4,iterations=2"


def hold_still(obs):
    """A callable agent for the ``callable:module:function`` spec."""
    return np.zeros(2)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    data = collect("EqPushT-v0", episodes=6, max_steps=20, seed=0)
    paths = {}
    for kind in ("vn_explicit", "mlp_explicit"):
        model, _ = train(data, TrainConfig(model=kind, epochs=2))
        paths[kind] = save_checkpoint(model, folder / f"{kind}.pt", data.env_id, data.meta["env_kwargs"])
    return paths


def config(tmp_path, agent, **kw):
    values = {"agent": agent, "orientations": "0,90,200", "tasks": 2, "max_steps": 6, "videos": 0,
              "out": str(tmp_path / "bench"), "video_dir": str(tmp_path / "videos")}  # fmt: skip
    return bench.BenchConfig(**{**values, **kw})


def test_adapters(tmp_path, checkpoints):
    env = gym.make("EqPushT-v0", task="push")
    obs, _ = env.reset(seed=0)
    random_agent = make_agent("random", env)
    random_agent.reset(4)
    a = random_agent.act(obs)
    random_agent.reset(4)
    assert isinstance(random_agent, RandomAgent) and np.array_equal(a, random_agent.act(obs))
    assert isinstance(make_agent("scripted", env), ScriptedAgent) and make_agent("scripted", env).act(obs).shape == (2,)
    held = make_agent("callable:test_benchmark_agents:hold_still", env)
    assert isinstance(held, CallableAgent) and np.array_equal(held.act(obs), np.zeros(2))
    planner = make_agent(f"planner:{checkpoints['vn_explicit']},{PLANNER},dtype=float64,method=cem,elites=8", env)
    assert isinstance(planner, PlannerAgent) and planner.planner.config.method == "cem"
    assert planner.planner.dtype == torch.float64 and planner.act(obs).shape == (2,)
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", env, n_steps=32, batch_size=16, n_epochs=1, seed=0, device="cpu")
    model.learn(32)
    model.save(tmp_path / "ppo.zip")
    sb3 = make_agent(f"sb3:ppo:{tmp_path / 'ppo.zip'}", env)
    assert isinstance(sb3, SB3Agent) and sb3.act(obs).shape == (2,)
    assert np.array_equal(SB3Agent(model).act(obs), sb3.act(obs))
    # Python objects: an SB3 model, a plain function, an agent as it is; anything else is refused
    assert isinstance(as_agent(model), SB3Agent) and isinstance(as_agent(hold_still), CallableAgent)
    assert as_agent(planner) is planner
    with pytest.raises(ValueError, match=r"agent: .* no reset/act, no predict"):
        as_agent(3)


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("", "spec string"),
        ("magic", "unknown spec"),
        ("planner:", "needs a checkpoint"),
        ("planner:missing.pt", "does not exist"),
        ("sb3:dqn:model.zip", "sb3:<ppo"),
        ("sb3:ppo:missing.zip", "does not exist"),
        ("callable:no_such_module:f", "cannot import"),
    ],
)
def test_bad_agent_specs(spec, fault):
    with pytest.raises(ValueError, match="agent") as err:
        make_agent(spec, gym.make("EqPushT-v0"))
    assert fault in str(err.value)


def test_bad_planner_options(checkpoints):
    env = gym.make("EqPushT-v0")
    with pytest.raises(ValueError, match="unknown planner option 'depth'"):
        make_agent(f"planner:{checkpoints['vn_explicit']},depth=3", env)
    with pytest.raises(ValueError, match="not key=value"):
        make_agent(f"planner:{checkpoints['vn_explicit']},fast", env)
    with pytest.raises(ValueError, match="EqPushT-v0, not EqPushT3D-v0"):
        make_agent(f"planner:{checkpoints['vn_explicit']}", gym.make("EqPushT3D-v0"))


def test_benchmark_rows_summary_videos_and_exact_closed_loops(tmp_path, checkpoints):
    cfg = config(tmp_path, f"planner:{checkpoints['vn_explicit']},{PLANNER},dtype=float64", videos=1)
    summary = bench.run_benchmark(cfg, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "bench" / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {r["orientation"] for r in rows} == {"0deg", "90deg", "200deg"}
    assert (tmp_path / "bench" / "rows.csv").read_text().count("\n") == 7
    assert (tmp_path / "bench" / "polar.png").read_bytes()[:4] == b"\x89PNG"
    # the equivariant agent in float64: every paired difference vanishes, the closed loop is exact
    assert max(r["residual"] for r in rows) < 1e-9
    assert all(v == 0 for v in summary["max_abs_paired_difference"].values())
    videos = sorted(p.name for p in (tmp_path / "videos" / "bench").iterdir())
    assert "task0_mosaic.mp4" in videos and len(videos) == 4
    assert all(("success" in v or "failure" in v) for v in videos if v != "task0_mosaic.mp4")
    assert summary["orientations"]["200deg"]["split"] == "heldout"
    mean, low, high = summary["orientations"]["0deg"]["mean_ci"]["pos_error"]
    assert low <= mean <= high
    # the comparison table reads the run back from disk: one line for it, exact figures included
    table = bench.format_comparison([bench.load_summary(tmp_path / "bench")]).splitlines()
    line = next(row for row in table if row.startswith(summary["label"][:36]))
    paired, residual = line.split()[-3:-1]
    assert paired == "0" and float(residual) < 1e-9


def test_the_plain_planner_is_not_exact(tmp_path, checkpoints):
    cfg = config(tmp_path, f"planner:{checkpoints['vn_explicit']},{PLANNER},dtype=float64,equivariant=false")
    bench.run_benchmark(cfg, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "bench" / "rows.jsonl").read_text().splitlines()]
    assert max(r["residual"] for r in rows) > 1e-6


def test_resume_after_interruption_and_determinism(tmp_path, checkpoints, monkeypatch):
    spec = f"planner:{checkpoints['mlp_explicit']},{PLANNER},equivariant=false"
    calls = []
    original = bench._run_task

    def interrupted(config, agent, envs, task, record):
        calls.append(task)
        if task == 1 and len(calls) == 2:
            raise KeyboardInterrupt  # killed during the second task
        return original(config, agent, envs, task, record)

    monkeypatch.setattr(bench, "_run_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bench.run_benchmark(config(tmp_path, spec), progress=False)
    rows_path = tmp_path / "bench" / "rows.jsonl"
    assert len(rows_path.read_text().splitlines()) == 3  # the first task, complete; nothing of the second
    bench.run_benchmark(config(tmp_path, spec), progress=False)
    assert calls == [0, 1, 1]  # the rerun skipped the finished task
    rows = [json.loads(line) for line in rows_path.read_text().splitlines()]
    assert len(rows) == 6 and len({(r["orientation"], r["task"]) for r in rows}) == 6
    fresh = bench.run_benchmark(config(tmp_path, spec, out=str(tmp_path / "again")), progress=False)
    again = [json.loads(line) for line in (tmp_path / "again" / "rows.jsonl").read_text().splitlines()]
    strip = lambda rs: [{k: v for k, v in r.items() if k != "plan_ms"} for r in rs]  # noqa: E731
    assert strip(again) == strip(rows)  # same seed, same rows
    assert fresh["success_rate"] is not None


def test_rows_of_a_retrained_model_are_not_resumed(tmp_path, checkpoints):
    """The same checkpoint path with other weights is another run: a resume refuses to mix the rows."""
    path = tmp_path / "model.pt"
    for suffix in (".pt", ".json"):  # a checkpoint and its sidecar
        shutil.copyfile(checkpoints["vn_explicit"].with_suffix(suffix), path.with_suffix(suffix))
    cfg = config(tmp_path, f"planner:{path},{PLANNER}", tasks=1)
    bench.run_benchmark(cfg, progress=False)
    bench.run_benchmark(cfg, progress=False)  # unchanged: resumes (nothing left to run)
    for suffix in (".pt", ".json"):
        shutil.copyfile(checkpoints["mlp_explicit"].with_suffix(suffix), path.with_suffix(suffix))
    with pytest.raises(ValueError, match="rows of a different run"):
        bench.run_benchmark(cfg, progress=False)


def test_benchmark_of_a_python_object(tmp_path):
    """A function passed as an object: benchmarked like a spec, its rows name it."""
    cfg = bench.BenchConfig(orientations="0,180", tasks=1, max_steps=5, videos=0, out=str(tmp_path / "f"),
                            label="hold still")  # fmt: skip
    summary = bench.run_benchmark(cfg, progress=False, agent=hold_still)
    rows = [json.loads(line) for line in (tmp_path / "f" / "rows.jsonl").read_text().splitlines()]
    assert {r["run"]["agent"] for r in rows} == {"python:function"} and {r["label"] for r in rows} == {"hold still"}
    assert summary["max_abs_paired_difference"]["pos_error"] < 1e-9 and summary["success_rate"] == 0.0


def test_bad_benchmark_inputs(tmp_path, checkpoints):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"holds no summary\.json"):
        bench.load_summary(tmp_path)
    (tmp_path / "summary.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        bench.load_summary(tmp_path)
    with pytest.raises(ValueError, match=r"out: .* is not a folder"):
        bench.run_benchmark(config(tmp_path, "random", out=str(tmp_path / "file")), progress=False)
    with pytest.raises(ValueError, match="env_kwargs"):
        bench.run_benchmark(config(tmp_path, "random", env_kwargs={"task": "push", "friction": 2}), progress=False)
    with pytest.raises(ValueError, match="env_kwargs: 'orientation'"):
        config(tmp_path, "random", env_kwargs={"orientation": 1.0})
    with pytest.raises(ValueError, match="orientations: 'north'"):
        bench.run_benchmark(config(tmp_path, "random", orientations="north"), progress=False)
    bench.run_benchmark(config(tmp_path, "random"), progress=False)
    with pytest.raises(ValueError, match="different run"):
        bench.run_benchmark(config(tmp_path, "scripted"), progress=False)
    assert bench.main(["--agent", "magic", "--out", str(tmp_path / "x")]) == 2
