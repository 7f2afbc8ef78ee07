"""The parts the paper's claims are computed from, each under ``<out>/<part>`` and reused when finished: the world-
model reports (``report_part``), the training jobs (``train_part``) and the closed-loop benchmark runs
(``closed_part``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agents.config import BenchConfig, PaperConfig, ReportConfig
from agents.paper import plan
from agents.paper.plan import BenchJob, TrainJob
from agents.workers import files_of, run_jobs, scratch, write_files
from eqenvs.files import write_json

__all__ = ["bench_config", "closed_part", "report_part", "train_part"]


# --------------------------------------------------------------------------- parts
def report_part(part: str, config: PaperConfig, log) -> tuple[dict[str, Any], bool]:
    """A world-model report under ``<out>/<part>``, reused when it exists (and was made by the same command)."""
    folder = Path(config.out) / part
    path = folder / "report.json"
    if path.is_file():
        report = json.loads(path.read_text())
        if report.get("command") != plan.REPORT_COMMANDS[part]:
            raise ValueError(f"out: {path} holds another report ({report.get('command')!r}); use another --out")
        log(f"{part}: reusing {path} ({report['seconds'] / 60:.1f} min when it ran)")
        return report, False
    from agents.report import run_report

    env = "EqPushT-v1" if part == "report2d" else "EqPushT3D-v1"
    extra = {} if part == "report2d" else {"seeds": 3, "stress": False}
    report_config = ReportConfig(
        env=env, preset="full", out=str(folder), workers=config.workers, ray=config.ray, threads=config.threads, **extra
    )
    report = run_report(report_config, log=log)
    return report, True


def _jsonable(job: TrainJob) -> dict[str, Any]:
    """A training job's settings as they read back from JSON (tuples become lists)."""
    return json.loads(json.dumps(asdict(job)))


def _train_job(data_path: str, epochs: int, job: TrainJob) -> dict[str, Any]:
    """A job (``agents.workers``): one model trained on seed 0's 2D data (the report's split), evaluated like
    the report's models; its checkpoint comes back as a file."""
    from agents.data import load_dataset
    from agents.evaluate import bins_of
    from agents.report import TEST_FRACTION, train_and_evaluate

    data = load_dataset(data_path)
    train_data, test_data = data.split_episodes(TEST_FRACTION, 0)
    bins = bins_of(test_data, data.symmetry(), 0)
    overrides = {
        "optimizer": job.optimizer,
        "hyper": dict(job.hyper),
        "augment": job.augment,
        "soft": job.soft,
        "width": job.width,
        "lr": job.lr,
    }
    with scratch() as folder:
        result = train_and_evaluate(
            job.model,
            overrides,
            train_data,
            test_data,
            bins,
            0,
            epochs,
            Path(folder) / f"{job.name.replace(' ', '_')}.pt",
        )
        files = files_of(folder)
    return {"name": job.name, "result": result, "files": files}


def train_part(config: PaperConfig, selected: tuple[str, ...], log) -> tuple[dict[str, dict[str, Any]], bool]:
    folder = Path(config.out) / "train"
    jobs = [j for j in plan.TRAIN if set(j.claims) & set(selected)]
    done = {}
    for job in jobs:
        path = folder / f"{job.name.replace(' ', '_')}.json"
        if path.is_file():
            stored = json.loads(path.read_text())
            if stored.get("job") != _jsonable(job):
                raise ValueError(
                    f"out: {path} was trained with other settings ({stored.get('job')}); use another --out"
                )
            done[job.name] = stored
    todo = [j for j in jobs if j.name not in done]
    if not todo:
        return done, False
    data = str(Path(config.out) / "report2d" / "seed0" / "data.npz")
    epochs = json.loads((Path(config.out) / "report2d" / "report.json").read_text())["preset"]["epochs"]
    bar = tqdm(total=len(todo), desc="paper: train", unit="model")

    def accept(i: int, out: dict[str, Any]) -> None:
        write_files(folder, out["files"])
        r = {"job": _jsonable(todo[i]), **out["result"]}
        write_json(folder / f"{out['name'].replace(' ', '_')}.json", r)
        log(
            f"  {out['name']:22s} dEq fp32 {r['delta_eq']['float32']:.1e} fp64 {r['delta_eq']['float64']:.1e}  "
            f"seen relMSE {r['seen_relmse']:.4f}  OOD x{r['ood_factor']:.2f}  ({r['train_seconds']:.0f} s)"
        )
        done[out["name"]] = r
        bar.update()

    run_jobs(
        _train_job,
        [(data, epochs, j) for j in todo],
        accept,
        workers=config.workers,
        ray=config.ray,
        threads=config.threads,
    )
    bar.close()
    return done, True


def bench_config(config: PaperConfig, run: BenchJob) -> BenchConfig:
    model = Path(config.out) / run.model
    spec = ",".join(x for x in (f"planner:{model}", run.options, plan.PLANNER) if x)
    planar = run.env == "EqPushT-v1"
    return BenchConfig(
        env=run.env,
        task="push",
        env_kwargs=dict(run.env_kwargs),
        agent=spec,
        label=run.label,
        orientations="slice,heldout" if planar else "ladder",
        per_split=4 if planar else 1,
        tasks=plan.TASKS,
        max_steps=plan.STEPS,
        videos=0,
        out=str(Path(config.out) / "closed" / run.name),
        workers=config.workers,
        ray=config.ray,
        threads=config.threads,
    )


def closed_part(config: PaperConfig, selected: tuple[str, ...], log) -> tuple[dict[str, dict[str, Any]], bool]:
    from agents.benchmark.run import BenchRun, run_together

    runs = [r for r in plan.BENCH if set(r.claims) & set(selected)]
    done, todo = {}, []
    for r in runs:
        path = Path(config.out) / "closed" / r.name / "summary.json"
        if path.is_file():
            done[r.name] = json.loads(path.read_text())
            made, wanted = done[r.name]["config"], asdict(bench_config(config, r))
            if any(
                made.get(k) != wanted[k] for k in ("env", "env_kwargs", "agent", "orientations", "tasks", "max_steps")
            ):
                raise ValueError(
                    f"out: {path} is a run of another agent or setting ({made['agent']}); use another --out"
                )
        else:
            todo.append(r)
    if todo:
        bench_runs = [BenchRun(bench_config(config, r)) for r in todo]
        summaries = run_together(bench_runs, config.workers, config.ray, config.threads, desc="paper: closed loop")
        done.update({r.name: s for r, s in zip(todo, summaries, strict=True)})
    for r in runs:
        s = done[r.name]
        h = s["headline"]
        log(
            f"  {r.label:48s} success {h['seen']['mean']:.2f} / {h['heldout']['mean']:.2f}  "
            f"residual {s['exactness']['max_residual']:.1e}"
        )
    return done, bool(todo)
