"""Large instances by parts: cluster, solve each cluster, stitch, rewrite the whole.

1,000 to 10,000 orders are too many for OR-Tools routing in one piece (its first solution alone
prices about n^2 / 2 arcs through a Python callback beyond :data:`~.routing.MATRIX_NODES` nodes)
and the rewriting search improves the longest route only, one step at a time. Here:

1. **Clusters** of about :data:`TARGET_ORDERS` orders, each with its own operators (every
   order and every operator in exactly one cluster, every cluster at least one operator), in
   one of two :data:`MODES`:

   * ``routes`` (the default): a rule's routes (``init``, insertion by default) cut into
     clusters of whole routes (:func:`route_clusters`): each operator stands at the centroid of
     its route's orders (its start when idle) and the operators are bisected recursively
     across the wider side of their bounding box, each cut at the share of the orders served
     that splits the cluster count in two. Feasible by construction (the rule's routes solve
     every cluster) and, with ``beta > 0``, every cluster's capacities are capped at the
     rule's makespan (plus :data:`_CAP_SLACK`) and its objective counts activations only
     (makespan weight :data:`CAPPED_WEIGHT`), so no cluster activates an operator to shorten a
     makespan below the one that counts.
   * ``orders``: the orders first (:func:`partition`: recursive coordinate bisection into
     ``round(n / target)`` parts of within one order of each other in size; with an explicit
     ``order_travel`` matrix, whose coordinates may mean nothing, seeded k-medoids over
     ``t(i, j) + t(j, i)``, unbalanced), then the operators (:func:`allocate`: each cluster its
     nearest free operator, then the active and the idle operators shared out separately in
     proportion to each cluster's work, hours plus each order's leg from its nearest neighbour,
     nearest pairs first), :func:`repair` (an order none of its cluster's operators reaches
     within capacity moves to the cluster of the operator that does with the shortest start
     leg; a cluster on which every rule fails merges into its nearest) and a capacity cap
     shared by all clusters (:func:`choose_horizon`).

   Why the caps: each cluster alone trades its own makespan against activations, but only the
   largest makespan counts. Measured (seed 0, single runs on a loaded 2-core machine: a
   guide, not a benchmark; benchmarks/bench_crew.py is that): on crew_u1000x100_s0 in 10 s
   ``orders`` without a cap 176, with the cap 103; ``routes`` 94.0 (the insertion rule 102.1,
   tabu search alone 96.7); on _s1 ``routes`` 91.9, tabu alone 91.8. With the makespan
   weighted 0.2 or 1 under the cap, ``orders`` found no cap better than none (146); in mode
   ``routes`` weights 0.05 and 0.3 gave 96.6 and 96.7 on _s0, solve shares 0.25 and 0.75
   gave 96.8 and 94.0, and a search for a lower cap (:func:`choose_horizon` on the route
   clusters) found none better than the rule's makespan on _s0 and _s1, so it is not done.
   crew_u10000x500_s0, ``rewriter solve --method cluster --time-limit 60``: 368.2 in 60.06 s
   (the insertion rule 378.5 after 5.4 s of rule and clustering, 374.3 once 133 clusters were
   re-solved by routing); tabu search alone reached 368.4 in 30 s.
2. **Solve** each cluster as its own :class:`CrewInstance` (speed and beta kept, explicit
   matrices cut to its rows and columns): the exact CP-SAT model up to :data:`CPSAT_ORDERS`
   orders, else OR-Tools routing (a dense matrix: a cluster is small), from the cluster's
   start routes, within its share of :data:`SOLVE_SHARE` of the time left (shares in
   proportion to the orders still to solve, so a fast cluster leaves its time to the next);
   the better of the solver's and the start's routes is kept (the fallback: the start).
3. **Stitch**: the clusters' routes mapped back to global order and operator indices are one
   feasible :class:`CrewSchedule` (clusters share no order and no operator).
4. **Rewrite**: the rest of the time, tabu search over the whole instance
   (:func:`~.search.local_search`); its moves relocate orders between any operators, so it
   repairs the borders between clusters and lowers the largest makespan, which no cluster sees.

The clock runs from ``started`` (default: the call), clustering and the rule included (the
insertion rule takes 2-3.5 s of it at 10,000 orders). Ctrl-C during the cluster solves keeps
the clusters solved so far and the start routes of the others (status ``interrupted``); during
the rewrite the tabu search returns its best. A Ctrl-C before the first complete schedule
propagates.

Repeatability: the clusters depend only on the instance and the rule (and ``seed`` for
k-medoids); OR-Tools routing's result depends on where its clock stops, so runs with one seed
may differ.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..core import interrupt
from ..errors import InputError, NoSchedule, is_interrupt
from ..seeding import check_seed
from .instance import CrewInstance
from .schedule import CrewSchedule

__all__ = ["Cluster", "ClusterOutcome", "MODES", "partition", "allocate", "repair",
           "build_clusters", "route_clusters", "merge_into_nearest", "sub_instance", "restricted",
           "choose_horizon", "stitch", "solve_clustered", "TARGET_ORDERS", "SOLVE_SHARE",
           "CPSAT_ORDERS"]

#: orders per cluster aimed at (clusters hold 50-100 at this target)
TARGET_ORDERS = 75
#: the part of the time left after clustering that goes to the cluster solves (the rest: tabu)
SOLVE_SHARE = 0.5
#: clusters up to this many orders are solved by the exact CP-SAT model, larger ones by routing
CPSAT_ORDERS = 8
#: k-medoids rounds over an explicit matrix
MEDOID_ROUNDS = 5
#: caps tried in each of the two rounds of :func:`choose_horizon`
HORIZON_GRID = 8
#: the part of the time limit the cap's search may take at most
HORIZON_SHARE = 0.15
#: the clusters' makespan weight (x alpha) under the shared cap; 0: activations only
CAPPED_WEIGHT = 0.0
#: how clusters are made: from the orders (partition, then operators) or from a rule's routes
MODES = ("routes", "orders")
#: the relative slack on the routes mode's cap (routing rounds each leg up: about n / 10^9 of
#: the horizon per route)
_CAP_SLACK = 1e-4
#: a cluster solve shorter than this is not worth a solver's set-up: the rule's routes stay
_MIN_SOLVE_S = 0.02
_RULES = ("insertion", "nearest", "sweep")


@dataclass
class Cluster:
    """Global indices of a cluster's orders and of its operators (sorted int64 arrays)."""

    orders: np.ndarray
    operators: np.ndarray


