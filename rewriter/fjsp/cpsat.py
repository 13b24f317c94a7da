"""An exact baseline for the flexible job shop: an OR-Tools CP-SAT model.

Model
-----
* per operation ``o`` an interval ``[start_o, end_o)`` whose size ``dur_o`` takes one of the
  eligible durations (a constant when the operation has a single eligible machine);
* per eligible machine ``m`` of an operation with several, a presence literal ``x_om`` and an
  optional fixed-size interval ``[start_o, start_o + d_om)`` present iff ``x_om``;
  ``ExactlyOne(x_o*)`` and ``dur_o = sum_m d_om * x_om`` (a single-machine operation puts its
  own interval on its machine);
* ``end_o <= start_{o+1}`` along every job, ``start_o >= release_j`` (domains also use the job's
  shortest remaining work: ``start_o >= release_j + min work before o`` and
  ``end_o <= H - min work after o``);
* ``AddNoOverlap`` per machine over its (optional) intervals. Size-0 intervals *do* count in
  CP-SAT's NoOverlap (one may sit at the border of another interval, not strictly inside it),
  which is exactly what :mod:`rewriter.fjsp.validate` accepts;
* ``makespan = max_j C_j``; per job with a due date and a positive weight
  ``T_j = max(0, C_j - d_j)`` (``AddMaxEquality``, so both are exact, not just bounds).

Objective (all integers):

* ``makespan``: ``makespan``;
* ``tardiness``: ``sum_j w_j T_j`` (total weighted tardiness; 0 for an instance without due dates);
* ``combined``: ``makespan + w * sum_j w_j T_j``. An integer ``w`` is used as it is. A fractional
  ``w`` is taken as the exact fraction ``p/q`` of its shortest decimal form
  (``Fraction(repr(float(w)))``, e.g. 0.25 -> 1/4, 0.1 -> 1/10) and CP-SAT minimises
  ``q * makespan + p * sum_j w_j T_j``; every reported objective and bound is divided back by
  ``q`` (the ``scale`` of the result). A denominator above 10**6 (more than six decimals) is an
  :class:`InputError`; so is a negative or non-finite ``w``. For ``makespan`` and
  ``tardiness`` the weight is ignored.

The horizon ``H = sum_o max_m d_om + max_j release_j`` bounds every semi-active schedule (its
makespan is a release date plus the durations along a path), and some optimal schedule of any of
the three (regular) objectives is semi-active, so ``H`` never cuts off the optimum.

A warm start (a :class:`FlexibleSchedule` of this instance) is checked with the validator and
passed as a complete hint: presence literals, starts, ends, durations, makespan and tardiness.

Solver parameters: ``max_time_in_seconds``, ``num_workers``, ``random_seed``; and for a model
of more than ``PROBING_LIMIT`` (4000) optional intervals, ``cp_model_probing_level = 0``. The
presolve's probing is charged almost no deterministic time on these models, so its budget never
stops it, but its wall time grows past any useful limit: 6 s at 4668 optional intervals
(behnke51), 16-19 s at 9260 (behnke56), 30 s at 18182 (prod_250x100_s0) and 40 s at 30382
(prod_411x149_s0), before the search has started. Without it CP-SAT returns a schedule at the
production sizes (the complete hint at once, when given), and in 30 s it found behnke51 234
against 266 with probing and behnke56 442 against none. Below the limit probing stays on: it
helped on mk10 (225 against 245 in 20 s) and dpp18a (2606 against 2683). One worker and a fixed
seed give a deterministic search, but a wall-clock limit may cut it at different points.

Ctrl-C
------
As in :mod:`rewriter.jssp.cpsat`: CP-SAT's SIGINT handler is off, the solve runs in a helper
thread and a ``KeyboardInterrupt`` in the caller calls ``StopSearch``; the best schedule so far
comes back with status ``'interrupted'`` (``'optimal'`` if optimality was proven anyway), or
``schedule=None`` when there was none yet. A second Ctrl-C while the solver winds down propagates.

The returned schedule
---------------------
CP-SAT's machines and starts are first checked with :func:`rewriter.fjsp.validate.check_schedule`
and the objective the validator recomputes from them must not exceed CP-SAT's objective value
(above it, the model would undercount: a bug here). It can be *below* it: with two or more
workers and presolve probing off, CP-SAT (9.15) has reported total tardiness 101 for a solution
whose own values (every ``T_j = max(0, C_j - d_j)`` holds in them) add up to 95, on
tight_100x50_s0 in 5 s; with one worker the two always agreed. The schedule's own, validated
objective is the one returned (``objective``); CP-SAT's claim stays in ``cpsat_objective``. The
schedule returned is the semi-active :class:`FlexibleSchedule` of CP-SAT's machine orders (built
with ``FlexibleSchedule.from_starts``; at equal starts a zero-duration operation goes first, so the
orders agree with CP-SAT's times and no start moves later). It is checked again with the validator;
its objective is never above CP-SAT's, and equal to it when CP-SAT proved optimality. Any breach
of these checks raises ``RuntimeError`` (a bug here, not bad input).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from ..core.cpsat import solve_interruptibly

from ..errors import InputError
from .instance import NO_DUE, FlexibleInstance
from .schedule import OBJECTIVES, FlexibleSchedule
from .validate import check_schedule

__all__ = ["FjspCpSatResult", "solve_fjsp_cpsat", "STATUSES", "MAX_WEIGHT_DENOMINATOR"]

STATUSES = ("optimal", "feasible", "unknown", "infeasible", "interrupted")
MAX_WEIGHT_DENOMINATOR = 10**6
PROBING_LIMIT = 4000  # optional intervals above which presolve probing is off (module docstring)
_MAX_OBJECTIVE = 2**53  # CP-SAT reports objective values as doubles: stay exact


def _ortools_version() -> str:
    import ortools

    return f"ortools {ortools.__version__}"


@dataclass
class FjspCpSatResult:
    """What :func:`solve_fjsp_cpsat` returns.

    ``status``: ``optimal`` (proven), ``feasible`` (time limit hit with a schedule), ``unknown``
    (no schedule found), ``infeasible`` (cannot happen for a well-formed instance) or
    ``interrupted`` (Ctrl-C). ``schedule``: the semi-active schedule (None without a solution);
    ``values``: the validator's figures of it (makespan, weighted_tardiness, ...); ``objective``:
    its cost under ``objective_name`` (an int, or a float for a fractional combined weight);
    ``cpsat_objective``: CP-SAT's own objective value (``>= objective``, equal when optimal);
    ``lower_bound``: CP-SAT's best objective bound, rounded up in the scaled integer objective
    and divided by ``scale`` (the combined weight's denominator, 1 otherwise). ``trace`` lists
    ``(seconds, objective)`` per improving solution reported by the search.
    """

    schedule: FlexibleSchedule | None
    status: str
    objective: int | float | None
    lower_bound: int | float
    runtime_s: float
    solver_version: str
    workers: int
    seed: int
    time_limit: float
    objective_name: str = "makespan"
    tardiness_weight: float = 1.0
    scale: int = 1
    values: dict | None = None
    cpsat_objective: int | float | None = None
    warm_start_objective: int | float | None = None
    horizon: int = 0
    trace: list[tuple[float, int | float]] = field(default_factory=list)

    @property
    def makespan(self) -> int | None:
        return None if self.values is None else int(self.values["makespan"])

    def info(self) -> dict:
        """Solver-specific facts as a plain dict (what a ``Result.info`` field would carry)."""
        return {"solver": "cpsat", "cpsat_status": self.status, "objective": self.objective_name,
                "tardiness_weight": self.tardiness_weight, "scale": self.scale,
                "lower_bound": self.lower_bound, "cpsat_objective": self.cpsat_objective,
                "solver_version": self.solver_version, "workers": self.workers, "seed": self.seed,
                "time_limit": self.time_limit, "warm_start_objective": self.warm_start_objective}


def _weight_fraction(objective: str, tardiness_weight) -> tuple[int, int]:
    """(p, q): the combined objective is q * makespan + p * weighted tardiness."""
    if objective != "combined":
        return 0, 1
    if isinstance(tardiness_weight, bool) or not isinstance(tardiness_weight, numbers.Real):
        raise InputError(f"tardiness weight must be a number, got {tardiness_weight!r}")
    if isinstance(tardiness_weight, numbers.Integral):
        frac = Fraction(int(tardiness_weight))
    elif isinstance(tardiness_weight, Fraction):
        frac = tardiness_weight
    else:
        w = float(tardiness_weight)
        if not math.isfinite(w):
            raise InputError(f"tardiness weight must be finite, got {tardiness_weight}")
        frac = Fraction(repr(w))
    if frac < 0:
        raise InputError(f"tardiness weight must be >= 0, got {tardiness_weight}")
    if frac.denominator > MAX_WEIGHT_DENOMINATOR:
        raise InputError(f"tardiness weight {tardiness_weight} has more than six decimals; the "
                         "CP-SAT model needs it as a fraction with a denominator <= 10**6")
    return frac.numerator, frac.denominator


def _scaled(values: dict, objective: str, p: int, q: int) -> int:
    """The integer objective CP-SAT minimises, from a schedule's values."""
    if objective == "makespan":
        return int(values["makespan"])
    if objective == "tardiness":
        return int(values["weighted_tardiness"])
    return q * int(values["makespan"]) + p * int(values["weighted_tardiness"])


def _unscale(value: int, q: int) -> int | float:
    return int(value) if q == 1 else value / q


def solve_fjsp_cpsat(instance: FlexibleInstance, time_limit: float = 60.0, workers: int = 2,
                     seed: int = 0, objective: str = "makespan", tardiness_weight: float = 1.0,
                     warm_start: FlexibleSchedule | None = None, log: bool = False) -> FjspCpSatResult:
    """Solve the flexible job shop ``instance`` with CP-SAT (module docstring: model, objective
    scaling, warm start, Ctrl-C). ``log`` prints CP-SAT's search log."""
    if (isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real)
            or not math.isfinite(time_limit) or time_limit <= 0):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit}")
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise InputError(f"workers must be an integer >= 1, got {workers}")
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective {objective!r}; expected one of: {', '.join(OBJECTIVES)}")
    p, q = _weight_fraction(objective, tardiness_weight)
    workers, seed = int(workers), int(seed)
    t0 = time.perf_counter()
    inst = instance

    warm_values = None
    if warm_start is not None:
        if not isinstance(warm_start, FlexibleSchedule):
            raise InputError(f"warm start must be a FlexibleSchedule, got {type(warm_start).__name__}")
        if warm_start.instance.n_operations != inst.n_operations:
            raise InputError(f"warm start has {warm_start.instance.n_operations} operations, the "
                             f"instance {inst.n_operations}")
        try:
            warm_values = check_schedule(inst, warm_start.assign, warm_start.heads)
        except InputError as exc:
            raise InputError(f"warm start is not a feasible schedule of {inst.name}: {exc}") from None

    n_ops, n_jobs = inst.n_operations, inst.n_jobs
    options = [inst.eligible(o) for o in range(n_ops)]
    shortest = [min(d for _, d in opts) for opts in options]
    longest = [max(d for _, d in opts) for opts in options]
    release = inst.release.tolist()
    due, weight = inst.due.tolist(), inst.weight.tolist()
    job_start = inst.job_start.tolist()
    horizon = int(sum(longest) + max(release))
    tardy_jobs = [j for j in range(n_jobs) if due[j] != NO_DUE and weight[j] > 0]
    worst = {"makespan": horizon, "tardiness": sum(weight[j] * horizon for j in tardy_jobs)}
    worst["combined"] = q * horizon + p * worst["tardiness"]
    if worst[objective] >= _MAX_OBJECTIVE:
        raise InputError(f"{inst.name}: the objective could reach {worst[objective]}, beyond the "
                         "2**53 CP-SAT reports exactly; use smaller durations or weights")

    model = cp_model.CpModel()
    starts, ends, durs = [None] * n_ops, [None] * n_ops, [None] * n_ops
    choices: list[list[tuple[int, int, object]]] = [[] for _ in range(n_ops)]  # (machine, dur, literal)
    by_machine: list[list] = [[] for _ in range(inst.n_machines)]
    for j in range(n_jobs):
        ops = range(job_start[j], job_start[j + 1])
        before = release[j]
        after = sum(shortest[o] for o in ops)
        for o in ops:
            after -= shortest[o]
            s = model.new_int_var(before, horizon - after - shortest[o], f"s{o}")
            e = model.new_int_var(before + shortest[o], horizon - after, f"e{o}")
            if len(options[o]) == 1:
                m, d = options[o][0]
                by_machine[m].append(model.new_interval_var(s, d, e, f"i{o}"))
                choices[o].append((m, d, None))
                durs[o] = d
            else:
                dvar = model.new_int_var_from_domain(
                    cp_model.Domain.from_values(sorted({d for _, d in options[o]})), f"d{o}")
                # no interval here: one that no constraint uses is dropped by the presolve, and
                # with it (we measured) the link end = start + duration, so it is stated itself
                model.add(e == s + dvar)
                lits = []
                for m, d in options[o]:
                    lit = model.new_bool_var(f"x{o}_{m}")
                    by_machine[m].append(model.new_optional_fixed_size_interval_var(s, d, lit, f"i{o}_{m}"))
                    choices[o].append((m, d, lit))
                    lits.append(lit)
                model.add_exactly_one(lits)
                model.add(dvar == sum(d * lit for (_, d, lit) in choices[o]))
                durs[o] = dvar
            starts[o], ends[o] = s, e
            before += shortest[o]
        for o in range(job_start[j], job_start[j + 1] - 1):
            model.add(ends[o] <= starts[o + 1])
    for intervals in by_machine:
        if len(intervals) > 1:
            model.add_no_overlap(intervals)

    last = [ends[job_start[j + 1] - 1] for j in range(n_jobs)]
    trivial = inst.trivial_lower_bound()  # <= horizon
    makespan = model.new_int_var(trivial, horizon, "makespan")
    model.add_max_equality(makespan, last)
    tardiness = {}
    for j in tardy_jobs:
        t = model.new_int_var(0, max(0, horizon - due[j]), f"t{j}")
        model.add_max_equality(t, [last[j] - due[j], 0])
        tardiness[j] = t
    weighted = sum(weight[j] * t for j, t in tardiness.items())
    if objective == "makespan":
        model.minimize(makespan)
        fallback_bound = trivial
    elif objective == "tardiness":
        model.minimize(weighted)
        fallback_bound = 0
    else:
        model.minimize(q * makespan + p * weighted)
        fallback_bound = q * trivial

    if warm_start is not None:
        heads, assign = warm_start.heads.tolist(), warm_start.assign.tolist()
        warm_ends = (warm_start.heads + warm_start.dur).tolist()
        for o in range(n_ops):
            model.add_hint(starts[o], heads[o])
            model.add_hint(ends[o], warm_ends[o])
            if len(choices[o]) > 1:
                model.add_hint(durs[o], warm_ends[o] - heads[o])
                for m, _, lit in choices[o]:
                    model.add_hint(lit, m == assign[o])
        model.add_hint(makespan, int(warm_values["makespan"]))
        for j, t in tardiness.items():
            model.add_hint(t, max(0, warm_ends[job_start[j + 1] - 1] - due[j]))

    solver = cp_model.CpSolver()
    params = solver.parameters
    # the limit covers building the model too (3 s at 1000 x 200 flexible, 10^4 optional
    # intervals): the solver gets what is left of it
    params.max_time_in_seconds = max(float(time_limit) - (time.perf_counter() - t0), 0.05)
    params.num_workers = workers
    params.random_seed = seed
    params.log_search_progress = bool(log)
    n_optional = sum(len(c) for c in choices if len(c) > 1)
    if n_optional > PROBING_LIMIT:
        params.cp_model_probing_level = 0  # why: module docstring, "Solver parameters"

    callback = _Keeper(starts, choices, q, t0)
    code, status = solve_interruptibly(solver, model, callback, "fjsp-cpsat-solve")

    raw = None  # (machines, starts, CP-SAT's integer objective)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raw = (_machines(solver.boolean_value, choices),
               np.array([solver.value(s) for s in starts], dtype=np.int64),
               int(round(solver.objective_value)))
    elif callback.best is not None:
        raw = callback.best

    bound = solver.best_objective_bound
    scaled_bound = fallback_bound
    if math.isfinite(bound):
        scaled_bound = max(fallback_bound, int(math.ceil(bound - 1e-9)))

    schedule = values = value = cpsat_value = None
    if raw is not None:
        machines, raw_starts, cpsat_scaled = raw
        raw_values = check_schedule(inst, machines, raw_starts)  # raises if CP-SAT's is infeasible
        if _scaled(raw_values, objective, p, q) > cpsat_scaled:  # lower: see "The returned schedule"
            raise RuntimeError(f"the validator's objective {_scaled(raw_values, objective, p, q)} of "
                               f"CP-SAT's schedule is above CP-SAT's {cpsat_scaled}")
        # semi-active: machine orders by start, a zero-duration operation before a longer one
        # starting at the same time (by start and index alone it could be pushed behind it)
        dur = np.array([inst.duration_table[o, int(m)] for o, m in enumerate(machines)], np.int64)
        schedule = FlexibleSchedule.from_starts(inst, machines, 2 * raw_starts + (dur > 0))
        values = check_schedule(inst, schedule.assign, schedule.heads)
        scaled = _scaled(values, objective, p, q)
        own = schedule.values()
        if own["makespan"] != values["makespan"] or own["weighted_tardiness"] != values["weighted_tardiness"]:
            raise RuntimeError("the schedule's own objectives differ from the validator's")
        if scaled > cpsat_scaled or (status == "optimal" and scaled != cpsat_scaled):
            raise RuntimeError(f"semi-active objective {scaled} vs CP-SAT's {cpsat_scaled} "
                               f"(status {status})")
        if scaled < scaled_bound:
            raise RuntimeError(f"objective {scaled} below CP-SAT's bound {scaled_bound}")
        value, cpsat_value = _unscale(scaled, q), _unscale(cpsat_scaled, q)
    warm_value = None if warm_values is None else _unscale(_scaled(warm_values, objective, p, q), q)
    return FjspCpSatResult(
        schedule=schedule, status=status, objective=value, lower_bound=_unscale(scaled_bound, q),
        runtime_s=time.perf_counter() - t0, solver_version=_ortools_version(), workers=workers,
        seed=seed, time_limit=float(time_limit), objective_name=objective,
        tardiness_weight=tardiness_weight if objective == "combined" else 0.0, scale=q,
        values=values, cpsat_objective=cpsat_value, warm_start_objective=warm_value,
        horizon=horizon, trace=list(callback.trace))


