"""The policy-gradient losses every trainer uses, written once.

Each takes the log-probabilities of the actions taken (one per decision) and what the algorithm
weighs them with, and returns the scalar to minimise; the trainers add their value and entropy
terms. The arithmetic is the trainers' own, term for term, so a run gives the same weights to
the bit as before these were shared (tests/test_algorithms.py).
"""

from __future__ import annotations

import torch


def ppo_loss(new_logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
             clip: float) -> torch.Tensor:
    """PPO's clipped surrogate (Schulman et al. 2017), negated to be minimised:
    ``-mean(min(ratio x A, clip(ratio, 1 - clip, 1 + clip) x A))``, ``ratio`` the probability
    of each action now over its probability when it was taken."""
    ratio = (new_logp - old_logp).exp()
    return -torch.min(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages).mean()


def approx_kl(new_logp: torch.Tensor, old_logp: torch.Tensor) -> torch.Tensor:
    """An estimate of KL(old || new) from the sampled actions, ``mean((ratio - 1) - log ratio)``
    (non-negative, no gradient): how far an update moved the policy."""
    with torch.no_grad():
        log_ratio = new_logp - old_logp
        return ((log_ratio.exp() - 1) - log_ratio).mean()


def reinforce_loss(logp: torch.Tensor, returns: torch.Tensor,
                   baseline: torch.Tensor | None = None) -> torch.Tensor:
    """REINFORCE (Williams 1992), negated: ``-mean((G - b) x log pi(a | s))``; the baseline
    ``b`` gets no gradient from it. Without a baseline ``returns`` are the advantages."""
    weights = returns if baseline is None else returns - baseline.detach()
    return -(weights * logp).mean()


def value_loss(values: torch.Tensor, returns: torch.Tensor) -> torch.Tensor:
    """The critic's regression on the returns, ``mean((V - G)^2)``."""
    return ((values - returns) ** 2).mean()
