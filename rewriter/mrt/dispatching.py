"""Heuristic schedules for MRT (online multi-resource job scheduling): EJF, SJF, SJFS, SJF-offline, random.

Every function takes an :class:`~rewriter.mrt.instance.MrtInstance` and returns the start time of
every job (an int64 array in instance order); every schedule passes
:func:`rewriter.mrt.validate.check_mrt_schedule`.

Online rules (``ejf``, ``sjf``, ``sjfs``, ``random``) simulate time: at each time step where
something changes (a job arrives or a running job ends) the *waiting* jobs (arrived, not started)
are taken in the rule's order and each one is started if it fits, for its whole length, next to
the jobs already running. Nothing is known about jobs that have not arrived yet.

Backfilling (``backfill=True``: a later job in the order may start when an earlier one does not
fit) is the default for every online rule: an online scheduler that looks at the whole queue
starts whatever fits. It is the choice that reproduces the paper's heuristic figures: on the
first 50 test sequences EJF gives 11.11 for D = 2 (paper: 11.11; strict first-come-first-served,
``backfill=False``, gives 17.80) and SJF 4.81 / 5.86 for D = 2 / 5 (paper: 4.80 / 5.83).

* ``ejf``: earliest arrival first (ties: job number).
* ``sjf``: shortest job first (ties: earliest arrival, then job number).
* ``sjfs``: SJF with a look-ahead search. At each decision, among the ``width`` (3) shortest
  waiting jobs that fit now, start the one whose *roll-out* is best: start it, then schedule the
  rest of the current queue by SJF (no future arrivals, which an online scheduler does not know)
  and score the total slowdown of the queue; ties go to the shorter job. Repeat while some waiting
  job fits.
* ``sjf_offline``: SJF knowing every job in advance: list scheduling in SJF order, every job at
  its earliest feasible time >= arrival given the jobs placed before it (so later-placed jobs
  backfill earlier gaps). Not an online schedule.
* ``random_rule``: waiting jobs in a fresh random order at each decision (seeded), with backfilling.

Online schedules start every job at its arrival or at the end of some job (nothing can change
in between), i.e. they are left-justified in the sense of the MRT DAG.
"""

from __future__ import annotations

import heapq

import numpy as np

from .instance import MrtInstance
from .kernels import add_job, fits
from .schedule import MrtSchedule

__all__ = ["ejf", "sjf", "sjfs", "sjf_offline", "random_rule", "HEURISTICS", "heuristic"]


class _Sim:
    """Running state of an online simulation: usage profile, starts, and a heap of end times."""

    def __init__(self, instance: MrtInstance):
        self.inst = instance
        self.length = instance.length
        self.demand = instance.demand
        self.capacity = instance.capacity
        horizon = instance.horizon + int(instance.length.max()) + 1
        self.usage = np.zeros((horizon, instance.resources), np.int64)
        self.starts = np.full(instance.n_jobs, -1, np.int64)
        self.ends: list[int] = []

    def fits(self, j: int, t: int) -> bool:
        return fits(self.usage, self.demand[j], int(self.length[j]), t, self.capacity)

    def start(self, j: int, t: int) -> None:
        add_job(self.usage, self.demand[j], int(self.length[j]), t, 1)
        self.starts[j] = t
        heapq.heappush(self.ends, t + int(self.length[j]))

    def next_end(self, t: int) -> int | None:
        while self.ends and self.ends[0] <= t:
            heapq.heappop(self.ends)
        return self.ends[0] if self.ends else None

    def copy(self) -> "_Sim":
        new = object.__new__(_Sim)
        new.__dict__.update(self.__dict__)
        new.usage = self.usage.copy()
        new.starts = self.starts.copy()
        new.ends = list(self.ends)
        return new


def _greedy(sim: _Sim, t: int, queue: list[int], key, backfill: bool) -> list[int]:
    """Start the queued jobs that fit at ``t`` in ``key`` order; return the ones still waiting."""
    left = []
    blocked = False
    for j in sorted(queue, key=key):
        if not blocked and sim.fits(j, t):
            sim.start(j, t)
        else:
            left.append(j)
            blocked = not backfill
    return left


