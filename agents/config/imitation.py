"""Configs of imitation: recording demonstrations (``demos``) and behaviour cloning (``bc``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agents.config.common import Threads, non_negative, positive
from eqenvs.files import check_output_folder, check_output_path


@dataclass(frozen=True, kw_only=True)
class DemosConfig(Threads):
    """Record the contact planner's solved PushT episodes on a split's orientations as a Minari dataset."""

    out: Path
    """Minari datasets root: the dataset goes to <out>/<id> (its id names the env, split, starts, steps, noise and
    seed; that folder must not exist, and is written whole or not at all); MINARI_DATASETS_PATH=<out> makes
    minari.load_dataset(<id>) and `minari show <id>` find it."""
    env: Literal["EqPushT-v1", "EqPushT-v0"] = "EqPushT-v1"
    """Environment id (task "pusht")."""
    split: str = "slice"
    """Orientation split: every orientation of its grid gets --episodes starts."""
    episodes: int = 24
    """Starts per orientation (only the solved episodes are kept)."""
    noise: float = 0.1
    """Isotropic noise on the executed actions (delta units); the expert's clean actions are the labels."""
    max_steps: int = 300
    """Episode length cap."""
    seed: int = 0
    """Seeds the starts and the noise."""
    workers: int = 1
    """Worker processes (one orientation per job)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "episodes", "max_steps", "workers")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise: must be finite and >= 0, got {self.noise}")
        from eqenvs.splits import get_split

        get_split(self.env, self.split)
        check_output_folder(self.out, "out")  # the dataset's own folder is checked before recording starts


@dataclass(frozen=True, kw_only=True)
class BCConfig(Threads):
    """Behaviour cloning on a demonstration dataset: an MLP policy or its exactly equivariant VN twin (.pt)."""

    demos: Path
    """Demonstrations: a Minari dataset folder, or a datasets root holding one (`python -m agents demos --out`)."""
    out: Path
    """Output policy, a .pt file (+ readable .pt.json)."""
    policy: Literal["mlp", "vn", "diffusion", "vn-diffusion"] = "mlp"
    """mlp: standardised observation -> MLP; vn: Vector-Neuron layers, equivariant by construction (both Gaussian
    mixtures over chunks); diffusion: a flow-matching chunk policy with an MLP denoiser; vn-diffusion: its VN twin,
    the sampler's noise in the block's frame (exactly equivariant samples)."""
    steps: int = 10
    """Flow policies: Euler steps from noise to a chunk (denoising steps)."""
    hidden: int = 128
    """Hidden width (VN: vector channels)."""
    depth: int = 3
    """Hidden layers (VN: residual blocks)."""
    modes: int = 5
    """Components of the policy's Gaussian mixture (1: a unimodal policy, mean squared error up to a scale)."""
    horizon: int = 16
    """Actions per predicted chunk (1: one action per step)."""
    execute: int = 8
    """Actions of a chunk the agent executes before predicting the next (<= horizon)."""
    epochs: int = 120
    """Passes over the demonstrations."""
    batch_size: int = 256
    """Steps per gradient step."""
    lr: float = 1e-3
    """Adam's step size (cosine-decayed to 0)."""
    seed: int = 0
    """Seeds the initialisation, the batches and DAgger's starts."""
    augment: str = ""
    """A split name (e.g. slice): turn every training sample to an orientation drawn from that split's arc
    (the demonstrations' orientations must lie in it). Empty: no augmentation."""
    dagger_rounds: int = 0
    """DAgger rounds after the first fit: roll the policy out on the demonstrations' orientations, have the
    contact planner label the states it reaches, retrain on everything."""
    dagger_episodes: int = 8
    """Starts per orientation in each DAgger round."""
    dagger_epochs: int = 0
    """Epochs of each DAgger round's fit, continued from the previous round's weights (0: retrain from scratch
    for --epochs each round)."""
    dagger_lr: float = 0.0
    """Adam's step size in the warm-started rounds of --dagger-epochs (cosine-decayed; 0: --lr)."""
    compile: bool = False
    """Train through ``torch.compile`` of the loss (vn-diffusion's epochs ~1.6x faster on a CPU, little for
    diffusion; compiling takes ~10-60 s; the weights round differently from eager training's)."""
    workers: int = 1
    """Worker processes for DAgger's rollouts (one orientation per job)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "hidden", "depth", "modes", "horizon", "execute", "epochs", "batch_size", "dagger_episodes",
                  "workers", "steps")  # fmt: skip
        non_negative(self, "dagger_rounds", "dagger_epochs")
        if self.execute > self.horizon:
            raise ValueError(f"execute: at most --horizon ({self.horizon}) actions, got {self.execute}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: must be finite and > 0, got {self.lr}")
        if not (math.isfinite(self.dagger_lr) and self.dagger_lr >= 0):
            raise ValueError(f"dagger_lr: must be finite and >= 0 (0: --lr), got {self.dagger_lr}")
        if not self.demos.exists():
            raise ValueError(f"demos: {str(self.demos)!r} does not exist (expected a Minari dataset folder from "
                             "`python -m agents demos`)")  # fmt: skip
        check_output_path(self.out, ".pt", "out")
