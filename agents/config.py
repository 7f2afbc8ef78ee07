"""Every command's configuration: frozen dataclasses whose fields (with one-line docs) are the command-line flags.

``python -m agents`` and ``eqbench`` turn these into command lines with tyro (help from the field docs,
``Literal`` choices, ``--flag/--no-flag`` booleans). This module imports neither torch nor the envs, so
``--help`` is instant and a bad flag is refused before any work starts; each ``__post_init__`` validates
its values, output paths included, before a command does anything.

Threads: every command that runs torch takes ``--threads`` (default 1) and calls ``torch.set_num_threads``
before its work. One thread per process is the measured default: on a 2-core CPU two threads gain at most
~1.3x at these tensor sizes when the machine is idle, and torch's thread pool collapses (3.5-40x slower)
as soon as another process competes for the cores; parallelise across processes instead
(``python -m agents plan-speed`` measures both on the machine at hand).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

from eqenvs.files import check_output_folder, check_output_path, existing_file

__all__ = [
    "BenchConfig",
    "CollectConfig",
    "CompareConfig",
    "CurvesConfig",
    "DemoConfig",
    "EvaluateConfig",
    "JsonObject",
    "OptimSpeedConfig",
    "PaperConfig",
    "PlanSpeedConfig",
    "PretrainConfig",
    "ReportConfig",
    "SB3Config",
    "ScaleSpeedConfig",
    "StoryConfig",
    "SweepConfig",
    "Threads",
    "TrainConfig",
    "Workers",
    "json_object",
    "parse_bool",
    "ray_host_port",
]

EnvId = Literal["EqPushT-v1", "EqPushT3D-v1", "EqPushT-v0", "EqPushT3D-v0"]
BENCH_ENV_DEFAULTS: dict[str, dict[str, Any]] = {
    f"{name}-v{version}": {"task": task} for name, task in (("EqPushT", "pusht"), ("EqPushT3D", "push"))
    for version in (0, 1)
}  # fmt: skip
"""What eqbench and sweep run unless ``--task`` or ``--env-kwargs`` says otherwise: the env's own default task
(``gym.make``'s: EqPushT gym-pusht's ``pusht``, EqPushT3D ``push``), written out so every summary names its
task (merged: a given key wins, the rest stay)."""
TASKS = ("push", "pose", "pusht")

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_bool(text: str, name: str) -> bool:
    """``true/false`` (also 1/0, yes/no, on/off, any case); anything else is a ValueError naming ``name``.

    The one parser of booleans written as text (agent spec options); command-line flags are
    ``--flag/--no-flag``.
    """
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}: expected true or false, got {text!r}")


def json_object(text: str, name: str = "env_kwargs") -> dict[str, Any]:
    """A JSON object from text, else a ValueError naming ``name`` and the fault."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{name}: {text!r} is not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f'{name}: expected a JSON object such as \'{{"task": "pose"}}\', got {text!r}')
    return value


JsonObject = Annotated[
    dict[str, Any],
    tyro.constructors.PrimitiveConstructorSpec(
        nargs=1,
        metavar="JSON",
        instance_from_str=lambda args: json_object(args[0]),
        is_instance=lambda x: isinstance(x, dict),
        str_from_instance=lambda x: [json.dumps(x)],
    ),
]
"""A dict field given on the command line as one JSON object."""


