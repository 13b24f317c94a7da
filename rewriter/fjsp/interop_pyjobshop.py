"""Instances to and from PyJobShop (``pip install 'rewriter[pyjobshop]'``).

A PyJobShop ``ProblemData`` of the shape we solve: every resource a machine (no breaks, no
no-idle rule), every task in exactly one job, each mode one machine, and as constraints only
the route of each job (``EndBeforeStart`` without delay from each of a job's tasks to the next,
in the job's task order). Jobs' release dates, due dates and weights are kept; the objective is
not (it is chosen when solving: ``rewriter.solve(..., objective=...)``). We make it a
:class:`~rewriter.jssp.instance.JobShopInstance` when it is a job shop without dates (jobs of any
length), else a :class:`~rewriter.fjsp.instance.FlexibleInstance`. Anything else (a renewable or
consumable resource, a deadline, a time window, an optional task, another constraint) is an
:class:`~rewriter.errors.InputError` naming it.
"""

from __future__ import annotations

from ..errors import InputError
from ..jssp.instance import JobShopInstance
from .instance import NO_DUE, FlexibleInstance

INSTALL = "pip install 'rewriter[pyjobshop]'"


def _pyjobshop():
    try:
        import pyjobshop
    except ImportError:
        raise ImportError(f"converting PyJobShop instances needs PyJobShop: {INSTALL}") from None
    return pyjobshop


def is_pyjobshop_data(value) -> bool:
    """Whether ``value`` is a PyJobShop ``ProblemData`` (without importing PyJobShop)."""
    return (type(value).__module__.split(".")[0] == "pyjobshop"
            and type(value).__name__ == "ProblemData")


def _check_resources(data, name: str, pjs) -> None:
    for r, resource in enumerate(data.resources):
        if not isinstance(resource, pjs.Machine):
            raise InputError(f"{name}: resource {r} is a {type(resource).__name__}; only machines "
                             "are supported")
        if getattr(resource, "breaks", None) or getattr(resource, "no_idle", False):
            raise InputError(f"{name}: machine {r} has breaks or a no-idle rule, which are not supported")


def _check_constraints(data, name: str) -> None:
    """Only each job's route: EndBeforeStart(t_k, t_k+1, delay 0) along its task list."""
    routes = {(a, b) for job in data.jobs for a, b in zip(job.tasks, job.tasks[1:])}
    given = set()
    for c in data.constraints.end_before_start:
        task1, task2, delay = c
        if delay != 0 or (task1, task2) not in routes:
            raise InputError(f"{name}: EndBeforeStart({task1}, {task2}, delay={delay}) is not a step of "
                             "a job's route; only routes in the jobs' task order are supported")
        given.add((task1, task2))
    if given != routes:
        a, b = min(routes - given)
        raise InputError(f"{name}: tasks {a} and {b} of a job are not ordered (no EndBeforeStart "
                         "between them); only jobs whose tasks form a route are supported")
    for field, items in vars(data.constraints).items():
        if field != "end_before_start" and items:
            raise InputError(f"{name}: {field.replace('_', ' ')} constraints are not supported")


def _check_tasks(data, name: str, pjs) -> None:
    owners = [t for job in data.jobs for t in job.tasks]
    if sorted(owners) != list(range(len(data.tasks))):
        raise InputError(f"{name}: every task must belong to exactly one job")
    default = pjs.Task()
    for t, task in enumerate(data.tasks):
        for field in ("earliest_start", "latest_start", "earliest_end", "latest_end", "optional",
                      "allow_idle", "allow_breaks"):
            if getattr(task, field) != getattr(default, field):
                raise InputError(f"{name}: task {t} sets {field}, which is not supported")
    for j, job in enumerate(data.jobs):
        if job.deadline != pjs.Job().deadline:
            raise InputError(f"{name}: job {j} has a deadline (a hard limit), which is not supported")
        if not job.tasks:
            raise InputError(f"{name}: job {j} has no task")


def from_pyjobshop(data, name: str = "pyjobshop") -> JobShopInstance | FlexibleInstance:
    """Our instance of PyJobShop's ``data`` (a ``ProblemData``), named ``name``."""
    pjs = _pyjobshop()
    _check_resources(data, name, pjs)
    _check_tasks(data, name, pjs)
    _check_constraints(data, name)
    modes: list[list[tuple[int, int]]] = [[] for _ in data.tasks]
    for mode in data.modes:
        if len(mode.resources) != 1:
            raise InputError(f"{name}: a mode of task {mode.task} needs {len(mode.resources)} "
                             "machines at once; expected one")
        modes[mode.task].append((int(mode.resources[0]), int(mode.duration)))
    jobs = [[sorted(modes[t]) for t in job.tasks] for job in data.jobs]
    m = len(data.resources)
    release = [int(job.release_date) for job in data.jobs]
    due = [NO_DUE if job.due_date is None else int(job.due_date) for job in data.jobs]
    weight = [int(job.weight) for job in data.jobs]
    dated = any(release) or any(d != NO_DUE for d in due)
    if not dated and all(len(options) == 1 for job in jobs for options in job):
        return JobShopInstance.from_routes(name, [[o[0] for o in job] for job in jobs],
                                           n_machines=m)
    return FlexibleInstance.from_lists(name, m, jobs, release=release, due=due, weight=weight)


def to_pyjobshop(instance: JobShopInstance | FlexibleInstance):
    """PyJobShop's ``ProblemData`` of our ``instance`` (makespan objective): one machine per
    machine, one job per job with its release date, due date and weight, one task per
    operation with a mode per eligible machine, and each job's route as EndBeforeStart."""
    pjs = _pyjobshop()
    if isinstance(instance, JobShopInstance):
        jobs = [[[pair] for pair in route] for route in instance.routes()]  # any route length
        dates = [(0, NO_DUE, 1)] * instance.n_jobs
    elif isinstance(instance, FlexibleInstance):
        jobs = instance.to_lists()
        dates = list(zip(instance.release.tolist(), instance.due.tolist(), instance.weight.tolist()))
    else:
        raise InputError(f"to_pyjobshop: expected a JobShopInstance or FlexibleInstance, found "
                         f"{type(instance).__name__}")
    model = pjs.Model()
    machines = [model.add_machine(name=f"M{i}") for i in range(instance.n_machines)]
    for j, (ops, (release, due, weight)) in enumerate(zip(jobs, dates)):
        job = model.add_job(weight=weight, release_date=release,
                            due_date=None if due == NO_DUE else due, name=f"J{j}")
        tasks = [model.add_task(job=job, name=f"J{j}O{k}") for k in range(len(ops))]
        for task, options in zip(tasks, ops):
            for machine, duration in options:
                model.add_mode(task, machines[machine], duration)
        for before, after in zip(tasks, tasks[1:]):
            model.add_end_before_start(before, after)
    return model.data()
