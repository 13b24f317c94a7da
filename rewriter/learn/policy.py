"""Policies over candidate rewrites, in NeuRewriter's two formulations.

``arc``: one policy. Every candidate pair (region, partner) is scored by an MLP on the two node
embeddings, the pair features and the graph embedding; a softmax over all pairs of a state picks
the rewrite. ``node``: NeuRewriter's two policies. The region policy scores each region node with
Q(s, w) (trained by regression on the return with REINFORCE, or as logits with PPO) and samples
by softmax; the rule policy scores the pairs of the chosen region and picks the partner.

Both return, for a batch of states, log-probabilities of every candidate's joint choice, so the
trainers and the search never branch on the formulation. A value head V(s) on the mean node
embedding is the baseline/critic of the arc formulation.

Two encoders make the node embeddings: the Child-Sum Tree-LSTM over the solution DAG
(``treelstm``, :mod:`.encoder`) and the heterogeneous graph attention over operations and
machines (``hgat``, :mod:`.hgat`). With ``hgat`` every candidate's score also gets the design's
two heads for the machine the rewrite puts its operation on (the per-machine score and the
(operation, machine) edge score), and rewrites past a machine's hard capacity are masked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .batch import batch_graphs
from .encoder import TreeLSTMEncoder
from ..shop.hetero import candidate_machines, capacity_allowed
from .hgat import HGATEncoder, HGATHeads, HeteroBatch, batch_hetero
from ..core.problem import Graph, RewriteState

FORMULATIONS = ("arc", "node")
ENCODERS = ("treelstm", "hgat")


@dataclass
class ModelConfig:
    node_features: int
    pair_features: int
    hidden: int = 32
    mlp_hidden: int = 64
    reverse: bool = True
    formulation: str = "arc"
    encoder: str = "treelstm"  # a model file without the field is a Tree-LSTM
    layers: int = 3            # hgat: attention layers
    heads: int = 4             # hgat: attention heads (hidden must be a multiple)
    # hgat: eligibility messages along each operation's K fastest machines plus its current one
    # (0: all); a model file without the field passed them along all, and still does
    hgat_machines: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _mlp(inp: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 1))


def segment_log_softmax(logits: torch.Tensor, segment: torch.Tensor, n_segments: int) -> torch.Tensor:
    """log softmax of ``logits`` within each segment (``segment[i]`` = segment of entry i)."""
    if logits.numel() == 0:
        return logits
    top = torch.full((n_segments,), -torch.inf, dtype=logits.dtype)
    top = top.scatter_reduce(0, segment, logits.detach(), reduce="amax", include_self=True)
    shifted = logits - top[segment]
    total = torch.zeros(n_segments, dtype=logits.dtype).index_add(0, segment, shifted.exp())
    return shifted - total.log()[segment]


@dataclass
class Typed:
    """What the hgat encoder adds: the typed batch, operation and machine embeddings and the
    per-machine head's scores."""

    batch: HeteroBatch
    ops: torch.Tensor           # (n_ops, E)
    machines: torch.Tensor      # (n_machines, E)
    machine_scores: torch.Tensor  # (n_machines,)


@dataclass
class Encoded:
    emb: torch.Tensor       # (N, E) node embeddings
    pooled: torch.Tensor    # (S, E) mean node embedding per state
    offsets: np.ndarray     # (S+1,) node offsets
    value: torch.Tensor     # (S,) V(s)
    typed: Typed | None = None  # hgat only


