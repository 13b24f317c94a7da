"""The flexible shop's local search: every move priced exactly and acyclic, every step a valid
schedule, greedy ends at a local optimum, tabu never ends worse than its start, budgets and
Ctrl-C are honoured, and a job shop in flexible clothing is solved as well as the job shop."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.errors import InputError
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.dispatching import dispatch_schedule
from rewriter.fjsp.schedule import FlexibleSchedule, objective_value
from rewriter.fjsp.search import FlexibleLocalSearch, FlexibleTabuSettings
from rewriter.fjsp.solve import POLICIES, solve
from rewriter.fjsp.validate import check_schedule

from .test_fjsp_core import _networkx_heads, _random_schedule, instances

OBJ = ["makespan", "tardiness", "combined"]


def _moved(sch: FlexibleSchedule, v: int, k: int, a: int) -> FlexibleSchedule | None:
    """``sch`` with ``v`` moved to machine ``k`` right after ``a`` (-1: front), rebuilt from
    scratch in plain Python; None if the move makes a cycle."""
    seqs = [[o for o in seq if o != v] for seq in sch.sequences()]
    seqs[k].insert(0 if a < 0 else seqs[k].index(a) + 1, v)
    assign = sch.assign.copy()
    assign[v] = k
    try:
        return FlexibleSchedule(sch.instance, assign, seqs)
    except ValueError:
        return None


def _cost(sch: FlexibleSchedule, objective: str) -> float:
    return objective_value(sch.values(), objective, 2.0)


def _all_positions(sch: FlexibleSchedule, v: int):
    inst = sch.instance
    seqs = sch.sequences()
    for k, _ in inst.eligible(v):
        rest = [o for o in seqs[k] if o != v]
        for a in [-1] + rest:
            if k == sch.assign[v] and a == (sch.mach_pred[v] if sch.mach_pred[v] >= 0 else -1):
                continue  # where it is
            yield k, a


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(OBJ))
def test_every_move_is_priced_exactly_and_every_acyclic_position_is_offered(inst, seed, objective):
    sch = _random_schedule(inst, seed)
    search = FlexibleLocalSearch(sch, "tabu", "full", seed=seed, objective=objective,
                                 tardiness_weight=2.0)
    assert search.cost == _cost(sch, objective)
    offered = {(int(v), int(k), int(a)): c for v, k, a, _, c, _ in search.moves()}
    for v in search.candidates():
        for k, a in _all_positions(sch, v):
            after = _moved(sch, v, k, a)
            key = (v, k, a)
            if after is None:
                assert key not in offered  # never a cycle
                continue
            assert after.heads.tolist() == _networkx_heads(after)
            if objective == "makespan":  # every acyclic position, priced exactly in O(1)
                assert offered[key] == after.makespan
            elif key in offered:  # the two kept per machine, priced exactly
                assert offered[key] == _cost(after, objective)
    assert search.best().assign.tolist() == sch.assign.tolist()  # scanning changed nothing
    assert search.current().heads.tolist() == sch.heads.tolist()


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 10**6), st.sampled_from(["tabu", "random", "greedy"]),
       st.sampled_from(["full", "n5", "n5+reassign"]), st.sampled_from(OBJ))
def test_every_step_leaves_a_valid_schedule_at_its_exact_cost(inst, seed, policy, moves, objective):
    sch = _random_schedule(inst, seed)
    search = FlexibleLocalSearch(sch, policy, moves, FlexibleTabuSettings(stall=5), seed=seed,
                                 objective=objective, tardiness_weight=2.0)
    for _ in range(12):
        done, status, _ = search.advance(1)
        cur = search.current()
        values = check_schedule(inst, cur.assign, cur.heads)  # valid (raises otherwise)
        assert cur.heads.tolist() == _networkx_heads(cur)
        assert search.cost == _cost(cur, objective) == objective_value(
            {**cur.values(), **values}, objective, 2.0)
        best = search.best()
        assert _cost(best, objective) == search.best_cost <= search.initial_cost
        if status is not None:
            break


@settings(max_examples=30, deadline=None)
@given(instances(max_jobs=5, max_machines=3), st.integers(0, 10**6), st.sampled_from(["full", "n5"]))
def test_greedy_ends_at_a_local_optimum(inst, seed, moves):
    sch = _random_schedule(inst, seed)
    r = solve(inst, policy="greedy", moves=moves, steps=10_000, start=sch, seed=seed)
    assert r.status in ("local_optimum", "optimal")
    best = r.solution
    assert r.makespan <= sch.makespan
    if r.status == "optimal":
        return
    # brute force in plain Python: no move of the neighbourhood improves
    search = FlexibleLocalSearch(best, "greedy", moves)
    crit = [o for o in range(inst.n_operations)
            if best.heads[o] + best.dur[o] + search.st[9][o] == best.makespan]
    assert sorted(crit) == sorted(search.candidates())
    if moves == "full":
        for v in crit:
            for k, a in _all_positions(best, v):
                after = _moved(best, v, k, a)
                assert after is None or after.makespan >= best.makespan
    else:
        for _, _, _, _, c, _ in search.moves():
            assert c >= best.makespan


@pytest.mark.parametrize("objective", OBJ)
@pytest.mark.parametrize("policy", [p for p in POLICIES if p != "learned"])  # learned: test_fjsp_rewrite
def test_every_policy_returns_a_valid_schedule_no_worse_than_its_start(policy, objective):
    inst = load_instance("prod_30x10_s1")
    steps = 3 if policy == "lns" else 300  # a rewrite is a CP-SAT sub-solve, not a move
    limit = 2.0 if policy == "lns" else None  # ... of which three within two seconds
    r = solve(inst, init="fifo-spt", policy=policy, steps=steps, time_limit=limit, seed=1,
              objective=objective)
    check_schedule(inst, r.solution.assign, r.solution.heads)
    assert r.values[r.objective] <= r.init_cost and r.steps <= steps
    steps = [s for s, _, _ in r.trace]
    bests = [b for _, _, b in r.trace]
    assert steps == sorted(steps) and bests == sorted(bests, reverse=True)
    assert bests[-1] == r.values[r.objective] and bests[0] == r.init_cost


def test_tabu_solves_brandimarte_mk01_and_improves_mk04():
    r = solve(load_instance("mk01"), steps=20_000, time_limit=20, seed=0)
    assert r.makespan == 40 and r.status == "optimal"
    r = solve(load_instance("mk04"), steps=3000, seed=0)
    assert r.makespan <= 67 < r.init_makespan == 75


def test_a_job_shop_in_the_flexible_shop_reaches_the_job_shops_optimum():
    r = solve(load_instance("jssp:ft06"), steps=5000, time_limit=30, seed=0)
    assert r.makespan == 55


def test_same_seed_same_result():
    inst = load_instance("mk05")
    a = solve(inst, steps=1500, seed=3)
    b = solve(inst, steps=1500, seed=3)
    assert a.makespan == b.makespan and a.solution.to_dict() == b.solution.to_dict()


def test_time_limit_returns_best_so_far():
    inst = load_instance("prod_200x50_s0")
    solve(inst, steps=2, seed=0)  # compiled outside the timed part
    t = time.perf_counter()
    r = solve(inst, steps=None, time_limit=0.5, seed=0)
    assert time.perf_counter() - t < 3.0
    assert r.status == "time_limit" and r.makespan < r.init_makespan
    check_schedule(inst, r.solution.assign, r.solution.heads)


def test_ctrl_c_returns_best_so_far():
    inst = load_instance("prod_200x50_s0")
    solve(inst, steps=2, seed=0)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        r = solve(inst, steps=None, time_limit=20, seed=0)
    finally:
        timer.cancel()
    assert r.status == "interrupted" and r.runtime_s < 5
    assert r.makespan < r.init_makespan
    check_schedule(inst, r.solution.assign, r.solution.heads)


@pytest.mark.parametrize("kwargs", [dict(policy="learned", objective="tardiness"), dict(moves="n7"), dict(steps=-1),
                                    dict(time_limit=-1.0), dict(steps=None, time_limit=None),
                                    dict(tabu=FlexibleTabuSettings(tenure_min=4, tenure_max=2))])
def test_bad_options_raise_input_error(kwargs):
    from rewriter import registry

    with pytest.raises(InputError):  # the spec's solve: the learned policy is a learner's
        registry.get("fjsp").run(load_instance("mk01"), **{"init": "mwkr-eet", "policy": "tabu",
                                                           **kwargs})


def test_tabu_memory_is_linear_in_the_operations():
    inst = load_instance("mk10")
    search = FlexibleLocalSearch(dispatch_schedule(inst), "tabu")
    assert search.tabu.shape == (inst.n_operations, 5)
    assert np.array(search.params).tolist()[:2] == [3 + 240 // 150, 4 * (3 + 240 // 150)]


def test_a_rule_column_of_compare_is_the_rule_alone():
    from rewriter.fjsp.spec import methods

    r = methods()["mwkr-eet"].run(load_instance("mk01"))
    assert r.method == "dispatch" and r.steps == 0 and r.makespan == 44
