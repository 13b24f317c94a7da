"""The batch baseline of the flexible shop (issue 33): the jobs in release order, cut into K
batches of near-equal job counts, each batch scheduled by the same method as a single pass would
use, every batch after the earlier ones on every machine.

A batch is a sub-instance of its jobs (their release, due date and weight kept) plus one
*blocker* per machine the earlier batches used: a job of one operation, eligible only on that
machine, lasting until the earlier batches' last operation there ends, released at 0, of weight
0 and without a due date. Placed first on its machine, the blocker holds the machine exactly
while the earlier batches hold it, and counts in no tardiness; the method sees the machine busy.
A job's release in the batch is also raised to the time the first of its first operation's
machines is free, which every real schedule keeps (so it changes none) and which leaves a
method less to gain by placing that operation before a blocker.

The instance cannot force the method to keep a blocker first: a search that puts an operation
*before* a blocker gets that operation done earlier than the machine is really free (and the
machine is free no later: the blocker just ends later). The schedule kept is therefore always
the *real* one: per machine, the earlier batches' sequence followed by this batch's sequence
without its blocker, evaluated semi-actively (:class:`~rewriter.fjsp.schedule.FlexibleSchedule`).
A blocker the method placed later than first is dropped; the operations the method put before
it keep the method's order and the evaluation pushes them after the earlier batches. That is
what "later batches after earlier ones" means: no operation of batch b runs on a machine before
every operation of the batches before b there has ended; a blocker kept first changes nothing
(it ends exactly when the earlier batches do). Such a schedule is always valid (every job is
inside one batch; the machine orders only add arcs from earlier batches to later ones). Each
batch's method starts from its rule's schedule with the blockers moved first (a real schedule),
and keeps that start when its own schedule turns out worse for real, as a search never ends
worse than its start; ``info["batch"]`` counts per batch the ``displaced`` blockers and says
whether the start was kept (``kept_start``).

No exact representation exists in a :class:`FlexibleInstance`: a machine free only from a_m
asks "start >= a_m if on machine m" of every operation, a release per operation *and machine*,
and the instance has releases per job only. Blockers are exact whenever the method keeps them
first, and the evaluation makes every other case a valid schedule of the real problem.

The whole call's budget is the single pass's: the time limit (or the step budget) is shared out
over the batches in proportion to their operation counts, each share from what is left on the
clock of the whole call, so its wall time stays within the limit plus the final validation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.result import Result
from ..errors import InputError
from .instance import NO_DUE, FlexibleInstance
from .schedule import FlexibleSchedule, objective_value

#: the smallest time share a batch gets when the clock is nearly spent (a solve needs a
#: positive limit; the batch then keeps about its start)
MIN_SHARE_S = 1e-3


def batch_jobs(instance: FlexibleInstance, batches: int) -> list[np.ndarray]:
    """The jobs of each batch: sorted by release date (ties by job index), cut into ``batches``
    consecutive groups whose sizes differ by at most one (the larger ones first); each group in
    increasing job index."""
    n = instance.n_jobs
    if isinstance(batches, bool) or not isinstance(batches, (int, np.integer)):
        raise InputError(f"batches must be a whole number, got {batches!r}")
    if not 1 <= batches <= n:
        raise InputError(f"batches must be between 1 and the number of jobs ({n}) of "
                         f"{instance.name}, got {batches}")
    order = np.lexsort((np.arange(n), instance.release))
    return [np.sort(group) for group in np.array_split(order, int(batches))]


@dataclass
class Batch:
    """One batch as a sub-instance: ``jobs`` (indices in the whole instance), ``ops`` (the whole
    instance's operation of each sub-instance operation, blockers excluded: the first
    ``len(ops)`` operations are the jobs'), and ``blocked`` (the machine of each blocker, in the
    order of the blocker jobs that follow the batch's jobs)."""

    instance: FlexibleInstance
    jobs: np.ndarray
    ops: np.ndarray
    blocked: np.ndarray


def sub_instance(instance: FlexibleInstance, jobs: np.ndarray, free_at: np.ndarray,
                 name: str) -> Batch:
    """The batch of ``jobs`` with one blocker per machine ``m`` busy until ``free_at[m]`` > 0."""
    starts, ends = instance.job_start[jobs], instance.job_start[jobs + 1]
    ops = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist())])
    blocked = np.flatnonzero(free_at > 0)
    counts = np.diff(instance.elig_start)[ops]
    job_start = np.concatenate([[0], np.cumsum(ends - starts), len(ops) + 1 + np.arange(len(blocked))])
    elig_start = np.concatenate([[0], np.cumsum(counts), counts.sum() + 1 + np.arange(len(blocked))])
    picks = np.concatenate([np.arange(instance.elig_start[o], instance.elig_start[o + 1])
                            for o in ops.tolist()])
    machines = np.concatenate([instance.elig_machine[picks], blocked])
    durations = np.concatenate([instance.elig_duration[picks], free_at[blocked]])
    zeros = np.zeros(len(blocked), np.int64)
    # A job's first operation cannot start before the earliest of its machines is free: an exact
    # release (every real schedule keeps it) that leaves a method less to gain before a blocker.
    ready = np.minimum.reduceat(free_at[instance.elig_machine], instance.elig_start[:-1])[starts]
    release = np.maximum(instance.release[jobs], ready)
    sub = FlexibleInstance(name, instance.n_machines, job_start, elig_start, machines, durations,
                           release=np.concatenate([release, zeros]),
                           due=np.concatenate([instance.due[jobs], zeros + NO_DUE]),
                           weight=np.concatenate([instance.weight[jobs], zeros]),
                           metadata={"batch_of": instance.name})
    return Batch(sub, jobs, ops, blocked)


