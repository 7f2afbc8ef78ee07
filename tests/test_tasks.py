"""eqenvs.tasks: one task object for the 2D and 3D envs turns the physics' answers into reward, success and info."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401  (registers the ids)
from eqenvs import pusht, pusht3d
from eqenvs.experts.scripted import ScriptedPusher
from eqenvs.tasks import REWARD_TYPES, CoverageTask, Evaluation, Measurement, PoseTask, Task, select_task


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
    assert push.dense_reward(Measurement(90.0, 0.0)) == 0.0  # the position reward bottoms out at 60 px
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
    for reward_type in REWARD_TYPES:
        task = Task("custom", (0.0, 0.0, 0.0), "px", "a task without rules", reward_type=reward_type)
        with pytest.raises(NotImplementedError):
            task.evaluate(Measurement(1.0, 0.0, None, 1.0))


@pytest.mark.parametrize(("env_id", "task"), [("EqPushT-v1", t) for t in pusht.TASKS] + [
    ("EqPushT3D-v1", t) for t in pusht3d.TASKS])  # fmt: skip
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


# ------------------------------------------------------------------ reward types: is success optimal?
def _goal_state(env_id: str, task: str, offset: float) -> np.ndarray:
    """A reset state with the block at the goal pose shifted by ``offset`` (px or m) along x, at rest,
    and the pusher well away from it."""
    if env_id.startswith("EqPushT3D"):
        x, y, yaw = pusht3d.TASKS[task].goal
        c, s = math.cos(yaw), math.sin(yaw)
        return np.array([-0.12, 0.12, pusht3d.PUSHER_HEIGHT_M, x + offset, y, pusht3d.BLOCK_REST_Z,
                         c, s, 0.0, -s, c, 0.0])  # fmt: skip
    x, y, angle = pusht.TASKS[task].goal
    return np.array([100.0, 450.0, x + offset, y, angle])


def _episode_return(env: gym.Env, state: np.ndarray) -> tuple[float, int, bool]:
    """Hold the pusher still from ``state`` until the episode ends: (return, steps, ended in success)."""
    env.reset(seed=0, options={"state": state})
    total, steps, zero = 0.0, 0, np.zeros(env.action_space.shape, env.action_space.dtype)
    while True:
        _, reward, terminated, truncated, info = env.step(zero)
        total, steps = total + reward, steps + 1
        if terminated or truncated:
            return total, steps, bool(info["is_success"])


# the offsets place the block just inside and just outside the position tolerance (push, pose: 24 px /
# 24 mm) or the coverage threshold (pusht: 0.95; 6 px off the goal covers about 0.9 of it)
OFFSETS = {"push": (20.0, 28.0), "pose": (20.0, 28.0), "pusht": (0.0, 6.0)}
REWARD_CASES = [(env_id, task, reward_type)
                for env_id, tasks in (("EqPushT-v1", pusht.TASKS), ("EqPushT3D-v1", pusht3d.TASKS))
                for task in tasks for reward_type in REWARD_TYPES]  # fmt: skip


@pytest.mark.parametrize(("env_id", "task", "reward_type"), REWARD_CASES)
def test_penalty_rewards_make_success_optimal_and_dense_ones_pay_for_hovering(env_id, task, reward_type):
    """The episode that succeeds at once must out-earn the one that hovers just outside the tolerance until
    the time limit: true of every "penalty" reward, false of every "dense" one (the flaw issue 10 found)."""
    scale = 1e-3 if env_id.startswith("EqPushT3D") else 1.0  # px -> m
    inside, outside = (scale * o for o in OFFSETS[task])
    env = gym.make(env_id, task=task, reward_type=reward_type)  # the rewards are invariant (tested above)
    success_return, success_steps, succeeded = _episode_return(env, _goal_state(env_id, task, inside))
    hover_return, hover_steps, hovered = _episode_return(env, _goal_state(env_id, task, outside))
    assert succeeded and success_steps == 1 and not hovered and hover_steps == env.spec.max_episode_steps
    if reward_type == "penalty":
        assert success_return == 0.0 and hover_return < -0.01 * hover_steps  # every hovering step costs
    else:
        assert hover_return > 50 * max(success_return, 0.01)  # hovering pays; success ends the income


def test_a_scripted_push_out_earns_hovering_under_the_penalty_reward():
    """Not just one step: a whole scripted push from the task's start distribution (29 steps) earns more
    than hovering just outside the tolerance, and less than that under the dense reward."""
    returns = {}
    for reward_type in REWARD_TYPES:
        env = gym.make("EqPushT-v1", task="push", reward_type=reward_type, orientation="70deg")
        obs, _ = env.reset(seed=0)
        policy, total, steps, done = ScriptedPusher(env.unwrapped.obs_layout), 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy.act(obs))
            total, steps, done = total + reward, steps + 1, terminated or truncated
        assert info["is_success"] and steps < 60
        hover, _, _ = _episode_return(env, _goal_state("EqPushT-v1", "push", 28.0))
        returns[reward_type] = (total, hover)
    assert returns["penalty"][0] > returns["penalty"][1] and returns["dense"][0] < returns["dense"][1]


def test_penalty_reward_with_numbers():
    push = select_task(pusht.TASKS, "push", "penalty")
    assert push.evaluate(Measurement(30.0, 0.5, None, 120.0)).reward == -(30 / 60 + 0.2 * 120 / 60) / 10
    assert push.evaluate(Measurement(20.0, 0.5, None, 120.0)).reward == 0.0  # success: the cost ends
    pose = select_task(pusht3d.TASKS, "pose", "penalty")
    assert pose.evaluate(Measurement(0.012, 0.5, None, 0.03)).reward == -(0.2 + 0.5 / (math.pi / 6) + 0.1) / 10
    cover = select_task(pusht.TASKS, "pusht", "penalty")
    assert cover.evaluate(Measurement(5.0, 0.1, 0.475, 60.0)).reward == -(0.5 + 0.2) / 10
    with pytest.raises(ValueError, match="needs the pusher distance"):
        push.evaluate(Measurement(30.0, 0.0))


def test_reward_defaults_by_version_and_bad_reward_types():
    """v1 defaults push/pose to the penalty reward and keeps gym-pusht's for pusht; v0 is dense everywhere."""
    defaults = {(env_id, task): gym.make(env_id, task=task).unwrapped.scene.task.reward_type
                for env_id in ("EqPushT-v0", "EqPushT-v1") for task in pusht.TASKS}  # fmt: skip
    assert defaults == {("EqPushT-v0", "pusht"): "dense", ("EqPushT-v0", "push"): "dense",
                        ("EqPushT-v0", "pose"): "dense", ("EqPushT-v1", "pusht"): "dense",
                        ("EqPushT-v1", "push"): "penalty", ("EqPushT-v1", "pose"): "penalty"}  # fmt: skip
    assert gym.make("EqPushT3D-v1").unwrapped.scene.task.reward_type == "penalty"
    assert gym.make("EqPushT3D-v0").unwrapped.scene.task.reward_type == "dense"
    for env_id in ("EqPushT-v1", "EqPushT3D-v1"):
        with pytest.raises(ValueError, match=r"reward_type: 'sparse' is not one of \('dense', 'penalty'\)"):
            gym.make(env_id, reward_type="sparse")
    with pytest.raises(ValueError, match="reward_type: 'x' is not one of"):
        PoseTask("p", (0.0, 0.0, 0.0), "px", "", 1.0, None, reward_type="x")


@pytest.mark.parametrize("name", ["EqPushT", "EqPushT3D"])
def test_v1_steps_exactly_as_v0_apart_from_the_reward(name):
    envs = [gym.make(f"{name}-v{v}", task="push", orientation="40deg") for v in (0, 1)]
    rng = np.random.default_rng(3)
    first = [env.reset(seed=5) for env in envs]
    np.testing.assert_array_equal(first[0][0], first[1][0])
    rewards = []
    for _ in range(40):
        action = rng.uniform(-1, 1, envs[0].action_space.shape)
        (o0, r0, t0, u0, i0), (o1, r1, t1, u1, i1) = (env.step(action) for env in envs)
        np.testing.assert_array_equal(o0, o1)
        assert (t0, u0, i0) == (t1, u1, i1)
        rewards.append((r0, r1))
    assert all(r0 > 0 > r1 for r0, r1 in rewards)  # dense vs penalty, both measured on the same states
