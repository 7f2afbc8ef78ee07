"""The plot of a benchmark run: success and final error by orientation, with their 95% intervals.

Planar orientations (2D, or yaws in 3D) are drawn on polar axes with the training slice shaded and named;
any other orientations (the SE(3) ladder) as points with interval bars, grouped by rung.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from eqenvs.files import atomic_path

__all__ = ["SLICE_DEG", "planar", "plot_summary"]

SLICE_DEG = (0.0, 90.0)


def _column(per: dict[str, Any], names: list[str], metric: str, key: str) -> np.ndarray:
    return np.array([np.nan if per[n][metric][key] is None else per[n][metric][key] for n in names], dtype=float)


def planar(summary: dict[str, Any]) -> bool:
    """Whether every orientation of the run has an angle (a rotation about one axis): polar axes fit it (the plot
    here and the results page's chart)."""
    return bool(summary["orientations"]) and all(o["angle_deg"] is not None for o in summary["orientations"].values())


def plot_summary(summary: dict[str, Any], path: Path) -> None:
    """Write the plot of ``summary`` to ``path`` (PNG, atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = summary["orientations"]
    names = list(per)
    angles = [per[n]["angle_deg"] for n in names]
    polar = planar(summary)
    unit = summary["unit"]
    panels = (("success", "success rate", (0.0, 1.0)), ("pos_error", f"final position error ({unit})", None))
    fig = plt.figure(figsize=(10.0, 4.8))
    for k, (metric, title, limits) in enumerate(panels):
        mean, low, high = (_column(per, names, metric, key) for key in ("mean", "low", "high"))
        if polar:
            ax = fig.add_subplot(1, 2, k + 1, projection="polar")
            order = np.argsort(angles)
            theta = np.radians(np.array(angles, dtype=float)[order])
            closed = lambda v, order=order: np.append(v[order], v[order][0])  # noqa: E731
            t = np.append(theta, theta[0])
            ax.fill_between(t, closed(low), closed(high), color="tab:blue", alpha=0.2, label="95% interval")
            ax.plot(t, closed(mean), marker="o", color="tab:blue", label=metric.replace("_", " "))
            ax.axvspan(*np.radians(SLICE_DEG), color="tab:green", alpha=0.12, label="training slice (0-90 deg)")
            ax.set_thetagrids(range(0, 360, 45), [f"{d} deg" for d in range(0, 360, 45)], fontsize=7)
            finite = np.concatenate([high[np.isfinite(high)], mean[np.isfinite(mean)], [1e-9]])
            top = limits[1] if limits else float(finite.max()) * 1.1
            ax.set_ylim(0.0, top)
            ax.tick_params(axis="y", labelsize=7)
        else:
            ax = fig.add_subplot(1, 2, k + 1)
            x = np.arange(len(names))
            splits = [per[n]["split"] for n in names]
            colours = {s: plt.cm.tab10(i % 10) for i, s in enumerate(dict.fromkeys(splits))}
            for s, colour in colours.items():
                idx = [i for i, si in enumerate(splits) if si == s]
                ax.errorbar(x[idx], mean[idx], yerr=[mean[idx] - low[idx], high[idx] - mean[idx]], fmt="o",
                            color=colour, capsize=3, label=s)  # fmt: skip
            ax.set_xticks(x, names, rotation=60, fontsize=7, ha="right")
            if limits:
                ax.set_ylim(-0.05, 1.05)
            ax.grid(alpha=0.3)
        ax.set_title(title, fontsize=9)
        if k == 0:
            handles, labels = ax.get_legend_handles_labels()
            fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.93), ncol=len(labels), fontsize=7,
                       frameon=False)  # fmt: skip
    task = summary["task"]
    fig.suptitle(f"{summary['label']} on {summary['env']} ({task}), {summary['tasks']} paired tasks per orientation; "
                 "bands: 95% intervals (success: Wilson; error: Student t)", fontsize=9)  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
