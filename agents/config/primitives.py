"""Config of the learned push-outcome models on gym-pusht's PushT (``pusht-model``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.config.common import Threads, positive
from eqenvs.files import check_output_path


@dataclass(frozen=True, kw_only=True)
class PushtModelConfig(Threads):
    """Learn a push-outcome model of gym-pusht's PushT from pushes simulated at the slice's orientations, for the
    learned push-primitive planner (eqbench --agent primitive:<out>)."""

    out: Path
    """Output model, a .pt file (+ readable .pt.json)."""
    model: Literal["vn", "mlp"] = "vn"
    """vn: Vector-Neuron layers, exactly equivariant; mlp: the plain twin."""
    augment: Literal["slice", "full"] = "slice"
    """slice: the data as collected, at [0, 90) degrees; full: every epoch turned to orientations of the whole
    circle (the augmented twin)."""
    canonical: bool = False
    """MLP only: run the network in the block's own frame (inputs turned by minus its heading, outputs turned
    back): the canonicalised twin, exactly equivariant whatever the network."""
    data: Path | None = None
    """A .npz of simulated pushes: read if it exists, else collected and written there (None: collected, not
    kept)."""
    pushes: int = 240_000
    """Pushes to simulate when collecting."""
    hidden: int = 64
    """Hidden width (VN: vector channels)."""
    depth: int = 3
    """Hidden layers (VN: residual blocks)."""
    epochs: int = 40
    """Passes over the pushes."""
    batch_size: int = 512
    """Pushes per gradient step."""
    lr: float = 2e-3
    """Adam's step size (cosine-decayed to 0)."""
    seed: int = 0
    """Seeds the collection (world-model data seeds, agents.seeds) and the training."""
    workers: int = 1
    """Processes that simulate pushes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "pushes", "hidden", "depth", "epochs", "batch_size", "workers")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: must be finite and > 0, got {self.lr}")
        if self.seed < 0:
            raise ValueError(f"seed: must be >= 0, got {self.seed}")
        if self.canonical and self.model != "mlp":
            raise ValueError("canonical: only --model mlp is canonicalised (the VN model is equivariant already)")
        check_output_path(self.out, ".pt", "out")
        if self.data is not None:
            check_output_path(self.data, ".npz", "data")
