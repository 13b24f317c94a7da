"""Every graph kernel against a slow networkx / plain-Python reference, on random instances."""

import networkx as nx
import numpy as np
from hypothesis import given, settings, strategies as st

from rewriter.jssp import kernels as K
from rewriter.jssp.schedule import CyclicOrder, JobShopSolution

from . import reference as ref

sizes = st.tuples(st.integers(1, 7), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
settings.register_profile("kernels", max_examples=60, deadline=None)
settings.load_profile("kernels")


def _solution(n, m, seed, reentrant):
    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, n, m, reentrant)
    return rng, inst, JobShopSolution(inst, ref.random_acyclic_order(rng, inst))


@given(sizes)
def test_heads_tails_makespan_match_networkx(case):
    _, inst, sol = _solution(*case)
    heads, tails, makespan = ref.heads_tails(inst, sol.order)
    assert sol.makespan == makespan == ref.makespan_networkx(inst, sol.order)
    assert sol.heads.tolist() == heads
    assert sol.tails.tolist() == tails


@given(sizes)
def test_acyclicity_matches_networkx(case):
    n, m, seed, reentrant = case
    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, n, m, reentrant)
    order = ref.random_any_order(rng, inst)
    expected = nx.is_directed_acyclic_graph(ref.graph(inst, order))
    mp, ms, pos = (np.empty(inst.n_operations, np.int64) for _ in range(3))
    K.machine_links(order, inst.machine_start, mp, ms, pos)
    topo, indeg, heads = (np.empty(inst.n_operations, np.int64) for _ in range(3))
    assert K.is_acyclic(inst.job_pred, inst.job_succ, mp, ms, topo, indeg) == expected
    mk = K.heads_and_makespan(inst.op_duration, inst.job_pred, inst.job_succ, mp, ms, heads, topo, indeg)
    assert (mk >= 0) == expected
    if expected:
        JobShopSolution(inst, order)
    else:
        try:
            JobShopSolution(inst, order)
        except CyclicOrder:
            pass
        else:
            raise AssertionError("a cyclic order was accepted")


@given(sizes)
def test_critical_path_and_blocks(case):
    _, inst, sol = _solution(*case)
    path = sol.critical_path().tolist()
    g = ref.graph(inst, sol.order)
    assert all(g.has_edge(a, b) for a, b in zip(path, path[1:]))
    assert sol.heads[path[0]] == 0
    assert sum(int(inst.op_duration[v]) for v in path) == sol.makespan
    blocks = sol.critical_blocks()
    assert [int(v) for b in blocks for v in b] == path
    for block in blocks:
        assert len({int(inst.op_machine[v]) for v in block}) == 1
        assert all(sol.mach_succ[a] == b for a, b in zip(block, block[1:]))
    for left, right in zip(blocks, blocks[1:]):  # blocks are maximal: joined by a job arc
        assert sol.mach_succ[left[-1]] != right[0]


def _pairs(moves):
    return [tuple(int(x) for x in row) for row in moves]


@given(sizes)
def test_neighbourhoods_match_plain_definitions(case):
    _, inst, sol = _solution(*case)
    job = set(ref.job_arcs(inst))
    adjacent = [a for a in ref.machine_arcs(inst, sol.order) if a not in job]
    assert sorted(_pairs(sol.moves("adjacent"))) == sorted(adjacent)
    path = sol.critical_path().tolist()
    machine = set(ref.machine_arcs(inst, sol.order))
    n1 = [(a, b) for a, b in zip(path, path[1:]) if (a, b) in machine and (a, b) not in job]
    assert _pairs(sol.moves("n1")) == n1
    blocks = [b.tolist() for b in sol.critical_blocks()]
    n5 = []
    for i, b in enumerate(blocks):
        if len(b) < 2:
            continue
        if i > 0:
            n5.append((b[0], b[1]))
        if i < len(blocks) - 1 and (b[-2], b[-1]) not in n5:
            n5.append((b[-2], b[-1]))
    n5 = [mv for mv in n5 if mv not in job]
    assert _pairs(sol.moves("n5")) == n5
    assert set(n5) <= set(n1)


