"""Vector-Neuron speed against plain networks, side by side in one run (issue 29's targets):

    python -m agents vn-speed              # ~3 minutes on 2 cores (torch.compile ~10-80 s once)

Every pair is timed in one process with one torch thread, interleaved (the order alternates every repeat) and
reported as the median of ``repeats``; the machine and its load average are printed with the figures, since a
busy machine slows small tensor ops more than matrix products.

* **Networks**: a ``VNMLP`` the size of the world model's predictor (18 input channels, hidden 32, depth 2, 2D)
  against an MLP (SiLU, 3 hidden layers, the world models' baseline shape) with the same parameter count and
  one with the same FLOPs per sample (matrix products, counted by torch's ``FlopCounterMode``): the forward
  pass and a gradient step (forward, backward and an Adam step), batch ``batch``; with ``compile``, also the VN
  step with its loss compiled (it rounds differently from eager: the gradients' distance is printed). Target:
  the VN gradient step <= 2x the MLP's of equal FLOPs.
* **Planner**: one MPPI plan (300 samples x 20 steps x 6 iterations) with the shipped 2D VN latent model against
  its matmul floor (``plan_speed.matmul_floor``: the plan's matrix products through ``torch.mm`` alone), eager
  and compiled (``MPCPlanner.compile``): FLOP-rate ratio = floor / plan. Targets >= 0.5 eager, >= 0.8 compiled.
* **SB3**: PPO with the VN policy (``agents.rl``) against SB3's ``MlpPolicy`` with the shipped hyperparameters
  (``agents/hyperparams/ppo.yml``): environment steps per second over ``ppo_steps`` steps (rollouts and their
  updates); with ``compile``, also the VN policy with the two calls PPO makes of it compiled. Target: VN >= 0.6x
  the MLP's.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import gymnasium as gym
import torch
from torch import nn

import eqenvs  # noqa: F401  (registers the env ids)
from agents.config import VNSpeedConfig
from agents.probes.plan_speed import matmul_floor, matmul_shapes
from agents.probes.timing import cpu_description

__all__ = ["interleaved", "measure", "run"]

TARGETS = {"plan_eager": 0.5, "plan_compiled": 0.8, "gradient_step": 2.0, "ppo": 0.6}


def interleaved(calls: dict[str, Callable[[], Any]], repeats: int, inner: int = 1) -> dict[str, float]:
    """Seconds per call of each of ``calls``: the median over ``repeats`` rounds, each timing ``inner`` calls of
    every function in turn (the order reversed every other round), after one warm-up call each."""
    for fn in calls.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(repeats):
        for name in list(calls)[:: 1 if round_ % 2 == 0 else -1]:
            started = time.perf_counter()
            for _ in range(inner):
                calls[name]()
            times[name].append((time.perf_counter() - started) / inner)
    return {name: statistics.median(t) for name, t in times.items()}


def _mlp(inputs: int, hidden: int, outputs: int, depth: int = 3) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(inputs, hidden), nn.SiLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(hidden, hidden), nn.SiLU()]
    return nn.Sequential(*layers, nn.Linear(hidden, outputs))


def _flops(module: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass (matrix products), by torch's own counter."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops()


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _matching_width(inputs: int, outputs: int, target: float, size: Callable[[nn.Module], float]) -> int:
    """The smallest MLP width whose ``size`` reaches ``target``."""
    width = 1
    while size(_mlp(inputs, width, outputs)) < target:
        width += 1
    return width


def networks(batch: int, repeats: int, inner: int, compile_step: bool = False) -> dict[str, Any]:
    """VNMLP vs MLPs of equal parameters and equal FLOPs: forward and gradient-step seconds, and their sizes;
    ``compile_step``: also the VN gradient step with its loss compiled (``torch.compile``, opt-in: it rounds
    differently), its compile time and how far its float32 gradients are from eager's."""
    from agents.nn.vn import VNMLP

    torch.manual_seed(0)
    channels, hidden, out, dim = 18, 32, 8, 2
    vn = VNMLP(channels, hidden, out, depth=2)
    x_vn, target_vn = torch.randn(batch, channels, dim), torch.randn(batch, out, dim)
    x_flat, target_flat = x_vn.flatten(1), target_vn.flatten(1)
    vn_flops = _flops(vn, x_vn)
    width_flops = _matching_width(channels * dim, out * dim, vn_flops, lambda m: _flops(m, x_flat))
    width_params = _matching_width(channels * dim, out * dim, _parameters(vn), _parameters)
    nets = {
        "vn": (vn, x_vn, target_vn),
        "mlp_equal_flops": (_mlp(channels * dim, width_flops, out * dim), x_flat, target_flat),
        "mlp_equal_params": (_mlp(channels * dim, width_params, out * dim), x_flat, target_flat),
    }
    forward, step = {}, {}
    for name, (net, x, target) in nets.items():
        optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)

        def gradient_step(net: nn.Module = net, x: torch.Tensor = x, target: torch.Tensor = target,
                          optimiser: torch.optim.Optimizer = optimiser) -> None:  # fmt: skip
            optimiser.zero_grad()
            ((net(x) - target) ** 2).mean().backward()
            optimiser.step()

        def forward_pass(net: nn.Module = net, x: torch.Tensor = x) -> None:
            with torch.no_grad():
                net(x)

        forward[name], step[name] = forward_pass, gradient_step
    sizes = {name: {"parameters": _parameters(net), "flops_per_sample": _flops(net, x) / batch}
             for name, (net, x, _) in nets.items()}  # fmt: skip
    sizes["mlp_equal_flops"]["width"], sizes["mlp_equal_params"]["width"] = width_flops, width_params
    out = {"batch": batch, "sizes": sizes}
    if compile_step:
        step["vn_compiled"], out["compiled"] = _compiled_step(vn, x_vn, target_vn)
    out.update(forward_s=interleaved(forward, repeats, inner), gradient_step_s=interleaved(step, repeats, inner))
    return out


