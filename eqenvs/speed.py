"""EqPushT-v1's speed against raw gym-pusht, and how flat physics mode is across the orbit (an env probe; the
agent benchmark is ``eqbench``, ``agents.benchmark``).

    python -m eqenvs.speed                 # prints the tables (about a minute on 2 cores); also eqenvs-speed
    python -m eqenvs.speed --json out.json # also writes the figures as JSON

1. Throughput, measured side by side in one run with interleaved repeats (median of the repeats):
   ``gym_pusht/PushT-v0`` vs ``EqPushT-v1`` (frame mode at 0.7 rad), state observations and 96x96
   pixel observations, both through ``gym.make``'s default wrappers. Target: state time ratio <= 1.10.
2. Physics-mode flatness: the same open-loop actions at identity and at g, compared with
   ``act_obs(g, identity trajectory)``: the physics-mode deviation (px, the larger of the pusher's and the
   block origin's) measures pymunk's departure from rotation equivariance. Episodes are split by whether
   the canonical block touched a wall (within 1 px), rotations into C4 and generic angles.
3. Frame-mode exactness, measured on the same episodes at the same orientations: the largest relative
   observation error ``max |obs_g - act_obs(g, obs_e)| / max |act_obs(g, obs_e)|`` and the largest px
   deviation of the pusher and block origin, per rotation group.
4. Pixel observations (frame mode, 96x96, task "pusht", paired episodes with the actions turned by g): at
   quarter turns the largest difference from ``np.rot90`` of the identity's image (intensity levels; exact:
   0); at every angle the deviation from the ideal image of the same view — drawn 8x larger and
   area-averaged, the anti-aliasing a perfect rasteriser would give — mean and largest, and the share of pixels
   more than 8 levels off. The identity's own deviation is the rasteriser's; what a turn adds is the rest.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import eqenvs  # noqa: F401  (registers EqPushT-v1)
from eqenvs.files import write_json
from eqenvs.groups import SE2
from eqenvs.pusht import ARENA_UNIT_PX

C4_DEGREES = (90.0, 180.0, 270.0)
GENERIC_DEGREES = (30.0, 75.0, 137.0, 250.0)
CHECKPOINTS = (10, 50, 100, 300)


def _rate(env: gym.Env, actions: np.ndarray) -> float:
    """Steps per second over ``actions`` (resetting with fixed seeds when an episode ends)."""
    env.reset(seed=0)
    episode = 0
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            episode += 1
            env.reset(seed=episode)
    return len(actions) / (time.perf_counter() - start)


def throughput(steps: int, repeats: int) -> dict[str, Any]:
    import gym_pusht  # noqa: F401  (registers gym_pusht/PushT-v0)

    rng = np.random.default_rng(0)
    targets = np.repeat(rng.uniform(0, 512, (steps // 10 + 1, 2)), 10, axis=0)[:steps].astype(np.float32)
    deltas = rng.uniform(-1, 1, (steps, 2)).astype(np.float32)
    cases: dict[str, tuple[Callable[[], gym.Env], np.ndarray]] = {
        "gym_pusht state": (lambda: gym.make("gym_pusht/PushT-v0"), targets),
        "EqPushT state absolute": (lambda: gym.make("EqPushT-v1", orientation=0.7, action_type="absolute"), targets),
        "EqPushT state delta": (lambda: gym.make("EqPushT-v1", orientation=0.7), deltas),
        "gym_pusht pixels": (lambda: gym.make("gym_pusht/PushT-v0", obs_type="pixels"), targets),
        "EqPushT pixels delta": (lambda: gym.make("EqPushT-v1", orientation=0.7, obs_type="pixels"), deltas),
        "EqPushT pixels, 90 deg": (lambda: gym.make("EqPushT-v1", orientation="90deg", obs_type="pixels"), deltas),
    }
    envs = {name: make() for name, (make, _) in cases.items()}
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):  # interleaved, so drifts in machine load hit every case alike
        for name, (_, actions) in cases.items():
            n = actions.shape[0] // 4 if "pixels" in name else actions.shape[0]
            rates[name].append(_rate(envs[name], actions[:n]))
    median = {name: statistics.median(r) for name, r in rates.items()}
    return {
        "steps_per_s": median,
        "time_ratio_state_absolute": median["gym_pusht state"] / median["EqPushT state absolute"],
        "time_ratio_state_delta": median["gym_pusht state"] / median["EqPushT state delta"],
        "time_ratio_pixels": median["gym_pusht pixels"] / median["EqPushT pixels delta"],
    }


def _episode_actions(kind: str, seed: int, steps: int, env: gym.Env) -> np.ndarray:
    """Open-loop delta actions recorded at the identity from the noisy scripted pusher: towards the push
    task's goal ("interior"), or towards a point beyond a wall in a random direction ("wall"), which
    drives the block into the wall and keeps grinding it there."""
    from eqenvs.experts.scripted import ScriptedPusher

    rng = np.random.default_rng(seed)
    layout = env.unwrapped.obs_layout
    policy = ScriptedPusher(layout, noise=0.3, seed=seed)
    far_goal = 2.0 * np.array([math.cos(a := rng.uniform(0, 2 * math.pi)), math.sin(a)])  # 512 px out
    obs, _ = env.reset(seed=seed)
    actions = []
    for _ in range(steps):
        seen = obs.copy()
        if kind == "wall":
            seen[layout["goal_pos"].slice] = far_goal
        actions.append(policy.act(seen))
        obs, *_ = env.step(actions[-1])
    return np.array(actions)


def _run(env: gym.Env, actions: np.ndarray, seed: int) -> tuple[np.ndarray, bool]:
    obs, _ = env.reset(seed=seed)
    scene = env.unwrapped.scene
    observations, touched = [obs], scene.wall_clearance() < 1.0
    for a in actions:
        obs, *_ = env.step(a)
        observations.append(obs)
        touched = touched or scene.wall_clearance() < 1.0
    return np.array(observations), touched


def _body_deviation_px(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per step, the larger px distance of the block origin and the pusher from where ``expected`` has them."""
    bodies = [slice(4, 6), slice(8, 10)]  # block origin, pusher (arena units)
    return np.max([np.linalg.norm(observed[:, s] - expected[:, s], axis=1) for s in bodies], axis=0) * ARENA_UNIT_PX


