"""``rewriter/JobShopGraph-v0``: one operation per decision, placed at its earliest fit; the
observation is the partial disjunctive graph (the environment of graph-based constructive
schedulers such as L2D, Zhang et al. 2020).

At each decision the agent names a job that has operations left; its next operation is placed on
its machine at the earliest start that is no earlier than the job's previous operation's end and
fits the machine's time line: in the first idle gap long enough, or after the machine's last
operation. Operations placed earlier never move, so every episode takes exactly N x M decisions
and builds an active schedule (no operation could start earlier without delaying another).

The observation describes every operation ``j * M + k`` (operation ``k`` of job ``j``):

=============  ==================================================================================
features       (N x M, 6): placed (1/0); candidate (1 for each job's next operation); lower bound
               of its end / the current makespan bound (its end when placed; otherwise the end of
               the job's last placed operation plus the durations up to it); duration / the
               longest operation; work_left, the durations of the job from this operation on /
               the largest job total; machine_wait, for a candidate how long it would wait for
               its machine if placed now (its earliest fit minus the job's ready time) / the
               current makespan bound, 0 for every other operation
machine_order  (M, C): each machine's placed operations in time order, ``-1`` after the last
               (C: the most operations any machine has)
action_mask    (N,): 1 for the jobs with operations left
=============  ==================================================================================

The graph's arcs are the job arcs (operation k -> k + 1 of each job; fixed) and the machine arcs
between consecutive placed operations of ``machine_order`` (:func:`graph_arcs`).

Reward: the fall of the makespan bound (the largest lower bound of any operation's end) divided
by the longest operation, so an episode's return is ``(bound at the start - makespan) /
longest``. An illegal action ends the episode with the return of a schedule as long as the total
work (no schedule this environment builds is longer).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numba import njit

from .checks import check_running, discrete_action, reset_options
from .instances import jobshop_source
from .padding import pad, padded_size

FEATURES = ("placed", "candidate", "end_bound", "duration", "work_left", "machine_wait")


@njit(cache=True)
def earliest_fit(machine, ready, duration, starts, durations, order, count):
    """(start, position in the machine's order) of an operation of ``duration`` on ``machine``
    that may not start before ``ready``: the first idle gap it fits, else after the last."""
    m = durations.shape[1]
    before_end = 0          # end of the operation before the gap being tried
    for i in range(count[machine]):
        op = order[machine, i]
        op_start = starts[op // m, op % m]
        candidate = max(ready, before_end)
        if candidate + duration <= op_start:
            return candidate, i
        before_end = op_start + durations[op // m, op % m]
    return max(ready, before_end), count[machine]


@njit(cache=True)
def place_next(job, machines, durations, starts, next_op, order, count, bounds):
    """Place job ``job``'s next operation at its earliest fit and return its start.

    ``machines``/``durations`` (N, M) per operation; ``starts`` (N, M), -1 while unplaced;
    ``next_op`` (N,); ``order`` (M, C) each machine's placed operation ids in time order and
    ``count`` (M,) how many; ``bounds`` (N, M) the lower bounds of the operations' ends, updated
    along the job."""
    m = durations.shape[1]
    k = next_op[job]
    machine = machines[job, k]
    ready = 0 if k == 0 else starts[job, k - 1] + durations[job, k - 1]
    start, slot = earliest_fit(machine, ready, durations[job, k], starts, durations, order, count)
    for i in range(count[machine], slot, -1):
        order[machine, i] = order[machine, i - 1]
    order[machine, slot] = job * m + k
    count[machine] += 1
    starts[job, k] = start
    next_op[job] = k + 1
    end = start + durations[job, k]
    bounds[job, k] = end
    for later in range(k + 1, m):
        end += durations[job, later]
        bounds[job, later] = end
    return start


@njit(cache=True)
def candidate_waits(machines, durations, starts, next_op, order, count):
    """(N,) for each job with operations left, how long its next operation would wait for its
    machine if placed now (its earliest fit minus the job's ready time); 0 for finished jobs."""
    n, m = durations.shape
    waits = np.zeros(n, np.int64)
    for job in range(n):
        k = next_op[job]
        if k < m:
            ready = 0 if k == 0 else starts[job, k - 1] + durations[job, k - 1]
            start, _ = earliest_fit(machines[job, k], ready, durations[job, k], starts,
                                    durations, order, count)
            waits[job] = start - ready
    return waits


def job_arcs(num_jobs: int, num_machines: int) -> np.ndarray:
    """(2, N x (M - 1)) the arcs from each operation to the next of its job."""
    ops = np.arange(num_jobs * num_machines).reshape(num_jobs, num_machines)
    return np.stack([ops[:, :-1].ravel(), ops[:, 1:].ravel()])


def graph_arcs(machine_order: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    """(2, E) every arc of the partial disjunctive graph: ``jobs`` (:func:`job_arcs`) and the
    arcs between consecutive placed operations of each machine of ``machine_order``."""
    src, dst = machine_order[:, :-1].ravel(), machine_order[:, 1:].ravel()
    keep = dst >= 0
    return np.concatenate([jobs, np.stack([src[keep], dst[keep]])], 1)


class JobShopGraphEnv(gym.Env):
    """One job per decision, Discrete(N); its next operation is placed at its earliest fit (see
    the module docstring). :meth:`action_masks` gives the legal jobs (sb3-contrib's name).

    ``max_jobs`` / ``max_machines`` pad the spaces to that size (:mod:`.padding`): operation
    ``j * max_machines + k`` is operation k of job j, the padded operations' features are zeros,
    ``machine_order`` is (max_machines, max_jobs) in that numbering, the action space is
    ``Discrete(max_jobs)`` and the padded jobs are masked out. An instance with more operations
    on one machine than ``max_jobs`` (a file that repeats a machine) is refused."""

    metadata = {"render_modes": []}

    def __init__(self, instance=None, num_jobs: int | None = None, num_machines: int | None = None,
                 low: int = 1, high: int = 99, max_jobs: int | None = None,
                 max_machines: int | None = None):
        self.source = jobshop_source(instance, num_jobs, num_machines, low, high)
        n, m = self.num_jobs, self.num_machines = self.source.num_jobs, self.source.num_machines
        fixed = self.source.fixed
        # random instances visit every machine once per job; a file may repeat a machine
        self.capacity = n if fixed is None else int(np.bincount(fixed.machines.ravel()).max())
        self.max_jobs, self.max_machines = padded_size(
            "rewriter/JobShopGraph-v0", n, m, max_jobs, max_machines)
        self.padded = max_jobs is not None or max_machines is not None
        if self.padded and self.capacity > self.max_jobs:
            raise ValueError(f"rewriter/JobShopGraph-v0: a machine of {fixed.name} has "
                             f"{self.capacity} operations, more than max_jobs={self.max_jobs} "
                             f"(the padded machine_order's width)")
        big_n, big_m = self.max_jobs, self.max_machines
        width = big_n if self.padded else self.capacity
        self.observation_space = spaces.Dict({
            "features": spaces.Box(0.0, 1.0, (big_n * big_m, len(FEATURES)), np.float32),
            "machine_order": spaces.Box(-1, big_n * big_m - 1, (big_m, width), np.int64),
            "action_mask": spaces.Box(0, 1, (big_n,), np.bool_),
        })
        self.action_space = spaces.Discrete(big_n)
        self.instance = None
        self._done = True

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """An empty schedule (of a new random instance when the env was made without one)."""
        reset_options(self, options)
        super().reset(seed=seed)
        inst = self.instance = self.source.draw(self.np_random)
        n, m = self.num_jobs, self.num_machines
        self._starts = np.full((n, m), -1, np.int64)
        self._next = np.zeros(n, np.int64)
        self._order = np.full((m, self.capacity), -1, np.int64)
        self._count = np.zeros(m, np.int64)
        self._bounds = inst.durations.cumsum(axis=1)
        self._longest = max(int(inst.durations.max()), 1)
        self._total_work = int(inst.durations.sum())
        suffix = inst.durations[:, ::-1].cumsum(axis=1)[:, ::-1]
        self._work_left = suffix / max(int(suffix[:, 0].max()), 1)
        self._done = False
        return self._observation(), self._info()

    def step(self, action):
        """Place the chosen job's next operation at its earliest fit. An action outside the
        action space raises ValueError (:mod:`.checks`)."""
        check_running(self, self.instance is not None, self._done)
        job = discrete_action(self, action, self.max_jobs)
        if job >= self.num_jobs:
            return self._fail(f"action {job} is not allowed: job {job} is padding (the instance "
                              f"has {self.num_jobs} jobs)")
        if self._next[job] >= self.num_machines:
            return self._fail(f"action {job} is not allowed now: job {job} has no operation left")
        before = self.makespan_bound()
        inst = self.instance
        place_next(job, inst.machines, inst.durations, self._starts, self._next, self._order,
                   self._count, self._bounds)
        reward = (before - self.makespan_bound()) / self._longest
        terminated = bool((self._next == self.num_machines).all())
        info = self._info()
        if terminated:
            self._done = True
            info.update(termination="done", makespan=self.makespan_bound(),
                        schedule=self._starts.copy())
        return self._observation(), reward, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """(N,) bool: the jobs with operations left (``max_jobs`` with padding, padded jobs
        False)."""
        return pad(self._next < self.num_machines, (self.max_jobs,), False)

    def makespan_bound(self) -> int:
        """The largest lower bound of an operation's end (the makespan once all are placed)."""
        return int(self._bounds[:, -1].max())

    def _observation(self) -> dict:
        n, m = self.num_jobs, self.num_machines
        placed = self._starts >= 0
        candidate = np.zeros((n, m), np.bool_)
        wait = np.zeros((n, m))
        left = np.flatnonzero(self._next < m)
        candidate[left, self._next[left]] = True
        inst = self.instance
        waits = candidate_waits(inst.machines, inst.durations, self._starts, self._next,
                                self._order, self._count)
        bound = max(self.makespan_bound(), 1)  # no fit starts after it: the wait is below it
        wait[left, self._next[left]] = waits[left] / bound
        features = np.stack([placed, candidate, self._bounds / bound,
                             inst.durations / self._longest, self._work_left, wait], -1)
        if not self.padded:
            return {"features": features.reshape(n * m, len(FEATURES)).astype(np.float32),
                    "machine_order": self._order.copy(), "action_mask": self.action_masks()}
        big_n, big_m = self.max_jobs, self.max_machines
        features = pad(features, (big_n, big_m, len(FEATURES)))
        order = np.where(self._order >= 0, self._order // m * big_m + self._order % m, -1)
        return {"features": features.reshape(big_n * big_m, len(FEATURES)).astype(np.float32),
                "machine_order": pad(order, (big_m, big_n), -1),
                "action_mask": self.action_masks()}

    def _info(self) -> dict:
        return {"action_mask": self.action_masks(), "instance": self.instance.name}

    def _fail(self, detail: str):
        """End the episode on an illegal action: nothing placed, the return of a schedule as
        long as the total work."""
        self._done = True
        reward = (self.makespan_bound() - self._total_work) / self._longest
        info = self._info()
        info.update(termination="illegal_action", illegal_action=True, detail=detail,
                    makespan=self._total_work)
        return self._observation(), reward, True, False, info
