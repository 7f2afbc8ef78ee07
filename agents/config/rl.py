"""Configs of model-free RL: training with stable-baselines3 (``sb3``) and learning curves (``curves``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tyro

from agents.config.common import EnvId, Workers, non_negative, positive
from eqenvs.files import check_output_path, existing_file


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
        positive(self, "eval_episodes")
        positive(self, *(n for n in ("steps", "n_envs", "max_episode_steps") if getattr(self, n) is not None))
        non_negative(self, "eval_freq")
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
        for model in self.models:
            curve_logs(model)
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold: must lie in (0, 1], got {self.threshold}")
        if self.out is not None:
            check_output_path(self.out, ".png", "out")


def curve_logs(model: str | Path) -> Path:
    """Where a model's evaluations are: ``<model minus .zip>.logs/progress.csv`` (``python -m agents sb3``), else
    ``evaluations.npz`` beside it (an SB3 ``EvalCallback``'s, as rl-baselines3-zoo writes it), else a ValueError."""
    model = Path(model)
    progress, evaluations = model.with_suffix(".logs") / "progress.csv", model.parent / "evaluations.npz"
    for path in (progress, evaluations):
        if path.is_file():
            return path
    raise ValueError(f"models: {str(model)!r} has no learning-curve logs: neither {str(progress)!r} (from `python -m "
                     f"agents sb3`) nor {str(evaluations)!r} (an SB3 EvalCallback's, as rl_zoo3 writes beside its "
                     "model) exists")  # fmt: skip
