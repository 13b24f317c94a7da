"""The learned region picker (``--policy lns --selector learned``): what it sees (checked against
plain Python), its model files (a model of another problem or kind refused in one line), its
labels and training data (forks leave the schedule alone, files round-trip), and choosing end to
end through the API and the command line with a model trained here on purpose."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import rewriter
from rewriter import registry
from rewriter.cli import main
from rewriter.errors import InputError
from rewriter.fjsp.generate import production_instance
from rewriter.fjsp.dispatching import dispatch_schedule
from rewriter.fjsp.lns import FlexibleRewrite
from rewriter.jssp.lns import JobShopRewrite
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.search import TabuSettings
from rewriter.learn.regions.collect import (COMPLETION_WEIGHT, CollectSettings, label,
                                            load_decisions, save_decisions, trajectory)
from rewriter.learn.regions.features import (N_REGION_FEATURES, OP_FEATURES, candidates,
                                             region_features, view_graph)
from rewriter.learn.regions.model import RegionScorer
from rewriter.learn.regions.picker import LearnedPicker, load_scorer, save_scorer
from rewriter.learn.regions.train import TrainConfig, evaluate, fit, prepare
from rewriter.shop.regions import RULES, chooser

from .reentrant import random_acyclic_order
from .reference import random_instance


def job_shop_problem(seed: int = 0, jobs: int = 6, machines: int = 4) -> JobShopRewrite:
    rng = np.random.default_rng(seed)
    inst = random_instance(rng, jobs, machines, reentrant=seed % 2 == 1)
    return JobShopRewrite(JobShopSolution(inst, random_acyclic_order(rng, inst)), TabuSettings())


def flexible_problem(seed: int = 0) -> FlexibleRewrite:
    inst = production_instance(8, 4, seed)
    return FlexibleRewrite(dispatch_schedule(inst, "mwkr-eet", seed), "makespan", 0.0, (0, 1))


# ---- what it sees --------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [job_shop_problem, flexible_problem])
@pytest.mark.parametrize("seed", range(4))
def test_the_graph_has_every_job_and_machine_sequence_edge(make, seed):
    view = make(seed).view()
    graph = view_graph(view)
    h = graph.hetero
    assert graph.features.shape == (view.n_operations, len(OP_FEATURES))
    assert np.isfinite(graph.features).all()
    want_job = {(o, o + 1) for j in range(len(view.job_start) - 1)
                for o in range(view.job_start[j], view.job_start[j + 1] - 1)}
    assert {tuple(e) for e in h.job_edges.tolist()} == want_job
    want_machine = set()  # consecutive by start on each machine, ties by operation id
    for m in range(view.n_machines):
        ops = sorted(np.flatnonzero(view.assign == m).tolist(), key=lambda o: (view.start[o], o))
        want_machine |= set(zip(ops, ops[1:]))
    assert {tuple(e) for e in h.machine_edges.tolist()} == want_machine
    assigned = {(o, int(view.assign[o])) for o in range(view.n_operations)}
    assert assigned <= {tuple(e) for e in h.eligible.tolist()}


@pytest.mark.parametrize("make", [job_shop_problem, flexible_problem])
def test_region_features_are_shares_and_the_rule_one_hot(make):
    view = make(1).view()
    for rule, free in candidates(view, 5, np.random.default_rng(0), per_rule=3):
        f = region_features(view, free, rule)
        assert f.shape == (N_REGION_FEATURES,)
        assert ((f >= 0) & (f <= 1)).all()
        assert f[-len(RULES):].tolist() == [1.0 if r == rule else 0.0 for r in RULES]
        assert f[0] == pytest.approx(len(free) / view.n_operations)
        assert f[1] == pytest.approx(view.critical[free].mean())


def test_candidates_come_from_every_rule_at_the_size_asked():
    view = job_shop_problem(2, 8, 5).view()
    drawn = candidates(view, 10, np.random.default_rng(3), per_rule=2)
    assert [r for r, _ in drawn] == [r for r in RULES for _ in range(2)]
    for _, free in drawn:
        assert 1 <= len(free) <= view.n_operations and len(np.unique(free)) == len(free)


# ---- the scorer and its files --------------------------------------------------------------------
def test_the_picker_frees_the_best_scored_candidate():
    view = job_shop_problem(3).view()
    torch.manual_seed(0)
    picker = LearnedPicker(RegionScorer(hidden=8, layers=1, heads=2, mlp=8))
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    rule, free = picker.region(view, 6, rng_a)
    drawn = candidates(view, 6, rng_b, picker.per_rule)
    best = int(np.argmax(picker.scores(view, drawn)))
    assert rule == drawn[best][0] and np.array_equal(free, drawn[best][1])
    assert picker.state()["chosen"] == {rule: 1}


def test_scores_do_not_depend_on_the_other_candidates():
    view = flexible_problem(2).view()
    scorer = RegionScorer(hidden=8, layers=1, heads=2, mlp=8).eval()
    drawn = candidates(view, 6, np.random.default_rng(0))
    picker = LearnedPicker(scorer)
    all_scores = picker.scores(view, drawn)
    assert picker.scores(view, drawn[3:5]) == pytest.approx(all_scores[3:5], abs=1e-5)


def test_a_model_file_round_trips_and_refuses_another_problem(tmp_path):
    scorer = RegionScorer(hidden=8, layers=1, heads=2, mlp=8)
    path = save_scorer(tmp_path / "p.pt", scorer, "jssp", {"kind": "region picker"})
    loaded = load_scorer(path, "jssp")
    view = job_shop_problem(0).view()
    drawn = candidates(view, 5, np.random.default_rng(1))
    assert LearnedPicker(loaded).scores(view, drawn) == pytest.approx(
        LearnedPicker(scorer.eval()).scores(view, drawn), abs=1e-6)
    assert loaded.card == {"kind": "region picker"}
    with pytest.raises(InputError, match="trained on 'jssp'.*expected one trained on 'fjsp'"):
        load_scorer(path, "fjsp")


def test_another_kind_of_model_file_is_refused(tmp_path):
    from rewriter.learn.checkpoint import shipped_model

    with pytest.raises(InputError, match="learned rewriting policy.*expected a learned region picker"):
        load_scorer(shipped_model("jssp.pt"), "jssp")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a valid"):
        load_scorer(bad, "jssp")


# ---- labels and data -----------------------------------------------------------------------------
def test_labels_are_gain_per_second_with_the_completion_time_beside_the_cost():
    gain, rate = label((100.0, 1000.0), (90.0, 1000.0), 0.5)
    assert gain == pytest.approx(0.1) and rate == pytest.approx(0.2)
    gain, _ = label((100.0, 1000.0), (100.0, 900.0), 1.0)
    assert gain == pytest.approx(COMPLETION_WEIGHT * 0.1)
    assert label((100.0, 1000.0), (100.0, 1000.0), 0.0) == (0.0, 0.0)
    # a lower cost with the jobs ending later in total: the cost gain alone, never below zero
    gain, _ = label((100.0, 1000.0), (99.0, 1200.0), 1.0)
    assert gain == pytest.approx(0.01)


@pytest.mark.parametrize("make", [job_shop_problem, flexible_problem])
def test_a_fork_rewrites_without_touching_the_schedule(make):
    problem = make(4)
    cost, completion, best = problem.cost, problem.completion, problem.best_cost
    snapshot = problem.best()
    twin = problem.fork()
    twin.rewrite(np.arange(problem.n_operations), 2.0, 0, 1, True)
    twin.polish(200, 1.0, None, 0)
    assert twin.cost <= cost
    assert (problem.cost, problem.completion, problem.best_cost) == (cost, completion, best)
    if isinstance(problem, JobShopRewrite):
        assert np.array_equal(problem.best().order, snapshot.order)
    else:
        assert problem.best() is snapshot


def test_decisions_round_trip_through_their_file(tmp_path):
    problem = flexible_problem(5)
    settings = CollectSettings(decisions=2, subsolve=0.02, size=6, polish=50, first_polish=100)
    decisions = trajectory(problem, settings, seed=0)
    save_decisions(tmp_path / "d.npz", decisions)
    back = load_decisions(tmp_path / "d.npz")
    assert len(back) == 2
    for a, b in zip(decisions, back):
        assert [r for r, _ in a.drawn] == [r for r, _ in b.drawn]
        assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(a.drawn, b.drawn))
        assert np.array_equal(a.labels, b.labels) and np.array_equal(a.view.start, b.view.start)
        assert np.array_equal(a.view.options[0], b.view.options[0])
        assert (a.labels >= 0).all() and len(a.labels) == len(a.drawn)


def test_collection_is_repeatable():
    settings = CollectSettings(decisions=2, subsolve=0.05, size=8, polish=50, first_polish=100)
    a = trajectory(job_shop_problem(6, 8, 5), settings, seed=1)
    b = trajectory(job_shop_problem(6, 8, 5), settings, seed=1)
    assert all(np.array_equal(x.labels, y.labels) for x, y in zip(a, b))


# ---- training, and choosing end to end -------------------------------------------------------------
def synthetic_decisions(count: int, seed: int):
    """Decisions whose best candidate is always the critical rule's: a pattern to learn."""
    from rewriter.learn.regions.collect import Decision

    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        view = job_shop_problem(k, 6, 4).view()
        drawn = candidates(view, 6, rng)
        labels = np.array([1.0 if r == "critical" else 0.1 * rng.random() for r, _ in drawn])
        out.append(Decision(view, drawn, labels, labels, np.ones(len(drawn))))
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    config = TrainConfig(problem="jssp", epochs=15, hidden=8, layers=1, lr=3e-3)
    train, valid = prepare(synthetic_decisions(12, 0)), prepare(synthetic_decisions(4, 1))
    scorer, curve = fit(config, train, valid, lambda row: None)
    path = save_scorer(tmp_path_factory.mktemp("picker") / "model.pt", scorer, "jssp")
    return path, scorer, valid, curve


