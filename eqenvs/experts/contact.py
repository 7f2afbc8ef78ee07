"""``ContactPlanner``, an ORACLE: solves gym-pusht's PushT (``task="pusht"``) at any orientation of EqPushT-v1.

Model-predictive control over push primitives, with gym-pusht's own pymunk simulator as the model
(``eqenvs.pusht_sim``, the env's own): a privileged expert that knows the true dynamics, not a learned agent.
A primitive is: walk round the block to a standoff point beside one of the T's edges (a shortest path
among waypoints that keep the pusher clear of the block), then push through a contact point on that edge
along its inward normal (or tilted from it) for a given distance. At each decision the planner simulates
the push of every candidate (contact points every ~30 px of the outline x ``tilts`` x ``distances``) from
its standoff, scores the block's resulting pose by the mean distance of nine T keypoints (the outline's
corners and the centre of mass) to the goal's, plus ``time_weight`` px per step the primitive takes, and
executes the best one in closed loop (the pusher follows the waypoints; a block moved on the way, or a
primitive taking too long, triggers a new decision). The block has no momentum (gym-pusht's damping is
0), so a simulated push is what the env will do.

Equivariant by construction: the observation is first mapped into the goal's frame (the frame in
which the goal is gym-pusht's (256, 256, pi/4)), rounded to float32, planned on, and the action is mapped
back. At orientation g the planner therefore sees the same canonical state as at the identity, to float
rounding that float32 removes, and returns ``g . action``; in frame mode its episodes at every g are
the identity's, bit for bit (tests/test_contact.py). ``canonical=False`` is its non-equivariant twin:
it plans on the observation's coordinates as if they were the simulator's, which is right at the identity
only (elsewhere the simulated walls and action square sit in the wrong place).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from eqenvs.groups import SE2, rotation_2d, wrap_angle
from eqenvs.pusht import DELTA_SCALE_PX, TASKS
from eqenvs.pusht_sim import (
    ARENA_CENTRE,
    ARENA_SQUARE,
    ARENA_UNIT_PX,
    PUSHER_RADIUS,
    T_CENTRE_OF_MASS,
    T_OUTLINE,
    PushTSim,
    centred,
)
from eqenvs.symmetry import Layout

__all__ = [
    "CLEAR",
    "PUSH_STEPS",
    "STANDOFF",
    "ContactPlanner",
    "Graph",
    "Square",
    "contacts",
    "follow",
    "simulate_push",
    "stale",
    "step_primitive",
]

_HULL = np.array([(-60, 0), (60, 0), (60, 30), (15, 120), (-15, 120), (-60, 30)], float)  # convex hull of the T
_NOTCHES = np.array([(40.0, 75.0), (-40.0, 75.0)])  # beside the stem, under the bar: waypoints into the T's notches
_KEYPOINTS = np.vstack([T_OUTLINE, T_CENTRE_OF_MASS[None]])  # body frame, px
_LO, _HI = ARENA_SQUARE[0][0] + 2.0, ARENA_SQUARE[1][0] - 2.0  # the pusher's targets stay in gym-pusht's square
_CLEAR = PUSHER_RADIUS + 0.5  # a path segment keeps the pusher's centre this far from the block (px)
_STANDOFF = PUSHER_RADIUS + 6.0  # the push starts this far out from its contact point
STANDOFF, CLEAR = _STANDOFF, _CLEAR
PUSH_STEPS = 10  # a simulated push lasts at most this many control steps
_DETOUR = 30.0  # waypoints sit this far out from the T's convex hull
_CANONICAL_GOAL = TASKS["pusht"].goal  # (256, 256, pi/4): gym-pusht's goal, px and rad


def _place(points: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Body-frame points (px) at pose (x, y, angle) in the scene."""
    return SE2(rotation_2d(pose[2]), pose[:2]).act_points(points)


