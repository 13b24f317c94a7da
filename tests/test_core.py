"""The problem-agnostic core: batching, encoder kernels vs the torch reference, policies,
trainer (gradients, loss, resume, seeds) and the learned search's feasibility."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.learn.act import rewrite_step
from rewriter.learn.batch import batch_graphs
from rewriter.learn.checkpoint import load_model, save_model
from rewriter.learn.config import TrainConfig
from rewriter.learn.encoder import TreeLSTMEncoder
from rewriter.learn.policy import Candidates, ModelConfig, RewritePolicy, segment_log_softmax
from rewriter.core.problem import Graph, RewriteState, levels_from_parents
from rewriter.learn.search import learned_search
from rewriter.learn.train import collect, targets, train, update
from rewriter.jssp.generate import random_instance
from rewriter.jssp.rewrite import JobShopProblem, JobShopState
from rewriter.jssp.validate import check_schedule

from . import reference


def random_dag(seed: int, n: int, width: int = 3) -> Graph:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)  # node ids not in topological order
    parents = -np.ones((n, width), np.int64)
    for i in range(1, n):
        k = int(rng.integers(0, width + 1))
        chosen = rng.choice(i, size=min(k, i), replace=False)
        parents[perm[i], :len(chosen)] = perm[chosen]
    order = perm  # a topological order
    return Graph(rng.normal(size=(n, 5)).astype(np.float32), parents,
                 levels_from_parents(parents, order))


def nx_levels(g: Graph) -> dict:
    dag = nx.DiGraph()
    dag.add_nodes_from(range(g.n_nodes))
    dag.add_edges_from((int(p), v) for v in range(g.n_nodes) for p in g.parents[v] if p >= 0)
    level = {}
    for v in nx.topological_sort(dag):
        level[v] = max((level[p] + 1 for p in dag.predecessors(v)), default=0)
    height = {}
    for v in reversed(list(nx.topological_sort(dag))):
        height[v] = max((height[c] + 1 for c in dag.successors(v)), default=0)
    return level, height


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 40))
def test_levels_and_reverse_plan_match_networkx(seed, n):
    g = random_dag(seed, n)
    level, height = nx_levels(g)
    assert [level[v] for v in range(n)] == g.level.tolist()
    batch = batch_graphs([g], reverse=True)
    for plan, want in ((batch.forward, level), (batch.reverse, height)):
        perm = plan.perm.numpy()
        # every level slice holds exactly the nodes of that level, parents come from earlier rows
        for k in range(len(plan.bounds) - 1):
            lo, hi = plan.bounds[k], plan.bounds[k + 1]
            assert {want[v] for v in perm[lo:hi]} == {k}
            par = plan.parents.numpy()[lo:hi]
            assert ((par < lo) | (par == n)).all()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.booleans())
def test_kernels_match_torch_reference_values_and_gradients(seed, reverse):
    graphs = [random_dag(seed + i, 5 + (seed + 7 * i) % 30) for i in range(3)]
    batch = batch_graphs(graphs, reverse=reverse)
    torch.manual_seed(seed % 1000)
    enc = TreeLSTMEncoder(5, 8, reverse=reverse)
    weight = torch.randn(batch.features.shape[0], enc.output_size)
    results = []
    for reference in (True, False):
        enc.zero_grad()
        h = enc(batch, reference=reference)
        (h * weight).sum().backward()
        results.append((h.detach(), [p.grad.clone() for p in enc.parameters()]))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-3)
    with torch.no_grad():  # inference path (numba node loop or numpy levels)
        assert torch.allclose(enc(batch), results[0][0], atol=1e-5)


def test_segment_log_softmax_matches_per_segment_softmax():
    rng = np.random.default_rng(0)
    logits = torch.tensor(rng.normal(size=20), dtype=torch.float32)
    segment = torch.tensor(np.sort(rng.integers(0, 5, size=20)))
    out = segment_log_softmax(logits, segment, 5)
    for s in range(5):
        idx = segment == s
        if idx.any():
            assert torch.allclose(out[idx], torch.log_softmax(logits[idx], 0), atol=1e-6)


def _model(formulation: str) -> RewritePolicy:
    return RewritePolicy(ModelConfig(JobShopState.node_features, JobShopState.pair_features,
                                     hidden=8, mlp_hidden=16, formulation=formulation))


def _states(n=3, size=(6, 4), moves="n5", seed=0):
    problem = JobShopProblem(moves=moves)
    return [problem.initial_state(random_instance(*size, seed=seed + i), "random", seed=i)
            for i in range(n)]


@pytest.mark.parametrize("formulation", ["arc", "node"])
@pytest.mark.parametrize("algo", ["ppo", "reinforce"])
def test_gradients_reach_every_parameter(formulation, algo):
    torch.manual_seed(0)
    model = _model(formulation)
    cfg = TrainConfig(algo=algo, formulation=formulation, episodes=4, episode_steps=6,
                      minibatch=64, ppo_epochs=1, sizes=["6x4"], entropy_coef=0.01,
                      init_rules=JOB_SHOP_RULES)
    rng = np.random.default_rng(0)
    episodes, _ = collect(JobShopProblem(), model, cfg, rng, 0, None)
    records = targets(episodes, cfg)
    assert records
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    update(model, optimizer, records, cfg, rng)
    unused = {"region_scorer"} if formulation == "arc" else set()
    if algo == "reinforce" and formulation == "node":
        unused.add("value_head")  # NeuRewriter's loss uses Q(s, w) as the baseline
    # a softmax does not change when all its logits shift: the last bias of a scorer whose
    # scores only enter softmaxes gets a zero gradient (up to rounding), whatever the data
    shift_invariant = {"pair_scorer.4.bias"}
    if not (algo == "reinforce" and formulation == "node"):
        shift_invariant.add("region_scorer.4.bias")
    for name, p in model.named_parameters():
        if name.split(".")[0] in unused or name in shift_invariant:
            continue
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def _chosen_log_prob(model, records):
    steps = [s for s, _, _ in records]
    cands = Candidates.stack([(s.pairs, s.features) for s in steps], masks=[s.mask for s in steps])
    with torch.no_grad():
        out = model([s.graph for s in steps], cands)
    return out["log_prob"][torch.from_numpy(cands.offsets[:-1] + [s.action for s in steps])]


@pytest.mark.parametrize("formulation", ["arc", "node"])
@pytest.mark.parametrize("algo", ["ppo", "reinforce"])
def test_loss_falls_on_a_fixed_tiny_rollout(formulation, algo):
    """Updates on one fixed rollout lower the value loss (V(s), or Q(s, w) for NeuRewriter's
    region policy) and shift probability towards the choices the algorithm favours: their
    log-probability gains more (or loses less) than the others'.

    The favoured choices are those with an above-average advantage for PPO and those with a
    positive return for REINFORCE with V(s) as baseline. The policy term is a surrogate with a
    moving baseline, not a loss that must fall. REINFORCE in the node formulation weighs the
    rule by return - Q, and Q regresses the very returns it is compared with, so its
    per-choice shift has no fixed sign: there the Q regression is what is checked."""
    torch.manual_seed(0)
    model = _model(formulation)
    cfg = TrainConfig(algo=algo, formulation=formulation, episodes=4, episode_steps=8,
                      minibatch=256, ppo_epochs=1, sizes=["6x4"], entropy_coef=0.0, lr=3e-3,
                      reward_scale=10.0, init_rules=JOB_SHOP_RULES)
    rng = np.random.default_rng(1)
    records = targets(collect(JobShopProblem(), model, cfg, rng, 0, None)[0], cfg)
    if algo == "ppo":
        advantages = np.array([a for _, _, a in records])
        favoured = torch.from_numpy(advantages > advantages.mean())
    else:
        favoured = torch.tensor([g > 0 for _, g, _ in records])
    assert favoured.any() and not favoured.all()
    before = _chosen_log_prob(model, records)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stats = [update(model, optimizer, records, cfg, rng) for _ in range(15)]
    assert np.mean([s["value_loss"] for s in stats[-3:]]) < stats[0]["value_loss"]
    if algo == "ppo" or formulation == "arc":
        gain = _chosen_log_prob(model, records) - before
        assert gain[favoured].mean() > gain[~favoured].mean()


@pytest.mark.parametrize("moves", ["adjacent", "n1", "n5"])
@pytest.mark.parametrize("formulation", ["arc", "node"])
def test_learned_search_only_returns_feasible_schedules(moves, formulation):
    torch.manual_seed(1)
    model = _model(formulation)
    for state in _states(2, (8, 5), moves, seed=3):
        for argmax in (False, True):
            out = learned_search(state, model, 40, seed=2, argmax=argmax)
            sol = out.best.solution
            check_schedule(sol.instance, sol.start_matrix(), sol.makespan)
            assert out.best_cost <= out.initial_cost
        # every intermediate state too, including flips the adjacent set makes cyclic
        states = [state.copy() for _ in range(3)]
        rng = np.random.default_rng(0)
        for _ in range(30):
            for step, s in zip(rewrite_step(model, states, rng), states):
                sol = s.solution
                check_schedule(sol.instance, sol.start_matrix(), sol.makespan)
                assert step.cost_after == sol.makespan


#: the job shop's training starts (its preset), for the tests that roll out without train()
JOB_SHOP_RULES = ["mwkr", "spt", "fifo", "mor", "random"]


def _tiny_config(**kw):
    base = dict(episodes=3, episode_steps=5, iterations=4, minibatch=8, ppo_epochs=2,
                sizes=["5x4", "6x4"], validation_sizes=["6x4"], validation_per_size=1,
                validation_steps=5, validate_every=2, hidden=8, mlp_hidden=16, seed=5,
                init_rules=JOB_SHOP_RULES, validation_init="mwkr")
    base.update(kw)
    return TrainConfig(**base)


def _params(path):
    blob = torch.load(path, map_location="cpu", weights_only=True)
    return blob["model"] if "model" in blob else blob["state_dict"]


def test_resume_gives_the_same_parameters_as_an_uninterrupted_run(tmp_path):
    problem = JobShopProblem()
    train(_tiny_config(), problem, tmp_path / "straight", progress=False)
    train(_tiny_config(iterations=2), problem, tmp_path / "split", progress=False)
    train(_tiny_config(iterations=4), problem, tmp_path / "split", resume=True, progress=False)
    a, b = _params(tmp_path / "straight" / "checkpoint.pt"), _params(tmp_path / "split" / "checkpoint.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    rows = [(tmp_path / d / "log.csv").read_text().splitlines() for d in ("straight", "split")]
    strip = lambda lines: [",".join(x for i, x in enumerate(l.split(",")) if i != 1) for l in lines]  # noqa: E731
    assert strip(rows[0]) == strip(rows[1])  # all but wall time
    with pytest.raises(FileExistsError):
        train(_tiny_config(), problem, tmp_path / "straight", progress=False)


def test_resume_config_keeps_how_older_runs_validated(tmp_path):
    from rewriter.learn.train import resume_config

    config = _tiny_config().to_dict()
    (tmp_path / "config.json").write_text(json.dumps({"config": config}))
    assert resume_config(tmp_path, iterations=7).validation_decoding == "argmax"
    del config["validation_decoding"]  # a run saved before the option existed sampled
    (tmp_path / "config.json").write_text(json.dumps({"config": config}))
    cfg = resume_config(tmp_path, iterations=7)
    assert cfg.validation_decoding == "sample" and cfg.iterations == 7


def test_warm_start_copies_the_weights_and_checks_the_architecture(tmp_path):
    from rewriter.learn.train import warm_start

    problem = JobShopProblem()
    train(_tiny_config(iterations=1), problem, tmp_path / "n5", progress=False)
    source, _ = load_model(tmp_path / "n5" / "model.pt")
    target = RewritePolicy(source.config)
    assert not all(torch.equal(a, b) for a, b in zip(source.parameters(), target.parameters()))
    warm_start(target, tmp_path / "n5" / "model.pt")
    assert all(torch.equal(a, b) for a, b in zip(source.parameters(), target.parameters()))
    with pytest.raises(ValueError, match="architecture"):
        warm_start(RewritePolicy(ModelConfig(source.config.node_features,
                                             source.config.pair_features, hidden=4)),
                   tmp_path / "n5" / "model.pt")
    # a warm-started run on other moves trains from those weights
    cfg = _tiny_config(iterations=1, problem_options={"moves": "n7"}, init_model=str(tmp_path / "n5" / "model.pt"))
    train(cfg, JobShopProblem(moves="n7"), tmp_path / "n7", progress=False)
    model, meta = load_model(tmp_path / "n7" / "model.pt")
    assert meta["options"] == {"moves": "n7"} and meta["card"]["config"]["init_model"]
    # its card carries the card of the model it started from, which survives that file
    source_card = json.loads((tmp_path / "n5" / "model.json").read_text())
    assert meta["card"]["init_model_card"] == source_card
    (tmp_path / "n5" / "model.json").unlink()
    train(cfg, JobShopProblem(moves="n7"), tmp_path / "n7", resume=True, progress=False)
    assert load_model(tmp_path / "n7" / "model.pt")[1]["card"]["init_model_card"] == source_card


def test_same_seed_same_run_and_saved_model_replays(tmp_path):
    problem = JobShopProblem()
    cfg = _tiny_config(iterations=2, algo="reinforce", formulation="node")
    for name in ("a", "b"):
        train(cfg, problem, tmp_path / name, progress=False)
    a, b = _params(tmp_path / "a" / "model.pt"), _params(tmp_path / "b" / "model.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    model, meta = load_model(tmp_path / "a" / "model.pt")
    assert meta["problem"] == "jssp" and meta["card"]["iterations"] == 2
    copy_path = save_model(tmp_path / "copy.pt", model, "jssp", meta["options"])
    again, _ = load_model(copy_path)
    state = _states(1, (8, 5))[0]
    one = learned_search(state, model, 20, seed=4).trace
    two = learned_search(state, again, 20, seed=4).trace
    assert [(s, c) for s, _, c in one] == [(s, c) for s, _, c in two]


def test_candidates_stack_offsets():
    per = [(np.array([[0, 1], [1, 0]]), np.zeros((2, 3), np.float32)),
           (np.zeros((0, 2), np.int64), np.zeros((0, 3), np.float32)),
           (np.array([[2, 3]]), np.ones((1, 3), np.float32))]
    c = Candidates.stack(per)
    assert c.offsets.tolist() == [0, 2, 2, 3] and c.state.tolist() == [0, 0, 2]


def _pressure(state, makespan) -> float:
    """Mean of ((head + duration + tail) / makespan)^2 over operations, heads and tails from
    networkx."""
    inst = state.instance
    heads, tails, _ = reference.heads_tails(inst, state.solution.order)
    through = np.array(heads) + inst.op_duration + np.array(tails)
    return float(np.mean((through / makespan) ** 2))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([(5, 3), (6, 4), (8, 5)]), st.sampled_from(["n5", "n1", "adjacent", "n7"]))
def test_jssp_move_features_are_exact_outcomes_and_memory(seed, size, moves):
    """The look-ahead features equal the makespan a flip really gives; memory follows the flips."""
    from rewriter.jssp.features import MEMORY, MOVE_FEATURES

    col = {name: i for i, name in enumerate(MOVE_FEATURES)}
    state = JobShopProblem(moves=moves).initial_state(random_instance(*size, seed=seed), "spt")

    rng = np.random.default_rng(seed)
    flipped, moved, best = {}, {}, state.cost()  # the memory, kept the obvious way
    for step in range(8):
        pairs, feats = state.candidates()
        if not len(pairs):
            break
        mk = state.cost()
        assert state.best == best
        outcomes = []
        for (region, partner), f in zip(pairs.tolist(), feats.tolist()):
            trial = state.copy()
            assert trial.apply(region, partner)  # cyclic flips are never offered
            outcomes.append((trial.cost(), _pressure(trial, mk)))
            assert f[col["exact_change"]] == pytest.approx(10 * (trial.cost() - mk) / mk, abs=1e-5)
            assert f[col["exact_improves"]] == float(trial.cost() < mk)
            assert f[col["versus_best"]] == pytest.approx(10 * (trial.cost() - best) / mk, abs=1e-5)
            assert f[col["pressure_change"]] == pytest.approx(
                100 * (_pressure(trial, mk) - _pressure(state, mk)), abs=1e-3)
            key = frozenset((region, partner))
            expect = max(0.0, 1 - (step - flipped[key]) / MEMORY) if key in flipped else 0.0
            assert f[col["pair_recency"]] == pytest.approx(expect)
            expect = max(0.0, 1 - (step - moved[region]) / MEMORY) if region in moved else 0.0
            assert f[col["region_recency"]] == pytest.approx(expect)
        for (after, press), f in zip(outcomes, feats.tolist()):
            lower = sum(a < after for a, _ in outcomes)
            assert f[col["outcome_rank"]] == pytest.approx(lower / len(outcomes))
            assert f[col["lowest_outcome"]] == float(lower == 0)
            least = all(p >= press - 1e-9 for a, p in outcomes if a == after)
            assert f[col["lowest_pressure"]] == float(least)
        region, partner = pairs[int(rng.integers(len(pairs)))].tolist()
        assert state.apply(region, partner) and state.step == step + 1
        flipped[frozenset((region, partner))] = moved[region] = moved[partner] = step + 1
        best = min(best, state.cost())


class _TwoSolutions(RewriteState):
    """Every rewrite toggles between two solutions: the smallest possible cycle."""

    node_features, pair_features = 3, 2

    def __init__(self, k=0):
        self.k = k

    def cost(self):
        return 10.0

    def cost_scale(self):
        return 10.0

    def graph(self):
        return Graph(np.zeros((2, 3), np.float32), np.full((2, 2), -1, np.int64), np.zeros(2, np.int64))

    def candidates(self):
        return np.array([[0, 1]], np.int64), np.zeros((1, 2), np.float32)

    def fingerprint(self):
        return self.k % 2

    def apply(self, region, partner):
        self.k += 1
        return True

    def copy(self):
        return _TwoSolutions(self.k)


def _record_decoding(monkeypatch) -> list[bool]:
    """Replace the search's rewrite step by one that applies the only rewrite and records
    whether it was asked for argmax (True) or a sample (False)."""
    import rewriter.learn.search as search

    decoding = []

    def fake_step(model, states, rng, argmax=False, negative_q_keep=None):
        decoding.append(argmax)
        for s in states:
            s.apply(0, 1)
        return [type("Step", (), {"action": 0, "cost_after": s.cost()})() for s in states]

    monkeypatch.setattr(search, "rewrite_step", fake_step)
    return decoding


def test_argmax_search_samples_after_returning_to_a_seen_solution(monkeypatch):
    decoding = _record_decoding(monkeypatch)
    model = RewritePolicy(ModelConfig(3, 2, hidden=4, mlp_hidden=4))
    learned_search(_TwoSolutions(), model, 5, argmax=True)
    # new solution, back at the first one (seen: sample), then only seen ones
    assert decoding == [True, True, False, False, False]
    decoding.clear()
    learned_search(_TwoSolutions(), model, 3, argmax=False)
    assert decoding == [False, False, False]


class _Descent(_TwoSolutions):
    """Costs 9, 8, 8, 8, ... after each rewrite, and never the same solution twice."""

    def cost(self):
        return float(max(10 - self.k, 8))

    def fingerprint(self):
        return None

    def copy(self):
        return _Descent(self.k)


def test_argmax_search_samples_once_it_stalls(monkeypatch):
    decoding = _record_decoding(monkeypatch)
    model = RewritePolicy(ModelConfig(3, 2, hidden=4, mlp_hidden=4))
    out = learned_search(_Descent(), model, 7, argmax=True, explore_after=3)
    # the last new best comes with step 2; from step 2 + 3 on, rewrites are sampled
    assert decoding == [True] * 5 + [False] * 2 and out.best_cost == 8
    for never in (0, None):
        decoding.clear()
        learned_search(_Descent(), model, 7, argmax=True, explore_after=never)
        assert decoding == [True] * 7


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([(5, 3), (6, 4), (8, 5)]), st.sampled_from(["n5", "n7"]))
def test_jssp_expert_is_the_lexicographic_best_admissible_move(seed, size, moves):
    """The expert's move, checked by trying every candidate on a copy: lowest makespan, then
    lowest pressure (heads and tails from networkx), skipping pairs flipped within the tenure
    unless they beat the best makespan."""
    state = JobShopProblem(moves=moves).initial_state(random_instance(*size, seed=seed), "random",
                                                      seed=seed)
    tenure = 10 + size[0] // size[1]
    flipped = {}
    rng = np.random.default_rng(seed)
    for step in range(12):
        pairs, _ = state.candidates()
        k = state.expert_choice()
        if not len(pairs):
            assert k is None
            break
        mk = state.cost()
        outcome = []
        for region, partner in pairs.tolist():
            trial = state.copy()
            assert trial.apply(region, partner)
            key = frozenset((region, partner))
            tabu = key in flipped and step - flipped[key] < tenure
            outcome.append((trial.cost(), round(_pressure(trial, mk), 9),
                            tabu and trial.cost() >= state.best))
        admissible = [o for o in outcome if not o[2]] or outcome
        best = min(o[:2] for o in admissible)
        assert outcome[k][:2] == pytest.approx(best, abs=1e-6)
        assert not outcome[k][2] or len(admissible) == len(outcome)
        # follow a mix of expert and random moves so the memory gets exercised
        region, partner = pairs[k if rng.random() < 0.5 else int(rng.integers(len(pairs)))].tolist()
        assert state.apply(region, partner)
        flipped[frozenset((region, partner))] = step + 1


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([(5, 3), (6, 4), (8, 5)]), st.sampled_from(["n5", "n7"]),
       st.integers(1, 4), st.integers(0, 6))
def test_jssp_rollout_expert_never_reaches_less_than_the_tabu_rule(seed, size, moves, width, horizon):
    """The rollout expert's move, followed by ``horizon`` steps of the tabu rule, reaches a best
    makespan no worse than the rule's own move followed the same way; with one move to try it
    is the rule's move."""
    problem = JobShopProblem(moves=moves, expert="rollout")
    state = problem.initial_state(random_instance(*size, seed=seed), "random", seed=seed)
    assert state.expert == "rollout" and state.copy().expert == "rollout"

    def reached(first):
        trial = state.copy()
        trial.expert = "tabu"
        trial.apply(*state.candidates()[0][first].tolist())
        for _ in range(horizon):
            k = trial.tabu_choice()
            if k is None:
                break
            trial.apply(*trial.candidates()[0][k].tolist())
        return trial.best

    for _ in range(4):
        rule = state.tabu_choice()
        if rule is None:
            assert state.expert_choice() is None
            break
        chosen = state.rollout_choice(width, horizon)
        assert reached(chosen) <= reached(rule)
        if width == 1:
            assert chosen == rule
        assert state.expert_choice() == state.rollout_choice()  # the default width and horizon
        state.apply(*state.candidates()[0][chosen].tolist())


