"""Moves of the flexible shop priced from the current heads and tails, without a pass over the
graph: the tardiness objectives' fast path (numba).

The exact scan of :mod:`rewriter.fjsp.moves` rebuilds the graph without the moved operation
(O(n)) for every operation it moves, and for the tardiness objectives also every position it
keeps (O(n) each): at 1000 jobs x 200 machines x 25 eligible machines per operation a step costs
seconds. Here every move is priced from what one evaluation per step already holds (heads ``r``,
tails ``q``, the job completions) and a few per-operation numbers prepared once per step in
O(n); the search then evaluates exactly only the few best-priced moves (:func:`exact_cost`).

**Position of ``v`` on machine ``k`` between ``a`` and ``b``** (``v``'s job neighbours ``jp``,
``js``; ``v`` itself skipped when walking ``k``):

* *acyclic test* (Dauzere-Peres & Paulli 1997; Mastrolilli & Gambardella 2000): the insertion
  closes a cycle only when ``a = js``, ``b = jp`` or through a path ``js -> ... -> a`` or
  ``b -> ... -> jp`` in the graph without ``v``; such a path would give ``r[a] >= r[js] + p[js]``
  (resp. ``r[jp] >= r[b] + p[b]``) in the current graph, whose paths are at least as long. So
  ``a != js``, ``b != jp``, ``r[a] < r[js] + p[js]`` and ``r[jp] < r[b] + p[b]`` (or the
  neighbour absent) **prove** the move acyclic; positions failing
  the test are not offered (a sufficient test: a few acyclic positions are skipped with it).
* *start of v*: ``s = max(release, r[jp] + p[jp], r[a] + p[a])`` from the current heads is **an
  upper bound** on ``v``'s start after the move (removing ``v`` can only shorten paths to ``jp``
  and ``a``), exact when neither lies downstream of ``v``.

**Tardiness estimate** (a heuristic, no bound claimed; the heads-to-due-date reasoning of Mati,
Dauzere-Peres & Lahlou 2011, cut down to O(1) per position): ``v``'s end moves by
``delta = s + p_k(v) - (r[v] + p[v])``.

* ``delta < 0``: ``v``'s job finishes up to ``min(-delta, cap[v])`` earlier, ``cap[x]`` = how much
  earlier the rest of ``x``'s job could start before its machine predecessors (or release dates)
  hold it (0 when a job arc after ``x`` is not tight);
* ``delta > 0`` and ``v`` ends its job: that job finishes ``delta`` later; otherwise ``v``'s job
  successor is pushed by ``s + p_k(v) - r[js]`` when positive;
* the new machine successor ``b`` is pushed by ``s + p_k(v) - r[b]`` when positive;
* a push of ``x`` by ``d`` costs ``slope[x] x max(0, d - slack[x])``: ``slack[x]`` the least idle
  time from ``x`` to the end of a job with a due date and a weight (plus that end's room before
  its due date), ``slope[x]`` the weight found there (summed over the successors that reach it),
  one backward pass in topological order;
* leaving the old machine credits the gain of the old successor's job when it started right
  after ``v`` (for a reassignment).

The combined objective adds ``tw`` times the tardiness estimate to
the makespan increase ``max(0, s + p_k(v) + max(q[js] + p[js], q[b] + p[b]) - makespan)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import heads_and_makespan
from .moves import BIG, apply_move, cost_of, is_tight


@njit(cache=True)
def prepare(st, inst, op_job, cap, completion, slack, slope):
    """Per operation ``cap``, ``slack`` and ``slope`` (module docstring) and per job its
    completion, from the current heads and topological order: O(n), once per step."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    job_start, due, weight = inst[3], inst[4], inst[5]
    total = 0.0
    for j in range(job_start.shape[0] - 1):
        if due[j] >= 0:
            total += weight[j]
    for i in range(topo.shape[0] - 1, -1, -1):  # successors first
        x = topo[i]
        j = op_job[x]
        least = BIG
        w = 0.0
        if js[x] < 0 and due[j] >= 0 and weight[j] > 0:
            end = heads[x] + dur[x]
            least = due[j] - end if due[j] > end else 0
            w = float(weight[j])
        for y in (js[x], ms[x]):
            if y >= 0 and slope[y] > 0:
                f = heads[y] - heads[x] - dur[x] + slack[y]
                if f < least:
                    least = f
                    w = slope[y]
                elif f == least:
                    w += slope[y]
        slack[x] = least
        slope[x] = w if w < total else total
    for j in range(job_start.shape[0] - 1):
        last = job_start[j + 1] - 1
        c = heads[last] + dur[last]
        completion[j] = c
        cap[last] = BIG
        for x in range(last - 1, job_start[j] - 1, -1):
            y = x + 1
            if heads[y] == heads[x] + dur[x]:  # y waits for x: an earlier x lets y start earlier
                floor = rel[y]
                q = mp[y]
                if q >= 0 and heads[q] + dur[q] > floor:
                    floor = heads[q] + dur[q]
                room = heads[y] - floor
                cap[x] = room if room < cap[y] else cap[y]
            else:
                cap[x] = 0
    return 0


