"""The orders-and-operators problem as a rewrite problem: the state a learned policy works on.

State
-----
:class:`CrewState` holds the routes in the kernels' route state (:mod:`rewriter.crew.kernels`:
linked lists per operator, times, the three longest routes), so pricing and applying a rewrite
are the same O(1) kernels the tabu search uses.

**Nodes** are the orders ``0 .. n-1`` and one node per operator, ``n + k`` (operator ``k``'s
start). An order's one parent is its route predecessor, the first order of a route has its
operator's node: the graph is one chain per operator and an order's level is its position + 1.

**Rewrites** are relocations. The pair ``(v, u)`` moves order ``v`` right after order ``u``
(into ``u``'s route), ``(v, n + k)`` moves it to the front of operator ``k``'s route (into an
empty route of an idle operator: an activation; taking a route's last order away from an idle
operator releases it). The partners of ``v`` are its ``neighbours`` nearest orders ``u``, the
places right after and right before each (before ``u``: after its predecessor, or its
operator's front), and the fronts of its ``operator_neighbours`` nearest operators: K is at
most ``n (2 neighbours + operator_neighbours)``, linear in n. The same neighbour lists as the
tabu search (:func:`rewriter.crew.search.neighbour_lists`); the tabu search also swaps, reverses
(2-opt) and moves segments (or-opt), which the learned policy does not.

Every candidate is priced exactly by :func:`rewriter.crew.kernels.eval_relocate` (the new
objective and the change of the summed route times); a relocation that would take a route over
its capacity, or changes nothing, is not a candidate, and :meth:`CrewState.apply` refuses it
(returns False, state unchanged).

Cost and scales
---------------
``cost()`` is the objective ``alpha x makespan + beta x activated``. Times are divided by the
instance's *time scale* T, the lower bound of the makespan (the larger of the mean work per
operator and, with coordinates, the farthest order's nearest start plus its hours; 1 when that
is 0); ``cost_scale()`` is ``max(alpha T, beta)`` (1 when that is 0), so a reward of 1 is about
one makespan's worth.

Node features (``NODE_FEATURES``; an operator's node describes its route)::

    0  is_operator       1 for operator nodes
    1  x, 2 y            coordinates scaled to [0, 1] by the instance's bounding box (0.5 with
                         explicit matrices, where positions may mean nothing)
    3  hours             service hours / T (operators: 0)
    4  travel_in         leg into the order / T (operators: 0)
    5  travel_out        leg to the next order / T (operators: to the first order; 0 at the end)
    6  route_time        its route's time / makespan
    7  load              its route's time / its operator's capacity
    8  on_makespan       1 when its route is a longest one
    9  active            1 when its operator was active already (no activation cost)
    10 route_size        orders on its route / (n / m)
    11 position          (position + 1) / route size (operators: 0)
    12 capacity          its operator's capacity / T
    13 best_change       its best candidate's change of the objective (as pair feature 0; 0 for
                         operators, log(101), the largest, for an order without candidates)
    14 improvable        1 when some candidate of the order lowers the objective

Pair features (``PAIR_FEATURES``)::

    0  objective_change  sign(c) log(1 + |c|), c = 100 x change of the objective / cost scale,
                         clipped to +-log(101) (a whole cost scale)
    1  total_change      change of the summed route times / T
    2  target_time       the target route's time after / makespan
    3  target_slack      (capacity - target route's time after) / T
    4  source_time       the source route's time after / makespan
    5  same_route        1 when the order stays on its route
    6  to_front          1 when the partner is an operator (the route's front)
    7  activates         1 when an idle operator's empty route receives the order
    8  releases          1 when an idle operator's route loses its only order
    9  improves          1 when the objective falls
    10 from_makespan     1 when the order is on a longest route
    11 leg               travel from the partner (its position, or the operator's start) to the
                         order / T
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.problem import Graph, RewriteProblem, RewriteState
from ..errors import InputError
from . import kernels as K
from .instance import CrewInstance
from .schedule import CrewSchedule

__all__ = ["CrewState", "CrewRewriteProblem", "NODE_FEATURES", "PAIR_FEATURES", "time_scale",
           "NEIGHBOURS", "OPERATOR_NEIGHBOURS"]

NODE_FEATURES = ("is_operator", "x", "y", "hours", "travel_in", "travel_out", "route_time",
                 "load", "on_makespan", "active", "route_size", "position", "capacity",
                 "best_change", "improvable")
PAIR_FEATURES = ("objective_change", "total_change", "target_time", "target_slack",
                 "source_time", "same_route", "to_front", "activates", "releases", "improves",
                 "from_makespan", "leg")
#: nearest orders and nearest operators whose places are an order's partners (module docstring)
NEIGHBOURS = 6
OPERATOR_NEIGHBOURS = 3
#: the squashed change's bound (a change of a whole cost scale), and the best-change feature of
#: an order that cannot move: no worse a rewrite than the worst
NO_REWRITE = float(np.log1p(100.0))
TINY = 1e-9


# ---- scales ------------------------------------------------------------------------------------
def time_scale(instance: CrewInstance) -> float:
    """The makespan's lower bound T (module docstring), 1 when it is 0."""
    from dataclasses import replace

    from .search import lower_bound

    bound = lower_bound(replace(instance, alpha=1.0))  # the bound of the makespan alone
    return bound if bound > TINY else 1.0


