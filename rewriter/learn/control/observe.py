"""The controller's observation: a fixed-size vector of search-state features, each scaled to
about [0, 1] and independent of the instance's size, so one policy serves every size."""

from __future__ import annotations

import numpy as np

FEATURES = ("current_vs_best", "best_vs_bound", "quiet", "budget_used", "gain_last",
            "gain_last4", "restarts", "tenure_low", "tenure_default", "tenure_high",
            "elite_spread", "jobs_per_machine", "size")
#: without a move budget, the fraction used is measured against this many moves
DEFAULT_HORIZON = 500_000


def observe(search) -> np.ndarray:
    """The features of a :class:`~rewriter.learn.control.search.ControlledSearch` between slices."""
    best, bound = search.best_cost, search.lower_bound
    inst = search.inst
    history = search.history
    tenure = np.zeros(3)
    tenure[search.tenure_level] = 1.0
    horizon = search.horizon or DEFAULT_HORIZON

    def gain(k):  # decrease of the best over the last k slices, % of the bound (1 = 1 %)
        return (history[max(0, len(history) - 1 - k)] - best) / bound * 100

    values = [
        (search.sol.makespan - best) / best * 10,     # 10 % above the best reads 1
        (best - bound) / bound,                       # 100 % above the bound reads 1
        search.quiet_moves / search.stall_rule,       # 1: the hand rule would restart
        search.steps / horizon,
        gain(1), gain(4) / 4,
        search.restarts / 100,
        *tenure,
        search.elite.spread() * 10,
        inst.n_jobs / inst.n_machines / 5,
        np.log10(inst.n_operations) / 4,              # 10 000 operations read 1
    ]
    return np.clip(np.asarray(values, np.float32), 0.0, 1.0)
