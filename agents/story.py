"""The quick end-to-end story (the README's main job): train on the slice, plan everywhere.

    python -m agents story          # about 2 minutes on 2 cores; runs/story/, videos/story/

1. Collect push transitions on the training slice (scripted pusher, fresh slice orientation per episode).
2. Train the equivariant VN explicit world model and the MLP baseline.
3. Benchmark, on the same paired tasks at slice and held-out orientations:
   the VN model with the equivariant planner (float64 end to end), the MLP baseline with the usual (plain)
   planner, and the VN model with the plain planner as a control.
4. Print one table (success and final error per orientation, with 95% CIs, paired differences, the
   closed-loop equivariance residual) and write a mosaic video: one row per agent, one column per
   orientation, the first task.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents.cli import add_config_arguments, config_from_args
from eqenvs.files import write_json

__all__ = ["StoryConfig", "run_story"]


@dataclass(frozen=True)
class StoryConfig:
    episodes: int = 200
    """Training episodes collected on the slice."""
    epochs: int = 30
    """Training epochs of each world model."""
    tasks: int = 4
    """Paired push tasks per orientation."""
    orientations: str = "0,45,90,180,270"
    """Benchmark orientations (degrees; 0 and 45 lie in the training slice)."""
    max_steps: int = 60
    """Episode cap in the benchmark."""
    seed: int = 0
    """Seeds collection, training and the tasks."""
    out: str = "runs/story"
    """Output folder (data, checkpoints, benchmark rows)."""
    video_dir: str = "videos"
    """Folder of the videos."""


def run_story(config: StoryConfig, log=print) -> dict[str, Any]:
    from agents.benchmark import BenchConfig, format_summary, run_benchmark
    from agents.data import collect, save_dataset
    from agents.train import TrainConfig, save_checkpoint, train

    out = Path(config.out)
    started = time.perf_counter()
    data = collect("EqPushT-v0", episodes=config.episodes, seed=config.seed)
    save_dataset(data, out / "data.npz")
    log(f"collected {len(data)} transitions on the slice ({time.perf_counter() - started:.0f} s)")
    checkpoints = {}
    for kind in ("vn_explicit", "mlp_explicit"):
        model, history = train(data, TrainConfig(model=kind, epochs=config.epochs, seed=config.seed))
        checkpoints[kind] = save_checkpoint(model, out / f"{kind}.pt", data.env_id, data.meta["env_kwargs"])
        log(f"trained {model!r}: final loss {history['loss'][-1]:.3g} ({time.perf_counter() - started:.0f} s)")
    agents = {
        "VN + equivariant planner": f"planner:{checkpoints['vn_explicit']},dtype=float64",
        "MLP + plain planner": f"planner:{checkpoints['mlp_explicit']},equivariant=false",
        "VN + plain planner": f"planner:{checkpoints['vn_explicit']},equivariant=false",
    }
    summaries = {}
    for label, spec in agents.items():
        bench = BenchConfig(env="EqPushT-v0", env_kwargs={"task": "push", "render_size": 192}, agent=spec, label=label,
                            orientations=config.orientations, tasks=config.tasks, seed=config.seed,
                            max_steps=config.max_steps, videos=1, video_dir=str(Path(config.video_dir) / "story"),
                            out=str(out / _slug(label)))  # fmt: skip
        shutil.rmtree(bench.out, ignore_errors=True)  # the models were just retrained: no rows to resume
        summaries[label] = run_benchmark(bench, progress=False)
        log("\n" + format_summary(summaries[label]) + f"\n({time.perf_counter() - started:.0f} s)")
    table = _comparison(summaries)
    log("\n" + table)
    video = _story_mosaic(out, config, list(agents))
    log(f"wrote {video}")
    result = {"config": asdict(config), "summaries": summaries, "seconds": time.perf_counter() - started,
              "video": str(video)}  # fmt: skip
    write_json(out / "story.json", result)
    log(f"done in {result['seconds']:.0f} s")
    return result


def _slug(label: str) -> str:
    return label.lower().replace(" + ", "_").replace(" ", "_")


def _comparison(summaries: dict[str, Any]) -> str:
    """Success per orientation for every agent, and the figures that tell them apart."""
    first = next(iter(summaries.values()))["orientations"]
    names = [n + ("*" if first[n]["split"] == "slice" else "") for n in first]
    header = f"{'agent':26s} " + " ".join(f"{n:>9s}" for n in names)
    lines = ["success rate by orientation (* = training slice)",
             header + f" {'max paired diff px':>19s} {'max residual':>13s}"]  # fmt: skip
    for label, s in summaries.items():
        cells = " ".join(f"{o['mean_ci']['success'][0]:9.2f}" for o in s["orientations"].values())
        paired, residual = s["max_abs_paired_difference"]["pos_error"], s["max_residual"]
        lines.append(f"{label:26s} {cells} {paired:19.3g} {residual:13.2e}")
    return "\n".join(lines)


def _story_mosaic(out: Path, config: StoryConfig, labels: list[str]) -> Path:
    """Rows: agents; columns: orientations; the first task of each benchmark, from its per-orientation videos."""
    import cv2
    import imageio.v3 as iio

    from eqenvs.video import mosaic, write_video

    folder = Path(config.video_dir) / "story"
    streams, names = [], []
    orientations = [f"{float(t):g}deg" for t in config.orientations.split(",")]
    for label in labels:
        for name in orientations:
            path = next((folder / _slug(label)).glob(f"task0_{name}_*.mp4"))
            streams.append(list(iio.imread(path)))
            short = label.replace(" + ", " ").replace(" planner", "").replace("equivariant", "eq")
            names.append(f"{short} {name}: {'ok' if 'success' in path.name else 'fail'}")
    frames = mosaic(streams, names, cols=len(orientations))
    video = write_video(Path(config.video_dir) / "showcase_story.mp4", frames, fps=10)
    half = [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA) for f in frames]
    write_video(Path(config.video_dir) / "showcase_story.gif", half, fps=10)
    return video


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents story", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_config_arguments(parser, StoryConfig)
    try:
        run_story(config_from_args(StoryConfig, parser.parse_args(argv)))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
