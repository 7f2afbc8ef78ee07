"""eqenvs.symmetry: layouts act as affine maps, exactly at the identity; pixel quarter turns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from eqenvs.groups import SE2, SO2
from eqenvs.pusht import ARENA_CENTRE, EqPushTEnv
from eqenvs.symmetry import PIXELS, Field, Layout, Symmetry


@pytest.fixture(scope="module")
def sym():
    return EqPushTEnv(obs_type="state_pixels", action_type="absolute").symmetry


def test_identity_acts_bit_for_bit(sym):
    x = np.random.default_rng(0).normal(size=(5, 12))
    assert np.array_equal(sym.obs_layout.act(SE2.identity(), x), x)
    a = np.random.default_rng(1).uniform(0, 512, (5, 2))
    assert np.array_equal(sym.act_action(0.0, a), a)


def test_layout_action_composes_and_matches_the_group(sym):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 12))
    for g, h in zip(SE2.sample(rng, 10, 30.0), SE2.sample(rng, 10, 30.0), strict=True):
        both = sym.obs_layout.act(g @ h, x)
        assert np.abs(both - sym.obs_layout.act(g, sym.obs_layout.act(h, x))).max() < 1e-14  # measured 8.9e-16
        moved = sym.obs_layout.split(sym.obs_layout.act(g, x))
        parts = sym.obs_layout.split(x)
        # points rotate about the arena centre and translate by t / 256; vectors only rotate
        assert np.allclose(moved["block_pos"], parts["block_pos"] @ g.rotation.T + g.translation / 256, atol=1e-14)
        assert np.allclose(moved["pusher_vel"], parts["pusher_vel"] @ g.rotation.T, atol=1e-14)
        # absolute actions are px targets about the arena centre (255.5, 255.5)
        target = np.array([300.0, 100.0])
        expected = ARENA_CENTRE + g.rotation @ (target - ARENA_CENTRE) + g.translation
        assert np.allclose(sym.act_action(g, target), expected, atol=1e-12)


def test_state_layout_turns_the_block_angle(sym):
    g = SE2.from_angle(0.4)
    state = np.array([100.0, 200.0, 300.0, 250.0, 1.0])
    moved = sym.act_state(g, state)
    assert moved[4] == pytest.approx(1.4, abs=1e-15)
    assert np.allclose(sym.act_state(g.inverse(), moved), state, atol=1e-12)


def test_torch_inputs_keep_their_dtype(sym):
    x = torch.randn(4, 12, dtype=torch.float32)
    g = SE2.sample(0, translation_scale=5.0)
    out = sym.obs_layout.act(g, x)
    assert out.dtype == torch.float32
    assert np.abs(out.double().numpy() - sym.obs_layout.act(g, x.double().numpy())).max() < 1e-5
    # numpy float32 input is computed in float64, so the action round trip stays exact after float32 rounding
    a = np.float32([0.3, -0.7])
    assert sym.act_action(g, a).dtype == np.float64
    assert np.array_equal(np.float32(sym.act_action(g.inverse(), sym.act_action(g, a))), a)


def test_quarter_turns_of_frames_are_rot90(sym):
    image = np.random.default_rng(3).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    quarter = SO2.from_angle(math.pi / 2)
    turned = sym.act_frame(quarter, image)
    assert np.array_equal(turned, np.rot90(image, k=-1))
    assert np.array_equal(sym.act_frame(quarter, turned), np.rot90(image, 2))
    assert np.array_equal(sym.act_frame(SO2.from_angle(2 * math.pi), image), image)
    with pytest.raises(ValueError, match="quarter turns"):
        sym.act_frame(0.3, image)
    with pytest.raises(ValueError, match="quarter turns"):
        sym.act_frame([[0, -1, 4], [1, 0, 0], [0, 0, 1]], image)
    obs = {"state": np.zeros(12), "pixels": image}
    moved = sym.act_obs(quarter, obs)
    assert np.array_equal(moved["pixels"], np.rot90(image, k=-1))


def test_bad_inputs_name_the_argument(sym):
    with pytest.raises(ValueError, match="obs: last dimension must be 12"):
        sym.obs_layout.act(SE2.identity(), np.zeros(11), "obs")
    with pytest.raises(ValueError, match="action: last dimension must be 2"):
        sym.act_action(0.1, np.zeros(3))
    with pytest.raises(ValueError, match="obs: expected a dict"):
        sym.act_obs(0.0, np.zeros(12))
    with pytest.raises(ValueError, match="kind"):
        Field("x", "spinor", 0, 2)
    with pytest.raises(ValueError, match="contiguous"):
        Layout([Field("a", "vector", 0, 2), Field("b", "vector", 3, 2)])
    with pytest.raises(ValueError, match="cannot act on the 2D field"):
        Layout.of(("p", "point", 2)).affine(__import__("eqenvs").SE3.identity())


def test_boxes_are_radial_and_widen_with_translation(sym):
    box = sym.obs_layout.box()
    wide = sym.obs_layout.box(translation_norm=128.0)
    point = sym.obs_layout["block_pos"].slice
    vector = sym.obs_layout["block_dir"].slice
    assert np.allclose(wide.high[point] - box.high[point], 0.5)
    assert np.array_equal(wide.high[vector], box.high[vector])


def points_about_the_centre(g, p):
    return ARENA_CENTRE + (np.asarray(p).reshape(-1, 2) - ARENA_CENTRE) @ g.rotation.T + g.translation


def test_dict_observations_act_key_by_key():
    sym = EqPushTEnv(obs_type="environment_state_agent_pos").symmetry
    assert set(sym.observation) == {"environment_state", "agent_pos"}
    rng = np.random.default_rng(4)
    obs = {"environment_state": rng.uniform(0, 512, 16), "agent_pos": rng.uniform(0, 512, 2)}
    g, h = SE2.sample(rng, translation_scale=30.0), SE2.sample(rng, translation_scale=30.0)
    moved = sym.act_obs(g, obs)
    # every keypoint and the pusher are points in px about the arena centre: c + R (p - c) + t
    assert (
        np.abs(moved["environment_state"].reshape(8, 2) - points_about_the_centre(g, obs["environment_state"])).max()
        < 1e-12
    )
    assert np.abs(moved["agent_pos"] - points_about_the_centre(g, obs["agent_pos"])[0]).max() < 1e-12
    twice = sym.act_obs(g, sym.act_obs(h, obs))
    assert all(np.abs(twice[k] - sym.act_obs(g @ h, obs)[k]).max() < 1e-12 for k in obs)
    identity = sym.act_obs(SE2.identity(), obs)
    assert all(np.array_equal(identity[k], obs[k]) for k in obs)  # bit for bit
    with pytest.raises(
        ValueError, match=r"obs: expected a dict with keys \['agent_pos', 'environment_state'\], got \['agent_pos'\]"
    ):
        sym.act_obs(g, {"agent_pos": obs["agent_pos"]})


def test_pixels_and_points_in_one_observation():
    sym = EqPushTEnv(obs_type="pixels_agent_pos").symmetry
    image = np.random.default_rng(5).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    quarter = SO2.from_angle("90deg")
    moved = sym.act_obs(quarter, {"pixels": image, "agent_pos": np.array([300.0, 100.0])})
    assert np.array_equal(moved["pixels"], np.rot90(image, k=-1))
    # a quarter turn about the centre: (x, y) - c -> (-(y - c), x - c), in exact arithmetic
    assert moved["agent_pos"].tolist() == [255.5 + 155.5, 255.5 + 44.5]
    with pytest.raises(ValueError, match="quarter turns"):
        sym.act_obs(0.3, {"pixels": image, "agent_pos": np.zeros(2)})


def test_symmetry_declares_its_observation_parts():
    layout = Layout.of(("p", "point", 2))
    default = Symmetry(SE2, layout, layout)
    assert default.observation is layout and default.observation_parts == {None: layout}
    assert Symmetry(SE2, layout, layout, observation=PIXELS).observation_parts == {None: PIXELS}
    parts = {"image": PIXELS, "p": layout}
    declared = Symmetry(SE2, layout, layout, observation=parts)
    parts["q"] = layout  # the symmetry keeps its own copy
    assert declared.observation_parts == {"image": PIXELS, "p": layout}
    assert declared.state_key == "p" and default.state_key is None  # a flat observation is the state itself
    assert EqPushTEnv(obs_type="state_pixels").symmetry.state_key == "state"
    assert EqPushTEnv(obs_type="pixels_agent_pos").symmetry.obs_type == "pixels_agent_pos"  # a label
    assert EqPushTEnv(obs_type="environment_state_agent_pos").symmetry.state_key is None  # px points, not the state
    with pytest.raises(ValueError, match="observation\\['x'\\]: expected a Layout or 'pixels', got 'depth'"):
        Symmetry(SE2, layout, layout, observation={"x": "depth"})
    with pytest.raises(ValueError, match="observation: a dict observation needs at least one key"):
        Symmetry(SE2, layout, layout, observation={})
    with pytest.raises(ValueError, match="observation: expected a Layout or 'pixels', got 3"):
        Symmetry(SE2, layout, layout, observation=3)
