"""Issue 23, found trying the project as a new user would: every bad input is one clear line naming the argument
(an exception in a user's agent: its file and line too), leaves nothing behind, and never gives a wrong result."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import eqenvs  # noqa: F401
from agents import benchmark as bench
from agents.benchmark.orientations import parse_orientations
from agents.cli import eqbench, main, parse
from agents.config import BenchConfig
from agents.data import collect, load_dataset, save_dataset
from agents.specs import make_agent

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp_path, **kw):
    values = {"agent": "random", "task": "push", "tasks": 1, "max_steps": 2, "videos": 0, "out": str(tmp_path / "b")}
    return BenchConfig(**{**values, **kw})


def test_only_the_slice_is_called_seen_and_a_run_without_it_has_no_headline(tmp_path):
    """`--orientations heldout` took the held-out 90deg as the seen reference and labelled the headline "seen"."""

    def seen(orientations, **kw):
        return [t.name for t in parse_orientations(_config(tmp_path, orientations=orientations, **kw)) if t.seen]

    assert seen("heldout") == []
    assert seen("slice,heldout") == [f"{11.25 * k:g}deg" for k in range(8)]
    assert seen("full") == ["0deg", "30deg", "60deg"]  # the full grid's members in the slice, not its first
    assert seen("-10deg,45deg,1.5rad,2rad") == ["45deg", "85.9437deg"]
    assert seen("ladder", env="EqPushT3D-v1", per_split=1) == ["identity-0"]  # the ladder's reference: the identity
    summary = bench.run_benchmark(_config(tmp_path, orientations="heldout", per_split=2), progress=False)
    assert summary["seen"] == [] and summary["heldout"] == ["90deg", "225deg"] and summary["reference"] == "90deg"
    assert "headline" not in summary and "error" not in summary and "worst_heldout" not in summary
    table = bench.format_summary(summary)
    assert "seen: none (no orientation of the training slice: no headline" in table
    assert "headline (declared in advance)" not in table
    line = bench.format_comparison([summary], reps=10).splitlines()[2]
    assert line.split()[5:8] == ["n/a", "n/a", "n/a"]  # no seen, held-out or gap figure


def test_an_orientation_given_as_json(tmp_path):
    """The README's "| JSON": the text of element.to_json() is an orientation for the envs and for --orientations."""
    for env_id, g_text in (("EqPushT-v1", "30deg"), ("EqPushT3D-v1", "30deg")):
        env = gym.make(env_id)
        g = env.unwrapped.symmetry.element(g_text)
        text = json.dumps(g.to_json())
        assert gym.make(env_id, orientation=text).unwrapped.orientation == g
        assert env.unwrapped.symmetry.element(text) == g
        env.reset(seed=0, options={"orientation": text})
        assert env.unwrapped.orientation == g
    moved = gym.make("EqPushT-v1").unwrapped.symmetry.group([[0.0, -1.0], [1.0, 0.0]], [3.0, 4.0])
    assert gym.make("EqPushT-v1", orientation=json.dumps(moved.to_json())).unwrapped.orientation == moved
    assert gym.make("EqPushT-v1", orientation="[[0, -1], [1, 0]]").unwrapped.orientation.isclose(
        gym.make("EqPushT-v1", orientation="90deg").unwrapped.orientation)  # fmt: skip
    with pytest.raises(ValueError, match=r"orientation: '\{\"group\": ' is not valid JSON"):
        gym.make("EqPushT-v1", orientation='{"group": ')
    with pytest.raises(ValueError, match="a JSON group element is a dict with keys 'group' and 'matrix'"):
        gym.make("EqPushT-v1", orientation='{"angle": 1}')
    # on the command line: a JSON token holds commas; a yaw is named by its angle, anything else by its place
    g30 = json.dumps(gym.make("EqPushT-v1").unwrapped.symmetry.element("30deg").to_json())
    targets = parse_orientations(_config(tmp_path, orientations=f"0deg,{g30},200deg"))
    assert [(t.name, t.split, t.seen) for t in targets] == [("0deg", "slice", True), ("30deg", "slice", True),
                                                            ("200deg", "heldout", False)]  # fmt: skip
    tilt = gym.make("EqPushT3D-v1").unwrapped.symmetry.group.sample(np.random.default_rng(0))
    targets = parse_orientations(
        _config(tmp_path, env="EqPushT3D-v1", orientations=f"0deg,{json.dumps(tilt.to_json())}")
    )
    assert [(t.name, t.split) for t in targets] == [("0deg", "slice"), ("element-1", "heldout")]
    assert targets[1].element == tilt
    with pytest.raises(ValueError, match=r"orientations: '\[\[1, 0\], \[0, 2\]\]' is not a SE2 element"):
        parse_orientations(_config(tmp_path, orientations="[[1, 0], [0, 2]]"))


