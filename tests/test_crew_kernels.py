"""Crew route kernels and local search, checked against plain Python: every move's O(1) price
equals the objective of the routes the move makes, recomputed by hand; applying a move gives
those routes and a consistent state; neighbour lists equal brute force; the search never
returns a worse or infeasible schedule, improves a bad start, repeats itself for a seed and
keeps its time limit."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.crew import kernels as K
from rewriter.crew.instance import CrewInstance
from rewriter.crew.schedule import TOLERANCE, CrewSchedule
from rewriter.crew.search import CrewLocalSearch, CrewTabuSettings, local_search, neighbour_lists
from rewriter.errors import InputError

REL = 1e-9


# ---- plain Python oracle -------------------------------------------------------------------------
def py_leg(inst: CrewInstance, k: int, a: int, b: int) -> float:
    """Travel into order ``b`` from order ``a`` (-1: operator ``k``'s start)."""
    if a < 0:
        if inst.start_travel is not None:
            return float(inst.start_travel[k][b])
        (x0, y0), (x1, y1) = inst.operators[k], inst.orders[b]
    else:
        if inst.order_travel is not None:
            return float(inst.order_travel[a][b])
        (x0, y0), (x1, y1) = inst.orders[a], inst.orders[b]
    return math.hypot(x1 - x0, y1 - y0) / inst.speed


def py_time(inst: CrewInstance, k: int, route: list) -> float:
    total, a = 0.0, -1
    for b in route:
        total += py_leg(inst, k, a, b) + float(inst.hours[b])
        a = b
    return total


def py_objective(inst: CrewInstance, routes: list) -> float:
    times = [py_time(inst, k, r) for k, r in enumerate(routes)]
    activated = sum(1 for k, r in enumerate(routes) if r and not inst.active[k])
    return inst.alpha * max(times) + inst.beta * activated


def where(routes: list, v: int) -> tuple[int, int]:
    for k, r in enumerate(routes):
        if v in r:
            return k, r.index(v)
    raise AssertionError(v)


def py_relocate(routes, v, k2, a):
    """The routes after the move, or None when the kernel must refuse it as invalid."""
    k1, i = where(routes, v)
    prev = routes[k1][i - 1] if i > 0 else -1
    if a == v or (a >= 0 and a not in routes[k2]) or (k2 == k1 and a == prev):
        return None
    new = [list(r) for r in routes]
    new[k1].remove(v)
    new[k2].insert(0 if a < 0 else new[k2].index(a) + 1, v)
    return new


def py_swap(routes, v, u):
    if v == u:
        return None
    (k1, i), (k2, j) = where(routes, v), where(routes, u)
    new = [list(r) for r in routes]
    new[k1][i], new[k2][j] = u, v
    return new


def py_two_opt(routes, a, b):
    (k1, i), (k2, j) = where(routes, a), where(routes, b)
    if k1 != k2 or i >= j:
        return None
    new = [list(r) for r in routes]
    new[k1][i:j + 1] = new[k1][i:j + 1][::-1]
    return new


def py_or_opt(routes, a, length, k2, c, reverse):
    k1, i = where(routes, a)
    seg = routes[k1][i:i + length]
    prev = routes[k1][i - 1] if i > 0 else -1
    if length not in (2, 3) or len(seg) < length or c in seg or (c >= 0 and c not in routes[k2]) \
            or (k2 == k1 and c == prev):
        return None
    new = [list(r) for r in routes]
    del new[k1][i:i + length]
    at = 0 if c < 0 else new[k2].index(c) + 1
    new[k2][at:at] = seg[::-1] if reverse else seg
    return new


def all_moves(routes, n, m):
    """Every move the kernels price, valid or not: (kind, args, Python result)."""
    positions = [[-1] + r for r in routes]
    for v in range(n):
        for k in range(m):
            for a in positions[k] + [v]:
                yield "relocate", (v, k, a), py_relocate(routes, v, k, a)
        for u in range(n):
            yield "swap", (v, u), py_swap(routes, v, u)
            yield "two_opt", (v, u), py_two_opt(routes, v, u)
        for length in (2, 3):
            for k in range(m):
                for c in positions[k]:
                    for rev in (False, True):
                        yield "or_opt", (v, length, k, c, rev), \
                            py_or_opt(routes, v, length, k, c, rev)


EVAL = {"relocate": K.eval_relocate, "swap": K.eval_swap, "two_opt": K.eval_two_opt,
        "or_opt": K.eval_or_opt}
APPLY = {"relocate": K.apply_relocate, "swap": K.apply_swap, "two_opt": K.apply_two_opt,
         "or_opt": K.apply_or_opt}


def touched(old, new):
    return [k for k in range(len(old)) if old[k] != new[k]]


# ---- instances -------------------------------------------------------------------------------
@st.composite
def instances(draw, max_orders=7, max_operators=3):
    """Small instances with the awkward cases: one operator or order, zero hours, points on a
    3 x 3 grid (coincident), explicit asymmetric matrices, idle operators, capacities exactly
    at the start routes' times (tight: many moves refused). Returns (instance, start routes)."""
    n = draw(st.integers(1, max_orders))
    m = draw(st.integers(1, max_operators))
    coord = st.integers(0, 2).map(float)
    orders = draw(st.lists(st.tuples(coord, coord), min_size=n, max_size=n))
    operators = draw(st.lists(st.tuples(coord, coord), min_size=m, max_size=m))
    hours = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n, max_size=n))
    active = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    explicit = draw(st.sampled_from(["none", "start", "order", "both"]))
    value = st.integers(0, 6).map(float)
    start_travel = order_travel = None
    if explicit in ("start", "both"):
        start_travel = np.array(draw(st.lists(value, min_size=m * n, max_size=m * n))).reshape(m, n)
    if explicit in ("order", "both"):
        order_travel = np.array(draw(st.lists(value, min_size=n * n, max_size=n * n))).reshape(n, n)
        np.fill_diagonal(order_travel, 0.0)
    owner = draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n))
    perm = draw(st.permutations(range(n)))
    routes = [[i for i in perm if owner[i] == k] for k in range(m)]
    base = CrewInstance("t", orders, hours, operators, np.full(m, 1e9), active,
                        speed=draw(st.sampled_from([0.5, 1.0, 2.0])),
                        alpha=draw(st.sampled_from([1.0, 0.5, 0.0])),
                        beta=draw(st.sampled_from([0.0, 1.0, 3.5])),
                        start_travel=start_travel, order_travel=order_travel)
    slack = draw(st.sampled_from([0.0, 1.0, 1e9]))
    capacity = [py_time(base, k, routes[k]) + slack for k in range(m)]
    inst = CrewInstance("t", orders, hours, operators, capacity, active, speed=base.speed,
                        alpha=base.alpha, beta=base.beta, start_travel=start_travel,
                        order_travel=order_travel)
    return inst, routes


