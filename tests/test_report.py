"""Open-loop evaluation, the report and the command line, on tiny budgets."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from agents import report as report_module
from agents.cli import main
from agents.data import collect
from agents.evaluate import HORIZONS, bins_of, evaluate_model
from agents.world_models import build_model


@pytest.fixture(scope="module")
def data2d():
    return collect("EqPushT-v1", episodes=6, max_steps=20, seed=1)


def untrained(kind, data):
    torch.manual_seed(0)
    return build_model(kind, data.symmetry()).eval()


def test_vn_relmse_is_flat_across_bins_and_the_mlp_is_not(data2d):
    bins = bins_of(data2d, data2d.symmetry())
    assert [b["seen"] for b in bins] == [True] * 3 + [False] * 9
    vn = evaluate_model(untrained("vn_explicit", data2d), data2d, bins=bins)
    mlp = evaluate_model(untrained("mlp_explicit", data2d), data2d, bins=bins)
    assert vn["flatness_max_over_min"] <= 1.0001 and abs(vn["ood_factor"] - 1) < 1e-4
    assert mlp["flatness_max_over_min"] > 1.01
    assert vn["delta_eq"]["float64"] < 1e-12 and vn["delta_eq"]["float32"] < 1e-5
    assert mlp["delta_eq"]["float64"] > 1e-3
    assert set(vn["rollout"]["float64"]) <= {str(h) for h in HORIZONS} and "1" in vn["rollout"]["float64"]
    assert set(vn["per_component_seen"]) == {f.name for f in data2d.symmetry().obs_layout}
    # per field, the error over that field's own change (a field's share of the total is at most that)
    layout = data2d.symmetry().obs_layout
    own = vn["per_field_seen"]
    assert set(own) <= {f.name for f in layout if not f.constant} and "block_pos" in own
    for name, share in vn["per_component_seen"].items():
        if name in own:
            assert share <= own[name] * (1 + 1e-9)  # a share of the total change is at most the field's own


def test_3d_bins_are_the_ladder_rungs():
    data = collect("EqPushT3D-v1", episodes=3, max_steps=10, seed=0)
    bins = bins_of(data, data.symmetry())
    assert [b["name"] for b in bins] == ["seen (slice)", "identity", "C4", "SO2", "SE2", "SO3", "SE3"]
    vn = evaluate_model(untrained("vn_latent", data), data, bins=bins)
    assert vn["flatness_max_over_min"] <= 1.0001
    mlp = evaluate_model(untrained("mlp_latent", data), data, bins=bins)
    assert mlp["flatness_max_over_min"] > 1.01


def test_report_smoke(tmp_path, monkeypatch):
    monkeypatch.setitem(report_module.PRESETS, "quick", {"episodes": 6, "epochs": 1, "seeds": 1, "stress": False})
    lines = []
    result = report_module.run_report(report_module.ReportConfig(out=str(tmp_path)), log=lines.append)
    assert set(result["summary"]) == set(report_module.MODELS)
    assert result["targets"]["VN flat across bins (max/min <= 1.0001)"]["met"]
    assert (tmp_path / "report.txt").read_text().startswith("World models on EqPushT-v1")
    assert json.loads((tmp_path / "report.json").read_text())["env"] == "EqPushT-v1"
    assert (tmp_path / "relmse.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "seed0" / "vn_latent.pt").is_file() and (tmp_path / "seed0" / "data.npz").is_file()
    # every version of the 2D env gets the 2D targets (v0 once got the 3D ladder's)
    v0 = report_module._targets(report_module.ReportConfig(env="EqPushT-v0", out=str(tmp_path)), result["runs"])
    assert set(v0) == set(result["targets"]) - {"quick preset <= 60 s"} and len(v0) > 5


def test_command_line_pipeline_and_bad_files(tmp_path, capsys):
    data, ckpt, out = tmp_path / "d.npz", tmp_path / "m.pt", tmp_path / "e.json"
    assert main(["collect", "--episodes", "4", "--max-steps", "12", "--out", str(data)]) == 0
    assert main(["train", "--data", str(data), "--model", "vn_explicit", "--epochs", "1", "--out", str(ckpt)]) == 0
    assert main(["evaluate", "--data", str(data), "--checkpoints", str(ckpt), "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())[0]
    assert metrics["model"] == "vn_explicit" and np.isfinite(metrics["seen_relmse"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "d.npz.json", "e.json", "m.pt", "m.pt.json"]
    capsys.readouterr()
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert main(["evaluate", "--data", str(tmp_path / "junk.npz"), "--checkpoints", str(ckpt)]) == 2
    assert "error: data:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fault"),
    [
        (["train", "--data", "d.npz", "--out", "m.pth"], "out: expected a .pt file"),  # before training, not after
        (["train", "--data", "missing.npz", "--out", "m.pt"], "data: 'missing.npz' does not exist"),
        (["train", "--data", "d.npz", "--out", "m.pt", "--model", "nope"], "invalid choice"),
        (["collect", "--out", "d.txt"], "out: expected a .npz file"),
        (["collect", "--out", "afile/d.npz"], "'afile' is a file, not a folder"),
        (["collect", "--out", "x.npz", "--split", "train"], "split"),
        (["collect", "--out", "x.npz", "--threads", "0"], "threads: must be a positive integer"),
        (["bench", "--env-kwargs", "[1,2]"], "expected a JSON object"),
        (["bench", "--batched", "false"], "Unrecognized"),  # a flag: --batched / --no-batched
    ],
)
def test_bad_command_lines_fail_before_any_work(tmp_path, monkeypatch, capsys, argv, fault):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "d.npz").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    text = " ".join(capsys.readouterr().err.replace("│", " ").split())
    assert fault in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "d.npz"]  # nothing written


def test_help_is_fast_and_shows_every_default():
    """Issue: `python -m agents --help` took 4 s (it imported torch); collect/sb3/evaluate showed no defaults."""
    code = "import sys, agents.__main__; print(sorted(m for m in ('torch', 'gym_pusht', 'mujoco') if m in sys.modules))"
    modules = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert modules.strip() == "[]"
    for command in ("collect", "train", "sb3", "evaluate", "bench", "compare", "plan-speed", "showcase", "story"):
        text = subprocess.run([sys.executable, "-m", "agents", command, "--help"], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "200"}, check=True).stdout  # fmt: skip
        flags = [line for line in text.splitlines() if line.strip("│ ").startswith("--")]
        assert flags, command
        documented = [line for line in text.splitlines() if "(default:" in line or "(required)" in line]
        assert len(documented) >= len(flags) - 1, (command, text)  # --help itself has no default
        assert not any(line.count("(default:") > 1 for line in text.splitlines())  # stated once
