"""Where an environment's instances come from: one fixed instance, or a fresh random one per
episode (the job-shop environments' :class:`JobShopSource`; :func:`episode_instance` for the
flexible-shop ones).

The constructive environments need their observation and action spaces (whose shapes are the
number of jobs and machines, and whose bounds are the longest operation) before the first
``reset``, so the source is settled once, at construction, and every episode's instance has the
same shape and fits the same bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError, NotApplicable
from ..jssp.generate import random_instance
from ..jssp.instance import JobShopInstance


@dataclass(frozen=True)
class JobShopSource:
    """A fixed instance (``fixed`` set) or Taillard-style random instances of one size.

    Random instances are drawn from the environment's generator in :meth:`draw`, so
    ``reset(seed=s)`` gives the same instance for the same ``s``.
    """

    num_jobs: int
    num_machines: int
    max_duration: int
    fixed: JobShopInstance | None = None
    low: int = 1
    high: int = 99

    def draw(self, rng: np.random.Generator) -> JobShopInstance:
        """The instance of the next episode (the fixed one, or a random one drawn from ``rng``)."""
        if self.fixed is not None:
            return self.fixed
        # one integer from the environment's generator seeds the package's own generator, so
        # an episode's instance can be rebuilt by name (rand_NxM_sSEED) outside the environment
        seed = int(rng.integers(2**31))
        return random_instance(self.num_jobs, self.num_machines, seed=seed, low=self.low,
                               high=self.high)


def jobshop_source(instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                   low: int = 1, high: int = 99) -> JobShopSource:
    """Settle where the episodes' instances come from.

    ``instance`` is a bundled name or a file path (``"ta01"``), a :class:`JobShopInstance`, or
    None for a new random instance of ``num_jobs`` x ``num_machines`` each episode, durations
    uniform in ``[low, high]``.
    """
    if instance is None:
        if num_jobs is None or num_machines is None:
            raise InputError("give an instance (a bundled name, a path or a JobShopInstance) or "
                             "num_jobs and num_machines for random instances")
        if num_jobs < 1 or num_machines < 1 or not 1 <= low <= high:
            raise InputError(f"random instances need num_jobs, num_machines >= 1 and "
                             f"1 <= low <= high, got {num_jobs}x{num_machines}, [{low}, {high}]")
        return JobShopSource(int(num_jobs), int(num_machines), int(high), low=int(low),
                             high=int(high))
    if isinstance(instance, str):
        from ..jssp.bundled import load_instance

        instance = load_instance(instance)
    if not isinstance(instance, JobShopInstance):
        raise InputError(f"expected a job-shop instance name, path or JobShopInstance, "
                         f"got {type(instance).__name__}")
    if not instance.is_rectangular:
        lengths = instance.job_length
        raise NotApplicable(
            f"{instance.name}: jobs have {int(lengths.min())} to {int(lengths.max())} operations on "
            f"{instance.n_machines} machines, but the job-shop environments (JobShop-v0, "
            "JobShopDispatch-v0, JobShopGraph-v0) and the construct policy trained on them observe "
            "fixed (n_jobs, n_machines) matrices, so they need every job to have one operation per "
            "machine; the search policies (tabu, greedy, random, learned, controlled), Rewrite-v0 "
            "and CP-SAT take routes of any length")
    if num_jobs is not None and num_jobs != instance.n_jobs or (
            num_machines is not None and num_machines != instance.n_machines):
        raise InputError(f"{instance.name} is {instance.n_jobs}x{instance.n_machines}, not "
                         f"{num_jobs}x{num_machines}: give either an instance or a size")
    return JobShopSource(instance.n_jobs, instance.n_machines,
                         max(int(instance.durations.max()), 1), fixed=instance)


def episode_instance(env, generate):
    """A new episode's instance: ``env.fixed``, or ``generate(env.num_jobs, env.num_machines,
    seed)`` with the seed drawn from the environment's generator, so ``reset(seed=s)`` repeats
    it."""
    if env.fixed is not None:
        return env.fixed
    return generate(env.num_jobs, env.num_machines, int(env.np_random.integers(2**31)))
