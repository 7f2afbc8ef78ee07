"""Packaging: every package folder is in the wheel's package list (issue: the wheel left out agents/nn and
agents/world_models, and the editable install hid it). CI also installs the built wheel (make wheel-check)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapped = {name: ROOT / folder for name, folder in config.get("package-dir", {}).items()}
    found = set()
    for top in ("eqenvs", "agents"):
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    found |= {name for name, folder in mapped.items() if (folder / "__init__.py").is_file()}
    assert found == listed, f"missing from pyproject: {sorted(found - listed)}; not there: {sorted(listed - found)}"


def test_package_data_covers_the_shipped_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    assert (ROOT / "assets" / "pusht3d.xml").is_file() and "*.xml" in data["eqenvs.assets"]
    assert {"*.pt", "*.pt.json", "README.md"} <= set(data["agents.pretrained"])
    assert "hyperparams/*.yml" in data["agents"]  # rl-baselines3-zoo's format, read by `python -m agents sb3`
    assert sorted(p.name for p in (ROOT / "agents" / "hyperparams").glob("*.yml")) == ["ppo.yml", "sac.yml"]
