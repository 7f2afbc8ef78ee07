"""Configs of the any-agent benchmark: eqbench (``BenchConfig``), sweeps, comparisons and the results page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

from agents.config.common import EnvId, JsonObject, Workers, non_negative, positive
from eqenvs.files import check_output_folder

BENCH_ENV_DEFAULTS: dict[str, dict[str, Any]] = {
    f"{name}-v{version}": {"task": task} for name, task in (("EqPushT", "pusht"), ("EqPushT3D", "push"))
    for version in (0, 1)
}  # fmt: skip
"""What eqbench and sweep run unless ``--task`` or ``--env-kwargs`` says otherwise: the env's own default task
(``gym.make``'s: EqPushT gym-pusht's ``pusht``, EqPushT3D ``push``), written out so every summary names its
task (merged: a given key wins, the rest stay)."""
TASKS = ("push", "pose", "pusht")


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
    primitive:<push model .pt or name>[,dtype=float64] (PushT: a learned push model searched over push primitives),
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
        positive(self, "tasks", "max_steps")
        non_negative(self, "videos", "per_split", "seed")
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
    """Folder: one eqbench folder per agent and seed (<label>_s<seed>), compare.txt and the results page."""
    reps: int = 2000
    """Bootstrap resamples of the comparison."""
    page: bool = True
    """Also write the results page of every run to <out>/page/index.html (python -m agents page)."""

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
        positive(self, "reps")
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
class CompareConfig:
    """One table of finished eqbench runs; runs of one agent label with several seeds are aggregated."""

    folders: tyro.conf.Positional[Annotated[tuple[str, ...], tyro.conf.arg(metavar="FOLDER...")]]
    """Benchmark output folders (their --out), one or more."""
    reps: int = 2000
    """Bootstrap resamples of the across-seed intervals."""
    page: str = ""
    """Also write the results page of these runs to this folder (as python -m agents page FOLDER... --out PAGE)."""

    def __post_init__(self) -> None:
        if not self.folders:
            raise ValueError("folders: give at least one benchmark folder")
        positive(self, "reps")


@dataclass(frozen=True, kw_only=True)
class PageConfig:
    """The results page: finished eqbench runs as one static page (index.html and its assets; opens from disk,
    fetches nothing): the comparison table, success by orientation, paired differences and exactness, every task's
    videos at every orientation in sync, and each run's provenance."""

    folders: tyro.conf.Positional[Annotated[tuple[str, ...], tyro.conf.arg(metavar="RUN...")]]
    """Benchmark output folders (their --out), one or more."""
    out: str = "runs/page"
    """Folder of the page: index.html, and page/ with its assets and copies of the runs' videos."""
    title: str = ""
    """The page's title; empty: the runs' labels."""
    video_tasks: int = 4
    """Show the videos of the first N recorded tasks (0: none)."""
    reps: int = 2000
    """Bootstrap resamples of the across-seed intervals (as compare's)."""

    def __post_init__(self) -> None:
        if not self.folders:
            raise ValueError("folders: give at least one benchmark folder")
        positive(self, "reps")
        non_negative(self, "video_tasks")
        # the folders and out are checked by the page writer, before it writes anything: a missing summary or an
        # out that is a file is one line, "error: <argument>: <fault>", like any fault of the files
