"""Printed tables: one run's summary, and the comparison of several runs (seeds of one agent aggregated)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents import stats
from agents.benchmark.summary import load_summary
from agents.config import CompareConfig

__all__ = [
    "COLUMNS",
    "COMPARISON_NOTE",
    "Column",
    "compare",
    "comparison_groups",
    "comparison_row",
    "format_comparison",
    "format_estimate",
    "format_number",
    "format_summary",
    "task_set",
]


def format_estimate(e: dict[str, Any] | None, spec: str = ".2f", signed: bool = False) -> str:
    """``mean [low, high]`` of a named estimate (``spec`` formats each number); n/a when undefined."""
    if not e or e.get("mean") is None:
        return "n/a"
    sign = "+" if signed else ""
    if e.get("low") is None or e.get("high") is None:
        return format(e["mean"], sign + spec)
    return f"{e['mean']:{sign}{spec}} [{e['low']:{sign}{spec}}, {e['high']:{sign}{spec}}]"


def format_number(value: float | None, spec: str) -> str:
    """``value`` formatted by ``spec``; n/a for None."""
    return "n/a" if value is None else format(value, spec)


_est, _num = format_estimate, format_number  # short names for the tables' long f-strings


def _coverage(row: dict[str, Any]) -> str:
    seen, held = row.get("coverage_seen"), row.get("coverage_held")
    return "n/a" if seen is None else f"{seen:.3f}/{held:.3f}" if held is not None else f"{seen:.3f}"


def _mode(summary: dict[str, Any]) -> str:
    return summary["env_kwargs"].get("orientation_mode", "frame")


def task_set(summary: dict[str, Any]) -> str:
    """The run's task set (``agents.seeds``): test (every table) or validation (tuning); older runs are test."""
    return summary.get("config", {}).get("task_set", "test")


def _seen(summary: dict[str, Any]) -> str:
    """The seen orientations, or why a run has none (and so no headline)."""
    if summary["seen"]:
        return ", ".join(summary["seen"])
    return (f"none (no orientation of the training slice: no headline; paired differences are against "
            f"{summary['reference']}, which is not seen)")  # fmt: skip


def format_summary(summary: dict[str, Any]) -> str:
    """The printed table of one benchmark run: per orientation, then the headline and the exactness figures."""
    unit = summary["unit"]
    lines = [f"{summary['label']} on {summary['env']}, task {summary['task']!r} ({_mode(summary)} mode), "
             f"{summary['tasks']} paired {task_set(summary)} tasks per orientation; seen: "
             f"{_seen(summary)}"]  # fmt: skip
    header = (f"{'orientation':>14s} {'split':>8s} {'success [95% CI]':>20s} {f'final error {unit} [95% CI]':>30s} "
              f"{'angle rad':>9s} {'return':>7s} {'steps':>6s} {'residual':>9s} {'plan ms':>8s}")  # fmt: skip
    lines += [header, "-" * len(header)]
    for name, o in summary["orientations"].items():
        lines.append(
            f"{name:>14s} {o['split']:>8s} {_est(o['success']):>20s} {_est(o['pos_error'], '.4g'):>30s} "
            f"{_num(o['angle_error']['mean'], '9.3f'):>9s} {_num(o['return']['mean'], '7.2f'):>7s} "
            f"{_num(o['steps']['mean'], '6.1f'):>6s} {_num(o['residual_max'], '9.1e'):>9s} "
            f"{_num(o['plan_ms']['mean'], '8.1f'):>8s}"
        )
    head = summary.get("headline")
    if head:
        lines.append(
            f"headline (declared in advance): success held-out {_est(head['heldout'])} vs seen {_est(head['seen'])}: "
            f"difference {_est(head['difference'], signed=True)}, paired by task ({head['test']} p = "
            f"{_num(head['p_value'], '.3g')})"
        )
        error = summary["error"]
        lines.append(
            f"final error {unit}: held-out {_est(error['heldout'], '.4g')} vs seen {_est(error['seen'], '.4g')}, "
            f"difference {_est(error['difference'], '.4g', signed=True)}; OOD factor {_num(error['ood_factor'], '.3g')}"
        )
    splits = summary.get("splits") or {}
    if len(splits) > 1:  # e.g. the rungs of the SE(3) ladder
        lines.append(
            f"per split, success and its difference to {summary['reference']} (paired by task): "
            + "; ".join(
                f"{name} {_est(s['success'])} {_est(s['difference'], signed=True)}" for name, s in splits.items()
            )
        )
    worst = summary.get("worst_heldout")
    if worst:
        lines.append(
            f"secondary, chosen after the fact: worst held-out orientation {worst['orientation']} (largest final "
            f"error): success difference to {summary['reference']} {_est(worst['success_difference'], signed=True)}"
        )
    exact = summary["exactness"]
    lines.append(
        "max |paired difference| across orientations: "
        + ", ".join(f"{k} {_num(v, '.2g')}" for k, v in exact["max_abs_paired_difference"].items())
        + f"; max closed-loop residual {_num(exact['max_residual'], '.2e')}"
    )
    return "\n".join(lines)


