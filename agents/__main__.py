"""python -m agents <command>: the world-model pipeline, baselines, benchmarks and demos.

    python -m agents story                 the main job: collect, train, plan at every orientation (~3 min)
    python -m agents collect    --out runs/push2d.npz --episodes 400
    python -m agents train      --data runs/push2d.npz --model vn_latent --out runs/vn_latent.pt
    python -m agents evaluate   --data runs/push2d.npz --checkpoints runs/vn_latent.pt runs/mlp_latent.pt
    python -m agents report     --env EqPushT-v1 --preset quick
    python -m agents paper      --workers 2    every claim of the paper beside its published figure (~30 min)
    python -m agents demos      --out runs/demos     the PushT solver's episodes, a Minari dataset under that root
    python -m agents bc         --demos runs/demos --policy vn --out runs/bc/vn.pt
    python -m agents sb3        --algo ppo --task push --policy vn --out runs/sb3/ppo_vn.zip
    python -m agents curves     runs/sb3/*.zip       learning curves: steps to 90% success, slice and held out
    python -m agents bench      --task push --agent planner:vn_explicit-push2d --out runs/bench/vn   (also: eqbench)
    python -m agents compare    runs/bench/vn runs/bench/mlp
    python -m agents sweep      --agents A B --seeds 0 1 2 --workers 2    agents x seeds on workers (or --ray), compared
    python -m agents plan-speed            ms per plan vs the matmul floor; threads idle and busy
    python -m agents scale-speed           serial vs --workers vs Ray (rows compared); a large sweep's cost model
    python -m agents optim-speed           Muon's orthogonalisation bf16 vs float32 (emulated AVX2 too); quality
    python -m agents pretrain              rebuild the reference models shipped in agents/pretrained
    python -m agents demo                  the environment showcase

python -m agents <command> --help lists every flag with its default. Commands that run torch take
--threads (default 1: one thread per process, measured best when anything else runs).
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from agents.config import (
    BCConfig,
    BenchConfig,
    CollectConfig,
    CompareConfig,
    CurvesConfig,
    DemoConfig,
    DemosConfig,
    EvaluateConfig,
    OptimSpeedConfig,
    PaperConfig,
    PlanSpeedConfig,
    PretrainConfig,
    ReportConfig,
    SB3Config,
    ScaleSpeedConfig,
    StoryConfig,
    SweepConfig,
    Threads,
    TrainConfig,
)
from eqenvs.files import check_output_path, existing_file


@dataclass(frozen=True, kw_only=True)
class TrainCommand(TrainConfig, Threads):
    """Train a world model on a dataset's training episodes; writes a .pt checkpoint (+ readable .pt.json)."""

    data: Path
    """Training dataset (.npz, from `python -m agents collect`)."""
    out: Path
    """Output checkpoint, a .pt file."""
    test_fraction: float = 0.2
    """Fraction of the episodes held out for evaluation (not trained on)."""
    split_seed: int = 0
    """Chooses which episodes are held out."""

    def __post_init__(self) -> None:
        TrainConfig.__post_init__(self)
        Threads.__post_init__(self)
        existing_file(self.data, "data", "a .npz dataset")
        check_output_path(self.out, ".pt", "out")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction: must lie in (0, 1), got {self.test_fraction}")

    def train_config(self) -> TrainConfig:
        names = {f.name for f in fields(TrainConfig)}
        return TrainConfig(**{k: v for k, v in asdict(self).items() if k in names})


COMMANDS: dict[str, type] = {
    "story": StoryConfig,
    "collect": CollectConfig,
    "train": TrainCommand,
    "evaluate": EvaluateConfig,
    "report": ReportConfig,
    "paper": PaperConfig,
    "demos": DemosConfig,
    "bc": BCConfig,
    "sb3": SB3Config,
    "bench": BenchConfig,
    "sweep": SweepConfig,
    "compare": CompareConfig,
    "curves": CurvesConfig,
    "plan-speed": PlanSpeedConfig,
    "optim-speed": OptimSpeedConfig,
    "scale-speed": ScaleSpeedConfig,
    "pretrain": PretrainConfig,
    "demo": DemoConfig,
}


