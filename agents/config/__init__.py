"""Every command's configuration: frozen dataclasses whose fields (with one-line docs) are the command-line flags,
one module per subsystem.

``python -m agents`` and ``eqbench`` (``agents.cli``) turn these into command lines with tyro (help from the field
docs, ``Literal`` choices, ``--flag/--no-flag`` booleans). This package imports neither torch nor the envs, so
``--help`` is instant and a bad flag is refused before any work starts; each ``__post_init__`` validates its
values, output paths included, before a command does anything.

=================  ===========================================================================================
module             configs
=================  ===========================================================================================
``common``         ``Threads``, ``Workers`` (``--threads``, ``--workers``, ``--ray``), text parsers, env ids
``world_models``   collect, train, evaluate, report, pretrain
``benchmark``      eqbench (``BenchConfig``), sweep, compare, page
``imitation``      demos, bc
``rl``             sb3, curves
``paper``          paper
``primitives``     pusht-model
``probes``         plan-speed, optim-speed, scale-speed, vn-speed, bit-identity
``showcase``       story, demo
=================  ===========================================================================================

Threads: every command that runs torch takes ``--threads`` (default 1) and calls ``torch.set_num_threads``
before its work. One thread per process is the measured default: on a 2-core CPU two threads gain at most
~1.3x at these tensor sizes when the machine is idle, and torch's thread pool collapses (3.5-40x slower)
as soon as another process competes for the cores; parallelise across processes instead
(``python -m agents plan-speed`` measures both on the machine at hand).
"""

from __future__ import annotations

from agents.config.benchmark import BENCH_ENV_DEFAULTS, TASKS, BenchConfig, CompareConfig, PageConfig, SweepConfig
from agents.config.common import EnvId, JsonObject, Threads, Workers, json_object, parse_bool, ray_host_port
from agents.config.imitation import BCConfig, DemosConfig
from agents.config.paper import PAPER_BEGIN, PAPER_CLAIMS, PAPER_END, PaperConfig
from agents.config.primitives import PushtModelConfig
from agents.config.probes import (
    BitIdentityConfig,
    OptimSpeedConfig,
    PlanSpeedConfig,
    ScaleSpeedConfig,
    VNSpeedConfig,
)
from agents.config.rl import CurvesConfig, SB3Config
from agents.config.showcase import ShowcaseConfig, StoryConfig
from agents.config.world_models import (
    CollectConfig,
    EvaluateConfig,
    ModelKind,
    Optimizer,
    PretrainConfig,
    ReportConfig,
    TrainCommand,
    TrainConfig,
)

__all__ = [
    "BENCH_ENV_DEFAULTS",
    "PAPER_BEGIN",
    "PAPER_CLAIMS",
    "PAPER_END",
    "TASKS",
    "BCConfig",
    "BenchConfig",
    "BitIdentityConfig",
    "CollectConfig",
    "CompareConfig",
    "CurvesConfig",
    "DemosConfig",
    "EnvId",
    "EvaluateConfig",
    "JsonObject",
    "ModelKind",
    "OptimSpeedConfig",
    "Optimizer",
    "PageConfig",
    "PaperConfig",
    "PlanSpeedConfig",
    "PretrainConfig",
    "PushtModelConfig",
    "ReportConfig",
    "SB3Config",
    "ScaleSpeedConfig",
    "ShowcaseConfig",
    "StoryConfig",
    "SweepConfig",
    "Threads",
    "TrainCommand",
    "TrainConfig",
    "VNSpeedConfig",
    "Workers",
    "json_object",
    "parse_bool",
    "ray_host_port",
]
