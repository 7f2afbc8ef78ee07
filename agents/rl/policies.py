"""Exactly equivariant stable-baselines3 policies, built from the Vector-Neuron layers of ``agents.nn.vn``.

    PPO(VNActorCriticPolicy, env, policy_kwargs={"env_id": "EqPushT-v1"})
    SAC(VNSACPolicy, env, policy_kwargs={"env_id": "EqPushT-v1"})

(``python -m agents sb3 --policy vn`` does this.) The observation is read through the env's layout
(``symmetry.obs_layout``): every point field minus the block's position (translation-free) and every
vector field, as vector channels; in 2D each channel is joined by its quarter turn, so the maps are
SO(2)- rather than O(2)-equivariant, as in the world models. Then:

* the action mean is one VN output vector, squashed radially into the unit disk/ball
  (``v tanh|v| / |v|``): equivariant, and inside the action box, so SB3's clipping never touches the
  deterministic action;
* PPO's training samples are handed to the env whole: SB3's PPO clips a sample to the action box per axis
  (not rotation-equivariant: at the initial std 0.61, 25% of samples are moved), so the VN PPO policy
  declares squashed output and its ``unscale_action`` is the identity (the delta action box is [-1, 1]);
  the env projects every delta action onto the unit disk/ball itself, which is equivariant. The same env
  for both twins: SB3's ``MlpPolicy`` keeps SB3's clipping;
* the action noise is isotropic (one standard deviation for every direction): PPO's ``log_std`` is one
  parameter; SAC's is an invariant function of the state, and its samples are squashed radially with the
  change-of-variables correction of that map (SAC's usual ``tanh`` per component is not equivariant);
* values and Q-values are MLPs of invariants: the Gram matrix (all inner products) of a few VN output
  vectors of the observation (and, for Q, the action as one more channel).

So for every g in the group, ``mean(g.s) = g.mean(s)``, ``value(g.s) = value(s)`` and
``Q(g.s, g.a) = Q(s, a)``, to float rounding (tests/test_rl.py, float64 and float32, the MLP policy failing
the same test). SB3 casts observations to float32; these policies keep their parameters' dtype instead,
so ``model.policy.double()`` runs them in float64.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.distributions import DiagGaussianDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BaseModel, BasePolicy
from stable_baselines3.sac.policies import SACPolicy
from torch import nn

from agents.nn.vn import VNMLP, quarter_turns
from agents.world_models.models import ObsChannels
from eqenvs.symmetry import Symmetry

__all__ = ["VNActorCriticPolicy", "VNSACPolicy", "radial_squash"]

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # SB3's SAC bounds
REFERENCE = "block_pos"


def env_symmetry(env_id: str, env_kwargs: dict[str, Any] | None = None) -> Symmetry:
    """The group action of ``gym.make(env_id, **env_kwargs)``: what the policy's layout is read from."""
    env = gym.make(env_id, **(env_kwargs or {}))
    symmetry = env.unwrapped.symmetry
    env.close()
    return symmetry


def radial_squash(v: torch.Tensor) -> torch.Tensor:
    """``v tanh(|v|) / |v|``: into the open unit ball along the vector's own direction (equivariant)."""
    norm = torch.sqrt((v * v).sum(-1, keepdim=True))
    return v * (torch.tanh(norm) / norm.clamp_min(1e-12))


def _log_det_radial_squash(u: torch.Tensor) -> torch.Tensor:
    """log |det J| of ``radial_squash`` at ``u``: ``log tanh'(r) + (d - 1) log(tanh(r) / r)``, r = |u|."""
    r = torch.sqrt((u * u).sum(-1)).clamp_min(1e-6)
    log_tanh_derivative = 2.0 * (math.log(2.0) - r - nn.functional.softplus(-2.0 * r))  # log(1 - tanh^2), stable
    return log_tanh_derivative + (u.shape[-1] - 1) * torch.log(torch.tanh(r) / r)


