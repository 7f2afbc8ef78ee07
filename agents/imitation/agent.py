"""A behaviour-cloning policy as a benchmark agent (``bc:<policy.pt>`` in eqbench): deterministic, batched, acting
with the first ``execute`` actions of each predicted chunk."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.imitation.diffusion import FlowPolicy
from agents.imitation.policies import load_policy


class BCAgent:
    """A behaviour-cloning policy as a benchmark agent: deterministic and batched; it predicts a chunk of
    actions, acts with the first ``meta["execute"]`` of them, then predicts again (``reset`` starts afresh)."""

    def __init__(self, policy: nn.Module, meta: dict[str, Any], label: str = "bc", dtype: torch.dtype = torch.float32):
        self.policy, self.meta, self.label, self.dtype = policy.to(dtype), meta, label, dtype
        self.execute = int(meta.get("execute", 1))
        self._queue: np.ndarray | None = None  # (B, steps left, d)
        self._generator = torch.Generator().manual_seed(0)

    @classmethod
    def load(cls, spec: str, env: gym.Env, label: str) -> BCAgent:
        path, *options = spec.split(",")
        dtype, execute = torch.float32, None
        for option in options:
            key, _, value = option.partition("=")
            if key == "dtype" and value in ("float32", "float64"):
                dtype = getattr(torch, value)
            elif key == "execute" and value.isdigit() and int(value) >= 1:
                execute = int(value)
            else:
                raise ValueError(f"agent: a bc spec takes the options dtype=float32 or dtype=float64 and execute=N "
                                 f"(actions of a chunk run before the next, N >= 1); got {option!r}")  # fmt: skip
        policy, meta = load_policy(path)
        unwrapped = env.unwrapped
        env_id = unwrapped.spec.id if unwrapped.spec is not None else type(unwrapped).__name__
        if gym.envs.registration.parse_env_id(env_id)[1] != gym.envs.registration.parse_env_id(meta["env_id"])[1]:
            raise ValueError(f"agent: {path} was trained on {meta['env_id']}, not {env_id}")
        if env.observation_space.shape != (12,) or getattr(unwrapped.scene, "action_type", None) != "delta":
            raise ValueError(f"agent: {path} reads EqPushT's 12-number state and acts in delta actions; this env "
                             f"has observations {env.observation_space} and action_type "
                             f"{getattr(unwrapped.scene, 'action_type', None)!r}")  # fmt: skip
        if execute is not None:
            if execute > policy.horizon:
                raise ValueError(f"agent: execute={execute} is more than {path}'s chunk of {policy.horizon} actions")
            meta = meta | {"execute": execute}
        return cls(policy, meta, label, dtype)

    def reset(self, seed: int | None = None) -> None:
        """Start afresh; a flow policy's sampler noise comes from a generator seeded here (the same numbers at
        every orientation of a paired task: the VN policy places them in the block's frame)."""
        self._queue = None
        self._generator = torch.Generator().manual_seed(0 if seed is None else int(seed))

    def act(self, obs: Any) -> np.ndarray:
        return self.act_batch(np.asarray(obs, np.float64)[None])[0]

    @torch.no_grad()
    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        if self._queue is None or self._queue.shape[1] == 0 or len(self._queue) != len(obs):
            x = torch.as_tensor(obs, dtype=self.dtype)
            if isinstance(self.policy, FlowPolicy):  # one draw of noise numbers, shared by the batch's rows
                z = torch.randn(self.policy.horizon, 2, generator=self._generator, dtype=torch.float64)
                chunk = self.policy.sample(x, z.to(self.dtype)).double().numpy()
            else:
                chunk = self.policy(x).double().numpy()
            self._queue = chunk[:, : self.execute]
        action, self._queue = self._queue[:, 0], self._queue[:, 1:]
        return action
