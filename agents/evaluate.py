"""Open-loop metrics of world models across orientations: relMSE per orientation bin, OOD factor, exactness.

    python -m agents evaluate --data runs/push2d_test.npz --checkpoints runs/vn_latent.pt runs/mlp_latent.pt

For held-out transitions (episodes not trained on), moved back to the identity (exact: frame mode is a
relabelling) and then into every orientation bin:

* ``relMSE`` per bin = sum |F(s, a) - E_t(s')|^2 / sum |E_t(s') - E_t(s)|^2, with F = f o E and E_t the
  training target (the EMA encoder; the identity for explicit models). 2D bins are 30-degree arcs (each
  transition keeps its offset within the arc); 3D "bins" are the rungs of the SE(3) ladder.
* ``ood_factor`` = worst held-out bin / the seen bins (2D: the arcs inside the slice; 3D: the data at its
  own slice orientations).
* ``per_component``: relMSE split by observation field (explicit models) or latent channel.
* ``delta_eq`` = max_i |rho(g) F(x_i, a_i) - F(g x_i, g a_i)|_inf / max |F|, over Haar-random elements and a
  finite subgroup, in float32 and float64 (a float64 copy of the model); the report also measures it on
  the untrained model (``delta_eq_init``).
* ``rollout``: for H in {1, 2, 4, 8, 16}, the H-step relMSE against E_t(s_{t+H}), its OOD factor
  ``relmse_ratio`` (the worst held-out bin over the seen bins, windows moved like the bins) and the H-step
  equivariance residual, on windows inside held-out episodes; and ``residual_in_frame``, the residual of the
  same rollouts computed in each observation's own frame (``frame_rollout``: the block's axes and position,
  found in float64) — canonicalisation, which makes *any* model exact, the MLPs included (measured: the same
  ~1e-7 in float32 as the VN models), so it measures the frame, not the model. In float32 the plain residual grows
  with H (each layer rounds differently in a rotated frame, ~10x through an encoder, and the learned
  dynamics amplify it further); in the frame, ``s`` and ``g.s`` repeat the same arithmetic and the residual
  is the rounding of the final move alone (done in float64, rounded once: measured 6e-8 to 1.04e-7 at every
  H, 2D and 3D, every seed of the full reports). In float64 the floor is the model's own conditioning:
  ``g.s`` is rounded like any input, and ``ulp_sensitivity`` measures what the dynamics make of that.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch

from agents.canonical import frame_conditioning, observation_frames
from agents.data import Transitions, angle_of
from agents.world_models import WorldModel
from eqenvs.groups import GroupElement
from eqenvs.splits import get_split, orientations
from eqenvs.symmetry import Symmetry

__all__ = [
    "HORIZONS",
    "bins_of",
    "delta_eq",
    "evaluate_model",
    "frame_rollout",
    "observation_frames",
    "orientation_bins",
    "run_evaluate",
    "ulp_sensitivity",
    "window_arrays",
]

HORIZONS = (1, 2, 4, 8, 16)
BIN_DEGREES = 30.0


def orientation_bins(data: Transitions, symmetry: Symmetry, seed: int = 0) -> list[dict[str, Any]]:
    """The held-out transitions moved into every orientation bin: a list of {name, angle_deg, seen, elements}.

    2D: 12 arcs of 30 degrees; a transition collected at angle phi goes to ``30 k + (phi mod 30)`` in arc k,
    so every arc sees the slice's within-arc spread. 3D: the seen data as collected, then each rung of the
    SE(3) ladder (``orientations(env, "ladder")``) applied to the canonical transitions.
    """
    episodes = data.elements(symmetry)
    if symmetry.group.dim == 2:
        slice_ = get_split(data.env_id, "slice")
        out = []
        for k in range(round(360 / BIN_DEGREES)):
            start = math.radians(BIN_DEGREES * k)
            per_episode = [symmetry.group.parse(start + (angle_of(g) % math.radians(BIN_DEGREES))) for g in episodes]
            seen = all(slice_.contains(g) for g in per_episode)
            out.append({"name": f"{BIN_DEGREES * k:g}", "angle_deg": BIN_DEGREES * k, "seen": seen,
                        "per_episode": per_episode})  # fmt: skip
        return out
    out = [{"name": "seen (slice)", "angle_deg": None, "seen": True, "per_episode": episodes}]
    for rung, elements in orientations(data.env_id, "ladder", n=4, seed=seed).items():
        out.append({"name": rung, "angle_deg": None, "seen": False, "elements": elements})
    return out


def bins_of(data: Transitions, symmetry: Symmetry, seed: int = 0) -> list[dict[str, Any]]:
    """``orientation_bins`` with the moved arrays attached: obs, action, next_obs (float64 numpy)."""
    canonical = data.canonical(symmetry)
    out = []
    for b in orientation_bins(data, symmetry, seed):
        if "per_episode" in b:
            moved = [np.empty_like(a) for a in canonical]
            for e, g in enumerate(b["per_episode"]):
                rows = data.episode == e
                if rows.any():
                    moved[0][rows] = symmetry.act_obs(g, canonical[0][rows])
                    moved[1][rows] = symmetry.act_action(g, canonical[1][rows])
                    moved[2][rows] = symmetry.act_obs(g, canonical[2][rows])
        else:  # a ladder rung: every element applied to every transition
            actions = (symmetry.act_obs, symmetry.act_action, symmetry.act_obs)
            moved = [
                np.concatenate([act(g, a) for g in b["elements"]]) for act, a in zip(actions, canonical, strict=True)
            ]
        out.append({**b, "obs": moved[0], "action": moved[1], "next_obs": moved[2]})
    return out


def _tensor(a: np.ndarray, like: WorldModel) -> torch.Tensor:
    first = next(like.parameters())
    return torch.tensor(a, dtype=first.dtype, device=first.device)


@torch.no_grad()
def _rel_mse(model: WorldModel, obs: np.ndarray, action: np.ndarray, next_obs: np.ndarray) -> dict[str, Any]:
    o, a, o2 = _tensor(obs, model), _tensor(action, model), _tensor(next_obs, model)
    pred, target, current = model(o, a), model.target(o2), model.target(o)
    error, delta = (pred - target) ** 2, target - current
    denominator = float((delta**2).sum())
    if denominator == 0.0:  # a collapsed latent: every target is the same point, so the ratio is undefined
        denominator = math.nan
    out: dict[str, Any] = {"relmse": float(error.sum()) / denominator}
    if model.kind == "explicit":
        layout = model.symmetry.obs_layout
        out["per_component"] = {f.name: float(error[:, f.slice].sum()) / denominator for f in layout}
        # each field's error over its own change: what the relMSE, dominated by the largest changes, hides
        fields = [f for f in layout if not f.constant]
        own = {f.name: (float(error[:, f.slice].sum()), float((delta[:, f.slice] ** 2).sum())) for f in fields}
        out["per_field"] = {name: e / c for name, (e, c) in own.items() if c > 0}
    else:
        out["per_component"] = {f"channel {c}": float(error[:, c].sum()) / denominator for c in range(error.shape[1])}
    return out


def _rollout(model: WorldModel, obs: np.ndarray, actions: np.ndarray) -> torch.Tensor:
    """The last latent of H-step rollouts ``(N, *latent)``, computed as the model computes them."""
    return model.rollout(model.encode(_tensor(obs, model)), _tensor(actions, model))[:, -1]


@torch.no_grad()
def _equivariance_residual(model: WorldModel, obs: np.ndarray, action: np.ndarray, elements: list[GroupElement],
                           rollout: Any = _rollout) -> float:  # fmt: skip
    """max |rho(g) F^H(x, a) - F^H(g x, g a)|_inf / max |F^H(x, a)| over ``elements`` (H-step rollouts
    computed by ``rollout``: the model's own, or ``frame_rollout``).

    ``obs`` (N, D) and ``action`` (N, H, A). The rollouts run in the model's dtype; ``rho(g)`` and the
    difference are computed in float64, so a float32 figure is the model's rounding, not the comparison's
    (computing ``rho(g) F`` in float32 adds up to an ulp: 2.1e-7 instead of 9.4e-8 on the shipped 2D
    vn_latent in its frame).
    """
    sym = model.symmetry
    base = rollout(model, obs, action)
    reference = base.to(torch.float64)  # rho(g) applied in float64: the measurement adds no rounding of its own
    worst = 0.0
    for g in elements:
        moved = rollout(model, sym.act_obs(g, obs), sym.act_action(g, action)).to(torch.float64)
        worst = max(worst, float((moved - model.act_latent(g, reference)).abs().max()))
    return worst / float(reference.abs().max())


@torch.no_grad()
def frame_rollout(model: WorldModel, obs: np.ndarray, actions: np.ndarray) -> torch.Tensor:
    """The last latent of H-step rollouts ``(N, *latent)``, each computed in its observation's own frame.

    The observation and actions are moved into the frame in float64 and only then rounded to the model's
    dtype; the rollout runs there; its result is moved back by the frame. For an equivariant model this is
    the same function as ``model.rollout`` (identical in exact arithmetic); in floating point, the
    rollouts of ``s`` and ``g.s`` then start from the same rounded numbers and repeat the same arithmetic,
    so their residual is the rounding of the final move alone, flat in H. For a non-equivariant model it is
    a different model (canonicalisation: ``agents.canonical``), exactly equivariant too.
    """
    sym = model.symmetry
    frames = observation_frames(sym, obs)
    local_obs = np.stack([sym.act_obs(f.inverse(), o) for f, o in zip(frames, obs, strict=True)])
    local_actions = np.stack([sym.act_action(f.inverse(), a) for f, a in zip(frames, actions, strict=True)])
    z = _rollout(model, local_obs, local_actions)
    wide = z.to(torch.float64)  # the move back in float64, rounded once to the model's dtype
    return torch.cat([model.act_latent(f, wide[i : i + 1]) for i, f in enumerate(frames)]).to(z.dtype)


@torch.no_grad()
def ulp_sensitivity(model: WorldModel, obs: np.ndarray, actions: np.ndarray, draws: int = 8, seed: int = 0) -> float:
    """max |F^H(x') - F^H(x)|_inf / max |F^H(x)| over ``draws`` copies x' of the observations with every entry
    moved by one unit in the last place of the model's dtype (random signs): the floor that the learned
    dynamics' own conditioning sets for any residual, since ``g.x`` cannot be represented more exactly."""
    base = _rollout(model, obs, actions)
    eps = torch.finfo(base.dtype).eps / 2  # a relative move of one ulp (of numbers in [1, 2))
    rng = np.random.default_rng([seed, 0x51])
    worst = 0.0
    for _ in range(draws):
        moved = np.asarray(obs, dtype=np.float64) * (1 + eps * rng.choice([-1.0, 1.0], np.shape(obs)))
        worst = max(worst, float((_rollout(model, moved, actions) - base).abs().max()))
    return worst / float(base.abs().max())


def _windows(data: Transitions, horizon: int) -> np.ndarray:
    """Start indices i whose next ``horizon`` transitions are consecutive steps of one episode."""
    starts = []
    for i in range(len(data) - horizon + 1):
        e, t = data.episode[i], data.step[i]
        if data.episode[i + horizon - 1] == e and data.step[i + horizon - 1] == t + horizon - 1:
            starts.append(i)
    return np.array(starts, dtype=np.int64)


def window_arrays(data: Transitions, horizon: int, max_windows: int = 256) -> tuple[np.ndarray, ...]:
    """The first ``max_windows`` H-step windows of ``data``: (starts, first observations, actions (W, H, A),
    observations after the last action)."""
    starts = _windows(data, horizon)[:max_windows]
    idx = starts[:, None] + np.arange(horizon)[None]  # (W, H)
    return starts, data.obs[starts], data.action[idx], data.next_obs[starts + horizon - 1]


def _rollout_errors(model: WorldModel, obs0: np.ndarray, actions: np.ndarray, obs_h: np.ndarray) -> tuple[float, float]:
    """(sum |F^H(s, a) - E_t(s_H)|^2, sum |E_t(s_H) - E_t(s)|^2) over H-step windows."""
    z = _rollout(model, obs0, actions)
    target, current = model.target(_tensor(obs_h, model)), model.target(_tensor(obs0, model))
    return float(((z - target) ** 2).sum()), float(((target - current) ** 2).sum())


def _relmse_ratio(model: WorldModel, data: Transitions, bins: list[dict[str, Any]], starts: np.ndarray,
                  horizon: int) -> float:  # fmt: skip
    """The H-step OOD factor: the worst held-out bin's H-step relMSE over the seen bins' (pooled)."""
    seen, held_out = [0.0, 0.0], []
    for b in bins:
        copies = len(b["obs"]) // len(data)  # a ladder rung holds every element's copy of the data, in turn
        first = np.concatenate([starts + j * len(data) for j in range(copies)])
        idx = first[:, None] + np.arange(horizon)[None]
        error, scale = _rollout_errors(model, b["obs"][first], b["action"][idx], b["next_obs"][first + horizon - 1])
        if b["seen"]:
            seen = [seen[0] + error, seen[1] + scale]
        else:
            held_out.append(error / scale)
    return max(held_out) / (seen[0] / seen[1])


@torch.no_grad()
def _rollout_metrics(model: WorldModel, data: Transitions, elements: list[GroupElement],
                     bins: list[dict[str, Any]] | None = None,
                     max_windows: int = 256) -> dict[str, dict[str, float]]:  # fmt: skip
    out = {}
    for h in HORIZONS:
        starts, obs0, actions, obs_h = window_arrays(data, h, max_windows)
        if len(starts) == 0:
            continue
        error, scale = _rollout_errors(model, obs0, actions, obs_h)
        out[str(h)] = {"relmse": error / scale, "residual": _equivariance_residual(model, obs0, actions, elements)}
        if bins is not None:
            out[str(h)]["relmse_ratio"] = _relmse_ratio(model, data, bins, starts, h)
        # canonicalisation of the rollout (every model: for a plain one it is a different, canonicalised model)
        out[str(h)]["residual_in_frame"] = _equivariance_residual(model, obs0, actions, elements, frame_rollout)
    return out


def _test_elements(symmetry: Symmetry, seed: int) -> list[GroupElement]:
    """Haar-random elements (with translations) and a finite subgroup: C4 in 2D, the octahedral group in 3D."""
    group = symmetry.group
    scale = 0.2 if group.has_translation else 0.0
    finite = group.cyclic(4) if group.dim == 2 else group.finite_subgroup("O")
    return group.sample(np.random.default_rng([seed, 0xE0]), 8, translation_scale=scale) + finite


def delta_eq(model: WorldModel, test: Transitions, seed: int = 0) -> dict[str, float]:
    """The one-step equivariance residual in float32 and float64 (copies of ``model``), on test transitions."""
    elements = _test_elements(model.symmetry, seed)
    obs, action = test.obs[:512], test.action[:512, None]
    return {
        "float32": _equivariance_residual(copy.deepcopy(model).float(), obs, action, elements),
        "float64": _equivariance_residual(copy.deepcopy(model).double(), obs, action, elements),
    }


def evaluate_model(model: WorldModel, test: Transitions, seed: int = 0, bins: list | None = None) -> dict[str, Any]:
    """Every metric of the module docstring for one model on held-out transitions ``test``."""
    symmetry = model.symmetry
    bins = bins_of(test, symmetry, seed) if bins is None else bins
    per_bin = []
    for b in bins:
        metrics = _rel_mse(model, b["obs"], b["action"], b["next_obs"])
        per_bin.append({"name": b["name"], "angle_deg": b["angle_deg"], "seen": b["seen"], **metrics})
    seen_bins = [b for b in bins if b["seen"]]
    seen = _rel_mse(model, *(np.concatenate([b[k] for b in seen_bins]) for k in ("obs", "action", "next_obs")))
    seen_relmse = seen["relmse"]  # pooled over the seen bins
    worst = max((b for b in per_bin if not b["seen"]), key=lambda b: b["relmse"])
    elements = _test_elements(symmetry, seed)
    model32, model64 = copy.deepcopy(model).float(), copy.deepcopy(model).double()
    return {
        "model": model.name,
        "equivariant": model.equivariant,
        "parameter_count": model.parameter_count,
        "per_bin": per_bin,
        "seen_relmse": seen_relmse,
        "worst_heldout_bin": worst["name"],
        "ood_factor": worst["relmse"] / seen_relmse,
        "flatness_max_over_min": max(b["relmse"] for b in per_bin) / min(b["relmse"] for b in per_bin),
        "per_component_seen": seen["per_component"],
        **({"per_field_seen": seen["per_field"]} if "per_field" in seen else {}),
        "delta_eq": delta_eq(model, test, seed),
        "frame": frame_conditioning(test.obs, symmetry.obs_layout, test.next_obs),  # what canonicalisation needs
        "rollout": {
            "float32": _rollout_metrics(model32, test, elements, bins),  # the relMSE OOD factor: float32 only
            "float64": _rollout_metrics(model64, test, elements),
        },
    }


def run_evaluate(config: Any, log: Any = print) -> None:
    """``python -m agents evaluate``: every metric of checkpoints on their dataset's held-out episodes."""
    from agents.checkpoints import load_checkpoint, unversioned
    from agents.data import load_dataset
    from eqenvs.files import write_json

    data = load_dataset(config.data, "data")
    results = []
    for path in config.checkpoints:
        model, meta = load_checkpoint(path, "checkpoints")
        if unversioned(meta["env_id"]) != unversioned(data.env_id):
            raise ValueError(f"checkpoints: {path} is a model of {meta['env_id']}, the data is {data.env_id}")
        _, test = data.split_episodes(meta.get("test_fraction", 0.2), meta.get("split_seed", 0))
        result = evaluate_model(model, test, bins=bins_of(test, data.symmetry()))
        results.append({"checkpoint": str(path), **result})
        log(f"{model.label:22s} {result['parameter_count']:8,d} params  seen relMSE {result['seen_relmse']:.4f}  "
            f"OOD x{result['ood_factor']:.2f}  max/min {result['flatness_max_over_min']:.5g}  "
            f"dEq fp32 {result['delta_eq']['float32']:.1e} fp64 {result['delta_eq']['float64']:.1e}")  # fmt: skip
    frame = results[-1]["frame"]  # the held-out data's, the same for every model of this dataset
    log("the observation's frame (canonicalisation): " + ", ".join(f"{k} {v:.6g}" for k, v in frame.items()))
    if config.out is not None:
        log(f"wrote {write_json(config.out, results)}")
