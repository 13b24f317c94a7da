"""The graph constructive policy: message passing over the partial disjunctive graph of
``JobShopGraph-v0`` (in the spirit of L2D, Zhang et al. 2020), one network for every size.

Each operation's features (``rewriter.envs.graph.FEATURES``) are embedded by a linear layer;
``layers`` rounds of message passing then update every operation from itself, the sum of its
predecessors' embeddings and the sum of its successors' (job arcs and the machine arcs between
placed operations; two sums, so the network tells what comes before from what comes after), each
round an MLP with a residual connection. The graph's embedding is the mean over its operations.
The actor scores each job's next operation from its embedding and the graph's; jobs with nothing
left get ``-inf``. The critic reads the graph's embedding. Nothing depends on the number of
jobs or machines.

A batch of graphs is one flat graph (:class:`GraphBatch`): operations of all graphs stacked,
arcs shifted to their graph's offset, and per graph the node index of each job's candidate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ....envs.graph import FEATURES
from ..policy import _mlp


@dataclass(frozen=True)
class GraphPolicyConfig:
    """The architecture of a graph constructive policy (saved in its model file)."""

    features: int = len(FEATURES)
    embed_dim: int = 64
    layers: int = 3

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GraphBatch:
    """Graphs stacked into one: ``features`` (V, F), ``arcs`` (2, E) node indices, ``graph``
    (V,) the graph of each node, ``candidates`` (B, J) node index of each job's next operation
    (0 where padded), ``mask`` (B, J) the legal jobs."""

    features: torch.Tensor
    arcs: torch.Tensor
    graph: torch.Tensor
    candidates: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def collate(cls, states: list[tuple]) -> "GraphBatch":
        """One batch from ``(features, arcs, candidates, mask)`` per graph (numpy arrays)."""
        sizes = [len(s[0]) for s in states]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        slots = max(len(s[2]) for s in states)
        candidates = np.zeros((len(states), slots), np.int64)
        mask = np.zeros((len(states), slots), np.bool_)
        for row, ((_, _, cand, legal), offset) in enumerate(zip(states, offsets)):
            candidates[row, :len(cand)] = cand + offset
            mask[row, :len(cand)] = legal
        arcs = np.concatenate([s[1] + o for s, o in zip(states, offsets)], 1)
        graph = np.repeat(np.arange(len(states)), sizes)
        return cls(torch.from_numpy(np.concatenate([s[0] for s in states])),
                   torch.from_numpy(arcs.astype(np.int64)), torch.from_numpy(graph),
                   torch.from_numpy(candidates), torch.from_numpy(mask))


class GraphConstructPolicy(nn.Module):
    """Actor-critic over a :class:`GraphBatch` (see the module docstring)."""

    def __init__(self, config: GraphPolicyConfig = GraphPolicyConfig()):
        super().__init__()
        self.config = config
        d = config.embed_dim
        self.embed = nn.Linear(config.features, d)
        self.rounds = nn.ModuleList(_mlp(3 * d, d, d) for _ in range(config.layers))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(config.layers))
        self.score = _mlp(2 * d, d, 1)
        self.critic = _mlp(d, d, 1)

    def forward(self, batch: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(log-probabilities (B, J), exactly ``-inf`` for illegal jobs; values (B,))."""
        h = torch.relu(self.embed(batch.features))
        src, dst = batch.arcs
        for mlp, norm in zip(self.rounds, self.norms):
            from_pred = torch.zeros_like(h).index_add_(0, dst, h[src])
            from_succ = torch.zeros_like(h).index_add_(0, src, h[dst])
            h = norm(h + mlp(torch.cat([h, from_pred, from_succ], -1)))
        count = batch.mask.shape[0]
        sizes = torch.bincount(batch.graph, minlength=count).clamp(min=1).unsqueeze(1)
        pooled = torch.zeros(count, h.shape[1], dtype=h.dtype).index_add_(0, batch.graph, h) / sizes
        cand = h[batch.candidates]                                         # (B, J, d)
        logits = self.score(torch.cat([cand, pooled.unsqueeze(1).expand_as(cand)], -1)).squeeze(-1)
        logits = logits.masked_fill(~batch.mask, -torch.inf)
        return torch.log_softmax(logits, -1), self.critic(pooled).squeeze(-1)
