"""Configs of the speed probes: planning speed, Muon's orthogonalisation, scaling out, VN against plain networks,
and the bit identity of the VN code across a speed change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.config.common import Threads, non_negative, positive
from eqenvs.files import check_output_folder, check_output_path


@dataclass(frozen=True, kw_only=True)
class PlanSpeedConfig:
    """Planning speed: ms per MPPI plan against the matmul floor, threads idle and busy, batched evaluation."""

    repeats: int = 10
    """Timed repeats per figure (the median is reported)."""
    compile: bool = True
    """Also measure the plan with torch.compile of the rollout and cost (~10-80 s of compilation once)."""
    orientations: int = 6
    """Orientations of the batched-evaluation measurement."""
    thread_counts: tuple[int, ...] = (1, 2)
    """torch thread counts to measure, each on an idle machine and beside a busy process."""
    batches: tuple[int, ...] = (1, 18)
    """Observations planned for at once in the thread measurements (eqbench: 17 orientations + the identity)."""
    busy: bool = True
    """Also measure beside one CPU-bound process (a busy machine)."""

    def __post_init__(self) -> None:
        positive(self, "repeats", "orientations")
        for name in ("thread_counts", "batches"):
            values = getattr(self, name)
            if not values or any(n < 1 for n in values):
                raise ValueError(f"{name}: must be positive integers, got {values}")


@dataclass(frozen=True, kw_only=True)
class OptimSpeedConfig:
    """Optimiser speed and quality: Muon's orthogonalisation in bf16 vs float32, natively and on an emulated
    AVX2-only CPU; seconds per epoch; what each optimiser buys in model quality (~2.5 minutes)."""

    repeats: int = 10
    """Timed repeats per orthogonalisation."""
    epochs: int = 1
    """Epochs timed per model and optimiser."""
    seeds: int = 1
    """Seeds of the quality table (0: none)."""
    quality: bool = True
    """Train the quality table (the quick preset's budget per seed)."""
    emulation: bool = True
    """Also run the speed part in a subprocess on an emulated AVX2-only CPU."""
    json: Path | None = None
    """Also write every figure to this .json file."""

    def __post_init__(self) -> None:
        positive(self, "repeats", "epochs")
        non_negative(self, "seeds")
        if self.json is not None:
            check_output_path(self.json, ".json", "json")


@dataclass(frozen=True, kw_only=True)
class ScaleSpeedConfig(Threads):
    """Serial vs --workers vs Ray on one planner benchmark (rows compared), the per-shard costs, and the projected
    wall time of a large sweep on 1, 8 and 64 nodes (python -m agents scale-speed; ~8 minutes on 2 cores)."""

    agent: str = "planner:vn_explicit-push2d"
    """The agent benchmarked (a spec, as for eqbench)."""
    orientations: str = "slice,heldout"
    """Orientations (the 2D default: 17)."""
    tasks: int = 16
    """Tasks (shards) of the measured benchmark."""
    max_steps: int = 60
    """Episode length cap (the README's planning tables use 60)."""
    workers: int = 2
    """Workers of the parallel runs."""
    ray: bool = True
    """Also run on a local Ray instance, and measure Ray's per-shard overhead."""
    noop_jobs: int = 200
    """Empty jobs timed to measure the scheduling overhead per shard."""
    study: tuple[int, int, int, int] = (10, 5, 17, 64)
    """The projected sweep: agents, seeds, orientations, tasks."""
    nodes: tuple[int, ...] = (1, 8, 64)
    """Cluster sizes of the projection (nodes like this machine)."""
    out: str = "runs/scale"
    """Folder for the three benchmark runs and scale.json."""

    def __post_init__(self) -> None:
        super().__post_init__()
        positive(self, "tasks", "max_steps", "workers", "noop_jobs")
        if not self.nodes or any(n < 1 for n in self.nodes) or any(n < 1 for n in self.study):
            raise ValueError(f"nodes/study: must be positive integers, got {self.nodes} / {self.study}")
        check_output_folder(self.out, "out")


@dataclass(frozen=True, kw_only=True)
class BitIdentityConfig:
    """This tree's VN outputs (shipped models, VNMLP gradients, MPPI closed loops, VN SB3 policies; float32 and
    float64) against a git revision's, torch.equal each: a speed change must not move a published number."""

    ref: str = "HEAD"
    """The git revision compared against (its tree is archived to a temporary folder and run there)."""
    steps: int = 3
    """Closed-loop steps of each planner."""

    def __post_init__(self) -> None:
        positive(self, "steps")
        if not self.ref or self.ref.startswith("-"):
            raise ValueError(f"ref: expected a git revision, got {self.ref!r}")


@dataclass(frozen=True, kw_only=True)
class VNSpeedConfig:
    """VN against plain networks side by side, one torch thread: VNMLP vs MLPs of equal parameters and equal FLOPs
    (forward, gradient step), one MPPI plan against its matmul floor eager and compiled, and SB3 PPO steps/s with
    the VN and the MLP policy (~3 minutes; torch.compile ~10-80 s once)."""

    repeats: int = 7
    """Interleaved timing rounds per figure (the median is reported)."""
    inner: int = 20
    """Calls per round in the network timings."""
    batch: int = 128
    """Batch of the network timings (the world models' training batch)."""
    compile: bool = True
    """Also time the plan with MPPI's inner loop compiled (MPCPlanner.compile)."""
    ppo_steps: int = 2048
    """Environment steps per PPO measurement (the shipped PPO's one rollout of 8 envs x 256 and its update; 0:
    skip PPO)."""
    ppo_repeats: int = 3
    """Interleaved PPO rounds."""
    progress: bool = True
    """Show a progress bar."""
    json: Path | None = None
    """Also write every figure to this .json file."""

    def __post_init__(self) -> None:
        positive(self, "repeats", "inner", "batch", "ppo_repeats")
        non_negative(self, "ppo_steps")
        if self.json is not None:
            check_output_path(self.json, ".json", "json")
