"""Model-predictive control with a world model: MPPI and CEM over action sequences, batched in torch.

One plan: sample ``samples`` action sequences of length ``horizon`` around the current mean, roll the
world model out on all of them at once, score them with an invariant task cost, refit the sampling
distribution, repeat ``iterations`` times; act with the first action of the mean; keep the rest (shifted
by one step) to warm-start the next plan.

The equivariant variant makes ``plan(g.s) == rho(g) plan(s)`` hold to float precision without ever being
told g:

* the noise is drawn in a frame built from the observation itself (the block's axes), so it rotates with
  the scene; the same seed gives the same local noise at every orientation (common random numbers);
* its standard deviation is isotropic: one sigma per time step, refit pooled over the action components;
* actions go through the env's own action map (``Symmetry.applied_action``: in 3D onto the table plane
  orthogonal to the observed ``up``, then the unit disk), not clipped per axis; in 3D the noise is drawn in
  that plane (two components), so no sample is spent on the normal component the env discards;
* the cost is a function of invariants (distances, dot products) of the predicted states.

The plain variant — diagonal sigma per component, world-frame noise, box clipping — is the usual planner,
kept for comparison: it is not equivariant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agents.canonical import observation_frame
from agents.world_models import WorldModel

__all__ = [
    "HEADING_WEIGHTS",
    "PLANNER_DEFAULTS_3D",
    "MPCPlanner",
    "PlannerConfig",
    "PushCost",
    "default_cost",
    "default_planner_config",
    "observation_frame",
]

METHODS = ("mppi", "cem")


@dataclass(frozen=True)
class PlannerConfig:
    """An MPC planner; every field is also a command-line flag."""

    method: str = "mppi"
    """mppi (soft-weighted refit) or cem (top-k elites)."""
    samples: int = 300
    """Action sequences per iteration."""
    horizon: int = 20
    """Steps per sequence."""
    iterations: int = 6
    """Refits per plan."""
    temperature: float = 1.0
    """MPPI: softmax temperature, in units of the spread (std) of the iteration's costs. Sharper weights
    (0.05) amplify rounding differences between orientations ~1e5x within one plan; at 1.0 they stay
    ~1e-15 and push success is the same."""
    elites: int = 30
    """CEM: sequences kept per refit."""
    init_std: float = 0.6
    """Starting sampling sigma (action units)."""
    min_std: float = 0.05
    """Floor of the refit sigma."""
    equivariant: bool = True
    """Equivariant variant (frame noise, isotropic sigma, the env's action map) or the plain one."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method: {self.method!r} is not one of {METHODS}")
        for name in ("samples", "horizon", "iterations", "elites"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.method == "cem" and self.elites > self.samples:
            raise ValueError(f"elites: {self.elites} exceeds samples {self.samples}")
        if not (self.temperature > 0 and self.init_std > 0 and self.min_std > 0):
            raise ValueError("temperature, init_std and min_std: must be > 0")


class PushCost:
    """The push/pose task cost of predicted observations, from invariants only.

    Per predicted step: the block's distance to the goal position, (pose) one minus the cosine of its
    heading error, and a shaping term — the pusher's distance to the point ``standoff`` behind the block
    on the line from the goal (approach from behind). Later steps weigh more; the last step counts
    ``terminal`` times. All quantities are distances or dot products, so the cost is group-invariant.
    """

    def __init__(self, layout: Any, standoff: float, pose_weight: float = 0.0, shaping: float = 0.3,
                 terminal: float = 3.0):  # fmt: skip
        self.layout, self.standoff, self.pose_weight = layout, standoff, pose_weight
        self.shaping, self.terminal = shaping, terminal
        self.heading = "block_dir" if "block_dir" in layout else "block_x"
        self.goal_heading = "goal_dir" if "goal_dir" in layout else "goal_x"

    def __call__(self, states: torch.Tensor) -> torch.Tensor:
        """states (..., H, D) -> cost (...)."""
        f = self.layout
        block, goal, pusher = (states[..., f[n].slice] for n in ("block_pos", "goal_pos", "pusher_pos"))
        offset = goal - block
        distance = torch.sqrt((offset * offset).sum(-1))  # (..., H)
        cost = distance
        if self.pose_weight:
            heading, goal_heading = states[..., f[self.heading].slice], states[..., f[self.goal_heading].slice]
            cost = cost + self.pose_weight * (1.0 - (heading * goal_heading).sum(-1))
        direction = offset / (distance[..., None] + 1e-6)
        behind = block - self.standoff * direction
        cost = cost + self.shaping * torch.sqrt(((pusher - behind) ** 2).sum(-1))
        horizon = states.shape[-2]
        weights = torch.linspace(0.5, 1.0, horizon, dtype=states.dtype, device=states.device)
        weights[-1] = self.terminal
        return (cost * weights).sum(-1)


class MPCPlanner:
    """MPPI / CEM over delta-action sequences with a world model whose ``encode``/``rollout`` give
    predicted observations (explicit models) or latents that ``decode`` reads out (latent models).

    ``plan(obs)`` takes a batch (B, D) and returns actions (B, A); ``reset(seed)`` starts an episode (new
    noise stream, no warm start). Float64 end to end when the model is float64; on the model's device (the
    noise is drawn on the CPU and moved, so a plan does not depend on the device's random generator).
    """

    def __init__(self, model: WorldModel, cost: Any, config: PlannerConfig | None = None):
        if model.kind != "explicit" and not hasattr(model, "decode"):
            raise ValueError("model: planning needs an explicit model or a latent model with a readout")
        self.model, self.cost = model, cost
        self.config = config or PlannerConfig()
        self.dtype = next(model.parameters()).dtype
        self.device = next(model.parameters()).device
        self.layout = model.symmetry.obs_layout
        self.dim = model.action_dim
        self.symmetry = model.symmetry
        self.plane = model.symmetry.action_plane  # the obs field normal to the action plane (3D: "up"), or None
        # the equivariant variant samples in the action plane: d - 1 components in 3D, d in 2D
        self.noise_dim = self.dim - 1 if (self.config.equivariant and self.plane is not None) else self.dim
        self._warm: tuple[torch.Tensor, torch.Tensor | None] | None = None  # (mean in a frame, that frame)
        self.reset(0)

    def reset(self, seed: int | None = 0) -> None:
        self.generator = torch.Generator().manual_seed(int(seed or 0))
        self._warm = None

    def compile(self, **options: Any) -> MPCPlanner:
        """Compile the inner loop of every plan iteration (the rollout of all samples, the readout and the cost)
        with ``torch.compile`` (shape-specialised; ``options`` are its keyword arguments); returns the planner.

        Opt-in (``planner:<ckpt>,compile=true``): the fused kernels round differently from eager, by ~2e-7
        relative in float32 costs, so a compiled plan is not bit-identical to an eager one. Compilation takes
        ~10-80 s on the first plan of each batch shape (less with torch's compile cache warm)."""
        self._rollout_cost = torch.compile(self._rollout_cost, **{"dynamic": False, **options})
        return self

    def _noise(self, batch: int) -> torch.Tensor:
        c = self.config
        # one draw per plan iteration shared by the whole batch: common random numbers across orientations
        eps = torch.randn(c.samples, c.horizon, self.noise_dim, generator=self.generator, dtype=torch.float64)
        return eps.to(self.device, self.dtype).expand(batch, -1, -1, -1)  # (B, N, H, A); drawn on the CPU

    @torch.no_grad()
    def plan(self, obs: Any) -> np.ndarray:
        c = self.config
        obs = torch.as_tensor(np.asarray(obs), dtype=self.dtype, device=self.device)
        if obs.ndim == 1:
            obs = obs[None]
        if obs.ndim != 2:
            raise ValueError(f"obs: expected shape (D,) or (B, D), got {tuple(obs.shape)}")
        self.model.check_inputs(obs=obs)
        batch = obs.shape[0]
        frame = observation_frame(obs, self.layout) if c.equivariant else None  # (B, d, d)
        basis = self._noise_basis(obs, frame)  # (B, d, noise_dim): where the noise lives, in world coordinates
        at = obs[:, None, None]  # broadcasts against (B, N, H, A)
        mean = self._warm_start(batch)
        std = torch.full((batch, c.horizon, 1 if c.equivariant else self.dim), c.init_std, dtype=self.dtype,
                         device=self.device)  # fmt: skip
        z = self.model.encode(obs)
        for _ in range(c.iterations):
            eps = self._noise(batch)
            if basis is not None:
                eps = torch.einsum("bij,bnhj->bnhi", basis, eps)  # local noise, expressed in the world
            actions = mean[:, None] + std[:, None] * eps  # (B, N, H, A)
            actions = self._bound(at, actions)
            costs = self._rollout_cost(z, actions)  # (B, N)
            mean, std = self._refit(actions, costs)
        self._keep(torch.cat([mean[:, 1:], torch.zeros_like(mean[:, :1])], dim=1), frame)  # warm start: shift
        first = self.symmetry.applied_action(obs, mean[:, 0]) if c.equivariant else mean[:, 0].clamp(-1.0, 1.0)
        return first.cpu().numpy()

    def _bound(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Sampled actions as the env will apply them: the env's action map (equivariant variant), or per-axis
        clipping (plain), then the plane projection where the env has one (the plain planner's box is 3D)."""
        if self.config.equivariant:
            return self.symmetry.applied_action(obs, actions)
        actions = actions.clamp(-1.0, 1.0)
        return actions if self.plane is None else self.symmetry.applied_action(obs, actions)

    def _noise_basis(self, obs: torch.Tensor, frame: torch.Tensor | None) -> torch.Tensor | None:
        """The columns the noise components multiply: the observation frame (2D), the action plane's frame in
        3D (the block's x axis projected onto the plane, then up x that), None for the plain planner."""
        if frame is None or self.noise_dim == self.dim:
            return frame
        up = obs[..., self.layout[self.plane].slice]
        x = frame[..., 0]
        x = x - (x * up).sum(-1, keepdim=True) * up
        x = x / torch.linalg.vector_norm(x, dim=-1, keepdim=True)
        return torch.stack([x, torch.linalg.cross(up, x, dim=-1)], dim=-1)  # (B, 3, 2)

    def _keep(self, mean: torch.Tensor, frame: torch.Tensor | None) -> None:
        """Store the shifted plan for the next call: in the observation frame, rounded to float32.

        MPPI amplifies differences from one plan to the next (~100x per step here), so the ~1e-16
        rounding differences between orientations would grow into different actions within a few steps.
        Rounded in the frame that rotates with the scene, the stored plan is the same number at every
        orientation (up to a rounding tie), so the differences never accumulate.
        """
        if frame is None:
            self._warm = (mean, None)
            return
        local = torch.einsum("bji,bhj->bhi", frame, mean)  # F^T m: the plan in the observation's frame
        self._warm = (local.to(torch.float32).to(self.dtype), frame)

    def _warm_start(self, batch: int) -> torch.Tensor:
        if self._warm is None or self._warm[0].shape[0] != batch:
            return torch.zeros(batch, self.config.horizon, self.dim, dtype=self.dtype, device=self.device)
        mean, frame = self._warm
        return mean if frame is None else torch.einsum("bij,bhj->bhi", frame, mean)

    def _rollout_cost(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        b, n, h, a = actions.shape
        z0 = z.repeat_interleave(n, dim=0)  # (B * N, ...)
        predicted = self.model.rollout(z0, actions.reshape(b * n, h, a))  # (B * N, H, ...)
        if self.model.kind != "explicit":
            predicted = self.model.decode(predicted)  # the trained readout: centred observations
        return self.cost(predicted).reshape(b, n)

    def _refit(self, actions: torch.Tensor, costs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        if c.method == "mppi":
            spread = costs.std(dim=1, keepdim=True) + 1e-9
            weights = torch.softmax(-(costs - costs.min(dim=1, keepdim=True).values) / (c.temperature * spread), 1)
        else:  # CEM: uniform weights on the top-k
            elite = torch.topk(-costs, c.elites, dim=1).indices
            weights = torch.zeros_like(costs).scatter_(1, elite, 1.0 / c.elites)
        w = weights[..., None, None]  # (B, N, 1, 1)
        mean = (w * actions).sum(1)  # (B, H, A)
        var = (w * (actions - mean[:, None]).pow(2)).sum(1)  # (B, H, A)
        if c.equivariant and self.noise_dim == self.dim:  # pooled over components: one isotropic sigma per step
            var = var.mean(-1, keepdim=True)
        elif c.equivariant:  # pooled over the action plane (the normal component is projected away)
            var = var.sum(-1, keepdim=True) / self.noise_dim
        return mean, torch.sqrt(var).clamp(min=c.min_std)


PLANNER_DEFAULTS_3D: dict[str, dict[str, Any]] = {
    "push": {"horizon": 10, "temperature": 0.3, "init_std": 1.0},
    "pose": {"horizon": 10, "temperature": 1.0, "init_std": 0.6},
}
"""The 3D planner per task, chosen on validation tasks (``make tune3d``; README: the tuning record): horizon 10 (20
gained nothing at twice the cost); on push sharper MPPI weights with wider first samples, on pose the 2D values.
Rule, stated before the runs: the highest validation success, ties to the lower mean final error."""


def default_planner_config(symmetry: Any, task: str = "push", **overrides: Any) -> PlannerConfig:
    """The planner for an env and task: PlannerConfig's defaults (2D), ``PLANNER_DEFAULTS_3D[task]`` in 3D (push's
    for another task); ``overrides`` on top."""
    base = PLANNER_DEFAULTS_3D.get(task, PLANNER_DEFAULTS_3D["push"]) if symmetry.group.dim == 3 else {}
    return PlannerConfig(**{**base, **overrides})


HEADING_WEIGHTS = {2: {"push": 0.0, "pose": 0.5}, 3: {"push": 0.0, "pose": 0.15}}
"""The cost's heading weight per dimension and task; the 3D weights chosen on validation tasks with
``PLANNER_DEFAULTS_3D`` (on push every candidate solved every validation task; 0 had the lowest final error)."""


def default_cost(symmetry: Any, task: str, heading_weight: float | None = None) -> PushCost:
    """The cost for an env's push/pose task, in its observation units; ``heading_weight`` overrides the
    heading term's weight (``HEADING_WEIGHTS``)."""
    layout = symmetry.obs_layout
    dim = symmetry.group.dim
    standoff = 90.0 / 256.0 if dim == 2 else 0.09  # behind the block: its reach plus the pusher's radius
    weight = HEADING_WEIGHTS[dim].get(task, 0.0) if heading_weight is None else heading_weight
    return PushCost(layout, standoff, pose_weight=weight)
