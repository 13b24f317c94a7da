"""Searches over a problem's rewrites that need no model: the random walk and best-improvement
descent. Each is a :class:`~rewriter.core.loop.Stepper` run by the one search loop; the learned
search (:mod:`rewriter.learn.search`) steps over the same rewrites."""

from __future__ import annotations

import numpy as np

from ..seeding import check_seed
from .loop import SearchOutcome, Stepper, run
from .problem import RewriteState


class RandomWalk(Stepper):
    """A uniformly random feasible rewrite each step (a baseline)."""

    def __init__(self, initial: RewriteState, seed: int):
        super().__init__(initial.cost())
        self.rng = np.random.default_rng(None if seed is None else check_seed(seed))
        self.state, self._best = initial.copy(), initial.copy()

    def advance(self, n: int):
        bests = []
        for done in range(n):
            pairs, _ = self.state.candidates()
            order = self.rng.permutation(len(pairs))[:10]
            if not any(self.state.apply(int(pairs[k, 0]), int(pairs[k, 1])) for k in order):
                return done, "stuck", bests
            self.steps += 1
            if self.state.cost() < self.best_cost:
                self._best, self.best_cost = self.state.copy(), self.state.cost()
                bests.append((self.steps, self.best_cost))
        return n, None, bests

    def best(self) -> RewriteState:
        return self._best


def random_search(initial: RewriteState, steps: int | None, *, seed: int = 0,
                  time_limit: float | None = None, progress: bool = False,
                  started: float | None = None) -> SearchOutcome:
    """The loop with a uniformly random feasible rewrite each step (a baseline)."""
    return run(RandomWalk(initial, seed), steps, time_limit=time_limit, progress=progress,
               desc="random walk", started=started)


class Descent(Stepper):
    """Best-improvement descent: the candidate with the lowest exact cost after it, each step."""

    def __init__(self, initial: RewriteState):
        super().__init__(initial.cost())
        self.state = initial.copy()

    def advance(self, n: int):
        bests = []
        for done in range(n):
            costs = self.state.candidate_costs()
            pairs, _ = self.state.candidates()
            if not len(costs) or costs.min() >= self.state.cost():
                return done, "local_optimum", bests
            k = int(np.argmin(costs))
            if not self.state.apply(int(pairs[k, 0]), int(pairs[k, 1])):
                raise RuntimeError("a candidate with an exact look-ahead cost did not apply")
            self.steps += 1
            self.best_cost = self.state.cost()
            bests.append((self.steps, self.best_cost))
        return n, None, bests

    def best(self) -> RewriteState:
        return self.state.copy()


def descent_search(initial: RewriteState, steps: int | None, *, time_limit: float | None = None,
                  progress: bool = False, started: float | None = None) -> SearchOutcome:
    """Best-improvement descent over the same rewrites (a baseline); stops at a local optimum."""
    return run(Descent(initial), steps, time_limit=time_limit, progress=progress,
               desc="descent", started=started)
