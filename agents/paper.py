"""The paper reproduced in one command: every claim of arXiv 2606.03003's abstract beside the published figure.

    python -m agents paper --workers 2 --readme README.md      # make paper; ~30 min on 2 cores
    python -m agents paper --claims optimiser hstep            # some claim groups only

The claims come in five groups, each computed from a few *parts* under ``<out>/``; a finished part is
reused by the next run (a report's ``report.json``, a training job's ``<name>.json``, a benchmark's rows),
so an interrupted run resumes where it stopped:

* ``report2d`` / ``report3d``: the world-model reports (``agents.report``): 2D the full preset (5 seeds and
  the stress-tested baselines), 3D 3 seeds without the stress tests (the full 3D preset alone takes 22 min
  on 2 cores; ``make report`` runs it);
* ``train``: on seed 0's 2D data, vn_latent under Adam and SGD, the *extrinsic* control (the same network
  with ordinary ``nn.Linear`` maps initialised in the commutant, ``agents.nn.vn.ExtrinsicLinear``) under
  Muon, Adam and SGD, and the explicit baseline's stress tests (augment, soft penalty, 2x wider), which the
  planner can use directly;
* ``closed``: eqbench runs of the planner (100 samples x horizon 10 x 3 iterations, 60 steps, 16 paired
  tasks): 2D at 4 slice + 4 held-out orientations with the VN model (float64 and float32), the MLP, and the
  three stress-tested MLPs; 3D on the SE(3) ladder in frame and physics mode.

[A] optimiser: the composed residual after training (Muon/AdamW + EMA + VICReg, Adam, SGD) and the
extrinsic control's drift. [B] flatness, OOD factors, size. [C] closed loops, 2D and 3D. The bitter
lesson: augmentation, scale and a soft penalty, open and closed loop. H-step: residual and relMSE OOD
factor per horizon, float32 and float64, plain and in the observation's frame (``hstep.png``).

Writes ``paper.json`` (every row: claim, published, ours, verdict, reason, command, and the parts' times),
``paper.md`` (the table), ``hstep.png``, and with ``--readme`` the README's block between
``<!-- paper:begin -->`` and ``<!-- paper:end -->``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agents.config import PAPER_BEGIN, PAPER_END, BenchConfig, PaperConfig, ReportConfig
from agents.verdicts import (
    SOURCE_ABSTRACT,
    SOURCE_BODY,
    Published,
    Verdict,
    bound,
    in_range,
    magnitude,
    ours,
    qualitative,
)
from agents.workers import check_ray, files_of, run_jobs, scratch, write_files
from eqenvs.files import atomic_path, write_json

__all__ = ["PUBLISHED", "run_paper"]

PLANNER = "samples=100,horizon=10,iterations=3"
"""The planner budget of the closed-loop runs (the README's planning tables use 300 x 20 x 6)."""
TASKS, STEPS = 16, 60
REPORT_COMMANDS = {
    "report2d": "python -m agents report --env EqPushT-v1 --preset full",
    "report3d": "python -m agents report --env EqPushT3D-v1 --preset full --seeds 3 --no-stress",
}
_OURS_RESIDUAL = "ours: max |rho(g) F(x, a) - F(g x, g a)|_inf / max |F| over Haar-random elements and C4"
PUBLISHED: dict[str, Published] = {  # arXiv 2606.03003 as quoted to us (issues 14 and 23); no norm is given
    "residual_muon": Published(1e-6, "~1e-6", SOURCE_ABSTRACT, f"unknown; {_OURS_RESIDUAL}, float32"),
    "extrinsic_adam": Published(1.5e-2, "1.5e-2", SOURCE_BODY, f"unknown; {_OURS_RESIDUAL}, float64"),
    "extrinsic_sgd": Published(5.2e-3, "5.2e-3", SOURCE_BODY, f"unknown; {_OURS_RESIDUAL}, float64"),
    "ood_2d": Published(13.8, "x13.8", SOURCE_ABSTRACT, "unknown; ours: worst held-out bin's relMSE / the seen bins'"),
    "ood_2d_median": Published(12.7, "x12.7", SOURCE_ABSTRACT, "unknown; ours: as for x13.8, median of 5 seeds"),
    "ood_3d": Published(17.2, "x17.2", SOURCE_ABSTRACT, "unknown; ours: worst C4/SO2 rung's relMSE / the seen data's"),
    "ood_ladder": Published(157.0, "x157", SOURCE_ABSTRACT, "unknown; ours: worst rung's relMSE / the seen data's"),
    "size": Published((4.5, 7.4), "4.5-7.4x", SOURCE_ABSTRACT, "parameters MLP / VN; each side's MLP width is its own"),
    "hstep_2d": Published(
        2.3e-7,
        "<= 2.3e-7",
        SOURCE_ABSTRACT,
        "unknown; ours: the relative residual of the H-step rollout's last latent, H <= 16",
    ),
    "hstep_3d": Published(
        1.6e-7,
        "<= 1.6e-7",
        SOURCE_ABSTRACT,
        "unknown; ours: the relative residual of the H-step rollout's last latent, H <= 16",
    ),
}
"""The published figures, each with its source and what we know of its definition (verdicts: agents.verdicts)."""


@dataclass(frozen=True)
class _Train:
    """One training job of the ``train`` part (on seed 0's 2D data)."""

    name: str
    model: str
    claims: tuple[str, ...]
    optimizer: str = "muon"
    hyper: tuple[tuple[str, Any], ...] = ()
    augment: bool = False
    soft: float = 0.0
    width: float = 1.0
    lr: float = 1e-2


TRAIN = (
    _Train("vn_latent adam", "vn_latent", ("optimiser",), "adam"),
    _Train("vn_latent sgd", "vn_latent", ("optimiser",), "sgd", lr=1e-3),  # SGD steps 10 x lr: 3e-2 diverges
    _Train("extrinsic muon", "vn_latent", ("optimiser",), "muon", (("extrinsic", True),)),
    _Train("extrinsic adam", "vn_latent", ("optimiser",), "adam", (("extrinsic", True),)),
    _Train("extrinsic sgd", "vn_latent", ("optimiser",), "sgd", (("extrinsic", True),), lr=1e-3),
    _Train("mlp_explicit+augment", "mlp_explicit", ("bitter_lesson",), augment=True),
    _Train("mlp_explicit+soft", "mlp_explicit", ("bitter_lesson",), soft=1.0),
    _Train("mlp_explicit+scale", "mlp_explicit", ("bitter_lesson",), width=2.0),
)


@dataclass(frozen=True)
class _Bench:
    """One eqbench run of the ``closed`` part; ``model`` is ``<part>/<file>`` under the paper's folder."""

    name: str
    label: str
    model: str
    options: str
    claims: tuple[str, ...]
    env: str = "EqPushT-v1"
    env_kwargs: tuple[tuple[str, Any], ...] = ()


BENCH = (
    _Bench(
        "vn_eq64",
        "VN explicit + eq planner, fp64",
        "report2d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop", "bitter_lesson"),
    ),
    _Bench("vn_eq32", "VN explicit + eq planner, fp32", "report2d/seed0/vn_explicit.pt", "", ("closed_loop",)),
    _Bench(
        "mlp_plain",
        "MLP explicit + plain planner",
        "report2d/seed0/mlp_explicit.pt",
        "equivariant=false",
        ("closed_loop", "bitter_lesson"),
    ),
    *(
        _Bench(
            f"mlp_{kind}",
            f"MLP explicit + {kind} + plain planner",
            f"train/mlp_explicit+{kind}.pt",
            "equivariant=false",
            ("bitter_lesson",),
        )
        for kind in ("augment", "soft", "scale")
    ),
    # canonicalisation (agents.canonical): the whole agent in each observation's frame (canonical=true), with the
    # plain MLP and with the MLP trained in its frames; and that MLP under the plain planner alone
    _Bench(
        "mlp_canonical_agent",
        "MLP explicit + plain planner, canonical agent, fp64",
        "report2d/seed0/mlp_explicit.pt",
        "equivariant=false,canonical=true,dtype=float64",
        ("bitter_lesson",),
    ),
    _Bench(
        "mlp_canonical",
        "canonical MLP explicit + plain planner, canonical agent, fp64",
        "report2d/seed0/mlp_explicit+canonical.pt",
        "equivariant=false,canonical=true,dtype=float64",
        ("bitter_lesson",),
    ),
    _Bench(
        "mlp_canonical_plain",
        "canonical MLP explicit + plain planner, fp64",
        "report2d/seed0/mlp_explicit+canonical.pt",
        "equivariant=false,dtype=float64",
        ("bitter_lesson",),
    ),
    _Bench(
        "3d_vn_eq64",
        "VN explicit + eq planner, fp64 (3D, frame)",
        "report3d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop",),
        "EqPushT3D-v1",
    ),
    _Bench(
        "3d_vn_eq64_physics",
        "VN explicit + eq planner, fp64 (3D, physics)",
        "report3d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop",),
        "EqPushT3D-v1",
        (("orientation_mode", "physics"),),
    ),
    _Bench(
        "3d_mlp_plain",
        "MLP explicit + plain planner (3D, frame)",
        "report3d/seed0/mlp_explicit.pt",
        "equivariant=false",
        ("closed_loop",),
        "EqPushT3D-v1",
    ),
)
NEEDS = {  # the parts each claim group reads
    "optimiser": ("report2d", "train"),
    "ood": ("report2d", "report3d"),
    "closed_loop": ("report2d", "report3d", "closed"),
    "bitter_lesson": ("report2d", "train", "closed"),
    "hstep": ("report2d", "report3d"),
}


