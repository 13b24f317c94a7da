"""Numba kernels on the fully oriented disjunctive graph.

The graph is never built as an object. Nodes are operations ``0..N-1``; every node has at most
two predecessors (its job predecessor and its machine predecessor) and two successors, stored in
four flat int64 arrays (``-1`` for none). Machine arcs come from ``order``: the operations of all
machines laid out machine-major, machine ``i`` occupying ``order[machine_start[i]:machine_start[i+1]]``.

Conventions used by every kernel:
- ``heads[v]``: earliest start of ``v`` (longest path from the source to ``v``, excluding ``v``);
- ``tails[v]``: longest path from the end of ``v`` to the sink (excluding ``v``), so
  ``heads[v] + duration[v] + tails[v]`` is the longest path through ``v``;
- a move ``(u, v)`` swaps two operations adjacent on a machine, ``u`` first (``v == mach_succ[u]``).

Kernels that run every search step take their output and work arrays as arguments so the hot
loop allocates nothing; the Python wrappers in :mod:`rewriter.jssp.schedule` allocate them once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..shop.dag import heads_from, regroup_by_start, tails_from_topo, tails_upto  # noqa: F401  (shared with the other shop problems)
from ..shop.dynamic import restore_order, update_heads, update_tails

# --------------------------------------------------------------------------------------------
# Machine links
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def machine_links(order, machine_start, mach_pred, mach_succ, position):
    """Fill machine predecessor/successor and the position in ``order`` of every operation."""
    for i in range(machine_start.shape[0] - 1):
        lo = machine_start[i]
        hi = machine_start[i + 1]
        for p in range(lo, hi):
            op = order[p]
            position[op] = p
            mach_pred[op] = order[p - 1] if p > lo else -1
            mach_succ[op] = order[p + 1] if p + 1 < hi else -1


@njit(cache=True)
def relink_positions(order, positions, op_machine, machine_start, mach_pred, mach_succ, position):
    """:func:`machine_links` for the operations at ``positions`` of ``order`` and their machine
    neighbours only: after new operations were written there, the rest of ``order`` unchanged."""
    for k in range(positions.shape[0]):
        p = positions[k]
        op = order[p]
        machine = op_machine[op]
        position[op] = p
        pred = order[p - 1] if p > machine_start[machine] else -1
        succ = order[p + 1] if p + 1 < machine_start[machine + 1] else -1
        mach_pred[op] = pred
        mach_succ[op] = succ
        if pred >= 0:  # the neighbour outside the positions too
            mach_succ[pred] = op
        if succ >= 0:
            mach_pred[succ] = op


@njit(cache=True)
def flip_arc(u, v, order, position, mach_pred, mach_succ):
    """Swap ``u`` and its machine successor ``v`` in place (``a u v b`` becomes ``a v u b``).

    O(1). It does not check acyclicity: use :func:`flip_creates_cycle` first, or
    :func:`heads_and_makespan` after (it returns -1 on a cycle).
    """
    a = mach_pred[u]
    b = mach_succ[v]
    pu = position[u]
    pv = position[v]
    order[pu] = v
    order[pv] = u
    position[u] = pv
    position[v] = pu
    if a >= 0:
        mach_succ[a] = v
    if b >= 0:
        mach_pred[b] = u
    mach_pred[v] = a
    mach_succ[v] = u
    mach_pred[u] = v
    mach_succ[u] = b


@njit(cache=True)
def relocate(u, target, order, position, mach_pred, mach_succ):
    """Move ``u`` to position ``target`` of ``order`` on its own machine, shifting the operations
    in between by one (an insertion move); returns the position ``u`` left, so
    ``relocate(u, returned, ...)`` undoes it.

    O(distance). ``target`` must lie in ``u``'s machine segment; like :func:`flip_arc` it does not
    check acyclicity. Moving ``u`` to the position of an operation ``w`` puts ``u`` on the far
    side of ``w``: right after ``w`` when ``w`` followed ``u``, right before it when it preceded.
    """
    p = position[u]
    if target == p:
        return p
    lo = p if p < target else target
    hi = target if p < target else p
    outer_pred = mach_pred[order[lo]]
    outer_succ = mach_succ[order[hi]]
    if target > p:
        for i in range(p, target):
            order[i] = order[i + 1]
    else:
        for i in range(p, target, -1):
            order[i] = order[i - 1]
    order[target] = u
    for i in range(lo, hi + 1):
        op = order[i]
        position[op] = i
        mach_pred[op] = order[i - 1] if i > lo else outer_pred
        mach_succ[op] = order[i + 1] if i < hi else outer_succ
    if outer_pred >= 0:
        mach_succ[outer_pred] = order[lo]
    if outer_succ >= 0:
        mach_pred[outer_succ] = order[hi]
    return p


# --------------------------------------------------------------------------------------------
# Longest paths
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads, topo, indegree):
    """Earliest starts by Kahn's algorithm; returns the makespan, or -1 if the graph has a cycle.

    ``topo`` receives a topological order (valid only when the result is not -1); ``indegree``
    is scratch space. Every array has length N. A released operation's job successor is followed
    at once instead of going through the ready stack: most releases are along job chains, and
    this keeps the loop tight (it is the hottest code of every search).
    """
    n = duration.shape[0]
    top = 0  # the ready stack lives at the end of ``topo``, the output grows from its front
    for v in range(n):
        d = 0
        if job_pred[v] >= 0:
            d += 1
        if mach_pred[v] >= 0:
            d += 1
        indegree[v] = d
        heads[v] = 0
        if d == 0:
            topo[n - 1 - top] = v
            top += 1
    count = 0
    makespan = 0
    while top > 0:
        top -= 1
        u = topo[n - 1 - top]
        while u >= 0:
            topo[count] = u
            count += 1
            end = heads[u] + duration[u]
            s = mach_succ[u]
            if s >= 0:
                if end > heads[s]:
                    heads[s] = end
                d = indegree[s] - 1
                indegree[s] = d
                if d == 0:
                    topo[n - 1 - top] = s
                    top += 1
            s = job_succ[u]
            if s < 0:
                if end > makespan:
                    makespan = end
                break
            if end > heads[s]:
                heads[s] = end
            d = indegree[s] - 1
            indegree[s] = d
            u = s if d == 0 else -1
    if count < n:
        return -1
    return makespan


@njit(cache=True)
def topo_positions(topo, topo_pos):
    """``topo_pos[v]`` = the index of ``v`` in the topological order ``topo``."""
    for i in range(topo.shape[0]):
        topo_pos[topo[i]] = i


@njit(cache=True)
def swap_update(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, job_last, heads, tails,
                topo, topo_pos, stack, mark, bits, local):
    """Make ``heads``, ``tails``, ``topo`` and ``topo_pos`` exact again after ``u`` and its machine
    successor ``v`` were swapped (the arcs already say ``a -> v -> u -> b``; the swap was acyclic),
    and return the makespan: the same values as :func:`heads_and_makespan` and
    ``tails_from_topo``. With ``local`` (see :func:`local_update`) by following only the
    operations whose values change (:func:`swap_update_local`), else by passes over the stretch
    of ``topo`` the swap can change (:func:`swap_update_stretch`)."""
    if not local:
        return swap_update_stretch(u, v, duration, job_pred, job_succ, mach_pred, mach_succ,
                                   heads, tails, topo, topo_pos, stack, mark)
    return swap_update_local(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, job_last,
                             heads, tails, topo, topo_pos, stack, mark, bits)


#: from this many operations on, a swap's update follows only what changes
LOCAL_UPDATE_ABOVE = 50_000


@njit(cache=True)
def local_update(n_operations, n_movable):
    """Whether :func:`swap_update` should follow only what changes: on large instances, and on a
    window's instance (rewriter.jssp.window), whose fixed ends stop the changes early (measured:
    tai_1000_1000_1 in windows of 20,000 operations, 5x the moves per second of the passes; a
    whole 10^4-operation instance, tai_100_100_1, 0.8x)."""
    return n_operations > LOCAL_UPDATE_ABOVE or n_movable < n_operations


@njit(cache=True)
def swap_update_local(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, job_last, heads,
                      tails, topo, topo_pos, stack, mark, bits):
    """:func:`swap_update` touching only what the swap changes (:mod:`rewriter.shop.dynamic`): the
    order is repaired for the one arc ``v -> u`` that may run backwards, heads are recomputed from
    ``v``, ``u`` and ``b`` on while they change, tails from ``u``, ``v`` and ``a`` back, and the
    makespan is the latest end among the jobs' last operations ``job_last`` (every longest path
    ends at an operation without successors, which is last in its job). ``stack`` and ``mark``
    are scratch arrays of length N, ``bits`` one of ``N // 64 + 1`` words (:func:`pending_bits`);
    ``mark`` and ``bits`` all zero on entry and on exit.
    """
    restore_order(v, u, job_pred, job_succ, mach_pred, mach_succ, topo, topo_pos, stack, mark)
    update_heads(v, u, mach_succ[u], duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                 topo, topo_pos, bits, mark)
    update_tails(u, v, mach_pred[v], duration, job_pred, job_succ, mach_pred, mach_succ, tails,
                 topo, topo_pos, bits, mark)
    return latest_end(job_last, duration, heads)


@njit(cache=True)
def pending_bits(n):
    """The scratch bit set :func:`swap_update` takes for ``n`` operations, all clear."""
    return np.zeros((n >> 6) + 1, np.int64)


@njit(cache=True)
def latest_end(job_last, duration, heads):
    """The makespan: the latest end among the jobs' last operations."""
    makespan = 0
    for j in range(job_last.shape[0]):
        v = job_last[j]
        if heads[v] + duration[v] > makespan:
            makespan = heads[v] + duration[v]
    return makespan


