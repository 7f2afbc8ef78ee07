"""The command line: one table of commands (``COMMANDS``: name, config, runner), the parser and the runner that
every entry point uses — ``python -m agents <command>`` (``agents/__main__.py``) and ``eqbench`` (the ``bench``
command alone).

A runner is named by ``"module:function"`` and imported only when its command runs, so ``--help`` never imports
torch or the envs. It takes the parsed config and prints what the command produced; a nonzero int it returns is
the exit code. ``USAGE`` is the help's overview.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

from agents.config import (
    BCConfig,
    BenchConfig,
    BitIdentityConfig,
    CollectConfig,
    CompareConfig,
    CurvesConfig,
    DemosConfig,
    EvaluateConfig,
    OptimSpeedConfig,
    PageConfig,
    PaperConfig,
    PlanSpeedConfig,
    PretrainConfig,
    PushtModelConfig,
    ReportConfig,
    SB3Config,
    ScaleSpeedConfig,
    ShowcaseConfig,
    StoryConfig,
    SweepConfig,
    Threads,
    TrainCommand,
    VNSpeedConfig,
)

__all__ = ["COMMANDS", "USAGE", "Command", "eqbench", "main", "parse", "run_command"]

USAGE = """python -m agents <command>: the world-model pipeline, baselines, benchmarks and the showcase.

    python -m agents story                 the main job: collect, train, plan at every orientation (~3 min)
    python -m agents collect    --out runs/push2d.npz --episodes 400
    python -m agents train      --data runs/push2d.npz --model vn_latent --out runs/vn_latent.pt
    python -m agents evaluate   --data runs/push2d.npz --checkpoints runs/vn_latent.pt runs/mlp_latent.pt
    python -m agents report     --env EqPushT-v1 --preset quick
    python -m agents paper      --workers 2    every claim of the paper beside its published figure (~30 min)
    python -m agents demos      --out runs/demos     the PushT oracle's episodes, a Minari dataset under that root
    python -m agents bc         --demos runs/demos --policy vn --out runs/bc/vn.pt
    python -m agents pusht-model --model vn --out runs/pusht/vn.pt   a learned push-outcome model of PushT
    python -m agents sb3        --algo ppo --task push --policy vn --out runs/sb3/ppo_vn.zip
    python -m agents curves     runs/sb3/*.zip       learning curves: steps to 90% success, slice and held out
    python -m agents bench      --task push --agent planner:vn_explicit-push2d --out runs/bench/vn   (also: eqbench)
    python -m agents compare    runs/bench/vn runs/bench/mlp
    python -m agents page       runs/bench/vn runs/bench/mlp --out runs/page   the results page: table, plots, videos
    python -m agents sweep      --agents A B --seeds 0 1 2 --workers 2    agents x seeds on workers (or --ray), compared
    python -m agents plan-speed            ms per plan vs the matmul floor; threads idle and busy
    python -m agents scale-speed           serial vs --workers vs Ray (rows compared); a large sweep's cost model
    python -m agents optim-speed           Muon's orthogonalisation bf16 vs float32 (emulated AVX2 too); quality
    python -m agents vn-speed              VN vs MLP (equal params, equal FLOPs), plan vs matmul floor, SB3 PPO steps/s
    python -m agents bit-identity --ref HEAD   VN outputs bit for bit against a git revision (a speed change's check)
    python -m agents pretrain              rebuild the reference models shipped in agents/pretrained
    python -m agents showcase              the environment showcase (make demo runs it, then the story)

python -m agents <command> --help lists every flag with its default. Commands that run torch take
--threads (default 1: one thread per process, measured best when anything else runs).
"""


@dataclass(frozen=True)
class Command:
    """A command: its name on the command line, its config (the flags), and its runner (``"module:function"``)."""

    name: str
    config: type
    runner: str


COMMANDS: tuple[Command, ...] = (
    Command("story", StoryConfig, "agents.story:run_story"),
    Command("collect", CollectConfig, "agents.data:run_collect"),
    Command("train", TrainCommand, "agents.train:run_train"),
    Command("evaluate", EvaluateConfig, "agents.evaluate:run_evaluate"),
    Command("report", ReportConfig, "agents.report:run_and_print"),
    Command("paper", PaperConfig, "agents.paper:run_paper"),
    Command("demos", DemosConfig, "agents.imitation.demos:run_demos"),
    Command("bc", BCConfig, "agents.imitation.dagger:run_bc"),
    Command("pusht-model", PushtModelConfig, "agents.primitives.train:run_pusht_model"),
    Command("sb3", SB3Config, "agents.rl.train:train_seeds"),
    Command("bench", BenchConfig, "agents.benchmark.run:run_and_print"),
    Command("sweep", SweepConfig, "agents.benchmark.sweep:run_and_print"),
    Command("compare", CompareConfig, "agents.benchmark.page:run_compare"),
    Command("page", PageConfig, "agents.benchmark.page:run_page"),
    Command("curves", CurvesConfig, "agents.rl.curves:run_curves"),
    Command("plan-speed", PlanSpeedConfig, "agents.probes.plan_speed:run"),
    Command("optim-speed", OptimSpeedConfig, "agents.probes.optim_speed:run"),
    Command("scale-speed", ScaleSpeedConfig, "agents.probes.scale_speed:run"),
    Command("vn-speed", VNSpeedConfig, "agents.probes.vn_speed:run"),
    Command("bit-identity", BitIdentityConfig, "agents.probes.bit_identity:run"),
    Command("pretrain", PretrainConfig, "agents.pretrain:pretrain"),
    Command("showcase", ShowcaseConfig, "agents.showcase:run"),
)
_BY_CONFIG = {command.config: command for command in COMMANDS}


def _runner(command: Command) -> Any:
    module, _, function = command.runner.partition(":")
    return getattr(importlib.import_module(module), function)


def run_command(config: Any) -> int:
    """Run a parsed command config; a ValueError (bad files or values, an exception in a user's agent) is one line
    on stderr and exit code 2; Ctrl-C is one line, "interrupted", and exit code 130 (outputs are written
    atomically, so none is left half-written)."""
    try:
        if isinstance(config, Threads):
            config.apply_threads()
        code = _runner(_BY_CONFIG[type(config)])(config)
    except ValueError as err:
        _end_progress_bars()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _end_progress_bars()
        print("interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def _end_progress_bars() -> None:
    """Close the progress bars still open, so that a message starts on a line of its own."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        bar.close()


def parse(argv: list[str] | None = None, commands: tuple[Command, ...] = COMMANDS, prog: str = "python -m agents"
          ) -> Any:  # fmt: skip
    """The config of the command line ``argv`` (tyro: help from the field docs; bad values exit with a message)."""
    import tyro

    argv = _bare_ray(sys.argv[1:] if argv is None else list(argv))
    if len(commands) == 1:
        (command,) = commands
        return tyro.cli(command.config, args=argv, prog=prog, description=command.config.__doc__)
    table = {command.name: command.config for command in commands}
    return tyro.extras.subcommand_cli_from_dict(table, args=argv, prog=prog, description=USAGE)


def _bare_ray(argv: list[str]) -> list[str]:
    """``--ray`` with no address (last, or followed by another flag) means ``--ray local``."""
    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--ray" and (i + 1 == len(argv) or argv[i + 1].startswith("--")):
            out.append("local")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m agents <command>``."""
    return run_command(parse(argv))


def eqbench(argv: list[str] | None = None) -> int:
    """``eqbench`` (also ``python -m agents.benchmark``): ``python -m agents bench``'s command alone."""
    bench = tuple(command for command in COMMANDS if command.name == "bench")
    return run_command(parse(argv, bench, prog="eqbench"))
