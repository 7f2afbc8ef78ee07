"""What the paper command runs: the planner budget and task counts of its closed loops, the report commands, the
training jobs (``TRAIN``) and benchmark runs (``BENCH``) of its parts, and which parts each claim group reads
(``NEEDS``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BENCH", "NEEDS", "PLANNER", "REPORT_COMMANDS", "STEPS", "TASKS", "TRAIN", "BenchJob", "TrainJob"]

PLANNER = "samples=100,horizon=10,iterations=3"
"""The planner budget of the closed-loop runs (the README's planning tables use 300 x 20 x 6)."""
TASKS, STEPS = 16, 60
REPORT_COMMANDS = {
    "report2d": "python -m agents report --env EqPushT-v1 --preset full",
    "report3d": "python -m agents report --env EqPushT3D-v1 --preset full --seeds 3 --no-stress",
}


@dataclass(frozen=True)
class TrainJob:
    """One training job of the ``train`` part (on seed 0's 2D data)."""

    name: str
    model: str
    claims: tuple[str, ...]
    optimizer: str = "muon"
    hyper: tuple[tuple[str, Any], ...] = ()
    augment: bool = False
    soft: float = 0.0
    width: float = 1.0
    lr: float = 1e-2


TRAIN = (
    TrainJob("vn_latent adam", "vn_latent", ("optimiser",), "adam"),
    TrainJob("vn_latent sgd", "vn_latent", ("optimiser",), "sgd", lr=1e-3),  # SGD steps 10 x lr: 3e-2 diverges
    TrainJob("extrinsic muon", "vn_latent", ("optimiser",), "muon", (("extrinsic", True),)),
    TrainJob("extrinsic adam", "vn_latent", ("optimiser",), "adam", (("extrinsic", True),)),
    TrainJob("extrinsic sgd", "vn_latent", ("optimiser",), "sgd", (("extrinsic", True),), lr=1e-3),
    TrainJob("mlp_explicit+augment", "mlp_explicit", ("bitter_lesson",), augment=True),
    TrainJob("mlp_explicit+soft", "mlp_explicit", ("bitter_lesson",), soft=1.0),
    TrainJob("mlp_explicit+scale", "mlp_explicit", ("bitter_lesson",), width=2.0),
)


@dataclass(frozen=True)
class BenchJob:
    """One eqbench run of the ``closed`` part; ``model`` is ``<part>/<file>`` under the paper's folder."""

    name: str
    label: str
    model: str
    options: str
    claims: tuple[str, ...]
    env: str = "EqPushT-v1"
    env_kwargs: tuple[tuple[str, Any], ...] = ()


BENCH = (
    BenchJob(
        "vn_eq64",
        "VN explicit + eq planner, fp64",
        "report2d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop", "bitter_lesson"),
    ),
    BenchJob("vn_eq32", "VN explicit + eq planner, fp32", "report2d/seed0/vn_explicit.pt", "", ("closed_loop",)),
    BenchJob(
        "mlp_plain",
        "MLP explicit + plain planner",
        "report2d/seed0/mlp_explicit.pt",
        "equivariant=false",
        ("closed_loop", "bitter_lesson"),
    ),
    *(
        BenchJob(
            f"mlp_{kind}",
            f"MLP explicit + {kind} + plain planner",
            f"train/mlp_explicit+{kind}.pt",
            "equivariant=false",
            ("bitter_lesson",),
        )
        for kind in ("augment", "soft", "scale")
    ),
    # canonicalisation (agents.canonical): the whole agent in each observation's frame (canonical=true), with the
    # plain MLP and with the MLP trained in its frames; and that MLP under the plain planner alone
    BenchJob(
        "mlp_canonical_agent",
        "MLP explicit + plain planner, canonical agent, fp64",
        "report2d/seed0/mlp_explicit.pt",
        "equivariant=false,canonical=true,dtype=float64",
        ("bitter_lesson",),
    ),
    BenchJob(
        "mlp_canonical",
        "canonical MLP explicit + plain planner, canonical agent, fp64",
        "report2d/seed0/mlp_explicit+canonical.pt",
        "equivariant=false,canonical=true,dtype=float64",
        ("bitter_lesson",),
    ),
    BenchJob(
        "mlp_canonical_plain",
        "canonical MLP explicit + plain planner, fp64",
        "report2d/seed0/mlp_explicit+canonical.pt",
        "equivariant=false,dtype=float64",
        ("bitter_lesson",),
    ),
    BenchJob(
        "3d_vn_eq64",
        "VN explicit + eq planner, fp64 (3D, frame)",
        "report3d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop",),
        "EqPushT3D-v1",
    ),
    BenchJob(
        "3d_vn_eq64_physics",
        "VN explicit + eq planner, fp64 (3D, physics)",
        "report3d/seed0/vn_explicit.pt",
        "dtype=float64",
        ("closed_loop",),
        "EqPushT3D-v1",
        (("orientation_mode", "physics"),),
    ),
    BenchJob(
        "3d_mlp_plain",
        "MLP explicit + plain planner (3D, frame)",
        "report3d/seed0/mlp_explicit.pt",
        "equivariant=false",
        ("closed_loop",),
        "EqPushT3D-v1",
    ),
)
NEEDS = {  # the parts each claim group reads
    "optimiser": ("report2d", "train"),
    "ood": ("report2d", "report3d"),
    "closed_loop": ("report2d", "report3d", "closed"),
    "bitter_lesson": ("report2d", "train", "closed"),
    "hstep": ("report2d", "report3d"),
}
