"""Push data for the learned outcome models: simulated pushes at the training slice's orientations.

Each sample is one push primitive run on gym-pusht's simulator (``eqenvs.pusht_sim``, the env's own physics, as
in frame mode): a block pose, a contact point of the T's outline with a push direction (the edge's inward
normal tilted by up to 40 degrees) and a push length; the pusher starts at rest at the standoff and is driven
along the push for at most ``PUSH_STEPS`` control steps (``eqenvs.experts.contact.simulate_push``, the oracle's
own). Block poses are drawn from three sources (gym-pusht's start distribution, the neighbourhood of the goal
where the last precise pushes happen, and the whole arena, walls included).

The simulator works in gym-pusht's scene; every sample is then seen at an orientation drawn from the split it
is collected on (``slice``: [0, 90) degrees): the observation of that push in frame mode at that orientation,
which is what an agent collecting on the slice observes. Seeds come from the world-model data range
(``agents.seeds``), never the test tasks'.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from pathlib import Path
from typing import Any

import numpy as np

from eqenvs.pusht_sim import ARENA_UNIT_PX, PushTSim, centred

__all__ = ["DATA_FIELDS", "collect_pushes", "frame_arrays", "load_pushes", "push_geometry", "save_pushes"]

DATA_FIELDS = ("block", "contact", "direction", "length", "after")
_GOAL = np.array([256.0, 256.0, math.pi / 4])
_MAX_TILT = math.radians(40.0)
_LENGTHS = (8.0, 190.0)  # px of pusher travel from the standoff, log-uniform


def push_geometry(contact: np.ndarray, direction: np.ndarray, length: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(standoff, end) of pushes: the pusher starts ``STANDOFF`` px behind the contact point and travels
    ``length`` px along ``direction``."""
    from eqenvs.experts.contact import STANDOFF

    start = contact - STANDOFF * direction
    return start, start + length[..., None] * direction


def _worker(args: tuple[int, int]) -> dict[str, np.ndarray]:
    n, seed = args
    from shapely.geometry import Point, Polygon

    from eqenvs.experts.contact import CLEAR, PUSH_STEPS, Square, contacts, simulate_push
    from eqenvs.groups import SE2, rotation_2d
    from eqenvs.pusht_sim import T_OUTLINE

    rng = np.random.default_rng(seed)
    sim = PushTSim(centred(SE2.identity()))
    sim.build()
    edges, square = contacts(), Square()
    out: dict[str, list[Any]] = {k: [] for k in DATA_FIELDS}
    while len(out["block"]) < n:
        source = rng.uniform()
        if source < 0.4:  # gym-pusht's start distribution
            block = np.array([*rng.uniform(100, 400, 2), rng.uniform(-math.pi, math.pi)])
        elif source < 0.8:  # near the goal
            block = _GOAL + np.array([*rng.normal(0, 40, 2), rng.normal(0, 0.7)])
        else:  # anywhere, walls included
            block = np.array([*rng.uniform(40, 470, 2), rng.uniform(-math.pi, math.pi)])
        rotation = rotation_2d(block[2])
        point, inward = edges[rng.integers(len(edges))]
        tilt = rotation_2d(rng.uniform(-_MAX_TILT, _MAX_TILT))
        contact, direction = rotation @ point + block[:2], rotation @ (tilt @ inward)
        length = np.array(math.exp(rng.uniform(*np.log(_LENGTHS))))
        start, end = push_geometry(contact, direction, length)
        outline = Polygon(T_OUTLINE @ rotation.T + block[:2])
        if not (square.inside(start) and square.inside(end)) or outline.distance(Point(*start)) < CLEAR:
            continue  # the planner never starts a push there
        sim.build()  # a fresh space per push: no contact cache, so a sample depends on its inputs alone
        after, _ = simulate_push(sim, block, start, end, PUSH_STEPS)
        for key, value in zip(DATA_FIELDS, (block, contact, direction, length, after), strict=True):
            out[key].append(value)
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def collect_pushes(n: int, seed: int, workers: int = 1) -> dict[str, np.ndarray]:
    """``n`` simulated pushes in gym-pusht's scene (px, rad), in ``workers`` spawned processes; the same seed
    gives the same arrays whatever ``workers`` is (the work is cut into fixed chunks)."""
    from agents.seeds import DATA_SEEDS

    chunk = 4000
    jobs = [(min(chunk, n - i), DATA_SEEDS + seed * 1000 + k) for k, i in enumerate(range(0, n, chunk))]
    if workers > 1:
        with mp.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_worker, jobs)
    else:
        parts = [_worker(job) for job in jobs]
    return {k: np.concatenate([p[k] for p in parts]) for k in DATA_FIELDS}


def frame_arrays(data: dict[str, np.ndarray], angles: np.ndarray) -> dict[str, np.ndarray]:
    """The pushes as observed at orientations ``angles`` (rad, one per sample; frame mode: the whole task turned
    about the arena centre), in arena units from the goal's position: position, heading, goal heading, contact,
    direction, length (px), position after, heading after."""
    c, s = np.cos(angles), np.sin(angles)

    def turn(v: np.ndarray) -> np.ndarray:
        return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], -1)

    def point(v: np.ndarray) -> np.ndarray:
        return turn((v - _GOAL[:2]) / ARENA_UNIT_PX)

    def heading(a: np.ndarray) -> np.ndarray:
        return turn(np.stack([np.cos(a), np.sin(a)], -1))

    block, after = data["block"], data["after"]
    return {
        "position": point(block[:, :2]), "heading": heading(block[:, 2]),
        "goal_heading": heading(np.full(len(block), _GOAL[2])), "contact": point(data["contact"]),
        "direction": turn(data["direction"]), "length": data["length"],
        "position_after": point(after[:, :2]), "heading_after": heading(after[:, 2]),
    }  # fmt: skip


def save_pushes(path: Path, data: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    import json

    from eqenvs.files import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **data)


def load_pushes(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import json

    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in DATA_FIELDS}
            meta = json.loads(str(z["meta"]))
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"data: {path} is not a push dataset of `python -m agents pusht-model` ({err})") from None
    return data, meta
