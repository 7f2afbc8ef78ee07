"""Latent and explicit world models behind one protocol, exactly equivariant (Vector Neurons) or plain (MLP).

Every model answers ``encode(obs) -> z``, ``predict(z, a) -> z'``, ``rollout(z, actions)`` and
``act_latent(g, z)`` (the representation rho(g) on its latent), and shows its parameter count in
``repr``. ``build_model(kind, symmetry, **hyper)`` makes one from an env's ``symmetry``.
"""

from __future__ import annotations

from agents.world_models.models import (
    MODEL_KINDS,
    MLPExplicitFM,
    MLPLatentWM,
    VNExplicitFM,
    VNLatentWM,
    WorldModel,
    build_model,
)

__all__ = ["MODEL_KINDS", "MLPExplicitFM", "MLPLatentWM", "VNExplicitFM", "VNLatentWM", "WorldModel", "build_model"]
