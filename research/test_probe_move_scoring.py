"""The move-scoring probe's feature kernel (research/probe_move_scoring.py) against networkx."""

import importlib.util
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from rewriter.jssp.bundled import load_instance
from rewriter.jssp.schedule import JobShopSolution

from tests import reference as ref  # the repository root is on sys.path under `python -m pytest`

_spec = importlib.util.spec_from_file_location(
    "probe_move_scoring", Path(__file__).parent / "probe_move_scoring.py")
probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)


def _expected(inst, order, makespan, best, x, w, moved_at, clock, tenure, adjacent):
    """The features of moving x to w's far side, from networkx's heads and tails."""
    after_order = ref.relocated(order, x, w)
    if not nx.is_directed_acyclic_graph(ref.graph(inst, after_order)):
        return -1, None
    heads, tails, after = ref.heads_tails(inst, after_order)
    lengths = [h + int(d) + t for h, d, t in zip(heads, inst.op_duration, tails)]
    n, c = len(lengths), max(makespan, 1)
    share = lambda keep: sum(map(keep, lengths)) / n  # noqa: E731
    return after, [
        (after - makespan) / c,
        sum((length / c) ** 2 for length in lengths) / n,
        share(lambda length: length == after),
        share(lambda length: length * 50 >= after * 49),
        0.0 if adjacent else 1.0,
        1.0 if clock - moved_at[x] < tenure else 0.0,
        max(0, after - best) / c,
        share(lambda length: length * 20 >= after * 19),
        sum((after - length) / max(after, 1) for length in lengths) / n,  # all durations 0: 0
        1.0 if clock - moved_at[w] < tenure else 0.0,
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(1, 5), st.integers(0, 2**32 - 1))
@example(2, 1, 1801)  # every duration 0, makespan 0
def test_move_features_match_networkx(n, m, seed):
    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, n, m)
    sol = JobShopSolution(inst, ref.random_acyclic_order(rng, inst))
    order = sol.order.copy()
    before = (sol.order.copy(), sol.position.copy(), sol.mach_pred.copy(), sol.mach_succ.copy())
    moved_at = rng.integers(-5, 10, inst.n_operations)
    best = sol.makespan - int(rng.integers(0, 3))
    scratch = [np.empty(inst.n_operations, np.int64) for _ in range(4)]
    out = np.empty(len(probe.FEATURES) + 1)
    for machine in range(m):
        ops = order[inst.machine_start[machine]:inst.machine_start[machine + 1]]
        for x in ops:
            for w in ops:
                if x == w:
                    continue
                adjacent = sol.mach_succ[x] == w or sol.mach_pred[x] == w
                after = probe.move_features(x, w, inst.op_duration, inst.job_pred, inst.job_succ,
                                            sol.order, sol.position, sol.mach_pred, sol.mach_succ,
                                            *scratch, sol.makespan, best, moved_at, 7, 3, out)
                want, features = _expected(inst, order, sol.makespan, best, x, w, moved_at, 7, 3,
                                           adjacent)
                assert after == want
                if features is not None:
                    np.testing.assert_allclose(out, features, rtol=1e-12, atol=1e-12)
                for kept, now in zip(before, (sol.order, sol.position, sol.mach_pred, sol.mach_succ)):
                    assert np.array_equal(kept, now)  # the solution is left as it was


@settings(max_examples=10, deadline=None)
@given(st.integers(3, 6), st.integers(2, 4), st.integers(0, 2**32 - 1), st.booleans())
def test_scored_search_improves_within_bounds(n, m, seed, lookahead):
    """Best makespans after 5, 20, 40 moves: never above the start, never increasing, never below
    the trivial bound."""
    inst = ref.random_instance(np.random.default_rng(seed), n, m)
    start = probe.initial_solution(inst, "mwkr", "active", 0).makespan
    best = probe.run_scored(inst, probe.TEACHER, [5, 20, 40], seed % 1000, lookahead).tolist()
    assert start >= best[0] >= best[1] >= best[2] >= inst.trivial_lower_bound()


@settings(max_examples=10, deadline=None)
@given(st.integers(3, 6), st.integers(2, 4), st.integers(0, 2**32 - 1),
       st.sampled_from([(1, 5), (4, 0), (1, 5, "own"), (4, 0, "own")]))
