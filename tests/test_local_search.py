"""Local search and the solve() driver: validity, optimality on small classics, budgets, Ctrl-C."""

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.validate import check_schedule
from rewriter import registry
from rewriter.jssp.solve import TabuSettings, initial_solution, solve

from . import reference as ref

JSSP = registry.get("jssp")


def solve_any(instance, *, init="mwkr", policy="learned", steps=200, **options):
    """A job-shop solve with any policy of its spec, the learners' included (by default the
    learned rewriter, 200 steps)."""
    return JSSP.run(instance, init=init, policy=policy, steps=steps, **options)

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name, optimum", [("ft06", 55), ("la01", 666), ("la05", 593)])
def test_tabu_reaches_known_optimum(name, optimum):
    r = solve(load_instance(name), policy="tabu", steps=200_000, time_limit=30, seed=0)
    assert r.makespan == optimum
    assert r.status == "optimal"
    assert check_schedule(r.instance, r.solution.start_matrix()) == optimum


def test_replay_of_a_known_schedule():
    stored = json.loads((DATA / "ft06_optimal.json").read_text())
    inst = load_instance("ft06")
    sol = JobShopSolution.from_machine_sequences(inst, stored["machine_sequences"])
    assert sol.makespan == stored["makespan"] == 55
    assert check_schedule(inst, sol.start_matrix()) == 55
    assert ref.makespan_networkx(inst, sol.order) == 55


@pytest.mark.parametrize("policy", JSSP.policies)
@pytest.mark.parametrize("moves", ["n5", "n1", "adjacent", "n7"])
def test_every_policy_returns_a_valid_schedule_no_worse_than_its_start(policy, moves):
    rng = np.random.default_rng(7)
    inst = ref.random_instance(rng, 8, 5)
    budget = 3 if policy == "lns" else 300  # a rewrite of lns is a CP-SAT sub-solve
    if policy == "lns" and moves != "n5":  # its tabu search polishes with N5 only
        with pytest.raises(InputError, match="N5"):
            solve_any(inst, init="spt", policy=policy, moves=moves, steps=budget, seed=1)
        return
    r = solve_any(inst, init="spt", policy=policy, moves=moves, steps=budget, seed=1)
    check_schedule(inst, r.solution.start_matrix(), r.makespan)
    assert r.makespan <= r.init_makespan
    assert r.steps <= budget
    steps = [s for s, _, _ in r.trace]
    bests = [b for _, _, b in r.trace]
    assert steps == sorted(steps) and bests == sorted(bests, reverse=True)
    assert bests[-1] == r.makespan and bests[0] == r.init_makespan


def test_same_seed_same_result():
    inst = load_instance("ta01")
    a = solve(inst, policy="tabu", steps=3000, seed=5)
    b = solve(inst, policy="tabu", steps=3000, seed=5)
    assert a.makespan == b.makespan and a.solution.order.tolist() == b.solution.order.tolist()
    c = solve(inst, policy="random", steps=500, seed=5)
    d = solve(inst, policy="random", steps=500, seed=5)
    assert c.solution.order.tolist() == d.solution.order.tolist()


@pytest.mark.parametrize("moves, seed", [("n1", 11), ("n7", 12)])
def test_greedy_stops_at_a_local_optimum(moves, seed):
    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, 10, 6)
    r = solve(inst, init="fifo", policy="greedy", moves=moves, steps=10_000, seed=0)
    assert r.status in ("local_optimum", "optimal")
    sol = r.solution
    for u, v in sol.moves(moves):  # brute force: no move of the neighbourhood improves
        trial = sol.copy()
        if trial.relocate(int(u), int(v)):  # a swap when u, v are adjacent
            assert trial.makespan >= sol.makespan


@pytest.mark.parametrize("name, optimum", [("ft06", 55), ("la01", 666)])
def test_tabu_n7_reaches_known_optimum(name, optimum):
    r = solve(load_instance(name), policy="tabu", moves="n7", steps=200_000, time_limit=30, seed=0)
    assert r.makespan == optimum


