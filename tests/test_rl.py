"""agents.rl and agents.sb3: SB3 policies that are exactly equivariant (the action mean), isotropic (the noise)
and invariant (values, Q-values), their MLP twins failing the same checks, and the training command."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO, SAC

import eqenvs  # noqa: F401  (registers the ids)
from agents.benchmark import BenchConfig, run_benchmark
from agents.config import CurvesConfig, SB3Config
from agents.rl.curves import format_curves, learning_curves, plot_curves
from agents.rl.policies import VNActorCriticPolicy, VNSACPolicy, _log_det_radial_squash, radial_squash
from agents.rl.train import load_hyperparams, train_sb3
from agents.specs import make_agent
from eqenvs.groups import SE2, SE3
from eqenvs.testing import assert_equivariant, assert_not_equivariant, sample_elements

ENVS = {"EqPushT-v1": SE2, "EqPushT3D-v1": SE3}
F64 = torch.float64
SMALL = {PPO: {"n_steps": 64, "batch_size": 32}, SAC: {"learning_starts": 0, "batch_size": 32, "buffer_size": 1000}}


def model_of(algo, env_id: str, vn: bool, dtype: torch.dtype = F64):
    env = gym.make(env_id, task="push")
    policy = (VNActorCriticPolicy if algo is PPO else VNSACPolicy) if vn else "MlpPolicy"
    kwargs = {"env_id": env_id} if vn else {}
    model = algo(policy, env, policy_kwargs=kwargs, seed=0, device="cpu", **SMALL[algo])
    model.policy.to(dtype)
    return env.unwrapped.symmetry, model


def observations(symmetry, n: int = 16) -> np.ndarray:
    return np.random.default_rng(1).normal(0, 0.4, (n, symmetry.obs_layout.size))


def elements(group):
    return sample_elements(group, 12, seed=3, translation_scale=0.3)


def torch_fn(f, dtype=F64):
    return lambda x: f(torch.as_tensor(x, dtype=dtype)).detach().numpy()


@pytest.mark.parametrize("env_id", ENVS)
def test_ppo_policy_mean_is_equivariant_value_invariant_noise_isotropic(env_id):
    symmetry, model = model_of(PPO, env_id, vn=True)
    obs, group = observations(symmetry), ENVS[env_id]
    act_obs = lambda g, o: symmetry.act_obs(g, o)  # noqa: E731
    mean = torch_fn(lambda o: model.policy.get_distribution(o).distribution.mean)
    value = torch_fn(model.policy.predict_values)
    error = assert_equivariant(mean, [obs], [act_obs], symmetry.act_action, elements(group), F64, "model")
    assert error < 1e-14
    assert_equivariant(value, [obs], [act_obs], lambda g, v: v, elements(group), F64, "model")
    assert model.policy.log_std.shape == (1,)  # one std for every direction
    # the deterministic action is the mean, inside the unit ball, so SB3's clipping to the box never moves it
    action, _ = model.predict(obs, deterministic=True)
    np.testing.assert_array_equal(action, mean(obs))
    assert np.linalg.norm(action, axis=-1).max() < 1.0
    # float32 too
    symmetry, model32 = model_of(PPO, env_id, vn=True, dtype=torch.float32)
    mean32 = torch_fn(lambda o: model32.policy.get_distribution(o).distribution.mean, torch.float32)
    assert_equivariant(mean32, [obs.astype(np.float32)], [lambda g, o: symmetry.act_obs(g, o).astype(np.float32)],
                       symmetry.act_action, elements(group), torch.float32, "model")  # fmt: skip
    # the twin: SB3's MLP policy fails the same check
    _, mlp = model_of(PPO, env_id, vn=False, dtype=torch.float32)  # SB3's own policies compute in float32
    mlp_mean = torch_fn(lambda o: mlp.policy.get_distribution(o).distribution.mean, torch.float32)
    assert_not_equivariant(mlp_mean, [obs], [act_obs], symmetry.act_action, elements(group), torch.float32, "model",
                           1e-3)  # fmt: skip


class _ActionLog(gym.Wrapper):
    """Records the actions the env is handed."""

    def __init__(self, env: gym.Env, log: list):
        super().__init__(env)
        self.log = log

    def step(self, action):
        self.log.append(np.array(action, dtype=np.float64))
        return super().step(action)


def first_training_actions(policy, orientation: float, noise: np.ndarray) -> np.ndarray:
    """The actions SB3's PPO hands to ``len(noise)`` envs at ``orientation`` on its first rollout step, the
    policy in float64 and its Gaussian draw fixed to ``noise`` (one row per env)."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    log: list = []
    make = lambda: _ActionLog(gym.make("EqPushT-v1", task="push", orientation=orientation), log)  # noqa: E731
    model = PPO(policy, DummyVecEnv([make] * len(noise)), n_steps=1, batch_size=len(noise), seed=0, device="cpu",
                policy_kwargs={"env_id": "EqPushT-v1"})  # fmt: skip
    model.policy.double()
    dist = model.policy.action_dist
    dist.sample = lambda: dist.distribution.mean + dist.distribution.stddev * torch.as_tensor(noise)
    _, callback = model._setup_learn(len(noise))
    model.collect_rollouts(model.env, callback, model.rollout_buffer, n_rollout_steps=1)
    return np.array(log)