@njit(cache=True)
def swap_update_stretch(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails,
                        topo, topo_pos, stack, mark):
    """:func:`swap_update` for small graphs, in O(N): sequential passes over ``topo`` from ``u``
    on and up to ``v`` beat following only the changed operations while the arrays sit in the
    cache (measured: ta41, 600 operations, 17% more moves per second; 10^4 operations about as
    many; 10^5 operations a third fewer).

    With ``pu < pv`` the old positions of ``u`` and ``v`` in ``topo``, the nodes of ``topo[pu:pv+1]``
    reachable from ``u`` move, in their order, behind the others of that stretch, which gives a
    topological order of the new graph (Pearce & Kelly's dynamic ordering; ``v`` is never
    reachable from ``u``, as the swap closes no cycle). Heads can change only from ``pu`` on (every
    changed arc ends there or later), tails only up to ``pv`` (every changed arc starts there or
    earlier). ``stack`` and ``mark`` are scratch arrays of length N, ``mark`` all zero on entry and
    on exit.
    """
    pu = topo_pos[u]
    pv = topo_pos[v]
    # the stretch's nodes reachable from u: stack[0:count] (breadth first, kept for the reorder)
    stack[0] = u
    mark[u] = 1
    count = 1
    i = 0
    while i < count:
        w = stack[i]
        i += 1
        for k in range(2):
            x = job_succ[w] if k == 0 else mach_succ[w]
            if x >= 0 and mark[x] == 0 and topo_pos[x] <= pv:
                mark[x] = 1
                stack[count] = x
                count += 1
    at = pu
    j = 0
    for i in range(pu, pv + 1):  # the others first, in place (at <= i: nothing unread is lost),
        w = topo[i]              # the reached ones into stack, whose search is over, in order
        if mark[w] == 0:
            topo[at] = w
            topo_pos[w] = at
            at += 1
        else:
            stack[j] = w
            j += 1
    for i in range(count):
        w = stack[i]
        mark[w] = 0
        topo[at] = w
        topo_pos[w] = at
        at += 1
    makespan = heads_from(duration, job_pred, mach_pred, topo, heads, pu)
    tails_upto(duration, job_succ, mach_succ, topo, tails, pv)
    for i in range(pu):  # a longest path may run wholly before pu: heads and tails exact there
        w = topo[i]
        if heads[w] + duration[w] + tails[w] > makespan:
            makespan = heads[w] + duration[w] + tails[w]
    return makespan



