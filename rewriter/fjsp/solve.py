"""``solve`` for the flexible job shop: a constructive schedule (job rule x machine rule), then
a local search over the resequence / reassign moves (``policy`` tabu, greedy or random;
:mod:`rewriter.fjsp.search`), or, with ``--method cpsat``, OR-Tools CP-SAT. Every returned
schedule has passed the independent validator.

With ``policy="tabu"`` and no explicit budget the search runs :data:`DEFAULT_STEPS` steps.
The learners add to the flexible shop's spec the learned rewriter (``policy="learned"``,
rewriting through :mod:`rewriter.fjsp.rewrite`) and the DQN dispatcher's start (``init="dqn"``,
handed over here as ``start``); they build on :func:`make_result` and this solve.
"""

from __future__ import annotations

import time

from ..core.loop import run
from ..core.result import Result
from ..errors import InputError, NoSchedule, check_lower_bound
from ..seeding import check_seed
from .dispatching import RULES, dispatch_schedule
from .instance import FlexibleInstance
from .schedule import OBJECTIVES, FlexibleSchedule, objective_value
from .search import FlexibleLocalSearch, FlexibleTabuSettings
from .validate import check_schedule

#: the flexible shop's own policies; learners add theirs to its spec (rewriter.core.spec.Policy)
POLICIES = ("tabu", "greedy", "random", "lns", "none")
DEFAULT_INIT = "mwkr-eet"
DEFAULT_STEPS = 2000  # the spec's default step budget (a time limit may end it sooner)


def objective_key(objective: str) -> str:
    """The name of the objective's value in ``Result.values``."""
    return {"makespan": "makespan", "tardiness": "weighted_tardiness",
            "combined": "combined_cost"}[objective]


def make_result(instance: FlexibleInstance, schedule: FlexibleSchedule, method: str, init: str,
                init_cost: float, steps: int, seed, runtime_s: float, status: str, trace,
                objective: str = "makespan", tardiness_weight: float = 1.0,
                info: dict | None = None, restarts: int = 0) -> Result:
    """The package's :class:`Result` for a flexible-shop schedule (validated first)."""
    checked = check_schedule(instance, schedule.assign, schedule.heads)
    check_lower_bound(instance, checked["makespan"], f"the {method} result")
    values = {**schedule.values(), **checked}
    cost = objective_value(values, objective, tardiness_weight)
    key = objective_key(objective)
    ordered = {key: cost, **{k: v for k, v in values.items() if k != key}}
    info = {**(info or {}), **({"tardiness_weight": tardiness_weight} if objective == "combined" else {})}
    sizes = {"n_jobs": instance.n_jobs, "n_machines": instance.n_machines,
             "n_operations": instance.n_operations}
    return Result("fjsp", instance, schedule, key, ordered, method, init, init_cost, steps, seed,
                  runtime_s, status, list(trace), restarts, info, sizes, schedule.to_dict(),
                  bounded=objective == "makespan")


