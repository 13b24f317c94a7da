"""Construction rules for the orders-and-operators problem: nearest, insertion, sweep.

Every rule returns a :class:`CrewSchedule` that serves every order once and keeps every
operator within its capacity (up to :data:`~rewriter.crew.schedule.TOLERANCE`), or raises
:class:`~rewriter.errors.NoSchedule` naming the order it could not place. The rules are greedy:
an instance with a feasible solution can still defeat one (tight capacities), never silently.
All three are deterministic; ``seed`` is taken for the signature every problem's rules share.

``nearest``
    Orders one at a time by decreasing hours (ties: lower index); each is appended to the end of
    the route of the operator that minimises, lexicographically,
    ``(alpha * (makespan increase) + beta * [an idle operator is activated], travel from the
    route's end to the order, operator index)`` among the operators with room for it. The
    makespan increase is ``max(0, new time of that operator - current makespan)``: while some
    operator can take the order without lengthening the makespan, the nearest such one takes it.

``insertion``
    Cheapest insertion: repeatedly the (order, operator, place in the route) whose insertion
    increases the objective ``alpha * makespan + beta * activated`` least, ties broken by the
    increase of that operator's time, then the order's index, then the operator's; among the
    places of one order in one route the cheapest in travel (ties: the earlier). Only insertions
    within capacity are considered. Best insertions are cached per (order, operator) and updated
    incrementally (:func:`rewriter.crew.kernels_rules.cheapest_insertion`): O(n m) memory and
    about O(n^2 + n m) time; measured 0.02 s at 1,000 x 100 and 2-3.5 s at 10,000 orders with
    5, 50 or 500 operators (the sweep about 2 s there, nearest 0.4 s).

``sweep``
    Orders sorted by polar angle around the centroid of the orders (ties: distance, then
    index), the sweep starting after the widest empty angle. For a number of sectors ``s``
    taken from 1, 2, 4, ... up to the number of operators (and the number of active operators),
    the sweep is cut into ``s`` contiguous sectors of about equal work (an order's work: its
    hours plus the travel from the previous order of the sweep). Sectors, largest work first,
    each go to a distinct operator: the one minimising ``alpha * (travel to the sector's closest
    order) + beta * [idle]`` among those whose capacity covers that travel plus the sector's
    work, else the one with the largest capacity. Within its sector an operator serves the
    orders by nearest neighbour (the nearest order it has room for). Orders no sector's operator
    has room for are appended, in sweep order, to the operator with the most remaining capacity
    among those who can still take them. The best ``s`` by objective wins (ties: the smaller).

Capacity fallback (all rules): an order that the rule's own choice cannot place goes to the
operator with the most remaining capacity that can still take it (for ``nearest`` and
``insertion`` the rule already considers every operator with room, so none is left); if no
operator can take it, :class:`NoSchedule` names it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, NoSchedule
from .instance import CrewInstance
from .kernels_rules import cheapest_insertion, nearest_append, nearest_neighbour
from .schedule import TOLERANCE, CrewSchedule

__all__ = ["RULES", "build", "nearest", "insertion", "sweep"]

RULES = ("nearest", "insertion", "sweep")

#: rules keep capacity with half the tolerance, so rounding in the incremental times cannot
#: push a recomputed route time past it
_SLACK = TOLERANCE / 2


def build(rule: str, instance: CrewInstance, seed: int = 0) -> CrewSchedule:
    """The schedule of construction rule ``rule`` (one of :data:`RULES`) for ``instance``."""
    if rule not in _BUILDERS:
        raise InputError(f"unknown crew rule {rule!r}; expected one of {', '.join(RULES)}")
    instance.check_feasible()
    return _BUILDERS[rule](instance)


def nearest(instance: CrewInstance) -> CrewSchedule:
    """Append orders, largest first, to the operator that costs least (module docstring)."""
    sequence = np.lexsort((np.arange(instance.n_orders), -instance.hours)).astype(np.int64)
    first, succ, owner = _empty_links(instance)
    stuck = nearest_append(*instance.travel_arrays(), instance.hours, instance.capacity,
                           instance.active, float(instance.alpha), float(instance.beta), _SLACK,
                           sequence, first, succ, owner)
    _raise_if_stuck(instance, "nearest", stuck)
    return CrewSchedule(instance, _routes_from_links(first, succ))


def insertion(instance: CrewInstance) -> CrewSchedule:
    """Cheapest insertion under the objective (module docstring)."""
    first, succ, owner = _empty_links(instance)
    stuck = cheapest_insertion(*instance.travel_arrays(), instance.hours, instance.capacity,
                               instance.active, float(instance.alpha), float(instance.beta),
                               _SLACK, first, succ, owner)
    _raise_if_stuck(instance, "insertion", stuck)
    return CrewSchedule(instance, _routes_from_links(first, succ))


def sweep(instance: CrewInstance) -> CrewSchedule:
    """The best of the sweeps with 1, 2, 4, ... sectors (module docstring)."""
    order = _sweep_order(instance)
    best = None
    for sectors in _sector_counts(instance):
        schedule = _sweep_with(instance, order, sectors)
        if best is None or schedule.objective < best.objective:
            best = schedule
    return best


# ---- shared helpers ------------------------------------------------------------------------------
def _empty_links(instance: CrewInstance):
    return (np.full(instance.n_operators, -1, np.int64), np.full(instance.n_orders, -1, np.int64),
            np.full(instance.n_orders, -1, np.int64))


def _routes_from_links(first: np.ndarray, succ: np.ndarray) -> list:
    routes = []
    for head in first.tolist():
        route, i = [], head
        while i >= 0:
            route.append(i)
            i = int(succ[i])
        routes.append(np.array(route, np.int64))
    return routes


def _raise_if_stuck(instance: CrewInstance, rule: str, order: int) -> None:
    if order >= 0:
        raise NoSchedule(f"{instance.name}: rule {rule!r} found no operator with room for order "
                         f"{order} ({instance.hours[order]:g} hours) once the orders before it "
                         f"were placed; the capacities are too tight for this greedy rule")


class _Routes:
    """Routes built by appending: each operator's orders, time and the end of its route."""

    def __init__(self, instance: CrewInstance):
        self.instance = instance
        self.routes = [[] for _ in range(instance.n_operators)]
        self.times = np.zeros(instance.n_operators)

    def leg(self, k: int, i: int) -> float:
        route = self.routes[k]
        inst = self.instance
        return float(inst.travel_from_start(k, i) if not route else inst.travel_between(route[-1], i))

    def legs(self, i: int) -> np.ndarray:
        """(m,) travel from every operator's route end to order ``i``."""
        return np.array([self.leg(k, i) for k in range(self.instance.n_operators)])

    def fits(self, k: int, i: int) -> bool:
        return self.times[k] + self.leg(k, i) + self.instance.hours[i] <= (
            self.instance.capacity[k] + _SLACK)

    def append(self, k: int, i: int) -> None:
        self.times[k] += self.leg(k, i) + self.instance.hours[i]
        self.routes[k].append(i)

    def append_to_roomiest(self, i: int, rule: str) -> None:
        """The capacity fallback: the operator with the most remaining capacity that can still
        take order ``i`` (ties: the lower index)."""
        inst = self.instance
        room = inst.capacity - self.times
        grown = self.times + self.legs(i) + inst.hours[i]
        able = np.flatnonzero(grown <= inst.capacity + _SLACK)
        if able.size == 0:
            _raise_if_stuck(inst, rule, i)
        self.append(int(able[np.argmax(room[able])]), i)

    def schedule(self) -> CrewSchedule:
        return CrewSchedule(self.instance, [np.array(r, np.int64) for r in self.routes])