class ClippedVNPolicy(VNActorCriticPolicy):
    """The VN PPO policy as it was: SB3 clips its training samples to the action box per axis."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._squash_output = False


def test_vn_ppo_training_actions_are_equivariant_and_sb3s_clip_was_not():
    """Same seeds, the Gaussian draw taken in a frame that turns with the observation: the action the env gets at
    g is rho(g) of the one at the identity, in float64. The policy as it was (SB3 clips each sample per axis
    before the env projects it onto the disk) fails the same test; SB3's MlpPolicy keeps SB3's clipping."""
    symmetry = gym.make("EqPushT-v1").unwrapped.symmetry
    noise = np.random.default_rng(5).standard_normal((16, 2))
    errors = {}
    for name, policy in (("vn", VNActorCriticPolicy), ("clipped", ClippedVNPolicy)):
        at_identity = first_training_actions(policy, 0.0, noise)
        errors[name] = max(
            np.abs(first_training_actions(policy, angle, symmetry.act_action(g, noise))
                   - symmetry.act_action(g, at_identity)).max()
            for angle in (0.7, 2.0, -2.5) for g in [symmetry.element(angle)]
        )  # fmt: skip
        outside = int((np.abs(at_identity) > 1).any(-1).sum())
        assert outside == (3 if name == "vn" else 0)  # 3 of 16 samples leave the box: handed over, or clipped
    assert errors["vn"] < 1e-12, errors  # measured 3.3e-16
    assert errors["clipped"] > 0.1, errors  # measured 0.25
    mlp = PPO("MlpPolicy", gym.make("EqPushT-v1", task="push"), n_steps=64, batch_size=32, device="cpu")
    assert not mlp.policy.squash_output  # the plain baseline: SB3's own per-axis clip, unchanged


@pytest.mark.parametrize("env_id", ENVS)
def test_sac_actor_is_equivariant_and_its_critics_invariant(env_id):
    symmetry, model = model_of(SAC, env_id, vn=True)
    obs, group = observations(symmetry), ENVS[env_id]
    actions = np.random.default_rng(2).uniform(-1, 1, (len(obs), symmetry.action_layout.size))
    act_obs = lambda g, o: symmetry.act_obs(g, o)  # noqa: E731
    actor = model.policy.actor
    mean = torch_fn(lambda o: actor(o, deterministic=True))
    log_std = torch_fn(lambda o: actor._params(o)[1])
    q = lambda o, a: torch.cat(model.policy.critic(torch.as_tensor(o), torch.as_tensor(a)), -1).detach().numpy()  # noqa: E731
    assert_equivariant(mean, [obs], [act_obs], symmetry.act_action, elements(group), F64, "model")
    assert_equivariant(log_std, [obs], [act_obs], lambda g, s: s, elements(group), F64, "model")
    assert_equivariant(q, [obs, actions], [act_obs, symmetry.act_action], lambda g, v: v, elements(group), F64,
                       "model")  # fmt: skip
    _, mlp = model_of(SAC, env_id, vn=False, dtype=torch.float32)
    mlp_mean = torch_fn(lambda o: mlp.policy.actor(o, deterministic=True), torch.float32)
    assert_not_equivariant(mlp_mean, [obs], [act_obs], symmetry.act_action, elements(group), torch.float32, "model",
                           1e-3)  # fmt: skip


@pytest.mark.parametrize("dim", [2, 3])
def test_radial_squash_log_density_is_the_change_of_variables(dim):
    """log |det J| of the radial squash against autograd's Jacobian, and the squash stays in the unit ball."""
    u = torch.tensor(np.random.default_rng(dim).normal(0, 1.5, (6, dim)), dtype=F64)
    for row in u:
        jacobian = torch.autograd.functional.jacobian(radial_squash, row)
        np.testing.assert_allclose(float(_log_det_radial_squash(row)), float(torch.logdet(jacobian)), rtol=1e-12)
    assert float(torch.linalg.norm(radial_squash(u), dim=-1).max()) < 1.0


