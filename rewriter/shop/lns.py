"""Large-neighbourhood rewriting: a picker frees a region of the schedule, CP-SAT re-solves it
exactly (:mod:`rewriter.shop.subsolve`) and the result is kept when it is no worse; the problem's
numba tabu search polishes the schedule first and after every rewrite that made progress.

The tabu search runs first, on its own, until it stalls (:class:`LnsSettings`: a tenth of the time
limit without a new best, or the problem's count of moves: 10^6 in the job shop, 15,000 in the
flexible shop); rewrites start there. A move costs microseconds
and a rewrite a tenth of a second or more, so rewrites only pay where moves have stopped paying.

One step of :class:`LargeNeighbourhoodSearch` is one rewrite, a :class:`~rewriter.core.loop.
Stepper` of the one search loop (time limit, Ctrl-C, trace, progress). What it needs from a
problem is a :class:`Rewritable`: a view for the pickers, a rewrite of a set of free operations,
a polish, the best schedule.

What adapts (:class:`LnsSettings`):

* the region's size: 10% larger after a sub-solve that proved its region optimal within its
  limit, 10% smaller after one that did not, so regions settle where CP-SAT can just solve
  them (the rule of OR-Tools' own neighbourhood search);
* the sub-solve's limit: 20% longer after a rewrite that improved the schedule without proving
  optimality (more time there pays), 10% shorter after one proved optimal in under half of it;
* with ``selector="adaptive"``, which picker (:class:`rewriter.shop.regions.AdaptivePicker`);
  with ``selector="learned"``, nothing here: the trained model chooses among candidates.

A sub-solve never runs past the search's deadline, and one that fails or runs out of time
leaves the schedule as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..core.loop import Stepper
from ..errors import InputError
from .regions import SELECTORS, View, chooser


#: the command line's help of the options every shop's lns policy reads
SELECTOR_HELP = ("--policy lns: where a rewrite frees the schedule: random operations, a window "
                 "of time, a stretch of the critical path and its machines, the late jobs, the "
                 "busiest machines, adaptive (each by its recent gain per second), or learned (a "
                 "trained model chooses among regions every rule draws; the shipped one, or "
                 "--model PATH); default adaptive")
LNS_HELP = ("large-neighbourhood rewriting for S seconds: regions re-solved by CP-SAT (its "
            "threads: compare's --threads), adaptive pickers, tabu search polishing")
WORKERS_HELP = "--method cpsat: CP-SAT search threads; --policy lns: each sub-solve's"


@dataclass
class LnsSettings:
    """Large-neighbourhood search's parameters (module docstring)."""

    selector: str = "adaptive"
    size: int = 60              # the first region's operations
    min_size: int = 8
    max_size: int = 2000
    subsolve: float = 0.5       # the first sub-solve's limit, seconds
    min_subsolve: float = 0.1
    max_subsolve: float = 5.0
    # A polish ends when the tabu search has gone this many moves, or this share of the time
    # limit, without a new best (whichever comes first; 0 moves: no polishing). Moves alone would
    # mean 25 ms on ta41 (200,000 moves/s) and 7 s on the production shop (700/s).
    polish: int = 5000
    polish_share: float = 0.02
    polish_changed: bool = True  # polish after every rewrite that made progress, not only gains
    # The first polish, from the start rule, is the tabu search on its own until it stalls: on
    # tai_100_100_1 it still finds new bests at 60 s, and rewrites there found none (30 s of
    # them lost 2 points against tabu alone). None: the problem's own count (Rewritable).
    first_stall: int | None = None
    first_share: float = 0.1
    workers: int = 1            # CP-SAT's threads per sub-solve

    def check(self) -> "LnsSettings":
        if self.selector not in SELECTORS:
            raise InputError(f"unknown selector {self.selector!r}; expected one of: "
                             f"{', '.join(SELECTORS)}")
        if not 1 <= self.min_size <= self.max_size or self.size < 1:
            raise InputError(f"region sizes must satisfy 1 <= min <= max and size >= 1, got "
                             f"{self.min_size}, {self.max_size}, {self.size}")
        if not 0 < self.min_subsolve <= self.max_subsolve or self.subsolve <= 0:
            raise InputError("sub-solve limits must be positive, min <= max")
        shares = (self.polish_share, self.first_share)
        if min(self.polish, self.first_stall or 0) < 0 or not all(0 < x <= 1 for x in shares):
            raise InputError("polish stalls must be >= 0 moves and a share in (0, 1] of the time")
        if self.workers < 1:
            raise InputError(f"workers must be >= 1, got {self.workers}")
        return self


@dataclass
class Outcome:
    """One rewrite as the problem reports it: the sub-solve's status, the cost after (equal to
    before when nothing was kept) and the seconds it took (CP-SAT's deterministic time in a
    deterministic search)."""

    status: str
    cost: float
    seconds: float
    changed: bool = False  # the schedule was replaced (by one no worse)


class Rewritable(Protocol):
    """What large-neighbourhood search needs of a problem's schedule."""

    cost: float           # the current schedule's cost
    best_cost: float
    lower_bound: float    # no schedule costs less: reaching it ends the search
    n_operations: int
    first_stall: int      # moves without a new best that end the first polish by default

    def view(self) -> View: ...

    def rewrite(self, free: np.ndarray, time_limit: float, seed: int, workers: int,
                deterministic: bool) -> Outcome: ...

    def polish(self, stall: int, stall_s: float, deadline: float | None, seed: int) -> int: ...

    def best(self): ...