# ---- sweep ---------------------------------------------------------------------------------------
def _sweep_order(instance: CrewInstance) -> np.ndarray:
    """Orders by polar angle around their centroid, starting after the widest empty angle."""
    offset = instance.orders - instance.orders.mean(axis=0)
    angle = np.arctan2(offset[:, 1], offset[:, 0])
    radius = np.hypot(offset[:, 0], offset[:, 1])
    order = np.lexsort((np.arange(instance.n_orders), radius, angle))
    if order.size > 1:
        ranked = angle[order]
        gaps = np.diff(np.concatenate([ranked, [ranked[0] + 2 * math.pi]]))
        order = np.roll(order, -(int(np.argmax(gaps)) + 1))
    return order.astype(np.int64)


def _sector_counts(instance: CrewInstance) -> list[int]:
    most = min(instance.n_operators, instance.n_orders)
    counts = {most, max(1, min(most, int(instance.active.sum())))}
    s = 1
    while s < most:
        counts.add(s)
        s *= 2
    return sorted(counts)


def _sectors(instance: CrewInstance, order: np.ndarray, count: int) -> list[np.ndarray]:
    """Cut the sweep into ``count`` contiguous pieces of about equal work (none empty)."""
    hops = np.zeros(order.size)
    if order.size > 1:
        hops[1:] = instance.travel_between(order[:-1], order[1:])
    work = instance.hours[order] + hops
    middle = np.cumsum(work) - work / 2
    total = float(work.sum())
    if total <= 0:
        cut = np.arange(order.size) * count // order.size
    else:
        cut = np.minimum((middle / total * count).astype(np.int64), count - 1)
    pieces = [order[cut == s] for s in range(count)]
    return [p for p in pieces if p.size]


