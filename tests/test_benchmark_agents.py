"""Agent adapters and the any-agent benchmark: paired rows, exact closed loops, resume, videos, bad inputs."""

from __future__ import annotations

import json
import shutil
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch

import eqenvs  # noqa: F401
from agents import benchmark as bench
from agents.adapters import CallableAgent, PlannerAgent, RandomAgent, SB3Agent, ScriptedAgent, as_agent
from agents.benchmark import run as bench_run
from agents.checkpoints import save_checkpoint
from agents.cli import eqbench
from agents.config import BENCH_ENV_DEFAULTS
from agents.data import collect
from agents.specs import make_agent
from agents.train import TrainConfig, train

PLANNER = "samples=32,horizon=4,iterations=2"


def hold_still(obs):
    """A callable agent for the ``callable:module:function`` spec."""
    return np.zeros(2)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    data = collect("EqPushT-v1", episodes=6, max_steps=20, seed=0)
    paths = {}
    for kind in ("vn_explicit", "mlp_explicit"):
        model, _ = train(data, TrainConfig(model=kind, epochs=2))
        paths[kind] = save_checkpoint(model, folder / f"{kind}.pt", data.env_id, data.meta["env_kwargs"])
    return paths


def config(tmp_path, agent, **kw):
    values = {"agent": agent, "task": "push", "orientations": "0deg,90deg,200deg", "tasks": 2, "max_steps": 6,
              "videos": 0, "out": str(tmp_path / "bench")}  # fmt: skip
    return bench.BenchConfig(**{**values, **kw})


def rows_of(folder):
    return [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines()]


def test_adapters(tmp_path, checkpoints):
    env = gym.make("EqPushT-v1", task="push")
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
        make_agent(spec, gym.make("EqPushT-v1"))
    assert fault in str(err.value)


def test_bad_planner_options(checkpoints):
    env = gym.make("EqPushT-v1")
    with pytest.raises(ValueError, match="unknown planner option 'depth'"):
        make_agent(f"planner:{checkpoints['vn_explicit']},depth=3", env)
    with pytest.raises(ValueError, match="not key=value"):
        make_agent(f"planner:{checkpoints['vn_explicit']},fast", env)
    with pytest.raises(ValueError, match="EqPushT-v1, not EqPushT3D-v1"):
        make_agent(f"planner:{checkpoints['vn_explicit']}", gym.make("EqPushT3D-v1"))
    # issue: equivariant=ture silently chose the plain planner; one parser, unknown values are errors
    with pytest.raises(ValueError, match="agent: planner option equivariant: expected true or false, got 'ture'"):
        make_agent(f"planner:{checkpoints['vn_explicit']},equivariant=ture", env)
    for text, value in (("false", False), ("0", False), ("No", False), ("on", True)):
        agent = make_agent(f"planner:{checkpoints['vn_explicit']},equivariant={text}", env)
        assert agent.planner.config.equivariant is value


@pytest.mark.parametrize(
    ("kwargs", "fault"),
    [({"action_type": "absolute"}, "action"), ({"obs_type": "pixels"}, "obs_type")],
)
def test_a_planner_refuses_an_env_it_was_not_trained_for(tmp_path, checkpoints, kwargs, fault):
    """Issue: on absolute actions eqbench exited 0 and wrote rows; on pixels an IndexError traceback."""
    cfg = config(tmp_path, f"planner:{checkpoints['vn_explicit']},{PLANNER}", env_kwargs=kwargs)
    with pytest.raises(ValueError, match=f"agent: this env differs .*{fault}"):
        bench.run_benchmark(cfg, progress=False)
    assert not (tmp_path / "bench").exists()


def test_an_sb3_model_refuses_other_spaces(tmp_path):
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", gym.make("EqPushT-v1", task="push"), n_steps=32, batch_size=16, n_epochs=1, device="cpu")
    model.save(tmp_path / "ppo.zip")
    with pytest.raises(ValueError, match="other spaces: actions"):
        make_agent(f"sb3:ppo:{tmp_path / 'ppo.zip'}", gym.make("EqPushT-v1", action_type="absolute"))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable PPO model"):
        make_agent(f"sb3:ppo:{tmp_path / 'junk.zip'}", gym.make("EqPushT-v1"))


