"""The job shop's Gantt chart: one bar per operation on its machine (drawn by
:func:`rewriter.shop.gantt.gantt`)."""

from __future__ import annotations

import numpy as np

from ..shop.gantt import gantt, gantt_title


def plot_gantt(solution_or_result, path=None, title: str | None = None, ax=None):
    """Draw a Result's (or a JobShopSolution's) schedule on ``ax`` (a new figure without one),
    save it to ``path`` when given (a file name or a file object), and return the Axes."""
    obj, note = solution_or_result, ""
    if hasattr(obj, "solution") and hasattr(obj, "instance"):  # a Result
        if getattr(obj, "method", None) and getattr(obj, "init", None):
            note = f"{obj.method} from {obj.init}"
        obj = obj.solution
    if not (hasattr(obj, "instance") and hasattr(obj, "heads")):
        raise TypeError(f"expected a Result or a JobShopSolution, got {type(solution_or_result).__name__}")
    return draw(obj, note, path, title, ax)


def draw(solution, note: str = "", path=None, title: str | None = None, ax=None):
    """The Gantt chart of a JobShopSolution, ``note`` (how it was found) after its heading."""
    inst = solution.instance
    start = np.asarray(solution.heads, dtype=np.int64)
    heading = gantt_title(inst, int(solution.makespan)) + (f"  [{note}]" if note else "")
    return gantt(path, inst.op_machine, start, start + inst.op_duration, inst.op_job,
                 inst.n_machines, inst.n_jobs, heading, int(solution.makespan), title, ax=ax)
