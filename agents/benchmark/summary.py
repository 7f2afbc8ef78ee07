"""The summary of a benchmark run: named estimates per orientation, the pre-declared headline, exactness.

Everything here is computed from the rows alone (``summarise`` is a pure function of them), so a summary
can be recomputed from ``rows.jsonl`` at any time. The statistics are ``agents.stats``'s.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from agents import stats
from agents.benchmark.orientations import Target
from agents.config import BenchConfig

__all__ = ["SCHEMA_VERSION", "load_summary", "summarise"]

SCHEMA_VERSION = 2
"""summary.json layout: 2 = named estimates, pooled paired headline, null for undefined figures."""

CONTINUOUS = ("pos_error", "angle_error", "return", "steps", "coverage", "plan_ms")
PAIRED = ("success", "pos_error", "angle_error", "return")
HEADLINE = (
    "success over the held-out orientations minus success over the seen ones, each task's outcomes pooled "
    "over its orientations, paired by task (Newcombe hybrid-score 95% interval; declared before any run)"
)
WORST = "after the fact: the held-out orientation with the largest mean final error (secondary, not a headline)"


def _values(rows: list[dict], metric: str) -> np.ndarray:
    return np.array([math.nan if r[metric] is None else r[metric] for r in rows], dtype=float)


def _by_task(rows: list[dict], metric: str) -> dict[int, float]:
    return {r["task"]: (math.nan if r[metric] is None else float(r[metric])) for r in rows}


def _pooled(table: dict[str, dict[int, float]], names: list[str], tasks: list[int]) -> np.ndarray:
    """Per task, the mean of a metric over orientations ``names`` (NaN entries ignored)."""
    values = np.array([[table[n][k] for n in names] for k in tasks], dtype=float)  # (K, len(names))
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        counts = finite.sum(1)
        sums = np.where(finite, values, 0.0).sum(1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), math.nan)


def _finite_max(values: list[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return max(finite) if finite else math.nan


def _paired(x: np.ndarray, y: np.ndarray, binary: bool) -> dict[str, Any]:
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    test = stats.paired_test(x, y, binary=binary)
    return {
        "difference": stats.paired_difference(x, y, binary=binary).to_json(),
        "p_value": test.to_json()["p_value"], "test": test.method,
        "max_abs": float(np.abs(y - x).max()) if len(x) else None,
    }  # fmt: skip


def summarise(rows: list[dict], targets: list[Target], config: BenchConfig, unit: str) -> dict[str, Any]:
    """The summary of a run's rows (see the package docstring for what each figure means)."""
    names = [t.name for t in targets]
    by_name = {n: sorted((r for r in rows if r["orientation"] == n), key=lambda r: r["task"]) for n in names}
    complete = sorted(set.intersection(*({r["task"] for r in by_name[n]} for n in names))) if rows else []
    # seen: the training slice (on the ladder, the identity); a run without a seen orientation has no headline,
    # and its paired differences are against its first orientation, which is never called "seen"
    seen = [t.name for t in targets if t.seen]
    heldout = [n for n in names if n not in seen]
    reference = seen[0] if seen else names[0]
    tables = {m: {n: _by_task(by_name[n], m) for n in names} for m in (*PAIRED, "coverage")}

    per: dict[str, Any] = {}
    for target in targets:
        entries = by_name[target.name]
        if not entries:
            continue
        mine = [r for r in entries if r["task"] in complete]
        entry: dict[str, Any] = {
            "split": target.split, "angle_deg": target.angle_deg, "n": len(entries),
            "success": stats.proportion(_values(entries, "success")).to_json(),
            **{m: stats.mean_interval(_values(entries, m)).to_json() for m in CONTINUOUS},
            "residual_max": _finite_max([r["residual"] for r in entries]),
            "paired_vs_reference": {},
        }  # fmt: skip
        for m in PAIRED:
            ref = np.array([tables[m][reference][r["task"]] for r in mine], dtype=float)
            entry["paired_vs_reference"][m] = _paired(ref, _values(mine, m), binary=m == "success")
        per[target.name] = entry

    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "label": config.name, "env": config.env,
        "env_kwargs": config.merged_env_kwargs, "task": config.merged_env_kwargs.get("task"), "unit": unit,
        "config": {k: v for k, v in asdict(config).items() if k not in ("threads", "workers", "ray")},
        "tasks": len(complete), "reference": reference, "seen": seen, "heldout": heldout, "orientations": per,
    }  # fmt: skip
    if complete and heldout and seen:
        seen_success = _pooled(tables["success"], seen, complete)
        held_success = _pooled(tables["success"], heldout, complete)
        seen_error = _pooled(tables["pos_error"], seen, complete)
        held_error = _pooled(tables["pos_error"], heldout, complete)
        summary["headline"] = {
            "metric": "success", "definition": HEADLINE,
            "seen": stats.proportion_of_means(seen_success).to_json(),
            "heldout": stats.proportion_of_means(held_success).to_json(),
            **_paired(seen_success, held_success, binary=True),
        }  # fmt: skip
        error = _paired(seen_error, held_error, binary=False)
        seen_mean, held_mean = float(np.nanmean(seen_error)), float(np.nanmean(held_error))
        summary["error"] = {
            "metric": "pos_error", "unit": unit, "seen": stats.mean_interval(seen_error).to_json(),
            "heldout": stats.mean_interval(held_error).to_json(), **error,
            "ood_factor": held_mean / seen_mean if seen_mean > 0 else None,
        }  # fmt: skip
        summary["per_task"] = {
            "task": complete, "seen_success": seen_success.tolist(), "heldout_success": held_success.tolist(),
            "seen_error": seen_error.tolist(), "heldout_error": held_error.tolist(),
        }  # fmt: skip
        # per split (e.g. each rung of the SE(3) ladder): its success pooled over its orientations, per task,
        # against the reference orientation's, paired by task
        summary["splits"] = {}
        for split in dict.fromkeys(t.split for t in targets if t.name in heldout):
            members = [t.name for t in targets if t.split == split and t.name in heldout]
            pooled = _pooled(tables["success"], members, complete)
            ref = np.array([tables["success"][reference][k] for k in complete], dtype=float)
            summary["splits"][split] = {"orientations": members,
                                        "success": stats.proportion_of_means(pooled).to_json(),
                                        **_paired(ref, pooled, binary=True)}  # fmt: skip
        present = [n for n in heldout if n in per and per[n]["pos_error"]["mean"] is not None]
        if present:
            worst = max(present, key=lambda n: per[n]["pos_error"]["mean"])
            summary["worst_heldout"] = {
                "orientation": worst, "chosen": WORST,
                "success_difference": per[worst]["paired_vs_reference"]["success"]["difference"],
                "error_ratio": per[worst]["pos_error"]["mean"] / seen_mean if seen_mean > 0 else None,
            }  # fmt: skip
    if complete and seen and "headline" not in summary:  # no held-out orientation (a tuning run): the seen alone
        summary["seen_only"] = {
            "success": stats.proportion_of_means(_pooled(tables["success"], seen, complete)).to_json(),
            "pos_error": stats.mean_interval(_pooled(tables["pos_error"], seen, complete)).to_json(),
        }
    summary["exactness"] = {
        "max_abs_paired_difference": {
            m: _finite_max([per[n]["paired_vs_reference"][m]["max_abs"] for n in per]) for m in PAIRED
        },
        "max_residual": _finite_max([r["residual"] for r in rows]),
    }
    summary["success_rate"] = float(np.mean([r["success"] for r in rows])) if rows else None
    return summary


def load_summary(folder: str | Path) -> dict[str, Any]:
    """The ``summary.json`` a benchmark run wrote under ``folder`` (schema version 2)."""
    path = Path(folder) / "summary.json"
    if not path.is_file():
        raise ValueError(f"folders: {str(folder)!r} holds no summary.json (not a finished benchmark run)")
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"folders: {str(path)!r} is not valid JSON ({err})") from None
    if not isinstance(summary, dict) or "orientations" not in summary:
        raise ValueError(f"folders: {str(path)!r} is not a benchmark summary")
    if summary.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"folders: {str(path)!r} has schema version {summary.get('schema_version')}, expected "
                         f"{SCHEMA_VERSION}; rerun the benchmark to rewrite it (finished rows are kept)")  # fmt: skip
    return summary
