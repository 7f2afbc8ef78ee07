"""The behaviour-cloning policies: Gaussian mixtures over action chunks, an MLP and its exactly equivariant VN twin,
and the flow-matching policies of ``agents.imitation.diffusion`` (``bc_policy``), and their files
(``save_policy``, ``load_policy``: weights only, no pickle)."""

from __future__ import annotations

import abc
import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from torch import nn

from eqenvs.files import check_output_path, existing_file, write_sidecar

POLICY_FORMAT, POLICY_VERSION = "eqenvs-bc-policy", 1


LOG_STD_MIN, LOG_STD_MAX = -6.0, 1.0


class MixturePolicy(nn.Module, abc.ABC):
    """A Gaussian mixture over chunks of ``horizon`` actions (``modes`` components, each isotropic): trained
    by its negative log likelihood, acting with the mean chunk of its most probable component.

    A mean-squared-error policy of one action averages the expert's options where it has several (which
    side of the block to push from next) into a crawl, and re-choosing every step dithers between them; a
    mixture keeps the options apart and a chunk commits to one for several steps (the action chunks of
    ACT and Diffusion Policy; the mixture is the LSTM-GMM baseline's head)."""

    horizon: int

    @abc.abstractmethod
    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Means (..., K, H, d), mixture logits (..., K) and log standard deviations (..., K)."""

    def nll(self, obs: torch.Tensor, chunk: torch.Tensor) -> torch.Tensor:
        """Mean negative log likelihood of the action chunks ``chunk`` (..., H, d)."""
        means, logits, log_std = self.mixture(obs)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        d = chunk.shape[-1] * chunk.shape[-2]
        sq = ((chunk[..., None, :, :] - means) ** 2).sum((-1, -2))
        log_normal = -0.5 * sq * torch.exp(-2 * log_std) - d * log_std - 0.5 * d * math.log(2 * math.pi)
        return -torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1).mean()

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """The most probable component's mean chunk, (..., H, d)."""
        means, logits, _ = self.mixture(obs)
        best = logits.argmax(-1)[..., None, None, None].expand(*means.shape[:-3], 1, *means.shape[-2:])
        return means.gather(-3, best)[..., 0, :, :]


