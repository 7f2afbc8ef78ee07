"""What every command config shares: text parsers (booleans, JSON objects), positive-integer checks, the env
ids, and the ``--threads`` / ``--workers`` / ``--ray`` options (``Threads``, ``Workers``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import tyro

EnvId = Literal["EqPushT-v1", "EqPushT3D-v1", "EqPushT-v0", "EqPushT3D-v0"]

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_bool(text: str, name: str) -> bool:
    """``true/false`` (also 1/0, yes/no, on/off, any case); anything else is a ValueError naming ``name``.

    The one parser of booleans written as text (agent spec options); command-line flags are
    ``--flag/--no-flag``.
    """
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}: expected true or false, got {text!r}")


def json_object(text: str, name: str = "env_kwargs") -> dict[str, Any]:
    """A JSON object from text, else a ValueError naming ``name`` and the fault."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{name}: {text!r} is not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f'{name}: expected a JSON object such as \'{{"task": "pose"}}\', got {text!r}')
    return value


JsonObject = Annotated[
    dict[str, Any],
    tyro.constructors.PrimitiveConstructorSpec(
        nargs=1,
        metavar="JSON",
        instance_from_str=lambda args: json_object(args[0]),
        is_instance=lambda x: isinstance(x, dict),
        str_from_instance=lambda x: [json.dumps(x)],
    ),
]
"""A dict field given on the command line as one JSON object."""


def positive(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a positive integer, got {value!r}")


def non_negative(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: must be an integer >= 0, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Threads:
    """The torch thread count of a command (see the module docstring)."""

    threads: int = 1
    """torch threads in this process (1: the measured best when anything else runs; see the README)."""

    def __post_init__(self) -> None:
        positive(self, "threads")

    def apply_threads(self) -> None:
        """Set torch's intra-op thread count to ``threads``."""
        import torch

        torch.set_num_threads(self.threads)


def ray_host_port(address: str) -> tuple[str, int]:
    """The host and port of a Ray cluster address (host:port or ray://host:port), else a ValueError."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"ray: expected 'local', 'auto', host:port or ray://host:port, got {address!r}")
    return host, int(port)


@dataclass(frozen=True, kw_only=True)
class Workers(Threads):
    """Where a command's jobs run: this process, local worker processes, or a Ray cluster (agents.workers)."""

    workers: int = 1
    """Worker processes, each with --threads torch threads (1: everything in this process); with --ray local,
    the CPUs of the local Ray instance."""
    ray: str = ""
    """Run on Ray: local (also a bare --ray: a local instance), auto (the cluster `ray start` runs on this
    machine), or a cluster address host:port or ray://host:port. Empty: no Ray."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers: must be a positive integer (1: no extra processes), got {self.workers!r}")
        if not isinstance(self.ray, str):
            raise ValueError(f"ray: expected 'local', 'auto' or a cluster address, got {self.ray!r}")
        if self.ray and self.ray not in ("local", "auto"):
            ray_host_port(self.ray)

    @property
    def parallel(self) -> bool:
        """Whether jobs leave this process."""
        return self.workers > 1 or bool(self.ray)
