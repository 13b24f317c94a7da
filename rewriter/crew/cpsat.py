"""The exact solver for small orders-and-operators instances (OR-Tools CP-SAT), and the training
labels the network of issue 38 learns from.

Model (per operator ``k``, nodes ``0`` = its start and ``i + 1`` = order ``i``)
---------------------------------------------------------------------------------
* ``AddCircuit`` over arc literals: ``0 -> i+1`` (the first order), ``i+1 -> j+1`` (order ``i``
  then ``j``), ``i+1 -> 0`` (the last order: routes are open, this arc costs nothing), and
  self-loops: ``0 -> 0`` is "operator ``k`` unused" (``not used[k]``), ``i+1 -> i+1`` is "``k``
  does not serve ``i``" (``not serve[k, i]``). ``serve[k, i]`` implies ``used[k]`` (else the
  orders could close a circuit of their own).
* every order served once: ``sum_k serve[k, i] == 1``; orders an operator cannot reach within
  its capacity are fixed unserved by it.
* capacity: the operator's travel plus service hours, each rounded *up* on a fine scale,
  stays within ``floor((capacity + TOLERANCE) * fine)``: a schedule of the model is always
  feasible in float. ``fine`` is ``2 (n + 1) / TOLERANCE`` units per hour where that keeps
  every number below 10^14, so the rounding costs less than the tolerance and every truly
  feasible route is admitted.
* makespan ``M >= time[k]`` for every ``k``, and ``u M >= total time`` when ``u`` operators
  are used (redundant, it tightens the bound); times on the objective scale: every travel
  and service time rounded to the nearest unit of ``scale = 10^7 / H`` per hour, ``H`` an upper
  bound of any feasible operator's time (``min(max capacity, longest start leg + (n - 1) x
  longest order leg + total hours)``).
* objective ``A * M + B * (number of idle operators used)``, integers with ``A / B ~ alpha /
  (beta * scale)``, both scaled so the objective stays near 10^12.

Optimality is proven on this scaled model; the schedule is then re-evaluated exactly in float.
Rounding moves the objective by at most ``alpha * n / scale`` plus the coefficient rounding
(about 10^-7 of the objective's range), which :attr:`ExactResult.bound` subtracts: ``bound``
is a lower bound on the true float objective. The time limit covers building the model.

Size: about ``m (n + 1)^2`` arc literals; more than :data:`MAX_ORDERS` orders is refused (use
the routing reference or the search). Proofs get hard fast (min-max objectives relax poorly):
on generated instances with one worker and a rule's hint, 8 x 3 proves in under 0.5 s, 10 x 4
in 3-6 s, while at 12 x 4 one of three proves in 3 s and two stay open at 10 s (gaps 4% and
7%); up to ~30 orders it returns good solutions with a bound, labelled ``feasible``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ..errors import InputError, NoSchedule
from .dispatching import RULES, build
from .generate import LAYOUTS, generate
from .hints import checked_hint
from .instance import CrewInstance
from .schedule import TOLERANCE, CrewSchedule

__all__ = ["ExactResult", "solve_exact", "labels", "label_dataset", "MAX_ORDERS"]

#: larger instances are refused: the model has m (n + 1)^2 arc literals
MAX_ORDERS = 60
#: units of the largest feasible operator time on the objective scale
_TIME_UNITS = 1e7
#: the objective's integer range
_OBJECTIVE_RANGE = 1e12
#: the capacity scale keeps every coefficient and bound below this
_FINE_LIMIT = 1e14


@dataclass
class ExactResult:
    """``status``: optimal, feasible, infeasible or unknown; ``schedule`` (None when nothing was
    found); ``objective`` its float objective; ``bound`` a lower bound on the optimum (real
    units; inf when infeasible); ``seconds`` wall time, model building included."""

    status: str
    schedule: CrewSchedule | None
    objective: float | None
    bound: float
    seconds: float


def solve_exact(instance: CrewInstance, *, time_limit: float = 10.0, workers: int = 1,
                seed: int = 0, hint: CrewSchedule | None = None) -> ExactResult:
    """Solve ``instance`` with CP-SAT (module docstring). A feasible ``hint`` warm-starts the
    search and is returned when CP-SAT finds nothing better (status at least ``feasible``)."""
    t0 = time.perf_counter()
    _check_options(time_limit, workers, seed)
    if instance.n_orders > MAX_ORDERS:
        raise InputError(f"{instance.name}: the exact CP-SAT model takes up to {MAX_ORDERS} "
                         f"orders, this instance has {instance.n_orders}; use the OR-Tools "
                         f"routing reference (rewriter.crew.routing) or the rewriting search")
    hint = checked_hint(instance, hint, "CP-SAT")
    if not instance.reachable.all():
        return ExactResult("infeasible", None, None, math.inf, time.perf_counter() - t0)
    model = _Model(instance)
    if hint is not None:
        model.add_hint(hint)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(float(time_limit) - (time.perf_counter() - t0), 0.01)
    params.num_workers = int(workers)
    params.random_seed = int(seed)
    # the fuller LP (the circuits' cuts) proved 1 of crew_u12x4_s0..2 in 10 s on one worker,
    # the default level none
    params.linearization_level = 2
    code = solver.solve(model.model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
              cp_model.INFEASIBLE: "infeasible", cp_model.UNKNOWN: "unknown"}.get(code)
    if status is None:
        raise RuntimeError(f"CP-SAT rejected the crew model: {solver.status_name(code)}")
    schedule = model.read(solver) if status in ("optimal", "feasible") else None
    if status == "infeasible":
        bound = math.inf
    elif status == "optimal" and instance.alpha == 0 and instance.beta == 0:
        bound = 0.0
    else:
        bound = model.real_bound(solver.best_objective_bound)
    if hint is not None and (schedule is None or hint.objective < schedule.objective):
        schedule = hint
        if status in ("unknown", "infeasible"):
            # "infeasible" with a feasible hint: the hint's routes lie within the rounding
            # margin of a capacity, which the model refuses (module docstring)
            status, bound = "feasible", (0.0 if status == "infeasible" else bound)
    if schedule is not None:
        bound = min(bound, schedule.objective)
    objective = None if schedule is None else schedule.objective
    return ExactResult(status, schedule, objective, bound, time.perf_counter() - t0)


def _check_options(time_limit, workers, seed) -> None:
    if (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
            or not math.isfinite(time_limit) or time_limit <= 0):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")


def _horizon(instance: CrewInstance) -> float:
    """An upper bound of any feasible operator's time (> 0)."""
    n = instance.n_orders
    starts, between = _legs(instance)
    route_bound = float(starts.max() + (n - 1) * (between.max() if n > 1 else 0.0)
                        + instance.hours.sum())
    return max(min(float(instance.capacity.max()) + TOLERANCE, route_bound), 1e-9)


