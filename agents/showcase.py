"""The quick end-to-end showcase: a scripted pusher across orientations, as labelled mosaic videos.

    python -m agents showcase     # videos/showcase_push.mp4 and videos/showcase_ladder3d.mp4 (+ GIFs), two tables

EqPushT-v1, at slice and held-out orientations g: the same seeded episode runs twice in frame mode:

* replay: the identity episode's actions mapped by ``act_action(g, .)``; the observations must equal
  ``act_obs(g, identity observations)`` (the float64 exactness contract), and rewards must match;
* closed loop: the scripted policy acting at g on its own; since the policy is equivariant, its
  trajectory is the identity one seen from g, up to float rounding amplified by contacts.

It prints both residuals per orientation and writes the mosaic of the closed-loop episodes.

gym-pusht's PushT (task "pusht", its random starts, success = coverage > 0.95), solved by the contact
planner (``eqenvs.experts.contact``; a privileged oracle: it plans with gym-pusht's own simulator, not a learned
model) at slice and held-out orientations of frame mode: every tile is the identity's episode seen from g,
and the table checks it (the same steps, the same final coverage).

EqPushT3D-v1, physics mode, one element per rung of the SE(3) ladder (identity, C4, yaw, SE(2), a tilted
lab, a tilted and moved lab): the same scripted actions replayed in the moved MuJoCo lab, the deviation
from the exact frame-mode trajectory printed per rung, the world camera's view written as a mosaic.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import cv2
import gymnasium as gym
import numpy as np

import eqenvs
from agents.config import ShowcaseConfig
from eqenvs.experts.scripted import ScriptedPusher
from eqenvs.video import mosaic, write_video


def run_episode(env: gym.Env, policy: ScriptedPusher | None, actions=None, seed: int = 0, steps: int = 300,
                render: bool = False):  # fmt: skip
    """Roll out a policy (or replay ``actions``); returns observations, actions, rewards, info and frames."""
    obs, info = env.reset(seed=seed)
    observations, taken, rewards, frames = [obs], [], [], [env.render()] if render else []
    for t in range(steps if actions is None else len(actions)):
        action = policy.act(obs) if actions is None else actions[t]
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        taken.append(np.asarray(action))
        rewards.append(reward)
        if render:
            frames.append(env.render())
        if terminated or truncated:
            break
    return np.array(observations), np.array(taken), np.array(rewards), info, frames


def orbit_2d(config: ShowcaseConfig) -> tuple[float, list, list, list]:
    """EqPushT-v1 in frame mode at slice and held-out angles: replay and closed-loop exactness, tiles."""
    make = dict(id="EqPushT-v1", task=config.task, render_mode="rgb_array", render_size=config.tile)
    identity_env = gym.make(**make)
    policy = ScriptedPusher(identity_env.unwrapped.obs_layout)
    obs_e, actions_e, rewards_e, info_e, _ = run_episode(identity_env, policy, seed=config.seed, steps=config.steps)
    sym = identity_env.unwrapped.symmetry

    rows, streams, labels, colors = [], [], [], []
    angles = [("slice", a) for a in config.slice_rad] + [("held-out", a) for a in config.heldout_rad]
    for split, radians in angles:
        g, degrees = sym.element(radians), math.degrees(radians)
        env = gym.make(**make, orientation=g)
        # replay: the identity actions seen from g
        mapped = [sym.act_action(g, a) for a in actions_e]
        obs_r, _, rewards_r, _, _ = run_episode(env, None, actions=mapped, seed=config.seed)
        expected = sym.act_obs(g, obs_e)
        replay_err = float(np.max(np.abs(obs_r - expected)) / np.max(np.abs(expected)))
        reward_err = float(np.max(np.abs(rewards_r - rewards_e)))
        # closed loop: the policy acting at g on its own
        obs_c, _, _, info_c, frames = run_episode(env, policy, seed=config.seed, steps=config.steps, render=True)
        n = min(len(obs_c), len(expected))
        closed_err = float(np.max(np.abs(obs_c[:n] - expected[:n])) * eqenvs.pusht.ARENA_UNIT_PX)
        rows.append((split, degrees, info_c["is_success"], len(obs_c) - 1, info_c["pos_error_px"], replay_err,
                     reward_err, closed_err))  # fmt: skip
        streams.append(frames)
        labels.append(f"{split} {degrees:g} deg: {'success' if info_c['is_success'] else 'fail'}")
        colors.append((140, 255, 140) if info_c["is_success"] else (255, 140, 140))

    print(f"EqPushT-v1 task={config.task} seed={config.seed}, frame mode, scripted pusher")
    print(f"{'split':9} {'angle':>6} {'success':>7} {'steps':>5} {'final px':>8} "
          f"{'replay rel err':>14} {'reward err':>10} {'closed-loop px':>14}")  # fmt: skip
    for split, deg, ok, steps, err, rel, rew, closed in rows:
        print(f"{split:9} {deg:6.0f} {ok!s:>7} {steps:5d} {err:8.2f} {rel:14.2e} {rew:10.2e} {closed:14.2e}")
    worst = max(r[5] for r in rows)
    print(f"frame-mode exactness: max relative observation error over {len(rows)} orientations = {worst:.2e} "
          f"(contract: <= 1e-9); identity episode: success={info_e['is_success']}, {len(actions_e)} steps")  # fmt: skip
    return worst, streams, labels, colors


class _Timed:
    """A policy whose ``act`` calls are timed one by one."""

    def __init__(self, policy: Any):
        self.policy, self.seconds = policy, []

    def act(self, obs: Any) -> np.ndarray:
        started = time.perf_counter()
        action = self.policy.act(obs)
        self.seconds.append(time.perf_counter() - started)
        return action


def pusht_orbit(config: ShowcaseConfig, learned: bool = False) -> tuple[bool, list, list, list]:
    """The contact planner on gym-pusht's task at slice and held-out orientations (frame mode), or (``learned``)
    the primitive planner on the learned VN push model ``config.pusht_learned`` in float64: the episodes must be
    the identity's (same steps, same final coverage, success)."""
    from eqenvs.experts.contact import ContactPlanner

    def make_planner(env: gym.Env) -> Any:
        if not learned:
            return ContactPlanner(env.unwrapped.obs_layout)
        from agents.specs import make_agent

        return make_agent(f"primitive:{config.pusht_learned},dtype=float64", env).policy

    rows, streams, labels, colors = [], [], [], []
    for radians in config.pusht_rad:
        degrees = math.degrees(radians)
        env = gym.make("EqPushT-v1", task="pusht", orientation=radians, render_mode="rgb_array",
                       render_size=config.tile)  # fmt: skip
        planner = _Timed(make_planner(env))
        _, actions, _, info, frames = run_episode(env, planner, seed=config.pusht_seed, render=True)
        seconds = planner.seconds
        split = "slice" if 0 <= degrees < 90 else "held-out"
        rows.append((split, degrees, info["is_success"], len(actions), info["coverage"], 1e3 * np.mean(seconds),
                     1e3 * np.max(seconds)))  # fmt: skip
        streams.append(frames)
        labels.append(f"{split} {degrees:g} deg: {'success' if info['is_success'] else 'fail'}")
        colors.append((140, 255, 140) if info["is_success"] else (255, 140, 140))
    who = (f"the primitive planner on the learned VN push model {config.pusht_learned}, float64 (agents.primitives; "
           "learned: no simulator at decision time)" if learned else "contact planner (eqenvs.experts.contact; a "
           "privileged oracle: it plans with gym-pusht's own simulator)")  # fmt: skip
    print(f"\nEqPushT-v1 task=pusht seed={config.pusht_seed}, frame mode, {who}")
    print(f"{'split':9} {'angle':>6} {'success':>7} {'steps':>5} {'coverage':>8} {'ms/step':>7} {'worst step ms':>13}")
    for split, degrees, ok, steps, coverage, ms, worst in rows:
        print(f"{split:9} {degrees:6.0f} {ok!s:>7} {steps:5d} {coverage:8.4f} {ms:7.1f} {worst:13.1f}")
    same = len({(r[2], r[3], r[4]) for r in rows}) == 1
    print(f"the identity's episode at every orientation (steps, coverage, success): {same}")
    return same and rows[0][2], streams, labels, colors