class Square:
    """gym-pusht's pusher square ([_LO, _HI]^2 in its scene) as seen in a planning frame: ``rotation`` (2x2) and
    the arena centre's place ``centre`` (px) map scene points into that frame. The identity: the scene's own."""

    def __init__(self, rotation: np.ndarray | None = None, centre: np.ndarray | None = None):
        self.rotation = np.eye(2) if rotation is None else np.asarray(rotation, float)
        self.centre = ARENA_CENTRE if centre is None else np.asarray(centre, float)
        self.axis_aligned = rotation is None

    def scene(self, p: np.ndarray) -> np.ndarray:
        """Points in the planning frame -> the scene's coordinates (px)."""
        return (np.asarray(p) - self.centre) @ self.rotation + ARENA_CENTRE

    def inside(self, p: np.ndarray) -> bool:
        q = np.asarray(p) if self.axis_aligned else self.scene(p)
        return bool(np.all(q >= _LO) and np.all(q <= _HI))

    def clip(self, p: np.ndarray) -> np.ndarray:
        """The nearest point of the square (per scene axis)."""
        if self.axis_aligned:
            return np.clip(p, _LO, _HI)
        q = np.clip(self.scene(p), _LO, _HI) - ARENA_CENTRE
        return q @ self.rotation.T + self.centre


def contacts() -> list[tuple[np.ndarray, np.ndarray]]:
    """Contact points along the T's outline (about one per 30 px of edge) and each edge's inward normal."""
    from shapely.geometry import Point, Polygon

    outline, out = Polygon(T_OUTLINE), []
    for p, q in zip(T_OUTLINE, np.roll(T_OUTLINE, -1, axis=0), strict=True):
        edge = q - p
        length = float(np.hypot(*edge))
        inward = np.array([-edge[1], edge[0]]) / length
        if not outline.contains(Point(*((p + q) / 2 + 2 * inward))):
            inward = -inward
        k = max(1, round(length / 30.0))
        out += [(p + (j + 0.5) / k * edge, inward) for j in range(k)]
    return out