@given(sizes)
def test_n7_moves_match_plain_definition(case):
    _, inst, sol = _solution(*case)
    job = set(ref.job_arcs(inst))
    blocks = [b.tolist() for b in sol.critical_blocks()]
    n7 = _pairs(sol.moves("n7"))
    assert len(n7) == len(set(n7))
    assert set(n7) == ref.n7_moves(blocks, job)
    n5 = set(_pairs(sol.moves("n5")))
    assert n5 | {(v, u) for u, v in n5} == {(x, w) for x, w in n7 if sol.mach_succ[x] == w
                                            or sol.mach_pred[x] == w}  # N7's swaps are N5's


@given(sizes, st.integers(0, 2**32 - 1))
def test_relocate_matches_list_insertion_and_undoes(case, pick):
    rng, inst, sol = _solution(*case)
    ms = inst.machine_start
    machines = [i for i in range(inst.n_machines) if ms[i + 1] - ms[i] >= 2]
    if not machines:
        return
    i = machines[pick % len(machines)]
    ops = sol.order[ms[i]:ms[i + 1]].tolist()
    u, v = (int(x) for x in rng.choice(ops, 2, replace=False))
    new_order = ref.relocated(sol.order, u, v)
    acyclic = nx.is_directed_acyclic_graph(ref.graph(inst, new_order))
    trial = sol.copy()
    assert trial.relocate(u, v) == acyclic
    if not acyclic:
        assert trial.order.tolist() == sol.order.tolist() and trial.makespan == sol.makespan
        return
    assert trial.order.tolist() == new_order.tolist()
    assert trial.makespan == ref.makespan_networkx(inst, new_order)
    mp, ms2, pos = (np.empty(inst.n_operations, np.int64) for _ in range(3))
    K.machine_links(new_order, ms, mp, ms2, pos)
    assert (trial.mach_pred.tolist(), trial.mach_succ.tolist(), trial.position.tolist()) == (
        mp.tolist(), ms2.tolist(), pos.tolist())
    assert K.relocate(u, sol.position[u], trial.order, trial.position, trial.mach_pred,
                      trial.mach_succ) == sol.position[v]
    assert trial.order.tolist() == sol.order.tolist()
    assert trial.mach_pred.tolist() == sol.mach_pred.tolist()
    assert trial.mach_succ.tolist() == sol.mach_succ.tolist()


@given(sizes)
def test_flip_cycle_check_and_estimate(case):
    rng, inst, sol = _solution(*case)
    moves = _pairs(sol.moves("adjacent"))
    for u, v in moves[:12]:
        new_order = ref.swapped(inst, sol.order, u, v)
        acyclic = nx.is_directed_acyclic_graph(ref.graph(inst, new_order))
        assert sol.creates_cycle(u, v) == (not acyclic)
        if not acyclic:
            continue
        heads, tails, makespan = ref.heads_tails(inst, new_order)
        p = inst.op_duration
        through = max(heads[u] + p[u] + tails[u], heads[v] + p[v] + tails[v])
        assert sol.estimate(u, v) == through <= makespan
        trial = sol.copy()
        assert trial.flip(u, v)
        assert trial.makespan == makespan
        assert trial.heads.tolist() == heads and trial.tails.tolist() == tails
        assert trial.order.tolist() == new_order.tolist()
        assert trial.flip(v, u)  # flipping back restores the original
        assert trial.order.tolist() == sol.order.tolist() and trial.makespan == sol.makespan


