"""Moves on a flexible job-shop schedule, in numba over flat int64 arrays.

A move takes one operation ``v`` off its machine and inserts it on an eligible machine ``k``
(its own or another) right after the operation ``a`` (``a = -1``: at the front of ``k``), with
``k``'s duration for ``v``. It covers both kinds the flexible shop needs:

* **resequence**: ``k`` is ``v``'s own machine. With ``moves="n5"`` only the N5 swaps are used:
  the first two and the last two operations of every critical block (a maximal run of critical
  operations, consecutive on one machine with no idle time between them) trade places;
  ``moves="full"`` allows every position on the machine (N7-style insertions and more);
* **reassign**: ``k`` is another machine of ``v``'s eligible ones, at any position.

The operations moved are the **critical** ones (head + duration + tail == makespan); for the
tardiness objectives also the *tight chain* of every late job (from its last operation back
through predecessors that end exactly when the next one starts), since only they can make that
job finish earlier.

**Exact O(1) evaluation of every position.** Let G- be the schedule graph with ``v`` removed
(its job predecessor joined to its job successor, its machine neighbours joined). With heads
``r`` and tails ``q`` in G- (one O(n) pass each) and L- its makespan, inserting ``v`` between
``a`` and ``b`` on ``k`` gives the makespan

    max(L-, max(release, r[jp] + p[jp], r[a] + p[a]) + p_k(v) + max(q[js] + p[js], q[b] + p[b]))

exactly, not as an estimate: every path of G- survives (an arc ``a -> b`` or ``jp -> js`` becomes
the longer ``a -> v -> b`` / ``jp -> v -> js``), no path of the new graph avoiding ``v`` is
missing from G-, and the heads of ``jp``, ``a`` and the tails of ``js``, ``b`` do not change when
the insertion is acyclic. So one O(n) preparation per moved operation prices all its positions on
all its machines exactly, and no size threshold is needed (the tests check every value against a
from-scratch rebuild and networkx).

**No cycles.** The insertion between ``a`` and ``b`` makes a cycle exactly when ``a`` is reachable
from ``v``'s job successor or ``b`` reaches ``v``'s job predecessor in G-; both sets are marked
once per moved operation (two O(n) graph walks) and such positions are skipped.

For tardiness and the combined objective the makespan formula does not give the job completions,
so each (operation, machine) pair keeps its two most promising positions (shortest path through
``v``, earliest end of ``v``) and those are evaluated exactly (the move applied, all heads
recomputed, the objective taken from the job completions, the move undone).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import heads_and_makespan, tails_from_topo

# neighbourhoods: (resequence mode, reassign); resequence 1 = N5 swaps, 2 = every position
MOVE_SETS = {"full": (2, True), "n5": (1, False), "n5+reassign": (1, True)}
OBJECTIVE_CODES = {"makespan": 0, "tardiness": 1, "combined": 2}
BIG = 1 << 62


@njit(cache=True)
def cost_of(obj, tw, makespan, heads, dur, job_start, due, weight):
    """The objective from heads: makespan, total weighted tardiness, or makespan + tw x it."""
    if obj == 0:
        return float(makespan)
    twt = 0
    for j in range(job_start.shape[0] - 1):
        if due[j] >= 0:
            last = job_start[j + 1] - 1
            c = heads[last] + dur[last]
            if c > due[j]:
                twt += weight[j] * (c - due[j])
    if obj == 1:
        return float(twt)
    return makespan + tw * twt


@njit(cache=True)
def unlink(v, m, mach_pred, mach_succ, first):
    """Take ``v`` off machine ``m``; returns its former machine predecessor."""
    p = mach_pred[v]
    s = mach_succ[v]
    if p >= 0:
        mach_succ[p] = s
    else:
        first[m] = s
    if s >= 0:
        mach_pred[s] = p
    mach_pred[v] = -1
    mach_succ[v] = -1
    return p


@njit(cache=True)
def link(v, m, a, mach_pred, mach_succ, first):
    """Put ``v`` on machine ``m`` right after ``a`` (``a = -1``: at the front)."""
    if a >= 0:
        s = mach_succ[a]
        mach_succ[a] = v
    else:
        s = first[m]
        first[m] = v
    mach_pred[v] = a
    mach_succ[v] = s
    if s >= 0:
        mach_pred[s] = v


@njit(cache=True)
def machine_firsts(mach_pred, assign, first):
    first[:] = -1
    for o in range(mach_pred.shape[0]):
        if mach_pred[o] < 0:
            first[assign[o]] = o


@njit(cache=True)
def evaluate(st, inst, obj, tw):
    """Heads, topological order and tails of the current schedule; returns (makespan, cost)."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    elig_start, elig_machine, elig_duration, job_start, due, weight = inst
    mk = heads_and_makespan(jp, js, mp, ms, dur, rel, heads, topo)
    if mk < 0:
        return mk, -1.0
    tails_from_topo(dur, js, ms, topo, tails)
    return mk, cost_of(obj, tw, mk, heads, dur, job_start, due, weight)