@njit(cache=True, inline="always")
def start_bound(v, a, heads, dur, rel, jp):
    """An upper bound on ``v``'s start once inserted right after ``a`` (-1: at the front) on
    some machine, from the current heads (module docstring); exact when neither ``v``'s job
    predecessor nor ``a`` lies downstream of ``v``."""
    start = rel[v]
    p = jp[v]
    if p >= 0 and heads[p] + dur[p] > start:
        start = heads[p] + dur[p]
    if a >= 0 and heads[a] + dur[a] > start:
        start = heads[a] + dur[a]
    return start


@njit(cache=True)
def admits(v, a, b, heads, dur, jp, js):
    """The acyclic test of the module docstring for ``v`` between ``a`` and ``b`` (-1: none):
    True proves the insertion closes no cycle."""
    p = jp[v]
    s = js[v]
    return ((s < 0 or a < 0 or (a != s and heads[a] < heads[s] + dur[s]))
            and (p < 0 or b < 0 or (b != p and heads[p] < heads[b] + dur[b])))


@njit(cache=True, inline="always")
def _tardiness_change(j, change, completion, due, weight):
    if due[j] < 0 or change == 0:
        return 0.0
    c = completion[j]
    before = c - due[j] if c > due[j] else 0
    c += change
    after = c - due[j] if c > due[j] else 0
    return float(weight[j] * (after - before))


@njit(cache=True, inline="always")
def _delay_cost(x, delay, slack, slope):
    """The first-order weighted-tardiness increase when ``x`` starts ``delay`` later."""
    if delay <= slack[x]:
        return 0.0
    return slope[x] * (delay - slack[x])


@njit(cache=True, inline="always")
def _job_advance(x, ahead, cap):
    """How much the completion of ``x``'s job moves (<= 0) when ``x`` ends ``ahead`` earlier."""
    return -(ahead if ahead < cap[x] else cap[x])


