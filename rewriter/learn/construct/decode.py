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

from ...errors import InputError
from ...jssp.instance import JobShopInstance
from ...jssp.schedule import JobShopSolution
from .networks import env_type, network_of, play_episodes


def _envs(instance: JobShopInstance, policy, count: int) -> list:
    """``count`` environments of ``instance``, of the kind ``policy`` plays."""
    kind = env_type(network_of(policy))
    return [kind(instance=instance) for _ in range(count)]


def construct_episodes(instance: JobShopInstance, policy, samples: int = 1,
                       seed: int = 0) -> list:
    """The episodes of one greedy decoding (``samples=1``) or of ``samples`` sampled ones."""
    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    rng = None if samples == 1 else np.random.default_rng(seed)
    return play_episodes(policy, _envs(instance, policy, samples), [0] * samples,
                         instance.n_jobs, rng)


def construct_solution(instance: JobShopInstance, policy, samples: int = 1,
                       seed: int = 0) -> JobShopSolution:
    """The best schedule of :func:`construct_episodes` as a :class:`JobShopSolution`."""
    best = min(construct_episodes(instance, policy, samples, seed), key=lambda e: e.makespan)
    return JobShopSolution.from_starts(instance, best.schedule)


def construct_within(instance: JobShopInstance, policy, time_limit: float,
                     seed: int = 0, batch: int = 16, started: float | None = None):
    """The greedy schedule, then batches of sampled ones while ``time_limit`` seconds (counted
    from ``started``, default now) allow; the best as a :class:`JobShopSolution`, the number of
    schedules built and the trace of improvements ``(schedules, seconds, makespan)``.

    The greedy schedule is always built, even when it alone takes longer than the limit. A batch
    is started only when it is expected to end in time: its size is cut to what the time left
    allows at the pace measured so far (``batch`` at most), so a large instance samples one
    schedule at a time rather than overrunning by a whole batch."""
    if time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    t0 = time.perf_counter() if started is None else started
    decoding = time.perf_counter()  # the pace counts decoding only, not loading the model
    greedy = construct_episodes(instance, policy, 1, seed)[0]
    best, built = greedy, 1
    trace = [(1, time.perf_counter() - t0, greedy.makespan)]
    rng = np.random.default_rng(seed)
    envs = _envs(instance, policy, batch)
    while True:
        now = time.perf_counter()
        per_schedule = (now - decoding) / built  # the greedy decoding is a fair proxy at first
        size = min(batch, int((time_limit - (now - t0)) / per_schedule))
        if size < 1:
            break
        for episode in play_episodes(policy, envs[:size], [0] * size, instance.n_jobs, rng):
            built += 1
            if episode.makespan < best.makespan:
                best = episode
                trace.append((built, time.perf_counter() - t0, best.makespan))
    return JobShopSolution.from_starts(instance, best.schedule), built, trace


def construct(instance: JobShopInstance, *, model=None, samples: int = 1, seed: int = 0,
              time_limit: float | None = None):
    """A validated :class:`~rewriter.core.result.Result`: the constructive model ``model`` (a
    path, or None for the shipped one) decoded greedily, or the best of ``samples`` samples, or
    with ``time_limit`` (seconds) the best of :func:`construct_within`."""
    from ...jssp.result import make_result
    from .model_file import construct_model

    t0 = time.perf_counter()
    policy, meta = construct_model(model)
    if time_limit is not None:
        solution, samples, trace = construct_within(instance, policy, time_limit, seed, started=t0)
        decoding = "greedy, then sampled within the time limit"
    else:
        solution = construct_solution(instance, policy, samples, seed)
        trace = [(samples, time.perf_counter() - t0, solution.makespan)]
        decoding = "greedy" if samples == 1 else "sampled"
    runtime = time.perf_counter() - t0
    status = "completed"
    if solution.makespan <= instance.proven_lower_bound():
        status = "optimal"
    info = {"model": meta.get("card", {}).get("name", str(model or "default")),
            "samples": samples, "decoding": decoding}
    first = trace[0][2]  # the greedy makespan with a time limit; otherwise the result's own
    return make_result(instance, solution, "construct", "construct", first, samples, seed,
                       runtime, status, trace, 0, info)
