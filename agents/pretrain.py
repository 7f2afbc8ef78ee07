"""The reference world models shipped in ``agents/pretrained``: one command rebuilds them all, bit for bit.

    python -m agents pretrain              # (make pretrained) about 4 minutes on a 2-core CPU, one thread

Each model is trained exactly as ``python -m agents report --preset full`` trains seed 0 (400 scripted
episodes on the slice, 20% held out, the default TrainConfig with 40 epochs), evaluated on its held-out
episodes, and written with its readable ``.pt.json``; ``README.md`` there lists every model with the command,
seed, size and measured accuracy.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agents.config import PretrainConfig

__all__ = ["REFERENCE_MODELS", "pretrain"]

REFERENCE_MODELS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "vn_explicit-push2d": ("EqPushT-v0", "vn_explicit", {}),
    "mlp_explicit-push2d": ("EqPushT-v0", "mlp_explicit", {}),
    "mlp_explicit_canonical-push2d": ("EqPushT-v0", "mlp_explicit", {"canonical": True}),
    "vn_latent-push2d": ("EqPushT-v0", "vn_latent", {}),
    "mlp_latent-push2d": ("EqPushT-v0", "mlp_latent", {}),
    "vn_explicit-push3d": ("EqPushT3D-v0", "vn_explicit", {}),
    "mlp_explicit-push3d": ("EqPushT3D-v0", "mlp_explicit", {}),
}
"""name -> (env id, model kind, hyperparameters); all on the canonical push task's data. The canonical MLP is
the explicit MLP run (and trained) in each state's own frame (``agents.canonical``)."""


PUSHT_MODELS_NOTE = (
    "## Push-outcome models of gym-pusht's PushT",
    "",
    "`*_primitive-pusht2d` are the learned push-outcome models of `agents.primitives` (`eqbench --task pusht",
    "--max-steps 300 --agent primitive:vn_primitive-pusht2d,dtype=float64`), learned from 240,000 pushes simulated",
    "at the slice's orientations: `vn` (Vector-Neuron, exactly equivariant), `mlp` (plain twin), `mlp_orbit` (the",
    "MLP on the same pushes turned over the whole circle) and `mlp_canonical` (the MLP run in the block's frame).",
    "`make pusht-models` rebuilds them (`python -m agents pusht-model`; each `.pt.json` holds its training record);",
    '`python -m agents pretrain` leaves them alone. Their results: docs/planning.md, "A learned world model',
    'solves PushT".',
)
"""The paragraph of this folder's README about the PushT push-outcome models (``make pusht-models``)."""


def pretrain(config: PretrainConfig, log=print) -> list[dict[str, Any]]:
    """Train, evaluate and write the models ``config.models`` names; returns one record per model."""
    from agents.checkpoints import save_checkpoint
    from agents.data import collect
    from agents.evaluate import bins_of, evaluate_model
    from agents.report import PRESETS, TEST_FRACTION
    from agents.train import TrainConfig, train
    from eqenvs.files import atomic_path

    preset = PRESETS["full"]
    out = Path(config.out)
    records, datasets = [], {}
    for name in config.models:
        env_id, kind, hyper = REFERENCE_MODELS[name]
        if env_id not in datasets:
            data = collect(env_id, episodes=preset["episodes"], seed=config.seed, progress=True)
            datasets[env_id] = (data, *data.split_episodes(TEST_FRACTION, config.seed))
        data, train_data, test_data = datasets[env_id]
        started = time.perf_counter()
        train_config = TrainConfig(model=kind, epochs=preset["epochs"], seed=config.seed, hyper=hyper)
        model, history = train(train_data, train_config, progress=True)
        seconds = time.perf_counter() - started
        result = evaluate_model(
            model, test_data, seed=config.seed, bins=bins_of(test_data, data.symmetry(), config.seed)
        )
        command = f"python -m agents pretrain --models {name} --seed {config.seed}"
        extra = {"command": command, "history": history, "test_fraction": TEST_FRACTION, "split_seed": config.seed,
                 "data": {"episodes": preset["episodes"], "split": "slice", "seed": config.seed},
                 "seen_relmse": result["seen_relmse"], "ood_factor": result["ood_factor"]}  # fmt: skip
        path = save_checkpoint(model, out / f"{name}.pt", env_id, data.meta["env_kwargs"], train_config, extra)
        record = {"name": name, "env": env_id, "model": kind, "parameters": model.parameter_count,
                  "seen_relmse": result["seen_relmse"], "ood_factor": result["ood_factor"],
                  "delta_eq_float32": result["delta_eq"]["float32"], "seconds": seconds, "command": command,
                  "bytes": path.stat().st_size}  # fmt: skip
        records.append(record)
        log(f"{name}: {record['parameters']:,} parameters, seen relMSE {record['seen_relmse']:.4f}, "
            f"OOD x{record['ood_factor']:.2f}, {seconds:.0f} s; wrote {path}")  # fmt: skip
    readme = out / "README.md"
    kept = _kept_rows(readme, {r["name"] for r in records})
    with atomic_path(readme) as tmp:
        tmp.write_text(_readme(records, config, kept))
    return records


def _kept_rows(readme: Path, rebuilt: set[str]) -> dict[str, str]:
    """The table rows of an existing README for the models this run did not rebuild (``--models`` a subset)."""
    if not readme.is_file():
        return {}
    rows = {}
    for line in readme.read_text().splitlines():
        name = line.split("`")[1] if line.startswith("| `") else None
        if name in REFERENCE_MODELS and name not in rebuilt:
            rows[name] = line
    return rows


def _readme(records: list[dict[str, Any]], config: PretrainConfig, kept: dict[str, str] | None = None) -> str:
    lines = [
        "# Reference world models",
        "",
        "Small trained checkpoints of the reference world models, so that `eqbench --agent planner:<name>` works",
        "on a fresh clone (e.g. `eqbench --task push --agent planner:vn_explicit-push2d,dtype=float64`). Each was",
        "trained on 400 scripted `push` episodes collected on the training slice (20% of them held out), as seed 0 of",
        "`python -m agents report --preset full`. Rebuild them all, bit for bit on the same machine and torch,",
        f"with `python -m agents pretrain --seed {config.seed}` (`make pretrained`). "
        "`mlp_explicit_canonical-push2d` is the explicit MLP",
        "with `canonical=True`: run and trained in each state's own frame (canonicalisation, `agents.canonical`).",
        "",
        "| name | env | model | parameters | file | seen relMSE | OOD factor | Delta_eq fp32 | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = dict(kept or {})
    for r in records:
        rows[r["name"]] = (
            f"| `{r['name']}` | {r['env']} | {r['model']} | {r['parameters']:,} | {r['bytes'] / 1e3:.0f} kB | "
            f"{r['seen_relmse']:.4f} | {r['ood_factor']:.2f} | {r['delta_eq_float32']:.1e} | `{r['command']}` |"
        )
    lines += [rows[name] for name in REFERENCE_MODELS if name in rows]
    lines += ["", "relMSE and OOD factor: `python -m agents evaluate` on the held-out episodes (see the main README)."]
    lines += ["", *PUSHT_MODELS_NOTE]
    return "\n".join(lines) + "\n"
