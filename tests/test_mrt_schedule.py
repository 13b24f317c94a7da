"""MRT schedules: the rewrite step, the starts-when DAG and the RewriteState interface."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.core.problem import RewriteState
from rewriter.errors import InputError
from rewriter.mrt.generate import dataset_instance
from rewriter.mrt.problem import MrtProblem, MrtState, schedule_from_state, to_dict
from rewriter.mrt.schedule import MrtSchedule
from rewriter.mrt.validate import check_mrt_schedule, schedule_violations

from .mrt_strategies import mrt_instances

INITS = MrtProblem.init_rules


def _state(instance, init="random", seed=0) -> MrtState:
    return MrtProblem(instance.resources).initial_state(instance, init, seed)


def _check_dag(sched: MrtSchedule) -> None:
    parents, level = sched.dag()
    n = sched.n_jobs + 1
    assert parents.shape[0] == n and level.shape == (n,)
    assert (parents[0] == -1).all() and level[0] == 0
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for i in range(1, n):
        ps = [p for p in parents[i].tolist() if p >= 0]
        assert ps, f"job node {i} has no parent"
        assert level[i] == 1 + max(level[p] for p in ps)
        for p in ps:
            assert 0 <= p < n and p != i
            g.add_edge(p, i)
            if p == 0:  # machine edge: starts at arrival, or no job ends at its start
                ends = set((sched.start[1:] + sched.length[1:]).tolist())
                assert sched.start[i] == sched.arrival[i] or sched.start[i] not in ends
            else:
                assert sched.start[p] + sched.length[p] == sched.start[i]
    assert nx.is_directed_acyclic_graph(g)


# ---- the rewrite step ----------------------------------------------------------------------------
@settings(max_examples=120, deadline=None)
@given(mrt_instances(), st.sampled_from(INITS), st.data())
def test_random_rewrites_stay_feasible_and_keep_their_promises(instance, init, data):
    state = _state(instance, init, seed=data.draw(st.integers(0, 3)))
    sched = state.schedule
    n = sched.n_jobs
    for _ in range(data.draw(st.integers(1, 8))):
        region = data.draw(st.integers(1, n))
        partner = data.draw(st.integers(0, n))
        before = sched.start.copy()
        target = sched.target_start(region, partner)
        ok = state.apply(region, partner)
        if not ok:
            assert np.array_equal(sched.start, before)
            assert region == partner or target < sched.arrival[region]
            continue
        assert region != partner and target >= sched.arrival[region]
        assert sched.start[region] == target  # the moved job starts exactly where asked
        # jobs that ended by the target stay put
        stay = [i for i in range(1, n + 1) if i != region and before[i] + sched.length[i] <= target]
        assert all(sched.start[i] == before[i] for i in stay)
        assert schedule_violations(instance, sched.starts) == []
        assert state.cost() == pytest.approx(check_mrt_schedule(instance, sched.starts))
        _check_dag(sched)


@settings(max_examples=60, deadline=None)
@given(mrt_instances(), st.data())
def test_infeasible_rewrites_return_false_and_change_nothing(instance, data):
    state = _state(instance, "sjf")
    sched = state.schedule
    n = sched.n_jobs
    before = sched.start.copy()
    region = data.draw(st.integers(1, n))
    assert not state.apply(region, region)
    assert not state.apply(0, 1) and not state.apply(region, n + 1) and not state.apply(n + 1, 0)
    late = [p for p in range(1, n + 1) if p != region and sched.start[p] + sched.length[p] < sched.arrival[region]]
    for p in late:
        assert not state.apply(region, p)
    assert np.array_equal(sched.start, before)


def test_rewrite_on_a_hand_made_instance():
    from rewriter.mrt.instance import MrtInstance

    # one resource of capacity 10; jobs 0 and 1 (demand 6) cannot overlap, job 2 (demand 4) can
    inst = MrtInstance("hand", np.array([10]), np.array([0, 0, 1]), np.array([2, 3, 1]),
                       np.array([[6], [6], [4]]))
    sched = MrtSchedule(inst, [0, 2, 1])
    assert sched.average_slowdown == pytest.approx((1 + 5 / 3 + 1) / 3)
    # move job 0 (node 1) after job 1 (node 2) ends at 5: jobs ending by 5 stay (job 1 keeps
    # starting at 2, now hanging on job 2 (node 3) which ends at 2)
    assert sched.apply(1, 2)
    assert sched.starts.tolist() == [5, 2, 1]
    parents, _ = sched.dag()
    assert [p for p in parents[2].tolist() if p >= 0] == [3]
    assert [p for p in parents[1].tolist() if p >= 0] == [2]
    # job 1 (node 2) to its arrival 0: nothing ends by 0, so job 2 and job 0 are re-placed in the
    # order of their old starts at their earliest feasible times: job 2 at 1 (6 + 4 <= 10), job 0 at 3
    assert sched.apply(2, 0)
    assert sched.starts.tolist() == [3, 0, 1]
    assert sched.average_slowdown == pytest.approx((5 / 2 + 1 + 1) / 3)
    # job 2 (node 3) after job 0 (node 1) ends at 5
    assert sched.apply(3, 1)
    assert sched.starts.tolist() == [3, 0, 5]
    assert not sched.apply(3, 3)


def test_many_rewrites_on_a_dataset_instance_stay_feasible():
    instance = dataset_instance(5, "test", 1)
    state = _state(instance, "ejf")
    rng = np.random.default_rng(0)
    start_cost = state.cost()
    best = state.copy()
    for _ in range(400):
        pairs, _ = state.candidates()
        region, partner = pairs[rng.integers(len(pairs))]
        assert state.apply(region, partner)  # candidates exclude infeasible-by-arrival partners
        if state.cost() < best.cost():
            best = state.copy()
    assert schedule_violations(instance, state.schedule.starts) == []
    assert check_mrt_schedule(instance, best.schedule.starts) == pytest.approx(best.cost())
    assert best.cost() < start_cost


# ---- the DAG -------------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(mrt_instances(), st.sampled_from(INITS))
def test_heuristic_schedules_are_left_justified_dags(instance, init):
    sched = _state(instance, init).schedule
    _check_dag(sched)
    ends = set((sched.start[1:] + sched.length[1:]).tolist())
    for i in range(1, sched.n_jobs + 1):
        assert sched.start[i] == sched.arrival[i] or sched.start[i] in ends


@settings(max_examples=60, deadline=None)
@given(mrt_instances(), st.data())
def test_dag_of_arbitrary_feasible_schedules(instance, data):
    # a right-shifted schedule (not left-justified): jobs one after another with random gaps
    order = instance.arrival_order.tolist()
    starts = np.zeros(instance.n_jobs, np.int64)
    t = 0
    for j in order:
        t = max(t, int(instance.arrival[j])) + data.draw(st.integers(0, 3))
        starts[j] = t
        t += int(instance.length[j])
    _check_dag(MrtSchedule(instance, starts))


def test_node_order_is_arrival_order():
    from rewriter.mrt.instance import MrtInstance

    inst = MrtInstance("o", np.array([10]), np.array([5, 0, 5, 2]), np.array([1, 1, 1, 1]), np.ones((4, 1), int))
    sched = MrtSchedule(inst, [5, 0, 5, 2])
    assert sched.node_job.tolist() == [-1, 1, 3, 0, 2]
    assert sched.arrival.tolist() == [0, 0, 2, 5, 5]


def test_constructor_rejects_infeasible_starts():
    from rewriter.mrt.instance import MrtInstance

    inst = MrtInstance("x", np.array([10]), np.array([0, 0]), np.array([2, 2]), np.array([[6], [6]]))
    with pytest.raises(ValueError, match="capacity"):
        MrtSchedule(inst, [0, 1])
    MrtSchedule(inst, [0, 2])  # one after the other: fine
    with pytest.raises(ValueError, match="arrival"):
        MrtSchedule(MrtInstance("y", np.array([10]), np.array([3]), np.array([1]), np.array([[1]])), [2])


# ---- the state interface -------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(mrt_instances(), st.sampled_from(INITS))
def test_state_graph_and_candidates(instance, init):
    state = _state(instance, init)
    assert isinstance(state, RewriteState)
    n, w = instance.n_jobs, instance.window
    d = max(instance.resources, 20)  # demand columns are padded to 20 resources
    g = state.graph()
    assert g.features.shape == (n + 1, state.node_features) and g.features.dtype == np.float32
    assert state.node_features == d + 9
    assert g.features[0, d + 6] == 1 and (g.features[1:, d + 6] == 0).all()
    r = instance.resources
    assert np.allclose(g.features[0, :r], np.asarray(instance.capacity) / 10)
    assert (g.features[:, r:d] == 0).all()  # padding
    assert np.isfinite(g.features).all()
    assert g.parents.dtype == np.int64 and g.level.dtype == np.int64
    pairs, feats = state.candidates()
    assert pairs.shape[1] == 2 and feats.shape == (pairs.shape[0], state.pair_features)
    assert feats.dtype == np.float32 and pairs.dtype == np.int64
    assert len({tuple(p) for p in pairs.tolist()}) == len(pairs)
    for (region, partner), f in zip(pairs.tolist(), feats.tolist()):
        assert 1 <= region <= n and region != partner
        assert partner == 0 or abs(partner - region) <= w
        assert state.schedule.target_start(region, partner) >= state.schedule.arrival[region]
        assert f[2] == float(partner == 0)
        # the look-ahead features are the exact change the rewrite makes, and it applies
        trial = state.copy()
        assert trial.apply(region, partner)
        change = trial.cost() - state.cost()
        change = 0.0 if abs(change) < 1e-9 else change
        assert f[4] == pytest.approx(np.sign(change) * np.log1p(abs(change)), abs=1e-5)
        assert f[5] == float(change < 0)
    best = {}
    for (region, _), f in zip(pairs.tolist(), feats.tolist()):
        best[region] = min(best.get(region, np.inf), f[4])
    for region, value in best.items():
        assert g.features[region, d + 7] == pytest.approx(value)
        assert g.features[region, d + 8] == float(value < 0)
    # every job region has node 0 among its partners; at most 2W + 1 partners per region
    regions = pairs[:, 0].tolist()
    assert all(regions.count(i) <= 2 * w + 1 for i in range(1, n + 1))
    assert {r for r, p in pairs.tolist() if p == 0} == set(range(1, n + 1))


def test_state_copy_is_independent_and_exports_json():
    instance = dataset_instance(2, "test", 0)
    state = _state(instance, "ejf")
    clone = state.copy()
    pairs, _ = state.candidates()
    changed = False
    for region, partner in pairs.tolist():
        before = clone.schedule.start.copy()
        if state.apply(region, partner) and not np.array_equal(state.schedule.start, before):
            changed = True
            break
    assert changed and np.array_equal(clone.schedule.start, before)
    data = to_dict(state, method="test")
    assert data["method"] == "test" and data["instance"] == instance.name
    assert data["average_slowdown"] == pytest.approx(state.cost(), abs=1e-6)
    assert [j["start"] for j in data["jobs"]] == schedule_from_state(state).starts.tolist()
    assert state.cost_scale() == 1.0


def test_problem_interface():
    problem = MrtProblem(resources=10)
    assert problem.name == "mrt" and problem.init_rules == ("ejf", "sjf", "sjfs", "sjf-offline", "random")
    a = problem.sample_instance(np.random.default_rng(3))
    b = problem.sample_instance(np.random.default_rng(3))
    assert a.resources == 10 and np.array_equal(a.demand, b.demand) and np.array_equal(a.arrival, b.arrival)
    small = problem.sample_instance(np.random.default_rng(3), size="10")
    assert small.arrival.max() < 10
    for init in problem.init_rules:
        state = problem.initial_state(a, init, seed=1)
        assert state.node_features == 29  # 20 (padded) demand columns + 9
        check_mrt_schedule(a, state.schedule.starts)
    with pytest.raises(InputError, match="unknown MRT init rule"):
        problem.initial_state(a, "fifo")
    with pytest.raises(InputError):
        MrtProblem(resources=0)
    with pytest.raises(InputError):
        problem.sample_instance(np.random.default_rng(0), size="big")


def test_candidate_costs_are_exact_and_descent_search_descends():
    from rewriter.core.rewrite_search import descent_search

    state = _state(dataset_instance(5, "test", 1), "ejf")
    pairs, _ = state.candidates()
    costs = state.candidate_costs()
    assert costs.shape == (len(pairs),)
    for (region, partner), cost in list(zip(pairs.tolist(), costs.tolist()))[::7]:
        trial = state.copy()
        assert trial.apply(region, partner) and trial.cost() == pytest.approx(cost)
    # the generic (copy-and-apply) default agrees with the kernel
    generic = super(type(state), state).candidate_costs()
    assert np.allclose(generic, costs)
    out = descent_search(state, 30)
    values = [c for _, _, c in out.trace]
    assert all(b < a for a, b in zip(values[:-2], values[1:-1]))  # strictly better every step
    assert out.best_cost == min(values) <= state.cost()
    check_mrt_schedule(state.instance, out.best.schedule.starts)
