"""Speed and orbit-flatness figures of EqPushT3D-v1, side by side in one run: ``python -m eqenvs.speed3d``.

1. Env step against a bare ``mj_step`` loop with the same 20 substeps and the same controls (target ratio
   <= 1.5): the cost of the gym API, action projection, observation and reward on top of MuJoCo; in frame
   mode at the identity, and in physics mode in a tilted lab (which maps actions and the pusher's state
   through the placement every step).
2. ``rgb_array`` at 224^2 against a bare ``mujoco.Renderer`` drawing the same scene (target >= 0.8x fps).
3. Frame-mode exactness per rung of the SE(3) ladder: every canonical push replayed in frame mode at every
   element g of the rung with ``act_action``-mapped actions, against ``act_obs(g, canonical)``: the largest
   relative observation error and the largest position deviation (m) of the pusher and the block.
4. Physics-mode orbit flatness per rung, on the same elements and pushes: physics mode (MuJoCo simulates the
   moved lab) against ``act_obs(g, canonical)``, i.e. against frame mode as measured in 3. Reported: the
   median, 95th percentile and maximum over steps and elements of the largest position deviation (m) of
   the pusher and the block, and how many rollouts ever deviate by more than 1 um (rare bifurcations: a
   strike that makes the block hop can turn a 1e-11 m difference into a contact made in one lab and
   missed in the other).

``--cone pyramidal`` repeats the flatness table with MuJoCo's default friction cone, the non-equivariant
control. Library functions return numbers; only ``main`` prints.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np

from eqenvs.experts.scripted import ScriptedPusher3D
from eqenvs.groups import SE3, GroupElement
from eqenvs.pusht3d import EqPushT3DEnv, PushT3DScene
from eqenvs.splits import ladder
from eqenvs.symmetry import Layout
from eqenvs.wrappers import Orient

__all__ = [
    "FlatnessRow",
    "FrameRow",
    "flatness",
    "flatness_rows",
    "frame_mode_rows",
    "main",
    "position_deviation",
    "render_speed",
    "rollout",
    "scripted_actions",
    "step_speed",
]


# --------------------------------------------------------------------------- a contact-rich canonical push
def scripted_actions(steps: int = 100, seed: int = 0, noise: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """A contact-rich canonical closed loop: (actions (steps, 3) float32, observations (steps + 1, 33)).

    From ``reset(seed=seed)`` of the canonical "push" scene, the scripted pusher herds the block after a
    point circling the table origin (radius 8 cm, one turn per 10 s), so the block slides, turns and
    sticks against the table under the pusher for most of the episode.
    """
    env = PushT3DScene()
    policy = ScriptedPusher3D(env.obs_layout, noise=noise, seed=[seed, 3])
    obs, _ = env.reset(seed=seed)
    actions, observations = [], [obs]
    for k in range(steps):
        phase = 2 * math.pi * k / 100
        goal = 0.08 * np.array([math.cos(phase), math.sin(phase)])
        action = policy.act(obs, goal)
        obs, *_ = env.step(action)
        actions.append(action)
        observations.append(obs)
    env.close()
    return np.array(actions), np.array(observations)


def rollout(env: Any, actions: np.ndarray, seed: int) -> np.ndarray:
    """Observations (len(actions) + 1, ...) of ``env`` from ``reset(seed=seed)`` under ``actions`` (open loop)."""
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for action in actions:
        obs, *_ = env.step(action)
        out.append(obs)
    return np.array(out)


def position_deviation(layout: Layout, observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per step, the largest distance (m) between observed and expected pusher and block positions."""
    names = ("pusher_pos", "block_pos")
    gaps = [np.linalg.norm(observed[:, layout[n].slice] - expected[:, layout[n].slice], axis=1) for n in names]
    return np.max(gaps, axis=0)


