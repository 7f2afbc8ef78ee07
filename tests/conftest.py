"""Shared test setup: one torch thread per test process, as every command defaults to."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One thread per process: torch's pool is 3.5-40x slower beside another busy process (DESIGN.md), and the
    commands default to one thread, so the tests run what users run."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
