"""Rows of a benchmark run on disk: one per (orientation, task), written atomically, resumed by run identity."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from agents.config import BenchConfig
from eqenvs.files import atomic_path, json_safe, sha256_of

__all__ = ["METRICS", "make_row", "read_rows", "run_identity", "write_rows"]

METRICS = ("success", "pos_error", "angle_error", "return", "steps", "coverage", "residual", "plan_ms")
"""The per-row figures; ``pos_error`` is in the env's translation unit (px in 2D, m in 3D)."""


def run_identity(config: BenchConfig, agent_files: list[Path]) -> dict[str, Any]:
    """What makes rows of one run: a resumed run must match it. The agent's files (checkpoint, SB3 zip) are
    fingerprinted, so rows of a retrained model at the same path are never mixed with new ones; threads,
    labels, videos and output folders do not change rows and are left out."""
    identity = {"env": config.env, "env_kwargs": config.merged_env_kwargs, "agent": config.agent,
                "seed": config.seed, "max_steps": config.max_steps, "batched": config.batched}  # fmt: skip
    if config.task_set != "test":  # test runs keep the identity they had before task sets existed (they resume)
        identity["task_set"] = config.task_set
    digests = [sha256_of(path) for path in agent_files]
    if digests:
        identity["agent_sha256"] = digests[0] if len(digests) == 1 else digests
    return identity


def _number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def make_row(run: dict, label: str, target: Any, task: int, seed: int, result: dict, residual: float) -> dict:
    """One row: the outcome of base task ``task`` at one orientation (undefined figures are null)."""
    info = result["info"]
    position = info.get("pos_error_px", info.get("pos_error_m", math.nan))
    return json_safe({
        "run": run, "label": label, "orientation": target.name, "split": target.split,
        "angle_deg": target.angle_deg, "orientation_element": target.element.to_json(), "task": task,
        "env_seed": seed, "agent_seed": seed, "success": float(bool(info.get("is_success", False))),
        "pos_error": _number(position), "angle_error": _number(info.get("angle_error_rad", math.nan)),
        "coverage": _number(info.get("coverage", math.nan)), "return": _number(result["return"]),
        "steps": result["steps"], "plan_ms": _number(result["plan_ms"]), "residual": _number(residual),
    })  # fmt: skip


def read_rows(path: Path, run: dict[str, Any]) -> list[dict]:
    """The rows already written for this run; rows of another run are an error (use another folder)."""
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise ValueError(f"out: {path} line {number} is not JSON; move the file away to start afresh") from None
    for row in rows:
        if row.get("run") != json_safe(run):
            raise ValueError(f"out: {path} holds rows of a different run ({row.get('run')}); use another --out")
    return rows


def write_rows(folder: Path, rows: list[dict]) -> None:
    """``rows.jsonl`` (every field) and ``rows.csv`` (the figures), each atomically."""
    text = "".join(json.dumps(row, sort_keys=True, allow_nan=False) + "\n" for row in rows)
    with atomic_path(folder / "rows.jsonl") as tmp:
        tmp.write_text(text)
    columns = ["orientation", "split", "angle_deg", "task", "env_seed", "agent_seed", *METRICS, "label"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_path(folder / "rows.csv") as tmp:
        tmp.write_text(buffer.getvalue())
