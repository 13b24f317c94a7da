"""A job-shop instance: n jobs, each a route of m operations, on m machines.

Operations are numbered job-major: operation ``k`` of job ``j`` has id ``j * m + k``. Every
kernel works on the flat per-operation arrays this class derives once (durations, machines,
job predecessor/successor, and the machine-major layout of operations), so the numba code never
touches Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..shop.bounds import CuratedBounds


@dataclass(eq=False)
class JobShopInstance(CuratedBounds):
    """Durations and machines of every operation, with optional known bounds.

    ``durations[j, k]`` and ``machines[j, k]`` describe the k-th operation of job j; machines count
    from 0. A job may visit a machine more than once (re-entrant) or not at all.
    """

    name: str
    durations: np.ndarray
    machines: np.ndarray
    lower_bound: int | None = None
    upper_bound: int | None = None
    optimal: bool = False
    metadata: dict = field(default_factory=dict)
    #: the bounds are the package's own (bounds.csv of a bundled instance), not a file's claim
    bounds_curated: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.durations = np.ascontiguousarray(self.durations, dtype=np.int64)
        self.machines = np.ascontiguousarray(self.machines, dtype=np.int64)
        if self.durations.ndim != 2 or self.durations.shape != self.machines.shape:
            raise ValueError(
                f"durations {self.durations.shape} and machines {self.machines.shape} "
                "must be two matrices of the same shape (n_jobs, n_machines)"
            )
        n, m = self.durations.shape
        if n < 1 or m < 1:
            raise ValueError("an instance needs at least one job and one machine")
        # Zero is allowed: a classic benchmark (orb07) has a zero-length operation.
        if (self.durations < 0).any():
            raise ValueError("every duration must be a non-negative integer")
        if (self.machines < 0).any() or (self.machines >= m).any():
            raise ValueError(f"machine indices must lie in 0..{m - 1}")

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return int(self.durations.shape[0])

    @property
    def n_machines(self) -> int:
        return int(self.durations.shape[1])

    @property
    def n_operations(self) -> int:
        return int(self.durations.size)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_jobs, self.n_machines

    # ---- flat arrays for the kernels ---------------------------------------------------------
    @cached_property
    def op_duration(self) -> np.ndarray:
        return self.durations.reshape(-1).copy()

    @cached_property
    def op_machine(self) -> np.ndarray:
        return self.machines.reshape(-1).copy()

    @cached_property
    def op_job(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_jobs, dtype=np.int64), self.n_machines)

    @cached_property
    def op_index(self) -> np.ndarray:
        """Position of each operation in its job's route."""
        return np.tile(np.arange(self.n_machines, dtype=np.int64), self.n_jobs)

    @cached_property
    def job_pred(self) -> np.ndarray:
        """Previous operation of the same job, -1 for the first."""
        pred = np.arange(-1, self.n_operations - 1, dtype=np.int64)
        pred[self.op_index == 0] = -1
        return pred

    @cached_property
    def job_succ(self) -> np.ndarray:
        """Next operation of the same job, -1 for the last."""
        succ = np.arange(1, self.n_operations + 1, dtype=np.int64)
        succ[self.op_index == self.n_machines - 1] = -1
        return succ

    @cached_property
    def machine_start(self) -> np.ndarray:
        """CSR offsets: machine i's sequence occupies ``order[machine_start[i]:machine_start[i+1]]``."""
        counts = np.bincount(self.op_machine, minlength=self.n_machines)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @cached_property
    def job_work(self) -> np.ndarray:
        """Total processing time of each job."""
        return self.durations.sum(axis=1)

    @cached_property
    def remaining_work(self) -> np.ndarray:
        """Flat: processing time of the operation and everything after it in its job."""
        return np.ascontiguousarray(self.durations[:, ::-1].cumsum(axis=1)[:, ::-1]).reshape(-1)

    def operation(self, job: int, op: int) -> int:
        return job * self.n_machines + op

    def trivial_lower_bound(self) -> int:
        """max(longest job, busiest machine): a bound every schedule respects."""
        machine_load = np.bincount(self.op_machine, weights=self.op_duration, minlength=self.n_machines)
        return int(max(self.job_work.max(), machine_load.max()))

    @classmethod
    def from_arrays(cls, name: str, durations, machines, **extra) -> "JobShopInstance":
        """From ``durations[j][k]`` and ``machines[j][k]`` (machines from 0) of operation k of
        job j: nested lists or arrays of integers, n_jobs rows of n_machines operations.
        ``extra``: ``lower_bound``, ``upper_bound``, ``optimal``, ``metadata``. Anything
        malformed (ragged rows, a fractional or negative duration, a machine out of range) is
        an :class:`~rewriter.errors.InputError` naming the instance."""
        arrays = []
        for what, values in (("durations", durations), ("machines", machines)):
            try:
                array = np.asarray(values)
            except ValueError:
                array = None
            if array is None or array.dtype == object or array.ndim != 2:
                raise InputError(f"{name}: {what} must be a rectangular table: one row per job, "
                                 "one integer per operation")
            if array.size and not np.issubdtype(array.dtype, np.integer):
                if not np.issubdtype(array.dtype, np.number) or np.any(array != np.round(array)):
                    raise InputError(f"{name}: {what} must be integers")
            arrays.append(array)
        try:
            return cls(name, *arrays, **extra)
        except ValueError as exc:
            raise InputError(f"{name}: {exc}") from None

    def __repr__(self) -> str:
        return f"JobShopInstance({self.name!r}, {self.n_jobs}x{self.n_machines})"
