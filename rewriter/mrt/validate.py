"""An independent feasibility check for MRT schedules, in plain Python on purpose.

It shares no code with the kernels that build and rewrite schedules, so a kernel bug cannot hide
itself. Rules: one integer start per job, ``start >= arrival``, ``end == start + length`` (when
ends are given), at every time step the summed demand of the running jobs is within the capacity
of every resource, and a reported average slowdown matches the true one (to 1e-6).
"""

from __future__ import annotations

from .instance import MrtInstance

__all__ = ["InfeasibleSchedule", "schedule_violations", "check_mrt_schedule", "average_slowdown"]


class InfeasibleSchedule(ValueError):
    """The schedule breaks a rule of the instance; the message lists the first few breaches."""


def average_slowdown(instance: MrtInstance, starts) -> float:
    arrival = instance.arrival.tolist()
    length = instance.length.tolist()
    return sum((int(s) + length[j] - arrival[j]) / length[j] for j, s in enumerate(starts)) / len(length)


def schedule_violations(instance: MrtInstance, starts, ends=None, average_slowdown_reported=None,
                        limit: int | None = 10) -> list[str]:
    """Every rule the schedule breaks (the first ``limit`` messages; None: all of them, for an
    exact count); empty when it is feasible."""
    n = instance.n_jobs
    arrival = instance.arrival.tolist()
    length = instance.length.tolist()
    demand = instance.demand.tolist()
    capacity = instance.capacity.tolist()
    try:
        starts = [s for s in starts]
    except TypeError:
        return ["start times must be a sequence of integers"]
    if len(starts) != n:
        return [f"need {n} start times, got {len(starts)}"]
    problems: list[str] = []
    clean = []
    for j, s in enumerate(starts):
        if isinstance(s, bool) or int(s) != s:
            problems.append(f"job {j}: start {s!r} is not an integer")
            clean.append(arrival[j])
            continue
        s = int(s)
        clean.append(s)
        if s < arrival[j]:
            problems.append(f"job {j} starts at {s} before its arrival at {arrival[j]}")
    if ends is not None:
        ends = list(ends)
        if len(ends) != n:
            problems.append(f"need {n} end times, got {len(ends)}")
        else:
            for j in range(n):
                if ends[j] != clean[j] + length[j]:
                    problems.append(f"job {j}: end {ends[j]} != start {clean[j]} + length {length[j]}")
    usage: dict[int, list[int]] = {}
    for j in range(n):
        for t in range(clean[j], clean[j] + length[j]):
            row = usage.setdefault(t, [0] * len(capacity))
            for r, d in enumerate(demand[j]):
                row[r] += d
    for t in sorted(usage):
        for r, used in enumerate(usage[t]):
            if used > capacity[r]:
                running = [j for j in range(n) if clean[j] <= t < clean[j] + length[j]]
                problems.append(f"time {t}: resource {r} uses {used} > capacity {capacity[r]} "
                                f"(running jobs {running})")
    if average_slowdown_reported is not None:
        true = average_slowdown(instance, clean)
        if abs(float(average_slowdown_reported) - true) > 1e-6 * max(1.0, abs(true)):
            problems.append(f"reported average slowdown {average_slowdown_reported} != true {true:.6f}")
    return problems[:limit]


def check_mrt_schedule(instance: MrtInstance, starts, ends=None, average_slowdown_reported=None) -> float:
    """Raise :class:`InfeasibleSchedule` listing the breaches; return the true average slowdown."""
    problems = schedule_violations(instance, starts, ends, average_slowdown_reported)
    if problems:
        raise InfeasibleSchedule(f"{instance.name}: infeasible schedule: " + "; ".join(problems))
    return average_slowdown(instance, [int(s) for s in starts])
