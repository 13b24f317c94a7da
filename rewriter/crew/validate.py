"""An independent check of crew solutions, in plain Python on purpose.

It shares no code with :mod:`rewriter.crew.schedule` nor with the kernels that build and rewrite
routes (each leg is recomputed with :func:`math.hypot`, or read from the explicit matrices one
entry at a time), so a bug there cannot hide itself. Rules: one route per operator; every order
index in range; every order served exactly once; each operator's travel plus service hours
within its capacity (up to :data:`~rewriter.crew.schedule.TOLERANCE`); claimed objective,
makespan and activated count, when given, equal the true ones (to 1e-6 relative).
"""

from __future__ import annotations

import math

from .instance import CrewInstance
from .schedule import TOLERANCE

__all__ = ["InfeasibleSchedule", "violations", "check_crew_schedule", "objective_of",
           "operator_time", "CLAIM_TOLERANCE"]

#: relative tolerance of a claimed objective or makespan
CLAIM_TOLERANCE = 1e-6


class InfeasibleSchedule(ValueError):
    """The solution breaks a rule of the instance; the message lists the first few breaches."""


class _Travel:
    """Leg times of one instance from Python lists (read once; numpy scalars are slow one by one)."""

    def __init__(self, instance: CrewInstance) -> None:
        self.orders = instance.orders.tolist()
        self.operators = instance.operators.tolist()
        self.hours = instance.hours.tolist()
        self.speed = float(instance.speed)
        self.start = instance.start_travel  # matrices are read an entry at a time
        self.between = instance.order_travel

    def from_start(self, operator: int, order: int) -> float:
        if self.start is not None:
            return float(self.start[operator][order])
        ox, oy = self.operators[operator]
        x, y = self.orders[order]
        return math.hypot(x - ox, y - oy) / self.speed

    def between_orders(self, origin: int, destination: int) -> float:
        if self.between is not None:
            return float(self.between[origin][destination])
        x0, y0 = self.orders[origin]
        x1, y1 = self.orders[destination]
        return math.hypot(x1 - x0, y1 - y0) / self.speed

    def time(self, operator: int, route) -> float:
        total = 0.0
        previous = None
        for order in route:
            order = int(order)
            total += (self.from_start(operator, order) if previous is None
                      else self.between_orders(previous, order))
            total += self.hours[order]
            previous = order
        return total


def operator_time(instance: CrewInstance, operator: int, route) -> float:
    """Operator ``operator``'s travel plus service hours on ``route`` (valid order indices),
    summed leg by leg in the order served."""
    return _Travel(instance).time(operator, route)


def objective_of(instance: CrewInstance, routes) -> tuple[float, float, int]:
    """(objective, makespan, activated) of ``routes`` (one list of valid order indices per
    operator), whether or not they are feasible."""
    return _objective(instance, _Travel(instance), [list(route) for route in routes])


def _objective(instance: CrewInstance, travel: _Travel, routes: list) -> tuple[float, float, int]:
    makespan = 0.0
    activated = 0
    active = instance.active.tolist()
    for k, route in enumerate(routes):
        makespan = max(makespan, travel.time(k, route))
        if route and not active[k]:
            activated += 1
    return float(instance.alpha) * makespan + float(instance.beta) * activated, makespan, activated


def _is_index(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return int(value) == value and not isinstance(value, float)
    except (TypeError, ValueError):
        return False


def violations(instance: CrewInstance, routes, claimed: dict | None = None,
               limit: int | None = 20) -> list[str]:
    """Every rule ``routes`` break (the first ``limit``; None: all of them, for an exact count);
    empty when the solution is feasible. ``claimed``: a solution's values to compare (the keys
    ``objective``, ``makespan``, ``activated`` that are present; other keys are ignored)."""
    n, m = instance.n_orders, instance.n_operators
    try:
        routes = [list(route) for route in routes]
    except TypeError:
        return ["routes must be a list of routes, each a list of order indices"]
    if len(routes) != m:
        return [f"need {m} routes (one per operator), got {len(routes)}"]
    problems: list[str] = []
    served_by: list[list[int]] = [[] for _ in range(n)]
    clean: list[list[int]] = []
    for k, route in enumerate(routes):
        good = []
        for position, order in enumerate(route):
            if not _is_index(order):
                problems.append(f"operator {k}, position {position}: {order!r} is not an order index")
            elif not 0 <= int(order) < n:
                problems.append(f"operator {k}, position {position}: order {int(order)} out of "
                                f"range 0..{n - 1}")
            else:
                good.append(int(order))
                served_by[int(order)].append(k)
        clean.append(good)
    for order, operators in enumerate(served_by):
        if not operators:
            problems.append(f"order {order} is served by no operator")
        elif len(operators) > 1:
            problems.append(f"order {order} is served {len(operators)} times (operators "
                            f"{', '.join(map(str, operators))})")
    travel = _Travel(instance)
    for k, route in enumerate(clean):
        used = travel.time(k, route)
        capacity = float(instance.capacity[k])
        if used > capacity + TOLERANCE:
            problems.append(f"operator {k} works {used:.6f} hours (travel plus service), over "
                            f"its capacity {capacity:g}")
    if claimed:
        problems += _claim_mismatches(_objective(instance, travel, clean), claimed)
    return problems if limit is None else problems[:limit]


def _claim_mismatches(values: tuple[float, float, int], claimed: dict) -> list[str]:
    objective, makespan, activated = values
    true = {"objective": objective, "makespan": makespan, "activated": activated}
    out = []
    for key, value in true.items():
        if key not in claimed or claimed[key] is None:
            continue
        reported = claimed[key]
        number = isinstance(reported, (int, float)) and not isinstance(reported, bool)
        if not number or not math.isfinite(reported):
            out.append(f"claimed {key} {reported!r} is not a number")
        elif abs(reported - value) > CLAIM_TOLERANCE * max(1.0, abs(value)):
            out.append(f"claimed {key} {reported} != true {key} {round(value, 9)}")
    return out


def check_crew_schedule(instance: CrewInstance, routes, claimed: dict | None = None) -> float:
    """Raise :class:`InfeasibleSchedule` listing the breaches; return the true objective."""
    problems = violations(instance, routes, claimed)
    if problems:
        raise InfeasibleSchedule(f"{instance.name}: infeasible solution: " + "; ".join(problems))
    return objective_of(instance, routes)[0]
