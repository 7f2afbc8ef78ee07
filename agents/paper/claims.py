"""The paper's claims, row by row: each published figure (``PUBLISHED``: value, source, definition) beside ours,
with a verdict from ``agents.paper.verdicts`` by a rule stated before the figure is computed."""

from __future__ import annotations

import math
from pathlib import Path

from agents.paper import plan
from agents.paper.verdicts import (
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

__all__ = ["PUBLISHED", "bitter_rows", "closed_rows", "hstep_rows", "ood_rows", "optimiser_rows"]

_OURS_RESIDUAL = (
    "ours: the max-norm of rho(g) F(x, a) - F(g x, g a) over the max-norm of F, over Haar-random elements and C4"
)
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


def optimiser_rows(r2: dict, trained: dict) -> list[dict]:
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
            plan.REPORT_COMMANDS["report2d"],
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


def ood_rows(r2: dict, r3: dict) -> list[dict]:
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
            plan.REPORT_COMMANDS["report2d"],
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
            plan.REPORT_COMMANDS["report2d"],
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
            plan.REPORT_COMMANDS["report2d"],
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
            plan.REPORT_COMMANDS["report3d"],
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
            plan.REPORT_COMMANDS["report3d"],
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
            plan.REPORT_COMMANDS["report2d"],
        )
    )
    return rows


def closed_rows(closed: dict) -> list[dict]:
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
            f"{h['seen']['mean']:.2f} slice / {h['heldout']['mean']:.2f} held out ({plan.TASKS} tasks); fp32: residual "
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


def bitter_rows(r2: dict, trained: dict, closed: dict) -> list[dict]:
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
            plan.REPORT_COMMANDS["report2d"],
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
            "every observed state (frame_conditioning: its direction has norm 1). An in-frame residual therefore "
            "measures the frame, not the model; where the frame is read off predicted states it can fail (the 3D "
            "report: the canonical MLP's 16-step rollout diverges)",
            plan.REPORT_COMMANDS["report2d"],
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


def hstep_rows(r2: dict, r3: dict, out: Path) -> list[dict]:
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
        command = plan.REPORT_COMMANDS[f"report{dim.lower()}"]
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
                bound(worst, published.value),  # type: ignore[arg-type]
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

    from agents.checkpoints import load_checkpoint
    from agents.data import load_dataset
    from agents.evaluate import ulp_sensitivity, window_arrays
    from agents.report import TEST_FRACTION

    _, test = load_dataset(folder / f"seed{seed}" / "data.npz").split_episodes(TEST_FRACTION, seed)
    model = load_checkpoint(folder / f"seed{seed}" / f"{name}.pt")[0].to(getattr(torch, dtype))
    _, obs, actions, _ = window_arrays(test, horizon)  # the windows the report's residuals used
    return ulp_sensitivity(model, obs, actions)
