"""The flexible shop's batch baseline (``--batches K``, rewriter/fjsp/batches.py): the split, the
machines' availability in the final schedule (checked in plain Python), the validated result,
K = 1 as the single pass, bad K refused in one line, and the time limit kept."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewriter
from rewriter.cli import main
from rewriter.errors import InputError
from rewriter.fjsp.batches import batch_jobs, solve_batched, sub_instance
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.instance import NO_DUE, FlexibleInstance
from rewriter.fjsp.solve import solve as single_pass
from rewriter.fjsp.validate import check_schedule

SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_jobs=7, max_machines=3):
    """Small flexible instances with the awkward cases: jobs of one operation, zero durations,
    one machine, equal release dates, jobs without due dates, zero weights."""
    m = draw(st.integers(1, max_machines))
    n = draw(st.integers(1, max_jobs))
    jobs = []
    for _ in range(n):
        ops = []
        for _ in range(draw(st.integers(1, 3))):
            machines = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
            ops.append([(k, draw(st.integers(0, 6))) for k in machines])
        jobs.append(ops)
    release = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    due = draw(st.lists(st.integers(NO_DUE, 20), min_size=n, max_size=n))
    weight = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return FlexibleInstance.from_lists("h", m, jobs, release=release, due=due, weight=weight)


def batches_of(result) -> list[list[int]]:
    """The jobs of each batch, recomputed by the obvious rule: sort by (release, index), deal out
    consecutive runs, the first n % K of size ceil(n / K)."""
    inst, k = result.instance, result.info["batches"]
    order = sorted(range(inst.n_jobs), key=lambda j: (int(inst.release[j]), j))
    size, extra = divmod(inst.n_jobs, k)
    out, at = [], 0
    for b in range(k):
        take = size + (b < extra)
        out.append(sorted(order[at:at + take]))
        at += take
    return out


def check_availability(result) -> None:
    """On every machine, every operation of batch b starts no earlier than every operation of
    the batches before b there ends (plain Python over the schedule JSON's operations)."""
    inst = result.instance
    batch_of_job = {j: b for b, jobs in enumerate(batches_of(result)) for j in jobs}
    ops = result.schedule["operations"]
    for a in ops:
        for c in ops:
            if a["machine"] == c["machine"] and batch_of_job[a["job"]] < batch_of_job[c["job"]]:
                assert c["start"] >= a["end"], (a, c)
    assert len(ops) == inst.n_operations


# ---- the split -----------------------------------------------------------------------------
@SLOW
@given(instances(max_jobs=9), st.integers(1, 9))
def test_the_split_is_release_order_in_near_equal_runs(inst, k):
    if k > inst.n_jobs:
        with pytest.raises(InputError, match="between 1 and the number of jobs"):
            batch_jobs(inst, k)
        return
    groups = [g.tolist() for g in batch_jobs(inst, k)]
    order = sorted(range(inst.n_jobs), key=lambda j: (int(inst.release[j]), j))
    assert sorted(j for g in groups for j in g) == list(range(inst.n_jobs))
    assert [len(g) for g in groups] == sorted((len(g) for g in groups), reverse=True)
    assert max(map(len, groups)) - min(map(len, groups)) <= 1
    ranks = [sorted(order.index(j) for j in g) for g in groups]
    for g in ranks:  # consecutive in release order, each group after the one before
        assert g == list(range(g[0], g[0] + len(g)))
    assert all(a[-1] < b[0] for a, b in zip(ranks, ranks[1:]))
    assert all(g == sorted(g) for g in groups)


@pytest.mark.parametrize("k", [0, -1, 5, True, 2.0])
def test_a_bad_number_of_batches_is_refused(k):
    inst = FlexibleInstance.from_lists("four", 1, [[[(0, 1)]]] * 4)
    with pytest.raises(InputError, match="batches must be"):
        batch_jobs(inst, k)


def test_the_sub_instance_keeps_the_jobs_and_adds_one_blocker_per_busy_machine():
    inst = FlexibleInstance.from_lists(
        "s", 3, [[[(0, 2), (1, 3)], [(2, 4)]], [[(1, 5)]], [[(0, 1)], [(2, 2)]]],
        release=[0, 3, 1], due=[9, NO_DUE, 7], weight=[2, 1, 0])
    batch = sub_instance(inst, np.array([0, 2]), np.array([4, 0, 6]), "s[batch 2/2]")
    sub = batch.instance
    assert sub.name == "s[batch 2/2]" and batch.ops.tolist() == [0, 1, 3, 4]
    assert sub.to_lists() == [[[(0, 2), (1, 3)], [(2, 4)]], [[(0, 1)], [(2, 2)]],
                              [[(0, 4)]], [[(2, 6)]]]
    # job 2's first operation needs machine 0, free at 4: its release in the batch is 4
    assert sub.release.tolist() == [0, 4, 0, 0] and sub.due.tolist() == [9, 7, NO_DUE, NO_DUE]
    assert sub.weight.tolist() == [2, 0, 0, 0] and batch.blocked.tolist() == [0, 2]


# ---- the schedule --------------------------------------------------------------------------
@SLOW
@given(instances(), st.integers(1, 4), st.sampled_from(["mwkr-eet", "spt-spt", "edd-lload"]),
       st.sampled_from(["none", "tabu"]), st.sampled_from(["makespan", "tardiness"]))
def test_every_batch_runs_after_the_earlier_ones_and_the_result_validates(inst, k, rule, policy,
                                                                          objective):
    k = min(k, inst.n_jobs)
    result = solve_batched(inst, k, single_pass, init=rule, policy=policy, steps=30,
                           objective=objective)
    assert result.info["batches"] == k and len(result.info["batch"]) == k
    assert [b["jobs"] for b in result.info["batch"]] == [len(g) for g in batches_of(result)]
    assert sum(b["operations"] for b in result.info["batch"]) == inst.n_operations
    check_availability(result)
    checked = check_schedule(inst, result.solution.assign, result.solution.heads)  # independent
    assert checked["makespan"] == result.values["makespan"]
    if k > 1:  # each batch's cost is its cost in the final schedule
        last = result.info["batch"][-1]
        assert objective != "makespan" or last["cost"] == result.cost
        if objective == "tardiness":
            assert sum(b["cost"] for b in result.info["batch"]) == result.cost
        assert result.steps == sum(b["steps"] for b in result.info["batch"])


def test_the_batches_of_a_generated_production_instance_with_tabu():
    inst = load_instance("prod_30x6_s1")
    result = rewriter.solve(inst, policy="tabu", steps=300, batches=3, seed=2)
    check_availability(result)
    figures = result.info["batch"]
    assert result.method == "tabu" and result.init == "mwkr-eet"
    assert [f["name"] for f in figures] == [f"prod_30x6_s1[batch {b}/3]" for b in (1, 2, 3)]
    assert [f["jobs"] for f in figures] == [10, 10, 10]
    assert sum(f["steps"] for f in figures) == 300 == result.steps  # the budget is shared
    rule_only = rewriter.solve(inst, policy="none", batches=3, seed=2)
    assert result.init_cost == rule_only.cost  # the initial cost is the rule's in the batches
    for f in figures:  # no batch ends worse than its start (the whole may: batches are greedy)
        assert f["cost"] <= f["start_cost"] and f["method_cost"] <= f["start_cost"]
        if not f["displaced"] and not f["kept_start"]:  # the method's schedule was real
            assert f["cost"] == f["method_cost"]


def test_one_batch_is_the_single_pass():
    inst = load_instance("prod_20x5_s0")
    for options in ({"policy": "tabu", "steps": 200}, {"policy": "none"},
                    {"policy": "tabu", "steps": 100, "objective": "tardiness"}):
        one = rewriter.solve(inst, batches=1, seed=4, **options)
        single = rewriter.solve(inst, seed=4, **options)
        assert one.cost == single.cost and one.steps == single.steps
        assert one.schedule["operations"] == single.schedule["operations"]
        assert one.info["batches"] == 1 and one.info["batch"][0]["jobs"] == 20


def test_no_batches_option_leaves_the_single_pass_alone():
    inst = load_instance("prod_20x5_s0")
    assert "batches" not in rewriter.solve(inst, policy="tabu", steps=50).info


# ---- command line and limits -----------------------------------------------------------------
def _error_lines(err: str) -> list[str]:
    """stderr without the notice a cold numba cache prints before the kernels compile."""
    return [line for line in err.strip().splitlines()
            if not line.startswith("rewriter: compiling the kernels")]


def test_the_command_line_takes_batches_and_refuses_bad_ones_in_one_line(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["solve", "prod_20x5_s0", "--batches", "2", "--steps", "50", "-q",
                 "--out", str(out)]) == 0
    assert main(["validate", "prod_20x5_s0", str(out)]) == 0
    capsys.readouterr()
    for bad in ("0", "21"):
        assert main(["solve", "prod_20x5_s0", "--batches", bad, "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(_error_lines(err)) == 1 and "batches must be between 1 and" in err
    assert main(["solve", "ft06", "--batches", "2", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(_error_lines(err)) == 1 and "--batches is not an option of jssp" in err
    assert "belongs to fjsp" in err
    assert main(["solve", "prod_20x5_s0", "--batches", "2", "--policy", "learned", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(_error_lines(err)) == 1 and "not the learned policy" in err
    assert main(["solve", "compat_20x5_s0", "--batches", "2", "--init", "dqn", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(_error_lines(err)) == 1 and "one schedule of the whole instance" in err
    assert main(["solve", "prod_20x5_s0", "--batches", "3", "--steps", "30"]) == 0
    assert "tabu (full, 3 batches, seed 0)" in capsys.readouterr().out


def test_a_tight_time_limit_covers_every_batch():
    inst = load_instance("prod_40x10_s0")
    rewriter.solve(inst, policy="tabu", steps=5, batches=3)  # kernels loaded before the clock
    started = time.perf_counter()
    result = rewriter.solve(inst, policy="tabu", steps=None, time_limit=3, batches=3)
    wall = time.perf_counter() - started
    assert wall <= 3.5 and result.runtime_s <= 3.2, (wall, result.runtime_s)
    assert result.status == "time_limit" and len(result.info["batch"]) == 3
    seconds = [b["seconds"] for b in result.info["batch"]]
    assert min(seconds) > 0.5  # each batch got its share, not the first one all of it
    check_availability(result)


@pytest.mark.parametrize("options", [{"method": "cpsat", "workers": 1},
                                     {"method": "cpsat", "workers": 1, "warm_start": True},
                                     {"policy": "lns", "workers": 1, "steps": None}])
def test_cpsat_and_lns_run_in_batches_too(options):
    inst = load_instance("prod_12x4_s0")
    result = rewriter.solve(inst, batches=2, time_limit=1.0, seed=1, **options)
    check_availability(result)
    assert result.method == options.get("method", options.get("policy"))
    assert result.info["batches"] == 2 and result.runtime_s <= 1.3
    if not options.get("warm_start") and "policy" not in options:  # CP-SAT from no schedule
        assert result.init == "none" and result.init_cost == result.cost