def blocker_first(batch: Batch, schedule: FlexibleSchedule) -> tuple[FlexibleSchedule, int]:
    """``schedule`` of the batch with every blocker moved to the front of its machine (the real
    schedule: see the module docstring), and how many blockers had to move."""
    n = len(batch.ops)
    sequences = schedule.sequences()
    moved = 0
    for k, m in enumerate(batch.blocked.tolist()):
        blocker = n + k
        if sequences[m][0] != blocker:
            moved += 1
        sequences[m] = [blocker] + [o for o in sequences[m] if o != blocker]
    return FlexibleSchedule(batch.instance, schedule.assign, sequences), moved


def _shares(total, weights: np.ndarray):
    """``total`` (a whole number of steps) cut in proportion to ``weights``, the remainders to
    the largest fractions, so that the shares add up to it."""
    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(np.int64)
    shares[np.argsort(-(exact - shares), kind="stable")[: int(total - shares.sum())]] += 1
    return shares.tolist()


class Chain:
    """The whole instance's schedule growing batch by batch: each machine's sequence so far, the
    machine of every operation placed, and when each machine is free (its last end)."""

    def __init__(self, instance: FlexibleInstance):
        self.instance = instance
        self.free_at = np.zeros(instance.n_machines, np.int64)
        self.sequences: list[list[int]] = [[] for _ in range(instance.n_machines)]
        self.assign = np.full(instance.n_operations, -1, np.int64)

    def batch(self, jobs: np.ndarray, name: str) -> Batch:
        """The sub-instance of ``jobs`` after what the chain holds."""
        return sub_instance(self.instance, jobs, self.free_at, name)

    def add(self, batch: Batch, schedule: FlexibleSchedule) -> tuple[FlexibleSchedule, int]:
        """Put the batch's operations of ``schedule`` after the chain's on every machine; the
        real schedule of the batch (its blockers first) and how many blockers had to move."""
        real, displaced = blocker_first(batch, schedule)
        n = len(batch.ops)
        self.assign[batch.ops] = real.assign[:n]
        for m, seq in enumerate(real.sequences()):
            self.sequences[m].extend(batch.ops[o] for o in seq if o < n)
        ends, machines = real.ends[:n], real.assign[:n]
        np.maximum.at(self.free_at, machines, ends)  # a blocker's machine ends no sooner
        return real, displaced

    def schedule(self) -> FlexibleSchedule:
        return FlexibleSchedule(self.instance, self.assign, self.sequences)