class VNInvariants(nn.Module):
    """Observation (and optional action vectors) -> an MLP of the Gram matrix of ``invariants`` VN vectors."""

    def __init__(self, symmetry: Symmetry, extra: int, hidden: int, depth: int, invariants: int, width: int, out: int):
        super().__init__()
        self.channels = ObsChannels(symmetry, REFERENCE)
        self.dim = self.channels.dim
        self.turns = 2 if self.dim == 2 else 1
        self.vn = VNMLP(self.turns * (self.channels.channels + extra), hidden, invariants, depth)
        self.mlp = nn.Sequential(nn.Linear(invariants * invariants, width), nn.Tanh(), nn.Linear(width, width),
                                 nn.Tanh(), nn.Linear(width, out))  # fmt: skip

    def vectors(self, obs: torch.Tensor, extra: list[torch.Tensor] = ()) -> torch.Tensor:
        x = torch.cat([self.channels(obs), *(e[..., None, :] for e in extra)], dim=-2)
        return quarter_turns(x) if self.dim == 2 else x

    def forward(self, obs: torch.Tensor, extra: list[torch.Tensor] = ()) -> torch.Tensor:
        return self.of_vectors(self.vectors(obs, extra))

    def of_vectors(self, x: torch.Tensor) -> torch.Tensor:
        """The invariant features of vector channels ``x`` (``vectors``' output)."""
        p = self.vn(x)  # (..., k, d)
        gram = (p @ p.transpose(-1, -2)).flatten(-2)  # (..., k * k): inner products, invariant
        return self.mlp(gram)


class VNMean(nn.Module):
    """Observation -> one equivariant vector, squashed radially into the unit ball."""

    def __init__(self, symmetry: Symmetry, hidden: int, depth: int):
        super().__init__()
        self.channels = ObsChannels(symmetry, REFERENCE)
        self.dim = self.channels.dim
        self.vn = VNMLP((2 if self.dim == 2 else 1) * self.channels.channels, hidden, 1, depth)

    def vectors(self, obs: torch.Tensor) -> torch.Tensor:
        """The observation's vector channels (in 2D with their quarter turns)."""
        x = self.channels(obs)
        return quarter_turns(x) if self.dim == 2 else x

    def forward(self, obs: torch.Tensor, squash: bool = True) -> torch.Tensor:
        return self.of_vectors(self.vectors(obs), squash)

    def of_vectors(self, x: torch.Tensor, squash: bool = True) -> torch.Tensor:
        """The mean from vector channels ``x`` (``vectors``' output)."""
        v = self.vn(x)[..., 0, :]
        return radial_squash(v) if squash else v


class _VNLayout:
    """What both VN policies keep: the env whose layout they read, and the VN sizes (saved with the model)."""

    def _setup_layout(self, env_id: str, env_kwargs: dict[str, Any] | None, observation_space: gym.spaces.Space,
                      action_space: gym.spaces.Space, **vn_hyper: int) -> None:  # fmt: skip
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self.symmetry = env_symmetry(env_id, self.env_kwargs)
        _check_spaces(self.symmetry, observation_space, action_space)
        self.vn_hyper = vn_hyper

    def _layout_parameters(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "env_id": self.env_id, "env_kwargs": self.env_kwargs, **self.vn_hyper}


def _prefer_foreach(*optimizers: torch.optim.Optimizer) -> None:
    """Step ``optimizers`` with torch's foreach implementation unless told otherwise.

    On the CPU torch defaults to stepping each parameter tensor in Python (foreach is its GPU default); the VN
    policies hold ~50 small tensors (an MLP policy ~10), so that loop is a third of a PPO update. The foreach
    step of Adam is the same arithmetic in the same order, bit for bit (``python -m agents bit-identity``)."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            if group.get("foreach", False) is None and not group.get("fused"):
                group["foreach"] = True


def _as_parameters_dtype(module: nn.Module, obs: torch.Tensor) -> torch.Tensor:
    """SB3 hands over float32 (or float64) observations; compute in the parameters' dtype, flattened."""
    return obs.to(next(module.parameters()).dtype).flatten(1)


