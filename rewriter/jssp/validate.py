"""An independent feasibility check for job-shop schedules.

It shares no code with the kernels that build schedules (plain numpy over the instance's flat
arrays, no graph, no kernel), so a kernel bug cannot hide itself; vectorised, so that checking a
million operations takes a fraction of a second. Routes of any length and re-entrant ones (a job
visiting a machine several times) are checked like the classic shape.
"""

from __future__ import annotations

import numpy as np

from .instance import JobShopInstance


class InfeasibleSchedule(ValueError):
    """The schedule breaks a rule of the instance; the message lists the first few breaches."""


def _flat_starts(instance: JobShopInstance, starts):
    """Start times in operation-id order (job-major) from a flat sequence of ``n_operations``
    values, an (n_jobs, n_machines) matrix, or one sequence per job (``starts[job][op]``): an
    int64 array, or a list of Python ints when one lies outside int64. ValueError, TypeError
    or IndexError when they do not cover the operations."""
    n_ops, n, m = instance.n_operations, instance.n_jobs, instance.n_machines
    try:
        array = np.asarray(starts)
    except ValueError:  # ragged nested sequences (numpy >= 1.24)
        array = None
    if array is not None and array.dtype.kind in "iuf":
        if not np.isfinite(array).all():
            raise ValueError("start times must be finite numbers")
        if array.dtype.kind == "f" and (np.abs(array) > MAX_START).any():
            array = array.astype(object)  # int() of each below, no silent wrap-around
        elif array.ndim == 1 and array.shape[0] == n_ops:
            return array.astype(np.int64)
        elif array.ndim == 2 and instance.is_rectangular and array.shape == (n, m):
            return array.astype(np.int64).reshape(-1)
        elif array.ndim != 2:
            raise ValueError(f"found {array.shape[0] if array.ndim else 'a scalar, not'} "
                             "start times")
    if (array is not None and array.ndim == 1 and array.shape[0] == n_ops
            and all(isinstance(v, (int, np.integer, float)) for v in array.tolist())):
        values = [int(v) for v in array.tolist()]  # flat, some beyond int64
    else:  # per job: the first job_length[j] entries of row j; a short row fails
        rows = array.tolist() if array is not None and array.ndim == 2 else starts
        values = [int(rows[j][k]) for j in range(n) for k in range(int(instance.job_length[j]))]
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return values


#: start times beyond this are refused, so that start + duration cannot wrap around int64
MAX_START = 2**62


def _too_large(instance: JobShopInstance, values) -> str | None:
    """The violation of the first start time beyond :data:`MAX_START`, naming its operation;
    None when there is none."""
    if not isinstance(values, list) and not (np.abs(values) > MAX_START).any():
        return None
    v = next(i for i, value in enumerate(values) if abs(int(value)) > MAX_START)
    return (f"job {instance.op_job[v]} op {instance.op_index[v]} starts at {int(values[v])}, "
            f"beyond any schedule's horizon (at most 2**62)")


def _coverage(instance: JobShopInstance) -> str:
    if instance.is_rectangular:
        return f"{instance.n_jobs} jobs x {instance.n_machines} operations"
    return f"the {instance.n_operations} operations of {instance.n_jobs} jobs"


def schedule_violations(instance: JobShopInstance, starts, makespan: int | None = None,
                        limit: int | None = 10) -> list[str]:
    """Every rule a schedule breaks (the first ``limit``; None: all of them, for an exact
    count), given start times per operation.

    ``starts``: flat by operation id (``job_start[j] + k``), one sequence per job
    (``starts[job][op]``, a nested list), or an (n, m) matrix of a rectangular instance.
    The rules: no negative start; an operation starts after its job's previous operation ends;
    on every machine, ordered by (start, end, job, op), no operation starts before the previous
    one ends; the reported makespan is the last end.
    """
    try:
        start = _flat_starts(instance, starts)
    except (IndexError, TypeError, ValueError) as exc:
        return [f"start times must cover {_coverage(instance)}: {exc}"]
    too_large = _too_large(instance, start)
    if too_large:
        return [too_large]
    problems: list[str] = []
    duration, job, index = instance.op_duration, instance.op_job, instance.op_index
    end = start + duration
    pred = instance.job_pred
    has_pred = pred >= 0
    pred_end = np.where(has_pred, end[np.maximum(pred, 0)], 0)
    negative = start < 0
    early = has_pred & (start < pred_end)
    for v in np.flatnonzero(negative | early).tolist():  # job-major: job by job, op by op
        if limit is not None and len(problems) >= limit:
            break
        j, k = int(job[v]), int(index[v])
        if negative[v]:
            problems.append(f"job {j} op {k} starts at {start[v]} < 0")
        if early[v]:
            problems.append(f"job {j} op {k} starts at {start[v]} before op {k - 1} ends at "
                            f"{pred_end[v]}")
    # machine by machine, each in (start, end, job, op) order: job-major ids order (job, op)
    by_machine = np.lexsort((np.arange(start.shape[0]), end, start, instance.op_machine))
    first, second = by_machine[:-1], by_machine[1:]
    same = instance.op_machine[first] == instance.op_machine[second]
    overlap = same & (start[second] < end[first])
    for a, b in zip(first[overlap].tolist(), second[overlap].tolist()):
        if limit is not None and len(problems) >= limit:
            break
        problems.append(
            f"machine {instance.op_machine[a]}: job {job[a]} op {index[a]} [{start[a]}, {end[a]}) "
            f"overlaps job {job[b]} op {index[b]} [{start[b]}, {end[b]})")
    true_makespan = int(end.max())
    if makespan is not None and int(makespan) != true_makespan:
        problems.append(f"reported makespan {makespan} but the last operation ends at {true_makespan}")
    return problems[:limit]


def check_schedule(instance: JobShopInstance, starts, makespan: int | None = None) -> int:
    """Raise :class:`InfeasibleSchedule` unless the schedule is feasible; return its makespan.

    ``starts`` as for :func:`schedule_violations`."""
    problems = schedule_violations(instance, starts, makespan)
    if problems:
        raise InfeasibleSchedule(f"schedule for {instance.name} is infeasible: " + "; ".join(problems))
    return int((_flat_starts(instance, starts) + instance.op_duration).max())
