"""The controlled tabu search: numba tabu in slices of moves, one controller decision between.

:class:`ControlledSearch` is the job shop's :class:`~rewriter.jssp.solve.LocalSearch` (the same
kernel, the same exact best tracking and trace) whose kernel never restarts on its own: its stall
threshold is made unreachable, so every restart is a decision of the controller, and the
hand-made rule, random choices and a learned policy are compared on exactly the same machinery.
Restarts and perturbations use the kernel's own helpers (``restart_from``, ``perturb``), so a
perturbation is the random critical swaps tabu search itself makes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...jssp import search_kernels as LS
from ...jssp.schedule import JobShopSolution
from ...jssp.search import LocalSearch, TabuSettings

#: the decisions a controller chooses from, one per slice
ACTIONS = ("continue", "perturb", "perturb-large", "restart-best", "restart-elite",
           "tenure-low", "tenure-default", "tenure-high")
CONTINUE, PERTURB, PERTURB_LARGE, RESTART_BEST, RESTART_ELITE = range(5)
#: tenure settings: multiples of the size-based default range (TabuSettings)
TENURE_SCALES = (0.5, 1.0, 2.0)
#: a large perturbation is this many times the default number of random swaps
LARGE = 4
#: the kernel's stall threshold in a controlled search: never reached
NO_STALL = 1 << 62


class ElitePool:
    """The ``size`` best distinct solutions offered to it (orders, by makespan)."""

    def __init__(self, size: int):
        self.size = size
        self.entries: list[tuple[int, bytes, np.ndarray]] = []

    def add(self, order: np.ndarray, makespan: int) -> None:
        key = order.tobytes()
        if any(k == key for _, k, _ in self.entries):
            return
        self.entries.append((int(makespan), key, order.copy()))
        self.entries.sort(key=lambda e: e[0])
        del self.entries[self.size:]

    def pick(self, rng: np.random.Generator) -> np.ndarray:
        return self.entries[int(rng.integers(len(self.entries)))][2]

    def spread(self) -> float:
        """(worst - best) / best makespan of the pool; 0 with fewer than two entries."""
        if len(self.entries) < 2:
            return 0.0
        return (self.entries[-1][0] - self.entries[0][0]) / self.entries[0][0]


class ControlledSearch(LocalSearch):
    """Tabu search that asks ``controller.act(observation, search)`` for one of :data:`ACTIONS`
    after every ``slice_moves`` moves. ``horizon``: the move budget when known (no decision is
    taken at its end, and the observation reports the fraction used); ``tabu.stall`` is the
    hand-made rule's threshold, not the kernel's."""

    def __init__(self, sol: JobShopSolution, controller, *, moves: str = "n5",
                 tabu: TabuSettings | None = None, seed: int = 0, slice_moves: int = 2000,
                 elite: int = 8, horizon: int | None = None):
        tabu = tabu or TabuSettings()
        super().__init__(sol, "tabu", moves, replace(tabu, stall=NO_STALL), seed)
        self.controller = controller
        self.stall_rule = max(1, tabu.stall)
        self.slice_moves, self.slice_left = slice_moves, slice_moves
        self.horizon = horizon
        self.base_tenure = (self.tenure_min, self.tenure_max)
        self.tenure_level = TENURE_SCALES.index(1.0)
        # a jump of the clock past every tenure ever drawn forgets the tabu list
        self.forget = int(self.tenure_max * max(TENURE_SCALES)) + 1
        self.elite = ElitePool(elite)
        self.rng = np.random.default_rng(seed)  # which elite solution a restart takes
        self.quiet_since = 0      # step of the last new best or restart
        self.history = [self.best_cost]  # the best makespan at each decision
        self.actions: list[int] = []

    @property
    def quiet_moves(self) -> int:
        """Moves since the last new best or restart (what tabu's own stall rule counts)."""
        return self.steps - self.quiet_since

    def advance(self, n_steps: int):
        done, finished, bests = super().advance(min(n_steps, self.slice_left))
        if bests:
            self.quiet_since = bests[-1][0]
        self.slice_left -= done
        if self.slice_left == 0 and finished is None:
            self.slice_left = self.slice_moves
            if self.horizon is None or self.steps < self.horizon:
                self.history.append(self.best_cost)
                bests = bests + self.apply(self.controller.act(self.observe(), self))
        return done, finished, bests

    def observe(self) -> np.ndarray:
        from .observe import observe

        return observe(self)

    def apply(self, action: int) -> list[tuple[int, int]]:
        """Take one of :data:`ACTIONS`; returns the new best, if a perturbation found one."""
        self.actions.append(int(action))
        self.elite.add(self.sol.order, self.sol.makespan)
        self.elite.add(self.best_order, self.best_cost)
        small = self.perturb
        if action == PERTURB:
            self._restart(None, small)
        elif action == PERTURB_LARGE:
            self._restart(None, LARGE * small)
        elif action == RESTART_BEST:
            self._restart(self.best_order, small)
        elif action == RESTART_ELITE:
            self._restart(self.elite.pick(self.rng), small)
        elif action > RESTART_ELITE:
            self._set_tenure(action - RESTART_ELITE - 1)
        elif action != CONTINUE:
            raise ValueError(f"unknown action {action}")
        if self.sol.makespan < self.best_cost:  # a perturbation can land on a new best
            self.best_cost = self.sol.makespan
            self.best_order[:] = self.sol.order
            self.quiet_since = self.steps
            return [(self.steps, self.best_cost)]
        return []

    def _restart(self, source: np.ndarray | None, swaps: int) -> None:
        """Perturb the current solution (``source`` None) or ``source`` with ``swaps`` random
        critical swaps, and forget the tabu list, as tabu search's own restart does."""
        args = self._common()
        if source is None:
            mk = LS.perturb(swaps, self.sol.makespan, *args)
        else:
            mk = LS.restart_from(source.copy(), swaps, *args)  # never aliases the order
        self.sol.makespan = int(mk)
        self.clock += self.forget
        self.restarts += 1
        self.quiet_since = self.steps

    def _set_tenure(self, level: int) -> None:
        self.tenure_level = level
        self.tenure_min, self.tenure_max = tenure_range(*self.base_tenure, level)


def tenure_range(low: int, high: int, level: int) -> tuple[int, int]:
    """The tenure range of setting ``level`` (an index of :data:`TENURE_SCALES`) for the default
    range ``low..high``."""
    scale = TENURE_SCALES[level]
    low = max(1, int(round(low * scale)))
    return low, max(low, int(round(high * scale)))