def _cost_scale(instance: CrewInstance, t: float) -> float:
    scale = max(instance.alpha * t, instance.beta)
    return scale if scale > TINY else 1.0


# ---- kernels -----------------------------------------------------------------------------------
@njit(cache=True)
def _price_candidates(rs, inst, cfg, near, near_ops, pairs, obj, total, times, legs, mark):
    """Fill the candidates of every order (module docstring): ``pairs`` (v, partner node),
    ``obj`` / ``total`` the kernel's new objective and summed-time change, ``times`` the source
    and target routes' times after, ``legs`` the travel from the partner into v. ``mark`` (n + m)
    de-duplicates partners. Returns the count; only moves the kernel prices finite are kept."""
    route_of, prev, nxt, first, time = rs[0], rs[1], rs[2], rs[6], rs[9]
    hours = inst[5]
    n = route_of.shape[0]
    mark[:] = -1
    c = 0
    for v in range(n):
        k1 = route_of[v]
        p = prev[v]
        q = nxt[v]
        d1 = K.leg(k1, p, q, inst) - K.leg(k1, p, v, inst) - K.leg(k1, v, q, inst) - hours[v]
        width = 2 * near.shape[1] + near_ops.shape[1]
        for j in range(width):
            if j < 2 * near.shape[1]:
                u = near[v, j // 2]
                if u < 0:
                    continue
                k2 = route_of[u]
                a = u if j % 2 == 0 else prev[u]
            else:
                k2 = near_ops[v, j - 2 * near.shape[1]]
                if k2 < 0:
                    continue
                a = -1
            node = a if a >= 0 else n + k2
            if mark[node] == v:
                continue
            mark[node] = v
            o, d = K.eval_relocate(v, k2, a, rs, inst, cfg)
            if o == K.INF:
                continue
            pairs[c, 0] = v
            pairs[c, 1] = node
            obj[c] = o
            total[c] = d
            if k2 == k1:
                times[c, 0] = time[k1] + d
                times[c, 1] = time[k1] + d
            else:
                times[c, 0] = time[k1] + d1
                times[c, 1] = time[k2] + d - d1
            legs[c] = K.start_leg(k2, v, inst) if a < 0 else K.order_leg(a, v, inst)
            c += 1
    return c


@njit(cache=True)
def _node_legs(rs, inst, into, out, start_out):
    """Per order the leg into it and out of it along its route; per operator the leg from its
    start to its first order (0 for an empty route)."""
    route_of, prev, nxt, first = rs[0], rs[1], rs[2], rs[6]
    for v in range(route_of.shape[0]):
        k = route_of[v]
        into[v] = K.leg(k, prev[v], v, inst)
        out[v] = K.leg(k, v, nxt[v], inst)
    for k in range(first.shape[0]):
        start_out[k] = K.leg(k, -1, first[k], inst)


# ---- the state ---------------------------------------------------------------------------------
class _Fixed:
    """What every copy of a state shares: the instance, the kernels' tuples, neighbour lists and
    the scales (none of them change as the routes do)."""

    def __init__(self, instance: CrewInstance, neighbours: int, operator_neighbours: int):
        from .schedule import TOLERANCE
        from .search import neighbour_lists

        self.instance = instance
        self.inst = K.instance_tuple(instance)
        self.cfg = K.config(instance, TOLERANCE)
        self.near, self.near_ops = neighbour_lists(instance, neighbours, operator_neighbours)
        self.time_scale = time_scale(instance)
        self.cost_scale = _cost_scale(instance, self.time_scale)
        n, m = instance.n_orders, instance.n_operators
        #: the most candidates one order can have (each nearest order twice, each operator once)
        self.partners_per_order = 2 * self.near.shape[1] + self.near_ops.shape[1]
        self.xy = _unit_coordinates(instance)
        self.mean_size = n / m


def _unit_coordinates(instance: CrewInstance) -> np.ndarray:
    """(n + m, 2) orders then operators scaled into [0, 1] by their bounding box; 0.5 where the
    instance gives explicit travel (positions may be placeholders) or all points coincide."""
    points = np.concatenate([instance.orders, instance.operators])
    if instance.start_travel is not None or instance.order_travel is not None:
        return np.full(points.shape, 0.5, np.float32)
    low = points.min(axis=0)
    extent = float((points.max(axis=0) - low).max())
    if extent <= TINY:
        return np.full(points.shape, 0.5, np.float32)
    return ((points - low) / extent).astype(np.float32)


class CrewState(RewriteState):
    """Crew routes seen through the rewrite interface (module docstring)."""

    node_features = len(NODE_FEATURES)
    pair_features = len(PAIR_FEATURES)

    def __init__(self, schedule: CrewSchedule | None, neighbours: int = NEIGHBOURS,
                 operator_neighbours: int = OPERATOR_NEIGHBOURS, *, _fixed: _Fixed | None = None,
                 _rs: tuple | None = None):
        from .search import check_schedule

        if _fixed is None:
            check_schedule(schedule)  # a feasible start: every order once, every route in hours
            _fixed = _Fixed(schedule.instance, neighbours, operator_neighbours)
        self.fixed = _fixed
        if _rs is None:
            _rs = K.new_state(_fixed.instance.n_orders, _fixed.instance.n_operators)
            orders, offsets = schedule.flat()
            K.load_flat(orders, offsets, _rs, _fixed.inst)
        self.rs = _rs
        self._look = None  # (pairs, features, costs, best per node, total change), until apply()

    @classmethod
    def from_routes(cls, instance: CrewInstance, routes, **options) -> "CrewState":
        return cls(CrewSchedule(instance, routes), **options)

    @property
    def instance(self) -> CrewInstance:
        return self.fixed.instance

    # ---- the interface -----------------------------------------------------------------------
    def cost(self) -> float:
        return float(K.current_objective(self.rs, self.fixed.cfg))

    def cost_scale(self) -> float:
        return self.fixed.cost_scale

    def makespan(self) -> float:
        return float(self.rs[9][self.rs[10][0]])

    def schedule(self) -> CrewSchedule:
        """The current routes as a schedule (a copy)."""
        return CrewSchedule(self.instance, K.routes_of(self.rs))

    def routes(self) -> list:
        return K.routes_of(self.rs)

    def graph(self) -> Graph:
        f = self.fixed
        inst = self.instance
        n, m = inst.n_orders, inst.n_operators
        route_of, prev, _, pos, _, _, first, _, count, time, _ = self.rs
        t = f.time_scale
        makespan = self.makespan()
        into, out, start_out = np.empty(n), np.empty(n), np.empty(m)
        _node_legs(self.rs, f.inst, into, out, start_out)
        span = max(makespan, TINY)
        # per operator, then read through route_of for the orders
        op_time = time / span
        op_load = time / np.maximum(inst.capacity, TINY)
        op_long = time >= makespan - TINY * max(1.0, makespan)
        op_size = count / f.mean_size
        feats = np.zeros((n + m, self.node_features), np.float32)
        feats[n:, 0] = 1.0
        feats[:, 1:3] = f.xy
        feats[:n, 3] = inst.hours / t
        feats[:n, 4] = into / t
        feats[:n, 5] = out / t
        feats[n:, 5] = start_out / t
        for col, per_op in ((6, op_time), (7, op_load), (8, op_long), (9, inst.active),
                            (10, op_size), (12, inst.capacity / t)):
            feats[:n, col] = per_op[route_of]
            feats[n:, col] = per_op
        feats[:n, 11] = (pos + 1) / count[route_of]
        best = self._lookahead()[3]
        feats[:n, 13] = best
        feats[:n, 14] = best < 0
        parents = np.full((n + m, 1), -1, np.int64)
        parents[:n, 0] = np.where(prev >= 0, prev, n + route_of)
        level = np.zeros(n + m, np.int64)
        level[:n] = pos + 1
        return Graph(feats, parents, level)

    def candidates(self) -> tuple[np.ndarray, np.ndarray]:
        pairs, feats = self._lookahead()[:2]
        return pairs.copy(), feats.copy()

    def candidate_costs(self) -> np.ndarray:
        return self._lookahead()[2].copy()

    def expert_choice(self) -> int | None:
        """Greedy descent's rule over these rewrites: the least objective, ties to the least
        summed route time (the tabu search's ranking)."""
        pairs, _, costs, _, total = self._lookahead()
        if not len(pairs):
            return None
        return int(np.lexsort((total, costs))[0])

    def fingerprint(self) -> int | None:
        return hash((self.rs[0].tobytes(), self.rs[1].tobytes()))

    def apply(self, region: int, partner: int) -> bool:
        n, m = self.instance.n_orders, self.instance.n_operators
        if not (0 <= region < n and 0 <= partner < n + m):
            return False
        if partner >= n:
            target, after = partner - n, -1
        else:
            target, after = int(self.rs[0][partner]), partner
        obj, _ = K.eval_relocate(region, target, after, self.rs, self.fixed.inst, self.fixed.cfg)
        if obj == np.inf:
            return False
        K.apply_relocate(region, target, after, self.rs, self.fixed.inst)
        self._look = None
        return True

    def copy(self) -> "CrewState":
        new = CrewState(None, _fixed=self.fixed, _rs=tuple(a.copy() for a in self.rs))
        new._look = self._look  # read-only arrays, valid until the copy changes
        return new

    # ---- look-ahead --------------------------------------------------------------------------
    def _lookahead(self):
        if self._look is None:
            self._look = self._price()
        return self._look

    def _price(self):
        f = self.fixed
        n, m = self.instance.n_orders, self.instance.n_operators
        width = n * f.partners_per_order
        pairs = np.empty((width, 2), np.int64)
        obj, total, legs = np.empty(width), np.empty(width), np.empty(width)
        times = np.empty((width, 2))
        c = _price_candidates(self.rs, f.inst, f.cfg, f.near, f.near_ops, pairs, obj, total,
                              times, legs, np.empty(n + m, np.int64))
        pairs, obj, total, legs, times = pairs[:c], obj[:c], total[:c], legs[:c], times[:c]
        return (pairs, self._pair_features(pairs, obj, total, legs, times), obj,
                self._best_per_order(pairs, obj), total)

    def _change(self, obj: np.ndarray) -> np.ndarray:
        change = 100.0 * (obj - self.cost()) / self.fixed.cost_scale
        change[np.abs(change) < TINY] = 0.0
        return np.clip(np.sign(change) * np.log1p(np.abs(change)), -NO_REWRITE, NO_REWRITE)

    def _pair_features(self, pairs, obj, total, legs, times) -> np.ndarray:
        f = self.fixed
        inst = self.instance
        n = inst.n_orders
        route_of, count, time = self.rs[0], self.rs[8], self.rs[9]
        t, span = f.time_scale, max(self.makespan(), TINY)
        v, partner = pairs[:, 0], pairs[:, 1]
        source = route_of[v]
        front = partner >= n
        target = np.where(front, partner - n, route_of[np.minimum(partner, n - 1)])
        idle = ~inst.active
        same = source == target
        feats = np.zeros((len(pairs), self.pair_features), np.float32)
        feats[:, 0] = self._change(obj)
        feats[:, 1] = total / t
        feats[:, 2] = times[:, 1] / span
        feats[:, 3] = (inst.capacity[target] - times[:, 1]) / t
        feats[:, 4] = times[:, 0] / span
        feats[:, 5] = same
        feats[:, 6] = front
        feats[:, 7] = idle[target] & (count[target] == 0)
        feats[:, 8] = idle[source] & (count[source] == 1) & ~same
        feats[:, 9] = obj < self.cost() - TINY * max(1.0, self.cost())
        feats[:, 10] = time[source] >= self.makespan() - TINY * max(1.0, span)
        feats[:, 11] = legs / t
        return feats

    def _best_per_order(self, pairs, obj) -> np.ndarray:
        best = np.full(self.instance.n_orders, NO_REWRITE, np.float64)
        if len(pairs):
            np.minimum.at(best, pairs[:, 0], self._change(obj))
        return best.astype(np.float32)


# ---- the problem -------------------------------------------------------------------------------
def parse_size(text: str) -> tuple[str, int, int]:
    """A training size class: ``NxM`` or ``uNxM`` (uniform orders), ``cNxM`` (clustered):
    (layout, orders, operators)."""
    from .generate import MAX_OPERATORS, MAX_ORDERS

    body = str(text)
    layout = "uniform"
    if body[:1] in ("u", "c"):
        layout = "uniform" if body[0] == "u" else "clustered"
        body = body[1:]
    orders, sep, operators = body.partition("x")
    if (not sep or not orders.isdigit() or not operators.isdigit()
            or not 1 <= int(orders) <= MAX_ORDERS or not 1 <= int(operators) <= MAX_OPERATORS):
        raise InputError(f"crew size class must be ORDERSxOPERATORS, optionally after u "
                         f"(uniform) or c (clustered), e.g. 50x8 or c100x15, got {text!r}")
    return layout, int(orders), int(operators)


class CrewRewriteProblem(RewriteProblem):
    """Training instances (generated: :func:`rewriter.crew.generate.generate` of a size class,
    :func:`parse_size`) and initial states (the construction rules) of the crew problem."""

    name = "crew"
    init_rules = ("nearest", "insertion", "sweep")  # = dispatching.RULES (a test checks)

    def __init__(self, neighbours: int = NEIGHBOURS,
                 operator_neighbours: int = OPERATOR_NEIGHBOURS):
        for name, value in (("neighbours", neighbours), ("operator_neighbours",
                                                         operator_neighbours)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name}: expected an integer >= 1, got {value!r}")
        self.neighbours = int(neighbours)
        self.operator_neighbours = int(operator_neighbours)

    def sample_instance(self, rng: np.random.Generator, size: str | None = None) -> CrewInstance:
        from .generate import generate

        layout, n, m = parse_size(size or "50x8")
        seed = int(rng.integers(0, 2**31))
        return generate(n, m, layout=layout, seed=seed, name=f"crew_train_{size or '50x8'}_{seed}")

    def initial_state(self, instance: CrewInstance, init: str, seed: int = 0) -> CrewState:
        from .solve import initial_schedule

        return self.state(initial_schedule(instance, init, seed))

    def state(self, schedule: CrewSchedule) -> CrewState:
        """``schedule`` as a state of this problem's neighbourhood."""
        return CrewState(schedule, self.neighbours, self.operator_neighbours)

    def training_defaults(self) -> dict:
        from .presets import TRAIN_PRESETS

        return {k: TRAIN_PRESETS[k] for k in ("sizes", "init_rules", "validation_sizes",
                                              "validation_init")}
