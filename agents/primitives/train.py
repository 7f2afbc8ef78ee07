"""Training the push-outcome models, their checkpoints, and ``python -m agents pusht-model``.

One command collects (or reads) the simulated pushes of the slice orientations, fits a model and writes a
checkpoint (``.pt`` with a readable ``.pt.json``, weights only, no pickle). ``--augment full`` turns every batch to
orientations drawn from the whole circle (the augmented MLP twin: data of every orientation, made from the
slice's by rotation).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.primitives.data import collect_pushes, frame_arrays, load_pushes, save_pushes
from agents.primitives.model import PushOutcomeModel, build_outcome_model, outcome_loss
from eqenvs.files import existing_file, write_sidecar

__all__ = ["OUTCOME_FORMAT", "load_outcome_model", "save_outcome_model", "train_outcome_model"]

OUTCOME_FORMAT = "eqenvs-push-outcome-model"
OUTCOME_VERSION = 1
_SLICE = (0.0, math.pi / 2)


AUGMENTS = ("slice", "full")


def _angles(rng: np.random.Generator, n: int, split: str) -> np.ndarray:
    lo, hi = _SLICE if split == "slice" else (0.0, 2 * math.pi)
    return rng.uniform(lo, hi, n)


def _tensors(data: dict[str, np.ndarray], angles: np.ndarray, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    f = {k: torch.as_tensor(v).to(dtype) for k, v in frame_arrays(data, angles).items()}
    vectors = PushOutcomeModel.features(f["position"], f["heading"], f["goal_heading"], f["contact"],
                                        f["direction"], f["length"])  # fmt: skip
    return vectors, f["position_after"], f["heading_after"]


def train_outcome_model(data: dict[str, np.ndarray], kind: str, hidden: int, depth: int, epochs: int,
                        batch_size: int = 512, lr: float = 2e-3, seed: int = 0, augment: str = "slice",
                        canonical: bool = False, validation: float = 0.05, log: Any = print
                        ) -> tuple[PushOutcomeModel, dict[str, Any]]:  # fmt: skip
    """Fit a model on ``data`` (scene-frame pushes), each sample seen at an orientation of ``augment``'s arc
    (``slice``: [0, 90) degrees, drawn once per sample — the data as collected on the slice; ``full``: drawn
    anew every epoch from the whole circle, the augmented twin); ``canonical``: the MLP run in the block's frame.
    Adam, cosine-decayed; the last ``validation`` fraction is held out and its keypoint RMSE (px) reported, at the
    slice's orientations and at held-out ones."""
    if augment not in AUGMENTS:
        raise ValueError(f"augment: {augment!r} is not one of {AUGMENTS}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n = len(data["block"])
    n_val = max(1, int(n * validation))
    train = {k: v[: n - n_val] for k, v in data.items()}
    val = {k: v[n - n_val :] for k, v in data.items()}
    model = build_outcome_model(kind, hidden, depth, canonical)
    dtype = torch.float32
    slice_angles = _angles(rng, len(train["block"]), "slice")
    fixed = _tensors(train, slice_angles, dtype) if augment == "slice" else None
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(train["block"]) / batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * steps_per_epoch)
    start = time.perf_counter()
    for epoch in range(epochs):
        tensors = fixed if fixed is not None else _tensors(train, _angles(rng, len(train["block"]), "full"), dtype)
        order = torch.randperm(len(train["block"]))
        total = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * batch_size : (i + 1) * batch_size]
            vectors, position, heading = (t[idx] for t in tensors)
            loss = outcome_loss(model(vectors), position, heading)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        if log is not None and (epoch % 5 == 4 or epoch == epochs - 1):
            log(f"epoch {epoch + 1}/{epochs}: keypoint RMSE {math.sqrt(total / len(train['block'])):.2f} px "
                f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    minutes = (time.perf_counter() - start) / 60
    report = {"train_minutes": minutes, "samples": len(train["block"]), "validation_samples": n_val}
    vrng = np.random.default_rng(seed + 1)
    with torch.no_grad():
        for split, (lo, hi) in (("slice", _SLICE), ("heldout", (math.pi / 2, 2 * math.pi))):
            angles = vrng.uniform(lo, hi, n_val)
            vectors, position, heading = _tensors(val, angles, dtype)
            report[f"validation_rmse_px_{split}"] = math.sqrt(float(outcome_loss(model(vectors), position, heading)))
    return model.eval(), report


def save_outcome_model(model: PushOutcomeModel, path: Path, meta: dict[str, Any]) -> Path:
    from agents.checkpoints import write_weights

    meta = {"model": model.kind, "hyper": model.hyper, "parameter_count": model.parameter_count,
            "env_id": "EqPushT-v1", "task": "pusht", "obs_type": "state", **meta}  # fmt: skip
    write_weights(path, OUTCOME_FORMAT, OUTCOME_VERSION, meta, model.state_dict())
    write_sidecar(path, meta)
    return path


def load_outcome_model(path: str | Path, name: str = "agent") -> tuple[PushOutcomeModel, dict[str, Any]]:
    """A model written by ``save_outcome_model`` (eval mode, float32) and its metadata; ValueErrors name ``name``."""
    from agents.checkpoints import read_weights

    path = existing_file(path, name, "a .pt push-outcome model (python -m agents pusht-model)")
    what = "a push-outcome model of `python -m agents pusht-model`"
    payload, meta = read_weights(path, name, OUTCOME_FORMAT, OUTCOME_VERSION, what)
    try:
        model = build_outcome_model(meta["model"], **meta["hyper"])
        model.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{name}: {path} does not match its own description ({err})") from None
    return model.eval(), meta


def collect_or_load(path: Path | None, n: int, seed: int, workers: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The pushes at ``path`` if it exists (and their record), else ``n`` pushes collected with ``seed`` (and
    written to ``path`` when given). The record holds the collection's minutes, whichever process took them."""
    if path is not None and path.is_file():
        data, meta = load_pushes(path)
        if meta.get("seed") != seed or len(data["block"]) != n:
            raise ValueError(f"data: {path} holds {len(data['block'])} pushes collected with seed {meta.get('seed')}, "
                             f"not --pushes {n} --seed {seed}; give another --data or remove it")  # fmt: skip
        return data, meta
    start = time.perf_counter()
    data = collect_pushes(n, seed, workers)
    meta = {"pushes": n, "seed": seed, "workers": workers, "collect_minutes": (time.perf_counter() - start) / 60}
    if path is not None:
        save_pushes(path, data, meta)
    return data, meta


def _command(config: Any) -> str:
    """The command line that trains this model again (the data file aside: the same seed collects the same pushes)."""
    flags = (f"--model {config.model} --hidden {config.hidden} --depth {config.depth} --epochs {config.epochs} "
             f"--batch-size {config.batch_size} --lr {config.lr:g} --augment {config.augment}"
             f"{' --canonical' if config.canonical else ''} --pushes {config.pushes} --seed {config.seed}")  # fmt: skip
    return f"python -m agents pusht-model {flags} --out {config.out}"


def run_pusht_model(config: Any) -> None:
    """``python -m agents pusht-model``: collect (or read) the pushes, train, write the model and its sidecar."""
    data, record = collect_or_load(config.data, config.pushes, config.seed, config.workers)
    collect_minutes = record.get("collect_minutes")
    took = "?" if collect_minutes is None else f"{collect_minutes:.1f}"
    print(f"{len(data['block'])} pushes (seed {record.get('seed')}; collected in {took} min)")
    model, report = train_outcome_model(data, config.model, config.hidden, config.depth, config.epochs,
                                        config.batch_size, config.lr, config.seed, config.augment,
                                        config.canonical)  # fmt: skip
    meta = {**report, "augment": config.augment, "seed": config.seed, "epochs": config.epochs,
            "pushes": len(data["block"]), "data_seed": record.get("seed"), "collect_minutes": collect_minutes,
            "command": _command(config)}  # fmt: skip
    save_outcome_model(model, config.out, meta)
    name = f"{config.model}{', canonical' if config.canonical else ''}"
    print(f"{config.out}: {name} ({config.augment}), {model.parameter_count} parameters, trained in "
          f"{report['train_minutes']:.1f} min; validation keypoint RMSE {report['validation_rmse_px_slice']:.2f} px "
          f"at slice orientations, {report['validation_rmse_px_heldout']:.2f} px held out")  # fmt: skip
