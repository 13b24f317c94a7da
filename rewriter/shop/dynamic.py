"""Heads, tails and a topological order kept exact after a local change of a schedule DAG,
touching only the operations whose values change, not the whole graph.

Every operation has at most one job and one machine predecessor and successor (-1: none), as in
:mod:`rewriter.shop.dag`. After a move rewires a few arcs:

1. :func:`restore_order` repairs the topological order ``topo`` (with ``topo_pos`` its inverse)
   for one new arc ``x -> y`` that ran backwards, by Pearce & Kelly's dynamic topological sort:
   only the operations between the two ends that the new arc constrains move (those reached from
   ``y`` and those reaching ``x``, inside the stretch of ``topo`` between them), so the work is
   proportional to that affected region, not to the graph. On an order sorted by heads (see
   :func:`sort_by_heads`) the stretch between two adjacent critical operations is a handful of
   operations.
2. :func:`update_heads` recomputes the heads of the given seed operations and propagates forward
   only while a head changes, in topological order (a bit set over the positions of ``topo``,
   swept once forward), so every operation is recomputed at most once and after all its
   predecessors;
   :func:`update_tails` does the same backwards.

The cost of a move is then O(affected + changed + N / 64) instead of O(N) passes; the full
passes of :mod:`rewriter.shop.dag` remain the oracle (tests/test_kernels.py checks both agree).
At 10^5-10^6 operations a tabu move still changes a tenth of the heads or tails or more, which is
why large instances are searched in windows (:mod:`rewriter.jssp.window`).
``stack`` and ``mark`` are scratch arrays of length N, ``mark`` all zero on entry and on exit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .dag import _latest_end  # a head from the two predecessors, a tail from the two successors


@njit(cache=True)
def sort_by_heads(topo, topo_pos, heads):
    """Reorder the topological order ``topo`` by heads, stably (ties keep their order, so an arc
    between operations of equal heads, after a zero duration, stays forward), and refill
    ``topo_pos``. Such an order keeps :func:`restore_order`'s stretches short. O(N log N)."""
    keys = np.empty(topo.shape[0], np.int64)
    for i in range(topo.shape[0]):
        keys[i] = heads[topo[i]]
    rank = np.argsort(keys, kind="mergesort")
    sorted_topo = topo[rank]
    for i in range(topo.shape[0]):
        topo[i] = sorted_topo[i]
        topo_pos[topo[i]] = i


@njit(cache=True)
def restore_order(x, y, job_pred, job_succ, mach_pred, mach_succ, topo, topo_pos, stack, mark):
    """Make ``topo`` a topological order again after the arc ``x -> y`` was added (the graph with
    it must be acyclic). Nothing happens when ``y`` already comes after ``x``; otherwise the
    operations reached from ``y`` and those reaching ``x``, within the stretch of ``topo`` from
    ``y`` to ``x``, are laid out again in the positions they held: those reaching ``x`` first, each
    group in its old order. Returns the number of operations moved."""
    lower = topo_pos[y]
    upper = topo_pos[x]
    if lower > upper:
        return 0
    # forward from y (mark 1), then backward from x (mark 2): disjoint, else x -> y closes a cycle
    n_forward = _search(y, job_succ, mach_succ, topo_pos, upper, True, stack, 0, mark, 1)
    n_total = _search(x, job_pred, mach_pred, topo_pos, lower, False, stack, n_forward, mark, 2)
    if n_total == 2:  # the common case on an order sorted by heads: x and y trade places
        mark[x] = 0
        mark[y] = 0
        topo[lower] = x
        topo[upper] = y
        topo_pos[x] = lower
        topo_pos[y] = upper
        return 2
    slots = np.empty(n_total, np.int64)
    for i in range(n_total):
        slots[i] = topo_pos[stack[i]]
    slots.sort()
    forward = _positions_sorted(stack, 0, n_forward, topo_pos)
    backward = _positions_sorted(stack, n_forward, n_total, topo_pos)
    at = 0
    for group in (backward, forward):  # old positions, sorted: the group's old order
        for i in range(group.shape[0]):
            v = topo[group[i]]
            mark[v] = 0
            stack[at] = v
            at += 1
    for i in range(n_total):
        v = stack[i]
        topo[slots[i]] = v
        topo_pos[v] = slots[i]
    return n_total


@njit(cache=True)
def _search(start, first, second, topo_pos, bound, forward, stack, base, mark, label):
    """Depth-first from ``start`` along ``first``/``second`` links, only through operations on
    the near side of ``bound`` in ``topo``; appends them to ``stack[base:]`` marked ``label``;
    returns the new end of the stack's used part."""
    stack[base] = start
    mark[start] = label
    top = base + 1
    i = base
    while i < top:
        w = stack[i]
        i += 1
        for k in range(2):
            z = first[w] if k == 0 else second[w]
            if z < 0 or mark[z] != 0:
                continue
            if (forward and topo_pos[z] < bound) or (not forward and topo_pos[z] > bound):
                mark[z] = label
                stack[top] = z
                top += 1
    return top