def check_state(inst, rs, routes):
    """Every field of the route state agrees with the routes, recomputed in Python."""
    route_of, prev, nxt, pos, fwd, bwd, first, last, count, times, info = rs
    assert K.routes_of(rs) == routes
    for k, r in enumerate(routes):
        assert first[k] == (r[0] if r else -1) and last[k] == (r[-1] if r else -1)
        assert count[k] == len(r)
        assert times[k] == pytest.approx(py_time(inst, k, r), rel=REL, abs=REL)
        f = b = 0.0
        for i, x in enumerate(r):
            if i > 0:
                f += py_leg(inst, k, r[i - 1], x)
                b += py_leg(inst, k, x, r[i - 1])
            assert (route_of[x], pos[x]) == (k, i)
            assert prev[x] == (r[i - 1] if i > 0 else -1)
            assert nxt[x] == (r[i + 1] if i + 1 < len(r) else -1)
            assert fwd[x] == pytest.approx(f, rel=REL, abs=REL)
            assert bwd[x] == pytest.approx(b, rel=REL, abs=REL)
    py_times = sorted((py_time(inst, k, r) for k, r in enumerate(routes)), reverse=True)
    tops = [times[k] for k in info[:3] if k >= 0]
    assert len(tops) == min(3, len(routes))
    assert tops == pytest.approx(py_times[:3], rel=REL, abs=REL)
    assert info[3] == sum(1 for k, r in enumerate(routes) if r and not inst.active[k])


# ---- kernels ---------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(instances(max_orders=6, max_operators=4))
def test_every_move_price_equals_recomputed_objective(case):
    check_every_move(*case)


