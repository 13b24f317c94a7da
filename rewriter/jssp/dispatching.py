"""Priority dispatching rules: fast initial job-shop schedules.

A dispatcher schedules one operation per step. At every step the *candidates* are the next
unscheduled operation of every unfinished job; for a candidate ``o`` of job ``j`` on machine ``M``

* ``ready(o)``  = completion time of job j's previous operation (0 for its first operation),
* ``est(o)``    = max(ready(o), completion time of the last operation scheduled on M),
* ``ect(o)``    = est(o) + p(o).

Schedule generation schemes (``mode``)
---------------------------------------
``"active"`` (Giffler-Thompson)
    C* = min ect over the candidates; M* = the machine of a candidate reaching C* (if several
    machines reach C*, the **smallest machine index**). The conflict set is every candidate on M*
    with est < C*. The rule picks one operation of the conflict set; it starts at its est.
    Every schedule produced this way is active (no operation can be moved earlier without delaying
    another one).
``"nondelay"``
    t* = min est over the candidates. The conflict set is every candidate with est == t*, on any
    machine (across machines the choice is made by the same rule key, then job index). The rule
    picks one; it starts at t*. No machine is ever left idle while an operation for it is ready.

(Which machine goes first among machines tied at C*, or across machines at t*, never changes the
schedule of a deterministic rule: the operation scheduled on one machine ends at or after C* (t*),
so it cannot enter or leave another machine's conflict set. It only changes the order of the
``random`` draws.)

Rules (``rule``): the operation of the conflict set with the SMALLEST key is chosen
-------------------------------------------------------------------------------------
Ties on the key are broken by the **smaller job index** (a conflict set never holds two
operations of the same job, so this is a total order). ``k`` is the position of the operation in
its job's route (0-based), ``m`` the route length.

========  ============================================  ==========================================
rule      meaning                                       key (smallest wins)
========  ============================================  ==========================================
fifo      first in, first out                           ready(o): the job's previous op's end (0)
spt       shortest processing time                      p(o)
lpt       longest processing time                       -p(o)
mwkr      most work remaining (incl. the op itself)     -remaining_work[o]
lwkr      least work remaining (incl. the op itself)    remaining_work[o]
mor       most operations remaining (incl. the op)      -(m - k)
lor       fewest operations remaining (incl. the op)    m - k
sjf       shortest job (total processing time)          job_work[j]
ejf       earliest possible start                       est(o)
random    uniform random choice in the conflict set     (no key, no ties)
========  ============================================  ==========================================

``random`` draws from numba's own generator, seeded from ``seed`` inside the compiled kernel, so
one seed always yields the same schedule; ``seed=None`` draws a fresh seed. Other rules ignore
``seed``.

The result's ``order`` is the machine-major operation order (machine i's sequence, in processing
order, is ``order[instance.machine_start[i]:instance.machine_start[i + 1]]``) and ``starts`` the
start time of every flat operation id ``job_start[j] + k`` (``j * m + k`` when every job has m
operations). Routes of any length and re-entrant ones (a job visiting a machine several times) are
supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import InputError
from ..seeding import kernel_seed as numba_seed
from .instance import JobShopInstance

RULES = ("fifo", "spt", "lpt", "mwkr", "lwkr", "mor", "lor", "sjf", "ejf", "random")
MODES = ("active", "nondelay")

# Integer codes of the rules inside the kernel (the index in RULES).
_FIFO, _SPT, _LPT, _MWKR, _LWKR, _MOR, _LOR, _SJF, _EJF, _RANDOM = range(len(RULES))


@dataclass(eq=False)
class DispatchResult:
    """A dispatched schedule: machine-major ``order``, ``starts`` per flat op id, its makespan."""

    order: np.ndarray
    starts: np.ndarray
    makespan: int
    rule: str
    mode: str

    def start_matrix(self, n_machines: int) -> np.ndarray:
        """Start times as an (n_jobs, n_machines) matrix, ``[j, k]`` = op k of job j."""
        return self.starts.reshape(-1, n_machines)


def _static_keys(instance: JobShopInstance, code: int) -> np.ndarray:
    """Per-operation priority keys of the rules whose key does not depend on the schedule."""
    if code == _SPT:
        return instance.op_duration.astype(np.int64)
    if code == _LPT:
        return -instance.op_duration.astype(np.int64)
    if code == _MWKR:
        return -instance.remaining_work.astype(np.int64)
    if code == _LWKR:
        return instance.remaining_work.astype(np.int64)
    # operations remaining in the job, the operation itself included
    left = instance.job_length[instance.op_job] - instance.op_index
    if code == _MOR:
        return -left.astype(np.int64)
    if code == _LOR:
        return left.astype(np.int64)
    if code == _SJF:
        return instance.job_work[instance.op_job].astype(np.int64)
    # fifo / ejf are computed in the kernel, random has no key.
    return np.zeros(instance.n_operations, dtype=np.int64)


@njit(cache=True)
def _machine_value(bucket, bucket_base, bcount, mc, job_ready, mach_ready, current, durations,
                   nondelay):
    """Smallest est (non-delay) or ect (active) among the candidates waiting for machine ``mc``."""
    best = np.iinfo(np.int64).max
    mr = mach_ready[mc]
    base = bucket_base[mc]
    for i in range(bcount[mc]):
        j = bucket[base + i]
        v = job_ready[j]
        if mr > v:
            v = mr
        if not nondelay:
            v += durations[current[j]]
        if v < best:
            best = v
    return best


@njit(cache=True)
def _tree_update(tree, size, mval, mc):
    """Machine ``mc``'s value changed: replay its matches up the tournament tree, whose node k
    holds the machine of least ``mval`` (smallest index on ties) below it; leaves at size + i,
    -1 for the padding."""
    k = (size + mc) >> 1
    while k >= 1:
        a = tree[2 * k]
        b = tree[2 * k + 1]
        if b < 0 or (a >= 0 and mval[a] <= mval[b]):  # a < b as indices: a wins a tie
            tree[k] = a
        else:
            tree[k] = b
        k >>= 1


@njit(cache=True)
def _tree_ties(tree, size, mval, value, out):
    """The machines whose ``mval`` equals ``value`` (the minimum), in increasing order, into
    ``out``; returns how many. Only subtrees whose winner reaches ``value`` are entered."""
    count = 0
    stack = np.empty(64, dtype=np.int64)
    top = 0
    stack[0] = 1
    top = 1
    while top > 0:
        top -= 1
        k = stack[top]
        winner = tree[k]
        if winner < 0 or mval[winner] != value:
            continue
        if k >= size:
            out[count] = winner
            count += 1
            continue
        stack[top] = 2 * k + 1  # right below left: the left subtree comes out first
        stack[top + 1] = 2 * k
        top += 2
    return count


@njit(cache=True)
def _bucket_bases(job_start, op_machine, n_mach):
    """CSR offsets of the per-machine candidate buckets. A job waits in one bucket at a time, so
    machine i's bucket never holds more than min(n_jobs, number of jobs that visit i) entries:
    the buckets take O(operations) memory, not n_jobs x n_machines."""
    n = job_start.shape[0] - 1
    capacity = np.zeros(n_mach, dtype=np.int64)
    last_job = np.full(n_mach, -1, dtype=np.int64)
    for j in range(n):
        for op in range(job_start[j], job_start[j + 1]):
            mc = op_machine[op]
            if last_job[mc] != j:
                last_job[mc] = j
                capacity[mc] += 1
    bases = np.zeros(n_mach + 1, dtype=np.int64)
    for mc in range(n_mach):
        bases[mc + 1] = bases[mc] + capacity[mc]
    return bases


@njit(cache=True)
def _dispatch_kernel(job_start, n_mach, durations, machines, machine_start, keys, rule, nondelay,
                     seed):
    """Build a schedule; returns (order machine-major, starts per flat op id, makespan).

    ``durations``/``machines``/``keys`` are flat per op id (job j's operations are
    ``job_start[j]:job_start[j + 1]``, routes of any length); ``rule`` is an index in RULES;
    ``nondelay`` selects the non-delay scheme instead of Giffler-Thompson.

    The candidates (next op of every unfinished job) are kept in one bucket per machine, with the
    smallest ect (active) or est (non-delay) of each bucket cached in ``mval``; a step then costs
    O(log n_machines + size of the buckets it touches) instead of O(n_jobs) (a non-delay step
    also visits every machine tied at t*).
    """
    n = job_start.shape[0] - 1
    n_ops = durations.shape[0]
    inf = np.iinfo(np.int64).max
    current = job_start[:n].copy()  # the next unscheduled operation of every job
    job_ready = np.zeros(n, dtype=np.int64)
    mach_ready = np.zeros(n_mach, dtype=np.int64)
    fill = machine_start[:n_mach].copy()
    order = np.empty(n_ops, dtype=np.int64)
    starts = np.empty(n_ops, dtype=np.int64)
    bucket_base = _bucket_bases(job_start, machines, n_mach)
    bucket = np.empty(bucket_base[n_mach], dtype=np.int64)
    bcount = np.zeros(n_mach, dtype=np.int64)
    slot = np.empty(n, dtype=np.int64)  # position of job j in its machine's bucket
    mval = np.full(n_mach, inf, dtype=np.int64)
    cand = np.empty(n, dtype=np.int64)
    for j in range(n):
        op = job_start[j]
        mc = machines[op]
        slot[j] = bcount[mc]
        bucket[bucket_base[mc] + bcount[mc]] = j
        bcount[mc] += 1
        v = 0 if nondelay else durations[op]
        if v < mval[mc]:
            mval[mc] = v
    # The machine of least mval (smallest index on ties) in a tournament tree: O(log n_machines)
    # per step instead of a scan of every machine (at 1000 x 1000 the scans were most of the time).
    size = 1
    while size < n_mach:
        size *= 2
    tree = np.full(2 * size, -1, dtype=np.int64)
    for mc in range(n_mach):
        tree[size + mc] = mc
    for k in range(size - 1, 0, -1):
        a = tree[2 * k]
        b = tree[2 * k + 1]
        tree[k] = a if b < 0 or (a >= 0 and mval[a] <= mval[b]) else b
    ties = np.empty(n_mach, dtype=np.int64)
    if rule == _RANDOM:
        np.random.seed(seed)
    makespan = 0
    for _ in range(n_ops):
        # C* and M* (active: smallest ect, smallest machine on ties) or t* (non-delay).
        best_m = tree[1]
        best_v = mval[best_m]
        if nondelay:  # every machine reaching t*, in increasing order
            n_ties = _tree_ties(tree, size, mval, best_v, ties)
        else:
            ties[0] = best_m
            n_ties = 1
        # The conflict set; keep the smallest (key, job) or collect it for a random draw.
        chosen = -1
        chosen_key = inf
        chosen_est = 0
        count = 0
        for t in range(n_ties):
            mc = ties[t]
            mr = mach_ready[mc]
            base = bucket_base[mc]
            for i in range(bcount[mc]):
                j = bucket[base + i]
                e = job_ready[j]
                if mr > e:
                    e = mr
                if nondelay:
                    if e != best_v:
                        continue
                elif e > best_v or (e == best_v and durations[current[j]] > 0):
                    # Giffler-Thompson's conflict set: est < C*, plus a zero-length operation
                    # that itself reaches C* (else the set could be empty).
                    continue
                if rule == _RANDOM:
                    cand[count] = j
                    count += 1
                    continue
                if rule == _FIFO:
                    key = job_ready[j]
                elif rule == _EJF:
                    key = e
                else:
                    key = keys[current[j]]
                if chosen < 0 or key < chosen_key or (key == chosen_key and j < chosen):
                    chosen = j
                    chosen_key = key
                    chosen_est = e
        if rule == _RANDOM:
            chosen = cand[np.random.randint(0, count)]
            chosen_est = job_ready[chosen]
            mr = mach_ready[machines[current[chosen]]]
            if mr > chosen_est:
                chosen_est = mr
        # Schedule it at its est.
        op = current[chosen]
        mc = machines[op]
        end = chosen_est + durations[op]
        starts[op] = chosen_est
        order[fill[mc]] = op
        fill[mc] += 1
        job_ready[chosen] = end
        mach_ready[mc] = end
        if end > makespan:
            makespan = end
        # Remove the job from its bucket, then queue its next operation.
        base = bucket_base[mc]
        last = bucket[base + bcount[mc] - 1]
        bucket[base + slot[chosen]] = last
        slot[last] = slot[chosen]
        bcount[mc] -= 1
        current[chosen] += 1
        new_m = -1
        if current[chosen] < job_start[chosen + 1]:
            new_m = machines[op + 1]
            slot[chosen] = bcount[new_m]
            bucket[bucket_base[new_m] + bcount[new_m]] = chosen
            bcount[new_m] += 1
        mval[mc] = _machine_value(bucket, bucket_base, bcount, mc, job_ready, mach_ready, current,
                                  durations, nondelay)
        _tree_update(tree, size, mval, mc)
        if new_m >= 0 and new_m != mc:
            v = job_ready[chosen]
            if mach_ready[new_m] > v:
                v = mach_ready[new_m]
            if not nondelay:
                v += durations[op + 1]
            if v < mval[new_m]:
                mval[new_m] = v
                _tree_update(tree, size, mval, new_m)
    return order, starts, makespan


def _check_choice(value: str, valid: tuple[str, ...], what: str) -> int:
    if not isinstance(value, str) or value.lower() not in valid:
        raise InputError(f"unknown {what} {value!r}; valid {what}s: {', '.join(valid)}")
    return valid.index(value.lower())


def dispatch(instance: JobShopInstance, rule: str = "mwkr", mode: str = "active",
             seed: int | None = None) -> DispatchResult:
    """Schedule ``instance`` with a dispatching ``rule`` under a generation ``mode``.

    See the module docstring for the exact rule keys, tie-breaks and schemes. Raises
    ``ValueError`` (an :class:`~rewriter.errors.InputError`) for an unknown rule or mode.
    """
    code = _check_choice(rule, RULES, "rule")
    mode_code = _check_choice(mode, MODES, "mode")
    if code == _RANDOM:
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        kernel_seed = numba_seed(seed)  # 0 <= seed < 2**63 (rewriter.seeding)
    else:
        kernel_seed = 0
    order, starts, makespan = _dispatch_kernel(
        instance.job_start, instance.n_machines, instance.op_duration, instance.op_machine,
        instance.machine_start, _static_keys(instance, code), code, mode_code == 1, kernel_seed)
    return DispatchResult(order=order, starts=starts, makespan=int(makespan),
                          rule=RULES[code], mode=MODES[mode_code])
