"""Random job-shop instances in Taillard's style: uniform integer durations, each route a permutation.

Seeded through a numpy Generator, so the same arguments always give the same instance.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .instance import JobShopInstance

__all__ = ["random_instance", "random_instances"]


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