def test_prices_read_the_third_longest_route():
    """Two crossed routes (each operator serves the other's order): swapping them empties the
    two longest routes' travel, so the new makespan is the third longest route's time."""
    inst = CrewInstance("x", [[100, 0], [0, 0], [50, 5], [60, 0]], [0, 0, 0, 0],
                        [[0, 0], [100, 0], [50, 0], [60, 0]], [1e3] * 4, [True] * 4)
    routes = [[0], [1], [2], [3]]
    check_every_move(inst, routes)
    rs, it, cfg = K.state_of(CrewSchedule(inst, routes))
    assert K.eval_swap(0, 1, rs, it, cfg)[0] == pytest.approx(5.0)


def check_every_move(inst, routes):
    schedule = CrewSchedule(inst, routes)
    rs, it, cfg = K.state_of(schedule)
    check_state(inst, rs, routes)
    assert K.current_objective(rs, cfg) == pytest.approx(py_objective(inst, routes), rel=REL,
                                                         abs=REL)
    old_total = sum(py_time(inst, k, r) for k, r in enumerate(routes))
    for kind, args, new in all_moves(routes, inst.n_orders, inst.n_operators):
        obj, d_total = EVAL[kind](*args, rs, it, cfg)
        if new is None:
            assert obj == np.inf, (kind, args)
            continue
        feasible = all(py_time(inst, k, new[k]) <= inst.capacity[k] + TOLERANCE
                       for k in touched(routes, new))
        if not feasible:
            assert obj == np.inf, (kind, args, new)
            continue
        assert obj == pytest.approx(py_objective(inst, new), rel=REL, abs=REL), (kind, args, new)
        new_total = sum(py_time(inst, k, r) for k, r in enumerate(new))
        assert d_total == pytest.approx(new_total - old_total, rel=REL, abs=1e-8), (kind, args)


@settings(max_examples=40, deadline=None)
@given(instances(max_orders=6), st.data())
def test_applied_moves_give_the_routes_and_a_consistent_state(case, data):
    inst, routes = case
    moves = all_moves(routes, inst.n_orders, inst.n_operators)
    valid = [(kind, args, new) for kind, args, new in moves if new is not None]
    if not valid:  # one order, one operator
        return
    for kind, args, new in data.draw(st.lists(st.sampled_from(valid), min_size=1, max_size=8)):
        rs, it, _ = K.state_of(CrewSchedule(inst, routes))
        APPLY[kind](*args, rs, it)
        check_state(inst, rs, new)


def test_flat_objective_and_route_times_match_python():
    rng = np.random.default_rng(5)
    inst = CrewInstance("t", rng.random((7, 2)), rng.random(7), rng.random((3, 2)),
                        np.full(3, 99.0), [True, False, False], beta=1.5,
                        order_travel=rng.integers(0, 5, (7, 7)).astype(float))
    routes = [[4, 0, 6], [], [1, 5, 2, 3]]
    orders, offsets = CrewSchedule(inst, routes).flat()
    times = np.zeros(inst.n_operators)
    K.route_times(orders, offsets, K.instance_tuple(inst), times)
    assert times.tolist() == pytest.approx([py_time(inst, k, r) for k, r in enumerate(routes)])
    cfg = K.config(inst, TOLERANCE)
    assert cfg[2] == 0.0  # an asymmetric matrix
    assert K.objective(orders, offsets, K.instance_tuple(inst), cfg) == \
        pytest.approx(py_objective(inst, routes))


def brute_nearest(points, k):
    d = ((points[None, :, :] - points[:, None, :]) ** 2).sum(axis=2)
    out = []
    for i in range(len(points)):
        js = [j for j in range(len(points)) if j != i]
        out.append(sorted(js, key=lambda j: (d[i, j], j))[:k])
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 60), st.integers(1, 12), st.sampled_from(["spread", "grid", "line", "same"]),
       st.integers(0, 99))
def test_grid_neighbours_equal_brute_force(n, k, layout, seed):
    rng = np.random.default_rng(seed)
    if layout == "spread":
        points = rng.random((n, 2)) * 100
    elif layout == "grid":
        points = rng.integers(0, 4, (n, 2)).astype(float)  # many ties and coincident points
    elif layout == "line":
        points = np.stack([rng.random(n) * 50, np.full(n, 3.0)], axis=1)
    else:
        points = np.ones((n, 2))
    out = np.full((n, min(k, n - 1)), -1, np.int64)
    K.knn_grid(points, out)
    assert out.tolist() == brute_nearest(points, min(k, n - 1))


