"""The learned search over a problem's rewrites, a :class:`~rewriter.core.loop.Stepper` run by the
one search loop (the random walk and descent over the same rewrites need no model:
:mod:`rewriter.core.rewrite_search`).

The learned search runs ``samples`` trajectories side by side, encoded as one batch per step.
"""

from __future__ import annotations

import numpy as np

from ..seeding import check_seed
from .act import rewrite_step
from ..core.loop import SearchOutcome, Stepper, run
from .policy import RewritePolicy
from ..core.problem import RewriteState
from ..core.threads import limit_threads


class LearnedSearch(Stepper):
    """``samples`` copies of a state rewritten side by side by a policy (see :func:`learned_search`)."""

    def __init__(self, initial: RewriteState, model: RewritePolicy, *, samples: int, argmax: bool,
                 seed: int, negative_q_keep: float | None, explore_after: int | None):
        super().__init__(initial.cost())
        self.model, self.argmax, self.negative_q_keep = model, argmax, negative_q_keep
        self.explore_after = explore_after
        self.rng = np.random.default_rng(None if seed is None else check_seed(seed))
        self.states = [initial.copy() for _ in range(samples)]
        self._best = initial.copy()
        self.last_gain = 0
        self.seen, self.revisit = {initial.fingerprint()}, False

    def advance(self, n: int):
        bests = []
        for k in range(n):
            stalled = bool(self.explore_after) and self.steps - self.last_gain >= self.explore_after
            result = rewrite_step(self.model, self.states, self.rng,
                                  argmax=self.argmax and not self.revisit and not stalled,
                                  negative_q_keep=self.negative_q_keep)
            self.steps += 1
            if self.argmax:
                # argmax from a solution it has already left once tends to leave it the same
                # way again: from a revisited solution the next rewrite is sampled instead
                key = self.states[0].fingerprint()
                self.revisit = key is not None and key in self.seen
                self.seen.add(key)
            if all(s.action < 0 for s in result):
                return k + 1, "stuck", bests
            costs = [s.cost_after for s in result]
            i = int(np.argmin(costs))
            if costs[i] < self.best_cost:
                self._best, self.best_cost, self.last_gain = self.states[i].copy(), costs[i], self.steps
                bests.append((self.steps, self.best_cost))
        return n, None, bests

    def best(self) -> RewriteState:
        return self._best


def learned_search(initial: RewriteState, model: RewritePolicy, steps: int | None, *,
                   samples: int = 1, argmax: bool = False, seed: int = 0,
                   time_limit: float | None = None, progress: bool = False,
                   negative_q_keep: float | None = None, desc: str = "rewrite",
                   keep_on_interrupt: bool = True, explore_after: int | None = None,
                   started: float | None = None) -> SearchOutcome:
    """Apply up to ``steps`` rewrites chosen by ``model`` to ``samples`` copies of ``initial``.

    ``argmax`` takes the most likely rewrite each step (one trajectory), except after a step
    that returned to a solution already visited (same :meth:`RewriteState.fingerprint`), and
    while ``explore_after`` or more steps have passed without a new best cost (None or 0: never),
    where it samples one; otherwise rewrites are sampled from the policy with a generator seeded by
    ``seed``. Runs in :func:`rewriter.core.loop.run` (time limit, progress, Ctrl-C).
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if argmax and samples > 1:
        raise ValueError("argmax decoding gives one trajectory; use samples=1 or sampling")
    expected = (model.config.node_features, model.config.pair_features)
    # pair features are only ever appended, so a model trained before the last ones were added
    # reads the leading columns it knows
    if (expected[0] != initial.node_features or expected[1] > initial.pair_features):
        from ..errors import InputError

        raise InputError(f"the model reads {expected[0]} node and {expected[1]} pair features, "
                         f"this problem has {initial.node_features} and {initial.pair_features}: "
                         "it was trained for another problem or other problem options")
    model.eval()
    search = LearnedSearch(initial, model, samples=samples, argmax=argmax, seed=seed,
                           negative_q_keep=negative_q_keep, explore_after=explore_after)
    # once for the whole search: setting the BLAS limit costs about 1 ms, a step 8 ms
    with limit_threads(1):
        return run(search, steps, time_limit=time_limit, progress=progress, desc=desc,
                   keep_on_interrupt=keep_on_interrupt, started=started)