@njit(cache=True)
def is_acyclic(job_pred, job_succ, mach_pred, mach_succ, topo, indegree):
    """True if the oriented graph has no cycle (Kahn's algorithm without the arithmetic)."""
    n = job_pred.shape[0]
    tail = 0
    for v in range(n):
        d = 0
        if job_pred[v] >= 0:
            d += 1
        if mach_pred[v] >= 0:
            d += 1
        indegree[v] = d
        if d == 0:
            topo[tail] = v
            tail += 1
    head = 0
    while head < tail:
        u = topo[head]
        head += 1
        s = job_succ[u]
        if s >= 0:
            indegree[s] -= 1
            if indegree[s] == 0:
                topo[tail] = s
                tail += 1
        s = mach_succ[u]
        if s >= 0:
            indegree[s] -= 1
            if indegree[s] == 0:
                topo[tail] = s
                tail += 1
    return tail == n


@njit(cache=True)
def flip_creates_cycle(u, v, duration, job_succ, mach_succ, heads, stack, seen):
    """Would swapping ``u`` and its machine successor ``v`` create a cycle?

    After the swap, a cycle exists exactly when the current graph has a path from ``u`` to ``v``
    other than the arc ``u -> v``, i.e. a path from ``job_succ[u]`` to ``v``. Any operation ``w`` on
    such a path has ``heads[w] + duration[w] <= heads[v]``, which prunes the search hard: most
    calls answer in O(1). ``heads`` must be those of the current (acyclic) graph; ``stack`` and
    ``seen`` are scratch arrays of length N, ``seen`` all zero on entry and on exit.
    """
    s = job_succ[u]
    if s < 0:
        return False
    if s == v:
        return True
    limit = heads[v]
    if heads[s] + duration[s] > limit:
        return False
    # breadth first, so stack[0:count] still lists every marked node at the end
    stack[0] = s
    seen[s] = 1
    count = 1
    i = 0
    found = False
    while i < count and not found:
        w = stack[i]
        i += 1
        for k in range(2):
            x = job_succ[w] if k == 0 else mach_succ[w]
            if x < 0 or seen[x] == 1:
                continue
            if x == v:
                found = True
                break
            if heads[x] + duration[x] <= limit:
                seen[x] = 1
                stack[count] = x
                count += 1
    for i in range(count):  # reset only the marks we set, so the caller's scratch stays clean
        seen[stack[i]] = 0
    return found


