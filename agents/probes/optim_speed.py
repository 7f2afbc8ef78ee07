"""Optimiser speed and quality: Muon's orthogonalisation in bfloat16 vs float32, natively and on an emulated
AVX2-only CPU, seconds per training epoch, and what each optimiser buys in model quality.

    python -m agents optim-speed                 # 2.5 minutes on 2 cores: speed ~35 s, quality table 1 seed
    python -m agents optim-speed --seeds 3       # the quality table over 3 seeds: 6.5 minutes
    python -m agents optim-speed --no-quality    # speed only: ~35 s, most of it the emulated subprocess

Optimisers: ``torch_muon`` (``torch.optim.Muon``: bfloat16 Newton-Schulz), ``muon`` (``agents.optim.Muon``:
float32 Newton-Schulz), ``adamw``; the Muon variants take the 2-D weights, AdamW the rest.

* ms per orthogonalisation (5 Newton-Schulz steps) at every 2-D weight shape of the four 2D world models,
  bfloat16 vs float32, and ms per optimiser step (all of a model's matrices; ``agents.optim.Muon`` batches
  matrices of one shape), natively and in a subprocess with ``ATEN_CPU_CAPABILITY=avx2`` and
  ``ONEDNN_MAX_CPU_ISA=AVX2`` set before torch is imported. The cap takes bf16 matrix products off the
  CPU's bf16 units (oneDNN) onto the slow path an AVX2-only CPU takes; float32 products go through MKL,
  which the cap does not change (adding ``MKL_ENABLE_INSTRUCTIONS=AVX2`` changed nothing measurable on the
  AMD EPYC this was written on: its float32 products already run at AVX2 speed, ~100 GFLOP/s per core).
  The emulation reproduces which products are slow, not the clock of a particular AVX2 machine.
* seconds per training epoch of each model with each optimiser (the quick preset's data: 200 episodes,
  80% for training, batch 128), natively and emulated;
* the quality table: the quick preset's budget (30 epochs) per seed, seen relMSE and Delta_eq (float32)
  on the held-out episodes (``agents.evaluate.evaluate_model``) and training seconds. ``torch_muon`` is
  left out of it where its bf16 orthogonalisation at 256 x 256 is > 4x slower than float32 natively (it
  would take tens of minutes there: the problem this module measures).

Timings use one torch thread per process (``torch.set_num_threads(1)``) and are meant as ratios between
columns measured in the same run: on a shared machine absolute times move with the load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import numpy as np

from agents.config import OptimSpeedConfig
from agents.probes.timing import cpu_description, median_ms
from eqenvs.files import write_json

__all__ = ["EMULATE_AVX2", "OPTIMIZERS", "measure_epochs", "measure_ns", "measure_quality", "run"]

EMULATE_AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
"""Environment that makes torch behave as on an AVX2-only CPU (read when torch is imported)."""
OPTIMIZERS = ("torch_muon", "muon", "adamw")
MODELS = ("vn_latent", "mlp_latent", "vn_explicit", "mlp_explicit")
ENV_ID = "EqPushT-v1"


def _symmetry():
    import gymnasium as gym

    import eqenvs  # noqa: F401  (registers the env ids)
    from agents.data import ENV_DEFAULTS

    return gym.make(ENV_ID, **ENV_DEFAULTS[ENV_ID]).unwrapped.symmetry


def model_shapes() -> dict[str, Counter]:
    """Per model: the shapes of the 2-D weights Muon trains (the planning readout, trained later, left out)."""
    import torch

    from agents.world_models import build_model

    symmetry, out = _symmetry(), {}
    for kind in MODELS:
        torch.manual_seed(0)
        model = build_model(kind, symmetry)
        out[kind] = Counter(tuple(p.shape) for name, p in model.named_parameters()
                            if p.requires_grad and p.ndim == 2 and not name.startswith("readout."))  # fmt: skip
    return out


def measure_ns(repeats: int = 10) -> dict[str, Any]:
    """ms per orthogonalisation at every shape (bf16, float32) and ms per optimiser step per model."""
    import torch

    from agents.optim import orthogonalise

    shapes = model_shapes()
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(256, 256, generator=generator), torch.randn(256, 256, generator=generator)
    a16, b16 = a.bfloat16(), b.bfloat16()
    matmul = {"bf16": median_ms(lambda: a16 @ b16, repeats), "fp32": median_ms(lambda: a @ b, repeats)}
    per_shape = {}
    for shape in sorted({s for counts in shapes.values() for s in counts}, key=lambda s: -s[0] * s[1]):
        m = torch.randn(*shape, generator=generator)
        per_shape[shape] = {
            # bf16 as torch.optim.Muon computes it (the same operations: tests/test_optim.py checks bit equality)
            "bf16": median_ms(lambda m=m: orthogonalise(m, dtype=torch.bfloat16), repeats),
            "fp32": median_ms(lambda m=m: orthogonalise(m), repeats),
        }
    per_model = {}
    for kind, counts in shapes.items():
        batches = [torch.randn(n, *s, generator=generator) for s, n in counts.items()]
        per_model[kind] = {
            "torch_muon": sum(per_shape[s]["bf16"] * n for s, n in counts.items()),  # one matrix at a time
            "muon": median_ms(lambda b=batches: [orthogonalise(x) for x in b], repeats),  # batched per shape
        }
    return {"cpu": cpu_description(), "matmul_256": matmul,
            "per_shape": [{"shape": list(s), **v} for s, v in per_shape.items()],
            "per_model": per_model,
            "shapes": {k: {"x".join(map(str, s)): n for s, n in c.items()} for k, c in shapes.items()}}  # fmt: skip


def _quick_data(seed: int):
    from agents.data import collect
    from agents.report import PRESETS, TEST_FRACTION

    data = collect(ENV_ID, episodes=PRESETS["quick"]["episodes"], seed=seed)
    return data.split_episodes(TEST_FRACTION, seed)


def measure_epochs(epochs: int = 1, optimizers: tuple[str, ...] = OPTIMIZERS) -> dict[str, dict[str, float]]:
    """Seconds per training epoch, per model and optimiser, on the quick preset's training data (seed 0)."""
    from agents.train import TrainConfig, train

    train_data, _ = _quick_data(0)
    out: dict[str, dict[str, float]] = {}
    for kind in MODELS:
        for name in optimizers:
            config = TrainConfig(model=kind, optimizer=name, epochs=epochs, readout_epochs=0, seed=0)
            started = time.perf_counter()
            train(train_data, config)
            out.setdefault(kind, {})[name] = (time.perf_counter() - started) / epochs
    return out