def _name(instance: FlexibleInstance, b: int, k: int) -> str:
    return f"{instance.name}[batch {b + 1}/{k}]"


def solve_in_batches(instance: FlexibleInstance, batches: int, solve_one: Callable[..., Result],
                     *, start_of: Callable[[FlexibleInstance], FlexibleSchedule],
                     time_limit: float | None = None, steps: int | None = None,
                     started: float | None = None, objective: str = "makespan",
                     tardiness_weight: float = 1.0, make_result=None) -> Result:
    """``instance`` scheduled in ``batches`` batches (the module docstring says how).

    ``solve_one(sub_instance, time_limit=..., steps=..., start=..., started=...)`` solves one
    batch by the method of the single pass and returns its validated :class:`Result`;
    ``start_of(sub_instance)`` builds the schedule that method starts from (its rule's), which
    is handed to it as ``start`` with the blockers first (so that it starts from a real
    schedule). Batch b gets the share of ``time_limit`` (and of ``steps``) that its operations
    are of the operations not yet scheduled (time: of what is left on the clock, which runs
    from ``started``, default now). With one batch it is the single pass itself.

    The result (validated by ``make_result``, default :func:`rewriter.fjsp.solve.make_result`)
    names the batches' method; its ``init_cost`` is the cost of the rule alone in the same
    batches (the batches' ``start_of`` schedules, each after the earlier ones; the cost itself
    when the method started from no schedule, as CP-SAT without a hint); ``info["batches"]`` is
    K and ``info["batch"]`` the figures of each batch: jobs, operations, ``cost`` (of its real
    schedule, blockers first: the makespan of the schedule up to it, the tardiness of its own
    jobs), ``start_cost`` (of its start, in the same way),
    ``method_cost`` (what the method reported for its sub-instance), seconds, steps, status,
    ``displaced`` and ``kept_start``."""
    if make_result is None:
        from .solve import make_result
    t0 = time.perf_counter() if started is None else started
    groups = batch_jobs(instance, batches)
    k = len(groups)
    if k == 1:
        result = solve_one(instance, time_limit=time_limit, steps=steps,
                           start=start_of(instance), started=t0)
        result.info = {**result.info, "batches": 1,
                       "batch": [_figures(instance.name, instance.n_jobs, instance.n_operations,
                                          result.cost, result)]}
        return result
    n_ops = np.diff(instance.job_start)
    weights = np.array([n_ops[g].sum() for g in groups], dtype=np.float64)
    step_shares = [None] * k if steps is None else _shares(steps, weights)
    chain = Chain(instance)
    figures, results, interrupted = [], [], False
    for b, jobs in enumerate(groups):
        t_b = time.perf_counter()
        batch = chain.batch(jobs, _name(instance, b, k))
        share = None
        if time_limit is not None:
            left = time_limit - (t_b - t0)
            share = max(left * weights[b] / weights[b:].sum(), MIN_SHARE_S)
        start = blocker_first(batch, start_of(batch.instance))[0]
        result = solve_one(batch.instance, time_limit=share, steps=0 if interrupted else step_shares[b],
                           start=start, started=t_b)
        interrupted = interrupted or result.status == "interrupted"
        start_cost = objective_value(start.values(), objective, tardiness_weight)
        kept = _kept(batch, result, start, start_cost, objective, tardiness_weight)
        displaced = blocker_first(batch, result.solution)[1]
        real = chain.add(batch, kept)[0]
        cost = objective_value(real.values(), objective, tardiness_weight)
        figures.append({**_figures(batch.instance.name, len(jobs), len(batch.ops), cost, result),
                        "start_cost": start_cost, "displaced": displaced,
                        "kept_start": kept is start})
        results.append(result)
    schedule = chain.schedule()
    cost = objective_value(schedule.values(), objective, tardiness_weight)
    first = results[0]
    init_cost = cost if first.init == "none" else _rule_cost(instance, groups, start_of,
                                                             objective, tardiness_weight)
    runtime = time.perf_counter() - t0
    status = "interrupted" if interrupted else _status(results)
    method = next((r.method for r in results if r.method != "dispatch"), first.method)
    steps_done = sum(r.steps for r in results)
    info = {"batches": k, "batch": figures,
            **{key: v for key, v in first.info.items() if key in ("moves", "solver", "workers")}}
    return make_result(instance, schedule, method, first.init, init_cost, steps_done,
                       first.seed, runtime, status,
                       [(0, 0.0, init_cost), (steps_done, round(runtime, 4), cost)],
                       objective, tardiness_weight, info)


