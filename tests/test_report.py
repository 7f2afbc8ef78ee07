"""Open-loop evaluation, the report and the command line, on tiny budgets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from agents import report as report_module
from agents.__main__ import main
from agents.data import collect
from agents.evaluate import HORIZONS, bins_of, evaluate_model
from agents.world_models import build_model


@pytest.fixture(scope="module")
def data2d():
    return collect("EqPushT-v0", episodes=6, max_steps=20, seed=1)


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


def test_3d_bins_are_the_ladder_rungs():
    data = collect("EqPushT3D-v0", episodes=3, max_steps=10, seed=0)
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
    assert (tmp_path / "report.txt").read_text().startswith("World models on EqPushT-v0")
    assert json.loads((tmp_path / "report.json").read_text())["env"] == "EqPushT-v0"
    assert (tmp_path / "relmse.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "seed0" / "vn_latent.pt").is_file() and (tmp_path / "seed0" / "data.npz").is_file()


def test_command_line_pipeline_and_bad_files(tmp_path, capsys):
    data, ckpt, out = tmp_path / "d.npz", tmp_path / "m.pt", tmp_path / "e.json"
    assert main(["collect", "--episodes", "4", "--max-steps", "12", "--out", str(data)]) == 0
    assert main(["train", "--data", str(data), "--model", "vn_explicit", "--epochs", "1", "--out", str(ckpt)]) == 0
    assert main(["evaluate", "--data", str(data), "--checkpoint", str(ckpt), "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())[0]
    assert metrics["model"] == "vn_explicit" and np.isfinite(metrics["seen_relmse"])
    capsys.readouterr()
    (tmp_path / "junk.npz").write_bytes(b"junk")
    (tmp_path / "junk.json").write_text("{}")
    assert main(["evaluate", "--data", str(tmp_path / "junk.npz"), "--checkpoint", str(ckpt)]) == 2
    assert "error: path:" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--model", "nope", "--out", str(ckpt)]) == 2