def measure_quality(seeds: int = 1, optimizers: tuple[str, ...] = OPTIMIZERS, log=None) -> list[dict[str, Any]]:
    """Per seed, model and optimiser: the quick preset's training (30 epochs), then seen relMSE, Delta_eq and
    the 16-step rollout residual on the held-out episodes, and the training seconds."""
    from agents.evaluate import bins_of, evaluate_model
    from agents.report import PRESETS
    from agents.train import TrainConfig, train

    rows = []
    for seed in range(seeds):
        train_data, test_data = _quick_data(seed)
        bins = bins_of(test_data, test_data.symmetry(), seed)
        for kind in MODELS:
            for name in optimizers:
                config = TrainConfig(model=kind, optimizer=name, epochs=PRESETS["quick"]["epochs"], seed=seed)
                started = time.perf_counter()
                model, history = train(train_data, config)
                seconds = time.perf_counter() - started
                result = evaluate_model(model, test_data, seed=seed, bins=bins)
                row = {"seed": seed, "model": kind, "optimizer": name, "train_seconds": seconds,
                       "seen_relmse": result["seen_relmse"], "delta_eq_float32": result["delta_eq"]["float32"],
                       "ood_factor": result["ood_factor"], "final_loss": history["loss"][-1],
                       "h16_residual_float32": result["rollout"]["float32"]["16"]["residual"],
                       "h16_residual_float64": result["rollout"]["float64"]["16"]["residual"]}  # fmt: skip
                rows.append(row)
                if log is not None:
                    log(f"  seed {seed} {kind:12s} {name:10s} seen relMSE {row['seen_relmse']:.4f} "
                        f"({seconds:.1f} s)")  # fmt: skip
    return rows


