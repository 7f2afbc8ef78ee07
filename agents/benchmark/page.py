"""The results page: finished benchmark runs as one static web page, opened from disk, shared as a folder.

    python -m agents page runs/bench/vn runs/bench/mlp --out runs/page     # then open runs/page/index.html

``<out>/index.html`` holds the comparison table (``compare``'s cells, from ``agents.benchmark.tables``; sortable
by a click on a header), success by orientation (polar axes for planar runs, by split / ladder rung otherwise;
one trace per run, 95% intervals), per run the paired differences and exactness figures per orientation, per
task the videos at every orientation side by side playing in sync, and each run's provenance (the eqbench command,
env kwargs, agent spec, task set and seeds, versions). Its assets lie under ``<out>/page/`` (a stylesheet, a
small script, an icon and copies of the runs' mp4s; videos already under ``<out>`` are linked where they lie),
all by relative paths: nothing is fetched, no server is needed, and zipping ``<out>`` shares the page.
Everything is read and checked before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agents.benchmark.charts import PALETTE
from agents.benchmark.page_html import render
from agents.benchmark.summary import load_summary
from agents.benchmark.tables import compare, comparison_groups, comparison_row
from agents.benchmark.videos import VIDEO_NAME
from agents.config import CompareConfig, PageConfig
from eqenvs.files import atomic_path, check_output_folder

__all__ = ["ASSETS", "PageRun", "read_run", "run_compare", "run_page", "write_page"]

ASSETS = ("page.css", "page.js", "icon.svg")
"""The page's own files (``agents/benchmark/web``), copied to ``<out>/page/``."""


@dataclass
class PageRun:
    """A finished run as the page shows it: its folder, summary, rows' run identity, colour and recorded videos
    (``videos[task][i]``: the mp4 of orientation ``i``, in the run's order)."""

    folder: Path
    summary: dict[str, Any]
    identity: dict[str, Any] | None
    slug: str
    colour: str
    videos: dict[int, dict[int, Path]]


def _identity(folder: Path) -> dict[str, Any] | None:
    """The run identity of the rows (env, kwargs, agent, seed, the agent files' SHA-256), from the first row."""
    path = folder / "rows.jsonl"
    if not path.is_file():
        return None
    with path.open() as f:
        first = f.readline()
    try:
        return json.loads(first).get("run")
    except (json.JSONDecodeError, AttributeError):
        return None


def _videos(folder: Path, summary: dict[str, Any]) -> dict[int, dict[int, Path]]:
    """The run's per-orientation mp4s by task and orientation index: ``<folder>/videos``, else its --video-dir."""
    candidates = [folder / "videos"]
    if summary.get("config", {}).get("video_dir"):
        candidates.append(Path(summary["config"]["video_dir"]))
    count = len(summary["orientations"])
    found: dict[int, dict[int, Path]] = {}
    for videos in candidates:
        if not videos.is_dir():
            continue
        for path in sorted(videos.glob("task*.mp4")):
            match = VIDEO_NAME.match(path.name)
            if match and int(match[2]) < count:
                found.setdefault(int(match[1]), {})[int(match[2])] = path
        if found:
            break
    return found


def read_run(folder: str | Path, index: int) -> PageRun:
    """Run ``index`` of the page from its folder (a ValueError naming ``folders`` where it is not a finished run)."""
    folder = Path(folder)
    summary = load_summary(folder)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", summary["label"]).strip("_")[:40] or "run"
    return PageRun(folder, summary, _identity(folder), f"{index:02d}_{slug}", PALETTE[index % len(PALETTE)],
                   _videos(folder, summary))  # fmt: skip


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _link(path: Path, out: Path) -> str:
    """The URL of ``path`` relative to ``out`` (where index.html lies), each part percent-encoded."""
    return "/".join(quote(part) for part in Path(os.path.relpath(path.resolve(), out.resolve())).parts)


def write_page(folders: list[str | Path], out: str | Path, reps: int = 2000, video_tasks: int = 4,
               title: str = "") -> Path:  # fmt: skip
    """Write the results page of the runs in ``folders`` to ``out`` and return the path of its ``index.html``.

    Every run is read and the comparison computed before anything is written (a ValueError names the argument and
    the fault). ``video_tasks``: the first N tasks with videos are shown (0: none)."""
    if not folders:
        raise ValueError("folders: give at least one benchmark folder")
    out = check_output_folder(out, "out")
    runs = [read_run(folder, i) for i, folder in enumerate(folders)]
    for run in runs:
        if _inside(run.folder, out / "page"):
            raise ValueError(f"out: {str(out / 'page')!r}, which the page rewrites, holds the run {str(run.folder)!r}")
    rows = [(comparison_row(group, reps), group) for group in comparison_groups([run.summary for run in runs])]
    tasks = sorted({task for run in runs for task in run.videos})[:video_tasks]
    copies: list[tuple[Path, Path]] = []  # (a run's video, its copy under <out>/page)
    links: dict[tuple[int, int, int], str] = {}  # (run, task, orientation index) -> URL relative to index.html
    for r, run in enumerate(runs):
        for task in tasks:
            for i, path in run.videos.get(task, {}).items():
                if _inside(path, out):  # a run under out (or out a run's folder): link the video where it lies
                    links[r, task, i] = _link(path, out)
                else:
                    copies.append((path, Path("videos", run.slug, path.name)))
                    links[r, task, i] = "/".join(quote(part) for part in ("page", *copies[-1][1].parts))
    text = render(runs, rows, tasks, links, title)
    # write: the assets and copies staged beside, then swapped in for the old ones; index.html last, atomically
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".page-", dir=out))
    try:
        web = resources.files("agents.benchmark") / "web"
        for name in ASSETS:
            (staging / name).write_bytes((web / name).read_bytes())
        for source, copy in copies:
            (staging / copy).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, staging / copy)
        shutil.rmtree(out / "page", ignore_errors=True)
        staging.rename(out / "page")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    index = out / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return index


def run_page(config: PageConfig) -> None:
    """``python -m agents page``: write the page and print where it is."""
    index = write_page(list(config.folders), config.out, config.reps, config.video_tasks, config.title)
    print(f"wrote {index} (open it in a browser; {index.parent} is self-contained)")


def run_compare(config: CompareConfig) -> None:
    """``python -m agents compare``: print the comparison table; with ``--page``, also write the runs' page (the
    runner lives here, beside the page writer, as the table module never imports the page)."""
    if config.page:
        check_output_folder(config.page, "page")
    print(compare(config))
    if config.page:
        print(f"wrote {write_page(list(config.folders), config.page, config.reps)}")
