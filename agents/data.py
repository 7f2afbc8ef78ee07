"""Transition datasets: collected on a split's orientations through the real env, saved as .npz + JSON sidecar.

    python -m agents collect --env EqPushT-v1 --episodes 120 --out runs/push2d.npz

Collection runs the env's scripted pusher (with isotropic action noise) in frame mode at an orientation g
drawn from the split for every episode. The scripted policy is written for the canonical frame, so it is
conjugated by g: ``a = act_action(g, policy(act_obs(g^-1, obs)))`` — the data is the canonical task
seen from g, and the slice covers a quarter of block headings and push directions (the sidecar's
histograms show it).

Actions are stored as the env applied them (``Symmetry.applied_action``): in 3D the scripted action
projected onto the table plane, then the unit disk, so a model never sees a component the env discarded;
in 2D (no plane) the action as given, which lies in the Box and which the models bound by the same disk map.

Files: ``<name>.npz`` holds the arrays and the metadata (env id and kwargs, split, seed, policy, counts,
per-episode orientations as JSON group elements, histograms) as a JSON string; it is written atomically
and loaded with ``allow_pickle=False``, and loading checks every shape and value against the env the
metadata names. ``<name>.npz.json`` is a readable copy of the metadata with the file's SHA-256.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import eqenvs  # noqa: F401  (registers the env ids)
from agents.seeds import DATA_SEEDS
from eqenvs.experts.scripted import ScriptedPusher, ScriptedPusher3D
from eqenvs.files import atomic_path, check_output_path, existing_file, json_safe, write_sidecar
from eqenvs.groups import GroupElement
from eqenvs.splits import get_split
from eqenvs.symmetry import Symmetry

__all__ = ["ENV_DEFAULTS", "Transitions", "collect", "load_dataset", "run_collect", "save_dataset"]

ENV_DEFAULTS: dict[str, dict[str, Any]] = {
    f"{name}-v{version}": {"task": "push"} for name in ("EqPushT", "EqPushT3D") for version in (0, 1)
}
"""The canonical task each env's world-model data comes from (DESIGN: push, goal along +x). Both versions:
they differ only in the default reward, which a world model never reads."""
ARRAYS = ("obs", "action", "next_obs", "episode", "step", "interior", "orientation")
HISTOGRAM_BINS = 12  # 30-degree bins over the circle
WALL_MARGIN_PX = 2.0  # "interior": the block stays this far from every wall (2D)
_ZIP_HEADERS = (b"PK\x03\x04", b"PK\x05\x06")  # a .npz is a zip archive (the second: an empty one)


@dataclass
class Transitions:
    """Transitions ``(obs, action, next_obs)`` with their episode, step, orientation and interior flag.

    ``orientation`` holds one homogeneous matrix per *episode* (``orientation[episode[i]]`` is the
    orientation transition ``i`` was collected at).
    """

    obs: np.ndarray  # (N, D) float64
    action: np.ndarray  # (N, A) float64
    next_obs: np.ndarray  # (N, D) float64
    episode: np.ndarray  # (N,) int64
    step: np.ndarray  # (N,) int64
    interior: np.ndarray  # (N,) bool
    orientation: np.ndarray  # (E, d + 1, d + 1) float64
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.obs)

    @property
    def env_id(self) -> str:
        return self.meta["env_id"]

    def symmetry(self) -> Symmetry:
        """The symmetry of the env this data came from."""
        return gym.make(self.env_id, **self.meta["env_kwargs"]).unwrapped.symmetry

    def elements(self, symmetry: Symmetry) -> list[GroupElement]:
        """Per-episode orientations as group elements."""
        return [symmetry.element(m) for m in self.orientation]

    def validate(self, where: str = "data") -> None:
        """Check shapes, widths, values and metadata against the env the data claims to come from; a fault
        raises ValueError starting with ``where`` (a file path when loading)."""
        meta = self.meta
        env_id = meta.get("env_id") if isinstance(meta, dict) else None
        if env_id not in ENV_DEFAULTS:
            raise ValueError(f"{where}: metadata names env {env_id!r}; expected one of {sorted(ENV_DEFAULTS)}")
        if not isinstance(meta.get("env_kwargs"), dict):
            raise ValueError(f"{where}: metadata lacks the env kwargs (a JSON object)")
        n = len(self.obs)
        if meta.get("transitions") != n:
            raise ValueError(f"{where}: metadata says {meta.get('transitions')} transitions, the arrays hold {n}")
        try:
            symmetry = self.symmetry()
        except (TypeError, ValueError) as err:
            raise ValueError(f"{where}: cannot build {env_id} with {meta['env_kwargs']} ({err})") from None
        obs_size, action_size, d = symmetry.obs_layout.size, symmetry.action_layout.size, symmetry.group.dim
        expected = {"obs": (n, obs_size), "action": (n, action_size), "next_obs": (n, obs_size), "episode": (n,),
                    "step": (n,), "interior": (n,)}  # fmt: skip
        for name, shape in expected.items():
            array = getattr(self, name)
            if array.shape != shape:
                raise ValueError(f"{where}: {name!r} has shape {array.shape}; {env_id} needs {shape}")
        episodes = self.orientation.shape[0] if self.orientation.ndim == 3 else 0
        if self.orientation.shape != (episodes, d + 1, d + 1):
            raise ValueError(
                f"{where}: 'orientation' has shape {self.orientation.shape}; {env_id} needs one homogeneous "
                f"{d + 1}x{d + 1} matrix per episode, shape (episodes, {d + 1}, {d + 1})"
            )
        for name in ("obs", "action", "next_obs", "orientation"):
            array = getattr(self, name)
            if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
                raise ValueError(f"{where}: {name!r} must hold finite floats")
        for name in ("episode", "step"):
            if getattr(self, name).dtype.kind not in "iu":
                raise ValueError(f"{where}: {name!r} must hold integers, got {getattr(self, name).dtype}")
        if n and (self.episode.min() < 0 or self.episode.max() >= episodes):
            raise ValueError(f"{where}: episode indices lie outside its {episodes} orientations")
        for e, m in enumerate(self.orientation):
            try:
                symmetry.element(m, f"orientation[{e}]")
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None

    def subset(self, mask: np.ndarray) -> Transitions:
        """The transitions where ``mask`` holds (orientations and metadata kept, counts updated)."""
        interior = self.interior[mask]
        meta = {**self.meta, "transitions": len(interior), "interior_transitions": int(interior.sum())}
        return Transitions(self.obs[mask], self.action[mask], self.next_obs[mask], self.episode[mask],
                           self.step[mask], interior, self.orientation, meta)  # fmt: skip

    def split_episodes(self, test_fraction: float, seed: int) -> tuple[Transitions, Transitions]:
        """(train, test) by whole episodes, ``test_fraction`` of them held out, chosen by ``seed``."""
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction: must lie in (0, 1), got {test_fraction}")
        episodes = np.unique(self.episode)
        rng = np.random.default_rng(seed)
        test = rng.permutation(episodes)[: max(1, round(test_fraction * len(episodes)))]
        held = np.isin(self.episode, test)
        return self.subset(~held), self.subset(held)

    def canonical(self, symmetry: Symmetry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(obs, action, next_obs) moved back to the identity orientation (exact: frame mode is a relabelling)."""
        obs, action, next_obs = np.empty_like(self.obs), np.empty_like(self.action), np.empty_like(self.next_obs)
        for e, g in enumerate(self.elements(symmetry)):
            rows = self.episode == e
            if rows.any():
                back = g.inverse()
                obs[rows] = symmetry.act_obs(back, self.obs[rows])
                action[rows] = symmetry.act_action(back, self.action[rows])
                next_obs[rows] = symmetry.act_obs(back, self.next_obs[rows])
        return obs, action, next_obs


