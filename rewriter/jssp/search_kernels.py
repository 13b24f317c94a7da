"""Non-neural local search on the disjunctive graph: random walk, greedy descent, tabu search.

They are the control any learned rewriting policy must beat, on the same moves and kernels.
Each search is a numba kernel that runs a *chunk* of steps on the flat arrays of a
:class:`~rewriter.jssp.schedule.JobShopSolution` and returns; the Python driver
(:func:`rewriter.jssp.solve.solve`) calls chunks until the step budget or time limit is spent, so
Ctrl-C and time limits are honoured within a few milliseconds and the best schedule is kept.

A *step* is one applied move (random walk, descent) or one tabu iteration. A move ``(x, w)``
moves operation ``x`` to the far side of ``w`` on their machine (:func:`~rewriter.jssp.kernels.relocate`):
for the swap neighbourhoods (N5, N1, adjacent) ``w`` is ``x``'s machine successor and the move is a
swap; the N7 insertions also move an operation past several others.

Tabu search (Taillard 1994; Nowicki & Smutnicki 1996 for N5)
- neighbourhood N5 (or N1 / all adjacent pairs): swaps of adjacent critical operations; or N7
  insertions (Zhang et al. 2007);
- each swap is scored by Taillard's O(1) estimate, each insertion exactly (apply, evaluate, undo);
  the best admissible move is applied and the graph made exact again: after a swap by the
  incremental update (:func:`~rewriter.jssp.kernels.swap_update`, the same heads and tails as a
  full evaluation in about half the time), after an insertion by a full evaluation;
- after swapping ``u, v`` the reverse swap is tabu (for N7: every move of ``u`` and ``v`` relative to
  each other) for a tenure drawn uniformly from ``[tenure_min, tenure_max]`` (default ``10 + n/m``
  to twice that), so the walk cannot undo it;
- aspiration: a tabu move is allowed when its estimate beats the best makespan found;
- ties: uniformly at random among the best admissible moves, or (``tie_break="pressure"``)
  every move is evaluated exactly and ties go to the lowest pressure
  (:func:`rewriter.jssp.features.pressure`, the move feature the learned policy sees);
- when every move is tabu, a random one is taken (the search never stalls);
- restarts: after ``stall`` steps (default 10000) without a new best, the search jumps back to the best
  schedule, perturbs it with a few random critical swaps and forgets the tabu list.

The tabu memory (:func:`new_tabu_table`) is an open-addressing hash table keyed by the move's pair
of operations, not an ``n_ops x n_ops`` matrix (a 2000 x 50 instance would need 75 GiB): each slot
holds the full key and the clock at which the entry expires, a lookup probes linearly until the key
or an empty slot, so it is exact (the search is the one a matrix gives, step for step); expired
slots are reused, and the table is rebuilt with its live entries (at most two per step of the
tenure) when half of it is in use, so its size is O(tenure) whatever the instance.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..shop.dag import copy_into
from ..shop.dynamic import sort_by_heads
from . import kernels as K
from .features import insertion_outcome
from ..seeding import kernel_seed

# move kinds as numba-friendly integers
MOVE_CODES = {"n5": 0, "n1": 1, "adjacent": 2, "n7": 3}
# how tabu search chooses among moves of equal makespan
TIE_BREAKS = {"random": 0, "pressure": 1}
# A search's counters, kept in one int64 array the kernels update in place: the KeyboardInterrupt
# of a Ctrl-C during a kernel call is raised at the first bytecode after it, so counters copied
# out of the returned tuple would lose that call's steps, best and restarts.
STEPS, BEST, RESTARTS = 0, 1, 2
COUNTERS = 3


def new_counters(best: int) -> np.ndarray:
    """The counters of a search starting at makespan ``best``: no steps, no restarts yet."""
    counters = np.zeros(COUNTERS, np.int64)
    counters[BEST] = best
    return counters


def new_tabu_table(tenure_max: int) -> np.ndarray:
    """An empty tabu memory for :func:`tabu_chunk`, sized for ``tenure_max``; it grows if needed.

    Row 0 holds the number of occupied slots; rows 1..capacity hold (key, expiry clock), key -1
    for an empty slot. The capacity is a power of two, at least 8x the entries that can be live.
    """
    live = 2 * (max(1, int(tenure_max)) + 1)  # a step stores at most two entries
    capacity = _TABLE_MIN
    while capacity < 8 * live and capacity < _TABLE_START_MAX:
        capacity *= 2
    return _empty_table(capacity)


_TABLE_MIN = 64
_TABLE_START_MAX = 1 << 16  # larger tenures start here and grow on demand


@njit(cache=True)
def _empty_table(capacity):
    table = np.empty((capacity + 1, 2), np.int64)
    table[:, 0] = -1
    table[:, 1] = 0
    table[0, 0] = 0
    return table


@njit(cache=True)
def _tabu_slot(key, mask):
    """The home slot of ``key``: a 64-bit mix (splitmix64's finaliser) of the pair's index."""
    x = key
    x ^= (x >> 30) & 0x3FFFFFFFF
    x *= -4658895280553007687  # 0xbf58476d1ce4e5b9 as int64; products wrap
    x ^= (x >> 27) & 0x1FFFFFFFFF
    x *= -7723592293110705685  # 0x94d049bb133111eb
    x ^= (x >> 31) & 0x1FFFFFFFF
    return x & mask


@njit(cache=True)
def tabu_lookup(table, key):
    """The clock at which the tabu entry ``key`` expires; 0 when there is none."""
    mask = table.shape[0] - 2
    i = _tabu_slot(key, mask)
    while True:
        k = table[i + 1, 0]
        if k == key:
            return table[i + 1, 1]
        if k < 0:
            return 0
        i = (i + 1) & mask


@njit(cache=True)
def tabu_store(table, key, until, clock):
    """Set entry ``key`` to expire at ``until``; returns the table (a new one after a rebuild).

    Entries expired at ``clock`` (expiry <= clock) are treated as absent and their slots reused.
    """
    mask = table.shape[0] - 2
    i = _tabu_slot(key, mask)
    free = -1
    while True:
        k = table[i + 1, 0]
        if k == key:
            table[i + 1, 1] = until
            return table
        if k < 0:
            break
        if free < 0 and table[i + 1, 1] <= clock:
            free = i
        i = (i + 1) & mask
    if free >= 0:  # the key is absent: an expired slot on its probe path takes it
        table[free + 1, 0] = key
        table[free + 1, 1] = until
        return table
    table[i + 1, 0] = key
    table[i + 1, 1] = until
    table[0, 0] += 1
    if 2 * table[0, 0] > mask + 1:
        table = _rebuild(table, clock)
    return table


@njit(cache=True)
def _rebuild(table, clock):
    """A table with only the live entries (expiry > clock), at most 1/8 full."""
    live = 0
    for i in range(1, table.shape[0]):
        if table[i, 0] >= 0 and table[i, 1] > clock:
            live += 1
    capacity = table.shape[0] - 1
    while 8 * live > capacity:
        capacity *= 2
    fresh = _empty_table(capacity)
    mask = capacity - 1
    for i in range(1, table.shape[0]):
        if table[i, 0] >= 0 and table[i, 1] > clock:
            j = _tabu_slot(table[i, 0], mask)
            while fresh[j + 1, 0] >= 0:
                j = (j + 1) & mask
            fresh[j + 1, 0] = table[i, 0]
            fresh[j + 1, 1] = table[i, 1]
    fresh[0, 0] = live
    return fresh


@njit(cache=True)
def _candidate_moves(kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, mach_pred,
                     mach_succ, heads, makespan, path, blocks, moves):
    """The moves of neighbourhood ``kind`` in the current schedule (see :data:`MOVE_KINDS`),
    written to ``moves``; returns their number. Operations from ``n_movable`` on never move."""
    length = 0
    if kind != 2:
        end = K.critical_end(job_last, duration, heads, makespan)
        length = K.critical_path_from(end, duration, job_pred, mach_pred, heads, path)
    if kind == 2:
        k = K.adjacent_moves(order, machine_start, job_succ, moves)
    elif kind == 1:
        k = K.n1_moves(path, length, mach_succ, job_succ, moves)
    elif kind == 3:
        k = K.n7_moves(path, length, mach_succ, job_succ, blocks, moves)
    else:
        k = K.n5_moves(path, length, mach_succ, job_succ, blocks, moves)
    if n_movable < duration.shape[0]:
        k = _movable_only(moves, k, n_movable)
    return k


@njit(cache=True)
def _movable_only(moves, k, n_movable):
    """Keep the moves of operations below ``n_movable`` only: the later ones are fixed (the
    boundary of a window, rewriter.jssp.window)."""
    kept = 0
    for i in range(k):
        if moves[i, 0] < n_movable and moves[i, 1] < n_movable:
            moves[kept, 0] = moves[i, 0]
            moves[kept, 1] = moves[i, 1]
            kept += 1
    return kept


@njit(cache=True)
def _apply(x, w, order, position, mach_pred, mach_succ):
    """Apply the move ``(x, w)``: ``x`` to the far side of ``w`` (a swap when they are adjacent)."""
    K.relocate(x, position[w], order, position, mach_pred, mach_succ)


@njit(cache=True)
def _outcome(x, w, duration, job_pred, job_succ, order, position, mach_pred, mach_succ, heads,
             tails, stack, seen, scratch_heads, scratch_topo, indegree, exact):
    """Makespan after the move ``(x, w)``, or -1 when it would create a cycle.

    Swaps are checked with :func:`flip_creates_cycle` and, unless ``exact``, rated by Taillard's
    estimate (a lower bound); insertions are applied, evaluated exactly and undone.
    """
    if mach_succ[x] == w or mach_pred[x] == w:
        u = x if mach_succ[x] == w else w
        v = w if u == x else x
        if K.flip_creates_cycle(u, v, duration, job_succ, mach_succ, heads, stack, seen):
            return -1
        if not exact:
            return K.swap_estimate(u, v, duration, job_pred, job_succ, mach_pred, mach_succ,
                                   heads, tails)
    left = K.relocate(x, position[w], order, position, mach_pred, mach_succ)
    mk = K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, scratch_heads,
                              scratch_topo, indegree)
    K.relocate(x, left, order, position, mach_pred, mach_succ)
    return mk


@njit(cache=True)
def _move_and_evaluate(x, w, order, position, duration, job_pred, job_succ, job_last, mach_pred, mach_succ,
                       heads, tails, topo, topo_pos, indegree, stack, seen, bits, local):
    """Apply the acyclic move ``(x, w)`` and return the new makespan, leaving heads, tails,
    ``topo`` and ``topo_pos`` exact: a swap updates only what it can change
    (:func:`~rewriter.jssp.kernels.swap_update`), an insertion re-evaluates the whole graph."""
    first = x if mach_succ[x] == w else (w if mach_pred[x] == w else -1)  # -1: an insertion
    _apply(x, w, order, position, mach_pred, mach_succ)
    if first >= 0:  # a swap of adjacent operations; ``first`` was before the other one
        return K.swap_update(first, x + w - first, duration, job_pred, job_succ, mach_pred,
                             mach_succ, job_last, heads, tails, topo, topo_pos, stack, seen, bits,
                             local)
    makespan = _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo,
                         indegree)
    K.topo_positions(topo, topo_pos)
    return makespan


@njit(cache=True)
def _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo, indegree):
    mk = K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads, topo,
                              indegree)
    K.tails_from_topo(duration, job_succ, mach_succ, topo, tails)
    return mk


@njit(cache=True)
def record_trace(step, makespan, trace, n_trace):
    """Append (step, makespan) to the improvement trace while it has room."""
    if n_trace < trace.shape[0]:
        trace[n_trace, 0] = step
        trace[n_trace, 1] = makespan
        return n_trace + 1
    return n_trace


@njit(cache=True)
def random_walk_chunk(n_steps, kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable,
                      position, mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path, blocks,
                      moves, stack, seen, scratch_heads, scratch_topo, makespan, best_order,
                      counters, trace):
    """Apply ``n_steps`` random acyclic moves; keep the best order. ``counters`` (see
    :data:`COUNTERS`) is read and updated in place. Returns (makespan, steps done, trace length)."""
    step0 = counters[STEPS]
    best = counters[BEST]
    n_trace = 0
    done = 0
    while done < n_steps:
        k = _candidate_moves(kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable,
                             mach_pred,
                             mach_succ, heads, makespan, path, blocks, moves)
        if k == 0:
            break
        applied = False
        for _ in range(8):  # a cyclic pick is re-drawn a bounded number of times
            i = np.random.randint(0, k)
            x = moves[i, 0]
            w = moves[i, 1]
            if _outcome(x, w, duration, job_pred, job_succ, order, position, mach_pred, mach_succ,
                        heads, tails, stack, seen, scratch_heads, scratch_topo, indegree,
                        False) >= 0:
                _apply(x, w, order, position, mach_pred, mach_succ)
                applied = True
                break
        if not applied:
            break
        makespan = _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails,
                             topo, indegree)
        done += 1
        if makespan < best:
            best = makespan
            copy_into(best_order, order)
            n_trace = record_trace(step0 + done, best, trace, n_trace)
    counters[STEPS] = step0 + done
    counters[BEST] = best
    return makespan, done, n_trace


@njit(cache=True)
def descent_chunk(n_steps, kind, first_improvement, order, machine_start, duration, job_pred,
                  job_succ, job_last, n_movable, position, mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path,
                  blocks, moves, stack, seen, scratch_heads, scratch_topo, makespan, best_order,
                  counters, trace):
    """Greedy descent with exact move evaluation: best improvement, or the first improving move
    in random order. Stops at a local optimum. ``counters`` (see :data:`COUNTERS`) is read and
    updated in place, ``best_order`` too. Returns (makespan, steps done, trace length,
    reached_local_optimum)."""
    step0 = counters[STEPS]
    n_trace = 0
    done = 0
    local_optimum = False
    while done < n_steps:
        k = _candidate_moves(kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable,
                             mach_pred,
                             mach_succ, heads, makespan, path, blocks, moves)
        if first_improvement:  # shuffle so "first" is not biased to the start of the path
            for i in range(k - 1, 0, -1):
                j = np.random.randint(0, i + 1)
                a = moves[i, 0]
                b = moves[i, 1]
                moves[i, 0] = moves[j, 0]
                moves[i, 1] = moves[j, 1]
                moves[j, 0] = a
                moves[j, 1] = b
        chosen = -1
        chosen_mk = makespan
        for i in range(k):
            x = moves[i, 0]
            w = moves[i, 1]
            # a swap's estimate is a lower bound: a move it does not rate better cannot improve
            mk = _outcome(x, w, duration, job_pred, job_succ, order, position, mach_pred,
                          mach_succ, heads, tails, stack, seen, scratch_heads, scratch_topo,
                          indegree, False)
            if mk < 0 or mk >= chosen_mk:
                continue
            if mach_succ[x] == w or mach_pred[x] == w:
                mk = _outcome(x, w, duration, job_pred, job_succ, order, position, mach_pred,
                              mach_succ, heads, tails, stack, seen, scratch_heads, scratch_topo,
                              indegree, True)
            if mk < chosen_mk:
                chosen = i
                chosen_mk = mk
                if first_improvement:
                    break
        if chosen < 0:
            local_optimum = True
            break
        _apply(moves[chosen, 0], moves[chosen, 1], order, position, mach_pred, mach_succ)
        makespan = _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails,
                             topo, indegree)
        done += 1
        n_trace = record_trace(step0 + done, makespan, trace, n_trace)
    counters[STEPS] = step0 + done
    if makespan < counters[BEST]:  # every step improves: the current order is the best
        copy_into(best_order, order)
        counters[BEST] = makespan
    return makespan, done, n_trace, local_optimum


@njit(cache=True)
def tabu_chunk(n_steps, kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, position,
               mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path, blocks, moves, stack,
               seen, scratch_heads, scratch_topo, makespan, best_order, counters, tabu_until,
               clock, tenure_min, tenure_max, stall, since_best, perturb, trace, lower_bound,
               tie_break, scratch_tails):
    """Run ``n_steps`` tabu iterations. ``tabu_until`` is the tabu memory (:func:`new_tabu_table`):
    the move (x, w) is forbidden while the expiry stored under the key ``x * N + w`` is > clock.

    ``counters`` (see :data:`COUNTERS`) is read and updated in place. Returns (makespan, clock,
    since_best, steps done, trace length, tabu_until): the memory may come back as a new, larger
    table. The search stops early when it proves optimality (no N5/N1 move exists, or best ==
    lower_bound). ``topo`` must be a topological order with its positions in ``topo_pos`` on
    entry (best sorted by heads, see :func:`~rewriter.shop.dynamic.sort_by_heads`); they are kept
    so.
    """
    n = duration.shape[0]
    bits = K.pending_bits(n)  # scratch of the incremental updates, all clear between steps
    local = K.local_update(n, n_movable)
    step0 = counters[STEPS]
    best = counters[BEST]
    n_trace = 0
    done = 0
    restarts = 0
    while done < n_steps:
        if best <= lower_bound:
            break
        k = _candidate_moves(kind, order, machine_start, duration, job_pred, job_succ, job_last, n_movable,
                             mach_pred,
                             mach_succ, heads, makespan, path, blocks, moves)
        if k == 0 and kind != 2:
            # no critical swap exists: the critical path is one machine block or one job, both
            # lower bounds, so this schedule is optimal
            if makespan < best:
                best = makespan
                copy_into(best_order, order)
                n_trace = record_trace(step0 + done, best, trace, n_trace)
            break
        chosen = -1
        chosen_est = 1 << 62
        chosen_pressure = 0.0
        ties = 0
        for i in range(k):
            u = moves[i, 0]
            v = moves[i, 1]
            swap = mach_succ[u] == v
            pressure = 0.0
            if tie_break == 1:  # exact makespan and pressure of every move
                est, pressure = insertion_outcome(u, v, duration, job_pred, job_succ, order,
                                                  position, mach_pred, mach_succ, scratch_heads,
                                                  scratch_tails, scratch_topo, indegree, makespan)
                if est < 0:
                    continue
            elif swap:
                est = K.swap_estimate(u, v, duration, job_pred, job_succ, mach_pred, mach_succ,
                                      heads, tails)
            else:  # insertions are rated exactly (and a cyclic one is never chosen)
                est = _outcome(u, v, duration, job_pred, job_succ, order, position, mach_pred,
                               mach_succ, heads, tails, stack, seen, scratch_heads,
                               scratch_topo, indegree, True)
                if est < 0:
                    continue
            if est >= best and tabu_lookup(tabu_until, u * n + v) > clock:
                continue
            if est < chosen_est or (est == chosen_est and pressure < chosen_pressure):
                if swap and tie_break == 0 and K.flip_creates_cycle(
                        u, v, duration, job_succ, mach_succ, heads, stack, seen):
                    continue
                chosen = i
                chosen_est = est
                chosen_pressure = pressure
                ties = 1
            elif est == chosen_est and pressure == chosen_pressure:
                ties += 1  # reservoir sampling among equally good moves
                if np.random.randint(0, ties) == 0:
                    if not swap or not K.flip_creates_cycle(u, v, duration, job_succ, mach_succ,
                                                            heads, stack, seen):
                        chosen = i
        if chosen < 0:  # everything tabu: take a random acyclic move
            for _ in range(8):
                i = np.random.randint(0, k) if k > 0 else -1
                if i < 0:
                    break
                if _outcome(moves[i, 0], moves[i, 1], duration, job_pred, job_succ, order,
                            position, mach_pred, mach_succ, heads, tails, stack, seen,
                            scratch_heads, scratch_topo, indegree, False) >= 0:
                    chosen = i
                    break
        if chosen < 0:
            # stuck (every move tabu and every random one cyclic, as zero durations allow): the
            # iteration still counts, so a chunk always ends, and a restart follows
            since_best = stall
            done += 1
            clock += 1
        else:
            u = moves[chosen, 0]
            v = moves[chosen, 1]
            makespan = _move_and_evaluate(u, v, order, position, duration, job_pred, job_succ, job_last,
                                          mach_pred, mach_succ, heads, tails, topo, topo_pos,
                                          indegree, stack, seen, bits, local)
            until = clock + tenure_min + np.random.randint(0, tenure_max - tenure_min + 1)
            tabu_until = tabu_store(tabu_until, v * n + u, until, clock)
            if kind == 3:  # N7 lists a swap in both orientations, and x, w in either order
                tabu_until = tabu_store(tabu_until, u * n + v, until, clock)
            clock += 1
            done += 1
            since_best += 1
            if makespan < best:
                best = makespan
                copy_into(best_order, order)
                since_best = 0
                n_trace = record_trace(step0 + done, best, trace, n_trace)
        if since_best >= stall:
            # restart from the best schedule, perturbed by random critical swaps
            makespan = restart_from(best_order, perturb, order, machine_start, duration,
                                    job_pred, job_succ, job_last, n_movable, position, mach_pred, mach_succ, heads,
                                    tails, topo, topo_pos, indegree, path, blocks, moves, stack, seen)
            clock += tenure_max + 1  # every tabu entry expires
            since_best = 0
            restarts += 1
    counters[STEPS] = step0 + done
    counters[BEST] = best
    counters[RESTARTS] += restarts
    return makespan, clock, since_best, done, n_trace, tabu_until


@njit(cache=True)
def restart_from(source, k, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, position,
                 mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path, blocks, moves, stack,
                 seen):
    """Load the order ``source`` into the solution, then :func:`perturb` it with ``k`` random
    critical swaps (tabu search's restart; the controlled search's restarts too). Returns the
    makespan; heads and tails are left exact."""
    copy_into(order, source)
    K.machine_links(order, machine_start, mach_pred, mach_succ, position)
    makespan = _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo,
                         indegree)
    return perturb(k, makespan, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, position,
                   mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path, blocks, moves, stack,
                   seen)


@njit(cache=True)
def perturb(k, makespan, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, position,
            mach_pred, mach_succ, heads, tails, topo, topo_pos, indegree, path, blocks, moves, stack, seen):
    """Flip up to ``k`` random critical arcs (N1 pairs; a flip that would close a cycle is
    skipped) of the solution whose heads and ``makespan`` are exact; returns the new makespan.
    Leaves heads, tails, ``topo`` (sorted by heads) and ``topo_pos`` exact."""
    for _ in range(k):
        kk = _candidate_moves(1, order, machine_start, duration, job_pred, job_succ, job_last, n_movable, mach_pred,
                              mach_succ, heads, makespan, path, blocks, moves)
        if kk == 0:
            break
        i = np.random.randint(0, kk)
        if not K.flip_creates_cycle(moves[i, 0], moves[i, 1], duration, job_succ, mach_succ,
                                    heads, stack, seen):
            K.flip_arc(moves[i, 0], moves[i, 1], order, position, mach_pred, mach_succ)
            makespan = _evaluate(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails,
                                 topo, indegree)
    sort_by_heads(topo, topo_pos, heads)  # tabu search's swaps keep this order up to date
    return makespan


def seed_numba(seed: int) -> None:
    """Seed numba's own generator (separate from NumPy's), used by the kernels above.

    ``seed``: 0 <= seed < 2**63, mapped to numba's 32-bit seed by
    :func:`rewriter.seeding.kernel_seed` (itself below 2**32, never wrapped above).
    """
    _seed_numba(kernel_seed(seed))


@njit(cache=True)
def _seed_numba(seed):
    np.random.seed(seed)