def solve(instance: FlexibleInstance, *, init: str = DEFAULT_INIT, policy: str = "tabu",
          steps: int | None = DEFAULT_STEPS, time_limit: float | None = None, seed: int = 0,
          objective: str = "makespan", tardiness_weight: float = 1.0, method: str = "search",
          workers: int = 2, warm_start: bool = False, progress: bool = False,
          moves: str = "full", tabu: FlexibleTabuSettings | None = None,
          start: FlexibleSchedule | None = None, started: float | None = None,
          model=None, samples: int = 1, decoding=None, selector: str | None = None) -> Result:
    """The ``init`` schedule of ``instance`` (or ``start``, a schedule built elsewhere, labelled
    ``init``) improved by ``policy`` (``method="search"``: tabu search, greedy descent, a random
    walk, or none) for ``steps`` steps (None: no step limit) and/or ``time_limit`` seconds, over
    the ``moves`` neighbourhood (``full``, ``n5``, ``n5+reassign``; :mod:`rewriter.fjsp.moves`);
    or OR-Tools CP-SAT for ``time_limit`` seconds (``method="cpsat"``, optionally warm-started
    from the ``init`` schedule), for ``objective`` makespan, tardiness (total weighted
    tardiness) or combined (makespan + w x it). The clock runs from ``started`` (default: now).
    ``model``, ``samples`` and ``decoding`` are read by no policy of this module (every policy
    of the spec takes the same keywords). ``policy="lns"``: large-neighbourhood rewriting
    (:mod:`rewriter.fjsp.lns`), its regions picked by ``selector`` (default adaptive), its
    sub-solves on ``workers`` CP-SAT threads, polished by tabu search over ``moves``; a step is
    one rewrite."""
    if method == "search" and policy not in POLICIES:  # CP-SAT applies no policy
        raise InputError(f"unknown policy {policy!r} for the flexible shop; expected one of: "
                         f"{', '.join(POLICIES)} (or --method cpsat)")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    if selector is not None and (method != "search" or policy != "lns"):
        raise InputError(f"selector is an option of the lns policy, not of {policy}")
    if method == "search" and policy in ("tabu", "random", "lns") and steps is None and time_limit is None:
        raise InputError("give a step budget or a time limit (or both)")
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; expected one of: {', '.join(OBJECTIVES)}")
    if start is None and init not in RULES:
        raise InputError(f"unknown rule {init!r}; expected JOB-MACHINE, e.g. {DEFAULT_INIT}")
    seed = check_seed(seed)
    t0 = time.perf_counter() if started is None else started
    if start is None:
        start = dispatch_schedule(instance, init, seed)
    init_cost = objective_value(start.values(), objective, tardiness_weight)
    check_lower_bound(instance, start.makespan, f"the {init} start")
    if method == "cpsat":
        return _cpsat(instance, start if warm_start else None, init, init_cost, t0, time_limit,
                      workers, seed, objective, tardiness_weight)
    if method != "search":
        raise InputError(f"unknown method {method!r}; expected search or cpsat")
    if policy == "none" or (steps == 0 and policy != "none"):
        runtime = time.perf_counter() - t0
        return make_result(instance, start, "dispatch", init, init_cost, 0, seed, runtime,
                           "completed", [(0, 0.0, init_cost), (0, round(runtime, 4), init_cost)],
                           objective, tardiness_weight)
    if policy == "lns":
        return _lns(instance, start, init, init_cost, t0, steps, time_limit, seed, objective,
                    tardiness_weight, selector or "adaptive", workers, moves, tabu, progress,
                    model)
    search = FlexibleLocalSearch(start, policy, moves, tabu, seed, objective, tardiness_weight)
    outcome = run(search, steps, time_limit=time_limit, progress=progress,
                  desc=f"{policy} {instance.name}", started=t0)
    info = {"moves": moves}
    if policy == "tabu":
        info["tabu"] = dict(zip(("tenure_min", "tenure_max", "spot", "stall", "perturb", "tie_path",
                                 "estimated", "shortlist"), search.params.tolist()))
    return make_result(instance, outcome.best, policy, init, init_cost, outcome.steps, seed,
                       outcome.runtime_s, outcome.status, outcome.trace, objective,
                       tardiness_weight, info, outcome.restarts)


def _lns(instance, start, init, init_cost, t0, steps, time_limit, seed, objective, weight,
         selector, workers, moves, tabu, progress, model=None) -> Result:
    """Large-neighbourhood rewriting from ``start`` (:mod:`rewriter.fjsp.lns`); ``model``: the
    learned picker's (``selector="learned"``; None: the shipped one)."""
    from ..shop.lns import LargeNeighbourhoodSearch, LnsSettings
    from ..shop.regions import chooser
    from .cpsat import _weight_fraction
    from .lns import FlexibleRewrite

    if workers < 1:
        raise InputError("--workers must be at least 1")
    p, q = _weight_fraction(objective, weight)
    problem = FlexibleRewrite(start, objective, weight, (p, q), moves, tabu)
    settings = LnsSettings(selector=selector, workers=workers).check()
    deadline = None if time_limit is None else t0 + time_limit
    search = LargeNeighbourhoodSearch(problem, settings, seed, deadline, t0,
                                      chooser(selector, "fjsp", model))
    outcome = run(search, steps, time_limit=time_limit, progress=progress,
                  desc=f"lns {instance.name}", started=t0)
    trace = [(step, seconds, cost / q) for step, seconds, cost in outcome.trace]  # unscaled
    return make_result(instance, outcome.best, "lns", init, init_cost, outcome.steps, seed,
                       outcome.runtime_s, outcome.status, trace, objective, weight,
                       {"moves": moves, **search.info()}, outcome.restarts)


def _cpsat(instance, hint, init, init_cost, t0, time_limit, workers, seed, objective, weight):
    from .cpsat import solve_fjsp_cpsat

    if workers < 1:
        raise InputError("--workers must be at least 1")
    res = solve_fjsp_cpsat(instance, time_limit=time_limit or 60.0, workers=workers, seed=seed,
                           objective=objective, tardiness_weight=weight, warm_start=hint)
    if res.schedule is None:
        raise NoSchedule(f"CP-SAT found no schedule for {instance.name} within "
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