@dataclass
class ClusterOutcome:
    """``best`` the best schedule; ``init_cost`` the start's objective (the rule's routes; mode
    ``orders``: the clusters' rule routes stitched, before the cap); ``stitched_cost`` after
    the cluster solves; ``steps`` tabu steps; ``status`` time_limit, interrupted (or a
    final status of the tabu search); ``trace`` (step, seconds, best objective); ``info`` what
    was done (clusters, merges, moved orders, solver counts, seconds per phase)."""

    best: CrewSchedule
    init_cost: float
    stitched_cost: float
    steps: int
    runtime_s: float
    status: str
    trace: list
    restarts: int = 0
    info: dict = field(default_factory=dict)


# ---- 1. partition ------------------------------------------------------------------------------
def cluster_count(instance: CrewInstance, target: int = TARGET_ORDERS) -> int:
    """``round(n / target)`` clusters, at least 1 and at most one per operator."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise InputError(f"cluster size must be an integer >= 1, got {target!r}")
    return int(min(max(round(instance.n_orders / target), 1), instance.n_operators))


def partition(instance: CrewInstance, count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` disjoint non-empty sorted index arrays covering every order (module docstring);
    fewer when an explicit matrix's k-medoids leaves a medoid without orders."""
    count = int(min(max(count, 1), instance.n_orders))
    if instance.order_travel is not None:
        return _medoid_parts(instance.order_travel, count, seed)
    parts: list[np.ndarray] = []
    _bisect(instance.orders, np.arange(instance.n_orders), count, parts)
    return parts


