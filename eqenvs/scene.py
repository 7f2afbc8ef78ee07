"""What every eqenvs environment shares: a scene placed in the world, and the registered env that orients it.

An eqenvs task is written once, as a ``PlacedScene``: the simulation of the canonical task, put into the
world by a ``placement`` (a group element; the identity is the canonical scene). The registered env
(an ``OrientedEnv``) then realises an orientation g in one of two ways:

* ``orientation_mode="frame"``: ``Orient(scene at the identity, g)``, an exact relabelling;
* ``orientation_mode="physics"``: the scene placed at g, so the simulator itself carries the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from eqenvs.groups import GroupElement
from eqenvs.render import HumanWindow
from eqenvs.tasks import Measurement, Task
from eqenvs.wrappers import Orient

__all__ = ["ORIENTATION_MODES", "OrientedEnv", "PlacedScene", "choice", "generator_from_state", "quantise_action"]

ORIENTATION_MODES = ("frame", "physics")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError naming ``name``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}: {value!r} is not one of {allowed}")
    return value


def quantise_action(v: float, zero: float) -> float:
    """Round an action component to float32 (the action space's dtype) and flush specks below ``zero`` to 0.

    This makes frame mode's round trip exact: ``act_action(g^-1, act_action(g, a))`` differs from a
    float32 action ``a`` by ~1e-16, which rounding to float32 removes, so the canonical simulation
    receives ``a`` bit for bit. (Contacts amplify any difference: 1e-16 grows to ~1e-8 within 30 steps.)
    """
    if abs(v) < zero:
        return 0.0
    return float(np.float32(max(-_FLOAT32_MAX, min(_FLOAT32_MAX, v))))


def generator_from_state(state: dict[str, Any]) -> np.random.Generator:
    """A numpy Generator restored from ``generator.bit_generator.state`` (for pickling envs)."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


class PlacedScene(gym.Env):
    """Base of a task's simulation placed in the world by a group element.

    Subclasses set ``group`` and ``translation_unit``, build ``symmetry``/``obs_layout``/spaces, keep
    ``task`` (an ``eqenvs.tasks.Task``), ``_base_placement`` (the constructor's) and ``_max_translation``
    (the observation bounds are built for it), and implement ``measure`` (the physics' answers the task
    evaluates), ``render_view``, ``get_state``, ``_parse_state(state, placement)``, ``_advance(action)``
    and ``_get_obs()``. ``step`` is then the same everywhere: advance; observe; evaluate.
    """

    group: ClassVar[type[GroupElement]]
    translation_unit: ClassVar[str]
    task: Task
    _base_placement: GroupElement
    _max_translation: float
    obs_size: int
    # the registered env's frame mode sets this: its Orient draws the pixels from g, so drawing them here
    # too would only double the cost
    _pixels_drawn_by_wrapper: bool = False

    def step(self, action: Any):
        self._advance(action)  # validates the action before any state changes
        obs = self._get_obs()
        reward, success, info = self.task.evaluate(self.measure())
        return obs, reward, success, False, info

    def _reset_info(self) -> dict[str, Any]:
        """``info`` after a reset: the task's, never a success yet, and the episode's orientation."""
        info = self.task.info(self.measure(), False)
        info["orientation"] = self.placement
        return info

    def measure(self) -> Measurement:
        """The physics' answers to the task's questions (position and angle errors, coverage)."""
        raise NotImplementedError

    def _advance(self, action: Any) -> None:
        raise NotImplementedError

    def _get_obs(self) -> Any:
        raise NotImplementedError

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("render(): no render_mode was set; pass render_mode='rgb_array'")
            return None
        return self.render_view()

    def _pixels(self) -> np.ndarray:
        """The pixel observation (a placeholder when the wrapper draws it)."""
        if self._pixels_drawn_by_wrapper:
            return np.zeros((self.obs_size, self.obs_size, 3), np.uint8)  # replaced by the wrapper's frame
        camera = getattr(self, "obs_camera", None)  # 3D: pixel observations have their own camera
        return self.render_view(size=self.obs_size, overlay=False, **({} if camera is None else {"camera": camera}))

    def _parse_options(self, options: Mapping[str, Any] | None) -> tuple[GroupElement, Any]:
        """Validate ``reset`` options: the episode's placement and the parsed reset state (or None)."""
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
        unknown = set(options) - {"orientation", "state"}
        if unknown:
            raise ValueError(f"options: unknown key(s) {sorted(map(str, unknown))}; expected 'orientation', 'state'")
        placement = self._base_placement
        if options.get("orientation") is not None:
            placement = self.group.parse(options["orientation"], "options['orientation']")
            shift = float(np.linalg.norm(placement.translation))
            if shift > self._max_translation + 1e-9:
                unit = self.translation_unit
                raise ValueError(
                    f"options['orientation']: translation {shift:.6g} {unit} exceeds the {self._max_translation:.6g} "
                    f"{unit} the observation bounds were built for; construct the env with the largest translation "
                    "you will use"
                )
        state = None if options.get("state") is None else self._parse_state(options["state"], placement)
        return placement, state


class OrientedEnv(gym.Env):
    """A registered eqenvs env: a ``PlacedScene`` seen from orientation g, in frame or physics mode.

    ``env.unwrapped`` is this object: ``symmetry``, ``obs_layout``, ``orientation`` (the current
    episode's), ``render_view``, ``get_state`` and ``scene`` (the simulation) live here. Like ``gym.make``'s
    order enforcing, it refuses ``step``, ``render``, ``render_view`` and ``get_state`` before the first
    ``reset`` with Gymnasium's ``ResetNeeded`` (there is no episode yet).
    """

    scene_class: ClassVar[type[PlacedScene]]
    _has_reset: bool = False  # set by the first successful reset (an instance attribute, so it pickles)

    def _check_reset(self, call: str) -> None:
        if not self._has_reset:
            raise gym.error.ResetNeeded(f"Cannot call env.{call}() before calling env.reset()")

    def _build(self, orientation: Any, orientation_mode: str, render_mode: str | None, **scene_kwargs: Any) -> None:
        self.orientation_mode = choice(orientation_mode, ORIENTATION_MODES, "orientation_mode")
        if render_mode is not None:
            choice(render_mode, tuple(self.metadata["render_modes"]), "render_mode")
        g = self.scene_class.group.parse(orientation, "orientation")
        # "human" shows the frames the scene draws for "rgb_array" in a window
        scene_kwargs["render_mode"] = "rgb_array" if render_mode == "human" else render_mode
        if self.orientation_mode == "frame":
            self.scene = self.scene_class(**scene_kwargs)
            self.scene._pixels_drawn_by_wrapper = True  # Orient renders pixel observations from g itself
            self._env: gym.Env = Orient(self.scene, orientation=g)
        else:
            self.scene = self.scene_class(placement=g, **scene_kwargs)
            self._env = self.scene
        self.render_mode = render_mode
        self._window = HumanWindow(type(self).__name__, self.metadata["render_fps"]) if render_mode == "human" else None
        self.symmetry = self.scene.symmetry
        self.obs_layout = self.scene.obs_layout
        self.task = self.scene.task.name
        self.observation_space = self._env.observation_space
        self.action_space = self._env.action_space

    # The scene owns the episode's random generator: alias gym.Env's storage to it, so that
    # ``env.unwrapped.np_random`` is the one generator every draw goes through.
    @property
    def _np_random(self) -> np.random.Generator | None:
        return self.scene._np_random

    @_np_random.setter
    def _np_random(self, value: np.random.Generator | None) -> None:
        self.scene._np_random = value

    @property
    def _np_random_seed(self) -> int | None:
        return self.scene._np_random_seed

    @_np_random_seed.setter
    def _np_random_seed(self, value: int | None) -> None:
        self.scene._np_random_seed = value

    @property
    def orientation(self) -> GroupElement:
        """The orientation of the current episode."""
        return self._env.orientation if self.orientation_mode == "frame" else self.scene.placement

    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        out = self._env.reset(seed=seed, options=options)
        self._has_reset = True
        if self._window is not None:
            self._window.show(self._env.render())
        return out

    def step(self, action: Any):
        self._check_reset("step")
        out = self._env.step(action)
        if self._window is not None:
            self._window.show(self._env.render())
        return out

    def render(self) -> np.ndarray | None:
        """The current frame (``"rgb_array"``); ``"human"`` shows frames in a window as the episode runs and
        returns None (Gymnasium's convention)."""
        if self.render_mode is not None:  # without one there is nothing to draw: the scene warns and returns None
            self._check_reset("render")
        if self._window is not None:
            self._window.show(self._env.render())
            return None
        return self._env.render()

    def render_view(self, view: Any = None, size: int | None = None, overlay: bool = True, **kwargs: Any) -> np.ndarray:
        """The current scene drawn as seen from ``view`` composed with this env's own orientation."""
        self._check_reset("render_view")
        return self._env.render_view(view, size, overlay, **kwargs)

    def get_state(self) -> np.ndarray:
        """The reset state in this env's frame: feed it back as ``reset(options={"state": ...})``."""
        self._check_reset("get_state")
        return self._env.get_state()

    def close(self) -> None:
        self._env.close()
        if self._window is not None:
            self._window.close()