def _sector_work(instance: CrewInstance, piece: np.ndarray) -> float:
    hops = instance.travel_between(piece[:-1], piece[1:]).sum() if piece.size > 1 else 0.0
    return float(instance.hours[piece].sum() + hops)


def _owner_of(instance: CrewInstance, piece: np.ndarray, free: np.ndarray) -> int:
    """The free operator to serve ``piece`` (module docstring: ``sweep``)."""
    candidates = np.flatnonzero(free)
    approach = instance.travel_from_start(candidates[:, None], piece[None, :]).min(axis=1)
    need = approach + _sector_work(instance, piece)
    cost = instance.alpha * approach + instance.beta * ~instance.active[candidates]
    roomy = need <= instance.capacity[candidates] + _SLACK
    if roomy.any():
        pool = np.flatnonzero(roomy)
        return int(candidates[pool[np.lexsort((candidates[pool], cost[pool]))[0]]])
    return int(candidates[np.argmax(instance.capacity[candidates])])


def _sweep_with(instance: CrewInstance, order: np.ndarray, count: int) -> CrewSchedule:
    pieces = _sectors(instance, order, count)
    by_work = sorted(range(len(pieces)), key=lambda s: (-_sector_work(instance, pieces[s]), s))
    free = np.ones(instance.n_operators, bool)
    routes = _Routes(instance)
    leftovers = []
    for s in by_work:
        k = _owner_of(instance, pieces[s], free)
        free[k] = False
        leftovers.extend(_nearest_neighbour(routes, k, pieces[s]))
    rank = np.empty(instance.n_orders, np.int64)
    rank[order] = np.arange(order.size)
    for i in sorted(leftovers, key=lambda i: rank[i]):
        routes.append_to_roomiest(i, "sweep")
    return routes.schedule()


def _nearest_neighbour(routes: _Routes, k: int, piece: np.ndarray) -> list[int]:
    """Operator ``k`` serves ``piece`` by nearest neighbour (the nearest order it still has room
    for; ties: the earlier in the sweep); returns the orders it had no room for."""
    inst = routes.instance
    served, time, rest = nearest_neighbour(
        *inst.travel_arrays(), inst.hours, inst.capacity, _SLACK, k, float(routes.times[k]),
        piece, np.array(routes.routes[k], np.int64))
    routes.routes[k].extend(served.tolist())
    routes.times[k] = time
    return rest.tolist()


_BUILDERS = {"nearest": nearest, "insertion": insertion, "sweep": sweep}
