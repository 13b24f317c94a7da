"""What the Q-network sees at one decision point: features of the candidate jobs, the idle
machines, every allowed (job, machine) pair, and the state as a whole.

All of it is computed from the specification's state ``(tau, J, M, C)`` (the compatibility matrix
C is part of that state, though not of its 4n + 2m vector). Times are divided by two scales fixed
per instance: ``S``, the mean compatible duration, for durations, and ``H = S x max(1, n / m)``,
about the time a job waits behind its share of the others, for deadlines and slack. Neither
depends on the instance's size beyond the ratio n / m, so one network reads every size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mdp import RUNNING, CompatMDP

JOB_FEATURES = ("slack", "shortest", "mean_duration", "compatible_share", "idle_compatible_share")
MACHINE_FEATURES = ("available_share", "mean_available_duration", "speed")
PAIR_FEATURES = ("duration", "end_slack", "over_shortest", "over_machine_mean", "over_earliest_end")
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
    baseline: float  # sum over jobs not started of (deadline - tau), divided like the rewards

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
        self.reward = self.H * n  # rewards are divided by this for learning (learn.py)


def decision(mdp: CompatMDP, scales: FeatureScales) -> Decision:
    """The features of ``mdp``'s current decision point (the episode must not be over)."""
    S, H = scales.S, scales.H
    t = mdp.time
    available = mdp.available_jobs()
    idle = mdp.idle_machines()
    jobs, machines = np.flatnonzero(available), np.flatnonzero(idle)
    dur = mdp.durations[np.ix_(jobs, machines)]                       # (J, K), -1 incompatible
    ok = dur >= 0
    pj, pm = np.nonzero(ok)
    p = dur[pj, pm].astype(np.float64)
    # job features
    slack = (mdp.deadline[jobs] - t) / H
    idle_count = max(len(machines), 1)
    job_x = np.stack([slack, scales.job_min[jobs] / S, scales.job_mean[jobs] / S,
                      scales.compatible_share[jobs], ok.sum(1) / idle_count], 1)
    # machine features
    n_avail = max(len(jobs), 1)
    counts = ok.sum(0)
    mean_here = np.where(ok, dur, 0).sum(0) / np.maximum(counts, 1)
    machine_x = np.stack([counts / n_avail, mean_here / S, scales.speed[machines]], 1)
    # pair features; the earliest end of each candidate job over all its compatible machines,
    # idle or busy (a busy machine is free at its end)
    free = np.maximum(np.where(mdp.machine_job >= 0, mdp.machine_end, t), t)
    ends = np.where(mdp.compatible[jobs], free[None, :] + mdp.durations[jobs], np.iinfo(np.int64).max)
    earliest = ends.min(1).astype(np.float64)
    end = t + p
    pair_x = np.stack([p / S, (mdp.deadline[jobs][pj] - end) / H, p / np.maximum(scales.job_min[jobs][pj], 1.0),
                       p / np.maximum(mean_here[pm], 1.0), (end - earliest[pj]) / S], 1)
    # the state as a whole
    n, m = mdp.n_jobs, mdp.n_machines
    unstarted = mdp.status == 0
    remaining = float(scales.job_mean[unstarted].sum()) / m
    global_x = np.array([t / (scales.load + H), unstarted.mean(), available.mean(), idle.mean(),
                         (mdp.status == RUNNING).mean(), remaining / scales.load,
                         float(mdp.can_wait())])
    baseline = float((mdp.deadline[unstarted] - t).sum()) / scales.reward
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return Decision(jobs, machines, f32(job_x), f32(machine_x), pj.astype(np.int64),
                    pm.astype(np.int64), f32(pair_x), f32(global_x), bool(global_x[-1]), baseline)
