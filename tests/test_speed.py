"""The 2D env speed probe (eqenvs.speed) runs on a tiny budget and reports its figures (its numbers are not asserted
as timings)."""

from __future__ import annotations

import json

from eqenvs import speed


def test_speed_smoke(tmp_path, capsys):
    out = tmp_path / "speed.json"
    assert speed.main(["--steps", "60", "--repeats", "1", "--episodes", "1", "--episode-steps", "20",
                       "--pixel-episodes", "1", "--pixel-steps", "3", "--json", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "time ratio EqPushT/gym_pusht" in printed and "Physics mode vs frame mode" in printed
    report = json.loads(out.read_text())
    assert set(report["throughput"]["steps_per_s"]) >= {"gym_pusht state", "EqPushT state delta"}
    assert all(rate > 0 for rate in report["throughput"]["steps_per_s"].values())
    # pixel observations: quarter turns are np.rot90 of the identity's exactly; every angle near the ideal image
    pixels = report["pixels"]
    assert [pixels[f"{d} deg"]["rot90_max_levels"] for d in (90, 180, 270)] == [0, 0, 0]
    assert pixels["30 deg"]["rot90_max_levels"] is None and "vs rot90" in printed
    assert all(0 < row["mean_levels"] < 10 and row["frames"] == 3 for row in pixels.values())
    # C4 rotations of the scene stay at float rounding in the interior
    assert report["flatness"]["C4 / interior"]["max_px@10"] < 1e-9
