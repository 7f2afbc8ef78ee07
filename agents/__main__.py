"""``python -m agents <command>``: the command table, parser and runner live in ``agents.cli``."""

from __future__ import annotations

import sys

from agents.cli import main

if __name__ == "__main__":
    sys.exit(main())