@given(sizes, st.integers(0, 2**32 - 1), st.booleans())
def test_swap_update_matches_a_full_evaluation_along_a_chain_of_swaps(case, walk_seed, local):
    """The incremental update after a swap gives networkx's heads, tails and makespan and a
    topological order, swap after swap (each update starts from the previous one's order), both
    ways: following only what changes (the way of large instances) and by passes over the
    stretch the swap can change (small ones)."""
    _, inst, sol = _solution(*case)
    rng = np.random.default_rng(walk_seed)
    n = inst.n_operations
    topo_pos, stack, mark = np.empty(n, np.int64), np.empty(n, np.int64), np.zeros(n, np.int64)
    K.topo_positions(sol.topo, topo_pos)
    for _ in range(15):
        pairs = [(u, v) for u, v in _pairs(sol.moves("adjacent")) if not sol.creates_cycle(u, v)]
        if not pairs:
            break
        u, v = pairs[rng.integers(len(pairs))]
        K.flip_arc(u, v, sol.order, sol.position, sol.mach_pred, sol.mach_succ)
        if local:
            makespan = K.swap_update_local(u, v, inst.op_duration, inst.job_pred, inst.job_succ,
                                           sol.mach_pred, sol.mach_succ, inst.job_last, sol.heads,
                                           sol.tails, sol.topo, topo_pos, stack, mark,
                                           K.pending_bits(n))
        else:
            makespan = K.swap_update_stretch(u, v, inst.op_duration, inst.job_pred, inst.job_succ,
                                             sol.mach_pred, sol.mach_succ, sol.heads, sol.tails,
                                             sol.topo, topo_pos, stack, mark)
        sol.makespan = int(makespan)
        heads, tails, expected = ref.heads_tails(inst, sol.order)
        assert makespan == expected == ref.makespan_networkx(inst, sol.order)
        assert sol.heads.tolist() == heads and sol.tails.tolist() == tails
        assert sorted(sol.topo.tolist()) == list(range(n))
        assert topo_pos[sol.topo].tolist() == list(range(n))
        rank = {w: i for i, w in enumerate(sol.topo.tolist())}
        assert all(rank[a] < rank[b] for a, b in ref.graph(inst, sol.order).edges)
        assert not mark.any()


@given(sizes)
def test_critical_swaps_never_create_cycles(case):
    """Swapping adjacent operations of a critical block keeps the graph acyclic (N1 theorem)."""
    _, inst, sol = _solution(*case)
    if (inst.durations == 0).any():
        return  # the theorem needs positive durations: a zero-length detour can close a cycle
    for u, v in _pairs(sol.moves("n1")):
        assert not sol.creates_cycle(u, v)


def test_schedule_from_heads_is_feasible():
    from rewriter.jssp.validate import check_schedule
    rng = np.random.default_rng(3)
    inst = ref.random_instance(rng, 10, 5)
    sol = JobShopSolution(inst, ref.random_acyclic_order(rng, inst))
    assert check_schedule(inst, sol.start_matrix(), sol.makespan) == sol.makespan
    again = JobShopSolution.from_starts(inst, sol.starts)
    assert again.makespan == sol.makespan
    assert JobShopSolution.from_machine_sequences(inst, sol.machine_sequences()).order.tolist() \
        == sol.order.tolist()


@given(sizes)
def test_sorting_by_heads_keeps_a_topological_order_with_zero_durations(case):
    """The order tabu search keeps (rewriter.shop.dynamic.sort_by_heads): heads never fall along
    it, and ties of an arc after a zero-length operation keep the arc forward."""
    from rewriter.shop.dynamic import sort_by_heads

    _, inst, sol = _solution(*case)
    topo_pos = np.empty(inst.n_operations, np.int64)
    sort_by_heads(sol.topo, topo_pos, sol.heads)
    assert (np.diff(sol.heads[sol.topo]) >= 0).all()
    assert topo_pos[sol.topo].tolist() == list(range(inst.n_operations))
    assert all(topo_pos[a] < topo_pos[b] for a, b in ref.graph(inst, sol.order).edges)