def test_the_scripted_pusher_refuses_what_it_cannot_read_and_drives_absolute_actions():
    """`--agent scripted` on absolute actions ran and scored 0 in silence; on pixels, a numpy error."""
    for env_id, kwargs, fault in (
        ("EqPushT-v1", {"obs_type": "pixels"}, "scripted reads the state observation"),
        ("EqPushT-v1", {"obs_type": "pixels_agent_pos"}, "scripted reads the state observation"),
        ("EqPushT3D-v1", {"obs_type": "pixels"}, "scripted reads the state observation"),
        ("EqPushT3D-v1", {"action_type": "absolute"}, "scripted drives EqPushT3D-v1 with delta actions"),
    ):
        with pytest.raises(ValueError, match=f"agent: {fault}"):
            make_agent("scripted", gym.make(env_id, **kwargs))
    outcomes = {}
    for action_type in ("delta", "absolute"):  # the same push, solved in either action type
        env = gym.make("EqPushT-v1", task="push", action_type=action_type, orientation="150deg")
        agent = make_agent("scripted", env)
        obs, _ = env.reset(seed=0)
        for _ in range(60):
            obs, _, terminated, _, info = env.step(agent.act(obs))
            if terminated:
                break
        outcomes[action_type] = info["is_success"]
    assert outcomes == {"delta": True, "absolute": True}


@pytest.fixture
def policies(tmp_path):
    (tmp_path / "pol.py").write_text(
        "import numpy as np\n\n\ndef divide(obs):\n    return obs[:2] * (1 // 0)\n\n\n"
        "def singular(obs):\n    return np.linalg.inv(np.zeros((2, 2)))[0]\n\n\n"
        "def wide(obs):\n    return np.zeros(3)\n"
    )
    return tmp_path / "pol.py"


@pytest.mark.parametrize(
    ("function", "line", "fault"),
    [
        ("divide", 5, "ZeroDivisionError: integer division or modulo by zero"),
        ("singular", 9, "LinAlgError: Singular matrix"),
    ],
)
def test_an_exception_in_a_users_agent_is_one_line_with_its_file_and_line(tmp_path, capsys, policies, function, line,
                                                                           fault):  # fmt: skip
    out = tmp_path / "runs" / "mine"
    argv = ["--agent", f"callable:{policies}:{function}", "--task", "push", "--orientations", "0deg,90deg", "--tasks",
            "2", "--max-steps", "3", "--videos", "0", "--out", str(out)]  # fmt: skip
    assert eqbench(argv) == 2
    err = capsys.readouterr().err
    last = err.splitlines()[-1]
    assert last == f"error: agent: callable:{policies}:{function} ({function}) raised {fault} at {policies}:{line}"
    assert "\nerror:" in err  # on a line of its own, not glued to the progress bar
    assert not (tmp_path / "runs").exists()  # the failed run leaves no empty folder behind
    out.mkdir(parents=True)  # a folder that existed before the run stays
    assert eqbench(argv) == 2 and out.is_dir()


def test_an_action_the_env_refuses_is_the_agents_fault(tmp_path, capsys, policies):
    argv = ["--agent", f"callable:{policies}:wide", "--task", "push", "--orientations", "0deg,90deg", "--tasks", "1",
            "--max-steps", "3", "--videos", "0", "--out", str(tmp_path / "b")]  # fmt: skip
    assert eqbench(argv) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "error: agent: gave an action the env refuses at step 0 (action: expected shape (2,), got (3,))"


