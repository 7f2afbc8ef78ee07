"""Configs of the world-model pipeline: collect, train, evaluate, report, pretrain."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

from agents.config.common import EnvId, JsonObject, Threads, Workers, non_negative, positive
from eqenvs.files import check_output_folder, check_output_path, existing_file

ModelKind = Literal["vn_latent", "mlp_latent", "vn_explicit", "mlp_explicit"]
Optimizer = Literal["muon", "torch_muon", "adamw", "adam", "sgd"]


@dataclass(frozen=True)
class TrainConfig:
    """One training run of a world model; every field is also a command-line flag of `train`."""

    model: ModelKind = "vn_latent"
    """The world model: VN (equivariant) or MLP (plain), latent or explicit."""
    epochs: int = 40
    """Passes over the training transitions."""
    batch_size: int = 128
    """Transitions per step."""
    lr: float = 1e-2
    """Start learning rate (Muon with AdamW-matched update scale, and AdamW)."""
    weight_decay: float = 1e-4
    """Decoupled weight decay, every parameter group."""
    optimizer: Optimizer = "muon"
    """muon (2-D weights, float32 Newton-Schulz) + AdamW (the rest) | torch_muon (the same, torch's bf16 Muon)
    | adamw | adam | sgd."""
    ema: float = 0.99
    """EMA decay of the latent models' target encoder."""
    var_weight: float = 1.0
    """VICReg variance hinge weight (latent models)."""
    cov_weight: float = 0.04
    """VICReg covariance weight (latent models)."""
    augment: bool = False
    """Baseline stress test: rotate every batch by a random element of the full group."""
    soft: float = 0.0
    """Baseline stress test: weight of a soft-equivariance penalty |rho(g) F(x, a) - F(g x, g a)|^2."""
    width: float = 1.0
    """Baseline stress test ("scale"): multiply the model's hidden width."""
    dtype: Literal["float32", "float64"] = "float32"
    """Parameter and data dtype."""
    seed: int = 0
    """Seeds initialisation, batch order and augmentation."""
    hyper: JsonObject = field(default_factory=dict)
    """Model hyperparameters (build_model keywords) as JSON, e.g. {"hidden": 48}."""
    readout_epochs: int = 10
    """Latent models: epochs of the planning readout (latent -> centred observation), trained afterwards."""
    device: str = "cpu"
    """torch device to train on (cpu, cuda, cuda:1, ...); checkpoints load on the CPU."""

    def __post_init__(self) -> None:
        for name, allowed in (("model", ModelKind), ("optimizer", Optimizer), ("dtype", Literal["float32", "float64"])):
            if getattr(self, name) not in allowed.__args__:
                raise ValueError(f"{name}: {getattr(self, name)!r} is not one of {allowed.__args__}")
        positive(self, "epochs", "batch_size")
        non_negative(self, "readout_epochs")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema: must lie in [0, 1), got {self.ema}")
        for name in ("lr", "width"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name}: must be finite and > 0, got {getattr(self, name)}")
        for name in ("weight_decay", "soft", "var_weight", "cov_weight"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"{name}: must be finite and >= 0, got {getattr(self, name)}")
        if not isinstance(self.hyper, dict):
            raise ValueError(f"hyper: expected a JSON object (a dict), got {self.hyper!r}")


@dataclass(frozen=True, kw_only=True)
class CollectConfig(Threads):
    """Collect transitions with the scripted pusher on a split's orientations (.npz + readable .npz.json)."""

    out: Path
    """Output dataset, a .npz file."""
    env: EnvId = "EqPushT-v1"
    """Environment id."""
    split: str = "slice"
    """Orientation split the episodes are drawn from: slice | heldout | full."""
    episodes: int = 400
    """Episodes to collect (one orientation each)."""
    max_steps: int = 60
    """Steps per episode at most (episodes also end on success)."""
    noise: float = 0.3
    """Isotropic noise added to the scripted pusher's actions."""
    seed: int = 0
    """Seeds the orientations, the resets and the noise."""
    interior_only: bool = False
    """Drop transitions in which the block touches a wall (2D)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "episodes", "max_steps")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise: must be finite and >= 0, got {self.noise}")
        from eqenvs.splits import get_split

        get_split(self.env, self.split)
        check_output_path(self.out, ".npz", "out")


@dataclass(frozen=True, kw_only=True)
class TrainCommand(TrainConfig, Threads):
    """Train a world model on a dataset's training episodes; writes a .pt checkpoint (+ readable .pt.json)."""

    data: Path
    """Training dataset (.npz, from `python -m agents collect`)."""
    out: Path
    """Output checkpoint, a .pt file."""
    test_fraction: float = 0.2
    """Fraction of the episodes held out for evaluation (not trained on)."""
    split_seed: int = 0
    """Chooses which episodes are held out."""

    def __post_init__(self) -> None:
        TrainConfig.__post_init__(self)
        Threads.__post_init__(self)
        existing_file(self.data, "data", "a .npz dataset")
        check_output_path(self.out, ".pt", "out")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"test_fraction: must lie in (0, 1), got {self.test_fraction}")

    def train_config(self) -> TrainConfig:
        names = {f.name for f in fields(TrainConfig)}
        return TrainConfig(**{k: v for k, v in asdict(self).items() if k in names})


