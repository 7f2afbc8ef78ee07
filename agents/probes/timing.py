"""Timing helpers shared by the speed benchmarks: a median over repeats and the CPU a figure was measured on."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cpu_description", "median_ms"]


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    """Milliseconds per call of ``fn``: the median of ``repeats`` timed calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1e3 * statistics.median(times)


def cpu_description() -> dict[str, Any]:
    """The CPU model, its bf16-relevant flags (Linux ``/proc/cpuinfo``) and the ISA torch dispatches to."""
    import torch

    model, flags = platform.processor() or platform.machine(), set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    return {"model": model, "cores": os.cpu_count(),
            "bf16_flags": sorted(f for f in flags if "bf16" in f) or ["none"],
            "avx512f": "avx512f" in flags, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch": torch.__version__}  # fmt: skip
