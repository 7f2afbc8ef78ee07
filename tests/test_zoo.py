"""rl-baselines3-zoo reads our hyperparameter files: ``python -m rl_zoo3.train ... -conf agents/hyperparams/<algo>.yml``
trains PPO and SAC (MLP policy) with the hyperparameters ``python -m agents sb3`` uses, and ``python -m agents
curves`` reads the zoo run's evaluations (or says in one line what is missing)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stable_baselines3 import PPO, SAC

from agents.cli import main
from agents.config import CurvesConfig
from agents.rl.curves import format_curves, learning_curves
from agents.rl.train import ZOO_KEYS, load_hyperparams

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("algo", "steps"), [("ppo", 2048), ("sac", 1500)])
def test_rl_zoo3_trains_from_our_hyperparameter_file(tmp_path, algo, steps):
    conf = ROOT / "agents" / "hyperparams" / f"{algo}.yml"
    # the zoo gives a file's env_kwargs to its training envs only: its evaluation env takes them from here
    command = [sys.executable, "-m", "rl_zoo3.train", "--algo", algo, "--env", "EqPushT-v1", "--gym-packages", "eqenvs",
               "-conf", str(conf), "-n", str(steps), "-f", str(tmp_path), "--seed", "0", "--device", "cpu",
               "--num-threads", "1", "--eval-freq", str(steps // 2), "--eval-episodes", "2",
               "--eval-env-kwargs", "task:'push'", "max_episode_steps:100"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    run = tmp_path / algo / "EqPushT-v1_1"
    model = (PPO if algo == "ppo" else SAC).load(run / "EqPushT-v1.zip", device="cpu")
    assert model.num_timesteps == steps
    # every hyperparameter of the file reached SB3, as it does in `python -m agents sb3`
    hyper = load_hyperparams(algo, "EqPushT-v1")
    for key, value in hyper.items():
        if key not in (*ZOO_KEYS, "vn_policy_kwargs"):
            got = getattr(model, key)
            got = got(1.0) if callable(got) else got.frequency if key == "train_freq" else got  # schedules, TrainFreq
            assert got == value, key
    assert all(model.policy_kwargs[k] == v for k, v in hyper["policy_kwargs"].items())  # SAC adds use_sde
    assert model.n_envs == hyper["n_envs"] and model.policy_kwargs["net_arch"] in ([64, 64], [128, 128])
    # the training envs were the file's: task push, 100-step episodes (the registered limit is 300)
    lengths = [int(row["l"]) for f in run.glob("*.monitor.csv") for row in csv.DictReader(f.open().readlines()[1:])]
    assert lengths and max(lengths) <= 100 and len(list(run.glob("*.monitor.csv"))) == hyper["n_envs"]
    # `python -m agents curves` reads the zoo's evaluations.npz beside the model
    curves = learning_curves(run / "EqPushT-v1.zip")
    assert curves["steps"] == [steps // 2, steps] and curves["label"] == f"{algo} EqPushT-v1_1 (npz)"
    assert all(0.0 <= s <= 1.0 for s in curves["slice"]) and curves["heldout"] == [None, None]
    assert format_curves([curves], 0.9).splitlines()[2].split()[:4] == [algo, "EqPushT-v1_1", "(npz)", "?"]


def test_curves_says_in_one_line_what_a_model_lacks(tmp_path, capsys):
    model = tmp_path / "run" / "model.zip"
    model.parent.mkdir()
    model.write_bytes(b"not read")
    with pytest.raises(ValueError, match=r"^models: .*model.zip' has no learning-curve logs: neither .*progress.csv"):
        CurvesConfig(models=(model,))
    np.savez(model.parent / "evaluations.npz", timesteps=np.array([10, 20]), results=np.zeros((2, 1)))
    CurvesConfig(models=(model,))  # an EvalCallback's log is enough to start ...
    assert main(["curves", str(model)]) == 2  # ... but without successes there is no curve
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: models: ") and "records no success" in err[0]
    (model.parent / "evaluations.npz").write_bytes(b"PK\x03\x04 truncated")
    assert main(["curves", str(model)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an EvalCallback's evaluations.npz" in err[0]
