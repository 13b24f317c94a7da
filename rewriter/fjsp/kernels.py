"""numba kernels over a flexible job-shop schedule in flat arrays.

A schedule fixes each operation's machine (``assign``) and each machine's order
(``mach_pred`` / ``mach_succ``, -1 at the ends). Its DAG has the job chains (``job_pred``) and
the machine sequences as arcs; an operation starts at the longest path to it, and never before
its job's release date (``op_release``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..shop.dag import tails_from_topo  # noqa: F401  (shared with the other shop problems)


@njit(cache=True)
def heads_and_makespan(job_pred, job_succ, mach_pred, mach_succ, dur, op_release, heads, topo):
    """Earliest starts by Kahn's algorithm over job and machine arcs; fills ``heads`` and
    ``topo`` (a topological order) and returns the makespan, or -1 if the machine orders make a
    cycle (then ``heads`` is incomplete)."""
    n = dur.shape[0]
    indeg = np.zeros(n, np.int64)
    for o in range(n):
        if job_pred[o] >= 0:
            indeg[o] += 1
        if mach_pred[o] >= 0:
            indeg[o] += 1
    head = 0
    tail = 0
    for o in range(n):
        heads[o] = op_release[o]
        if indeg[o] == 0:
            topo[tail] = o
            tail += 1
    makespan = 0
    while head < tail:
        o = topo[head]
        head += 1
        end = heads[o] + dur[o]
        if end > makespan:
            makespan = end
        for s in (job_succ[o], mach_succ[o]):
            if s >= 0:
                if end > heads[s]:
                    heads[s] = end
                indeg[s] -= 1
                if indeg[s] == 0:
                    topo[tail] = s
                    tail += 1
    if tail < n:
        return -1
    return makespan


@njit(cache=True)
def job_completion(job_start, heads, dur, completion):
    """End of each job's last operation."""
    for j in range(job_start.shape[0] - 1):
        last = job_start[j + 1] - 1
        completion[j] = heads[last] + dur[last]
