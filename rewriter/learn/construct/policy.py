"""The constructive policy: a masked actor-critic over the per-job features of
``JobShopDispatch-v0``, one network for every number of jobs and machines.

Each job's feature row (``rewriter.envs.dispatch.FEATURES``) is embedded by a shared MLP;
optionally ``layers`` self-attention blocks then let every job see the others (padding rows, for
batches of instances of different sizes, are masked out of the attention; the shipped model uses
none, see ``docs/construct.md``). The pooled embedding of all jobs is their mean and their max.
The actor scores each job from its embedding and the pooled one, and the no-op from the pooled
one alone; illegal actions get ``-inf`` logits, so their probability is exactly zero. The critic
reads the pooled embedding. Nothing depends on the number of jobs or
machines, so a model trained on small instances runs on any size.

Action indices are padded: for a batch padded to ``J`` job slots, index ``j < J`` is job ``j``
and index ``J`` is the no-op (the environment's no-op is its own ``N``; see
:func:`env_action`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ...envs.dispatch import FEATURES


@dataclass(frozen=True)
class PolicyConfig:
    """The architecture of a constructive policy (saved in its model file)."""

    features: int = len(FEATURES)
    embed_dim: int = 64
    heads: int = 4
    layers: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _mlp(inp: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, out))


class AttentionBlock(nn.Module):
    """Self-attention over the jobs of each instance, then a per-job feed-forward layer (both
    residual, each followed by layer normalisation)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.feed_forward = _mlp(dim, 2 * dim, dim)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, h: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        attended, _ = self.attention(h, h, h, key_padding_mask=padding, need_weights=False)
        h = self.norm1(h + attended)
        return self.norm2(h + self.feed_forward(h))


class ConstructPolicy(nn.Module):
    """Actor-critic over a batch of padded per-job feature matrices (see the module docstring)."""

    def __init__(self, config: PolicyConfig = PolicyConfig()):
        super().__init__()
        self.config = config
        d = config.embed_dim
        self.embed = _mlp(config.features, d, d)
        self.blocks = nn.ModuleList(AttentionBlock(d, config.heads) for _ in range(config.layers))
        self.job_score = _mlp(3 * d, d, 1)
        self.noop_score = _mlp(2 * d, d, 1)
        self.critic = _mlp(2 * d, d, 1)

    def forward(self, jobs: torch.Tensor, job_valid: torch.Tensor,
                action_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``jobs`` (B, J, F) features, ``job_valid`` (B, J) bool (False for padding rows),
        ``action_mask`` (B, J + 1) bool (the no-op last). Returns (log-probabilities (B, J + 1),
        exactly ``-inf`` where the mask is False; values (B,))."""
        h = self.embed(jobs)
        padding = ~job_valid
        for block in self.blocks:
            h = block(h, padding)
        weight = job_valid.unsqueeze(-1).to(h.dtype)
        count = weight.sum(1).clamp(min=1.0)
        mean = (h * weight).sum(1) / count
        top = h.masked_fill(padding.unsqueeze(-1), -torch.inf).amax(1)
        pooled = torch.cat([mean, top], -1)
        job_logits = self.job_score(torch.cat([h, pooled.unsqueeze(1).expand(-1, h.shape[1], -1)],
                                              -1)).squeeze(-1)
        logits = torch.cat([job_logits, self.noop_score(pooled)], 1)
        logits = logits.masked_fill(~action_mask, -torch.inf)
        values = self.critic(pooled).squeeze(-1)
        return torch.log_softmax(logits, -1), values


def masked_entropy(log_probs: torch.Tensor) -> torch.Tensor:
    """(B,) entropy of each row's distribution; masked entries (``-inf``) contribute nothing."""
    probs = log_probs.exp()
    return -(probs * log_probs.masked_fill(probs == 0, 0.0)).sum(-1)


def pad_observations(observations: list[dict], slots: int) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """Stack ``JobShopDispatch-v0`` observations of possibly different job counts into padded
    arrays: features (B, slots, F), job_valid (B, slots), action_mask (B, slots + 1) with the
    no-op moved to the last column."""
    count = len(observations)
    jobs = np.zeros((count, slots, len(FEATURES)), np.float32)
    valid = np.zeros((count, slots), np.bool_)
    mask = np.zeros((count, slots + 1), np.bool_)
    for row, obs in enumerate(observations):
        n = obs["jobs"].shape[0]
        if n > slots:
            raise ValueError(f"an observation of {n} jobs does not fit {slots} slots")
        jobs[row, :n] = obs["jobs"]
        valid[row, :n] = True
        mask[row, :n] = obs["action_mask"][:n]
        mask[row, slots] = obs["action_mask"][n]
    return jobs, valid, mask


def env_action(padded_action: int, slots: int, num_jobs: int) -> int:
    """The environment's action for a padded index: the no-op slot becomes ``num_jobs``."""
    return num_jobs if padded_action == slots else int(padded_action)


def choose(log_probs: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """(B,) actions: the most likely legal one with ``rng`` None, else a sample (Gumbel-max on
    the log-probabilities with noise from ``rng``, so one numpy generator drives every draw)."""
    if rng is None:
        return log_probs.argmax(-1)
    noise = rng.gumbel(size=log_probs.shape)
    return np.where(np.isfinite(log_probs), log_probs + noise, -np.inf).argmax(-1)


class NumpyActor:
    """The actor of a policy without attention blocks, in numpy, for decoding: the same
    arithmetic as :meth:`ConstructPolicy.forward` (in float32; no critic), without torch's
    per-operation overhead, which dominates at one small batch per decision. A test checks that
    it gives the torch policy's log-probabilities."""

    def __init__(self, policy: ConstructPolicy):
        if policy.config.layers:
            raise ValueError("the numpy actor covers policies without attention blocks")

        def weights(mlp):
            return [(layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy())
                    for layer in (mlp[0], mlp[2])]

        self.embed, self.job, self.noop = (weights(policy.embed), weights(policy.job_score),
                                           weights(policy.noop_score))
        self.dim = policy.config.embed_dim

    @staticmethod
    def _mlp(x: np.ndarray, layers) -> np.ndarray:
        (w1, b1), (w2, b2) = layers
        return np.maximum(x @ w1 + b1, 0.0) @ w2 + b2

    def __call__(self, jobs: np.ndarray, job_valid: np.ndarray,
                 action_mask: np.ndarray) -> np.ndarray:
        """(B, J + 1) log-probabilities, ``-inf`` where ``action_mask`` is False."""
        h = self._mlp(jobs, self.embed)                                       # (B, J, d)
        weight = job_valid[..., None].astype(np.float32)
        mean = (h * weight).sum(1) / np.maximum(weight.sum(1), 1.0)
        top = np.where(job_valid[..., None], h, -np.inf).max(1)
        pooled = np.concatenate([mean, top], -1)                              # (B, 2d)
        # the first layer of the job scorer on [h, pooled], split so pooled is multiplied once
        (w1, b1), (w2, b2) = self.job
        d = self.dim
        hidden = h @ w1[:d] + (pooled @ w1[d:] + b1)[:, None, :]
        job_logits = (np.maximum(hidden, 0.0) @ w2 + b2)[..., 0]
        logits = np.concatenate([job_logits, self._mlp(pooled, self.noop)], 1)
        logits = np.where(action_mask, logits, -np.inf)
        top_logit = logits.max(1, keepdims=True)
        shifted = logits - top_logit
        return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
