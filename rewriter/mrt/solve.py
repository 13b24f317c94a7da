"""``solve`` for MRT: a heuristic schedule, then rewritten by descent or a random walk.

The same :class:`~rewriter.core.result.Result` as every problem; every returned schedule has
passed the independent validator. ``steps=None`` with a ``time_limit`` means no step limit.
The learned rewriter (rewriter.learn) adds ``policy="learned"`` to MRT's spec and builds on
:func:`initial_state`, :func:`dispatch_result` and :func:`make_result`.
"""

from __future__ import annotations

import time

from ..core.result import Result
from ..errors import InputError
from .instance import MrtInstance

#: MRT's own policies; learners add theirs to its spec (rewriter.core.spec.Policy)
POLICIES = ("greedy", "random", "none")
DEFAULT_INIT = "ejf"


def make_result(instance: MrtInstance, starts, method: str, init: str, init_cost: float,
                steps: int, seed: int | None, runtime_s: float, status: str, trace,
                info: dict | None = None) -> Result:
    """The package's :class:`Result` for MRT start times (checked by the validator first)."""
    from .io import schedule_to_dict
    from .schedule import MrtSchedule
    from .validate import check_mrt_schedule

    slowdown = check_mrt_schedule(instance, starts)
    schedule = schedule_to_dict(instance, starts)
    for key in ("instance", "average_slowdown"):
        schedule.pop(key)
    return Result("mrt", instance, MrtSchedule(instance, starts), "average_slowdown",
                  {"average_slowdown": round(slowdown, 6)}, method, init,
                  round(float(init_cost), 6), steps, seed, runtime_s, status,
                  [(int(s), t, float(c)) for s, t, c in trace], 0, info or {},
                  {"n_jobs": instance.n_jobs, "resources": instance.resources}, schedule)


def initial_state(instance: MrtInstance, init: str, seed: int):
    """The ``init`` heuristic's schedule as a rewrite state (:class:`~rewriter.mrt.problem.MrtState`)."""
    from .problem import MrtProblem

    return MrtProblem(resources=instance.resources).initial_state(instance, init, seed=seed)


def dispatch_result(instance: MrtInstance, state, init: str, seed: int, t0: float) -> Result:
    """The heuristic's schedule itself as the result (no rewriting)."""
    runtime = time.perf_counter() - t0
    cost = state.cost()
    return make_result(instance, state.schedule.starts, "dispatch", init, cost, 0, seed, runtime,
                       "completed", [(0, 0.0, cost), (0, round(runtime, 4), cost)])


def solve(instance: MrtInstance, *, init: str = DEFAULT_INIT, policy: str, steps: int | None,
          time_limit: float | None = None, seed: int = 0, progress: bool = False,
          model=None, samples: int = 1, decoding: str | None = None) -> Result:
    """Rewrite the ``init`` heuristic's schedule of ``instance`` with ``policy`` (``greedy``
    descent, ``random`` walk or ``none``) for ``steps`` rewrites or ``time_limit`` seconds.
    ``model``, ``samples`` and ``decoding`` are read by no policy of this module (every policy
    of the spec takes the same keywords; no default policy here: the spec's is the one)."""
    from ..core.rewrite_search import descent_search, random_search

    if policy not in POLICIES:
        raise InputError(f"unknown MRT policy {policy!r}; expected one of: {', '.join(POLICIES)}")
    if steps is None and time_limit is None and policy != "none":
        raise InputError("give a step budget or a time limit (or both)")
    t0 = time.perf_counter()
    state = initial_state(instance, init, seed)
    if policy == "none" or steps == 0:
        return dispatch_result(instance, state, init, seed, t0)
    if policy == "random":
        outcome = random_search(state, steps, seed=seed, time_limit=time_limit, progress=progress,
                                started=t0)
    else:
        outcome = descent_search(state, steps, time_limit=time_limit, progress=progress, started=t0)
    return make_result(instance, outcome.best.schedule.starts, policy, init, outcome.initial_cost,
                       outcome.steps, seed, outcome.runtime_s, outcome.status, outcome.trace)