@njit(cache=True)
def price_moves(v, st, inst, aux, obj, tw, mode_seq, reassign, mk, out, n_out, limit):
    """Every move of ``v`` the acyclic test admits, as float64 rows (v, machine, after, duration,
    estimated cost change, 0) of ``out`` from row ``n_out``; returns the new count. The schedule
    is only read. ``aux`` = (op_job, cap, completion, slack, slope) of :func:`prepare`. Moves estimated
    above ``limit`` are left out; for the tardiness objectives (``tw >= 0``) the rest of a machine
    is skipped as soon as the change of ``v``'s own job exceeds it, since ``v`` ends no earlier
    further down a machine and the other terms (push, makespan) only add."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    elig_start, elig_machine, elig_duration, job_start, due, weight = inst
    op_job, cap, completion, slack, slope = aux
    m_old = assign[v]
    p_old = mp[v]
    s_old = ms[v]
    end_old = heads[v] + dur[v]
    jv = op_job[v]
    p_job = jp[v]
    s_job = js[v]
    tail_job = 0
    if s_job >= 0:
        tail_job = tails[s_job] + dur[s_job]
    # N5 positions: swap with the neighbour across a critical block's end
    swap_after = -2
    swap_before = -2
    if mode_seq == 1:
        into = p_old >= 0 and is_tight(p_old, v, heads, dur, tails, mk)
        outof = s_old >= 0 and is_tight(v, s_old, heads, dur, tails, mk)
        if outof and not into:
            swap_after = s_old
        if into and not outof:
            swap_before = mp[p_old]
    # leaving the old machine: its successor may start earlier (a reassignment's gain)
    leave = 0.0
    if s_old >= 0 and obj != 0:
        floor = rel[s_old]
        q = jp[s_old]
        if q >= 0 and heads[q] + dur[q] > floor:
            floor = heads[q] + dur[q]
        if p_old >= 0 and heads[p_old] + dur[p_old] > floor:
            floor = heads[p_old] + dur[p_old]
        ahead = heads[s_old] - floor
        if ahead > 0:
            leave = _tardiness_change(op_job[s_old], _job_advance(s_old, ahead, cap),
                                      completion, due, weight)
    for e in range(elig_start[v], elig_start[v + 1]):
        k = elig_machine[e]
        d = elig_duration[e]
        if k == m_old:
            if mode_seq == 0:
                continue
        elif not reassign:
            continue
        a = -1
        b = first[k]
        if b == v:
            b = ms[v]
        while True:
            if s_job >= 0 and a >= 0 and (a == s_job or heads[a] >= heads[s_job] + dur[s_job]):
                break  # js may reach a, and then every later a too: stop
            end = start_bound(v, a, heads, dur, rel, jp) + d
            est = 0.0
            if obj != 0:
                if end < end_old:  # v's job may finish earlier, as far as its chain lets it
                    est = _tardiness_change(jv, _job_advance(v, end_old - end, cap),
                                            completion, due, weight)
                elif s_job < 0:  # v ends its job
                    est = _tardiness_change(jv, end - end_old, completion, due, weight)
                elif end > heads[s_job]:  # it pushes its job successor
                    est = _delay_cost(s_job, end - heads[s_job], slack, slope)
                if k != m_old:
                    est += leave
                if obj == 2:
                    est *= tw
                if est > limit and (obj == 1 or tw >= 0):
                    break  # v ends no earlier further down k, and the rest only adds
            ok = p_job < 0 or b < 0 or (b != p_job and heads[p_job] < heads[b] + dur[b])
            if ok and k == m_old:
                if a == p_old:
                    ok = False
                elif mode_seq == 1 and a != swap_after and a != swap_before:
                    ok = False
            if ok:
                if obj != 0:
                    if b >= 0 and end > heads[b]:  # it pushes its new machine successor
                        pushed = _delay_cost(b, end - heads[b], slack, slope)
                        est += tw * pushed if obj == 2 else pushed
                if obj != 1:
                    tail = tail_job
                    if b >= 0 and tails[b] + dur[b] > tail:
                        tail = tails[b] + dur[b]
                    if end + tail > mk:
                        est += end + tail - mk
                if est > limit:
                    ok = False
            if ok:
                out[n_out, 0] = v
                out[n_out, 1] = k
                out[n_out, 2] = a
                out[n_out, 3] = d
                out[n_out, 4] = est
                out[n_out, 5] = 0.0
                n_out += 1
            if b < 0:
                break
            a = b
            b = ms[b]
            if b == v:
                b = ms[v]
    return n_out


@njit(cache=True)
def exact_cost(v, k, a, d, st, inst, obj, tw, h2, topo2):
    """The exact (makespan, cost) of moving ``v`` to machine ``k`` after ``a`` with duration ``d``,
    by one full evaluation into the scratch ``h2``/``topo2``; (-1, -1.0) when the move closes a
    cycle. The schedule is left as it was."""
    assign, dur, mp, ms, first, jp, js, rel, heads, tails, topo = st
    elig_start, elig_machine, elig_duration, job_start, due, weight = inst
    d_old = dur[v]
    m_old, p_old, s_old = apply_move(v, k, a, d, st)
    mk2 = heads_and_makespan(jp, js, mp, ms, dur, rel, h2, topo2)
    cost = -1.0
    if mk2 >= 0:
        cost = cost_of(obj, tw, mk2, h2, dur, job_start, due, weight)
    apply_move(v, m_old, p_old, d_old, st)
    return mk2, cost