def test_training_learns_a_pattern_the_labels_hold(trained):
    _, scorer, valid, curve = trained
    result = evaluate(scorer, valid)
    assert result["learned"] > result["uniform"] + 0.3  # critical's candidates are the best
    assert result["learned"] >= result["critical"] - 1e-9 - 0.2
    assert curve[-1]["loss"] < curve[0]["loss"]


def test_prepare_skips_decisions_in_which_nothing_gained():
    decisions = synthetic_decisions(2, 0)
    decisions[0].labels[:] = 0.0
    assert len(prepare(decisions)) == 1


def test_the_learned_selector_solves_through_the_api_and_the_command_line(trained, tmp_path, capsys):
    path = trained[0]
    inst = rewriter.load_instance("ft06")
    r = rewriter.solve(inst, policy="lns", selector="learned", model=str(path), steps=2,
                       time_limit=5, seed=0, workers=1)
    assert r.info["selector"] == "learned" and set(r.info["pickers"]) <= set(RULES)
    assert r.makespan >= 55
    out = tmp_path / "s.json"
    code = main(["solve", "ft06", "--policy", "lns", "--selector", "learned", "--model",
                 str(path), "--steps", "2", "--time-limit", "5", "--workers", "1", "--out",
                 str(out)])
    assert code == 0 and json.loads(out.read_text())["makespan"] >= 55


