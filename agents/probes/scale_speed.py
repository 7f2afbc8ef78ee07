"""How a benchmark scales out: serial vs local workers vs Ray on one planner benchmark, and a sweep's cost model.

    python -m agents scale-speed          # 17 orientations x 16 tasks of the shipped VN planner (~8 min, 2 cores)

Runs the same eqbench three times — in this process, on ``--workers`` spawned processes, on a local Ray
instance with as many CPUs — checks that the rows are identical (timings aside), and prints the wall times and
speed-ups. Then the costs a sweep pays per shard (a shard is one task at every orientation, planned in one
batch): the compute time per shard, the writer's time per shard (this process rewrites ``rows.jsonl``), and
the scheduling overhead of an empty job on local processes and on Ray. The cost model,

    wall(n nodes) = startup + ceil(shards / (n x cores)) x seconds per shard under load,

projects a study of agents x seeds x orientations x tasks (default 10 x 5 x 17 x 64: 3,200 shards) onto 1, 8
and 64 nodes like this machine. Writes every figure to ``<out>/scale.json``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from agents.benchmark.run import BenchRun, run_together
from agents.config import BenchConfig, ScaleSpeedConfig
from agents.probes.timing import cpu_description
from agents.workers import run_jobs
from eqenvs.files import write_json

__all__ = ["measure", "run"]


def _noop() -> None:
    return None


def _rows(folder: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "plan_ms"} for row in rows]


def _bench(config: ScaleSpeedConfig, name: str, workers: int, ray: str) -> dict[str, Any]:
    folder = Path(config.out) / name
    shutil.rmtree(folder, ignore_errors=True)  # a fresh run: a resume would time nothing
    bench = BenchConfig(agent=config.agent, task="push", orientations=config.orientations, tasks=config.tasks,
                        max_steps=config.max_steps, videos=0, out=str(folder), threads=config.threads,
                        workers=workers, ray=ray, label="scale-speed")  # fmt: skip
    run = BenchRun(bench)
    writes = []
    accept = run.accept

    def timed(shard: dict[str, Any]) -> None:
        started = time.perf_counter()
        accept(shard)
        writes.append(time.perf_counter() - started)

    run.accept = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    run_together([run], workers, ray, config.threads, progress=True, desc=f"scale-speed {name}")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "shards": config.tasks, "orientations": len(run.targets), "rows": _rows(folder),
            "write_seconds_per_shard": sum(writes) / len(writes)}  # fmt: skip


def _overhead(jobs: int, workers: int, ray: str) -> dict[str, float]:
    """Seconds to the first empty job's result (pool or Ray start-up), then seconds per empty job."""
    stamps: list[float] = []
    started = time.perf_counter()
    run_jobs(_noop, [()] * jobs, lambda i, r: stamps.append(time.perf_counter()), workers=workers, ray=ray)
    return {"startup_seconds": stamps[0] - started, "seconds_per_job": (stamps[-1] - stamps[0]) / max(jobs - 1, 1)}


def measure(config: ScaleSpeedConfig) -> dict[str, Any]:
    """Every figure (see the module docstring)."""
    runs = {"serial": _bench(config, "serial", 1, "")}
    runs[f"{config.workers} workers"] = _bench(config, "workers", config.workers, "")
    if config.ray:
        runs[f"Ray local, {config.workers} CPUs"] = _bench(config, "ray", config.workers, "local")
    serial, reference = runs["serial"], runs["serial"]["rows"]
    for entry in runs.values():
        entry["speedup"] = serial["seconds"] / entry["seconds"]
        entry["rows_identical"] = entry.pop("rows") == reference
    overhead = {"processes": _overhead(config.noop_jobs, config.workers, "")}
    if config.ray:
        overhead["ray"] = _overhead(config.noop_jobs, config.workers, "local")
    return {"runs": runs, "overhead": overhead, "projection": _project(config, runs, overhead),
            "cpu": cpu_description(), "config": {k: v for k, v in vars(config).items()}}  # fmt: skip


def _project(config: ScaleSpeedConfig, runs: dict[str, Any], overhead: dict[str, Any]) -> dict[str, Any]:
    """The study's wall time on n nodes like this one, from the fastest parallel run's seconds per shard."""
    agents, seeds, orientations, tasks = config.study
    shards = agents * seeds * tasks
    parallel = runs[f"Ray local, {config.workers} CPUs"] if config.ray else runs[f"{config.workers} workers"]
    where = overhead["ray"] if config.ray else overhead["processes"]
    startup = where["startup_seconds"]
    # a core's seconds per shard while every core is busy, scheduling and the first job's start-up included
    per_shard = (parallel["seconds"] - startup) * config.workers / parallel["shards"]
    per_shard *= orientations / parallel["orientations"]  # batched planning costs ~ linear in orientations
    cores = os.cpu_count() or 1
    walls = {n: startup + math.ceil(shards / (n * cores)) * per_shard for n in config.nodes}
    writer = runs["serial"]["write_seconds_per_shard"]
    return {
        "study": {"agents": agents, "seeds": seeds, "orientations": orientations, "tasks": tasks, "shards": shards},
        "cores_per_node": cores, "seconds_per_shard_under_load": per_shard, "startup_seconds": startup,
        "wall_seconds": walls, "writer_busy_fraction": {n: shards * writer / w for n, w in walls.items()},
    }  # fmt: skip


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def run(config: ScaleSpeedConfig) -> dict[str, Any]:
    """Measure, print, write ``<out>/scale.json`` (``python -m agents scale-speed``)."""
    r = measure(config)
    cpu = r["cpu"]
    some = next(iter(r["runs"].values()))
    print(f"machine: {cpu['model']}, {cpu['cores']} cores; {config.threads} torch thread(s) per process")
    print(f"eqbench {config.agent}: {some['orientations']} orientations x {config.tasks} tasks x {config.max_steps} "
          "steps (a shard: one task at every orientation, planned in one batch)")  # fmt: skip
    for name, entry in r["runs"].items():
        same = "rows identical to serial" if entry["rows_identical"] else "ROWS DIFFER FROM SERIAL"
        print(f"  {name:22s} {entry['seconds']:7.1f} s   speed-up x{entry['speedup']:.2f}   {same}")
    print(f"  writer (this process) per shard: {1e3 * r['runs']['serial']['write_seconds_per_shard']:.1f} ms")
    for name, o in r["overhead"].items():
        print(f"  {name:10s} start-up {o['startup_seconds']:5.2f} s, then {1e3 * o['seconds_per_job']:.2f} ms per "
              "empty job")  # fmt: skip
    p = r["projection"]
    s = p["study"]
    print(f"projected sweep: {s['agents']} agents x {s['seeds']} seeds x {s['orientations']} orientations x "
          f"{s['tasks']} tasks = {s['shards']:,d} shards of {p['seconds_per_shard_under_load']:.1f} core-seconds "
          f"each, nodes of {p['cores_per_node']} cores:")  # fmt: skip
    for n, wall in p["wall_seconds"].items():
        print(f"  {n:3d} node(s): {_hours(wall):>9s}   (writer busy {100 * p['writer_busy_fraction'][n]:.1f}%)")
    write_json(Path(config.out) / "scale.json", r)
    print(f"wrote {Path(config.out) / 'scale.json'}")
    return r
