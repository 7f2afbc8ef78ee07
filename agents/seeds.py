"""Which env seeds serve which purpose, so a figure is never measured on a start that was trained or tuned on.

=============  ======================  ==========================================================================
purpose        env seeds               who draws them
=============  ======================  ==========================================================================
test           [0, 10^8)               eqbench's tasks (the default ``--task-set test``): task k of ``--seed s``
                                       is env seed ``s * 1000 + k``; every table in the README
validation     [10^8, 10^9)            eqbench ``--task-set validation``: ``10^8 + s * 1000 + k``; every tuned
                                       default is chosen here (the tuning record in the README names each command)
training       [10^9, 4 * 10^9)        demonstrations and DAgger's rollouts (``agents.imitation``, from 10^9) and
                                       world-model data (``agents.data.collect``, from 2 * 10^9)
=============  ======================  ==========================================================================

The ranges are disjoint for every argument the commands accept (each checks its own bound), so no test task
is a validation task, and no benchmark start is a start that data, demonstrations or DAgger began from.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DATA_SEEDS",
    "MAX_BENCH_SEED",
    "MAX_BENCH_TASKS",
    "TRAINING_SEEDS",
    "VALIDATION_SEEDS",
    "TaskSet",
    "bench_seed",
]

TaskSet = Literal["test", "validation"]
VALIDATION_SEEDS = 100_000_000
"""eqbench's validation tasks start here; its test tasks lie below."""
TRAINING_SEEDS = 1_000_000_000
"""Demonstrations start here (DAgger's rollouts 500,000 above each seed's); nothing scored lies above."""
DATA_SEEDS = 2_000_000_000
"""World-model datasets (``agents.data.collect``): episode e of seed s starts from ``DATA_SEEDS + s * 100_003 + e``."""
MAX_BENCH_TASKS = 1000
"""Tasks per eqbench run at most: task k of seed s is ``s * 1000 + k``, so more would reach seed s + 1's tasks."""
MAX_BENCH_SEED = (VALIDATION_SEEDS // MAX_BENCH_TASKS) - 1
"""The largest eqbench seed whose test tasks stay below the validation range (99,999)."""


def bench_seed(task_set: str, seed: int, task: int) -> int:
    """The env reset seed (and agent seed) of eqbench's task ``task`` of ``seed`` in ``task_set``."""
    if task_set not in ("test", "validation"):
        raise ValueError(f"task_set: expected test or validation, got {task_set!r}")
    if not 0 <= seed <= MAX_BENCH_SEED or not 0 <= task < MAX_BENCH_TASKS:
        raise ValueError(f"seed, task: expected 0 <= seed <= {MAX_BENCH_SEED} and 0 <= task < {MAX_BENCH_TASKS}, "
                         f"got {seed}, {task}")  # fmt: skip
    return (VALIDATION_SEEDS if task_set == "validation" else 0) + seed * MAX_BENCH_TASKS + task
