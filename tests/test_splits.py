"""eqenvs.splits: the slice, held-out and full orientation sets of the 2D groups."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest

import eqenvs
from eqenvs.groups import SE2, SO2
from eqenvs.splits import get_split, group_of, orientations


def degrees(elements):
    return [math.degrees(g.angle) % 360 for g in elements]


def test_default_grids():
    assert degrees(orientations("EqPushT-v1", "slice")) == pytest.approx([11.25 * k for k in range(8)])
    assert degrees(orientations("EqPushT-v1", "heldout")) == pytest.approx([90 + 30 * k for k in range(9)])
    assert degrees(orientations("EqPushT-v1", "full")) == pytest.approx([30 * k for k in range(12)])
    held = degrees(orientations("eqenvs:EqPushT-v1", "heldout"))
    for required in (90, 150, 210, 270):
        assert min(abs(d - required) for d in held) < 1e-9
    assert all(isinstance(g, SE2) for g in orientations("EqPushT-v1", "slice"))
    assert all(isinstance(g, SO2) for g in orientations("SO2", "slice", n=3))


@pytest.mark.filterwarnings("ignore:.*more than a full turn:UserWarning")  # angles over several turns, on purpose
def test_splits_are_deterministic_and_partition_the_circle():
    assert orientations("SE2", "slice", n=5) == orientations("SE2", "slice", n=5)
    slice_, heldout, full = (get_split("SE2", name) for name in ("slice", "heldout", "full"))
    angles = np.random.default_rng(0).uniform(-4 * math.pi, 4 * math.pi, 2000)
    for angle in angles:
        g = SE2.from_angle(angle)
        assert slice_.contains(g) != heldout.contains(g)
        assert full.contains(g)
    assert slice_.contains(0.0) and not slice_.contains(math.pi / 2) and heldout.contains(math.pi / 2)
    assert not any(heldout.contains(g) for g in orientations("SE2", "slice", n=64))
    assert not any(slice_.contains(g) for g in orientations("SE2", "heldout", n=64))


def test_sampling_stays_in_the_split_and_covers_it():
    rng = np.random.default_rng(1)
    for name, lo, hi in (("slice", 0, 90), ("heldout", 90, 360)):
        split = get_split("SE2", name)
        draws = degrees([split.sample(rng) for _ in range(500)])
        assert all(lo <= d < hi for d in draws)
        assert min(draws) < lo + 5 and max(draws) > hi - 5


def test_group_lookup_and_errors():
    env = gym.make("EqPushT-v1")
    assert group_of(env) is SE2 and group_of("EqPushT-v1") is SE2 and group_of(eqenvs.SO2) is SO2
    with pytest.raises(ValueError, match="split: 'train'"):
        orientations("EqPushT-v1", "train")
    with pytest.raises(ValueError, match="env_or_group"):
        orientations("CartPole-v1", "slice")
    with pytest.raises(ValueError, match="n: must be a positive integer"):
        orientations("EqPushT-v1", "slice", n=0)
    with pytest.raises(ValueError, match="env_or_group"):
        group_of(gym.make("CartPole-v1"))


def test_every_registered_id_has_its_envs_group():
    """v0 (the dense reward) was once missing here, so `report --env EqPushT-v0` failed at collection."""
    ids = [name for name in gym.registry if name.startswith("EqPushT")]
    assert sorted(ids) == ["EqPushT-v0", "EqPushT-v1", "EqPushT3D-v0", "EqPushT3D-v1"]
    for name in ids:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            env = gym.make(name)
        assert group_of(name) is group_of(env) is type(env.unwrapped.symmetry.group.identity())
        assert len(orientations(name, "slice")) > 0
        env.close()
