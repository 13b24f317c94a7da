"""The crew network: heterogeneous graph attention over operators and orders, an activation
head per operator and an assignment head per (operator, order) pair.

Plain torch, as :mod:`rewriter.learn.hgat`: the design names PyTorch Geometric's ``HeteroConv``
over ``GATv2Conv(edge_dim=...)`` layers; PyTorch Geometric is no dependency of this package, so
the same computation is written out here. Per relation and head, an edge ``u -> v`` with travel
time ``T`` (over the time scale, :mod:`.graph`) is scored GATv2-style,
``a . LeakyReLU(W_s h_u + W_d h_v + W_e T)``, minus ``gamma * alpha_w * T``: ``gamma >= 0`` is a
learned scalar of the relation (a softplus) and ``alpha_w`` the instance's weight on the makespan
(:func:`.graph.weights`), so the more the objective charges for time, the less far neighbours
are heard. The softmax runs over each destination's incoming edges of the relation; messages
``W_m h_u + W_me T`` weighted by it are summed over the relations (HeteroConv's ``aggr="sum"``)
and each node type updates with a residual MLP and layer norm.

Relations: ``near`` (order -> order, each order's k nearest orders), ``reaches`` (operator ->
order, each order's k nearest operators) and ``reached_by`` (the same edges, order -> operator).

Heads
-----
* activation (per operator): an MLP of [operator, mean operator, mean order embedding], minus
  ``softplus(c) * beta_w * idle``: the activation price ``beta_w`` lowers the logit of every
  operator whose activation is still unpaid (the design's beta bias).
* assignment (per operator, order): an MLP of [operator embedding, order embedding, pair
  features] with the pair features of :data:`PAIR_FEATURES`: travel from the operator's route
  end, its load ratio after taking the order, and whether taking it activates the operator. The
  first layer is a sum of three linear maps (:meth:`CrewNet.assignment_parts`), so the decoder
  precomputes the embeddings' parts once and re-scores a pair from its three numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ..hgat import segment_softmax
from .graph import OPERATOR_FEATURES, ORDER_FEATURES, CrewGraph

__all__ = ["NetConfig", "CrewBatch", "batch_graphs", "CrewNet", "RelationAttention",
           "PAIR_FEATURES", "RELATIONS"]

PAIR_FEATURES = ("travel", "load_after", "opens")
# (name, source type, destination type)
RELATIONS = (("near", "order", "order"), ("reaches", "operator", "order"),
             ("reached_by", "order", "operator"))


@dataclass
class NetConfig:
    hidden: int = 32
    heads: int = 4
    layers: int = 3
    head_hidden: int = 32

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CrewBatch:
    """Graphs stacked into one disjoint graph (torch tensors)."""

    operator_x: torch.Tensor   # (M, F)
    order_x: torch.Tensor      # (N, F)
    edges: dict                # relation -> (src, dst, travel (E,), alpha_w (E,), lengths (n_dst,))
    operator_graph: torch.Tensor  # (M,)
    order_graph: torch.Tensor     # (N,)
    beta_w: torch.Tensor       # (G,)
    idle: torch.Tensor         # (M,)
    operator_offsets: np.ndarray  # (G+1,)
    order_offsets: np.ndarray     # (G+1,)


def batch_graphs(graphs: list[CrewGraph]) -> CrewBatch:
    """One :class:`CrewBatch` of ``graphs`` (edge indices shifted by each graph's offsets)."""
    m = np.array([g.n_operators for g in graphs], np.int64)
    n = np.array([g.n_orders for g in graphs], np.int64)
    op_off, ord_off = np.concatenate([[0], np.cumsum(m)]), np.concatenate([[0], np.cumsum(n)])
    alpha = np.array([g.alpha_w for g in graphs], np.float32)

    def stack(edges_of, travel_of, src_off, dst_off):
        src = np.concatenate([edges_of(g)[0] + src_off[i] for i, g in enumerate(graphs)])
        dst = np.concatenate([edges_of(g)[1] + dst_off[i] for i, g in enumerate(graphs)])
        travel = np.concatenate([travel_of(g) for g in graphs]).astype(np.float32)
        weight = np.concatenate([np.full(edges_of(g).shape[1], alpha[i], np.float32)
                                 for i, g in enumerate(graphs)])
        return src, dst, travel, weight

    near = stack(lambda g: g.order_order, lambda g: g.order_order_t, ord_off, ord_off)
    reach = stack(lambda g: g.operator_order, lambda g: g.operator_order_t, op_off, ord_off)
    back = (reach[1], reach[0], reach[2], reach[3])
    sizes = {"order": int(ord_off[-1]), "operator": int(op_off[-1])}
    edges = {name: _by_destination(*parts, sizes[dst])
             for (name, _, dst), parts in zip(RELATIONS, (near, reach, back))}
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return CrewBatch(t(np.concatenate([g.operator_x for g in graphs])),
                     t(np.concatenate([g.order_x for g in graphs])), edges,
                     t(np.repeat(np.arange(len(graphs)), m)),
                     t(np.repeat(np.arange(len(graphs)), n)),
                     t(np.array([g.beta_w for g in graphs], np.float32)),
                     t(np.concatenate([g.idle for g in graphs])), op_off, ord_off)


def _by_destination(src, dst, travel, weight, n_dst: int):
    order = np.argsort(dst, kind="stable")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return (t(src[order]), t(dst[order]), t(travel[order]), t(weight[order]),
            torch.from_numpy(np.bincount(dst, minlength=n_dst)))


class RelationAttention(nn.Module):
    """GATv2-style multi-head attention along one relation, with the travel time as the edge
    attribute and the ``gamma * alpha_w * T`` penalty on the attention logit."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
        self.heads, self.head_dim = heads, hidden // heads
        self.source = nn.Linear(hidden, 2 * hidden)              # [key W_s h, message W_m h]
        self.target = nn.Linear(hidden, hidden, bias=False)
        self.edge = nn.Linear(1, 2 * hidden, bias=False)         # [W_e T, W_me T]
        self.attend = nn.Parameter(torch.randn(heads, self.head_dim) / self.head_dim ** 0.5)
        self.raw_gamma = nn.Parameter(torch.tensor(0.5))

    @property
    def gamma(self) -> torch.Tensor:
        return nn.functional.softplus(self.raw_gamma)

    def weights(self, h_src, h_dst, src, dst, travel, alpha_w, lengths):
        """(attention (E, heads), key-message (E, 2 hidden), edge terms (E, 2 hidden))."""
        hid = h_dst.shape[1]
        key_message = self.source(h_src).index_select(0, src)
        edge = self.edge(travel[:, None])
        z = nn.functional.leaky_relu(key_message[:, :hid] + edge[:, :hid]
                                     + self.target(h_dst).index_select(0, dst), 0.2)
        logits = (z.view(-1, self.heads, self.head_dim) * self.attend).sum(-1)
        logits = logits - (self.gamma * alpha_w * travel)[:, None]
        return segment_softmax(logits, dst, lengths), key_message, edge

    def forward(self, h_src, h_dst, src, dst, travel, alpha_w, lengths) -> torch.Tensor:
        """Messages summed at each destination (n_dst, hidden); edges sorted by destination."""
        n_dst, hid = h_dst.shape
        if src.shape[0] == 0:
            return h_dst.new_zeros(n_dst, hid)
        attention, key_message, edge = self.weights(h_src, h_dst, src, dst, travel, alpha_w,
                                                    lengths)
        values = (key_message[:, hid:] + edge[:, hid:]).view(-1, self.heads, self.head_dim)
        values = (values * attention[:, :, None]).reshape(-1, hid)
        return h_dst.new_zeros(n_dst, hid).index_add_(0, dst, values)


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.relations = nn.ModuleDict({name: RelationAttention(hidden, heads)
                                        for name, _, _ in RELATIONS})
        self.update = nn.ModuleDict({t: nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(),
                                                      nn.Linear(hidden, hidden))
                                     for t in ("operator", "order")})
        self.norm = nn.ModuleDict({t: nn.LayerNorm(hidden) for t in ("operator", "order")})

    def forward(self, h: dict, batch: CrewBatch) -> dict:
        incoming = {t: torch.zeros_like(x) for t, x in h.items()}
        for name, src_type, dst_type in RELATIONS:
            src, dst, travel, alpha_w, lengths = batch.edges[name]
            incoming[dst_type] = incoming[dst_type] + self.relations[name](
                h[src_type], h[dst_type], src, dst, travel, alpha_w, lengths)
        return {t: self.norm[t](x + self.update[t](torch.cat([x, incoming[t]], dim=1)))
                for t, x in h.items()}


def _mlp(inputs: int, hidden: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


class CrewNet(nn.Module):
    """The encoder and both heads (module docstring)."""

    def __init__(self, config: NetConfig | None = None):
        super().__init__()
        self.config = config = config or NetConfig()
        hid = config.hidden
        self.embed = nn.ModuleDict({"operator": _mlp(len(OPERATOR_FEATURES), hid, hid),
                                    "order": _mlp(len(ORDER_FEATURES), hid, hid)})
        self.layers = nn.ModuleList(_Layer(hid, config.heads) for _ in range(config.layers))
        self.activation = _mlp(3 * hid, config.head_hidden, 1)
        self.raw_beta = nn.Parameter(torch.tensor(1.0))
        self.pair_operator = nn.Linear(hid, config.head_hidden)
        self.pair_order = nn.Linear(hid, config.head_hidden, bias=False)
        self.pair_features = nn.Linear(len(PAIR_FEATURES), config.head_hidden, bias=False)
        self.pair_out = nn.Linear(config.head_hidden, 1)

    @property
    def beta_scale(self) -> torch.Tensor:
        return nn.functional.softplus(self.raw_beta)

    def encode(self, batch: CrewBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(operator embeddings (M, hidden), order embeddings (N, hidden))."""
        h = {"operator": self.embed["operator"](batch.operator_x),
             "order": self.embed["order"](batch.order_x)}
        for layer in self.layers:
            h = layer(h, batch)
        return h["operator"], h["order"]

    def activation_logits(self, batch: CrewBatch, operators: torch.Tensor,
                          orders: torch.Tensor) -> torch.Tensor:
        """(M,) logit that each operator serves some order; idle ones pay the beta bias."""
        pooled = [_mean(x, g, len(batch.beta_w)) for x, g in
                  ((operators, batch.operator_graph), (orders, batch.order_graph))]
        g = batch.operator_graph
        logit = self.activation(torch.cat([operators, pooled[0][g], pooled[1][g]], 1)).squeeze(1)
        return logit - self.beta_scale * batch.beta_w[g] * batch.idle

    def assignment_parts(self, operators: torch.Tensor, orders: torch.Tensor):
        """The first assignment layer's operator part (M, H') with its bias, and order part."""
        return self.pair_operator(operators), self.pair_order(orders)

    def assignment_logits(self, operators: torch.Tensor, orders: torch.Tensor,
                          operator_rows: torch.Tensor, order_rows: torch.Tensor,
                          pair_x: torch.Tensor) -> torch.Tensor:
        """(P,) logit that operator ``operator_rows[p]`` serves order ``order_rows[p]``."""
        first = (self.pair_operator(operators)[operator_rows] + self.pair_order(orders)[order_rows]
                 + self.pair_features(pair_x))
        return self.pair_out(torch.relu(first)).squeeze(1)


def _mean(x: torch.Tensor, graph: torch.Tensor, n_graphs: int) -> torch.Tensor:
    total = x.new_zeros(n_graphs, x.shape[1]).index_add_(0, graph, x)
    count = torch.bincount(graph, minlength=n_graphs).clamp(min=1).to(x.dtype)
    return total / count[:, None]
