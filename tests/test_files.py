"""eqenvs.files: atomic writes leave either the old file or the new one, never a fragment."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pytest

from eqenvs.files import (
    atomic_path,
    check_output_folder,
    check_output_path,
    existing_file,
    sha256_of,
    sidecar_path,
    write_json,
    write_sidecar,
)


def test_atomic_write_replaces_and_sets_normal_permissions(tmp_path):
    target = tmp_path / "deep" / "report.json"
    write_json(target, {"a": 1})
    write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_json_is_standard_json(tmp_path):
    """summary.json and reports hold null, never the NaN literals most parsers reject."""
    target = write_json(tmp_path / "s.json", {"a": math.nan, "b": [np.float64(np.inf), np.int64(2)], "c": 1.5})
    assert "NaN" not in target.read_text() and "Infinity" not in target.read_text()
    assert json.loads(target.read_text()) == {"a": None, "b": [None, 2], "c": 1.5}


def test_output_paths_are_checked_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder.npz").mkdir()
    assert check_output_path(tmp_path / "new" / "deeper" / "d.npz", ".npz", "out") == tmp_path / "new/deeper/d.npz"
    for path, fault in (
        (tmp_path / "m.pth", r"out: expected a \.npz file"),
        (tmp_path / "afile" / "d.npz", r"out: cannot write .*afile' is a file"),
        (tmp_path / "folder.npz", r"out: .* is a folder"),
    ):
        with pytest.raises(ValueError, match=fault):
            check_output_path(path, ".npz", "out")
    with pytest.raises(ValueError, match=r"out: .* exists and is not a folder"):
        check_output_folder(tmp_path / "afile", "out")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "afile" / "run", "out")
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(ValueError, match=r"data: .* does not exist"):
        existing_file(tmp_path / "missing.npz", "data", "a dataset")


def test_sidecars_are_named_after_the_whole_file_name(tmp_path):
    for name in ("push.npz", "push.pt"):
        (tmp_path / name).write_bytes(name.encode())
        write_sidecar(tmp_path / name, {"what": name})
    assert sidecar_path(tmp_path / "push.pt").name == "push.pt.json"
    for name in ("push.npz", "push.pt"):
        meta = json.loads((tmp_path / f"{name}.json").read_text())
        assert meta["what"] == name and meta["file"] == name and meta["sha256"] == sha256_of(tmp_path / name)
