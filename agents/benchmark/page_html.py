"""The results page's HTML (``agents.benchmark.page`` reads the runs and writes the files): the comparison table with
``compare``'s cells, the charts, per run the paired differences and exactness by orientation, the synchronised
videos and the provenance. Every text is escaped; every link is relative; the script and styles are
``web/page.js`` and ``web/page.css``."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from agents.benchmark import provenance
from agents.benchmark.charts import Trace, planar, polar_chart, rung_chart, split_points
from agents.benchmark.tables import COLUMNS, COMPARISON_NOTE, format_estimate, format_number, format_summary, task_set

__all__ = ["COLUMN_NOTES", "render"]

COLUMN_NOTES = {
    "label": "the run's label; [validation]: tuning tasks, never a table's test tasks",
    "runs": "runs (seeds) of this agent aggregated in the row",
    "seen": "success pooled per task over the seen orientations (the slice; on the ladder the identity), 95% interval",
    "heldout": "success pooled per task over the held-out orientations, 95% interval",
    "gap": "held-out minus seen success, paired by task (Newcombe 95% interval): the headline, declared in advance",
    "err_seen": "mean final position error at the seen orientations, in the env's unit",
    "err_held": "mean final position error at the held-out orientations, in the env's unit",
    "ood": "OOD factor: final error held-out / seen",
    "coverage": "mean final coverage of the goal T, seen / held-out (the pusht task's measure)",
    "max_paired": "exactness: the largest |difference| of a task's final error between orientations",
    "residual": "exactness: the closed loop's equivariance residual, relative",
    "plan_ms": "mean time per step of the agent, ms",
}
"""The comparison's header tooltips."""


def _attrs(**values: Any) -> str:
    return "".join(f' {name.replace("_", "-")}="{escape(str(v))}"' for name, v in values.items() if v is not None)


def _estimate_attrs(estimate: dict[str, Any] | None) -> dict[str, Any]:
    """A cell's data attributes for a named estimate (the browser test reads them back)."""
    if not estimate:
        return {}
    return {f"data_{k}": estimate.get(k) for k in ("mean", "low", "high", "n", "method")}


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


def _validation(summary: dict[str, Any]) -> bool:
    return task_set(summary) == "validation"


def _name(runs: list[Any], run: Any) -> str:
    """A run's name on the charts: its label, [validation] for validation tasks, and where other runs share the
    label, its seed (or its folder, where the seeds are the same too)."""
    label = run.summary["label"]
    twins = [r for r in runs if r.summary["label"] == label]
    if len(twins) > 1:
        seeds = [r.summary.get("config", {}).get("seed") for r in twins]
        seed = run.summary.get("config", {}).get("seed")
        label += f" (seed {seed})" if seeds.count(seed) == 1 else f" ({run.folder.name})"
    return ("[validation] " if _validation(run.summary) else "") + label