def ladder_3d(config: ShowcaseConfig) -> tuple[float, list, list]:
    """EqPushT3D-v1 in physics mode on each rung of the SE(3) ladder: MuJoCo simulates the moved lab
    (gravity rotated with it); the deviation from the exact frame-mode trajectory is measured, not assumed."""
    from eqenvs.speed3d import position_deviation, scripted_actions
    from eqenvs.splits import orientations

    actions, obs_e = scripted_actions(steps=config.steps_3d, seed=config.seed)
    layout = gym.make("EqPushT3D-v1").unwrapped.obs_layout
    sym = gym.make("EqPushT3D-v1").unwrapped.symmetry
    worst, streams, labels = 0.0, [], []
    print(f"\nEqPushT3D-v1 physics mode on the SE(3) ladder (seed {config.seed}), {len(actions)} scripted steps")
    print(f"{'rung':9} {'max deviation from frame mode (m)':>34}")
    for rung, elements in orientations("EqPushT3D-v1", "ladder", n=1, seed=config.seed).items():
        g = elements[-1]  # C4: the quarter turn of order 4
        env = gym.make("EqPushT3D-v1", orientation=g, orientation_mode="physics", render_mode="rgb_array",
                       render_size=config.tile, max_episode_steps=None)  # fmt: skip
        obs, _ = env.reset(seed=config.seed)
        observed, frames = [obs], [env.render()]
        for a in actions:
            obs, *_ = env.step(sym.act_action(g, a))
            observed.append(obs)
            frames.append(env.render())
        deviation = float(position_deviation(layout, np.array(observed), sym.act_obs(g, obs_e)).max())
        worst = max(worst, deviation)
        print(f"{rung:9} {deviation:34.2e}")
        streams.append(frames)
        labels.append(f"{rung} (physics): {deviation:.0e} m")
    return worst, streams, labels


