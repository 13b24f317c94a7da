"""An orders-and-operators instance, with the routes built so far, as a heterogeneous graph.

Nodes
-----
* operators (:data:`OPERATOR_FEATURES`): the position of the route's current end (its start
  while the route is empty) and its start, centred and divided by the instance's extent;
  capacity over a fair share of the work (total service hours / m); the active flag (active
  or already serving some order: an activation is paid once); the load ratio (used hours /
  capacity) and the remaining capacity over the time scale.
* orders (:data:`ORDER_FEATURES`): position; service hours over the time scale; the assigned flag.

The *time scale* is the mean capacity (an operator's working horizon), so hours, travel and
remaining capacity are comparable across instance sizes.

Edges (sparse, never n x n)
---------------------------
Each order ``i`` receives edges from its ``k`` nearest other orders (``order_order``) and from
the ``k`` operators whose route ends are nearest to it (``operator_order``), nearest by travel
time; the edge's attribute is that travel time over the time scale. The network also sends
messages back along the operator edges (order -> operator). Neighbours are found by brute
force in chunks of orders (memory ``chunk x n``, time ``n^2``: 10,000 orders take about a
second), or from the explicit travel matrices when the instance gives them.

The objective weights enter as two numbers in [0, 1] that sum to 1: ``alpha_w`` and
``beta_w`` are alpha and beta / time scale, normalised; the network subtracts ``gamma *
alpha_w * T`` from attention logits and biases idle operators' activation by ``beta_w``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...crew.instance import CrewInstance

__all__ = ["CrewState", "CrewGraph", "build_graph", "travel_from_ends", "nearest", "edge_travel",
           "OPERATOR_FEATURES", "ORDER_FEATURES", "NEIGHBOURS", "time_scale", "weights",
           "pair_features"]

OPERATOR_FEATURES = ("end_x", "end_y", "start_x", "start_y", "capacity_share", "active",
                     "load_ratio", "remaining")
ORDER_FEATURES = ("x", "y", "hours", "assigned")
#: neighbours per order (orders and operators each)
NEIGHBOURS = 12
_CHUNK = 1024  # orders per block of the brute-force neighbour search
_CLIP = 10.0   # normalised features are clipped to [-_CLIP, _CLIP] (a zero capacity, say)


@dataclass
class CrewState:
    """Routes built so far: each operator's last order (-1: none yet) and hours used (travel
    plus service), and which orders are placed."""

    end: np.ndarray       # (m,) int64
    used: np.ndarray      # (m,) float64
    assigned: np.ndarray  # (n,) bool

    @classmethod
    def empty(cls, instance: CrewInstance) -> "CrewState":
        return cls(np.full(instance.n_operators, -1, np.int64),
                   np.zeros(instance.n_operators), np.zeros(instance.n_orders, bool))

    @classmethod
    def of_routes(cls, instance: CrewInstance, routes) -> "CrewState":
        """The state after ``routes`` (lists of orders per operator, possibly partial)."""
        from ...crew.schedule import route_time

        state = cls.empty(instance)
        for k, route in enumerate(routes):
            route = np.asarray(route, np.int64)
            if route.size:
                state.end[k] = route[-1]
                state.used[k] = route_time(instance, k, route)
                state.assigned[route] = True
        return state


@dataclass
class CrewGraph:
    """One instance in one state, as arrays (float32 features, int64 edge ends)."""

    operator_x: np.ndarray       # (m, len(OPERATOR_FEATURES))
    order_x: np.ndarray          # (n, len(ORDER_FEATURES))
    operator_order: np.ndarray   # (2, E) rows: operator, order
    operator_order_t: np.ndarray # (E,) travel / time scale
    order_order: np.ndarray      # (2, E2) rows: neighbour (source), order (destination)
    order_order_t: np.ndarray    # (E2,)
    alpha_w: float
    beta_w: float
    idle: np.ndarray             # (m,) float32: 1 for an operator whose activation is unpaid

    @property
    def n_operators(self) -> int:
        return self.operator_x.shape[0]

    @property
    def n_orders(self) -> int:
        return self.order_x.shape[0]


def time_scale(instance: CrewInstance) -> float:
    """The mean capacity (hours), the unit of every time feature; 1 when all capacities are 0."""
    scale = float(instance.capacity.mean())
    return scale if scale > 0 else 1.0


def weights(instance: CrewInstance) -> tuple[float, float]:
    """(alpha_w, beta_w): alpha and beta / time scale, normalised to sum to 1 (alpha_w 1 when
    both are zero)."""
    a, b = float(instance.alpha), float(instance.beta) / time_scale(instance)
    return (1.0, 0.0) if a + b <= 0 else (a / (a + b), b / (a + b))


def travel_from_ends(instance: CrewInstance, end: np.ndarray, operators, orders) -> np.ndarray:
    """Travel from each of ``operators``' route ends (its start when ``end`` is -1) to each of
    ``orders``: an array (len(operators), len(orders))."""
    operators = np.asarray(operators, np.int64)
    orders = np.asarray(orders, np.int64)
    if instance.start_travel is None and instance.order_travel is None:  # coordinates only
        last = end[operators]
        points = np.where(last[:, None] >= 0, instance.orders[np.maximum(last, 0)],
                          instance.operators[operators])
        delta = instance.orders[orders][None, :, :] - points[:, None, :]
        return np.hypot(delta[..., 0], delta[..., 1]) / instance.speed
    out = np.empty((operators.size, orders.size))
    for row, k in enumerate(operators.tolist()):
        last = int(end[k])
        out[row] = (instance.travel_from_start(k, orders) if last < 0
                    else instance.travel_between(last, orders))
    return out


def edge_travel(instance: CrewInstance, end: np.ndarray, operators, orders) -> np.ndarray:
    """Travel from ``operators[e]``'s route end to ``orders[e]``, edge by edge (arrays (E,))."""
    operators = np.asarray(operators, np.int64)
    orders = np.asarray(orders, np.int64)
    last = end[operators]
    out = np.empty(operators.size)
    fresh = last < 0
    out[fresh] = instance.travel_from_start(operators[fresh], orders[fresh])
    out[~fresh] = instance.travel_between(last[~fresh], orders[~fresh])
    return out


