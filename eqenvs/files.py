"""Atomic file writes: nothing half-written is ever left under a final name."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "existing_with_sidecar", "write_json"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); on success it replaces ``path``, else it is removed.

    The file gets the permissions a plain ``open`` would give it (0666 minus the umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
    return Path(path)


def existing_with_sidecar(path: str | os.PathLike, what: str) -> tuple[Path, Path]:
    """``(path, its .json sidecar)``, both existing, else ValueError naming the missing one and ``what`` it is."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    for p in (path, sidecar):
        if not p.is_file():
            raise ValueError(f"path: {p} does not exist ({what} is a {path.suffix} file with a .json sidecar)")
    return path, sidecar
