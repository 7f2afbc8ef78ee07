"""Rotation and rigid-motion groups: SO(2), SE(2), SO(3), SE(3).

This is the one place in the project where rotations live. Environments, splits, models, the planner
and the tests all build, compose and apply group elements through this module.

An element is a pair ``(R, t)`` acting on points as ``x -> R x + t`` and on vectors (directions,
velocities) as ``v -> R v``. ``SO2``/``SO3`` elements have ``t = 0``. Everything is stored in float64;
the actions accept numpy arrays and torch tensors of shape ``(..., d)`` and compute in the input's dtype.

Accepted orientation forms (``parse``), per dimension:

* 2D: an angle | a 2x2 rotation | a 3x3 homogeneous SE(2) matrix | an element | its JSON.
* 3D: a yaw angle about +z | a 3x3 rotation | a 4x4 homogeneous SE(3) matrix | an element | its JSON.

"Its JSON" is ``element.to_json()`` as a dict or as JSON text (``json.dumps`` of it, e.g. a command-line
argument); JSON text of a nested list is read as a matrix.

An angle (``parse_angle``) is a number in radians, or a string with an explicit unit: ``"90deg"``,
``"90 deg"``, ``"90°"``, ``"-30deg"``, ``"1.5708rad"``. A bare number larger than 2 pi in magnitude is
almost certainly degrees typed as radians: it is accepted, with a ``UserWarning``. ``format_angle`` writes
an angle back as degrees in [0, 360), e.g. ``"210deg"``, a form ``parse_angle`` reads. ``wrap_angle`` maps
an angle (a heading difference, say) into [-pi, pi).

Nested lists and angle strings are accepted, so environment kwargs stay JSON-able. Faults (NaN/inf, wrong
shape, a matrix that is not orthogonal to 1e-6, det = -1, a string without a unit, an unknown type, a
translation given to a pure rotation group) raise ``ValueError`` naming the argument and the fault.

Exactness conventions:

* Angles that are multiples of pi/2 (to a few ulp) give exact integer matrices, so the C4 elements map
  pixel grids onto each other and the identity is bit-exact: ``I x + 0 == x``.
* A matrix orthogonal to 1e-13 is kept bit for bit; one orthogonal only to 1e-6 is projected onto the
  nearest rotation, so group laws hold to float64 rounding afterwards.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "GROUPS",
    "ORTHOGONALITY_TOL",
    "SE2",
    "SE3",
    "SO2",
    "SO3",
    "GroupElement",
    "format_angle",
    "get_group",
    "parse_angle",
    "rotation_2d",
    "wrap_angle",
]

ORTHOGONALITY_TOL = 1e-6
"""Largest ``max |R^T R - I|`` accepted for a user-supplied rotation matrix."""

_EXACT_TOL = 1e-13  # below this a matrix is kept as given; above it (and within 1e-6) it is projected
_HALF_PI = math.pi / 2
# (cos, sin) of k * pi/2, exact, for k mod 4
_QUARTER_TURNS = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))


_ANGLE_STRING = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(deg|°|rad)")
_ANGLE_HINT = "write a number in radians, or a string with its unit: '90deg', '90 deg', '90°' or '1.5708rad'"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_stacklevel() -> int:
    """``warnings.warn``'s stacklevel for the first frame outside eqenvs and gymnasium: the user's own call.

    Called from the function that warns; level 2 is that function's caller.
    """
    internal = [_PACKAGE_DIR]
    gymnasium = sys.modules.get("gymnasium")
    if gymnasium is not None and getattr(gymnasium, "__file__", None):
        internal.append(os.path.dirname(os.path.abspath(gymnasium.__file__)) + os.sep)
    prefixes = tuple(internal)
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(prefixes):
        frame, level = frame.f_back, level + 1
    return level


def parse_angle(x: Any, name: str = "angle") -> float:
    """An angle in radians from a number (radians) or a string with its unit ("90deg", "90 deg", "90°", "1.5708rad").

    Spaces in a string are ignored. A string without a known unit, a bool, NaN or inf raise ``ValueError`` naming
    ``name``. A bare number with magnitude above 2 pi is accepted but warned about (``UserWarning``): it is almost
    certainly degrees typed as radians.
    """
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name}: got a bool; {_ANGLE_HINT}")
    if isinstance(x, str):
        match = _ANGLE_STRING.fullmatch("".join(x.split()))
        if match is None:
            raise ValueError(f"{name}: cannot read {x!r} as an angle; {_ANGLE_HINT}")
        value, unit = float(match[1]), match[2]
        angle = value if unit == "rad" else math.radians(value)
        if not math.isfinite(angle):
            raise ValueError(f"{name}: angle {x!r} is not finite")
        return angle
    if isinstance(x, (int, float, np.integer, np.floating)) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"
    ):
        angle = float(x)
        if not math.isfinite(angle):
            raise ValueError(f"{name}: angle is {angle}, must be finite")
        if abs(angle) > 2 * math.pi:
            warnings.warn(
                f"{name}: {angle:g} rad is more than a full turn, probably degrees typed as radians (accepted as "
                f"radians); write degrees with their unit, e.g. '{angle:g}deg'",
                UserWarning,
                stacklevel=_caller_stacklevel(),
            )
        return angle
    raise ValueError(f"{name}: unsupported type {type(x).__name__} for an angle; {_ANGLE_HINT}")


def format_angle(x: Any) -> str:
    """An angle as degrees in [0, 360), written like ``f"{deg:g}deg"`` ("210deg", "11.25deg"); ``parse_angle`` reads it.

    ``x``: radians (a number), a 2D element (its rotation angle) or a 3D element that is a pure yaw about +z
    (its yaw). Translations are ignored. -0.0 and angles that round to 360 become "0deg".
    """
    if isinstance(x, GroupElement):
        r = x.rotation
        if x.dim == 3 and not (np.array_equal(r[:, 2], [0.0, 0.0, 1.0]) and np.array_equal(r[2], [0.0, 0.0, 1.0])):
            raise ValueError(f"x: a 3D rotation that is not a yaw about +z has no single angle, got {x!r}")
        radians = math.atan2(r[1, 0], r[0, 0])
    elif isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"x: expected an angle in radians or a group element, got {type(x).__name__}")
    else:
        radians = float(x)
        if not math.isfinite(radians):
            raise ValueError(f"x: angle is {radians}, must be finite")
    text = f"{math.degrees(radians) % 360.0:g}"
    return "0deg" if text in ("360", "-0") else f"{text}deg"


def wrap_angle(angle: float) -> float:
    """``angle`` (radians) wrapped into [-pi, pi): the signed turn of the same rotation, e.g. a heading error."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _cos_sin(angle: float) -> tuple[float, float]:
    """cos and sin of ``angle``, exact at multiples of pi/2 (so C4 matrices are integer)."""
    k = round(angle / _HALF_PI)
    if abs(angle - k * _HALF_PI) <= 4 * np.finfo(float).eps * max(1.0, abs(angle)):
        return _QUARTER_TURNS[k % 4]
    return math.cos(angle), math.sin(angle)


