"""An MRT schedule: start times, its "starts-when" DAG and the NeuRewriter rewrite step.

Indexing
--------
Jobs are numbered ``0..n-1`` as listed in the instance; :attr:`MrtSchedule.starts` and every
schedule file use these numbers. The DAG has ``N = n + 1`` *nodes*: node 0 is the machine, node
``i >= 1`` is job ``instance.arrival_order[i - 1]``, i.e. the i-th job by arrival (ties by job
number). Internally every array is in node order (node 0 a dummy of length 0).

DAG
---
Edge ``(0, i)`` when job node i starts at its arrival; edge ``(k, i)`` for every job node k that
ends exactly when i starts (several parents when several jobs end then). A job that starts at
neither (possible only for schedules read from outside) gets node 0 as its parent. Every edge
between jobs goes from an earlier start to a strictly later one (lengths are >= 1), so the graph
is acyclic and ``node 0, then nodes by start`` is a topological order.

Rewrite ``(region j, partner p)``
---------------------------------
Job node ``j`` is moved to ``t = end of p`` (``p = 0``: ``t = arrival of j``). Infeasible
(``False``, nothing changes) when ``p == j``, either index is out of range, or ``t < arrival(j)``.
Otherwise the jobs ending by ``t`` stay, ``j`` starts at exactly ``t``, and every other job (the
jobs whose run overlaps ``j``'s new interval and every job running later) is re-placed in the
order of its old start at its earliest feasible time ``>= arrival`` (the kernel
:func:`rewriter.mrt.kernels.rewrite`). The result is always feasible and ``j`` always starts at
the requested time; re-placed jobs start at their arrival or at some job's end.
"""

from __future__ import annotations

import numpy as np

from ..core.problem import levels_from_parents
from . import kernels
from .instance import MrtInstance

__all__ = ["MrtSchedule"]