# --------------------------------------------------------------------------- speed
def step_speed(
    steps: int = 3000, seed: int = 0, orientation: Any = 0.0, orientation_mode: str = "frame"
) -> dict[str, float]:
    """Steps per second: ``EqPushT3DEnv(orientation, orientation_mode)`` (unwrapped), and a bare mj_step loop.

    Both run the same recorded controls through the same 20 substeps from the same state, interleaved in
    a few rounds (best round kept) so that machine noise hits both alike.
    """
    env = EqPushT3DEnv(orientation=orientation, orientation_mode=orientation_mode)
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1.0, 1.0, (steps, 3)).astype(np.float32)
    scene = env.scene
    model, data = scene.model, scene.data
    env.reset(seed=seed)
    start = np.empty(mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_INTEGRATION))
    mujoco.mj_getState(model, data, start, mujoco.mjtState.mjSTATE_INTEGRATION)
    controls = np.empty((steps, 2))
    for k in range(steps):
        env.step(actions[k])
        controls[k] = data.ctrl[:2]
    substeps = scene._substeps
    best = {"env": 0.0, "bare": 0.0}
    for _ in range(3):
        env.reset(seed=seed)
        t0 = time.perf_counter()
        for k in range(steps):
            env.step(actions[k])
        best["env"] = max(best["env"], steps / (time.perf_counter() - t0))
        bare = mujoco.MjData(model)
        mujoco.mj_setState(model, bare, start, mujoco.mjtState.mjSTATE_INTEGRATION)
        ctrl = bare.ctrl
        t0 = time.perf_counter()
        for k in range(steps):
            ctrl[:] = controls[k]
            mujoco.mj_step(model, bare, substeps)
        best["bare"] = max(best["bare"], steps / (time.perf_counter() - t0))
    env.close()
    return {"env_steps_per_s": best["env"], "bare_steps_per_s": best["bare"], "ratio": best["bare"] / best["env"]}