def _emulated(repeats: int, epochs: int) -> dict[str, Any]:
    """Run the speed part in a subprocess on an emulated AVX2-only CPU; its JSON result."""
    env = {**os.environ, **EMULATE_AVX2, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.setdefault("MUJOCO_GL", "egl")
    code = f"from agents.probes.optim_speed import print_speed_json; print_speed_json({int(repeats)}, {int(epochs)})"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the emulated AVX2 run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _speed(repeats: int, epochs: int) -> dict[str, Any]:
    return {"ns": measure_ns(repeats), "epochs": measure_epochs(epochs)}


def print_speed_json(repeats: int, epochs: int) -> None:
    """The speed part as one JSON line on stdout (what the emulated subprocess runs)."""
    import torch

    torch.set_num_threads(1)
    print(json.dumps(_speed(repeats, epochs)))


def format_speed(native: dict[str, Any], emulated: dict[str, Any] | None) -> str:
    """The speed tables: orthogonalisation per shape and per model step, seconds per epoch."""
    runs = [("native", native)] + ([("AVX2 emulated", emulated)] if emulated else [])
    lines = []
    for label, run in runs:
        c = run["ns"]["cpu"]
        lines.append(f"{label}: {c['model']}, {c['cores']} cores, bf16 flags {', '.join(c['bf16_flags'])}, "
                     f"torch {c['torch']} dispatching {c['torch_cpu_capability']}, 1 thread")  # fmt: skip
    header = f"{'shape':>9s} {'models':28s}" + "".join(
        f" {label + ' bf16':>18s} {label + ' fp32':>18s} {'bf16/fp32':>9s}" for label, _ in runs
    )
    for label, run in runs:
        m = run["ns"]["matmul_256"]
        lines.append(f"{label}: one 256 x 256 matrix product: bf16 {m['bf16']:.3f} ms, fp32 {m['fp32']:.3f} ms "
                     f"(bf16/fp32 {m['bf16'] / m['fp32']:.1f})")  # fmt: skip
    lines += ["", "ms per orthogonalisation (5 Newton-Schulz steps), one matrix", header, "-" * len(header)]
    shapes = native["ns"]["shapes"]
    for i, row in enumerate(native["ns"]["per_shape"]):
        key = "x".join(map(str, row["shape"]))
        users = ", ".join(f"{kind} x{counts[key]}" for kind, counts in shapes.items() if key in counts)
        line = f"{key:>9s} {users[:28]:28s}"
        for _, run in runs:
            r = run["ns"]["per_shape"][i]
            line += f" {r['bf16']:18.3f} {r['fp32']:18.3f} {r['bf16'] / r['fp32']:9.1f}"
        lines.append(line)
    header = f"{'model':14s}" + "".join(
        f" {label + ' torch_muon':>24s} {label + ' muon':>18s} {'ratio':>6s}" for label, _ in runs
    )
    lines += ["", "ms of orthogonalisation per optimiser step (all of a model's matrices)", header, "-" * len(header)]
    for kind in MODELS:
        line = f"{kind:14s}"
        for _, run in runs:
            r = run["ns"]["per_model"][kind]
            line += f" {r['torch_muon']:24.2f} {r['muon']:18.2f} {r['torch_muon'] / r['muon']:6.1f}"
        lines.append(line)
    header = f"{'model':14s}" + "".join(f" {label + ' ' + name:>24s}" for label, _ in runs for name in OPTIMIZERS)
    lines += ["", "seconds per training epoch (quick preset data, batch 128)", header, "-" * len(header)]
    for kind in MODELS:
        lines.append(f"{kind:14s}" + "".join(f" {run['epochs'][kind][name]:24.2f}" for _, run in runs
                                             for name in OPTIMIZERS))  # fmt: skip
    return "\n".join(lines)


def format_quality(rows: list[dict[str, Any]]) -> str:
    """Median over seeds (worst seed for Delta_eq and the residual) per model and optimiser."""
    seeds = len({r["seed"] for r in rows})
    header = (f"{'model':14s} {'optimizer':10s} {'seen relMSE':>11s} {'per seed':>24s} {'dEq fp32':>9s} "
              f"{'H16 res fp32':>12s} {'H16 res fp64':>12s} {'train s':>8s}")  # fmt: skip
    lines = [f"quality: quick preset budget, {seeds} seed(s); relMSE and seconds median over seeds, "
             "dEq and residuals worst seed", header, "-" * len(header)]  # fmt: skip
    for kind in MODELS:
        for name in dict.fromkeys(r["optimizer"] for r in rows):
            sel = [r for r in rows if r["model"] == kind and r["optimizer"] == name]
            if not sel:
                continue
            per_seed = ", ".join(f"{r['seen_relmse']:.4f}" for r in sel)
            median = {k: float(np.median([r[k] for r in sel])) for k in ("seen_relmse", "train_seconds")}
            worst = {k: max(r[k] for r in sel) for k in ("delta_eq_float32", "h16_residual_float32",
                                                         "h16_residual_float64")}  # fmt: skip
            lines.append(
                f"{kind:14s} {name:10s} {median['seen_relmse']:11.4f} {per_seed[:24]:>24s} "
                f"{worst['delta_eq_float32']:9.1e} {worst['h16_residual_float32']:12.1e} "
                f"{worst['h16_residual_float64']:12.1e} {median['train_seconds']:8.1f}"
            )
    return "\n".join(lines)


def run(config: OptimSpeedConfig) -> dict[str, Any]:
    """Measure and print (``python -m agents optim-speed``); one torch thread throughout."""
    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    native = _speed(config.repeats, config.epochs)
    emulated = _emulated(config.repeats, config.epochs) if config.emulation else None
    if emulated is not None and emulated["ns"]["cpu"]["torch_cpu_capability"] != "AVX2":
        print(f"warning: the emulated run dispatched {emulated['ns']['cpu']['torch_cpu_capability']}, not AVX2")
    print(format_speed(native, emulated))
    result: dict[str, Any] = {"native": native, "emulated_avx2": emulated}
    if config.quality and config.seeds:
        big = max(native["ns"]["per_shape"], key=lambda r: r["shape"][0] * r["shape"][1])
        optimizers = OPTIMIZERS if big["bf16"] <= 4 * big["fp32"] else tuple(o for o in OPTIMIZERS if o != "torch_muon")
        if "torch_muon" not in optimizers:
            print(f"\n(torch_muon left out of the quality table: bf16 is {big['bf16'] / big['fp32']:.0f}x slower "
                  "than float32 on this CPU)")  # fmt: skip
        print()
        result["quality"] = measure_quality(config.seeds, optimizers, log=print)
        print(format_quality(result["quality"]))
    print(f"\n{time.perf_counter() - started:.0f} s")
    if config.json is not None:
        write_json(config.json, result)
    return result
