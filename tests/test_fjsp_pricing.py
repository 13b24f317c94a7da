"""The flexible shop's estimated pricing (rewriter.fjsp.pricing): the acyclic test never admits a
cycle, the start bound is an upper bound (exact where claimed), the per-operation job-chain
numbers mean what the docstring says, the exact cost of a shortlisted move is the from-scratch
cost, and the search that uses them stays valid and deterministic. Checked against networkx and
plain Python on random instances (one machine, zero durations, ties, one-operation jobs)."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.fjsp import pricing as P
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.dispatching import dispatch_schedule
from rewriter.fjsp.search import FlexibleLocalSearch, FlexibleTabuSettings
from rewriter.fjsp.solve import solve
from rewriter.fjsp.validate import check_schedule

from .test_fjsp_core import _random_schedule, instances
from .test_fjsp_search import OBJ, _all_positions, _cost, _moved

CODE = {"makespan": 0, "tardiness": 1, "combined": 2}


def _search(sch, objective="tardiness", **kw):
    return FlexibleLocalSearch(sch, "tabu", "full", FlexibleTabuSettings(pricing="estimate", **kw),
                               objective=objective, tardiness_weight=2.0)


def _graph(sch) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(sch.instance.n_operations))
    for seq in sch.sequences():
        g.add_edges_from(zip(seq, seq[1:]))
    for o in range(sch.instance.n_operations):
        if sch.job_succ[o] >= 0:
            g.add_edge(o, int(sch.job_succ[o]))
    return g


def _neighbours(sch, v, k, a):
    """(a, b) around the gap right after ``a`` on machine ``k`` once ``v`` is off it."""
    rest = [o for o in sch.sequences()[k] if o != v]
    i = 0 if a < 0 else rest.index(a) + 1
    return a, (rest[i] if i < len(rest) else -1)


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(OBJ))
def test_the_acyclic_test_never_admits_a_cycle_and_every_admitted_move_is_offered(inst, seed, objective):
    sch = _random_schedule(inst, seed)
    search = _search(sch, objective)
    st_ = search.st
    heads, dur, jp, js = st_[8], st_[1], st_[5], st_[6]
    P.prepare(st_, search.inst_arrays, *search.aux)
    for v in range(inst.n_operations):
        r = P.price_moves(v, st_, search.inst_arrays, search.aux, CODE[objective], 2.0, 2, True,
                          int(search.state[4]), search.out, 0, np.inf)
        offered = {(int(k), int(a)) for _, k, a, _, _, _ in search.out[:r]}
        assert len(offered) == r
        for k, a in _all_positions(sch, v):
            _, b = _neighbours(sch, v, k, a)
            admitted = P.admits(v, a, b, heads, dur, jp, js)
            assert ((k, a) in offered) == admitted
            if admitted:
                assert _moved(sch, v, k, a) is not None  # a proof, so never a cycle


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(OBJ), st.integers(-20, 20))
def test_a_limit_leaves_out_exactly_the_moves_estimated_above_it(inst, seed, objective, limit):
    sch = _random_schedule(inst, seed)
    search = _search(sch, objective)
    st_, out = search.st, search.out
    P.prepare(st_, search.inst_arrays, *search.aux)
    for v in range(inst.n_operations):
        args = (v, st_, search.inst_arrays, search.aux, CODE[objective], 2.0, 2, True, int(search.state[4]), out, 0)
        every = out[:P.price_moves(*args, np.inf)].copy()
        kept = out[:P.price_moves(*args, float(limit))].copy()
        assert kept.tolist() == [row for row in every.tolist() if row[4] <= limit]


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6))
def test_the_start_bound_is_an_upper_bound_exact_when_nothing_before_it_depends_on_v(inst, seed):
    sch = _random_schedule(inst, seed)
    g = _graph(sch)
    rel = inst.release[inst.op_job]
    for v in range(inst.n_operations):
        below = nx.descendants(g, v)
        for k, a in _all_positions(sch, v):
            after = _moved(sch, v, k, a)
            if after is None:
                continue
            bound = P.start_bound(v, a, sch.heads, sch.dur, rel, sch.job_pred)
            assert bound >= after.heads[v]
            if a not in below and int(sch.job_pred[v]) not in below:
                assert bound == after.heads[v]


def _chain_completion(sch, x, shift):
    """Plain Python: the completion of ``x``'s job when ``x`` ends ``shift`` later (earlier when
    negative), every later
    operation of the job starting as soon as its job predecessor and what held it otherwise
    (its release date, its machine predecessor's current end) allow."""
    inst = sch.instance
    j = int(inst.op_job[x])
    end = int(sch.heads[x] + sch.dur[x]) + shift
    for y in range(x + 1, int(inst.job_start[j + 1])):
        floor = int(inst.release[j])
        q = int(sch.mach_pred[y])
        if q >= 0:
            floor = max(floor, int(sch.heads[q] + sch.dur[q]))
        end = max(floor, end) + int(sch.dur[y])
    return end


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6), st.integers(1, 30))
def test_cap_gives_how_far_an_earlier_end_reaches_its_job_completion(inst, seed, shift):
    sch = _random_schedule(inst, seed)
    search = _search(sch)
    P.prepare(search.st, search.inst_arrays, *search.aux)
    op_job, cap, completion = search.aux[:3]
    for x in range(inst.n_operations):
        c = int(completion[op_job[x]])
        last = int(inst.job_start[op_job[x] + 1]) - 1
        assert c == sch.heads[last] + sch.dur[last]
        assert _chain_completion(sch, x, 0) == c
        assert c - _chain_completion(sch, x, -shift) == min(shift, int(cap[x]))


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(OBJ))
def test_the_exact_cost_of_a_move_is_its_cost_from_scratch_and_changes_nothing(inst, seed, objective):
    sch = _random_schedule(inst, seed)
    search = _search(sch, objective)
    st_ = search.st
    before = [a.copy() for a in st_[:8]]
    h2, topo2 = np.zeros(inst.n_operations, np.int64), np.zeros(inst.n_operations, np.int64)
    for v in range(inst.n_operations):
        for k, a in _all_positions(sch, v):
            d = inst.duration_table[(v, k)]
            mk, cost = P.exact_cost(v, k, a, d, st_, search.inst_arrays, CODE[objective], 2.0, h2, topo2)
            after = _moved(sch, v, k, a)
            if after is None:
                assert mk == -1
            else:
                assert (mk, cost) == (after.makespan, _cost(after, objective))
    assert all(np.array_equal(x, y) for x, y in zip(st_[:8], before))


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(["tabu", "random", "greedy"]),
       st.sampled_from(["full", "n5", "n5+reassign"]), st.sampled_from(OBJ), st.integers(1, 4))
