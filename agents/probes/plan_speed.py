"""Planning speed: one MPPI plan with the 2D VN latent model against torch's matmul at the same shapes, and
batched against one-by-one evaluation of orientations.

    python -m agents plan-speed            # about 2 minutes (torch.compile takes ~10-80 s once)

* ms per plan (300 samples x horizon 20 x 6 iterations) with 1 and 2 torch threads, on an idle machine and
  beside one CPU-bound process (a busy machine: torch's thread pool collapses there);
* eager and with ``torch.compile`` of the rollout and cost (``MPCPlanner.compile``), one thread;
* the matmul floor: every matrix product of one plan (shapes recorded by the profiler) replayed with
  ``torch.mm`` alone; FLOP-rate ratio = floor time / plan time (the same FLOPs), target >= 0.5;
* batched evaluation: one benchmark task at several orientations, planned in one batch vs one by one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import PlanSpeedConfig
from agents.planning import MPCPlanner, PlannerConfig, default_cost
from agents.probes.timing import cpu_description, median_ms
from agents.world_models import build_model

__all__ = ["matmul_floor", "matmul_shapes", "measure"]


def matmul_shapes(planner: MPCPlanner, obs: np.ndarray) -> list[tuple[int, int, int]]:
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


def matmul_floor(shapes: list[tuple[int, int, int]], repeats: int) -> tuple[float, float]:
    """(FLOPs, seconds) of the matrix products ``shapes`` replayed with ``torch.mm`` alone (random operands, one
    call each per repeat; the median): the floor a plan with those products cannot beat."""
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    operands = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
    return flops, 1e-3 * median_ms(lambda: [torch.mm(a, b) for a, b in operands], repeats)


@contextmanager
def _busy_core() -> Iterator[None]:
    """One CPU-bound process running beside the measurement (what a busy machine looks like to torch)."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # let it start spinning
        yield
    finally:
        process.kill()
        process.wait()


