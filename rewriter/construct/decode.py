"""Building job-shop schedules with a trained constructive policy, without training.

``samples=1`` decodes greedily (the most likely action at every decision: deterministic);
``samples=K > 1`` plays K sampled episodes side by side (one batch per decision) and keeps the
best. The environment's schedule becomes a :class:`JobShopSolution` through its machine orders,
which starts every operation as early as those orders allow, so its makespan is the
environment's or lower (lower only where the policy waited for nothing with a no-op).
"""

from __future__ import annotations

import time

import numpy as np

from ..envs.dispatch import JobShopDispatchEnv
from ..errors import InputError
from ..jssp.instance import JobShopInstance
from ..jssp.solution import JobShopSolution
from .policy import ConstructPolicy
from .rollout import Episode, play


def construct_episodes(instance: JobShopInstance, policy: ConstructPolicy, samples: int = 1,
                       seed: int = 0) -> list[Episode]:
    """The episodes of one greedy decoding (``samples=1``) or of ``samples`` sampled ones."""
    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    envs = [JobShopDispatchEnv(instance=instance) for _ in range(samples)]
    rng = None if samples == 1 else np.random.default_rng(seed)
    return play(policy, envs, [0] * samples, instance.n_jobs, rng)


def construct_solution(instance: JobShopInstance, policy: ConstructPolicy, samples: int = 1,
                       seed: int = 0) -> JobShopSolution:
    """The best schedule of :func:`construct_episodes` as a :class:`JobShopSolution`."""
    best = min(construct_episodes(instance, policy, samples, seed), key=lambda e: e.makespan)
    return JobShopSolution.from_starts(instance, best.schedule)


def construct(instance: JobShopInstance, *, model=None, samples: int = 1, seed: int = 0):
    """A validated :class:`~rewriter.core.result.Result`: the constructive model ``model`` (a
    path, or None for the shipped one) decoded greedily, or the best of ``samples`` samples."""
    from ..jssp.result import make_result
    from .model_file import construct_model

    policy, meta = construct_model(model)
    t0 = time.perf_counter()
    solution = construct_solution(instance, policy, samples, seed)
    runtime = time.perf_counter() - t0
    status = "completed"
    if instance.lower_bound is not None and solution.makespan <= instance.lower_bound:
        status = "optimal"
    info = {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": "greedy" if samples == 1 else "sampled"}
    return make_result(instance, solution, "construct", "construct", solution.makespan, samples,
                       seed, runtime, status, [(samples, runtime, solution.makespan)], 0, info)
