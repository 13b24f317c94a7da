"""A heterogeneous graph-attention encoder over operations and machines (``--encoder hgat``).

Plain torch, no PyTorch Geometric: its wheel is pure Python, but it requires compiled packages
(xxhash, psutil, aiohttp) and the few operations needed here (gather, a softmax per destination
node, scatter-add) are a handful of lines of torch.

Each layer passes messages along six relations: job precedence and machine sequence in both
directions (operation -> operation), operation -> eligible machine and machine -> eligible
operation. Per relation and head, GATv2-style attention scores an edge u -> v from both ends and
the edge's attributes, ``a . LeakyReLU(W_s h_u + W_d h_v + W_e e_uv + W_o w)``, plus an
objective-conditioned term ``(w (x) e_uv) . G`` that lets the objective weights ``w`` of the
state scale how much each edge attribute (a processing time, an idle gap) draws or repels
attention. The softmax runs over each destination's incoming edges of that relation; the
messages ``W_m h_u + W_me e_uv`` weighted by it are summed over relations, and each node type
updates with its own residual MLP and layer norm. Operations and machines start from separate
embeddings of their own features. The two eligibility relations may be restricted to each
operation's K fastest machines plus its current one (:func:`~.hetero.message_edges`); the
heads still score every eligible (operation, machine).

Many graphs of different sizes are one disjoint graph (:func:`batch_hetero`), so a batch is one
forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..shop.hetero import (ELIGIBLE_ATTRS, MACHINE_FEATURES, OBJECTIVES, SEQUENCE_ATTRS, HeteroGraph,
                     message_edges)
from ..core.problem import Graph

# (name, source type, destination type, edge attribute width)
RELATIONS = (("job_next", "op", "op", len(SEQUENCE_ATTRS)),
             ("job_prev", "op", "op", len(SEQUENCE_ATTRS)),
             ("machine_next", "op", "op", len(SEQUENCE_ATTRS)),
             ("machine_prev", "op", "op", len(SEQUENCE_ATTRS)),
             ("runs_on", "op", "machine", len(ELIGIBLE_ATTRS)),
             ("serves", "machine", "op", len(ELIGIBLE_ATTRS)))


@dataclass
class HeteroBatch:
    """Several :class:`HeteroGraph` (with their Graphs' operation features) as one graph."""

    op_x: torch.Tensor             # (n_ops, F) operation features
    machine_x: torch.Tensor        # (n_machines, len(MACHINE_FEATURES))
    edges: dict                    # relation -> (src, dst, attr (E, A), graph, in-degree of dst)
    op_graph: torch.Tensor         # (n_ops,) graph of each operation
    machine_graph: torch.Tensor    # (n_machines,) graph of each machine
    objective: torch.Tensor        # (G, len(OBJECTIVES))
    op_offsets: np.ndarray         # (G+1,)
    machine_offsets: np.ndarray    # (G+1,)
    eligible_offsets: np.ndarray   # (G+1,) offsets into the stacked eligibility edges
    node_offsets: np.ndarray       # (G+1,) offsets of the Graphs' nodes
    node_kind: torch.Tensor        # (N,) 0: the Graph node is an operation, 1: a machine
    node_index: torch.Tensor       # (N,) its row among the operations or the machines
    eligible: torch.Tensor         # (Ee, 2) (operation row, machine row), batch-global: every
    eligible_attr: torch.Tensor    # (Ee, len(ELIGIBLE_ATTRS))  edge, also those without messages
    heteros: list                  # the HeteroGraph of each graph

    @property
    def n_graphs(self) -> int:
        return len(self.op_offsets) - 1


def batch_hetero(graphs: list[Graph], machines: int = 0) -> HeteroBatch:
    """Stack graphs that carry a :class:`HeteroGraph` (``graph.hetero``) into one batch; the
    eligibility messages run along each operation's ``machines`` fastest eligible machines plus
    its current one (0: all), ``eligible`` keeps every eligibility edge."""
    heteros = []
    for g in graphs:
        if g.hetero is None:
            raise ValueError("the hgat encoder needs graphs with their typed view (graph.hetero); "
                             "build them with RewritePolicy.observe(state)")
        heteros.append(g.hetero)
    n_ops = np.array([h.n_ops for h in heteros], np.int64)
    n_mach = np.array([h.n_machines for h in heteros], np.int64)
    n_nodes = np.array([g.n_nodes for g in graphs], np.int64)
    n_elig = np.array([len(h.eligible) for h in heteros], np.int64)
    op_off, m_off, node_off, e_off = (np.concatenate([[0], np.cumsum(c)])
                                      for c in (n_ops, n_mach, n_nodes, n_elig))
    op_x = np.concatenate([g.features[:h.n_ops] for g, h in zip(graphs, heteros)])
    machine_x = np.concatenate([h.machine_features for h in heteros])

    def stack(pairs_of, attr_of, src_shift, dst_shift):
        src, dst, attr, graph = [], [], [], []
        for i, h in enumerate(heteros):
            pairs = pairs_of(h)
            src.append(pairs[:, 0] + src_shift[i])
            dst.append(pairs[:, 1] + dst_shift[i])
            attr.append(attr_of(h))
            graph.append(np.full(len(pairs), i, np.int64))
        return tuple(torch.from_numpy(np.concatenate(a)) for a in (src, dst, attr, graph))

    job = stack(lambda h: h.job_edges, lambda h: h.job_attr, op_off, op_off)
    mach = stack(lambda h: h.machine_edges, lambda h: h.machine_attr, op_off, op_off)
    elig = stack(lambda h: h.eligible, lambda h: h.eligible_attr, op_off, m_off)
    talk = elig  # the eligibility edges that carry messages
    if machines > 0:
        kept = torch.from_numpy(np.concatenate([message_edges(h, machines) + e_off[i]
                                                for i, h in enumerate(heteros)]))
        talk = tuple(t[kept] for t in elig)
    n_of = {"op": int(op_off[-1]), "machine": int(m_off[-1])}
    edges = {name: _by_destination(src, dst, attr, graph, n_of[dst_type])
             for (name, _, dst_type, _), (src, dst, attr, graph) in zip(RELATIONS, (
                 job, (job[1], job[0], job[2], job[3]), mach, (mach[1], mach[0], mach[2], mach[3]),
                 talk, (talk[1], talk[0], talk[2], talk[3])))}
    kind = np.zeros(int(node_off[-1]), np.int64)
    index = np.full(int(node_off[-1]), -1, np.int64)
    for i, h in enumerate(heteros):
        base = node_off[i]
        index[base:base + h.n_ops] = np.arange(h.n_ops) + op_off[i]
        own = np.flatnonzero(h.machine_nodes >= 0)
        kind[base + h.machine_nodes[own]] = 1
        index[base + h.machine_nodes[own]] = own + m_off[i]
    if np.any(index < 0):
        raise ValueError("every Graph node must be an operation or a machine of its typed view")
    return HeteroBatch(
        torch.from_numpy(op_x.astype(np.float32)), torch.from_numpy(machine_x.astype(np.float32)),
        edges, torch.from_numpy(np.repeat(np.arange(len(graphs)), n_ops)),
        torch.from_numpy(np.repeat(np.arange(len(graphs)), n_mach)),
        torch.from_numpy(np.stack([h.objective for h in heteros]).astype(np.float32)),
        op_off, m_off, e_off, node_off, torch.from_numpy(kind), torch.from_numpy(index),
        torch.stack([elig[0], elig[1]], dim=1), elig[2], heteros)


def _by_destination(src, dst, attr, graph, n_dst: int):
    """A relation's edges sorted by destination, with every destination's in-degree."""
    order = torch.argsort(dst, stable=True)
    return (src[order], dst[order], attr[order], graph[order],
            torch.bincount(dst, minlength=n_dst))


def segment_softmax(logits: torch.Tensor, segment: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Softmax of ``logits`` (E, H) over the entries of each segment, per column; entries are
    sorted by ``segment`` and ``lengths`` counts each segment's entries (zeros allowed)."""
    if logits.shape[0] == 0:
        return logits
    top = torch.segment_reduce(logits.detach(), "max", lengths=lengths, axis=0, unsafe=True)
    exp = (logits - top.index_select(0, segment)).exp()
    total = logits.new_zeros(lengths.shape[0], logits.shape[1]).index_add_(0, segment, exp)
    return exp / total.index_select(0, segment).clamp(min=1e-30)


class RelationAttention(nn.Module):
    """GATv2-style multi-head attention along one relation, conditioned on the objective."""

    def __init__(self, hidden: int, heads: int, edge_dim: int, objectives: int = len(OBJECTIVES)):
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
        self.heads, self.head_dim = heads, hidden // heads
        self.source = nn.Linear(hidden, 2 * hidden)   # [attention key W_s h, message W_m h]
        self.target = nn.Linear(hidden, hidden, bias=False)
        self.edge = nn.Linear(edge_dim, 2 * hidden, bias=False)  # [W_e e, W_me e]
        self.objective = nn.Linear(objectives, hidden, bias=False)
        self.attend = nn.Parameter(torch.randn(heads, self.head_dim) / self.head_dim ** 0.5)
        self.lens = nn.Parameter(torch.randn(objectives * edge_dim, heads) * 0.5)

    def forward(self, h_src, h_dst, src, dst, attr, edge_objective, dst_objective,
                lengths) -> torch.Tensor:
        """Messages summed at each destination (n_dst, hidden). Edges are sorted by destination,
        ``lengths`` (n_dst,) counts each one's incoming edges; ``edge_objective`` (E, objectives)
        and ``dst_objective`` (n_dst, objectives) hold the weights of each edge's and each
        destination's graph."""
        n_dst, hid = h_dst.shape[0], h_dst.shape[1]
        if src.shape[0] == 0:
            return h_dst.new_zeros(n_dst, hid)
        # matrix products instead of broadcasts over heads: (E, hidden) @ (hidden, heads) sums
        # each head's slice, (E, heads) @ (heads, hidden) spreads a head's weight over its slice
        per_head = torch.block_diag(*self.attend[:, :, None])                # (hidden, heads)
        spread = torch.block_diag(*self.attend.new_ones(self.heads, 1, self.head_dim))
        key_message = self.source(h_src).index_select(0, src)
        edge = self.edge(attr)
        # the objective term is the same for all edges into a node: added once per node
        query = (self.target(h_dst) + self.objective(dst_objective)).index_select(0, dst)
        z = nn.functional.leaky_relu(key_message[:, :hid] + edge[:, :hid] + query, 0.2)
        lensed = (attr @ self.lens.view(-1, attr.shape[1], self.heads).transpose(0, 1)
                  .reshape(attr.shape[1], -1)).view(-1, edge_objective.shape[1], self.heads)
        conditioned = (lensed * edge_objective[:, :, None]).sum(1)
        alpha = segment_softmax(z @ per_head + conditioned, dst, lengths)
        values = (key_message[:, hid:] + edge[:, hid:]) * (alpha @ spread)
        return h_dst.new_zeros(n_dst, hid).index_add_(0, dst, values)


class HGATLayer(nn.Module):
    """One round of messages along every relation, then a residual update per node type."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.relations = nn.ModuleDict({name: RelationAttention(hidden, heads, dim)
                                        for name, _, _, dim in RELATIONS})
        self.update = nn.ModuleDict({t: nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(),
                                                      nn.Linear(hidden, hidden))
                                     for t in ("op", "machine")})
        self.norm = nn.ModuleDict({t: nn.LayerNorm(hidden) for t in ("op", "machine")})

    def forward(self, h: dict, batch: HeteroBatch) -> dict:
        incoming = {t: torch.zeros_like(x) for t, x in h.items()}
        node_objective = {"op": batch.objective[batch.op_graph],
                          "machine": batch.objective[batch.machine_graph]}
        for name, src_type, dst_type, _ in RELATIONS:
            src, dst, attr, graph, lengths = batch.edges[name]
            incoming[dst_type] = incoming[dst_type] + self.relations[name](
                h[src_type], h[dst_type], src, dst, attr, batch.objective[graph],
                node_objective[dst_type], lengths)
        return {t: self.norm[t](x + self.update[t](torch.cat([x, incoming[t]], dim=1)))
                for t, x in h.items()}


class HGATEncoder(nn.Module):
    """Operation and machine embeddings (hidden each) after ``layers`` attention layers."""

    def __init__(self, op_features: int, hidden: int = 32, layers: int = 3, heads: int = 4):
        super().__init__()
        self.embed = nn.ModuleDict({
            "op": nn.Sequential(nn.Linear(op_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden)),
            "machine": nn.Sequential(nn.Linear(len(MACHINE_FEATURES), hidden), nn.ReLU(),
                                     nn.Linear(hidden, hidden))})
        self.layers = nn.ModuleList(HGATLayer(hidden, heads) for _ in range(layers))
        self.output_size = hidden

    def forward(self, batch: HeteroBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(operation embeddings (n_ops, hidden), machine embeddings (n_machines, hidden))."""
        h = {"op": self.embed["op"](batch.op_x), "machine": self.embed["machine"](batch.machine_x)}
        for layer in self.layers:
            h = layer(h, batch)
        return h["op"], h["machine"]

    @staticmethod
    def node_embeddings(batch: HeteroBatch, ops: torch.Tensor, machines: torch.Tensor) -> torch.Tensor:
        """Embeddings of the Graphs' nodes, in their order (operations and machine nodes)."""
        both = torch.cat([ops, machines])
        return both[batch.node_index + batch.node_kind * ops.shape[0]]


class HGATHeads(nn.Module):
    """The design's two heads: a score per machine and a score per (operation, machine) edge
    from [operation embedding, machine embedding, edge attributes]."""

    def __init__(self, hidden: int, mlp_hidden: int):
        super().__init__()
        self.machine = nn.Sequential(nn.Linear(2 * hidden, mlp_hidden), nn.ReLU(),
                                     nn.Linear(mlp_hidden, 1))
        self.edge = nn.Sequential(nn.Linear(2 * hidden + len(ELIGIBLE_ATTRS), mlp_hidden),
                                  nn.ReLU(), nn.Linear(mlp_hidden, 1))

    def machine_scores(self, machines: torch.Tensor, pooled: torch.Tensor,
                       machine_graph: torch.Tensor) -> torch.Tensor:
        """(n_machines,) "is this machine worth rewriting at", given its state's embedding."""
        return self.machine(torch.cat([machines, pooled[machine_graph]], dim=1)).squeeze(1)

    def edge_scores(self, ops: torch.Tensor, machines: torch.Tensor, op_rows: torch.Tensor,
                    machine_rows: torch.Tensor, attr: torch.Tensor) -> torch.Tensor:
        """(K,) score of putting operation ``op_rows[k]`` on machine ``machine_rows[k]``."""
        return self.edge(torch.cat([ops[op_rows], machines[machine_rows], attr], dim=1)).squeeze(1)