def _write(out: Path, name: str, streams: list, labels: list, cols: int, config: ShowcaseConfig, colors=None) -> None:
    fps = 10  # both envs step at 10 Hz (their metadata["render_fps"])
    print(f"wrote {write_video(out / f'{name}.mp4', mosaic(streams, labels, cols=cols, label_colors=colors), fps)}")
    if config.gif_tile:
        size = (config.gif_tile, config.gif_tile)
        small = [[cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in s] for s in streams]
        gif = write_video(out / f"{name}.gif", mosaic(small, labels, cols=cols, label_colors=colors), fps)
        print(f"wrote {gif}")


def run(config: ShowcaseConfig) -> int:
    """The showcase; exit code 1 if frame mode misses its exactness contract or PushT is not solved the same
    way at every orientation."""
    started = time.perf_counter()
    out = Path(config.out)
    worst_2d, streams, labels, colors = orbit_2d(config)
    _write(out, f"showcase_{config.task}", streams, labels, 4, config, colors)
    ok = worst_2d <= 1e-9
    if config.pusht_rad:
        solved, streams, labels, colors = pusht_orbit(config)
        _write(out, "showcase_pusht", streams, labels, len(streams), config, colors)
        ok = ok and solved
        if config.pusht_learned:
            solved, streams, labels, colors = pusht_orbit(config, learned=True)
            _write(out, "showcase_pusht_learned", streams, labels, len(streams), config, colors)
            ok = ok and solved
    if config.steps_3d:
        worst_3d, streams, labels = ladder_3d(config)
        print(f"physics-mode flatness on the ladder: max deviation {worst_3d:.2e} m (frame mode: exact by "
              "construction)")  # fmt: skip
        _write(out, "showcase_ladder3d", streams, labels, 3, config)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1