class ContactPlanner:
    """Push-primitive MPC with gym-pusht's simulator as the model (an oracle); solves ``task="pusht"`` (see the module).

    Args:
        obs_layout: the env's ``obs_layout`` (EqPushT-v1's state observation).
        action_type: the env's ``action_type``, "delta" or "absolute".
        canonical: plan in the goal's frame (equivariant); False: the non-equivariant twin.
        distances: how far past the contact point each candidate push goes (px).
        tilts_deg: push directions tried at each contact point, from the edge's inward normal (degrees).
        time_weight: px of keypoint error one step of the primitive is worth (prefers short detours).
    """

    def __init__(
        self,
        obs_layout: Layout,
        action_type: str = "delta",
        canonical: bool = True,
        distances: tuple[float, ...] = (4.0, 10.0, 25.0, 50.0, 90.0, 140.0),
        tilts_deg: tuple[float, ...] = (0.0, -30.0, 30.0),
        time_weight: float = 0.3,
    ):
        for name in ("goal_pos", "goal_dir", "block_pos", "block_dir", "pusher_pos"):
            if name not in obs_layout:
                raise ValueError(f"obs_layout: missing field {name!r}; is this an EqPushT-v1 state layout?")
        if action_type not in ("delta", "absolute"):
            raise ValueError(f"action_type: {action_type!r} is not 'delta' or 'absolute'")
        if not distances or not all(math.isfinite(d) and d > 0 for d in distances):
            raise ValueError(f"distances: expected positive numbers, got {distances!r}")
        if not tilts_deg or not all(math.isfinite(t) and abs(t) < 90 for t in tilts_deg):
            raise ValueError(f"tilts_deg: expected angles in (-90, 90) degrees, got {tilts_deg!r}")
        if not (math.isfinite(time_weight) and time_weight >= 0):
            raise ValueError(f"time_weight: must be finite and >= 0, got {time_weight}")
        self.layout, self.action_type, self.canonical = obs_layout, action_type, bool(canonical)
        self.distances, self.time_weight = tuple(float(d) for d in distances), float(time_weight)
        self.tilts = tuple(rotation_2d(math.radians(t)) for t in tilts_deg)
        self.sim = PushTSim(centred(SE2.identity()))
        self.sim.build()
        self.contacts = contacts()
        self.reset()

    # ------------------------------------------------------------------ agent API
    def reset(self, seed: int | None = None) -> None:
        del seed  # deterministic
        self._plan: dict[str, Any] | None = None

    def act(self, obs: Any) -> np.ndarray:
        obs = np.asarray(obs["state"] if isinstance(obs, dict) else obs, dtype=np.float64)
        frame = self._frame(obs)
        pusher, block, goal = self._canonical_state(obs, frame)
        self._plan, delta = step_primitive(self._plan, pusher, block, lambda: self._decide(pusher, block, goal))
        # float32 in the planning frame, float64 once rotated: the env maps the action back to its scene and
        # rounds it to float32 there, recovering these float32 values exactly (a second float32 rounding in
        # the observed frame would move them by up to an ulp)
        delta = delta.astype(np.float32).astype(np.float64)
        if self.action_type == "delta":
            return frame.act_vectors(delta)
        point = (pusher + delta * DELTA_SCALE_PX).astype(np.float32).astype(np.float64)
        return frame.act_points((point - ARENA_CENTRE) / ARENA_UNIT_PX) * ARENA_UNIT_PX + ARENA_CENTRE

    # ------------------------------------------------------------------ frames
    def _frame(self, obs: np.ndarray) -> SE2:
        """The goal's frame: the element g with obs = g . (the observation at the identity), in arena units."""
        if not self.canonical:
            return SE2.identity()
        f = self.layout.split(obs)
        d, (gx, gy, ga) = f["goal_dir"], _CANONICAL_GOAL
        d0 = np.array([math.cos(ga), math.sin(ga)])
        c, s = float(d0 @ d), float(d0[0] * d[1] - d0[1] * d[0])
        n = math.hypot(c, s)
        rotation = np.array([[c, -s], [s, c]]) / n
        goal0 = (np.array([gx, gy]) - ARENA_CENTRE) / ARENA_UNIT_PX
        return SE2(rotation, f["goal_pos"] - rotation @ goal0)

    def _canonical_state(self, obs: np.ndarray, frame: SE2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pusher (px), block pose and goal pose (px, rad) in the planning frame, rounded to float32."""
        f, back = self.layout.split(obs), frame.inverse()

        def point(v: np.ndarray) -> np.ndarray:
            return back.act_points(v) * ARENA_UNIT_PX + ARENA_CENTRE

        def angle(v: np.ndarray) -> float:
            u = back.act_vectors(v)
            return math.atan2(u[1], u[0])

        pusher = point(f["pusher_pos"])
        block = np.array([*point(f["block_pos"]), angle(f["block_dir"])])
        goal = np.array([*point(f["goal_pos"]), angle(f["goal_dir"])])
        f32 = [x.astype(np.float32).astype(np.float64) for x in (pusher, block, goal)]
        return f32[0], f32[1], f32[2]

    # ------------------------------------------------------------------ deciding
    def _cost(self, pose: np.ndarray, goal_keys: np.ndarray) -> float:
        return float(np.mean(np.hypot(*(_place(_KEYPOINTS, pose) - goal_keys).T)))

    def _simulate_push(self, block: np.ndarray, start: np.ndarray, end: np.ndarray, steps: int = PUSH_STEPS):
        """The block's pose after the pusher, resting at ``start``, is driven to ``end``; and the steps taken."""
        return simulate_push(self.sim, block, start, end, steps)

    def _decide(self, pusher: np.ndarray, block: np.ndarray, goal: np.ndarray) -> dict[str, Any]:
        """Simulate every candidate push; the best one's waypoints, end point and the pose it starts from."""
        from shapely.geometry import Point

        goal_keys = _place(_KEYPOINTS, goal)
        self.sim.build()  # a fresh pymunk space: no contact cache from earlier decisions, so a decision depends
        # on its inputs alone (the same at every orientation, and the same for the same seed)
        graph = Graph(pusher, block)
        rotation = rotation_2d(block[2])
        best: tuple[float, list[np.ndarray], np.ndarray] | None = None
        for contact, inward in self.contacts:
            at = rotation @ contact + block[:2]
            for tilt in self.tilts:
                direction = rotation @ (tilt @ inward)
                standoff = at - _STANDOFF * direction
                if np.any(standoff < _LO) or np.any(standoff > _HI) or graph.clear.contains(Point(*standoff)):
                    continue
                route = graph.route(standoff)
                if route is None:
                    continue
                path, length = route
                for distance in self.distances:
                    end = np.clip(at + (distance - PUSHER_RADIUS) * direction, _LO, _HI)
                    pose, steps = self._simulate_push(block, standoff, end)
                    score = self._cost(pose, goal_keys) + self.time_weight * (length / 20.0 + steps)
                    if best is None or score < best[0]:
                        best = (score, [*path, standoff], end)
        if best is None:  # boxed in: step back from the block and decide again
            away = pusher - (rotation @ T_CENTRE_OF_MASS + block[:2])
            waypoints, end = [], np.clip(pusher + 20.0 * away / max(math.hypot(*away), 1e-9), _LO, _HI)
        else:
            waypoints, end = best[1], best[2]
        return {"waypoints": [*waypoints, end], "index": 0, "block": block, "steps": 0}


def step_primitive(plan: dict[str, Any] | None, pusher: np.ndarray, block: np.ndarray,
                   decide: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], np.ndarray]:  # fmt: skip
    """One step of a push primitive in closed loop: the plan to keep (``decide()`` makes a new one when there is
    none, it went stale or it is done) and the delta action towards its next waypoint, bounded by a disk (unit
    norm = ``DELTA_SCALE_PX``)."""
    if plan is None or stale(plan, block):
        plan = decide()
    target = follow(plan, pusher)
    if target is None:  # the primitive is done: the next one
        plan = decide()
        target = follow(plan, pusher)
        target = pusher if target is None else target
    move = target - pusher
    norm = math.hypot(*move)
    limit = DELTA_SCALE_PX
    return plan, (move / limit) * (1.0 if norm <= limit else limit / norm)


