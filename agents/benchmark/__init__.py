"""eqbench: benchmark any agent across orientations on paired tasks, with intervals a statistician accepts.

    eqbench --task push --agent planner:vn_explicit-push2d --orientations slice,heldout --out runs/bench/vn
    eqbench --task pose --agent sb3:ppo:runs/ppo.zip --orientations 0deg,90deg,210deg
    eqbench --task pusht --max-steps 300 --agent contact    # gym-pusht's task (the default), an oracle's run
    python -m agents compare runs/bench/vn runs/bench/mlp          (also python -m agents.benchmark)

Design. The same K canonical base tasks (env reset seeds ``seed*1000 + k``) and agent seeds are run at every
orientation, so a task's outcomes at two orientations differ by the orientation alone (a paired design;
the task is the unit of replication). All orientations of a task are stepped in lockstep, and agents that
plan in batches (``act_batch``) plan for all of them at once.

Statistics (``agents.stats``; every estimate is named ``{"mean", "low", "high", "n", "method"}``):

* per orientation: success with a Wilson 95% interval (valid for a proportion at any K, including 0/K and
  K/K), the continuous metrics with Student-t intervals;
* the headline, fixed before any result is seen: success over the held-out orientations minus success over
  the seen ones (the training slice; on the SE(3) ladder, the identity), each task's outcomes pooled over
  its orientations, paired by task: Newcombe's hybrid-score interval and a paired test (exact McNemar or
  Wilcoxon signed-rank); the same for the final position error, and the OOD factor (pooled held-out error
  over pooled seen error). A run with no orientation in the slice (e.g. ``--orientations heldout``) has no
  seen reference and no headline; its paired differences are against its first orientation;
* secondary, labelled as chosen after the fact: the worst held-out orientation (largest mean final error)
  and its paired success difference to the reference orientation;
* exactness: the largest |paired difference| of every metric across orientations, and the closed-loop
  residual ``max_t |obs_g(t) - act_obs(g, obs_e(t))| / max |obs_e|`` against the same task at the identity.

The default of 32 tasks gives success intervals about +-0.15 wide at 0.5 and [0, 0.11] at 0/32.

Files under ``--out``: ``rows.jsonl`` / ``rows.csv`` (one row per orientation and task), ``summary.json``
(schema version 2; standard JSON, ``null`` where a figure is undefined), ``plot.png`` (success and error by
orientation with intervals), and under ``<out>/videos`` the first ``--videos`` tasks: one mp4 per
orientation, named so they sort by orientation, and a labelled mosaic. Resumable: rows are rewritten
atomically after every task and a rerun skips the finished ones; same config, same rows, bit for bit
(timings aside). ``run_benchmark(config, agent=obj)`` benchmarks a Python object.
"""

from __future__ import annotations

from agents.benchmark.run import run_and_print, run_benchmark
from agents.benchmark.summary import SCHEMA_VERSION, load_summary, summarise
from agents.benchmark.tables import compare, format_comparison, format_summary
from agents.config import BenchConfig

__all__ = [
    "SCHEMA_VERSION",
    "BenchConfig",
    "compare",
    "format_comparison",
    "format_summary",
    "load_summary",
    "run_and_print",
    "run_benchmark",
    "summarise",
]