def _collect(config: CollectConfig) -> None:
    from agents.data import collect, save_dataset

    data = collect(config.env, split=config.split, episodes=config.episodes, max_steps=config.max_steps,
                   noise=config.noise, seed=config.seed, interior_only=config.interior_only, progress=True)  # fmt: skip
    path = save_dataset(data, config.out)
    meta = data.meta
    print(f"wrote {path} (+ .json): {len(data)} transitions from {meta['episodes']} episodes on {config.split!r}")
    print(f"block heading histogram (30-degree bins from 0): {meta['block_heading_histogram']}")
    print(f"push direction histogram (30-degree bins from 0): {meta['push_direction_histogram']}")


def _train(config: TrainCommand) -> None:
    from agents.data import load_dataset
    from agents.train import save_checkpoint, train

    data = load_dataset(config.data, "data")
    train_data, _ = data.split_episodes(config.test_fraction, config.split_seed)
    model, history = train(train_data, config.train_config(), progress=True)
    extra = {"history": history, "data": str(config.data), "test_fraction": config.test_fraction,
             "split_seed": config.split_seed}  # fmt: skip
    path = save_checkpoint(model, config.out, data.env_id, data.meta["env_kwargs"], config.train_config(), extra)
    print(f"{model.name}: {model.parameter_count:,} parameters, final loss {history['loss'][-1]:.5g}; wrote {path}")


def _evaluate(config: EvaluateConfig) -> None:
    from agents.data import load_dataset
    from agents.evaluate import bins_of, evaluate_model
    from agents.train import load_checkpoint, unversioned
    from eqenvs.files import write_json

    data = load_dataset(config.data, "data")
    results = []
    for path in config.checkpoints:
        model, meta = load_checkpoint(path, "checkpoints")
        if unversioned(meta["env_id"]) != unversioned(data.env_id):
            raise ValueError(f"checkpoints: {path} is a model of {meta['env_id']}, the data is {data.env_id}")
        _, test = data.split_episodes(meta.get("test_fraction", 0.2), meta.get("split_seed", 0))
        result = evaluate_model(model, test, bins=bins_of(test, data.symmetry()))
        results.append({"checkpoint": str(path), **result})
        print(f"{model.label:22s} {result['parameter_count']:8,d} params  seen relMSE {result['seen_relmse']:.4f}  "
              f"OOD x{result['ood_factor']:.2f}  max/min {result['flatness_max_over_min']:.5g}  "
              f"dEq fp32 {result['delta_eq']['float32']:.1e} fp64 {result['delta_eq']['float64']:.1e}")  # fmt: skip
    frame = results[-1]["frame"]  # the held-out data's, the same for every model of this dataset
    print("the observation's frame (canonicalisation): " + ", ".join(f"{k} {v:.6g}" for k, v in frame.items()))
    if config.out is not None:
        print(f"wrote {write_json(config.out, results)}")


def _demos(config: DemosConfig) -> None:
    from agents.imitation import record_demos

    summary = record_demos(config.out, env_id=config.env, split=config.split, episodes=config.episodes,
                           noise=config.noise, seed=config.seed, max_steps=config.max_steps,
                           workers=config.workers, progress=True)  # fmt: skip
    print(f"wrote {summary['path']}: {summary['kept']} solved episodes of {summary['recorded']} "
          f"({summary['steps']} steps) at {len(summary['angles_deg'])} orientations of {config.split!r}, "
          f"{summary['seconds']} s; Minari dataset {summary['dataset_id']} (MINARI_DATASETS_PATH="
          f"{config.out})")  # fmt: skip


def _bc(config: BCConfig) -> None:
    from agents.imitation import dagger, load_demos, save_policy

    demos = load_demos(config.demos)
    train = dict(hidden=config.hidden, depth=config.depth, modes=config.modes, horizon=config.horizon,
                 execute=config.execute, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                 augment=config.augment)  # fmt: skip
    policy, meta = dagger(demos, config.policy, rounds=config.dagger_rounds, episodes=config.dagger_episodes,
                          seed=config.seed, workers=config.workers, progress=True, **train)  # fmt: skip
    path = save_policy(policy, meta, config.out)
    print(f"{config.policy}: {meta['parameter_count']:,} parameters, {meta['steps']} steps of {meta['episodes']} "
          f"episodes + {meta['extra_labels']} DAgger labels, final NLL {meta['loss'][-1]:.4f}, action MSE "
          f"{meta['action_mse']:.4f}, {meta['seconds']} s (last fit); wrote {path}")  # fmt: skip


