"""Slow, obvious reference implementations (networkx and plain Python) to cross-check kernels."""

from __future__ import annotations

import networkx as nx
import numpy as np

from rewriter.jssp.instance import JobShopInstance


def random_instance(rng: np.random.Generator, n: int, m: int, reentrant: bool = False) -> JobShopInstance:
    durations = rng.integers(1, 100, size=(n, m))
    if rng.random() < 0.25:  # zero-length operations exist in the classics (orb07)
        durations[rng.random((n, m)) < 0.2] = 0
    if reentrant:
        machines = rng.integers(0, m, size=(n, m))
    else:
        machines = np.array([rng.permutation(m) for _ in range(n)])
    return JobShopInstance(f"rand{n}x{m}", durations, machines)


def random_acyclic_order(rng: np.random.Generator, inst: JobShopInstance) -> np.ndarray:
    """Machine-major order from random keys that increase along every job: always acyclic."""
    keys = np.cumsum(rng.random((inst.n_jobs, inst.n_machines)) + 1e-9, axis=1).reshape(-1)
    return np.lexsort((keys, inst.op_machine)).astype(np.int64)


def random_any_order(rng: np.random.Generator, inst: JobShopInstance) -> np.ndarray:
    """Machine-major order with every machine's sequence shuffled: often cyclic."""
    keys = rng.random(inst.n_operations)
    return np.lexsort((keys, inst.op_machine)).astype(np.int64)


def machine_arcs(inst: JobShopInstance, order) -> list[tuple[int, int]]:
    ms = inst.machine_start
    arcs = []
    for i in range(inst.n_machines):
        seq = list(order[ms[i]:ms[i + 1]])
        arcs += list(zip(seq, seq[1:]))
    return arcs


def job_arcs(inst: JobShopInstance) -> list[tuple[int, int]]:
    m = inst.n_machines
    return [(j * m + k, j * m + k + 1) for j in range(inst.n_jobs) for k in range(m - 1)]


def graph(inst: JobShopInstance, order) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n_operations))
    for u, v in job_arcs(inst) + machine_arcs(inst, order):
        g.add_edge(int(u), int(v), weight=int(inst.op_duration[u]))
    return g


def heads_tails(inst: JobShopInstance, order):
    """Heads and tails by dynamic programming over networkx's topological order."""
    g = graph(inst, order)
    p = inst.op_duration
    heads = {v: 0 for v in g}
    for v in nx.topological_sort(g):
        for w in g.successors(v):
            heads[w] = max(heads[w], heads[v] + int(p[v]))
    tails = {v: 0 for v in g}
    for v in reversed(list(nx.topological_sort(g))):
        for w in g.successors(v):
            tails[v] = max(tails[v], tails[w] + int(p[w]))
    makespan = max(heads[v] + int(p[v]) for v in g)
    return ([heads[v] for v in range(len(p))], [tails[v] for v in range(len(p))], makespan)


def makespan_networkx(inst: JobShopInstance, order) -> int:
    """Makespan as networkx's weighted longest path through a source and a sink node."""
    g = graph(inst, order)
    src, snk = -1, -2
    for v in range(inst.n_operations):
        g.add_edge(src, v, weight=0)
        g.add_edge(v, snk, weight=int(inst.op_duration[v]))
    return int(nx.dag_longest_path_length(g, weight="weight"))


def swapped(inst: JobShopInstance, order, u: int, v: int) -> np.ndarray:
    order = np.array(order)
    iu, iv = int(np.where(order == u)[0][0]), int(np.where(order == v)[0][0])
    order[iu], order[iv] = v, u
    return order


def relocated(order, u: int, v: int) -> np.ndarray:
    """``order`` with ``u`` taken out and put back at ``v``'s old index (u on v's far side)."""
    seq = [int(x) for x in order]
    target = seq.index(v)
    seq.remove(u)
    seq.insert(target, u)
    return np.array(seq, np.int64)


def n7_moves(blocks: list[list[int]], job: set) -> set[tuple[int, int]]:
    """The N7 moves spelled out: (x, w) moves x to the far side of w within a block."""
    moves = set()
    if len(blocks) < 2:
        return moves
    for i, b in enumerate(blocks):
        if len(b) < 2:
            continue
        front, back = i > 0, i < len(blocks) - 1
        swaps = ([(b[0], b[1])] if front else []) + ([(b[-2], b[-1])] if back else [])
        for u, v in swaps:
            if (u, v) not in job:  # swapping consecutive operations of a job breaks the route
                moves |= {(u, v), (v, u)}
        first, last = b[0], b[-1]
        for j, x in enumerate(b):
            if front and j >= 2:
                moves.add((x, first))        # x to the front of the block
            if back and j <= len(b) - 3:
                moves.add((x, last))         # x to the back of the block
            if 2 <= j <= len(b) - 2:
                moves.add((first, x))        # the first behind x
            if 1 <= j <= len(b) - 3:
                moves.add((last, x))         # the last before x
    return moves
