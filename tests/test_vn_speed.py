"""The VN speed probes on a tiny budget (they measure speed; these tests check what they report, not how fast),
and the bit-identity probe's comparison."""

from __future__ import annotations

import pytest
import torch

from agents.config import BitIdentityConfig, VNSpeedConfig
from agents.probes import bit_identity, vn_speed


def test_vn_speed_reports_every_figure_on_a_tiny_budget(tmp_path):
    config = VNSpeedConfig(repeats=1, inner=1, batch=8, compile=False, ppo_steps=64, ppo_repeats=1, progress=False,
                           json=tmp_path / "vn.json")  # fmt: skip
    result = vn_speed.run(config)
    sizes = result["networks"]["sizes"]
    # the MLP twins match the VN network's FLOPs (within one width step) and its parameter count
    assert sizes["mlp_equal_flops"]["flops_per_sample"] >= sizes["vn"]["flops_per_sample"]
    assert sizes["mlp_equal_flops"]["flops_per_sample"] < 1.1 * sizes["vn"]["flops_per_sample"]
    assert sizes["vn"]["parameters"] <= sizes["mlp_equal_params"]["parameters"] < 1.05 * sizes["vn"]["parameters"]
    assert set(result["networks"]["gradient_step_s"]) == {"vn", "mlp_equal_flops", "mlp_equal_params"}
    planner = result["planner"]
    assert 1.0 < planner["gflop_per_plan"] < 2.5  # 300 x 20 x 6 predictions of the VN latent model: 1.63 GFLOP
    assert 0.02 < planner["flop_rate_ratio"]["eager"] <= 1.5 and "compiled" not in planner["flop_rate_ratio"]
    assert set(result["ppo"]["steps_per_second"]) == {"vn", "mlp"}
    assert all(v > 0 for v in result["ppo"]["steps_per_second"].values())
    text = vn_speed.format_result(result)
    assert "AMD" in text or "Intel" in text or "machine:" in text
    assert "load average" in text and "target >= 0.6" in text and "FLOP-rate ratio" in text
    assert (tmp_path / "vn.json").is_file()


def test_interleaved_times_every_call():
    calls = {"a": lambda: sum(range(100)), "b": lambda: sum(range(1000))}
    seconds = vn_speed.interleaved(calls, repeats=3, inner=2)
    assert set(seconds) == {"a", "b"} and all(s > 0 for s in seconds.values())


def test_bit_identity_compare_has_teeth():
    a = {"x": torch.tensor([1.0, 2.0]), "z": torch.tensor([0.0]), "only_new": torch.zeros(1)}
    b = {"x": torch.tensor([1.0, 2.0 + 1e-6]), "z": torch.tensor([-0.0]), "only_old": torch.zeros(1)}
    rows = {r["output"]: r for r in bit_identity.compare(a, b)}
    assert not rows["x"]["equal"] and 0 < rows["x"]["max_relative"] < 1e-6
    assert rows["z"]["equal"] and not rows["z"]["bitwise"]  # -0.0 == +0.0, but not the same bits
    assert not rows["only_new"]["equal"] and not rows["only_old"]["equal"]


def test_bit_identity_config_refuses_a_flag_as_ref():
    with pytest.raises(ValueError, match="ref"):
        BitIdentityConfig(ref="--steps")
    with pytest.raises(ValueError, match="steps"):
        BitIdentityConfig(steps=0)