def stale(plan: dict[str, Any], block: np.ndarray) -> bool:
    """Decide again: the primitive takes too long, or the block moved before the push began."""
    if plan["steps"] >= 60:
        return True
    pushing = plan["index"] == len(plan["waypoints"]) - 1
    turned = abs(wrap_angle(float(block[2] - plan["block"][2])))
    moved = math.hypot(*(block[:2] - plan["block"][:2])) > 3.0 or turned > 0.05
    return moved and not pushing


def follow(plan: dict[str, Any], pusher: np.ndarray) -> np.ndarray | None:
    """The waypoint to head for now, skipping those reached (10 px; 3 px at the standoff; 1 px at the
    end); None when the primitive is done."""
    waypoints = plan["waypoints"]
    while plan["index"] < len(waypoints):
        remaining = len(waypoints) - 1 - plan["index"]
        tolerance = 1.0 if remaining == 0 else 3.0 if remaining == 1 else 10.0
        if math.hypot(*(waypoints[plan["index"]] - pusher)) >= tolerance:
            break
        plan["index"] += 1
    if plan["index"] >= len(waypoints):
        return None
    plan["steps"] += 1
    return waypoints[plan["index"]]


def _first_min(values: np.ndarray, tie: float) -> int:
    """The first index whose value is within ``tie`` of the minimum (``np.argmin`` when ``tie`` is 0)."""
    if tie == 0:
        return int(np.argmin(values))
    return int(np.flatnonzero(values <= values.min() + tie)[0])


def _tie_order(values: np.ndarray, tie: float) -> list[int]:
    """Indices by value, values within ``tie`` of the smallest remaining one taken by index."""
    left, order = list(range(len(values))), []
    while left:
        rest = values[left]
        pick = left[_first_min(rest, tie)] if np.isfinite(rest.min()) else left[0]
        order.append(pick)
        left.remove(pick)
    return order


def simulate_push(sim: PushTSim, block: np.ndarray, start: np.ndarray, end: np.ndarray, steps: int = PUSH_STEPS
                  ) -> tuple[np.ndarray, int]:  # fmt: skip
    """On ``sim`` (built, in gym-pusht's scene frame): the block's pose (x, y, angle; px, rad) after the pusher,
    resting at ``start``, is driven towards ``end`` (40 px a step at most, gym-pusht's PD control) until within
    1 px or for ``steps`` steps; and the steps taken."""
    sim.agent.position, sim.agent.velocity = (float(start[0]), float(start[1])), (0.0, 0.0)
    sim.block.velocity, sim.block.angular_velocity = (0.0, 0.0), 0.0
    sim.block.angle = float(block[2])  # angle before position, as the env places bodies
    sim.block.position = (float(block[0]), float(block[1]))
    taken = 0
    while taken < steps:
        px, py = sim.agent.position
        dx, dy = end[0] - px, end[1] - py
        n = math.hypot(dx, dy)
        scale = min(1.0, DELTA_SCALE_PX / n) if n > 0 else 0.0
        sim.advance(px + dx * scale, py + dy * scale)
        taken += 1
        if n < 1.0:
            break
    x, y = sim.block.position
    return np.array([x, y, sim.block.angle]), taken