def _legs(instance: CrewInstance) -> tuple[np.ndarray, np.ndarray]:
    """(m, n) start legs and (n, n) order legs (zero diagonal)."""
    n, m = instance.n_orders, instance.n_operators
    everyone = np.arange(n)
    starts = instance.travel_from_start(np.arange(m)[:, None], everyone[None, :])
    between = np.asarray(instance.travel_between(everyone[:, None], everyone[None, :]), float)
    np.fill_diagonal(between, 0.0)
    return np.asarray(starts, float).reshape(m, n), between


class _Model:
    """The CP-SAT model of one instance, with what it takes to read a solution back."""

    def __init__(self, instance: CrewInstance):
        self.instance = inst = instance
        n, m = inst.n_orders, inst.n_operators
        starts, between = _legs(inst)
        horizon = _horizon(inst)
        self.scale = scale = _TIME_UNITS / horizon
        fine = min(max(scale, 2 * (n + 1) / TOLERANCE), _FINE_LIMIT / horizon)
        model = self.model = cp_model.CpModel()
        reach = starts + inst.hours[None, :] <= inst.capacity[:, None] + TOLERANCE
        self.used = [model.new_bool_var(f"used{k}") for k in range(m)]
        self.serve = [[model.new_bool_var(f"serve{k}_{i}") for i in range(n)] for k in range(m)]
        self.arcs: list[dict] = []  # per operator: (tail, head) -> literal, nodes 0 and i + 1
        time_ub = int(round(horizon * scale)) + 2 * n + 2
        self.makespan = model.new_int_var(0, time_ub, "makespan")
        hour_units = np.rint(inst.hours * scale).astype(np.int64)
        hour_fine = np.ceil(inst.hours * fine).astype(np.int64)
        works = []
        for k in range(m):
            arcs = {(0, 0): ~self.used[k]}
            for i in range(n):
                arcs[(i + 1, i + 1)] = ~self.serve[k][i]
                model.add_implication(self.serve[k][i], self.used[k])
                if not reach[k, i]:
                    model.add(self.serve[k][i] == 0)
                    continue
                arcs[(0, i + 1)] = model.new_bool_var(f"a{k}_s_{i}")
                arcs[(i + 1, 0)] = model.new_bool_var(f"a{k}_{i}_e")
                for j in range(n):
                    if j != i and reach[k, j]:
                        arcs[(i + 1, j + 1)] = model.new_bool_var(f"a{k}_{i}_{j}")
            model.add_circuit([(a, b, lit) for (a, b), lit in arcs.items()])
            self.arcs.append(arcs)
            units, fines, lits = [], [], []
            for (a, b), lit in arcs.items():
                if a == b or b == 0:
                    continue
                leg = starts[k, b - 1] if a == 0 else between[a - 1, b - 1]
                units.append(int(round(leg * scale)))
                fines.append(int(math.ceil(leg * fine)))
                lits.append(lit)
            served_units = [int(hour_units[i]) for i in range(n)]
            served_fine = [int(hour_fine[i]) for i in range(n)]
            work = cp_model.LinearExpr.weighted_sum(lits + self.serve[k], units + served_units)
            model.add(self.makespan >= work)
            works.append(work)
            if inst.capacity[k] + TOLERANCE < horizon:  # else no feasible route can exceed it
                limit = int(math.floor((inst.capacity[k] + TOLERANCE) * fine))
                model.add(cp_model.LinearExpr.weighted_sum(lits + self.serve[k],
                                                           fines + served_fine) <= limit)
        for i in range(n):
            model.add_exactly_one(self.serve[k][i] for k in range(m))
        self._add_load_bound(works)
        idle = [self.used[k] for k in range(m) if not inst.active[k]]
        alpha, beta_units = inst.alpha, inst.beta * scale
        largest = max(alpha * time_ub, beta_units * max(len(idle), 1))
        self.factor = _OBJECTIVE_RANGE / largest if largest > 0 else 1.0
        self.a = int(round(alpha * self.factor))
        self.b = int(round(beta_units * self.factor))
        self.time_ub = time_ub
        self.n_idle = len(idle)
        if self.a or (self.b and idle):
            model.minimize(self.a * self.makespan + self.b * sum(idle))

    def _add_load_bound(self, works: list) -> None:
        """``u * makespan >= total work`` when exactly ``u`` operators are used: redundant,
        but the per-operator ``makespan >= work`` relaxes to ``m * makespan >= total`` only.
        Measured on crew_u12x4_s0 and s2 (10 s, one worker): bounds 13.47 and 12.30 with it,
        11.10 and 10.18 without (best solutions 14.04 and 12.94)."""
        model, m = self.model, self.instance.n_operators
        count = model.new_int_var(1, m, "used_count")
        model.add(count == sum(self.used))
        total = sum(works)
        for u in range(1, m):
            exactly = model.new_bool_var(f"uses{u}")
            model.add(count == u).only_enforce_if(exactly)
            model.add(count != u).only_enforce_if(~exactly)
            model.add(u * self.makespan >= total).only_enforce_if(exactly)

    def add_hint(self, hint: CrewSchedule) -> None:
        chosen = set()
        for k, route in enumerate(hint.routes):
            nodes = [0] + [int(i) + 1 for i in route] + [0]
            if route.size:
                chosen.update((k, a, b) for a, b in zip(nodes[:-1], nodes[1:]))
            else:
                chosen.add((k, 0, 0))
            served = set(route.tolist())
            for i in range(self.instance.n_orders):
                if i not in served:
                    chosen.add((k, i + 1, i + 1))
        for k, arcs in enumerate(self.arcs):
            for (a, b), lit in arcs.items():
                if a == b:  # a self-loop is the negation of used / serve: hint those instead
                    continue
                self.model.add_hint(lit, (k, a, b) in chosen)
            self.model.add_hint(self.used[k], hint.routes[k].size > 0)
            for i in range(self.instance.n_orders):
                self.model.add_hint(self.serve[k][i], (k, i + 1, i + 1) not in chosen)

    def read(self, solver: cp_model.CpSolver) -> CrewSchedule:
        routes = []
        for arcs in self.arcs:
            after = {a: b for (a, b), lit in arcs.items() if a != b and solver.boolean_value(lit)}
            route, node = [], after.get(0, 0)
            while node != 0:
                route.append(node - 1)
                node = after[node]
            routes.append(route)
        return CrewSchedule(self.instance, routes)

    def real_bound(self, scaled_bound: float) -> float:
        """CP-SAT's objective bound in real units, lowered by what rounding may have added."""
        inst = self.instance
        if self.factor <= 0:
            return 0.0
        raw = scaled_bound / (self.factor * self.scale)
        slack = (inst.alpha * inst.n_orders / self.scale
                 + 0.5 / self.factor * self.time_ub / self.scale
                 + 0.5 / (self.factor * self.scale) * self.n_idle)
        return max(0.0, raw - slack)


