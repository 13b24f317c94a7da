"""Tabu search on windows of a large schedule, so a move costs what the window costs, not what the
whole schedule costs.

At 10^5-10^6 operations one swap changes the heads or tails of a tenth of the graph or more
(measured: 7% and 9% of 10^5 operations per tabu move on tai_1000_100_1, 12% and 46% of 10^6 on
tai_1000_1000_1), so even an update that touches only what changes costs milliseconds. A
*window* is the set of operations that start within a stretch of time ``[t0, t1]``. It is
closed under the schedule's paths: no path leaves it and comes back, as starts never decrease
along an arc. With the rest of the schedule fixed, everything outside acts on the window only
through constants:

* a job's first operation in the window starts after its predecessor outside ends (a fixed
  *release*), and its last one is followed by a fixed *delivery* (the successor's duration and
  tail);
* on every machine the window's operations are one stretch of its sequence: they start after the
  operation before the stretch ends and are followed by the one after it.

:func:`cut` turns a window into a small job-shop instance of its own: the window's operations,
each job's release and delivery as an operation of that length on a machine of its own, and each
machine's release and delivery as fixed operations at the two ends of its stretch (operations
from ``n_movable`` on, which the search never moves). Its longest path is exactly the longest
path of the whole schedule through the window, so tabu search on it, with the same kernels, prices
each move over the window alone; :func:`paste` writes its best sequences back, and the whole
schedule's makespan is then never worse than before: max(longest path through the window, the
longest path that avoids it), and the first can only have fallen.

:class:`WindowedTabu` moves such a window over the schedule, a stretch of ``window`` operations
after another (each half overlapping the next), each searched until it stalls, and brings the
whole schedule's heads and tails up to date between windows (:func:`paste_and_update`: the heads
from the window on, the tails up to it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.loop import Stepper
from . import kernels as K
from .instance import JobShopInstance
from .schedule import JobShopSolution
from .search import LocalSearch, TabuSettings


@dataclass
class Window:
    """A window of a schedule as an instance of its own (see the module docstring)."""

    instance: JobShopInstance
    #: the sub-instance's machine sequences as in the schedule it was cut from
    order: np.ndarray
    #: operations from this id on are the fixed machine releases and deliveries
    n_movable: int
    #: the schedule's id of each sub-instance operation, -1 for the releases and deliveries
    original: np.ndarray
    #: the positions in the schedule's order the window's operations fill, machine after machine
    positions: np.ndarray
    #: the stretch of time its operations start in, [start, end]
    start: int
    end: int


def cut(sol: JobShopSolution, t0: int, t1: int) -> Window | None:
    """The window of the operations of ``sol`` (heads and tails exact) that start in
    ``[t0, t1]``; None when it holds no operation."""
    inst = sol.instance
    free = np.flatnonzero((sol.heads >= t0) & (sol.heads <= t1))
    if free.shape[0] == 0:
        return None
    jobs = _job_groups(inst, sol, free)
    machines = _machine_stretches(inst, sol, free)
    return _assemble(inst, sol, free, jobs, machines, t0, t1)


@dataclass
class _JobGroups:
    start: np.ndarray    # where each job's run of window operations starts in ``free``
    length: np.ndarray
    release: np.ndarray  # the job predecessor outside, -1 for none
    delivery: np.ndarray  # the job successor outside, -1 for none


def _job_groups(inst, sol, free) -> _JobGroups:
    """The window's operations grouped by job (one consecutive run each: starts rise along a
    job), with the operations just outside each run."""
    jobs = inst.op_job[free]
    start = np.flatnonzero(np.r_[True, jobs[1:] != jobs[:-1]])
    length = np.diff(np.r_[start, free.shape[0]])
    first, last = free[start], free[start + length - 1]
    return _JobGroups(start, length, inst.job_pred[first], inst.job_succ[last])


@dataclass
class _Stretches:
    machine: np.ndarray  # the machines with window operations, ascending
    low: np.ndarray      # each one's stretch: positions [low, high) of the schedule's order
    high: np.ndarray


def _machine_stretches(inst, sol, free) -> _Stretches:
    machine_of = inst.op_machine[free]
    position = sol.position[free]
    machine = np.unique(machine_of)
    low = np.full(inst.n_machines, np.iinfo(np.int64).max, np.int64)
    high = np.full(inst.n_machines, -1, np.int64)
    np.minimum.at(low, machine_of, position)
    np.maximum.at(high, machine_of, position)
    count = np.bincount(machine_of, minlength=inst.n_machines)
    low, high = low[machine], high[machine] + 1
    if (high - low != count[machine]).any():  # starts never fall along a machine's sequence
        raise AssertionError("a window's operations are not one stretch of each machine")
    return _Stretches(machine, low, high)


def _assemble(inst, sol, free, jobs: _JobGroups, stretches: _Stretches, t0, t1) -> Window:
    heads, tails, duration = sol.heads, sol.tails, inst.op_duration
    has_release, has_delivery = jobs.release >= 0, jobs.delivery >= 0
    machine_start = inst.machine_start
    before = stretches.low > machine_start[stretches.machine]
    after = stretches.high < machine_start[stretches.machine + 1]
    n_groups = jobs.start.shape[0]
    sizes = np.r_[jobs.length + has_release + has_delivery,
                  np.ones(int(before.sum() + after.sum()), np.int64)]
    job_start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    n_movable = int(job_start[n_groups])
    n = int(job_start[-1])
    sub_duration = np.empty(n, np.int64)
    sub_machine = np.empty(n, np.int64)
    rank = np.zeros(n, np.int64)  # the order of each machine's operations in the window
    original = np.full(n, -1, np.int64)
    # the window's operations
    within = np.arange(free.shape[0]) - np.repeat(jobs.start, jobs.length)
    ids = np.repeat(job_start[:n_groups] + has_release, jobs.length) + within
    real = np.full(inst.n_machines, -1, np.int64)
    real[stretches.machine] = np.arange(stretches.machine.shape[0])
    sub_duration[ids] = duration[free]
    sub_machine[ids] = real[inst.op_machine[free]]
    rank[ids] = sol.position[free]
    original[ids] = free
    # each job's release and delivery, on machines of their own
    own = stretches.machine.shape[0]
    pred = jobs.release[has_release]
    releases = job_start[:n_groups][has_release]
    sub_duration[releases] = heads[pred] + duration[pred]
    sub_machine[releases] = own + np.arange(releases.shape[0])
    own += releases.shape[0]
    succ = jobs.delivery[has_delivery]
    deliveries = (job_start[1:n_groups + 1] - 1)[has_delivery]
    sub_duration[deliveries] = duration[succ] + tails[succ]
    sub_machine[deliveries] = own + np.arange(deliveries.shape[0])
    own += deliveries.shape[0]
    # each machine's release (the operation before the stretch) and delivery (the one after)
    pred = sol.order[stretches.low[before] - 1]
    first = np.arange(n_movable, n_movable + pred.shape[0])
    sub_duration[first] = heads[pred] + duration[pred]
    sub_machine[first] = real[stretches.machine[before]]
    rank[first] = -1
    succ = sol.order[stretches.high[after]]
    last = np.arange(n_movable + pred.shape[0], n)
    sub_duration[last] = duration[succ] + tails[succ]
    sub_machine[last] = real[stretches.machine[after]]
    rank[last] = np.iinfo(np.int64).max
    sub = JobShopInstance.from_flat(f"{inst.name}[window]", sub_duration, sub_machine, job_start,
                                    own)
    order = np.lexsort((rank, sub_machine)).astype(np.int64)
    positions = np.concatenate([np.arange(lo, hi) for lo, hi in zip(stretches.low, stretches.high)])
    return Window(sub, order, n_movable, original, positions.astype(np.int64), int(t0), int(t1))


def paste(window: Window, sub_order: np.ndarray, order: np.ndarray) -> None:
    """Write the window's machine sequences ``sub_order`` (of its instance) into the schedule's
    ``order``, in place."""
    ops = window.original[sub_order]
    order[window.positions] = ops[ops >= 0]


def window_topo(window: Window, sub_order: np.ndarray) -> np.ndarray:
    """The window's operations (schedule ids) in a topological order of its sequences
    ``sub_order``: the order of its instance's schedule, without the fixed ends."""
    ops = window.original[JobShopSolution(window.instance, sub_order).topo]
    return ops[ops >= 0]


