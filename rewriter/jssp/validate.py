"""An independent feasibility check for job-shop schedules, in plain Python on purpose.

It shares no code with the kernels that build schedules, so a kernel bug cannot hide itself.
"""

from __future__ import annotations

from collections import defaultdict

from .instance import JobShopInstance


class InfeasibleSchedule(ValueError):
    """The schedule breaks a rule of the instance; the message lists the first few breaches."""


def schedule_violations(instance: JobShopInstance, starts, makespan: int | None = None,
                        limit: int | None = 10) -> list[str]:
    """Every rule a schedule breaks (the first ``limit``; None: all of them, for an exact
    count), given start times per (job, op).

    ``starts`` is indexable as ``starts[job][op]`` (a nested list or an (n, m) array).
    """
    problems: list[str] = []
    n, m = instance.n_jobs, instance.n_machines
    durations = instance.durations.tolist()
    machines = instance.machines.tolist()
    try:
        rows = [[int(starts[j][k]) for k in range(m)] for j in range(n)]
    except (IndexError, TypeError, ValueError) as exc:
        return [f"start times must cover {n} jobs x {m} operations: {exc}"]
    for j in range(n):
        for k in range(m):
            if rows[j][k] < 0:
                problems.append(f"job {j} op {k} starts at {rows[j][k]} < 0")
            if k and rows[j][k] < rows[j][k - 1] + durations[j][k - 1]:
                problems.append(
                    f"job {j} op {k} starts at {rows[j][k]} before op {k - 1} ends at "
                    f"{rows[j][k - 1] + durations[j][k - 1]}")
    by_machine = defaultdict(list)
    for j in range(n):
        for k in range(m):
            by_machine[machines[j][k]].append((rows[j][k], rows[j][k] + durations[j][k], j, k))
    for machine, intervals in sorted(by_machine.items()):
        intervals.sort()
        for (s1, e1, j1, k1), (s2, e2, j2, k2) in zip(intervals, intervals[1:]):
            if s2 < e1:
                problems.append(
                    f"machine {machine}: job {j1} op {k1} [{s1}, {e1}) overlaps job {j2} op {k2} [{s2}, {e2})")
    true_makespan = max(rows[j][k] + durations[j][k] for j in range(n) for k in range(m))
    if makespan is not None and int(makespan) != true_makespan:
        problems.append(f"reported makespan {makespan} but the last operation ends at {true_makespan}")
    return problems[:limit]


def check_schedule(instance: JobShopInstance, starts, makespan: int | None = None) -> int:
    """Raise :class:`InfeasibleSchedule` unless the schedule is feasible; return its makespan."""
    problems = schedule_violations(instance, starts, makespan)
    if problems:
        raise InfeasibleSchedule(f"schedule for {instance.name} is infeasible: " + "; ".join(problems))
    return max(int(starts[j][k]) + int(instance.durations[j, k])
               for j in range(instance.n_jobs) for k in range(instance.n_machines))