def test_time_limit_returns_best_so_far():
    inst = load_instance("ta41")
    t = time.perf_counter()
    r = solve(inst, policy="tabu", steps=None, time_limit=0.5, seed=0)
    assert time.perf_counter() - t < 3.0
    assert r.status == "time_limit" and r.makespan < r.init_makespan
    check_schedule(inst, r.solution.start_matrix(), r.makespan)


def test_ctrl_c_returns_best_so_far():
    inst = load_instance("ta41")
    solve(inst, policy="tabu", steps=10, seed=0)  # compile outside the timed part
    timer = threading.Timer(0.4, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        r = solve(inst, policy="tabu", steps=None, time_limit=20, seed=0)
    finally:
        timer.cancel()
    assert r.status == "interrupted" and r.runtime_s < 5
    assert r.makespan < r.init_makespan
    check_schedule(inst, r.solution.start_matrix(), r.makespan)


def test_ta41_200_steps_is_valid_and_clearly_better_than_mwkr():
    inst = load_instance("ta41")
    r = solve(inst, init="mwkr", policy="tabu", steps=200, seed=0)
    assert r.steps == 200 and r.makespan < 0.95 * r.init_makespan
    assert r.runtime_s < 5
    d = r.to_dict()
    assert d["instance"] == "ta41" and d["n_jobs"] == 30 and d["upper_bound"] == 2005
    assert d["gap_percent"] == round(100 * (d["makespan"] - 2005) / 2005, 2)
    assert len(d["operations"]) == 600
    assert all(o["end"] - o["start"] == inst.durations[o["job"], o["op"]] for o in d["operations"])


def test_zero_length_operations_are_scheduled_validly():
    r = solve(load_instance("orb07"), policy="tabu", steps=2000, seed=0)
    check_schedule(r.instance, r.solution.start_matrix(), r.makespan)


@pytest.mark.parametrize("kwargs", [dict(policy="annealing"), dict(init="edd"), dict(moves="n9"),
                                    dict(steps=-1), dict(time_limit=-2.0),
                                    dict(steps=None, time_limit=None),
                                    dict(policy="tabu", tabu=TabuSettings(tenure_min=5, tenure_max=2)),
                                    dict(policy="tabu", tabu=TabuSettings(tie_break="slack")),
                                    dict(samples=0), dict(samples=2, decoding="argmax"),
                                    dict(explore_after=-1)])
def test_bad_options_raise_input_error(kwargs):
    with pytest.raises(InputError):
        solve_any(load_instance("ft06"), **kwargs)


def test_initial_solution_matches_dispatch():
    inst = load_instance("ft06")
    assert initial_solution(inst, "mwkr").makespan == 67


def test_learned_decoding_is_argmax_for_one_trajectory_and_sampled_for_several():
    inst = load_instance("ft10")
    one = solve_any(inst, steps=30, seed=0)
    assert one.info["decoding"] == "argmax" and one.info["samples"] == 1
    again = solve_any(inst, steps=30, seed=0)
    assert [(s, c) for s, _, c in again.trace] == [(s, c) for s, _, c in one.trace]
    sampled = solve_any(inst, steps=30, seed=0, decoding="sample")
    several = solve_any(inst, steps=30, seed=0, samples=3)
    assert sampled.info["decoding"] == several.info["decoding"] == "sampled"
    for r in (one, sampled, several):
        check_schedule(inst, r.solution.start_matrix(), r.makespan)


@pytest.mark.parametrize("moves", ["n5", "n7"])
@pytest.mark.parametrize("seed", range(6))
def test_tabu_pressure_tie_break_takes_the_lexicographic_best_move(moves, seed):
    """One tabu step with ``tie_break="pressure"`` lands where trying every candidate says it
    should: the lowest makespan, then the lowest pressure (heads and tails from networkx)."""
    from rewriter.jssp.rewrite import JobShopState
    from rewriter.jssp.solve import LocalSearch

    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, 8, 4)
    sol = JobShopSolution(inst, ref.random_acyclic_order(rng, inst))
    pairs, _ = JobShopState(sol.copy(), moves).candidates()

    def pressure(order, makespan):
        heads, tails, _ = ref.heads_tails(inst, order)
        return float(np.mean(((np.array(heads) + inst.op_duration + tails) / makespan) ** 2))

    outcomes = []
    for x, w in pairs.tolist():
        trial = sol.copy()
        assert trial.relocate(x, w)
        outcomes.append((trial.makespan, pressure(trial.order, sol.makespan)))
    search = LocalSearch(sol.copy(), "tabu", moves, TabuSettings(tie_break="pressure"), seed)
    search.advance(1)
    after = (search.sol.makespan, pressure(search.sol.order, sol.makespan))
    assert after == pytest.approx(min(outcomes), abs=1e-9)
    check_schedule(inst, search.best().start_matrix())