def _compiled_step(vn: nn.Module, x: torch.Tensor, target: torch.Tensor) -> tuple[Callable[[], None], dict[str, float]]:
    """A gradient step of a copy of ``vn`` with the loss compiled; its compile seconds and the largest relative
    difference of its first gradients from eager's."""
    import copy

    net = copy.deepcopy(vn)
    loss = torch.compile(lambda: ((net(x) - target) ** 2).mean(), dynamic=False)
    started = time.perf_counter()
    loss().backward()
    seconds = time.perf_counter() - started
    net.zero_grad()
    loss().backward()
    eager = torch.autograd.grad(((vn(x) - target) ** 2).mean(), list(vn.parameters()))
    pairs = zip(net.parameters(), eager, strict=True)
    difference = max(float((p.grad - g).abs().max() / g.abs().max()) for p, g in pairs)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-4)

    def gradient_step() -> None:
        optimiser.zero_grad()
        loss().backward()
        optimiser.step()

    return gradient_step, {"compile_seconds": seconds, "gradient_max_relative_difference": difference}


def planner(repeats: int, compile_plan: bool) -> dict[str, Any]:
    """One MPPI plan with the shipped 2D VN latent model: eager (and compiled) seconds against the matmul floor."""
    from agents.checkpoints import load_checkpoint
    from agents.planning import MPCPlanner, PlannerConfig, default_cost
    from agents.pretrained import resolve

    model, _ = load_checkpoint(resolve("vn_latent-push2d"))
    env = gym.make("EqPushT-v1", task="push")
    obs = env.reset(seed=0)[0][None]
    env.close()
    cost = default_cost(model.symmetry, "push")
    planners = {"eager": MPCPlanner(model, cost, PlannerConfig())}
    out: dict[str, Any] = {}
    if compile_plan:
        planners["compiled"] = MPCPlanner(model, cost, PlannerConfig()).compile()
        started = time.perf_counter()
        planners["compiled"].plan(obs)
        out["compile_seconds"] = time.perf_counter() - started

    def plan(p: MPCPlanner) -> None:
        p.reset(0)
        p.plan(obs)

    flops, _ = matmul_floor(shapes := matmul_shapes(planners["eager"], obs), 1)
    operands = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
    calls: dict[str, Callable[[], Any]] = {name: partial(plan, p) for name, p in planners.items()}
    calls["floor"] = lambda: [torch.mm(a, b) for a, b in operands]
    seconds = interleaved(calls, repeats)
    out.update(gflop_per_plan=flops / 1e9, seconds=seconds,
               flop_rate_ratio={name: seconds["floor"] / seconds[name] for name in planners})  # fmt: skip
    return out


