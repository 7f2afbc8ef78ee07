"""The built-in orientation wrappers.

``Orient(env, orientation=g)`` shows any environment that exposes a ``symmetry`` from orientation g:
observations through ``act_obs(g, .)``, actions through ``act_action(g^-1, .)``, reset states through
``act_state``, and frames re-drawn from the scene's geometry when the env offers ``render_view`` (else
quarter turns of the image). It is how EqPushT-v1's frame mode works: the simulation is untouched, so
the relabelling is exact by construction.

``SampleOrientation(env, split="slice", seed=0)`` draws a fresh orientation from a split at every reset
(passed down as ``reset(options={"orientation": g})``) and reports it in ``info["orientation"]``.
Training on the slice with any library is then one line::

    env = SampleOrientation(gym.make("EqPushT-v1"), split="slice", seed=0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from eqenvs.groups import GroupElement
from eqenvs.symmetry import PIXELS, Layout, Symmetry

__all__ = ["Orient", "SampleOrientation"]


def _json_form(orientation: Any, symmetry: Symmetry) -> Any:
    """Constructor arguments are recorded JSON-able, like gym.make's kwargs."""
    return symmetry.element(orientation).to_json()


def _widen(box: spaces.Box, layout: Layout, translation_norm: float) -> spaces.Box:
    """A Box whose point fields are widened by a translation of norm ``translation_norm`` (radial bounds)."""
    if not translation_norm:
        return box
    low, high = box.low.astype(np.float64), box.high.astype(np.float64)
    for f in layout:
        if f.kind == "point":
            low[f.slice] -= f.scale * translation_norm
            high[f.slice] += f.scale * translation_norm
    return spaces.Box(low.astype(box.dtype), high.astype(box.dtype), dtype=box.dtype)


