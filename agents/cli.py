"""Frozen dataclass configs as command lines: one flag per field, its docstring as the help."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
from typing import Any

__all__ = ["add_config_arguments", "config_from_args"]

_SCALARS = {"str": str, "int": int, "float": float}


def _field_docs(cls: type) -> dict[str, str]:
    """The string literal under each field of a dataclass (its one-line doc)."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for node, after in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            docs[node.target.id] = str(after.value.value)  # type: ignore[union-attr]
    return docs


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_config_arguments(parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()) -> None:
    """One ``--field-name`` flag per field of dataclass ``cls`` (tuples take several values, dicts JSON)."""
    docs = _field_docs(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        flag = f"--{f.name.replace('_', '-')}"
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        help_text = f"{docs.get(f.name, '')} (default: {default!r})"
        kind = str(f.type)
        if kind.startswith("tuple"):
            parser.add_argument(flag, type=float, nargs="+", default=default, help=help_text)
        elif kind.startswith("dict"):
            parser.add_argument(flag, type=json.loads, default=default, help=help_text + " as JSON")
        elif kind == "bool":
            parser.add_argument(flag, type=_bool, default=default, help=help_text)
        else:
            parser.add_argument(flag, type=_SCALARS[kind], default=default, help=help_text)


def config_from_args(cls: type, args: argparse.Namespace, **overrides: Any) -> Any:
    """An instance of ``cls`` from parsed flags (lists back to tuples)."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**{**values, **overrides})