@njit(cache=True)
def candidate_ops(st, inst, obj, mk, mark, stamp, cand):
    """The operations to move (module docstring), into ``cand``; returns how many."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    elig_start, elig_machine, elig_duration, job_start, due, weight = inst
    n = dur.shape[0]
    c = 0
    for o in range(n):
        if heads[o] + dur[o] + tails[o] == mk:
            cand[c] = o
            mark[o] = stamp
            c += 1
    if obj != 0:
        for j in range(job_start.shape[0] - 1):
            last = job_start[j + 1] - 1
            if due[j] < 0 or weight[j] == 0 or heads[last] + dur[last] <= due[j]:
                continue
            x = last
            while x >= 0:
                if mark[x] != stamp:
                    mark[x] = stamp
                    cand[c] = x
                    c += 1
                p = jp[x]
                q = mp[x]
                if p >= 0 and heads[p] + dur[p] == heads[x]:
                    x = p
                elif q >= 0 and heads[q] + dur[q] == heads[x]:
                    x = q
                else:
                    x = -1
    return c


@njit(cache=True)
def _walk(start, nxt1, nxt2, mark, stamp, stack):
    """Mark every operation reachable from ``start`` over the arcs ``nxt1``/``nxt2``."""
    if start < 0:
        return
    top = 0
    stack[top] = start
    top += 1
    mark[start] = stamp
    while top > 0:
        top -= 1
        x = stack[top]
        for y in (nxt1[x], nxt2[x]):
            if y >= 0 and mark[y] != stamp:
                mark[y] = stamp
                stack[top] = y
                top += 1


@njit(cache=True)
def is_tight(u, w, heads, dur, tails, mk):
    """``u -> w`` is an arc of a critical path (both critical, no idle time between)."""
    return (heads[u] + dur[u] + tails[u] == mk and heads[w] + dur[w] + tails[w] == mk
            and heads[u] + dur[u] == heads[w])


@njit(cache=True)
def scan_op(v, st, inst, sc, obj, tw, mode_seq, reassign, mk, out, n_out):
    """Every acyclic move of ``v`` (module docstring) with its exact cost, written to ``out``
    as float64 rows (v, machine, after, duration, cost, tie-break) from row ``n_out``; returns the new
    count. The tie-break is the longest path through ``v`` (makespan) or the makespan (tardiness
    objectives): among moves of equal cost the search prefers the smaller. ``out`` needs n_ops + 3 x (eligible machines) rows; the schedule is left as it was.
    ``fwd`` and ``bwd`` have n_ops + 1 slots (the last holds the walk counter)."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    elig_start, elig_machine, elig_duration, job_start, due, weight = inst
    h2, t2, topo2, fwd, bwd, stack, pend = sc
    m_old = assign[v]
    d_old = dur[v]
    # N5 positions on v's own machine, from the current critical blocks
    swap_after = -2
    swap_before = -2
    if mode_seq == 1:
        p = mp[v]
        s = ms[v]
        into = p >= 0 and is_tight(p, v, heads, dur, tails, mk)
        outof = s >= 0 and is_tight(v, s, heads, dur, tails, mk)
        if outof and not into:  # v starts a block: swap it with its successor
            swap_after = s
        if into and not outof:  # v ends a block: swap it with its predecessor
            swap_before = mp[p]
    # G-: v off its machine and out of its job
    a_old = unlink(v, m_old, mp, ms, first)
    p_job = jp[v]
    s_job = js[v]
    if p_job >= 0:
        js[p_job] = s_job
    if s_job >= 0:
        jp[s_job] = p_job
    jp[v] = -1
    js[v] = -1
    dur[v] = 0
    mk_minus = heads_and_makespan(jp, js, mp, ms, dur, rel, h2, topo2)
    tails_from_topo(dur, js, ms, topo2, t2)
    stamp = fwd[fwd.shape[0] - 1] + 1  # fresh marks; the last slot holds the last stamp used
    fwd[fwd.shape[0] - 1] = stamp
    _walk(s_job, js, ms, fwd, stamp, stack)
    _walk(p_job, jp, mp, bwd, stamp, stack)
    head_job = rel[v]
    if p_job >= 0 and h2[p_job] + dur[p_job] > head_job:
        head_job = h2[p_job] + dur[p_job]
    tail_job = 0
    if s_job >= 0:
        tail_job = t2[s_job] + dur[s_job]
    n_pend = 0
    for e in range(elig_start[v], elig_start[v + 1]):
        k = elig_machine[e]
        d = elig_duration[e]
        if k == m_old:
            if mode_seq == 0:
                continue
        elif not reassign:
            continue
        best_est = BIG
        best_a = -2
        early_end = BIG
        early_a = -2
        a = -1
        b = first[k]
        while True:
            ok = (a < 0 or fwd[a] != stamp) and (b < 0 or bwd[b] != stamp)
            if ok and k == m_old:
                if a == a_old:
                    ok = False
                elif mode_seq == 1 and a != swap_after and a != swap_before:
                    ok = False
            if ok:
                head = head_job
                if a >= 0 and h2[a] + dur[a] > head:
                    head = h2[a] + dur[a]
                tail = tail_job
                if b >= 0 and t2[b] + dur[b] > tail:
                    tail = t2[b] + dur[b]
                est = head + d + tail
                if obj == 0:
                    out[n_out, 0] = v
                    out[n_out, 1] = k
                    out[n_out, 2] = a
                    out[n_out, 3] = d
                    out[n_out, 4] = est if est > mk_minus else mk_minus
                    out[n_out, 5] = est
                    n_out += 1
                else:
                    if est < best_est:
                        best_est = est
                        best_a = a
                    if head + d < early_end:
                        early_end = head + d
                        early_a = a
            if b < 0:
                break
            if fwd[b] == stamp:  # every later position is cyclic too
                break
            a = b
            b = ms[b]
        if obj != 0:
            if best_a != -2:
                pend[n_pend, 0] = k
                pend[n_pend, 1] = best_a
                pend[n_pend, 2] = d
                n_pend += 1
            if early_a != -2 and early_a != best_a:
                pend[n_pend, 0] = k
                pend[n_pend, 1] = early_a
                pend[n_pend, 2] = d
                n_pend += 1
    # back into its job
    if p_job >= 0:
        js[p_job] = v
    if s_job >= 0:
        jp[s_job] = v
    jp[v] = p_job
    js[v] = s_job
    for i in range(n_pend):  # exact objective of the pending positions (tardiness objectives)
        k = pend[i, 0]
        a = pend[i, 1]
        dur[v] = pend[i, 2]
        link(v, k, a, mp, ms, first)
        mk2 = heads_and_makespan(jp, js, mp, ms, dur, rel, h2, topo2)
        unlink(v, k, mp, ms, first)
        if mk2 < 0:
            continue
        out[n_out, 0] = v
        out[n_out, 1] = k
        out[n_out, 2] = a
        out[n_out, 3] = pend[i, 2]
        out[n_out, 4] = cost_of(obj, tw, mk2, h2, dur, job_start, due, weight)
        out[n_out, 5] = mk2
        n_out += 1
    dur[v] = d_old
    link(v, m_old, a_old, mp, ms, first)
    return n_out


@njit(cache=True)
def apply_move(v, k, a, d, st):
    """Move ``v`` to machine ``k`` after ``a`` with duration ``d``; returns (old machine, old
    machine predecessor, old machine successor)."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    m_old = assign[v]
    s_old = ms[v]
    p_old = unlink(v, m_old, mp, ms, first)
    link(v, k, a, mp, ms, first)
    assign[v] = k
    dur[v] = d
    return m_old, p_old, s_old
