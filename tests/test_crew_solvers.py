"""Crew (issue 38): the construction rules, the exact CP-SAT model, the OR-Tools routing
reference and the training labels, checked against plain-Python feasibility, slow reference
rules and brute force over every route of tiny instances."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.crew.cpsat import MAX_ORDERS, ExactResult, label_dataset, labels, solve_exact
from rewriter.crew.dispatching import RULES, build
from rewriter.crew.instance import CrewInstance
from rewriter.crew.routing import solve_routing
from rewriter.crew.schedule import TOLERANCE, CrewSchedule
from rewriter.errors import InputError, NoSchedule


# ---- plain-Python reference pieces -------------------------------------------------------------
def _start_leg(inst, k, i):
    if inst.start_travel is not None:
        return float(inst.start_travel[k][i])
    (x, y), (a, b) = inst.orders[i].tolist(), inst.operators[k].tolist()
    return math.hypot(x - a, y - b) / inst.speed


def _leg(inst, i, j):
    if inst.order_travel is not None:
        return float(inst.order_travel[i][j])
    (x, y), (a, b) = inst.orders[j].tolist(), inst.orders[i].tolist()
    return math.hypot(x - a, y - b) / inst.speed


def _route_time(inst, k, route):
    if not route:
        return 0.0
    total = _start_leg(inst, k, route[0]) + float(inst.hours[route[0]])
    for a, b in zip(route[:-1], route[1:]):
        total += _leg(inst, a, b) + float(inst.hours[b])
    return total


def _objective(inst, routes):
    times = [_route_time(inst, k, r) for k, r in enumerate(routes)]
    activated = sum(1 for k, r in enumerate(routes) if r and not inst.active[k])
    return inst.alpha * max(times) + inst.beta * activated


def _assert_feasible(inst, schedule: CrewSchedule):
    routes = [r.tolist() for r in schedule.routes]
    assert len(routes) == inst.n_operators
    served = sorted(i for r in routes for i in r)
    assert served == list(range(inst.n_orders)), f"orders served: {served}"
    for k, r in enumerate(routes):
        assert _route_time(inst, k, r) <= inst.capacity[k] + TOLERANCE, (k, r)
    assert schedule.objective == pytest.approx(_objective(inst, routes), rel=1e-9, abs=1e-9)


def _brute_force(inst):
    """The optimum over every assignment and every order of every route (None: infeasible)."""
    n, m = inst.n_orders, inst.n_operators
    best_route = {}  # (operator, frozenset) -> least time within capacity (inf: none fits)
    for k in range(m):
        for size in range(n + 1):
            for subset in itertools.combinations(range(n), size):
                times = [_route_time(inst, k, list(p)) for p in itertools.permutations(subset)]
                least = min(times) if times else 0.0
                fits = least <= inst.capacity[k] + TOLERANCE
                best_route[k, frozenset(subset)] = least if fits else math.inf
    best = None
    for owner in itertools.product(range(m), repeat=n):
        times = [best_route[k, frozenset(i for i in range(n) if owner[i] == k)] for k in range(m)]
        if math.inf in times:
            continue
        used = set(owner)
        value = inst.alpha * max(times) + inst.beta * sum(1 for k in used if not inst.active[k])
        best = value if best is None else min(best, value)
    return best


def _slow_nearest(inst):
    sequence = sorted(range(inst.n_orders), key=lambda i: (-inst.hours[i], i))
    routes = [[] for _ in range(inst.n_operators)]
    times = [0.0] * inst.n_operators
    for i in sequence:
        makespan = max(times)
        keys = []
        for k, route in enumerate(routes):
            leg = _leg(inst, route[-1], i) if route else _start_leg(inst, k, i)
            grown = times[k] + leg + inst.hours[i]
            if grown <= inst.capacity[k] + TOLERANCE / 2:
                cost = inst.alpha * max(0.0, grown - makespan)
                cost += inst.beta if not inst.active[k] and not route else 0.0
                keys.append((cost, leg, k))
        if not keys:
            return None
        _, leg, k = min(keys)
        routes[k].append(i)
        times[k] += leg + inst.hours[i]
    return routes


def _slow_insertion(inst):
    routes = [[] for _ in range(inst.n_operators)]
    times = [0.0] * inst.n_operators
    left = set(range(inst.n_orders))
    while left:
        makespan = max(times)
        keys = []
        for i in sorted(left):
            for k, route in enumerate(routes):
                deltas = []
                for p in range(len(route) + 1):
                    into = _start_leg(inst, k, i) if p == 0 else _leg(inst, route[p - 1], i)
                    if p < len(route):
                        old = _start_leg(inst, k, route[0]) if p == 0 else _leg(inst, route[p - 1], route[p])
                        into += _leg(inst, i, route[p]) - old
                    deltas.append(into)
                p = int(np.argmin(deltas))
                extra = deltas[p] + inst.hours[i]
                grown = times[k] + extra
                if grown > inst.capacity[k] + TOLERANCE / 2:
                    continue
                cost = inst.alpha * max(0.0, grown - makespan)
                cost += inst.beta if not inst.active[k] and not route else 0.0
                keys.append((cost, extra, i, k, p))
        if not keys:
            return None
        _, extra, i, k, p = min(keys)
        routes[k].insert(p, i)
        times[k] += extra
        left.remove(i)
    return routes


# ---- instances -----------------------------------------------------------------------------------
def _universal(inst_orders, hours, operators, speed):
    """A capacity no route can exceed: longest start leg + (n - 1) longest legs + all hours."""
    points = np.vstack([inst_orders, operators])
    span = float(np.hypot(*(points.max(axis=0) - points.min(axis=0))))
    return (span * len(hours) / speed + float(np.sum(hours))) * 1.01 + 1.0


@st.composite
def crew_instances(draw, max_orders=6, max_operators=3, tight=True, matrices=True):
    n = draw(st.integers(1, max_orders))
    m = draw(st.integers(1, max_operators))
    coord = st.one_of(st.integers(0, 4).map(float), st.floats(0, 10, allow_nan=False))
    orders = np.array([[draw(coord), draw(coord)] for _ in range(n)])
    operators = np.array([[draw(coord), draw(coord)] for _ in range(m)])
    hours = np.array([draw(st.sampled_from([0.0, 0.5, 1.0, 2.25])) for _ in range(n)])
    active = np.array([draw(st.booleans()) for _ in range(m)])
    speed = draw(st.sampled_from([1.0, 2.5]))
    universal = _universal(orders, hours, operators, speed)
    if tight and draw(st.booleans()):
        capacity = np.array([draw(st.floats(0, universal / 2)) for _ in range(m)])
        capacity[draw(st.integers(0, m - 1))] = universal  # keeps the instance feasible
    else:
        capacity = np.full(m, universal)
    start_travel = order_travel = None
    if matrices and draw(st.integers(0, 3)) == 0:  # explicit (asymmetric) travel
        order_travel = np.array([[0.0 if i == j else draw(st.floats(0, 3)) for j in range(n)]
                                 for i in range(n)])
        start_travel = np.array([[draw(st.floats(0, 3)) for _ in range(n)] for _ in range(m)])
        capacity = np.maximum(capacity, 0.0)
        capacity[0] = 3.0 * (n + 1) + float(hours.sum())
    alpha = draw(st.sampled_from([0.0, 1.0, 2.5]))
    beta = draw(st.sampled_from([0.0, 1.0, 5.0]))
    return CrewInstance("hyp", orders, hours, operators, capacity, active, speed=speed,
                        alpha=alpha, beta=beta, start_travel=start_travel,
                        order_travel=order_travel)


def _random_instance(rng, n, m, tight=False, matrices=False):
    orders = rng.uniform(0, 10, (n, 2))
    operators = rng.uniform(0, 10, (m, 2))
    hours = rng.uniform(0, 2, n)
    universal = _universal(orders, hours, operators, 1.0)
    capacity = rng.uniform(universal / 8, universal / 2, m) if tight else np.full(m, universal)
    start_travel = order_travel = None
    if matrices:
        start_travel = rng.uniform(0, 5, (m, n))
        order_travel = rng.uniform(0, 5, (n, n))
    return CrewInstance("rand", orders, hours, operators, capacity, rng.random(m) < 0.5,
                        alpha=float(rng.uniform(0.5, 2)), beta=float(rng.uniform(0, 5)),
                        start_travel=start_travel, order_travel=order_travel)


# ---- rules ---------------------------------------------------------------------------------------
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crew_instances())
def test_every_rule_is_feasible_or_names_the_order_it_could_not_place(inst):
    generous = bool(np.all(inst.capacity >= _universal(inst.orders, inst.hours, inst.operators,
                                                       inst.speed)))
    for rule in RULES:
        try:
            schedule = build(rule, inst)
        except NoSchedule as exc:
            assert not generous, f"{rule} stuck with room everywhere: {exc}"
            assert "order " in str(exc) and rule in str(exc)
            continue
        _assert_feasible(inst, schedule)


@settings(max_examples=40, deadline=None)
@given(crew_instances(tight=False, matrices=False))
def test_rules_never_get_stuck_with_a_capacity_no_route_can_exceed(inst):
    for rule in RULES:
        _assert_feasible(inst, build(rule, inst))


@pytest.mark.parametrize("case", range(24))
def test_nearest_and_insertion_match_their_slow_plain_python_definitions(case):
    rng = np.random.default_rng(case)
    inst = _random_instance(rng, int(rng.integers(1, 25)), int(rng.integers(1, 6)),
                            tight=case % 3 == 1, matrices=case % 4 == 2)
    for rule, slow in (("nearest", _slow_nearest), ("insertion", _slow_insertion)):
        expected = slow(inst)
        if expected is None:
            with pytest.raises(NoSchedule):
                build(rule, inst)
            continue
        assert [r.tolist() for r in build(rule, inst).routes] == expected, rule


@pytest.mark.parametrize("case", range(4))
def test_insertion_matches_its_slow_definition_on_longer_routes(case):
    # long routes exercise the cached gaps: the split ones, the stale bounds and their rescans
    rng = np.random.default_rng(50 + case)
    inst = _random_instance(rng, 60, 1 + case % 2, matrices=case == 3)
    assert [r.tolist() for r in build("insertion", inst).routes] == _slow_insertion(inst)


@pytest.mark.parametrize("layout", ["uniform", "clustered"])
def test_rules_pass_the_independent_validator_on_generated_instances(layout):
    from rewriter.crew.generate import generate
    from rewriter.crew.validate import check_crew_schedule

    for n, m in ((40, 5), (300, 30)):
        inst = generate(n, m, layout=layout, seed=n)
        for rule in RULES:  # capacities bind on these, yet no rule gets stuck
            schedule = build(rule, inst)
            routes = [r.tolist() for r in schedule.routes]
            assert check_crew_schedule(inst, routes) == pytest.approx(schedule.objective)


def test_rules_refuse_an_unknown_rule_and_an_order_nobody_reaches():
    inst = CrewInstance("x", [[0, 0], [50, 0]], [1, 1], [[0, 0]], [10], [True])
    with pytest.raises(InputError, match="unknown crew rule"):
        build("cheapest", inst)
    with pytest.raises(InputError, match="order 1 is out of every operator's reach"):
        build("sweep", inst)


def test_insertion_fills_the_makespan_before_activating_an_expensive_operator():
    # the idle operator sits on the orders, but activating it costs more than the detour
    inst = CrewInstance("x", [[10, 0], [10, 1]], [1, 1], [[0, 0], [10, 0]], [100, 100],
                        [True, False], alpha=1.0, beta=50.0)
    for rule in RULES:
        schedule = build(rule, inst)
        assert schedule.activated == 0, rule
    cheap = CrewInstance("x", [[10, 0], [10, 1]], [1, 1], [[0, 0], [10, 0]], [100, 100],
                         [True, False], alpha=1.0, beta=0.5)
    assert build("insertion", cheap).routes[1].size == 2


# ---- exact ---------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crew_instances(max_orders=4, max_operators=3))
def test_cpsat_optimum_equals_brute_force(inst):
    expected = _brute_force(inst)
    result = solve_exact(inst, time_limit=2.0)
    if expected is None:
        assert result.status == "infeasible" and result.schedule is None
        return
    assert result.status == "optimal"
    _assert_feasible(inst, result.schedule)
    assert result.objective == pytest.approx(expected, rel=1e-3, abs=1e-6)
    assert result.bound <= expected + 1e-9


@pytest.mark.parametrize("case", range(6))
def test_cpsat_five_orders_and_a_hint_that_cannot_be_beaten_by_much(case):
    rng = np.random.default_rng(100 + case)
    inst = _random_instance(rng, 5, 2 + case % 2, tight=case % 2 == 0, matrices=case == 4)
    expected = _brute_force(inst)
    if expected is None:
        assert solve_exact(inst, time_limit=2.0).status == "infeasible"
        return
    result = solve_exact(inst, time_limit=2.0)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-3, abs=1e-6)
    again = solve_exact(inst, time_limit=2.0, hint=result.schedule)
    assert again.status == "optimal" and again.objective <= result.objective + 1e-9


def test_cpsat_refuses_large_instances_and_bad_hints():
    rng = np.random.default_rng(0)
    big = _random_instance(rng, MAX_ORDERS + 1, 2)
    with pytest.raises(InputError, match="routing"):
        solve_exact(big)
    small = _random_instance(rng, 3, 2)
    with pytest.raises(InputError, match="order 2 is served by no operator"):
        solve_exact(small, hint=CrewSchedule(small, [[0, 1], []]))
    with pytest.raises(InputError, match="need 2 routes"):
        solve_routing(small, hint=CrewSchedule(small, [[0, 1, 2]]))
    with pytest.raises(InputError, match="time limit"):
        solve_exact(small, time_limit=0)
    tight = CrewInstance("t", [[3, 0]], [1], [[0, 0]], [5], [True])
    with pytest.raises(InputError, match="hint is not a feasible.*over its capacity"):
        solve_exact(CrewInstance("t", [[3, 0]], [1], [[0, 0]], [3.5], [True]),
                    hint=CrewSchedule(tight, [[0]]))


def test_labels_describe_the_schedule():
    rng = np.random.default_rng(3)
    inst = _random_instance(rng, 7, 3)
    schedule = build("insertion", inst)
    activation, assignment = labels(schedule)
    assert activation.dtype == np.float32 and assignment.dtype == np.float32
    assert activation.shape == (3,) and assignment.shape == (3, 7)
    assert (assignment.sum(axis=0) == 1).all()
    assert (activation == (assignment.sum(axis=1) > 0)).all()
    owner = schedule.assignment()
    assert all(assignment[owner[i], i] == 1 for i in range(7))


def test_label_dataset_solves_generated_instances():
    data = label_dataset(2, 6, 2, seed=5, time_limit=2.0)
    assert [inst.name for inst, _ in data] == ["crew_u6x2_s5", "crew_c6x2_s6"]
    for inst, result in data:
        assert isinstance(result, ExactResult) and result.status == "optimal"
        _assert_feasible(inst, result.schedule)
        assert result.bound <= result.objective + 1e-9
        for rule in RULES:  # the optimum is no worse than any rule
            assert result.objective <= build(rule, inst).objective + 1e-6


# ---- routing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", range(3))
def test_routing_is_feasible_and_no_better_than_the_proven_optimum(case):
    rng = np.random.default_rng(200 + case)
    inst = _random_instance(rng, 6, 2 + case, tight=case == 1, matrices=case == 2)
    exact = solve_exact(inst, time_limit=2.0)
    routed = solve_routing(inst, time_limit=0.5)
    if exact.status == "infeasible":
        assert routed.schedule is None
        return
    assert exact.status == "optimal" and routed.status == "feasible"
    _assert_feasible(inst, routed.schedule)
    assert routed.objective >= exact.objective * (1 - 1e-3) - 1e-6


def test_routing_keeps_a_hint_it_cannot_improve_and_says_infeasible():
    rng = np.random.default_rng(7)
    inst = _random_instance(rng, 8, 3)
    hint = build("insertion", inst)
    routed = solve_routing(inst, time_limit=0.3, hint=hint)
    assert routed.status == "feasible" and routed.objective <= hint.objective + 1e-9
    _assert_feasible(inst, routed.schedule)
    far = CrewInstance("x", [[0, 0], [50, 0]], [1, 1], [[0, 0]], [10], [True])
    assert solve_routing(far, time_limit=0.2).status == "infeasible"
    assert solve_exact(far, time_limit=0.2).status == "infeasible"
    # every order reachable, but not both: routing finds nothing, CP-SAT proves it
    both = CrewInstance("x", [[1, 0], [-1, 0]], [3, 3], [[0, 0]], [5], [True])
    routed = solve_routing(both, time_limit=0.3)
    assert routed.status in ("unknown", "infeasible") and routed.schedule is None
    assert solve_exact(both, time_limit=1.0).status == "infeasible"


@pytest.mark.parametrize("matrices", [False, True])
def test_routing_callback_prices_arcs_as_the_dense_matrix_does(monkeypatch, matrices):
    from ortools.constraint_solver import pywrapcp

    import rewriter.crew.routing as routing

    inst = _random_instance(np.random.default_rng(11), 7, 2, matrices=matrices)
    dense = routing._RoutingModel(inst)
    monkeypatch.setattr(routing, "MATRIX_NODES", 0)
    called = routing._RoutingModel(inst)
    params = pywrapcp.DefaultRoutingSearchParameters()
    for model in (dense, called):
        model.routing.CloseModelWithParameters(params)
    size = dense.routing.Size()
    for vehicle in range(inst.n_operators):
        for a in range(size):
            for b in range(size):
                assert (dense.routing.GetArcCostForVehicle(a, b, vehicle)
                        == called.routing.GetArcCostForVehicle(a, b, vehicle))
    result = routing.solve_routing(inst, time_limit=0.3)
    assert result.status == "feasible"
    _assert_feasible(inst, result.schedule)