def _group_key(summary: dict[str, Any]) -> tuple:
    return (summary["label"], summary["env"], summary["task"], _mode(summary), task_set(summary))


def _aggregate(group: list[dict[str, Any]], reps: int) -> dict[str, Any]:
    """Figures of one agent: its single run's, or across several runs (seeds): success as the mean over
    runs x tasks (``stats.across_seeds``: an interquartile mean would trim every failure away), final
    errors as the interquartile mean with stratified-bootstrap intervals (rliable's method)."""
    first = group[0]
    row: dict[str, Any] = {"label": first["label"], "env": first["env"], "task": first["task"], "mode": _mode(first),
                           "unit": first["unit"], "runs": len(group)}  # fmt: skip
    exact = [s["exactness"] for s in group]
    row["max_paired"] = max((e["max_abs_paired_difference"]["pos_error"] or 0.0) for e in exact)
    residuals = [e["max_residual"] for e in exact if e["max_residual"] is not None]
    row["residual"] = max(residuals) if residuals else None
    plan_ms = [o["plan_ms"]["mean"] for s in group for o in s["orientations"].values() if o["plan_ms"]["mean"]]
    row["plan_ms"] = float(np.mean(plan_ms)) if plan_ms else None
    for key, names in (("coverage_seen", "seen"), ("coverage_held", "heldout")):  # mean final coverage
        means = [s["orientations"][n]["coverage"]["mean"] for s in group for n in s.get(names, [])
                 if s["orientations"].get(n, {}).get("coverage", {}).get("mean") is not None]  # fmt: skip
        row[key] = float(np.mean(means)) if means else None
    if any("headline" not in s for s in group):
        if len(group) == 1 and "seen_only" in first:  # a run of seen orientations only: their success alone
            row.update(seen=first["seen_only"]["success"], err_seen=first["seen_only"]["pos_error"], statistic="mean")
        return row
    if len(group) == 1:
        head, error = first["headline"], first["error"]
        row.update(seen=head["seen"], heldout=head["heldout"], gap=head["difference"], err_seen=error["seen"],
                   err_held=error["heldout"], ood=error["ood_factor"], statistic="mean")  # fmt: skip
        return row
    tasks = [tuple(s["per_task"]["task"]) for s in group]
    if len(set(tasks)) != 1:
        raise ValueError(f"folders: the runs of {first['label']!r} used different tasks; aggregate runs of one config")

    def matrix(key: str) -> np.ndarray:
        return np.array([s["per_task"][key] for s in group], dtype=float)  # (runs, tasks)

    success = stats.across_seeds(matrix("seen_success"), matrix("heldout_success"), reps=reps)
    row.update(
        seen=success["seen"].to_json(),
        heldout=success["heldout"].to_json(),
        gap=success["gap"].to_json(),
        err_seen=stats.stratified_bootstrap(matrix("seen_error"), reps=reps).to_json(),
        err_held=stats.stratified_bootstrap(matrix("heldout_error"), reps=reps).to_json(),
        ood=float(np.median([s["error"]["ood_factor"] for s in group if s["error"]["ood_factor"] is not None])),
        statistic="IQM",
    )  # fmt: skip
    return row


