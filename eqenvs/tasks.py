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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

__all__ = ["CoverageTask", "Evaluation", "Measurement", "PoseTask", "Task"]


@dataclass(frozen=True, slots=True)
class Measurement:
    """What the physics answers after a step: the task-relevant errors of the block, all group-invariant."""

    pos_error: float
    """Distance between the block's reference point and the goal's, in the env's length unit."""
    angle_error: float
    """Angle (rad, in [0, pi]) between the block's heading (2D) or frame (3D) and the goal's."""
    coverage: float | None = None
    """Fraction of the goal shape covered by the block, where the scene computes it (2D); else None."""


class Evaluation(NamedTuple):
    """A task's verdict on one measurement."""

    reward: float
    success: bool
    info: dict[str, Any]


@dataclass(frozen=True)
class Task:
    """A canonical task: a goal pose and the rules that turn a ``Measurement`` into reward and success.

    Subclasses define ``success`` and ``reward``; ``info`` and ``evaluate`` are shared. The goal is given
    in the canonical scene (orientation g moves it with everything else).
    """

    name: str
    goal: tuple[float, float, float]
    """Canonical goal pose (x, y, heading) in the env's length unit and radians (which point of the block
    (x, y) refers to is the env's choice: gym-pusht's body origin in 2D, the centre of mass in 3D)."""
    unit: str
    """The env's length unit ("px" or "m"): ``info`` reports the position error as ``pos_error_<unit>``."""
    description: str

    def success(self, m: Measurement) -> bool:
        raise NotImplementedError

    def reward(self, m: Measurement) -> float:
        raise NotImplementedError

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
        return Evaluation(self.reward(m), success, self.info(m, success))


@dataclass(frozen=True)
class PoseTask(Task):
    """Bring the block within ``pos_tolerance`` of the goal position (and ``angle_tolerance`` of its heading).

    Reward: ``1 - min(d / reward_distance, 1)`` for a position error ``d``; with an angle tolerance, the mean
    of that and ``1 - e / pi`` for an angle error ``e``.
    """

    pos_tolerance: float
    angle_tolerance: float | None
    """None: any heading succeeds (and the reward ignores the angle)."""
    reward_distance: float
    """The position reward falls linearly from 1 to 0 as the error grows to this distance."""

    def success(self, m: Measurement) -> bool:
        return m.pos_error <= self.pos_tolerance and (
            self.angle_tolerance is None or m.angle_error <= self.angle_tolerance
        )

    def reward(self, m: Measurement) -> float:
        reward = 1.0 - min(m.pos_error / self.reward_distance, 1.0)
        if self.angle_tolerance is not None:
            reward = 0.5 * reward + 0.5 * (1.0 - m.angle_error / math.pi)
        return reward


@dataclass(frozen=True)
class CoverageTask(Task):
    """gym-pusht's task: cover the goal shape. Success: coverage > ``success_coverage``; reward:
    ``clip(coverage / success_coverage, 0, 1)`` (gym-pusht's formula)."""

    success_coverage: float = 0.95

    def success(self, m: Measurement) -> bool:
        return self._coverage(m) > self.success_coverage

    def reward(self, m: Measurement) -> float:
        return float(np.clip(self._coverage(m) / self.success_coverage, 0.0, 1.0))

    def _coverage(self, m: Measurement) -> float:
        if m.coverage is None:
            raise ValueError(f"m: task {self.name!r} needs a measured coverage; this scene measures none")
        return m.coverage
