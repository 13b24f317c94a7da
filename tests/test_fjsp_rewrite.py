"""The flexible job shop through the rewrite interface: every candidate is priced exactly, every
rewrite leaves a valid schedule, and the learned policy trains and solves end to end."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.cli import main
from rewriter.fjsp.rewrite import FlexibleRewriteProblem, FlexibleState
from rewriter.fjsp.validate import check_schedule

from .test_fjsp_core import _random_schedule, instances
from .test_fjsp_search import _moved


@settings(max_examples=40, deadline=None)
@given(instances(), st.integers(0, 10**6))
def test_every_candidate_is_the_move_it_names_at_its_exact_makespan(inst, seed):
    state = FlexibleState(_random_schedule(inst, seed))
    before = state.schedule()
    pairs, feats = state.candidates()
    costs = state.candidate_costs()
    n = inst.n_operations
    assert feats.shape == (len(pairs), state.pair_features) and np.isfinite(feats).all()
    for (region, partner), cost in zip(pairs.tolist(), costs.tolist()):
        machine, after = (partner - n, -1) if partner >= n else (int(before.assign[partner]), partner)
        expected = _moved(before, region, machine, after)  # rebuilt from scratch
        assert expected is not None and expected.makespan == cost
        trial = state.copy()
        assert trial.apply(region, partner) and trial.cost() == cost
        after_move = trial.schedule()
        assert check_schedule(inst, after_move.assign, after_move.heads)["makespan"] == cost
    assert state.cost() == before.makespan  # the copies left it alone


@settings(max_examples=30, deadline=None)
@given(instances(), st.integers(0, 10**6))
def test_the_graph_is_the_schedule_dag_with_machine_nodes(inst, seed):
    state = FlexibleState(_random_schedule(inst, seed))
    graph = state.graph()
    n, m = inst.n_operations, inst.n_machines
    assert graph.n_nodes == n + m and np.isfinite(graph.features).all()
    assert (graph.features[n:, 0] == 1).all() and (graph.features[:n, 0] == 0).all()
    dag = nx.DiGraph()
    dag.add_nodes_from(range(n + m))
    dag.add_edges_from((int(p), child) for child, row in enumerate(graph.parents) for p in row if p >= 0)
    assert nx.is_directed_acyclic_graph(dag)
    for node in nx.topological_sort(dag):  # level = 1 + the largest parent level
        parents = [p for p in graph.parents[node] if p >= 0]
        assert graph.level[node] == (1 + max(graph.level[p] for p in parents) if parents else 0)
    # every machine node heads its machine's chain
    for k in range(m):
        children = [c for c in range(n) if graph.parents[c, 1] == n + k]
        assert len(children) == (1 if (state.search.st[0] == k).any() else 0)


def test_bad_rewrites_are_refused_and_change_nothing():
    problem = FlexibleRewriteProblem()
    inst = problem.sample_instance(np.random.default_rng(3), "8x4")
    state = problem.initial_state(inst, "mwkr-eet")
    mark = state.fingerprint()
    n = inst.n_operations
    assert not state.apply(0, 0)              # after itself
    assert not state.apply(-1, 0) and not state.apply(0, n + inst.n_machines)
    # job 0's first operation right after its own job successor's machine slot closes a cycle
    if inst.job_start[1] > 1:
        assert not state.apply(0, 1)
    assert state.fingerprint() == mark
    pairs, _ = state.candidates()
    k = state.expert_choice()
    assert k is not None and state.apply(*map(int, pairs[k])) and state.fingerprint() != mark


def test_train_then_solve_with_the_learned_policy(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--problem", "fjsp", "--run-dir", str(run), "--iterations", "2",
                 "--episodes", "2", "--sizes", "6x3", "--validation-sizes", "6x3",
                 "--validation-per-size", "1", "--quiet"]) == 0
    out = tmp_path / "mk01.json"
    assert main(["solve", "mk01", "--policy", "learned", "--model", str(run / "model.pt"),
                 "--steps", "20", "--seed", "0", "--out", str(out)]) == 0
    assert "| policy           | learned (full, argmax, seed 0)" in capsys.readouterr().out
    assert main(["validate", "mk01", str(out)]) == 0