def render_speed(size: int = 224, frames: int = 300, camera: str = "world") -> dict[str, float]:
    """Frames per second at ``size``^2: env ``render()`` (frame mode, a tilted view) vs a bare ``mujoco.Renderer``."""
    env = EqPushT3DEnv(orientation=SE3.sample(7), render_mode="rgb_array", render_size=size, camera=camera)
    env.reset(seed=0)
    env.step(np.array([1.0, 0.0, 0.0], np.float32))
    env.render()  # warm up: GL context
    model, data = env.scene.model, env.scene.data
    renderer = mujoco.Renderer(model, size, size)
    renderer.update_scene(data, camera=camera)
    renderer.render()
    best = {"env": 0.0, "bare": 0.0}
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(frames):
            env.render()
        best["env"] = max(best["env"], frames / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for _ in range(frames):
            renderer.update_scene(data, camera=camera)
            renderer.render()
        best["bare"] = max(best["bare"], frames / (time.perf_counter() - t0))
    renderer.close()
    env.close()
    return {"env_fps": best["env"], "bare_fps": best["bare"], "fraction": best["env"] / best["bare"]}


# --------------------------------------------------------------------------- flatness
@dataclass(frozen=True)
class FlatnessRow:
    """Physics-mode deviation from frame mode over one rung (m): across its elements and steps."""

    rung: str
    elements: int
    median: float
    p95: float
    max: float
    outliers: int
    """Rollouts (element x episode) whose largest deviation exceeds 1e-6 m."""
    rollouts: int


def flatness(
    elements: Sequence[GroupElement],
    actions: np.ndarray,
    seed: int,
    cone: str = "elliptic",
    task: str = "push",
) -> np.ndarray:
    """Per element and step, the physics-mode position deviation (m) from frame mode: shape (len(elements), steps + 1).

    Frame mode is the canonical rollout relabelled by g; physics mode simulates the moved lab. ``cone``
    picks the friction cone of both.
    """
    canonical = PushT3DScene(task=task, cone=cone)
    layout, symmetry = canonical.obs_layout, canonical.symmetry
    base = rollout(canonical, actions, seed)
    out = []
    for g in elements:
        mapped = symmetry.act_action(g, actions)  # float64: the env rounds it back to the float32 action
        expected = symmetry.act_obs(g, base)
        physics = PushT3DScene(task=task, placement=g, cone=cone)
        out.append(position_deviation(layout, rollout(physics, mapped, seed), expected))
        physics.close()
    canonical.close()
    return np.array(out)


@dataclass(frozen=True)
class FrameRow:
    """Frame mode's deviation from ``act_obs(g, canonical)`` over one rung: across its elements, pushes and steps."""

    rung: str
    rollouts: int
    max_relative: float
    """``max |obs_g - act_obs(g, obs_e)| / max |act_obs(g, obs_e)|`` over the rung's rollouts."""
    max_position: float
    """The largest pusher or block position deviation (m)."""


def frame_mode_rows(rungs: dict[str, list[GroupElement]], plays: Sequence[tuple[int, np.ndarray]]) -> list[FrameRow]:
    """One ``FrameRow`` per rung: every element replays every ``(seed, actions)`` canonical push in frame mode."""
    canonical, scene = PushT3DScene(), PushT3DScene()
    symmetry, layout = canonical.symmetry, canonical.obs_layout
    bases = [(seed, actions, rollout(canonical, actions, seed)) for seed, actions in plays]
    rows = []
    for rung, elements in rungs.items():
        relative = position = 0.0
        for seed, actions, base in bases:
            for g in elements:
                observed = rollout(Orient(scene, g), symmetry.act_action(g, actions), seed)
                expected = symmetry.act_obs(g, base)
                relative = max(relative, float(np.max(np.abs(observed - expected)) / np.max(np.abs(expected))))
                position = max(position, float(position_deviation(layout, observed, expected).max()))
        rows.append(FrameRow(rung, len(elements) * len(bases), relative, position))
    canonical.close()
    scene.close()
    return rows


def flatness_rows(
    rungs: dict[str, list[GroupElement]], plays: Sequence[tuple[int, np.ndarray]], cone: str = "elliptic"
) -> list[FlatnessRow]:
    """One ``FlatnessRow`` per rung: every element replays every ``(seed, actions)`` canonical episode."""
    rows = []
    for rung, elements in rungs.items():
        per_rollout = np.concatenate([flatness(elements, actions, seed, cone) for seed, actions in plays])
        deviations = per_rollout.ravel()
        outliers = int(np.sum(per_rollout.max(axis=1) > 1e-6))
        median, p95, worst = np.median(deviations), np.percentile(deviations, 95), deviations.max()
        rows.append(
            FlatnessRow(rung, len(elements), float(median), float(p95), float(worst), outliers, len(per_rollout))
        )
    return rows


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eqenvs.speed3d", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=_positive, default=100, help="env steps per flatness episode")
    parser.add_argument("--episodes", type=_positive, default=3, help="canonical pushes replayed per ladder element")
    parser.add_argument("--per-rung", type=_positive, default=8, help="elements per random ladder rung")
    parser.add_argument("--seed", type=int, default=0, help="seed of the ladder's random rungs (>= 0)")
    parser.add_argument("--cone", choices=("elliptic", "pyramidal", "both"), default="both")
    parser.add_argument("--speed-steps", type=_positive, default=3000, help="env steps per speed round")
    parser.add_argument("--frames", type=_positive, default=300, help="frames per render-speed round")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed: must be >= 0")

    print("EqPushT3D-v1 speed and flatness (one process)")
    print()
    tilted = SE3.sample(np.random.default_rng(7), translation_scale=0.1)
    for label, orientation, mode in (("frame, identity", 0.0, "frame"), ("physics, tilted", tilted, "physics")):
        speed = step_speed(args.speed_steps, orientation=orientation, orientation_mode=mode)
        print(
            f"[step]   {label}: env {speed['env_steps_per_s']:6.0f} steps/s   bare mj_step x20 "
            f"{speed['bare_steps_per_s']:6.0f} steps/s   ratio {speed['ratio']:.2f}  (target <= 1.5)"
        )
    for camera in ("world", "scene"):
        fps = render_speed(frames=args.frames, camera=camera)
        print(
            f"[render] 224x224 {camera:5s} camera: env {fps['env_fps']:6.0f} fps   bare mujoco.Renderer "
            f"{fps['bare_fps']:6.0f} fps   fraction {fps['fraction']:.2f}  (target >= 0.8)"
        )
    plays, travel = [], []
    for seed in range(args.episodes):
        actions, observations = scripted_actions(args.steps, seed)
        plays.append((seed, actions))
        block = observations[:, PushT3DScene().obs_layout["block_pos"].slice]
        travel.append(float(np.linalg.norm(np.diff(block, axis=0), axis=1).sum()))
    rungs = ladder("EqPushT3D-v1", args.per_rung, args.seed)
    print(
        f"\n[frame]  frame mode vs act_obs(g, canonical), the same rungs and pushes as the flatness tables "
        f"({args.episodes} scripted pushes x {args.steps} steps per element)"
    )
    print(f"         {'rung':9s} {'rollouts':>8s} {'max relative obs error':>23s} {'max position deviation (m)':>27s}")
    for row in frame_mode_rows(rungs, plays):
        print(f"         {row.rung:9s} {row.rollouts:8d} {row.max_relative:23.2e} {row.max_position:27.2e}")
    cones = ("elliptic", "pyramidal") if args.cone == "both" else (args.cone,)
    for cone in cones:
        print(
            f"\n[flat]   physics vs frame mode, {cone} cones: pusher/block position deviation (m) per step, "
            f"{args.episodes} scripted pushes x {args.steps} steps per element"
        )
        print(f"         {'rung':9s} {'elements':>8s} {'median':>10s} {'p95':>10s} {'max':>10s}   rollouts > 1 um")
        for row in flatness_rows(rungs, plays, cone):
            print(
                f"         {row.rung:9s} {row.elements:8d} {row.median:10.2e} {row.p95:10.2e} {row.max:10.2e}"
                f"   {row.outliers} of {row.rollouts}"
            )
    print(f"\n(the scripted pushes slide the block {np.mean(travel):.2f} m per episode on average)")


if __name__ == "__main__":
    main()