# --------------------------------------------------------------------------------------------
# Critical path and blocks
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def critical_path(duration, job_pred, mach_pred, heads, makespan, path):
    """Write one critical path (source to sink) into ``path``; return its length.

    Walks back from the first operation that ends at the makespan (:func:`critical_path_from`).
    """
    n = duration.shape[0]
    end = -1
    for v in range(n):
        if heads[v] + duration[v] == makespan:
            end = v
            break
    return critical_path_from(end, duration, job_pred, mach_pred, heads, path)


@njit(cache=True)
def critical_end(job_last, duration, heads, makespan):
    """The first job (in job order) whose last operation ends at the makespan: its last operation,
    where :func:`critical_path_from` starts, in O(jobs) rather than O(operations). With positive
    durations it is the operation :func:`critical_path` starts from."""
    for j in range(job_last.shape[0]):
        v = job_last[j]
        if heads[v] + duration[v] == makespan:
            return v
    return -1


@njit(cache=True)
def critical_path_from(end, duration, job_pred, mach_pred, heads, path):
    """Write the critical path that ends at ``end`` (an operation ending at the makespan) into
    ``path``, source first; return its length.

    Walks back, at every step to a predecessor that ends exactly when the current operation
    starts. The machine predecessor is preferred, so the path has the longest machine blocks (the
    convention of Nowicki & Smutnicki's N5).
    """
    cur = end
    length = 0
    while cur >= 0:
        path[length] = cur
        length += 1
        h = heads[cur]
        if h == 0:
            break
        p = mach_pred[cur]
        if p >= 0 and heads[p] + duration[p] == h:
            cur = p
            continue
        p = job_pred[cur]
        if p >= 0 and heads[p] + duration[p] == h:
            cur = p
            continue
        cur = -1  # unreachable for consistent heads
    # reverse in place: source first
    i = 0
    j = length - 1
    while i < j:
        t = path[i]
        path[i] = path[j]
        path[j] = t
        i += 1
        j -= 1
    return length


