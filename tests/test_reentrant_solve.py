"""Solving re-entrant job shops end to end: every policy of the job shop from every start rule,
the searches' incremental heads and tails against networkx, CP-SAT against a brute-force
optimum, the schedule JSON read back, and the parts that need the classic shape refusing in
one line."""

from __future__ import annotations

import importlib
import json
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewriter
from rewriter.errors import InputError
from rewriter.jssp.cpsat import solve_cpsat
from rewriter.jssp.dispatching import RULES
from rewriter.jssp.generate import random_reentrant_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.schedule_json import check_schedule_json
from rewriter.jssp.search import LocalSearch, TabuSettings
from rewriter.jssp.solve import POLICIES, initial_solution

from .reentrant import feasible_makespan, heads_tails_networkx, reentrant_instances, routes_of

SEARCHES = tuple(p for p in POLICIES if p not in ("none", "lns"))  # LocalSearch's own


def _valid(inst, result) -> None:
    """The result's schedule passes the plain oracle and its JSON reads back without a breach."""
    starts = np.empty(inst.n_operations, np.int64)
    for entry in result.to_dict()["operations"]:
        starts[inst.operation(entry["job"], entry["op"])] = entry["start"]
    assert feasible_makespan(inst, starts) == result.makespan
    problems, makespan = check_schedule_json(inst, result.to_dict(), "result.json")
    assert problems == [] and makespan == result.makespan


@pytest.fixture(scope="module")
def ragged():
    return random_reentrant_instance(12, 4, seed=5, min_ops=1, max_ops=9)


# ---- every policy from every start rule ------------------------------------------------------
@pytest.mark.parametrize("init", RULES)
@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_from_every_rule_solves_a_reentrant_instance(ragged, policy, init):
    # a rewrite of lns is a CP-SAT sub-solve, not a move: two of them, within a second
    steps = {"none": 0, "lns": 2}.get(policy, 40)
    limit = 1.0 if policy == "lns" else None
    result = rewriter.solve(ragged, init=init, policy=policy, steps=steps, time_limit=limit,
                            seed=3)
    _valid(ragged, result)
    assert result.makespan <= result.init_makespan
    assert result.to_dict()["n_operations"] == ragged.n_operations


@pytest.mark.parametrize("moves", ["n5", "n1", "adjacent", "n7"])
def test_tabu_with_every_neighbourhood_solves_a_reentrant_instance(ragged, moves):
    _valid(ragged, rewriter.solve(ragged, policy="tabu", moves=moves, steps=60, seed=1))


@pytest.mark.parametrize("policy", ["learned", "controlled"])
def test_the_learned_searches_take_reentrant_instances(ragged, policy):
    result = rewriter.solve(ragged, policy=policy, steps=10, seed=0)
    _valid(ragged, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=reentrant_instances(), seed=st.integers(0, 2**20), policy=st.sampled_from(SEARCHES),
       moves=st.sampled_from(["n5", "n1", "adjacent", "n7"]))
def test_the_searches_keep_heads_and_tails_equal_to_networkx(inst, seed, policy, moves):
    sol = initial_solution(inst, "random", seed=seed)
    search = LocalSearch(sol, policy, moves, TabuSettings(), seed)
    for _ in range(4):
        search.advance(3)
        heads, tails, makespan = heads_tails_networkx(inst, sol.order)
        assert sol.heads.tolist() == heads and sol.tails.tolist() == tails
        assert sol.makespan == makespan
        best = search.best()
        assert feasible_makespan(inst, best.starts) == best.makespan == search.best_cost


# ---- CP-SAT ----------------------------------------------------------------------------------
def brute_force_optimum(inst: JobShopInstance) -> int:
    """The least makespan over every interleaving of the routes, each operation appended at its
    earliest start: every semi-active schedule is one of them."""
    routes = routes_of(inst)
    best = None
    tokens = [j for j, route in enumerate(routes) for _ in route]
    for order in set(itertools.permutations(tokens)):
        nxt, job_ready, mach_ready = [0] * len(routes), [0] * len(routes), [0] * inst.n_machines
        for j in order:
            mc, p = routes[j][nxt[j]]
            job_ready[j] = mach_ready[mc] = max(job_ready[j], mach_ready[mc]) + p
            nxt[j] += 1
        makespan = max(job_ready)
        best = makespan if best is None else min(best, makespan)
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=reentrant_instances(max_jobs=3, max_machines=3, max_ops=3, max_duration=9))
def test_cpsat_optimum_equals_the_brute_force_optimum_on_reentrant_instances(inst):
    if inst.n_operations > 7:  # 7! interleavings at most
        inst = JobShopInstance.from_routes(inst.name, [r[:2] for r in routes_of(inst)],
                                           n_machines=inst.n_machines)
    res = solve_cpsat(inst, time_limit=20, workers=1)
    assert res.status == "optimal"
    assert res.makespan == brute_force_optimum(inst)
    assert feasible_makespan(inst, res.solution.starts) == res.makespan


