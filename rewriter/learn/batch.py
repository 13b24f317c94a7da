"""Many solution DAGs as one disjoint graph, sorted by level for the Tree-LSTM.

The encoder processes one topological level at a time with one batched call, so nodes are
renumbered level-major: a level is then a contiguous slice and its parents an index array into
the rows already computed. Row ``n_nodes`` of every state buffer is a zero row that the padding
(-1 parents) points to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import torch

from ..core.problem import Graph


@dataclass
class LevelPlan:
    """How to run one pass: node order, parents in that order, and level boundaries."""

    perm: torch.Tensor       # (N,) new position -> original node
    inverse: torch.Tensor    # (N,) original node -> new position
    parents: torch.Tensor    # (N, P) parents as new positions, N for padding
    bounds: list[int]        # level k is rows bounds[k]:bounds[k+1]


@dataclass
class GraphBatch:
    """Node features of several graphs stacked, with forward and (optionally) reverse plans."""

    features: torch.Tensor   # (N, F)
    graph_of_node: torch.Tensor  # (N,) which graph each node belongs to
    offsets: np.ndarray      # (G+1,) node offset of each graph
    forward: LevelPlan
    reverse: LevelPlan | None

    @property
    def n_graphs(self) -> int:
        return len(self.offsets) - 1


@numba.njit(cache=True)
def _heights(parents, order):
    """Reverse levels: 0 for sinks, else 1 + the largest height among the children.

    ``order`` lists nodes by non-decreasing forward level; walking it backwards every child is
    finished before its parents are touched."""
    n = parents.shape[0]
    height = np.zeros(n, np.int64)
    for idx in range(n - 1, -1, -1):
        node = order[idx]
        for k in range(parents.shape[1]):
            p = parents[node, k]
            if p >= 0 and height[node] + 1 > height[p]:
                height[p] = height[node] + 1
    return height


@numba.njit(cache=True)
def _children(parents, n_children_max):
    n = parents.shape[0]
    children = -np.ones((n, max(n_children_max, 1)), np.int64)
    count = np.zeros(n, np.int64)
    for node in range(n):
        for k in range(parents.shape[1]):
            p = parents[node, k]
            if p >= 0:
                children[p, count[p]] = node
                count[p] += 1
    return children


def _plan(level: np.ndarray, parents: np.ndarray) -> LevelPlan:
    n = level.shape[0]
    perm = np.argsort(level, kind="stable")
    inverse = np.empty(n, np.int64)
    inverse[perm] = np.arange(n)
    remapped = np.where(parents >= 0, inverse[np.maximum(parents, 0)], n)[perm]
    counts = np.bincount(level, minlength=int(level.max()) + 1 if n else 0)
    bounds = [0] + np.cumsum(counts).tolist()
    return LevelPlan(torch.from_numpy(perm), torch.from_numpy(inverse),
                     torch.from_numpy(np.ascontiguousarray(remapped)), bounds)


def batch_graphs(graphs: list[Graph], reverse: bool = False) -> GraphBatch:
    """Stack ``graphs`` into one disjoint graph with level plans (reverse plan if asked)."""
    sizes = np.array([g.n_nodes for g in graphs], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    width = max(g.parents.shape[1] for g in graphs)
    parents = np.full((int(offsets[-1]), width), -1, np.int64)
    for g, off in zip(graphs, offsets[:-1]):
        p = g.parents
        parents[off:off + g.n_nodes, :p.shape[1]] = np.where(p >= 0, p + off, -1)
    level = np.concatenate([g.level for g in graphs]).astype(np.int64)
    features = torch.from_numpy(np.concatenate([g.features for g in graphs]).astype(np.float32))
    graph_of_node = torch.from_numpy(np.repeat(np.arange(len(graphs)), sizes))
    forward = _plan(level, parents)
    backward = None
    if reverse:
        n_children = np.bincount(parents[parents >= 0], minlength=parents.shape[0])
        children = _children(parents, int(n_children.max()) if n_children.size else 1)
        height = _heights(parents, forward.perm.numpy())
        backward = _plan(height, children)
    return GraphBatch(features, graph_of_node, offsets, forward, backward)
