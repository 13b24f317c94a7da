"""Random job-shop instances: Taillard's style (uniform integer durations, each route a
permutation of the machines) and re-entrant ones (routes of different lengths that may visit a
machine several times, as real fabs do).

Seeded through a numpy Generator, so the same arguments always give the same instance.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .instance import JobShopInstance

__all__ = ["random_instance", "random_instances", "random_reentrant_instance"]


#: operations (jobs x machines) of one random instance, as the flexible shop's generator caps
#: its job-machine cells: the arrays of 100000x100000 alone would take 75 GiB
MAX_OPERATIONS = 20_000_000


def _check(n_jobs: int, n_machines: int, low: int, high: int) -> None:
    if n_jobs < 1 or n_machines < 1:
        raise InputError(f"need at least one job and one machine, got {n_jobs}x{n_machines}")
    if n_jobs * n_machines > MAX_OPERATIONS:
        raise InputError(f"{n_jobs} jobs x {n_machines} machines is too large to generate (at most "
                         f"{MAX_OPERATIONS:,} operations)")
    if not 1 <= low <= high:
        raise InputError(f"durations need 1 <= low <= high, got low={low}, high={high}")


def _draw(rng: np.random.Generator, n_jobs: int, n_machines: int, low: int, high: int):
    durations = rng.integers(low, high, size=(n_jobs, n_machines), endpoint=True)
    machines = np.argsort(rng.random((n_jobs, n_machines)), axis=1)  # one permutation per job
    return durations, machines


def random_instance(n_jobs: int, n_machines: int, seed: int | None = None, low: int = 1, high: int = 99,
                    name: str | None = None) -> JobShopInstance:
    """An n_jobs x n_machines instance, durations uniform in [low, high], every job visits every machine once.

    ``name`` defaults to ``rand_{n}x{m}_s{seed}``.
    """
    _check(n_jobs, n_machines, low, high)
    durations, machines = _draw(np.random.default_rng(seed), n_jobs, n_machines, low, high)
    return JobShopInstance(name or f"rand_{n_jobs}x{n_machines}_s{seed}", durations, machines,
                           metadata={"generator": "uniform", "seed": seed, "low": low, "high": high})


def random_instances(count: int, n_jobs: int, n_machines: int, seed: int | None = None, low: int = 1,
                     high: int = 99) -> list[JobShopInstance]:
    """``count`` independent instances from one seeded stream, named ``rand_{n}x{m}_s{seed}_{i}``."""
    _check(n_jobs, n_machines, low, high)
    rng = np.random.default_rng(seed)
    instances = []
    for i in range(count):
        durations, machines = _draw(rng, n_jobs, n_machines, low, high)
        instances.append(JobShopInstance(f"rand_{n_jobs}x{n_machines}_s{seed}_{i}", durations, machines,
                                         metadata={"generator": "uniform", "seed": seed, "index": i,
                                                   "low": low, "high": high}))
    return instances


def random_reentrant_instance(n_jobs: int, n_machines: int, seed: int | None = None,
                              min_ops: int = 1, max_ops: int | None = None, low: int = 1,
                              high: int = 99, name: str | None = None) -> JobShopInstance:
    """A re-entrant instance: job j has a route of ``min_ops..max_ops`` operations (uniform;
    ``max_ops`` defaults to ``2 * n_machines``), each on a machine drawn uniformly with repeats
    (so a job may visit a machine several times, back to back, or not at all), durations uniform
    in [low, high].

    ``name`` defaults to ``reentrant_{n}x{m}_s{seed}``. The draws are vectorised, so a million
    operations take a fraction of a second.
    """
    max_ops = 2 * n_machines if max_ops is None else max_ops
    if not 1 <= min_ops <= max_ops:
        raise InputError(f"route lengths need 1 <= min_ops <= max_ops, got min_ops={min_ops}, "
                         f"max_ops={max_ops}")
    _check(n_jobs, n_machines, low, high)
    if n_jobs * max_ops > MAX_OPERATIONS:
        raise InputError(f"{n_jobs} jobs of up to {max_ops} operations is too large to generate "
                         f"(at most {MAX_OPERATIONS:,} operations)")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_ops, max_ops, size=n_jobs, endpoint=True)
    total = int(lengths.sum())
    durations = rng.integers(low, high, size=total, endpoint=True)
    machines = rng.integers(0, n_machines, size=total)
    job_start = np.concatenate([[0], np.cumsum(lengths)])
    return JobShopInstance.from_flat(
        name or f"reentrant_{n_jobs}x{n_machines}_s{seed}", durations, machines, job_start,
        n_machines, metadata={"generator": "reentrant", "seed": seed, "min_ops": min_ops,
                              "max_ops": max_ops, "low": low, "high": high})