def nearest(instance: CrewInstance, end: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(operator -> order edges, order -> order edges), each (2, E): for every order its ``k``
    nearest operators (by travel from their route ends) and its ``k`` nearest other orders
    (fewer when there are fewer). Coordinates are compared by squared distance from one matrix
    product (rounding may swap two neighbours whose distances agree to ~1e-12)."""
    n, m = instance.n_orders, instance.n_operators
    k_ops, k_orders = min(k, m), min(k, n - 1)
    orders = np.arange(n)
    points = instance.orders
    by_start = instance.start_travel is None
    ends = np.where(end[:, None] >= 0, points[np.maximum(end, 0)], instance.operators)
    op_src, ord_src = [], []
    for lo in range(0, n, _CHUNK):
        block = orders[lo:lo + _CHUNK]
        to_block = (_squared(points[block], ends) if by_start
                    else travel_from_ends(instance, end, np.arange(m), block).T)  # (b, m)
        op_src.append(_smallest(to_block, k_ops))
        if k_orders > 0 and instance.order_travel is not None:
            between = instance.order_travel[:, block].T.copy()  # (b, n): from j to i
            between[np.arange(block.size), block] = np.inf       # never itself
            ord_src.append(_smallest(between, k_orders))
    if k_orders > 0 and instance.order_travel is None:  # a grid: no n x n block at 10,000 orders
        from ...crew.kernels import knn_grid

        grid = np.empty((n, k_orders), np.int64)
        knn_grid(np.ascontiguousarray(points, np.float64), grid)
        ord_src = [grid]
    operator_order = np.stack([np.concatenate(op_src).ravel(), np.repeat(orders, k_ops)])
    if k_orders > 0:
        order_order = np.stack([np.concatenate(ord_src).ravel(), np.repeat(orders, k_orders)])
    else:
        order_order = np.zeros((2, 0), np.int64)
    return operator_order.astype(np.int64), order_order.astype(np.int64)


def _squared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances (len(a), len(b)), from one matrix product."""
    out = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(out, 0.0)


def _smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the ``k`` smallest values, ties to the lower column."""
    if k >= values.shape[1]:
        return np.argsort(values, axis=1, kind="stable")[:, :k]
    # a stable sort of the k+ candidates argpartition leaves keeps ties by column
    part = np.argpartition(values, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(values, part, axis=1).max(axis=1, keepdims=True)
    part = np.sort(part, axis=1)
    tied = np.flatnonzero(np.sum(values <= kth, axis=1) > k)  # a tie at the boundary
    if tied.size:
        part[tied] = np.argsort(values[tied], axis=1, kind="stable")[:, :k]
    return part


def _positions(instance: CrewInstance) -> tuple[np.ndarray, float]:
    points = np.concatenate([instance.orders, instance.operators])
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float(max(high - low))
    return (low + high) / 2, (extent if extent > 0 else 1.0)


def build_graph(instance: CrewInstance, state: CrewState | None = None,
                k: int = NEIGHBOURS) -> CrewGraph:
    """The graph of ``instance`` after ``state`` (default: nothing placed yet)."""
    state = CrewState.empty(instance) if state is None else state
    scale = time_scale(instance)
    centre, extent = _positions(instance)
    m = instance.n_operators
    ends = np.where(state.end[:, None] >= 0, instance.orders[np.maximum(state.end, 0)],
                    instance.operators)
    capacity = instance.capacity
    share = instance.hours.sum() / m
    started = instance.active | (state.end >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(capacity > 0, state.used / capacity, 1.0)
    operator_x = np.column_stack([(ends - centre) / extent, (instance.operators - centre) / extent,
                                  capacity / share if share > 0 else np.ones(m),
                                  started, load, (capacity - state.used) / scale])
    order_x = np.column_stack([(instance.orders - centre) / extent, instance.hours / scale,
                               state.assigned])
    operator_order, order_order = nearest(instance, state.end, k)
    t_op = edge_travel(instance, state.end, operator_order[0], operator_order[1]) / scale
    t_ord = (instance.travel_between(order_order[0], order_order[1]) / scale
             if order_order.shape[1] else np.zeros(0))
    alpha_w, beta_w = weights(instance)
    clip = lambda a: np.clip(a, -_CLIP, _CLIP).astype(np.float32)  # noqa: E731
    return CrewGraph(clip(operator_x), clip(order_x), operator_order, clip(t_op), order_order,
                     clip(t_ord), alpha_w, beta_w, (~started).astype(np.float32))


def pair_features(instance: CrewInstance, state: CrewState, operators, orders,
                  travel: np.ndarray) -> np.ndarray:
    """(P, 3) the assignment head's :data:`~.model.PAIR_FEATURES` of operator ``operators[p]``
    taking order ``orders[p]`` at the end of its route (``travel[p]`` hours away): travel over
    the time scale, its load ratio afterwards, and 1 when that activates it (idle, no route
    yet). The decoder and the trainer compute them here, so both see the same numbers."""
    operators = np.asarray(operators, np.int64)
    orders = np.asarray(orders, np.int64)
    capacity = instance.capacity[operators]
    after = state.used[operators] + travel + instance.hours[orders]
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(capacity > 0, after / capacity, _CLIP)
    opens = (~instance.active[operators]) & (state.end[operators] < 0)
    out = np.column_stack([travel / time_scale(instance), load, opens])
    return np.clip(out, -_CLIP, _CLIP).astype(np.float32)