@dataclass(frozen=True)
class Column:
    """A column of the comparison: the row's field it shows, its header, its width in the printed table, and how
    its cell reads (``kind``: text, count, estimate, difference, error, number with ``spec``, coverage). The printed
    table and the results page (``agents.benchmark.page``) both draw their cells from here."""

    field: str
    header: str
    width: int
    kind: str
    spec: str = ""
    left: bool = False
    clip: bool = False

    def text(self, row: dict[str, Any]) -> str:
        """The cell of ``row`` (an entry of ``comparison_rows``), unpadded."""
        value = row.get(self.field)
        if self.kind in ("text", "count"):
            return str(value)
        if self.kind in ("estimate", "difference"):
            return _est(value, signed=self.kind == "difference")
        if self.kind == "error":
            return "n/a" if not value or value.get("mean") is None else f"{value['mean']:.4g} {row['unit']}"
        if self.kind == "coverage":
            return _coverage(row)
        return _num(value, self.spec)

    def estimate(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The named estimate behind the cell (``{mean, low, high, n, method}``), or None for a plain value."""
        value = row.get(self.field)
        return value if self.kind in ("estimate", "difference", "error") and isinstance(value, dict) else None

    def value(self, row: dict[str, Any]) -> float | str | None:
        """What the cell sorts by: the text of a text column, else the number (an estimate's mean)."""
        if self.kind == "text":
            return str(row.get(self.field))
        if self.kind == "coverage":
            return row.get("coverage_seen")
        estimate = self.estimate(row)
        return estimate.get("mean") if estimate is not None else row.get(self.field)

    def pad(self, text: str) -> str:
        """``text`` clipped (label columns) and padded to the printed table's width."""
        text = text[: self.width] if self.clip else text
        return text.ljust(self.width) if self.left else text.rjust(self.width)


COLUMNS: tuple[Column, ...] = (
    Column("label", "agent", 34, "text", left=True, clip=True),
    Column("env", "env", 12, "text", left=True, clip=True),
    Column("task", "task", 5, "text", clip=True),
    Column("mode", "mode", 7, "text", clip=True),
    Column("runs", "runs", 4, "count"),
    Column("seen", "success seen [95% CI]", 22, "estimate"),
    Column("heldout", "success held-out", 20, "estimate"),
    Column("gap", "held - seen, paired", 22, "difference"),
    Column("err_seen", "error seen", 10, "error"),
    Column("err_held", "error held", 10, "error"),
    Column("ood", "OOD", 6, "number", ".3g"),
    Column("coverage", "coverage", 11, "coverage"),
    Column("max_paired", "max paired", 10, "number", ".2g"),
    Column("residual", "residual", 8, "number", ".1e"),
    Column("plan_ms", "ms/step", 7, "number", ".1f"),
)
"""The comparison's columns, in order."""

COMPARISON_NOTE = (
    "success: pooled per task over the seen orientations (the slice; on the ladder the identity) and over the "
    "held-out ones, Wilson 95% intervals; held - seen: paired by task, Newcombe interval. With several runs "
    "(seeds) of one agent: success is the mean over runs x tasks, its 95% interval the union of a bootstrap "
    "over runs and tasks and the Wilson/Newcombe interval of the per-task means; errors the interquartile "
    "mean with stratified-bootstrap intervals (rliable's method). OOD: final error held-out / seen; coverage: "
    "mean final coverage of the goal T, seen / held-out (the pusht task's measure); max "
    "paired: largest |difference| of a task's final error between orientations; residual: closed loop, "
    "relative."
)
"""What the comparison's figures are (printed under the table, shown under the page's)."""


def comparison_groups(summaries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The summaries grouped as the comparison groups them: runs that share a label, env, task, mode and task set
    are seeds of one agent (first-seen order)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for s in summaries:
        groups[_group_key(s)].append(s)
    return list(groups.values())


def comparison_row(group: list[dict[str, Any]], reps: int = 2000) -> dict[str, Any]:
    """The comparison's figures of one group (``comparison_groups``); a validation run's label says so, so that
    tuning runs are never mistaken for a table's (test) rows."""
    row = _aggregate(group, reps)
    row["task_set"] = task_set(group[0])
    if row["task_set"] == "validation":
        row["label"] = f"[validation] {row['label']}"
    return row


def format_comparison(summaries: list[dict[str, Any]], reps: int = 2000) -> str:
    """One line per agent: success at the seen and the held-out orientations and their paired difference
    (the headline), the final error in the env's unit, the OOD factor and the exactness figures. Runs that
    share a label, env, task and mode are seeds of one agent and are aggregated (IQM over runs x tasks)."""
    header = " ".join(column.pad(column.header) for column in COLUMNS)
    lines = [header, "-" * len(header)]
    for group in comparison_groups(summaries):
        row = comparison_row(group, reps)
        lines.append(" ".join(column.pad(column.text(row)) for column in COLUMNS))
    lines.append(COMPARISON_NOTE)
    return "\n".join(lines)


def compare(config: CompareConfig) -> str:
    """The comparison table of the finished runs in ``config.folders``."""
    return format_comparison([load_summary(folder) for folder in config.folders], reps=config.reps)
