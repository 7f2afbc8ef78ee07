"""Files: atomic writes (nothing half-written is ever left under a final name), sidecars, output-path checks."""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_path",
    "check_output_folder",
    "check_output_path",
    "existing_file",
    "json_safe",
    "sha256_of",
    "sidecar_path",
    "write_json",
    "write_sidecar",
]


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


def json_safe(data: Any) -> Any:
    """``data`` as standard JSON values: NaN and infinities become None (``null``), numpy scalars and arrays
    Python numbers and lists, tuples lists, objects with a ``to_json()`` method its result; dict keys that
    are not strings become strings. ``json.dumps(json_safe(data), allow_nan=False)`` then never fails on them."""
    to_json = getattr(data, "to_json", None)
    if callable(to_json) and not isinstance(data, type):
        return json_safe(to_json())
    if isinstance(data, dict):
        return {key if isinstance(key, str) else str(json_safe(key)): json_safe(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [json_safe(value) for value in data]
    if isinstance(data, np.ndarray):
        return json_safe(data.tolist())
    if isinstance(data, (bool, np.bool_)):
        return bool(data)
    if isinstance(data, (int, np.integer)):
        return int(data)
    if isinstance(data, (float, np.floating)):
        return float(data) if math.isfinite(data) else None
    return data


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented standard JSON, atomically: NaN and infinities are written as ``null``
    (``json_safe``), never as the ``NaN`` literals most parsers reject."""
    text = json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n"  # serialise first: a failure writes nothing
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def sha256_of(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar_path(path: str | os.PathLike) -> Path:
    """The readable JSON copy of a file's metadata: the file's full name plus ``.json`` (``push.npz.json``), so
    two files that differ only in their suffix (``push.npz``, ``push.pt``) never share a sidecar."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def write_sidecar(path: str | os.PathLike, meta: dict[str, Any]) -> Path:
    """Write ``sidecar_path(path)``: ``meta`` plus the name and SHA-256 of the file it describes.

    Files written with a sidecar carry their metadata inside themselves too, so they never depend on it:
    the sidecar is for people and tools that read JSON, and its ``sha256`` tells whether it still describes
    the file (a crash between the two atomic writes can leave an older sidecar, never a half-written one).
    """
    path = Path(path)
    return write_json(sidecar_path(path), {**meta, "file": path.name, "sha256": sha256_of(path)})


def check_output_path(path: str | os.PathLike, suffix: str, name: str) -> Path:
    """Validate an output file path before any work is done: its suffix, and that it and its folders can exist.

    Raises ValueError naming ``name`` when the suffix is wrong, the path is a folder, or a parent is a file.
    """
    path = Path(path)
    if path.suffix != suffix:
        raise ValueError(f"{name}: expected a {suffix} file, got {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{name}: {str(path)!r} is a folder, expected a {suffix} file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name}: cannot write {str(path)!r}: {str(parent)!r} is a file, not a folder")
            break
    return path


def check_output_folder(path: str | os.PathLike, name: str) -> Path:
    """Validate an output folder path before any work is done (it may not exist yet; nothing is created)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}: {str(path)!r} exists and is not a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name}: cannot create {str(path)!r}: {str(parent)!r} is a file, not a folder")
            break
    return path


def existing_file(path: str | os.PathLike, name: str, what: str) -> Path:
    """``path`` if it is an existing file, else a ValueError naming ``name`` and saying ``what`` was expected."""
    path = Path(path)
    if not path.is_file():
        fault = "is a folder" if path.is_dir() else "does not exist"
        raise ValueError(f"{name}: {str(path)!r} {fault} (expected {what})")
    return path