@dataclass
class Candidates:
    """Candidates of several states, flattened, with their segment bookkeeping."""

    pairs: np.ndarray          # (K, 2) node ids local to each state
    features: np.ndarray       # (K, Fp)
    state: np.ndarray          # (K,) which state
    mask: np.ndarray           # (K,) False for candidates excluded (already failed)
    offsets: np.ndarray        # (S+1,) candidate offsets per state

    @classmethod
    def stack(cls, per_state: list[tuple[np.ndarray, np.ndarray]], masks=None) -> "Candidates":
        counts = np.array([p.shape[0] for p, _ in per_state], np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        width = max(f.shape[1] for _, f in per_state) if per_state else 0
        pairs = np.concatenate([p for p, _ in per_state]) if per_state else np.zeros((0, 2), np.int64)
        feats = (np.concatenate([f for _, f in per_state]) if per_state
                 else np.zeros((0, width), np.float32))
        state = np.repeat(np.arange(len(per_state)), counts)
        mask = (np.concatenate(masks) if masks is not None else np.ones(len(pairs), bool))
        return cls(pairs.reshape(-1, 2).astype(np.int64), feats.astype(np.float32), state, mask,
                   offsets)


class RewritePolicy(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got {config.formulation!r}")
        if config.encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}, got {config.encoder!r}")
        self.config = config
        hgat = config.encoder == "hgat"
        self.encoder = (HGATEncoder(config.node_features, config.hidden, config.layers, config.heads)
                        if hgat else TreeLSTMEncoder(config.node_features, config.hidden,
                                                     config.reverse))
        emb = self.encoder.output_size
        self.pair_scorer = _mlp(3 * emb + config.pair_features, config.mlp_hidden)
        self.region_scorer = _mlp(2 * emb, config.mlp_hidden) if config.formulation == "node" else None
        self.value_head = _mlp(emb, config.mlp_hidden)
        self.typed_heads = HGATHeads(emb, config.mlp_hidden) if hgat else None

    # -----------------------------------------------------------------------------------------
    def observe(self, state: RewriteState) -> Graph:
        """What this policy reads of a state: its graph, with the typed view for hgat."""
        graph = state.graph()
        if self.typed_heads is not None:
            graph.hetero = state.hetero()
            if graph.hetero is None:
                raise ValueError(f"{type(state).__name__} offers no typed view (hetero()); "
                                 "use the treelstm encoder")
        return graph

    def encode(self, graphs: list[Graph]) -> "Encoded":
        """Node embeddings, mean-pooled state embeddings and V(s) of several states."""
        if self.typed_heads is not None:
            return self._encode_typed(graphs)
        batch = batch_graphs(graphs, reverse=self.config.reverse)
        emb = self.encoder(batch)
        n_states = len(graphs)
        node_count = torch.from_numpy(np.diff(batch.offsets)).clamp(min=1).to(emb.dtype)
        pooled = torch.zeros(n_states, emb.shape[1], dtype=emb.dtype).index_add(
            0, batch.graph_of_node, emb) / node_count[:, None]
        return Encoded(emb, pooled, batch.offsets, self.value_head(pooled).squeeze(1))

    def _encode_typed(self, graphs: list[Graph]) -> "Encoded":
        batch = batch_hetero(graphs, self.config.hgat_machines)
        ops, machines = self.encoder(batch)
        n_states = batch.n_graphs
        count = torch.from_numpy(np.diff(batch.op_offsets) + np.diff(batch.machine_offsets))
        pooled = (ops.new_zeros(n_states, ops.shape[1]).index_add(0, batch.op_graph, ops)
                  .index_add(0, batch.machine_graph, machines)) / count.clamp(min=1)[:, None]
        typed = Typed(batch, ops, machines,
                      self.typed_heads.machine_scores(machines, pooled, batch.machine_graph))
        return Encoded(self.encoder.node_embeddings(batch, ops, machines), pooled,
                       batch.node_offsets, self.value_head(pooled).squeeze(1), typed)

    def hard_mask(self, encoded: "Encoded", cands: Candidates) -> np.ndarray | None:
        """(K,) False for candidates no choice may take whatever the scores (a rewrite past a
        machine's hard capacity); None when nothing is masked this way (Tree-LSTM, no horizon)."""
        typed = encoded.typed
        if typed is None or all(h.horizon is None for h in typed.batch.heteros):
            return None
        return np.concatenate([np.ones(0, bool)] + [
            capacity_allowed(h, cands.pairs[cands.offsets[i]:cands.offsets[i + 1]])
            for i, h in enumerate(typed.batch.heteros)])

    def _typed_scores(self, typed: Typed, cands: Candidates) -> torch.Tensor:
        """(K,) machine head + edge head for the machine each candidate puts its operation on."""
        batch = typed.batch
        op_rows, machine_rows, edge_rows = [], [], []
        for i, h in enumerate(batch.heteros):
            pairs = cands.pairs[cands.offsets[i]:cands.offsets[i + 1]]
            target = candidate_machines(h, pairs)
            op_rows.append(pairs[:, 0] + batch.op_offsets[i])
            machine_rows.append(target + batch.machine_offsets[i])
            edge_rows.append(h.edge_index(pairs[:, 0], target) + batch.eligible_offsets[i])
        op_rows, machine_rows, edge_rows = (torch.from_numpy(np.concatenate(r).astype(np.int64))
                                            for r in (op_rows, machine_rows, edge_rows))
        edge = self.typed_heads.edge_scores(typed.ops, typed.machines, op_rows, machine_rows,
                                            batch.eligible_attr[edge_rows])
        return edge + typed.machine_scores[machine_rows]

    def forward(self, graphs: list[Graph], cands: Candidates) -> dict:
        return self.score(self.encode(graphs), cands)

    def score(self, encoded: "Encoded", cands: Candidates) -> dict:
        """Scores for every candidate of every state.

        Returns ``log_prob`` (K,): log-probability of choosing each candidate (joint region and
        rule in the node formulation; -inf where masked), ``value`` (S,), and for the node
        formulation ``q`` (K,): Q(s, region of the candidate), and ``rule_log_prob`` (K,).
        Re-scoring after masking a candidate reuses ``encoded``: no second Tree-LSTM pass.
        """
        emb, pooled = encoded.emb, encoded.pooled
        n_states = pooled.shape[0]
        out = {"value": encoded.value}
        if cands.pairs.shape[0] == 0:
            empty = emb.new_zeros(0)
            out.update(log_prob=empty, q=empty, rule_log_prob=empty)
            return out
        base = torch.from_numpy(encoded.offsets[cands.state])
        region = torch.from_numpy(cands.pairs[:, 0]) + base
        partner = torch.from_numpy(cands.pairs[:, 1]) + base
        state = torch.from_numpy(cands.state)
        pair_in = torch.cat([emb[region], emb[partner], pooled[state],
                             torch.from_numpy(cands.features[:, :self.config.pair_features])],
                            dim=1)
        scores = self.pair_scorer(pair_in).squeeze(1)
        allowed = cands.mask
        if encoded.typed is not None:
            scores = scores + self._typed_scores(encoded.typed, cands)
            hard = self.hard_mask(encoded, cands)
            allowed = allowed if hard is None else allowed & hard
        masked = torch.from_numpy(~allowed)
        if self.config.formulation == "arc":
            scores = scores.masked_fill(masked, -torch.inf)
            out["log_prob"] = segment_log_softmax(scores, state, n_states)
            return out
        # node formulation: group candidates by (state, region)
        key = cands.state.astype(np.int64) * (int(encoded.offsets[-1]) + 1) + cands.pairs[:, 0]
        uniq, first, group = np.unique(key, return_index=True, return_inverse=True)
        group_t = torch.from_numpy(group.reshape(-1))
        n_groups = len(uniq)
        first = torch.from_numpy(first)  # one candidate per group: its region and state
        g_state = state[first]
        q = self.region_scorer(torch.cat([emb[region[first]], pooled[g_state]], dim=1)).squeeze(1)
        # a region whose candidates are all masked cannot be chosen
        open_group = torch.zeros(n_groups, dtype=torch.bool).index_fill(
            0, group_t[torch.from_numpy(allowed)], True)
        region_lp = segment_log_softmax(q.masked_fill(~open_group, -torch.inf), g_state, n_states)
        rule_lp = segment_log_softmax(scores.masked_fill(masked, -torch.inf), group_t, n_groups)
        out.update(log_prob=region_lp[group_t] + rule_lp, q=q[group_t], rule_log_prob=rule_lp,
                   region_log_prob=region_lp[group_t], group=group_t, n_groups=n_groups)
        return out


def entropy(log_prob: torch.Tensor, segment: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Entropy of each segment's distribution (masked entries with -inf contribute nothing)."""
    p = log_prob.exp()
    terms = torch.where(p > 0, -p * log_prob, torch.zeros_like(p))
    return torch.zeros(n_segments, dtype=log_prob.dtype).index_add(0, segment, terms)