def _kept(batch: Batch, result: Result, start: FlexibleSchedule, start_cost: float,
          objective: str, tardiness_weight: float) -> FlexibleSchedule:
    """The method's schedule of the batch, or its ``start`` (blockers first, of real cost
    ``start_cost``) when the method started from it and its schedule is worse for real (blockers
    first): a search keeps the best schedule it met, which its start is, and a blocker it moved
    must not make it lose that."""
    if result.init == "none":  # started from no schedule (CP-SAT without a hint)
        return result.solution
    real = blocker_first(batch, result.solution)[0]
    return start if start_cost < objective_value(real.values(), objective, tardiness_weight) \
        else result.solution


def _rule_cost(instance, groups, start_of, objective, tardiness_weight) -> float:
    """The cost of ``start_of``'s schedules alone in the same batches."""
    chain = Chain(instance)
    for b, jobs in enumerate(groups):
        batch = chain.batch(jobs, _name(instance, b, len(groups)))
        chain.add(batch, start_of(batch.instance))
    return objective_value(chain.schedule().values(), objective, tardiness_weight)


def _figures(name: str, jobs: int, operations: int, cost, result: Result) -> dict:
    return {"name": name, "jobs": jobs, "operations": operations, "cost": cost,
            "method_cost": result.cost, "seconds": round(result.runtime_s, 4),
            "steps": result.steps, "status": result.status}


def _status(results: list[Result]) -> str:
    """One status for the batches: the same for all of them, else time_limit if any ran out."""
    statuses = {r.status for r in results}
    if len(statuses) == 1:
        return statuses.pop()
    return "time_limit" if "time_limit" in statuses else "completed"


def solve_batched(instance: FlexibleInstance, batches: int, run: Callable[..., Result], *,
                  init: str, seed: int = 0, steps: int | None = None,
                  time_limit: float | None = None, method: str = "search",
                  objective: str = "makespan", tardiness_weight: float = 1.0, start=None,
                  started: float | None = None, **options) -> Result:
    """``run`` (:func:`rewriter.fjsp.solve.solve`, the single pass) applied batch by batch with
    the same options: :func:`solve_in_batches` with each batch started from ``init``'s schedule
    of it. CP-SAT without a time limit shares the 60 s its single pass would take."""
    from ..seeding import check_seed
    from .dispatching import dispatch_schedule

    if start is not None:
        raise InputError(f"--batches starts each batch from its own {init} schedule; the {init} "
                         "start rule builds one schedule of the whole instance")
    batch_jobs(instance, batches)  # a bad K is refused before any work
    seed = check_seed(seed)
    if method == "cpsat" and time_limit is None:
        time_limit = 60.0  # the single pass's CP-SAT limit (rewriter.fjsp.solve)

    def solve_one(sub, *, time_limit, steps, start, started):
        return run(sub, init=init, seed=seed, steps=steps, time_limit=time_limit, method=method,
                   objective=objective, tardiness_weight=tardiness_weight, start=start,
                   started=started, **options)

    return solve_in_batches(instance, batches, solve_one,
                            start_of=lambda sub: dispatch_schedule(sub, init, seed),
                            time_limit=time_limit, steps=steps, started=started,
                            objective=objective, tardiness_weight=tardiness_weight)
