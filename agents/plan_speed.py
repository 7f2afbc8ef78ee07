"""Planning speed: one MPPI plan with the 2D VN latent model against torch's matmul at the same shapes, and
batched against one-by-one evaluation of orientations.

    python -m agents plan-speed            # about a minute (torch.compile takes ~40 s once)

* ms per plan (300 samples x horizon 20 x 6 iterations), eager and with ``torch.compile`` of the rollout;
* the matmul floor: every matrix product of one plan (shapes recorded by the profiler) replayed with
  ``torch.mm`` alone; FLOP-rate ratio = floor time / plan time (the same FLOPs), target >= 0.5;
* batched evaluation: one benchmark task at several orientations, planned in one batch vs one by one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch

import eqenvs  # noqa: F401  (registers the env ids)
from agents.planning import MPCPlanner, PlannerConfig, default_cost
from agents.world_models import build_model

__all__ = ["main", "measure"]


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _matmul_shapes(planner: MPCPlanner, obs: np.ndarray) -> list[tuple[int, int, int]]:
    """(M, K, N) of every matrix product in one plan, from the profiler's recorded input shapes."""
    from torch.profiler import ProfilerActivity, profile

    planner.reset(0)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        planner.plan(obs)
    shapes = []
    for event in prof.events():
        if event.name in ("aten::mm", "aten::addmm"):
            a, b = event.input_shapes[-2:]  # addmm: (bias, A, B)
            if len(a) == 2 and len(b) == 2:
                shapes.append((a[0], a[1], b[1]))
    return shapes


def measure(repeats: int = 10, compile_model: bool = True, orientations: int = 6, seed: int = 0) -> dict[str, Any]:
    env = gym.make("EqPushT-v0", task="push")
    symmetry = env.unwrapped.symmetry
    torch.manual_seed(seed)
    model = build_model("vn_latent", symmetry).eval()
    obs = env.reset(seed=seed)[0][None]
    planner = MPCPlanner(model, default_cost(symmetry, "push"), PlannerConfig())

    def plan() -> None:
        planner.reset(0)
        planner.plan(obs)

    eager = _median_seconds(plan, repeats)
    shapes = _matmul_shapes(planner, obs)
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    operands = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
    floor = _median_seconds(lambda: [torch.mm(a, b) for a, b in operands], repeats)
    result = {"gflop_per_plan": flops / 1e9, "matmul_floor_ms": 1e3 * floor, "eager_ms": 1e3 * eager,
              "eager_flop_rate_ratio": floor / eager, "matmul_gflops": flops / floor / 1e9}  # fmt: skip
    if compile_model:
        started = time.perf_counter()
        model.rollout = torch.compile(model.rollout, dynamic=False)
        plan()
        result["compile_seconds"] = time.perf_counter() - started
        compiled = _median_seconds(plan, repeats)
        result.update(compiled_ms=1e3 * compiled, compiled_flop_rate_ratio=floor / compiled)
    result.update(_batched_speedup(orientations, seed))
    return result


def _batched_speedup(orientations: int, seed: int) -> dict[str, float]:
    """Wall time of one benchmark task at ``orientations`` orientations: batched vs one by one."""
    import tempfile
    from pathlib import Path

    from agents.benchmark import BenchConfig, run_benchmark
    from agents.data import collect
    from agents.train import TrainConfig, save_checkpoint, train

    with tempfile.TemporaryDirectory() as folder:
        data = collect("EqPushT-v0", episodes=4, max_steps=10, seed=seed)
        model, _ = train(data, TrainConfig(model="vn_explicit", epochs=1))
        checkpoint = save_checkpoint(model, Path(folder) / "m.pt", data.env_id, data.meta["env_kwargs"])
        angles = ",".join(f"{360 * k / orientations:g}" for k in range(orientations))
        times = {}
        for batched in (True, False):
            config = BenchConfig(agent=f"planner:{checkpoint}", orientations=angles, tasks=1, max_steps=15,
                                 videos=0, out=str(Path(folder) / str(batched)), batched=batched)  # fmt: skip
            started = time.perf_counter()
            run_benchmark(config, progress=False)
            times[batched] = time.perf_counter() - started
    return {"orientations": orientations, "batched_seconds": times[True], "one_by_one_seconds": times[False],
            "batched_speedup": times[False] / times[True]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents plan-speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile measurement")
    parser.add_argument("--orientations", type=int, default=6)
    args = parser.parse_args(argv)
    r = measure(args.repeats, not args.no_compile, args.orientations)
    print(f"one MPPI plan, 300 samples x 20 steps x 6 iterations, 2D VN latent model: {r['gflop_per_plan']:.2f} GFLOP")
    print(f"  matmul floor (the same products, torch.mm alone): {r['matmul_floor_ms']:7.1f} ms "
          f"({r['matmul_gflops']:.0f} GFLOP/s)")  # fmt: skip
    ratio = r["eager_flop_rate_ratio"]
    print(f"  eager:    {r['eager_ms']:7.1f} ms per plan  FLOP-rate ratio {ratio:.2f}  (target >= 0.5)")
    if "compiled_ms" in r:
        print(f"  compiled: {r['compiled_ms']:7.1f} ms per plan  FLOP-rate ratio {r['compiled_flop_rate_ratio']:.2f}"
              f"  (torch.compile took {r['compile_seconds']:.0f} s once)")  # fmt: skip
    print(f"batched evaluation of {r['orientations']} orientations: {r['batched_seconds']:.1f} s vs one by one "
          f"{r['one_by_one_seconds']:.1f} s: speed-up x{r['batched_speedup']:.2f}  (aim >= 1.5)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