def flatness(episodes: int, steps: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Physics mode's and frame mode's deviations from ``act_obs(g, identity trajectory)``, on the same episodes
    and orientations: (physics table keyed "rotations / episodes", frame table keyed by rotation group)."""
    rows: dict[tuple[str, str], list[np.ndarray]] = {}
    frame_rows: dict[str, list[tuple[float, float]]] = {}
    make = dict(id="EqPushT-v1", task="push", max_episode_steps=None)
    sym = gym.make(**make).unwrapped.symmetry
    for kind in ("interior", "wall"):
        for episode in range(episodes):
            seed = 1000 * (kind == "wall") + episode
            actions = _episode_actions(kind, seed, steps, gym.make(**make))
            obs_e, touched = _run(gym.make(**make), actions, seed)
            contact = "wall contact" if touched else "interior"
            for group, angles in (("C4", C4_DEGREES), ("generic", GENERIC_DEGREES)):
                for degrees in angles:
                    g = SE2.from_angle(f"{degrees}deg")
                    mapped = [sym.act_action(g, a) for a in actions]
                    expected = sym.act_obs(g, obs_e)
                    physics = gym.make(**make, orientation=g, orientation_mode="physics")
                    obs_p, _ = _run(physics, mapped, seed)
                    rows.setdefault((group, contact), []).append(_body_deviation_px(obs_p, expected))
                    obs_f, _ = _run(gym.make(**make, orientation=g), mapped, seed)
                    relative = float(np.max(np.abs(obs_f - expected)) / np.max(np.abs(expected)))
                    px = float(_body_deviation_px(obs_f, expected).max())
                    frame_rows.setdefault(group, []).append((relative, px))
    table = {}
    for (group, contact), curves in sorted(rows.items()):
        curves_arr = np.array(curves)  # (episodes x angles, steps + 1)
        entry = {"episodes": len(curves)}
        for t in CHECKPOINTS:
            if t <= steps:
                entry[f"median_px@{t}"] = float(np.median(curves_arr[:, t]))
                entry[f"max_px@{t}"] = float(np.max(curves_arr[:, t]))
        table[f"{group} / {contact}"] = entry
    frame = {
        group: {
            "rollouts": len(pairs),
            "max_relative_obs_error": max(r for r, _ in pairs),
            "max_px": max(px for _, px in pairs),
        }
        for group, pairs in frame_rows.items()
    }
    return table, frame


def pixel_exactness(episodes: int, steps: int) -> dict[str, Any]:
    """Section 4 of the module docstring: quarter turns against ``np.rot90``, every angle against the ideal."""
    size, factor = 96, 8
    rows: dict[str, dict[str, Any]] = {}
    for degrees in (0.0, *C4_DEGREES, *GENERIC_DEGREES):
        g = SE2.from_angle(math.radians(degrees))
        rot90_max, mean, worst, off = 0, [], 0.0, []
        for seed in range(episodes):
            rng = np.random.default_rng(seed)
            envs = [gym.make("EqPushT-v1", task="pusht", obs_type="pixels", orientation=o) for o in (0.0, g)]
            obs = [env.reset(seed=seed)[0] for env in envs]
            symmetry = envs[1].unwrapped.symmetry
            for _ in range(steps):
                if degrees % 90 == 0:
                    k = round(degrees / 90)
                    rot90_max = max(rot90_max, int(np.abs(obs[1].astype(int) - np.rot90(obs[0], -k)).max()))
                big = envs[1].unwrapped.render_view(size=size * factor, overlay=False).astype(np.float64)
                ideal = big.reshape(size, factor, size, factor, 3).mean((1, 3))
                error = np.abs(obs[1] - ideal)
                mean.append(float(error.mean()))
                worst = max(worst, float(error.max()))
                off.append(float(np.mean(error.max(-1) > 8)))
                action = rng.uniform(-1, 1, 2)
                obs = [envs[0].step(action.astype(np.float32))[0],
                       envs[1].step(np.asarray(symmetry.act_action(g, action), np.float32))[0]]  # fmt: skip
        rows[f"{degrees:g} deg"] = {"frames": len(mean), "mean_levels": float(np.mean(mean)), "max_levels": worst,
                                    "share_over_8": float(np.mean(off)),
                                    "rot90_max_levels": rot90_max if degrees % 90 == 0 else None}  # fmt: skip
    return rows


def _print_report(report: dict[str, Any]) -> None:
    speed = report["throughput"]
    print("Throughput (steps/s, median of interleaved repeats; gym.make defaults on both sides)")
    for name, rate in speed["steps_per_s"].items():
        print(f"  {name:26s} {rate:8.0f}")
    print(f"  time ratio EqPushT/gym_pusht, state, absolute actions: {speed['time_ratio_state_absolute']:.3f}"
          "  (target <= 1.10)")  # fmt: skip
    print(f"  time ratio EqPushT/gym_pusht, state, delta actions:    {speed['time_ratio_state_delta']:.3f}")
    print(f"  time ratio EqPushT/gym_pusht, 96x96 pixels:            {speed['time_ratio_pixels']:.3f}")
    print()
    print("Physics mode vs frame mode: px deviation of pusher and block origin from act_obs(g, identity trajectory)")
    header = "  " + f"{'rotations / episodes':28s} {'n':>4}" + "".join(
        f" {'med@' + str(t):>9} {'max@' + str(t):>9}" for t in CHECKPOINTS if f"median_px@{t}" in next(
            iter(report["flatness"].values())))  # fmt: skip
    print(header)
    for name, entry in report["flatness"].items():
        cells = "".join(
            f" {entry[f'median_px@{t}']:9.2e} {entry[f'max_px@{t}']:9.2e}" for t in CHECKPOINTS
            if f"median_px@{t}" in entry)  # fmt: skip
        print(f"  {name:28s} {entry['episodes']:4d}{cells}")
    print()
    print("Frame mode vs act_obs(g, identity trajectory), same episodes and orientations (all steps)")
    print(f"  {'rotations':10s} {'rollouts':>8s} {'max relative obs error':>23s} {'max px deviation':>17s}")
    for group, entry in report["frame_mode"].items():
        print(f"  {group:10s} {entry['rollouts']:8d} {entry['max_relative_obs_error']:23.2e} {entry['max_px']:17.2e}")
    print()
    print("Pixel observations, frame mode, 96x96: quarter turns vs np.rot90 of the identity's; every angle vs the")
    print("ideal (the same view drawn 8x larger and area-averaged), intensity levels 0-255")
    columns = f"{'vs rot90, max':>14s} {'vs ideal, mean':>15s} {'max':>6s} {'share > 8':>10s}"
    print(f"  {'angle':8s} {'frames':>6s} {columns}")
    for name, entry in report["pixels"].items():
        turned = "" if entry["rot90_max_levels"] is None else str(entry["rot90_max_levels"])
        print(f"  {name:8s} {entry['frames']:6d} {turned:>14s} {entry['mean_levels']:15.3f} {entry['max_levels']:6.1f} "
              f"{entry['share_over_8']:10.4f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="env steps per throughput repeat")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved throughput repeats")
    parser.add_argument("--episodes", type=int, default=8, help="flatness episodes per kind (interior, wall)")
    parser.add_argument("--episode-steps", type=int, default=300, help="steps per flatness episode")
    parser.add_argument("--pixel-episodes", type=int, default=4, help="pixel-exactness episodes per angle")
    parser.add_argument("--pixel-steps", type=int, default=50, help="steps per pixel-exactness episode")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    for name in ("steps", "repeats", "episodes", "episode_steps", "pixel_episodes", "pixel_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: must be >= 1")
    started = time.perf_counter()
    physics, frame = flatness(args.episodes, args.episode_steps)
    report = {
        "throughput": throughput(args.steps, args.repeats),
        "flatness": physics,
        "frame_mode": frame,
        "pixels": pixel_exactness(args.pixel_episodes, args.pixel_steps),
        "command": "python -m eqenvs.speed " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    _print_report(report)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json is not None:
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
