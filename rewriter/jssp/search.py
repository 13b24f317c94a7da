"""The job shop's local searches as steppers of :func:`rewriter.core.loop.run`: tabu search,
best- and first-improvement descent and the random walk, each advanced in chunks of moves by
the numba kernels of :mod:`rewriter.jssp.search_kernels`, and the tabu settings.

Their own module, apart from :mod:`rewriter.jssp.solve`, so that searches built on them (the
controlled search of :mod:`rewriter.learn.control`) need not import the function that dispatches to
those searches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import search_kernels as LS
from ..shop.dynamic import sort_by_heads
from ..core.loop import Stepper
from ..errors import InputError
from .instance import JobShopInstance
from .schedule import JobShopSolution


@dataclass
class TabuSettings:
    """Tabu-search parameters; ``None`` picks the size-based defaults documented in local_search."""

    tenure_min: int | None = None
    tenure_max: int | None = None
    stall: int = 10000  # tuned on ta41/43/47, 10 s: 2500 -> 3.7% mean gap, 10000 -> 2.6%
    perturb: int = 6
    tie_break: str = "random"  # or "pressure": ties in makespan go to the lowest pressure

    def resolved(self, instance: JobShopInstance) -> tuple[int, int, int, int]:
        low = self.tenure_min if self.tenure_min is not None else 10 + instance.n_jobs // instance.n_machines
        high = self.tenure_max if self.tenure_max is not None else 2 * low
        if self.tie_break not in LS.TIE_BREAKS:
            raise InputError(f"tabu tie-break must be one of {', '.join(LS.TIE_BREAKS)}, "
                             f"got {self.tie_break!r}")
        if not 1 <= low <= high:
            raise InputError(f"tabu tenure must satisfy 1 <= min <= max, got {low}..{high}")
        return low, high, max(1, self.stall), max(0, self.perturb)



class LocalSearch(Stepper):
    """Tabu search, descent or a random walk in the numba kernels, between chunks of steps."""

    first_chunk = 64

    def __init__(self, sol: JobShopSolution, policy: str, moves: str, tabu: TabuSettings, seed: int,
                 n_movable: int | None = None):
        self.counters = LS.new_counters(sol.makespan)
        super().__init__(sol.makespan)
        inst = sol.instance
        # a move costs up to a pass over the schedule: at 10^6 operations the first chunk is one
        self.first_chunk = max(1, min(LocalSearch.first_chunk, 200_000 // inst.n_operations))
        self.sol = sol
        self.inst = inst
        self.policy = policy
        self.kind = LS.MOVE_CODES[moves]
        self.best_order = sol.order.copy()
        self._trace_buf = np.zeros((1 << 14, 2), np.int64)
        self._scratch_heads = np.empty(inst.n_operations, np.int64)
        self._scratch_topo = np.empty(inst.n_operations, np.int64)
        self.lower_bound = inst.proven_lower_bound()
        # operations from this id on never move (the fixed boundary of a window's sub-instance)
        self.n_movable = inst.n_operations if n_movable is None else int(n_movable)
        if policy == "tabu":
            n = inst.n_operations
            self.tenure_min, self.tenure_max, self.stall, self.perturb = tabu.resolved(inst)
            self.tie_break = LS.TIE_BREAKS[tabu.tie_break]
            self._scratch_tails = np.empty(n, np.int64)
            self.tabu_until = LS.new_tabu_table(self.tenure_max)  # O(tenure), not n x n
            self.clock = 1
            self.since_best = 0
        # the position of every operation in sol.topo, which tabu search keeps sorted by heads so
        # that a swap reorders only the few operations between the two (rewriter.shop.dynamic)
        self.topo_pos = np.empty(inst.n_operations, np.int64)
        sort_by_heads(sol.topo, self.topo_pos, sol.heads)
        LS.seed_numba(seed)

    # Read from the kernels' counters array, not copied after each call: the KeyboardInterrupt
    # of a Ctrl-C during a call is raised at the first bytecode after it, and the steps, best
    # and restarts the call kept must still be reported.
    @property
    def steps(self) -> int:
        return int(self.counters[LS.STEPS])

    @steps.setter
    def steps(self, value: int) -> None:
        self.counters[LS.STEPS] = value

    @property
    def best_cost(self) -> int:
        return int(self.counters[LS.BEST])

    @best_cost.setter
    def best_cost(self, value: int) -> None:
        self.counters[LS.BEST] = value

    @property
    def restarts(self) -> int:
        return int(self.counters[LS.RESTARTS])

    @restarts.setter
    def restarts(self, value: int) -> None:
        self.counters[LS.RESTARTS] = value

    def _common(self):
        s, i = self.sol, self.inst
        return (s.order, i.machine_start, i.op_duration, i.job_pred, i.job_succ, i.job_last,
                self.n_movable, s.position, s.mach_pred, s.mach_succ, s.heads, s.tails, s.topo, self.topo_pos,
                s._indegree, s._path, s._blocks, s._moves, s._stack, s._seen)

    def advance(self, n_steps: int):
        s = self.sol
        finished = None
        if self.policy == "none":
            return 0, "completed", []
        if self.policy == "random":
            mk, done, nt = LS.random_walk_chunk(n_steps, self.kind, *self._common(),
                                                self._scratch_heads, self._scratch_topo,
                                                s.makespan, self.best_order, self.counters,
                                                self._trace_buf)
            if done < n_steps:
                finished = "stuck"
        elif self.policy in ("greedy", "greedy-first"):
            common = self._common()
            mk, done, nt, local_opt = LS.descent_chunk(
                n_steps, self.kind, self.policy == "greedy-first", *common,
                self._scratch_heads, self._scratch_topo, s.makespan, self.best_order,
                self.counters, self._trace_buf)
            if local_opt:
                finished = "local_optimum"
        else:
            (mk, self.clock, self.since_best, done, nt, self.tabu_until) = LS.tabu_chunk(
                n_steps, self.kind, *self._common(), self._scratch_heads, self._scratch_topo,
                s.makespan, self.best_order, self.counters, self.tabu_until, self.clock,
                self.tenure_min, self.tenure_max, self.stall, self.since_best, self.perturb,
                self._trace_buf, self.lower_bound, self.tie_break, self._scratch_tails)
            if done < n_steps:
                finished = "optimal"
        s.makespan = int(mk)
        return int(done), finished, [(int(st), int(v)) for st, v in self._trace_buf[:nt]]

    def best(self) -> JobShopSolution:
        return JobShopSolution(self.inst, self.best_order)