def _simulate(instance: MrtInstance, decide) -> np.ndarray:
    """Event-driven online simulation; ``decide(sim, t, waiting) -> still waiting`` starts jobs."""
    sim = _Sim(instance)
    order = instance.arrival_order.tolist()
    arrival = instance.arrival.tolist()
    n = len(order)
    p = 0
    waiting: list[int] = []
    t = 0
    while p < n or waiting:
        while p < n and arrival[order[p]] <= t:
            waiting.append(order[p])
            p += 1
        if waiting:
            waiting = decide(sim, t, waiting)
        events = [arrival[order[p]]] if p < n else []
        end = sim.next_end(t)
        if end is not None:
            events.append(end)
        if not events:
            if waiting:  # nothing runs and nothing arrives: a job must fit (demand <= capacity)
                raise RuntimeError("a waiting job does not fit on an empty machine")
            break
        t = min(events)
    return sim.starts


def _ejf_key(instance):
    arrival = instance.arrival
    return lambda j: (int(arrival[j]), j)


def _sjf_key(instance):
    arrival, length = instance.arrival, instance.length
    return lambda j: (int(length[j]), int(arrival[j]), j)


def ejf(instance: MrtInstance, backfill: bool = True) -> np.ndarray:
    """Earliest job first (online; ``backfill=False`` is strict first-come-first-served)."""
    key = _ejf_key(instance)
    return _simulate(instance, lambda sim, t, q: _greedy(sim, t, q, key, backfill))


def sjf(instance: MrtInstance, backfill: bool = True) -> np.ndarray:
    """Shortest job first among the waiting jobs (online)."""
    key = _sjf_key(instance)
    return _simulate(instance, lambda sim, t, q: _greedy(sim, t, q, key, backfill))


def _rollout_cost(sim: _Sim, t: int, first: int, queue: list[int], key, backfill: bool) -> float:
    """Total slowdown of ``queue`` when ``first`` starts at ``t`` and the rest follow SJF."""
    sim = sim.copy()
    sim.start(first, t)
    rest = [j for j in queue if j != first]
    now = t
    while rest:
        rest = _greedy(sim, now, rest, key, backfill)
        if not rest:
            break
        end = sim.next_end(now)
        if end is None:
            raise RuntimeError("a waiting job does not fit on an empty machine")
        now = end
    arrival, length = sim.inst.arrival, sim.inst.length
    return float(sum((sim.starts[j] + length[j] - arrival[j]) / length[j] for j in queue))


def sjfs(instance: MrtInstance, width: int = 3, backfill: bool = True) -> np.ndarray:
    """SJF with a roll-out search over the ``width`` shortest fitting jobs (module docstring)."""
    key = _sjf_key(instance)

    def decide(sim: _Sim, t: int, queue: list[int]) -> list[int]:
        queue = list(queue)
        while queue:
            fitting = []
            for j in sorted(queue, key=key):
                if sim.fits(j, t):
                    fitting.append(j)
                    if len(fitting) == width:
                        break
                elif not backfill:
                    break
            if not fitting:
                break
            if len(fitting) == 1:
                best = fitting[0]
            else:
                costs = [_rollout_cost(sim, t, j, queue, key, backfill) for j in fitting]
                best = fitting[int(np.argmin(costs))]  # first minimum = the shortest among ties
            sim.start(best, t)
            queue.remove(best)
        return queue

    return _simulate(instance, decide)


def sjf_offline(instance: MrtInstance) -> np.ndarray:
    """Offline SJF list scheduling (every arrival known; earliest feasible time, backfilling)."""
    key = _sjf_key(instance)
    priority = sorted(range(instance.n_jobs), key=key)
    return MrtSchedule.from_priority(instance, priority).starts


def random_rule(instance: MrtInstance, seed: int = 0) -> np.ndarray:
    """Waiting jobs in a random order at each decision (seeded), with backfilling."""
    rng = np.random.default_rng(seed)

    def decide(sim: _Sim, t: int, queue: list[int]) -> list[int]:
        left = []
        for j in rng.permutation(np.array(queue, dtype=np.int64)).tolist():
            if sim.fits(j, t):
                sim.start(j, t)
            else:
                left.append(j)
        return sorted(left)

    return _simulate(instance, decide)


#: name -> function(instance) -> starts; the names are ``MrtProblem.init_rules``
HEURISTICS = {"ejf": ejf, "sjf": sjf, "sjfs": sjfs, "sjf-offline": sjf_offline, "random": random_rule}


def heuristic(name: str, instance: MrtInstance, seed: int = 0) -> np.ndarray:
    """Run heuristic ``name`` (``random`` uses ``seed``)."""
    from ..errors import InputError

    if name not in HEURISTICS:
        raise InputError(f"unknown MRT heuristic {name!r}; expected one of {', '.join(HEURISTICS)}")
    if name == "random":
        return random_rule(instance, seed=seed)
    return HEURISTICS[name](instance)
