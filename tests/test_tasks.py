"""eqenvs.tasks: one task object for the 2D and 3D envs turns the physics' answers into reward, success and info."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401  (registers the ids)
from eqenvs import pusht, pusht3d
from eqenvs.tasks import CoverageTask, Evaluation, Measurement, PoseTask, Task


def test_both_envs_build_their_tasks_from_the_shared_classes():
    assert {name: type(t) for name, t in pusht.TASKS.items()} == {"pusht": CoverageTask, "push": PoseTask,
                                                                   "pose": PoseTask}  # fmt: skip
    assert {name: type(t) for name, t in pusht3d.TASKS.items()} == {"push": PoseTask, "pose": PoseTask}
    assert all(t.unit == "px" for t in pusht.TASKS.values()) and all(t.unit == "m" for t in pusht3d.TASKS.values())
    assert not hasattr(pusht, "TaskSpec") and not hasattr(pusht3d, "TaskSpec")
    assert not hasattr(pusht, "_parse_state")  # one reset-state parser: the scene's method


def test_pose_task_reward_success_and_info_with_numbers():
    push, pose = pusht.TASKS["push"], pusht.TASKS["pose"]
    m = Measurement(pos_error=15.0, angle_error=0.5, coverage=0.25)
    assert push.evaluate(m) == Evaluation(0.75, True, {"is_success": True, "coverage": 0.25, "pos_error_px": 15.0,
                                                       "angle_error_rad": 0.5})  # fmt: skip
    # pose: within 24 px but 0.5 rad > 15 degrees off; reward = mean of 0.75 and 1 - 0.5 / pi
    reward, success, _ = pose.evaluate(m)
    assert reward == 0.5 * 0.75 + 0.5 * (1.0 - 0.5 / math.pi) and success is False
    assert pose.evaluate(Measurement(24.0, math.pi / 12, 0.0)).success is True  # tolerances are inclusive
    assert push.evaluate(Measurement(24.0 + 1e-9, 0.0, 0.0)).success is False
    assert push.reward(Measurement(90.0, 0.0)) == 0.0  # the position reward bottoms out at 60 px
    metres = pusht3d.TASKS["pose"].evaluate(Measurement(0.012, 0.1))
    assert metres.info == {"is_success": True, "pos_error_m": 0.012, "angle_error_rad": 0.1}  # no coverage in 3D
    assert metres.reward == 0.5 * (1.0 - 0.012 / 0.06) + 0.5 * (1.0 - 0.1 / math.pi)


def test_coverage_task_is_gym_pushts_formula():
    task = pusht.TASKS["pusht"]
    assert task.evaluate(Measurement(3.0, 0.1, 0.475)) == Evaluation(
        0.5, False, {"is_success": False, "coverage": 0.475, "pos_error_px": 3.0, "angle_error_rad": 0.1}
    )
    assert task.evaluate(Measurement(0.0, 0.0, 0.95)).success is False  # strictly more than 95 %
    assert task.evaluate(Measurement(0.0, 0.0, 0.96)) == (1.0, True, task.info(Measurement(0.0, 0.0, 0.96), True))
    with pytest.raises(ValueError, match="m: task 'pusht' needs a measured coverage"):
        task.evaluate(Measurement(0.0, 0.0))


def test_the_base_task_defines_no_rule():
    task = Task("custom", (0.0, 0.0, 0.0), "px", "a task without rules")
    with pytest.raises(NotImplementedError):
        task.evaluate(Measurement(1.0, 0.0))


@pytest.mark.parametrize(("env_id", "task"), [("EqPushT-v0", t) for t in pusht.TASKS] + [
    ("EqPushT3D-v0", t) for t in pusht3d.TASKS])  # fmt: skip
def test_every_step_is_the_tasks_evaluation_of_the_scenes_measurement(env_id, task):
    env = gym.make(env_id, task=task, orientation=0.7)
    scene = env.unwrapped.scene
    _, info = env.reset(seed=0)
    assert info == {**scene.task.info(scene.measure(), False), "orientation": env.unwrapped.orientation}
    rng = np.random.default_rng(0)
    for _ in range(30):
        _, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, env.action_space.shape))
        expected = scene.task.evaluate(scene.measure())
        assert (reward, terminated, info) == (expected.reward, expected.success, expected.info) and not truncated
        assert type(reward) is float and type(terminated) is bool