def _bisect(points: np.ndarray, members: np.ndarray, count: int, out: list) -> None:
    """Cut ``members`` into ``count`` parts across the wider side, the cut at the order count of
    ``count // 2`` parts (ties along the axis broken by index: a stable sort)."""
    if count <= 1:
        out.append(np.sort(members))
        return
    xy = points[members]
    axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
    ranked = members[np.argsort(xy[:, axis], kind="stable")]
    left = count // 2
    cut = int(round(members.size * left / count))
    _bisect(points, ranked[:cut], left, out)
    _bisect(points, ranked[cut:], count - left, out)


def _medoid_parts(travel: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    distance = travel + travel.T
    n = distance.shape[0]
    rng = np.random.default_rng(check_seed(seed))
    medoids = [int(rng.integers(n))]
    nearest = distance[:, medoids[0]].copy()
    for _ in range(count - 1):  # farthest first: spread medoids
        nearest[medoids] = -1.0
        pick = int(np.argmax(nearest))
        medoids.append(pick)
        nearest = np.minimum(nearest, distance[:, pick])
    medoids = np.array(medoids, np.int64)
    for _ in range(MEDOID_ROUNDS):
        label = np.argmin(distance[:, medoids], axis=1)
        label[medoids] = np.arange(medoids.size)  # a medoid stays in its own cluster
        moved = medoids.copy()
        for c in range(medoids.size):
            members = np.flatnonzero(label == c)
            moved[c] = members[np.argmin(distance[np.ix_(members, members)].sum(axis=1))]
        if np.array_equal(moved, medoids):
            break
        medoids = moved
    label = np.argmin(distance[:, medoids], axis=1)
    label[medoids] = np.arange(medoids.size)
    return [members for c in range(medoids.size) if (members := np.flatnonzero(label == c)).size]


# ---- 2. operators --------------------------------------------------------------------------------
def cluster_work(instance: CrewInstance, orders: np.ndarray) -> float:
    """Service hours plus each order's leg from its nearest other order of the cluster."""
    work = float(instance.hours[orders].sum())
    if orders.size > 1:
        legs = np.asarray(instance.travel_between(orders[:, None], orders[None, :]), float)
        np.fill_diagonal(legs, np.inf)
        work += float(legs.min(axis=0).sum())
    return work


def operator_distance(instance: CrewInstance, parts: list[np.ndarray]) -> np.ndarray:
    """(m, k) how far each operator starts from each cluster: the mean explicit start leg, or
    the Euclidean leg to the cluster's centroid."""
    if instance.start_travel is not None:
        return np.stack([instance.start_travel[:, p].mean(axis=1) for p in parts], axis=1)
    centres = np.stack([instance.orders[p].mean(axis=0) for p in parts])
    delta = instance.operators[:, None, :] - centres[None, :, :]
    return np.hypot(delta[..., 0], delta[..., 1]) / instance.speed


def allocate(instance: CrewInstance, parts: list[np.ndarray]) -> list[np.ndarray]:
    """Each cluster's operators (module docstring, step 2): every operator in exactly one
    cluster, every cluster at least one (needs ``len(parts) <= m``). Active and idle operators
    are shared out separately, each pool in proportion to the clusters' work: activations cost
    ``beta``, so a cluster given only idle operators would pay for every one it uses."""
    m, k = instance.n_operators, len(parts)
    if k > m:
        raise InputError(f"{instance.name}: {k} clusters but only {m} operators")
    work = np.array([cluster_work(instance, p) for p in parts])
    fraction = work / max(work.sum(), 1e-12)
    distance = operator_distance(instance, parts)
    owner = np.full(m, -1, np.int64)
    for c in np.argsort(-work, kind="stable"):  # every cluster its nearest free operator first
        free = np.flatnonzero(owner < 0)
        owner[int(free[np.argmin(distance[free, c])])] = c
    for pool in (instance.active, ~instance.active):
        held = np.bincount(owner[pool & (owner >= 0)], instance.capacity[pool & (owner >= 0)],
                           minlength=k)
        share = fraction * instance.capacity[pool].sum()
        for flat in np.argsort(distance[pool], axis=None, kind="stable"):
            row, c = divmod(int(flat), k)
            op = int(np.flatnonzero(pool)[row])
            if owner[op] < 0 and held[c] < share[c]:
                owner[op], held[c] = c, held[c] + instance.capacity[op]
    for op in np.flatnonzero(owner < 0):  # left over (zero capacity): the nearest cluster
        owner[op] = int(np.argmin(distance[op]))
    return [np.flatnonzero(owner == c) for c in range(k)]


def repair(instance: CrewInstance, clusters: list[Cluster]) -> int:
    """Move each order that no operator of its cluster can reach within capacity (start leg
    plus its hours) to the cluster of the operator that can with the shortest start leg; a
    cluster left without orders gives its operators to the nearest cluster. Return how many
    orders moved; an :class:`InputError` if some order is out of every operator's reach."""
    instance.check_feasible()
    home = np.empty(instance.n_operators, np.int64)
    for c, cl in enumerate(clusters):
        home[cl.operators] = c
    every_operator = np.arange(instance.n_operators)
    transfers = []  # (order, from cluster, to cluster)
    for c, cl in enumerate(clusters):
        legs = _start_legs(instance, cl.operators, cl.orders)
        fits = legs + instance.hours[cl.orders][None, :] <= instance.capacity[cl.operators, None]
        for i in cl.orders[~fits.any(axis=0)].tolist():
            legs_i = np.asarray(instance.travel_from_start(every_operator, i), float)
            legs_i = np.where(legs_i + instance.hours[i] <= instance.capacity, legs_i, np.inf)
            transfers.append((i, c, int(home[int(np.argmin(legs_i))])))
    for i, source, target in transfers:
        clusters[source].orders = clusters[source].orders[clusters[source].orders != i]
        clusters[target].orders = np.union1d(clusters[target].orders, [i]).astype(np.int64)
    _give_away_empty(instance, clusters)
    return len(transfers)


def _start_legs(instance: CrewInstance, operators: np.ndarray, orders: np.ndarray) -> np.ndarray:
    return np.asarray(instance.travel_from_start(operators[:, None], orders[None, :]),
                      float).reshape(operators.size, orders.size)


def _give_away_empty(instance: CrewInstance, clusters: list[Cluster]) -> None:
    """A cluster left without orders hands its operators to the nearest cluster with orders."""
    full = [cl for cl in clusters if cl.orders.size]
    for cl in (cl for cl in clusters if not cl.orders.size):
        distance = operator_distance(instance, [f.orders for f in full])[cl.operators]
        target = full[int(np.argmin(distance.mean(axis=0)))]
        target.operators = np.union1d(target.operators, cl.operators)
    clusters[:] = full


def merge_into_nearest(instance: CrewInstance, clusters: list[Cluster], c: int) -> int:
    """Cluster ``c``'s orders and operators join the cluster whose centroid (or explicit legs)
    is nearest to ``c``'s operators; return that cluster's index once ``c`` is gone."""
    gone = clusters.pop(c)
    distance = operator_distance(instance, [cl.orders for cl in clusters])[gone.operators]
    index = int(np.argmin(distance.mean(axis=0)))
    target = clusters[index]
    target.orders = np.union1d(target.orders, gone.orders)
    target.operators = np.union1d(target.operators, gone.operators)
    return index


# ---- 1'. clusters from a rule's routes --------------------------------------------------------
def route_clusters(instance: CrewInstance, start: CrewSchedule,
                   target: int = TARGET_ORDERS, seed: int = 0) -> list[Cluster]:
    """Clusters of whole routes of ``start``: each operator stands at the centroid of its
    route's orders (its start when idle) and the operators are bisected like orders
    (:func:`partition`), each cut at half the orders served, so clusters hold about
    ``n / k`` orders; a cluster is its operators and the orders of their routes. With an
    explicit ``order_travel`` matrix (coordinates may mean nothing there) the orders are
    partitioned by k-medoids over the matrix instead and each operator joins the part holding
    most of its route (an idle one: the part it starts nearest, :func:`operator_distance`).
    Feasible by construction: ``start``'s routes are a solution of every cluster."""
    count = cluster_count(instance, target)
    if instance.order_travel is not None:
        groups = _operators_by_parts(instance, start, partition(instance, count, seed))
    else:
        points = instance.operators.copy()
        served = np.array([r.size for r in start.routes], np.int64)
        for k, route in enumerate(start.routes):
            if route.size:
                points[k] = instance.orders[route].mean(axis=0)
        groups = []
        _bisect_weighted(points, np.arange(instance.n_operators), served + 1e-3, count, groups)
    clusters = [Cluster(np.sort(np.concatenate([start.routes[k] for k in g])).astype(np.int64),
                        g) for g in groups if g.size]
    _give_away_empty(instance, clusters)
    return clusters


def _operators_by_parts(instance: CrewInstance, start: CrewSchedule,
                        parts: list[np.ndarray]) -> list[np.ndarray]:
    part_of = np.empty(instance.n_orders, np.int64)
    for p, members in enumerate(parts):
        part_of[members] = p
    distance = operator_distance(instance, parts)
    owner = np.array([np.bincount(part_of[r], minlength=len(parts)).argmax() if r.size
                      else int(np.argmin(distance[k])) for k, r in enumerate(start.routes)])
    return [np.flatnonzero(owner == p) for p in range(len(parts))]


def _bisect_weighted(points, members, weight, count, out) -> None:
    """:func:`_bisect` with the cut at the share ``count // 2 / count`` of the weight."""
    if count <= 1 or members.size <= 1:
        out.append(np.sort(members))
        return
    xy = points[members]
    axis = int(np.argmax(xy.max(axis=0) - xy.min(axis=0)))
    ranked = members[np.argsort(xy[:, axis], kind="stable")]
    left = count // 2
    cumulative = np.cumsum(weight[ranked])
    cut = int(np.searchsorted(cumulative, cumulative[-1] * left / count)) + 1
    cut = min(max(cut, 1), members.size - 1)
    _bisect_weighted(points, ranked[:cut], weight, left, out)
    _bisect_weighted(points, ranked[cut:], weight, count - left, out)


def restricted(instance: CrewInstance, cluster: Cluster, schedule: CrewSchedule, label: str,
               horizon: float, weight: float) -> CrewSchedule:
    """``schedule``'s routes of the cluster's operators as a schedule of the cluster's
    sub-instance (capped at ``horizon``, makespan weighted by ``weight``)."""
    sub = sub_instance(instance, cluster, label, horizon, weight)
    local = np.full(instance.n_orders, -1, np.int64)
    local[cluster.orders] = np.arange(cluster.orders.size)
    return CrewSchedule(sub, [local[schedule.routes[k]] for k in cluster.operators])


# ---- 3. solve one cluster ----------------------------------------------------------------------
def sub_instance(instance: CrewInstance, cluster: Cluster, label: str,
                 horizon: float = math.inf, alpha: float | None = None) -> CrewInstance:
    """The cluster as an instance of its own (beta, speed kept; matrices cut): capacities
    capped at ``horizon``, the makespan weighted by ``alpha`` (default: the instance's)."""
    o, k = cluster.orders, cluster.operators
    alpha = instance.alpha if alpha is None else alpha
    return CrewInstance(
        f"{instance.name}#{label}", instance.orders[o], instance.hours[o], instance.operators[k],
        np.minimum(instance.capacity[k], horizon), instance.active[k], instance.speed, alpha,
        instance.beta,
        None if instance.start_travel is None else instance.start_travel[np.ix_(k, o)],
        None if instance.order_travel is None else instance.order_travel[np.ix_(o, o)])


def rule_schedule(sub: CrewInstance, rules=_RULES) -> CrewSchedule | None:
    """The best of ``rules``' routes (objective, then makespan), None when every rule fails
    (tight capacities)."""
    from .dispatching import build

    best = None
    for rule in rules:
        try:
            schedule = build(rule, sub)
        except (NoSchedule, InputError):
            continue
        if best is None or _rank(schedule) < _rank(best):
            best = schedule
    return best


def _rank(schedule: CrewSchedule) -> tuple[float, float]:
    return schedule.objective, schedule.makespan


def solver_schedule(sub: CrewInstance, seconds: float, seed: int,
                    hint: CrewSchedule | None = None) -> tuple[CrewSchedule | None, str]:
    """CP-SAT (tiny clusters) or OR-Tools routing for ``seconds`` from ``hint`` (when given):
    (routes or None, solver)."""
    if sub.n_orders <= CPSAT_ORDERS:
        from .cpsat import solve_exact

        return solve_exact(sub, time_limit=seconds, seed=seed, hint=hint).schedule, "cpsat"
    from .routing import solve_routing

    return solve_routing(sub, time_limit=seconds, seed=seed, hint=hint).schedule, "routing"


# ---- 3b. a common makespan horizon ------------------------------------------------------------
def horizon_starts(instance: CrewInstance, clusters: list[Cluster], horizon: float,
                   weight: float, rules=_RULES) -> tuple[float, list | None]:
    """Every cluster's best rule routes with capacities capped at ``horizon`` and the makespan
    weighted by ``weight``: (the stitched objective, the routes), (inf, None) if a rule fails."""
    starts = []
    for c, cl in enumerate(clusters):
        sub = sub_instance(instance, cl, f"c{c}", horizon, weight)
        schedule = rule_schedule(sub, rules) if sub.reachable.all() else None
        if schedule is None:
            return math.inf, None
        starts.append(schedule)
    return stitched_objective(instance, starts), starts


def stitched_objective(instance: CrewInstance, starts: list) -> float:
    """``alpha`` x the largest cluster makespan + ``beta`` x all clusters' activations."""
    return (instance.alpha * max(s.makespan for s in starts)
            + instance.beta * sum(s.activated for s in starts))


def choose_horizon(instance: CrewInstance, clusters: list[Cluster], starts: list,
                   until: float, weight: float = 0.0) -> tuple[float, list]:
    """The capacity cap shared by all clusters whose insertion routes give the best stitched
    objective: a grid of :data:`HORIZON_GRID` caps from a lower bound of every cluster's
    makespan to the uncapped routes' makespan, then as many between the best one's
    neighbours (up to the largest capacity: where a cap no longer binds); the chosen cap's
    routes are the best of all rules. ``starts`` (uncapped, the
    instance's own objective) stay when no cap beats them or the clock passes ``until``.

    Why: each cluster alone trades its own makespan against activations, but only the
    largest makespan counts, so a cluster well below it activates operators for nothing. With
    a shared cap and the makespan weighted by ``weight`` (0: activations only) clusters
    activate only what the cap needs."""
    if instance.beta == 0:
        return math.inf, starts  # no activations to save: each cluster's makespan is the goal
    lower = max(float(instance.hours[cl.orders].sum()) / cl.operators.size for cl in clusters)
    upper = max(float(instance.capacity.max()), max(s.makespan for s in starts))
    if not upper > lower:
        return math.inf, starts
    tried: dict[float, float] = {}

    def value(horizon: float) -> float:
        if horizon not in tried:
            tried[horizon] = horizon_starts(instance, clusters, horizon, weight, ("insertion",))[0]
        return tried[horizon]

    grid = np.linspace(lower, upper, HORIZON_GRID).tolist()
    for horizon in grid:
        if time.perf_counter() > until:
            break
        value(horizon)
    if tried:
        best = min(tried, key=tried.get)
        below = max([h for h in tried if h < best], default=best)
        above = min([h for h in tried if h > best], default=best)
        for horizon in np.linspace(below, above, HORIZON_GRID + 2)[1:-1].tolist():
            if time.perf_counter() > until:
                break
            value(horizon)
    if not tried or min(tried.values()) == math.inf:
        return math.inf, starts
    best = min(tried, key=tried.get)
    objective, capped = horizon_starts(instance, clusters, best, weight)
    if capped is None or objective >= stitched_objective(instance, starts):
        return math.inf, starts
    return best, capped


# ---- 4. stitch ---------------------------------------------------------------------------------
def stitch(instance: CrewInstance, clusters: list[Cluster], routes: list) -> CrewSchedule:
    """One schedule of the whole instance from each cluster's sub-schedule (``routes[c]``)."""
    out = [np.zeros(0, np.int64) for _ in range(instance.n_operators)]
    for cl, sub in zip(clusters, routes):
        for local, route in enumerate(sub.routes):
            out[int(cl.operators[local])] = cl.orders[route]
    return CrewSchedule(instance, out)


def build_clusters(instance: CrewInstance, target: int = TARGET_ORDERS,
                   seed: int = 0) -> tuple[list[Cluster], int]:
    """Partition, allocate and repair: (clusters, orders moved by the repair)."""
    parts = partition(instance, cluster_count(instance, target), seed)
    clusters = [Cluster(p, ops) for p, ops in zip(parts, allocate(instance, parts))]
    moved = repair(instance, clusters)
    return clusters, moved


def starts_of(instance: CrewInstance, clusters: list[Cluster]) -> tuple[list, int]:
    """Each cluster's rule routes, merging a cluster on which every rule fails into its nearest
    (``clusters`` changes in place) and trying the merged one again: (routes per cluster,
    merges)."""
    merges = 0
    starts: list = [None] * len(clusters)
    while None in starts:
        interrupt.check()
        c = starts.index(None)
        starts[c] = rule_schedule(sub_instance(instance, clusters[c], f"c{c}"))
        if starts[c] is not None:
            continue
        if len(clusters) == 1:
            raise NoSchedule(f"{instance.name}: every construction rule fails on the whole "
                             "instance (capacities too tight for them)")
        starts.pop(c)
        starts[merge_into_nearest(instance, clusters, c)] = None
        merges += 1
    return starts, merges


# ---- 5. the whole ------------------------------------------------------------------------------
def solve_clustered(instance: CrewInstance, *, time_limit: float, seed: int = 0,
                    started: float | None = None, target: int = TARGET_ORDERS,
                    solve_share: float = SOLVE_SHARE, weight: float = CAPPED_WEIGHT,
                    mode: str = "routes", init: str = "insertion",
                    rewrite: bool = True) -> ClusterOutcome:
    """Cluster, solve, stitch and rewrite ``instance`` within ``time_limit`` seconds of
    ``started`` (module docstring)."""
    t0 = time.perf_counter() if started is None else started
    seed = check_seed(seed)
    if (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
            or not math.isfinite(time_limit) or time_limit <= 0):
        raise InputError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if not 0 <= solve_share <= 1:
        raise InputError(f"solve share must be within [0, 1], got {solve_share!r}")
    if mode not in MODES:
        raise InputError(f"unknown cluster mode {mode!r}; expected one of: {', '.join(MODES)}")
    deadline = t0 + time_limit
    with interrupt.recording():
        if mode == "routes":
            clusters, starts, init_cost, info = _from_routes(instance, init, target, seed,
                                                             weight)
        else:
            clusters, starts, init_cost, info = _from_orders(instance, target, seed, weight,
                                                             t0 + HORIZON_SHARE * time_limit)
    clustered_s = time.perf_counter() - t0
    best = stitch(instance, clusters, starts)
    trace = [(0, round(clustered_s, 4), best.objective)]
    info.update({"mode": mode, "clusters": len(clusters),
                 "cluster_orders": [int(min(c.orders.size for c in clusters)),
                                    int(max(c.orders.size for c in clusters))],
                 "clustered_s": round(clustered_s, 3)})
    status = "time_limit"
    try:
        with interrupt.recording():
            solved = _solve_clusters(instance, clusters, starts, deadline, solve_share, seed, info)
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        interrupt.handled()
        status = "interrupted"
        solved = starts  # _solve_clusters replaces entries in place as clusters finish
    best = stitch(instance, clusters, solved)
    stitched_cost = best.objective
    info["solved_s"] = round(time.perf_counter() - t0, 3)
    trace.append((0, info["solved_s"], stitched_cost))
    steps, restarts = 0, 0
    if rewrite and status != "interrupted" and time.perf_counter() < deadline:
        from .search import local_search

        outcome = local_search(best, time_limit=time_limit, seed=seed, started=t0, policy="tabu")
        best, steps, restarts, status = outcome.best, outcome.steps, outcome.restarts, \
            outcome.status
        trace += [(s, t, c) for s, t, c in outcome.trace[1:]]
    runtime = time.perf_counter() - t0
    trace.append((steps, round(runtime, 4), best.objective))
    return ClusterOutcome(best, init_cost, stitched_cost, steps, runtime, status, trace,
                          restarts, info)


def _from_orders(instance, target, seed, weight, until):
    """Mode ``orders``: partition, allocate, repair, rule routes, a shared cap."""
    clusters, moved = build_clusters(instance, target, seed)
    starts, merges = starts_of(instance, clusters)
    init_cost = stitched_objective(instance, starts)
    horizon, starts = choose_horizon(instance, clusters, starts, until, weight)
    return clusters, starts, init_cost, {
        "moved_orders": moved, "merges": merges,
        "horizon": None if horizon == math.inf else round(horizon, 6)}


def _from_routes(instance, init, target, seed, weight):
    """Mode ``routes``: the ``init`` rule's routes, clustered whole; each cluster capped at
    their makespan (plus :data:`_CAP_SLACK`, so routing's rounding up keeps them feasible)."""
    from .dispatching import build

    start = build(init, instance)
    horizon = start.makespan * (1 + _CAP_SLACK) if instance.beta > 0 else math.inf
    sub_weight = weight if instance.beta > 0 else instance.alpha
    clusters = route_clusters(instance, start, target, seed)
    starts = [restricted(instance, cl, start, f"c{c}", horizon, sub_weight)
              for c, cl in enumerate(clusters)]
    return clusters, starts, start.objective, {
        "horizon": None if horizon == math.inf else round(horizon, 6)}


def _solve_clusters(instance, clusters, starts, deadline, solve_share, seed, info) -> list:
    """Each cluster's better of its rule's and its solver's routes, in ``starts`` in place."""
    solve_until = time.perf_counter() + solve_share * max(deadline - time.perf_counter(), 0.0)
    left = sum(cl.orders.size for cl in clusters)
    counts = {"routing": 0, "cpsat": 0, "improved": 0}
    for c, cl in enumerate(clusters):
        interrupt.check()
        seconds = (solve_until - time.perf_counter()) * cl.orders.size / left
        left -= cl.orders.size
        if seconds < _MIN_SOLVE_S:
            continue
        sub = starts[c].instance
        schedule, solver = solver_schedule(sub, seconds, seed, hint=starts[c])
        counts[solver] += 1
        if schedule is not None and _rank(schedule) < _rank(starts[c]):
            starts[c] = schedule
            counts["improved"] += 1
    info.update(counts)
    return starts
