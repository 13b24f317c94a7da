"""Shared hypothesis strategies and slow plain-Python references for the MRT tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from rewriter.mrt.instance import MrtInstance


@st.composite
def mrt_instances(draw, max_jobs=12, max_resources=4, max_arrival=15, max_length=6, unsorted=True):
    """Small random instances; capacities vary per resource, demands in 0..capacity, jobs in any order."""
    d = draw(st.integers(1, max_resources))
    n = draw(st.integers(1, max_jobs))
    capacity = draw(st.lists(st.integers(1, 10), min_size=d, max_size=d))
    arrival = draw(st.lists(st.integers(0, max_arrival), min_size=n, max_size=n))
    if not unsorted:
        arrival.sort()
    length = draw(st.lists(st.integers(1, max_length), min_size=n, max_size=n))
    demand = [[draw(st.integers(0, c)) for c in capacity] for _ in range(n)]
    window = draw(st.integers(1, 4))
    return MrtInstance("h", np.array(capacity), np.array(arrival), np.array(length),
                       np.array(demand).reshape(n, d), window=window)


# ---- plain-Python references ---------------------------------------------------------------------
def ref_usage(starts, lengths, demands, d):
    """{time: [use per resource]} of the given jobs."""
    usage = {}
    for s, L, dem in zip(starts, lengths, demands):
        for t in range(s, s + L):
            row = usage.setdefault(t, [0] * d)
            for r in range(d):
                row[r] += dem[r]
    return usage


def ref_fits(usage, dem, L, t, capacity):
    return all(usage.get(k, [0] * len(capacity))[r] + dem[r] <= capacity[r]
               for k in range(t, t + L) for r in range(len(capacity)))


def ref_earliest(usage, dem, L, t0, capacity):
    t = t0
    while not ref_fits(usage, dem, L, t, capacity):
        t += 1
    return t


def ref_rewrite(start, arrival, length, demand, capacity, j, t):
    """The rewrite rule in node order, written the obvious way; None when infeasible."""
    n = len(start)
    if t < arrival[j]:
        return None
    d = len(capacity)
    new = list(start)
    placed = [i for i in range(1, n) if i != j and start[i] + length[i] <= t]
    usage = ref_usage([start[i] for i in placed], [length[i] for i in placed], [demand[i] for i in placed], d)
    if not ref_fits(usage, demand[j], length[j], t, capacity):
        return None
    new[j] = t
    usage = ref_usage([new[i] for i in placed + [j]], [length[i] for i in placed + [j]],
                      [demand[i] for i in placed + [j]], d)
    moved = sorted((i for i in range(1, n) if i != j and i not in placed), key=lambda i: (start[i], i))
    for i in moved:
        s = ref_earliest(usage, demand[i], length[i], arrival[i], capacity)
        new[i] = s
        for k in range(s, s + length[i]):
            row = usage.setdefault(k, [0] * d)
            for r in range(d):
                row[r] += demand[i][r]
    return new


def ref_parents(start, arrival, length):
    """Parent sets per node of the starts-when DAG, the obvious way."""
    n = len(start)
    out = [set()]
    for i in range(1, n):
        ps = {0} if start[i] == arrival[i] else set()
        ps |= {k for k in range(1, n) if k != i and start[k] + length[k] == start[i]}
        out.append(ps or {0})
    return out