def test_callable_agents_from_the_users_folder_or_a_file(tmp_path, monkeypatch):
    """Issue: callable:mymodule:act failed from the user's own folder (console scripts do not import from it)."""
    (tmp_path / "my_policy_module.py").write_text("import numpy as np\ndef act(obs):\n    return np.ones(2) / 2\n"
                                                 "def two(obs, other):\n    return obs\n")  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    env = gym.make("EqPushT-v1", task="push")
    obs, _ = env.reset(seed=0)
    assert np.array_equal(make_agent("callable:my_policy_module:act", env).act(obs), [0.5, 0.5])
    assert np.array_equal(make_agent(f"callable:{tmp_path / 'my_policy_module.py'}:act", env).act(obs), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"agent: two\(obs, other\) cannot be called as f\(obs\)"):
        make_agent("callable:my_policy_module:two", env)
    with pytest.raises(ValueError, match=r"callable:<module or file\.py>:<function>"):
        make_agent("callable:act", env)


def test_benchmark_rows_summary_videos_and_exact_closed_loops(tmp_path, checkpoints):
    cfg = config(tmp_path, f"planner:{checkpoints['vn_explicit']},{PLANNER},dtype=float64", videos=1)
    summary = bench.run_benchmark(cfg, progress=False)
    out = tmp_path / "bench"
    rows = rows_of(out)
    assert len(rows) == 6 and {r["orientation"] for r in rows} == {"0deg", "90deg", "200deg"}
    assert (out / "rows.csv").read_text().count("\n") == 7
    assert (out / "plot.png").read_bytes()[:4] == b"\x89PNG"
    # the equivariant agent in float64: every paired difference vanishes, the closed loop is exact
    assert max(r["residual"] for r in rows) < 1e-12
    assert all(v == 0 for v in summary["exactness"]["max_abs_paired_difference"].values())
    # videos under <out>/videos, named so they sort in the run's order, the split in the mosaic's labels
    videos = sorted(p.name for p in (out / "videos").iterdir())
    assert videos[-1] == "task000_mosaic.mp4" and len(videos) == 4
    assert [v.split("_")[1:3] for v in videos[:3]] == [["0", "0deg"], ["1", "90deg"], ["2", "200deg"]]
    assert summary["orientations"]["200deg"]["split"] == "heldout" and summary["seen"] == ["0deg"]
    # named estimates; success has a Wilson interval that never collapses (2 tasks: wide)
    success = summary["orientations"]["0deg"]["success"]
    assert set(success) == {"mean", "low", "high", "n", "method"} and success["method"] == "wilson"
    assert success["high"] - success["low"] > 0.5
    error = summary["orientations"]["0deg"]["pos_error"]
    assert error["low"] <= error["mean"] <= error["high"] and summary["unit"] == "px"
    head = summary["headline"]
    assert head["difference"]["mean"] == 0.0 and head["difference"]["low"] < 0 < head["difference"]["high"]
    assert head["p_value"] == 1.0 and "paired by task" in head["definition"]
    assert summary["schema_version"] == bench.SCHEMA_VERSION == 2
    assert "NaN" not in (out / "summary.json").read_text()
    # the comparison table reads the run back from disk: one line for it, exact figures included
    table = bench.format_comparison([bench.load_summary(out)]).splitlines()
    line = next(row for row in table if row.startswith(summary["label"][:34]))
    paired, residual = line.split()[-3:-1]
    assert paired == "0" and float(residual) < 1e-12


def test_the_plain_planner_is_not_exact(tmp_path, checkpoints):
    cfg = config(tmp_path, f"planner:{checkpoints['vn_explicit']},{PLANNER},dtype=float64,equivariant=false")
    bench.run_benchmark(cfg, progress=False)
    assert max(r["residual"] for r in rows_of(tmp_path / "bench")) > 1e-6


def test_resume_after_interruption_and_determinism(tmp_path, checkpoints, monkeypatch):
    spec = f"planner:{checkpoints['mlp_explicit']},{PLANNER},equivariant=false"
    calls = []
    original = bench_run.run_task

    def interrupted(config, agent, envs, task, record):
        calls.append(task)
        if task == 1 and len(calls) == 2:
            raise KeyboardInterrupt  # killed during the second task
        return original(config, agent, envs, task, record)

    monkeypatch.setattr(bench_run, "run_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bench.run_benchmark(config(tmp_path, spec), progress=False)
    rows_path = tmp_path / "bench" / "rows.jsonl"
    assert len(rows_path.read_text().splitlines()) == 3  # the first task, complete; nothing of the second
    bench.run_benchmark(config(tmp_path, spec), progress=False)
    assert calls == [0, 1, 1]  # the rerun skipped the finished task
    rows = rows_of(tmp_path / "bench")
    assert len(rows) == 6 and len({(r["orientation"], r["task"]) for r in rows}) == 6
    bench.run_benchmark(config(tmp_path, spec, out=str(tmp_path / "again"), threads=2), progress=False)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "plan_ms"} for r in rs]  # noqa: E731
    assert strip(rows_of(tmp_path / "again")) == strip(rows)  # same seed, same rows (threads do not matter)


