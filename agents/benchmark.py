"""Benchmark any agent across orientations: paired episodes, per-orientation metrics with 95% CIs, videos.

    eqbench --env EqPushT-v0 --env-kwargs '{"task": "push"}' --agent planner:runs/vn_explicit.pt \\
            --orientations slice,heldout --tasks 8 --out runs/bench/vn      (also python -m agents.benchmark)

Paired design: the same K canonical base tasks (env reset seeds) and agent seeds at every orientation, so
per-task differences between orientations measure the orientation alone. Orientations are evaluated
together: one env per orientation, stepped in lockstep, and agents that plan in batches (``act_batch``)
plan for all of them in one pass.

Writes, under ``--out``:

* ``rows.jsonl`` and ``rows.csv``: one row per (orientation, task): env id and kwargs, seeds, success,
  coverage (2D), final position and angle errors, return, steps, planning time per step, and the
  closed-loop equivariance residual ``max_t |obs_g(t) - act_obs(g, obs_e(t))| / max |obs_e|`` against
  the same task at the identity;
* ``summary.json``: per orientation, means with 95% bootstrap CIs (``scipy.stats.bootstrap``), paired
  differences to the seen reference orientation with CIs, and the OOD factor (final position error,
  worst held-out orientation over the seen ones);
* ``polar.png`` (success and error by orientation) and the printed table;
* videos of the first ``--videos`` tasks under ``--video-dir``: one mp4 per orientation (success or failure
  in the name) and a labelled mosaic of all orientations.

Resumable: rows are rewritten atomically after every task, and a rerun skips the (orientation, task) pairs
already there. Same config, same rows, bit for bit (timings aside). ``python -m agents compare DIR ...``
prints one table of several finished runs; ``run_benchmark(config, agent=obj)`` benchmarks a Python object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.agents import as_agent, make_agent
from agents.cli import add_config_arguments, config_from_args
from eqenvs.files import atomic_path, write_json
from eqenvs.groups import GroupElement
from eqenvs.splits import get_split, group_of, orientations
from eqenvs.video import mosaic, write_video

__all__ = ["BenchConfig", "main", "run_benchmark", "summarise"]

METRICS = ("success", "pos_error", "angle_error", "return", "steps", "coverage", "residual", "plan_ms")


@dataclass(frozen=True)
class BenchConfig:
    env: str = "EqPushT-v0"
    """Environment id."""
    env_kwargs: dict[str, Any] = field(default_factory=lambda: {"task": "push"})
    """Environment kwargs (JSON), e.g. {"task": "pose", "orientation_mode": "physics"}."""
    agent: str = "scripted"
    """Agent spec: planner:<ckpt>[,k=v], sb3:<algo>:<zip>, callable:<module>:<function>, scripted, random."""
    label: str = ""
    """Name of the agent in tables and file names (default: the spec)."""
    orientations: str = "slice,heldout"
    """Comma-separated split names (their grids; 3D also "ladder") and/or angles in degrees (yaw in 3D)."""
    per_split: int = 0
    """Orientations per split (0: the split's default grid)."""
    tasks: int = 8
    """K base tasks (env reset seeds seed*1000 + k), the same at every orientation."""
    seed: int = 0
    """Seeds the base tasks and the agent."""
    max_steps: int = 100
    """Episode length cap."""
    videos: int = 1
    """Record the first N tasks (0: none)."""
    video_dir: str = "videos"
    """Folder for the videos."""
    out: str = "runs/bench"
    """Folder for rows, summary and plot."""
    batched: bool = True
    """Step all orientations of a task together (and plan them in one batch)."""

    def __post_init__(self) -> None:
        if not isinstance(self.env_kwargs, dict):
            raise ValueError(f"env_kwargs: expected a JSON object, got {self.env_kwargs!r}")
        if "orientation" in self.env_kwargs:
            raise ValueError("env_kwargs: 'orientation' is set by --orientations, not by the env kwargs")
        for name in ("tasks", "max_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.videos < 0 or self.per_split < 0:
            raise ValueError("videos, per_split: must be >= 0")

    @property
    def name(self) -> str:
        return self.label or self.agent


# --------------------------------------------------------------------------- orientations
def parse_orientations(config: BenchConfig) -> list[tuple[str, str, GroupElement]]:
    """``[(name, split, element)]`` from the ``orientations`` field."""
    group = group_of(config.env)
    out: list[tuple[str, str, GroupElement]] = []
    n = config.per_split or None
    for token in (t.strip() for t in config.orientations.split(",") if t.strip()):
        if token == "ladder":
            for rung, elements in orientations(config.env, "ladder", n=n or 2, seed=config.seed).items():
                out += [(f"{rung}-{i}", rung, g) for i, g in enumerate(elements)]
            continue
        try:
            degrees = float(token)
        except ValueError:
            try:
                grid = orientations(config.env, token, n=n, seed=config.seed)
            except ValueError as err:
                raise ValueError(f"orientations: {token!r} is neither an angle nor a split ({err})") from None
            out += [(_angle_name(g), token, g) for g in grid]
            continue
        g = group.parse(math.radians(degrees))
        out.append((_angle_name(g), _split_of(config.env, g), g))
    if not out:
        raise ValueError("orientations: no orientation given")
    names = [name for name, _, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"orientations: repeated orientations {names}")
    return out


def _angle_name(g: GroupElement) -> str:
    r = g.rotation
    return f"{math.degrees(math.atan2(r[1, 0], r[0, 0])) % 360:g}deg"


def _split_of(env_id: str, g: GroupElement) -> str:
    return "slice" if get_split(env_id, "slice").contains(g) else "heldout"


# --------------------------------------------------------------------------- episodes
def _make_env(config: BenchConfig, g: GroupElement, render: bool) -> gym.Env:
    kwargs = dict(config.env_kwargs)
    if render:
        kwargs["render_mode"] = "rgb_array"
    try:
        return gym.make(config.env, orientation=g, max_episode_steps=config.max_steps, **kwargs)
    except TypeError as err:  # an unknown keyword
        raise ValueError(f"env_kwargs: {err}") from None


def _run_task(config: BenchConfig, agent: Any, envs: list[gym.Env], task: int, record: bool) -> list[dict]:
    """One base task at every orientation (``envs``, index 0 = the identity reference); a dict per env.

    Batched agents step every env in lockstep and plan for all of them at once (finished envs keep being
    planned for, so each plan depends on its own state only); other agents run one episode per env, each
    from ``reset(seed)``: either way, every orientation gets the same paired episode.
    """
    seed = config.seed * 1000 + task
    if config.batched and hasattr(agent, "act_batch"):
        return _lockstep(agent, envs, seed, record)
    return [_lockstep(_Single(agent), [env], seed, record)[0] for env in envs]


class _Single:
    """A one-env batch of a plain agent."""

    def __init__(self, agent: Any):
        self.agent = agent

    def reset(self, seed: int) -> None:
        self.agent.reset(seed)

    def act_batch(self, obs: np.ndarray) -> list:
        return [self.agent.act(obs[0])]


def _lockstep(agent: Any, envs: list[gym.Env], seed: int, record: bool) -> list[dict]:
    agent.reset(seed)
    n = len(envs)
    obs = [env.reset(seed=seed)[0] for env in envs]
    traces = [[o] for o in obs]
    frames: list[list[np.ndarray]] = [[env.render()] if record else [] for env in envs]
    rewards, done, info = np.zeros(n), np.zeros(n, bool), [{} for _ in envs]
    steps, plan_seconds = np.zeros(n, int), np.zeros(n)
    while not done.all():
        started = time.perf_counter()
        actions = agent.act_batch(_stack(obs))
        plan_seconds[~done] += (time.perf_counter() - started) / n
        for i, env in enumerate(envs):
            if done[i]:
                continue
            obs[i], reward, terminated, truncated, info[i] = env.step(actions[i])
            traces[i].append(obs[i])
            rewards[i] += reward
            steps[i] += 1
            done[i] = terminated or truncated
            if record:
                frames[i].append(env.render())
    return [{"trace": traces[i], "return": rewards[i], "steps": int(steps[i]), "info": info[i],
             "plan_ms": 1e3 * plan_seconds[i] / max(steps[i], 1), "frames": frames[i]} for i in range(n)]  # fmt: skip


def _stack(obs: list) -> Any:
    if isinstance(obs[0], dict):
        return {k: np.stack([o[k] for o in obs]) for k in obs[0]}
    return np.stack(obs)


def _residual(symmetry: Any, g: GroupElement, trace: list, reference: list) -> float:
    if not isinstance(trace[0], np.ndarray) or trace[0].dtype.kind != "f":
        return math.nan  # pixel observations: no state to compare
    n = min(len(trace), len(reference))
    expected = symmetry.act_obs(g, np.stack(reference[:n]))
    scale = float(np.abs(np.stack(reference[:n])).max())
    return float(np.abs(np.stack(trace[:n]) - expected).max()) / scale


# --------------------------------------------------------------------------- files
def _read_rows(path: Path, run: dict[str, Any]) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # cannot happen with atomic writes; tolerate a hand-edited file
    for row in rows:
        if row.get("run") != run:
            raise ValueError(f"out: {path} holds rows of a different run ({row.get('run')}); use another --out")
    return rows


def _run_identity(config: BenchConfig) -> dict[str, Any]:
    """What makes rows of one run: a resumed run must match it. The agent's file (checkpoint, SB3 zip) is
    fingerprinted, so rows of a retrained model at the same path are never mixed with new ones."""
    identity = {"env": config.env, "env_kwargs": config.env_kwargs, "agent": config.agent, "seed": config.seed,
                "max_steps": config.max_steps}  # fmt: skip
    kind, _, rest = config.agent.partition(":")
    path = {"planner": rest.split(",")[0], "sb3": rest.partition(":")[2]}.get(kind)
    if path and Path(path).is_file():
        identity["agent_sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return identity


def _write_rows(folder: Path, rows: list[dict]) -> None:
    with atomic_path(folder / "rows.jsonl") as tmp:
        tmp.write_text("".join(json.dumps(row, sort_keys=True) + "\n" for row in rows))
    columns = ["orientation", "split", "task", "env_seed", "agent_seed", *METRICS, "label"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_path(folder / "rows.csv") as tmp:
        tmp.write_text(buffer.getvalue())


# --------------------------------------------------------------------------- the run
def run_benchmark(config: BenchConfig, progress: bool = True, agent: Any = None) -> dict[str, Any]:
    """Run (or resume) a benchmark; returns the summary (also written to ``summary.json``).

    ``agent``: a Python object to benchmark instead of ``config.agent``'s spec — anything with
    ``reset(seed)`` and ``act(obs)``, a stable-baselines3 model, or a function ``obs -> action``
    (``config.label`` names it; rows record its spec as ``python:<type name>``).
    """
    if agent is not None:
        config = replace(config, agent=f"python:{type(agent).__name__}")
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"out: cannot create {out} ({err})") from None
    targets = parse_orientations(config)
    group = group_of(config.env)
    identity = group.identity()
    run = _run_identity(config)
    rows = _read_rows(out / "rows.jsonl", run)
    finished = {(row["orientation"], row["task"]) for row in rows}
    envs = [_make_env(config, identity, config.videos > 0)] + [_make_env(config, g, config.videos > 0)
                                                                for _, _, g in targets]  # fmt: skip
    symmetry = envs[0].unwrapped.symmetry
    agent = make_agent(config.agent, envs[0], config.name) if agent is None else as_agent(agent, config.name)
    video_folder = Path(config.video_dir) / out.name
    started = time.perf_counter()
    for task in tqdm(range(config.tasks), desc=f"eqbench {config.name}", disable=not progress):
        if all((name, task) in finished for name, _, _ in targets):
            continue
        record = task < config.videos
        results = _run_task(config, agent, envs, task, record)
        reference = results[0]["trace"]
        for (name, split, g), result in zip(targets, results[1:], strict=True):
            info = result["info"]
            row = {
                "run": run, "label": config.name, "orientation": name, "split": split,
                "orientation_element": g.to_json(), "task": task, "env_seed": config.seed * 1000 + task,
                "agent_seed": config.seed * 1000 + task, "success": float(bool(info.get("is_success", False))),
                "pos_error": float(info.get("pos_error_px", info.get("pos_error_m", math.nan))),
                "angle_error": float(info.get("angle_error_rad", math.nan)),
                "coverage": float(info.get("coverage", math.nan)), "return": float(result["return"]),
                "steps": result["steps"], "plan_ms": result["plan_ms"],
                "residual": _residual(symmetry, g, result["trace"], reference),
            }  # fmt: skip
            rows = [r for r in rows if (r["orientation"], r["task"]) != (name, task)] + [row]
            if record:
                outcome = "success" if row["success"] else "failure"
                write_video(video_folder / f"task{task}_{name}_{outcome}.mp4", result["frames"], fps=10)
        if record:
            labels = [f"{name} {'ok' if r['info'].get('is_success') else 'fail'}" for (name, _, _), r in
                      zip(targets, results[1:], strict=True)]  # fmt: skip
            write_video(video_folder / f"task{task}_mosaic.mp4", mosaic([r["frames"] for r in results[1:]], labels), 10)
        rows.sort(key=lambda r: (r["task"], r["orientation"]))
        _write_rows(out, rows)
    summary = summarise(rows, [name for name, _, _ in targets], config)
    summary["seconds"] = time.perf_counter() - started
    write_json(out / "summary.json", summary)
    plot_summary(summary, out / "polar.png")
    return summary


# --------------------------------------------------------------------------- statistics
def _ci(values: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Mean and 95% bootstrap CI (percentile) of ``values``; degenerate samples give a zero-width CI."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2 or np.all(values == values[0]):
        return mean, mean, mean
    from scipy.stats import bootstrap

    result = bootstrap((values,), np.mean, confidence_level=0.95, n_resamples=2000, method="percentile",
                       random_state=np.random.default_rng(seed))  # fmt: skip
    return mean, float(result.confidence_interval.low), float(result.confidence_interval.high)


def summarise(rows: list[dict], names: list[str], config: BenchConfig) -> dict[str, Any]:
    """Per orientation: metric means with 95% CIs, paired differences to the seen reference, OOD factor."""
    by_name = {name: sorted((r for r in rows if r["orientation"] == name), key=lambda r: r["task"]) for name in names}
    splits = {name: by_name[name][0]["split"] for name in names if by_name[name]}
    seen = [n for n in names if splits.get(n) == "slice"] or names[:1]
    reference = seen[0]
    per = {}
    for name in names:
        entries = by_name[name]
        if not entries:
            continue
        stats = {m: _ci(np.array([r[m] for r in entries], float), config.seed) for m in METRICS}
        paired = {}
        for m in ("success", "pos_error", "angle_error", "return"):
            ref = {r["task"]: r[m] for r in by_name[reference]}
            diffs = np.array([r[m] - ref[r["task"]] for r in entries if r["task"] in ref], float)
            largest = float(np.abs(diffs).max()) if len(diffs) else math.nan
            paired[m] = (*_ci(diffs, config.seed), largest)  # mean, CI low, CI high, max |difference|
        per[name] = {"split": splits[name], "n": len(entries), "mean_ci": stats, "paired_vs_reference": paired}
    seen_error = np.mean([per[n]["mean_ci"]["pos_error"][0] for n in seen if n in per])
    held = [n for n in names if splits.get(n) not in (None, "slice") and n in per]
    worst = max(held, key=lambda n: per[n]["mean_ci"]["pos_error"][0]) if held else None
    residuals = [r["residual"] for r in rows if math.isfinite(r["residual"])]
    max_paired = {m: max((per[n]["paired_vs_reference"][m][3] for n in per), default=math.nan)
                  for m in ("success", "pos_error", "angle_error", "return")}  # fmt: skip
    return {
        "config": asdict(config), "label": config.name, "orientations": per, "reference": reference,
        "seen": seen, "worst_heldout": worst,
        "ood_factor_pos_error": (per[worst]["mean_ci"]["pos_error"][0] / seen_error) if worst else None,
        "ood_gap_success": per[worst]["paired_vs_reference"]["success"] if worst else None,
        "max_abs_paired_difference": max_paired,
        "max_residual": max(residuals) if residuals else None,
        "success_rate": float(np.mean([r["success"] for r in rows])) if rows else None,
    }  # fmt: skip


def format_summary(summary: dict[str, Any]) -> str:
    """The printed table of one benchmark run."""
    unit = "px" if summary["config"]["env"] == "EqPushT-v0" else "m"
    lines = [f"{summary['label']} on {summary['config']['env']} {summary['config']['env_kwargs']}: "
             f"{summary['config']['tasks']} paired tasks per orientation"]  # fmt: skip
    header = (f"{'orientation':>14s} {'split':>8s} {'success [95% CI]':>20s} {f'final error {unit} [CI]':>28s} "
              f"{'angle rad':>9s} {'return':>7s} {'steps':>6s} {'residual':>9s} {'plan ms':>8s}")  # fmt: skip
    lines += [header, "-" * len(header)]
    for name, o in summary["orientations"].items():
        s, e = o["mean_ci"]["success"], o["mean_ci"]["pos_error"]
        lines.append(
            f"{name:>14s} {o['split']:>8s} {s[0]:6.2f} [{s[1]:.2f}, {s[2]:.2f}]".ljust(46)
            + f"{e[0]:10.4g} [{e[1]:.4g}, {e[2]:.4g}]".rjust(28)
            + f" {o['mean_ci']['angle_error'][0]:9.3f} {o['mean_ci']['return'][0]:7.2f} {o['mean_ci']['steps'][0]:6.1f}"
            f" {o['mean_ci']['residual'][0]:9.1e} {o['mean_ci']['plan_ms'][0]:8.1f}"
        )
    gap = summary["ood_gap_success"]
    ood = summary["ood_factor_pos_error"]
    lines.append(f"OOD factor (final error, worst held-out / seen): {_g(ood, '.4g')}; "
                 f"success gap worst held-out vs {summary['reference']}: "
                 + (f"{gap[0]:+.2f} [{gap[1]:+.2f}, {gap[2]:+.2f}]" if gap else "n/a"))  # fmt: skip
    lines.append("max |paired difference| across orientations: "
                 + ", ".join(f"{k} {v:.2g}" for k, v in summary["max_abs_paired_difference"].items())
                 + f"; max closed-loop residual {_g(summary['max_residual'], '.2e')}")  # fmt: skip
    return "\n".join(lines)


def _g(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def load_summary(folder: str | Path) -> dict[str, Any]:
    """The ``summary.json`` a benchmark run wrote under ``folder``."""
    path = Path(folder) / "summary.json"
    if not path.is_file():
        raise ValueError(f"folder: {str(folder)!r} holds no summary.json (not a finished benchmark run)")
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"folder: {str(path)!r} is not valid JSON ({err})") from None
    if not isinstance(summary, dict) or "orientations" not in summary or "config" not in summary:
        raise ValueError(f"folder: {str(path)!r} is not a benchmark summary")
    return summary


def _split_mean(summary: dict[str, Any], metric: str, seen: bool) -> float:
    """Mean of ``metric`` over the seen orientations (the slice; the reference where none is in the slice,
    as on the SE(3) ladder) or over all the others."""
    values = [o["mean_ci"][metric][0] for n, o in summary["orientations"].items() if (n in summary["seen"]) == seen]
    return float(np.mean(values)) if values else math.nan


def format_comparison(summaries: list[dict[str, Any]]) -> str:
    """One line per benchmark run: success and final error at the seen orientations and the others, the OOD
    gap with its CI, and the exactness figures (largest paired difference of the final error, closed-loop
    residual)."""
    header = (f"{'agent':36s} {'task':>6s} {'succ seen':>10s} {'succ held':>9s} {'gap worst held [95% CI]':>24s} "
              f"{'err seen':>9s} {'err held':>9s} {'OOD':>6s} {'cov held':>8s} {'max paired':>10s} "
              f"{'residual':>8s} {'ms/step':>7s}")  # fmt: skip
    lines = [header, "-" * len(header)]
    for s in summaries:
        gap, ood = s["ood_gap_success"], s["ood_factor_pos_error"]
        mode = s["config"]["env_kwargs"].get("orientation_mode", "frame")
        label = s["label"] if mode == "frame" else f"{s['label']} [{mode}]"
        plan_ms = np.mean([o["mean_ci"]["plan_ms"][0] for o in s["orientations"].values()])
        lines.append(
            f"{label[:36]:36s} {s['config']['env_kwargs'].get('task', '-'):>6s} "
            f"{_split_mean(s, 'success', True):10.2f} {_split_mean(s, 'success', False):9.2f} "
            + (f"{gap[0]:+.2f} [{gap[1]:+.2f}, {gap[2]:+.2f}]" if gap else "n/a").rjust(24)
            + f" {_split_mean(s, 'pos_error', True):9.4g} {_split_mean(s, 'pos_error', False):9.4g} "
            f"{_g(ood, '6.3g')} {_split_mean(s, 'coverage', False):8.3f} "
            f"{s['max_abs_paired_difference']['pos_error']:10.2g} {_g(s['max_residual'], '8.1e')} {plan_ms:7.1f}"
        )
    lines.append("succ/err seen and held: means over the seen orientations (the slice; else the reference) and over "
                 "the others; gap: success at the worst held-out orientation minus the reference, paired; OOD: its "
                 "final error / the seen ones'; max paired: largest |difference| of a task's final error between "
                 "orientations; residual: closed loop, relative")  # fmt: skip
    return "\n".join(lines)


def compare_main(argv: list[str] | None = None) -> int:
    """``python -m agents compare DIR [DIR ...]``: the comparison table of finished benchmark runs."""
    parser = argparse.ArgumentParser(prog="python -m agents compare", description=format_comparison.__doc__)
    parser.add_argument("folders", nargs="+", help="benchmark output folders (their --out)")
    args = parser.parse_args(argv)
    try:
        summaries = [load_summary(folder) for folder in args.folders]
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_comparison(summaries))
    return 0


def plot_summary(summary: dict[str, Any], path: Path) -> None:
    """Success rate and final error by orientation: polar for yaw orientations, bars otherwise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = summary["orientations"]
    names = list(per)
    angles = []
    for name in names:
        try:
            angles.append(math.radians(float(name.removesuffix("deg"))))
        except ValueError:
            angles = None
            break
    fig = plt.figure(figsize=(9.0, 4.2))
    for k, (metric, title) in enumerate((("success", "success rate"), ("pos_error", "final position error"))):
        values = np.array([per[n]["mean_ci"][metric][0] for n in names])
        if angles is not None:
            ax = fig.add_subplot(1, 2, k + 1, projection="polar")
            order = np.argsort(angles)
            a, v = np.array(angles)[order], values[order]
            ax.plot(np.append(a, a[0]), np.append(v, v[0]), marker="o")
            ax.axvspan(0, math.pi / 2, color="tab:green", alpha=0.12)
        else:
            ax = fig.add_subplot(1, 2, k + 1)
            ax.bar(range(len(names)), values)
            ax.set_xticks(range(len(names)), names, rotation=60, fontsize=7)
        ax.set_title(f"{summary['label']}: {title}", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eqbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_config_arguments(parser, BenchConfig)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(BenchConfig, args)
        summary = run_benchmark(config)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    print(f"wrote {Path(config.out) / 'rows.jsonl'}, rows.csv, summary.json, polar.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
