"""Numba kernels for crew routes: leg prices, the four rewriting moves with O(1) deltas, and
neighbour lists.

**Instance tuple** ``inst = (orders_xy, operators_xy, pace, start_travel, order_travel, hours,
capacity, idle)``: :meth:`CrewInstance.travel_arrays` with ``pace = 1 / speed`` (a product is
cheaper than a division; an explicit matrix not given is a (0, 0) array), ``idle`` is
``~active``. A Euclidean leg is ``sqrt(dx^2 + dy^2) * pace`` (``np.hypot / speed`` to an ulp).
**Config** ``cfg = [alpha, beta, symmetric, tolerance]`` (float64): ``symmetric`` is 1.0 when
``order_travel`` is symmetric (always with coordinates), ``tolerance`` the capacity slack.

**Route state** ``rs = (route_of, prev, nxt, pos, fwd, bwd, first, last, count, time, info)``,
a doubly linked list per operator:

* per order (n,): ``route_of`` the operator serving it, ``prev`` / ``nxt`` its neighbours on the
  route (-1 at the ends), ``pos`` its position (0-based), ``fwd`` the order-to-order travel from
  the route's first order to it along the route, ``bwd`` the same legs travelled backwards
  (``sum leg(x, prev x)``): a reversed segment's interior travel is a difference of ``bwd``;
* per operator (m,): ``first`` / ``last`` order (-1: empty route), ``count``, ``time`` (travel
  plus service hours);
* ``info`` (4,) int64: the three operators with the largest times (-1 where m < 3), then the
  number of activated operators (idle with a non-empty route).

**Pricing a move is O(1)**: a move changes at most two routes; their new times come from the
legs around the moved orders only (plus ``fwd`` / ``bwd`` for a 2-opt reversal under asymmetric
travel). The new makespan is the larger of those two times and the largest time of the *other*
routes, the first of ``info``'s top three that is neither of them (a route outside the top
three is never larger than the third). **Applying a move** relinks the lists and then walks the
one or two changed routes to refresh positions, prefix sums and times from scratch (so times
never drift), O(route length), and refreshes the top three in O(m): cheap beside the thousands
of moves priced per step.

Every ``eval_*`` returns ``(new objective, change of the summed route times)``; the objective is
``inf`` for a move that is not valid (a no-op, an order moved after itself, a 2-opt whose ends
are not in route order ...) or takes a route over its capacity. Releasing an operator is not a
move of its own: it is the sequence of relocations that empties its route (the last one saves
``beta``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

INF = np.inf


# ---- legs --------------------------------------------------------------------------------------
@njit(cache=True)
def start_leg(k, i, inst):
    """Travel from operator ``k``'s start to order ``i``."""
    oxy, pxy, pace, st = inst[0], inst[1], inst[2], inst[3]
    if st.shape[0] > 0:
        return st[k, i]
    dx = oxy[i, 0] - pxy[k, 0]
    dy = oxy[i, 1] - pxy[k, 1]
    return math.sqrt(dx * dx + dy * dy) * pace


@njit(cache=True)
def order_leg(i, j, inst):
    """Travel from order ``i`` to order ``j``."""
    oxy, pace, ot = inst[0], inst[2], inst[4]
    if ot.shape[0] > 0:
        return ot[i, j]
    dx = oxy[j, 0] - oxy[i, 0]
    dy = oxy[j, 1] - oxy[i, 1]
    return math.sqrt(dx * dx + dy * dy) * pace


@njit(cache=True)
def leg(k, a, b, inst):
    """Travel into ``b`` from ``a`` on operator ``k``'s route: ``a = -1`` is ``k``'s start,
    ``b = -1`` the route's end (no return trip: 0)."""
    if b < 0:
        return 0.0
    if a < 0:
        return start_leg(k, b, inst)
    return order_leg(a, b, inst)


# ---- flat routes (CrewSchedule.flat) -----------------------------------------------------------
@njit(cache=True)
def route_times(orders, offsets, inst, out):
    """Fill ``out`` (m,) with each route's travel plus service hours (a plain pass per route)."""
    hours = inst[5]
    for k in range(offsets.shape[0] - 1):
        t = 0.0
        a = -1
        for s in range(offsets[k], offsets[k + 1]):
            b = orders[s]
            t += leg(k, a, b, inst) + hours[b]
            a = b
        out[k] = t


