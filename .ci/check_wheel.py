"""CI: the project as a user installs it. Run with the python of a fresh venv that installed the built wheel,
from a folder outside the repository (so nothing resolves to the source tree).

Imports every module of both packages, checks the shipped data files, and runs a smoke command (eqbench with a
shipped reference model)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")


def main() -> int:
    import agents
    import eqenvs

    for package in (eqenvs, agents):
        if "site-packages" not in package.__file__:
            raise SystemExit(f"{package.__name__} resolves to {package.__file__}, not the installed wheel")
        modules = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
        for name in modules:
            importlib.import_module(name)
        print(f"imported {len(modules) + 1} modules of {package.__name__} from {Path(package.__file__).parent}")
    from importlib import resources

    from agents.pretrained import available

    scene = resources.files("eqenvs.assets").joinpath("pusht3d.xml")
    if not scene.is_file():
        raise SystemExit("eqenvs.assets/pusht3d.xml is missing from the wheel")
    from agents.pretrained import push_models

    if "vn_explicit-push2d" not in available() or "vn_primitive-pusht2d" not in push_models():
        raise SystemExit(f"agents.pretrained lacks a model: {available()}, {push_models()}")
    from agents.rl.train import load_hyperparams

    ppo = load_hyperparams("ppo", "EqPushT-v1", "push")  # agents/hyperparams/ppo.yml, package data
    print(
        f"shipped: eqenvs.assets/pusht3d.xml; agents/hyperparams/ppo.yml (ppo push: {ppo['n_timesteps']} steps); "
        f"reference models {available()}; push models {push_models()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        model = "vn_explicit-push2d"
        command = [str(Path(sys.executable).parent / "eqbench"), "--task", "push", "--agent", f"planner:{model}",
                   "--orientations", "0deg,90deg", "--tasks", "1", "--max-steps", "3", "--videos", "0",
                   "--out", str(Path(folder) / "bench")]  # fmt: skip
        subprocess.run(command, check=True, cwd=folder)
        # the learned PushT agent from its shipped push model (agents.primitives, package data)
        command = [str(Path(sys.executable).parent / "eqbench"), "--task", "pusht", "--agent",
                   "primitive:vn_primitive-pusht2d", "--orientations", "0deg,150deg", "--tasks", "1", "--max-steps",
                   "20", "--videos", "0", "--out", str(Path(folder) / "bench_pusht")]  # fmt: skip
        subprocess.run(command, check=True, cwd=folder)
    print("wheel check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
