"""numba kernels over a schedule DAG in flat arrays that every shop problem shares: each
operation has at most one job successor and one machine successor (-1: none).

Imported by the problems' own kernels, never by the rest of the core, so ``import rewriter.core``
still loads no numba.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def copy_into(target, source):
    """``target[:] = source`` for two 1-d arrays of one length, as a loop: numba compiles a slice
    assignment with a shape check whose formatted error message costs seconds of a cold start
    (benchmarks/bench_cold_start.py --kernels)."""
    for k in range(target.shape[0]):
        target[k] = source[k]


@njit(cache=True, inline="always")  # on the hot path of every evaluation
def _latest_end(a, b, duration, values):
    """max(values[x] + duration[x]) over the neighbours ``a``, ``b`` (-1: none), 0 without any:
    a head from the two predecessors' heads, or a tail from the two successors' tails."""
    end = 0
    if a >= 0:
        end = values[a] + duration[a]
    if b >= 0 and values[b] + duration[b] > end:
        end = values[b] + duration[b]
    return end


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
        tails[v] = _latest_end(job_succ[v], mach_succ[v], duration, tails)


@njit(cache=True)
def heads_from(duration, job_pred, mach_pred, topo, heads, first):
    """The heads of ``topo[first:]``, in order (those of the earlier operations must be exact
    already); returns the latest end among these operations."""
    latest = 0
    for i in range(first, topo.shape[0]):
        v = topo[i]
        h = _latest_end(job_pred[v], mach_pred[v], duration, heads)
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


@njit(cache=True)
def regroup_by_start(topo, heads, start, end, middle, scratch):
    """Lay ``topo`` out again as the operations with heads below ``start``, then ``middle``, then
    those with heads above ``end``, the first and last groups in their old order; returns where
    ``middle`` begins, or -1 when ``middle`` is not as long as the operations with heads in
    ``[start, end]`` (``topo`` then lies in ruins).

    Heads never fall along an arc, so grouping a topological order by head class, stably, keeps
    it topological; ``middle``, the operations of ``[start, end]`` in an order valid for arcs
    among themselves, may be rearranged that way (rewriter.jssp.window). ``scratch`` (length N)
    holds the last group while the first is packed in place."""
    before = 0
    after = 0
    for i in range(topo.shape[0]):
        v = topo[i]
        h = heads[v]
        if h < start:
            topo[before] = v  # before <= i: nothing unread is overwritten
            before += 1
        elif h > end:
            scratch[after] = v
            after += 1
    if before + middle.shape[0] + after != topo.shape[0]:
        return -1
    for i in range(middle.shape[0]):
        topo[before + i] = middle[i]
    for i in range(after):
        topo[before + middle.shape[0] + i] = scratch[i]
    return before
