"""What the learned policy sees of a job-shop solution: node features, levels, move features.

Numba kernels over the same flat arrays as :mod:`rewriter.jssp.kernels`. Times are divided by
the makespan and durations by the longest duration so the features mean the same thing on a
10x10 training instance and on a 100x20 benchmark.

Besides Taillard's estimate, every move carries its exact outcome: :func:`flip_outcomes` applies
each flip, recomputes the makespan and flips back (a few microseconds per move on 30x20). Greedy
descent is then one argmin away, and what the policy has to learn is what greedy cannot see: when
a worse or equal move opens the way out of a local optimum. The memory features (how recently a
pair was flipped or an operation moved) are what a tabu list keeps; the state records them.

Many moves tie on makespan once several critical paths run in parallel (most of the early
descent on 50x20). What separates them is how many other paths they push towards the makespan:
the *pressure* of a schedule, the mean over operations of (longest path through the operation /
makespan)^2, is 1 when everything is critical and falls as paths get slack. Breaking makespan
ties by lower pressure took tabu search over N7 from 13.2% to 11.5% after 200 steps on
ta61-70 (random tie-breaks otherwise), so every move carries its pressure change too.

Makespan differences between good moves are a few time units, a few thousandths of the scaled
``exact_change``: too fine for a small MLP to rank. The rank features say it directly: where
the move's outcome ranks among the state's candidates, and whether it is the lowest makespan
or the lowest pressure at its makespan.
"""

from __future__ import annotations

from numba import njit

from .kernels import flip_arc, heads_and_makespan, relocate, swap_estimate, tails_from_topo

NODE_FEATURES = (
    "duration",           # duration / longest duration
    "start",              # head / makespan
    "end",                # (head + duration) / makespan
    "tail",               # tail / makespan
    "slack",              # (makespan - longest path through the node) / makespan
    "critical",           # 1 when the node is on a longest path
    "job_position",       # index in the job's route / (route length - 1)
    "machine_position",   # index in the machine's sequence / (n_on_machine - 1)
    "job_remaining",      # remaining work of the job from this operation / makespan
    "idle_before",        # gap after the machine predecessor's end / longest duration
    "job_wait",           # gap after the job predecessor's end / longest duration
)
MOVE_FEATURES = (
    "estimate_change",    # (Taillard estimate - makespan) / makespan x 10 (insertions: exact)
    "estimate_improves",  # 1 when the estimate is below the makespan
    "duration_change",    # (duration of region - duration of partner) / longest duration
    "partner_follows",    # 1 when the partner is the region's machine successor
    "exact_change",       # (makespan after the flip - makespan) / makespan x 10
    "exact_improves",     # 1 when the flip lowers the makespan
    "versus_best",        # (makespan after the flip - best makespan so far) / makespan x 10
    "pair_recency",       # 1 - (steps since this pair was last flipped) / MEMORY, floored at 0
    "region_recency",     # 1 - (steps since the region operation last moved) / MEMORY, floored at 0
    "pressure_change",    # (pressure after the move - pressure now) x 100, both over today's makespan
    "outcome_rank",       # share of the candidates with a strictly lower makespan after their move
    "lowest_outcome",     # 1 when no candidate gives a lower makespan
    "lowest_pressure",    # 1 when no candidate with the same makespan after gives a lower pressure
)
MEMORY = 32  # steps after which a flip is forgotten (tabu tenures are 10-40 on benchmark sizes)


@njit(cache=True)
def node_features(duration, job_pred, mach_pred, position, machine_start, op_machine,
                  remaining_work, op_index, op_job, job_length, heads, tails, makespan, out):
    n = duration.shape[0]
    longest = 1
    for v in range(n):
        if duration[v] > longest:
            longest = duration[v]
    c = max(makespan, 1)
    for v in range(n):
        d = duration[v]
        h = heads[v]
        q = tails[v]
        slack = c - h - d - q
        out[v, 0] = d / longest
        out[v, 1] = h / c
        out[v, 2] = (h + d) / c
        out[v, 3] = q / c
        out[v, 4] = slack / c
        out[v, 5] = 1.0 if slack == 0 else 0.0
        out[v, 6] = op_index[v] / max(job_length[op_job[v]] - 1, 1)  # routes of any length
        mach = op_machine[v]
        on_machine = machine_start[mach + 1] - machine_start[mach]
        out[v, 7] = (position[v] - machine_start[mach]) / max(on_machine - 1, 1)
        out[v, 8] = remaining_work[v] / c
        p = mach_pred[v]
        out[v, 9] = (h - heads[p] - duration[p]) / longest if p >= 0 else h / longest
        p = job_pred[v]
        out[v, 10] = (h - heads[p] - duration[p]) / longest if p >= 0 else h / longest


@njit(cache=True)
def pressure(duration, heads, tails, makespan):
    """Mean over operations of ((head + duration + tail) / makespan)^2 (see the module doc)."""
    n = duration.shape[0]
    c = max(makespan, 1)
    total = 0.0
    for v in range(n):
        x = (heads[v] + duration[v] + tails[v]) / c
        total += x * x
    return total / max(n, 1)


@njit(cache=True)
def node_levels(job_pred, mach_pred, topo, level):
    """level[v] = 0 without predecessors, else 1 + max level of the job and machine predecessors."""
    for idx in range(topo.shape[0]):
        v = topo[idx]
        best = -1
        p = job_pred[v]
        if p >= 0 and level[p] > best:
            best = level[p]
        p = mach_pred[v]
        if p >= 0 and level[p] > best:
            best = level[p]
        level[v] = best + 1