def paste_and_update(window: Window, sub_order: np.ndarray, sol: JobShopSolution,
                     scratch: np.ndarray) -> int:
    """:func:`paste` into ``sol`` (heads, tails and topological order exact) and make its machine
    links, topological order, heads and tails exact again; returns the makespan.

    Only the pasted positions change machine neighbours. Every arc between the window and the
    rest runs from an operation starting before it or into one starting after it, so ``sol.topo``
    grouped (before, the window in an order of its new sequences, after) is topological, the
    heads before the window and the tails after it stay as they were: one pass over the heads
    from the window on and one over the tails up to its end, instead of a whole evaluation."""
    inst = sol.instance
    paste(window, sub_order, sol.order)
    K.relink_positions(sol.order, window.positions, inst.op_machine, inst.machine_start,
                       sol.mach_pred, sol.mach_succ, sol.position)
    middle = window_topo(window, sub_order)
    first = K.regroup_by_start(sol.topo, sol.heads, window.start, window.end, middle, scratch)
    if first < 0:
        raise AssertionError("the window's operations are not those starting in its stretch")
    K.heads_from(inst.op_duration, inst.job_pred, sol.mach_pred, sol.topo, sol.heads, first)
    K.tails_upto(inst.op_duration, inst.job_succ, sol.mach_succ, sol.topo, sol.tails,
                 first + middle.shape[0] - 1)
    # every operation ends by the end of its job's last one
    return int(K.latest_end(inst.job_last, inst.op_duration, sol.heads))


