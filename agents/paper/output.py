"""What the paper command writes: the H-step plot, the claims table (markdown or text) and the README block."""

from __future__ import annotations

from pathlib import Path

from agents.config import PAPER_BEGIN, PAPER_END
from eqenvs.files import atomic_path

__all__ = ["format_table", "plot_hstep", "readme_block", "write_readme"]


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


def readme_block(rows: list[dict], paper: dict) -> str:
    commands = sorted({r["command"] for r in rows})
    workers = paper["config"]["workers"]
    return "\n".join(
        [
            PAPER_BEGIN,
            f"`python -m agents paper{f' --workers {workers}' if workers > 1 else ''}` "
            f"({paper['parts_minutes_total']:.1f} minutes of its parts on the "
            "2-core machine of [timings](timings-and-scaling.md); `make paper`), every figure below from its output; "
            "the commands behind each row:",
            "",
            *(f"- `{c}`" for c in commands),
            "",
            format_table(rows, markdown=True),
            PAPER_END,
        ]
    )


def write_readme(path: str, block: str) -> None:
    text = Path(path).read_text()
    head, rest = text.split(PAPER_BEGIN, 1)
    _, tail = rest.split(PAPER_END, 1)
    with atomic_path(path) as tmp:
        tmp.write_text(head + block + tail)
