"""Running a benchmark: validate everything, then run the shards (a task at every orientation), write rows,
summary, plot and videos. Shards run here, on local worker processes or on Ray (``agents.workers``); this
process is the one writer either way, so rows are the same and a killed run resumes."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agents.adapters import as_agent
from agents.benchmark import provenance
from agents.benchmark.episodes import make_env, residual, run_task, task_seed
from agents.benchmark.orientations import parse_orientations
from agents.benchmark.plots import plot_summary
from agents.benchmark.rows import make_row, read_rows, run_identity, write_rows
from agents.benchmark.summary import summarise
from agents.benchmark.tables import format_summary
from agents.benchmark.videos import write_task_videos
from agents.config import BenchConfig
from agents.specs import agent_files, make_agent
from agents.workers import check_ray, files_of, run_jobs, scratch, write_files
from eqenvs.files import write_json

__all__ = ["BenchRun", "run_and_print", "run_benchmark", "run_shard", "run_together"]


class _Episodes:
    """One process's envs (the identity reference, then every orientation) and agent for a config."""

    def __init__(self, config: BenchConfig, agent: Any = None):
        self.config = config
        self.targets = parse_orientations(config)
        record = config.videos > 0
        self.envs = [make_env(config, self.targets[0].element.identity(), record)]
        self.envs += [make_env(config, t.element, record) for t in self.targets]
        identity = self.envs[0]
        self.agent = make_agent(config.agent, identity, config.name) if agent is None else as_agent(agent, config.name)
        self.symmetry = identity.unwrapped.symmetry
        self.unit = getattr(getattr(identity.unwrapped, "scene", None), "translation_unit", "")

    def shard(self, run: dict[str, Any], task: int) -> dict[str, Any]:
        """Base task ``task`` at every orientation: its rows, and its videos as bytes (``files_of``)."""
        config = self.config
        recording = task < config.videos
        results = run_task(config, self.agent, self.envs, task, recording)
        reference = results[0]["trace"]
        rows = []
        for target, result in zip(self.targets, results[1:], strict=True):
            r = residual(self.symmetry, target.element, result["trace"], reference)
            rows.append(make_row(run, config.name, target, task, task_seed(config, task), result, r))
        videos = {}
        if recording:
            with scratch() as folder:
                write_task_videos(Path(folder), task, self.targets, results[1:])
                videos = files_of(folder)
        return {"task": task, "rows": rows, "videos": videos}

    def close(self) -> None:
        for env in self.envs:
            env.close()


_CACHE: dict[str, _Episodes] = {}
"""This process's envs and agents by config: a worker builds them once and reuses them for every shard."""
_CACHE_SIZE = 2


def _key(config: BenchConfig) -> str:
    return json.dumps(asdict(config), sort_keys=True, default=str)


def _remember(key: str, episodes: _Episodes) -> None:
    while len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE))).close()
    _CACHE[key] = episodes


def run_shard(config: BenchConfig, run: dict[str, Any], task: int) -> dict[str, Any]:
    """A job (``agents.workers``): task ``task`` of the run ``config`` at every orientation."""
    key = _key(config)
    if key not in _CACHE:
        _remember(key, _Episodes(config))
    return _CACHE[key].shard(run, task)