# ------------------------------------------------------------------ PPO (on-policy actor-critic)
class _VNExtractor(nn.Module):
    """SB3's ``mlp_extractor`` slot: the actor's latent is the equivariant mean itself, the critic's an
    invariant feature vector (SB3's ``value_net`` maps it to the value: a function of invariants)."""

    def __init__(self, symmetry: Symmetry, hidden: int, depth: int, invariants: int, width: int):
        super().__init__()
        self.actor = VNMean(symmetry, hidden, depth)
        self.critic = VNInvariants(symmetry, 0, hidden, depth, invariants, width, width)
        self.latent_dim_pi, self.latent_dim_vf = symmetry.action_layout.size, width

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        vectors = self.actor.vectors(features)  # the same channels both read (the critic adds no extra ones)
        return self.actor.of_vectors(vectors), torch.tanh(self.critic.of_vectors(vectors))

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        return self.actor(features)

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.critic(features))


class VNActorCriticPolicy(_VNLayout, ActorCriticPolicy):
    """PPO/A2C policy: equivariant Gaussian mean, one isotropic log-std parameter, invariant value.

    ``env_id`` (and ``env_kwargs``) name the env whose observation layout the policy reads.
    """

    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Space,
        lr_schedule: Any,
        env_id: str = "EqPushT-v1",
        env_kwargs: dict[str, Any] | None = None,
        hidden: int = 32,
        depth: int = 2,
        invariants: int = 6,
        width: int = 64,
        log_std_init: float = -0.5,
        **kwargs: Any,
    ):
        self._setup_layout(env_id, env_kwargs, observation_space, action_space, hidden=hidden, depth=depth,
                           invariants=invariants, width=width)  # fmt: skip
        kwargs["ortho_init"] = False  # SB3's orthogonal init targets nn.Linear stacks, not VN layers
        kwargs.pop("squash_output", None)  # saved by SB3 with the model; always set below
        super().__init__(observation_space, action_space, lr_schedule, log_std_init=log_std_init, **kwargs)
        # SB3's PPO clips a sampled action to the box per axis unless the policy squashes its output, and then
        # calls unscale_action instead: the per-axis clip would break the samples' equivariance
        self._squash_output = True

    def unscale_action(self, scaled_action: Any) -> Any:
        """The sample itself: the delta action box is [-1, 1], and the env projects any finite delta action onto
        the unit disk/ball, equivariantly, where SB3's per-axis clip would not be."""
        return scaled_action

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = _VNExtractor(self.symmetry, **self.vn_hyper)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        if not isinstance(self.action_dist, DiagGaussianDistribution):
            raise ValueError(f"action_space: the VN policy needs a Box action space, got {self.action_space}")
        self.action_net = nn.Identity()  # the extractor's actor latent is the mean
        self.log_std = nn.Parameter(torch.full((1,), float(self.log_std_init)))  # isotropic
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
        _prefer_foreach(self.optimizer)

    def _get_action_dist_from_latent(self, latent_pi: torch.Tensor) -> Any:
        mean = self.action_net(latent_pi)
        return self.action_dist.proba_distribution(mean, self.log_std.expand(mean.shape[-1]))

    # SB3 preprocesses observations to float32 on its way to a features extractor; these paths keep the
    # parameters' dtype (float64 after ``policy.double()``), so an exact check is not rounded to float32
    def extract_features(self, obs: torch.Tensor, features_extractor: Any = None) -> torch.Tensor:
        return _as_parameters_dtype(self, obs)

    def get_distribution(self, obs: torch.Tensor) -> Any:
        return self._get_action_dist_from_latent(self.mlp_extractor.forward_actor(self.extract_features(obs)))

    def predict_values(self, obs: torch.Tensor) -> torch.Tensor:
        return self.value_net(self.mlp_extractor.forward_critic(self.extract_features(obs)))

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return self._layout_parameters(super()._get_constructor_parameters())