def _paper(config: PaperConfig) -> None:
    from agents.paper import run_paper

    run_paper(config)


def _report(config: ReportConfig) -> None:
    from agents.report import run_report

    report = run_report(config)
    missed = [name for name, t in report["targets"].items() if t is not None and not t["met"]]
    written = f"wrote {Path(config.out) / 'report.json'}, report.txt, relmse.png"
    print(written + (f"; missed: {missed}" if missed else ""))


def _sb3(config: SB3Config) -> None:
    from agents.sb3 import train_seeds

    train_seeds(config)


def _sweep(config: SweepConfig) -> None:
    from agents.benchmark.sweep import run_sweep

    print(run_sweep(config))
    print(f"wrote {config.out}/<label>_s<seed>/ per run and {config.out}/compare.txt")


def _curves(config: CurvesConfig) -> None:
    from agents.sb3 import format_curves, learning_curves, plot_curves

    curves = [learning_curves(model) for model in config.models]
    print(format_curves(curves, config.threshold))
    if config.out is not None:
        print(f"wrote {plot_curves(curves, config.out)}")


def _story(config: StoryConfig) -> None:
    from agents.story import run_story

    run_story(config)


def _bench(config: BenchConfig) -> None:
    from agents.benchmark import run_and_print

    run_and_print(config)


def _compare(config: CompareConfig) -> None:
    from agents.benchmark import compare

    print(compare(config))


def _plan_speed(config: PlanSpeedConfig) -> None:
    from agents.plan_speed import run

    run(config)


def _optim_speed(config: OptimSpeedConfig) -> None:
    from agents.optim_speed import run

    run(config)


def _scale_speed(config: ScaleSpeedConfig) -> None:
    from agents.scale_speed import run

    run(config)


def _pretrain(config: PretrainConfig) -> None:
    from agents.pretrain import pretrain

    pretrain(config)


def _demo(config: DemoConfig) -> None:
    from agents.demo import run

    code = run(config)
    if code:
        raise SystemExit(code)


RUNNERS: dict[type, Any] = {
    StoryConfig: _story, CollectConfig: _collect, TrainCommand: _train, EvaluateConfig: _evaluate,
    ReportConfig: _report, PaperConfig: _paper, DemosConfig: _demos, BCConfig: _bc, SB3Config: _sb3,
    BenchConfig: _bench, SweepConfig: _sweep,
    CompareConfig: _compare,
    CurvesConfig: _curves, PlanSpeedConfig: _plan_speed, OptimSpeedConfig: _optim_speed,
    ScaleSpeedConfig: _scale_speed, PretrainConfig: _pretrain, DemoConfig: _demo,
}  # fmt: skip


def run_command(config: Any) -> int:
    """Run a parsed command config; a ValueError (bad files or values, an exception in a user's agent) is one line
    on stderr and exit code 2; Ctrl-C is one line, "interrupted", and exit code 130 (outputs are written
    atomically, so none is left half-written)."""
    try:
        if isinstance(config, Threads):
            config.apply_threads()
        RUNNERS[type(config)](config)
    except ValueError as err:
        _end_progress_bars()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _end_progress_bars()
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def _end_progress_bars() -> None:
    """Close the progress bars still open, so that a message starts on a line of its own."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        bar.close()


def parse(argv: list[str] | None = None, commands: dict[str, type] | None = None, prog: str = "python -m agents"
          ) -> Any:  # fmt: skip
    """The config of the command line ``argv`` (tyro: help from the field docs; bad values exit with a message)."""
    import tyro

    argv = _bare_ray(sys.argv[1:] if argv is None else list(argv))
    commands = COMMANDS if commands is None else commands
    if len(commands) == 1:
        (cls,) = commands.values()
        return tyro.cli(cls, args=argv, prog=prog, description=cls.__doc__)
    return tyro.extras.subcommand_cli_from_dict(commands, args=argv, prog=prog, description=__doc__)


def _bare_ray(argv: list[str]) -> list[str]:
    """``--ray`` with no address (last, or followed by another flag) means ``--ray local``."""
    out = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--ray" and (i + 1 == len(argv) or argv[i + 1].startswith("--")):
            out.append("local")
    return out


def main(argv: list[str] | None = None) -> int:
    return run_command(parse(argv))


if __name__ == "__main__":
    sys.exit(main())
