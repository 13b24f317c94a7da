"""The Q-network: one score per allowed (job, machine) pair and one for the wait, on any n x m.

A flat network (as first specified for this shop) reads the flat 4n + 2m vector and writes n x m + 1 values, which fixes
n and m. This one is built from shared parts instead: an MLP embeds each candidate job and each
idle machine from its own features; a pair's hidden layer (``pair_hidden`` units, ReLU) adds the
two embeddings, a projection of the pair's features and one of the global features, and a linear
layer scores it: a one-hidden-layer MLP over the concatenation [job embedding, machine
embedding, pair features, global features], split so that only the sum and the last layer cost
something per pair (a 500 x 100 instance offers 25,000 pairs at time 0). The wait is scored from
the global features and the mean job and machine embeddings. Q is then

    Q(s, a) = b(s) + V(s) + A(s, a)

with A the scores above, V(s) an MLP of the global features, and b(s) no parameter at all: a
first estimate of the return still to come, computed rather than learnt, divided like the rewards
(:meth:`rewriter.envs.compat_mdp.LearnerReward.baseline`): for the makespan reward minus how far a
lower bound on the makespan lies past the latest completion so far, for the specification's reward
the sum over the jobs not started of (deadline - tau), which no action changes. V + A then only
has to learn the rest. Neither b nor V changes which action is best. Batches of decisions of different sizes are flat: pairs carry
the index of their decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numba import njit
from torch import nn

from .features import GLOBAL_FEATURES, JOB_FEATURES, MACHINE_FEATURES, PAIR_FEATURES, Decision


@dataclass(frozen=True)
class NetConfig:
    """The architecture (saved with the model, so a loaded model rebuilds it)."""

    job_features: int = len(JOB_FEATURES)
    machine_features: int = len(MACHINE_FEATURES)
    pair_features: int = len(PAIR_FEATURES)
    global_features: int = len(GLOBAL_FEATURES)
    hidden: int = 64         # the job and machine MLPs' hidden layer
    pair_hidden: int = 32    # the embeddings, and the pair layer


def _mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


@dataclass
class Batch:
    """Decisions stacked flat (torch tensors): pairs point into the stacked jobs and machines."""

    job_x: torch.Tensor          # (J, Fj)
    machine_x: torch.Tensor      # (K, Fm)
    job_owner: torch.Tensor      # (J,) decision of each job row
    machine_owner: torch.Tensor  # (K,)
    pair_job: torch.Tensor       # (P,) row of job_x
    pair_machine: torch.Tensor   # (P,) row of machine_x
    pair_x: torch.Tensor         # (P, Fp)
    pair_owner: torch.Tensor     # (P,)
    global_x: torch.Tensor       # (B, Fg)
    can_wait: torch.Tensor       # (B,) bool
    baseline: torch.Tensor       # (B,)
    pair_offsets: np.ndarray     # (B + 1,) first pair of each decision

    @classmethod
    def of(cls, decisions: list[Decision]) -> "Batch":
        """Stack ``decisions`` (any sizes) into one batch."""
        jobs = np.array([len(d.jobs) for d in decisions])
        machines = np.array([len(d.machines) for d in decisions])
        pairs = np.array([d.n_pairs for d in decisions])
        job_base = np.concatenate([[0], np.cumsum(jobs)[:-1]])
        machine_base = np.concatenate([[0], np.cumsum(machines)[:-1]])
        owner = lambda counts: torch.from_numpy(np.repeat(np.arange(len(counts)), counts))  # noqa: E731
        cat = lambda arrays: torch.from_numpy(np.concatenate(arrays))  # noqa: E731
        return cls(
            job_x=cat([d.job_x for d in decisions]), machine_x=cat([d.machine_x for d in decisions]),
            job_owner=owner(jobs), machine_owner=owner(machines),
            pair_job=cat([d.pair_job + b for d, b in zip(decisions, job_base)]),
            pair_machine=cat([d.pair_machine + b for d, b in zip(decisions, machine_base)]),
            pair_x=cat([d.pair_x for d in decisions]), pair_owner=owner(pairs),
            global_x=torch.from_numpy(np.stack([d.global_x for d in decisions])),
            can_wait=torch.tensor([d.can_wait for d in decisions]),
            baseline=torch.tensor([d.baseline for d in decisions], dtype=torch.float32),
            pair_offsets=np.concatenate([[0], np.cumsum(pairs)]))


def _mean_by(values: torch.Tensor, owner: torch.Tensor, groups: int) -> torch.Tensor:
    """(groups, D) mean of the rows of ``values`` per owner (zeros for an owner with none)."""
    total = values.new_zeros(groups, values.shape[1]).index_add_(0, owner, values)
    count = values.new_zeros(groups).index_add_(0, owner, values.new_ones(len(owner)))
    return total / count.clamp(min=1).unsqueeze(1)


class QNetwork(nn.Module):
    """Q-values of every allowed action of a batch of decisions (see the module docstring)."""

    def __init__(self, config: NetConfig = NetConfig()):
        super().__init__()
        self.config = c = config
        self.job = _mlp(c.job_features, c.hidden, c.pair_hidden)
        self.machine = _mlp(c.machine_features, c.hidden, c.pair_hidden)
        self.pair = nn.Linear(c.pair_features, c.pair_hidden)
        self.context = nn.Linear(c.global_features, c.pair_hidden, bias=False)
        self.pair_out = nn.Linear(c.pair_hidden, 1)
        self.wait_head = _mlp(c.global_features + 2 * c.pair_hidden, c.hidden, 1)
        self.value = _mlp(c.global_features, c.hidden, 1)

    def advantages(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(A of every pair (P,), A of every decision's wait (B,)); the wait of a decision that
        cannot wait is -inf."""
        groups = batch.global_x.shape[0]
        jobs = self.job(batch.job_x)
        machines = self.machine(batch.machine_x)
        in_context = jobs + self.context(batch.global_x).index_select(0, batch.job_owner)
        hidden = (in_context.index_select(0, batch.pair_job)
                  + machines.index_select(0, batch.pair_machine) + self.pair(batch.pair_x))
        pair_a = self.pair_out(torch.relu(hidden)).squeeze(1)
        pooled = torch.cat([batch.global_x, _mean_by(jobs, batch.job_owner, groups),
                            _mean_by(machines, batch.machine_owner, groups)], 1)
        wait_a = self.wait_head(pooled).squeeze(1)
        wait_a = torch.where(batch.can_wait, wait_a, torch.full_like(wait_a, -torch.inf))
        return pair_a, wait_a

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(Q of every pair (P,), Q of every wait (B,), -inf where waiting is not allowed)."""
        pair_a, wait_a = self.advantages(batch)
        value = self.value(batch.global_x).squeeze(1) + batch.baseline
        return pair_a + value[batch.pair_owner], wait_a + value

    def greedy(self, d: Decision) -> int:
        """The action of largest Q at one decision: a pair index, or ``d.n_pairs`` for the wait.
        Only allowed actions are candidates, so a masked action is never chosen. The per-pair
        layer runs in numba (:func:`pair_scores`, the same arithmetic as :meth:`advantages`,
        without a tensor per pair): it is most of the time of a large instance."""
        with torch.no_grad():
            x = lambda a: torch.from_numpy(a)  # noqa: E731
            context = self.context(x(d.global_x)[None])[0]
            jobs = (self.job(x(d.job_x)) + context).numpy()
            machines = self.machine(x(d.machine_x)).numpy()
            pair_a = pair_scores(jobs, machines, d.pair_job, d.pair_machine, d.pair_x,
                                 self.pair.weight.numpy().T.copy(), self.pair.bias.numpy(),
                                 self.pair_out.weight.numpy()[0], float(self.pair_out.bias))
            wait_a = -np.inf
            if d.can_wait:
                pooled = torch.cat([x(d.global_x), torch.from_numpy(jobs).sub(context).mean(0)
                                    if len(jobs) else context.new_zeros(len(context)),
                                    torch.from_numpy(machines).mean(0) if len(machines)
                                    else context.new_zeros(len(context))])
                wait_a = float(self.wait_head(pooled[None])[0, 0])
        best = int(np.argmax(pair_a)) if d.n_pairs else -1
        if d.can_wait and (best < 0 or wait_a > pair_a[best]):
            return d.n_pairs
        return best


@njit(cache=True, fastmath=True)
def pair_scores(jobs, machines, pair_job, pair_machine, pair_x, weight_t, bias, out_weight, out_bias):
    """(P,) float32: out_weight . ReLU(jobs[j] + machines[k] + weight_t' x + bias) + out_bias for
    every pair (j, k, x), ``jobs`` already holding the context term."""
    hidden = jobs.shape[1]
    scores = np.empty(len(pair_job), np.float32)
    h = np.empty(hidden, np.float32)
    for p in range(len(pair_job)):
        j, k = pair_job[p], pair_machine[p]
        for u in range(hidden):
            h[u] = jobs[j, u] + machines[k, u] + bias[u]
        for f in range(pair_x.shape[1]):
            z = pair_x[p, f]
            for u in range(hidden):
                h[u] += weight_t[f, u] * z
        total = out_bias
        for u in range(hidden):
            if h[u] > 0:
                total += out_weight[u] * h[u]
        scores[p] = total
    return scores


def best_per_decision(pair_q: torch.Tensor, wait_q: torch.Tensor, offsets: np.ndarray) -> torch.Tensor:
    """(B,) the largest Q over each decision's allowed actions (its pairs and, if allowed, its
    wait)."""
    groups = wait_q.shape[0]
    owner = torch.from_numpy(np.repeat(np.arange(groups), np.diff(offsets)))
    best = wait_q.clone()
    return best.scatter_reduce(0, owner, pair_q, reduce="amax", include_self=True)


def value_of_best(chooser: tuple[torch.Tensor, torch.Tensor], valuer: tuple[torch.Tensor, torch.Tensor],
                  offsets: np.ndarray) -> torch.Tensor:
    """(B,) the ``valuer``'s Q of the action the ``chooser``'s Q ranks first in each decision
    (both (pair Q, wait Q) of the same batch): double DQN's target."""
    (choose_pair, choose_wait), (value_pair, value_wait) = chooser, valuer
    out = torch.empty(len(choose_wait))
    for b in range(len(choose_wait)):
        lo, hi = int(offsets[b]), int(offsets[b + 1])
        best = int(torch.argmax(choose_pair[lo:hi])) if hi > lo else -1
        waits = best < 0 or bool(choose_wait[b] > choose_pair[lo + best])
        out[b] = value_wait[b] if waits else value_pair[lo + best]
    return out