# ------------------------------------------------------------------ SAC (off-policy, squashed Gaussian)
class VNSACActor(BasePolicy):
    """SAC's actor: equivariant mean, invariant state-dependent log-std, radially squashed samples."""

    def __init__(self, observation_space: gym.spaces.Space, action_space: gym.spaces.Space, symmetry: Symmetry,
                 hidden: int, depth: int, invariants: int, width: int):  # fmt: skip
        super().__init__(observation_space, action_space, squash_output=True)
        self.mean = VNMean(symmetry, hidden, depth)
        self.log_std = VNInvariants(symmetry, 0, hidden, depth, invariants, width, 1)
        self.dim = symmetry.action_layout.size

    def _params(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = _as_parameters_dtype(self, obs)
        log_std = self.log_std(x).clamp(LOG_STD_MIN, LOG_STD_MAX)  # (B, 1): one std for every direction
        return self.mean(x, squash=False), log_std

    def action_log_prob(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self._params(obs)
        u = mean + log_std.exp() * torch.randn_like(mean)
        normal = torch.distributions.Normal(mean, log_std.exp().expand_as(mean))
        log_prob = normal.log_prob(u).sum(-1) - _log_det_radial_squash(u)
        return radial_squash(u), log_prob

    def forward(self, obs: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        if deterministic:
            return radial_squash(self._params(obs)[0])
        return self.action_log_prob(obs)[0]

    def _predict(self, observation: torch.Tensor, deterministic: bool = False) -> torch.Tensor:
        return self(observation, deterministic)


class VNCritic(BaseModel):
    """SAC's twin Q: MLPs of the invariants of the observation's and the action's vectors."""

    def __init__(self, observation_space: gym.spaces.Space, action_space: gym.spaces.Space, symmetry: Symmetry,
                 hidden: int, depth: int, invariants: int, width: int, n_critics: int = 2):  # fmt: skip
        super().__init__(observation_space, action_space)
        self.share_features_extractor, self.n_critics = False, n_critics
        self.q_networks = nn.ModuleList(
            VNInvariants(symmetry, 1, hidden, depth, invariants, width, 1) for _ in range(n_critics)
        )

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = _as_parameters_dtype(self, obs)
        a = actions.to(x.dtype)
        return tuple(q(x, [a]) for q in self.q_networks)

    def q1_forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self(obs, actions)[0]


class VNSACPolicy(_VNLayout, SACPolicy):
    """SAC policy: ``VNSACActor`` and ``VNCritic``; ``env_id`` (and ``env_kwargs``) name the env's layout."""

    def __init__(
        self,
        observation_space: gym.spaces.Space,
        action_space: gym.spaces.Space,
        lr_schedule: Any,
        env_id: str = "EqPushT-v1",
        env_kwargs: dict[str, Any] | None = None,
        hidden: int = 32,
        depth: int = 2,
        invariants: int = 6,
        width: int = 64,
        n_critics: int = 2,
        **kwargs: Any,
    ):
        self._setup_layout(env_id, env_kwargs, observation_space, action_space, hidden=hidden, depth=depth,
                           invariants=invariants, width=width)  # fmt: skip
        super().__init__(observation_space, action_space, lr_schedule, n_critics=n_critics,
                         share_features_extractor=False, **kwargs)  # fmt: skip

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)
        _prefer_foreach(self.actor.optimizer, self.critic.optimizer)

    def make_actor(self, features_extractor: Any = None) -> VNSACActor:
        return VNSACActor(self.observation_space, self.action_space, self.symmetry, **self.vn_hyper)

    def make_critic(self, features_extractor: Any = None) -> VNCritic:
        return VNCritic(self.observation_space, self.action_space, self.symmetry, **self.vn_hyper,
                        n_critics=self.critic_kwargs["n_critics"])  # fmt: skip

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return self._layout_parameters(super()._get_constructor_parameters())


def _check_spaces(symmetry: Symmetry, observation_space: gym.spaces.Space, action_space: gym.spaces.Space) -> None:
    """A clear error when the policy is built for one env and handed another's spaces."""
    obs, act = symmetry.obs_layout.size, symmetry.action_layout.size
    if not isinstance(observation_space, gym.spaces.Box) or observation_space.shape != (obs,):
        raise ValueError(f"observation_space: the VN policy's env layout has {obs} entries, got {observation_space}")
    if not isinstance(action_space, gym.spaces.Box) or action_space.shape != (act,):
        raise ValueError(f"action_space: the VN policy's env layout has a {act}-vector action, got {action_space}")
    if len(symmetry.action_layout) != 1 or symmetry.action_layout.fields[0].kind != "vector":
        raise ValueError(f"env_id: the VN policy needs a delta (vector) action, got {symmetry.action_layout}")
