"""What the Q-network sees at one decision point: features of the candidate jobs, the idle
machines, every allowed (job, machine) pair, and the state as a whole.

All of it is computed from the MDP's state ``(tau, J, M, C)`` (the compatibility matrix
C is part of that state, though not of its 4n + 2m vector). Times are divided by two scales fixed
per instance: ``S``, the mean compatible duration, for durations, and ``H = S x max(1, n / m)``,
about the time a job waits behind its share of the others, for deadlines and slack. Neither
depends on the instance's size beyond the ratio n / m, so one network reads every size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...envs.compat_mdp import RUNNING, CompatMDP

JOB_FEATURES = ("slack", "shortest", "mean_duration", "compatible_share", "idle_compatible_share")
MACHINE_FEATURES = ("available_share", "mean_available_duration", "speed")
PAIR_FEATURES = ("duration", "end_slack", "over_shortest", "over_machine_mean", "over_earliest_end",
                 "regret", "past_bound")
GLOBAL_FEATURES = ("time", "unstarted", "available", "idle_machines", "running", "remaining_load",
                   "can_wait")


@dataclass
class Decision:
    """One decision point: the candidates and their features (numpy, float32).

    ``jobs`` / ``machines`` are the instance's indices of the candidate jobs and idle machines;
    pair p assigns ``jobs[pair_job[p]]`` to ``machines[pair_machine[p]]``. Action p < P is that
    pair, action P the wait (allowed when ``can_wait``)."""

    jobs: np.ndarray
    machines: np.ndarray
    job_x: np.ndarray
    machine_x: np.ndarray
    pair_job: np.ndarray
    pair_machine: np.ndarray
    pair_x: np.ndarray
    global_x: np.ndarray
    can_wait: bool
    baseline: float  # a first estimate of the return to come, scaled (envs.compat_mdp.LearnerReward.baseline)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_job.shape[0])

    def action(self, index: int) -> tuple[int, int] | None:
        """(job, machine) of action ``index``, None for the wait."""
        if index == self.n_pairs:
            return None
        return int(self.jobs[self.pair_job[index]]), int(self.machines[self.pair_machine[index]])


class FeatureScales:
    """The per-instance constants the features are divided by (computed once per episode)."""

    def __init__(self, mdp: CompatMDP):
        durations, compatible = mdp.durations, mdp.compatible
        n, m = mdp.n_jobs, mdp.n_machines
        masked = np.where(compatible, durations, 0).astype(np.float64)
        count = compatible.sum(1)
        self.job_mean = masked.sum(1) / count                                   # (n,)
        self.job_min = np.where(compatible, durations, np.iinfo(np.int64).max).min(1).astype(np.float64)
        self.S = max(float(self.job_mean.mean()), 1.0)
        self.H = self.S * max(1.0, n / m)
        self.compatible_share = count / m
        # a machine's speed: its durations relative to each job's mean, averaged over its jobs
        relative = np.where(compatible, durations / np.maximum(self.job_mean, 1e-9)[:, None], 0.0)
        self.speed = relative.sum(0) / np.maximum(compatible.sum(0), 1)
        self.load = max(float(self.job_mean.sum()) / m, 1.0)


def decision(mdp: CompatMDP, scales: FeatureScales, reward=None) -> Decision:
    """The features of ``mdp``'s current decision point (the episode must not be over), with the
    baseline of the learner's ``reward`` (a :class:`~rewriter.envs.compat_mdp.LearnerReward`;
    None: 0, which changes no greedy choice)."""
    S, H = scales.S, scales.H
    t = mdp.time
    available = mdp.available_jobs()
    idle = mdp.idle_machines()
    jobs, machines = np.flatnonzero(available), np.flatnonzero(idle)
    # a busy machine is free at the end of its job
    free = np.maximum(np.where(mdp.machine_job >= 0, mdp.machine_end, t), t)
    # a lower bound on the makespan: the latest end so far, and the work still to do (each job at
    # its fastest) spread evenly from now
    unstarted = mdp.status == 0
    running = mdp.status == RUNNING
    ends = mdp.begin + mdp.job_duration
    latest = float(ends[mdp.status != 0].max()) if (mdp.status != 0).any() else 0.0
    left = float((ends[running] - t).sum() + scales.job_min[unstarted].sum())
    bound = max(latest, t + left / mdp.n_machines)
    per_job, counts, mean_here, pj, pm, pair_x = _candidates(
        mdp.durations, jobs, machines, mdp.deadline, scales.job_min, free, t, S, H, bound)
    slack = (mdp.deadline[jobs] - t) / H
    job_x = np.stack([slack, scales.job_min[jobs] / S, scales.job_mean[jobs] / S,
                      scales.compatible_share[jobs], per_job / max(len(machines), 1)], 1)
    machine_x = np.stack([counts / max(len(jobs), 1), mean_here / S, scales.speed[machines]], 1)
    # the state as a whole
    n, m = mdp.n_jobs, mdp.n_machines
    remaining = float(scales.job_mean[unstarted].sum()) / m
    global_x = np.array([t / (scales.load + H), unstarted.mean(), available.mean(), idle.mean(),
                         (mdp.status == RUNNING).mean(), remaining / scales.load,
                         float(mdp.can_wait())])
    baseline = 0.0 if reward is None else reward.baseline() / reward.scale
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return Decision(jobs, machines, f32(job_x), f32(machine_x), pj, pm, pair_x, f32(global_x),
                    bool(global_x[-1]), baseline)


@njit(cache=True)
def _candidates(durations, jobs, machines, deadline, job_min, free, t, S, H, bound):
    """The allowed pairs (job rows, machine rows, in job-major order) and their features, and
    per candidate job the idle machines it can use, per idle machine the candidate jobs it can
    take and their mean duration there. Pair features: duration / S, (deadline - end) / H,
    duration / the job's shortest, duration / the machine's mean, (end - the job's earliest
    end on any machine, busy ones at their free time) / S, the regret (the job's earliest end on
    any other machine - end) / S, and how far the end lies past the makespan bound (or before it,
    negative) / S."""
    n_jobs, n_machines = len(jobs), len(machines)
    per_job = np.zeros(n_jobs, np.int64)
    counts = np.zeros(n_machines, np.int64)
    total = np.zeros(n_machines, np.float64)
    for a in range(n_jobs):
        for b in range(n_machines):
            d = durations[jobs[a], machines[b]]
            if d >= 0:
                per_job[a] += 1
                counts[b] += 1
                total[b] += d
    mean_here = total / np.maximum(counts, 1)
    pairs = int(per_job.sum())
    pj = np.empty(pairs, np.int64)
    pm = np.empty(pairs, np.int64)
    pair_x = np.empty((pairs, 7), np.float32)
    p = 0
    big = np.iinfo(np.int64).max
    for a in range(n_jobs):
        j = jobs[a]
        earliest, second, at = big, big, -1  # the job's two earliest ends, and the first's machine
        for k in range(durations.shape[1]):
            if durations[j, k] < 0:
                continue
            end = free[k] + durations[j, k]
            if end < earliest:
                earliest, second, at = end, earliest, k
            elif end < second:
                second = end
        for b in range(n_machines):
            d = durations[j, machines[b]]
            if d < 0:
                continue
            end = t + d
            pj[p], pm[p] = a, b
            pair_x[p, 0] = d / S
            pair_x[p, 1] = (deadline[j] - end) / H
            pair_x[p, 2] = d / max(job_min[j], 1.0)
            pair_x[p, 3] = d / max(mean_here[b], 1.0)
            pair_x[p, 4] = (end - earliest) / S
            other = second if machines[b] == at else earliest  # the best end elsewhere
            pair_x[p, 5] = min(other - end, 10 * S) / S if other != big else 10.0
            pair_x[p, 6] = (end - bound) / S
            p += 1
    return per_job, counts, mean_here, pj, pm, pair_x
