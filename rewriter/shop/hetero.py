"""A state seen as operations and machines: the input of the heterogeneous encoder.

The rewrite interface's :class:`~rewriter.core.problem.Graph` is one DAG of untyped nodes. A
problem that also offers :meth:`~rewriter.core.problem.RewriteState.hetero` describes the same
solution with two node types and three edge types:

- operations are the Graph's nodes ``0 .. n_ops - 1`` (their features are the Graph's rows);
- machines ``0 .. M - 1``, each either one of the Graph's nodes (``machine_nodes[k]``, the
  flexible shop's "front of machine k") or a node of this view only (``-1``, the job shop);
- job precedence and machine sequence edges between operations (predecessor -> successor) with
  :data:`SEQUENCE_ATTRS`, and eligibility edges operation -> machine with
  :data:`ELIGIBLE_ATTRS` (the processing time on that machine among them).

Each eligibility edge also has its speed rank: its place among its operation's eligible machines
ordered by (processing time, machine index). The encoder may pass messages only along the K
fastest of them plus the current machine (:func:`message_edges`): on the flexible shop at
production scale the full eligibility lists dominate its time.

Machines carry :data:`MACHINE_FEATURES`, among them the capacity ratio load / capacity. The
capacity is a per-machine horizon when the state has one (then a hard limit:
:func:`capacity_allowed` masks the rewrites that would load a machine past it), otherwise the
current makespan. ``objective`` weighs the objectives of :data:`OBJECTIVES`; it conditions the
encoder's attention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: attributes of a job-precedence or machine-sequence edge u -> v
SEQUENCE_ATTRS = ("duration_u", "gap")  # u's duration / scale, (start v - end u) / scale
#: attributes of an eligibility edge operation -> machine
ELIGIBLE_ATTRS = ("time", "assigned", "relative_time")  # p / scale, 1 if current, p / shortest p
#: machine node features
MACHINE_FEATURES = ("capacity_ratio", "end", "idle_share", "eligible_share")
#: the objectives whose weights condition the attention, in this order
OBJECTIVES = ("makespan", "tardiness")


@dataclass
class HeteroGraph:
    """Typed view of one solution (module docstring). Edges index operations and machines."""

    n_ops: int
    machine_nodes: np.ndarray     # (M,) Graph node of each machine, -1 for none
    machine_features: np.ndarray  # (M, len(MACHINE_FEATURES)) float32
    job_edges: np.ndarray         # (Ej, 2) int64 operation pairs (predecessor, successor)
    job_attr: np.ndarray          # (Ej, len(SEQUENCE_ATTRS)) float32
    machine_edges: np.ndarray     # (Em, 2) int64 operation pairs on one machine
    machine_attr: np.ndarray      # (Em, len(SEQUENCE_ATTRS)) float32
    eligible: np.ndarray          # (Ee, 2) int64 (operation, machine)
    eligible_attr: np.ndarray     # (Ee, len(ELIGIBLE_ATTRS)) float32
    processing: np.ndarray        # (Ee,) float64 processing time of each eligibility edge
    eligible_rank: np.ndarray     # (Ee,) int64 speed rank of each eligibility edge (0: fastest)
    op_machine: np.ndarray        # (n_ops,) int64 the machine each operation runs on now
    node_machine: np.ndarray      # (N,) int64 the machine a Graph node names as a partner
    load: np.ndarray              # (M,) float64 processing time assigned to each machine
    horizon: np.ndarray | None    # (M,) float64 hard per-machine capacity, or None
    objective: np.ndarray         # (len(OBJECTIVES),) float32 objective weights

    @property
    def n_machines(self) -> int:
        return int(self.machine_nodes.shape[0])

    def edge_index(self, ops: np.ndarray, machines: np.ndarray) -> np.ndarray:
        """Index into ``eligible`` of each (operation, machine); ValueError if one is missing."""
        m = self.n_machines
        keys = self.eligible[:, 0] * m + self.eligible[:, 1]
        order = np.argsort(keys, kind="stable")
        wanted = np.asarray(ops, np.int64) * m + np.asarray(machines, np.int64)
        pos = np.minimum(np.searchsorted(keys[order], wanted), max(len(keys) - 1, 0))
        if len(wanted) and (len(keys) == 0 or np.any(keys[order][pos] != wanted)):
            raise ValueError("a rewrite names a machine its operation is not eligible on")
        return order[pos] if len(wanted) else np.zeros(0, np.int64)


def build_hetero(*, job_pred: np.ndarray, mach_pred: np.ndarray, op_machine: np.ndarray,
                 heads: np.ndarray, durations: np.ndarray, eligible: np.ndarray,
                 processing: np.ndarray, n_machines: int, scale: float, makespan: float,
                 machine_nodes: np.ndarray | None = None, n_nodes: int | None = None,
                 horizon: np.ndarray | None = None, eligible_rank: np.ndarray | None = None,
                 objective=(1.0, 0.0)) -> HeteroGraph:
    """The typed view from a schedule's flat arrays (operations numbered ``0 .. n-1``).

    ``job_pred``/``mach_pred``: predecessor of each operation (-1 none); ``op_machine``, ``heads``
    and ``durations``: its machine, start and duration now; ``eligible`` (E, 2) and
    ``processing`` (E,): every (operation, machine) it may run on and the time it takes there;
    ``scale`` divides times; ``machine_nodes``: the Graph node of each machine (None: not
    Graph nodes); ``n_nodes``: the Graph's node count (default ``n``, plus the machines when
    they are Graph nodes); ``horizon``: hard per-machine capacities (None: none);
    ``eligible_rank``: :func:`speed_rank` of ``eligible``, which depends on the instance only, so
    a state passes it precomputed (None: computed here)."""
    n = int(op_machine.shape[0])
    m = int(n_machines)
    heads = np.asarray(heads, np.float64)
    durations = np.asarray(durations, np.float64)
    processing = np.asarray(processing, np.float64)
    eligible = np.asarray(eligible, np.int64).reshape(-1, 2)
    machine_nodes = (np.full(m, -1, np.int64) if machine_nodes is None
                     else np.asarray(machine_nodes, np.int64))
    scale = max(float(scale), 1e-9)
    span = max(float(makespan), 1e-9)
    ends = heads + durations

    def sequence(pred):
        succ = np.flatnonzero(pred >= 0)
        edges = np.stack([pred[succ], succ], axis=1).astype(np.int64)
        attr = np.stack([durations[edges[:, 0]] / scale,
                         (heads[edges[:, 1]] - ends[edges[:, 0]]) / scale], axis=1)
        return edges, attr.astype(np.float32)

    job_edges, job_attr = sequence(np.asarray(job_pred, np.int64))
    machine_edges, machine_attr = sequence(np.asarray(mach_pred, np.int64))
    op_machine = np.asarray(op_machine, np.int64)
    if eligible_rank is None:
        eligible_rank = speed_rank(eligible, processing, n)
    assigned = op_machine[eligible[:, 0]] == eligible[:, 1]
    shortest = np.full(n, np.inf)
    np.minimum.at(shortest, eligible[:, 0], processing)
    relative = processing / np.maximum(shortest[eligible[:, 0]], 1e-9)
    eligible_attr = np.stack([processing / scale, assigned, np.minimum(relative, 10.0)],
                             axis=1).astype(np.float32)
    load = np.bincount(op_machine, weights=durations, minlength=m).astype(np.float64)
    machine_end = np.zeros(m)
    np.maximum.at(machine_end, op_machine, ends)
    capacity = np.full(m, span) if horizon is None else np.maximum(np.asarray(horizon, float), 1e-9)
    machine_features = np.stack([
        load / capacity, machine_end / span, 1.0 - load / np.maximum(machine_end, 1e-9),
        np.bincount(eligible[:, 1], minlength=m) / max(n, 1)], axis=1).astype(np.float32)
    if n_nodes is None:
        n_nodes = n + int((machine_nodes >= 0).sum())
    node_machine = np.full(n_nodes, -1, np.int64)
    node_machine[:n] = op_machine
    own = machine_nodes >= 0
    node_machine[machine_nodes[own]] = np.flatnonzero(own)
    return HeteroGraph(n, machine_nodes, machine_features, job_edges, job_attr, machine_edges,
                       machine_attr, eligible, eligible_attr, processing,
                       np.asarray(eligible_rank, np.int64), op_machine,
                       node_machine, load, None if horizon is None else np.asarray(horizon, float),
                       np.asarray(objective, np.float32))


def speed_rank(eligible: np.ndarray, processing: np.ndarray, n_ops: int) -> np.ndarray:
    """(E,) the place of each (operation, machine) edge among its operation's eligible machines
    ordered by processing time, ties by machine index (0: the fastest)."""
    eligible = np.asarray(eligible, np.int64).reshape(-1, 2)
    ops = eligible[:, 0]
    order = np.lexsort((eligible[:, 1], processing, ops))
    first = np.concatenate([[0], np.cumsum(np.bincount(ops, minlength=n_ops))])
    rank = np.empty(len(ops), np.int64)
    rank[order] = np.arange(len(ops)) - first[ops[order]]
    return rank


def message_edges(hetero: HeteroGraph, k: int) -> np.ndarray:
    """Indices into ``hetero.eligible`` of the edges that carry attention messages: each
    operation's ``k`` fastest machines plus its current one (``k`` = 0: all of them). The
    current machine always stays, so the encoder sees where every operation runs."""
    if k <= 0:
        return np.arange(len(hetero.eligible))
    current = hetero.op_machine[hetero.eligible[:, 0]] == hetero.eligible[:, 1]
    return np.flatnonzero((hetero.eligible_rank < k) | current)


def candidate_machines(hetero: HeteroGraph, pairs: np.ndarray) -> np.ndarray:
    """The machine each (region, partner) rewrite puts its region operation on: the partner's
    machine (an operation's, or the machine a machine node stands for)."""
    return hetero.node_machine[np.asarray(pairs, np.int64)[:, 1]]


def capacity_allowed(hetero: HeteroGraph, pairs: np.ndarray) -> np.ndarray:
    """(K,) bool: False for the rewrites that would load a machine past its horizon.

    A rewrite moving operation v onto machine k adds v's processing time on k to k's load; one
    that keeps v on its machine changes no load and is always allowed. Without a horizon every
    rewrite is allowed."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if hetero.horizon is None or not len(pairs):
        return np.ones(len(pairs), bool)
    ops = pairs[:, 0]
    target = candidate_machines(hetero, pairs)
    moving = hetero.op_machine[ops] != target
    added = np.where(moving, hetero.processing[hetero.edge_index(ops, target)], 0.0)
    return ~moving | (hetero.load[target] + added <= hetero.horizon[target])
