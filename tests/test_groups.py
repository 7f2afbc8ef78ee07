"""eqenvs.groups: parsing and validation, group laws, actions, sampling, subgroups, JSON — in float64."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from eqenvs.groups import SE2, SE3, SO2, SO3, format_angle, get_group, parse_angle, rotation_2d, wrap_angle

ALL = [SO2, SE2, SO3, SE3]


def draw(cls, seed=0, n=20):
    return cls.sample(np.random.default_rng(seed), n, translation_scale=40.0 if cls.has_translation else 0.0)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.group)
def test_group_laws_hold_in_float64(cls):
    a, b, c = draw(cls, 0), draw(cls, 1), draw(cls, 2)
    e = cls.identity()
    worst_assoc = worst_inverse = 0.0
    for x, y, z in zip(a, b, c, strict=True):
        lhs, rhs = (x @ y) @ z, x @ (y @ z)
        worst_assoc = max(worst_assoc, np.abs(lhs.matrix - rhs.matrix).max())
        worst_inverse = max(worst_inverse, np.abs((x @ x.inverse()).matrix - e.matrix).max())
        worst_inverse = max(worst_inverse, np.abs((x.inverse() @ x).matrix - e.matrix).max())
        assert e @ x == x and x @ e == x  # the identity is exact
        assert np.linalg.det(x.rotation) == pytest.approx(1.0, abs=1e-14)
    assert worst_assoc < 1e-12
    assert worst_inverse < 1e-13


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.group)
def test_action_is_a_homomorphism_and_an_isometry(cls):
    rng = np.random.default_rng(3)
    points = rng.normal(0, 100, (50, cls.dim))
    for g, h in zip(draw(cls, 4), draw(cls, 5), strict=True):
        composed = (g @ h).act_points(points)
        sequential = g.act_points(h.act_points(points))
        assert np.abs(composed - sequential).max() < 1e-11
        assert np.abs(g.inverse().act_points(g.act_points(points)) - points).max() < 1e-11
        # distances between points are preserved; vectors ignore translations
        moved = g.act_points(points)
        assert np.allclose(np.linalg.norm(moved[1:] - moved[:-1], axis=1),
                           np.linalg.norm(points[1:] - points[:-1], axis=1), rtol=1e-13)  # fmt: skip
        assert np.abs(g.act_vectors(points[1:] - points[:-1]) - (moved[1:] - moved[:-1])).max() < 1e-11


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.group)
def test_torch_and_numpy_actions_agree(cls):
    points = np.random.default_rng(6).normal(0, 10, (7, 3, cls.dim))
    g = draw(cls, 7, 1)[0]
    t64 = g.act_points(torch.from_numpy(points))
    assert t64.dtype == torch.float64
    assert np.abs(t64.numpy() - g.act_points(points)).max() < 1e-13
    t32 = g.act_vectors(torch.from_numpy(points).float())
    assert t32.dtype == torch.float32
    assert np.abs(t32.double().numpy() - g.act_vectors(points)).max() < 1e-4
    assert g.act_points([[1, 2, 3][: cls.dim]]).dtype == np.float64  # integer input is promoted


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.group)
def test_json_round_trip_is_bit_exact(cls):
    for g in draw(cls, 8):
        back = cls.parse(json.loads(json.dumps(g.to_json())))
        assert back == g
        assert hash(back) == hash(g)


def test_2d_forms_parse_to_the_same_element():
    angle = 0.7
    r = rotation_2d(angle)
    hom = np.eye(3)
    hom[:2, :2] = r
    forms = [angle, np.float32(angle), np.array(angle), r, r.tolist(), hom.tolist(), SO2.from_angle(angle),
             SE2.from_angle(angle).to_json(), torch.tensor(r)]  # fmt: skip
    for form in forms:
        g = SE2.parse(form)
        assert np.abs(g.rotation - r).max() < 1e-7  # float32 input is the loosest
        assert not np.any(g.translation)
    assert SE2.parse(angle).angle == pytest.approx(angle, abs=1e-15)
    moved = SE2.parse([[0, -1, 5], [1, 0, -2], [0, 0, 1]])
    assert moved.translation.tolist() == [5, -2]
    assert moved.act_points([1.0, 0.0]).tolist() == [5.0, -1.0]


def test_3d_forms_parse_to_the_same_element():
    yaw = 1.1
    r = Rotation.from_euler("z", yaw).as_matrix()
    hom = np.eye(4)
    hom[:3, :3] = r
    for form in (yaw, r, r.tolist(), hom, SO3.from_yaw(yaw), SE3.from_yaw(yaw).to_json()):
        assert np.abs(SE3.parse(form).rotation - r).max() < 1e-15
    q = Rotation.from_matrix(r).as_quat(scalar_first=True)
    assert np.abs(SE3.from_quaternion(q).rotation - r).max() < 1e-15
    assert np.abs(SE3.from_quaternion(np.roll(q, -1), scalar_first=False).rotation - r).max() < 1e-15


def test_quarter_turns_are_exact_integer_matrices():
    assert SO2.from_angle(math.pi / 2).rotation.tolist() == [[0, -1], [1, 0]]
    assert SO2.from_angle(np.deg2rad(270)).rotation.tolist() == [[0, 1], [-1, 0]]
    assert SO2.from_angle(-math.pi).rotation.tolist() == [[-1, 0], [0, -1]]
    c4 = SO2.cyclic(4)
    assert all(np.all(np.isin(g.rotation, [-1.0, 0.0, 1.0])) for g in c4)
    assert SO3.from_yaw(math.pi / 2).rotation.tolist() == [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    assert SO2.identity().act_points(np.array([0.1, 0.2])).tolist() == [0.1, 0.2]  # bit-exact identity


@pytest.mark.parametrize(
    ("cls", "value", "fault"),
    [
        (SE2, float("nan"), "must be finite"),
        (SE2, math.inf, "must be finite"),
        (SE2, [[1, 0], [0, float("nan")]], "NaN or inf"),
        (SE2, [1.0, 2.0, 3.0], "shape (3,)"),
        (SE2, [[1, 0, 0], [0, 1, 0]], "shape (2, 3)"),
        (SE2, [[1, 0.1], [0, 1]], "not orthogonal"),
        (SE2, [[1, 0], [0, -1]], "det = -1"),
        (SE2, [[1, 0, 0], [0, 1, 0], [0, 1, 1]], "last row"),
        (SE2, "0.5", "cannot read '0.5' as an angle; write a number in radians, or a string with its unit"),
        (SE3, "up", "cannot read 'up' as an angle"),
        (SE2, b"90deg", "unsupported type bytes"),
        (SE2, None, "unsupported type NoneType"),
        (SE2, True, "bool"),
        (SE2, {"group": "SE2"}, "keys 'group' and 'matrix'"),
        (SE2, {"group": "SX9", "matrix": [[1, 0], [0, 1]]}, "unknown group"),
        (SE2, [["a", "b"], ["c", "d"]], "cannot read"),
        (SO2, [[1, 0, 3], [0, 1, 0], [0, 0, 1]], "has no translation"),
        (SE2, SO3.identity(), "not a 2D orientation"),
        (SE3, np.eye(3) * 2, "not orthogonal"),
        (SE3, np.diag([1.0, 1.0, -1.0]), "det = -1"),
        (SE3, np.eye(2), "shape (2, 2)"),
        (SE3, object(), "unsupported type object"),
    ],
)
def test_bad_orientations_raise_a_clear_value_error(cls, value, fault):
    with pytest.raises(ValueError, match="orientation") as err:
        cls.parse(value)
    assert fault in str(err.value)


def test_nearly_orthogonal_matrices_are_projected_and_exact_ones_kept():
    r = Rotation.random(random_state=0).as_matrix()
    assert SO3.parse(r).rotation.tobytes() == SO3.parse(r).rotation.tobytes()
    exact = SO3.parse(r)
    assert np.array_equal(exact.rotation, r)  # kept bit for bit
    noisy = r + 3e-7 * np.random.default_rng(0).normal(size=(3, 3))
    projected = SO3.parse(noisy).rotation
    assert np.abs(projected.T @ projected - np.eye(3)).max() < 4e-15  # a few ulp: orthogonal again
    assert np.abs(projected - r).max() < 1e-6


def test_haar_sampling_is_uniform_and_seeded():
    angles = np.array([g.angle for g in SO2.sample(0, 4000)])
    assert abs(np.mean(np.cos(angles))) < 0.04 and abs(np.mean(np.sin(angles))) < 0.04
    assert np.histogram(angles, bins=8, range=(-math.pi, math.pi))[0].min() > 400  # every octant ~500
    rotations = np.stack([g.rotation for g in SO3.sample(0, 4000)])
    assert np.abs(rotations.mean(axis=0)).max() < 0.03  # Haar: E[R] = 0
    assert np.abs((rotations**2).mean(axis=0) - 1 / 3).max() < 0.02  # Haar: E[R_ij^2] = 1/3
    assert SO3.sample(5, 3) == SO3.sample(5, 3)
    assert SE2.sample(1, translation_scale=10.0) != SE2.sample(2, translation_scale=10.0)
    with pytest.raises(ValueError, match="translation_scale"):
        SO2.sample(0, 2, translation_scale=1.0)


def test_finite_subgroups_are_closed():
    for elements in (SO2.cyclic(6), SO3.finite_subgroup("O"), SO3.finite_subgroup("D3")):
        mats = np.stack([g.rotation for g in elements])
        for g in elements:
            for h in elements:
                assert np.abs(mats - (g @ h).rotation).max(axis=(1, 2)).min() < 1e-14  # measured 8.6e-16
    assert len(SO3.finite_subgroup("O")) == 24 and len(SO3.finite_subgroup("I")) == 60
    with pytest.raises(ValueError, match="name"):
        SO3.finite_subgroup("Q7")


def test_so3_grid_is_deterministic_and_covers_the_group():
    grid = SO3.grid(300)
    assert grid == SO3.grid(300)
    quats = Rotation.from_matrix(np.stack([g.rotation for g in grid])).as_quat()
    probes = Rotation.random(500, random_state=1).as_quat()
    # geodesic angle to the nearest grid rotation: 2 acos |<q, p>|
    nearest = 2 * np.degrees(np.arccos(np.clip(np.abs(probes @ quats.T).max(axis=1), 0, 1)))
    assert nearest.max() < 40.0  # 300 points: every rotation is within 40 degrees of one
    gaps = 2 * np.degrees(np.arccos(np.clip(np.abs(quats @ quats.T) - 2 * np.eye(300), 0, 1).max(axis=1)))
    assert gaps.min() > 5.0  # and no two grid points nearly coincide


def test_get_group_and_mixed_composition():
    assert get_group("SE3") is SE3 and get_group(SO2) is SO2
    with pytest.raises(ValueError, match="group"):
        get_group("SU2")
    turned = SO2.from_angle(0.3) @ SE2.parse([[1, 0, 4], [0, 1, 0], [0, 0, 1]])
    assert isinstance(turned, SE2)
    assert np.allclose(turned.translation, rotation_2d(0.3) @ [4, 0], atol=1e-15)


@pytest.mark.parametrize(
    ("text", "degrees"),
    [("90deg", 90.0), ("90 deg", 90.0), (" 90 ° ", 90.0), ("-30deg", -30.0), ("+11.25deg", 11.25), (".5deg", 0.5),
     ("1e2deg", 100.0), ("1.5708rad", math.degrees(1.5708)), ("-0.25 rad", math.degrees(-0.25))],
)  # fmt: skip
def test_angle_strings_carry_their_unit(text, degrees):
    assert parse_angle(text) == pytest.approx(math.radians(degrees), rel=1e-15, abs=1e-300)
    assert SE2.parse(text).angle == pytest.approx(math.radians((degrees + 180) % 360 - 180), abs=1e-15)


def test_angle_strings_give_exact_quarter_turns_and_match_radians():
    assert parse_angle("90deg") == math.pi / 2 and parse_angle("180deg") == math.pi
    assert SO2.parse("90deg").rotation.tolist() == [[0, -1], [1, 0]]  # an exact integer matrix, like pi / 2
    assert SO3.parse("270deg").rotation.tolist() == [[0, 1, 0], [-1, 0, 0], [0, 0, 1]]
    assert SE2.parse("0.7rad") == SE2.parse(0.7) and SE2.parse("40deg") == SE2.parse(math.radians(40))
    assert SE2.from_angle("-30deg") == SE2.from_angle(math.radians(-30)) and SE3.from_yaw("1rad") == SE3.from_yaw(1.0)
    assert json.loads(json.dumps("90deg")) == "90deg"  # strings keep env kwargs JSON-able


@pytest.mark.parametrize(
    ("value", "fault"),
    [("90", "cannot read '90' as an angle"), ("90 degrees", "cannot read '90 degrees'"), ("deg", "cannot read"),
     ("", "cannot read ''"), ("nandeg", "cannot read 'nandeg'"), ("1e400deg", "angle '1e400deg' is not finite"),
     (True, "got a bool"), (float("inf"), "angle is inf"), ([1.0], "unsupported type list")],
)  # fmt: skip
def test_bad_angles_raise_a_value_error_naming_the_argument_and_the_fix(value, fault):
    with pytest.raises(ValueError, match=r"^yaw: ") as err:
        parse_angle(value, "yaw")
    assert fault in str(err.value)
    if "cannot read" in fault:
        assert "'90deg', '90 deg', '90°' or '1.5708rad'" in str(err.value)  # how to write it


def test_a_bare_number_beyond_a_full_turn_warns_at_the_callers_line_but_is_accepted():
    with pytest.warns(
        UserWarning, match=r"orientation: 90 rad is more than a full turn.*write degrees with their unit, e.g. '90deg'"
    ) as caught:
        g = SE2.parse(90, "orientation")
    assert caught[0].filename == __file__  # stacklevel: the user's line, not eqenvs'
    assert np.array_equal(g.rotation, rotation_2d(90.0))  # accepted, as radians
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these warn
        for value in (2 * math.pi, -2 * math.pi, 6.0, "720deg", "100rad", np.float32(1.0)):
            parse_angle(value)
    with pytest.warns(UserWarning, match="angle: -7 rad is more than a full turn"):
        parse_angle(-7)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0deg"), (-0.0, "0deg"), (2 * math.pi, "0deg"), (-1e-20, "0deg"), (math.radians(-150), "210deg"),
     (math.radians(11.25), "11.25deg"), (math.pi / 2, "90deg"), (SE2.from_angle(math.radians(-150)), "210deg"),
     (SO3.from_yaw(math.radians(-90)), "270deg"), (SE2([[0.0, -1.0], [1.0, 0.0]], [5.0, 0.0]), "90deg"),
     (math.radians(359.9999999), "0deg")],
)  # fmt: skip
def test_format_angle_writes_degrees_in_0_360(value, text):
    assert format_angle(value) == text
    assert format_angle(parse_angle(text)) == text  # round trip


def test_format_angle_rejects_what_has_no_single_angle():
    with pytest.raises(ValueError, match="x: a 3D rotation that is not a yaw about \\+z has no single angle"):
        format_angle(SO3.sample(0))
    with pytest.raises(ValueError, match="x: expected an angle in radians or a group element, got str"):
        format_angle("90deg")
    with pytest.raises(ValueError, match="x: angle is nan"):
        format_angle(float("nan"))


@pytest.mark.parametrize(
    ("angle", "wrapped"),
    [(0.0, 0.0), (math.pi / 2, math.pi / 2), (-math.pi, -math.pi), (math.pi, -math.pi), (1.5 * math.pi, -0.5 * math.pi),
     (-1.5 * math.pi, 0.5 * math.pi), (7.0, 7.0 - 2 * math.pi), (-20.0, -20.0 + 6 * math.pi)],
)  # fmt: skip
def test_wrap_angle_gives_the_same_turn_in_minus_pi_to_pi(angle, wrapped):
    result = wrap_angle(angle)
    assert -math.pi <= result < math.pi
    assert result == pytest.approx(wrapped, abs=1e-14)
    assert np.allclose(rotation_2d(result), rotation_2d(angle), atol=1e-14)  # the same rotation


def test_repr_uses_the_same_0_360_convention_as_format_angle():
    assert repr(SE2.from_angle(math.radians(-150))) == "SE2(angle=210deg)"
    assert repr(SO2.from_angle(0.0)) == "SO2(angle=0deg)"
    assert repr(SE2([[0.0, -1.0], [1.0, 0.0]], [5.0, -2.0])) == "SE2(angle=90deg, t=[ 5. -2.])"
