"""Scheduling with a trained hierarchical policy: one greedy episode builds the schedule.

Decoding needs neither gradients, values nor the scores of jobs that cannot be picked, so
:class:`GreedyActor` runs the policy's arithmetic in numpy (float32): per operation one pass over
the jobs' and machines' embeddings (they feed the context), the job head over the pickable jobs
only, the machine head over the chosen operation's eligible machines only. Torch's per-call
overhead, which dominates at one small decision at a time, is gone; a test checks it takes the
torch policy's greedy choices.
"""

from __future__ import annotations

import numpy as np

from ...envs.flexible_mdp import FlexibleMDP
from .policy import HierarchicalPolicy


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0, out=x)


class GreedyActor:
    """The most likely job, then the most likely machine, of a :class:`HierarchicalPolicy`."""

    def __init__(self, policy: HierarchicalPolicy):
        w = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in policy.state_dict().items()}
        self.w = w

    def _mlp(self, name: str, x: np.ndarray) -> np.ndarray:
        w = self.w
        h = _relu(x @ w[f"{name}.0.weight"].T + w[f"{name}.0.bias"])
        return _relu(h @ w[f"{name}.2.weight"].T + w[f"{name}.2.bias"])

    def _head(self, name: str, rows: np.ndarray, condition: np.ndarray) -> np.ndarray:
        w = self.w
        z = _relu(rows @ w[f"{name}.own.weight"].T + w[f"{name}.own.bias"]
                  + condition @ w[f"{name}.condition.weight"].T)
        return z @ w[f"{name}.out.weight"][0] + w[f"{name}.out.bias"][0]

    def place_next(self, mdp: FlexibleMDP) -> None:
        """Choose a job and a machine in ``mdp`` (in its job phase) and place the operation."""
        jobs = mdp.job_features()
        common = mdp.machine_common()
        embedded = self._mlp("job_encoder", jobs)
        alive = mdp.unfinished
        context = np.concatenate([embedded[alive].mean(0), embedded[alive].max(0),
                                  self._mlp("machine_encoder", common).mean(0)])
        pickable = np.flatnonzero(mdp.pickable)
        job = int(pickable[np.argmax(self._head("job_head", embedded[pickable], context))])
        mdp.choose_job(job)
        eligible = np.flatnonzero(mdp.machine_mask())
        options = self._mlp("option_encoder", mdp.machine_features(common)[eligible])
        condition = np.concatenate([embedded[job], context])
        mdp.choose_machine(int(eligible[np.argmax(self._head("machine_head", options, condition))]))


def hierarchical_schedule(instance, policy: HierarchicalPolicy, jobs: str = "active"):
    """The policy's greedy schedule of ``instance`` (a
    :class:`~rewriter.fjsp.schedule.FlexibleSchedule`)."""
    mdp = FlexibleMDP(instance, jobs)
    actor = GreedyActor(policy)
    while not mdp.over:
        actor.place_next(mdp)
    return mdp.schedule()
