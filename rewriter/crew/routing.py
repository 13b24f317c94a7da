"""The strong non-learned reference: OR-Tools vehicle routing (``pywrapcp``).

Model
-----
* nodes: the orders ``0..n-1``, the operators' starts ``n..n+m-1`` and one shared end
  ``n + m``; vehicle ``k`` starts at its operator's node and ends at the shared end, reached at
  no cost from anywhere: routes are open.
* transit ``a -> b``: the travel from ``a`` (an order or a start) to the order ``b`` plus
  ``b``'s service hours, rounded *up* to an integer at ``scale = 10^9 / H`` units per hour
  (``H`` an upper bound of any operator's time); zero into the end. A route's cumulated transit
  is its operator's time.
* a ``time`` dimension on that transit (no slack, starts fixed at 0) whose end cumul is capped
  at ``floor((capacity + TOLERANCE) * scale)`` per vehicle: rounding up keeps every answer
  feasible in float (routes within ``n / scale`` of the capacity are refused: 10^-9 H per order).
* cost: ``alpha * w`` as the dimension's global span cost coefficient (the span is the largest
  end cumul, the makespan), a fixed cost ``beta * scale * w`` on each idle operator's vehicle
  (paid when it is used), and the transit itself as the arc cost, a tie-breaker: the total
  time of all routes is at most ``m`` makespans, and ``w = 100 m`` keeps it within 1% of the
  makespan term. The returned objective is re-evaluated exactly in float.
* search: first solution ``PARALLEL_CHEAPEST_INSERTION`` up to :data:`INSERTION_LIMIT` orders,
  ``PATH_CHEAPEST_ARC`` beyond (the insertion heuristic's cost grows too fast), then guided
  local search until the time limit, which covers building the model (milliseconds).

Travel: a dense transit matrix (``RegisterTransitMatrix``, evaluated in C++) up to
:data:`MATRIX_NODES` nodes; beyond, a Python callback computing each leg on the fly (a dense
matrix of 10,000 orders is 10^8 entries). The callback costs about a microsecond per call, and
the first solution alone evaluates about n^2 / 2 arcs: on crew_u10000x500_s0 with 60 s OR-Tools
found no solution, and started from the insertion rule's schedule it did not improve it. At
1,000 orders (dense matrix) 15 s gave 98.9 on crew_u1000x100_s0, the insertion rule 102.1.

OR-Tools routing takes no random seed (its search is deterministic but for where the clock
stops it); ``seed`` is checked and recorded for the signature every solver shares.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..errors import InputError
from .hints import checked_hint
from .instance import CrewInstance
from .schedule import TOLERANCE, CrewSchedule

__all__ = ["RoutingResult", "solve_routing", "MATRIX_NODES", "INSERTION_LIMIT"]

#: up to this many nodes (orders + operators + 1) the transit is a dense matrix
MATRIX_NODES = 1500
#: up to this many orders the first solution is parallel cheapest insertion
INSERTION_LIMIT = 1000
_TIME_UNITS = 1e9
_COST_LIMIT = 1e17


@dataclass
class RoutingResult:
    """``status``: feasible (a solution; routing proves nothing), infeasible (OR-Tools says so,
    or an order no operator reaches), unknown (none found: within the time, or its heuristics
    failed on capacities too tight for them, which proves nothing); ``schedule`` or None;
    ``objective`` its float objective or None; ``seconds`` wall time, model included."""

    status: str
    schedule: CrewSchedule | None
    objective: float | None
    seconds: float


def solve_routing(instance: CrewInstance, *, time_limit: float = 10.0, seed: int = 0,
                  hint: CrewSchedule | None = None) -> RoutingResult:
    """Solve ``instance`` with OR-Tools routing (module docstring). A feasible ``hint`` is the
    first solution, and is returned if the search finds nothing better."""
    t0 = time.perf_counter()
    if (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
            or not math.isfinite(time_limit) or time_limit <= 0):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    hint = checked_hint(instance, hint, "routing")
    if not instance.reachable.all():
        return RoutingResult("infeasible", None, None, time.perf_counter() - t0)
    model = _RoutingModel(instance)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        if instance.n_orders <= INSERTION_LIMIT
        else routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    remaining = float(time_limit) - (time.perf_counter() - t0)
    params.time_limit.FromMilliseconds(max(int(remaining * 1000), 10))
    routing = model.routing
    if hint is not None:
        routing.CloseModelWithParameters(params)
        indices = [[model.manager.NodeToIndex(int(i)) for i in r] for r in hint.routes]
        start = routing.ReadAssignmentFromRoutes(indices, True)
        solution = (routing.SolveFromAssignmentWithParameters(start, params)
                    if start is not None else routing.SolveWithParameters(params))
    else:
        solution = routing.SolveWithParameters(params)
    schedule = model.read(solution) if solution is not None else None
    if schedule is not None and (schedule.times > instance.capacity + TOLERANCE).any():
        raise RuntimeError(f"{instance.name}: OR-Tools returned routes over capacity (a bug "
                           f"of the crew routing model)")
    if hint is not None and (schedule is None or hint.objective < schedule.objective):
        schedule = hint
    if schedule is not None:
        status = "feasible"
    elif routing.status() == routing_enums_pb2.RoutingSearchStatus.ROUTING_INFEASIBLE:
        status = "infeasible"
    else:
        status = "unknown"
    objective = None if schedule is None else schedule.objective
    return RoutingResult(status, schedule, objective, time.perf_counter() - t0)


class _RoutingModel:
    """The routing model of one instance (module docstring) and how to read routes back."""

    def __init__(self, instance: CrewInstance):
        self.instance = inst = instance
        n, m = inst.n_orders, inst.n_operators
        self.end = n + m
        horizon = _horizon(inst)
        self.scale = _TIME_UNITS / horizon
        self.manager = pywrapcp.RoutingIndexManager(n + m + 1, m, list(range(n, n + m)),
                                                    [self.end] * m)
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        transit = self._register_transit()
        routing.SetArcCostEvaluatorOfAllVehicles(transit)
        # an operator whose capacity reaches the horizon is never bound by it (rounding up
        # may take a route up to n units past horizon * scale)
        limits = np.where(inst.capacity + TOLERANCE >= horizon,
                          np.floor(horizon * self.scale) + n + 1,
                          np.floor((inst.capacity + TOLERANCE) * self.scale))
        routing.AddDimension(transit, 0, int(limits.max()), True, "time")
        dimension = routing.GetDimensionOrDie("time")
        for k in range(m):
            dimension.CumulVar(routing.End(k)).SetMax(int(limits[k]))
        weight = 100.0 * m
        worst = inst.alpha * _TIME_UNITS + inst.beta * self.scale * m
        if worst * weight > _COST_LIMIT:
            weight = _COST_LIMIT / worst
        if inst.alpha > 0:
            dimension.SetGlobalSpanCostCoefficient(max(1, int(round(inst.alpha * weight))))
        fixed = int(round(inst.beta * self.scale * weight))
        for k in range(m):
            if not inst.active[k] and fixed > 0:
                routing.SetFixedCostOfVehicle(fixed, k)

    def _register_transit(self) -> int:
        inst = self.instance
        n, m = inst.n_orders, inst.n_operators
        if n + m + 1 <= MATRIX_NODES:
            return self.routing.RegisterTransitMatrix(self._dense_transit().tolist())
        scale = self.scale
        hours = inst.hours.tolist()
        index_to_node = self.manager.IndexToNode
        if inst.start_travel is None and inst.order_travel is None:
            xs = inst.orders[:, 0].tolist() + inst.operators[:, 0].tolist()
            ys = inst.orders[:, 1].tolist() + inst.operators[:, 1].tolist()
            speed = inst.speed

            def leg(a: int, b: int) -> float:
                return math.hypot(xs[b] - xs[a], ys[b] - ys[a]) / speed
        else:
            def leg(a: int, b: int) -> float:
                if a >= n:
                    return float(inst.travel_from_start(a - n, b))
                return float(inst.travel_between(a, b))

        def transit(from_index: int, to_index: int) -> int:
            a, b = index_to_node(from_index), index_to_node(to_index)
            if b >= n or a == b or a == n + m:
                return 0
            return math.ceil((leg(a, b) + hours[b]) * scale)

        self._transit = transit  # the routing model calls it for as long as it lives
        return self.routing.RegisterTransitCallback(transit)

    def _dense_transit(self) -> np.ndarray:
        """(n + m + 1)^2 scaled transits: rows = from, columns = to (zero into starts/end)."""
        inst = self.instance
        n, m = inst.n_orders, inst.n_operators
        everyone = np.arange(n)
        out = np.zeros((n + m + 1, n + m + 1), np.int64)
        between = np.asarray(inst.travel_between(everyone[:, None], everyone[None, :]), float)
        starts = np.asarray(inst.travel_from_start(np.arange(m)[:, None], everyone[None, :]), float)
        out[:n, :n] = np.ceil((between + inst.hours[None, :]) * self.scale)
        np.fill_diagonal(out[:n, :n], 0)
        out[n:n + m, :n] = np.ceil((starts.reshape(m, n) + inst.hours[None, :]) * self.scale)
        return out

    def read(self, solution) -> CrewSchedule:
        routing, manager = self.routing, self.manager
        routes = []
        for k in range(self.instance.n_operators):
            route, index = [], solution.Value(routing.NextVar(routing.Start(k)))
            while not routing.IsEnd(index):
                route.append(manager.IndexToNode(index))
                index = solution.Value(routing.NextVar(index))
            routes.append(route)
        return CrewSchedule(self.instance, routes)


def _horizon(instance: CrewInstance) -> float:
    """An upper bound of any feasible operator's time (> 0), without an n x n matrix: the
    longest start leg plus (n - 1) times the longest order leg (the diameter of the orders'
    bounding box over the speed, or the explicit matrix's largest entry) plus all hours."""
    n, m = instance.n_orders, instance.n_operators
    if instance.start_travel is not None:
        start = float(instance.start_travel.max())
    else:
        start = max(float(np.max(instance.travel_from_start(k, np.arange(n)))) for k in range(m))
    if instance.order_travel is not None:
        between = float(instance.order_travel.max())
    else:
        span = instance.orders.max(axis=0) - instance.orders.min(axis=0)
        between = float(np.hypot(span[0], span[1])) / instance.speed
    bound = start + (n - 1) * between + float(instance.hours.sum())
    return max(min(float(instance.capacity.max()) + TOLERANCE, bound), 1e-9)
