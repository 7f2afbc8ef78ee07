"""Workers and Ray: the same rows as a serial run, bit for bit; dead workers and a killed run lose nothing.

Ray tests start real Ray instances (a local one, and a two-node cluster simulated on this machine); each is a
few seconds. The runs are tiny (3 orientations x 4 tasks x 8 steps of the shipped planner).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from agents import benchmark as bench
from agents.cli import eqbench
from agents.workers import files_of, run_jobs, write_files

SPEC = "planner:vn_explicit-push2d,samples=32,horizon=4,iterations=2"
ROOT = Path(__file__).resolve().parents[1]

DYING_AGENT = '''
import os
import time

import numpy as np

CALLS = [0]


def act(obs):
    """Deterministic; but the 20th call made in a worker process kills it (mid-task), once per run, and with
    EQENVS_TEST_SLOW a worker's calls after its first task take 0.2 s (the run is still going when killed)."""
    CALLS[0] += 1
    marker, driver = os.environ.get("EQENVS_TEST_DIE"), int(os.environ["EQENVS_TEST_DRIVER"])
    if os.environ.get("EQENVS_TEST_SLOW") and os.getpid() != driver and CALLS[0] > 40:
        time.sleep(0.2)
    if marker and os.getpid() != driver and CALLS[0] == 20:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # one death per run
        except FileExistsError:
            pass
        else:
            os._exit(1)
    return np.tanh(np.asarray(obs[:2], dtype=float) / 100.0)