def test_an_estimated_search_leaves_a_valid_schedule_at_its_exact_cost(inst, seed, policy, moves,
                                                                         objective, shortlist):
    sch = _random_schedule(inst, seed)
    search = FlexibleLocalSearch(sch, policy, moves, FlexibleTabuSettings(
        stall=5, pricing="estimate", shortlist=shortlist), seed=seed, objective=objective,
        tardiness_weight=2.0)
    for _ in range(12):
        _, status, _ = search.advance(1)
        cur = search.current()
        check_schedule(inst, cur.assign, cur.heads)
        assert search.cost == _cost(cur, objective)
        assert _cost(search.best(), objective) == search.best_cost <= search.initial_cost
        if status is not None:
            break


def test_greedy_with_estimates_stops_when_no_shortlisted_move_improves():
    inst = load_instance("tight_30x10_s0")
    r = solve(inst, init="edd-eet", policy="greedy", steps=10_000, objective="tardiness",
              tabu=FlexibleTabuSettings(pricing="estimate", shortlist=4))
    assert r.status in ("local_optimum", "optimal")
    assert r.cost < r.init_cost
    check_schedule(inst, r.solution.assign, r.solution.heads)


def test_the_estimated_tabu_search_is_deterministic_for_a_seed_and_beats_edd():
    inst = load_instance("tight_30x10_s0")
    runs = [solve(inst, init="edd-eet", policy="tabu", steps=200, seed=3, objective="tardiness")
            for _ in range(2)]
    assert runs[0].cost == runs[1].cost
    assert runs[0].solution.assign.tolist() == runs[1].solution.assign.tolist()
    assert [(s, b) for s, _, b in runs[0].trace] == [(s, b) for s, _, b in runs[1].trace]
    check_schedule(inst, runs[0].solution.assign, runs[0].solution.heads)
    assert runs[0].cost < runs[0].init_cost
    assert FlexibleLocalSearch(dispatch_schedule(inst), "tabu", objective="tardiness").params[6] == 1
    assert FlexibleLocalSearch(dispatch_schedule(inst), "tabu").params[6] == 0  # makespan: exact


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6))
def test_slack_is_the_least_float_to_a_due_date_and_slope_its_weight(inst, seed):
    """slack[x]: over the job ends l reachable from x (x included) whose job has a due date and a
    positive weight, the least idle time along a path from x to l plus l's own room before its
    due date; slope[x] > 0 exactly when there is such an end, and then at least the weight of one
    job reaching that least float (plain Python over the networkx graph)."""
    sch = _random_schedule(inst, seed)
    search = _search(sch)
    P.prepare(search.st, search.inst_arrays, *search.aux)
    slack, slope = search.aux[3], search.aux[4]
    g = _graph(sch)
    end = sch.heads + sch.dur
    for x in range(inst.n_operations):
        longest = {x: 0}  # longest work strictly between x's end and y's start
        for y in nx.topological_sort(g.subgraph(nx.descendants(g, x) | {x})):
            for z in g.successors(y):
                w = longest[y] + (int(sch.dur[y]) if y != x else 0)
                longest[z] = max(longest.get(z, 0), w)
        floats = {}
        for y, work in longest.items():
            j = int(inst.op_job[y])
            if int(inst.job_start[j + 1]) - 1 != y or inst.due[j] < 0 or inst.weight[j] == 0:
                continue
            idle = 0 if y == x else int(sch.heads[y]) - int(end[x]) - work
            floats[y] = idle + max(0, int(inst.due[j]) - int(end[y]))
        if not floats:
            assert slope[x] == 0
            continue
        least = min(floats.values())
        assert slack[x] == least
        assert slope[x] >= max(int(inst.weight[inst.op_job[y]]) for y, f in floats.items() if f == least)
