"""REINFORCE with DeepRM's time-dependent baseline, read top to bottom.

The rollouts of one job sequence are compared at equal *times*: a decision taken at time ``t``
is credited with the slowdown its episode still accrued after ``t`` (the return from ``t`` on,
negated), and the baseline is the mean of that cost over every rollout of the sequence at the
same ``t`` (Mao et al. 2016, section 3.2). The cost-to-go is exact at any ``t``, for every
rollout, from its finished schedule: a job in the system accrues ``1 / T`` per unit of time from
its arrival to its end (:func:`accrued_by`). Advantages are divided by the number of jobs, so
they are in units of the average slowdown. One gradient step per iteration minimises

    -mean(log pi(a | s) x advantage) - entropy_coef x mean(entropy)

over every decision of the iteration.
"""

from __future__ import annotations

import numpy as np
import torch

from ....mrt.instance import MrtInstance
from ...algorithms import reinforce_loss
from ..policy import ConstructPolicy, masked_entropy
from .config import MrtConstructConfig
from .rollout import Episode


def accrued_by(instance: MrtInstance, starts: np.ndarray, times: np.ndarray) -> np.ndarray:
    """The slowdown the schedule ``starts`` has accrued by each of ``times``:
    sum over jobs of ``clip(min(t, end) - arrival, 0) / length``."""
    ends = starts + instance.length
    spent = np.minimum(np.asarray(times)[:, None], ends[None, :]) - instance.arrival[None, :]
    return (spent.clip(min=0) / instance.length).sum(1)


def advantages(group: list[Episode]) -> list[np.ndarray]:
    """Per episode of one sequence's rollouts, the advantage of each decision (module docstring)."""
    inst = group[0].instance
    times = np.concatenate([np.asarray(e.times, np.int64) for e in group])
    totals = np.array([e.average_slowdown * inst.n_jobs for e in group])
    cost_to_go = totals[:, None] - np.stack([accrued_by(inst, e.schedule, times) for e in group])
    baseline = cost_to_go.mean(0)
    out, first = [], 0
    for r, e in enumerate(group):
        own = slice(first, first + len(e.times))
        out.append((baseline[own] - cost_to_go[r, own]) / inst.n_jobs)
        first += len(e.times)
    return out


def batch_of(groups: list[list[Episode]]) -> dict[str, torch.Tensor]:
    """Every decision of the iteration's episodes as tensors, with its advantage."""
    episodes = [e for g in groups for e in g]
    adv = np.concatenate([a for g in groups for a in advantages(g)])

    def stacked(name, dtype):
        return torch.from_numpy(np.concatenate([np.asarray(getattr(e, name), dtype)
                                                for e in episodes]))

    return {"inputs": stacked("inputs", np.float32), "valid": stacked("valid", np.bool_),
            "mask": stacked("mask", np.bool_), "actions": stacked("actions", np.int64),
            "advantages": torch.from_numpy(adv.astype(np.float32))}


def reinforce_update(policy: ConstructPolicy, optimizer: torch.optim.Optimizer,
                     batch: dict[str, torch.Tensor], cfg: MrtConstructConfig) -> dict[str, float]:
    """One gradient step on the iteration's decisions; returns the loss and the mean entropy.
    (The network's critic head is left untouched: the baseline replaces it.)"""
    policy.train()
    log_probs, _ = policy(batch["inputs"], batch["valid"], batch["mask"])
    chosen = log_probs.gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
    policy_loss = reinforce_loss(chosen, batch["advantages"])
    entropy = masked_entropy(log_probs).mean()
    loss = policy_loss - cfg.entropy_coef * entropy
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
    optimizer.step()
    return {"loss": float(loss.detach()), "policy_loss": float(policy_loss.detach()),
            "entropy": float(entropy.detach())}