def ppo(steps: int, repeats: int, compile_vn: bool = False) -> dict[str, Any]:
    """SB3 PPO, VN policy vs MlpPolicy, with the shipped hyperparameters: environment steps per second. With
    ``compile_vn`` also the VN policy with ``torch.compile`` of the two calls PPO makes of it: ``forward`` (acting,
    while collecting rollouts) and ``evaluate_actions`` (the update); the compiled calls round differently from
    eager ones (float32), so this is a measured option, not the shipped training."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.rl.policies import VNActorCriticPolicy
    from agents.rl.train import load_hyperparams
    from eqenvs.wrappers import SampleOrientation

    hyper = load_hyperparams("ppo", "EqPushT-v1")
    env_kwargs = dict(hyper["env_kwargs"])
    max_steps = env_kwargs.pop("max_episode_steps", None)
    n_envs = int(hyper["n_envs"])
    n_steps = max(1, min(int(hyper["n_steps"]), steps // n_envs))  # a tiny budget: shorter rollouts
    keys = ("batch_size", "n_epochs", "gamma", "learning_rate", "ent_coef")
    kwargs = {key: hyper[key] for key in keys if key in hyper}
    kwargs["batch_size"] = min(int(kwargs.get("batch_size", 64)), n_steps * n_envs)

    def make(seed: int) -> gym.Env:
        return SampleOrientation(gym.make("EqPushT-v1", max_episode_steps=max_steps, **env_kwargs), split="slice",
                                 seed=seed)  # fmt: skip

    policies = {"vn": (VNActorCriticPolicy, {"env_id": "EqPushT-v1", "env_kwargs": env_kwargs,
                                             **hyper["vn_policy_kwargs"]}),
                "mlp": ("MlpPolicy", dict(hyper.get("policy_kwargs") or {}))}  # fmt: skip
    if compile_vn:
        policies["vn_compiled"] = policies["vn"]
    models = {}
    for name, (policy, policy_kwargs) in policies.items():
        env = DummyVecEnv([partial(make, rank) for rank in range(n_envs)])
        models[name] = PPO(policy, env, n_steps=n_steps, policy_kwargs=policy_kwargs, seed=0, device="cpu",
                           verbose=0, **kwargs)  # fmt: skip
    compile_seconds = None
    if compile_vn:
        policy = models["vn_compiled"].policy
        policy.forward = torch.compile(policy.forward, dynamic=False)
        policy.evaluate_actions = torch.compile(policy.evaluate_actions, dynamic=False)
        started = time.perf_counter()  # the first learn call compiles both (interleaved's warm-up call repeats it)
        models["vn_compiled"].learn(total_timesteps=n_steps * n_envs, reset_num_timesteps=False)
        compile_seconds = time.perf_counter() - started
    total = n_steps * n_envs
    calls = {name: partial(model.learn, total_timesteps=total, reset_num_timesteps=False)
             for name, model in models.items()}  # fmt: skip
    seconds = interleaved(calls, repeats)
    return {"steps_per_measurement": total, "n_envs": n_envs, "n_steps": n_steps, "compile_seconds": compile_seconds,
            "steps_per_second": {name: total / s for name, s in seconds.items()}}  # fmt: skip


def measure(config: VNSpeedConfig, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every figure of the module docstring, with one torch thread (restored afterwards) and the machine named."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result: dict[str, Any] = {"machine": cpu_description(), "load_before": os.getloadavg()}
        log("networks: VN vs MLP of equal parameters and equal FLOPs")
        result["networks"] = networks(config.batch, config.repeats, config.inner, config.compile)
        log("planner: eager" + (" and compiled (torch.compile ~10-80 s once)" if config.compile else ""))
        result["planner"] = planner(config.repeats, config.compile)
        if config.ppo_steps:
            log(f"SB3 PPO: VN vs MLP policy, {config.ppo_steps} steps x {config.ppo_repeats}")
            result["ppo"] = ppo(config.ppo_steps, config.ppo_repeats, config.compile)
        result["load_after"] = os.getloadavg()
    finally:
        torch.set_num_threads(threads)
    return result


def format_result(r: dict[str, Any]) -> str:
    """The figures as printed by ``python -m agents vn-speed``."""
    m = r["machine"]
    load = f"load average {r['load_before'][0]:.2f} before, {r.get('load_after', r['load_before'])[0]:.2f} after"
    lines = [f"machine: {m['model']}, {m['cores']} cores, torch {m['torch']} ({m['torch_cpu_capability']}); "
             f"one torch thread; {load}",
             "eager: the numerics of the published tables, bit for bit (python -m agents bit-identity); compiled: "
             "opt-in, rounds differently"]  # fmt: skip
    net = r["networks"]
    sizes, fwd, step = net["sizes"], net["forward_s"], net["gradient_step_s"]
    lines.append(f"networks, batch {net['batch']} (ms per call; ratio = VN / MLP):")
    for name, label in (("vn", "VNMLP 18->32x2->8, 2D"), ("mlp_equal_flops", "MLP, equal FLOPs"),
                        ("mlp_equal_params", "MLP, equal parameters")):  # fmt: skip
        s = sizes[name]
        width = f" (width {s['width']})" if "width" in s else ""
        ratio = "" if name == "vn" else (f"   VN/MLP forward x{fwd['vn'] / fwd[name]:.2f}, "
                                         f"gradient step x{step['vn'] / step[name]:.2f}")  # fmt: skip
        lines.append(f"  {label + width:32s} {s['parameters']:7,d} params {s['flops_per_sample']:9,.0f} FLOP/sample  "
                     f"forward {1e3 * fwd[name]:7.3f}  gradient step {1e3 * step[name]:7.3f}{ratio}")  # fmt: skip
    target = TARGETS["gradient_step"]
    for name, label in (("vn", "eager, bit-identical"), ("vn_compiled", "compiled")):
        if name not in step:
            continue
        got = step[name] / step["mlp_equal_flops"]
        extra = ""
        if name == "vn_compiled":
            c = net["compiled"]
            extra = (f"; {1e3 * step[name]:.3f} ms, compiled in {c['compile_seconds']:.0f} s (first call), "
                     f"float32 gradients {c['gradient_max_relative_difference']:.1e} from eager's")  # fmt: skip
        lines.append(f"  VN gradient step ({label}) / MLP of equal FLOPs: x{got:.2f} (target <= {target:g}: "
                     f"{'met' if got <= target else 'not met'}){extra}")  # fmt: skip
    p = r["planner"]
    lines.append(f"one MPPI plan (300 x 20 x 6, shipped vn_latent-push2d), {p['gflop_per_plan']:.2f} GFLOP; "
                 f"matmul floor {1e3 * p['seconds']['floor']:.1f} ms:")  # fmt: skip
    for name, ratio in p["flop_rate_ratio"].items():
        target = TARGETS[f"plan_{name}"]
        extra = f"  (compiled in {p['compile_seconds']:.0f} s, first plan)" if name == "compiled" else ""
        lines.append(f"  {name:8s} {1e3 * p['seconds'][name]:7.1f} ms  FLOP-rate ratio {ratio:.2f} (target >= "
                     f"{target:g}: {'met' if ratio >= target else 'not met'}){extra}")  # fmt: skip
    if "ppo" in r:
        q = r["ppo"]
        sps = q["steps_per_second"]
        got = sps["vn"] / sps["mlp"]
        lines.append(f"SB3 PPO ({q['n_envs']} envs x {q['n_steps']} steps per rollout, its update included): VN "
                     f"{sps['vn']:.0f} steps/s, MLP {sps['mlp']:.0f} steps/s: VN/MLP x{got:.2f} (target >= "
                     f"{TARGETS['ppo']:g}: {'met' if got >= TARGETS['ppo'] else 'not met'})")  # fmt: skip
        if "vn_compiled" in sps:
            got = sps["vn_compiled"] / sps["mlp"]
            lines.append(f"  VN policy compiled (forward, evaluate_actions): {sps['vn_compiled']:.0f} steps/s: VN/MLP "
                         f"x{got:.2f} (target >= {TARGETS['ppo']:g}: {'met' if got >= TARGETS['ppo'] else 'not met'}; "
                         f"compiled in {q['compile_seconds']:.0f} s, first rollout and update)")  # fmt: skip
    return "\n".join(lines)


def run(config: VNSpeedConfig) -> dict[str, Any]:
    """Measure and print (``python -m agents vn-speed``); ``config.json`` also gets every figure."""
    from tqdm import tqdm

    with tqdm(total=3, desc="vn-speed", disable=not config.progress) as bar:

        def log(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(0 if bar.n == 0 and message.startswith("networks") else 1)

        result = measure(config, log)
        bar.update(bar.total - bar.n)
    print(format_result(result))
    if config.json is not None:
        from eqenvs.files import write_json

        write_json(config.json, result)
    return result
