"""``python -m agents.benchmark``: the same command as ``eqbench`` (``agents.cli.eqbench``)."""

from __future__ import annotations

import sys

from agents.cli import eqbench

if __name__ == "__main__":
    sys.exit(eqbench())