def _machines(boolean_value, choices) -> np.ndarray:
    """The machine of every operation: the one whose presence literal is true."""
    out = np.empty(len(choices), np.int64)
    for o, opts in enumerate(choices):
        if len(opts) == 1:
            out[o] = opts[0][0]
        else:
            chosen = [m for m, _, lit in opts if boolean_value(lit)]
            if len(chosen) != 1:
                raise RuntimeError(f"operation {o} is on {len(chosen)} machines in CP-SAT's solution")
            out[o] = chosen[0]
    return out


class _Keeper(cp_model.CpSolverSolutionCallback):
    """Stores machines and starts of every improving solution (the best survives Ctrl-C)."""

    def __init__(self, starts, choices, scale: int, t0: float):
        super().__init__()
        self._starts = starts
        self._choices = choices
        self._scale = scale
        self._t0 = t0
        self.best: tuple[np.ndarray, np.ndarray, int] | None = None
        self.trace: list[tuple[float, int | float]] = []

    def on_solution_callback(self) -> None:
        objective = int(round(self.objective_value))
        if self.best is not None and objective >= self.best[2]:
            return
        self.best = (_machines(self.boolean_value, self._choices),
                     np.array([self.value(v) for v in self._starts], dtype=np.int64), objective)
        self.trace.append((round(time.perf_counter() - self._t0, 4), _unscale(objective, self._scale)))
