"""Constructive schedules for the flexible job shop: a job rule combined with a machine rule.

At every step the *candidates* are the next unscheduled operation of every job. The machine rule
picks each candidate's machine among its eligible ones:

* ``eet``: the earliest end time (start = max(job ready, machine free)), ties to the shorter duration;
* ``spt``: the shortest processing time, ties to the earliest end;
* ``lload``: the least loaded machine so far (assigned work), ties to the earliest end.

Generation is *active* (Giffler-Thompson): with C* the earliest end among the candidates, the
conflict set is every candidate that can start before C*, and the job rule picks one of them:
``fifo`` (earliest possible start), ``mwkr`` (most work remaining, mean durations), ``mor``
(most operations remaining), ``spt`` (shortest duration on its machine), ``edd`` (earliest due
date; jobs without one last) or ``random``. Remaining ties go to the lower job index. The
operation is appended to its machine, so every start is the earliest the job order, the machine
order and the release date allow. A rule is named ``JOB-MACHINE`` (``mwkr-eet``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..errors import InputError
from ..seeding import kernel_seed
from .instance import NO_DUE, FlexibleInstance

JOB_RULES = ("fifo", "mwkr", "mor", "spt", "edd", "random")
MACHINE_RULES = ("eet", "spt", "lload")
RULES = tuple(f"{j}-{m}" for j in JOB_RULES for m in MACHINE_RULES)


def split_rule(rule: str) -> tuple[int, int]:
    job, _, machine = rule.partition("-")
    if job not in JOB_RULES or machine not in MACHINE_RULES:
        raise InputError(f"unknown flexible-shop rule {rule!r}; expected JOB-MACHINE with JOB one of "
                         f"{', '.join(JOB_RULES)} and MACHINE one of {', '.join(MACHINE_RULES)} "
                         "(e.g. mwkr-eet)")
    return JOB_RULES.index(job), MACHINE_RULES.index(machine)


def dispatch(instance: FlexibleInstance, rule: str = "mwkr-eet", seed: int = 0):
    """(machine per operation, start per operation, the order operations were scheduled in) of
    the ``rule`` schedule; each machine runs its operations in that order."""
    job_rule, machine_rule = split_rule(rule)
    inst = instance
    assign = np.empty(inst.n_operations, np.int64)
    start = np.empty(inst.n_operations, np.int64)
    order = np.empty(inst.n_operations, np.int64)
    _dispatch(inst.job_start, inst.elig_start, inst.elig_machine, inst.elig_duration,
              inst.release, inst.due, inst.n_machines, job_rule, machine_rule,
              kernel_seed(seed), assign, start, order)
    return assign, start, order


def dispatch_schedule(instance: FlexibleInstance, rule: str = "mwkr-eet", seed: int = 0):
    """The ``rule`` schedule as a :class:`~rewriter.fjsp.schedule.FlexibleSchedule`."""
    from .schedule import FlexibleSchedule

    assign, _, order = dispatch(instance, rule, seed)
    sequences = [[] for _ in range(instance.n_machines)]
    for o in order.tolist():
        sequences[int(assign[o])].append(o)
    return FlexibleSchedule(instance, assign, sequences)


@njit(cache=True)
def _dispatch(job_start, elig_start, elig_machine, elig_duration, release, due, n_machines,
              job_rule, machine_rule, seed, assign, start, order):
    np.random.seed(seed)
    n_jobs = job_start.shape[0] - 1
    n_ops = elig_start.shape[0] - 1
    mean_dur = np.empty(n_ops, np.float64)
    for o in range(n_ops):
        total = 0.0
        for e in range(elig_start[o], elig_start[o + 1]):
            total += elig_duration[e]
        mean_dur[o] = total / (elig_start[o + 1] - elig_start[o])
    work = np.zeros(n_jobs, np.float64)
    for j in range(n_jobs):
        for o in range(job_start[j], job_start[j + 1]):
            work[j] += mean_dur[o]
    nxt = job_start[:-1].copy()
    ready = release.copy()
    free = np.zeros(n_machines, np.int64)
    load = np.zeros(n_machines, np.int64)
    c_start = np.empty(n_jobs, np.int64)
    c_end = np.empty(n_jobs, np.int64)
    c_mach = np.empty(n_jobs, np.int64)
    c_dur = np.empty(n_jobs, np.int64)
    conflict = np.empty(n_jobs, np.int64)
    for step in range(n_ops):
        best_end = np.iinfo(np.int64).max
        for j in range(n_jobs):
            if nxt[j] >= job_start[j + 1]:
                continue
            o = nxt[j]
            bm, bs, bd = -1, 0, 0
            for e in range(elig_start[o], elig_start[o + 1]):
                m = elig_machine[e]
                d = elig_duration[e]
                s = max(ready[j], free[m])
                if bm < 0:
                    better = True
                elif machine_rule == 0:  # earliest end, then shorter
                    better = s + d < bs + bd or (s + d == bs + bd and d < bd)
                elif machine_rule == 1:  # shortest, then earliest end
                    better = d < bd or (d == bd and s + d < bs + bd)
                else:  # least loaded, then earliest end
                    better = load[m] < load[bm] or (load[m] == load[bm] and s + d < bs + bd)
                if better:
                    bm, bs, bd = m, s, d
            c_mach[j], c_start[j], c_dur[j], c_end[j] = bm, bs, bd, bs + bd
            if bs + bd < best_end:
                best_end = bs + bd
        n_conf = 0
        for j in range(n_jobs):
            if nxt[j] < job_start[j + 1] and c_start[j] < best_end:
                conflict[n_conf] = j
                n_conf += 1
        if n_conf == 0:  # zero-duration operations: every candidate ends at its start
            for j in range(n_jobs):
                if nxt[j] < job_start[j + 1] and c_end[j] == best_end:
                    conflict[n_conf] = j
                    n_conf += 1
        if job_rule == 5:
            pick = conflict[np.random.randint(n_conf)]
        else:
            pick = conflict[0]
            for k in range(1, n_conf):
                j = conflict[k]
                if job_rule == 0:
                    better = c_start[j] < c_start[pick]
                elif job_rule == 1:
                    better = work[j] > work[pick]
                elif job_rule == 2:
                    better = job_start[j + 1] - nxt[j] > job_start[pick + 1] - nxt[pick]
                elif job_rule == 3:
                    better = c_dur[j] < c_dur[pick]
                else:
                    dj = due[j] if due[j] != -1 else np.iinfo(np.int64).max
                    dp = due[pick] if due[pick] != -1 else np.iinfo(np.int64).max
                    better = dj < dp or (dj == dp and c_start[j] < c_start[pick])
                if better:
                    pick = j
        o = nxt[pick]
        m, s, d = c_mach[pick], c_start[pick], c_dur[pick]
        assign[o] = m
        start[o] = s
        order[step] = o
        free[m] = s + d
        load[m] += d
        ready[pick] = s + d
        work[pick] -= mean_dur[o]
        nxt[pick] += 1


assert NO_DUE == -1  # the kernel reads -1 as "no due date"
