"""Re-entrant job shops for the tests: a hypothesis strategy for awkward instances (one machine,
jobs of one operation, zero durations, ties, a job revisiting a machine back to back) and slow,
obvious oracles in plain Python and networkx that read only the routes."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import strategies as st

from rewriter.jssp.instance import JobShopInstance


def routes_of(inst: JobShopInstance) -> list[list[tuple[int, int]]]:
    """``[job] = [(machine, duration), ...]`` straight from the flat arrays."""
    starts = inst.job_start.tolist()
    return [list(zip(inst.op_machine[a:b].tolist(), inst.op_duration[a:b].tolist()))
            for a, b in zip(starts, starts[1:])]


@st.composite
def reentrant_instances(draw, max_jobs: int = 6, max_machines: int = 4, max_ops: int = 7,
                        max_duration: int = 20):
    """Routes of 1..max_ops operations on machines drawn with repeats; durations from a small
    range (ties) or zero, sometimes a job made to revisit its machine back to back."""
    n_machines = draw(st.integers(1, max_machines))
    n_jobs = draw(st.integers(1, max_jobs))
    low_durations = draw(st.booleans())  # 0..3: ties and zero-length operations everywhere
    duration = st.integers(0, 3 if low_durations else max_duration)
    routes = []
    for _ in range(n_jobs):
        route = draw(st.lists(st.tuples(st.integers(0, n_machines - 1), duration),
                              min_size=1, max_size=max_ops))
        if len(route) < max_ops and draw(st.booleans()):  # back-to-back revisit
            at = draw(st.integers(0, len(route) - 1))
            route.insert(at + 1, (route[at][0], draw(duration)))
        routes.append(route)
    return JobShopInstance.from_routes("hyp_reentrant", routes, n_machines=n_machines)


# ---- graph oracles --------------------------------------------------------------------------
def job_arcs(inst: JobShopInstance) -> list[tuple[int, int]]:
    starts = inst.job_start.tolist()
    return [(op, op + 1) for a, b in zip(starts, starts[1:]) for op in range(a, b - 1)]


def machine_arcs(inst: JobShopInstance, order) -> list[tuple[int, int]]:
    ms = inst.machine_start.tolist()
    arcs = []
    for i in range(inst.n_machines):
        seq = [int(x) for x in order[ms[i]:ms[i + 1]]]
        arcs += list(zip(seq, seq[1:]))
    return arcs


def heads_tails_networkx(inst: JobShopInstance, order):
    """(heads, tails, makespan) by longest paths over networkx's topological order of the
    disjunctive graph, or None when the machine order makes a cycle."""
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n_operations))
    g.add_edges_from(job_arcs(inst) + machine_arcs(inst, order))
    if not nx.is_directed_acyclic_graph(g):
        return None
    p = inst.op_duration.tolist()
    topo = list(nx.topological_sort(g))
    heads = [0] * inst.n_operations
    for v in topo:
        for w in g.successors(v):
            heads[w] = max(heads[w], heads[v] + p[v])
    tails = [0] * inst.n_operations
    for v in reversed(topo):
        for w in g.successors(v):
            tails[v] = max(tails[v], tails[w] + p[w])
    return heads, tails, max(h + d for h, d in zip(heads, p))


def random_acyclic_order(rng: np.random.Generator, inst: JobShopInstance) -> np.ndarray:
    """Machine-major order from random keys rising along every route: always acyclic."""
    keys = inst.op_index + rng.random(inst.n_operations) * 0.999
    return np.lexsort((keys, inst.op_machine)).astype(np.int64)


# ---- a plain-Python validator ---------------------------------------------------------------
def feasible_makespan(inst: JobShopInstance, starts) -> int | None:
    """The makespan of flat start times, None when infeasible: every pair of operations of a
    machine compared (positive-length ones must not overlap), every route in order."""
    routes = routes_of(inst)
    s = [int(x) for x in starts]
    ops = [(j, k, mc, d) for j, route in enumerate(routes) for k, (mc, d) in enumerate(route)]
    if any(x < 0 for x in s):
        return None
    for i, (j, k, mc, d) in enumerate(ops):
        if k and s[i] < s[i - 1] + ops[i - 1][3]:
            return None
    for a in range(len(ops)):
        for b in range(a + 1, len(ops)):
            if ops[a][2] == ops[b][2] and _overlap(s[a], ops[a][3], s[b], ops[b][3]):
                return None
    return max(x + op[3] for x, op in zip(s, ops))


def _overlap(s1: int, d1: int, s2: int, d2: int) -> bool:
    """[s1, s1 + d1) and [s2, s2 + d2) share time; a zero-length operation strictly inside a
    positive one counts (the validator orders a machine by (start, end) and reports it)."""
    (s1, d1), (s2, d2) = sorted([(s1, d1), (s2, d2)])
    return s2 < s1 + d1


# ---- a plain-Python dispatcher --------------------------------------------------------------
def reference_dispatch(inst: JobShopInstance, rule: str, mode: str):
    """Giffler-Thompson / non-delay over routes of any length, written from the rule
    definitions (docstring of rewriter.jssp.dispatching); returns (machine sequences of flat op
    ids, flat start times)."""
    routes = routes_of(inst)
    first = inst.job_start.tolist()
    n, m = inst.n_jobs, inst.n_machines
    nxt, job_ready, mach_ready = [0] * n, [0] * n, [0] * m
    starts = [None] * inst.n_operations
    seqs = [[] for _ in range(m)]

    def key(j, est):
        k = nxt[j]
        rest = routes[j][k:]
        return {"fifo": job_ready[j], "spt": rest[0][1], "lpt": -rest[0][1],
                "mwkr": -sum(d for _, d in rest), "lwkr": sum(d for _, d in rest),
                "mor": -len(rest), "lor": len(rest), "sjf": sum(d for _, d in routes[j]),
                "ejf": est}[rule]

    for _ in range(inst.n_operations):
        cands = []  # (job, machine, est, p)
        for j in range(n):
            if nxt[j] < len(routes[j]):
                mc, p = routes[j][nxt[j]]
                cands.append((j, mc, max(job_ready[j], mach_ready[mc]), p))
        if mode == "active":
            c_star = min(e + p for _, _, e, p in cands)
            m_star = min(mc for _, mc, e, p in cands if e + p == c_star)
            conflict = [(j, e) for j, mc, e, p in cands
                        if mc == m_star and (e < c_star or (e == c_star and p == 0))]
        else:
            t_star = min(e for _, _, e, _ in cands)
            conflict = [(j, e) for j, _, e, _ in cands if e == t_star]
        j, e = min(conflict, key=lambda je: (key(je[0], je[1]), je[0]))
        mc, p = routes[j][nxt[j]]
        op = first[j] + nxt[j]
        starts[op] = e
        seqs[mc].append(op)
        job_ready[j] = mach_ready[mc] = e + p
        nxt[j] += 1
    return seqs, starts


def plain_violations(inst: JobShopInstance, starts, makespan=None) -> list[str]:
    """The validator's rules and messages in plain Python (its implementation before it was
    vectorised, read over routes of any length): every violation, in the validator's order."""
    routes = routes_of(inst)
    flat = [int(x) for x in starts]
    first = inst.job_start.tolist()
    rows = [flat[first[j]:first[j] + len(route)] for j, route in enumerate(routes)]
    problems = []
    for j, route in enumerate(routes):
        for k in range(len(route)):
            if rows[j][k] < 0:
                problems.append(f"job {j} op {k} starts at {rows[j][k]} < 0")
            if k and rows[j][k] < rows[j][k - 1] + route[k - 1][1]:
                problems.append(
                    f"job {j} op {k} starts at {rows[j][k]} before op {k - 1} ends at "
                    f"{rows[j][k - 1] + route[k - 1][1]}")
    by_machine = {}
    for j, route in enumerate(routes):
        for k, (mc, d) in enumerate(route):
            by_machine.setdefault(mc, []).append((rows[j][k], rows[j][k] + d, j, k))
    for machine, intervals in sorted(by_machine.items()):
        intervals.sort()
        for (s1, e1, j1, k1), (s2, e2, j2, k2) in zip(intervals, intervals[1:]):
            if s2 < e1:
                problems.append(f"machine {machine}: job {j1} op {k1} [{s1}, {e1}) overlaps "
                                f"job {j2} op {k2} [{s2}, {e2})")
    true_makespan = max(rows[j][k] + route[k][1] for j, route in enumerate(routes)
                        for k in range(len(route)))
    if makespan is not None and int(makespan) != true_makespan:
        problems.append(f"reported makespan {makespan} but the last operation ends at {true_makespan}")
    return problems
