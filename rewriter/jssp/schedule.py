"""A job-shop solution: the order of operations on every machine, with its graph state.

:class:`JobShopSolution` keeps the flat arrays the kernels work on (machine links, heads, tails,
a topological order) and refreshes them after every change, so asking for the makespan, the
critical path or a neighbourhood is one kernel call each.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np

from . import kernels as K
from .instance import JobShopInstance

MOVE_KINDS = ("n5", "n1", "adjacent", "n7")


class CyclicOrder(ValueError):
    """The machine orders contradict the job routes (the oriented graph has a cycle)."""


@dataclass
class Move:
    """Move ``u`` to the far side of ``v`` on their machine; when ``v`` is ``u``'s machine
    successor, as in every swap neighbourhood, that swaps them (flips the arc ``u -> v``)."""

    u: int
    v: int


class JobShopSolution:
    """Machine sequences of an instance, with heads, tails and makespan kept up to date."""

    def __init__(self, instance: JobShopInstance, order):
        self.instance = instance
        order = np.array(order, dtype=np.int64).reshape(-1)
        n = instance.n_operations
        if order.shape[0] != n or order.min(initial=0) < 0 or order.max(initial=0) >= n or not (
                np.bincount(order, minlength=n) == 1).all():
            raise ValueError(f"order must be a permutation of the {n} operations")
        if not np.array_equal(instance.op_machine[order], np.repeat(
                np.arange(instance.n_machines), np.diff(instance.machine_start))):
            raise ValueError("order must list every machine's own operations, machine-major")
        self.order = order
        self.position = np.empty(n, np.int64)
        self.mach_pred = np.empty(n, np.int64)
        self.mach_succ = np.empty(n, np.int64)
        self.heads = np.empty(n, np.int64)
        self.tails = np.empty(n, np.int64)
        self.topo = np.empty(n, np.int64)
        self._indegree = np.empty(n, np.int64)
        self._path = np.empty(n, np.int64)
        self._blocks = np.empty(n + 1, np.int64)
        self._moves = np.empty((4 * n + 4, 2), np.int64)  # N7 lists up to 4 moves per operation
        self._stack = np.empty(n, np.int64)
        self._seen = np.zeros(n, np.int64)
        K.machine_links(order, instance.machine_start, self.mach_pred, self.mach_succ, self.position)
        self.makespan = self._evaluate()
        if self.makespan < 0:
            raise CyclicOrder("the machine sequences create a cycle with the job routes")

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_machine_sequences(cls, instance: JobShopInstance, sequences) -> "JobShopSolution":
        """From ``sequences[machine] = [(job, op), ...]`` in processing order (``op`` the
        position in the job's route)."""
        pairs = np.array([pair for seq in sequences for pair in seq], np.int64).reshape(-1, 2)
        job, op = pairs[:, 0], pairs[:, 1]
        if ((job < 0) | (job >= instance.n_jobs)).any():
            raise ValueError(f"jobs must lie in 0..{instance.n_jobs - 1}")
        if ((op < 0) | (op >= instance.job_length[job])).any():
            raise ValueError("every (job, op) must name an operation of the job's route")
        return cls(instance, instance.job_start[job] + op)

    @classmethod
    def from_starts(cls, instance: JobShopInstance, starts) -> "JobShopSolution":
        """Order every machine by the given start times (flat per operation, or (n, m))."""
        starts = np.asarray(starts, dtype=np.int64).reshape(-1)
        # ends break ties so a zero-length operation goes before one starting at the same time
        keys = np.lexsort((starts + instance.op_duration, starts, instance.op_machine))
        return cls(instance, keys)

    def copy(self) -> "JobShopSolution":
        return JobShopSolution(self.instance, self.order.copy())

    def plot_gantt(self, ax=None, path=None, title: str | None = None, note: str = ""):
        """Its Gantt chart on ``ax`` (a new figure without one), saved to ``path`` when given;
        returns the Axes (:func:`rewriter.jssp.gantt.draw`)."""
        from .gantt import draw

        return draw(self, note, path, title, ax)

    # ---- evaluation --------------------------------------------------------------------------
    def _evaluate(self) -> int:
        inst = self.instance
        makespan = K.heads_and_makespan(inst.op_duration, inst.job_pred, inst.job_succ,
                                        self.mach_pred, self.mach_succ, self.heads, self.topo,
                                        self._indegree)
        if makespan >= 0:
            K.tails_from_topo(inst.op_duration, inst.job_succ, self.mach_succ, self.topo, self.tails)
        return int(makespan)

    @property
    def starts(self) -> np.ndarray:
        """Start time of every operation in the semi-active schedule (flat, by operation id)."""
        return self.heads.copy()

    def start_matrix(self) -> np.ndarray:
        """Start times as an (n_jobs, n_machines) matrix; a rectangular instance's only (else
        an InputError naming it: use :attr:`starts`, flat by operation id)."""
        self.instance._require_rectangular("start-time")
        return self.heads.reshape(self.instance.shape).copy()

    def machine_sequences(self) -> list[list[tuple[int, int]]]:
        """``[machine] = [(job, op), ...]`` in processing order, ``op`` the position in the
        job's route."""
        inst = self.instance
        pairs = list(zip(inst.op_job[self.order].tolist(), inst.op_index[self.order].tolist()))
        ms = inst.machine_start.tolist()
        return [pairs[ms[i]:ms[i + 1]] for i in range(inst.n_machines)]

    # ---- graph queries -----------------------------------------------------------------------
    def critical_path(self) -> np.ndarray:
        inst = self.instance
        length = K.critical_path(inst.op_duration, inst.job_pred, self.mach_pred, self.heads,
                                 self.makespan, self._path)
        return self._path[:length].copy()

    def critical_blocks(self) -> list[np.ndarray]:
        path = self.critical_path()
        count = K.critical_blocks(path, path.shape[0], self.mach_succ, self._blocks)
        return [path[self._blocks[b]:self._blocks[b + 1]] for b in range(count)]

    def moves(self, kind: str = "n5") -> np.ndarray:
        """Candidate moves as a (k, 2) array of (u, v).

        For the swap neighbourhoods (``n5``, ``n1``, ``adjacent``) ``v`` is the machine successor
        of ``u``; ``n7`` insertions read "move ``u`` to the far side of ``v``" (see :meth:`relocate`).
        """
        inst = self.instance
        if kind == "adjacent":
            k = K.adjacent_moves(self.order, inst.machine_start, inst.job_succ, self._moves)
        elif kind in ("n1", "n5", "n7"):
            length = K.critical_path(inst.op_duration, inst.job_pred, self.mach_pred, self.heads,
                                     self.makespan, self._path)
            if kind == "n1":
                k = K.n1_moves(self._path, length, self.mach_succ, inst.job_succ, self._moves)
            elif kind == "n7":
                k = K.n7_moves(self._path, length, self.mach_succ, inst.job_succ, self._blocks,
                               self._moves)
            else:
                k = K.n5_moves(self._path, length, self.mach_succ, inst.job_succ, self._blocks,
                               self._moves)
        else:
            raise ValueError(f"unknown move kind {kind!r}; expected one of {', '.join(MOVE_KINDS)}")
        return self._moves[:k].copy()

    def estimate(self, u: int, v: int) -> int:
        """Taillard's estimate of the makespan after swapping ``u`` and ``v`` (a lower bound)."""
        inst = self.instance
        return int(K.swap_estimate(u, v, inst.op_duration, inst.job_pred, inst.job_succ,
                                   self.mach_pred, self.mach_succ, self.heads, self.tails))

    def creates_cycle(self, u: int, v: int) -> bool:
        self._check_adjacent(u, v)
        return bool(K.flip_creates_cycle(u, v, self.instance.op_duration, self.instance.job_succ,
                                         self.mach_succ, self.heads, self._stack, self._seen))

    # ---- rewriting ---------------------------------------------------------------------------
    def _check_adjacent(self, u: int, v: int) -> None:
        if not (0 <= u < self.instance.n_operations) or self.mach_succ[u] != v:
            raise ValueError(f"operations {u} and {v} are not adjacent on a machine (u first)")

    def flip(self, u: int, v: int) -> bool:
        """Swap ``u`` and its machine successor ``v`` if the graph stays acyclic.

        Returns True when applied (heads, tails and makespan updated), False when the flip would
        create a cycle (the solution is left unchanged).
        """
        if self.creates_cycle(u, v):
            return False
        K.flip_arc(u, v, self.order, self.position, self.mach_pred, self.mach_succ)
        self.makespan = self._evaluate()
        return True

    def relocate(self, u: int, v: int) -> bool:
        """Move ``u`` to the far side of ``v`` on their machine (after ``v`` if ``v`` follows
        ``u``, before it otherwise) if the graph stays acyclic; a swap when they are adjacent.

        Returns True when applied, False when it would create a cycle (nothing changes).
        """
        n = self.instance.n_operations
        if not (0 <= u < n and 0 <= v < n) or u == v or (
                self.instance.op_machine[u] != self.instance.op_machine[v]):
            raise ValueError(f"operations {u} and {v} are not two operations of one machine")
        if self.mach_succ[u] == v:
            return self.flip(u, v)
        if self.mach_pred[u] == v:
            return self.flip(v, u)
        left = K.relocate(u, self.position[v], self.order, self.position, self.mach_pred,
                          self.mach_succ)
        makespan = self._evaluate()
        if makespan < 0:
            K.relocate(u, left, self.order, self.position, self.mach_pred, self.mach_succ)
            self.makespan = self._evaluate()
            return False
        self.makespan = makespan
        return True

    def to_dict(self) -> dict:
        """Machine sequences and operations in the schedule JSON layout (docs/cli.md)."""
        # Building millions of small lists and dicts triggers the cyclic garbage collector over
        # and over (none of them can form a cycle): paused, a million operations take half the time.
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._schedule_dict()
        finally:
            if paused:
                gc.enable()

    def _schedule_dict(self) -> dict:
        inst = self.instance
        ops = [{"job": j, "op": k, "machine": mc, "start": s, "end": e} for j, k, mc, s, e in zip(
            inst.op_job.tolist(), inst.op_index.tolist(), inst.op_machine.tolist(),
            self.heads.tolist(), (self.heads + inst.op_duration).tolist())]
        in_order = self.order
        pairs = np.stack([inst.op_job[in_order], inst.op_index[in_order]], axis=1).tolist()
        ms = inst.machine_start.tolist()
        return {"machine_sequences": [pairs[ms[i]:ms[i + 1]] for i in range(inst.n_machines)],
                "operations": ops}
