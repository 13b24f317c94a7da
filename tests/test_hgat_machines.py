"""hgat's eligibility messages along each operation's K fastest machines plus its current one
(``--hgat-machines``): the kept edges, K that keeps all of them, the job shop, old model files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.learn.checkpoint import load_model, save_model
from rewriter.learn.config import TrainConfig
from rewriter.shop.hetero import build_hetero, message_edges
from rewriter.learn.hgat import batch_hetero
from rewriter.learn.policy import Candidates, ModelConfig, RewritePolicy
from rewriter.learn.train import resume_config
from rewriter.fjsp.rewrite import FlexibleRewriteProblem
from rewriter.jssp.rewrite import JobShopProblem


def _states(problem, sizes, init):
    rng = np.random.default_rng(0)
    return [problem.initial_state(problem.sample_instance(rng, s), init) for s in sizes]


def _policy(state, machines, seed=0) -> RewritePolicy:
    torch.manual_seed(seed)
    return RewritePolicy(ModelConfig(state.node_features, state.pair_features, encoder="hgat",
                                     hgat_machines=machines)).eval()


@st.composite
def flexible(draw):
    """(eligible (E, 2), processing (E,), current machine of each operation, M): operations on
    random machine subsets with few distinct times, so that ties are frequent."""
    n_machines = draw(st.integers(1, 6))
    n_ops = draw(st.integers(1, 8))
    eligible, processing, current = [], [], []
    for op in range(n_ops):
        machines = draw(st.lists(st.integers(0, n_machines - 1), min_size=1, unique=True))
        eligible += [(op, k) for k in machines]
        processing += [draw(st.integers(1, 3)) for _ in machines]
        current.append(draw(st.sampled_from(machines)))
    return np.array(eligible), np.array(processing, float), np.array(current), n_machines


def _reference(eligible, processing, current, k) -> set:
    """For each operation: its machines sorted by (time, index), the first k, and its current."""
    kept = set()
    for op in set(eligible[:, 0].tolist()):
        mine = sorted((processing[e], eligible[e, 1]) for e in range(len(eligible))
                      if eligible[e, 0] == op)
        fastest = [m for _, m in mine] if k == 0 else [m for _, m in mine[:k]]
        kept |= {(op, int(m)) for m in fastest + [current[op]]}
    return kept


@settings(max_examples=150, deadline=None)
@given(flexible(), st.integers(0, 7), st.randoms(use_true_random=False))
def test_the_kept_edges_are_each_operations_k_fastest_and_its_current_one(case, k, rnd):
    eligible, processing, current, m = case
    order = np.array(rnd.sample(range(len(eligible)), len(eligible)))  # any edge order
    eligible, processing = eligible[order], processing[order]
    n = len(current)
    none = np.full(n, -1)
    hetero = build_hetero(job_pred=none, mach_pred=none, op_machine=current, heads=np.zeros(n),
                          durations=np.ones(n), eligible=eligible, processing=processing,
                          n_machines=m, scale=1.0, makespan=1.0)
    kept = {tuple(e) for e in hetero.eligible[message_edges(hetero, k)].tolist()}
    assert kept == _reference(eligible, processing, current, k)


def test_the_flexible_shop_passes_the_same_ranks_it_would_get_computed(fjsp_states):
    for state in fjsp_states:
        h = state.hetero()
        again = build_hetero(job_pred=np.full(h.n_ops, -1), mach_pred=np.full(h.n_ops, -1),
                             op_machine=h.op_machine, heads=np.zeros(h.n_ops),
                             durations=np.ones(h.n_ops), eligible=h.eligible,
                             processing=h.processing, n_machines=h.n_machines, scale=1.0,
                             makespan=1.0)
        assert np.array_equal(h.eligible_rank, again.eligible_rank)


@pytest.fixture(scope="module")
def fjsp_states():
    return _states(FlexibleRewriteProblem(), ["6x3", "12x5", "9x4"], "mwkr-eet")


def _outputs(model, states):
    graphs = [model.observe(s) for s in states]
    cands = Candidates.stack([s.candidates() for s in states])
    with torch.no_grad():
        encoded = model.encode(graphs)
        return encoded.emb, model.score(encoded, cands)["log_prob"]


def test_k_at_least_the_longest_eligibility_list_is_all_of_them(fjsp_states):
    longest = max(np.bincount(s.hetero().eligible[:, 0]).max() for s in fjsp_states)
    assert longest > 1  # else this test would say nothing
    emb, log_prob = _outputs(_policy(fjsp_states[0], 0), fjsp_states)
    for k in (int(longest), int(longest) + 3):
        emb_k, log_prob_k = _outputs(_policy(fjsp_states[0], k), fjsp_states)
        assert torch.allclose(emb, emb_k) and torch.allclose(log_prob, log_prob_k)
    emb_1, _ = _outputs(_policy(fjsp_states[0], 1), fjsp_states)
    assert not torch.allclose(emb, emb_1)  # fewer messages: another function


def test_k_restricts_the_messages_and_not_the_scored_edges(fjsp_states):
    graphs = [_policy(fjsp_states[0], 1).observe(s) for s in fjsp_states]
    full, one = batch_hetero(graphs), batch_hetero(graphs, 1)
    assert torch.equal(full.eligible, one.eligible)
    assert torch.equal(full.eligible_attr, one.eligible_attr)
    n_ops = sum(h.n_ops for h in one.heteros)
    for name in ("runs_on", "serves"):  # k=1: the fastest machine and the current one
        assert n_ops <= len(one.edges[name][0]) <= 2 * n_ops
        assert len(one.edges[name][0]) < len(full.edges[name][0])


def test_k_changes_nothing_on_the_job_shop():
    states = _states(JobShopProblem(), ["6x4", "10x5"], "mwkr")
    emb, log_prob = _outputs(_policy(states[0], 0), states)
    emb_1, log_prob_1 = _outputs(_policy(states[0], 1), states)
    assert torch.equal(emb, emb_1) and torch.equal(log_prob, log_prob_1)


def test_a_model_file_without_the_field_passes_messages_along_all_machines(tmp_path, fjsp_states):
    path = save_model(tmp_path / "old.pt", _policy(fjsp_states[0], 0), "fjsp", {})
    blob = torch.load(path, weights_only=True)
    del blob["model_config"]["hgat_machines"]
    torch.save(blob, path)
    loaded, _ = load_model(path)
    assert loaded.config.hgat_machines == 0
    kept, _ = load_model(save_model(tmp_path / "new.pt", _policy(fjsp_states[0], 3), "fjsp", {}))
    assert kept.config.hgat_machines == 3


def test_a_run_saved_without_the_field_resumes_with_all_machines(tmp_path):
    config = TrainConfig(encoder="hgat", sizes=["6x3"], init_rules=["mwkr-eet"],
                         validation_sizes=["6x3"], validation_init="mwkr-eet").check().to_dict()
    assert config.pop("hgat_machines") == 8  # a new run's default
    (tmp_path / "config.json").write_text(json.dumps({"config": config}))
    assert resume_config(tmp_path).hgat_machines == 0
