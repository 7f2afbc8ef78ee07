"""Flow-matching (diffusion-family) chunk policies: the plain MLP denoiser and its exactly equivariant VN twin.

A policy samples a chunk of ``horizon`` delta actions by integrating a learned velocity field from noise to the
expert's chunks (conditional flow matching, rectified-flow paths: ``x_t = (1 - t) z + t a``, target velocity
``a - z``; Euler steps at sampling), conditioned on the current observation — Diffusion Policy's recipe (Chi et
al., RSS 2023) with flow matching's straight paths, so a handful of integration steps suffice on a CPU.

**Where the noise lives decides exactness.** The noise ``z`` of a chunk is drawn from the agent's seeded
generator as standard normal numbers and then placed in a frame: the plain policy uses them as they are (the
observation's axes); the VN policy turns them into the block's own frame (``block_dir`` and its quarter turn),
which turns with the observation. At orientation g a paired episode draws the same numbers, so the VN policy's
starting noise is ``g`` times the identity's, its velocity field is equivariant, and its chunk is the identity's
turned — exactly, the sampler included. The isotropic distribution alone would only make the *distribution*
of chunks equivariant, not a paired episode.

* ``MLPFlowPolicy``: standardised observation, the noisy chunk and time features through an MLP;
* ``VNFlowPolicy``: the state's vectors relative to the block and the noisy chunk's H vectors (each also scaled
  by invariant time features, so time enters without a bias vector), with quarter turns, through VN layers;
  its H output vectors are the velocity.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import torch
from torch import nn

__all__ = ["FLOW_KINDS", "FlowPolicy", "MLPFlowPolicy", "VNFlowPolicy", "time_features"]

FLOW_KINDS = ("diffusion", "vn-diffusion")
_TIME_FEATURES = 5


def time_features(t: torch.Tensor) -> torch.Tensor:
    """``(...,) -> (..., 5)``: 1, cos/sin of pi t and 2 pi t — invariant scalars of the flow's time."""
    return torch.stack([torch.ones_like(t), torch.cos(math.pi * t), torch.sin(math.pi * t),
                        torch.cos(2 * math.pi * t), torch.sin(2 * math.pi * t)], -1)  # fmt: skip


class FlowPolicy(nn.Module, abc.ABC):
    """A chunk policy sampled by flow matching. ``loss`` trains it; ``sample(obs, z)`` integrates from the noise
    numbers ``z`` (..., H, 2), placed in ``noise_frame(obs)``; ``forward(obs)`` samples from zero noise."""

    horizon: int
    steps: int

    @abc.abstractmethod
    def velocity(self, obs: torch.Tensor, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The velocity field (..., H, 2) at noisy chunks ``x`` (..., H, 2) and times ``t`` (...,)."""

    def noise_frame(self, obs: torch.Tensor) -> torch.Tensor | None:
        """A rotation (..., 2, 2) the noise is placed in (columns: the frame's axes); None: the observation's axes."""
        return None

    def place(self, obs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        frame = self.noise_frame(obs)
        return z if frame is None else z @ frame.transpose(-1, -2)

    def loss(self, obs: torch.Tensor, chunk: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Conditional flow matching: the mean squared error of the velocity on straight noise-to-chunk paths
        (noise numbers and times drawn from ``generator``, then ``flow_loss``)."""
        return self.flow_loss(obs, chunk, *self.draw(chunk, generator))

    @staticmethod
    def draw(chunk: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A training step's random numbers for chunks ``chunk`` (..., H, 2): noise numbers ``z`` like ``chunk``
        and flow times ``t`` (...,), in that order from ``generator``."""
        z = torch.randn(chunk.shape, generator=generator, dtype=chunk.dtype)
        return z, torch.rand(chunk.shape[:-2], generator=generator, dtype=chunk.dtype)

    def flow_loss(self, obs: torch.Tensor, chunk: torch.Tensor, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The loss at given noise numbers ``z`` (placed in the noise frame) and times ``t``: no random draws, so
        it can be compiled (``train_bc(compile_loss=True)``)."""
        z = self.place(obs, z)
        x = (1 - t[..., None, None]) * z + t[..., None, None] * chunk
        return (self.velocity(obs, x, t) - (chunk - z)).square().sum((-1, -2)).mean()

    def sample(self, obs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Euler integration over ``steps`` steps from the noise numbers ``z`` placed in the noise frame."""
        x = self.place(obs, z.to(obs.dtype).expand(*obs.shape[:-1], *z.shape[-2:]))
        for k in range(self.steps):
            t = torch.full(obs.shape[:-1], k / self.steps, dtype=obs.dtype)
            x = x + self.velocity(obs, x, t) / self.steps
        return x

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.sample(obs, torch.zeros(self.horizon, 2, dtype=obs.dtype))


class MLPFlowPolicy(FlowPolicy):
    """Standardised observation, noisy chunk and time features -> MLP -> velocity (not equivariant)."""

    def __init__(self, obs_dim: int, hidden: int, depth: int, horizon: int, steps: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(obs_dim))
        self.register_buffer("std", torch.ones(obs_dim))
        self.horizon, self.steps = horizon, steps
        width, layers = obs_dim + 2 * horizon + _TIME_FEATURES, []
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, 2 * horizon))

    def fit_scaling(self, obs: torch.Tensor) -> None:
        self.mean.copy_(obs.mean(0))
        self.std.copy_(obs.std(0).clamp_min(1e-6))

    def velocity(self, obs: torch.Tensor, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([(obs - self.mean) / self.std, x.flatten(-2), time_features(t)], -1)
        return self.net(inputs).unflatten(-1, (self.horizon, 2))


class VNFlowPolicy(FlowPolicy):
    """The state's vectors (relative to the block) and the noisy chunk's vectors times time features -> VN layers
    -> H velocity vectors: ``velocity(g.s, g.x, t) = g.velocity(s, x, t)`` exactly; the noise is placed in the
    block's frame, so a sampled chunk turns with the observation."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], hidden: int, depth: int, horizon: int, steps: int):
        super().__init__()
        from agents.nn.vn import VNMLP
        from agents.rl.policies import REFERENCE, env_symmetry
        from agents.world_models.models import ObsChannels

        symmetry = env_symmetry(env_id, env_kwargs)
        self.channels = ObsChannels(symmetry, REFERENCE)
        if self.channels.dim != 2 or "block_dir" not in symmetry.obs_layout:
            raise ValueError("policy: the VN flow policy is built for EqPushT's planar state (with block_dir)")
        self.block_dir = symmetry.obs_layout["block_dir"].slice
        self.horizon, self.steps = horizon, steps
        inputs = self.channels.channels + horizon * _TIME_FEATURES
        self.vn = VNMLP(2 * inputs, hidden, horizon, depth)

    def fit_scaling(self, obs: torch.Tensor) -> None:
        del obs  # invariant inputs need no statistics

    def noise_frame(self, obs: torch.Tensor) -> torch.Tensor:
        u = obs[..., self.block_dir]
        u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
        return torch.stack([u, torch.stack([-u[..., 1], u[..., 0]], -1)], -1)

    def velocity(self, obs: torch.Tensor, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        from agents.nn.vn import quarter_turns

        timed = (x[..., :, None, :] * time_features(t)[..., None, :, None]).flatten(-3, -2)  # (..., H * 5, 2)
        return self.vn(quarter_turns(torch.cat([self.channels(obs), timed], -2)))
