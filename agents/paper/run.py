"""``run_paper``: every part the selected claims need (run or reused), then the table in every form."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agents.config import PaperConfig
from agents.paper import plan
from agents.paper.claims import PUBLISHED, bitter_rows, closed_rows, hstep_rows, ood_rows, optimiser_rows
from agents.paper.output import format_table, plot_hstep, readme_block, write_readme
from agents.paper.parts import closed_part, report_part, train_part
from agents.workers import check_ray
from eqenvs.files import atomic_path, write_json

__all__ = ["run_paper"]


def run_paper(config: PaperConfig, log=None) -> dict[str, Any]:
    """Run (or resume) every part the selected claims need, then write the table (terminal, paper.json,
    paper.md, hstep.png, and the README block with ``config.readme``). Returns the paper dict."""
    log = tqdm.write if log is None else log
    check_ray(config.ray)
    selected = config.selected
    parts = [p for p in ("report2d", "report3d", "train", "closed") if any(p in plan.NEEDS[c] for c in selected)]
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
            results[part], worked = report_part(part, config, log)
        elif part == "train":
            results[part], worked = train_part(config, selected, log)
        else:
            results[part], worked = closed_part(config, selected, log)
        this_run[part] = time.perf_counter() - t0
        if worked:
            timings[part] = timings.get(part, 0.0) + this_run[part]
            write_json(timings_path, timings)
    rows: list[dict] = []
    r2, r3 = results.get("report2d"), results.get("report3d")
    for claim in selected:
        if claim == "optimiser":
            rows += optimiser_rows(r2, results["train"])
        elif claim == "ood":
            rows += ood_rows(r2, r3)
        elif claim == "closed_loop":
            rows += closed_rows(results["closed"])
        elif claim == "bitter_lesson":
            rows += bitter_rows(r2, results["train"], results["closed"])
        else:
            rows += hstep_rows(r2, r3, out)
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
        write_readme(config.readme, readme_block(rows, paper))
        log(f"paper: updated the table in {config.readme}")
    return paper
