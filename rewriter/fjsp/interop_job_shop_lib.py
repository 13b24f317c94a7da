"""Instances to and from job_shop_lib (``pip install 'rewriter[job_shop_lib]'``).

job_shop_lib's ``JobShopInstance`` is a list of jobs, each a list of ``Operation(machines,
duration)``: one machine (a job shop) or several with one duration on all of them (a flexible
job shop), with optional per-operation release dates, due dates and deadlines. Ours:
:class:`~rewriter.jssp.instance.JobShopInstance` for a job shop (every operation on one machine,
no dates; routes of any length, machines revisited), :class:`~rewriter.fjsp.instance.FlexibleInstance`
for the rest (eligible machines, release and due dates per job).

What has no counterpart is refused with an :class:`~rewriter.errors.InputError` naming it: a
deadline (a hard limit), a release date on an operation after a job's first, due dates that
differ within a job, a fractional duration; exporting, a flexible operation with different
durations on its machines, or job weights other than 1.
"""

from __future__ import annotations

from ..errors import InputError
from ..jssp.instance import JobShopInstance
from .instance import NO_DUE, FlexibleInstance

INSTALL = "pip install 'rewriter[job_shop_lib]'"


def _job_shop_lib():
    try:
        import job_shop_lib
    except ImportError:
        raise ImportError(f"converting job_shop_lib instances needs job_shop_lib: {INSTALL}") from None
    return job_shop_lib


def is_job_shop_lib_instance(value) -> bool:
    """Whether ``value`` is a job_shop_lib instance (without importing job_shop_lib)."""
    return type(value).__module__.split(".")[0] == "job_shop_lib" and hasattr(value, "jobs")


def _integer(value, name: str, what: str) -> int:
    if value != int(value):
        raise InputError(f"{name}: {what} {value} is not an integer")
    return int(value)


def _job_dates(name: str, j: int, ops) -> tuple[int, int]:
    """Job ``j``'s release and due dates from its operations' (NO_DUE: none)."""
    if any(getattr(op, "deadline", None) is not None for op in ops):
        raise InputError(f"{name}: job {j} has a deadline (a hard limit), which is not supported")
    releases = [getattr(op, "release_date", 0) or 0 for op in ops]
    if any(releases[1:]):
        raise InputError(f"{name}: job {j} has a release date on an operation after its first")
    dues = {getattr(op, "due_date", None) for op in ops} - {None}
    if len(dues) > 1:
        raise InputError(f"{name}: job {j} has different due dates on its operations; "
                         "expected one due date per job")
    due = _integer(dues.pop(), name, "due date") if dues else NO_DUE
    return _integer(releases[0], name, "release date"), due


def from_job_shop_lib(instance) -> JobShopInstance | FlexibleInstance:
    """Our instance of job_shop_lib's ``instance``: a JobShopInstance when it is a job shop
    without dates (jobs of any length), else a FlexibleInstance."""
    name = str(getattr(instance, "name", "job_shop_lib"))
    jobs = list(instance.jobs)
    if not jobs or not all(jobs):
        raise InputError(f"{name}: expected at least one job, each with at least one operation")
    m = int(instance.num_machines)
    dates = [_job_dates(name, j, ops) for j, ops in enumerate(jobs)]
    options = [[[(int(machine), _integer(op.duration, name, "duration")) for machine in op.machines]
                for op in ops] for ops in jobs]
    single = all(len(o) == 1 for job in options for o in job)
    if single and not any(r or d != NO_DUE for r, d in dates):
        return JobShopInstance.from_routes(name, [[o[0] for o in job] for job in options],
                                           n_machines=m, **_bounds(instance))
    release, due = zip(*dates)
    return FlexibleInstance.from_lists(name, m, options, release=list(release), due=list(due),
                                       **_bounds(instance))


def _bounds(instance) -> dict:
    """The bounds job_shop_lib's benchmark metadata names (``optimum`` proves both)."""
    meta = getattr(instance, "metadata", None) or {}
    optimum = meta.get("optimum")
    bounds = {"lower_bound": meta.get("lower_bound", optimum), "upper_bound": meta.get("upper_bound", optimum)}
    bounds = {k: int(v) for k, v in bounds.items() if v is not None}
    if optimum is not None:
        bounds["optimal"] = True
    return bounds


def to_job_shop_lib(instance: JobShopInstance | FlexibleInstance):
    """job_shop_lib's ``JobShopInstance`` of our ``instance`` (name, bounds in its metadata)."""
    jsl = _job_shop_lib()
    meta = {k: getattr(instance, k) for k in ("lower_bound", "upper_bound")
            if getattr(instance, k) is not None}
    if getattr(instance, "optimal", False) and instance.upper_bound is not None:
        meta["optimum"] = int(instance.upper_bound)
    if isinstance(instance, JobShopInstance):
        jobs = [[jsl.Operation(m, d) for m, d in route] for route in instance.routes()]
        return jsl.JobShopInstance(jobs, name=instance.name, **meta)
    if not isinstance(instance, FlexibleInstance):
        raise InputError(f"to_job_shop_lib: expected a JobShopInstance or FlexibleInstance, "
                         f"found {type(instance).__name__}")
    if (instance.weight != 1).any() and instance.has_due_dates:
        raise InputError(f"{instance.name}: job_shop_lib has no job weights")
    jobs = []
    for j, ops in enumerate(instance.to_lists()):
        job = []
        for k, eligible in enumerate(ops):
            machines, durations = zip(*eligible)
            if len(set(durations)) > 1:
                raise InputError(f"{instance.name}: operation {k} of job {j} takes different times "
                                 "on its machines; job_shop_lib gives an operation one duration")
            due = int(instance.due[j]) if instance.due[j] != NO_DUE and k == len(ops) - 1 else None
            job.append(jsl.Operation(list(machines), durations[0],
                                     release_date=int(instance.release[j]) if k == 0 else 0,
                                     due_date=due))
        jobs.append(job)
    return jsl.JobShopInstance(jobs, name=instance.name, **meta)
