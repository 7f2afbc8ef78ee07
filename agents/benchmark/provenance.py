"""What produced a benchmark run: the command line and the package versions (recorded in ``summary.json``'s
``provenance`` when a run finishes), and, for any run, old ones too, the equivalent eqbench command and its seeds,
read back from the summary's config (the results page shows both)."""

from __future__ import annotations

import json
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from agents.seeds import bench_seed

__all__ = ["PACKAGES", "command_line", "eqbench_command", "record", "seeds_of"]

PACKAGES = ("eqenvs", "numpy", "torch", "gymnasium", "gym-pusht", "pymunk", "mujoco", "stable-baselines3")
"""The packages whose versions a run records (those that change its rows)."""
ROOT = Path(__file__).resolve().parents[2]


def command_line(argv: list[str] | None = None) -> str:
    """The command this process runs, as a user would type it: ``python -m agents bench ...`` for a module run
    with ``-m``, the script's name (``eqbench``) otherwise."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    program = Path(argv[0])
    if program.name == "__main__.py":  # python -m <package>: the package's dotted name
        parts, folder = [], program.resolve().parent
        while (folder / "__init__.py").is_file():
            parts.insert(0, folder.name)
            folder = folder.parent
        return shlex.join(["python", "-m", ".".join(parts), *argv[1:]])
    return shlex.join([program.name, *argv[1:]])


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The source tree's commit where it is a git checkout (an installed wheel has none)."""
    if not (ROOT / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def record() -> dict[str, Any]:
    """This process's provenance: its command line, Python, the platform, the versions of ``PACKAGES`` and the
    source's git commit (None where it is not a checkout)."""
    return {
        "command": command_line(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in PACKAGES},
        "git_commit": _git_commit(),
    }


def eqbench_command(config: dict[str, Any]) -> str:
    """The eqbench command that reruns a run from its summary's ``config`` (the flags that change rows, the label
    and the output folders; defaults of optional flags left out)."""
    args = ["eqbench", "--env", config["env"]]
    if config.get("task"):
        args += ["--task", config["task"]]
    if config.get("env_kwargs"):
        args += ["--env-kwargs", json.dumps(config["env_kwargs"], sort_keys=True)]
    args += ["--agent", config["agent"]]
    if config.get("label"):
        args += ["--label", config["label"]]
    args += ["--orientations", config["orientations"]]
    if config.get("per_split"):
        args += ["--per-split", str(config["per_split"])]
    args += ["--tasks", str(config["tasks"]), "--seed", str(config["seed"])]
    args += ["--task-set", config.get("task_set", "test"), "--max-steps", str(config["max_steps"])]
    args += ["--videos", str(config.get("videos", 0))]
    if config.get("video_dir"):
        args += ["--video-dir", config["video_dir"]]
    args += ["--out", config["out"]]
    if config.get("batched") is False:
        args.append("--no-batched")
    return shlex.join(args)


def seeds_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The run's task set and seeds: ``{"task_set", "seed", "tasks", "first", "last"}`` (the env reset seeds of its
    first and last task; the agent is seeded with the same)."""
    config = summary.get("config", {})
    task_set = config.get("task_set", "test")
    seed, tasks = int(config.get("seed", 0)), int(config.get("tasks", summary.get("tasks", 0)))
    first, last = bench_seed(task_set, seed, 0), bench_seed(task_set, seed, max(tasks - 1, 0))
    return {"task_set": task_set, "seed": seed, "tasks": tasks, "first": first, "last": last}
