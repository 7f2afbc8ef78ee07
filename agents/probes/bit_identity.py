"""Bit identity of the VN code across a change: this tree's outputs against a git revision's, ``torch.equal`` each.

    python -m agents bit-identity --ref HEAD      # ~1 minute: both trees, one torch thread each

Published tables were produced with the shipped models (``agents/pretrained``) and the planner as it was; a
speed-up that rounds differently (another summation order, a fused multiply-add) moves every number downstream.
So a speed change is checked here, output by output, before it is kept:

* every shipped model, float32 and float64: ``encode``, ``predict``, a 16-step ``rollout`` (latent models:
  ``target`` and ``decode`` too), and the gradients of a one-step loss with respect to every parameter;
* a ``VNMLP`` forward and backward (gradients of its parameters and of its input), float32 and float64;
* closed loops of the MPPI planner (``make_agent("planner:...")``): the VN and MLP latent and explicit models in
  2D and 3D, float64 and the plain planner too, one observation at a time and several at once;
* the VN SB3 policies (``agents.rl``): PPO's ``evaluate_actions`` and SAC's actor and critics, with gradients,
  and the parameters after three steps of each policy's own optimizer.

``reference_outputs`` computes them with whatever ``agents`` is imported; ``outputs_at(ref)`` runs it on a
``git archive`` of ``ref`` in a subprocess (this module's own source copied in, so any revision can be compared).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["compare", "outputs_at", "reference_outputs", "run"]

SHIPPED = ("vn_latent-push2d", "mlp_latent-push2d", "vn_explicit-push2d", "mlp_explicit-push2d",
           "mlp_explicit_canonical-push2d", "vn_explicit-push3d", "mlp_explicit-push3d")  # fmt: skip
PLANNERS = (  # (spec, env id, orientations planned at once)
    ("planner:vn_latent-push2d", "EqPushT-v1", 1),
    ("planner:vn_latent-push2d,dtype=float64", "EqPushT-v1", 1),
    ("planner:vn_latent-push2d", "EqPushT-v1", 3),
    ("planner:mlp_latent-push2d", "EqPushT-v1", 1),
    ("planner:vn_explicit-push2d", "EqPushT-v1", 1),
    ("planner:vn_explicit-push2d,equivariant=false", "EqPushT-v1", 1),
    ("planner:vn_explicit-push3d", "EqPushT3D-v1", 1),
    ("planner:vn_explicit-push3d,dtype=float64", "EqPushT3D-v1", 1),
)
DTYPES = (torch.float32, torch.float64)


def _observations(env_id: str, env_kwargs: dict[str, Any], count: int = 32, seed: int = 0) -> np.ndarray:
    """``count`` observations of the env: resets and random steps, seeded."""
    import gymnasium as gym

    env = gym.make(env_id, **env_kwargs)
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    episode = 0
    while len(out) < count:
        obs, _ = env.reset(seed=seed + episode)
        episode += 1
        for _ in range(8):
            out.append(obs)
            obs = env.step(rng.uniform(-1.0, 1.0, env.action_space.shape))[0]
    env.close()
    return np.stack(out[:count])


def _gradients(module: torch.nn.Module, loss: torch.Tensor, prefix: str, extra: dict[str, torch.Tensor] = ()
               ) -> dict[str, torch.Tensor]:  # fmt: skip
    """Every parameter's gradient of ``loss`` (and of the tensors in ``extra``), keyed ``prefix/grad/<name>``."""
    named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    named += list(dict(extra).items())
    grads = torch.autograd.grad(loss, [p for _, p in named], allow_unused=True)
    return {f"{prefix}/grad/{n}": g for (n, _), g in zip(named, grads, strict=True) if g is not None}


def _optimizer_steps(module: torch.nn.Module, optimizer: torch.optim.Optimizer, grads: dict[str, torch.Tensor],
                     prefix: str, steps: int = 3) -> dict[str, torch.Tensor]:  # fmt: skip
    """Every parameter after ``steps`` optimizer steps with the gradients ``grads`` (scaled differently each step)."""
    named = dict(module.named_parameters())
    for step in range(steps):
        for name, p in named.items():
            g = grads.get(f"{prefix}/grad/{name}")
            p.grad = None if g is None else g * (1.0 + 0.5 * step)
        optimizer.step()
    return {f"{prefix}/after_steps/{name}": p.detach().clone() for name, p in named.items()}