def test_rows_of_a_retrained_model_are_not_resumed(tmp_path, checkpoints):
    """The same checkpoint path with other weights is another run: a resume refuses to mix the rows."""
    path = tmp_path / "model.pt"
    shutil.copyfile(checkpoints["vn_explicit"], path)
    cfg = config(tmp_path, f"planner:{path},{PLANNER}", tasks=1)
    bench.run_benchmark(cfg, progress=False)
    bench.run_benchmark(cfg, progress=False)  # unchanged: resumes (nothing left to run)
    shutil.copyfile(checkpoints["mlp_explicit"], path)
    with pytest.raises(ValueError, match="rows of a different run"):
        bench.run_benchmark(cfg, progress=False)


def test_benchmark_of_a_python_object(tmp_path):
    """A function passed as an object: benchmarked like a spec, its rows name it."""
    cfg = bench.BenchConfig(task="push", orientations="0deg,180deg", tasks=1, max_steps=5, videos=0,
                            out=str(tmp_path / "f"), label="hold still")  # fmt: skip
    summary = bench.run_benchmark(cfg, progress=False, agent=hold_still)
    rows = rows_of(tmp_path / "f")
    assert {r["run"]["agent"] for r in rows} == {"python:function"} and {r["label"] for r in rows} == {"hold still"}
    assert summary["exactness"]["max_abs_paired_difference"]["pos_error"] < 1e-9 and summary["success_rate"] == 0.0


def test_env_kwargs_merge_with_the_defaults(tmp_path):
    """Issue: --env-kwargs '{"orientation_mode": "physics"}' replaced the defaults. Issue 23: the default task is
    the env's own (gym.make's: pusht for EqPushT), written out in the summary; --task sets it."""
    cfg = config(tmp_path, "random", task=None, env_kwargs={"orientation_mode": "physics"}, tasks=1, max_steps=2)
    assert cfg.merged_env_kwargs == {"task": "pusht", "orientation_mode": "physics"}
    summary = bench.run_benchmark(cfg, progress=False)
    assert summary["task"] == "pusht" and summary["env_kwargs"]["orientation_mode"] == "physics"
    assert "task 'pusht' (physics mode)" in bench.format_summary(summary)
    row = bench.format_comparison([summary], reps=50).splitlines()[2].split()
    assert row[1:4] == ["EqPushT-v1", "pusht", "physics"]  # the mode has its own column (a label could hide it)
    assert config(tmp_path, "random", env_kwargs={"task": "pose"}, task=None).merged_env_kwargs == {"task": "pose"}
    assert config(tmp_path, "random", task="pose").merged_env_kwargs == {"task": "pose"}
    assert config(tmp_path, "random", env="EqPushT3D-v1", task=None).merged_env_kwargs == {"task": "push"}
    for env_id, kwargs in BENCH_ENV_DEFAULTS.items():  # the defaults are the envs' own (v0 warns that it is old)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert gym.make(env_id).unwrapped.task == kwargs["task"]
    with pytest.raises(ValueError, match="task: --task pose and --env-kwargs' task 'push' disagree"):
        config(tmp_path, "random", task="pose", env_kwargs={"task": "push"})
    with pytest.raises(ValueError, match="task: 'pusht' exists in EqPushT only"):
        config(tmp_path, "random", env="EqPushT3D-v1", task="pusht")


def test_seeds_of_one_agent_are_aggregated(tmp_path, checkpoints):
    """Two runs with one label (two checkpoints: two training seeds) make one line over runs x tasks."""
    for name in ("vn_explicit", "mlp_explicit"):
        cfg = config(tmp_path, f"planner:{checkpoints[name]},{PLANNER}", label="agent", out=str(tmp_path / name))
        bench.run_benchmark(cfg, progress=False)
    summaries = [bench.load_summary(tmp_path / name) for name in ("vn_explicit", "mlp_explicit")]
    table = bench.format_comparison(summaries, reps=200)
    lines = [line for line in table.splitlines()[2:] if line.startswith("agent ")]
    assert len(lines) == 1 and lines[0].split()[4] == "2"  # one agent, two runs
    assert "interquartile mean" in table and "bootstrap over runs and tasks" in table