class WindowedTabu(Stepper):
    """Tabu search on one window of the schedule after another (module docstring).

    A step is one tabu move inside a window. A window is searched until it makes ``stall`` steps
    without improving its own longest path, then its best sequences are pasted into the
    schedule, the schedule's heads and tails updated and the next window cut: the ``window``
    operations that start first from the middle of the last one on, round and round the
    schedule.
    """

    first_chunk = 16

    def __init__(self, sol: JobShopSolution, tabu: TabuSettings, seed: int, window: int,
                 stall: int):
        super().__init__(sol.makespan)
        self.sol = sol
        self.inst = sol.instance
        self.tabu = tabu
        self.seed = seed
        self.size = max(2, int(window))
        self.stall = max(1, int(stall))
        self.best_order = sol.order.copy()
        self.windows = 0
        self._t0 = 0  # the start of the next window (a time)
        self._search: LocalSearch | None = None
        self._window: Window | None = None
        self._moved = False  # whether a window of this round made a move
        self.rng = np.random.default_rng(seed)
        self._scratch = np.empty(self.inst.n_operations, np.int64)

    def advance(self, n: int):
        done, bests, finished = 0, [], None
        while done < n:
            if self._search is None:
                if self._t0 == 0 and self.windows > 0 and not self._moved:
                    # a whole round of windows without a single move: larger ones, up to the
                    # whole schedule, where none is left either
                    if self.size >= self.inst.n_operations:
                        finished = "local_optimum"
                        break
                    self.size *= 2
                if self._t0 == 0:
                    self._moved = False
                self._open()
            search = self._search
            # up to the step where the window has gone ``stall`` moves without a better
            # schedule, so where windows close does not depend on how the loop cuts chunks
            want = min(n - done, self.stall - search.since_best)
            step, finished_window, _ = search.advance(want)
            done += step
            self.steps += step
            self._moved = self._moved or step > 0
            if (search.since_best >= self.stall or search.restarts or finished_window
                    or step < want):  # stalled (its own restart too), or nothing left to try
                bests += self._close()
                break  # a window's close costs a pass over the schedule: let the loop see the clock
        return done, finished, bests

    def _open(self) -> None:
        """Cut the next window and start a tabu search on it."""
        sol = self.sol
        later = sol.heads[sol.heads >= self._t0]
        if later.shape[0] == 0:  # the last close moved every start before it: a new round
            self._t0 = 0
            later = sol.heads
        t0 = int(later.min())
        if later.shape[0] <= self.size:  # the last window reaches the end: then start again
            t1 = int(later.max())
            self._t0 = 0
        else:  # the window's size in operations, and the next one starts at its middle
            middle, last = np.partition(later, [self.size // 2, self.size - 1])[
                [self.size // 2, self.size - 1]]
            t1 = int(last)
            self._t0 = max(t0 + 1, int(middle))
        window = cut(sol, t0, t1)
        sub = JobShopSolution(window.instance, window.order)
        self._window = window
        self._search = LocalSearch(sub, "tabu", "n5", self.tabu,
                                   int(self.rng.integers(0, 2**62)), n_movable=window.n_movable)
        self.windows += 1

    def _close(self) -> list[tuple[int, int]]:
        """Paste the window's best sequences and update the schedule; the new best if any."""
        sol, search = self.sol, self._search
        if search.best_cost >= search.initial_cost:  # nothing better: the schedule stays as it was
            self._search = self._window = None
            return []
        sol.makespan = paste_and_update(self._window, search.best_order, sol, self._scratch)
        self._search = self._window = None
        if sol.makespan < self.best_cost:
            self.best_cost = sol.makespan
            self.best_order[:] = sol.order
            return [(self.steps, int(sol.makespan))]
        return []

    def best(self) -> JobShopSolution:
        return JobShopSolution(self.inst, self.best_order)
