"""The quick end-to-end story (the README's main job): train on the slice, plan everywhere.

    python -m agents story          # about 3.5 minutes on 2 cores; runs/story/, videos/showcase_story.*

1. Collect push transitions on the training slice (scripted pusher, fresh slice orientation per episode).
2. Train the equivariant VN explicit world model and the MLP baseline.
3. Benchmark, on the same paired tasks at slice and held-out orientations:
   the VN model with the equivariant planner (float64 end to end), the MLP baseline with the usual (plain)
   planner, and the VN model with the plain planner as a control.
4. Print one table (success per orientation with Wilson 95% intervals — with the default 4 tasks they are
   wide, about +-0.4: the story shows the mechanism, eqbench's 32 tasks measure it — paired differences,
   the closed-loop equivariance residual) and write a mosaic video: one row per agent, one column per
   orientation, the first task.
5. Write the results page of the three runs (``python -m agents page``): runs/story/page/index.html, opened from
   disk: the table, success by orientation, and the first task's videos at every orientation in sync.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.config import StoryConfig
from eqenvs.files import write_json

__all__ = ["StoryConfig", "run_story"]  # StoryConfig lives in agents.config (the CLI reads it without torch)


def run_story(config: StoryConfig, log=print, progress: bool = True) -> dict[str, Any]:
    from agents.benchmark import BenchConfig, format_summary, run_benchmark
    from agents.benchmark.orientations import parse_orientations
    from agents.benchmark.page import write_page
    from agents.checkpoints import save_checkpoint
    from agents.data import collect, save_dataset
    from agents.train import TrainConfig, train

    out = Path(config.out)
    # the benchmarks' orientations are checked before anything is collected, trained or written
    parse_orientations(BenchConfig(env="EqPushT-v1", task="push", orientations=config.orientations, seed=config.seed,
                                   out=str(out)))  # fmt: skip
    started = time.perf_counter()
    data = collect("EqPushT-v1", episodes=config.episodes, seed=config.seed, progress=progress)
    save_dataset(data, out / "data.npz")
    log(f"collected {len(data)} transitions on the slice ({time.perf_counter() - started:.0f} s)")
    checkpoints = {}
    for kind in ("vn_explicit", "mlp_explicit"):
        model, history = train(data, TrainConfig(model=kind, epochs=config.epochs, seed=config.seed), progress)
        checkpoints[kind] = save_checkpoint(model, out / f"{kind}.pt", data.env_id, data.meta["env_kwargs"])
        log(f"trained {model.name} ({model.parameter_count:,} parameters): final loss {history['loss'][-1]:.3g} "
            f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    agents = {
        "VN + equivariant planner": f"planner:{checkpoints['vn_explicit']},dtype=float64",
        "MLP + plain planner": f"planner:{checkpoints['mlp_explicit']},equivariant=false",
        "VN + plain planner": f"planner:{checkpoints['vn_explicit']},equivariant=false",
    }
    summaries = {}
    for label, spec in agents.items():
        bench = BenchConfig(env="EqPushT-v1", env_kwargs={"task": "push", "render_size": 192}, agent=spec, label=label,
                            orientations=config.orientations, tasks=config.tasks, seed=config.seed,
                            max_steps=config.max_steps, videos=1, out=str(out / _slug(label)),
                            threads=config.threads)  # fmt: skip
        shutil.rmtree(bench.out, ignore_errors=True)  # the models were just retrained: no rows to resume
        summaries[label] = run_benchmark(bench, progress=progress)
        log("\n" + format_summary(summaries[label]) + f"\n({time.perf_counter() - started:.0f} s)")
    table = _comparison(summaries)
    log("\n" + table)
    video = _story_mosaic(out, config, list(agents), list(next(iter(summaries.values()))["orientations"]))
    log(f"wrote {video}")
    page = write_page([out / _slug(label) for label in agents], out / "page",
                      title="The story: VN vs MLP world models, planned at every orientation")  # fmt: skip
    result = {"config": asdict(config), "summaries": summaries, "seconds": time.perf_counter() - started,
              "video": str(video), "page": str(page)}  # fmt: skip
    write_json(out / "story.json", result)
    log(f"done in {result['seconds']:.0f} s; the results page: {page} (open it in a browser)")
    return result


def _slug(label: str) -> str:
    return label.lower().replace(" + ", "_").replace(" ", "_")


def _comparison(summaries: dict[str, Any]) -> str:
    """Success per orientation for every agent (with Wilson intervals), and the figures that tell them apart."""
    first = next(iter(summaries.values()))["orientations"]
    names = [n + ("*" if first[n]["split"] == "slice" else "") for n in first]
    header = f"{'agent':26s} " + " ".join(f"{n:>17s}" for n in names)
    lines = ["success rate by orientation [Wilson 95% interval] (* = training slice)",
             header + f" {'max paired diff px':>19s} {'max residual':>13s}"]  # fmt: skip
    for label, s in summaries.items():
        cells = []
        for o in s["orientations"].values():
            e = o["success"]
            cells.append(f"{e['mean']:.2f} [{e['low']:.2f},{e['high']:.2f}]".rjust(17))
        exact = s["exactness"]
        paired, residual = exact["max_abs_paired_difference"]["pos_error"], exact["max_residual"]
        lines.append(f"{label:26s} {' '.join(cells)} {paired:19.3g} {residual:13.2e}")
    return "\n".join(lines)


def _story_mosaic(out: Path, config: StoryConfig, labels: list[str], names: list[str]) -> Path:
    """Rows: agents; columns: orientations; the first task of each benchmark, from its per-orientation videos."""
    import cv2
    import imageio.v3 as iio

    from eqenvs.video import mosaic, write_video

    streams, tiles = [], []
    for label in labels:
        folder = out / _slug(label) / "videos"
        for name in names:
            path = next(folder.glob(f"task000_*_{name}_*.mp4"))
            streams.append(list(iio.imread(path)))
            short = label.replace(" + ", " ").replace(" planner", "").replace("equivariant", "eq")
            tiles.append(f"{short} {name}: {'ok' if 'success' in path.name else 'fail'}")
    frames = mosaic(streams, tiles, cols=len(names))
    video = write_video(Path(config.video_dir) / "showcase_story.mp4", frames, fps=10)
    half = [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA) for f in frames]
    write_video(Path(config.video_dir) / "showcase_story.gif", half, fps=10)
    return video