def test_bad_benchmark_inputs_are_refused_before_anything_is_written(tmp_path, checkpoints, capsys):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"holds no summary\.json"):
        bench.load_summary(tmp_path)
    (tmp_path / "summary.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        bench.load_summary(tmp_path)
    with pytest.raises(ValueError, match=r"out: .* is not a folder"):
        config(tmp_path, "random", out=str(tmp_path / "file"))
    with pytest.raises(ValueError, match="env_kwargs: 'orientation'"):
        config(tmp_path, "random", env_kwargs={"orientation": 1.0})
    with pytest.raises(ValueError, match=r"env_kwargs: expected a JSON object \(a dict\), got \[1, 2\]"):
        config(tmp_path, "random", env_kwargs=[1, 2])
    for kwargs, fault in (
        ({"env_kwargs": {"friction": 2}}, "env_kwargs"),
        ({"orientations": "north"}, "orientations: 'north'"),
        ({"orientations": "0deg,90"}, "orientations: '90' has no unit; write 90deg or 90rad"),
        ({"agent": "magic"}, "unknown spec"),
        ({"agent": "planner:missing.pt"}, "does not exist"),
    ):
        with pytest.raises(ValueError, match=fault):
            bench.run_benchmark(config(tmp_path, **{"agent": "random", "out": str(tmp_path / "never"), **kwargs}),
                                progress=False)  # fmt: skip
        assert not (tmp_path / "never").exists()
    bench.run_benchmark(config(tmp_path, "random"), progress=False)
    with pytest.raises(ValueError, match="different run"):
        bench.run_benchmark(config(tmp_path, "scripted"), progress=False)
    # the command line: one clear line and exit code 2, no traceback, nothing written
    assert eqbench(["--agent", "magic", "--out", str(tmp_path / "x")]) == 2
    assert "error: agent: unknown spec 'magic'" in capsys.readouterr().err and not (tmp_path / "x").exists()
    for flag, fault in (("[1,2]", "expected a JSON object"), ("{bad", "is not valid JSON")):
        with pytest.raises(SystemExit) as exit_:
            eqbench(["--env-kwargs", flag, "--out", str(tmp_path / "x")])
        assert exit_.value.code == 2 and fault in capsys.readouterr().err.replace("\n", " ").replace("│", "")


def test_the_shipped_3d_agent_is_exact_on_every_rung_and_the_mlp_is_not(tmp_path):
    """The SE(3) ladder with the shipped 3D models: per-rung success and its gap paired by task (``splits``);
    the VN agent's closed loop is the same on every rung (frame mode), the MLP + plain planner's is not."""
    plan = "horizon=6,samples=64,iterations=3,temperature=0.3,init_std=1.0"
    common = {"env": "EqPushT3D-v1", "orientations": "ladder", "per_split": 1, "tasks": 2, "max_steps": 8}
    vn = bench.run_benchmark(config(tmp_path / "vn", f"planner:vn_explicit-push3d,dtype=float64,{plan}", **common),
                             progress=False)  # fmt: skip
    assert list(vn["splits"]) == ["C4", "SO2", "SE2", "SO3", "SE3"]
    assert all(s["difference"]["mean"] == 0 and s["max_abs"] == 0 for s in vn["splits"].values())
    assert vn["exactness"]["max_residual"] < 1e-12
    assert all(v == 0 for v in vn["exactness"]["max_abs_paired_difference"].values())
    mlp = bench.run_benchmark(config(tmp_path / "mlp", f"planner:mlp_explicit-push3d,equivariant=false,{plan}",
                                     **common), progress=False)  # fmt: skip
    assert mlp["exactness"]["max_residual"] > 0.1
    assert mlp["exactness"]["max_abs_paired_difference"]["pos_error"] > 1e-3  # metres: different outcomes
    assert "per split" in bench.format_summary(mlp)


def test_3d_planners_start_from_the_tuned_defaults():
    from agents.planning import PLANNER_DEFAULTS_3D, PlannerConfig

    for task, expected in (("push", (10, 0.3, 1.0)), ("pose", (10, 1.0, 0.6))):  # chosen on validation tasks
        agent = make_agent("planner:vn_explicit-push3d", gym.make("EqPushT3D-v1", task=task))
        config = agent.planner.config
        assert (config.horizon, config.temperature, config.init_std) == expected
        assert expected == tuple(PLANNER_DEFAULTS_3D[task].values())
        assert agent.planner.cost.pose_weight == {"push": 0.0, "pose": 0.15}[task]
    assert make_agent("planner:vn_explicit-push3d,horizon=4", gym.make("EqPushT3D-v1")).planner.config.horizon == 4
    assert make_agent("planner:vn_explicit-push2d", gym.make("EqPushT-v1")).planner.config == PlannerConfig()
