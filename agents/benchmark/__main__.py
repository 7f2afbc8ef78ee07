"""``python -m agents.benchmark``: the same command as ``eqbench``."""

from __future__ import annotations

import sys

from agents.benchmark.run import main

if __name__ == "__main__":
    sys.exit(main())
