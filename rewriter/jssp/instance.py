"""A job-shop instance: n jobs, each a route of operations, on m machines.

A job's route may have any number of operations and may visit a machine several times or not at
all (a *re-entrant* shop, as real fabs are); the classic benchmark shape, every job visiting
every machine once, is the special case of n routes of m operations.

Operations are numbered job-major: operation ``k`` of job ``j`` has id ``job_start[j] + k``
(``j * m + k`` for a rectangular instance). Every kernel works on the flat per-operation arrays
(durations, machines, job predecessor/successor, and the machine-major layout of operations), so
the numba code never touches Python objects and never assumes a shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..shop.bounds import CuratedBounds


@dataclass(eq=False, init=False)
class JobShopInstance(CuratedBounds):
    """Durations and machines of every operation, with optional known bounds.

    Built from two ``(n_jobs, ops_per_job)`` matrices, ``durations[j, k]`` and ``machines[j, k]``
    of the k-th operation of job j (machines from 0), or for routes of different lengths with
    :meth:`from_routes` / :meth:`from_flat`. ``durations`` and ``machines`` (the matrices) exist
    only when every job has as many operations (:attr:`is_rectangular`); the flat ``op_*``
    arrays and ``job_start`` always do.
    """

    name: str
    op_duration: np.ndarray
    op_machine: np.ndarray
    #: CSR offsets: job j's operations are ids ``job_start[j]:job_start[j + 1]``
    job_start: np.ndarray
    n_machines: int
    lower_bound: int | None = None
    upper_bound: int | None = None
    optimal: bool = False
    metadata: dict = field(default_factory=dict)
    #: the bounds are the package's own (bounds.csv of a bundled instance), not a file's claim
    bounds_curated: bool = field(default=False, compare=False, repr=False)

    def __init__(self, name: str, durations, machines, lower_bound: int | None = None,
                 upper_bound: int | None = None, optimal: bool = False,
                 metadata: dict | None = None, bounds_curated: bool = False) -> None:
        durations = np.asarray(durations)
        machines = np.asarray(machines)
        if durations.ndim != 2 or durations.shape != machines.shape:
            raise ValueError(
                f"durations {durations.shape} and machines {machines.shape} "
                "must be two matrices of the same shape (n_jobs, n_machines)"
            )
        n, m = durations.shape
        if n < 1 or m < 1:
            raise ValueError("an instance needs at least one job and one machine")
        self._set(name, durations.reshape(-1), machines.reshape(-1),
                  np.arange(0, n * m + 1, m, dtype=np.int64), m, lower_bound, upper_bound, optimal, metadata, bounds_curated)

    @classmethod
    def from_flat(cls, name: str, op_duration, op_machine, job_start, n_machines: int,
                  **extra) -> "JobShopInstance":
        """From flat per-operation arrays, job-major, and the CSR offsets ``job_start`` (n_jobs + 1
        entries, 0 first, non-decreasing, the number of operations last). Jobs may differ in
        length and revisit machines; a job without operations is refused. ``extra``:
        ``lower_bound``, ``upper_bound``, ``optimal``, ``metadata``, ``bounds_curated``."""
        self = cls.__new__(cls)
        self._set(name, np.asarray(op_duration), np.asarray(op_machine), np.asarray(job_start),
                  int(n_machines), extra.get("lower_bound"), extra.get("upper_bound"),
                  extra.get("optimal", False), extra.get("metadata"),
                  extra.get("bounds_curated", False))
        return self

    @classmethod
    def from_routes(cls, name: str, routes, n_machines: int | None = None,
                    **extra) -> "JobShopInstance":
        """From one route per job, each a sequence of ``(machine, duration)`` pairs (machines
        from 0). ``n_machines`` defaults to the largest machine index + 1. Malformed input is
        an :class:`~rewriter.errors.InputError` naming the instance."""
        try:
            lengths = [len(route) for route in routes]
            pairs = np.array([pair for route in routes for pair in route], dtype=np.int64)
        except (TypeError, ValueError):
            raise InputError(f"{name}: every route must be a sequence of (machine, duration) "
                             "integer pairs") from None
        pairs = pairs.reshape(-1, 2)
        if n_machines is None:
            n_machines = int(pairs[:, 0].max()) + 1 if len(pairs) else 1
        job_start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        try:
            return cls.from_flat(name, pairs[:, 1], pairs[:, 0], job_start, n_machines, **extra)
        except ValueError as exc:
            raise InputError(f"{name}: {exc}") from None

    def _set(self, name, op_duration, op_machine, job_start, n_machines, lower_bound,
             upper_bound, optimal, metadata, bounds_curated) -> None:
        self.name = name
        self.op_duration = np.ascontiguousarray(op_duration, dtype=np.int64).reshape(-1)
        self.op_machine = np.ascontiguousarray(op_machine, dtype=np.int64).reshape(-1)
        self.job_start = np.ascontiguousarray(job_start, dtype=np.int64).reshape(-1)
        self.n_machines = int(n_machines)
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.optimal = optimal
        self.metadata = {} if metadata is None else metadata
        self.bounds_curated = bounds_curated
        self._check()

    def _check(self) -> None:
        n_ops = self.op_duration.shape[0]
        starts = self.job_start
        if self.op_machine.shape[0] != n_ops:
            raise ValueError(f"{n_ops} durations but {self.op_machine.shape[0]} machines")
        if starts.shape[0] < 2 or self.n_machines < 1:
            raise ValueError("an instance needs at least one job and one machine")
        if starts[0] != 0 or starts[-1] != n_ops or (np.diff(starts) < 1).any():
            raise ValueError("every job needs at least one operation (job_start must rise from 0 "
                             f"to {n_ops})")
        # Zero is allowed: a classic benchmark (orb07) has a zero-length operation.
        if (self.op_duration < 0).any():
            raise ValueError("every duration must be a non-negative integer")
        if (self.op_machine < 0).any() or (self.op_machine >= self.n_machines).any():
            raise ValueError(f"machine indices must lie in 0..{self.n_machines - 1}")

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return int(self.job_start.shape[0] - 1)

    @property
    def n_operations(self) -> int:
        return int(self.op_duration.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_jobs, self.n_machines

    @cached_property
    def job_length(self) -> np.ndarray:
        """Number of operations of each job."""
        return np.diff(self.job_start)

    @cached_property
    def is_rectangular(self) -> bool:
        """True when every job has ``n_machines`` operations: the classic benchmark shape, the
        one the matrices :attr:`durations`/:attr:`machines` and the fixed-size encodings need
        (a job may still revisit a machine)."""
        return bool((self.job_length == self.n_machines).all())

    # ---- the (n_jobs, n_machines) matrices of a rectangular instance ------------------------
    @property
    def durations(self) -> np.ndarray:
        """``durations[j, k]``: the k-th operation's duration (a view of :attr:`op_duration`)."""
        self._require_rectangular("durations")
        return self.op_duration.reshape(self.n_jobs, self.n_machines)

    @property
    def machines(self) -> np.ndarray:
        """``machines[j, k]``: the k-th operation's machine (a view of :attr:`op_machine`)."""
        self._require_rectangular("machines")
        return self.op_machine.reshape(self.n_jobs, self.n_machines)

    def _require_rectangular(self, what: str) -> None:
        if not self.is_rectangular:
            raise InputError(
                f"{self.name}: jobs have {int(self.job_length.min())} to {int(self.job_length.max())} "
                f"operations on {self.n_machines} machines, so there is no {what} matrix; this "
                "part of the package needs every job to have one operation per machine")

    # ---- flat arrays for the kernels ---------------------------------------------------------
    @cached_property
    def op_job(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_jobs, dtype=np.int64), self.job_length)

    @cached_property
    def op_index(self) -> np.ndarray:
        """Position of each operation in its job's route."""
        return np.arange(self.n_operations, dtype=np.int64) - self.job_start[self.op_job]

    @cached_property
    def job_pred(self) -> np.ndarray:
        """Previous operation of the same job, -1 for the first."""
        pred = np.arange(-1, self.n_operations - 1, dtype=np.int64)
        pred[self.job_start[:-1]] = -1
        return pred

    @cached_property
    def job_succ(self) -> np.ndarray:
        """Next operation of the same job, -1 for the last."""
        succ = np.arange(1, self.n_operations + 1, dtype=np.int64)
        succ[self.job_start[1:] - 1] = -1
        return succ

    @cached_property
    def job_last(self) -> np.ndarray:
        """The last operation of every job."""
        return self.job_start[1:] - 1

    @cached_property
    def machine_start(self) -> np.ndarray:
        """CSR offsets: machine i's sequence occupies ``order[machine_start[i]:machine_start[i+1]]``."""
        counts = np.bincount(self.op_machine, minlength=self.n_machines)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @cached_property
    def job_work(self) -> np.ndarray:
        """Total processing time of each job."""
        return np.add.reduceat(self.op_duration, self.job_start[:-1])

    @cached_property
    def remaining_work(self) -> np.ndarray:
        """Flat: processing time of the operation and everything after it in its job."""
        total = np.cumsum(self.op_duration)  # inclusive prefix sums
        job_end = total[self.job_last][self.op_job]
        return job_end - total + self.op_duration

    def operation(self, job: int, op: int) -> int:
        return int(self.job_start[job]) + op

    def routes(self) -> list[list[tuple[int, int]]]:
        """``[job] = [(machine, duration), ...]``: what :meth:`from_routes` reads back."""
        machines, durations = self.op_machine.tolist(), self.op_duration.tolist()
        starts = self.job_start.tolist()
        return [list(zip(machines[a:b], durations[a:b])) for a, b in zip(starts, starts[1:])]

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
