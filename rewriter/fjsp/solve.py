"""``solve`` for the flexible job shop: a constructive schedule (job rule x machine rule), then,
with ``--method cpsat``, OR-Tools CP-SAT. Every returned schedule has passed the independent
validator.

The local searches over the flexible shop's moves (resequence and reassign) are not built yet;
``policy`` is ``none`` until they are.
"""

from __future__ import annotations

import time

from ..core.result import Result
from ..errors import InputError
from ..seeding import check_seed
from .dispatching import RULES, dispatch_schedule
from .instance import FlexibleInstance
from .schedule import OBJECTIVES, FlexibleSchedule, objective_value
from .validate import check_schedule

POLICIES = ("none",)
DEFAULT_INIT = "mwkr-eet"


def objective_key(objective: str) -> str:
    """The name of the objective's value in ``Result.values``."""
    return {"makespan": "makespan", "tardiness": "weighted_tardiness",
            "combined": "combined_cost"}[objective]


def make_result(instance: FlexibleInstance, schedule: FlexibleSchedule, method: str, init: str,
                init_cost: float, steps: int, seed, runtime_s: float, status: str, trace,
                objective: str = "makespan", tardiness_weight: float = 1.0,
                info: dict | None = None) -> Result:
    """The package's :class:`Result` for a flexible-shop schedule (validated first)."""
    checked = check_schedule(instance, schedule.assign, schedule.heads)
    values = {**schedule.values(), **checked}
    cost = objective_value(values, objective, tardiness_weight)
    key = objective_key(objective)
    ordered = {key: cost, **{k: v for k, v in values.items() if k != key}}
    info = {**(info or {}), **({"tardiness_weight": tardiness_weight} if objective == "combined" else {})}
    sizes = {"n_jobs": instance.n_jobs, "n_machines": instance.n_machines,
             "n_operations": instance.n_operations}
    return Result("fjsp", instance, schedule, key, ordered, method, init, init_cost, steps, seed,
                  runtime_s, status, list(trace), 0, info, sizes, schedule.to_dict(),
                  bounded=objective == "makespan")


def solve(instance: FlexibleInstance, *, init: str = DEFAULT_INIT, policy: str = "none",
          steps: int | None = 0, time_limit: float | None = None, seed: int = 0,
          objective: str = "makespan", tardiness_weight: float = 1.0, method: str = "search",
          workers: int = 2, warm_start: bool = False, progress: bool = False,
          model=None, samples: int = 1, decoding=None) -> Result:
    """The ``init`` schedule of ``instance`` (``method="search"``; ``policy`` is ``none`` until
    the flexible shop's local searches exist), or OR-Tools CP-SAT for ``time_limit`` seconds
    (``method="cpsat"``, optionally warm-started from the ``init`` schedule), for ``objective``
    makespan, tardiness (total weighted tardiness) or combined (makespan + w x it)."""
    if policy not in POLICIES:
        raise InputError(f"policy {policy!r}: the flexible shop has no local search yet; "
                         f"expected one of: {', '.join(POLICIES)} (or --method cpsat)")
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; expected one of: {', '.join(OBJECTIVES)}")
    if init not in RULES:
        raise InputError(f"unknown rule {init!r}; expected JOB-MACHINE, e.g. {DEFAULT_INIT}")
    seed = check_seed(seed)
    t0 = time.perf_counter()
    start = dispatch_schedule(instance, init, seed)
    init_cost = objective_value(start.values(), objective, tardiness_weight)
    if method == "cpsat":
        return _cpsat(instance, start if warm_start else None, init, init_cost, t0, time_limit,
                      workers, seed, objective, tardiness_weight)
    if method != "search":
        raise InputError(f"unknown method {method!r}; expected search or cpsat")
    runtime = time.perf_counter() - t0
    return make_result(instance, start, "dispatch", init, init_cost, 0, seed, runtime, "completed",
                       [(0, 0.0, init_cost), (0, round(runtime, 4), init_cost)], objective,
                       tardiness_weight)


def _cpsat(instance, hint, init, init_cost, t0, time_limit, workers, seed, objective, weight):
    from ..baselines.fjsp_cpsat import solve_fjsp_cpsat

    if workers < 1:
        raise InputError("--workers must be at least 1")
    res = solve_fjsp_cpsat(instance, time_limit=time_limit or 60.0, workers=workers, seed=seed,
                           objective=objective, tardiness_weight=weight, warm_start=hint)
    if res.schedule is None:
        raise InputError(f"CP-SAT found no schedule for {instance.name} within "
                         f"{time_limit or 60.0:g} s (status {res.status}); give it more time")
    status = {"optimal": "optimal", "interrupted": "interrupted"}.get(res.status, "time_limit")
    cost = objective_value(res.schedule.values(), objective, weight)
    runtime = time.perf_counter() - t0
    info = {"solver": "cpsat", "cpsat_status": res.status, "lower_bound": res.lower_bound,
            "solver_version": res.solver_version, "workers": workers}
    trace = [(0, round(t, 4), value) for t, value in res.trace]
    if not trace or trace[-1][2] != cost:
        trace.append((0, round(runtime, 4), cost))
    return make_result(instance, res.schedule, "cpsat", init if hint is not None else "none",
                       init_cost if hint is not None else cost, 0, seed, runtime, status,
                       trace, objective, weight, info)