@njit(cache=True)
def objective(orders, offsets, inst, cfg):
    """``alpha * makespan + beta * activated`` of flat routes."""
    m = offsets.shape[0] - 1
    times = np.zeros(m)
    route_times(orders, offsets, inst, times)
    idle = inst[7]
    activated = 0
    for k in range(m):
        if idle[k] and offsets[k + 1] > offsets[k]:
            activated += 1
    return cfg[0] * times.max() + cfg[1] * activated


# ---- route state -------------------------------------------------------------------------------
@njit(cache=True)
def refresh_route(k, rs, inst):
    """Recompute route ``k``'s positions, prefix sums, last order, count and time by a walk."""
    route_of, prev, nxt, pos, fwd, bwd, first, last, count, time = rs[:10]
    hours = inst[5]
    t = 0.0
    c = 0
    a = -1
    b = first[k]
    while b >= 0:
        route_of[b] = k
        pos[b] = c
        if a < 0:
            fwd[b] = 0.0
            bwd[b] = 0.0
            t += start_leg(k, b, inst)
        else:
            step = order_leg(a, b, inst)
            fwd[b] = fwd[a] + step
            bwd[b] = bwd[a] + order_leg(b, a, inst)
            t += step
        t += hours[b]
        c += 1
        a = b
        b = nxt[b]
    last[k] = a
    count[k] = c
    time[k] = t


@njit(cache=True)
def refresh_info(rs, inst):
    """The three longest routes and the activated count, O(m)."""
    count, time, info = rs[8], rs[9], rs[10]
    idle = inst[7]
    info[0] = info[1] = info[2] = -1
    activated = 0
    for k in range(time.shape[0]):
        if idle[k] and count[k] > 0:
            activated += 1
        if info[0] < 0 or time[k] > time[info[0]]:
            info[2] = info[1]
            info[1] = info[0]
            info[0] = k
        elif info[1] < 0 or time[k] > time[info[1]]:
            info[2] = info[1]
            info[1] = k
        elif info[2] < 0 or time[k] > time[info[2]]:
            info[2] = k
    info[3] = activated


@njit(cache=True)
def load_flat(orders, offsets, rs, inst):
    """Set the route state to the flat routes (every order in exactly one route)."""
    prev, nxt, first = rs[1], rs[2], rs[6]
    for k in range(offsets.shape[0] - 1):
        first[k] = -1
        a = -1
        for s in range(offsets[k], offsets[k + 1]):
            b = orders[s]
            prev[b] = a
            if a < 0:
                first[k] = b
            else:
                nxt[a] = b
            nxt[b] = -1
            a = b
        refresh_route(k, rs, inst)
    refresh_info(rs, inst)


@njit(cache=True)
def store_flat(rs, orders, offsets):
    """Write the routes of the state as flat routes into ``orders`` (n,), ``offsets`` (m + 1,)."""
    nxt, first = rs[2], rs[6]
    s = 0
    offsets[0] = 0
    for k in range(first.shape[0]):
        b = first[k]
        while b >= 0:
            orders[s] = b
            s += 1
            b = nxt[b]
        offsets[k + 1] = s


@njit(cache=True)
def current_objective(rs, cfg):
    time, info = rs[9], rs[10]
    return cfg[0] * time[info[0]] + cfg[1] * info[3]


@njit(cache=True)
def total_time(rs):
    return rs[9].sum()


# ---- pricing -----------------------------------------------------------------------------------
@njit(cache=True)
def _others_max(k1, k2, rs):
    """The largest time among routes other than ``k1`` and ``k2`` (0 if there is none)."""
    time, info = rs[9], rs[10]
    for j in range(3):
        k = info[j]
        if k >= 0 and k != k1 and k != k2:
            return time[k]
    return 0.0


@njit(cache=True)
def _price(k1, t1, c1, k2, t2, c2, rs, inst, cfg):
    """The objective once route ``k1`` has time ``t1`` and ``c1`` orders and route ``k2``
    (-1: none) ``t2`` and ``c2``; inf when a changed route exceeds its capacity."""
    count = rs[8]
    capacity, idle = inst[6], inst[7]
    tol = cfg[3]
    if t1 > capacity[k1] + tol:
        return INF
    activated = rs[10][3]
    if idle[k1]:
        activated += (c1 > 0) - (count[k1] > 0)
    makespan = t1
    if k2 >= 0:
        if t2 > capacity[k2] + tol:
            return INF
        if idle[k2]:
            activated += (c2 > 0) - (count[k2] > 0)
        makespan = max(makespan, t2)
    makespan = max(makespan, _others_max(k1, k2, rs))
    return cfg[0] * makespan + cfg[1] * activated


