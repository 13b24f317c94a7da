"""Re-entrant job shops (routes of any length, a machine visited several times by one job): the
generator, the dispatching rules, the validator and the solution's graph, each against a slow
oracle in plain Python / networkx (tests/reentrant.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.errors import InputError
from rewriter.jssp.dispatching import MODES, RULES, dispatch
from rewriter.jssp.generate import MAX_OPERATIONS, random_instance, random_reentrant_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.schedule import CyclicOrder, JobShopSolution
from rewriter.jssp.validate import InfeasibleSchedule, check_schedule, schedule_violations

from .reentrant import (feasible_makespan, heads_tails_networkx, plain_violations,
                        random_acyclic_order, reentrant_instances, reference_dispatch, routes_of)

DETERMINISTIC = tuple(r for r in RULES if r != "random")
HYPOTHESIS = settings(max_examples=120, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- the generator ----------------------------------------------------------------------------
def test_reentrant_generator_draws_ragged_routes_with_revisits():
    inst = random_reentrant_instance(50, 5, seed=3, min_ops=2, max_ops=9, low=4, high=7)
    assert inst.name == "reentrant_50x5_s3" and inst.n_jobs == 50 and inst.n_machines == 5
    assert inst.job_length.min() >= 2 and inst.job_length.max() <= 9
    assert len(set(inst.job_length.tolist())) > 1 and not inst.is_rectangular
    assert 4 <= inst.op_duration.min() and inst.op_duration.max() <= 7
    revisits = sum(len(set(m for m, _ in r)) < len(r) for r in routes_of(inst))
    assert revisits > 10  # 2-9 operations on 5 machines: most jobs come back to a machine
    again = random_reentrant_instance(50, 5, seed=3, min_ops=2, max_ops=9, low=4, high=7)
    assert np.array_equal(again.op_machine, inst.op_machine)
    assert np.array_equal(again.job_start, inst.job_start)
    other = random_reentrant_instance(50, 5, seed=4, min_ops=2, max_ops=9, low=4, high=7)
    assert not np.array_equal(other.op_duration[:20], inst.op_duration[:20])
    assert random_reentrant_instance(3, 4, seed=0).job_length.max() <= 8  # default 2 x machines
    import rewriter

    assert rewriter.random_reentrant_instance is random_reentrant_instance


@pytest.mark.parametrize("kwargs, text", [
    (dict(n_jobs=0, n_machines=3), "at least one job"),
    (dict(n_jobs=3, n_machines=3, min_ops=0), "1 <= min_ops <= max_ops"),
    (dict(n_jobs=3, n_machines=3, min_ops=5, max_ops=4), "1 <= min_ops <= max_ops"),
    (dict(n_jobs=3, n_machines=3, low=0), "1 <= low <= high"),
    (dict(n_jobs=MAX_OPERATIONS, n_machines=3, max_ops=2), "too large"),
])
def test_reentrant_generator_refuses_bad_arguments(kwargs, text):
    with pytest.raises(InputError, match=text):
        random_reentrant_instance(**kwargs, seed=0)


# ---- dispatching -----------------------------------------------------------------------------
def _check_dispatch(inst, res):
    assert res.order.shape == res.starts.shape == (inst.n_operations,)
    assert feasible_makespan(inst, res.starts) == res.makespan
    assert check_schedule(inst, res.starts, res.makespan) == res.makespan
    ms = inst.machine_start
    for i in range(inst.n_machines):  # machine-major, in start order
        seq = res.order[ms[i]:ms[i + 1]]
        assert sorted(seq.tolist()) == np.flatnonzero(inst.op_machine == i).tolist()
        ends = res.starts[seq] + inst.op_duration[seq]
        assert (res.starts[seq][1:] >= ends[:-1]).all()


@HYPOTHESIS
@given(inst=reentrant_instances(), seed=st.integers(0, 2**32 - 1))
def test_dispatch_matches_the_plain_reference_on_reentrant_instances(inst, seed):
    for mode in MODES:
        for rule in RULES:
            res = dispatch(inst, rule, mode, seed=seed)
            _check_dispatch(inst, res)
            if rule == "random":
                continue
            seqs, starts = reference_dispatch(inst, rule, mode)
            ms = inst.machine_start
            assert [res.order[ms[i]:ms[i + 1]].tolist() for i in range(inst.n_machines)] == seqs, \
                (rule, mode)
            assert res.starts.tolist() == starts, (rule, mode)


def test_operations_remaining_rules_count_the_route_not_the_machines():
    # job 0: 4 operations on 2 machines, job 1: one; both start on machine 0 at time 0
    inst = JobShopInstance.from_routes("mor", [[(0, 2), (1, 2), (0, 2), (1, 2)], [(0, 2)]])
    assert dispatch(inst, "mor").starts[0] == 0   # most operations remaining: job 0 first
    assert dispatch(inst, "lor").starts[4] == 0   # fewest: job 1 first
    assert dispatch(inst, "mwkr").starts[0] == 0 and dispatch(inst, "lwkr").starts[4] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_dispatch_on_a_generated_reentrant_instance(seed):
    inst = random_reentrant_instance(40, 6, seed=seed, min_ops=1, max_ops=15)
    for mode in MODES:
        for rule in RULES:
            _check_dispatch(inst, dispatch(inst, rule, mode, seed=seed))


def test_dispatch_buckets_take_memory_per_operation_not_jobs_times_machines():
    # 200000 one-operation jobs on 2000 machines: n_jobs x n_machines buckets would be 3.2 GB
    rng = np.random.default_rng(0)
    n = 200_000
    inst = JobShopInstance.from_flat("wide", rng.integers(1, 9, n), rng.integers(0, 2000, n),
                                     np.arange(n + 1), 2000)
    res = dispatch(inst, "spt")
    assert check_schedule(inst, res.starts, res.makespan) == res.makespan


# ---- the validator ---------------------------------------------------------------------------
def _perturbed(rng, inst, starts):
    starts = np.array(starts, np.int64)
    for _ in range(int(rng.integers(0, 3))):
        v = int(rng.integers(0, inst.n_operations))
        starts[v] += int(rng.integers(-4, 5))
    return starts


@HYPOTHESIS
@given(inst=reentrant_instances(), seed=st.integers(0, 2**32 - 1), rect=st.booleans())
def test_validator_agrees_with_the_plain_oracles(inst, seed, rect):
    rng = np.random.default_rng(seed)
    if rect:  # the classic shape too: the messages did not change
        inst = random_instance(int(rng.integers(1, 5)), int(rng.integers(1, 5)), seed=seed % 1000)
    base = dispatch(inst, "random", seed=seed).starts
    starts = _perturbed(rng, inst, base)
    claimed = int((starts + inst.op_duration).max()) + int(rng.integers(-1, 2))
    got = schedule_violations(inst, starts, claimed, limit=None)
    assert got == plain_violations(inst, starts, claimed)
    assert schedule_violations(inst, starts, claimed) == got[:10]
    truth = feasible_makespan(inst, starts)
    assert (truth is not None and truth == claimed) == (got == [])
    # per-job nested lists give the same verdict as flat starts
    nested = [starts[a:b].tolist() for a, b in zip(inst.job_start[:-1], inst.job_start[1:])]
    assert schedule_violations(inst, nested, claimed, limit=None) == got
    if truth is None:
        with pytest.raises(InfeasibleSchedule, match=inst.name):
            check_schedule(inst, starts)
    else:
        assert check_schedule(inst, starts) == truth


def test_validator_names_ragged_coverage_and_keeps_the_rectangular_wording():
    inst = JobShopInstance.from_routes("rag", [[(0, 1)], [(0, 2), (1, 3), (0, 1)]])
    assert schedule_violations(inst, [0, 1, 3])[0].startswith(
        "start times must cover the 4 operations of 2 jobs")
    assert schedule_violations(inst, [[0], [1, 3]])[0].startswith(
        "start times must cover the 4 operations of 2 jobs")
    assert schedule_violations(inst, [[0], [1, 3, 6]]) == []
    assert schedule_violations(inst, [0, 1, 3, 5]) == [
        "job 1 op 2 starts at 5 before op 1 ends at 6"]
    assert schedule_violations(inst, [0, 0, 3, 6]) == [
        "machine 0: job 0 op 0 [0, 1) overlaps job 1 op 0 [0, 2)"]
    rect = random_instance(2, 3, seed=0)
    assert schedule_violations(rect, [[0, 1]])[0].startswith(
        "start times must cover 2 jobs x 3 operations")
    # a start past int64 (or near it, where start + duration would wrap) is named, not a crash
    for huge in (2**70, 2**63 - 1, -2**70, 1e30):
        message = f"job 1 op 2 starts at {int(huge)}, beyond any schedule's horizon (at most 2**62)"
        assert schedule_violations(inst, [[0], [1, 3, huge]]) == [message]
        assert schedule_violations(inst, [0, 1, 3, huge]) == [message]
    assert schedule_violations(inst, np.array([0, 1, 3, 2**63 - 1])) == [
        f"job 1 op 2 starts at {2**63 - 1}, beyond any schedule's horizon (at most 2**62)"]


# ---- the solution graph ----------------------------------------------------------------------
@HYPOTHESIS
@given(inst=reentrant_instances(), seed=st.integers(0, 2**32 - 1))
def test_heads_tails_and_moves_match_networkx_on_reentrant_instances(inst, seed):
    rng = np.random.default_rng(seed)
    sol = JobShopSolution(inst, random_acyclic_order(rng, inst))
    heads, tails, makespan = heads_tails_networkx(inst, sol.order)
    assert sol.heads.tolist() == heads and sol.tails.tolist() == tails
    assert sol.makespan == makespan == feasible_makespan(inst, sol.starts)
    # every neighbourhood's moves, applied, keep the kernels' graph equal to the oracle's
    for kind in ("n5", "n1", "adjacent", "n7"):
        for u, v in sol.moves(kind)[:3].tolist():
            trial = sol.copy()
            applied = trial.relocate(u, v)
            if applied:
                heads, tails, makespan = heads_tails_networkx(inst, trial.order)
                assert trial.heads.tolist() == heads and trial.tails.tolist() == tails
                assert trial.makespan == makespan
            else:
                assert heads_tails_networkx(inst, _moved(trial.order, u, v)) is None
    # machine sequences name (job, position in the route) and rebuild the same order
    seqs = sol.machine_sequences()
    assert np.array_equal(JobShopSolution.from_machine_sequences(inst, seqs).order, sol.order)
    assert all(int(inst.op_machine[inst.operation(j, k)]) == i
               for i, seq in enumerate(seqs) for j, k in seq)


def _moved(order, u, v):
    seq = order.tolist()
    target = seq.index(v)
    seq.remove(u)
    seq.insert(target, u)
    return np.array(seq)


def test_a_cyclic_reentrant_order_is_refused():
    # job 0 visits machine 0 twice; putting its second visit first on the machine is a cycle
    inst = JobShopInstance.from_routes("cyc", [[(0, 1), (1, 1), (0, 1)]])
    with pytest.raises(CyclicOrder):
        JobShopSolution(inst, [2, 0, 1])
    with pytest.raises(ValueError, match="route"):
        JobShopSolution.from_machine_sequences(inst, [[(0, 0), (0, 3)], [(0, 1)]])


def test_start_matrix_is_refused_for_ragged_routes_in_one_line():
    inst = JobShopInstance.from_routes("rag", [[(0, 1)], [(0, 2), (1, 3)]])
    sol = JobShopSolution.from_starts(inst, dispatch(inst).starts)
    with pytest.raises(InputError, match=r"^rag: jobs have 1 to 2 operations") as info:
        sol.start_matrix()
    assert "\n" not in str(info.value)
    data = sol.to_dict()
    assert data["operations"][2] == {"job": 1, "op": 1, "machine": 1, "start": 2, "end": 5}
    assert data["machine_sequences"] == [[[1, 0], [0, 0]], [[1, 1]]]  # mwkr: job 1 first


def test_generated_reentrant_instances_are_found_by_name():
    from rewriter.jssp.bundled import expand_instance_names, load_instance

    inst = load_instance("reentrant_20x4_s3")
    same = random_reentrant_instance(20, 4, seed=3)
    assert inst.name == "reentrant_20x4_s3" and inst.metadata["family"] == "reentrant"
    assert np.array_equal(inst.job_start, same.job_start)
    assert np.array_equal(inst.op_machine, same.op_machine)
    assert expand_instance_names("reentrant_20x4_s0-2,rand_3x3_s1") == [
        "reentrant_20x4_s0", "reentrant_20x4_s1", "reentrant_20x4_s2", "rand_3x3_s1"]
    assert load_instance("rand_3x3_s1").is_rectangular
    with pytest.raises(InputError, match="reentrant_3000x4_s0: expected 1..2000 jobs"):
        load_instance("reentrant_3000x4_s0")