def labels(schedule: CrewSchedule) -> tuple[np.ndarray, np.ndarray]:
    """The training targets of a solution: ``activation`` (m,) float32, 1 for an operator that
    serves some order; ``assignment`` (m, n) float32, 1 where operator k serves order i."""
    inst = schedule.instance
    assignment = np.zeros((inst.n_operators, inst.n_orders), np.float32)
    for k, route in enumerate(schedule.routes):
        assignment[k, route] = 1.0
    activation = (assignment.sum(axis=1) > 0).astype(np.float32)
    return activation, assignment


def label_dataset(n_instances: int, n_orders: int, n_operators: int, seed: int = 0,
                  time_limit: float = 10.0) -> list[tuple[CrewInstance, ExactResult]]:
    """``n_instances`` generated instances (:func:`rewriter.crew.generate.generate`, seeds
    ``seed, seed + 1, ...``, layouts alternating uniform / clustered) each with its CP-SAT
    result (one worker, seed 0, ``time_limit`` seconds each, warm-started from the best
    construction rule of :mod:`rewriter.crew.dispatching`). Each result carries its status:
    labels from a ``feasible`` (not proven) result are good solutions, not proven optima."""
    if isinstance(n_instances, bool) or not isinstance(n_instances, (int, np.integer)) or n_instances < 0:
        raise InputError(f"n_instances: expected an integer >= 0, found {n_instances!r}")
    layouts = list(LAYOUTS)
    out = []
    for t in range(int(n_instances)):
        inst = generate(n_orders, n_operators, layout=layouts[t % len(layouts)], seed=seed + t)
        hint = _best_rule(inst)
        out.append((inst, solve_exact(inst, time_limit=time_limit, workers=1, seed=0, hint=hint)))
    return out


def _best_rule(instance: CrewInstance) -> CrewSchedule | None:
    """The best construction rule's schedule (a warm start), None if every rule is stuck."""
    best = None
    for rule in RULES:
        try:
            schedule = build(rule, instance)
        except NoSchedule:
            continue
        if best is None or schedule.objective < best.objective:
            best = schedule
    return best