@njit(cache=True)
def _positions_sorted(stack, lo, hi, topo_pos):
    out = np.empty(hi - lo, np.int64)
    for i in range(lo, hi):
        out[i - lo] = topo_pos[stack[i]]
    out.sort()
    return out


@njit(cache=True)
def update_heads(first, second, third, duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                 topo, topo_pos, bits, mark):
    """Recompute the heads of ``first``, ``second`` and ``third`` (operations whose predecessors
    changed; -1: none) and of
    every operation downstream whose head changes as a result; ``topo`` must be a topological
    order of the current graph. Returns how many operations were recomputed.

    The pending operations are bits of ``bits`` (one per position of ``topo``, all zero on entry
    and exit, ``N // 64 + 1`` words), taken lowest position first: a successor always lies
    further on, so one forward sweep over the words visits each pending operation once, after
    all its predecessors, skipping 64 positions per empty word."""
    pending = 0
    word = topo.shape[0]
    for s in (first, second, third):
        if s >= 0 and mark[s] == 0:
            pending = _pend(s, topo_pos, bits, mark, pending)
            word = min(word, topo_pos[s] >> 6)
    count = 0
    while pending > 0:
        if bits[word] == 0:
            word += 1
            continue
        position = _take_lowest(bits, word)
        v = topo[position]
        mark[v] = 0
        pending -= 1
        count += 1
        h = _latest_end(job_pred[v], mach_pred[v], duration, heads)
        if h == heads[v]:
            continue
        heads[v] = h
        for k in range(2):
            z = job_succ[v] if k == 0 else mach_succ[v]
            if z >= 0 and mark[z] == 0:
                pending = _pend(z, topo_pos, bits, mark, pending)
    return count


@njit(cache=True)
def update_tails(first, second, third, duration, job_pred, job_succ, mach_pred, mach_succ, tails,
                 topo, topo_pos, bits, mark):
    """:func:`update_heads` backwards: the tails of the three seeds (operations whose successors
    changed) and of every operation upstream whose tail changes, highest position first."""
    pending = 0
    word = 0
    for s in (first, second, third):
        if s >= 0 and mark[s] == 0:
            pending = _pend(s, topo_pos, bits, mark, pending)
            word = max(word, topo_pos[s] >> 6)
    count = 0
    while pending > 0:
        if bits[word] == 0:
            word -= 1
            continue
        position = _take_highest(bits, word)
        v = topo[position]
        mark[v] = 0
        pending -= 1
        count += 1
        t = _latest_end(job_succ[v], mach_succ[v], duration, tails)
        if t == tails[v]:
            continue
        tails[v] = t
        for k in range(2):
            z = job_pred[v] if k == 0 else mach_pred[v]
            if z >= 0 and mark[z] == 0:
                pending = _pend(z, topo_pos, bits, mark, pending)
    return count


@njit(cache=True, inline="always")
def _pend(v, topo_pos, bits, mark, pending):
    """Mark ``v`` pending: its bit at its position in ``topo``."""
    mark[v] = 1
    p = topo_pos[v]
    bits[p >> 6] |= np.int64(1) << (p & 63)
    return pending + 1


# de Bruijn multiplication finds the index of a word's lowest set bit without a loop
_DE_BRUIJN = np.int64(0x03F79D71B4CB0A89)
_BIT_INDEX = np.zeros(64, np.int64)
for _i in range(64):
    _BIT_INDEX[(((1 << _i) * 0x03F79D71B4CB0A89) % (1 << 64)) >> 58] = _i


@njit(cache=True, inline="always")
def _take_lowest(bits, word):
    """Clear the lowest set bit of ``bits[word]`` (not zero) and return its position."""
    w = bits[word]
    low = w & -w
    bits[word] = w ^ low
    return (word << 6) + _BIT_INDEX[((low * _DE_BRUIJN) >> 58) & 63]


@njit(cache=True, inline="always")
def _take_highest(bits, word):
    """Clear the highest set bit of ``bits[word]`` (not zero) and return its position."""
    w = bits[word]
    b = 63
    if w > 0:  # the sign bit is bit 63; otherwise halve the range until the top bit is found
        b = 0
        x = w
        for shift in (32, 16, 8, 4, 2, 1):
            if x >> shift != 0:
                x >>= shift
                b += shift
    bits[word] = w ^ (np.int64(1) << b)
    return (word << 6) + b