def rotation_2d(angle: float) -> np.ndarray:
    """The 2x2 rotation matrix of ``angle`` radians (counter-clockwise in a y-up frame), float64."""
    c, s = _cos_sin(float(angle))
    return np.array([[c, -s], [s, c]], dtype=np.float64)


def _yaw_matrix(yaw: float) -> np.ndarray:
    c, s = _cos_sin(float(yaw))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=np.float64)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


def _as_float_array(x: Any) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


class GroupElement:
    """An element ``(R, t)`` of a rotation or rigid-motion group; immutable.

    Subclasses fix ``group`` (its name), ``dim`` and whether translations are allowed. Build elements
    with ``parse`` (any accepted form), ``identity``, ``sample``, ``cyclic``, ``grid`` or the
    dimension-specific constructors; compose with ``@`` (``(g @ h).act_points(x) == g.act_points(h.act_points(x))``).
    """

    group: ClassVar[str]
    dim: ClassVar[int]
    has_translation: ClassVar[bool]
    __slots__ = ("_rotation", "_translation")

    def __init__(self, rotation: Any, translation: Any = None):
        """Unchecked constructor from a rotation matrix and a translation; use ``parse`` for user input."""
        rotation = _readonly(rotation)
        translation = _readonly(np.zeros(self.dim) if translation is None else translation)
        if rotation.shape != (self.dim, self.dim) or translation.shape != (self.dim,):
            raise ValueError(
                f"{self.group}: rotation must be {self.dim}x{self.dim} and translation of length {self.dim}, "
                f"got {rotation.shape} and {translation.shape}"
            )
        if not self.has_translation and np.any(translation != 0.0):
            raise ValueError(f"{self.group}: a pure rotation group has no translation, got {translation.tolist()}")
        self._rotation = rotation
        self._translation = translation

    # ------------------------------------------------------------------ views
    @property
    def rotation(self) -> np.ndarray:
        """The rotation matrix ``R`` (read-only float64, shape (d, d))."""
        return self._rotation

    @property
    def translation(self) -> np.ndarray:
        """The translation ``t`` (read-only float64, shape (d,)); zero for SO(d)."""
        return self._translation

    @property
    def matrix(self) -> np.ndarray:
        """``R`` for SO(d); the (d+1)x(d+1) homogeneous matrix for SE(d)."""
        if not self.has_translation:
            return self._rotation.copy()
        m = np.eye(self.dim + 1)
        m[: self.dim, : self.dim] = self._rotation
        m[: self.dim, self.dim] = self._translation
        return m

    @property
    def is_identity(self) -> bool:
        return bool(np.array_equal(self._rotation, np.eye(self.dim)) and not np.any(self._translation))

    # ------------------------------------------------------------- group law
    def __matmul__(self, other: GroupElement) -> GroupElement:
        """Composition: apply ``other`` first, then ``self``."""
        if not isinstance(other, GroupElement) or other.dim != self.dim:
            return NotImplemented
        cls = type(self) if self.has_translation or not other.has_translation else type(other)
        rotation = self._rotation @ other._rotation
        translation = self._rotation @ other._translation + self._translation
        return cls(rotation, translation if cls.has_translation else None)

    def compose(self, other: GroupElement) -> GroupElement:
        """``self @ other``."""
        return self @ other

    def inverse(self) -> GroupElement:
        """The inverse ``(R^T, -R^T t)``."""
        rt = self._rotation.T
        return type(self)(rt, -(rt @ self._translation) if self.has_translation else None)

    # ---------------------------------------------------------------- action
    def act_points(self, x: Any) -> Any:
        """Apply to points ``x`` of shape (..., d): ``R x + t`` (numpy or torch, in x's dtype)."""
        if _is_torch(x):
            import torch

            r = torch.tensor(self._rotation.copy(), dtype=x.dtype, device=x.device)
            t = torch.tensor(self._translation.copy(), dtype=x.dtype, device=x.device)
            return x @ r.T + t
        x = _as_float_array(x)
        return x @ self._rotation.T.astype(x.dtype, copy=False) + self._translation.astype(x.dtype, copy=False)

    def act_vectors(self, v: Any) -> Any:
        """Apply to free vectors ``v`` of shape (..., d): ``R v`` (translations do not move directions)."""
        if _is_torch(v):
            import torch

            return v @ torch.tensor(self._rotation.copy(), dtype=v.dtype, device=v.device).T
        v = _as_float_array(v)
        return v @ self._rotation.T.astype(v.dtype, copy=False)

    # ------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GroupElement)
            and other.dim == self.dim
            and np.array_equal(self._rotation, other._rotation)
            and np.array_equal(self._translation, other._translation)
        )

    def __hash__(self) -> int:
        return hash((self.group, self._rotation.tobytes(), self._translation.tobytes()))

    def isclose(self, other: GroupElement, atol: float = 1e-12) -> bool:
        """Equal up to ``atol`` in every matrix and translation entry."""
        return bool(
            other.dim == self.dim
            and np.allclose(self._rotation, other._rotation, rtol=0, atol=atol)
            and np.allclose(self._translation, other._translation, rtol=0, atol=atol)
        )

    def __reduce__(self):
        return (type(self), (self._rotation, self._translation if self.has_translation else None))

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict that ``parse``/``from_json`` turn back into the same element, bit for bit."""
        return {"group": self.group, "matrix": self.matrix.tolist()}

    @classmethod
    def from_json(cls, data: Any, name: str = "orientation") -> GroupElement:
        """Rebuild an element from ``to_json`` output (validated like any other input)."""
        if not isinstance(data, dict) or set(data) != {"group", "matrix"}:
            raise ValueError(f"{name}: a JSON group element is a dict with keys 'group' and 'matrix', got {data!r}")
        source = GROUPS.get(data["group"])
        if source is None:
            raise ValueError(f"{name}: unknown group {data['group']!r}; expected one of {sorted(GROUPS)}")
        return cls.parse(source._parse_matrix(data["matrix"], name), name)

    # --------------------------------------------------------------- parsing
    @classmethod
    def parse(cls, x: Any, name: str = "orientation") -> GroupElement:
        """Turn any accepted orientation form into an element of this group (see the module docstring)."""
        if isinstance(x, GroupElement):
            if x.dim != cls.dim:
                raise ValueError(f"{name}: a {x.group} element is not a {cls.dim}D orientation")
            if not cls.has_translation and np.any(x.translation != 0.0):
                raise ValueError(f"{name}: {cls.group} has no translation, got {x.translation.tolist()}")
            return x if type(x) is cls else cls(x.rotation, x.translation if cls.has_translation else None)
        if isinstance(x, dict):
            return cls.from_json(x, name)
        if isinstance(x, str) and x.lstrip()[:1] in ("{", "["):  # the JSON text of an element or a matrix
            try:
                data = json.loads(x)
            except json.JSONDecodeError as err:
                raise ValueError(f"{name}: {x!r} is not valid JSON ({err.msg} at column {err.colno})") from None
            return cls.parse(data, name)
        if isinstance(x, (bool, np.bool_)):
            raise ValueError(f"{name}: got a bool; {cls._forms()}")
        if isinstance(x, (str, int, float, np.integer, np.floating)) or (
            isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"
        ):
            return cls._from_angle(parse_angle(x, name))
        if isinstance(x, bytes) or not (isinstance(x, (Sequence, np.ndarray)) or hasattr(x, "__array__")):
            raise ValueError(f"{name}: unsupported type {type(x).__name__}; {cls._forms()}")
        return cls._parse_matrix(x, name)

    @classmethod
    def _parse_matrix(cls, x: Any, name: str) -> GroupElement:
        if _is_torch(x):
            x = x.detach().cpu().numpy()
        try:
            m = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}: cannot read as a numeric matrix ({err}); {cls._forms()}") from None
        d = cls.dim
        if m.shape not in ((d, d), (d + 1, d + 1)):
            raise ValueError(
                f"{name}: expected a {d}x{d} rotation or a {d + 1}x{d + 1} homogeneous matrix, got shape {m.shape}"
            )
        if not np.all(np.isfinite(m)):
            raise ValueError(f"{name}: matrix contains NaN or inf")
        translation = None
        if m.shape == (d + 1, d + 1):
            bottom = np.zeros(d + 1)
            bottom[d] = 1.0
            if np.max(np.abs(m[d] - bottom)) > 1e-9:
                raise ValueError(
                    f"{name}: homogeneous matrix must have last row {bottom.tolist()}, got {m[d].tolist()}"
                )
            translation = m[:d, d].copy()
            if not cls.has_translation and np.any(translation != 0.0):
                raise ValueError(f"{name}: {cls.group} has no translation, got {translation.tolist()}")
            m = m[:d, :d]
        rotation = _validate_rotation(m, name)
        return cls(rotation, translation if cls.has_translation else None)

    @classmethod
    def _forms(cls) -> str:
        if cls.dim == 2:
            return (
                "expected an angle (radians, or a string with its unit: '90deg'), a 2x2 rotation, "
                "a 3x3 homogeneous SE(2) matrix or a group element"
            )
        return (
            "expected a yaw angle (radians, or a string with its unit: '90deg'), a 3x3 rotation, "
            "a 4x4 homogeneous SE(3) matrix or a group element"
        )

    # ------------------------------------------------------------ constructors
    @classmethod
    def identity(cls) -> GroupElement:
        return cls(np.eye(cls.dim))

    @classmethod
    def _from_angle(cls, angle: float) -> GroupElement:
        return cls(rotation_2d(angle) if cls.dim == 2 else _yaw_matrix(angle))

    @classmethod
    def cyclic(cls, n: int) -> list[GroupElement]:
        """The cyclic subgroup C_n: rotations by ``2 pi k / n`` (about +z in 3D); C4 exact."""
        n = _positive_int(n, "n")
        return [cls._from_angle(2 * math.pi * k / n) for k in range(n)]

    @classmethod
    def sample(
        cls, rng: np.random.Generator | int | None = None, n: int | None = None, translation_scale: float = 0.0
    ) -> GroupElement | list[GroupElement]:
        """Haar-uniform rotations; for SE(d), translations ~ N(0, translation_scale^2) per axis.

        SE(d) is not compact, so it has no uniform distribution: the translation law is a choice,
        stated here. Returns one element if ``n`` is None, else a list of ``n``.
        """
        rng = np.random.default_rng(rng)
        count = 1 if n is None else _positive_int(n, "n")
        if translation_scale < 0 or not math.isfinite(translation_scale):
            raise ValueError(f"translation_scale: must be finite and >= 0, got {translation_scale}")
        if translation_scale and not cls.has_translation:
            raise ValueError(f"translation_scale: {cls.group} has no translation")
        rotations = cls._haar_rotations(rng, count)  # defined per dimension below
        out = []
        for r in rotations:
            t = rng.normal(0.0, translation_scale, cls.dim) if cls.has_translation and translation_scale else None
            out.append(cls(r, t))
        return out[0] if n is None else out

    def __repr__(self) -> str:
        if self.dim == 2:
            text = f"angle={format_angle(self)}"
        else:
            from scipy.spatial.transform import Rotation

            text = "rotvec=" + np.array2string(Rotation.from_matrix(self._rotation).as_rotvec(), precision=6)
        if self.has_translation and np.any(self._translation):
            text += ", t=" + np.array2string(self._translation, precision=6)
        return f"{self.group}({text})"


def _positive_int(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name}: must be a positive integer, got {n!r}")
    return int(n)


def _validate_rotation(m: np.ndarray, name: str) -> np.ndarray:
    d = m.shape[0]
    error = float(np.max(np.abs(m.T @ m - np.eye(d))))
    if error > ORTHOGONALITY_TOL:
        raise ValueError(f"{name}: matrix is not orthogonal (max |R^T R - I| = {error:.3g} > {ORTHOGONALITY_TOL:g})")
    if np.linalg.det(m) < 0:
        raise ValueError(f"{name}: det = -1, a reflection, not a rotation")
    if error <= _EXACT_TOL:
        return m
    u, _, vt = np.linalg.svd(m)  # nearest rotation in Frobenius norm (det stays +1 this close to SO(d))
    return u @ vt


class _Planar(GroupElement):
    dim = 2
    __slots__ = ()

    @property
    def angle(self) -> float:
        """The rotation angle in radians, in (-pi, pi] (``format_angle`` writes it as degrees in [0, 360))."""
        return math.atan2(self._rotation[1, 0], self._rotation[0, 0])

    @classmethod
    def from_angle(cls, angle: float | str) -> GroupElement:
        """Rotation by ``angle`` (radians, or a string with its unit, see ``parse_angle``; no translation)."""
        return cls.parse(angle, "angle")

    @classmethod
    def _haar_rotations(cls, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` Haar-uniform rotation matrices, shape (n, 2, 2)."""
        return np.stack([rotation_2d(a) for a in rng.uniform(0.0, 2 * math.pi, n)])

    @classmethod
    def grid(cls, n: int) -> list[GroupElement]:
        """``n`` evenly spaced rotations: the cyclic group C_n."""
        return cls.cyclic(n)