def until_stall(search: Stepper, stall: int, stall_s: float, deadline: float | None,
                chunk: int) -> None:
    """Advance ``search`` in chunks of ``chunk`` steps until ``stall`` steps or ``stall_s``
    seconds have passed since its last new best (counted here: a tabu search's own count starts
    again at each of its restarts), the deadline, or a final status. The steps are counted from
    the step of the new best itself, never more than asked for, so where a polish stops does
    not depend on how a kernel call cut its chunk (a run bounded by steps is repeatable)."""
    best, since, since_s = search.best_cost, search.steps, time.perf_counter()
    while deadline is None or time.perf_counter() < deadline:
        _, finished, bests = search.advance(min(chunk, max(stall - (search.steps - since), 1)))
        now = time.perf_counter()
        if search.best_cost < best:
            best, since, since_s = search.best_cost, max(step for step, _ in bests), now
        if finished or search.steps - since >= stall or now - since_s >= stall_s:
            return


@dataclass
class Tally:
    """Per picker: rewrites, those that improved, the cost they took off, seconds."""

    rewrites: dict = field(default_factory=dict)

    def add(self, rule: str, gain: float, seconds: float) -> None:
        row = self.rewrites.setdefault(rule, [0, 0, 0.0, 0.0])
        row[0] += 1
        row[1] += gain > 0
        row[2] += gain
        row[3] += seconds

    def summary(self) -> dict:
        return {rule: {"rewrites": r[0], "improved": r[1], "gain": round(r[2], 4),
                       "seconds": round(r[3], 3)} for rule, r in sorted(self.rewrites.items())}


class LargeNeighbourhoodSearch(Stepper):
    """Rewrite after rewrite (module docstring); one step is one rewrite."""

    first_chunk = 1
    max_chunk = 1

    def __init__(self, problem: Rewritable, settings: LnsSettings, seed: int,
                 deadline: float | None = None, started: float | None = None,
                 picker=None):
        """``picker``: the chooser of regions (:func:`rewriter.shop.regions.chooser`); None:
        the one ``settings.selector`` names, which must then not be ``learned``."""
        super().__init__(problem.cost)
        self.problem = problem
        self.settings = settings.check()
        self.rng = np.random.default_rng(seed)
        self.deadline = deadline
        self.started = time.perf_counter() if started is None else started
        self.size = float(min(settings.size, settings.max_size, problem.n_operations))
        self.limit = settings.subsolve
        self.picker = picker if picker is not None else chooser(settings.selector, "")
        self.tally = Tally()
        self.polish_moves = 0
        self._polished = settings.polish == 0

    def _seed(self) -> int:
        return int(self.rng.integers(0, 2**31 - 1))

    def _left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.perf_counter()

    def advance(self, n: int):
        bests: list[tuple[int, float]] = []
        if self.problem.best_cost <= self.problem.lower_bound:
            return 0, "optimal", bests
        if not self._polished:  # the first polish: the tabu search's own descent first
            self._polished = True
            self._polish(self.settings.first_stall or self.problem.first_stall,
                         self.settings.first_share)
            self._note(bests)
            return 0, None, bests
        left = self._left()
        if left < 0.05:  # no time for a sub-solve: the rest of it polishing
            self._polish(self.settings.polish, 1.0)
            self._note(bests)
            return 0, None, bests
        rule, free = self.picker.region(self.problem.view(), int(round(self.size)), self.rng)
        before = self.problem.cost
        limit = min(self.limit, max(left - 0.05, 0.01))
        # without a deadline every limit is CP-SAT's deterministic time on one thread, so a run
        # bounded by steps alone is repeatable (--seed), its adaptation included
        out = self.problem.rewrite(free, limit, self._seed(), self.settings.workers,
                                   self.deadline is None)
        if out.status == "interrupted":  # CP-SAT stopped at a Ctrl-C: so does the search
            self._note(bests)
            raise KeyboardInterrupt
        gain = (before - out.cost) / max(abs(before), 1e-9)
        self.tally.add(rule, gain, out.seconds)
        self.picker.update(rule, gain, out.seconds)
        self._adapt(out, limit, gain > 0)
        self.steps += 1
        if gain > 0 or (out.changed and self.settings.polish_changed):
            self._polish(self.settings.polish, self.settings.polish_share)
        self._note(bests)
        return 1, None, bests

    def _polish(self, stall: int, share: float) -> None:
        """Polish until ``stall`` moves or ``share`` of the time limit bring no new best."""
        if self.settings.polish:
            total = float("inf") if self.deadline is None else self.deadline - self.started
            self.polish_moves += self.problem.polish(stall, share * total, self.deadline,
                                                     self._seed())

    def _adapt(self, out: Outcome, limit: float, improved: bool) -> None:
        s = self.settings
        if out.status == "optimal":
            self.size = min(self.size * 1.1 + 1, s.max_size, self.problem.n_operations)
            if out.seconds < 0.5 * limit:
                self.limit = max(self.limit * 0.9, s.min_subsolve)
        else:
            self.size = max(self.size * 0.9, s.min_size)
            if improved:
                self.limit = min(self.limit * 1.2, s.max_subsolve)

    def _note(self, bests: list) -> None:
        if self.problem.best_cost < self.best_cost:
            self.best_cost = self.problem.best_cost
            bests.append((self.steps, self.best_cost))

    def best(self):
        return self.problem.best()

    def info(self) -> dict:
        """What a result reports of the search: the pickers' tallies, the adapted size and
        limit, the polishing moves."""
        out = {"selector": self.settings.selector, "rewrites": self.steps,
               "region_size": int(round(self.size)), "subsolve_s": round(self.limit, 3),
               "polish_moves": self.polish_moves, "pickers": self.tally.summary()}
        state = self.picker.state()
        if state is not None:
            out["weights" if self.settings.selector == "adaptive" else "picker"] = state
        return out