def test_cpsat_and_tabu_agree_on_a_generated_reentrant_instance():
    inst = random_reentrant_instance(6, 3, seed=2, min_ops=1, max_ops=5)
    res = solve_cpsat(inst, time_limit=30, workers=1)
    assert res.status == "optimal" and feasible_makespan(inst, res.solution.starts) == res.makespan
    tabu = rewriter.solve(inst, policy="tabu", steps=2000, seed=0)
    assert tabu.makespan >= res.makespan
    warm = solve_cpsat(inst, time_limit=30, workers=1, warm_start=tabu.solution)
    assert warm.makespan == res.makespan and warm.warm_start_makespan == tabu.makespan
    cpsat = rewriter.solve(inst, method="cpsat", time_limit=30)
    _valid(inst, cpsat)


def test_pyjobshop_and_job_shop_lib_take_reentrant_instances():
    inst = random_reentrant_instance(5, 3, seed=7, min_ops=1, max_ops=4)
    pyjobshop = pytest.importorskip("pyjobshop")
    theirs = pyjobshop.solve(rewriter.to_pyjobshop(inst), time_limit=20, display=False)
    assert theirs.status == pyjobshop.SolveStatus.OPTIMAL
    assert theirs.objective == solve_cpsat(inst, time_limit=20, workers=1).makespan
    back = rewriter.load_instance(rewriter.to_pyjobshop(inst))
    assert isinstance(back, JobShopInstance) and back.routes() == inst.routes()
    pytest.importorskip("job_shop_lib")
    back = rewriter.load_instance(rewriter.to_job_shop_lib(inst))
    assert isinstance(back, JobShopInstance) and back.routes() == inst.routes()


# ---- the schedule JSON -----------------------------------------------------------------------
def test_a_reentrant_schedule_json_is_read_back_and_checked(ragged):
    data = rewriter.solve(ragged, policy="tabu", steps=20, seed=0).to_dict()
    assert check_schedule_json(ragged, data, "s.json") == ([], data["makespan"])
    long_job = int(np.argmax(ragged.job_length))
    last = int(ragged.job_length[long_job]) - 1
    entry = next(e for e in data["operations"] if e["job"] == long_job and e["op"] == last)
    entry["end"] += 1
    problems, _ = check_schedule_json(ragged, data, "s.json")
    assert problems == [f"job {long_job} op {last}: end {entry['end']} != start {entry['start']} + "
                        f"duration {entry['end'] - 1 - entry['start']}"]
    short_job = int(np.argmin(ragged.job_length))
    length = int(ragged.job_length[short_job])
    entry.update(job=short_job, op=length)  # past the short job's route
    with pytest.raises(InputError, match=rf"job {short_job} op {length} is not an operation of "
                       rf"instance {ragged.name} \(expected job 0\.\.11 and op 0\.\.{length - 1} "
                       rf"for job {short_job}\)"):
        check_schedule_json(ragged, data, "s.json")
    data["operations"].remove(entry)
    with pytest.raises(InputError, match=rf"lists {ragged.n_operations - 1} of the "
                       rf"{ragged.n_operations} operations of instance {ragged.name}; "
                       rf"missing: job {long_job} op {last}"):
        check_schedule_json(ragged, data, "s.json")


# ---- what needs the classic shape says so in one line ----------------------------------------
CLASSIC_ONLY = "observe fixed \\(n_jobs, n_machines\\) matrices, so they need every job to have one " \
               "operation per machine"


def test_the_construct_policy_and_the_matrix_environments_refuse_in_one_line(ragged):
    for call in (lambda: rewriter.solve(ragged, policy="construct", steps=5),
                 lambda: rewriter.solve(ragged, init="construct", policy="tabu", steps=5)):
        with pytest.raises(InputError, match=rf"^{ragged.name}: jobs have 1 to 9 operations on 4 "
                           rf"machines, but .*{CLASSIC_ONLY}") as info:
            call()
        assert "\n" not in str(info.value)
    gym = pytest.importorskip("gymnasium")
    importlib.import_module("rewriter.envs")  # registers the environments
    for env_id in ("rewriter/JobShop-v0", "rewriter/JobShopDispatch-v0", "rewriter/JobShopGraph-v0"):
        with pytest.raises(InputError, match=CLASSIC_ONLY):
            gym.make(env_id, instance=ragged)
    env = gym.make("rewriter/Rewrite-v0", instance=ragged)  # a graph of any shape: it works
    env.reset(seed=0)