def test_damaged_datasets_and_checkpoints_are_one_line(tmp_path, capsys):
    """A truncated .npz gave a BadZipFile traceback; 7 bytes of garbage "contains pickled (object) data"; a bc:
    spec given an SB3 zip "[enforce fail at inline_container.cc:180]"."""
    data = collect("EqPushT-v1", episodes=2, max_steps=4, seed=0)
    path = save_dataset(data, tmp_path / "d.npz")
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:2000])
    (tmp_path / "junk.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"data: .*junk.npz is not a \.npz dataset \(not a zip archive"):
        load_dataset(tmp_path / "junk.npz", "data")
    for argv in (["train", "--data", str(tmp_path / "cut.npz"), "--out", str(tmp_path / "m.pt")],
                 ["evaluate", "--data", str(tmp_path / "cut.npz"), "--checkpoints", str(path)]):  # fmt: skip
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert (
            err == f"error: data: {tmp_path / 'cut.npz'} is damaged or truncated (BadZipFile: File is not a zip file)\n"
        )
    with zipfile.ZipFile(tmp_path / "ppo.zip", "w") as archive:  # what stable-baselines3 saves
        archive.writestr("data", "{}")
        archive.writestr("policy.pth", b"")
    env = gym.make("EqPushT-v1", task="pusht")
    with pytest.raises(ValueError, match=r"a stable-baselines3 model, not a torch checkpoint; give it as sb3:"):
        make_agent(f"bc:{tmp_path / 'ppo.zip'}", env)
    assert main(["evaluate", "--data", str(path), "--checkpoints", str(path)]) == 2
    assert "error: checkpoints: " in capsys.readouterr().err  # the flag's name, and one line
    for name, content, fault in (("junk.pt", b"garbage", "not a zip archive"),
                                 ("cut.pt", path.read_bytes()[:2000], "damaged or truncated")):  # fmt: skip
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=fault) as err:
            make_agent(f"bc:{tmp_path / name}", env)
        assert "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.npz", "cut.pt", "d.npz", "d.npz.json", "junk.npz",
                                                          "junk.pt", "ppo.zip"]  # fmt: skip


def test_ctrl_c_is_one_line_exit_130_and_leaves_no_file(tmp_path, capsys, monkeypatch):
    from eqenvs.experts.scripted import ScriptedPusher

    calls = []

    def interrupted(self, obs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return np.zeros(2)

    monkeypatch.setattr(ScriptedPusher, "act", interrupted)
    assert main(["collect", "--out", str(tmp_path / "d.npz"), "--episodes", "3", "--max-steps", "4"]) == 130
    assert capsys.readouterr().err.splitlines()[-1] == "interrupted"
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    save_dataset(collect("EqPushT-v1", episodes=2, max_steps=4, seed=0), tmp_path / "d.npz")

    def train(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("agents.train.train", train)
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "m.pt"), "--epochs", "1"]) == 130
    assert capsys.readouterr().err == "interrupted\n" and not (tmp_path / "m.pt").exists()


def test_ctrl_c_in_a_real_collect(tmp_path):
    """The signal itself, as a user's Ctrl-C sends it to the running command."""
    out = tmp_path / "d.npz"
    argv = ["collect", "--out", str(out), "--episodes", "100000", "--max-steps", "60"]
    command = [sys.executable, "-m", "agents", *argv]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, env={**os.environ, "MUJOCO_GL": "egl"})
    seen = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: process.stderr.read(1), b"")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while b"episode" not in b"".join(seen) and time.monotonic() < deadline:  # the progress bar: collecting
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    reader.join(timeout=10)
    err = b"".join(seen).decode()
    assert err.endswith("\ninterrupted\n") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_sb3_models_in_float64_and_of_another_algorithm(tmp_path):
    """`sb3:ppo:<MlpPolicy zip>,dtype=float64` crashed ("mat1 and mat2 must have the same dtype"); `sb3:sac:` on a
    PPO zip: "'ActorCriticPolicy' object has no attribute 'actor'"."""
    import torch
    from stable_baselines3 import PPO, SAC

    env = gym.make("EqPushT-v1", task="push")
    obs, _ = env.reset(seed=0)
    for cls in (PPO, SAC):
        name = cls.__name__.lower()
        cls("MlpPolicy", env, device="cpu", seed=0).save(tmp_path / f"{name}.zip")
        single = make_agent(f"sb3:{name}:{tmp_path / name}.zip", env)
        double = make_agent(f"sb3:{name}:{tmp_path / name}.zip,dtype=float64", env)
        assert {p.dtype for p in double.model.policy.parameters()} == {torch.float64}
        assert np.allclose(double.act(obs), single.act(obs), atol=1e-5)
        batch = np.stack([obs, obs * 0.5])
        assert double.act_batch(batch).shape == (2, 2)
    with pytest.raises(ValueError, match=r"ppo.zip is a model of PPO, not SAC; give it as sb3:ppo:"):
        make_agent(f"sb3:sac:{tmp_path / 'ppo.zip'}", env)
    with pytest.raises(ValueError, match=r"sac.zip is a model of SAC, not PPO; give it as sb3:sac:"):
        make_agent(f"sb3:ppo:{tmp_path / 'sac.zip'}", env)