def _canonical_policy(env_id: str, layout: Any, noise: float, seed: int):
    if env_id.startswith("EqPushT-"):
        return ScriptedPusher(layout, noise=noise, seed=seed)
    if env_id.startswith("EqPushT3D-"):
        return ScriptedPusher3D(layout, noise=noise, seed=seed)
    raise ValueError(f"env_id: no scripted policy for {env_id!r}; expected one of {sorted(ENV_DEFAULTS)}")


def _headings(symmetry: Symmetry, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Block heading and push direction (block -> goal) angles in the plane, degrees in [0, 360)."""
    layout = symmetry.obs_layout
    heading_field = "block_dir" if "block_dir" in layout else "block_x"
    heading = obs[:, layout[heading_field].slice]
    push = obs[:, layout["goal_pos"].slice] - obs[:, layout["block_pos"].slice]
    angle = lambda v: np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0  # noqa: E731
    return angle(heading), angle(push)


def collect(
    env_id: str = "EqPushT-v1",
    split: str = "slice",
    episodes: int = 120,
    max_steps: int = 60,
    noise: float = 0.3,
    seed: int = 0,
    interior_only: bool = False,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
) -> Transitions:
    """Run the scripted pusher on ``split``'s orientations; one orientation per episode, drawn from ``seed``.

    Episode e starts from env seed ``DATA_SEEDS + seed * 100_003 + e`` (``agents.seeds``): in the training range,
    so no benchmark task (test or validation) starts where a world model's data did.

    Episodes end on success or after ``max_steps``. ``interior_only`` drops transitions in which the
    block touches a wall (2D; 3D has no walls).
    """
    if env_id not in ENV_DEFAULTS:
        raise ValueError(f"env_id: no scripted policy for {env_id!r}; expected one of {sorted(ENV_DEFAULTS)}")
    for name, value in (("episodes", episodes), ("max_steps", max_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a positive integer, got {value!r}")
    if episodes > 100_003 or not 0 <= seed < 10_000:  # starts stay in the data's own seed range (agents.seeds)
        raise ValueError(f"episodes, seed: expected at most 100003 episodes and 0 <= seed < 10000, got {episodes}, "
                         f"{seed}")  # fmt: skip
    kwargs = {**ENV_DEFAULTS.get(env_id, {}), **(env_kwargs or {})}
    env = gym.make(env_id, max_episode_steps=max_steps, **kwargs)
    sym = env.unwrapped.symmetry
    policy = _canonical_policy(env_id, env.unwrapped.obs_layout, noise, seed)
    sampler = get_split(env_id, split)
    rng = np.random.default_rng([seed, 0xDA7A])
    rows: dict[str, list] = {name: [] for name in ARRAYS if name != "orientation"}
    orientations = []
    clearance = getattr(env.unwrapped.scene, "wall_clearance", None)
    for e in tqdm(range(episodes), desc=f"collect {env_id} on {split!r}", unit="episode", disable=not progress):
        g = sampler.sample(rng)
        back = g.inverse()
        orientations.append(g.matrix if g.has_translation else _homogeneous(g))
        obs, _ = env.reset(seed=DATA_SEEDS + seed * 100_003 + e, options={"orientation": g})
        inside = clearance is None or clearance() >= WALL_MARGIN_PX
        for t in range(max_steps):
            action = np.asarray(sym.act_action(g, policy.act(sym.act_obs(back, obs))), dtype=np.float32)
            next_obs, _, terminated, truncated, _ = env.step(action)
            inside_next = clearance is None or clearance() >= WALL_MARGIN_PX
            applied = action if sym.action_plane is None else sym.applied_action(obs, action.astype(np.float64))
            for name, value in (("obs", obs), ("action", applied), ("next_obs", next_obs), ("episode", e),
                                ("step", t), ("interior", inside and inside_next)):  # fmt: skip
                rows[name].append(value)
            obs, inside = next_obs, inside_next
            if terminated or truncated:
                break
    data = Transitions(
        obs=np.array(rows["obs"], dtype=np.float64), action=np.array(rows["action"], dtype=np.float64),
        next_obs=np.array(rows["next_obs"], dtype=np.float64), episode=np.array(rows["episode"], dtype=np.int64),
        step=np.array(rows["step"], dtype=np.int64), interior=np.array(rows["interior"], dtype=bool),
        orientation=np.array(orientations, dtype=np.float64),
    )  # fmt: skip
    if interior_only:
        data = data.subset(data.interior)
    heading, push = _headings(sym, data.obs)
    edges = np.linspace(0.0, 360.0, HISTOGRAM_BINS + 1)
    data.meta = {
        "env_id": env_id, "env_kwargs": kwargs, "split": split, "episodes": episodes, "max_steps": max_steps,
        "noise": noise, "seed": seed, "interior_only": interior_only,
        "policy": f"{type(policy).__name__} (noise {noise}), conjugated by each episode's orientation",
        "transitions": len(data), "interior_transitions": int(data.interior.sum()),
        "orientations": [sym.element(m).to_json() for m in data.orientation],
        "histogram_bin_edges_deg": edges.tolist(),
        "block_heading_histogram": np.histogram(heading, edges)[0].tolist(),
        "push_direction_histogram": np.histogram(push, edges)[0].tolist(),
    }  # fmt: skip
    env.close()
    return data


def _homogeneous(g: GroupElement) -> np.ndarray:
    m = np.eye(g.dim + 1)
    m[: g.dim, : g.dim] = g.rotation
    return m


def save_dataset(data: Transitions, path: str | Path) -> Path:
    """Write ``path`` (.npz: the arrays and the metadata as JSON) atomically, then its readable sidecar
    ``path.json`` (``eqenvs.files.write_sidecar``). The .npz alone is the dataset."""
    path = check_output_path(path, ".npz", "path")
    data.validate()
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        arrays = {name: getattr(data, name) for name in ARRAYS}
        np.savez_compressed(f, **arrays, meta=np.array(json.dumps(json_safe(data.meta), allow_nan=False)))
    write_sidecar(path, data.meta)
    return path


def load_dataset(path: str | Path, name: str = "path") -> Transitions:
    """Read a dataset written by ``save_dataset``; a missing, corrupted or inconsistent file raises ValueError
    naming ``name`` (the caller's argument, e.g. ``data``)."""
    path = existing_file(path, name, "a .npz dataset written by `python -m agents collect`")
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in _ZIP_HEADERS:  # np.load would try anything else as a pickle, and say so
        raise ValueError(f"{name}: {path} is not a .npz dataset (not a zip archive; expected a file written by "
                         "`python -m agents collect`)")  # fmt: skip
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:  # a damaged or truncated archive
        raise ValueError(f"{name}: {path} is damaged or truncated ({type(err).__name__}: {err})") from None
    except (OSError, ValueError) as err:  # array format errors (pickled arrays included)
        raise ValueError(f"{name}: {path} is not a readable .npz dataset ({err})") from None
    missing = [key for key in (*ARRAYS, "meta") if key not in arrays]
    if missing:
        raise ValueError(f"{name}: {path} lacks the arrays {missing} (not a dataset written by save_dataset)")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"{name}: {path} holds unreadable metadata ({err})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{name}: {path} holds metadata that is not a JSON object")
    data = Transitions(**{key: arrays[key] for key in ARRAYS}, meta=meta)
    data.validate(f"{name}: {path}")
    return data


def angle_of(g: GroupElement) -> float:
    """The rotation angle (rad) of a 2D element, or the yaw of a 3D element about +z."""
    r = g.rotation
    return math.atan2(r[1, 0], r[0, 0])


def run_collect(config: Any, log: Any = print) -> None:
    """``python -m agents collect``: collect, write the dataset, and say what it holds."""
    data = collect(config.env, split=config.split, episodes=config.episodes, max_steps=config.max_steps,
                   noise=config.noise, seed=config.seed, interior_only=config.interior_only, progress=True)  # fmt: skip
    path = save_dataset(data, config.out)
    meta = data.meta
    log(f"wrote {path} (+ .json): {len(data)} transitions from {meta['episodes']} episodes on {config.split!r}")
    log(f"block heading histogram (30-degree bins from 0): {meta['block_heading_histogram']}")
    log(f"push direction histogram (30-degree bins from 0): {meta['push_direction_histogram']}")