class MrtSchedule:
    """A feasible schedule of an :class:`MrtInstance` with its DAG and the rewrite step."""

    def __init__(self, instance: MrtInstance, starts, *, check: bool = True):
        """``starts``: one start time per job (instance order), each in ``0..10 * horizon + 1000``.
        ``check`` verifies feasibility with the kernels (``ValueError`` if it is not feasible)."""
        self.instance = instance
        order = instance.arrival_order
        n = instance.n_jobs
        self.node_job = np.concatenate([[-1], order]).astype(np.int64)  # node -> job (-1 machine)
        self.arrival = np.concatenate([[0], instance.arrival[order]]).astype(np.int64)
        self.length = np.concatenate([[0], instance.length[order]]).astype(np.int64)
        self.demand = np.vstack([np.zeros((1, instance.resources), np.int64), instance.demand[order]])
        self.capacity = instance.capacity
        self.window = instance.window
        starts = np.asarray(starts, dtype=np.int64).reshape(-1)
        if starts.shape[0] != n:
            raise ValueError(f"need {n} start times, got {starts.shape[0]}")
        self.start = np.concatenate([[0], starts[order]]).astype(np.int64)
        if starts.min() < 0 or starts.max() > 10 * instance.horizon + 1000:
            # keeps the profile array small; no sensible schedule idles that long
            raise ValueError(f"start times must lie in 0..{10 * instance.horizon + 1000}")
        horizon = max(instance.horizon, int(self.start.max() + self.length.max())) + int(self.length.max()) + 1
        self._usage = np.zeros((horizon, instance.resources), np.int64)
        self._nodes = np.zeros(n + 1, np.int64)
        self._out = np.zeros(n + 1, np.int64)
        if check:
            bad = [int(self.node_job[i]) for i in range(1, n + 1) if self.start[i] < self.arrival[i]]
            if bad:
                raise ValueError(f"job {bad[0]} starts before its arrival")
            self._check_capacity()

    def _check_capacity(self) -> None:
        kernels.usage_profile(self.start, self.length, self.demand, self._usage, -1)
        over = self._usage > self.capacity[None, :]
        if over.any():
            t, r = (int(x) for x in np.argwhere(over)[0])
            raise ValueError(f"resource {r} over capacity at time {t}: {self._usage[t, r]} > {self.capacity[r]}")

    @classmethod
    def from_priority(cls, instance: MrtInstance, priority) -> "MrtSchedule":
        """List scheduling: jobs (instance numbers) in ``priority`` order, each at its earliest
        feasible time >= arrival given the ones before (so gaps are backfilled)."""
        sched = cls(instance, instance.arrival.copy(), check=False)
        rank = np.empty(instance.n_jobs, np.int64)
        rank[instance.arrival_order] = np.arange(1, instance.n_jobs + 1)
        nodes = rank[np.asarray(priority, dtype=np.int64)]
        if sorted(nodes.tolist()) != list(range(1, instance.n_jobs + 1)):
            raise ValueError("priority must list every job exactly once")
        out = sched.start.copy()
        if not kernels.list_schedule(nodes, sched.arrival, sched.length, sched.demand, sched.capacity,
                                     sched._usage, out):
            raise RuntimeError("list scheduling ran past the profile horizon")  # cannot happen
        sched.start = out
        return sched

    # ---- values ------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return self.instance.n_jobs

    @property
    def starts(self) -> np.ndarray:
        """Start time per job, in instance order."""
        out = np.empty(self.n_jobs, np.int64)
        out[self.node_job[1:]] = self.start[1:]
        return out

    @property
    def ends(self) -> np.ndarray:
        return self.starts + self.instance.length

    def slowdowns(self) -> np.ndarray:
        """Slowdown per job node 1..n (node order)."""
        return (self.start[1:] + self.length[1:] - self.arrival[1:]) / self.length[1:]

    @property
    def average_slowdown(self) -> float:
        return float(self.slowdowns().mean())

    def copy(self) -> "MrtSchedule":
        new = object.__new__(MrtSchedule)
        new.__dict__.update(self.__dict__)
        new.start = self.start.copy()
        new._usage = np.zeros_like(self._usage)
        new._nodes = np.zeros_like(self._nodes)
        new._out = np.zeros_like(self._out)
        return new

    # ---- DAG ---------------------------------------------------------------------------------
    def parents(self) -> np.ndarray:
        """(N, P) parent node ids, -1 padded; P = the largest parent count (>= 1)."""
        n = self.n_jobs + 1
        parents = np.empty((n, max(1, n - 1)), np.int64)
        count = np.empty(n, np.int64)
        widest = kernels.dag_parents(self.start, self.arrival, self.length, parents, count)
        return parents[:, :widest].copy()

    def topological_order(self) -> np.ndarray:
        """Node 0, then job nodes by start time (ties by node id)."""
        return np.concatenate([[0], 1 + np.argsort(self.start[1:], kind="stable")]).astype(np.int64)

    def dag(self) -> tuple[np.ndarray, np.ndarray]:
        """(parents, level) of the DAG."""
        parents = self.parents()
        return parents, levels_from_parents(parents, self.topological_order())

    # ---- the rewrite step --------------------------------------------------------------------
    def target_start(self, region: int, partner: int) -> int | None:
        """The start the rewrite (region, partner) asks for, or None if an index is out of range."""
        n = self.n_jobs
        if not (1 <= region <= n and 0 <= partner <= n):
            return None
        if partner == 0:
            return int(self.arrival[region])
        return int(self.start[partner] + self.length[partner])

    def apply(self, region: int, partner: int) -> bool:
        """Rewrite in place (module docstring); False, nothing changed, when infeasible."""
        region, partner = int(region), int(partner)
        if region == partner:
            return False
        t = self.target_start(region, partner)
        if t is None or t < self.arrival[region]:
            return False
        while True:
            code = kernels.rewrite(self.start, self.arrival, self.length, self.demand, self.capacity,
                                   region, t, self._usage, self._nodes, self._out)
            if code >= 0:
                break
            # the profile array is too short for this placement: double it and try again
            self._usage = np.zeros((2 * self._usage.shape[0], self._usage.shape[1]), np.int64)
        if code == 0:
            return False
        self.start, self._out = self._out, self.start
        return True

    # ---- output ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The schedule JSON: ``{"instance", "average_slowdown", "jobs": [{"job", "start", "end"}]}``."""
        from .io import schedule_to_dict

        return schedule_to_dict(self.instance, self.starts)
