"""Tasks: how the physics' answers become reward, success and ``info``, shared by the 2D and 3D envs.

As in dm_control, physics queries and task logic live apart. A scene answers questions about its state
in a ``Measurement`` (the block's position and angle errors to the goal, and the goal coverage where the
scene computes one); a ``Task`` turns that measurement into the step's reward, its success flag (which
terminates the episode) and its ``info``. Every measured quantity is invariant under the group (a
distance, an angle between two frames, an area ratio), so every reward and success flag is too. A step
then reads "advance; observe; evaluate"::

    self._advance(action)
    obs = self._get_obs()
    reward, success, info = self.task.evaluate(self.measure())

Two kinds of task exist: ``PoseTask`` (bring the block within a position, and optionally an angle,
tolerance of a goal pose) and ``CoverageTask`` (gym-pusht's: cover the goal T). Each env module builds
its own ``TASKS`` table of instances, in its own length unit (px in 2D, m in 3D).

Two reward types, for every task (``REWARD_TYPES``):

* ``"dense"``: a per-step score in [0, 1] that grows as the block nears the goal (gym-pusht's
  ``clip(coverage / 0.95, 0, 1)`` for ``CoverageTask``). Success terminates the episode, so a policy that
  keeps the block just outside the tolerance until the time limit earns more than one that succeeds:
  under this reward hovering is optimal, and RL finds it. Kept for gym-pusht parity and for EqPushT-v0.
* ``"penalty"``: ``-(error + shaping * pusher distance / reward_distance) / 10`` before success and 0 on
  the success step, where ``error`` is the task's normalised error (``d / reward_distance`` plus, for a
  pose, ``e / reward_angle``; for coverage, ``1 - clip(coverage / 0.95, 0, 1)``) and the shaping term
  brings the pusher to the block. Every step before success costs something and success ends the
  cost, so reaching the goal sooner is always better: success is optimal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

__all__ = ["REWARD_TYPES", "CoverageTask", "Evaluation", "Measurement", "PoseTask", "Task", "select_task"]

REWARD_TYPES = ("dense", "penalty")
PENALTY_SCALE = 10.0
"""The penalty reward is divided by this, so a step costs about 0.1 at the start of a push."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the physics answers after a step: the task-relevant errors of the block, all group-invariant."""

    pos_error: float
    """Distance between the block's reference point and the goal's, in the env's length unit."""
    angle_error: float
    """Angle (rad, in [0, pi]) between the block's heading (2D) or frame (3D) and the goal's."""
    coverage: float | None = None
    """Fraction of the goal shape covered by the block, where the scene computes it (2D); else None."""
    pusher_distance: float | None = None
    """Distance between the pusher and the block's centre of mass (the penalty reward's shaping term)."""


class Evaluation(NamedTuple):
    """A task's verdict on one measurement."""

    reward: float
    success: bool
    info: dict[str, Any]


@dataclass(frozen=True)
class Task:
    """A canonical task: a goal pose and the rules that turn a ``Measurement`` into reward and success.

    Subclasses define ``success``, ``dense_reward`` and ``error``; the reward types, ``info`` and
    ``evaluate`` are shared. The goal is given in the canonical scene (orientation g moves it with
    everything else). An env picks the reward type with ``dataclasses.replace(task, reward_type=...)``.
    """

    name: str
    goal: tuple[float, float, float]
    """Canonical goal pose (x, y, heading) in the env's length unit and radians (which point of the block
    (x, y) refers to is the env's choice: gym-pusht's body origin in 2D, the centre of mass in 3D)."""
    unit: str
    """The env's length unit ("px" or "m"): ``info`` reports the position error as ``pos_error_<unit>``."""
    description: str
    reward_type: str = field(default="dense", kw_only=True)
    """``"dense"`` or ``"penalty"`` (the module docstring says which makes success optimal)."""
    reward_distance: float = field(default=60.0, kw_only=True)
    """Length scale of the rewards, in the env's unit."""
    shaping: float = field(default=0.2, kw_only=True)
    """Weight of the pusher-to-block distance in the penalty reward."""

    def __post_init__(self) -> None:
        if self.reward_type not in REWARD_TYPES:
            raise ValueError(f"reward_type: {self.reward_type!r} is not one of {REWARD_TYPES}")

    def success(self, m: Measurement) -> bool:
        raise NotImplementedError

    def dense_reward(self, m: Measurement) -> float:
        raise NotImplementedError

    def error(self, m: Measurement) -> float:
        """The task's normalised error (0 at the goal; about 1 at the start), read by the penalty reward."""
        raise NotImplementedError

    def reward(self, m: Measurement, success: bool) -> float:
        """The step's reward under ``reward_type``."""
        if self.reward_type == "dense":
            return self.dense_reward(m)
        if success:
            return 0.0
        if m.pusher_distance is None:
            raise ValueError(f"m: the penalty reward of task {self.name!r} needs the pusher distance")
        return -(self.error(m) + self.shaping * m.pusher_distance / self.reward_distance) / PENALTY_SCALE

    def info(self, m: Measurement, success: bool) -> dict[str, Any]:
        """``is_success``, ``coverage`` (where measured), ``pos_error_<unit>`` and ``angle_error_rad``."""
        info: dict[str, Any] = {"is_success": success}
        if m.coverage is not None:
            info["coverage"] = m.coverage
        info[f"pos_error_{self.unit}"] = m.pos_error
        info["angle_error_rad"] = m.angle_error
        return info

    def evaluate(self, m: Measurement) -> Evaluation:
        """Reward, success and info of one step."""
        success = self.success(m)
        return Evaluation(self.reward(m, success), success, self.info(m, success))