def test_a_picker_of_another_problem_is_refused_in_one_line(trained, capsys):
    code = main(["solve", "mk01", "--policy", "lns", "--selector", "learned", "--model",
                 str(trained[0]), "--time-limit", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "trained on 'jssp'" in err[0]


def test_a_model_with_another_selector_is_refused(trained):
    inst = rewriter.load_instance("ft06")
    with pytest.raises(InputError, match="--selector learned"):
        rewriter.solve(inst, policy="lns", selector="window", model=str(trained[0]), steps=1)
    with pytest.raises(InputError, match="--selector learned"):
        registry.get("fjsp").run(production_instance(6, 3, 0), init="mwkr-eet", policy="lns",
                                 selector="adaptive", model=str(trained[0]), steps=1)


def test_the_learned_chooser_needs_its_learner_installed():
    with pytest.raises(InputError, match="no learned region picker is installed for mrt"):
        chooser("learned", "mrt")


def test_the_flexible_shop_has_no_shipped_picker_and_says_how_to_train_one(capsys):
    code = main(["solve", "mk01", "--policy", "lns", "--selector", "learned", "--time-limit", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "fjsp_regions.pt" in err[0] and "rewriter.learn.regions.train" in err[0]


def test_a_flexible_shop_picker_given_as_a_file_solves(tmp_path):
    path = save_scorer(tmp_path / "f.pt", RegionScorer(hidden=8, layers=1, heads=2, mlp=8), "fjsp")
    r = registry.get("fjsp").run(production_instance(8, 4, 1), init="mwkr-eet", policy="lns",
                                 selector="learned", model=str(path), steps=2, time_limit=2,
                                 seed=0, workers=1)
    assert r.info["selector"] == "learned" and r.cost <= r.init_cost
    assert sum(r.info["picker"]["chosen"].values()) == r.steps


@pytest.mark.parametrize("instance", ["ft06", "mk01"])
def test_the_command_line_runs_every_hand_selector_without_a_model(instance, capsys):
    # the command line's --model defaults to "default": no model given, nothing to refuse
    assert main(["solve", instance, "--policy", "lns", "--selector", "window", "--steps", "1",
                 "--time-limit", "2", "--workers", "1"]) == 0