def test_an_unknown_expert_is_refused():
    with pytest.raises(ValueError, match="unknown expert"):
        JobShopProblem(expert="oracle")


def test_imitation_term_raises_the_experts_probability():
    torch.manual_seed(0)
    model = _model("arc")
    cfg = TrainConfig(episodes=4, episode_steps=8, minibatch=256, ppo_epochs=1, sizes=["6x4"],
                      lr=1e-2, imitation_coef=5.0, entropy_coef=0.0, problem_options={"moves": "n7"},
                      init_rules=JOB_SHOP_RULES)
    rng = np.random.default_rng(2)
    records = targets(collect(JobShopProblem(moves="n7"), model, cfg, rng, 0, None)[0], cfg)
    assert all(s.expert >= 0 for s, _, _ in records)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stats = [update(model, optimizer, records, cfg, rng) for _ in range(30)]
    assert stats[-1]["imitation_loss"] < 0.5 * stats[0]["imitation_loss"]
    # without the term the loss is still reported, but nothing is collected for it
    plain = TrainConfig(episodes=2, episode_steps=3, sizes=["6x4"], init_rules=JOB_SHOP_RULES)
    records = targets(collect(JobShopProblem(), model, plain, rng, 0, None)[0], plain)
    assert all(s.expert == -1 for s, _, _ in records)
    assert update(model, optimizer, records, plain, rng)["imitation_loss"] == 0.0


def test_warm_start_widens_a_model_trained_before_a_pair_feature_was_added(tmp_path):
    """New pair features start with zero weight: the widened policy scores exactly as before,
    and the old model still solves, reading the columns it knows."""
    from rewriter.learn.train import warm_start

    torch.manual_seed(0)
    old_cfg = ModelConfig(JobShopState.node_features, JobShopState.pair_features - 1, hidden=8,
                          mlp_hidden=16)
    old = RewritePolicy(old_cfg)
    save_model(tmp_path / "old.pt", old, "jssp", {"moves": "n7"})
    new = RewritePolicy(ModelConfig(JobShopState.node_features, JobShopState.pair_features,
                                    hidden=8, mlp_hidden=16))
    warm_start(new, tmp_path / "old.pt")
    state = _states(1, (8, 5), "n7", seed=5)[0]
    cands = Candidates.stack([state.candidates()])
    with torch.no_grad():
        assert torch.allclose(old([state.graph()], cands)["log_prob"],
                              new([state.graph()], cands)["log_prob"])
    one = learned_search(state, old, 15, seed=1).trace
    two = learned_search(state, new, 15, seed=1).trace
    assert [c for _, _, c in one] == [c for _, _, c in two]
