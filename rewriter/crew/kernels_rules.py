"""Numba kernels of the construction rules (:mod:`rewriter.crew.dispatching`).

Travel is priced from :meth:`CrewInstance.travel_arrays`: order and operator coordinates, the
speed, and the explicit matrices (an empty (0, 0) array where the instance gives none, then the
leg is the Euclidean distance over the speed).

Routes are linked lists while they are built: ``first[k]`` is the first order of operator ``k``
(-1: empty) and ``succ[i]`` the order after ``i`` on its route (-1: the last). An insertion is
named by its *predecessor*: -1 inserts at the front of the route (right after the operator's
start), an order ``p`` inserts between ``p`` and ``succ[p]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def start_leg(orders, operators, speed, start, k, i):
    """Travel time from operator ``k``'s start to order ``i``."""
    if start.shape[0] > 0:
        return start[k, i]
    dx, dy = orders[i, 0] - operators[k, 0], orders[i, 1] - operators[k, 1]
    return math.sqrt(dx * dx + dy * dy) / speed


@njit(cache=True)
def order_leg(orders, speed, between, i, j):
    """Travel time from order ``i`` to order ``j``."""
    if between.shape[0] > 0:
        return between[i, j]
    dx, dy = orders[j, 0] - orders[i, 0], orders[j, 1] - orders[i, 1]
    return math.sqrt(dx * dx + dy * dy) / speed


@njit(cache=True)
def _gap_delta(orders, operators, speed, start, between, k, first, succ, pred, i):
    """Extra travel of putting order ``i`` right after ``pred`` on operator ``k``'s route."""
    after = first[k] if pred < 0 else succ[pred]
    if pred < 0:
        into = start_leg(orders, operators, speed, start, k, i)
    else:
        into = order_leg(orders, speed, between, pred, i)
    if after < 0:
        return into
    if pred < 0:
        old = start_leg(orders, operators, speed, start, k, after)
    else:
        old = order_leg(orders, speed, between, pred, after)
    return into + order_leg(orders, speed, between, i, after) - old


@njit(cache=True)
def _best_gap(orders, operators, speed, start, between, k, first, succ, i):
    """(extra travel, predecessor) of the cheapest place of order ``i`` on route ``k``, scanning
    the gaps front to back (ties: the earlier gap)."""
    best = _gap_delta(orders, operators, speed, start, between, k, first, succ, -1, i)
    best_pred = -1
    p = first[k]
    while p >= 0:
        delta = _gap_delta(orders, operators, speed, start, between, k, first, succ, p, i)
        if delta < best:
            best, best_pred = delta, p
        p = succ[p]
    return best, best_pred


@njit(cache=True)
def _before(value, i, best, best_i):
    """Does (value, i) come before (best, best_i) (best_i -1: nothing yet)?"""
    return best_i < 0 or value < best or (value == best and i < best_i)


@njit(cache=True)
def _column_argmin(orders, operators, speed, start, between, hours, first, succ, extra, gap,
                   stale, left, n_left, k):
    """The unplaced order (``left[:n_left]``) with the smallest ``extra[k]`` (ties: the lowest
    index), -1 if none.

    A stale entry holds a lower bound; one that could beat the best exact entry is rescanned
    (lazy evaluation: true values only lie above their bounds, so the winner is exact)."""
    best_i = -1
    best = np.inf
    for t in range(n_left):
        i = left[t]
        if not stale[k, i] and _before(extra[k, i], i, best, best_i):
            best, best_i = extra[k, i], i
    for t in range(n_left):
        i = left[t]
        if stale[k, i] and _before(extra[k, i], i, best, best_i):
            d, p = _best_gap(orders, operators, speed, start, between, k, first, succ, i)
            extra[k, i] = d + hours[i]
            gap[k, i] = p
            stale[k, i] = False
            if _before(extra[k, i], i, best, best_i):
                best, best_i = extra[k, i], i
    return best_i


