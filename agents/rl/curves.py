"""Learning curves of model-free runs: evaluation success on the slice and held out against training steps, read
from ``python -m agents sb3``'s logs or from an SB3 ``EvalCallback``'s ``evaluations.npz`` (rl-baselines3-zoo's
runs); steps to a success threshold (``format_curves``), and a plot.

    python -m agents curves runs/sb3/*.zip --out runs/sb3/curves.png
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from agents.config import CurvesConfig
from agents.config.rl import curve_logs
from eqenvs.files import atomic_path

__all__ = ["format_curves", "learning_curves", "plot_curves", "run_curves"]


def learning_curves(model: str | Path) -> dict[str, Any]:
    """A trained model's evaluations from its logs (``curve_logs``): steps, slice success and held-out success
    (None where the run did not evaluate held out), with the sidecar's label fields. From an ``evaluations.npz``
    the success is its ``EvalCallback``'s, on whatever env that evaluated (the zoo with our hyperparameter
    files: slice orientations), and the label is the run's folder."""
    import json

    model = Path(model)
    logs = curve_logs(model)
    if logs.suffix == ".npz":
        return _npz_curves(model, logs)
    rows = list(csv.DictReader(logs.open()))
    meta_path = model.with_name(model.name + ".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    by_step: dict[int, dict[str, float]] = {}  # each evaluation callback logs its own row
    for row in rows:
        for key, name in (("eval/success_rate", "slice"), ("eval_heldout/success_rate", "heldout")):
            if row.get(key):
                by_step.setdefault(int(float(row["time/total_timesteps"])), {})[name] = float(row[key])
    steps = sorted(s for s, v in by_step.items() if "slice" in v)
    slice_success = [by_step[s]["slice"] for s in steps]
    heldout_success = [by_step[s].get("heldout") for s in steps]
    label = " ".join(str(meta.get(k, "?")) for k in ("algo", "policy", "split")) + f" s{meta.get('seed', '?')}"
    return {"model": str(model), "label": label, "steps": steps, "slice": slice_success, "heldout": heldout_success,
            "seconds": meta.get("seconds"), "total_steps": meta.get("steps")}  # fmt: skip


def _npz_curves(model: Path, path: Path) -> dict[str, Any]:
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as data:
            steps, successes = data["timesteps"], data["successes"] if "successes" in data.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"models: {str(path)!r} is not an EvalCallback's evaluations.npz ({err})") from None
    if successes is None or len(successes) != len(steps):
        raise ValueError(f"models: {str(path)!r} records no success per evaluation (its eval env reports no "
                         "info['is_success'])")  # fmt: skip
    label = f"{model.parent.parent.name} {model.parent.name} (npz)"  # the zoo's logs/<algo>/<env>_<run>/
    return {"model": str(model), "label": label, "steps": [int(s) for s in steps],
            "slice": [float(np.mean(s)) for s in successes], "heldout": [None] * len(steps), "seconds": None,
            "total_steps": None}  # fmt: skip


def _first_at(steps: list[int], values: list[float | None], threshold: float) -> str:
    hits = [s for s, v in zip(steps, values, strict=True) if v is not None and v >= threshold]
    if hits:
        return f"{hits[0]:,d}"
    return "n/a" if all(v is None for v in values) else "never"


def format_curves(curves: list[dict[str, Any]], threshold: float) -> str:
    """One line per run: training steps and minutes, final evaluations, and the first evaluation at or above
    ``threshold`` on the slice and held out (the samples a variant needs)."""
    header = (f"{'run':28s} {'steps':>9s} {'minutes':>7s} {'final slice':>11s} {'final held':>10s} "
              f"{f'steps to {threshold:.0%} slice':>20s} {f'steps to {threshold:.0%} held':>19s}")  # fmt: skip
    lines = [header, "-" * len(header)]
    for c in curves:
        final_held = c["heldout"][-1] if c["heldout"] and c["heldout"][-1] is not None else None
        minutes = f"{c['seconds'] / 60:.1f}" if c["seconds"] else "?"
        final_slice = f"{c['slice'][-1]:.2f}" if c["slice"] else "n/a"
        final_held = f"{final_held:.2f}" if final_held is not None else "n/a"
        to_slice, to_held = (_first_at(c["steps"], c[k], threshold) for k in ("slice", "heldout"))
        total = f"{c['total_steps']:,d}" if c["total_steps"] else "?"
        lines.append(f"{c['label'][:28]:28s} {total:>9s} {minutes:>7s} {final_slice:>11s} "
                     f"{final_held:>10s} {to_slice:>20s} {to_held:>19s}")  # fmt: skip
    lines.append("success: deterministic policy, SB3 EvalCallback episodes at fresh slice / held-out orientations; "
                 "n/a: the run did not evaluate held out")  # fmt: skip
    if any(c["label"].endswith("(npz)") for c in curves):
        lines.append("(npz): read from an EvalCallback's evaluations.npz; its success is that callback's eval env's")
    return "\n".join(lines)


def plot_curves(curves: list[dict[str, Any]], out: str | Path) -> Path:
    """Success against training steps, slice (solid) and held out (dashed), one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, c in enumerate(curves):
        color = f"C{i % 10}"
        ax.plot(c["steps"], c["slice"], color=color, label=f"{c['label']} (slice)")
        held = [(s, v) for s, v in zip(c["steps"], c["heldout"], strict=True) if v is not None]
        if held:
            ax.plot(*zip(*held, strict=True), color=color, linestyle="--", label=f"{c['label']} (held out)")
    ax.set(xlabel="training steps", ylabel="success rate", ylim=(-0.02, 1.02), title="evaluation success")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return out


def run_curves(config: CurvesConfig) -> None:
    """``python -m agents curves``: the table of every model's curve, and the plot with ``--out``."""
    curves = [learning_curves(model) for model in config.models]
    print(format_curves(curves, config.threshold))
    if config.out is not None:
        print(f"wrote {plot_curves(curves, config.out)}")