@njit(cache=True)
def both_directions(moves, k, out):
    """Each move (u, v) as the pair (u, v) and the pair (v, u); returns the pair count."""
    for i in range(k):
        out[2 * i, 0] = moves[i, 0]
        out[2 * i, 1] = moves[i, 1]
        out[2 * i + 1, 0] = moves[i, 1]
        out[2 * i + 1, 1] = moves[i, 0]
    return 2 * k


@njit(cache=True)
def flip_outcomes(moves, k, duration, job_pred, job_succ, order, position, mach_pred, mach_succ,
                  heads, tails, topo, indegree, makespan, after, after_pressure):
    """Makespan after flipping each move ``(u, v)`` of ``moves[:k]`` (-1 when it makes a cycle)
    and the pressure after it, measured against ``makespan`` (the makespan now).

    Every flip is applied to the solution's own arrays and undone before the next one, so they
    end unchanged; ``heads``, ``tails``, ``topo`` and ``indegree`` are scratch arrays.
    """
    for i in range(k):
        u = moves[i, 0]
        v = moves[i, 1]
        flip_arc(u, v, order, position, mach_pred, mach_succ)
        after[i], after_pressure[i] = makespan_and_pressure(
            duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo, indegree,
            makespan)
        flip_arc(v, u, order, position, mach_pred, mach_succ)


@njit(cache=True)
def insertion_outcomes(moves, k, duration, job_pred, job_succ, order, position, mach_pred,
                       mach_succ, heads, tails, topo, indegree, makespan, after, after_pressure):
    """Makespan and pressure after each insertion ``(x, w)`` of ``moves[:k]`` ("move x to the
    far side of w", :func:`~rewriter.jssp.kernels.relocate`), makespan -1 when it makes a cycle;
    arrays end unchanged."""
    for i in range(k):
        after[i], after_pressure[i] = insertion_outcome(
            moves[i, 0], moves[i, 1], duration, job_pred, job_succ, order, position, mach_pred,
            mach_succ, heads, tails, topo, indegree, makespan)


@njit(cache=True)
def insertion_outcome(x, w, duration, job_pred, job_succ, order, position, mach_pred, mach_succ,
                      heads, tails, topo, indegree, makespan):
    """Makespan (-1 on a cycle) and pressure after moving ``x`` to the far side of ``w``; the
    solution's arrays end unchanged, the others are scratch."""
    left = relocate(x, position[w], order, position, mach_pred, mach_succ)
    after = makespan_and_pressure(duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                                  tails, topo, indegree, makespan)
    relocate(x, left, order, position, mach_pred, mach_succ)
    return after


@njit(cache=True)
def makespan_and_pressure(duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo,
                          indegree, makespan):
    """The makespan of the current machine orders (-1 on a cycle) and their pressure measured
    against ``makespan``; ``heads``, ``tails``, ``topo``, ``indegree`` are scratch arrays."""
    after = heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads, topo,
                               indegree)
    if after < 0:
        return after, 0.0
    tails_from_topo(duration, job_succ, mach_succ, topo, tails)
    return after, pressure(duration, heads, tails, makespan)


@njit(cache=True)
def move_features(pairs, k, duration, job_pred, job_succ, position, mach_pred, mach_succ, heads,
                  tails, makespan, after, pressure_now, after_pressure, best, pair_age, region_age,
                  out):
    """Features of ``pairs[:k]``; ``after`` and ``after_pressure`` hold each pair's makespan
    and pressure after the move and the ages count steps since the pair was flipped / the
    region moved (negative: never).

    A pair ``(a, b)`` moves ``a`` to the far side of ``b``; for a swap (``a`` and ``b`` adjacent)
    that is the same rewrite in either orientation. Taillard's estimate only exists for swaps:
    an insertion's estimate is its exact outcome."""
    longest = 1
    for v in range(duration.shape[0]):
        if duration[v] > longest:
            longest = duration[v]
    c = max(makespan, 1)
    for i in range(k):
        a = pairs[i, 0]
        b = pairs[i, 1]
        follows = position[b] > position[a]
        if mach_succ[a] == b or mach_pred[a] == b:
            u = a if follows else b
            v = b if follows else a
            est = swap_estimate(u, v, duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                                tails)
        else:
            est = after[i]
        out[i, 0] = 10.0 * (est - makespan) / c
        out[i, 1] = 1.0 if est < makespan else 0.0
        out[i, 2] = (duration[a] - duration[b]) / longest
        out[i, 3] = 1.0 if follows else 0.0
        out[i, 4] = 10.0 * (after[i] - makespan) / c
        out[i, 5] = 1.0 if after[i] < makespan else 0.0
        out[i, 6] = 10.0 * (after[i] - best) / c
        out[i, 7] = max(0.0, 1.0 - pair_age[i] / MEMORY) if pair_age[i] >= 0 else 0.0
        out[i, 8] = max(0.0, 1.0 - region_age[i] / MEMORY) if region_age[i] >= 0 else 0.0
        out[i, 9] = 100.0 * (after_pressure[i] - pressure_now)
    lowest = 1 << 62
    for i in range(k):
        if after[i] < lowest:
            lowest = after[i]
    for i in range(k):
        below = 0
        least = True
        for j in range(k):
            if after[j] < after[i]:
                below += 1
            elif after[j] == after[i] and after_pressure[j] < after_pressure[i]:
                least = False
        out[i, 10] = below / k
        out[i, 11] = 1.0 if after[i] == lowest else 0.0
        out[i, 12] = 1.0 if least else 0.0