def _model_outputs(name: str) -> dict[str, torch.Tensor]:
    from agents.checkpoints import load_checkpoint
    from agents.pretrained import resolve

    model, meta = load_checkpoint(resolve(name))
    obs = _observations(meta["env_id"], meta["env_kwargs"])
    rng = np.random.default_rng(1)
    actions = rng.uniform(-1.0, 1.0, (obs.shape[0], 16, model.action_dim))
    out: dict[str, torch.Tensor] = {}
    for dtype in DTYPES:
        m = copy.deepcopy(model).to(dtype)
        key = f"model/{name}/{str(dtype).removeprefix('torch.')}"
        o, a = torch.as_tensor(obs, dtype=dtype), torch.as_tensor(actions, dtype=dtype)
        with torch.no_grad():
            z = m.encode(o)
            out[f"{key}/encode"] = z
            out[f"{key}/predict"] = m.predict(z, a[:, 0])
            rollout = m.rollout(z, a)
            out[f"{key}/rollout"] = rollout
            if m.kind == "latent":
                out[f"{key}/target"] = m.target(o)
                out[f"{key}/decode"] = m.decode(rollout)
        m.train()
        z = m.encode(o)
        loss = (m.predict(z, a[:, 0]) - m.target(o).detach()).pow(2).mean()
        if m.kind == "latent":
            loss = loss + m.decode(z).pow(2).mean()
        out[f"{key}/loss"] = loss.detach()
        out.update(_gradients(m, loss, key))
    return out


def _vnmlp_outputs() -> dict[str, torch.Tensor]:
    from agents.nn.vn import VNMLP

    out: dict[str, torch.Tensor] = {}
    for dim in (2, 3):
        torch.manual_seed(dim)
        net = VNMLP(10, 32, 8, depth=2)
        x0, w0 = torch.randn(64, 10, dim, dtype=torch.float64), torch.randn(64, 8, dim, dtype=torch.float64)
        for dtype in DTYPES:
            key = f"vnmlp/{dim}d/{str(dtype).removeprefix('torch.')}"
            m = copy.deepcopy(net).to(dtype)
            x = x0.to(dtype).requires_grad_(True)
            y = m(x)
            out[f"{key}/forward"] = y.detach()
            out.update(_gradients(m, (y * w0.to(dtype)).sum(), key, {"input": x}))
    return out


def _planner_outputs(steps: int) -> dict[str, torch.Tensor]:
    import gymnasium as gym

    import eqenvs  # noqa: F401  (registers the env ids)
    from agents.specs import make_agent

    out: dict[str, torch.Tensor] = {}
    for spec, env_id, count in PLANNERS:
        envs = [gym.make(env_id, task="push", orientation=0.4 * k) for k in range(count)]
        agent = make_agent(spec, envs[0])
        agent.reset(7)
        obs = np.stack([env.reset(seed=7)[0] for env in envs])
        actions = []
        for _ in range(steps):
            action = agent.act_batch(obs) if count > 1 else agent.act(obs[0])[None]
            actions.append(action)
            obs = np.stack([env.step(a)[0] for env, a in zip(envs, action, strict=True)])
        out[f"plan/{spec}/x{count}/actions"] = torch.as_tensor(np.stack(actions))
        out[f"plan/{spec}/x{count}/obs"] = torch.as_tensor(obs)
    return out


def _policy_outputs() -> dict[str, torch.Tensor]:
    import gymnasium as gym

    import eqenvs  # noqa: F401  (registers the env ids)
    from agents.rl.policies import VNActorCriticPolicy, VNSACPolicy

    env = gym.make("EqPushT-v1", task="push")
    obs0 = torch.as_tensor(_observations("EqPushT-v1", {"task": "push"}))
    actions0 = torch.as_tensor(np.random.default_rng(2).uniform(-1.0, 1.0, (obs0.shape[0], 2)))
    out: dict[str, torch.Tensor] = {}
    for dtype in DTYPES:
        key = f"policy/{str(dtype).removeprefix('torch.')}"
        obs, actions = obs0.to(dtype), actions0.to(dtype)
        torch.manual_seed(0)
        ppo = VNActorCriticPolicy(env.observation_space, env.action_space, lambda _: 3e-4).to(dtype)
        values, log_prob, entropy = ppo.evaluate_actions(obs, actions)
        out[f"{key}/ppo/values"], out[f"{key}/ppo/log_prob"] = values.detach(), log_prob.detach()
        grads = _gradients(ppo, values.sum() + log_prob.sum() + entropy.sum(), f"{key}/ppo")
        out.update(grads)
        out.update(_optimizer_steps(ppo, ppo.optimizer, grads, f"{key}/ppo"))
        torch.manual_seed(0)
        sac = VNSACPolicy(env.observation_space, env.action_space, lambda _: 3e-4).to(dtype)
        torch.manual_seed(1)
        action, log_prob = sac.actor.action_log_prob(obs)
        q1, q2 = sac.critic(obs, actions)
        out[f"{key}/sac/action"], out[f"{key}/sac/log_prob"] = action.detach(), log_prob.detach()
        out[f"{key}/sac/q"] = torch.cat([q1, q2], -1).detach()
        grads = _gradients(sac.actor, action.sum() + log_prob.sum(), f"{key}/sac/actor")
        out.update(grads)
        out.update(_optimizer_steps(sac.actor, sac.actor.optimizer, grads, f"{key}/sac/actor"))
        grads = _gradients(sac.critic, q1.sum() + q2.sum(), f"{key}/sac/critic")
        out.update(grads)
        out.update(_optimizer_steps(sac.critic, sac.critic.optimizer, grads, f"{key}/sac/critic"))
    env.close()
    return out


