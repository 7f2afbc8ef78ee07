"""Run independent jobs in this process, on local worker processes, or on a Ray cluster, with one writer.

    run_jobs(fn, jobs, on_result, workers=2)          # local processes (spawned; one torch thread each)
    run_jobs(fn, jobs, on_result, ray="local")        # a local Ray instance with `workers` CPUs
    run_jobs(fn, jobs, on_result, ray="10.0.0.1:6379")  # a Ray cluster (`ray start --head` on its head node)

A job is a call ``fn(*args)`` of a module-level function (workers import it by name) that returns a
picklable value. Jobs write nothing the caller needs: on a cluster a worker's disk is not the caller's.
They return what is to be written (``files_of`` packs a folder into the result) and ``on_result`` — called
in this process, in completion order — writes it (``write_files``, atomically). That makes this process the
one writer: a run killed at any point leaves only whole files, and results are the same whichever process
computed them (each job seeds everything it uses; one torch thread per worker, as in a serial run).

A worker that dies (killed, out of memory) does not lose its job: local pools are rebuilt and the
unfinished jobs resubmitted; Ray resubmits them itself (``max_retries``). Either way each job's result
reaches ``on_result`` exactly once. Ray is optional (``pip install "eqenvs[ray]"``) and imported only when
``ray`` is set, so the serial and local-process paths never import it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agents.config import ray_host_port as _host_port
from eqenvs.files import atomic_path

__all__ = ["check_ray", "files_of", "run_jobs", "scratch", "write_files"]

RETRIES = 3
"""How many times a job is resubmitted after its worker died, before the run gives up."""
CONNECT_TIMEOUT_S = 5.0
"""How long to wait for a Ray cluster's address to answer before calling it unreachable."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError('ray: Ray is not installed; pip install "eqenvs[ray]" (or run with --workers N)') from None
    return ray


def check_ray(address: str) -> None:
    """Refuse, before anything is written, a missing Ray or a cluster address that does not answer."""
    if not address:
        return
    _import_ray()
    if address in ("local", "auto"):
        return
    host, port = _host_port(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise ValueError(f"ray: no Ray cluster answers at {address} ({err}); start one with `ray start --head` "
                         "or use --ray local") from None  # fmt: skip


def _init_worker(threads: int) -> None:
    """In each worker: the torch thread count (one by default, as in a serial run)."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    import torch

    torch.set_num_threads(threads)


def _call(fn: Callable[..., Any], threads: int, args: tuple) -> Any:
    _init_worker(threads)
    return fn(*args)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], on_result: Callable[[int, Any], None], *,
             workers: int = 1, ray: str = "", threads: int = 1, retries: int = RETRIES) -> None:  # fmt: skip
    """Run ``fn(*jobs[i])`` for every i and call ``on_result(i, result)`` here, in completion order.

    ``workers == 1`` and no ``ray``: in this process, in order (``threads`` is left to the caller).
    A job that raises stops the run with its exception; a worker that dies is replaced and its job rerun,
    at most ``retries`` times.
    """
    if not jobs:
        return
    if ray:
        _ray_jobs(fn, jobs, on_result, ray, workers, threads, retries)
    elif workers > 1:
        _process_jobs(fn, jobs, on_result, workers, threads, retries)
    else:
        for i, args in enumerate(jobs):
            on_result(i, fn(*args))


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Read by the BLAS and OpenMP runtimes when a process starts: a worker's numpy must not start a thread per
core either (measured: 1.63x with 2 workers on 2 cores without them, as Ray sets them)."""


@contextmanager
def _worker_environment(threads: int) -> Iterator[None]:
    """The thread variables that spawned workers inherit; this process's own are restored afterwards."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _process_jobs(fn, jobs, on_result, workers: int, threads: int, retries: int) -> None:
    with _worker_environment(threads):
        _process_pool(fn, jobs, on_result, workers, threads, retries)


def _process_pool(fn, jobs, on_result, workers: int, threads: int, retries: int) -> None:
    pending = dict(enumerate(jobs))
    deaths = 0
    context = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads or GL contexts
    while pending:
        pool = ProcessPoolExecutor(min(workers, len(pending)), mp_context=context, initializer=_init_worker,
                                   initargs=(threads,))  # fmt: skip
        try:
            futures = {pool.submit(fn, *pending[i]): i for i in sorted(pending)}
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.__getitem__):
                    i = futures.pop(future)
                    result = future.result()
                    del pending[i]
                    on_result(i, result)
        except BrokenProcessPool:
            deaths += 1
            if deaths > retries:
                raise RuntimeError(f"workers: a worker process died {deaths} times (killed, or out of memory); "
                                   f"{len(pending)} of {len(jobs)} jobs unfinished") from None  # fmt: skip
            print(f"workers: a worker process died; rerunning the {len(pending)} unfinished jobs", file=sys.stderr)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _ray_jobs(fn, jobs, on_result, address: str, workers: int, threads: int, retries: int) -> None:
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        check_ray(address)
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                                  "log_to_driver": False}  # fmt: skip
        if address == "local":
            kwargs["num_cpus"] = workers
        else:
            kwargs["address"] = address
        try:
            ray.init(**kwargs)
        except ConnectionError as err:
            raise ValueError(f"ray: cannot connect to {address!r} ({err})") from None
    try:
        remote = ray.remote(_call).options(num_cpus=1, max_retries=retries, retry_exceptions=False)
        refs = {remote.remote(fn, threads, args): i for i, args in enumerate(jobs)}
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            for ref in done:
                i = refs.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.WorkerCrashedError:
                    raise RuntimeError(f"workers: job {i}'s Ray worker died {retries + 1} times") from None
                on_result(i, result)
    finally:
        if started:
            ray.shutdown()


# ------------------------------------------------------------------ files travel back with the result
def files_of(folder: str | Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path (posix), to return from a job."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_files(root: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write what ``files_of`` packed under ``root``, each file atomically; returns the paths."""
    paths = []
    for name, data in files.items():
        path = Path(root) / name
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        paths.append(path)
    return paths


def scratch() -> tempfile.TemporaryDirectory:
    """A job's private folder for files it will return (removed when the job ends)."""
    return tempfile.TemporaryDirectory(prefix="eqenvs-job-")