def test_deterministic_vn_policy_gives_identical_rows_at_every_orientation(tmp_path):
    """eqbench in float64: the VN policy's outcome is the same at every orientation, the MLP's is not."""
    _, vn = model_of(PPO, "EqPushT-v1", vn=True, dtype=torch.float32)
    _, mlp = model_of(PPO, "EqPushT-v1", vn=False, dtype=torch.float32)
    vn.save(tmp_path / "vn.zip")
    mlp.save(tmp_path / "mlp.zip")
    exact = {}
    for name, dtype in (("vn", ",dtype=float64"), ("mlp", "")):
        cfg = BenchConfig(agent=f"sb3:ppo:{tmp_path / name}.zip{dtype}", task="push", orientations="0deg,37deg,200deg",
                          tasks=2, max_steps=15, videos=0, out=str(tmp_path / f"bench_{name}"))  # fmt: skip
        exact[name] = run_benchmark(cfg, progress=False)["exactness"]
    assert max(exact["vn"]["max_abs_paired_difference"].values()) <= 1e-6
    assert exact["vn"]["max_residual"] < 1e-12
    # the untrained MLP barely moves the pusher in 15 steps (SB3 initialises its action head near 0), and
    # still its closed loop is not exact: measured residual 1.0e-3, return differences 4.6e-4
    assert exact["mlp"]["max_residual"] > 1e-4 and exact["mlp"]["max_abs_paired_difference"]["return"] > 1e-5


def test_vn_policies_refuse_another_envs_layout_and_sb3_specs_their_options(tmp_path):
    env2d = gym.make("EqPushT-v1", task="push")
    with pytest.raises(ValueError, match=r"observation_space: the VN policy's env layout has 33 entries"):
        PPO(VNActorCriticPolicy, env2d, policy_kwargs={"env_id": "EqPushT3D-v1"}, device="cpu")
    with pytest.raises(ValueError, match="env_id: the VN policy needs a delta"):
        PPO(VNActorCriticPolicy, gym.make("EqPushT-v1", action_type="absolute"), device="cpu",
            policy_kwargs={"env_id": "EqPushT-v1", "env_kwargs": {"action_type": "absolute"}})  # fmt: skip
    _, model = model_of(PPO, "EqPushT-v1", vn=True, dtype=torch.float32)
    model.save(tmp_path / "vn.zip")
    with pytest.raises(ValueError, match="one option, dtype=float32 or dtype=float64"):
        make_agent(f"sb3:ppo:{tmp_path / 'vn.zip'},dtype=float16", env2d)
    with pytest.raises(ValueError, match="other spaces"):
        make_agent(f"sb3:ppo:{tmp_path / 'vn.zip'}", gym.make("EqPushT3D-v1"))


