"""An MRT instance: a cluster of D resource types and a sequence of jobs.

Job ``i`` (in the order given, counting from 0) arrives at ``arrival[i]`` (integer >= 0), runs
for ``length[i]`` (integer >= 1) time steps and needs ``demand[i, r]`` units of resource ``r``
(integer, ``0 <= demand <= capacity[r]``) while it runs. Jobs need not be listed in arrival
order; :attr:`MrtInstance.arrival_order` sorts them (by arrival, then by index), which is the
order of the DAG nodes (see :mod:`rewriter.mrt.schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError

__all__ = ["MrtInstance", "DEFAULT_CAPACITY", "DEFAULT_WINDOW"]

DEFAULT_CAPACITY = 10
DEFAULT_WINDOW = 10
_MAX_VALUE = 2 ** 31  # far beyond any real instance; keeps every sum inside int64
# Schedulers keep a resource profile of (time steps up to the horizon) x (resources) int64 cells:
# 134 MB here, where the data sets need about 20,000. One job arriving at 2**31 asked for 48 GiB.
_MAX_PROFILE_CELLS = 2 ** 24


@dataclass(eq=False)
class MrtInstance:
    """Capacity (D,), rule window W, and per job arrival (n,), length (n,), demand (n, D); int64."""

    name: str
    capacity: np.ndarray
    arrival: np.ndarray
    length: np.ndarray
    demand: np.ndarray
    window: int = DEFAULT_WINDOW
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.capacity = _int_array(self.capacity, "capacity", 1)
        self.arrival = _int_array(self.arrival, "arrival", 1)
        self.length = _int_array(self.length, "length", 1)
        self.demand = _int_array(self.demand, "demand", 2)
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"instance name must be a non-empty string, found {self.name!r}")
        d = self.capacity.shape[0]
        n = self.arrival.shape[0]
        if d < 1:
            raise InputError("an instance needs at least one resource type")
        if n < 1:
            raise InputError("an instance needs at least one job")
        if self.length.shape[0] != n or self.demand.shape[0] != n:
            raise InputError(f"arrival, length and demand must describe the same jobs; found "
                             f"{n}, {self.length.shape[0]} and {self.demand.shape[0]} jobs")
        if self.demand.shape[1] != d:
            raise InputError(f"demand has {self.demand.shape[1]} columns, expected one per resource ({d})")
        if isinstance(self.window, bool) or not isinstance(self.window, (int, np.integer)) or self.window < 1:
            raise InputError(f"window must be an integer >= 1, found {self.window!r}")
        self.window = int(self.window)
        if (self.capacity < 1).any():
            r = int(np.argmax(self.capacity < 1))
            raise InputError(f"capacity[{r}]: expected an integer >= 1, found {self.capacity[r]}")
        for name, arr, low in (("arrival", self.arrival, 0), ("length", self.length, 1)):
            if (arr < low).any():
                i = int(np.argmax(arr < low))
                raise InputError(f"job {i}: expected {name} >= {low}, found {arr[i]}")
        bad = (self.demand < 0) | (self.demand > self.capacity[None, :])
        if bad.any():
            i, r = (int(x) for x in np.argwhere(bad)[0])
            raise InputError(f"job {i}: demand[{r}] = {self.demand[i, r]}, expected 0..{self.capacity[r]} "
                             f"(the capacity of resource {r})")
        for name, arr in (("arrival", self.arrival), ("length", self.length)):
            if (arr >= _MAX_VALUE).any():
                raise InputError(f"{name} values must be below {_MAX_VALUE}")
        self._check_profile_size()

    def _check_profile_size(self) -> None:
        steps = self.horizon + int(self.length.max()) + 1
        if steps * self.resources > _MAX_PROFILE_CELLS:
            raise InputError(f"the jobs span {steps:,} time steps (last arrival + total length) x "
                             f"{self.resources} resources; expected at most {_MAX_PROFILE_CELLS:,} "
                             "cells of resource profile, which schedulers allocate")

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return int(self.arrival.shape[0])

    @property
    def resources(self) -> int:
        return int(self.capacity.shape[0])

    @cached_property
    def arrival_order(self) -> np.ndarray:
        """Job indices sorted by arrival, ties by index: node ``i`` of the DAG is job ``arrival_order[i - 1]``."""
        return np.argsort(self.arrival, kind="stable").astype(np.int64)

    @cached_property
    def horizon(self) -> int:
        """A time by which every left-justified schedule has finished: last arrival + total length."""
        return int(self.arrival.max() + self.length.sum())

    def job_columns(self, job_end) -> dict[str, np.ndarray]:
        """Per job, the columns a table of a schedule shows beside its start and end (``job_end``:
        each job's end): arrival, length, demand of each resource, and slowdown (time in the
        system over length)."""
        columns = {"arrival": self.arrival, "length": self.length}
        columns.update({f"demand_{r}": self.demand[:, r] for r in range(self.resources)})
        columns["slowdown"] = (np.asarray(job_end, dtype=np.float64) - self.arrival) / self.length
        return columns

    def slowdown(self, starts) -> float:
        """Average slowdown of start times ``starts`` (indexed by job)."""
        starts = np.asarray(starts, dtype=np.int64)
        return float(np.mean((starts + self.length - self.arrival) / self.length))


def _int_array(value, name: str, ndim: int) -> np.ndarray:
    if not isinstance(value, np.ndarray):  # Python integers: range-checked exactly, as written
        try:
            exact = np.asarray(value, dtype=object)
        except Exception:  # noqa: BLE001 - ragged lists: reported below
            exact = None
        if exact is not None and exact.ndim == ndim and exact.size:
            values = exact.ravel().tolist()
            if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
                index = next((i for i, v in enumerate(values) if abs(int(v)) >= _MAX_VALUE), None)
                if index is not None:
                    raise _too_large(name, exact.shape, index, int(values[index]))
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists
        raise InputError(f"{name}: expected a {ndim}-d array of integers ({exc})") from None
    if arr.size == 0:
        arr = arr.reshape((0,) * ndim if ndim == 1 else (0, 0)).astype(np.int64)
    if arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-d array of integers, found shape {arr.shape}")
    if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
        big = ~(np.abs(arr) < _MAX_VALUE)
        if big.any():
            index = int(np.flatnonzero(big.ravel())[0])
            found = float(arr.ravel()[index])
            raise _too_large(name, arr.shape, index, int(found) if np.isfinite(found) else found)
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "O":  # Python integers too large for int64 (or not numbers at all)
        values = arr.ravel().tolist()
        if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                          for v in values):
            index = next(i for i, v in enumerate(values) if abs(int(v)) >= _MAX_VALUE)
            raise _too_large(name, arr.shape, index, int(values[index]))
    if arr.dtype.kind not in "iu":
        raise InputError(f"{name}: expected integers, found dtype {arr.dtype}")
    if arr.size:  # checked before the cast: 2**63 as int64 would show as -9223372036854775808
        big = (arr >= _MAX_VALUE) if arr.dtype.kind == "u" else (arr >= _MAX_VALUE) | (arr <= -_MAX_VALUE)
        if big.any():
            index = int(np.flatnonzero(big.ravel())[0])
            raise _too_large(name, arr.shape, index, int(arr.ravel()[index]))
    return np.ascontiguousarray(arr, dtype=np.int64)


def _too_large(name: str, shape, flat_index: int, value: int) -> InputError:
    """The value as written (an int64 cast would show 2**63 as -9223372036854775808)."""
    bound = f"below {_MAX_VALUE}" if value >= 0 else f"of absolute value below {_MAX_VALUE}"
    return InputError(f"{name}{_where(shape, flat_index)}: expected an integer {bound}, "
                      f"found {value}")


def _where(shape, flat_index: int) -> str:
    return "".join(f"[{i}]" for i in np.unravel_index(flat_index, shape))