@pytest.mark.parametrize("env_id", ["EqPushT-v1", "EqPushT3D-v1"])
def test_step_before_reset_is_gymnasiums_reset_needed(env_id):
    """`env.unwrapped.step` before reset: "'_Sim' object has no attribute 'agent'" (2D); 3D stepped a state that no
    reset had made."""
    env = gym.make(env_id, render_mode="rgb_array")
    action = np.zeros(env.action_space.shape, np.float32)
    for call in (lambda: env.unwrapped.step(action), env.unwrapped.render, env.unwrapped.get_state):
        with pytest.raises(gym.error.ResetNeeded, match=r"Cannot call env\.\w+\(\) before calling env\.reset\(\)"):
            call()
    with pytest.raises(gym.error.ResetNeeded):
        pickle.loads(pickle.dumps(env.unwrapped)).step(action)
    if env_id == "EqPushT-v1":  # the scene alone too
        with pytest.raises(gym.error.ResetNeeded):
            gym.make(env_id).unwrapped.scene.step(action)
    env.reset(seed=0)
    copy = pickle.loads(pickle.dumps(env.unwrapped))
    assert np.array_equal(copy.step(action)[0], env.unwrapped.step(action)[0])
    assert env.unwrapped.render().ndim == 3


def test_help_names_every_agent_and_the_oracle(capsys):
    for argv in (["bench", "--help"], ["compare", "--help"]):
        with pytest.raises(SystemExit):
            parse(argv)
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for spec in ("planner:", "sb3:", "bc:<policy.pt>", "callable:", "scripted", "random", "contact[:plain]"):
        assert spec in text
    assert "privileged oracle" in text and "compare [-h] FOLDER..." in text
    assert BenchConfig(agent="contact").name == "contact (oracle)"
    assert BenchConfig(agent="contact:plain", label="twin").name == "twin"


def test_more_bad_inputs_found_by_trying_them(tmp_path):
    """A sweep of bad inputs tried as a new user (issue 23's report lists them): each was a traceback, a warning
    or a message naming another argument."""
    import warnings

    from agents.config import ShowcaseConfig, TrainConfig
    from agents.train import init_model

    env = gym.make("EqPushT-v1", task="push")
    with pytest.raises(ValueError, match=r"agent: device='cuda:99' is not usable here"):  # was an AssertionError
        make_agent("planner:vn_explicit-push2d,device=cuda:99", env)
    with pytest.raises(ValueError, match=r"device: 'cuda:99' is not usable here"):
        init_model(env.unwrapped.symmetry, TrainConfig(model="mlp_explicit", device="cuda:99"))
    with pytest.raises(ValueError, match=r"hyper: \{'hidden': -1\} cannot build a mlp_explicit model"):  # RuntimeError
        init_model(env.unwrapped.symmetry, TrainConfig(model="mlp_explicit", hyper={"hidden": -1}))
    with pytest.raises(ValueError, match=r"agent: bc:<policy.pt>\[,dtype=float64\] needs a policy file"):
        make_agent("bc:", env)  # was "policy: '.' is a folder"
    with pytest.raises(ValueError, match=r"agent: bc policy: 'missing.pt' does not exist"):
        make_agent("bc:missing.pt", env)
    with pytest.raises(ValueError, match="tile: must be a multiple of 16 px, got 7"):  # was "render_size: ..."
        ShowcaseConfig(tile=7)
    with pytest.raises(ValueError, match=r"gif_tile: must be 0 \(no GIF\) or a multiple of 16 px, got 8"):
        ShowcaseConfig(gif_tile=8)
    for env_id in ("EqPushT-v1", "EqPushT3D-v1"):  # the action given, not its image under g (was [inf, nan])
        stepped = gym.make(env_id, orientation="30deg")
        stepped.reset(seed=0)
        infinite = np.zeros(stepped.action_space.shape)
        infinite[0] = np.inf
        with pytest.raises(ValueError, match=re.escape(f"action: must be finite, got {infinite.tolist()}")):
            stepped.step(infinite)
    from agents.config import PaperConfig, StoryConfig
    from agents.story import run_story

    with pytest.raises(ValueError, match="orientations: 'nope' is neither an angle nor a split"):
        run_story(StoryConfig(orientations="0deg,nope", out=str(tmp_path / "story")), log=lambda _: None)
    assert not (tmp_path / "story").exists()  # refused before collecting or training (was after 20 s, data written)
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match=r"readme: .* is not UTF-8 text"):  # was "utf-8"
        PaperConfig(readme=str(tmp_path / "binary.md"))
    with warnings.catch_warnings():  # 450deg is a string with its unit: no "degrees typed as radians?" warning
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"orientations: \['90deg'\] given more than once"):
            parse_orientations(_config(tmp_path, orientations="90deg,450deg"))