def measure(repeats: int = 10, compile_model: bool = True, orientations: int = 6, seed: int = 0,
            thread_counts: tuple[int, ...] = (1, 2), busy: bool = True, progress: bool = False,
            batches: tuple[int, ...] = (1,)) -> dict[str, Any]:  # fmt: skip
    """Every figure of the module docstring; the thread count is restored afterwards. ``batches``: the
    observations planned for at once in the thread measurements (eqbench plans 18 at once: 17 orientations
    and the identity)."""
    stages = len(thread_counts) * len(batches) * (2 if busy else 1) + 2 + int(compile_model) + 1
    bar = tqdm(total=stages, desc="plan-speed", unit="figure", disable=not progress)
    threads_before = torch.get_num_threads()
    env = gym.make("EqPushT-v1", task="push")
    symmetry = env.unwrapped.symmetry
    torch.manual_seed(seed)
    model = build_model("vn_latent", symmetry).eval()
    obs = env.reset(seed=seed)[0][None]
    planner = MPCPlanner(model, default_cost(symmetry, "push"), PlannerConfig())

    def plan(batch: np.ndarray = obs) -> None:
        planner.reset(0)
        planner.plan(batch)

    result: dict[str, Any] = {"threads": {}}
    try:
        for n in thread_counts:
            torch.set_num_threads(n)
            for b in batches:
                observations = np.repeat(obs, b, axis=0)
                times = max(2, repeats // b)
                bar.set_postfix_str(f"{n} thread(s), batch {b}, idle")
                entry = {"idle_ms": median_ms(lambda o=observations: plan(o), times)}
                bar.update()
                if busy:
                    bar.set_postfix_str(f"{n} thread(s), batch {b}, beside a busy process")
                    with _busy_core():
                        entry["busy_ms"] = median_ms(lambda o=observations: plan(o), times)
                    bar.update()
                result["threads"].setdefault(str(n), {})[str(b)] = entry
        torch.set_num_threads(1)
        bar.set_postfix_str("eager plan and its matmul floor")
        eager = 1e-3 * median_ms(plan, repeats)
        bar.update()
        flops, floor = matmul_floor(matmul_shapes(planner, obs), repeats)
        bar.update()
        result.update(gflop_per_plan=flops / 1e9, matmul_floor_ms=1e3 * floor, eager_ms=1e3 * eager,
                      eager_flop_rate_ratio=floor / eager, matmul_gflops=flops / floor / 1e9)  # fmt: skip
        if compile_model:
            bar.set_postfix_str("torch.compile (~10-80 s once)")
            started = time.perf_counter()
            planner.compile()
            plan()
            result["compile_seconds"] = time.perf_counter() - started
            compiled = 1e-3 * median_ms(plan, repeats)
            result.update(compiled_ms=1e3 * compiled, compiled_flop_rate_ratio=floor / compiled)
            bar.update()
        bar.set_postfix_str("batched vs one-by-one evaluation")
        result.update(_batched_speedup(orientations, seed))
        bar.update()
    finally:
        torch.set_num_threads(threads_before)
        bar.close()
    return result


def _batched_speedup(orientations: int, seed: int) -> dict[str, float]:
    """Wall time of one benchmark task at ``orientations`` orientations: batched vs one by one."""
    import tempfile
    from pathlib import Path

    from agents.benchmark import BenchConfig, run_benchmark
    from agents.checkpoints import save_checkpoint
    from agents.data import collect
    from agents.train import TrainConfig, train

    with tempfile.TemporaryDirectory() as folder:
        data = collect("EqPushT-v1", episodes=4, max_steps=10, seed=seed)
        model, _ = train(data, TrainConfig(model="vn_explicit", epochs=1))
        checkpoint = save_checkpoint(model, Path(folder) / "m.pt", data.env_id, data.meta["env_kwargs"])
        angles = ",".join(f"{360 * k / orientations:g}deg" for k in range(orientations))
        times = {}
        for batched in (True, False):
            config = BenchConfig(agent=f"planner:{checkpoint}", task="push", orientations=angles, tasks=1,
                                 max_steps=15, videos=0, out=str(Path(folder) / str(batched)),
                                 batched=batched)  # fmt: skip
            started = time.perf_counter()
            run_benchmark(config, progress=False)
            times[batched] = time.perf_counter() - started
    return {"orientations": orientations, "batched_seconds": times[True], "one_by_one_seconds": times[False],
            "batched_speedup": times[False] / times[True]}  # fmt: skip


def run(config: PlanSpeedConfig) -> dict[str, Any]:
    """Measure and print (``python -m agents plan-speed``)."""
    r = measure(config.repeats, config.compile, config.orientations, thread_counts=config.thread_counts,
                busy=config.busy, progress=True, batches=config.batches)  # fmt: skip

    cpu = cpu_description()
    print(f"machine: {cpu['model']}, {os.cpu_count()} cores (bf16 units: {', '.join(cpu['bf16_flags']) or 'none'}); "
          f"torch {torch.__version__}")  # fmt: skip
    print("one MPPI plan, 300 samples x 20 steps x 6 iterations, 2D VN latent model:")
    for n, per_batch in r["threads"].items():
        for b, entry in per_batch.items():
            busy = f"   beside a busy process {entry['busy_ms']:8.1f} ms" if "busy_ms" in entry else ""
            print(f"  {n} torch thread(s), {b:>2s} observation(s) at once: idle {entry['idle_ms']:8.1f} ms{busy}")
    print(f"  {r['gflop_per_plan']:.2f} GFLOP; matmul floor (the same products, torch.mm alone, 1 thread): "
          f"{r['matmul_floor_ms']:7.1f} ms ({r['matmul_gflops']:.0f} GFLOP/s)")  # fmt: skip
    print(f"  eager, 1 thread:    {r['eager_ms']:7.1f} ms per plan  FLOP-rate ratio {r['eager_flop_rate_ratio']:.2f}"
          "  (target >= 0.5)")  # fmt: skip
    if "compiled_ms" in r:
        ratio, seconds = r["compiled_flop_rate_ratio"], r["compile_seconds"]
        print(f"  compiled, 1 thread: {r['compiled_ms']:7.1f} ms per plan  FLOP-rate ratio {ratio:.2f}  "
              f"(torch.compile took {seconds:.0f} s once)")  # fmt: skip
    print(f"batched evaluation of {r['orientations']} orientations: {r['batched_seconds']:.1f} s vs one by one "
          f"{r['one_by_one_seconds']:.1f} s: speed-up x{r['batched_speedup']:.2f}  (aim >= 1.5)")  # fmt: skip
    return r