def test_sb3_config_refuses_bad_input_before_writing(tmp_path):
    out = tmp_path / "sub" / "m.zip"
    for kwargs, match in (({"steps": 0}, "steps: must be a positive integer"),
                          ({"n_envs": -2}, "n_envs: must be a positive integer"),
                          ({"max_episode_steps": 0}, "max_episode_steps: must be a positive integer"),
                          ({"algo": "dqn"}, "algo: 'dqn' is not one of"),
                          ({"policy": "cnn"}, "policy: 'cnn' is not one of"),
                          ({"split": "heldout"}, "split: 'heldout' is not one of"),
                          ({"env": "EqPushT3D-v1", "task": "pusht"}, "task: 'pusht' exists in EqPushT only"),
                          ({"hyperparams": tmp_path / "none.yml"}, "hyperparams: .* does not exist")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            SB3Config(out=out, **kwargs)
    assert not (tmp_path / "sub").exists()
    bad = tmp_path / "bad.yml"
    bad.write_text("ppo: {default: {policy: MlpPolicy, n_timesteps: 10}}\n")  # the old layout, per algorithm
    with pytest.raises(ValueError, match=r"no entry for EqPushT-v1 \(nor a 'default'\) with policy and n_timesteps"):
        load_hyperparams("ppo", "EqPushT-v1", "push", bad)
    entry = "default: {policy: MlpPolicy, n_timesteps: 10"
    for text, match in ((f"{entry}, normalize: true}}", r"uses the zoo's \['normalize'\], which `python -m agents"),
                        ("default: {policy: CnnPolicy, n_timesteps: 10}", "has policy 'CnnPolicy'; `python -m agents"),
                        (f"{entry}, env_wrapper: gymnasium.wrappers.FlattenObservation}}",
                         "env_wrapper is .*; `python -m agents sb3` applies eqenvs.wrappers.SampleOrientation"),
                        (f"{entry}, policy_kwargs: 'dict(net_arch=[8'}}", r"policy_kwargs 'dict\(net_arch=\[8' does"),
                        ("default: [", "is not readable YAML")):  # fmt: skip
        bad.write_text(text + "\n")
        with pytest.raises(ValueError, match=f"^hyperparams: {bad}.*{match}"):
            train_sb3(SB3Config(out=tmp_path / "m.zip", hyperparams=bad, progress=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yml"]  # refused before anything was written
    # rl-baselines3-zoo's format: an entry per env id; agents.sb3's changes per "<env id>/<task>"
    assert load_hyperparams("sac", "EqPushT-v1", "pose")["n_timesteps"] == 50_000
    assert load_hyperparams("sac", "EqPushT3D-v1", "pose")["n_timesteps"] == 100_000
    assert load_hyperparams("sac", "EqPushT-v1")["vn_policy_kwargs"] == {"depth": 1}
    ppo = load_hyperparams("ppo", "EqPushT-v0")
    assert ppo["env_kwargs"] == {"task": "push", "max_episode_steps": 100} and ppo["n_envs"] == 8
    assert ppo["env_wrapper"] == [{"eqenvs.wrappers.SampleOrientation": {"split": "slice"}}]
    # a zoo policy_kwargs string is evaluated as the zoo does (nn is torch.nn)
    from agents.rl.train import _policy_kwargs

    got = _policy_kwargs("dict(net_arch=[8], activation_fn=nn.ReLU)", "f.yml")
    assert got == {"net_arch": [8], "activation_fn": torch.nn.ReLU}


def test_the_training_command_writes_a_model_its_sidecar_and_logs(tmp_path):
    hyper = tmp_path / "h.yml"
    entry = "policy: MlpPolicy, n_timesteps: 128, n_envs: 2, n_steps: 64, batch_size: 64, n_epochs: 1"
    hyper.write_text(f"default: {{{entry}}}")  # rl-baselines3-zoo's format; no env_kwargs or wrapper: push, slice
    out = tmp_path / "vn.zip"
    result = train_sb3(SB3Config(out=out, policy="vn", hyperparams=hyper, eval_freq=64, eval_episodes=1,
                                 max_episode_steps=20, progress=False))  # fmt: skip
    meta = json.loads((tmp_path / "vn.zip.json").read_text())
    assert meta["policy"] == "vn" and meta["steps"] == 128 and meta["n_envs"] == 2 and result["path"] == str(out)
    assert meta["env_kwargs"] == {"task": "push"} and meta["split"] == "slice" and meta["max_episode_steps"] == 20
    header = (tmp_path / "vn.logs" / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"eval/success_rate", "eval_heldout/success_rate", "rollout/ep_rew_mean"} <= set(header)
    assert np.load(tmp_path / "vn.logs" / "evaluations.npz", allow_pickle=False)["results"].shape[0] >= 1
    agent = make_agent(f"sb3:ppo:{out}", gym.make("EqPushT-v1", task="push"))
    assert agent.act(gym.make("EqPushT-v1", task="push").reset(seed=0)[0]).shape == (2,)
    # the learning curves: one evaluation per 64 steps on the slice and held out, read back from the logs
    curves = learning_curves(out)
    assert curves["steps"] == [64, 128] and len(curves["heldout"]) == 2 and None not in curves["heldout"]
    assert curves["label"] == "ppo vn slice s0" and curves["total_steps"] == 128
    table = format_curves([curves], 0.9).splitlines()
    assert table[2].split()[:5] == ["ppo", "vn", "slice", "s0", "128"]
    assert plot_curves([curves], tmp_path / "c.png").stat().st_size > 1000
    with pytest.raises(ValueError, match=r"models: .* has no learning-curve logs: neither"):
        CurvesConfig(models=(tmp_path / "other.zip",))