@njit(cache=True)
def eval_relocate(v, k2, a, rs, inst, cfg):
    """Move order ``v`` to operator ``k2``'s route right after order ``a`` (-1: at its front;
    into an empty route of an idle operator: an activation)."""
    route_of, prev, nxt, first, count, time = rs[0], rs[1], rs[2], rs[6], rs[8], rs[9]
    k1 = route_of[v]
    p = prev[v]
    q = nxt[v]
    if a == v or (a >= 0 and route_of[a] != k2) or (k2 == k1 and a == p):
        return INF, 0.0
    h = inst[5][v]
    d1 = leg(k1, p, q, inst) - leg(k1, p, v, inst) - leg(k1, v, q, inst) - h
    b = first[k2] if a < 0 else nxt[a]
    if b == v:
        b = q
    d2 = leg(k2, a, v, inst) + leg(k2, v, b, inst) - leg(k2, a, b, inst) + h
    if k1 == k2:
        return _price(k1, time[k1] + d1 + d2, count[k1], -1, 0.0, 0, rs, inst, cfg), d1 + d2
    return (_price(k1, time[k1] + d1, count[k1] - 1, k2, time[k2] + d2, count[k2] + 1, rs, inst,
                   cfg), d1 + d2)


@njit(cache=True)
def eval_swap(v, u, rs, inst, cfg):
    """Exchange orders ``v`` and ``u`` (same route or two routes)."""
    route_of, prev, nxt, count, time = rs[0], rs[1], rs[2], rs[8], rs[9]
    if v == u:
        return INF, 0.0
    hours = inst[5]
    k1, k2 = route_of[v], route_of[u]
    p1, q1, p2, q2 = prev[v], nxt[v], prev[u], nxt[u]
    if q1 == u:  # p1 v u q2 -> p1 u v q2
        d = (leg(k1, p1, u, inst) + leg(k1, u, v, inst) + leg(k1, v, q2, inst)
             - leg(k1, p1, v, inst) - leg(k1, v, u, inst) - leg(k1, u, q2, inst))
        return _price(k1, time[k1] + d, count[k1], -1, 0.0, 0, rs, inst, cfg), d
    if q2 == v:  # p2 u v q1 -> p2 v u q1
        d = (leg(k1, p2, v, inst) + leg(k1, v, u, inst) + leg(k1, u, q1, inst)
             - leg(k1, p2, u, inst) - leg(k1, u, v, inst) - leg(k1, v, q1, inst))
        return _price(k1, time[k1] + d, count[k1], -1, 0.0, 0, rs, inst, cfg), d
    d1 = (leg(k1, p1, u, inst) + leg(k1, u, q1, inst) - leg(k1, p1, v, inst) - leg(k1, v, q1, inst)
          + hours[u] - hours[v])
    d2 = (leg(k2, p2, v, inst) + leg(k2, v, q2, inst) - leg(k2, p2, u, inst) - leg(k2, u, q2, inst)
          + hours[v] - hours[u])
    if k1 == k2:
        return _price(k1, time[k1] + d1 + d2, count[k1], -1, 0.0, 0, rs, inst, cfg), d1 + d2
    obj = _price(k1, time[k1] + d1, count[k1], k2, time[k2] + d2, count[k2], rs, inst, cfg)
    return obj, d1 + d2


@njit(cache=True)
def eval_two_opt(a, b, rs, inst, cfg):
    """Reverse the segment ``a .. b`` of one route (``a`` strictly before ``b``). Symmetric
    travel: only the two boundary legs change. Asymmetric: the interior's change is
    ``(bwd[b] - bwd[a]) - (fwd[b] - fwd[a])``, still O(1)."""
    route_of, prev, nxt, pos, fwd, bwd = rs[0], rs[1], rs[2], rs[3], rs[4], rs[5]
    count, time = rs[8], rs[9]
    k = route_of[a]
    if route_of[b] != k or pos[a] >= pos[b]:
        return INF, 0.0
    p = prev[a]
    q = nxt[b]
    d = leg(k, p, b, inst) - leg(k, p, a, inst) + leg(k, a, q, inst) - leg(k, b, q, inst)
    if cfg[2] == 0.0:
        d += (bwd[b] - bwd[a]) - (fwd[b] - fwd[a])
    return _price(k, time[k] + d, count[k], -1, 0.0, 0, rs, inst, cfg), d