class MLPPolicy(MixturePolicy):
    """Standardised observation -> MLP -> mixture (not equivariant)."""

    def __init__(self, obs_dim: int, action_dim: int, hidden: int, depth: int, modes: int, horizon: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("std", torch.ones(obs_dim))
        layers: list[nn.Module] = []
        width = obs_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        self.trunk = nn.Sequential(*layers)
        self.modes, self.action_dim, self.horizon = modes, action_dim, horizon
        self.head = nn.Linear(width, modes * (horizon * action_dim + 2))

    def fit_scaling(self, obs: torch.Tensor) -> None:
        self.mean.copy_(obs.mean(0))
        self.std.copy_(obs.std(0).clamp_min(1e-6))

    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.head(self.trunk((obs - self.mean) / self.std))
        k, d = self.modes, self.horizon * self.action_dim
        means = out[..., : k * d].unflatten(-1, (k, self.horizon, self.action_dim))
        return means, out[..., k * d : k * d + k], out[..., k * d + k :]


class VNPolicy(MixturePolicy):
    """The state's vectors relative to the block -> Vector-Neuron layers: the component means are VN output
    vectors (equivariant), the logits and scales an MLP of the Gram matrix of a few more (invariant), so
    ``policy(g.s) = g.policy(s)`` exactly, the choice of component included."""

    INVARIANTS = 4

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], hidden: int, depth: int, modes: int, horizon: int):
        super().__init__()
        from agents.nn.vn import VNMLP
        from agents.rl.policies import REFERENCE, env_symmetry
        from agents.world_models.models import ObsChannels

        self.channels = ObsChannels(env_symmetry(env_id, env_kwargs), REFERENCE)
        if self.channels.dim != 2:
            raise ValueError("policy: the VN behaviour-cloning policy is built for planar (2D) observations")
        self.modes, self.horizon, k = modes, horizon, self.INVARIANTS
        self.vn = VNMLP(2 * self.channels.channels, hidden, modes * horizon + k, depth)
        self.head = nn.Sequential(nn.Linear(k * k, hidden), nn.SiLU(), nn.Linear(hidden, 2 * modes))

    def fit_scaling(self, obs: torch.Tensor) -> None:
        del obs  # invariant inputs need no statistics (a per-axis scaling would break equivariance)

    def mixture(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from agents.nn.vn import quarter_turns

        vectors = self.vn(quarter_turns(self.channels(obs)))  # (..., K H + k, 2)
        split = self.modes * self.horizon
        means, extra = vectors[..., :split, :].unflatten(-2, (self.modes, self.horizon)), vectors[..., split:, :]
        out = self.head((extra @ extra.transpose(-1, -2)).flatten(-2))  # inner products: invariant
        return means, out[..., : self.modes], out[..., self.modes :]


POLICY_KINDS = ("mlp", "vn", "diffusion", "vn-diffusion")
"""mlp, vn: Gaussian-mixture chunk policies; diffusion, vn-diffusion: flow-matching chunk policies
(``agents.imitation.diffusion``)."""


def bc_policy(kind: str, env_id: str, env_kwargs: dict[str, Any], hidden: int, depth: int, modes: int = 1,
              horizon: int = 1, steps: int = 10) -> nn.Module:  # fmt: skip
    if modes < 1 or horizon < 1 or steps < 1:
        raise ValueError(f"modes, horizon, steps: must be >= 1, got {modes}, {horizon}, {steps}")
    if kind in ("diffusion", "vn-diffusion"):
        from agents.imitation.diffusion import MLPFlowPolicy, VNFlowPolicy

        if kind == "vn-diffusion":
            return VNFlowPolicy(env_id, env_kwargs, hidden, depth, horizon, steps)
        env = gym.make(env_id, **env_kwargs)
        obs_dim = env.observation_space.shape[0]
        env.close()
        return MLPFlowPolicy(obs_dim, hidden, depth, horizon, steps)
    if kind == "mlp":
        env = gym.make(env_id, **env_kwargs)
        obs_dim, action_dim = env.observation_space.shape[0], env.action_space.shape[0]
        env.close()
        return MLPPolicy(obs_dim, action_dim, hidden, depth, modes, horizon)
    if kind == "vn":
        return VNPolicy(env_id, env_kwargs, hidden, depth, modes, horizon)
    raise ValueError(f"policy: expected one of {POLICY_KINDS}, got {kind!r}")


def save_policy(policy: nn.Module, meta: dict[str, Any], path: str | Path) -> Path:
    """Write the policy (.pt: state dict + JSON metadata) atomically, and its readable sidecar .pt.json."""
    from agents.checkpoints import write_weights

    path = check_output_path(path, ".pt", "out")
    write_weights(path, POLICY_FORMAT, POLICY_VERSION, meta, policy.state_dict())
    write_sidecar(path, {k: v for k, v in meta.items() if k != "loss"} | {"final_loss": meta["loss"][-1]})
    return path


def load_policy(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a policy written by ``save_policy`` (weights only: no pickle)."""
    from agents.checkpoints import read_weights

    path = existing_file(path, "policy", "a .pt behaviour-cloning policy from `python -m agents bc`")
    what = "a behaviour-cloning policy (written by `python -m agents bc`)"
    payload, meta = read_weights(path, "policy", POLICY_FORMAT, POLICY_VERSION, what)
    try:
        policy = bc_policy(meta["policy"], meta["env_id"], meta["env_kwargs"], **meta["hyper"])
        if not 1 <= int(meta["execute"]) <= policy.horizon:
            raise ValueError(f"execute {meta['execute']} is not in [1, {policy.horizon}]")
        policy.load_state_dict(payload["state_dict"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"policy: {path} holds a policy that cannot be rebuilt ({err!r})") from None
    return policy.eval(), meta
