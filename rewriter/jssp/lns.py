"""Large-neighbourhood rewriting of a job-shop schedule (:mod:`rewriter.shop.lns`): the region a
picker frees is re-solved by CP-SAT inside a window of the schedule, and tabu search polishes.

A rewrite never builds a model of the whole schedule: the operations that start between the
region's first and last start form a window (:func:`rewriter.jssp.window.cut`, a job shop of its
own whose releases and deliveries stand for the rest of the schedule), the region's operations
are free in it and the window's other operations keep their machine orders
(:func:`rewriter.shop.subsolve.resolve`); the window's boundary operations stay first and last
on their machines. The window's longest path is the whole schedule's longest path through it,
so a rewrite no worse on the window is no worse on the schedule, and pasting it back
(:func:`rewriter.jssp.window.paste_and_update`) updates only what follows from it. A window holds
at most ``scope`` operations: a region spread wider keeps its part around one of its
operations.
"""

from __future__ import annotations

import copy

import time

import numpy as np

from ..shop.lns import Outcome, until_stall
from ..shop.regions import View
from ..shop.subsolve import Schedule, Shop, resolve, total_completion
from .instance import JobShopInstance
from .schedule import JobShopSolution
from .search import LocalSearch, TabuSettings
from .window import Window, cut, paste_and_update

#: the most operations a rewrite's window holds
SCOPE = 3000
#: tabu moves without a new best that end the first polish: ~5 s on ta41 (200,000 moves/s),
#: where new bests still come after 20,000 moves without one (the tabu search's restarts)
FIRST_STALL = 1_000_000


class JobShopRewrite:
    """A job-shop schedule as large-neighbourhood search rewrites it
    (:class:`rewriter.shop.lns.Rewritable`)."""

    def __init__(self, sol: JobShopSolution, tabu: TabuSettings, scope: int = SCOPE):
        self.sol = sol
        self.inst: JobShopInstance = sol.instance
        self.tabu = tabu
        self.scope = max(2, int(scope))
        self.n_operations = self.inst.n_operations
        self.cost = sol.makespan
        self.best_cost = sol.makespan
        self.best_order = sol.order.copy()
        self.lower_bound = self.inst.proven_lower_bound()
        self.first_stall = FIRST_STALL
        self._scratch = np.empty(self.n_operations, np.int64)

    def view(self) -> View:
        sol, inst = self.sol, self.inst
        duration = inst.op_duration
        completion = sol.heads[inst.job_last] + duration[inst.job_last]
        # the jobs that end last are "late" for the makespan: weight by how far past the
        # upper quartile of completions they end
        late = np.maximum(completion - np.percentile(completion, 75), 0) + 1e-3
        return View(sol.heads, duration, inst.op_machine, inst.job_start,
                    sol.heads + duration + sol.tails == sol.makespan, late, inst.n_machines)

    def _window(self, free: np.ndarray, rng_pick: int) -> tuple[Window, np.ndarray]:
        """The window around ``free`` (at most ``scope`` operations) and the free ones in it."""
        heads = self.sol.heads
        t0, t1 = int(heads[free].min()), int(heads[free].max())
        inside = int(((heads >= t0) & (heads <= t1)).sum())
        if inside > self.scope:  # the stretch of ``scope`` starts around one free operation
            by_start = np.sort(heads)
            centre = int(np.searchsorted(by_start, heads[free[rng_pick % free.shape[0]]]))
            first = min(max(centre - self.scope // 2, 0), by_start.shape[0] - self.scope)
            t0, t1 = int(by_start[first]), int(by_start[first + self.scope - 1])
            free = free[(heads[free] >= t0) & (heads[free] <= t1)]
        return cut(self.sol, t0, t1), free

    def rewrite(self, free: np.ndarray, time_limit: float, seed: int, workers: int,
                deterministic: bool = False) -> Outcome:
        t0 = time.perf_counter()
        changed = False
        window, free = self._window(free, seed)
        sub = window.instance
        loose = np.isin(window.original, free)
        current = JobShopSolution(sub, window.order)
        shop = Shop(sub.n_machines, sub.job_start, np.arange(sub.n_operations + 1), sub.op_machine,
                    sub.op_duration, np.zeros(sub.n_jobs, np.int64), np.full(sub.n_jobs, -1),
                    np.ones(sub.n_jobs, np.int64))
        incumbent = Schedule(sub.op_machine, current.heads, sub.op_duration, window.order,
                             sub.machine_start)
        out = resolve(shop, incumbent, loose, time_limit=time_limit, seed=seed, workers=workers,
                      deterministic=deterministic,
                      bound=current.makespan, precede=_boundary_precedences(window, loose))
        if out.sequences is not None:
            order = np.concatenate(out.sequences)
            new = JobShopSolution(sub, order)
            # no worse, and on a tie no later in total (module docstring of shop.subsolve)
            after, before = (new.makespan, _completion(new)), (current.makespan, _completion(current))
            if after <= before:
                self.cost = self.sol.makespan = paste_and_update(window, order, self.sol,
                                                                 self._scratch)
                self._keep()
                changed = after < before
        seconds = out.effort if deterministic else time.perf_counter() - t0
        return Outcome(out.status, self.cost, seconds, changed)

    def polish(self, stall: int, stall_s: float, deadline: float | None, seed: int) -> int:
        """Tabu search from the current schedule until ``stall`` moves or ``stall_s`` seconds
        bring no new best (or the deadline); the current schedule becomes its best. Returns the
        moves made."""
        search = LocalSearch(self.sol, "tabu", "n5", self.tabu, seed)
        until_stall(search, stall, stall_s, deadline, 256)
        # its best, never worse than where it started (the search moved the schedule's arrays)
        self.sol = JobShopSolution(self.inst, search.best_order)
        self.cost = self.sol.makespan
        self._keep()
        return search.steps

    def _keep(self) -> None:
        if self.cost < self.best_cost:
            self.best_cost = self.cost
            self.best_order[:] = self.sol.order

    @property
    def completion(self) -> int:
        """The current schedule's total job completion time (the sub-solves' second criterion)."""
        return _completion(self.sol)

    def fork(self) -> "JobShopRewrite":
        """An independent copy: its rewrites and polishes leave this one as it is (a learned
        picker's training tries several regions from one schedule)."""
        twin = copy.copy(self)
        twin.sol = JobShopSolution(self.inst, self.sol.order.copy())
        twin.best_order = self.best_order.copy()
        twin._scratch = np.empty_like(self._scratch)
        return twin

    def best(self) -> JobShopSolution:
        return JobShopSolution(self.inst, self.best_order)


def _completion(sol: JobShopSolution) -> int:
    return total_completion(sol.instance.job_start, sol.heads, sol.instance.op_duration)


def _boundary_precedences(window: Window, loose: np.ndarray) -> np.ndarray:
    """(boundary, free) and (free, boundary) pairs that keep each machine's release first and its
    delivery last among the free operations of its machine."""
    sub = window.instance
    pairs = []
    machine = sub.op_machine
    for b in range(window.n_movable, sub.n_operations):
        on = np.flatnonzero(loose & (machine == machine[b]))
        if on.shape[0] == 0:
            continue
        seq = window.order[sub.machine_start[machine[b]]:sub.machine_start[machine[b] + 1]]
        if seq[0] == b:
            pairs.append(np.column_stack([np.full(on.shape[0], b), on]))
        else:
            pairs.append(np.column_stack([on, np.full(on.shape[0], b)]))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
