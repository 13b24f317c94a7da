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
    n = duration.shape[0]
    for i in range(n - 1, -1, -1):
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
