"""A flexible job-shop instance in flat arrays.

Operations are numbered job by job: job ``j`` owns operations ``job_start[j] .. job_start[j+1]-1``
in their required order. Operation ``o`` may run on the machines
``elig_machine[elig_start[o]:elig_start[o+1]]`` with the durations at the same positions of
``elig_duration`` (machines from 0, each at most once per operation, at least one per operation).
Per job: ``release`` (no operation starts before it, default 0), ``due`` (-1: none) and
``weight`` (of its tardiness, default 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..shop.bounds import CuratedBounds

NO_DUE = -1


@dataclass
class FlexibleInstance(CuratedBounds):
    name: str
    n_machines: int
    job_start: np.ndarray
    elig_start: np.ndarray
    elig_machine: np.ndarray
    elig_duration: np.ndarray
    release: np.ndarray | None = None
    due: np.ndarray | None = None
    weight: np.ndarray | None = None
    lower_bound: int | None = None
    upper_bound: int | None = None
    optimal: bool = False
    metadata: dict = field(default_factory=dict)
    #: the bounds are the package's own (bounds.csv of a bundled instance), not a file's claim
    bounds_curated: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        as_int = lambda a: np.ascontiguousarray(np.asarray(a, dtype=np.int64))  # noqa: E731
        self.job_start, self.elig_start = as_int(self.job_start), as_int(self.elig_start)
        self.elig_machine, self.elig_duration = as_int(self.elig_machine), as_int(self.elig_duration)
        n = self.n_jobs
        self.release = as_int(np.zeros(n) if self.release is None else self.release)
        self.due = as_int(np.full(n, NO_DUE) if self.due is None else self.due)
        self.weight = as_int(np.ones(n) if self.weight is None else self.weight)
        self._check()

    def _check(self) -> None:
        n, ops = self.n_jobs, self.n_operations
        if self.n_machines < 1 or n < 1:
            raise InputError(f"{self.name}: expected at least one job and one machine")
        if self.job_start[0] != 0 or np.any(np.diff(self.job_start) < 1):
            raise InputError(f"{self.name}: every job needs at least one operation")
        if len(self.elig_start) != ops + 1 or self.elig_start[0] != 0:
            raise InputError(f"{self.name}: eligibility index does not cover the {ops} operations")
        if np.any(np.diff(self.elig_start) < 1):
            op = int(np.flatnonzero(np.diff(self.elig_start) < 1)[0])
            raise InputError(f"{self.name}: operation {op} has no eligible machine")
        if len(self.elig_machine) != self.elig_start[-1] or len(self.elig_duration) != len(self.elig_machine):
            raise InputError(f"{self.name}: eligibility arrays of different lengths")
        if np.any(self.elig_machine < 0) or np.any(self.elig_machine >= self.n_machines):
            raise InputError(f"{self.name}: a machine index outside 0..{self.n_machines - 1}")
        if np.any(self.elig_duration < 0):
            raise InputError(f"{self.name}: a negative processing time")
        for name in ("release", "due", "weight"):
            if getattr(self, name).shape != (n,):
                raise InputError(f"{self.name}: {name} needs one value per job ({n})")
        if np.any(self.release < 0) or np.any(self.weight < 0) or np.any(self.due < NO_DUE):
            raise InputError(f"{self.name}: release dates and weights must be >= 0, due dates >= 0 or -1")
        owner = np.repeat(np.arange(ops), np.diff(self.elig_start))
        order = np.lexsort((self.elig_machine, owner))
        twice = (np.diff(owner[order]) == 0) & (np.diff(self.elig_machine[order]) == 0)
        if twice.any():
            op = int(owner[order][np.flatnonzero(twice)[0]])
            raise InputError(f"{self.name}: operation {op} lists a machine twice")

    # ---- sizes ---------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return int(len(self.job_start) - 1)

    @property
    def n_operations(self) -> int:
        return int(self.job_start[-1])

    @cached_property
    def op_job(self) -> np.ndarray:
        """(n_ops,) the job of each operation."""
        return np.repeat(np.arange(self.n_jobs, dtype=np.int64), np.diff(self.job_start))

    @cached_property
    def op_index(self) -> np.ndarray:
        """(n_ops,) the position of each operation within its job (0-based)."""
        return np.arange(self.n_operations, dtype=np.int64) - self.job_start[self.op_job]

    @property
    def has_due_dates(self) -> bool:
        return bool(np.any(self.due != NO_DUE))

    def job_columns(self, job_end) -> dict[str, np.ndarray]:
        """Per job, the columns a table of a schedule shows beside its operations (``job_end``:
        each job's completion): release dates where some job has one; due date, lateness
        (completion - due) and weight where some job has a due date (NaN for a job without)."""
        columns = {}
        if np.any(self.release != 0):
            columns["release"] = self.release
        if self.has_due_dates:
            due = np.where(self.due == NO_DUE, np.nan, self.due.astype(np.float64))
            columns.update(due=due, lateness=np.asarray(job_end, dtype=np.float64) - due,
                           weight=self.weight)
        return columns

    def eligible(self, op: int) -> list[tuple[int, int]]:
        """[(machine, duration), ...] of operation ``op``."""
        lo, hi = self.elig_start[op], self.elig_start[op + 1]
        return list(zip(self.elig_machine[lo:hi].tolist(), self.elig_duration[lo:hi].tolist()))

    @cached_property
    def duration_table(self) -> dict[tuple[int, int], int]:
        """{(op, machine): duration} for every eligible pair (for checks; kernels use the arrays)."""
        return {(op, m): d for op in range(self.n_operations) for m, d in self.eligible(op)}

    def trivial_lower_bound(self) -> int:
        """max over jobs of release + the sum of its operations' shortest durations, and the total
        shortest work divided over the machines (rounded up)."""
        shortest = np.minimum.reduceat(self.elig_duration, self.elig_start[:-1])
        per_job = np.add.reduceat(shortest, self.job_start[:-1]) + self.release
        return int(max(per_job.max(), -(-int(shortest.sum()) // self.n_machines)))

    @classmethod
    def from_lists(cls, name: str, n_machines: int, jobs: list[list[list[tuple[int, int]]]],
                   **extra) -> "FlexibleInstance":
        """From ``jobs[j][k] = [(machine, duration), ...]`` (machines from 0)."""
        job_start, elig_start, machines, durations = [0], [0], [], []
        for ops in jobs:
            for options in ops:
                for m, d in options:
                    machines.append(int(m))
                    durations.append(int(d))
                elig_start.append(len(machines))
            job_start.append(len(elig_start) - 1)
        return cls(name, int(n_machines), np.array(job_start), np.array(elig_start),
                   np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64), **extra)

    def to_lists(self) -> list[list[list[tuple[int, int]]]]:
        return [[self.eligible(op) for op in range(self.job_start[j], self.job_start[j + 1])]
                for j in range(self.n_jobs)]