'''


def config(out, agent=SPEC, **kw):
    values = {"agent": agent, "task": "push", "orientations": "0deg,90deg,200deg", "tasks": 4, "max_steps": 8,
              "videos": 1, "out": str(out)}  # fmt: skip
    return bench.BenchConfig(**{**values, **kw})


def rows_of(folder):
    """The rows without their one timing field (plan_ms is wall-clock time, different on every run)."""
    rows = [json.loads(line) for line in (Path(folder) / "rows.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "plan_ms"} for row in rows]


def videos_of(folder):
    return sorted(p.name for p in (Path(folder) / "videos").iterdir())


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "bench"
    bench.run_benchmark(config(out), progress=False)
    return out


@pytest.fixture
def dying_agent(tmp_path, monkeypatch):
    path = tmp_path / "dying.py"
    path.write_text(DYING_AGENT)
    monkeypatch.setenv("EQENVS_TEST_DRIVER", str(os.getpid()))
    return f"callable:{path}:act"


def test_workers_give_the_serial_rows_and_videos(tmp_path, serial):
    summary = bench.run_benchmark(config(tmp_path / "w", workers=2), progress=False)
    assert rows_of(tmp_path / "w") == rows_of(serial) and len(rows_of(serial)) == 12
    assert videos_of(tmp_path / "w") == videos_of(serial) and len(videos_of(serial)) == 4
    same = {k: v for k, v in summary["config"].items() if k != "out"}
    assert same == {k: v for k, v in bench.load_summary(serial)["config"].items() if k != "out"}
    assert "workers" not in same and "ray" not in same  # where it ran is not part of the run


def test_a_dead_worker_loses_no_row(tmp_path, dying_agent, monkeypatch, capsys):
    reference = config(tmp_path / "serial", dying_agent, videos=0)
    bench.run_benchmark(reference, progress=False)  # the driver never dies
    out = tmp_path / "workers"
    monkeypatch.setenv("EQENVS_TEST_DIE", str(tmp_path / "died"))
    bench.run_benchmark(config(out, dying_agent, videos=0, workers=2), progress=False)
    assert (tmp_path / "died").exists() and "a worker process died" in capsys.readouterr().err
    rows = rows_of(out)
    assert rows == rows_of(tmp_path / "serial") and len({(r["orientation"], r["task"]) for r in rows}) == 12


def test_a_killed_run_resumes_without_lost_or_duplicated_rows(tmp_path, dying_agent, monkeypatch):
    """SIGKILL the whole run (driver and workers) once a task is written; the rerun finishes it."""
    bench.run_benchmark(config(tmp_path / "serial", dying_agent, tasks=6), progress=False)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "agents", "bench", "--agent", dying_agent, "--task", "push", "--orientations",
               "0deg,90deg,200deg", "--tasks", "6", "--max-steps", "8", "--videos", "1", "--workers", "2", "--out",
               str(out)]  # fmt: skip
    env = {**os.environ, "MUJOCO_GL": "egl", "EQENVS_TEST_SLOW": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / "rows.jsonl").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = rows_of(out)
    assert 0 < len(written) < 18 and len(written) % 3 == 0  # whole tasks only
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary file left behind
    del env["EQENVS_TEST_SLOW"]
    assert subprocess.run(command, cwd=ROOT, env=env, capture_output=True).returncode == 0
    assert rows_of(out) == rows_of(tmp_path / "serial") and videos_of(out) == videos_of(tmp_path / "serial")


def test_ray_local_with_a_dead_worker(tmp_path, dying_agent, monkeypatch):
    bench.run_benchmark(config(tmp_path / "serial", dying_agent, videos=0), progress=False)
    out = tmp_path / "ray"
    monkeypatch.setenv("EQENVS_TEST_DIE", str(tmp_path / "died"))
    bench.run_benchmark(config(out, dying_agent, videos=0, workers=2, ray="local"), progress=False)
    assert (tmp_path / "died").exists()  # a Ray worker died; Ray reran its task
    assert rows_of(out) == rows_of(tmp_path / "serial")


def test_ray_on_a_two_node_cluster(tmp_path, serial):
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        bench.run_benchmark(config(tmp_path / "ray", ray=cluster.address), progress=False)
    finally:
        cluster.shutdown()
    assert rows_of(tmp_path / "ray") == rows_of(serial) and videos_of(tmp_path / "ray") == videos_of(serial)


def test_bad_worker_settings_are_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    with pytest.raises(ValueError, match="workers: must be a positive integer"):
        config(tmp_path / "x", workers=0)
    with pytest.raises(ValueError, match="ray: expected 'local', 'auto', host:port"):
        config(tmp_path / "x", ray="nowhere")
    with pytest.raises(ValueError, match=r"ray: no Ray cluster answers at 127\.0\.0\.1:9"):
        bench.run_benchmark(config(tmp_path / "x", ray="127.0.0.1:9"), progress=False)
    with pytest.raises(ValueError, match="a Python agent object runs in this process only"):
        bench.run_benchmark(config(tmp_path / "x", "random", workers=2), agent=lambda obs: obs[:2] * 0)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ValueError, match=r'Ray is not installed; pip install "eqenvs\[ray\]"'):
        bench.run_benchmark(config(tmp_path / "x", ray="local"), progress=False)
    assert eqbench(["--workers", "2", "--ray", "--out", str(tmp_path / "x")]) == 2  # a bare --ray: local Ray
    assert "Ray is not installed" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_serial_path_never_imports_ray(tmp_path):
    code = ("import sys; from agents import benchmark as b; "
            f"b.run_benchmark(b.BenchConfig(agent='scripted', task='push', tasks=1, max_steps=2, videos=0, "
            f"out={str(tmp_path)!r}), "
            "progress=False); print('ray' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def _square(x):
    return x * x


def _boom(x):
    raise ValueError(f"job {x} failed")


def test_run_jobs_calls_back_once_per_job_and_passes_errors_on(tmp_path):
    for workers in (1, 2):
        seen = {}
        run_jobs(_square, [(i,) for i in range(5)], seen.__setitem__, workers=workers)
        assert seen == {i: i * i for i in range(5)}
    with pytest.raises(ValueError, match="job 0 failed"):
        run_jobs(_boom, [(0,)], lambda i, r: None, workers=2)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.bin").write_bytes(b"\x00\x01")
    files = files_of(tmp_path / "a")
    assert files == {"b/c.bin": b"\x00\x01"}
    write_files(tmp_path / "copy", files)
    assert (tmp_path / "copy" / "b" / "c.bin").read_bytes() == b"\x00\x01"


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_report_on_workers_gives_the_serial_figures_and_files(tmp_path, monkeypatch):
    from agents import report
    from agents.checkpoints import load_checkpoint

    tiny = {"episodes": 6, "epochs": 1, "seeds": 1, "stress": True}
    monkeypatch.setitem(report.PRESETS, "quick", tiny)
    serial = report.run_report(report.ReportConfig(out=str(tmp_path / "s")), log=lambda line: None, progress=False)
    parallel = report.run_report(report.ReportConfig(out=str(tmp_path / "w"), workers=2), log=lambda line: None,
                                 progress=False)  # fmt: skip
    assert _without_timings(parallel["runs"]) == _without_timings(serial["runs"])
    assert _without_timings(parallel["summary"]) == _without_timings(serial["summary"])
    names = sorted(p.relative_to(tmp_path / "s").as_posix() for p in (tmp_path / "s").rglob("*.pt"))
    assert len(names) == 4 + len(report.STRESS)  # every model, and each stress variant in its own file
    for name in names:  # the same weights and metadata, written by this process
        (model_s, meta_s), (model_w, meta_w) = (load_checkpoint(tmp_path / d / name) for d in "sw")
        assert _without_timings(meta_w) == _without_timings(meta_s)
        state_s, state_w = model_s.state_dict(), model_w.state_dict()
        assert all(torch.equal(state_w[k], state_s[k]) for k in state_s) and state_w.keys() == state_s.keys()


def test_sb3_seeds_on_workers_give_the_serial_models(tmp_path):
    from stable_baselines3 import PPO

    from agents.config import SB3Config
    from agents.rl.train import train_seeds

    common = {"steps": 128, "n_envs": 2, "eval_freq": 64, "eval_episodes": 1, "max_episode_steps": 16,
              "progress": False, "hyperparams": None}  # fmt: skip
    serial = SB3Config(out=tmp_path / "s" / "ppo.zip", seeds=(0, 1), **common)
    parallel = SB3Config(out=tmp_path / "w" / "ppo.zip", seeds=(0, 1), workers=2, **common)
    assert [p.name for p in serial.outputs] == ["ppo_s0.zip", "ppo_s1.zip"]
    lines = []
    train_seeds(serial, log=lines.append)
    train_seeds(parallel, log=lines.append)
    assert len(lines) == 4 and sum("seed 1" in line for line in lines) == 2
    params = {}
    for folder in "sw":
        for seed in (0, 1):
            path = tmp_path / folder / f"ppo_s{seed}.zip"
            assert (tmp_path / folder / f"ppo_s{seed}.logs" / "progress.csv").is_file()
            meta = json.loads(path.with_name(path.name + ".json").read_text())
            assert meta["seed"] == seed and meta["logs"] == f"ppo_s{seed}.logs"
            params[folder, seed] = PPO.load(path, device="cpu").policy.state_dict()
    for seed in (0, 1):
        s, w = params["s", seed], params["w", seed]
        assert all(torch.equal(s[k], w[k]) for k in s)
    assert not all(torch.equal(params["s", 0][k], params["s", 1][k]) for k in params["s", 0])  # seeds differ
    with pytest.raises(ValueError, match=r"seeds: .* repeats a seed"):
        SB3Config(out=tmp_path / "x.zip", seeds=(1, 1))


def test_a_sweep_runs_agents_x_seeds_and_compares_over_seeds(tmp_path):
    from agents.benchmark.sweep import run_sweep
    from agents.config import SweepConfig

    sweep = SweepConfig(agents=("scripted", "random"), labels=("scripted", "random actions"), seeds=(0, 1),
                        task="push", orientations="0deg,90deg", tasks=2, max_steps=5, out=str(tmp_path / "sweep"),
                        workers=2, reps=100)  # fmt: skip
    table = run_sweep(sweep, progress=False)
    lines = {line.split("  ")[0].strip(): line.split() for line in table.splitlines()[2:4]}
    assert set(lines) == {"scripted", "random actions"} and lines["scripted"][4] == "2"  # two seeds, one line
    assert (tmp_path / "sweep" / "compare.txt").read_text() == table + "\n"
    assert (tmp_path / "sweep" / "page" / "index.html").is_file()  # and the results page of every run
    for config in sweep.runs():  # every run as eqbench would run it alone
        serial = bench.run_benchmark(config.__class__(**{**vars(config), "workers": 1, "out": str(tmp_path / "x")}),
                                     progress=False)  # fmt: skip
        assert rows_of(config.out) == rows_of(tmp_path / "x")
        assert serial["label"] == config.label
        (tmp_path / "x" / "rows.jsonl").unlink()
    assert [c.seed for c in sweep.runs()] == [0, 1, 0, 1]  # no {seed} in the spec: the seed is the benchmark's
    spec = SweepConfig(agents=("sb3:ppo:m_s{seed}.zip",), seeds=(3,), out=str(tmp_path / "s")).runs()[0]
    assert spec.agent == "sb3:ppo:m_s3.zip" and spec.seed == 0 and spec.out.endswith("sb3_ppo_m_s.zip_s3")
    with pytest.raises(ValueError, match="labels: 1 labels for 2 agents"):
        SweepConfig(agents=("scripted", "random"), labels=("a",))
    with pytest.raises(ValueError, match="labels: two agents share a label"):
        SweepConfig(agents=("scripted", "random"), labels=("a", "a")).runs()


def test_scale_speed_measures_and_projects(tmp_path, capsys):
    from agents.config import ScaleSpeedConfig
    from agents.probes.scale_speed import run

    config = ScaleSpeedConfig(orientations="0deg,90deg", tasks=2, max_steps=3, ray=False, noop_jobs=4,
                              study=(2, 2, 4, 8), nodes=(1, 4), out=str(tmp_path))  # fmt: skip
    result = run(config)
    assert all(entry["rows_identical"] for entry in result["runs"].values()) and len(result["runs"]) == 2
    walls = result["projection"]["wall_seconds"]
    assert result["projection"]["study"]["shards"] == 2 * 2 * 8 and walls[1] > walls[4] > 0
    assert "projected sweep: 2 agents x 2 seeds x 4 orientations x 8 tasks = 32 shards" in capsys.readouterr().out
    assert json.loads((tmp_path / "scale.json").read_text())["projection"]["cores_per_node"] >= 1