class Graph:
    """Shortest collision-free paths for the pusher around the block (a visibility graph of waypoints)."""

    def __init__(self, pusher: np.ndarray, block: np.ndarray, square: Square | None = None, tie: float = 0.0):
        """``square``: the pusher's square in the planning frame (None: gym-pusht's own). ``tie`` (px): path
        lengths within it count as equal and go to the lower node index — nodes come in the block's own order,
        so a planner that does not round its inputs to one frame still takes the same path at every orientation
        (the T's parallel edges make equal-length paths round it; rounding would pick between them)."""
        from shapely.geometry import LineString, Point, Polygon
        from shapely.ops import nearest_points

        self._segment, self.tie = LineString, float(tie)
        shape = Polygon(_place(T_OUTLINE, block))
        self.clear = shape.buffer(_CLEAR, 4)
        self.prefix: list[np.ndarray] = []
        for _ in range(8):  # wedged against the block (or starting on it): back off until clear
            gap = shape.distance(Point(*pusher))
            if gap >= _CLEAR + 1.5:
                break
            near = np.array(nearest_points(shape, Point(*pusher))[0].coords[0])
            away = pusher - near
            n = math.hypot(*away)
            away = away / n if n > 1e-9 else np.array([1.0, 0.0])
            pusher = pusher + away * (_CLEAR + 2.5 - gap)
            pusher = np.clip(pusher, _LO, _HI) if square is None else square.clip(pusher)
            self.prefix = [pusher]
        hull, nodes = _place(_HULL, block), []
        for i in range(len(hull)):
            for edge in (hull[i] - hull[i - 1], hull[(i + 1) % len(hull)] - hull[i]):
                nodes.append(hull[i] + _DETOUR * np.array([edge[1], -edge[0]]) / math.hypot(*edge))
        nodes += list(_place(_NOTCHES, block))
        inside = (lambda p: np.all(p >= _LO) and np.all(p <= _HI)) if square is None else square.inside
        nodes = [p for p in nodes if inside(p)]
        self.nodes = np.array([pusher, *nodes])
        count = len(self.nodes)
        visible = np.zeros((count, count), bool)
        for i in range(count):
            for j in range(i + 1, count):
                visible[i, j] = visible[j, i] = self._visible(self.nodes[i], self.nodes[j])
        self.distance, self.previous = np.full(count, np.inf), np.full(count, -1)
        self.distance[0] = 0.0
        done = np.zeros(count, bool)
        for _ in range(count):  # Dijkstra from the pusher
            i = _first_min(np.where(done, np.inf, self.distance), tie)
            if not np.isfinite(self.distance[i]):
                break
            done[i] = True
            for j in np.flatnonzero(visible[i] & ~done):
                d = self.distance[i] + math.hypot(*(self.nodes[i] - self.nodes[j]))
                if d < self.distance[j] - tie:
                    self.distance[j], self.previous[j] = d, i

    def _visible(self, a: np.ndarray, b: np.ndarray) -> bool:
        return not self.clear.intersects(self._segment([a, b]))

    def route(self, goal: np.ndarray) -> tuple[list[np.ndarray], float] | None:
        """Waypoints from the pusher to ``goal`` (excluding it) and the path's length; None if none is clear."""
        best: tuple[float, int] | None = None
        totals = self.distance + np.hypot(*(goal - self.nodes).T)
        for i in np.argsort(totals) if self.tie == 0 else _tie_order(totals, self.tie):
            length = self.distance[i] + math.hypot(*(goal - self.nodes[i]))
            if not np.isfinite(length):
                break
            if self._visible(self.nodes[i], goal):
                best = (length, int(i))
                break
        if best is None:
            return None
        path, i = [], best[1]
        while i > 0:
            path.append(self.nodes[i])
            i = int(self.previous[i])
        return [*self.prefix, *path[::-1]], best[0]
