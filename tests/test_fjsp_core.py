"""The flexible job shop's schedule kernels, dispatching rules and validator, cross-checked
against networkx and plain Python on random instances."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.fjsp.dispatching import RULES, dispatch, dispatch_schedule
from rewriter.fjsp.instance import NO_DUE, FlexibleInstance
from rewriter.fjsp.schedule import FlexibleSchedule, objective_value
from rewriter.fjsp.validate import InfeasibleSchedule, check_schedule, schedule_violations


@st.composite
def instances(draw, max_jobs=6, max_machines=4, max_ops=3):
    m = draw(st.integers(1, max_machines))
    n = draw(st.integers(1, max_jobs))
    jobs = []
    for _ in range(n):
        ops = []
        for _ in range(draw(st.integers(1, max_ops))):
            machines = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
            ops.append([(mm, draw(st.integers(0, 9))) for mm in machines])
        jobs.append(ops)
    release = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    due = draw(st.lists(st.integers(-1, 40), min_size=n, max_size=n))
    weight = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return FlexibleInstance.from_lists("rand", m, jobs, release=release, due=due, weight=weight)


def _random_schedule(inst: FlexibleInstance, seed: int) -> FlexibleSchedule:
    """Random eligible machines, machines sequenced by a random interleaving of the jobs."""
    rng = np.random.default_rng(seed)
    assign = np.array([rng.choice([mm for mm, _ in inst.eligible(o)]) for o in range(inst.n_operations)])
    left = [list(range(inst.job_start[j], inst.job_start[j + 1])) for j in range(inst.n_jobs)]
    sequences = [[] for _ in range(inst.n_machines)]
    while any(left):
        j = rng.choice([k for k, ops in enumerate(left) if ops])
        o = left[j].pop(0)
        sequences[int(assign[o])].append(o)
    return FlexibleSchedule(inst, assign, sequences)


def _networkx_heads(sch: FlexibleSchedule) -> list[int]:
    inst = sch.instance
    g = nx.DiGraph()
    g.add_node("s")
    for o in range(inst.n_operations):
        g.add_edge("s", o, w=int(inst.release[inst.op_job[o]]))
    for seq in sch.sequences():
        for a, b in zip(seq, seq[1:]):
            g.add_edge(a, b, w=int(sch.dur[a]))
    for j in range(inst.n_jobs):
        for o in range(inst.job_start[j], inst.job_start[j + 1] - 1):
            g.add_edge(o, o + 1, w=max(int(sch.dur[o]), g.edges[o, o + 1]["w"] if g.has_edge(o, o + 1) else 0))
    dist = {"s": 0}
    for v in nx.topological_sort(g):
        for u in g.predecessors(v):
            dist[v] = max(dist.get(v, 0), dist[u] + g.edges[u, v]["w"])
    return [dist[o] for o in range(inst.n_operations)]


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6))
def test_heads_and_makespan_match_networkx(inst, seed):
    sch = _random_schedule(inst, seed)
    assert sch.heads.tolist() == _networkx_heads(sch)
    assert sch.makespan == max(int(h + d) for h, d in zip(sch.heads, sch.dur))
    values = check_schedule(inst, sch.assign, sch.heads)
    assert {k: values[k] for k in values} == {k: sch.values()[k] for k in values}


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 100))
def test_every_rule_gives_a_valid_schedule_with_earliest_starts(inst, seed):
    for rule in RULES:
        assign, start, _ = dispatch(inst, rule, seed)
        sch = dispatch_schedule(inst, rule, seed)
        assert sch.heads.tolist() == start.tolist() and sch.assign.tolist() == assign.tolist()
        assert schedule_violations(inst, assign, start) == []


def test_machine_rules_choose_as_documented():
    # one job, one operation: machine 0 takes 5, machine 1 takes 3 but is busy until... (no
    # other job) -> eet and spt both pick machine 1; lload picks the least loaded (both 0: the
    # earliest end, machine 1)
    inst = FlexibleInstance.from_lists("t", 2, [[[(0, 5), (1, 3)]], [[(1, 4)]]])
    a, s, _ = dispatch(inst, "fifo-spt")
    assert a[0] == 1
    a, s, _ = dispatch(inst, "fifo-eet")
    assert a.tolist()[0] in (0, 1) and schedule_violations(inst, a, s) == []


def test_edd_serves_the_earliest_due_date_first():
    inst = FlexibleInstance.from_lists("t", 1, [[[(0, 5)]], [[(0, 5)]], [[(0, 5)]]],
                                       due=[NO_DUE, 20, 6])
    _, start, order = dispatch(inst, "edd-eet")
    assert order.tolist() == [2, 1, 0] and start.tolist() == [10, 5, 0]


def test_release_dates_are_respected_and_tardiness_is_counted():
    inst = FlexibleInstance.from_lists("t", 1, [[[(0, 4)]], [[(0, 2)]]], release=[0, 10],
                                       due=[3, 11], weight=[2, 5])
    sch = dispatch_schedule(inst, "fifo-eet")
    assert sch.heads.tolist() == [0, 10]
    v = sch.values()
    assert v["weighted_tardiness"] == 2 * 1 + 5 * 1 and v["late_jobs"] == 2 and v["max_lateness"] == 1
    assert objective_value(v, "combined", 0.5) == 12 + 0.5 * 7


def test_the_validator_names_what_is_wrong():
    inst = FlexibleInstance.from_lists("t", 2, [[[(0, 3)], [(1, 2)]], [[(0, 4), (1, 1)]]],
                                       release=[0, 2])
    problems = schedule_violations(inst, [1, 1, 0], [0, 2, 1])
    text = " | ".join(problems)
    assert "not eligible" in text and "before its release date" in text
    problems = schedule_violations(inst, [0, 1, 0], [0, 2, 2])
    assert any("overlaps" in p for p in problems)
    problems = schedule_violations(inst, [0, 1, 1], [0, 1, 5])
    assert any("before op 0 ends" in p for p in problems)
    with pytest.raises(InfeasibleSchedule):
        check_schedule(inst, [0, 1, 0], [0, 2, 2])


def test_a_machine_order_against_the_job_order_is_a_cycle():
    inst = FlexibleInstance.from_lists("t", 1, [[[(0, 1)], [(0, 1)]]])
    with pytest.raises(ValueError, match="cycle"):
        FlexibleSchedule(inst, [0, 0], [[1, 0]])


def test_a_job_shop_schedule_has_the_same_makespan_in_the_flexible_shop():
    from rewriter.jssp.bundled import load_instance
    from rewriter.jssp.solve import solve

    jssp = load_instance("ft06")
    result = solve(jssp, policy="tabu", steps=50, seed=0)
    n, m = jssp.n_jobs, jssp.n_machines
    inst = FlexibleInstance.from_lists(
        "ft06", m, [[[(int(jssp.machines[j, k]), int(jssp.durations[j, k]))] for k in range(m)]
                    for j in range(n)])
    sequences = [[job * m + op for job, op in seq] for seq in result.solution.machine_sequences()]
    sch = FlexibleSchedule(inst, [int(jssp.machines[o // m, o % m]) for o in range(n * m)], sequences)
    assert sch.makespan == result.makespan
