"""The independent checker of flexible job-shop schedules, in plain Python.

It shares no code with the solvers: from the instance and a schedule given as a machine and a
start time per operation, it checks eligibility, each operation's duration on its machine, the
job order, release dates and that no machine runs two operations at once, and recomputes the
objectives.
"""

from __future__ import annotations

from ..errors import InputError
from .instance import NO_DUE, FlexibleInstance


class InfeasibleSchedule(InputError):
    """A schedule that breaks a rule of the instance."""


def schedule_violations(inst: FlexibleInstance, machines, starts, limit: int | None = None) -> list[str]:
    """Every rule the schedule breaks (all of them, or the first ``limit``)."""
    problems: list[str] = []
    n = inst.n_operations
    machines, starts = [int(m) for m in machines], [int(s) for s in starts]
    if len(machines) != n or len(starts) != n:
        return [f"expected a machine and a start for each of the {n} operations"]
    ends = [0] * n
    jobs = inst.op_job.tolist()
    index = inst.op_index.tolist()
    for o in range(n):
        options = dict(inst.eligible(o))
        j, k = jobs[o], index[o]
        if machines[o] not in options:
            problems.append(f"job {j} op {k} runs on machine {machines[o]}, which is not eligible "
                            f"(eligible: {sorted(options)})")
            ends[o] = starts[o]
            continue
        ends[o] = starts[o] + options[machines[o]]
        if starts[o] < int(inst.release[j]):
            problems.append(f"job {j} op {k} starts at {starts[o]}, before its release date "
                            f"{int(inst.release[j])}")
        if k > 0 and starts[o] < ends[o - 1]:
            problems.append(f"job {j} op {k} starts at {starts[o]}, before op {k - 1} ends at {ends[o - 1]}")
    by_machine: dict[int, list[int]] = {}
    for o in range(n):
        by_machine.setdefault(machines[o], []).append(o)
    for m, ops in sorted(by_machine.items()):
        ops.sort(key=lambda o: (starts[o], ends[o]))
        for a, b in zip(ops, ops[1:]):
            if starts[b] < ends[a]:
                problems.append(f"machine {m}: job {jobs[a]} op {index[a]} [{starts[a]}, {ends[a]}) "
                                f"overlaps job {jobs[b]} op {index[b]} [{starts[b]}, {ends[b]})")
    if limit is not None:
        return problems[:limit]
    return problems


def objective_values(inst: FlexibleInstance, machines, starts) -> dict:
    """Makespan and the tardiness figures of a (feasible) schedule."""
    n = inst.n_operations
    ends = [int(starts[o]) + inst.duration_table[o, int(machines[o])] for o in range(n)]
    completion = [ends[int(inst.job_start[j + 1]) - 1] for j in range(inst.n_jobs)]
    weighted = total = late = 0
    lateness = []
    for j, c in enumerate(completion):
        due = int(inst.due[j])
        if due == NO_DUE:
            continue
        lateness.append(c - due)
        t = max(0, c - due)
        weighted += int(inst.weight[j]) * t
        total += t
        late += t > 0
    return {"makespan": max(ends), "weighted_tardiness": weighted, "total_tardiness": total,
            "late_jobs": late, "max_lateness": max(lateness) if lateness else None}


def check_schedule(inst: FlexibleInstance, machines, starts) -> dict:
    """The objective values of a feasible schedule; :class:`InfeasibleSchedule` otherwise."""
    problems = schedule_violations(inst, machines, starts, limit=10)
    if problems:
        raise InfeasibleSchedule(f"{inst.name}: infeasible schedule: " + "; ".join(problems))
    return objective_values(inst, machines, starts)
