"""``solve`` for the orders-and-operators problem: a rule's routes, improved by the rewriting
search, or solved by CP-SAT (exact, small instances) or OR-Tools routing.

Every returned solution has passed the independent validator (:mod:`.validate`). The clock
(time limit, runtime) runs from ``started`` (default: now), so building the start counts.
"""

from __future__ import annotations

import time

from ..core.result import Result
from ..errors import InputError, NoSchedule
from ..seeding import check_seed
from .instance import CrewInstance
from .schedule import CrewSchedule

#: the rewriting search's policies (tabu search, greedy descent) and none (the rule alone)
POLICIES = ("tabu", "greedy", "none")
METHODS = ("search", "cpsat", "routing", "cluster")
DEFAULT_INIT = "insertion"
#: a method's time limit when none is given
DEFAULT_SECONDS = 10.0


def make_result(instance: CrewInstance, schedule: CrewSchedule, method: str, init: str,
                init_cost: float, steps: int, seed: int | None, runtime_s: float, status: str,
                trace, info: dict | None = None, restarts: int = 0) -> Result:
    """The package's :class:`Result` for ``schedule`` (checked by the validator first)."""
    from .validate import check_crew_schedule, objective_of

    check_crew_schedule(instance, schedule.routes)
    objective, makespan, activated = objective_of(instance, schedule.routes)
    body = schedule.to_dict()  # keeps "objective": the solution file's name for the cost
    for key in ("instance", "problem", "makespan", "activated"):
        body.pop(key)
    # "cost" in the values: compare's records use "objective" for the objective's name
    return Result("crew", instance, schedule, "cost",
                  {"cost": round(objective, 9), "makespan": round(makespan, 9),
                   "activated": activated}, method, init, round(float(init_cost), 9), steps,
                  seed, runtime_s, status, [(int(s), t, float(c)) for s, t, c in trace],
                  restarts, info or {}, {"n_orders": instance.n_orders,
                                         "n_operators": instance.n_operators}, body)


def initial_schedule(instance: CrewInstance, init: str, seed: int = 0) -> CrewSchedule:
    from .dispatching import RULES, build

    if init not in RULES:
        raise InputError(f"unknown crew rule {init!r}; expected one of: {', '.join(RULES)}")
    instance.check_feasible()
    return build(init, instance, seed=seed)


def solve(instance: CrewInstance, *, init: str = DEFAULT_INIT, policy: str = "tabu",
          steps: int | None = None, time_limit: float | None = None, seed: int = 0,
          progress: bool = False, method: str = "search", workers: int = 1,
          warm_start: bool = False, start: CrewSchedule | None = None,
          started: float | None = None, model=None, samples: int = 1,
          decoding=None) -> Result:
    """The ``init`` rule's routes for ``instance`` (or ``start``) improved by ``policy`` (tabu
    search, greedy descent, or none) for ``steps`` steps and/or ``time_limit`` seconds; or
    ``method="cpsat"`` (the exact model, up to 60 orders: optimal when proven) or
    ``"routing"`` (OR-Tools routing), each for ``time_limit`` seconds (default 10), optionally
    from the rule's routes (``warm_start``); or ``"cluster"`` (:mod:`.cluster`: the rule's routes
    cut into clusters re-solved by routing, stitched, then tabu search over the whole). ``model``, ``samples`` and ``decoding`` are read by
    no policy of this module (every policy of the spec takes the same keywords)."""
    t0 = time.perf_counter() if started is None else started
    seed = check_seed(seed)
    _check(policy, method, steps, time_limit, workers)
    if method == "cluster":
        return _clustered(instance, init, time_limit, seed, t0)
    if method != "search":
        return _solver(instance, method, init, start, warm_start, time_limit, seed, workers, t0)
    if start is None:
        start = initial_schedule(instance, init, seed)
    init_cost = start.objective
    if policy == "none" or steps == 0:
        runtime = time.perf_counter() - t0
        return make_result(instance, start, "dispatch", init, init_cost, 0, seed, runtime,
                           "completed", [(0, 0.0, init_cost), (0, round(runtime, 4), init_cost)])
    from .search import local_search

    outcome = local_search(start, steps=steps, time_limit=time_limit, seed=seed,
                           progress=progress, started=t0, policy=policy)
    return make_result(instance, outcome.best, policy, init, init_cost, outcome.steps, seed,
                       outcome.runtime_s, outcome.status, outcome.trace,
                       restarts=outcome.restarts)


def _check(policy, method, steps, time_limit, workers) -> None:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of: {', '.join(METHODS)}")
    if method == "search" and policy not in POLICIES:
        raise InputError(f"unknown crew policy {policy!r}; expected one of: {', '.join(POLICIES)} "
                         "(or --method cpsat / routing)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and not time_limit > 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    if method == "search" and policy != "none" and steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")


def _solver(instance, method, init, start, warm_start, time_limit, seed, workers, t0) -> Result:
    """CP-SAT or OR-Tools routing for ``time_limit`` seconds, their limit counted from ``t0``."""
    limit = DEFAULT_SECONDS if time_limit is None else time_limit
    hint = start
    if warm_start and hint is None:
        hint = initial_schedule(instance, init, seed)
    left = max(limit - (time.perf_counter() - t0), 0.01)
    info = {}
    if method == "cpsat":
        from .cpsat import solve_exact

        out = solve_exact(instance, time_limit=left, workers=workers, seed=seed, hint=hint)
        info["bound"] = round(out.bound, 9)
    else:
        from .routing import solve_routing

        out = solve_routing(instance, time_limit=left, seed=seed, hint=hint)
    if out.schedule is None:
        what = "proved the instance infeasible" if out.status == "infeasible" else \
            f"found no solution in {limit:g} s"
        raise NoSchedule(f"{instance.name}: {method} {what} ({out.status})")
    runtime = time.perf_counter() - t0
    status = "optimal" if out.status == "optimal" else "time_limit"
    label = init if hint is not None else "none"
    init_cost = hint.objective if hint is not None else out.objective
    trace = [(0, 0.0, init_cost), (0, round(runtime, 4), out.schedule.objective)]
    return make_result(instance, out.schedule, method, label, init_cost, 0, seed, runtime, status,
                       trace, {**info, "workers": workers} if method == "cpsat" else info)


# ---- method "cluster" (rewriter.crew.cluster) --------------------------------------------------
def _clustered(instance, init, time_limit, seed, t0) -> Result:
    """Cluster the ``init`` rule's routes, solve each cluster with OR-Tools routing, stitch,
    rewrite the whole by tabu search: for ``time_limit`` seconds (default 10) from ``t0``."""
    from .cluster import solve_clustered

    limit = DEFAULT_SECONDS if time_limit is None else time_limit
    out = solve_clustered(instance, time_limit=limit, seed=seed, started=t0, init=init)
    info = {**out.info, "stitched_cost": round(out.stitched_cost, 9)}
    return make_result(instance, out.best, "cluster", init, out.init_cost, out.steps, seed,
                       out.runtime_s, out.status, out.trace, info, out.restarts)