@njit(cache=True)
def eval_or_opt(a, length, k2, c, reverse, rs, inst, cfg):
    """Move the segment of ``length`` (2 or 3) consecutive orders starting at ``a`` to operator
    ``k2``'s route right after order ``c`` (-1: at its front), reversed if ``reverse``."""
    route_of, prev, nxt, first, count, time = rs[0], rs[1], rs[2], rs[6], rs[8], rs[9]
    hours = inst[5]
    k1 = route_of[a]
    s1 = nxt[a]
    if s1 < 0 or length < 2 or length > 3:
        return INF, 0.0
    e = s1
    s2 = -1
    if length == 3:
        s2 = nxt[s1]
        if s2 < 0:
            return INF, 0.0
        e = s2
    p = prev[a]
    q = nxt[e]
    if c == a or c == s1 or (s2 >= 0 and c == s2) or (c >= 0 and route_of[c] != k2) or (
            k2 == k1 and c == p):
        return INF, 0.0
    inner_f = order_leg(a, s1, inst)
    inner_r = order_leg(s1, a, inst)
    hs = hours[a] + hours[s1]
    if s2 >= 0:
        inner_f += order_leg(s1, s2, inst)
        inner_r += order_leg(s2, s1, inst)
        hs += hours[s2]
    d1 = leg(k1, p, q, inst) - leg(k1, p, a, inst) - leg(k1, e, q, inst) - inner_f - hs
    b = first[k2] if c < 0 else nxt[c]
    if b == a:
        b = q
    if reverse:
        d2 = leg(k2, c, e, inst) + leg(k2, a, b, inst) + inner_r
    else:
        d2 = leg(k2, c, a, inst) + leg(k2, e, b, inst) + inner_f
    d2 += hs - leg(k2, c, b, inst)
    if k1 == k2:
        return _price(k1, time[k1] + d1 + d2, count[k1], -1, 0.0, 0, rs, inst, cfg), d1 + d2
    return (_price(k1, time[k1] + d1, count[k1] - length, k2, time[k2] + d2, count[k2] + length,
                   rs, inst, cfg), d1 + d2)


# ---- applying moves ----------------------------------------------------------------------------
@njit(cache=True)
def _unlink(v, rs):
    route_of, prev, nxt, first = rs[0], rs[1], rs[2], rs[6]
    p = prev[v]
    q = nxt[v]
    if p >= 0:
        nxt[p] = q
    else:
        first[route_of[v]] = q
    if q >= 0:
        prev[q] = p


@njit(cache=True)
def _link_after(v, k, a, rs):
    route_of, prev, nxt, first = rs[0], rs[1], rs[2], rs[6]
    if a < 0:
        b = first[k]
        first[k] = v
    else:
        b = nxt[a]
        nxt[a] = v
    prev[v] = a
    nxt[v] = b
    if b >= 0:
        prev[b] = v
    route_of[v] = k


@njit(cache=True)
def _refresh(k1, k2, rs, inst):
    refresh_route(k1, rs, inst)
    if k2 != k1:
        refresh_route(k2, rs, inst)
    refresh_info(rs, inst)


@njit(cache=True)
def apply_relocate(v, k2, a, rs, inst):
    """Apply a relocation :func:`eval_relocate` priced (finite)."""
    k1 = rs[0][v]
    _unlink(v, rs)
    _link_after(v, k2, a, rs)
    _refresh(k1, k2, rs, inst)


@njit(cache=True)
def apply_swap(v, u, rs, inst):
    route_of, prev, nxt = rs[0], rs[1], rs[2]
    k1, k2 = route_of[v], route_of[u]
    if nxt[v] == u:
        _unlink(v, rs)
        _link_after(v, k1, u, rs)
    elif nxt[u] == v:
        _unlink(u, rs)
        _link_after(u, k1, v, rs)
    else:
        pv, pu = prev[v], prev[u]
        _unlink(v, rs)
        _unlink(u, rs)
        _link_after(u, k1, pv, rs)
        _link_after(v, k2, pu, rs)
    _refresh(k1, k2, rs, inst)


