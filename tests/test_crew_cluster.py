"""Cluster -> solve -> stitch -> rewrite (rewriter.crew.cluster): the clusters cover every order
and every operator exactly once, each cluster is solvable on its own, the stitched schedule
passes the plain-Python validator, and the whole keeps its time limit."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import rewriter
from rewriter.crew import cluster as C
from rewriter.crew.dispatching import build
from rewriter.crew.generate import generate
from rewriter.crew.instance import CrewInstance
from rewriter.crew.validate import violations
from rewriter.errors import InputError


@st.composite
def instances(draw, max_orders=40, max_operators=8, explicit=False):
    """Random small instances, awkward ones included: one order or one operator, coincident
    points (a coarse grid), zero hours, idle and active operators, capacities from roomy to
    barely enough for the nearest order."""
    n = draw(st.integers(1, max_orders))
    m = draw(st.integers(1, max_operators))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    orders = rng.integers(0, 6, (n, 2)).astype(float)
    operators = rng.integers(0, 6, (m, 2)).astype(float)
    hours = rng.choice([0.0, 0.5, 1.0, 2.0], n)
    roomy = draw(st.booleans())
    capacity = np.full(m, hours.sum() + 20.0) if roomy else rng.uniform(3.0, 12.0, m)
    active = rng.random(m) < 0.5
    order_travel = None
    if explicit:
        order_travel = rng.uniform(0.0, 3.0, (n, n))
        np.fill_diagonal(order_travel, 0.0)
    return CrewInstance("random", orders, hours, operators, capacity, active, speed=1.0,
                        alpha=1.0, beta=draw(st.sampled_from([0.0, 2.0])),
                        order_travel=order_travel)


def _is_cover(parts, size: int) -> bool:
    """Every index 0..size-1 in exactly one part (plain Python)."""
    seen = [0] * size
    for part in parts:
        for i in part.tolist():
            seen[i] += 1
    return seen == [1] * size


def _reaches(inst: CrewInstance, operator: int, order: int) -> bool:
    """Plain Python: the operator can serve the order alone within its capacity."""
    if inst.start_travel is not None:
        leg = float(inst.start_travel[operator, order])
    else:
        (x, y), (a, b) = inst.operators[operator].tolist(), inst.orders[order].tolist()
        leg = math.hypot(a - x, b - y) / inst.speed
    return leg + float(inst.hours[order]) <= float(inst.capacity[operator]) + 1e-9


# ---- clusters ----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(1, 12))
def test_a_partition_covers_every_order_once_with_balanced_sizes(inst, target):
    count = C.cluster_count(inst, target)
    parts = C.partition(inst, count)
    assert 1 <= count <= inst.n_operators and len(parts) == min(count, inst.n_orders)
    assert _is_cover(parts, inst.n_orders)
    sizes = [p.size for p in parts]
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(explicit=True), st.integers(1, 12), st.integers(0, 5))
def test_k_medoids_over_an_explicit_matrix_covers_every_order_once(inst, target, seed):
    parts = C.partition(inst, C.cluster_count(inst, target), seed)
    assert _is_cover(parts, inst.n_orders) and all(p.size for p in parts)
    assert [p.tolist() for p in parts] == [p.tolist() for p in C.partition(
        inst, C.cluster_count(inst, target), seed)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(1, 12))
def test_clusters_share_out_orders_and_operators_and_each_reaches_its_orders(inst, target):
    if not inst.reachable.all():
        with pytest.raises(InputError, match="out of every operator's reach"):
            C.build_clusters(inst, target)
        return
    clusters, moved = C.build_clusters(inst, target)
    assert _is_cover([c.orders for c in clusters], inst.n_orders)
    assert _is_cover([c.operators for c in clusters], inst.n_operators)
    for cl in clusters:
        assert cl.operators.size >= 1 and cl.orders.size >= 1
        for i in cl.orders.tolist():
            assert any(_reaches(inst, k, i) for k in cl.operators.tolist())
    assert moved >= 0


def test_operators_go_where_the_work_is():
    """Orders in two far corners, nine tenths of them in one: that corner gets most operators,
    active and idle alike."""
    rng = np.random.default_rng(0)
    orders = np.vstack([rng.uniform(0, 5, (90, 2)), rng.uniform(95, 100, (10, 2))])
    operators = rng.uniform(0, 100, (20, 2))
    inst = CrewInstance("corners", orders, np.ones(100), operators, np.full(20, 500.0),
                        np.arange(20) % 2 == 0, speed=50.0, beta=1.0)
    parts = [np.arange(90), np.arange(90, 100)]
    big, small = C.allocate(inst, parts)
    assert big.size > small.size >= 1 and big.size + small.size == 20
    assert inst.active[big].sum() > inst.active[small].sum()


def test_an_order_no_operator_of_its_cluster_reaches_moves_to_one_that_does():
    orders = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    operators = np.array([[0.0, 0.0], [10.0, 0.0]])
    inst = CrewInstance("moved", orders, np.ones(3), operators, np.array([5.0, 3.0]),
                        np.ones(2, bool))
    clusters = [C.Cluster(np.array([0, 2]), np.array([0])), C.Cluster(np.array([1]), np.array([1]))]
    assert C.repair(inst, clusters) == 2  # order 2 (too far for 0), order 1 (too far for 1)
    assert [c.orders.tolist() for c in clusters] == [[0, 1], [2]]


def test_a_cluster_left_without_orders_hands_its_operators_on():
    orders = np.array([[0.0, 0.0], [1.0, 0.0]])
    operators = np.array([[0.0, 0.0], [50.0, 0.0]])
    inst = CrewInstance("empty", orders, np.ones(2), operators, np.array([5.0, 100.0]),
                        np.ones(2, bool))
    clusters = [C.Cluster(np.array([0]), np.array([0])), C.Cluster(np.array([1]), np.array([1]))]
    # operator 1 reaches order 1, but operator 0 is nearer: nothing moves, nothing is empty
    assert C.repair(inst, clusters) == 0 and len(clusters) == 2
    clusters = [C.Cluster(np.array([0, 1]), np.array([0])), C.Cluster(np.zeros(0, np.int64),
                                                                      np.array([1]))]
    C.repair(inst, clusters)
    assert len(clusters) == 1 and clusters[0].operators.tolist() == [0, 1]


def test_merging_keeps_every_order_and_operator():
    inst = generate(60, 9, seed=1)
    clusters, _ = C.build_clusters(inst, 10)
    count = len(clusters)
    target = C.merge_into_nearest(inst, clusters, 0)
    assert len(clusters) == count - 1 and 0 <= target < len(clusters)
    assert _is_cover([c.orders for c in clusters], inst.n_orders)
    assert _is_cover([c.operators for c in clusters], inst.n_operators)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(), instances(explicit=True)), st.integers(1, 12))
def test_route_clusters_hold_whole_routes_and_stitch_back_to_the_same_schedule(inst, target):
    try:
        start = build("insertion", inst)
    except Exception:  # infeasible or too tight for the rule: nothing to cluster
        return
    clusters = C.route_clusters(inst, start, target)
    assert _is_cover([c.orders for c in clusters], inst.n_orders)
    assert _is_cover([c.operators for c in clusters], inst.n_operators)
    for cl in clusters:
        served = sorted(i for k in cl.operators.tolist() for i in start.routes[k].tolist())
        assert served == cl.orders.tolist()
    horizon = start.makespan * (1 + C._CAP_SLACK)
    subs = [C.restricted(inst, cl, start, f"c{c}", horizon, 0.0)
            for c, cl in enumerate(clusters)]
    for sub in subs:
        assert violations(sub.instance, sub.routes) == []
    stitched = C.stitch(inst, clusters, subs)
    assert [r.tolist() for r in stitched.routes] == [r.tolist() for r in start.routes]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_orders=30), st.integers(2, 10))
def test_each_clusters_rule_routes_stitch_into_a_valid_schedule(inst, target):
    if not inst.reachable.all():
        return
    clusters, _ = C.build_clusters(inst, target)
    try:
        starts, merges = C.starts_of(inst, clusters)
    except Exception as exc:  # every rule failed even on the whole instance (tight capacities)
        assert "every construction rule fails" in str(exc)
        return
    assert len(starts) == len(clusters)
    stitched = C.stitch(inst, clusters, starts)
    assert violations(inst, stitched.routes) == []
    assert stitched.objective == pytest.approx(C.stitched_objective(inst, starts))


def test_sub_instances_keep_the_instance_and_cut_explicit_matrices():
    rng = np.random.default_rng(2)
    n, m = 6, 3
    inst = CrewInstance("explicit", rng.uniform(0, 9, (n, 2)), np.ones(n),
                        rng.uniform(0, 9, (m, 2)), np.full(m, 30.0), [True, False, True],
                        speed=2.0, alpha=1.5, beta=0.5, start_travel=rng.uniform(0, 2, (m, n)),
                        order_travel=rng.uniform(0, 2, (n, n)))
    cl = C.Cluster(np.array([1, 4, 5]), np.array([0, 2]))
    sub = C.sub_instance(inst, cl, "c0", horizon=12.0)
    assert sub.speed == 2.0 and sub.alpha == 1.5 and sub.beta == 0.5
    assert sub.capacity.tolist() == [12.0, 12.0] and sub.active.tolist() == [True, True]
    assert sub.order_travel[2, 0] == inst.order_travel[5, 1]
    assert sub.start_travel[1, 1] == inst.start_travel[2, 4]


# ---- the whole ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def warm():
    """The kernels loaded once (the CLI prepares them before its clock)."""
    rewriter.solve(generate(30, 5, seed=0), method="cluster", time_limit=1.0)


@pytest.mark.parametrize("mode", C.MODES)
def test_end_to_end_keeps_the_time_limit_and_validates(warm, mode):
    inst = generate(600, 40, seed=1)
    t0 = time.perf_counter()
    out = C.solve_clustered(inst, time_limit=3.0, seed=0, mode=mode)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0 + 0.5 and out.runtime_s <= elapsed
    assert violations(inst, out.best.routes) == []
    assert out.best.objective <= out.stitched_cost + 1e-9
    assert out.info["clusters"] >= 2 and out.status in ("time_limit", "optimal")
    if mode == "routes":  # the rule's routes are every cluster's start: never worse
        assert out.stitched_cost <= out.init_cost + 1e-9


def test_the_solve_api_and_its_result(warm):
    inst = generate(300, 25, seed=4)
    result = rewriter.solve(inst, method="cluster", time_limit=2.0, seed=3)
    assert result.method == "cluster" and result.seed == 3
    assert result.cost <= result.init_cost + 1e-9
    assert violations(inst, result.schedule["routes"]) == []
    assert result.info["clusters"] >= 2 and result.runtime_s < 2.5


def test_ctrl_c_during_the_cluster_solves_keeps_what_is_done(warm, monkeypatch):
    inst = generate(300, 25, seed=5)
    calls = []
    real = C.solver_schedule

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "solver_schedule", interrupted)
    out = C.solve_clustered(inst, time_limit=5.0, seed=0)
    assert out.status == "interrupted" and out.steps == 0 and len(calls) == 2
    assert violations(inst, out.best.routes) == []
    assert out.best.objective <= out.init_cost + 1e-9


def test_clusters_are_repeatable():
    inst = generate(400, 30, seed=6)
    a, _ = C.build_clusters(inst, 50, seed=2)
    b, _ = C.build_clusters(inst, 50, seed=2)
    assert [c.orders.tolist() for c in a] == [c.orders.tolist() for c in b]
    assert [c.operators.tolist() for c in a] == [c.operators.tolist() for c in b]
    start = build("insertion", inst)
    assert [c.orders.tolist() for c in C.route_clusters(inst, start, 50)] == \
        [c.orders.tolist() for c in C.route_clusters(inst, start, 50)]


@pytest.mark.parametrize("mode", C.MODES)
def test_explicit_matrices_end_to_end(warm, mode):
    """Clusters by the matrix rows (k-medoids); the stitched and final schedules validate."""
    base = generate(120, 12, seed=7)
    index = np.arange(base.n_orders)
    inst = CrewInstance("explicit", base.orders, base.hours, base.operators, base.capacity,
                        base.active, base.speed, base.alpha, base.beta,
                        order_travel=1.1 * base.travel_between(index[:, None], index[None, :]))
    out = C.solve_clustered(inst, time_limit=1.5, seed=0, target=30, mode=mode)
    assert out.info["clusters"] >= 2 and violations(inst, out.best.routes) == []
    assert out.runtime_s < 2.0


@pytest.mark.parametrize("kwargs, message", [
    ({"time_limit": 0}, "time limit must be a positive"),
    ({"time_limit": 1, "mode": "grid"}, "unknown cluster mode"),
    ({"time_limit": 1, "solve_share": 2}, "solve share"),
    ({"time_limit": 1, "target": 0}, "cluster size"),
])
def test_bad_options_are_one_input_error(kwargs, message):
    with pytest.raises(InputError, match=message):
        C.solve_clustered(generate(20, 3, seed=0), **kwargs)