@dataclass(frozen=True, kw_only=True)
class EvaluateConfig(Threads):
    """Open-loop metrics of checkpoints on the held-out episodes of their dataset."""

    data: Path
    """The dataset the checkpoints were trained on (.npz)."""
    checkpoints: tuple[Path, ...]
    """World-model checkpoints (.pt)."""
    out: Path | None = None
    """Also write the metrics to this .json file."""

    def __post_init__(self) -> None:
        super().__post_init__()
        existing_file(self.data, "data", "a .npz dataset")
        if not self.checkpoints:
            raise ValueError("checkpoints: give at least one .pt checkpoint")
        for path in self.checkpoints:
            existing_file(path, "checkpoints", "a .pt checkpoint")
        if self.out is not None:
            check_output_path(self.out, ".json", "out")


@dataclass(frozen=True, kw_only=True)
class ReportConfig(Workers):
    """Collect on the slice, train every world model, evaluate across orientations, check the targets."""

    env: EnvId = "EqPushT-v1"
    """Environment id."""
    preset: Literal["quick", "full"] = "quick"
    """quick (1 seed, small budget) or full (5 seeds, stress-tested baselines)."""
    seeds: int = 0
    """Number of seeds (0: the preset's)."""
    stress: bool = True
    """Train the preset's baseline stress tests (full: augment, soft penalty, 2x wider on seed 0)."""
    out: str = "runs/report"
    """Output folder."""

    def __post_init__(self) -> None:
        super().__post_init__()
        non_negative(self, "seeds")
        check_output_folder(self.out, "out")


ReferenceModel = Literal[
    "vn_explicit-push2d", "mlp_explicit-push2d", "mlp_explicit_canonical-push2d", "vn_latent-push2d",
    "mlp_latent-push2d", "vn_explicit-push3d", "mlp_explicit-push3d",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class PretrainConfig(Threads):
    """Rebuild the reference world models shipped in agents/pretrained (and their README)."""

    models: tuple[ReferenceModel, ...] = (
        "vn_explicit-push2d", "mlp_explicit-push2d", "mlp_explicit_canonical-push2d", "vn_latent-push2d",
        "mlp_latent-push2d", "vn_explicit-push3d", "mlp_explicit-push3d",
    )  # fmt: skip
    """The models to train."""
    seed: int = 0
    """Seeds the data and the training."""
    out: str = "agents/pretrained"
    """Output folder (the package's own, by default)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.models:
            raise ValueError("models: name at least one model")
        check_output_folder(self.out, "out")
