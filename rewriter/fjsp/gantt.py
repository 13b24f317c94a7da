"""The flexible shop's Gantt chart: one row per machine, late jobs outlined in red (drawn by
:func:`rewriter.shop.gantt.gantt`, which keeps one row per machine legible at 150 machines)."""

from __future__ import annotations

import numpy as np

from ..shop.gantt import gantt, gantt_title
from .instance import NO_DUE


def plot_gantt(result, path=None, title: str | None = None, ax=None):
    """Draw a Result's schedule (a :class:`~rewriter.fjsp.schedule.FlexibleSchedule`) on ``ax``
    (a new figure without one), save it to ``path`` when given, and return the Axes."""
    return draw(result.solution, f"{result.method} from {result.init}", path, title, ax)


def draw(schedule, note: str = "", path=None, title: str | None = None, ax=None):
    """The Gantt chart of a FlexibleSchedule, ``note`` (how it was found) after its heading."""
    sch = schedule
    inst = sch.instance
    completion = sch.heads[inst.job_start[1:] - 1] + sch.dur[inst.job_start[1:] - 1]
    late = np.flatnonzero((inst.due != NO_DUE) & (completion > inst.due)).tolist()
    heading = gantt_title(inst, sch.makespan) + (f"  [{note}]" if note else "")
    return gantt(path, sch.assign, sch.heads, sch.heads + sch.dur, inst.op_job, inst.n_machines,
                 inst.n_jobs, heading, sch.makespan, title, late, ax=ax)
