"""The learned region picker's network: the package's graph-attention encoder over the schedule,
then one score per candidate region.

The encoder (:class:`rewriter.learn.hgat.HGATEncoder`) embeds every operation once per decision;
a region is the mean and the maximum of its operations' embeddings beside its own features
(:mod:`.features`), and a small MLP scores it. The candidates of one decision are scored
together, so choosing costs one encoder pass whatever their number.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...core.problem import Graph
from ..hgat import HGATEncoder, batch_hetero
from .features import N_REGION_FEATURES, OP_FEATURES


class RegionScorer(nn.Module):
    """Scores candidate regions of one schedule (higher: expected to pay more per second)."""

    def __init__(self, hidden: int = 32, layers: int = 2, heads: int = 4, mlp: int = 64):
        super().__init__()
        self.config = {"hidden": hidden, "layers": layers, "heads": heads, "mlp": mlp}
        self.encoder = HGATEncoder(len(OP_FEATURES), hidden, layers, heads)
        self.head = nn.Sequential(nn.Linear(2 * hidden + N_REGION_FEATURES, mlp), nn.ReLU(),
                                  nn.Linear(mlp, mlp), nn.ReLU(), nn.Linear(mlp, 1))

    def forward(self, graph: Graph, regions: list[np.ndarray], features: np.ndarray) -> torch.Tensor:
        """(K,) scores of the K ``regions`` (operation ids) with ``features`` (K, F)."""
        ops, _ = self.encoder(batch_hetero([graph]))
        index = torch.from_numpy(np.concatenate(regions).astype(np.int64))
        owner = torch.from_numpy(np.repeat(np.arange(len(regions)), [len(r) for r in regions]))
        h = ops[index]
        count = torch.bincount(owner, minlength=len(regions)).clamp(min=1).unsqueeze(1)
        mean = torch.zeros(len(regions), h.shape[1]).index_add_(0, owner, h) / count
        top = torch.full((len(regions), h.shape[1]), -1e9).scatter_reduce(
            0, owner.unsqueeze(1).expand_as(h), h, reduce="amax")
        x = torch.cat([mean, top, torch.from_numpy(np.asarray(features, np.float32))], dim=1)
        return self.head(x).squeeze(1)
