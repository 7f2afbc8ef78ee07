"""eqenvs.splits in 3D: the yaw slice and held-out arcs, the SO(3) grid and the SE(3) ladder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eqenvs.groups import SE2, SE3, SO3
from eqenvs.splits import (
    LADDER_RUNGS,
    LADDER_TRANSLATION_SCALE,
    SPLITS_3D,
    get_split,
    group_of,
    ladder,
    orientations,
)

ENV = "EqPushT3D-v1"


def yaw_degrees(g):
    return math.degrees(math.atan2(g.rotation[1, 0], g.rotation[0, 0])) % 360


def is_yaw(g):
    return np.array_equal(g.rotation[:, 2], [0.0, 0.0, 1.0]) and np.array_equal(g.rotation[2], [0.0, 0.0, 1.0])


def geodesic(a, b):
    return math.acos(np.clip((np.trace(a.rotation.T @ b.rotation) - 1) / 2, -1.0, 1.0))


def test_the_env_group_is_se3_and_the_split_names():
    assert group_of(ENV) is SE3 and group_of("eqenvs:" + ENV) is SE3
    assert SPLITS_3D == ("slice", "heldout", "full", "ladder")


def test_slice_and_heldout_are_yaw_arcs_about_the_table_normal():
    slice_, heldout = orientations(ENV, "slice"), orientations(ENV, "heldout")
    assert [yaw_degrees(g) for g in slice_] == pytest.approx([11.25 * k for k in range(8)])
    assert [yaw_degrees(g) for g in heldout] == pytest.approx([90 + 30 * k for k in range(9)])
    assert all(isinstance(g, SE3) and is_yaw(g) and not np.any(g.translation) for g in slice_ + heldout)
    assert slice_[0].is_identity and heldout[0] == SE3.from_yaw(math.pi / 2)  # exact quarter turn
    assert heldout[0].rotation.tolist() == [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


@pytest.mark.filterwarnings("ignore:.*more than a full turn:UserWarning")  # angles over several turns, on purpose
def test_slice_and_heldout_partition_the_yaws_and_exclude_tilts():
    slice_, heldout = get_split(ENV, "slice"), get_split(ENV, "heldout")
    for angle in np.random.default_rng(0).uniform(-4 * math.pi, 4 * math.pi, 1000):
        g = SE3.from_yaw(angle)
        assert slice_.contains(g) != heldout.contains(g)
    assert slice_.contains(0.0) and slice_.contains(math.pi / 2 - 1e-9) and not slice_.contains(math.pi / 2)
    assert heldout.contains(math.pi / 2) and heldout.contains(-1e-9)
    tilted = SE3.sample(np.random.default_rng(1), 50)
    assert not any(slice_.contains(g) or heldout.contains(g) for g in tilted)
    assert get_split(ENV, "full").contains(tilted[0]) and get_split(ENV, "full").contains(0.3)
    assert slice_.contains(SE3(SE3.from_yaw(0.2).rotation, [0.1, 0.2, 0.3]))  # the rotation part decides


def test_sampling_3d_splits_for_sample_orientation():
    rng = np.random.default_rng(2)
    for name, lo, hi in (("slice", 0, 90), ("heldout", 90, 360)):
        split = get_split(ENV, name)
        draws = [split.sample(rng) for _ in range(400)]
        assert all(is_yaw(g) and split.contains(g) for g in draws)
        degrees = [yaw_degrees(g) for g in draws]
        assert min(degrees) < lo + 5 and max(degrees) > hi - 5
    full = get_split(ENV, "full")
    draws = [full.sample(rng) for _ in range(2000)]
    assert all(isinstance(g, SE3) and np.allclose(g.rotation.T @ g.rotation, np.eye(3), atol=1e-12) for g in draws)
    # Haar: the rotated table normal is uniform on the sphere, so its mean is ~0 and its z is uniform on [-1, 1]
    normals = np.array([g.rotation[:, 2] for g in draws])
    assert np.abs(normals.mean(0)).max() < 0.06 and np.mean(normals[:, 2] > 0.5) == pytest.approx(0.25, abs=0.03)


def test_full_is_a_deterministic_near_uniform_so3_grid():
    grid = orientations(ENV, "full")
    assert len(grid) == 24 and grid == orientations(ENV, "full")
    assert all(isinstance(g, SE3) for g in grid) and orientations("SO3", "full", n=5)[0].group == "SO3"
    gaps = [geodesic(a, b) for i, a in enumerate(grid) for b in grid[i + 1 :]]
    assert min(gaps) > 0.5  # well spread ...
    probes = SE3.sample(np.random.default_rng(3), 300)
    assert max(min(geodesic(p, g) for g in grid) for p in probes) < 1.5  # ... and covering SO(3) (max: pi)
    assert len(orientations(ENV, "full", n=100)) == 100


def test_ladder_rungs():
    rungs = orientations(ENV, "ladder")
    assert tuple(rungs) == LADDER_RUNGS and rungs == ladder(ENV) and rungs == ladder(ENV, seed=0)
    assert [len(v) for v in rungs.values()] == [1, 4, 8, 8, 8, 8]
    assert rungs["identity"][0].is_identity
    assert [np.abs(g.rotation).sum() for g in rungs["C4"]] == [3.0] * 4 and all(is_yaw(g) for g in rungs["C4"])
    assert all(is_yaw(g) and not np.any(g.translation) for g in rungs["SO2"])
    for g in rungs["SE2"]:
        assert is_yaw(g) and g.translation[2] == 0.0 and np.linalg.norm(g.translation[:2]) > 0
    for g in rungs["SO3"]:
        assert not np.any(g.translation) and abs(g.rotation[2, 2]) < 1 - 1e-6  # tilted: gravity leaves the normal
    translations = np.array([g.translation for g in rungs["SE3"]])
    assert np.all(np.abs(translations) > 0) and np.abs(translations).max() < 5 * LADDER_TRANSLATION_SCALE
    assert all(isinstance(g, SE3) for rung in rungs.values() for g in rung)


def test_ladder_is_deterministic_in_the_seed_and_rungs_are_independent_streams():
    a, b, c = ladder(ENV, 4, seed=0), ladder(ENV, 4, seed=0), ladder(ENV, 4, seed=1)
    assert a == b and a["SO3"] != c["SO3"] and a["C4"] == c["C4"]
    longer = ladder(ENV, 8, seed=0)
    for rung in ("SO2", "SE2", "SO3", "SE3"):
        assert longer[rung][:4] == a[rung]  # more elements never reshuffle the first ones
    assert tuple(ladder("SO3", 2)) == ("identity", "C4", "SO2", "SO3")  # no translations in SO(3)
    assert all(type(g) is SO3 for rung in ladder("SO3", 2).values() for g in rung)


def test_3d_split_errors():
    with pytest.raises(ValueError, match="split: 'ladder' is a set of named rungs"):
        get_split(ENV, "ladder")
    with pytest.raises(ValueError, match="env_or_group: the ladder is defined for 3D groups"):
        ladder("EqPushT-v1")
    with pytest.raises(ValueError, match="split: 'ladder' is not one of"):
        orientations("EqPushT-v1", "ladder")
    with pytest.raises(ValueError, match="split: 'tilt' is not one of"):
        orientations(ENV, "tilt")
    with pytest.raises(ValueError, match="n: must be a positive integer"):
        orientations(ENV, "ladder", n=0)
    with pytest.raises(ValueError, match="seed: must be a non-negative integer"):
        ladder(ENV, seed=-1)
    with pytest.raises(ValueError, match="n: must be a positive integer"):
        orientations(ENV, "full", n=0)


def test_2d_splits_are_unchanged():
    assert [round(math.degrees(g.angle), 9) for g in orientations("EqPushT-v1", "slice")] == [
        11.25 * k for k in range(8)
    ]
    assert all(isinstance(g, SE2) for g in orientations("SE2", "full"))
    assert orientations("SE2", "heldout", seed=5) == orientations("SE2", "heldout", seed=0)