class BenchRun:
    """One benchmark run: validated on construction (orientations, env kwargs, agent, existing rows), nothing
    written until ``start``; ``accept`` takes a finished shard, ``finish`` writes the summary and plot."""

    def __init__(self, config: BenchConfig, agent: Any = None):
        if agent is not None:
            if config.parallel:
                raise ValueError("workers: a Python agent object runs in this process only; give --agent a spec "
                                 "(planner:, sb3:, callable:) to run on workers")  # fmt: skip
            config = replace(config, agent=f"python:{type(agent).__name__}")
        self.config = config
        episodes = _Episodes(config, agent)  # builds the envs and the agent: validates both
        self.targets, self.unit = episodes.targets, episodes.unit
        self.run = run_identity(config, [] if agent is not None else agent_files(config.agent))
        self.out = Path(config.out)
        self.rows = read_rows(self.out / "rows.jsonl", self.run)
        if config.parallel:
            episodes.close()
        else:
            _remember(_key(config), episodes)  # shards run here: keep these envs and this agent for them
        self.started = time.perf_counter()

    def pending(self) -> list[int]:
        """The tasks with an orientation still missing."""
        finished = {(row["orientation"], row["task"]) for row in self.rows}
        names = [t.name for t in self.targets]
        return [k for k in range(self.config.tasks) if not all((n, k) in finished for n in names)]

    def start(self) -> None:
        # the folders this run creates (its --out, the videos' folder and their missing parents), so that a run
        # that fails can remove those it leaves empty
        folders = [self.out, *self.out.parents, self.config.videos_folder, *self.config.videos_folder.parents]
        self.created = sorted({p for p in folders if not p.exists()}, key=lambda p: len(p.parts), reverse=True)
        self.out.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()

    def discard(self) -> None:
        """After a failure: remove the folders ``start`` created that are still empty (finished rows stay, so a
        rerun resumes; nothing that existed before the run is touched)."""
        for folder in getattr(self, "created", []):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def jobs(self) -> list[tuple]:
        return [(self.config, self.run, task) for task in self.pending()]

    def accept(self, shard: dict[str, Any]) -> None:
        """Write a finished shard: its videos, then every row so far (atomically; a rerun skips this task)."""
        write_files(self.config.videos_folder, shard["videos"])
        names = {row["orientation"] for row in shard["rows"]}
        self.rows = [x for x in self.rows if not (x["task"] == shard["task"] and x["orientation"] in names)]
        self.rows = sorted(self.rows + shard["rows"], key=lambda x: (x["task"], x["orientation"]))
        write_rows(self.out, self.rows)

    def finish(self) -> dict[str, Any]:
        summary = summarise(self.rows, self.targets, self.config, self.unit)
        summary["seconds"] = time.perf_counter() - self.started
        summary["provenance"] = provenance.record()  # the command and versions of the process that finished it
        write_json(self.out / "summary.json", summary)
        plot_summary(summary, self.out / "plot.png")
        episodes = _CACHE.pop(_key(self.config), None)
        if episodes is not None:
            episodes.close()
        return summary


def run_together(runs: list[BenchRun], workers: int = 1, ray: str = "", threads: int = 1, progress: bool = True,
                 desc: str = "eqbench") -> list[dict[str, Any]]:  # fmt: skip
    """The shards of several validated runs on one pool of workers; returns their summaries in order."""
    check_ray(ray)
    jobs, owners = [], []
    for run in runs:
        run.start()
        jobs += run.jobs()
        owners += [run] * (len(jobs) - len(owners))
    bar = tqdm(total=len(jobs), desc=desc, unit="task", disable=not progress)

    def accept(i: int, shard: dict[str, Any]) -> None:
        owners[i].accept(shard)
        bar.update()

    try:
        run_jobs(run_shard, jobs, accept, workers=workers, ray=ray, threads=threads)
    except BaseException:  # an agent's error, a dead worker, Ctrl-C: end the bar's line, leave no empty folder
        bar.close()
        for run in runs:
            run.discard()
        raise
    bar.close()
    return [run.finish() for run in runs]


def run_benchmark(config: BenchConfig, progress: bool = True, agent: Any = None) -> dict[str, Any]:
    """Run (or resume) a benchmark; returns the summary (also written to ``summary.json``).

    Everything is validated before anything is written: the orientations, the env kwargs, the agent (its
    spec, files, and that it fits the env), Ray and its address. ``agent``: a Python object to benchmark
    instead of ``config.agent``'s spec — anything with ``reset(seed)`` and ``act(obs)``, a stable-baselines3
    model, or a function ``obs -> action`` (``config.label`` names it; rows record its spec as
    ``python:<type name>``; it runs in this process). With ``config.workers > 1`` or ``config.ray`` the
    tasks run on workers and the rows are the same as a serial run's (timings aside).
    """
    run = BenchRun(config, agent)
    (summary,) = run_together([run], config.workers, config.ray, config.threads, progress, f"eqbench {run.config.name}")
    return summary


def run_and_print(config: BenchConfig) -> dict[str, Any]:
    """Run a benchmark with a progress bar, then print its table and what was written."""
    task = config.merged_env_kwargs.get("task")
    where = f" on {config.workers} workers" if config.workers > 1 and not config.ray else ""
    where = f" on Ray ({config.ray})" if config.ray else where
    print(f"eqbench: {config.name} on {config.env} task {task!r} with {config.merged_env_kwargs}{where}",
          file=sys.stderr)  # fmt: skip
    summary = run_benchmark(config)
    print(format_summary(summary))
    videos = f", videos in {config.videos_folder}" if config.videos else ""
    print(f"wrote {Path(config.out) / 'rows.jsonl'}, rows.csv, summary.json, plot.png{videos}")
    return summary
