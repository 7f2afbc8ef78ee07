"""Reference world models shipped with the package, so ``eqbench --agent planner:<name>`` works on a fresh clone.

Each ``<name>.pt`` here is a checkpoint written by ``agents.checkpoints.save_checkpoint`` (with its readable
``<name>.pt.json``); ``README.md`` gives the command and seed that made every one of them
(``python -m agents pretrain`` rebuilds them all). ``resolve`` turns a planner spec's checkpoint (a path or a
name listed by ``available()``) into a file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from eqenvs.files import existing_file

__all__ = ["available", "folder", "push_models", "resolve"]


def folder() -> Path:
    """The folder of the shipped checkpoints (inside the installed package)."""
    return Path(str(resources.files(__name__)))


def _is_push_model(path: Path) -> bool:
    """Whether a shipped file is a PushT push-outcome model (``agents.primitives``), not a world model."""
    return path.stem.endswith("-pusht2d") and "_primitive" in path.stem


def available() -> list[str]:
    """Names of the shipped reference world models (``planner:<name>``)."""
    return sorted(p.stem for p in folder().glob("*.pt") if not _is_push_model(p))


def push_models() -> list[str]:
    """Names of the shipped PushT push-outcome models (``primitive:<name>``, ``make pusht-models``)."""
    return sorted(p.stem for p in folder().glob("*.pt") if _is_push_model(p))


def resolve(name: str) -> Path:
    """A checkpoint path: ``name`` itself when it is a path to a .pt file, else the shipped model of that name."""
    if name.endswith(".pt") or "/" in name or "\\" in name:
        return existing_file(name, "agent", "a .pt world-model checkpoint")
    shipped = folder() / f"{name}.pt"
    if shipped.is_file() and _is_push_model(shipped):
        raise ValueError(
            f"agent: {name!r} is a PushT push-outcome model, not a world model; give it as primitive:{name}"
        )
    if shipped.is_file():
        return shipped
    raise ValueError(f"agent: {name!r} is neither a .pt checkpoint nor a shipped model; shipped: {available()}")
