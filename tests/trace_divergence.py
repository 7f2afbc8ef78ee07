"""Where two orientations of one eqbench task part: replay the task at every orientation of the run, as eqbench does
(all of them in one batch, in lockstep), and print, per step, how far the action the *canonical scene* receives at
``--orientation`` is from the identity's (float64), and whether the two still round to the same float32 action (the
env rounds there, so while they do, the simulated states are identical), and how far apart the two warm starts the
planner keeps for the next step are (stored rounded to float32 in each observation's frame: ``MPCPlanner._keep``):

    .venv/bin/python tests/trace_divergence.py --task 8 --orientation SO3-0

With the defaults this is the 3D push row of docs/planning.md (``runs/bench/3d_push_vn_eq64``: frame mode, the SE(3)
ladder, the shipped VN model in float64); ``--env-kwargs``, ``--agent`` and ``--max-steps`` as eqbench's. Frame mode
only (physics mode has no canonical scene).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("MUJOCO_GL", "egl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="EqPushT3D-v1")
    parser.add_argument("--env-kwargs", default="{}")
    parser.add_argument("--orientations", default="ladder")
    parser.add_argument("--per-split", type=int, default=1)
    parser.add_argument("--agent", default="planner:vn_explicit-push3d,dtype=float64")
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--task", type=int, default=8, help="base task index (test tasks of --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--orientation", default="SO3-0", help="the orientation to compare with the identity")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from agents.benchmark.episodes import make_env, task_seed
    from agents.benchmark.orientations import parse_orientations
    from agents.config.benchmark import BenchConfig
    from agents.specs import make_agent

    torch.set_num_threads(1)
    config = BenchConfig(env=args.env, env_kwargs=json.loads(args.env_kwargs), orientations=args.orientations,
                         per_split=args.per_split, tasks=args.task + 1, seed=args.seed, max_steps=args.max_steps,
                         agent=args.agent, out="unused")  # fmt: skip
    targets = parse_orientations(config)
    names = [t.name for t in targets]
    if args.orientation not in names:
        print(f"error: orientation: {args.orientation!r} is not one of the run's: {', '.join(names)}", file=sys.stderr)
        return 2
    envs = [make_env(config, t.element, False) for t in targets]
    if any(env.unwrapped.orientation_mode != "frame" for env in envs):
        print("error: env-kwargs: frame mode only (physics mode has no canonical scene)", file=sys.stderr)
        return 2
    received: dict[int, list[np.ndarray]] = {i: [] for i in range(len(envs))}
    for i, env in enumerate(envs):  # log what the canonical scene receives, before it rounds
        scene = env.unwrapped.scene
        original = scene._target_from_action

        def logged(action, original=original, i=i):
            received[i].append(np.array(action, dtype=np.float64))
            return original(action)

        scene._target_from_action = logged
    agent = make_agent(config.agent, envs[0])
    seed = task_seed(config, args.task)
    agent.reset(seed)
    obs = [env.reset(seed=seed)[0] for env in envs]
    done = np.zeros(len(envs), bool)
    k = names.index(args.orientation)
    print(f"task {args.task} (env seed {seed}): the canonical scene's actions, {args.orientation} vs identity")
    for step in range(args.max_steps):
        actions = agent.act_batch(np.stack(obs))
        warm = getattr(getattr(agent, "planner", None), "_warm", None)  # (local plan, frame) or None
        kept = f"  warm starts {float((warm[0][0] - warm[0][k]).abs().max()):.3g} apart" if warm else ""
        for i, env in enumerate(envs):
            if not done[i]:
                obs[i], _, terminated, truncated, _ = env.step(actions[i])
                done[i] = terminated or truncated
        if len(received[0]) <= step or len(received[k]) <= step:
            break
        a, b = received[0][step][:2], received[k][step][:2]  # the table plane's components (z is projected away)
        same = bool((a.astype(np.float32) == b.astype(np.float32)).all())
        print(f"step {step:3d}  max |difference| {np.abs(a - b).max():.3g}  same float32 action: {same}{kept}")
        if done[0] and done[k]:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