class Orient(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """The frame-mode group action: ``env`` seen from orientation ``g``.

    Args:
        env: an environment exposing ``symmetry`` (an ``eqenvs.symmetry.Symmetry``), e.g. any eqenvs env.
        orientation: any form ``env.symmetry.element`` accepts (angle, matrix, element, JSON).

    ``reset(options={"orientation": h})`` switches to ``h`` for one episode (a translation may not exceed
    the constructor's: the observation bounds are built for it).
    """

    def __init__(self, env: gym.Env, orientation: Any = 0.0):
        try:
            symmetry: Symmetry = env.get_wrapper_attr("symmetry")
        except AttributeError:
            raise ValueError("env: Orient needs an env exposing `symmetry` (an eqenvs.symmetry.Symmetry)") from None
        gym.utils.RecordConstructorArgs.__init__(self, orientation=_json_form(orientation, symmetry))
        gym.Wrapper.__init__(self, env)
        self.symmetry = symmetry
        g = symmetry.element(orientation)
        self._parts = parts = symmetry.observation_parts
        try:
            self._render_view = env.get_wrapper_attr("render_view")
        except AttributeError:
            self._render_view = None
            if PIXELS in parts.values():
                symmetry.act_frame(g, np.zeros((16, 16, 3), np.uint8))  # raises unless g is a quarter turn
        obs_camera = getattr(env.unwrapped, "obs_camera", None)  # 3D: pixel observations have their own camera
        self._pixel_kwargs = {} if obs_camera is None else {"camera": obs_camera}
        self._default = g
        self._max_translation = float(np.linalg.norm(g.translation))
        obs_space, shift = env.observation_space, self._max_translation
        for key, part in parts.items():  # the point fields of every layout widen with the translation
            if isinstance(part, Layout):
                if key is None:
                    obs_space = _widen(obs_space, part, shift)
                else:
                    obs_space = spaces.Dict({**obs_space.spaces, key: _widen(obs_space[key], part, shift)})
        self.observation_space = obs_space
        self.action_space = _widen(env.action_space, symmetry.action_layout, self._max_translation)
        self._set_orientation(g)

    @property
    def orientation(self) -> GroupElement:
        """The orientation of the current episode."""
        return self._g

    def _set_orientation(self, g: GroupElement) -> None:
        self._g = g
        self._obs_maps: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}
        for key, part in self._parts.items():
            if isinstance(part, Layout):
                a, b = part.affine(g)
                self._obs_maps[key] = (a.T.copy(), b)
        a, b = self.symmetry.action_layout.affine(g.inverse())
        self._action_back = (a.T.copy(), b)

    # ------------------------------------------------------------------ maps
    def _observe(self, obs: Any) -> Any:
        parts = self._parts
        if None in parts:
            return self._observe_part(None, parts[None], obs)
        return {key: self._observe_part(key, part, obs[key]) for key, part in parts.items()}

    def _observe_part(self, key: str | None, part: Any, value: Any) -> Any:
        if part == PIXELS:
            if self._render_view is not None:  # re-drawn from g: sharp at any angle
                return self._render_view(self._g, value.shape[0], False, **self._pixel_kwargs)
            return self.symmetry.act_frame(self._g, value)
        a_t, b = self._obs_maps[key]
        return value @ a_t + b

    def action(self, action: Any) -> np.ndarray:
        """The action the wrapped env receives for ``action`` given in this wrapper's frame."""
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"action: expected a numeric array, got {action!r}") from None
        size = self.symmetry.action_layout.size
        if a.shape != (size,):
            raise ValueError(f"action: expected shape ({size},), got {a.shape}")
        if not np.all(np.isfinite(a)):  # checked here, so the message shows the action given, not its image under g
            raise ValueError(f"action: must be finite, got {a.tolist()}")
        return a @ self._action_back[0] + self._action_back[1]

    # --------------------------------------------------------------- gym API
    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(self.action(action))
        return self._observe(obs), reward, terminated, truncated, info

    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
        inner = dict(options or {})
        g = self._default
        if inner.get("orientation") is not None:
            g = self.symmetry.element(inner.pop("orientation"), "options['orientation']")
            if np.linalg.norm(g.translation) > self._max_translation + 1e-9:
                raise ValueError(
                    f"options['orientation']: translation {np.linalg.norm(g.translation):.6g} exceeds the "
                    f"{self._max_translation:.6g} this wrapper's observation bounds were built for"
                )
        inner.pop("orientation", None)
        if inner.get("state") is not None:
            inner["state"] = self.symmetry.act_state(g.inverse(), inner["state"], "options['state']")
        obs, info = self.env.reset(seed=seed, options=inner or None)
        self._set_orientation(g)
        inner_orientation = info.get("orientation")
        info["orientation"] = g if inner_orientation is None else g @ self.symmetry.element(inner_orientation)
        return self._observe(obs), info

    def render(self) -> Any:
        if self._render_view is not None:
            if self.env.render_mode is None:
                return self.env.render()  # the env's own warning
            return self._render_view(self._g, None, True)
        frame = self.env.render()
        return None if frame is None else self.symmetry.act_frame(self._g, frame)

    def render_view(self, view: Any = None, size: int | None = None, overlay: bool = True, **kwargs: Any) -> np.ndarray:
        """The scene as seen from ``view`` composed with this wrapper's orientation (``kwargs``: the env's own,
        e.g. ``camera`` in 3D)."""
        if self._render_view is None:
            raise AttributeError("render_view: the wrapped env cannot draw arbitrary views")
        g = self._g if view is None else self.symmetry.element(view, "view") @ self._g
        return self._render_view(g, size, overlay, **kwargs)

    def get_state(self) -> np.ndarray:
        """The wrapped env's reset state, expressed in this wrapper's frame."""
        return self.symmetry.act_state(self._g, self.env.get_wrapper_attr("get_state")())


class SampleOrientation(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Draw a fresh orientation from ``split`` at every reset and report it in ``info["orientation"]``.

    Args:
        env: an environment whose ``reset`` accepts ``options={"orientation": g}`` (every eqenvs env,
            or any env wrapped in ``Orient``).
        split: a split name of ``eqenvs.splits`` ("slice", "heldout", "full").
        seed: seeds the orientation draws; ``reset(seed=s)`` re-seeds them from ``s`` as well, so the
            same seeds give the same orientations. An explicit ``options["orientation"]`` wins.
    """

    def __init__(self, env: gym.Env, split: str = "slice", seed: int | None = None):
        from eqenvs.splits import get_split

        gym.utils.RecordConstructorArgs.__init__(self, split=split, seed=seed)
        gym.Wrapper.__init__(self, env)
        self.split = get_split(env, split)
        self._rng = np.random.default_rng(seed)

    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
        if seed is not None:
            self._rng = np.random.default_rng([seed, 0x0E1E])  # a stream of its own, distinct from the env's
        options = dict(options or {})
        if options.get("orientation") is None:
            options["orientation"] = self.split.sample(self._rng)
        obs, info = self.env.reset(seed=seed, options=options)
        if info.get("orientation") is None:  # eqenvs envs report it themselves
            info["orientation"] = self.split.group.parse(options["orientation"])
        return obs, info