@njit(cache=True)
def critical_blocks(path, length, mach_succ, block_start):
    """Split a critical path into machine blocks; return their number.

    A block is a maximal run of path operations joined by machine arcs. Block ``b`` spans
    ``path[block_start[b]:block_start[b + 1]]``; ``block_start`` needs room for ``length + 1``.
    """
    if length == 0:
        block_start[0] = 0
        return 0
    count = 0
    block_start[0] = 0
    for i in range(1, length):
        if mach_succ[path[i - 1]] != path[i]:
            count += 1
            block_start[count] = i
    count += 1
    block_start[count] = length
    return count


# --------------------------------------------------------------------------------------------
# Neighbourhoods: every kernel writes pairs (u, v) with v == mach_succ[u] and returns the count
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def adjacent_moves(order, machine_start, job_succ, moves):
    """Every pair of operations adjacent on a machine (all disjunctive arcs that could be flipped).

    Pairs of consecutive operations of one job on one machine (re-entrant routes) are skipped:
    flipping them always breaks the route.
    """
    k = 0
    for i in range(machine_start.shape[0] - 1):
        for p in range(machine_start[i], machine_start[i + 1] - 1):
            u = order[p]
            v = order[p + 1]
            if job_succ[u] != v:
                moves[k, 0] = u
                moves[k, 1] = v
                k += 1
    return k


@njit(cache=True)
def n1_moves(path, length, mach_succ, job_succ, moves):
    """N1 (van Laarhoven et al.): every machine arc on the critical path."""
    k = 0
    for i in range(length - 1):
        u = path[i]
        v = path[i + 1]
        if mach_succ[u] == v and job_succ[u] != v:
            moves[k, 0] = u
            moves[k, 1] = v
            k += 1
    return k


@njit(cache=True)
def n5_moves(path, length, mach_succ, job_succ, block_start, moves):
    """N5 (Nowicki & Smutnicki): swap the first two and the last two operations of each block.

    The first block only swaps its last two, the last block only its first two (other swaps there
    cannot shorten the path); blocks of one operation give nothing.
    """
    n_blocks = critical_blocks(path, length, mach_succ, block_start)
    k = 0
    for b in range(n_blocks):
        lo = block_start[b]
        hi = block_start[b + 1]  # exclusive
        if hi - lo < 2:
            continue
        if b > 0:
            u = path[lo]
            v = path[lo + 1]
            if job_succ[u] != v:
                moves[k, 0] = u
                moves[k, 1] = v
                k += 1
        if b < n_blocks - 1 and (b == 0 or hi - lo > 2):
            u = path[hi - 2]
            v = path[hi - 1]
            if job_succ[u] != v:
                moves[k, 0] = u
                moves[k, 1] = v
                k += 1
    return k