@njit(cache=True)
def apply_two_opt(a, b, rs, inst):
    route_of, prev, nxt, first = rs[0], rs[1], rs[2], rs[6]
    k = route_of[a]
    p = prev[a]
    q = nxt[b]
    x = a
    while True:  # turn every link of the segment around
        y = nxt[x]
        nxt[x] = prev[x]
        prev[x] = y
        if x == b:
            break
        x = y
    prev[b] = p
    nxt[a] = q
    if p >= 0:
        nxt[p] = b
    else:
        first[k] = b
    if q >= 0:
        prev[q] = a
    _refresh(k, k, rs, inst)


@njit(cache=True)
def apply_or_opt(a, length, k2, c, reverse, rs, inst):
    route_of, nxt = rs[0], rs[2]
    k1 = route_of[a]
    seg = np.empty(length, np.int64)
    seg[0] = a
    for i in range(1, length):
        seg[i] = nxt[seg[i - 1]]
    for i in range(length):
        _unlink(seg[i], rs)
    after = c
    for i in range(length):
        x = seg[length - 1 - i] if reverse else seg[i]
        _link_after(x, k2, after, rs)
        after = x
    _refresh(k1, k2, rs, inst)


# ---- random numbers (a search's own stream, whatever else draws from numba's) -------------------
@njit(cache=True)
def rand_int(rng, n):
    """A number in ``0 .. n - 1`` from the xorshift64* generator whose state is ``rng[0]``."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    r = x * np.uint64(2685821657736338717)
    return np.int64((r >> np.uint64(11)) % np.uint64(n))


# ---- neighbour lists ---------------------------------------------------------------------------
@njit(cache=True)
def _keep(buf_i, buf_d, size, j, d):
    """Insert candidate ``j`` at distance ``d`` into the sorted buffers holding ``size`` of at
    most ``buf_i.shape[0]`` entries (ties: the lower index first); return the new size."""
    cap = buf_i.shape[0]
    if size == cap and (d > buf_d[cap - 1] or (d == buf_d[cap - 1] and j > buf_i[cap - 1])):
        return size
    s = size if size < cap else cap - 1
    while s > 0 and (buf_d[s - 1] > d or (buf_d[s - 1] == d and buf_i[s - 1] > j)):
        buf_d[s] = buf_d[s - 1]
        buf_i[s] = buf_i[s - 1]
        s -= 1
    buf_d[s] = d
    buf_i[s] = j
    return size + 1 if size < cap else size


@njit(cache=True)
def knn_grid(xy, out):
    """``out[i]`` (n, K): the K nearest other points of point ``i`` by Euclidean distance, nearest
    first (-1 padded), found through a uniform grid of about two points a cell: the rings of
    cells around ``i``'s are searched until the K-th distance found is within the ring radius.
    O(n K) for spread points; no n x n matrix."""
    n, kk = out.shape[0], out.shape[1]
    out[:, :] = -1
    if n < 2 or kk == 0:
        return
    x0, x1 = xy[:, 0].min(), xy[:, 0].max()
    y0, y1 = xy[:, 1].min(), xy[:, 1].max()
    w = max(x1 - x0, 1e-12)
    h = max(y1 - y0, 1e-12)
    side = max(math.sqrt(2.0 * w * h / n), 2.0 * max(w, h) / n)
    gx = min(int(w / side) + 1, 4 * n)
    gy = min(int(h / side) + 1, 4 * n)
    cw = w / gx
    ch = h / gy
    cell = np.empty(n, np.int64)
    start = np.zeros(gx * gy + 1, np.int64)
    for i in range(n):
        cx = min(int((xy[i, 0] - x0) / cw), gx - 1)
        cy = min(int((xy[i, 1] - y0) / ch), gy - 1)
        cell[i] = cy * gx + cx
        start[cell[i] + 1] += 1
    for c in range(gx * gy):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    items = np.empty(n, np.int64)
    for i in range(n):
        items[fill[cell[i]]] = i
        fill[cell[i]] += 1
    buf_i = np.empty(kk, np.int64)
    buf_d = np.empty(kk)
    for i in range(n):
        cx = cell[i] % gx
        cy = cell[i] // gx
        size = 0
        r = 0
        while True:
            for yy in range(cy - r, cy + r + 1):
                if yy < 0 or yy >= gy:
                    continue
                ring_row = yy == cy - r or yy == cy + r
                xx = cx - r
                while xx <= cx + r:
                    if 0 <= xx < gx:
                        c = yy * gx + xx
                        for s in range(start[c], start[c + 1]):
                            j = items[s]
                            if j != i:
                                d = (xy[j, 0] - xy[i, 0]) ** 2 + (xy[j, 1] - xy[i, 1]) ** 2
                                size = _keep(buf_i, buf_d, size, j, d)
                    xx += 1 if ring_row else 2 * r  # inner rows: the ring's two ends only
                    if r == 0:
                        break
            if r >= gx and r >= gy:
                break
            # a cell outside ring r is more than r cells away along an axis that has such cells
            reach = min(r * cw if r < gx else INF, r * ch if r < gy else INF)
            if size == kk and buf_d[kk - 1] < reach * reach:  # strict: ties stay exact
                break
            r += 1
        for s in range(size):
            out[i, s] = buf_i[s]


@njit(cache=True)
def knn_matrix(key, out):
    """``out[i]``: the K orders ``j != i`` with the smallest ``key[i, j]`` (-1 padded)."""
    n, kk = out.shape[0], out.shape[1]
    out[:, :] = -1
    if kk == 0:
        return
    buf_i = np.empty(kk, np.int64)
    buf_d = np.empty(kk)
    for i in range(n):
        size = 0
        for j in range(n):
            if j != i:
                size = _keep(buf_i, buf_d, size, j, key[i, j])
        for s in range(size):
            out[i, s] = buf_i[s]


@njit(cache=True)
def nearest_operators(inst, out):
    """``out[i]`` (n, K): the K operators whose start is nearest to order ``i`` by start leg."""
    n, kk = out.shape[0], out.shape[1]
    m = inst[1].shape[0]
    buf_i = np.empty(kk, np.int64)
    buf_d = np.empty(kk)
    out[:, :] = -1
    for i in range(n):
        size = 0
        for k in range(m):
            size = _keep(buf_i, buf_d, size, k, start_leg(k, i, inst))
        for s in range(size):
            out[i, s] = buf_i[s]


# ---- building the tuples (Python) --------------------------------------------------------------
def instance_tuple(instance) -> tuple:
    """The ``inst`` tuple the kernels take (module docstring)."""
    oxy, pxy, speed, st, ot = instance.travel_arrays()
    return (oxy, pxy, 1.0 / speed, st, ot, instance.hours, instance.capacity,
            np.ascontiguousarray(~instance.active))


def config(instance, tolerance: float) -> np.ndarray:
    """``cfg = [alpha, beta, symmetric, tolerance]``."""
    ot = instance.order_travel
    symmetric = ot is None or bool(np.array_equal(ot, ot.T))
    return np.array([instance.alpha, instance.beta, float(symmetric), tolerance], np.float64)


def new_state(n: int, m: int) -> tuple:
    """An empty route state for ``n`` orders and ``m`` operators (filled by :func:`load_flat`)."""
    ints = [np.full(n, -1, np.int64) for _ in range(4)]
    floats = [np.zeros(n) for _ in range(2)]
    per_op = [np.full(m, -1, np.int64) for _ in range(2)] + [np.zeros(m, np.int64), np.zeros(m)]
    return (*ints, *floats, *per_op, np.full(4, -1, np.int64))


def state_of(schedule, tolerance: float | None = None) -> tuple:
    """``(rs, inst, cfg)`` for a :class:`~rewriter.crew.schedule.CrewSchedule`."""
    from .schedule import TOLERANCE

    instance = schedule.instance
    inst = instance_tuple(instance)
    cfg = config(instance, TOLERANCE if tolerance is None else tolerance)
    rs = new_state(instance.n_orders, instance.n_operators)
    orders, offsets = schedule.flat()
    load_flat(orders, offsets, rs, inst)
    return rs, inst, cfg


def routes_of(rs) -> list:
    """The routes of a state as lists of order indices."""
    orders = np.empty(rs[0].shape[0], np.int64)
    offsets = np.empty(rs[6].shape[0] + 1, np.int64)
    store_flat(rs, orders, offsets)
    return [orders[offsets[k]:offsets[k + 1]].tolist() for k in range(offsets.shape[0] - 1)]