def _positive(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a positive integer, got {value!r}")


def _non_negative(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: must be an integer >= 0, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Threads:
    """The torch thread count of a command (see the module docstring)."""

    threads: int = 1
    """torch threads in this process (1: the measured best when anything else runs; see the README)."""

    def __post_init__(self) -> None:
        _positive(self, "threads")

    def apply_threads(self) -> None:
        """Set torch's intra-op thread count to ``threads``."""
        import torch

        torch.set_num_threads(self.threads)


def ray_host_port(address: str) -> tuple[str, int]:
    """The host and port of a Ray cluster address (host:port or ray://host:port), else a ValueError."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"ray: expected 'local', 'auto', host:port or ray://host:port, got {address!r}")
    return host, int(port)


@dataclass(frozen=True, kw_only=True)
class Workers(Threads):
    """Where a command's jobs run: this process, local worker processes, or a Ray cluster (agents.workers)."""

    workers: int = 1
    """Worker processes, each with --threads torch threads (1: everything in this process); with --ray local,
    the CPUs of the local Ray instance."""
    ray: str = ""
    """Run on Ray: local (also a bare --ray: a local instance), auto (the cluster `ray start` runs on this
    machine), or a cluster address host:port or ray://host:port. Empty: no Ray."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers: must be a positive integer (1: no extra processes), got {self.workers!r}")
        if not isinstance(self.ray, str):
            raise ValueError(f"ray: expected 'local', 'auto' or a cluster address, got {self.ray!r}")
        if self.ray and self.ray not in ("local", "auto"):
            ray_host_port(self.ray)

    @property
    def parallel(self) -> bool:
        """Whether jobs leave this process."""
        return self.workers > 1 or bool(self.ray)


# --------------------------------------------------------------------------- data, training, evaluation
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
        _positive(self, "epochs", "batch_size")
        _non_negative(self, "readout_epochs")
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
        _positive(self, "episodes", "max_steps")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise: must be finite and >= 0, got {self.noise}")
        from eqenvs.splits import get_split

        get_split(self.env, self.split)
        check_output_path(self.out, ".npz", "out")


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
        _positive(self, "episodes", "max_steps", "workers")
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
    policy: Literal["mlp", "vn"] = "mlp"
    """mlp: standardised observation -> MLP; vn: Vector-Neuron layers, equivariant by construction."""
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
    workers: int = 1
    """Worker processes for DAgger's rollouts (one orientation per job)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "hidden", "depth", "modes", "horizon", "execute", "epochs", "batch_size", "dagger_episodes",
                  "workers")  # fmt: skip
        _non_negative(self, "dagger_rounds")
        if self.execute > self.horizon:
            raise ValueError(f"execute: at most --horizon ({self.horizon}) actions, got {self.execute}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: must be finite and > 0, got {self.lr}")
        if not self.demos.exists():
            raise ValueError(f"demos: {str(self.demos)!r} does not exist (expected a Minari dataset folder from "
                             "`python -m agents demos`)")  # fmt: skip
        check_output_path(self.out, ".pt", "out")


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
        _non_negative(self, "seeds")
        check_output_folder(self.out, "out")


PAPER_CLAIMS = ("optimiser", "ood", "closed_loop", "bitter_lesson", "hstep")
"""The claim groups of ``python -m agents paper`` (agents.paper): [A], [B], [C], the bitter lesson, H-step."""
PAPER_BEGIN, PAPER_END = "<!-- paper:begin -->", "<!-- paper:end -->"


@dataclass(frozen=True, kw_only=True)
class PaperConfig(Workers):
    """The paper reproduced: every claim of arXiv 2606.03003's abstract beside the published figure."""

    claims: tuple[str, ...] = ()
    """Claim groups to run (default: all): optimiser, ood, closed_loop, bitter_lesson, hstep."""
    out: str = "runs/paper"
    """Output folder: one subfolder per part (finished parts are reused), paper.json, paper.md, hstep.png."""
    readme: str = ""
    """A markdown file whose block between <!-- paper:begin --> and <!-- paper:end --> gets the table."""

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [c for c in self.claims if c not in PAPER_CLAIMS]
        if unknown:
            raise ValueError(f"claims: unknown claim {unknown[0]!r}; expected some of {', '.join(PAPER_CLAIMS)}")
        check_output_folder(self.out, "out")
        if self.readme:
            try:
                text = existing_file(self.readme, "readme", "a markdown file").read_text()
            except UnicodeDecodeError:
                raise ValueError(f"readme: {self.readme} is not UTF-8 text (expected a markdown file)") from None
            if (
                text.count(PAPER_BEGIN) != 1
                or text.count(PAPER_END) != 1
                or text.index(PAPER_BEGIN) > text.index(PAPER_END)
            ):
                raise ValueError(f"readme: {self.readme} needs one {PAPER_BEGIN} line followed by one {PAPER_END} line")

    @property
    def selected(self) -> tuple[str, ...]:
        """The claim groups to run, in the table's order."""
        return tuple(c for c in PAPER_CLAIMS if not self.claims or c in self.claims)


# --------------------------------------------------------------------------- baselines and demos
@dataclass(frozen=True, kw_only=True)
class SB3Config(Workers):
    """Train a stable-baselines3 PPO or SAC agent on a split of orientations (hyperparameters, in
    rl-baselines3-zoo's format: agents/hyperparams/<algo>.yml)."""

    out: Path
    """Output model, a .zip file (an eqbench agent: sb3:<algo>:<zip>); logs go to <out minus .zip>.logs/."""
    algo: Literal["ppo", "sac"] = "ppo"
    """Algorithm."""
    policy: Literal["mlp", "vn"] = "mlp"
    """mlp: SB3's MlpPolicy; vn: the exactly equivariant Vector-Neuron policy (agents.rl)."""
    split: Literal["slice", "full"] | None = None
    """Orientations drawn for each training episode: the slice, or the full orbit (augmentation); None: the
    hyperparameter file's SampleOrientation split (slice)."""
    env: EnvId = "EqPushT-v1"
    """Environment id (v1: the penalty reward, under which success is optimal)."""
    task: Literal["push", "pose", "pusht"] | None = None
    """Task (pusht: EqPushT only); None: the hyperparameter file's env_kwargs task (push)."""
    steps: int | None = None
    """Environment steps of training (None: the hyperparameter file's n_timesteps)."""
    n_envs: int | None = None
    """Environments stepped in parallel (None: the hyperparameter file's n_envs)."""
    seed: int = 0
    """Seeds the model, the envs and the orientation draws."""
    seeds: tuple[int, ...] = ()
    """Train one model per seed instead (on --workers processes or Ray), each to <out stem>_s<seed>.zip."""
    max_episode_steps: int | None = None
    """Episode length during training (None: the hyperparameter file's env_kwargs max_episode_steps, 100)."""
    eval_freq: int = 20_000
    """Evaluate every this many environment steps, on the slice orientations (0: never)."""
    eval_episodes: int = 16
    """Episodes per evaluation."""
    hyperparams: Path | None = None
    """A hyperparameter file in rl-baselines3-zoo's format, like agents/hyperparams/<algo>.yml (None: that file)."""
    progress: bool = True
    """Show a progress bar with the ETA."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "eval_episodes")
        _positive(self, *(n for n in ("steps", "n_envs", "max_episode_steps") if getattr(self, n) is not None))
        _non_negative(self, "eval_freq")
        for name, allowed in (("algo", ("ppo", "sac")), ("policy", ("mlp", "vn")), ("split", ("slice", "full"))):
            value = getattr(self, name)
            if value not in allowed and not (name == "split" and value is None):
                raise ValueError(f"{name}: {value!r} is not one of {allowed}")
        if self.env.startswith("EqPushT3D") and self.task == "pusht":
            raise ValueError(f"task: 'pusht' exists in EqPushT only, not {self.env}")
        if self.hyperparams is not None:
            existing_file(self.hyperparams, "hyperparams", "a YAML file like agents/hyperparams/ppo.yml")
        check_output_path(self.out, ".zip", "out")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ValueError(f"seeds: expected integers >= 0, got {self.seeds!r}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds: {self.seeds!r} repeats a seed")
        for path in self.outputs:
            check_output_path(path, ".zip", "out")

    @property
    def outputs(self) -> list[Path]:
        """The models this command writes: ``out``, or one ``<out stem>_s<seed>.zip`` per seed of ``seeds``."""
        if not self.seeds:
            return [self.out]
        return [self.out.with_name(f"{self.out.stem}_s{seed}.zip") for seed in self.seeds]


@dataclass(frozen=True, kw_only=True)
class StoryConfig(Threads):
    """The main job: collect on the slice, train the world models, plan at slice and held-out orientations."""

    episodes: int = 200
    """Training episodes collected on the slice."""
    epochs: int = 30
    """Training epochs of each world model."""
    tasks: int = 4
    """Paired push tasks per orientation."""
    orientations: str = "0deg,45deg,90deg,180deg,270deg"
    """Benchmark orientations (0 and 45 deg lie in the training slice)."""
    max_steps: int = 60
    """Episode cap in the benchmark."""
    seed: int = 0
    """Seeds collection, training and the tasks."""
    out: str = "runs/story"
    """Output folder (data, checkpoints, benchmark rows)."""
    video_dir: str = "videos"
    """Folder of the videos."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "episodes", "epochs", "tasks", "max_steps")
        check_output_folder(self.out, "out")
        check_output_folder(self.video_dir, "video_dir")


def _angles(values: tuple[str, ...], name: str, split: str = "") -> tuple[float, ...]:
    """Angles with their unit ("30deg", "0.5rad") as radians in [0, 2 pi); with ``split``, each must lie in that
    split of EqPushT-v1. A ValueError names ``name`` and the fault (a bare number: its unit is asked for)."""
    from eqenvs.groups import parse_angle
    from eqenvs.splits import get_split

    out = []
    for value in values:
        text = str(value).strip()
        if _BARE_NUMBER.match(text):
            raise ValueError(f"{name}: {text!r} has no unit; write {text}deg or {text}rad (as every command takes "
                             "angles)")  # fmt: skip
        radians = parse_angle(text, name) % (2 * math.pi)
        if split and not get_split("EqPushT-v1", split).contains(radians):
            where = "in the training slice [0deg, 90deg)" if split == "slice" else "outside the slice [0deg, 90deg)"
            raise ValueError(f"{name}: {text} is not {where}")
        out.append(radians)
    return tuple(out)


_BARE_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """The environment showcase: a scripted pusher at slice and held-out orientations, gym-pusht's PushT solved
    at four by the contact planner (a privileged oracle: it plans with gym-pusht's own simulator), and the SE(3)
    ladder."""

    task: Literal["push", "pose", "pusht"] = "push"
    """EqPushT-v1 task."""
    seed: int = 0
    """Episode seed (same canonical episode at every orientation)."""
    slice_angles: tuple[str, ...] = ("0deg", "30deg", "60deg")
    """Orientations in the training slice [0deg, 90deg), with their unit (e.g. 30deg, 0.5rad)."""
    heldout_angles: tuple[str, ...] = ("90deg", "150deg", "210deg", "270deg", "330deg")
    """Held-out orientations (outside the slice), with their unit."""
    steps: int = 120
    """Episode length cap (the env's own limit is 300)."""
    tile: int = 256
    """Side of each mosaic tile in px (a multiple of 16)."""
    gif_tile: int = 128
    """Tile side of the small GIFs for the README (0: no GIF)."""
    pusht_angles: tuple[str, ...] = ("0deg", "45deg", "150deg", "270deg")
    """Orientations (with their unit) of the PushT showcase: the contact planner, a privileged oracle, on
    gym-pusht's task (empty: skip it)."""
    pusht_seed: int = 0
    """Reset seed of the PushT showcase (gym-pusht's random start)."""
    steps_3d: int = 60
    """Steps of the EqPushT3D-v1 ladder showcase (0: skip it)."""
    out: str = "videos"
    """Output folder."""

    def __post_init__(self) -> None:
        _positive(self, "steps", "tile")
        _non_negative(self, "gif_tile", "steps_3d")
        if self.tile % 16:
            raise ValueError(f"tile: must be a multiple of 16 px, got {self.tile}")
        if self.gif_tile % 16:
            raise ValueError(f"gif_tile: must be 0 (no GIF) or a multiple of 16 px, got {self.gif_tile}")
        self.slice_rad, self.heldout_rad, self.pusht_rad  # noqa: B018  (validates the angles)
        if not self.slice_angles and not self.heldout_angles:
            raise ValueError("slice_angles, heldout_angles: give at least one orientation")
        check_output_folder(self.out, "out")

    @property
    def slice_rad(self) -> tuple[float, ...]:
        """``slice_angles`` in radians, each checked to lie in the slice."""
        return _angles(self.slice_angles, "slice_angles", "slice")

    @property
    def heldout_rad(self) -> tuple[float, ...]:
        """``heldout_angles`` in radians, each checked to lie outside the slice."""
        return _angles(self.heldout_angles, "heldout_angles", "heldout")

    @property
    def pusht_rad(self) -> tuple[float, ...]:
        """``pusht_angles`` in radians in [0, 2 pi)."""
        return _angles(self.pusht_angles, "pusht_angles")


@dataclass(frozen=True, kw_only=True)
class PlanSpeedConfig:
    """Planning speed: ms per MPPI plan against the matmul floor, threads idle and busy, batched evaluation."""

    repeats: int = 10
    """Timed repeats per figure (the median is reported)."""
    compile: bool = True
    """Also measure the plan with torch.compile of the rollout (~40 s of compilation once)."""
    orientations: int = 6
    """Orientations of the batched-evaluation measurement."""
    thread_counts: tuple[int, ...] = (1, 2)
    """torch thread counts to measure, each on an idle machine and beside a busy process."""
    batches: tuple[int, ...] = (1, 18)
    """Observations planned for at once in the thread measurements (eqbench: 17 orientations + the identity)."""
    busy: bool = True
    """Also measure beside one CPU-bound process (a busy machine)."""

    def __post_init__(self) -> None:
        _positive(self, "repeats", "orientations")
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
        _positive(self, "repeats", "epochs")
        _non_negative(self, "seeds")
        if self.json is not None:
            check_output_path(self.json, ".json", "json")


@dataclass(frozen=True, kw_only=True)
class CompareConfig:
    """One table of finished eqbench runs; runs of one agent label with several seeds are aggregated."""

    folders: tyro.conf.Positional[Annotated[tuple[str, ...], tyro.conf.arg(metavar="FOLDER...")]]
    """Benchmark output folders (their --out), one or more."""
    reps: int = 2000
    """Bootstrap resamples of the across-seed intervals."""

    def __post_init__(self) -> None:
        if not self.folders:
            raise ValueError("folders: give at least one benchmark folder")
        _positive(self, "reps")


@dataclass(frozen=True)
class CurvesConfig:
    """Learning curves of `sb3` runs: evaluation success on the slice and held out against training steps."""

    models: tyro.conf.Positional[tuple[Path, ...]]
    """Trained models (.zip); their logs are read from <model minus .zip>.logs/progress.csv (`sb3`), else from an
    SB3 EvalCallback's evaluations.npz beside the model (rl_zoo3's runs)."""
    threshold: float = 0.9
    """The table reports the first evaluation at or above this success rate."""
    out: Path | None = None
    """Also plot the curves to this .png file."""

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("models: give at least one trained .zip")
        from agents.sb3 import curve_logs

        for model in self.models:
            curve_logs(model)
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold: must lie in (0, 1], got {self.threshold}")
        if self.out is not None:
            check_output_path(self.out, ".png", "out")


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


# --------------------------------------------------------------------------- the any-agent benchmark
def _check_task_seeds(task_set: str, seed: int, tasks: int) -> None:
    """The run's tasks must stay inside their seed range (``agents.seeds``): test and validation never meet."""
    from agents.seeds import MAX_BENCH_SEED, MAX_BENCH_TASKS

    if task_set not in ("test", "validation"):
        raise ValueError(f"task_set: expected test or validation, got {task_set!r}")
    if tasks > MAX_BENCH_TASKS:
        raise ValueError(f"tasks: at most {MAX_BENCH_TASKS} (task k of seed s is env seed s*1000 + k), got {tasks}")
    if seed > MAX_BENCH_SEED:
        raise ValueError(f"seed: at most {MAX_BENCH_SEED}, so the {task_set} tasks stay in their range, got {seed}")


def _check_task(task: str | None, env_kwargs: dict[str, Any], env: str) -> None:
    """``--task`` must be a task of ``env`` and agree with a task in ``--env-kwargs``."""
    if task is None:
        return
    if task not in TASKS:
        raise ValueError(f"task: {task!r} is not one of {TASKS}")
    if env.startswith("EqPushT3D") and task == "pusht":
        raise ValueError(f"task: 'pusht' exists in EqPushT only, not {env}")
    if "task" in env_kwargs and env_kwargs["task"] != task:
        raise ValueError(f"task: --task {task} and --env-kwargs' task {env_kwargs['task']!r} disagree; give one")


@dataclass(frozen=True, kw_only=True)
class BenchConfig(Workers):
    """eqbench: run any agent over orientations on paired tasks; rows, summary with intervals, plot, videos."""

    env: EnvId = "EqPushT-v1"
    """Environment id."""
    task: Literal["push", "pose", "pusht"] | None = None
    """The task (pusht: EqPushT only); None: the env's own default, as gym.make's (EqPushT: pusht, gym-pusht's
    task; EqPushT3D: push). The same as --env-kwargs '{"task": ...}'."""
    env_kwargs: JsonObject = field(default_factory=dict)
    """Environment kwargs as JSON, merged over the defaults (the env's own task), e.g. {"orientation_mode":
    "physics"}."""
    agent: str = "scripted"
    """Agent spec: planner:<ckpt.pt or name>[,k=v], sb3:<algo>:<zip>[,dtype=float64], bc:<policy.pt>[,dtype=float64],
    callable:<module or file.py>:<function>, scripted, random, contact[:plain] (EqPushT's contact planner: a
    privileged oracle that plans with gym-pusht's own simulator)."""
    label: str = ""
    """Name of the agent in tables and file names; empty: the spec (contact: "contact (oracle)")."""
    orientations: str = "slice,heldout"
    """Comma-separated split names (their grids; 3D also "ladder"), angles with a unit (90deg, 1.571rad) and/or the
    JSON of a group element (element.to_json())."""
    per_split: int = 0
    """Orientations per split (0: the split's default grid)."""
    tasks: int = 32
    """K paired base tasks (env reset seeds seed*1000 + k), the same at every orientation; 32 gives success
    intervals about +-0.15 wide around 0.5 (Wilson)."""
    seed: int = 0
    """Seeds the base tasks and the agent."""
    task_set: Literal["test", "validation"] = "test"
    """test: env seeds seed*1000 + k (every table); validation: 10^8 + seed*1000 + k, for tuning (agents.seeds)."""
    max_steps: int = 100
    """Episode length cap."""
    videos: int = 1
    """Record the first N tasks (0: none)."""
    video_dir: str = ""
    """Folder for the videos; empty: <out>/videos."""
    out: str = "runs/bench"
    """Folder for rows, summary, plot (and videos)."""
    batched: bool = True
    """Step all orientations of a task together (and plan them in one batch)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.env_kwargs, dict):
            raise ValueError(f"env_kwargs: expected a JSON object (a dict), got {self.env_kwargs!r}")
        if "orientation" in self.env_kwargs:
            raise ValueError("env_kwargs: 'orientation' is set by --orientations, not by the env kwargs")
        if "max_episode_steps" in self.env_kwargs:
            raise ValueError("env_kwargs: 'max_episode_steps' is set by --max-steps")
        _check_task(self.task, self.env_kwargs, self.env)
        _positive(self, "tasks", "max_steps")
        _non_negative(self, "videos", "per_split", "seed")
        _check_task_seeds(self.task_set, self.seed, self.tasks)
        if not isinstance(self.agent, str) or not self.agent:
            raise ValueError(f"agent: expected a spec string, got {self.agent!r}")
        check_output_folder(self.out, "out")
        check_output_folder(self.videos_folder, "video_dir")

    @property
    def name(self) -> str:
        """The agent's name in tables and files: the label, else the spec; the contact planner's spec says that it
        is an oracle (it plans with gym-pusht's own simulator)."""
        if self.label:
            return self.label
        return f"{self.agent} (oracle)" if self.agent.partition(":")[0] == "contact" else self.agent

    @property
    def merged_env_kwargs(self) -> dict[str, Any]:
        """The env kwargs the run uses: the defaults with ``env_kwargs`` and ``task`` on top."""
        return {**BENCH_ENV_DEFAULTS.get(self.env, {}), **self.env_kwargs, **({"task": self.task} if self.task else {})}

    @property
    def videos_folder(self) -> Path:
        """Where the videos go: ``video_dir``, else ``<out>/videos``."""
        return Path(self.video_dir) if self.video_dir else Path(self.out) / "videos"


@dataclass(frozen=True, kw_only=True)
class SweepConfig(Workers):
    """A sweep: eqbench for every agent x seed, all tasks on one pool of workers, then the comparison over seeds."""

    agents: tuple[str, ...]
    """Agent specs as for eqbench; {seed} in a spec is replaced by each seed (a model per training seed, e.g.
    sb3:ppo:runs/sb3/ppo_s{seed}.zip); a spec without {seed} is run with each seed as its benchmark seed."""
    labels: tuple[str, ...] = ()
    """A label per agent (default: its spec)."""
    seeds: tuple[int, ...] = (0,)
    """Seeds."""
    env: EnvId = "EqPushT-v1"
    """Environment id."""
    task: Literal["push", "pose", "pusht"] | None = None
    """As for eqbench (None: the env's own default task)."""
    env_kwargs: JsonObject = field(default_factory=dict)
    """Environment kwargs as JSON, merged over the defaults (the env's own task)."""
    orientations: str = "slice,heldout"
    """As for eqbench."""
    per_split: int = 0
    """Orientations per split (0: the split's default grid)."""
    tasks: int = 32
    """Paired base tasks per run."""
    max_steps: int = 100
    """Episode length cap."""
    task_set: Literal["test", "validation"] = "test"
    """As for eqbench: test tasks (tables) or validation tasks (tuning)."""
    videos: int = 0
    """Record the first N tasks of every run."""
    out: str = "runs/sweep"
    """Folder: one eqbench folder per agent and seed (<label>_s<seed>), and compare.txt."""
    reps: int = 2000
    """Bootstrap resamples of the comparison."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.agents or not all(isinstance(a, str) and a for a in self.agents):
            raise ValueError(f"agents: give at least one agent spec, got {self.agents!r}")
        if self.labels and len(self.labels) != len(self.agents):
            raise ValueError(f"labels: {len(self.labels)} labels for {len(self.agents)} agents")
        if not self.seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ValueError(f"seeds: expected integers >= 0, got {self.seeds!r}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds: {self.seeds!r} repeats a seed")
        _positive(self, "reps")
        _check_task(self.task, self.env_kwargs, self.env)
        check_output_folder(self.out, "out")

    def runs(self) -> list[BenchConfig]:
        """The eqbench run of every agent and seed (validated like eqbench's own flags)."""
        configs = []
        labels = self.labels or self.agents
        for spec, label in zip(self.agents, labels, strict=True):
            slug = "".join(c if c.isalnum() or c in "-." else "_" for c in label.replace("{seed}", "")).strip("_")
            for seed in self.seeds:
                configs.append(BenchConfig(
                    env=self.env, task=self.task, env_kwargs=self.env_kwargs, agent=spec.replace("{seed}", str(seed)),
                    label=label,
                    orientations=self.orientations, per_split=self.per_split, tasks=self.tasks,
                    seed=0 if "{seed}" in spec else seed, task_set=self.task_set, max_steps=self.max_steps,
                    videos=self.videos,
                    out=str(Path(self.out) / f"{slug}_s{seed}"), threads=self.threads,
                    workers=self.workers, ray=self.ray,
                ))  # fmt: skip
        folders = [c.out for c in configs]
        if len(set(folders)) != len(folders):
            raise ValueError("labels: two agents share a label; give --labels")
        return configs


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
        _positive(self, "tasks", "max_steps", "workers", "noop_jobs")
        if not self.nodes or any(n < 1 for n in self.nodes) or any(n < 1 for n in self.study):
            raise ValueError(f"nodes/study: must be positive integers, got {self.nodes} / {self.study}")
        check_output_folder(self.out, "out")
