"""Numba kernels for MRT schedules: resource profiles, earliest feasible placement, the rewrite.

Arrays are in *node order*: index 0 is the machine (a dummy with length 0 and no demand), index
``i >= 1`` is the i-th job in arrival order. ``start``, ``arrival``, ``length``: (N,) int64;
``demand``: (N, D) int64; ``capacity``: (D,) int64; ``usage``: (H, D) int64, the resources used
at every time step 0..H-1. ``H`` must exceed the end of every job that is ever placed; a
left-justified placement never ends after ``max(arrival) + sum(length)`` (an instance's
``horizon``), so ``H = horizon + max(length) + 1`` is always enough. Kernels that run every step
take their work arrays as arguments so the hot loop allocates nothing.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def add_job(usage, demand_j, length_j, t, sign):
    """Add (``sign = 1``) or remove (``sign = -1``) one job running on ``[t, t + length_j)``."""
    for k in range(t, t + length_j):
        for r in range(demand_j.shape[0]):
            usage[k, r] += sign * demand_j[r]


@njit(cache=True)
def usage_profile(start, length, demand, usage, skip):
    """Fill ``usage`` with the profile of every job node (1..N-1) except ``skip`` (-1: none)."""
    usage[:, :] = 0
    for i in range(1, start.shape[0]):
        if i != skip:
            add_job(usage, demand[i], length[i], start[i], 1)


@njit(cache=True)
def fits(usage, demand_j, length_j, t, capacity):
    """Whether a job fits on ``[t, t + length_j)`` on top of ``usage`` (False past the array end)."""
    if t < 0 or t + length_j > usage.shape[0]:
        return False
    for k in range(t, t + length_j):
        for r in range(capacity.shape[0]):
            if usage[k, r] + demand_j[r] > capacity[r]:
                return False
    return True


@njit(cache=True)
def earliest_fit(usage, demand_j, length_j, t0, capacity):
    """The earliest ``t >= t0`` at which the job fits on top of ``usage``; -1 if none inside the array.

    On a conflict at step ``k`` no start in ``(t, k]`` can fit either, so the scan jumps to ``k + 1``.
    """
    t = t0
    horizon = usage.shape[0]
    while t + length_j <= horizon:
        conflict = -1
        for k in range(t, t + length_j):
            for r in range(capacity.shape[0]):
                if usage[k, r] + demand_j[r] > capacity[r]:
                    conflict = k
                    break
            if conflict >= 0:
                break
        if conflict < 0:
            return t
        t = conflict + 1
    return -1


@njit(cache=True)
def sort_by_start(nodes, m, start):
    """Insertion-sort ``nodes[:m]`` by (start, node id) in place (m is a few dozen)."""
    for a in range(1, m):
        v = nodes[a]
        b = a - 1
        while b >= 0 and (start[nodes[b]] > start[v] or (start[nodes[b]] == start[v] and nodes[b] > v)):
            nodes[b + 1] = nodes[b]
            b -= 1
        nodes[b + 1] = v


@njit(cache=True)
def rewrite(start, arrival, length, demand, capacity, j, t, usage, nodes, out):
    """Move job node ``j`` to start at ``t``; write the new starts to ``out``.

    Rule: the jobs that end by ``t`` (``start + length <= t``) stay where they are; ``j`` is put
    at ``t``; every other job (each one running at or after ``t``, i.e. overlapping ``j``'s new
    interval or starting after it) is re-placed in the order of its old start (ties by node id)
    at its earliest feasible time ``>= arrival`` given the jobs already placed.

    Returns 1 on success; 0 when infeasible (``t < arrival[j]``, ``j`` not a job node, or ``j``
    does not fit at ``t`` next to the jobs that stay, impossible for a valid instance since
    nothing that stays runs at or after ``t``); -1 when ``usage`` has too few rows (the caller
    enlarges it and calls again). ``out`` is undefined unless 1 is returned.
    """
    n = start.shape[0]
    if j < 1 or j >= n or t < arrival[j]:
        return 0
    if t + length[j] > usage.shape[0]:
        return -1
    usage[:, :] = 0
    m = 0
    for i in range(n):
        out[i] = start[i]
    for i in range(1, n):
        if i == j:
            continue
        if start[i] + length[i] <= t:
            add_job(usage, demand[i], length[i], start[i], 1)
        else:
            nodes[m] = i
            m += 1
    if not fits(usage, demand[j], length[j], t, capacity):
        return 0
    add_job(usage, demand[j], length[j], t, 1)
    out[j] = t
    sort_by_start(nodes, m, start)
    for a in range(m):
        i = nodes[a]
        s = earliest_fit(usage, demand[i], length[i], arrival[i], capacity)
        if s < 0:
            return -1
        add_job(usage, demand[i], length[i], s, 1)
        out[i] = s
    return 1


@njit(cache=True)
def list_schedule(priority, arrival, length, demand, capacity, usage, out):
    """Serial list scheduling: nodes in ``priority`` order, each at its earliest feasible time
    ``>= arrival`` given the ones before (backfilling into earlier gaps is allowed). False if the
    usage array is too short."""
    usage[:, :] = 0
    for a in range(priority.shape[0]):
        i = priority[a]
        s = earliest_fit(usage, demand[i], length[i], arrival[i], capacity)
        if s < 0:
            return False
        add_job(usage, demand[i], length[i], s, 1)
        out[i] = s
    return True


@njit(cache=True)
def dag_parents(start, arrival, length, parents, count):
    """Parents of every node of the "starts-when" DAG into ``parents`` (N, N-1), -1 padded.

    Node 0 (the machine) has none. Job node ``i`` gets node 0 when it starts at its arrival, and
    every job node ``k`` with ``start[k] + length[k] == start[i]``; a job with neither (not
    left-justified) gets node 0. Returns the largest parent count (at least 1).
    """
    n = start.shape[0]
    parents[:, :] = -1
    widest = 1
    count[0] = 0
    for i in range(1, n):
        c = 0
        if start[i] == arrival[i]:
            parents[i, c] = 0
            c += 1
        for k in range(1, n):
            if k != i and start[k] + length[k] == start[i]:
                parents[i, c] = k
                c += 1
        if c == 0:
            parents[i, 0] = 0
            c = 1
        count[i] = c
        if c > widest:
            widest = c
    return widest


@njit(cache=True)
def candidate_pairs(start, arrival, length, window, pairs, feats):
    """Rewrite candidates of every job region: partner 0 and the jobs up to ``window`` positions
    before and after it in arrival order, skipping partners that end before the region's arrival.

    Features per pair: (partner - region) / window (0 for partner 0), (new start - current start)
    / 50, 1 if the partner is node 0, (new start - arrival) / 50. Returns the number of pairs.
    """
    n = start.shape[0]
    k = 0
    for i in range(1, n):
        lo = max(1, i - window)
        hi = min(n - 1, i + window)
        for p in range(-1, hi - lo + 1):
            partner = 0 if p < 0 else lo + p
            if partner == i:
                continue
            t = arrival[i] if partner == 0 else start[partner] + length[partner]
            if t < arrival[i]:
                continue
            pairs[k, 0] = i
            pairs[k, 1] = partner
            feats[k, 0] = 0.0 if partner == 0 else (partner - i) / window
            feats[k, 1] = (t - start[i]) / 50.0
            feats[k, 2] = 1.0 if partner == 0 else 0.0
            feats[k, 3] = (t - arrival[i]) / 50.0
            k += 1
    return k


@njit(cache=True)
def rewrite_outcomes(start, arrival, length, demand, capacity, pairs, k, usage, nodes, out, cost):
    """Average slowdown after each candidate rewrite ``pairs[:k]`` (NaN when infeasible).

    One exact look-ahead per candidate with :func:`rewrite` into scratch arrays; the schedule
    itself is not changed. ``usage`` must be long enough for any serial placement (max arrival +
    total length); returns False if it was not.
    """
    n = start.shape[0]
    for c in range(k):
        j = pairs[c, 0]
        partner = pairs[c, 1]
        t = arrival[j] if partner == 0 else start[partner] + length[partner]
        code = rewrite(start, arrival, length, demand, capacity, j, t, usage, nodes, out)
        if code < 0:
            return False
        if code == 0:
            cost[c] = np.nan
            continue
        total = 0.0
        for i in range(1, n):
            total += (out[i] + length[i] - arrival[i]) / length[i]
        cost[c] = total / (n - 1)
    return True
