"""A sweep: agents x seeds benchmarked on one pool of workers, then one comparison aggregated over seeds.

    python -m agents sweep --agents planner:vn_explicit-push2d "sb3:ppo:runs/sb3/ppo_push_plain_s{seed}.zip" \\
        --labels "VN + MPC" "PPO plain" --task push --seeds 0 1 2 3 4 --workers 2 --out runs/sweep
    python -m agents sweep ... --ray                   # a local Ray instance
    python -m agents sweep ... --ray 10.0.0.1:6379     # a cluster (`ray start --head` on its head node)

Every (agent, seed) is an eqbench run in ``<out>/<label>_s<seed>`` (rows, summary, plot, as eqbench writes
them, resumable); the shards of all runs (a task at every orientation) share one pool, so the workers stay
busy to the end. Runs of one label are the seeds of one agent in the comparison (``python -m agents
compare``), which is printed and written to ``<out>/compare.txt``; the results page of every run (``python -m
agents page``) goes to ``<out>/page/index.html`` (``--no-page``: none).
"""

from __future__ import annotations

from pathlib import Path

from agents.benchmark.page import write_page
from agents.benchmark.run import BenchRun, run_together
from agents.benchmark.tables import format_comparison
from agents.config import SweepConfig
from eqenvs.files import atomic_path

__all__ = ["run_and_print", "run_sweep"]


def run_sweep(config: SweepConfig, progress: bool = True) -> str:
    """Validate every run (agents, files, Ray) before anything is written, run them, return the comparison."""
    runs = [BenchRun(c) for c in config.runs()]
    summaries = run_together(runs, config.workers, config.ray, config.threads, progress, "sweep")
    table = format_comparison(summaries, reps=config.reps)
    with atomic_path(Path(config.out) / "compare.txt") as tmp:
        tmp.write_text(table + "\n")
    if config.page:
        write_page([run.config.out for run in runs], Path(config.out) / "page", reps=config.reps)
    return table


def run_and_print(config: SweepConfig) -> None:
    """``python -m agents sweep``: run the sweep, print the comparison and what was written."""
    print(run_sweep(config))
    page = f" and the results page {config.out}/page/index.html" if config.page else ""
    print(f"wrote {config.out}/<label>_s<seed>/ per run, {config.out}/compare.txt{page}")
