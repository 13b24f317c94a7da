"""A flexible job-shop schedule: each operation's machine and each machine's order.

Start times follow from them (earliest starts over the job chains and machine orders, never
before the job's release date). The objectives: makespan, total weighted tardiness, and makespan
+ w x total weighted tardiness; every schedule also reports late jobs, total (unweighted)
tardiness, maximum lateness and machine utilisation.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import kernels as K
from .instance import NO_DUE, FlexibleInstance

OBJECTIVES = ("makespan", "tardiness", "combined")


def objective_value(values: dict, objective: str, tardiness_weight: float = 1.0) -> float:
    """The cost to minimise: makespan, total weighted tardiness, or makespan + w x that."""
    if objective == "makespan":
        return values["makespan"]
    if objective == "tardiness":
        return values["weighted_tardiness"]
    if objective == "combined":
        return values["makespan"] + tardiness_weight * values["weighted_tardiness"]
    raise InputError(f"unknown objective {objective!r}; expected one of: {', '.join(OBJECTIVES)}")


class FlexibleSchedule:
    """Machine assignment + machine orders, with heads, makespan and the tardiness figures."""

    def __init__(self, instance: FlexibleInstance, assign, sequences):
        inst = instance
        n = inst.n_operations
        self.instance = inst
        self.assign = np.asarray(assign, dtype=np.int64).copy()
        if self.assign.shape != (n,):
            raise ValueError(f"assign needs one machine per operation ({n})")
        table = inst.duration_table
        try:
            self.dur = np.array([table[o, int(m)] for o, m in enumerate(self.assign)], np.int64)
        except KeyError as exc:
            raise ValueError(f"operation {exc.args[0][0]} is not eligible on machine {exc.args[0][1]}") from None
        self.mach_pred = np.full(n, -1, np.int64)
        self.mach_succ = np.full(n, -1, np.int64)
        seen = np.zeros(n, bool)
        if len(sequences) != inst.n_machines:
            raise ValueError(f"expected one sequence per machine ({inst.n_machines})")
        for m, seq in enumerate(sequences):
            for k, o in enumerate(seq):
                if self.assign[o] != m or seen[o]:
                    raise ValueError(f"operation {o} is listed on machine {m} but assigned to "
                                     f"{self.assign[o]}, or listed twice")
                seen[o] = True
                if k:
                    self.mach_pred[o] = seq[k - 1]
                    self.mach_succ[seq[k - 1]] = o
        if not seen.all():
            raise ValueError(f"operation {int(np.flatnonzero(~seen)[0])} is on no machine sequence")
        self.job_pred, self.job_succ = job_links(inst)
        self.op_release = inst.release[inst.op_job]
        self.heads = np.zeros(n, np.int64)
        self.topo = np.zeros(n, np.int64)
        self.makespan = int(K.heads_and_makespan(self.job_pred, self.job_succ, self.mach_pred,
                                                 self.mach_succ, self.dur, self.op_release,
                                                 self.heads, self.topo))
        if self.makespan < 0:
            raise ValueError("the machine orders and the job routes form a cycle")

    @classmethod
    def from_starts(cls, instance: FlexibleInstance, assign, starts) -> "FlexibleSchedule":
        """The schedule that runs each machine's operations in the order of their start times."""
        assign = np.asarray(assign, dtype=np.int64)
        order = np.lexsort((np.arange(len(assign)), np.asarray(starts)))
        sequences = [[] for _ in range(instance.n_machines)]
        for o in order.tolist():
            sequences[int(assign[o])].append(o)
        return cls(instance, assign, sequences)

    def sequences(self) -> list[list[int]]:
        out = [[] for _ in range(self.instance.n_machines)]
        for o in self.topo.tolist():  # a topological order keeps every machine's order
            out[int(self.assign[o])].append(o)
        return out

    @property
    def ends(self) -> np.ndarray:
        return self.heads + self.dur

    def plot_gantt(self, ax=None, path=None, title: str | None = None, note: str = ""):
        """Its Gantt chart on ``ax`` (a new figure without one), saved to ``path`` when given;
        returns the Axes (:func:`rewriter.fjsp.gantt.draw`)."""
        from .gantt import draw

        return draw(self, note, path, title, ax)

    def values(self) -> dict:
        """Every figure a result reports (the objectives among them)."""
        inst = self.instance
        completion = np.zeros(inst.n_jobs, np.int64)
        K.job_completion(inst.job_start, self.heads, self.dur, completion)
        has_due = inst.due != NO_DUE
        lateness = completion - inst.due
        tardiness = np.where(has_due, np.maximum(lateness, 0), 0)
        work = int(self.dur.sum())
        return {
            "makespan": self.makespan,
            "weighted_tardiness": int((tardiness * inst.weight).sum()),
            "total_tardiness": int(tardiness.sum()),
            "late_jobs": int((tardiness > 0).sum()),
            "max_lateness": int(lateness[has_due].max()) if has_due.any() else None,
            "utilisation": round(work / (inst.n_machines * self.makespan), 4) if self.makespan else 0.0,
        }

    def to_dict(self) -> dict:
        """Operations and machine sequences in the schedule JSON layout (docs/cli.md)."""
        inst = self.instance
        ops = [{"job": int(inst.op_job[o]), "op": int(inst.op_index[o]),
                "machine": int(self.assign[o]), "start": int(self.heads[o]),
                "end": int(self.heads[o] + self.dur[o])} for o in range(inst.n_operations)]
        seqs = [[[int(inst.op_job[o]), int(inst.op_index[o])] for o in seq] for seq in self.sequences()]
        return {"machine_sequences": seqs, "operations": ops}


def job_links(inst: FlexibleInstance) -> tuple[np.ndarray, np.ndarray]:
    """(job predecessor, job successor) of every operation, -1 at a job's ends."""
    n = inst.n_operations
    pred = np.arange(-1, n - 1, dtype=np.int64)
    succ = np.arange(1, n + 1, dtype=np.int64)
    pred[inst.job_start[:-1]] = -1
    succ[inst.job_start[1:] - 1] = -1
    return pred, succ
