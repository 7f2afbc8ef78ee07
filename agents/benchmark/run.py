"""Running a benchmark: validate everything, then step the tasks, write rows, summary, plot and videos."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agents.agents import agent_files, as_agent, make_agent
from agents.benchmark.episodes import make_env, residual, run_task, task_seed
from agents.benchmark.orientations import parse_orientations
from agents.benchmark.plots import plot_summary
from agents.benchmark.rows import make_row, read_rows, run_identity, write_rows
from agents.benchmark.summary import summarise
from agents.benchmark.tables import format_summary
from agents.benchmark.videos import write_task_videos
from agents.config import BenchConfig
from eqenvs.files import write_json

__all__ = ["main", "run_and_print", "run_benchmark"]


def run_benchmark(config: BenchConfig, progress: bool = True, agent: Any = None) -> dict[str, Any]:
    """Run (or resume) a benchmark; returns the summary (also written to ``summary.json``).

    Everything is validated before anything is written: the orientations, the env kwargs, the agent (its
    spec, files, and that it fits the env). ``agent``: a Python object to benchmark instead of
    ``config.agent``'s spec — anything with ``reset(seed)`` and ``act(obs)``, a stable-baselines3 model, or a
    function ``obs -> action`` (``config.label`` names it; rows record its spec as ``python:<type name>``).
    """
    if agent is not None:
        config = replace(config, agent=f"python:{type(agent).__name__}")
    targets = parse_orientations(config)
    record = config.videos > 0
    identity = make_env(config, targets[0].element.identity(), record)
    envs = [identity] + [make_env(config, t.element, record) for t in targets]
    if agent is None:
        agent = make_agent(config.agent, identity, config.name)
        files = agent_files(config.agent)
    else:
        agent, files = as_agent(agent, config.name), []
    symmetry = identity.unwrapped.symmetry
    unit = getattr(getattr(identity.unwrapped, "scene", None), "translation_unit", "")
    run = run_identity(config, files)
    out = Path(config.out)
    rows = read_rows(out / "rows.jsonl", run)
    out.mkdir(parents=True, exist_ok=True)
    finished = {(row["orientation"], row["task"]) for row in rows}
    started = time.perf_counter()
    bar = tqdm(range(config.tasks), desc=f"eqbench {config.name}", unit="task", disable=not progress)
    for task in bar:
        if all((t.name, task) in finished for t in targets):
            continue
        recording = task < config.videos
        results = run_task(config, agent, envs, task, recording)
        reference = results[0]["trace"]
        for target, result in zip(targets, results[1:], strict=True):
            r = residual(symmetry, target.element, result["trace"], reference)
            row = make_row(run, config.name, target, task, task_seed(config, task), result, r)
            rows = [x for x in rows if (x["orientation"], x["task"]) != (target.name, task)] + [row]
        if recording:
            bar.set_postfix_str(f"writing {len(targets) + 1} videos")
            write_task_videos(config.videos_folder, task, targets, results[1:])
            bar.set_postfix_str("")
        rows.sort(key=lambda x: (x["task"], x["orientation"]))
        write_rows(out, rows)
    summary = summarise(rows, targets, config, unit)
    summary["seconds"] = time.perf_counter() - started
    write_json(out / "summary.json", summary)
    plot_summary(summary, out / "plot.png")
    for env in envs:
        env.close()
    return summary


def run_and_print(config: BenchConfig) -> dict[str, Any]:
    """Run a benchmark with a progress bar, then print its table and what was written."""
    task = config.merged_env_kwargs.get("task")
    print(f"eqbench: {config.name} on {config.env} task {task!r} with {config.merged_env_kwargs}", file=sys.stderr)
    summary = run_benchmark(config)
    print(format_summary(summary))
    videos = f", videos in {config.videos_folder}" if config.videos else ""
    print(f"wrote {Path(config.out) / 'rows.jsonl'}, rows.csv, summary.json, plot.png{videos}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """``eqbench`` (also ``python -m agents.benchmark`` and ``python -m agents bench``)."""
    from agents.__main__ import parse, run_command

    return run_command(parse(argv, {"bench": BenchConfig}, prog="eqbench"))
