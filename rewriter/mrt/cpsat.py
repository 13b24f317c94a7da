"""An offline exact baseline for MRT: OR-Tools CP-SAT minimising the average slowdown.

Model
-----
* one interval per job: ``start`` in ``[arrival, H - length]``, fixed size ``length``, with
  ``H = max(arrival) + sum(length)`` (every left-justified schedule ends by then, and some optimal
  schedule is left-justified), or the larger end of the hint;
* ``AddCumulative`` per resource with the job demands (zero demands left out) and its capacity;
* objective: minimise ``sum_i w_i * (start_i + length_i - arrival_i)`` with integer weights
  ``w_i = L / length_i``, ``L = lcm`` of the lengths, i.e. exactly ``n * L`` times the average
  slowdown.

A hint (any feasible start times, e.g. from a heuristic) is passed as a complete solution hint,
and the hint is kept as the answer if CP-SAT returns nothing better, so the result is never worse
than the hint. Solver parameters: time limit, workers, seed (one worker + fixed seed is
deterministic up to where the wall-clock limit cuts the search).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..errors import InputError
from .instance import MrtInstance
from .validate import check_mrt_schedule

__all__ = ["MrtCpSatResult", "solve_mrt_cpsat"]


@dataclass
class MrtCpSatResult:
    """``starts`` per job (None if neither CP-SAT nor a hint gave one); ``status``: optimal,
    feasible, unknown, infeasible, or ``hint`` (CP-SAT found nothing better than the hint);
    ``objective`` / ``bound``: average slowdown of the answer / CP-SAT's lower bound on it."""

    starts: np.ndarray | None
    status: str
    objective: float | None
    bound: float
    runtime_s: float
    workers: int
    seed: int
    time_limit: float
    hint_objective: float | None = None


def solve_mrt_cpsat(instance: MrtInstance, time_limit: float = 10.0, workers: int = 2, seed: int = 0,
                    hint=None, log: bool = False) -> MrtCpSatResult:
    """Solve ``instance`` offline with CP-SAT (module docstring)."""
    if not time_limit or time_limit <= 0 or not math.isfinite(time_limit):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit}")
    if int(workers) < 1:
        raise InputError(f"workers must be >= 1, got {workers}")
    t0 = time.perf_counter()
    n, d = instance.n_jobs, instance.resources
    arrival = instance.arrival.tolist()
    length = instance.length.tolist()
    demand = instance.demand.tolist()
    hint_starts, hint_value = None, None
    if hint is not None:
        hint_starts = np.asarray(hint, dtype=np.int64).reshape(-1)
        if hint_starts.shape[0] != n:
            raise InputError(f"hint needs {n} start times, got {hint_starts.shape[0]}")
        try:
            hint_value = check_mrt_schedule(instance, hint_starts)
        except ValueError as exc:
            raise InputError(f"hint is not a feasible schedule: {exc}") from None
    horizon = instance.horizon
    if hint_starts is not None:
        horizon = max(horizon, int((hint_starts + instance.length).max()))
    lcm = math.lcm(*length)
    weight = [lcm // t for t in length]
    scale = n * lcm

    model = cp_model.CpModel()
    starts, intervals = [], []
    for i in range(n):
        s = model.new_int_var(arrival[i], horizon - length[i], f"s{i}")
        starts.append(s)
        intervals.append(model.new_fixed_size_interval_var(s, length[i], f"i{i}"))
    for r in range(d):
        pairs = [(intervals[i], demand[i][r]) for i in range(n) if demand[i][r] > 0]
        if len(pairs) > 1 and sum(p[1] for p in pairs) > int(instance.capacity[r]):
            model.add_cumulative([p[0] for p in pairs], [p[1] for p in pairs], int(instance.capacity[r]))
    constant = sum(weight[i] * (length[i] - arrival[i]) for i in range(n))
    model.minimize(sum(weight[i] * starts[i] for i in range(n)) + constant)
    if hint_starts is not None:
        for var, value in zip(starts, hint_starts.tolist()):
            model.add_hint(var, value)

    solver = cp_model.CpSolver()
    params = solver.parameters
    # the limit covers building the model too (3 s at 1000 x 200 flexible, 10^4 optional
    # intervals): the solver gets what is left of it
    params.max_time_in_seconds = max(float(time_limit) - (time.perf_counter() - t0), 0.05)
    params.num_workers = int(workers)
    params.random_seed = int(seed)
    params.log_search_progress = bool(log)
    code = solver.solve(model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
              cp_model.INFEASIBLE: "infeasible", cp_model.UNKNOWN: "unknown"}.get(code)
    if status is None:
        raise RuntimeError(f"CP-SAT rejected the model: {solver.status_name(code)}")
    answer, value = None, None
    if status in ("optimal", "feasible"):
        answer = np.array([solver.value(s) for s in starts], dtype=np.int64)
        value = check_mrt_schedule(instance, answer)
    if hint_starts is not None and (value is None or hint_value < value - 1e-12):
        answer, value, status = hint_starts.copy(), hint_value, "hint"
    bound = max(1.0, solver.best_objective_bound / scale) if status != "infeasible" else math.inf
    return MrtCpSatResult(answer, status, value, bound, time.perf_counter() - t0, int(workers),
                          int(seed), float(time_limit), hint_value)
