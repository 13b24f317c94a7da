"""Large-neighbourhood rewriting of a flexible-shop schedule (:mod:`rewriter.shop.lns`): the
region a picker frees is re-solved by CP-SAT over the whole schedule, its operations free to
take any eligible machine and any place, every other operation keeping its machine and its
order on it (:func:`rewriter.shop.subsolve.resolve`); the tabu search of
:mod:`rewriter.fjsp.search` polishes.

The model is the whole schedule's: the production sizes have a few thousand operations (2,967
at 1000 x 200), and with every other operation's machine fixed it is built in ~0.1 s.
"""

from __future__ import annotations

import copy

import time

import numpy as np

from ..shop.dag import tails_from_topo
from ..shop.lns import Outcome, until_stall
from ..shop.regions import View
from ..shop.subsolve import Schedule, Shop, resolve, scaled_cost, total_completion
from .instance import NO_DUE, FlexibleInstance
from .schedule import FlexibleSchedule, objective_value
from .search import FlexibleLocalSearch, FlexibleTabuSettings


#: tabu steps without a new best that end the first polish: 5 of the tabu search's own restarts
#: (3000 steps each); ~20 s at the production shop's 700 steps/s, so a time limit's tenth ends
#: it first there
FIRST_STALL = 15_000


class FlexibleRewrite:
    """A flexible-shop schedule as large-neighbourhood search rewrites it
    (:class:`rewriter.shop.lns.Rewritable`); costs are the objective's, scaled to integers as
    CP-SAT minimises them (``weights`` = (p, q): q x makespan + p x weighted tardiness)."""

    def __init__(self, schedule: FlexibleSchedule, objective: str, tardiness_weight: float,
                 weights: tuple[int, int], moves: str = "full",
                 tabu: FlexibleTabuSettings | None = None):
        inst: FlexibleInstance = schedule.instance
        self.inst = inst
        self.objective, self.tardiness_weight, self.weights = objective, tardiness_weight, weights
        self.moves, self.tabu = moves, tabu
        self.n_operations = inst.n_operations
        self.first_stall = FIRST_STALL
        self.shop = Shop(inst.n_machines, inst.job_start, inst.elig_start, inst.elig_machine,
                         inst.elig_duration, inst.release, inst.due, inst.weight)
        owner = np.repeat(np.arange(inst.n_operations), np.diff(inst.elig_start))
        self.eligible = np.zeros((inst.n_operations, inst.n_machines), bool)
        self.eligible[owner, inst.elig_machine] = True
        self.options = (np.stack([owner, inst.elig_machine], axis=1).astype(np.int64),
                        inst.elig_duration.astype(np.float64))
        self._set(schedule)
        self.best_schedule, self.best_cost = schedule, self.cost
        # q x the makespan's bound (the combined cost's too), 0 for the tardiness alone
        self.lower_bound = 0 if objective == "tardiness" else weights[1] * inst.proven_lower_bound()

    def _set(self, schedule: FlexibleSchedule) -> None:
        self.schedule = schedule
        values = schedule.values()
        self.cost = scaled_cost(values["makespan"], values["weighted_tardiness"], self.objective,
                                self.weights)
        self.completion = total_completion(self.inst.job_start, schedule.heads, schedule.dur)

    def view(self) -> View:
        s, inst = self.schedule, self.inst
        tails = np.zeros(inst.n_operations, np.int64)
        tails_from_topo(s.dur, s.job_succ, s.mach_succ, s.topo, tails)
        last = inst.job_start[1:] - 1
        completion = s.heads[last] + s.dur[last]
        critical = s.heads + s.dur + tails == s.makespan
        if self.objective == "makespan":
            late = np.maximum(completion - np.percentile(completion, 75), 0) + 1e-3
        else:
            has_due = inst.due != NO_DUE
            late = np.where(has_due, np.maximum(completion - inst.due, 0) * inst.weight, 0) + 1e-3
            if self.objective == "tardiness":  # the late jobs' operations instead of the makespan's
                critical = np.repeat(late > 1e-3, np.diff(inst.job_start))
        return View(s.heads, s.dur, s.assign, inst.job_start, critical, late, inst.n_machines,
                    self.eligible, self.options)

    def rewrite(self, free: np.ndarray, time_limit: float, seed: int, workers: int,
                deterministic: bool = False) -> Outcome:
        t0 = time.perf_counter()
        changed = False
        s = self.schedule
        mask = np.zeros(self.n_operations, bool)
        mask[free] = True
        sequences = s.sequences()
        flat = np.concatenate([np.asarray(q, np.int64) for q in sequences])
        bounds = np.r_[0, np.cumsum([len(q) for q in sequences])].astype(np.int64)
        incumbent = Schedule(s.assign, s.heads, s.dur, flat, bounds)
        out = resolve(self.shop, incumbent, mask, objective=self.objective, weights=self.weights,
                      time_limit=time_limit, seed=seed, workers=workers,
                      deterministic=deterministic, bound=self.cost)
        if out.sequences is not None:
            new = FlexibleSchedule(self.inst, out.assign, [q.tolist() for q in out.sequences])
            values = new.values()
            cost = scaled_cost(values["makespan"], values["weighted_tardiness"], self.objective,
                               self.weights)
            # no worse, and on a tie no later in total (module docstring of shop.subsolve)
            completion = total_completion(self.inst.job_start, new.heads, new.dur)
            changed = (cost, completion) < (self.cost, self.completion)
            if (cost, completion) <= (self.cost, self.completion):
                self._set(new)
                self._keep()
        seconds = out.effort if deterministic else time.perf_counter() - t0
        return Outcome(out.status, self.cost, seconds, changed)

    def polish(self, stall: int, stall_s: float, deadline: float | None, seed: int) -> int:
        """Tabu search from the current schedule until ``stall`` steps or ``stall_s`` seconds
        bring no new best (or the deadline); the current schedule becomes its best. Returns the
        steps made."""
        search = FlexibleLocalSearch(self.schedule, "tabu", self.moves, self.tabu, seed,
                                     self.objective, self.tardiness_weight)
        until_stall(search, stall, stall_s, deadline, 64)
        if search.best_cost < objective_value(self.schedule.values(), self.objective,
                                              self.tardiness_weight):
            self._set(search.best())
            self._keep()
        return search.steps

    def _keep(self) -> None:
        if self.cost < self.best_cost:
            self.best_schedule, self.best_cost = self.schedule, self.cost

    def fork(self) -> "FlexibleRewrite":
        """An independent copy: its rewrites and polishes leave this one as it is (schedules
        are replaced, never changed in place, so a shallow copy is one)."""
        return copy.copy(self)

    def best(self) -> FlexibleSchedule:
        return self.best_schedule
