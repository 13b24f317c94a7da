"""The PPO update of a constructive policy: GAE targets, then clipped-objective epochs.

Read top to bottom: :func:`gae` turns one episode's rewards and value estimates into advantages
and returns; :func:`rollout_batch` flattens an iteration's episodes into tensors;
:func:`ppo_update` runs ``ppo_epochs`` passes over them in shuffled minibatches, each minimising
(the losses of :mod:`rewriter.learn.algorithms`)

    -min(ratio x A, clip(ratio, 1 - clip, 1 + clip) x A) + value_coef x (V - R)^2
    - entropy_coef x entropy

with the masked categorical of :class:`~rewriter.learn.construct.policy.ConstructPolicy` (advantages
normalised per minibatch).
"""

from __future__ import annotations

import numpy as np
import torch

from ..algorithms import approx_kl, ppo_loss, value_loss
from .config import ConstructConfig
from .policy import ConstructPolicy, masked_entropy


def gae(rewards: np.ndarray, values: np.ndarray, gamma: float,
        lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(advantages, returns) of one finished episode by generalised advantage estimation; the
    value after the last decision is 0 (the episode ended)."""
    advantages = np.zeros(len(rewards), np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        next_value = values[t + 1] if t + 1 < len(rewards) else 0.0
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
    return advantages, advantages + values


def targets(episodes, cfg: ConstructConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(advantages, returns) of every decision of the episodes, in order (any episodes with
    ``rewards``, ``values`` and ``num_machines``: the per-job and the graph policy's)."""
    advantages, returns = [], []
    for episode in episodes:
        rewards = np.asarray(episode.rewards, np.float64)
        if cfg.reward_per_machine:
            rewards = rewards / episode.num_machines
        adv, ret = gae(rewards, np.asarray(episode.values, np.float64), cfg.gamma,
                       cfg.gae_lambda)
        advantages.append(adv)
        returns.append(ret)
    return (torch.from_numpy(np.concatenate(advantages).astype(np.float32)),
            torch.from_numpy(np.concatenate(returns).astype(np.float32)))


def rollout_batch(episodes: list, cfg: ConstructConfig) -> dict[str, torch.Tensor]:
    """Every decision of the episodes as tensors, with its advantage and return."""
    advantages, returns = targets(episodes, cfg)

    def stacked(name, dtype=None):
        return torch.from_numpy(np.concatenate([np.asarray(getattr(e, name), dtype)
                                                for e in episodes]))

    return {"jobs": stacked("jobs", np.float32), "valid": stacked("valid", np.bool_),
            "mask": stacked("mask", np.bool_), "actions": stacked("actions", np.int64),
            "log_probs": stacked("log_probs", np.float32), "advantages": advantages,
            "returns": returns}


def _evaluate_jobs(policy: ConstructPolicy, batch: dict, idx: torch.Tensor):
    return policy(batch["jobs"][idx], batch["valid"][idx], batch["mask"][idx])


def ppo_update(policy, optimizer: torch.optim.Optimizer, batch: dict, cfg: ConstructConfig,
               rng: np.random.Generator, evaluate=_evaluate_jobs) -> dict[str, float]:
    """``cfg.ppo_epochs`` passes of clipped PPO over ``batch``; returns the mean losses, the
    mean entropy and the mean approximate KL divergence from the rollout policy.
    ``evaluate(policy, batch, idx)`` gives the (log-probabilities, values) of the decisions
    ``idx`` (the per-job policy's by default; the graph policy brings its own)."""

    def terms(idx):
        log_probs, values = evaluate(policy, batch, idx)
        new = log_probs.gather(1, batch["actions"][idx].unsqueeze(1)).squeeze(1)
        return new, values, lambda: masked_entropy(log_probs).mean()

    return ppo_epochs(policy, optimizer, batch, len(batch["actions"]), terms, cfg, rng)


def ppo_epochs(policy, optimizer: torch.optim.Optimizer, batch: dict, size: int, terms,
               cfg, rng: np.random.Generator) -> dict[str, float]:
    """The loop of every PPO update: ``cfg.ppo_epochs`` passes over the ``size`` decisions of
    ``batch`` in shuffled minibatches of ``cfg.minibatch``, each one gradient step on the clipped
    objective. ``terms(idx)`` gives the decisions' (new log-probabilities of the actions taken,
    values, a function of no argument returning their mean entropy, taken after the other terms
    as the trainers always did) under the current policy; ``batch`` holds their ``log_probs``,
    ``advantages`` and ``returns``. ``cfg``: any config with the PPO fields (clip, value_coef,
    entropy_coef, max_grad_norm, ppo_epochs, minibatch)."""
    policy.train()
    sums = dict.fromkeys(("loss", "policy_loss", "value_loss", "entropy", "approx_kl"), 0.0)
    steps = 0
    for _ in range(cfg.ppo_epochs):
        order = torch.from_numpy(rng.permutation(size))
        for start in range(0, size, cfg.minibatch):
            idx = order[start:start + cfg.minibatch]
            new, values, entropy_of = terms(idx)
            old = batch["log_probs"][idx]
            adv = batch["advantages"][idx]
            if len(idx) > 1:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = ppo_loss(new, old, adv, cfg.clip)
            critic_loss = value_loss(values, batch["returns"][idx])
            entropy = entropy_of()
            loss = policy_loss + cfg.value_coef * critic_loss - cfg.entropy_coef * entropy
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            optimizer.step()
            kl = approx_kl(new, old)
            for key, value in (("loss", loss), ("policy_loss", policy_loss),
                               ("value_loss", critic_loss), ("entropy", entropy),
                               ("approx_kl", kl)):
                sums[key] += float(value.detach())
            steps += 1
    return {key: value / steps for key, value in sums.items()}