def test_matrix_and_operator_neighbours_equal_brute_force():
    rng = np.random.default_rng(3)
    n, m = 15, 4
    travel = rng.integers(0, 9, (n, n)).astype(float)
    inst = CrewInstance("t", rng.random((n, 2)), np.ones(n), rng.random((m, 2)), np.full(m, 1e9),
                        np.ones(m, bool), order_travel=travel)
    near, near_ops = neighbour_lists(inst, 5, 3)
    key = travel + travel.T
    for i in range(n):
        want = sorted((j for j in range(n) if j != i), key=lambda j: (key[i, j], j))[:5]
        assert near[i].tolist() == want
        starts = [math.hypot(*(inst.orders[i] - inst.operators[k])) for k in range(m)]
        assert near_ops[i].tolist() == sorted(range(m), key=lambda k: (starts[k], k))[:3]


# ---- search ----------------------------------------------------------------------------------
def feasible(schedule: CrewSchedule) -> bool:
    inst = schedule.instance
    served = sorted(i for r in schedule.routes for i in r.tolist())
    times = [py_time(inst, k, r.tolist()) for k, r in enumerate(schedule.routes)]
    return served == list(range(inst.n_orders)) and all(
        t <= c + TOLERANCE for t, c in zip(times, inst.capacity))


@settings(max_examples=40, deadline=None)
@given(instances(max_orders=10, max_operators=4), st.sampled_from(["tabu", "greedy"]),
       st.integers(0, 5))
def test_search_never_returns_worse_or_infeasible(case, policy, seed):
    inst, routes = case
    start = CrewSchedule(inst, routes)
    out = local_search(start, steps=60, seed=seed, policy=policy,
                       settings=CrewTabuSettings(stall=15))
    assert feasible(out.best)
    assert out.best.objective <= start.objective + 1e-9
    assert out.best_cost == pytest.approx(py_objective(inst, [r.tolist() for r in out.best.routes]),
                                          rel=REL, abs=REL)
    assert out.status in ("completed", "local_optimum", "optimal", "stuck")


def clustered(n=40, m=6, seed=1, beta=0.0):
    rng = np.random.default_rng(seed)
    return CrewInstance("c", rng.random((n, 2)) * 50, rng.random(n) * 2, rng.random((m, 2)) * 50,
                        np.full(m, 1e6), np.arange(m) % 2 == 0, beta=beta)


def test_search_improves_a_bad_start_and_repeats_for_a_seed():
    inst = clustered(beta=2.0)
    bad = CrewSchedule(inst, [list(range(inst.n_orders))] + [[]] * (inst.n_operators - 1))
    runs = [local_search(bad, steps=300, seed=7) for _ in range(2)]
    assert runs[0].best.objective < 0.6 * bad.objective
    assert [r.tolist() for r in runs[0].best.routes] == [r.tolist() for r in runs[1].best.routes]
    assert [(s, c) for s, _, c in runs[0].trace[:-1]] == [(s, c) for s, _, c in runs[1].trace[:-1]]
    greedy = local_search(bad, seed=7, policy="greedy")
    assert greedy.status == "local_optimum" and greedy.best.objective < bad.objective


def test_search_keeps_its_time_limit():
    inst = clustered(n=400, m=20, seed=2)
    start = CrewSchedule(inst, [list(range(k, 400, 20)) for k in range(20)])
    local_search(start, steps=5)  # compiled or loaded before the clock starts
    t0 = time.perf_counter()
    out = local_search(start, time_limit=0.3, seed=1)
    assert out.status == "time_limit"
    assert time.perf_counter() - t0 < 1.0
    assert out.best.objective <= start.objective and feasible(out.best)


def test_one_order_one_operator_and_bad_starts():
    inst = CrewInstance("one", [[3.0, 4.0]], [1.0], [[0.0, 0.0]], [10.0], [True])
    out = local_search(CrewSchedule(inst, [[0]]), steps=10)
    assert out.status == "optimal" and out.best_cost == pytest.approx(6.0)
    tight = CrewInstance("t", [[3.0, 4.0], [0, 0]], [1.0, 0.0], [[0.0, 0.0]], [5.0], [True])
    with pytest.raises(InputError, match="capacity"):
        CrewLocalSearch(CrewSchedule(tight, [[0, 1]]))
    with pytest.raises(InputError, match="exactly once"):
        CrewLocalSearch(CrewSchedule(tight, [[0]]))
    with pytest.raises(InputError, match="policy"):
        CrewLocalSearch(CrewSchedule(tight, [[1, 0]]), policy="walk")
