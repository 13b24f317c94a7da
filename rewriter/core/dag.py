"""numba kernels over a schedule DAG in flat arrays that every shop problem shares: each
operation has at most one job successor and one machine successor (-1: none).

Imported by the problems' own kernels, never by the rest of the core, so ``import rewriter.core``
still loads no numba.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def tails_from_topo(duration, job_succ, mach_succ, topo, tails):
    """Longest path from the end of every operation to the sink, in reverse topological order."""
    tails_upto(duration, job_succ, mach_succ, topo, tails, duration.shape[0] - 1)


@njit(cache=True)
def tails_upto(duration, job_succ, mach_succ, topo, tails, last):
    """The tails of ``topo[0..last]``, from ``last`` down; those of the later operations must be
    exact already."""
    for i in range(last, -1, -1):
        v = topo[i]
        t = 0
        s = job_succ[v]
        if s >= 0:
            t = tails[s] + duration[s]
        s = mach_succ[v]
        if s >= 0:
            x = tails[s] + duration[s]
            if x > t:
                t = x
        tails[v] = t


@njit(cache=True)
def heads_from(duration, job_pred, mach_pred, topo, heads, first):
    """The heads of ``topo[first:]``, in order (those of the earlier operations must be exact
    already); returns the latest end among these operations."""
    latest = 0
    for i in range(first, topo.shape[0]):
        v = topo[i]
        h = 0
        p = job_pred[v]
        if p >= 0:
            h = heads[p] + duration[p]
        p = mach_pred[v]
        if p >= 0:
            x = heads[p] + duration[p]
            if x > h:
                h = x
        heads[v] = h
        if h + duration[v] > latest:
            latest = h + duration[v]
    return latest


@njit(cache=True)
def levels_in_order(parents, order, level):
    """``level[v]`` = 0 for a node without parents, else 1 + the largest level of its parents
    (``parents`` padded with -1), visiting the nodes in the topological ``order``."""
    for idx in range(order.shape[0]):
        v = order[idx]
        best = -1
        for k in range(parents.shape[1]):
            p = parents[v, k]
            if p >= 0 and level[p] > best:
                best = level[p]
        level[v] = best + 1
