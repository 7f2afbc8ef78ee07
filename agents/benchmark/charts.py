"""The results page's charts as inline SVG (no chart library, nothing fetched): success by orientation on polar
axes for planar runs (2D, or yaws in 3D) and by split / ladder rung for any others, one trace per run, every
point with its 95% interval (a band on the polar axes, a bar by rung) and a tooltip naming its figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from agents.benchmark.plots import SLICE_DEG, planar

__all__ = ["PALETTE", "Trace", "planar", "polar_chart", "rung_chart", "split_points"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
"""The runs' colours, in order (matplotlib's tab10)."""
SIZE, RADIUS = 380, 150  # the polar chart's side and the radius of success 1.0, in px


@dataclass(frozen=True)
class Trace:
    """One run on a chart: its name, colour and points ``(where, estimate, note)``: ``where`` is an angle in degrees
    (polar) or a category (rungs), ``estimate`` a named estimate ``{mean, low, high, n, method}``."""

    name: str
    colour: str
    points: list[tuple[Any, dict[str, Any], str]]


def _xy(angle_deg: float, value: float) -> tuple[float, float]:
    """SVG coordinates of a polar point: 0 deg to the right, angles counter-clockwise, as the env's rotations."""
    theta = math.radians(angle_deg)
    return SIZE / 2 + RADIUS * value * math.cos(theta), SIZE / 2 - RADIUS * value * math.sin(theta)


def _clip(value: float | None) -> float:
    return 0.0 if value is None or not math.isfinite(value) else min(max(value, 0.0), 1.0)


def _tip(trace: Trace, where: Any, estimate: dict[str, Any], note: str) -> str:
    place = f"{where:g} deg" if isinstance(where, (int, float)) else str(where)
    low, high = estimate.get("low"), estimate.get("high")
    interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
    mean = "n/a" if estimate.get("mean") is None else f"{estimate['mean']:.2f}"
    return escape(f"{trace.name}, {place}{note}: success {mean}{interval} ({estimate.get('method')}, "
                  f"n = {estimate.get('n')})")  # fmt: skip


def _ring(points: list[tuple[float, float]], closed: bool) -> str:
    path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return path + (" Z" if closed else "")


def polar_chart(traces: list[Trace], title: str) -> str:
    """Success (radius 0 to 1) against orientation (angle), one trace per run: the mean as a line with markers, the
    95% interval as a band; the training slice [0, 90) deg shaded."""
    c = SIZE / 2
    parts = [f'<svg class="chart polar" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    (x0, y0), (x1, y1) = _xy(SLICE_DEG[0], 1.0), _xy(SLICE_DEG[1], 1.0)
    parts.append(f'<path class="slice" d="M{c},{c} L{x0:.1f},{y0:.1f} A{RADIUS},{RADIUS} 0 0 0 {x1:.1f},{y1:.1f} Z">'
                 "<title>training slice [0, 90) deg</title></path>")  # fmt: skip
    for level in (0.25, 0.5, 0.75, 1.0):
        parts.append(f'<circle class="grid" cx="{c}" cy="{c}" r="{RADIUS * level:.1f}"/>')
        parts.append(f'<text class="tick" x="{c + 3}" y="{c - RADIUS * level - 2:.1f}">{level:g}</text>')
    for angle in range(0, 360, 45):
        x, y = _xy(angle, 1.0)
        lx, ly = _xy(angle, 1.12)
        parts.append(f'<line class="grid" x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle">{angle}°</text>')
    for trace in traces:
        points = sorted(trace.points, key=lambda p: p[0] % 360)
        if not points:
            continue
        angles = [p[0] % 360 for p in points]
        gaps = [(b - a) % 360 for a, b in zip(angles, angles[1:] + angles[:1], strict=True)]
        closed = len(points) > 2 and max(gaps) <= 180  # a trace around the circle closes; a partial one does not
        high = [_xy(a, _clip(e.get("high"))) for a, e, _ in points]
        low = [_xy(a, _clip(e.get("low"))) for a, e, _ in points]
        mean = [_xy(a, _clip(e.get("mean"))) for a, e, _ in points]
        band = (_ring(high, True) + " " + _ring(low, True)) if closed else _ring(high + low[::-1], True)
        parts.append(f'<g class="trace" data-run="{escape(trace.name)}">')
        parts.append(f'<path class="band" d="{band}" fill="{trace.colour}" fill-rule="evenodd"/>')
        parts.append(f'<path class="line" d="{_ring(mean, closed)}" stroke="{trace.colour}"/>')
        for (x, y), (where, estimate, note) in zip(mean, points, strict=True):
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{trace.colour}">'
                         f"<title>{_tip(trace, where, estimate, note)}</title></circle>")  # fmt: skip
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def split_points(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """A run's success by split (on the SE(3) ladder, by rung): the seen reference orientation's own success, then
    each held-out split's success pooled over its orientations per task (``summary["splits"]``); a run without
    pooled splits (no headline) shows each orientation under its split."""
    per, splits = summary["orientations"], summary.get("splits") or {}
    if not splits:
        return [(o["split"], o["success"], f" ({name})") for name, o in per.items()]
    reference = summary["reference"]
    points = [(per[reference]["split"], per[reference]["success"], f" ({reference}, the reference)")]
    for name, split in splits.items():
        members = split["orientations"]
        note = f" ({members[0]})" if len(members) == 1 else f" (pooled over {len(members)} orientations)"
        points.append((name, split["success"], note))
    return points


def rung_chart(traces: list[Trace], title: str) -> str:
    """Success by split / ladder rung: one column per category (first-seen order), one point with its 95% interval
    bar per run, side by side within the column."""
    categories = list(dict.fromkeys(where for trace in traces for where, _, _ in trace.points))
    width, height, left, top, bottom = max(360, 70 * len(categories) + 60), 280, 44, 16, 60
    plot_w, plot_h = width - left - 10, height - top - bottom
    column = plot_w / max(len(categories), 1)

    def y(value: float | None) -> float:
        return top + plot_h * (1.0 - _clip(value))

    parts = [f'<svg class="chart rungs" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for level in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line class="grid" x1="{left}" y1="{y(level):.1f}" x2="{width - 10}" y2="{y(level):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(level) + 4:.1f}" text-anchor="end">{level:g}</text>')
    for i, name in enumerate(categories):
        x = left + column * (i + 0.5)
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - bottom + 16}" text-anchor="end" '
                     f'transform="rotate(-35 {x:.1f} {height - bottom + 16})">{escape(str(name))}</text>')  # fmt: skip
    for k, trace in enumerate(traces):
        offset = (k - (len(traces) - 1) / 2) * min(12.0, column / (len(traces) + 1))
        parts.append(f'<g class="trace" data-run="{escape(trace.name)}">')
        for where, estimate, note in trace.points:
            x = left + column * (categories.index(where) + 0.5) + offset
            if estimate.get("low") is not None and estimate.get("high") is not None:
                parts.append(f'<line class="bar" x1="{x:.1f}" x2="{x:.1f}" y1="{y(estimate["low"]):.1f}" '
                             f'y2="{y(estimate["high"]):.1f}" stroke="{trace.colour}"/>')  # fmt: skip
            tip = _tip(trace, where, estimate, note)
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y(estimate.get("mean")):.1f}" r="4" '
                         f'fill="{trace.colour}"><title>{tip}</title></circle>')  # fmt: skip
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