def _comparison(runs: list[Any], rows: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> str:
    head = "".join(f'<th scope="col"{_attrs(data_field=c.field, data_kind=c.kind, title=COLUMN_NOTES.get(c.field))}>'
                   f"{escape(c.header)}</th>" for c in COLUMNS)  # fmt: skip
    body = []
    for row, group in rows:
        members = [run for run in runs if any(run.summary is s for s in group)]
        cells = []
        for column in COLUMNS:
            text = escape(column.text(row))
            attrs = {"data_field": column.field, "data_value": column.value(row),
                     **_estimate_attrs(column.estimate(row))}  # fmt: skip
            if column.field == "label":
                swatches = "".join(_swatch(run.colour) for run in members)
                text = f'{swatches}<a href="#run-{members[0].slug}">{text}</a>'
            cells.append(f"<td{_attrs(**attrs)}>{text}</td>")
        kind = "validation" if row["task_set"] == "validation" else "test"
        body.append(f'<tr class="{kind}" data-runs="{" ".join(run.slug for run in members)}">{"".join(cells)}</tr>')
    return (f'<table id="comparison" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f'</table><p class="note">Click a header to sort. {escape(COMPARISON_NOTE)}</p>')  # fmt: skip


def _legend(runs: list[Any]) -> str:
    items = "".join(f"<li>{_swatch(run.colour)}{escape(_name(runs, run))} <code>{escape(str(run.folder))}</code></li>"
                    for run in runs)  # fmt: skip
    return f'<ul class="legend">{items}</ul>'


def _charts(runs: list[Any]) -> str:
    parts = []
    flat = [run for run in runs if planar(run.summary)]
    other = [run for run in runs if not planar(run.summary)]
    if flat:
        traces = [Trace(_name(runs, run), run.colour, [
            (o["angle_deg"], o["success"], f" ({o['split']})") for o in run.summary["orientations"].values()
        ]) for run in flat]  # fmt: skip
        title = "success by orientation (radius: success 0 to 1; shaded: the training slice; bands: 95% intervals)"
        parts.append(f'<figure class="chart">{polar_chart(traces, title)}<figcaption>{escape(title)}'
                     f"{_legend(flat)}</figcaption></figure>")  # fmt: skip
    if other:
        traces = [Trace(_name(runs, run), run.colour, split_points(run.summary)) for run in other]
        title = ("success by split / ladder rung (the reference orientation, then each held-out split pooled per "
                 "task; bars: 95% intervals)")  # fmt: skip
        parts.append(f'<figure class="chart">{rung_chart(traces, title)}<figcaption>{escape(title)}'
                     f"{_legend(other)}</figcaption></figure>")  # fmt: skip
    return "".join(parts)


def _orientation_table(summary: dict[str, Any]) -> str:
    unit, reference = summary["unit"], summary["reference"]
    head = ["orientation", "split", "angle", "success [95% CI]", f"minus {reference}, paired", "p",
            f"final error {unit} [95% CI]", f"max |paired diff| {unit}", "residual", "steps", "ms/step"]  # fmt: skip
    body = []
    for name, o in summary["orientations"].items():
        paired = o["paired_vs_reference"]
        angle = "" if o["angle_deg"] is None else f"{o['angle_deg']:g}°"
        cells = [
            (escape(name), {}), (escape(o["split"]), {}), (angle, {}),
            (format_estimate(o["success"]), _estimate_attrs(o["success"])),
            (format_estimate(paired["success"]["difference"], signed=True),
             _estimate_attrs(paired["success"]["difference"])),
            (format_number(paired["success"]["p_value"], ".3g"), {}),
            (format_estimate(o["pos_error"], ".4g"), _estimate_attrs(o["pos_error"])),
            (format_number(paired["pos_error"]["max_abs"], ".2g"), {}),
            (format_number(o["residual_max"], ".1e"), {}),
            (format_number(o["steps"]["mean"], ".1f"), {}),
            (format_number(o["plan_ms"]["mean"], ".1f"), {}),
        ]  # fmt: skip
        seen = " seen" if name in summary["seen"] else ""
        body.append(f'<tr class="orientation{seen}" data-orientation="{escape(name)}">'
                    + "".join(f"<td{_attrs(**a)}>{t}</td>" for t, a in cells) + "</tr>")  # fmt: skip
    header = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    return f'<table class="orientations"><thead><tr>{header}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _badges(summary: dict[str, Any]) -> str:
    kind = task_set(summary)
    mode = summary["env_kwargs"].get("orientation_mode", "frame")
    note = "validation tasks: tuning, never in a table" if kind == "validation" else "test tasks"
    return (f'<span class="badge {kind}">{escape(note)}</span><span class="badge">{escape(summary["env"])}</span>'
            f'<span class="badge">task {escape(str(summary["task"]))}</span><span class="badge">{escape(mode)} '
            "mode</span>")  # fmt: skip


def _run_section(runs: list[Any], run: Any) -> str:
    summary = run.summary
    head = summary.get("headline")
    exact = summary["exactness"]
    lines = []
    if head:
        lines.append(f"Headline (declared in advance): success held-out {format_estimate(head['heldout'])} vs seen "
                     f"{format_estimate(head['seen'])}, difference {format_estimate(head['difference'], signed=True)}"
                     f", paired by task ({head['test']} p = {format_number(head['p_value'], '.3g')}).")  # fmt: skip
    else:
        lines.append("No headline: the run has no seen orientation or no held-out one.")
    lines.append("Exactness: max |paired difference| across orientations "
                 + ", ".join(f"{k} {format_number(v, '.2g')}" for k, v in exact["max_abs_paired_difference"].items())
                 + f"; max closed-loop residual {format_number(exact['max_residual'], '.2e')}.")  # fmt: skip
    return (f'<section class="run" id="run-{run.slug}"><h3>{_swatch(run.colour)}{escape(_name(runs, run))}</h3>'
            f'<p class="badges">{_badges(summary)}</p>'
            + "".join(f"<p>{escape(line)}</p>" for line in lines)
            + _orientation_table(summary)
            + f"<details><summary>eqbench's printed table</summary><pre>{escape(format_summary(summary))}</pre>"
            "</details></section>")  # fmt: skip


def _videos(runs: list[Any], tasks: list[int], links: dict[tuple[int, int, int], str]) -> str:
    if not tasks:
        return "<p>No run of this page recorded videos (eqbench --videos N records the first N tasks).</p>"
    widest = max(len(run.summary["orientations"]) for run in runs)
    tile = max(64, min(192, 1300 // widest - 4))  # a row of tiles and its label fit a 1600 px window
    parts = [f'<p class="note">Every tile of a task plays on one clock: the same task at every '
             'orientation, one row per run. <label>tile size <input type="range" id="tile-size" min="64" max="320" '
             f'value="{tile}"></label></p>']  # fmt: skip
    for task in tasks:
        # the first task's videos load with the page; the others once it has loaded (page.js), so that the page
        # opens as fast with many tasks as with one
        preload = 'preload="auto"' if task == tasks[0] else 'preload="none" data-preload="auto"'
        rows = []
        for r, run in enumerate(runs):
            names = list(run.summary["orientations"].items())
            tiles = []
            for i, (name, o) in enumerate(names):
                link = links.get((r, task, i))
                if link is None:
                    continue
                outcome = "success" if link.rsplit("_", 1)[-1].startswith("success") else "failure"
                split = "held-out" if o["split"] == "heldout" else o["split"]
                tiles.append(f'<figure class="tile {outcome}"><video src="{escape(link)}" muted playsinline {preload} '
                             f'data-orientation="{escape(name)}"></video><figcaption>{escape(name)} · '
                             f"{escape(split)} · {outcome}</figcaption></figure>")  # fmt: skip
            if tiles:
                seeds = provenance.seeds_of(run.summary)
                seed = seeds["first"] + task
                rows.append(f'<div class="video-row"><div class="row-label">{_swatch(run.colour)}'
                            f"{escape(_name(runs, run))}<br><small>env seed {seed}</small></div>"
                            f'<div class="tiles">{"".join(tiles)}</div></div>')  # fmt: skip
        parts.append(f'<section class="sync" id="task-{task}"><h3>Task {task}</h3><div class="controls">'
                     '<button type="button" class="play">play</button><button type="button" class="restart">restart'
                     '</button><input type="range" class="scrub" min="0" max="1000" value="0" aria-label="time">'
                     f'<span class="clock">0.0 s</span></div>{"".join(rows)}</section>')  # fmt: skip
    return f'<div id="video-tiles" style="--tile:{tile}px">{"".join(parts)}</div>'


def _provenance(runs: list[Any], run: Any) -> str:
    summary, config = run.summary, run.summary.get("config", {})
    seeds = provenance.seeds_of(summary)
    recorded = summary.get("provenance")
    identity = run.identity or {}
    kind = seeds["task_set"]
    items = [
        ("folder", f"<code>{escape(str(run.folder))}</code>"),
        ("task set", f'<span class="badge {kind}">{kind}</span> '
                     + ("validation tasks (tuning; they never meet the test tasks)" if kind == "validation"
                        else "test tasks (the tables')")),
        ("seeds", f"seed {seeds['seed']}: {seeds['tasks']} tasks, env reset seeds {seeds['first']} to {seeds['last']} "
                  "(each task's agent seeded alike)"),
        ("env", f"<code>{escape(summary['env'])}</code>"),
        ("env kwargs", f"<code>{escape(json.dumps(summary['env_kwargs'], sort_keys=True))}</code>"),
        ("agent spec", f"<code>{escape(str(config.get('agent')))}</code>"),
        ("agent files (SHA-256)", escape(str(identity.get("agent_sha256", "none (no file)")))),
        ("orientations", f"<code>{escape(str(config.get('orientations')))}</code>: "
                         + escape(", ".join(summary["orientations"]))),
        ("episode cap", f"{config.get('max_steps')} steps"),
        ("rerun with", f"<code>{escape(provenance.eqbench_command(config))}</code>" if config else "n/a"),
    ]  # fmt: skip
    if recorded:
        versions = ", ".join(f"{k} {v}" for k, v in recorded["versions"].items() if v)
        items += [
            ("command run", f"<code>{escape(recorded['command'])}</code>"),
            ("versions", escape(f"Python {recorded['python']}, {versions}")),
            ("platform", escape(recorded["platform"])),
            ("source commit", escape(str(recorded.get("git_commit") or "not a git checkout"))),
        ]  # fmt: skip
    else:
        items.append(("command run, versions", "not recorded (the run finished before runs recorded them)"))
    if summary.get("seconds") is not None:
        items.append(("finished in", f"{summary['seconds']:.0f} s"))
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items)
    return (f'<section class="provenance" id="provenance-{run.slug}"><h3>{_swatch(run.colour)}'
            f"{escape(_name(runs, run))}</h3><dl>{rows}</dl></section>")  # fmt: skip


def render(runs: list[Any], rows: list[tuple[dict[str, Any], list[dict[str, Any]]]], tasks: list[int],
           links: dict[tuple[int, int, int], str], title: str = "") -> str:  # fmt: skip
    """The page's HTML: ``runs`` (``agents.benchmark.page.PageRun``), the comparison's ``(row, group)`` pairs, the
    tasks whose videos it shows and the videos' relative URLs by (run, task, orientation index)."""
    labels = list(dict.fromkeys(run.summary["label"] for run in runs))
    title = title or "eqbench: " + ", ".join(labels)
    envs = ", ".join(dict.fromkeys(run.summary["env"] for run in runs))
    validation = [run for run in runs if _validation(run.summary)]
    banner = ""
    if validation:
        banner = (f'<p class="banner validation">{len(validation)} of these {len(runs)} runs are on <b>validation '
                  "tasks</b> (tuning), not test tasks: they are marked [validation] everywhere.</p>")  # fmt: skip
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" href="page/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="page/page.css">
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p>{len(runs)} benchmark run{"s" if len(runs) != 1 else ""} on {escape(envs)}; written by
<code>python -m agents page</code> from each run's summary.json.</p>
<nav><a href="#comparison-section">comparison</a> <a href="#orientations">success by orientation</a>
<a href="#runs">per orientation</a> <a href="#videos">videos</a> <a href="#provenance">provenance</a></nav>
{banner}
</header>
<main>
<section id="comparison-section"><h2>Comparison</h2>{_comparison(runs, rows)}</section>
<section id="orientations"><h2>Success by orientation</h2>{_charts(runs)}</section>
<section id="runs"><h2>Per orientation: paired differences and exactness</h2>
{"".join(_run_section(runs, run) for run in runs)}</section>
<section id="videos"><h2>Videos</h2>{_videos(runs, tasks, links)}</section>
<section id="provenance"><h2>Provenance</h2>{"".join(_provenance(runs, run) for run in runs)}</section>
</main>
<script src="page/page.js"></script>
</body>
</html>
"""