# ---- the command line ------------------------------------------------------------------------
def test_the_cli_solves_validates_and_refuses_a_reentrant_file(ragged, tmp_path, capsys):
    from rewriter.cli import main
    from rewriter.jssp.io import write_standard

    path = tmp_path / "ragged.txt"
    write_standard(ragged, path)  # Da Col-Teppan rows: routes of any length
    out = tmp_path / "s.json"
    for policy in ("tabu", "learned", "controlled"):
        assert main(["solve", str(path), "--policy", policy, "--steps", "20", "--no-progress",
                     "--out", str(out)]) == 0
        assert "12 jobs x 4 machines, " f"{ragged.n_operations} operations" in capsys.readouterr().out
        assert main(["validate", str(path), str(out)]) == 0
        assert capsys.readouterr().out.startswith("valid: makespan")
    assert main(["solve", str(path), "--policy", "construct", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rewriter: error: ragged: jobs have 1 to 9")


def test_the_learned_policies_see_the_position_in_the_route(ragged):
    from rewriter.jssp.features import NODE_FEATURES
    from rewriter.jssp.rewrite import JobShopState

    state = JobShopState(initial_solution(ragged, "mwkr"))
    column = state.graph().features[:, NODE_FEATURES.index("job_position")]
    expected = ragged.op_index / np.maximum(ragged.job_length[ragged.op_job] - 1, 1)
    assert np.allclose(column, expected)
    assert column[ragged.job_last].tolist() == [1.0 if n > 1 else 0.0 for n in ragged.job_length]


def test_a_reentrant_schedule_has_a_gantt_chart_and_a_dataframe(ragged):
    pytest.importorskip("matplotlib")
    import io

    result = rewriter.solve(ragged, policy="tabu", steps=10, seed=0)
    buffer = io.BytesIO()
    ax = rewriter.plot_gantt(result, path=buffer)
    assert buffer.getvalue().startswith(b"\x89PNG")
    assert sum(len(c.get_paths()) for c in ax.collections) == ragged.n_operations  # one bar each
    pytest.importorskip("pandas")
    frame = result.to_dataframe()
    assert len(frame) == ragged.n_operations
    assert frame.groupby("job").size().tolist() == ragged.job_length.tolist()


def test_a_reentrant_job_shop_is_a_flexible_shop_with_one_machine_per_operation(ragged):
    from rewriter.fjsp.io import from_job_shop

    flexible = from_job_shop(ragged)
    assert flexible.to_lists() == [[[pair] for pair in route] for route in ragged.routes()]
    result = rewriter.solve(flexible, method="cpsat", time_limit=20)
    assert result.makespan == solve_cpsat(ragged, time_limit=20, workers=1).makespan


def test_compare_runs_reentrant_instances_and_records_construct_as_refused(ragged, tmp_path,
                                                                            capsys):
    from rewriter.cli import main
    from rewriter.jssp.io import write_standard

    path = tmp_path / "ragged.txt"
    write_standard(ragged, path)
    results = tmp_path / "r.jsonl"
    assert main(["compare", "--instances", str(path), "--methods", "mwkr,tabu:1,cpsat:2",
                 "--results", str(results), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"| ragged | 12x4, {ragged.n_operations} ops |" in out
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert {row["method"] for row in rows} >= {"mwkr", "tabu:1", "cpsat:2"}
    assert all(row["n_operations"] == ragged.n_operations for row in rows)
    refused = tmp_path / "c.jsonl"  # one cell that cannot run does not stop the others
    assert main(["compare", "--instances", f"{path},ft06", "--methods", "construct",
                 "--results", str(refused), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Refused (the method cannot take the instance" in out and "construct on ragged" in out
    rows = {Path(row["instance"]).stem: row for row in map(json.loads, refused.read_text().splitlines())}
    assert rows["ragged"]["status"] == "refused" and rows["ragged"]["makespan"] is None
    assert "ragged: jobs have 1 to 9 operations" in rows["ragged"]["error"]
    assert rows["ft06"]["makespan"] is not None