@njit(cache=True)
def _split_update(orders, operators, speed, start, between, hours, first, succ, extra, gap,
                  stale, left, n_left, k, pred, i):
    """Column ``k`` after order ``i`` went between ``pred`` and ``after`` on route ``k``.

    An entry whose best gap survives compares it with the two new gaps ``(pred, i)`` and
    ``(i, after)``; one whose best gap was split (or that was stale) takes a new gap when it is
    no dearer than the old best (every other gap costs at least that much), else keeps
    ``min(old best, new gaps)`` as a stale lower bound. With Euclidean travel the triangle
    inequality bounds the new gaps from below by one distance, ``d(i, j)``: inserting ``j``
    into ``(a, i)`` costs at least ``2 (d(i, j) - d(a, i))`` and into ``(i, b)`` at least
    ``2 (d(i, j) - d(i, b))``, so far-away orders whose best gap survives are skipped after one
    square root."""
    after = succ[i]
    euclid = start.shape[0] == 0 and between.shape[0] == 0
    if pred < 0:
        near_pred = start_leg(orders, operators, speed, start, k, i)
    else:
        near_pred = order_leg(orders, speed, between, pred, i)
    near_after = order_leg(orders, speed, between, i, after) if after >= 0 else 0.0
    for t in range(n_left):
        j = left[t]
        split = stale[k, j] or gap[k, j] == pred
        old = extra[k, j]
        if euclid and not split:
            dij = order_leg(orders, speed, between, i, j)
            low = max(0.0, 2.0 * (dij - near_pred))
            low_after = dij if after < 0 else max(0.0, 2.0 * (dij - near_after))
            if hours[j] + min(low, low_after) >= old:
                continue
        if pred < 0:
            into = start_leg(orders, operators, speed, start, k, j)
        else:
            into = order_leg(orders, speed, between, pred, j)
        new = into + order_leg(orders, speed, between, j, i) - near_pred
        new_gap = pred
        beyond = order_leg(orders, speed, between, i, j)
        if after >= 0:
            beyond += order_leg(orders, speed, between, j, after) - near_after
        if beyond < new:
            new, new_gap = beyond, i
        new += hours[j]
        if not split:
            if new < old:
                extra[k, j], gap[k, j] = new, new_gap
        elif new <= old:
            extra[k, j], gap[k, j], stale[k, j] = new, new_gap, False
        else:
            stale[k, j] = True  # old stays: a lower bound of what the other gaps cost


@njit(cache=True)
def cheapest_insertion(orders, operators, speed, start, between, hours, capacity, active,
                       alpha, beta, tolerance, first, succ, owner):
    """Build routes by cheapest insertion (see :func:`rewriter.crew.dispatching.insertion`).

    ``first`` (m,), ``succ`` (n,) and ``owner`` (n,) are filled in place (-1 initially). Returns
    -1 when every order is placed, else the lowest unplaced order for which no operator has
    room.

    ``extra[k, i]`` (a row per operator, so a column of the (order, operator) table is
    contiguous) caches the cheapest increase of operator ``k``'s time by taking order ``i``
    (service included) and ``gap[k, i]`` where it goes; an insertion into route ``k`` changes
    row ``k`` only (:func:`_split_update`). ``best[k]`` is the unplaced order with the least
    ``extra[k]``: for a fixed operator the objective increase and the capacity test are both
    monotone in ``extra``, so that order is operator ``k``'s best candidate, and each step takes
    the best of the m candidates. The unplaced orders are kept in ``left[:n_left]`` (removal
    swaps in the last one).
    """
    n, m = orders.shape[0], operators.shape[0]
    extra = np.empty((m, n), np.float64)
    gap = np.full((m, n), -1, np.int64)
    stale = np.zeros((m, n), np.bool_)
    for k in range(m):
        for i in range(n):
            extra[k, i] = start_leg(orders, operators, speed, start, k, i) + hours[i]
    left = np.arange(n)
    where = np.arange(n)
    n_left = n
    times = np.zeros(m, np.float64)
    best = np.empty(m, np.int64)
    for k in range(m):
        best[k] = _column_argmin(orders, operators, speed, start, between, hours, first, succ,
                                 extra, gap, stale, left, n_left, k)
    makespan = 0.0
    while n_left > 0:
        pick_k, pick_i = -1, -1
        pick_cost, pick_extra = np.inf, np.inf
        for k in range(m):
            i = best[k]
            if i < 0:
                continue
            grown = times[k] + extra[k, i]
            if grown > capacity[k] + tolerance:
                continue
            cost = alpha * max(0.0, grown - makespan)
            if not active[k] and first[k] < 0:
                cost += beta
            if (cost < pick_cost or (cost == pick_cost and extra[k, i] < pick_extra)
                    or (cost == pick_cost and extra[k, i] == pick_extra and i < pick_i)):
                pick_k, pick_i, pick_cost, pick_extra = k, i, cost, extra[k, i]
        if pick_k < 0:
            return np.min(left[:n_left])
        k, i = pick_k, pick_i
        pred = gap[k, i]
        succ[i] = first[k] if pred < 0 else succ[pred]
        if pred < 0:
            first[k] = i
        else:
            succ[pred] = i
        owner[i] = k
        times[k] += extra[k, i]
        makespan = max(makespan, times[k])
        n_left -= 1
        moved = left[n_left]
        left[where[i]] = moved
        where[moved] = where[i]
        _split_update(orders, operators, speed, start, between, hours, first, succ, extra, gap,
                      stale, left, n_left, k, pred, i)
        for kk in range(m):
            if kk == k or best[kk] == i:
                best[kk] = _column_argmin(orders, operators, speed, start, between, hours,
                                          first, succ, extra, gap, stale, left, n_left, kk)
    return -1


