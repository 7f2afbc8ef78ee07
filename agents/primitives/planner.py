"""``PrimitivePlanner``: the contact planner's push-primitive search with a LEARNED outcome model instead of the
simulator — no simulator at decision time.

At each decision every candidate push (a contact point every ~30 px of the T's outline x ``tilts`` x
``distances``, its standoff reachable on a clear path round the block, ``eqenvs.experts.contact.Graph``) is
scored in one batched call of the model: the mean distance (px) of the T's nine keypoints at the predicted pose
to the goal's, plus ``time_weight`` px per step the primitive takes (the walk at 20 px a step and the push). The
best is executed in closed loop as the oracle executes its own (``eqenvs.experts.contact.follow`` / ``stale``).

Everything happens in the observation's own frame (px, about the arena centre), with no knowledge of the
orientation: candidates are enumerated in the block's frame, the pusher's square (where its targets stay) is
placed by the observed goal (the walls turn with the task), the action is bounded by a disk, and nothing is
rounded in a fixed frame. With the VN model every step of that is SO(2)-equivariant, so in float64 an episode at
any orientation is the identity's, turned; with the plain MLP the same planner sees inputs its data never held.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from agents.primitives.model import PushOutcomeModel, keypoints
from eqenvs.experts.contact import (
    PUSH_STEPS,
    STANDOFF,
    Graph,
    Square,
    contacts,
    step_primitive,
)
from eqenvs.groups import rotation_2d
from eqenvs.pusht import DELTA_SCALE_PX, TASKS
from eqenvs.pusht_sim import ARENA_CENTRE, ARENA_UNIT_PX, PUSHER_RADIUS, T_CENTRE_OF_MASS
from eqenvs.symmetry import Layout

__all__ = ["PrimitivePlanner"]

_CANONICAL_GOAL = TASKS["pusht"].goal  # (256, 256, pi/4): where the goal sits in gym-pusht's scene
_TIE = 1e-7  # px: path lengths and costs this close are equal (ties broken by the block-frame order), far above
# float64's rounding of a turned scene (~1e-13 px), far below any difference that matters


class PrimitivePlanner:
    """Push-primitive MPC on a learned outcome model (see the module).

    Args:
        model: a ``PushOutcomeModel`` (its parameters' dtype is the planner's).
        obs_layout: the env's ``obs_layout`` (EqPushT-v1's state observation).
        action_type: "delta" or "absolute".
        distances: how far past the contact point each candidate push goes (px).
        tilts_deg: push directions tried at each contact point, from the edge's inward normal (degrees).
        time_weight: px of keypoint error one step of the primitive is worth.
    """

    def __init__(
        self,
        model: PushOutcomeModel,
        obs_layout: Layout,
        action_type: str = "delta",
        distances: tuple[float, ...] = (4.0, 10.0, 25.0, 50.0, 90.0, 140.0),
        tilts_deg: tuple[float, ...] = (0.0, -30.0, 30.0),
        time_weight: float = 0.3,
    ):
        for name in ("goal_pos", "goal_dir", "block_pos", "block_dir", "pusher_pos"):
            if name not in obs_layout:
                raise ValueError(f"obs_layout: missing field {name!r}; is this an EqPushT-v1 state layout?")
        if action_type not in ("delta", "absolute"):
            raise ValueError(f"action_type: {action_type!r} is not 'delta' or 'absolute'")
        self.model, self.layout, self.action_type = model.eval(), obs_layout, action_type
        self.dtype = next(model.parameters()).dtype
        self.distances, self.time_weight = tuple(float(d) for d in distances), float(time_weight)
        self.tilts = tuple(rotation_2d(math.radians(t)) for t in tilts_deg)
        self.contacts = contacts()
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        del seed  # deterministic
        self._plan: dict[str, Any] | None = None

    # ------------------------------------------------------------------ acting
    def act(self, obs: Any) -> np.ndarray:
        obs = np.asarray(obs["state"] if isinstance(obs, dict) else obs, dtype=np.float64)
        f = self.layout.split(obs)
        pusher = f["pusher_pos"] * ARENA_UNIT_PX + ARENA_CENTRE  # px in the observation's frame
        heading = f["block_dir"] / math.hypot(*f["block_dir"])
        block = np.array([*(f["block_pos"] * ARENA_UNIT_PX + ARENA_CENTRE), math.atan2(heading[1], heading[0])])
        self._plan, delta = step_primitive(self._plan, pusher, block, lambda: self._decide(pusher, block, f))
        if self.action_type == "delta":
            return delta
        return pusher + delta * DELTA_SCALE_PX

    # ------------------------------------------------------------------ deciding
    def _square(self, f: dict[str, np.ndarray]) -> Square:
        """The pusher's square as the observation places it: turned as the goal is turned from gym-pusht's."""
        d = f["goal_dir"] / math.hypot(*f["goal_dir"])
        a = _CANONICAL_GOAL[2]
        c, s = math.cos(a) * d[0] + math.sin(a) * d[1], math.cos(a) * d[1] - math.sin(a) * d[0]
        rotation = np.array([[c, -s], [s, c]])
        goal0 = (np.array(_CANONICAL_GOAL[:2]) - ARENA_CENTRE) / ARENA_UNIT_PX
        centre = (f["goal_pos"] - rotation @ goal0) * ARENA_UNIT_PX + ARENA_CENTRE
        return Square(rotation, centre)

    def _decide(self, pusher: np.ndarray, block: np.ndarray, f: dict[str, np.ndarray]) -> dict[str, Any]:
        from shapely.geometry import Point

        square = self._square(f)
        graph = Graph(pusher, block, square, tie=_TIE)
        rotation = rotation_2d(block[2])
        points, directions, lengths, ends, walks, routes = [], [], [], [], [], []
        for contact, inward in self.contacts:
            at = rotation @ contact + block[:2]
            for tilt in self.tilts:
                direction = rotation @ (tilt @ inward)
                standoff = at - STANDOFF * direction
                if not square.inside(standoff) or graph.clear.contains(Point(*standoff)):
                    continue
                route = graph.route(standoff)
                if route is None:
                    continue
                path, walk = route
                for distance in self.distances:
                    length = _inside_length(square, standoff, direction, STANDOFF + distance - PUSHER_RADIUS)
                    points.append(at)
                    directions.append(direction)
                    lengths.append(length)
                    ends.append(standoff + length * direction)
                    walks.append(walk)
                    routes.append([*path, standoff])
        if not points:  # boxed in: step back from the block and decide again
            away = pusher - (rotation @ T_CENTRE_OF_MASS + block[:2])
            end = square.clip(pusher + 20.0 * away / max(math.hypot(*away), 1e-9))
            return {"waypoints": [end], "index": 0, "block": block, "steps": 0}
        cost = self.scores(block, f, np.array(points), np.array(directions), np.array(lengths))
        steps = np.minimum(PUSH_STEPS, np.ceil(np.array(lengths) / DELTA_SCALE_PX) + 1)
        cost = cost + self.time_weight * (np.array(walks) / 20.0 + steps)
        # the first of equal costs (to _TIE): candidates come in the block's own order, the same at every orientation
        best = int(np.flatnonzero(cost <= cost.min() + _TIE)[0])
        return {"waypoints": [*routes[best], ends[best]], "index": 0, "block": block, "steps": 0}

    def scores(self, block: np.ndarray, f: dict[str, np.ndarray], points: np.ndarray, directions: np.ndarray,
               lengths: np.ndarray) -> np.ndarray:  # fmt: skip
        """Mean keypoint distance (px) to the goal of the block after each push, as the model predicts it."""

        def tensor(x: Any) -> torch.Tensor:
            return torch.tensor(np.asarray(x, np.float64), dtype=self.dtype)

        n = len(points)
        heading = np.array([math.cos(block[2]), math.sin(block[2])])
        origin = f["goal_pos"] * ARENA_UNIT_PX + ARENA_CENTRE  # positions are taken from the goal's (px)
        position = (block[:2] - origin) / ARENA_UNIT_PX
        goal_heading = f["goal_dir"] / math.hypot(*f["goal_dir"])
        with torch.no_grad():
            vectors = PushOutcomeModel.features(
                tensor(np.broadcast_to(position, (n, 2))), tensor(np.broadcast_to(heading, (n, 2))),
                tensor(np.broadcast_to(goal_heading, (n, 2))), tensor((points - origin) / ARENA_UNIT_PX),
                tensor(directions), tensor(lengths),
            )  # fmt: skip
            predicted = keypoints(*self.model(vectors))
            goal = keypoints(tensor(np.zeros(2)), tensor(goal_heading))
            return torch.linalg.vector_norm(predicted - goal, dim=-1).mean(-1).double().numpy()


def _inside_length(square: Square, start: np.ndarray, direction: np.ndarray, length: float) -> float:
    """``length``, shortened so that the push ends inside the pusher's square (the push keeps its direction)."""
    if square.inside(start + length * direction):
        return length
    lo, hi = 0.0, length
    for _ in range(30):  # bisection: the square is convex and the start inside it
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if square.inside(start + mid * direction) else (lo, mid)
    return lo
