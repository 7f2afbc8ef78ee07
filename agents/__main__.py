"""``python -m agents <command>``: the world-model pipeline, baselines, benchmarks and demos.

    python -m agents collect    --env EqPushT-v0 --episodes 400 --seed 0 --out runs/push2d.npz
    python -m agents train      --data runs/push2d.npz --model vn_latent --out runs/vn_latent.pt
    python -m agents evaluate   --data runs/push2d.npz --checkpoint runs/vn_latent.pt runs/mlp_latent.pt
    python -m agents report     --env EqPushT-v0 --preset quick
    python -m agents sb3        --algo ppo --task push --steps 100000 --out runs/ppo_push.zip
    python -m agents story      (the main job: collect, train, plan at every orientation)
    python -m agents plan-speed (ms per plan against the matmul floor; batched evaluation speed-up)
    python -m agents compare    runs/bench/vn runs/bench/mlp   (one table of finished eqbench runs)
    python -m agents demo       (the environment showcase)

The any-agent benchmark is its own command: ``eqbench`` (``python -m agents.benchmark``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agents.cli import add_config_arguments, config_from_args


def _collect(args: argparse.Namespace) -> None:
    from agents.data import collect, save_dataset

    data = collect(args.env, split=args.split, episodes=args.episodes, max_steps=args.max_steps, noise=args.noise,
                   seed=args.seed, interior_only=args.interior_only)  # fmt: skip
    path = save_dataset(data, args.out)
    meta = data.meta
    print(f"wrote {path} (+ .json): {len(data)} transitions from {meta['episodes']} episodes on {args.split!r}")
    print(f"block heading histogram (30-degree bins from 0): {meta['block_heading_histogram']}")
    print(f"push direction histogram (30-degree bins from 0): {meta['push_direction_histogram']}")


def _train(args: argparse.Namespace) -> None:
    from agents.data import load_dataset
    from agents.train import TrainConfig, save_checkpoint, train

    config = config_from_args(TrainConfig, args)
    data = load_dataset(args.data)
    train_data, _ = data.split_episodes(args.test_fraction, args.split_seed)
    model, history = train(train_data, config, progress=True)
    path = save_checkpoint(model, args.out, data.env_id, data.meta["env_kwargs"], config,
                           {"history": history, "data": str(args.data), "test_fraction": args.test_fraction,
                            "split_seed": args.split_seed})  # fmt: skip
    print(f"{model!r}\nfinal loss {history['loss'][-1]:.5g}; wrote {path} (+ .json)")


def _evaluate(args: argparse.Namespace) -> None:
    from agents.data import load_dataset
    from agents.evaluate import bins_of, evaluate_model
    from agents.train import load_checkpoint
    from eqenvs.files import write_json

    data = load_dataset(args.data)
    results = []
    for path in args.checkpoint:
        model, meta = load_checkpoint(path)
        if meta["env_id"] != data.env_id:
            raise SystemExit(f"checkpoint: {path} is a model of {meta['env_id']}, the data is {data.env_id}")
        _, test = data.split_episodes(meta.get("test_fraction", 0.2), meta.get("split_seed", 0))
        result = evaluate_model(model, test, bins=bins_of(test, data.symmetry()))
        results.append({"checkpoint": str(path), **result})
        print(f"{model.name:14s} {result['parameter_count']:8,d} params  seen relMSE {result['seen_relmse']:.4f}  "
              f"OOD x{result['ood_factor']:.2f}  max/min {result['flatness_max_over_min']:.5g}  "
              f"dEq fp32 {result['delta_eq']['float32']:.1e} fp64 {result['delta_eq']['float64']:.1e}")  # fmt: skip
    if args.out:
        print(f"wrote {write_json(args.out, results)}")


def _report(args: argparse.Namespace) -> None:
    from agents.report import ReportConfig, run_report

    report = run_report(config_from_args(ReportConfig, args))
    missed = [name for name, t in report["targets"].items() if t is not None and not t["met"]]
    print(f"wrote {Path(args.out) / 'report.json'}, report.txt, relmse.png" + (f"; missed: {missed}" if missed else ""))


def _sb3(args: argparse.Namespace) -> None:
    from agents.sb3 import train_sb3

    result = train_sb3(args.algo, args.env, args.task, args.steps, args.seed, args.out)
    print(f"trained {args.algo} for {args.steps} steps on the slice in {result['seconds']:.0f} s; wrote {args.out}")


def _story(args: argparse.Namespace) -> None:
    from agents.story import StoryConfig, run_story

    run_story(config_from_args(StoryConfig, args))


def _forward(module: str, argv: list[str]) -> None:
    """Run another module's ``main(argv)``; a non-zero code exits with it."""
    _forward_function(module, "main", argv)


def _forward_function(module: str, function: str, argv: list[str]) -> None:
    """Run ``module.function(argv)``; a non-zero code exits with it."""
    import importlib

    code = getattr(importlib.import_module(module), function)(argv)
    if code:
        raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    from agents.report import ReportConfig
    from agents.story import StoryConfig
    from agents.train import TrainConfig

    parser = argparse.ArgumentParser(prog="python -m agents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("collect", help="collect transitions on a split's orientations")
    p.add_argument("--env", default="EqPushT-v0")
    p.add_argument("--split", default="slice")
    p.add_argument("--episodes", type=int, default=400)
    p.add_argument("--max-steps", type=int, default=60)
    p.add_argument("--noise", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--interior-only", action="store_true", help="drop transitions where the block touches a wall")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=_collect)

    p = commands.add_parser("train", help="train a world model on a dataset's training episodes")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--test-fraction", type=float, default=0.2, help="episodes held out for evaluation")
    p.add_argument("--split-seed", type=int, default=0, help="which episodes are held out")
    add_config_arguments(p, TrainConfig)
    p.set_defaults(run=_train)

    p = commands.add_parser("evaluate", help="open-loop metrics of checkpoints on their held-out episodes")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--checkpoint", type=Path, nargs="+", required=True)
    p.add_argument("--out", type=Path, default=None, help="write the metrics as JSON")
    p.set_defaults(run=_evaluate)

    p = commands.add_parser("report", help="collect, train all models, evaluate, check the targets")
    add_config_arguments(p, ReportConfig)
    p.set_defaults(run=_report)

    p = commands.add_parser("sb3", help="train a stable-baselines3 PPO or SAC baseline on the slice")
    p.add_argument("--algo", default="ppo", help="ppo or sac")
    p.add_argument("--env", default="EqPushT-v0")
    p.add_argument("--task", default="push")
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=_sb3)

    p = commands.add_parser("story", help="the main job: collect, train, benchmark planners at every orientation")
    add_config_arguments(p, StoryConfig)
    p.set_defaults(run=_story)

    p = commands.add_parser("plan-speed", help="ms per MPPI plan vs the matmul floor; batched evaluation speed-up")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(run=lambda a: _forward("agents.plan_speed", a.args))

    p = commands.add_parser("compare", help="one table of finished benchmark runs (their summary.json)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(run=lambda a: _forward_function("agents.benchmark", "compare_main", a.args))

    p = commands.add_parser("demo", help="the environment showcase (python -m agents.demo)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(run=lambda a: _forward("agents.demo", a.args))

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except ValueError as err:  # bad files and arguments: one clear line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