class _Spatial(GroupElement):
    dim = 3
    __slots__ = ()

    @classmethod
    def from_yaw(cls, yaw: float | str) -> GroupElement:
        """Rotation by ``yaw`` about +z (radians, or a string with its unit, see ``parse_angle``; no translation)."""
        return cls.parse(yaw, "yaw")

    @classmethod
    def from_quaternion(cls, q: Any, scalar_first: bool = True) -> GroupElement:
        """From a unit quaternion; w-first by default (MuJoCo's order; scipy's is w-last)."""
        from scipy.spatial.transform import Rotation

        q = np.asarray(q, dtype=np.float64)
        if q.shape != (4,) or not np.all(np.isfinite(q)) or abs(np.linalg.norm(q) - 1.0) > ORTHOGONALITY_TOL:
            raise ValueError(f"quaternion: expected a finite unit 4-vector, got {q.tolist()}")
        return cls(Rotation.from_quat(q, scalar_first=scalar_first).as_matrix())

    @classmethod
    def _haar_rotations(cls, rng: np.random.Generator, n: int) -> np.ndarray:
        from scipy.spatial.transform import Rotation

        return Rotation.random(n, rng=rng).as_matrix().reshape(n, 3, 3)

    @classmethod
    def grid(cls, n: int) -> list[GroupElement]:
        """Super-Fibonacci spiral quaternions (Alexa, CVPR 2022): deterministic, near-uniform on SO(3)."""
        from scipy.spatial.transform import Rotation

        n = _positive_int(n, "n")
        phi, psi = math.sqrt(2.0), 1.533751168755204288118041  # psi: real root of x^4 = x + 4
        s = np.arange(n) + 0.5
        r, big_r = np.sqrt(s / n), np.sqrt(1.0 - s / n)
        alpha, beta = 2 * math.pi * s / phi, 2 * math.pi * s / psi
        quats = np.stack([r * np.sin(alpha), r * np.cos(alpha), big_r * np.sin(beta), big_r * np.cos(beta)], axis=1)
        return [cls(m) for m in Rotation.from_quat(quats).as_matrix()]

    @classmethod
    def finite_subgroup(cls, name: str) -> list[GroupElement]:
        """A finite subgroup of SO(3) from scipy: "T" (12), "O" (24), "I" (60), "C<n>", "D<n>" (about z)."""
        from scipy.spatial.transform import Rotation

        try:
            rotations = Rotation.create_group(name, axis="Z")
        except ValueError as err:
            raise ValueError(f"name: {err}") from None
        return [cls(m) for m in rotations.as_matrix()]


class SO2(_Planar):
    """Rotations of the plane."""

    group = "SO2"
    has_translation = False
    __slots__ = ()


class SE2(_Planar):
    """Rigid motions of the plane: rotation then translation."""

    group = "SE2"
    has_translation = True
    __slots__ = ()


class SO3(_Spatial):
    """Rotations of space."""

    group = "SO3"
    has_translation = False
    __slots__ = ()


class SE3(_Spatial):
    """Rigid motions of space: rotation then translation."""

    group = "SE3"
    has_translation = True
    __slots__ = ()


GROUPS: dict[str, type[GroupElement]] = {"SO2": SO2, "SE2": SE2, "SO3": SO3, "SE3": SE3}


def get_group(name: str | type[GroupElement]) -> type[GroupElement]:
    """The element class for a group name ("SO2", "SE2", "SO3", "SE3") or class."""
    if isinstance(name, type) and issubclass(name, GroupElement) and name in GROUPS.values():
        return name
    if isinstance(name, str) and name in GROUPS:
        return GROUPS[name]
    raise ValueError(f"group: unknown group {name!r}; expected one of {sorted(GROUPS)}")