def test_a_rollout_that_can_only_pick_the_rules_move_is_the_rule(n, m, seed, rollout):
    """Width 1 tries only the rule's own move; horizon 0 ranks the tried moves by their makespan
    after, which the rule's move already minimises. Either way the search must be the rule's,
    move for move: the rollouts run on copies and leave the random stream alone."""
    inst = ref.random_instance(np.random.default_rng(seed), n, m)
    plain = probe.run_scored(inst, probe.TEACHER, [5, 20, 40], seed % 1000)
    rolled = probe.run_scored(inst, probe.TEACHER, [5, 20, 40], seed % 1000, rollout=rollout)
    assert plain.tolist() == rolled.tolist()


@settings(max_examples=10, deadline=None)
@given(st.integers(3, 6), st.integers(2, 4), st.integers(0, 2**32 - 1),
       st.sampled_from([(3, 4), (3, 4, "own")]))
def test_a_rollout_search_improves_within_bounds(n, m, seed, rollout):
    inst = ref.random_instance(np.random.default_rng(seed), n, m)
    start = probe.initial_solution(inst, "mwkr", "active", 0).makespan
    best = probe.run_scored(inst, probe.TEACHER, [5, 20, 40], seed % 1000, rollout=rollout).tolist()
    assert start >= best[0] >= best[1] >= best[2] >= inst.trivial_lower_bound()


@pytest.mark.parametrize("text", ["4", "4,x", "0,10", "4,-1", "4,10,x", "4,10,own,own"])
def test_a_malformed_rollout_option_is_one_message(text):
    with pytest.raises(SystemExit, match="--rollout"):
        probe.parse_rollout(text)


def test_a_rollout_by_the_continuations_own_makespan_keeps_steering():
    """Once no continuation beats the search's best, a rollout by the best it leaves follows the
    rule; one by the continuation's own makespan still chooses, so the searches part."""
    assert probe.parse_rollout("4,10,own") == (4, 10, "own")
    inst = load_instance("ft10")
    by_best = probe.run_scored(inst, probe.TEACHER, list(range(25, 301, 25)), 0, rollout=(4, 10))
    by_own = probe.run_scored(inst, probe.TEACHER, list(range(25, 301, 25)), 0,
                              rollout=(4, 10, "own"))
    assert by_best.tolist() != by_own.tolist()


def test_a_test_resumes_from_its_results_file(tmp_path, capsys):
    """The second run finds every run in the file, measures nothing and prints the same table."""
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"weights": probe.TEACHER.tolist()}))
    results, out = tmp_path / "runs.jsonl", tmp_path / "table.md"
    argv = ["--weights", str(weights), "--instances", "ft06", "--eval-seeds", "0",
            "--steps", "3,6", "--rollout", "2,2", "--workers", "1", "--results", str(results),
            "--out", str(out)]
    assert probe.main(argv) == 0
    first, lines = out.read_text(), results.read_text().splitlines()
    assert len(lines) == 5  # teacher, rule, learned, rule rollout, learned rollout
    assert probe.main(argv) == 0
    assert out.read_text() == first and results.read_text().splitlines() == lines


def test_an_interrupted_test_keeps_the_runs_that_ended(tmp_path, monkeypatch):
    """In one process too (``--workers 1``), each run is in the file as soon as it ends."""
    measure, calls = probe.measure_run, []

    def second_one_interrupted(job):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return measure(job)

    monkeypatch.setattr(probe, "measure_run", second_one_interrupted)
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"weights": probe.TEACHER.tolist()}))
    results = tmp_path / "runs.jsonl"
    argv = ["--weights", str(weights), "--instances", "ft06", "--eval-seeds", "0",
            "--steps", "3", "--workers", "1", "--results", str(results),
            "--out", str(tmp_path / "table.md")]
    with pytest.raises(KeyboardInterrupt):
        probe.main(argv)
    assert [json.loads(line)["method"] for line in results.read_text().splitlines()] == ["teacher"]


def test_the_standard_error_averages_the_seeds_of_an_instance_first():
    assert probe.instance_error([[1.0, 3.0], [5.0, 7.0]]) == "se 2.00"  # means 2 and 6
    assert probe.instance_error([[1.0, 3.0]]) == "se -"


def test_a_results_file_of_something_else_is_one_message(tmp_path):
    results = tmp_path / "runs.jsonl"
    results.write_text('{"instance": "ta01"}\n')
    with pytest.raises(SystemExit, match="line 1"):
        probe.read_results(str(results))