@dataclass(frozen=True)
class PoseTask(Task):
    """Bring the block within ``pos_tolerance`` of the goal position (and ``angle_tolerance`` of its heading).

    Dense reward: ``1 - min(d / reward_distance, 1)`` for a position error ``d``; with an angle tolerance,
    the mean of that and ``1 - e / pi`` for an angle error ``e``. Error (for the penalty reward):
    ``d / reward_distance``, plus ``e / reward_angle`` with an angle tolerance.
    """

    pos_tolerance: float
    angle_tolerance: float | None
    """None: any heading succeeds (and the reward ignores the angle)."""
    reward_angle: float = field(default=math.pi / 6, kw_only=True)
    """Angle scale (rad) of the penalty reward's heading term."""

    def success(self, m: Measurement) -> bool:
        return m.pos_error <= self.pos_tolerance and (
            self.angle_tolerance is None or m.angle_error <= self.angle_tolerance
        )

    def dense_reward(self, m: Measurement) -> float:
        reward = 1.0 - min(m.pos_error / self.reward_distance, 1.0)
        if self.angle_tolerance is not None:
            reward = 0.5 * reward + 0.5 * (1.0 - m.angle_error / math.pi)
        return reward

    def error(self, m: Measurement) -> float:
        error = m.pos_error / self.reward_distance
        if self.angle_tolerance is not None:
            error += m.angle_error / self.reward_angle
        return error


@dataclass(frozen=True)
class CoverageTask(Task):
    """gym-pusht's task: cover the goal shape. Success: coverage > ``success_coverage``; dense reward:
    ``clip(coverage / success_coverage, 0, 1)`` (gym-pusht's formula); error: one minus that."""

    success_coverage: float = 0.95

    def success(self, m: Measurement) -> bool:
        return self._coverage(m) > self.success_coverage

    def dense_reward(self, m: Measurement) -> float:
        return float(np.clip(self._coverage(m) / self.success_coverage, 0.0, 1.0))

    def error(self, m: Measurement) -> float:
        return 1.0 - self.dense_reward(m)

    def _coverage(self, m: Measurement) -> float:
        if m.coverage is None:
            raise ValueError(f"m: task {self.name!r} needs a measured coverage; this scene measures none")
        return m.coverage


def default_reward_type(task: Task) -> str:
    """The reward a task gets when the env is not told: ``"penalty"`` (success optimal), except gym-pusht's
    own coverage task, whose default stays gym-pusht's ``"dense"`` reward bit for bit (the parity contract)."""
    return "dense" if isinstance(task, CoverageTask) else "penalty"


def select_task(tasks: dict[str, Task], name: Any, reward_type: Any = None) -> Task:
    """``tasks[name]`` with its reward type set (None: ``default_reward_type``); a clear error for bad names."""
    if not isinstance(name, str) or name not in tasks:
        raise ValueError(f"task: {name!r} is not one of {tuple(tasks)}")
    task = tasks[name]
    if reward_type is None:
        reward_type = default_reward_type(task)
    if not isinstance(reward_type, str) or reward_type not in REWARD_TYPES:
        raise ValueError(f"reward_type: {reward_type!r} is not one of {REWARD_TYPES} (or None: the task's default)")
    return replace(task, reward_type=reward_type)