def reference_outputs(steps: int = 3) -> dict[str, torch.Tensor]:
    """Every output of the module docstring, computed by the imported ``agents`` with one torch thread."""
    torch.set_num_threads(1)  # MKL's results may depend on the thread count: both trees run with one
    out: dict[str, torch.Tensor] = {}
    for name in SHIPPED:
        out.update(_model_outputs(name))
    out.update(_vnmlp_outputs())
    out.update(_policy_outputs())
    out.update(_planner_outputs(steps))
    return out


def outputs_at(ref: str | None, steps: int = 3) -> dict[str, torch.Tensor]:
    """``reference_outputs`` of the tree at git revision ``ref`` of this checkout (None: this tree as it is),
    run in a subprocess with one torch thread."""
    root = Path(__file__).resolve().parents[2]
    if ref is None:
        return _outputs_in(root, steps)
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(root), "archive", ref], capture_output=True, check=False)
        if archive.returncode:
            raise ValueError(f"ref: git archive {ref} failed: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        if not (Path(folder) / "agents" / "checkpoints.py").is_file():
            raise ValueError(f"ref: {ref} predates the layout this probe imports (agents.checkpoints, agents.specs, "
                             "agents.rl.policies; issue 24): compare with d0c258d or later")  # fmt: skip
        probe = Path(folder) / "agents" / "probes" / "bit_identity.py"
        probe.parent.mkdir(exist_ok=True)
        probe.write_text(Path(__file__).read_text())  # this harness, whatever the revision holds
        return _outputs_in(Path(folder), steps)


def _outputs_in(tree: Path, steps: int) -> dict[str, torch.Tensor]:
    import os

    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "outputs.pt"
        code = ("import sys, torch, agents; from agents.probes.bit_identity import reference_outputs; "
                "assert agents.__file__.startswith(sys.argv[3]), agents.__file__; "
                "torch.save(reference_outputs(int(sys.argv[2])), sys.argv[1])")  # fmt: skip
        environment = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        command = [sys.executable, "-c", code, str(saved), str(steps), str(tree)]
        done = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True, check=False)
        if done.returncode:
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
            raise ValueError(f"ref: the outputs of {tree} could not be computed ({last})")
        return torch.load(saved)


def compare(new: dict[str, torch.Tensor], old: dict[str, torch.Tensor]) -> list[dict[str, Any]]:
    """One row per output: ``equal`` (``torch.equal``) and, where not, the largest relative difference."""
    rows = []
    for key in sorted(set(new) | set(old)):
        a, b = new.get(key), old.get(key)
        if a is None or b is None:
            rows.append({"output": key, "equal": False, "note": "missing in " + ("this tree" if a is None else "ref")})
            continue
        equal = a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
        row: dict[str, Any] = {"output": key, "equal": equal, "bitwise": equal and _same_bits(a, b)}
        if not equal and a.shape == b.shape:
            scale = b.abs().max().clamp_min(torch.finfo(b.dtype).tiny) if b.is_floating_point() else 1
            row["max_relative"] = float((a - b).abs().max() / scale)
        rows.append(row)
    return rows


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal bit patterns: ``torch.equal`` also counts -0.0 == +0.0."""
    if not a.is_floating_point():
        return torch.equal(a, b)
    view = {torch.float32: torch.int32, torch.float64: torch.int64}.get(a.dtype)
    return view is None or torch.equal(a.contiguous().view(view), b.contiguous().view(view))


def run(config: Any, log: Callable[[str], None] = print) -> int:
    """Compare this tree with ``config.ref`` (``python -m agents bit-identity``); exit code 1 if any output differs."""
    old = outputs_at(config.ref, config.steps)
    new = outputs_at(None, config.steps)
    rows = compare(new, old)
    different = [r for r in rows if not r["equal"]]
    groups: dict[str, list[bool]] = {}
    for r in rows:
        groups.setdefault("/".join(r["output"].split("/")[:2]), []).append(r["equal"])
    for group, equal in groups.items():
        log(f"  {group:55s} {sum(equal):4d}/{len(equal):<4d} bit-identical")
    for r in different:
        log(f"  DIFFERS {r['output']}: {r.get('note', '')}{r.get('max_relative', '')}")
    zeros = [r["output"] for r in rows if r["equal"] and not r["bitwise"]]
    if zeros:
        log(f"  equal but for the sign of some zeros (-0.0 vs +0.0): {', '.join(zeros)}")
    log(f"{len(rows) - len(different)} of {len(rows)} outputs bit-identical to {config.ref}")
    return 1 if different else 0
