"""Child-Sum Tree-LSTM over a solution DAG, one batched call per topological level.

A node's state comes from its own features and the sum of its parents' hidden states, with one
forget gate per parent (Tai et al. 2015, applied to DAGs as in NeuRewriter). The optional reverse
pass runs the same recurrence from the sinks back, so a node also sees what follows it; the two
states are concatenated.
"""

from __future__ import annotations

import torch
from torch import nn

from .batch import GraphBatch, LevelPlan
from .fast_tree_lstm import fast_pass


class ChildSumTreeLSTM(nn.Module):
    """One pass over a :class:`LevelPlan`; input (N, D) -> hidden (N, H) in original node order."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.input_gates = nn.Linear(input_size, 4 * hidden_size)  # i, o, u, f from the node itself
        self.parent_iou = nn.Linear(hidden_size, 3 * hidden_size, bias=False)
        self.parent_forget = nn.Linear(hidden_size, hidden_size, bias=False)

    def forward(self, x: torch.Tensor, plan: LevelPlan) -> torch.Tensor:
        n, hid = x.shape[0], self.hidden_size
        gates = self.input_gates(x)[plan.perm]
        x_iou, x_f = gates[:, :3 * hid], gates[:, 3 * hid:]
        # row n stays zero: padded parents read it. Writing each level in place is safe for
        # autograd because the gathers below save indices, never the buffers themselves.
        h = x.new_zeros(n + 1, hid)
        c = x.new_zeros(n + 1, hid)
        bounds = plan.bounds
        for k in range(len(bounds) - 1):
            lo, hi = bounds[k], bounds[k + 1]
            par = plan.parents[lo:hi]
            hp = h[par]  # (L, P, H)
            iou = x_iou[lo:hi] + self.parent_iou(hp.sum(1))
            i, o, u = iou.chunk(3, dim=1)
            f = torch.sigmoid(x_f[lo:hi].unsqueeze(1) + self.parent_forget(hp))
            c_new = torch.sigmoid(i) * torch.tanh(u) + (f * c[par]).sum(1)
            h[lo:hi] = torch.sigmoid(o) * torch.tanh(c_new)
            c[lo:hi] = c_new
        return h[:n][plan.inverse]


class TreeLSTMEncoder(nn.Module):
    """Node embeddings from node features: input projection, forward pass, optional reverse pass."""

    def __init__(self, node_features: int, hidden_size: int = 32, reverse: bool = True):
        super().__init__()
        self.project = nn.Sequential(nn.Linear(node_features, hidden_size), nn.ReLU())
        self.forward_pass = ChildSumTreeLSTM(hidden_size, hidden_size)
        self.reverse_pass = ChildSumTreeLSTM(hidden_size, hidden_size) if reverse else None
        self.output_size = hidden_size * (2 if reverse else 1)

    def forward(self, batch: GraphBatch, reference: bool = False) -> torch.Tensor:
        """Embeddings (N, output_size), computed by the numba kernels (forward and backward);
        ``reference=True`` runs the plain torch level loop instead (for tests)."""
        run = _torch_pass if reference else fast_pass
        x = self.project(batch.features)
        h = run(self.forward_pass, x, batch.forward)
        if self.reverse_pass is not None:
            if batch.reverse is None:
                raise ValueError("this encoder has a reverse pass; batch the graphs with reverse=True")
            h = torch.cat([h, run(self.reverse_pass, x, batch.reverse)], dim=1)
        return h


def _torch_pass(cell: ChildSumTreeLSTM, x: torch.Tensor, plan: LevelPlan) -> torch.Tensor:
    return cell(x, plan)