@njit(cache=True)
def _both_ways(u, v, job_succ, moves, k):
    """Write the swap of machine-adjacent ``u, v`` as ``(u, v)`` and ``(v, u)`` unless they are
    consecutive operations of one job; returns the new count."""
    if job_succ[u] == v:
        return k
    moves[k, 0] = u
    moves[k, 1] = v
    moves[k + 1, 0] = v
    moves[k + 1, 1] = u
    return k + 2


@njit(cache=True)
def n7_moves(path, length, mach_succ, job_succ, block_start, moves):
    """N7-style insertions (after Zhang et al. 2007): in every critical block ``b1 .. bk``, move
    an operation to the front (before ``b1``) or the back (after ``bk``) of the block, or move
    ``b1`` / ``bk`` next to an inner operation; plus the N5 swaps.

    A move is written ``(x, w)``: "move ``x`` to the far side of ``w``" (same machine, so
    :func:`relocate` of ``x`` to ``w``'s position). Swaps (adjacent ``x, w``) are listed in both
    orientations, as :func:`~rewriter.jssp.features.both_directions` lists N5. As in N5, nothing
    moves to the front of the first block or the back of the last (that cannot shorten the critical
    path), and consecutive operations of one job are never swapped. ``moves`` needs room for
    ``4 * length`` rows.
    """
    n_blocks = critical_blocks(path, length, mach_succ, block_start)
    k = 0
    if n_blocks < 2:
        return 0  # one block: the makespan is that machine's load, a lower bound
    for b in range(n_blocks):
        lo = block_start[b]
        hi = block_start[b + 1]  # exclusive
        if hi - lo < 2:
            continue
        first = path[lo]
        last = path[hi - 1]
        front = b > 0
        back = b < n_blocks - 1
        if front:
            k = _both_ways(first, path[lo + 1], job_succ, moves, k)
        if back and not (front and hi - lo == 2):  # a block of two has one swap
            k = _both_ways(path[hi - 2], last, job_succ, moves, k)
        for i in range(lo, hi):
            x = path[i]
            if front and i >= lo + 2:
                moves[k, 0] = x  # to the front
                moves[k, 1] = first
                k += 1
            if back and i <= hi - 3:
                moves[k, 0] = x  # to the back
                moves[k, 1] = last
                k += 1
            if lo + 2 <= i <= hi - 2:
                moves[k, 0] = first  # the first behind an inner operation
                moves[k, 1] = x
                k += 1
            if lo + 1 <= i <= hi - 3:
                moves[k, 0] = last  # the last before an inner operation
                moves[k, 1] = x
                k += 1
    return k


# --------------------------------------------------------------------------------------------
# Move evaluation
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def swap_estimate(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails):
    """Taillard's estimate of the makespan after swapping ``u`` and its machine successor ``v``.

    Recomputes heads and tails of just the two moved operations from their new neighbours and
    returns the longest path through either of them. It is a lower bound on the new makespan and
    exact whenever the new longest path passes through ``u`` or ``v``; O(1).
    """
    a = mach_pred[u]
    b = mach_succ[v]
    # new heads: v now follows a, u follows v
    hv = 0
    p = job_pred[v]
    if p >= 0:
        hv = heads[p] + duration[p]
    if a >= 0 and heads[a] + duration[a] > hv:
        hv = heads[a] + duration[a]
    hu = hv + duration[v]
    p = job_pred[u]
    if p >= 0 and heads[p] + duration[p] > hu:
        hu = heads[p] + duration[p]
    # new tails: u now precedes b, v precedes u
    tu = 0
    s = job_succ[u]
    if s >= 0:
        tu = tails[s] + duration[s]
    if b >= 0 and tails[b] + duration[b] > tu:
        tu = tails[b] + duration[b]
    tv = tu + duration[u]
    s = job_succ[v]
    if s >= 0 and tails[s] + duration[s] > tv:
        tv = tails[s] + duration[s]
    x = hv + duration[v] + tv
    y = hu + duration[u] + tu
    return x if x > y else y
