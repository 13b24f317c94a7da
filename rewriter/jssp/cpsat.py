"""An exact baseline: the classic OR-Tools CP-SAT job-shop model.

Model
-----
* one interval variable per operation: ``start``, ``end = start + duration`` (zero durations
  are fine: a size-0 interval inside a NoOverlap constrains nothing);
* ``AddNoOverlap`` over the intervals of every machine;
* ``end(j, k) <= start(j, k + 1)`` along every job's route (routes of any length, a machine
  visited several times by one job: re-entrant shops are the same model);
* ``makespan >= end`` of every job's last operation; minimise ``makespan``.

The horizon (the upper end of every time domain) is the sum of all durations, or the makespan of
the warm start when one is given (any feasible schedule; CP-SAT then gets every start, and the
makespan, as a hint).

Solver parameters: ``max_time_in_seconds``, ``num_workers`` and ``random_seed``. With one worker
and the same seed the search is deterministic, but a wall-clock limit can cut it at different
points, so results under a time limit are not guaranteed to repeat.

Ctrl-C
------
CP-SAT's own SIGINT handler (``catch_sigint_signal``) is switched off and the solve runs in a
helper thread while the calling thread waits. A ``KeyboardInterrupt`` in the caller calls
``StopSearch``; the solver returns its best schedule so far, reported with status
``'interrupted'`` (or ``'optimal'`` if optimality was proven anyway). If no schedule was found
yet the result has ``solution=None`` and status ``'interrupted'``. A second Ctrl-C while waiting
for the solver to wind down propagates as a normal ``KeyboardInterrupt``.

Every returned schedule is the semi-active schedule (``JobShopSolution.from_starts``) of CP-SAT's
machine orders; it passes :func:`~rewriter.jssp.validate.check_schedule`, and its makespan (the
one reported) is never above CP-SAT's objective value.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from ..core.cpsat import solve_interruptibly

from ..errors import InputError, NoSchedule
from .instance import JobShopInstance
from .schedule import JobShopSolution
from .validate import check_schedule

STATUSES = ("optimal", "feasible", "unknown", "infeasible", "interrupted")


def _ortools_version() -> str:
    import ortools

    return f"ortools {ortools.__version__}"


@dataclass
class CpSatResult:
    """What :func:`solve_cpsat` returns.

    ``status``: ``optimal`` (proven), ``feasible`` (time limit hit with a schedule), ``unknown``
    (no schedule found), ``infeasible`` (cannot happen for a well-formed instance) or
    ``interrupted`` (Ctrl-C). ``lower_bound`` is CP-SAT's best objective bound, rounded up.
    ``objective`` is CP-SAT's own makespan value; ``makespan`` that of the semi-active
    ``solution`` (``<= objective``). ``trace`` lists ``(seconds, objective)`` per improving
    solution reported by the search.
    """

    solution: JobShopSolution | None
    makespan: int | None
    status: str
    lower_bound: int
    runtime_s: float
    solver_version: str
    workers: int
    seed: int
    time_limit: float
    objective: int | None = None
    warm_start_makespan: int | None = None
    trace: list[tuple[float, int]] = field(default_factory=list)

    def info(self) -> dict:
        """Solver-specific facts as a plain dict (what a ``Result.info`` field would carry)."""
        return {"solver": "cpsat", "cpsat_status": self.status, "lower_bound": self.lower_bound,
                "objective": self.objective, "solver_version": self.solver_version,
                "workers": self.workers, "seed": self.seed, "time_limit": self.time_limit,
                "warm_start_makespan": self.warm_start_makespan}


def _warm_starts(instance: JobShopInstance, warm_start) -> tuple[np.ndarray, int]:
    """Flat start times of a warm start and its makespan, after checking it is feasible."""
    if isinstance(warm_start, JobShopSolution):
        if (warm_start.instance.shape != instance.shape
                or not np.array_equal(warm_start.instance.job_start, instance.job_start)):
            raise InputError(f"warm start is for a {warm_start.instance.shape} instance of "
                             f"{warm_start.instance.n_operations} operations, not {instance.shape} "
                             f"of {instance.n_operations}")
        starts = warm_start.starts
    else:
        starts = np.asarray(warm_start, dtype=np.int64).reshape(-1)
        if starts.shape[0] != instance.n_operations:
            raise InputError(f"warm start needs {instance.n_operations} start times, "
                             f"got {starts.shape[0]}")
    try:
        makespan = check_schedule(instance, starts)
    except ValueError as exc:
        raise InputError(f"warm start is not a feasible schedule: {exc}") from None
    return starts, int(makespan)


def solve_cpsat(instance: JobShopInstance, time_limit: float = 60.0, workers: int = 2, seed: int = 0,
                warm_start=None, log: bool = False, fix_hint: bool = False) -> CpSatResult:
    """Solve ``instance`` with CP-SAT; see the module docstring for the model and Ctrl-C.

    ``warm_start``: a :class:`JobShopSolution` or flat start times (by op id ``job_start[j] + k``,
    or an (n, m) matrix of a rectangular instance) of a feasible schedule; used as a complete
    hint and to tighten the horizon.
    ``fix_hint=True`` sets ``fix_variables_to_their_hinted_value`` (only useful for debugging).
    ``log`` prints CP-SAT's search log.
    """
    if not time_limit or time_limit <= 0 or not math.isfinite(time_limit):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit}")
    if int(workers) < 1:
        raise InputError(f"workers must be >= 1, got {workers}")
    workers, seed = int(workers), int(seed)
    t0 = time.perf_counter()

    hint, warm_makespan = (None, None)
    if warm_start is not None:
        hint, warm_makespan = _warm_starts(instance, warm_start)
    m = instance.n_machines
    dur = instance.op_duration.tolist()
    mach = instance.op_machine.tolist()
    horizon = warm_makespan if warm_makespan is not None else int(sum(dur))

    model = cp_model.CpModel()
    starts, ends, by_machine = [], [], [[] for _ in range(m)]
    for op in range(instance.n_operations):
        s = model.new_int_var(0, horizon - dur[op], f"s{op}")
        e = model.new_int_var(dur[op], horizon, f"e{op}")
        by_machine[mach[op]].append(model.new_interval_var(s, dur[op], e, f"i{op}"))
        starts.append(s)
        ends.append(e)
    for intervals in by_machine:
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
    for op, succ in enumerate(instance.job_succ.tolist()):  # along every route, any length
        if succ >= 0:
            model.add(ends[op] <= starts[succ])
    trivial = instance.trivial_lower_bound()  # <= horizon: no schedule beats it
    makespan_var = model.new_int_var(trivial, max(horizon, trivial), "makespan")
    model.add_max_equality(makespan_var, [ends[op] for op in instance.job_last.tolist()])
    model.minimize(makespan_var)
    if hint is not None:
        for var, value in zip(starts, hint.tolist()):
            model.add_hint(var, value)
        for op, var in enumerate(ends):
            model.add_hint(var, int(hint[op]) + dur[op])
        model.add_hint(makespan_var, warm_makespan)

    solver = cp_model.CpSolver()
    params = solver.parameters
    # the limit covers building the model too (3 s at 1000 x 200 flexible, 10^4 optional
    # intervals): the solver gets what is left of it
    params.max_time_in_seconds = max(float(time_limit) - (time.perf_counter() - t0), 0.05)
    params.num_workers = workers
    params.random_seed = seed
    params.log_search_progress = bool(log)
    params.fix_variables_to_their_hinted_value = bool(fix_hint)

    callback = _Keeper(starts, makespan_var, t0)
    status_code, status = solve_interruptibly(solver, model, callback, "cpsat-solve")

    raw, objective = None, None
    if status_code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raw = np.array([solver.value(v) for v in starts], dtype=np.int64)
        objective = int(round(solver.objective_value))
    elif callback.best_starts is not None:
        raw, objective = callback.best_starts, callback.best_objective

    bound = solver.best_objective_bound
    lower_bound = int(math.ceil(bound - 1e-9)) if math.isfinite(bound) else trivial

    solution, makespan = None, None
    if raw is not None:
        # CP-SAT's own schedule must be feasible, then left-justify it
        check_schedule(instance, raw)
        solution = JobShopSolution.from_starts(instance, raw)
        makespan = int(solution.makespan)
        check_schedule(instance, solution.starts, makespan)
        if makespan > objective:
            raise RuntimeError(f"semi-active makespan {makespan} exceeds CP-SAT's objective {objective}")
        if status == "optimal" and makespan != objective:
            raise RuntimeError(f"optimal objective {objective} but the schedule has makespan {makespan}")
    return CpSatResult(solution=solution, makespan=makespan, status=status, lower_bound=lower_bound,
                       runtime_s=time.perf_counter() - t0, solver_version=_ortools_version(),
                       workers=workers, seed=seed, time_limit=float(time_limit), objective=objective,
                       warm_start_makespan=warm_makespan, trace=list(callback.trace))


class _Keeper(cp_model.CpSolverSolutionCallback):
    """Stores the start times of every improving solution (the best one so far survives Ctrl-C)."""

    def __init__(self, starts, makespan_var, t0: float):
        super().__init__()
        self._starts = starts
        self._makespan = makespan_var
        self._t0 = t0
        self.best_starts: np.ndarray | None = None
        self.best_objective: int | None = None
        self.trace: list[tuple[float, int]] = []

    def on_solution_callback(self) -> None:
        objective = int(self.value(self._makespan))
        if self.best_objective is not None and objective >= self.best_objective:
            return
        self.best_starts = np.array([self.value(v) for v in self._starts], dtype=np.int64)
        self.best_objective = objective
        self.trace.append((round(time.perf_counter() - self._t0, 4), objective))


# Result statuses (rewriter.core.result.Result) for each CP-SAT status that comes with a schedule.
_RESULT_STATUS = {"optimal": "optimal", "feasible": "time_limit", "interrupted": "interrupted"}


def to_result(instance: JobShopInstance, cpsat_result: CpSatResult):
    """Wrap a :class:`CpSatResult` into the package's common :class:`rewriter.core.result.Result`.

    method ``'cpsat'``, init ``'none'``, steps 0; ``init_makespan`` is the warm start's makespan
    when there was one, else the final makespan. Status: optimal -> ``optimal``, feasible ->
    ``time_limit``, interrupted -> ``interrupted``. Solver facts (bound, CP-SAT status, version,
    workers) go to ``Result.info``.
    Raises :class:`InputError` when CP-SAT found no schedule (time limit too short).
    """
    from .solve import make_result  # lazy: the job shop's solve imports this module

    r = cpsat_result
    if r.solution is None:
        raise NoSchedule(f"CP-SAT found no schedule for {instance.name} within {r.time_limit:g} s "
                         f"(status {r.status}); give it a longer time limit")
    init_makespan = r.warm_start_makespan if r.warm_start_makespan is not None else r.makespan
    trace = [(0, t, obj) for t, obj in r.trace]
    if not trace or trace[-1][2] != r.makespan:
        trace.append((0, round(r.runtime_s, 4), r.makespan))
    return make_result(instance, r.solution, "cpsat", "none", int(init_makespan), 0, r.seed,
                       r.runtime_s, _RESULT_STATUS[r.status], trace, info=r.info())