# --------------------------------------------------------------------------- parts
def _report_part(part: str, config: PaperConfig, log) -> tuple[dict[str, Any], bool]:
    """A world-model report under ``<out>/<part>``, reused when it exists (and was made by the same command)."""
    folder = Path(config.out) / part
    path = folder / "report.json"
    if path.is_file():
        report = json.loads(path.read_text())
        if report.get("command") != REPORT_COMMANDS[part]:
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


def _jsonable(job: _Train) -> dict[str, Any]:
    """A training job's settings as they read back from JSON (tuples become lists)."""
    return json.loads(json.dumps(asdict(job)))


def _train_job(data_path: str, epochs: int, job: _Train) -> dict[str, Any]:
    """A job (``agents.workers``): one model trained on seed 0's 2D data (the report's split), evaluated like
    the report's models; its checkpoint comes back as a file."""
    from agents.data import load_dataset
    from agents.evaluate import bins_of
    from agents.report import TEST_FRACTION, _train_and_evaluate

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
        result = _train_and_evaluate(
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


def _train_part(config: PaperConfig, selected: tuple[str, ...], log) -> tuple[dict[str, dict[str, Any]], bool]:
    folder = Path(config.out) / "train"
    jobs = [j for j in TRAIN if set(j.claims) & set(selected)]
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


def _bench_config(config: PaperConfig, run: _Bench) -> BenchConfig:
    model = Path(config.out) / run.model
    spec = ",".join(x for x in (f"planner:{model}", run.options, PLANNER) if x)
    planar = run.env == "EqPushT-v1"
    return BenchConfig(
        env=run.env,
        task="push",
        env_kwargs=dict(run.env_kwargs),
        agent=spec,
        label=run.label,
        orientations="slice,heldout" if planar else "ladder",
        per_split=4 if planar else 1,
        tasks=TASKS,
        max_steps=STEPS,
        videos=0,
        out=str(Path(config.out) / "closed" / run.name),
        workers=config.workers,
        ray=config.ray,
        threads=config.threads,
    )


def _closed_part(config: PaperConfig, selected: tuple[str, ...], log) -> tuple[dict[str, dict[str, Any]], bool]:
    from agents.benchmark.run import BenchRun, run_together

    runs = [r for r in BENCH if set(r.claims) & set(selected)]
    done, todo = {}, []
    for r in runs:
        path = Path(config.out) / "closed" / r.name / "summary.json"
        if path.is_file():
            done[r.name] = json.loads(path.read_text())
            made, wanted = done[r.name]["config"], asdict(_bench_config(config, r))
            if any(
                made.get(k) != wanted[k] for k in ("env", "env_kwargs", "agent", "orientations", "tasks", "max_steps")
            ):
                raise ValueError(
                    f"out: {path} is a run of another agent or setting ({made['agent']}); use another --out"
                )
        else:
            todo.append(r)
    if todo:
        bench_runs = [BenchRun(_bench_config(config, r)) for r in todo]
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


# --------------------------------------------------------------------------- the table
def _g(x: float) -> str:
    """A figure for the table: 3 significant digits, scientific when small or large."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if x == 0:
        return "0"
    return f"{x:.2e}".replace("e-0", "e-").replace("e+0", "e") if abs(x) < 1e-3 or abs(x) >= 1e5 else f"{x:.3g}"


def _length(value: float, unit: str) -> str:
    """A length for the table, in mm where the env measures metres."""
    return f"{_g(value * 1000)} mm" if unit == "m" else f"{_g(value)} {unit}"


def _row(group: str, claim: str, published: Published | str, ours: str, verdict: Verdict, reason: str,
         command: str) -> dict:  # fmt: skip
    """One table row: the published cell names the figure's source and definition; ``band`` is the rule the
    verdict follows, written before the figure was computed."""
    return {
        "group": group,
        "claim": claim,
        "published": published.cell() if isinstance(published, Published) else published,
        "ours": ours,
        "verdict": str(verdict),
        "band": verdict.band,
        "reason": reason,
        "command": command,
    }


def _worst(values) -> float:
    """The largest of ``values``, NaN if any is not finite (a diverged run is never the best figure)."""
    values = list(values)
    return max(values) if all(math.isfinite(v) for v in values) else math.nan


def _optimiser_rows(r2: dict, trained: dict) -> list[dict]:
    s = r2["summary"]
    muon = s["vn_latent"]["delta_eq_float32"]
    command = "python -m agents paper --claims optimiser"
    rows = [
        _row(
            "[A] optimiser",
            "composed residual after a real Muon/AdamW + EMA + VICReg run (vn_latent, float32)",
            PUBLISHED["residual_muon"],
            f"{_g(muon)} (worst of 5 seeds; fp64 {_g(s['vn_latent']['delta_eq_float64'])})",
            magnitude(muon, PUBLISHED["residual_muon"], 3.0),
            "exact by construction: no update leaves the VN weights' space; float32 rounding is the residual",
            REPORT_COMMANDS["report2d"],
        )
    ]
    others = {k: trained[f"vn_latent {k}"] for k in ("adam", "sgd")}
    worst = _worst(r["delta_eq"]["float32"] for r in others.values())
    rows.append(
        _row(
            "[A] optimiser",
            "... under any optimiser: Adam and SGD (float32)",
            PUBLISHED["residual_muon"],
            "; ".join(
                f"{k} {_g(r['delta_eq']['float32'])} (fp64 {_g(r['delta_eq']['float64'])}, seen relMSE "
                f"{_g(r['seen_relmse'])})"
                for k, r in others.items()
            ),
            magnitude(worst, PUBLISHED["residual_muon"], 3.0),
            "the parametrisation, not the optimiser, keeps it (SGD: step 1e-2, momentum 0.9; 3e-2 diverges)"
            if math.isfinite(worst)
            else "a training run diverged (non-finite weights)",
            command,
        )
    )
    drifts = {opt: trained[f"extrinsic {opt}"] for opt in ("adam", "sgd")}
    vn64 = _worst(r["delta_eq"]["float64"] for r in others.values())
    off = {o: e["delta_eq"]["float64"] / max(e["delta_eq_init"]["float64"], 1e-16) for o, e in drifts.items()}
    drifted = all(math.isfinite(v) and v >= 1e3 and drifts[o]["delta_eq"]["float64"] >= 1e-4 for o, v in off.items())
    muon_ext = trained.get("extrinsic muon")
    rows.append(
        _row(
            "[A] optimiser",
            "the extrinsic control (nn.Linear initialised in the commutant) drifts off it under Adam and SGD, "
            "while the VN model under the same optimisers stays at the float floor",
            "drifts (qualitative; figures in the next rows)",
            "; ".join(f"{o} {_g(e['delta_eq']['float64'])} ({_g(off[o])}x at init)" for o, e in drifts.items())
            + (f"; muon {_g(muon_ext['delta_eq']['float64'])}" if muon_ext else "")
            + f"; VN fp64 {_g(vn64)}",
            qualitative(
                drifted and vn64 <= 1e-12,
                "reproduced if each drift (fp64) is >= 1e-4 and >= 1e3x its value at init, and VN <= 1e-12",
            ),
            "every entry of an nn.Linear is free, and slice-only gradients use that freedom at once",
            command,
        )
    )
    for opt, e in drifts.items():
        drift = e["delta_eq"]["float64"]
        figure = PUBLISHED[f"extrinsic_{opt}"]
        verdict = magnitude(drift, figure, 3.0)
        rows.append(
            _row(
                "[A] optimiser",
                f"... how far it drifts under {opt.upper() if opt == 'sgd' else 'Adam'}",
                figure,
                f"{_g(drift)} (fp64; {_g(e['delta_eq_init']['float64'])} at init)",
                verdict,
                "the drift depends on training length, data and the norm, none of which the paper gives us: ours "
                "is the max-norm relative residual after 40 epochs on the 2D report's slice data"
                if math.isfinite(drift)
                else "the training run diverged (non-finite weights)",
                command,
            )
        )
    return rows


def _per_rung(report: dict, model: str) -> dict[str, float]:
    return report["summary"][model]["per_bin_relmse_median"]


def _ood_rows(r2: dict, r3: dict) -> list[dict]:
    s2, s3 = r2["summary"], r3["summary"]
    flat = {
        f"{d} {m}": s[m]["flatness_max_over_min"]
        for d, s in (("2D", s2), ("3D", s3))
        for m in ("vn_latent", "vn_explicit")
    }
    worst = max(flat.values())
    rows = [
        _row(
            "[B] flatness, OOD, size",
            "the equivariant model's error is flat across the orbit, to five digits",
            "x1.00000 (qualitative)",
            f"max/min over bins {worst:.7f} (worst of {', '.join(flat)}; all seeds)",
            qualitative(round(worst, 5) == 1.0, "reproduced if max/min over bins rounds to 1.00000"),
            "the same error in every bin: rounding only",
            REPORT_COMMANDS["report2d"],
        )
    ]
    mlp = s2["mlp_latent"]
    bins3 = _per_rung(r3, "mlp_latent")
    seen = s3["mlp_latent"]["seen_relmse_median"]
    planar = max(bins3[k] for k in bins3 if k.startswith(("C4", "SO2"))) / seen
    ladder = max(v for k, v in bins3.items() if not k.startswith("seen")) / seen
    vn_ladder = max(_per_rung(r3, "vn_latent").values()) / s3["vn_latent"]["seen_relmse_median"]
    factors = {"2D": mlp["ood_factor_median"], "3D yaw": planar, "3D ladder": ladder}
    rows.append(
        _row(
            "[B] flatness, OOD, size",
            "the baseline's error grows off the slice; the equivariant model's does not",
            "qualitative (figures in the next rows)",
            "mlp_latent OOD " + ", ".join(f"{k} x{_g(v)}" for k, v in factors.items()) + f"; VN x{_g(vn_ladder)}",
            qualitative(
                min(factors.values()) >= 2 and worst <= 1.0001,
                "reproduced if the MLP's OOD factor is >= 2 in 2D and 3D and the VN models' max/min <= 1.0001",
            ),
            "both report the same direction; how far the baseline breaks depends on the baseline (next rows)",
            REPORT_COMMANDS["report2d"],
        )
    )
    why = ("our MLP baseline breaks harder off the slice: its width, training and data differ from the paper's "
           "(not given to us), and the OOD factor of a plain model measures those as much as the symmetry")  # fmt: skip
    rows.append(
        _row(
            "[B] flatness, OOD, size",
            "the baseline's OOD factor, 2D (5-seed median; seed 0)",
            PUBLISHED["ood_2d_median"],
            f"x{_g(mlp['ood_factor_median'])} (seed 0 x{_g(mlp['ood_factor_per_seed'][0])}, published for one seed "
            f"{PUBLISHED['ood_2d'].quoted}); mlp_explicit median x{_g(s2['mlp_explicit']['ood_factor_median'])}",
            magnitude(mlp["ood_factor_median"], PUBLISHED["ood_2d_median"], 3.0),
            why,
            REPORT_COMMANDS["report2d"],
        )
    )
    rows.append(
        _row(
            "[B] flatness, OOD, size",
            "the baseline's OOD factor, 3D (held-out yaws: C4, SO2 rungs)",
            PUBLISHED["ood_3d"],
            f"x{_g(planar)} (mlp_latent, median of 3 seeds)",
            magnitude(planar, PUBLISHED["ood_3d"], 3.0),
            why,
            REPORT_COMMANDS["report3d"],
        )
    )
    rows.append(
        _row(
            "[B] flatness, OOD, size",
            "... and over the whole SE(3) ladder (worst rung)",
            PUBLISHED["ood_ladder"],
            f"x{_g(ladder)} (mlp_latent); VN x{_g(vn_ladder)}",
            magnitude(ladder, PUBLISHED["ood_ladder"], 3.0),
            "tilted labs (SO3, SE3) are the worst rungs; " + why,
            REPORT_COMMANDS["report3d"],
        )
    )
    ratios = [
        s[f"mlp_{k}"]["parameter_count"] / s[f"vn_{k}"]["parameter_count"]
        for s in (s2, s3)
        for k in ("latent", "explicit")
    ]
    rows.append(
        _row(
            "[B] flatness, OOD, size",
            "the equivariant model is smaller (parameters, MLP / VN)",
            PUBLISHED["size"],
            f"{min(ratios):.1f}-{max(ratios):.1f}x (2D and 3D, latent and explicit)",
            in_range(min(ratios), max(ratios), PUBLISHED["size"], 1.5),
            "the ratio is set by each side's choice of MLP width, so it is never 'better': ours at equal or better "
            "seen error (explicit) / the same latent shape",
            REPORT_COMMANDS["report2d"],
        )
    )
    return rows


def _closed_rows(closed: dict) -> list[dict]:
    def fig(name: str) -> tuple[dict, dict]:
        s = closed[name]
        return s["headline"], s["exactness"]

    h, e = fig("vn_eq64")
    paired = max(e["max_abs_paired_difference"].values())
    _, e32 = fig("vn_eq32")
    hm, em = fig("mlp_plain")
    command = "python -m agents paper --claims closed_loop"
    rows = [
        _row(
            "[C] closed loop",
            "2D: the equivariant agent's closed loop is exact to the float floor (float64)",
            "float-floor exact (qualitative; abstract)",
            f"residual {_g(e['max_residual'])}, max paired difference {_g(paired)}; success "
            f"{h['seen']['mean']:.2f} slice / {h['heldout']['mean']:.2f} held out ({TASKS} tasks); fp32: residual "
            f"{_g(e32['max_residual'])}",
            qualitative(
                e["max_residual"] <= 1e-12 and paired == 0,
                "reproduced if the float64 residual is <= 1e-12 and every paired difference is 0",
            ),
            f"the MLP + plain planner: {hm['seen']['mean']:.2f} / {hm['heldout']['mean']:.2f}, gap "
            f"{hm['difference']['mean']:+.2f} [{hm['difference']['low']:+.2f}, {hm['difference']['high']:+.2f}], "
            f"residual {_g(em['max_residual'])}",
            command,
        )
    ]
    h3, e3 = fig("3d_vn_eq64")
    hp, ep = fig("3d_vn_eq64_physics")
    hm3, em3 = fig("3d_mlp_plain")
    unit3 = closed["3d_vn_eq64_physics"]["unit"]
    paired3 = max(e3["max_abs_paired_difference"].values())
    vn_flat = hp["difference"]["low"] <= 0.0 <= hp["difference"]["high"]
    mlp_breaks = hm3["difference"]["high"] < 0.0
    rows.append(
        _row(
            "[C] closed loop",
            "3D: the equivariant agent is flat across the SE(3) ladder in the simulator's own rotated labs "
            "(physics mode), where the baseline is not",
            "statistically flat only (disjoint 95% CIs; abstract)",
            f"physics mode: success {hp['seen']['mean']:.2f} identity / {hp['heldout']['mean']:.2f} other rungs, gap "
            f"{hp['difference']['mean']:+.2f} [{hp['difference']['low']:+.2f}, {hp['difference']['high']:+.2f}], "
            f"paired final-error differences up to {_length(ep['max_abs_paired_difference']['pos_error'], unit3)}; "
            f"MLP + plain planner gap {hm3['difference']['mean']:+.2f} [{hm3['difference']['low']:+.2f}, "
            f"{hm3['difference']['high']:+.2f}]",
            qualitative(
                vn_flat and mlp_breaks,
                "reproduced if the VN agent's physics-mode gap interval (held out - identity, paired) holds 0 "
                "and the MLP's lies below 0",
            ),
            f"frame mode (exact by construction of the env): residual {_g(e3['max_residual'])}, max paired "
            f"difference {_g(paired3)}, success {h3['seen']['mean']:.2f} / {h3['heldout']['mean']:.2f}; MLP "
            f"{hm3['seen']['mean']:.2f} / {hm3['heldout']['mean']:.2f}, residual {_g(em3['max_residual'])}",
            command,
        )
    )
    return rows


def _bitter_rows(r2: dict, trained: dict, closed: dict) -> list[dict]:
    s = r2["summary"]
    vn = s["vn_latent"]["delta_eq_float32"]
    variants = {k: s[f"mlp_latent+{k}"] for k in ("augment", "soft", "scale")}
    open_text = "; ".join(
        f"{k}: OOD x{_g(v['ood_factor_median'])}, residual {_g(v['delta_eq_float32'])}" for k, v in variants.items()
    )
    floor = min(v["delta_eq_float32"] for v in variants.values())
    rows = [
        _row(
            "bitter lesson",
            "augmentation, scale and a soft penalty close at most the across-group error, never the "
            "float-floor exactness (open loop, mlp_latent)",
            "never exact (qualitative; abstract)",
            f"{open_text}; VN residual {_g(vn)}",
            qualitative(floor >= 100 * vn, "reproduced if the best of them is >= 100x the VN residual (float32)"),
            f"the best of them is {floor / vn:.2g}x the VN residual",
            REPORT_COMMANDS["report2d"],
        )
    ]
    vn_closed = closed["vn_eq64"]
    parts = []
    for k in ("augment", "soft", "scale"):
        h, e = closed[f"mlp_{k}"]["headline"], closed[f"mlp_{k}"]["exactness"]
        t = trained[f"mlp_explicit+{k}"]
        parts.append(
            f"{k}: {h['seen']['mean']:.2f} / {h['heldout']['mean']:.2f} (gap {h['difference']['mean']:+.2f} "
            f"[{h['difference']['low']:+.2f}, {h['difference']['high']:+.2f}]), residual {_g(e['max_residual'])}, "
            f"open-loop OOD x{_g(t['ood_factor'])}"
        )
    worst = min(closed[f"mlp_{k}"]["exactness"]["max_residual"] for k in ("augment", "soft", "scale"))
    hv = vn_closed["headline"]
    rows.append(
        _row(
            "bitter lesson",
            "... in closed loop: each baseline plugged into the planner (mlp_explicit, plain "
            "planner; success slice / held out)",
            "task metric at most, never exact (qualitative; abstract)",
            "; ".join(parts) + f"; VN {hv['seen']['mean']:.2f} / {hv['heldout']['mean']:.2f}, residual "
            f"{_g(vn_closed['exactness']['max_residual'])}",
            qualitative(
                worst >= 1e6 * max(vn_closed["exactness"]["max_residual"], 1e-16),
                "reproduced if every baseline's closed-loop residual is >= 1e6x the VN agent's (float64)",
            ),
            "closed-loop residuals O(1e-2..1) against the VN agent's float floor",
            "python -m agents paper --claims bitter_lesson",
        )
    )
    return rows + _canonical_rows(s, closed)


def _canonical_rows(s: dict, closed: dict) -> list[dict]:
    """Canonicalisation, the alternative the paper does not test: [ours] claims that can fail."""
    canon, vn = s["mlp_explicit+canonical"], s["vn_explicit"]
    frame32 = {m: max(s[m]["rollout_residual_in_frame_float32"].values()) for m in ("vn_latent", "mlp_latent")}
    exact = canon["delta_eq_float32"] <= 10 * max(vn["delta_eq_float32"], 1e-7) and canon["delta_eq_float64"] <= 1e-12
    rows = [
        _row(
            "bitter lesson",
            "[ours] canonicalisation (not tested in the paper): the plain MLP run in each state's own frame (the "
            "block's pose), trained on canonicalised data, is as exact and as flat as the VN model (open loop, "
            "mlp_explicit)",
            "not in the paper",
            f"canonical MLP: residual {_g(canon['delta_eq_float32'])} fp32 / {_g(canon['delta_eq_float64'])} fp64, "
            f"OOD x{_g(canon['ood_factor_median'])}, max/min {canon['flatness_max_over_min']:.7f}, seen relMSE "
            f"{_g(canon['seen_relmse_median'])}; VN explicit: {_g(vn['delta_eq_float32'])} / "
            f"{_g(vn['delta_eq_float64'])}, seen relMSE {_g(vn['seen_relmse_median'])}; rollouts in the first "
            f"observation's frame, H <= 16, fp32: mlp_latent {_g(frame32['mlp_latent'])}, vn_latent "
            f"{_g(frame32['vn_latent'])}",
            ours(
                exact and canon["flatness_max_over_min"] <= 1.0001,
                "holds if its residual is <= 10x the VN model's in float32 and <= 1e-12 in float64, and max/min "
                "<= 1.0001",
            ),
            "a frame read off the observation makes any function exact; here the block's pose defines one in "
            "every state (frame_conditioning: its direction has norm 1), so nothing breaks it. An in-frame residual "
            "therefore measures the frame, not the model",
            REPORT_COMMANDS["report2d"],
        )
    ]
    agent, model = closed["mlp_canonical_agent"], closed["mlp_canonical"]
    model_only = closed["mlp_canonical_plain"]
    text = []
    for label, run in (("plain MLP, canonical agent", agent), ("canonical MLP, canonical agent", model),
                       ("canonical MLP, plain planner alone", model_only)):  # fmt: skip
        h, e = run["headline"], run["exactness"]
        text.append(
            f"{label}: {h['seen']['mean']:.2f} / {h['heldout']['mean']:.2f}, residual {_g(e['max_residual'])}, "
            f"max paired difference {_g(max(e['max_abs_paired_difference'].values()))}"
        )
    hv = closed["vn_eq64"]["headline"]
    both = [agent, model]
    closes = all(
        r["exactness"]["max_residual"] <= 1e-12 and max(r["exactness"]["max_abs_paired_difference"].values()) == 0
        for r in both
    )
    rows.append(
        _row(
            "bitter lesson",
            "[ours] ... in closed loop: the whole agent (plain planner and MLP) run in each observation's frame "
            "(planner:<ckpt>,canonical=true, float64) is exact at every orientation",
            "not in the paper",
            "; ".join(text) + f"; VN {hv['seen']['mean']:.2f} / {hv['heldout']['mean']:.2f}",
            ours(closes, "holds if both canonical agents' float64 residual is <= 1e-12 and every paired difference 0"),
            "the planner's noise and clipping live in the frame too; a canonical model under the plain planner alone "
            "is not exact (the planner sees the orientation), like the VN model under the plain planner",
            "python -m agents paper --claims bitter_lesson",
        )
    )
    return rows


def _hstep_rows(r2: dict, r3: dict, out: Path) -> list[dict]:
    rows = []
    for dim, r, published in (("2D", r2, PUBLISHED["hstep_2d"]), ("3D", r3, PUBLISHED["hstep_3d"])):
        s = r["summary"]
        seeds = len(r["runs"]["vn_latent"])
        vn, mlp = ("vn_latent", "vn_explicit"), ("mlp_latent", "mlp_explicit")
        frame32 = {m: max(s[m]["rollout_residual_in_frame_float32"].values()) for m in (*vn, *mlp)}
        own32 = {m: max(s[m]["rollout_residual_float32"].values()) for m in vn}
        own64 = {m: max(s[m]["rollout_residual_float64"].values()) for m in vn}
        ratio = {m: s[m]["rollout_relmse_ratio_float32"] for m in (*vn, *mlp)}
        vn_ratio = max(max(abs(v - 1) for v in ratio[m].values()) for m in vn)
        command = REPORT_COMMANDS[f"report{dim.lower()}"]
        rows.append(
            _row(
                "H-step",
                f"{dim}: the VN rollout's relMSE is flat across the orbit at every H in 1..16",
                "x1.00 (qualitative; abstract)",
                f"held-out / seen H-step relMSE within 1 +- {_g(vn_ratio)}; MLP at H = 16: latent "
                f"x{_g(ratio['mlp_latent']['16'])}, explicit x{_g(ratio['mlp_explicit']['16'])}",
                qualitative(vn_ratio < 1e-4, "reproduced if the VN ratio is within 1 +- 1e-4 at every H"),
                f"medians over {seeds} seeds",
                command,
            )
        )
        worst = max(own32.values())
        model = max(own32, key=own32.get)
        seed, h = _worst_cell(r, model, "float32", "residual")
        floor = _ulp_floor(out / f"report{dim.lower()}", seed, model, int(h), "float32")
        rows.append(
            _row(
                "H-step",
                f"{dim}: VN float32 H-step residual of the models' own rollouts (what the planner uses) at every "
                "H <= 16, every seed",
                published,
                ", ".join(f"{m} {_g(v)}" for m, v in own32.items()),
                bound(worst, published.value, published.quoted),  # type: ignore[arg-type]
                f"max over {seeds} seeds x H. The cause is the learned dynamics' conditioning, not the arithmetic: "
                f"the same float32 rollouts at the identity with every input moved by one ulp differ by "
                f"{_g(floor)} ({model}, seed {seed}, H = {h}), so no float32 evaluation of this model can do much "
                f"better. Run in each observation's frame (canonicalisation) the VN rollouts reach "
                + ", ".join(f"{m} {_g(frame32[m])}" for m in vn)
                + " — and the plain MLPs "
                + ", ".join(f"{m} {_g(frame32[m])}" for m in mlp)
                + ": the in-frame figure measures the frame, not the model",
                command,
            )
        )
        worst64 = max(own64.values())
        rows.append(
            _row(
                "H-step",
                f"{dim}: [ours] ... and in float64 <= 1e-13 (issue 14's target, not a published figure)",
                "not in the paper",
                ", ".join(f"{m} {_g(v)}" for m, v in own64.items()),
                ours(worst64 <= 1e-13, "holds if the own float64 rollouts' residual is <= 1e-13 at every H and seed"),
                "max over seeds x H of the models' own float64 rollouts; in frame: "
                + ", ".join(f"{m} {_g(max(s[m]['rollout_residual_in_frame_float64'].values()))}" for m in vn),
                command,
            )
        )
    return rows


def _worst_cell(report: dict, model: str, dtype: str, key: str) -> tuple[int, str]:
    """(seed, horizon) of a report's largest ``key`` rollout figure for ``model`` in ``dtype``."""
    cells = [(run["rollout"][dtype][h][key], run["seed"], h) for run in report["runs"][model]
             for h in run["rollout"][dtype]]  # fmt: skip
    _, seed, h = max(cells)
    return seed, h


def _ulp_floor(folder: Path, seed: int, name: str, horizon: int, dtype: str = "float64") -> float:
    """``agents.evaluate.ulp_sensitivity`` of a report's model in ``dtype`` on the report's own H-step windows."""
    import torch

    from agents.data import load_dataset
    from agents.evaluate import ulp_sensitivity, window_arrays
    from agents.report import TEST_FRACTION
    from agents.train import load_checkpoint

    _, test = load_dataset(folder / f"seed{seed}" / "data.npz").split_episodes(TEST_FRACTION, seed)
    model = load_checkpoint(folder / f"seed{seed}" / f"{name}.pt")[0].to(getattr(torch, dtype))
    _, obs, actions, _ = window_arrays(test, horizon)  # the windows the report's residuals used
    return ulp_sensitivity(model, obs, actions)


def plot_hstep(r2: dict, r3: dict | None, path: Path) -> None:
    """log residual vs H: VN plain and in frame (float32, float64) and the MLPs, worst seed, 2D and 3D panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = [("2D", r2)] + ([("3D", r3)] if r3 is not None else [])
    fig, axes = plt.subplots(1, len(reports), figsize=(6.2 * len(reports), 4.6), squeeze=False)
    for ax, (dim, r) in zip(axes[0], reports, strict=True):
        s = r["summary"]
        for m, colour in (
            ("vn_latent", "tab:blue"),
            ("vn_explicit", "tab:green"),
            ("mlp_latent", "tab:red"),
            ("mlp_explicit", "tab:orange"),
        ):
            for key, style, what in (
                ("rollout_residual_float32", "--", "fp32"),
                ("rollout_residual_in_frame_float32", "-", "fp32 in frame"),
                ("rollout_residual_in_frame_float64", ":", "fp64 in frame"),
            ):
                values = s[m].get(key)
                if values:
                    hs = sorted(values, key=int)
                    ax.plot(
                        [int(h) for h in hs],
                        [max(values[h], 1e-17) for h in hs],
                        style,
                        color=colour,
                        marker="o",
                        markersize=3,
                        label=f"{m} {what}",
                    )
        ax.axhline(2e-7, color="black", lw=0.8, alpha=0.6)
        ax.text(1, 2.6e-7, "2e-7", fontsize=8)
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 2, 4, 8, 16], ["1", "2", "4", "8", "16"])
        ax.set_yscale("log")
        ax.set_xlabel("rollout horizon H (steps)")
        ax.set_ylabel("max relative residual |rho(g) F^H(x) - F^H(gx)| / |F^H|")
        ax.set_title(f"{dim}: H-step equivariance residual (worst seed)")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def format_table(rows: list[dict], markdown: bool) -> str:
    """The claims table: markdown (paper.md, the README block) or plain text (the terminal)."""
    if markdown:
        lines = ["| claim | published (source; definition) | ours | verdict | rule, stated before computing | why |",
                 "|---|---|---|---|---|---|"]  # fmt: skip
        for r in rows:
            cells = (f"{r['group']}: {r['claim']}", r["published"], r["ours"], f"**{r['verdict']}**", r["band"],
                     r["reason"])  # fmt: skip
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        return "\n".join(lines)
    lines = []
    for r in rows:
        lines += [
            f"[{r['verdict'].upper()}] {r['group']}: {r['claim']}",
            f"    published: {r['published']}",
            f"    ours:      {r['ours']}",
            f"    rule:      {r['band']}",
            f"    why:       {r['reason']}",
            f"    command:   {r['command']}",
        ]
    return "\n".join(lines)


def _readme_block(rows: list[dict], paper: dict) -> str:
    commands = sorted({r["command"] for r in rows})
    workers = paper["config"]["workers"]
    return "\n".join(
        [
            PAPER_BEGIN,
            f"`python -m agents paper{f' --workers {workers}' if workers > 1 else ''}` "
            f"({paper['parts_minutes_total']:.1f} minutes of its parts on the "
            '2-core machine of "Timings"; `make paper`), every figure below from its output; the commands behind '
            "each row:",
            "",
            *(f"- `{c}`" for c in commands),
            "",
            format_table(rows, markdown=True),
            PAPER_END,
        ]
    )


def _write_readme(path: str, block: str) -> None:
    text = Path(path).read_text()
    head, rest = text.split(PAPER_BEGIN, 1)
    _, tail = rest.split(PAPER_END, 1)
    with atomic_path(path) as tmp:
        tmp.write_text(head + block + tail)


def run_paper(config: PaperConfig, log=None) -> dict[str, Any]:
    """Run (or resume) every part the selected claims need, then write the table (terminal, paper.json,
    paper.md, hstep.png, and the README block with ``config.readme``). Returns the paper dict."""
    log = tqdm.write if log is None else log
    check_ray(config.ray)
    selected = config.selected
    parts = [p for p in ("report2d", "report3d", "train", "closed") if any(p in NEEDS[c] for c in selected)]
    out = Path(config.out)
    started = time.perf_counter()
    timings_path = out / "timings.json"  # each part's wall time, summed over the runs that did its work
    timings: dict[str, float] = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    this_run: dict[str, float] = {}
    results: dict[str, Any] = {}
    for part in parts:
        if not (out / part).exists():  # nothing to resume: the part's time starts again (its folder was removed)
            timings.pop(part, None)
        t0 = time.perf_counter()
        log(f"paper: {part}")
        if part.startswith("report"):
            results[part], worked = _report_part(part, config, log)
        elif part == "train":
            results[part], worked = _train_part(config, selected, log)
        else:
            results[part], worked = _closed_part(config, selected, log)
        this_run[part] = time.perf_counter() - t0
        if worked:
            timings[part] = timings.get(part, 0.0) + this_run[part]
            write_json(timings_path, timings)
    rows: list[dict] = []
    r2, r3 = results.get("report2d"), results.get("report3d")
    for claim in selected:
        if claim == "optimiser":
            rows += _optimiser_rows(r2, results["train"])
        elif claim == "ood":
            rows += _ood_rows(r2, r3)
        elif claim == "closed_loop":
            rows += _closed_rows(results["closed"])
        elif claim == "bitter_lesson":
            rows += _bitter_rows(r2, results["train"], results["closed"])
        else:
            rows += _hstep_rows(r2, r3, out)
            plot_hstep(r2, r3, out / "hstep.png")
    recorded = {p: timings[p] for p in parts if p in timings}
    paper = {
        "config": {k: v for k, v in asdict(config).items() if k not in ("ray", "readme")},
        "claims": rows,
        "seconds_this_run": time.perf_counter() - started,
        "seconds_this_run_per_part": this_run,
        "parts_seconds": recorded,
        "parts_minutes_total": sum(recorded.values()) / 60,
        "published": {key: asdict(figure) for key, figure in PUBLISHED.items()},
    }
    write_json(out / "paper.json", paper)
    with atomic_path(out / "paper.md") as tmp:
        tmp.write_text(format_table(rows, markdown=True) + "\n")
    log(format_table(rows, markdown=False))
    log(
        f"paper: {len(rows)} claims; this run {paper['seconds_this_run'] / 60:.1f} min, the parts "
        f"{paper['parts_minutes_total']:.1f} min when they ran; wrote {out / 'paper.json'}, paper.md"
        + (", hstep.png" if "hstep" in selected else "")
    )
    if config.readme:
        _write_readme(config.readme, _readme_block(rows, paper))
        log(f"paper: updated the table in {config.readme}")
    return paper