@pytest.mark.parametrize("moves", ["n5", "n7"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tabu_keeps_heads_tails_and_its_topological_order_exact_between_chunks(moves, seed):
    """The incremental update after each swap leaves the search's graph state equal to a full
    evaluation of its machine orders, chunk after chunk (the order carries over between them)."""
    from rewriter.jssp.search import LocalSearch

    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, 6, 4, reentrant=bool(seed % 2))
    sol = JobShopSolution(inst, ref.random_acyclic_order(rng, inst))
    search = LocalSearch(sol, "tabu", moves, TabuSettings(stall=40), seed)
    for _ in range(60):
        search.advance(int(rng.integers(1, 9)))
        fresh = JobShopSolution(inst, sol.order.copy())
        assert sol.makespan == fresh.makespan
        assert sol.heads.tolist() == fresh.heads.tolist()
        assert sol.tails.tolist() == fresh.tails.tolist()
        rank = np.empty(inst.n_operations, np.int64)
        rank[sol.topo] = np.arange(inst.n_operations)
        assert all(rank[a] < rank[b] for a, b in ref.graph(inst, sol.order).edges)


@pytest.mark.parametrize("policy, kernel", [("tabu", "tabu_chunk"), ("greedy", "descent_chunk"),
                                            ("greedy-first", "descent_chunk"),
                                            ("random", "random_walk_chunk")])
def test_a_ctrl_c_landing_as_the_kernel_returns_keeps_its_steps_best_and_restarts(monkeypatch,
                                                                                   policy, kernel):
    """Python raises the KeyboardInterrupt of a Ctrl-C that came during a kernel call at the first
    bytecode after it: the steps, best and restarts of that call must still be reported, as an
    uninterrupted search of the same seed reports them after the same one chunk."""
    from rewriter.core.loop import run
    from rewriter.jssp import search_kernels
    from rewriter.jssp.search import LocalSearch

    inst = load_instance("ta41")
    tabu = TabuSettings(stall=2)  # restarts within the first chunk
    real = getattr(search_kernels, kernel)

    def interrupted_as_it_returns(*args):
        real(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(search_kernels, kernel, interrupted_as_it_returns)
    outcome = run(LocalSearch(initial_solution(inst), policy, "n5", tabu, 3), None, time_limit=60)
    monkeypatch.setattr(search_kernels, kernel, real)
    twin = LocalSearch(initial_solution(inst), policy, "n5", tabu, 3)
    twin.advance(LocalSearch.first_chunk)
    assert outcome.status == "interrupted"
    assert outcome.steps == twin.steps > 0
    assert outcome.best_cost == twin.best_cost < outcome.initial_cost
    assert outcome.best.makespan == outcome.best_cost
    assert outcome.best.order.tolist() == twin.best().order.tolist()
    assert outcome.restarts == twin.restarts
    if policy == "tabu":
        assert twin.restarts > 0
