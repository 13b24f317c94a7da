"""The package's :class:`~rewriter.core.result.Result` for a job-shop schedule, shared by the
rewriting search (:mod:`rewriter.jssp.solve`) and the constructive scheduler
(:mod:`rewriter.learn.construct`)."""

from __future__ import annotations

from ..core.result import Result
from ..errors import check_lower_bound
from .instance import JobShopInstance
from .schedule import JobShopSolution
from .validate import check_schedule


def make_result(instance: JobShopInstance, solution: JobShopSolution, method: str, init: str,
                init_makespan: int, steps: int, seed: int | None, runtime_s: float, status: str,
                trace, restarts: int = 0, info: dict | None = None) -> Result:
    """The package's :class:`Result` for a job-shop schedule (checked by the validator first)."""
    check_schedule(instance, solution.starts, solution.makespan)
    check_lower_bound(instance, int(solution.makespan), f"the {method} result")
    return Result("jssp", instance, solution, "makespan", {"makespan": int(solution.makespan)},
                  method, init, int(init_makespan), steps, seed, runtime_s, status,
                  [(int(s), t, int(c)) for s, t, c in trace], restarts, info or {},
                  sizes(instance),
                  solution.to_dict())


def sizes(instance: JobShopInstance) -> dict:
    """The instance's dimensions as the schedule JSON names them (the CLI prints "30 jobs x 20
    machines"): routes of different lengths add the number of operations ("792 jobs x 48
    machines, 9568 operations"), which n_jobs x n_machines no longer gives."""
    out = {"n_jobs": instance.n_jobs, "n_machines": instance.n_machines}
    if not instance.is_rectangular:
        out["n_operations"] = instance.n_operations
    return out
