"""The hierarchical policy: a job head, a machine head conditioned on the chosen job, a critic.

Jobs and machines are embedded by small MLPs, shared by the heads; the context of a decision is
the mean and the max of the unfinished jobs' embeddings and the mean of the machines'. The job
head scores every job from its embedding and the context; the machine head scores every machine
from its machine-phase features (duration on it relative to the fastest, start and end relative
to the best) together with the chosen job's embedding and the context; the critic values the
context. Both heads are masked categoricals (``-inf`` outside the mask), and a decision's
log-probability is the sum of its two choices' (one operation placed is one PPO decision).

A head's first layer is split into the part of each row and the part of the context, so that the
context is multiplied once per decision rather than once per job: at 500 jobs a decision costs
two small matrix products. No width depends on the instance's size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ...envs.flexible_mdp import JOB_FEATURES, MACHINE_COMMON, MACHINE_FEATURES


@dataclass(frozen=True)
class PolicyConfig:
    hidden: int = 32

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _mlp(inputs: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class _Head(nn.Module):
    """One score per row from the row's embedding and a per-decision condition vector."""

    def __init__(self, hidden: int, condition: int):
        super().__init__()
        self.own = nn.Linear(hidden, hidden)
        self.condition = nn.Linear(condition, hidden, bias=False)
        self.out = nn.Linear(hidden, 1)

    def forward(self, rows: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """rows (..., R, H), condition (..., C) -> scores (..., R)."""
        z = torch.relu(self.own(rows) + self.condition(condition).unsqueeze(-2))
        return self.out(z).squeeze(-1)


def masked_log_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return scores.masked_fill(~mask, float("-inf")).log_softmax(-1)


class HierarchicalPolicy(nn.Module):
    def __init__(self, config: PolicyConfig = PolicyConfig()):
        super().__init__()
        self.config = config
        h = config.hidden
        self.job_encoder = _mlp(len(JOB_FEATURES), h)
        self.machine_encoder = _mlp(MACHINE_COMMON, h)
        self.option_encoder = _mlp(len(MACHINE_FEATURES), h)
        self.job_head = _Head(h, 3 * h)
        self.machine_head = _Head(h, 4 * h)
        self.critic = nn.Sequential(nn.Linear(3 * h, h), nn.ReLU(), nn.Linear(h, 1))

    def encode(self, jobs, alive, machines) -> tuple[torch.Tensor, torch.Tensor]:
        """(job embeddings (B, n, H), context (B, 3H)) of the job phase."""
        embedded = self.job_encoder(jobs)
        weight = alive.unsqueeze(-1).to(embedded.dtype)
        count = weight.sum(-2).clamp(min=1.0)
        mean = (embedded * weight).sum(-2) / count
        peak = embedded.masked_fill(~alive.unsqueeze(-1), 0.0).amax(-2)  # embeddings are >= 0
        machine = self.machine_encoder(machines).mean(-2)
        return embedded, torch.cat([mean, peak, machine], -1)

    def job_log_probs(self, embedded, context, pickable) -> torch.Tensor:
        return masked_log_softmax(self.job_head(embedded, context), pickable)

    def machine_log_probs(self, machines, eligible, chosen, context) -> torch.Tensor:
        """chosen: (B, H) the chosen job's embedding."""
        scores = self.machine_head(self.option_encoder(machines), torch.cat([chosen, context], -1))
        return masked_log_softmax(scores, eligible)

    def value(self, context) -> torch.Tensor:
        return self.critic(context).squeeze(-1)

    def evaluate(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(job log-probabilities (B, n), machine log-probabilities (B, m), values (B,)) of
        recorded decisions, the machine head conditioned on the job each took."""
        embedded, context = self.encode(batch["jobs"], batch["alive"], batch["job_machines"])
        job_lp = self.job_log_probs(embedded, context, batch["pickable"])
        rows = torch.arange(len(embedded))
        chosen = embedded[rows, batch["job_actions"]]
        machine_lp = self.machine_log_probs(batch["machines"], batch["eligible"], chosen, context)
        return job_lp, machine_lp, self.value(context)