@njit(cache=True)
def nearest_append(orders, operators, speed, start, between, hours, capacity, active, alpha,
                   beta, tolerance, sequence, first, succ, owner):
    """Append the orders of ``sequence`` one at a time (see
    :func:`rewriter.crew.dispatching.nearest`). Fills ``first``/``succ``/``owner``; returns -1,
    or the first order of the sequence no operator has room for."""
    m = operators.shape[0]
    last = np.full(m, -1, np.int64)
    times = np.zeros(m, np.float64)
    makespan = 0.0
    for i in sequence:
        pick_k = -1
        pick_cost, pick_leg = np.inf, np.inf
        for k in range(m):
            if last[k] < 0:
                leg = start_leg(orders, operators, speed, start, k, i)
            else:
                leg = order_leg(orders, speed, between, last[k], i)
            grown = times[k] + leg + hours[i]
            if grown > capacity[k] + tolerance:
                continue
            cost = alpha * max(0.0, grown - makespan)
            if not active[k] and last[k] < 0:
                cost += beta
            if cost < pick_cost or (cost == pick_cost and leg < pick_leg):
                pick_k, pick_cost, pick_leg = k, cost, leg
        if pick_k < 0:
            return i
        k = pick_k
        if last[k] < 0:
            first[k] = i
        else:
            succ[last[k]] = i
        succ[i] = -1
        last[k] = i
        owner[i] = k
        times[k] += pick_leg + hours[i]
        makespan = max(makespan, times[k])
    return -1


@njit(cache=True)
def nearest_neighbour(orders, operators, speed, start, between, hours, capacity, tolerance, k,
                      time, piece, route):
    """Operator ``k``, whose route so far takes ``time`` and ends at ``route[-1]`` (its start if
    ``route`` is empty), serves the orders of ``piece`` by nearest neighbour: always the nearest
    one it still has room for (ties: the earlier in ``piece``). Returns the orders served, in
    order, the new time, and the orders it had no room for (in ``piece`` order)."""
    size = piece.shape[0]
    taken = np.zeros(size, np.bool_)
    served = np.empty(size, np.int64)
    count = 0
    last = route[-1] if route.shape[0] > 0 else -1
    while count < size:
        pick, pick_leg = -1, np.inf
        for t in range(size):
            if taken[t]:
                continue
            i = piece[t]
            if last < 0:
                leg = start_leg(orders, operators, speed, start, k, i)
            else:
                leg = order_leg(orders, speed, between, last, i)
            if leg < pick_leg and time + leg + hours[i] <= capacity[k] + tolerance:
                pick, pick_leg = t, leg
        if pick < 0:
            break
        taken[pick] = True
        last = piece[pick]
        served[count] = last
        count += 1
        time += pick_leg + hours[last]
    return served[:count], time, piece[~taken]
