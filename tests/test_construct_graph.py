"""The graph constructive scheduler (``--network graph``): batching, masking, decoding, PPO,
resuming, model files and the compare method."""

import json

import numpy as np
import pytest
import torch

from rewriter.cli import main
from rewriter.learn.construct.config import ConstructConfig
from rewriter.learn.construct.decode import construct, construct_episodes
from rewriter.learn.construct.graph.policy import GraphBatch, GraphConstructPolicy, GraphPolicyConfig
from rewriter.learn.construct.graph.rollout import graph_state
from rewriter.learn.construct.model_file import load_construct_model, save_construct_model
from rewriter.learn.construct.train import train_construct
from rewriter.envs.graph import JobShopGraphEnv
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.generate import random_instance
from rewriter.jssp.validate import check_schedule


def _policy(seed: int = 0) -> GraphConstructPolicy:
    torch.manual_seed(seed)
    return GraphConstructPolicy(GraphPolicyConfig(embed_dim=16, layers=2)).eval()


def _tiny(**changes) -> ConstructConfig:
    values = dict(network="graph", sizes=["4x3", "5x4"], episodes=3, iterations=4,
                  validation_sizes=["5x4"], validation_per_size=1, validate_every=2,
                  embed_dim=16, rounds=2, minibatch=32)
    values.update(changes)
    return ConstructConfig(**values)


@pytest.fixture(scope="module")
def graph_model(tmp_path_factory):
    run = tmp_path_factory.mktemp("graph") / "run"
    train_construct(_tiny(iterations=2), run, progress="off")
    return run / "model.pt"


def _states(seed: int):
    """Observations of two instances of different sizes, a few decisions in."""
    states = []
    for n, m in ((4, 3), (6, 5)):
        env = JobShopGraphEnv(random_instance(n, m, seed=seed))
        obs, _ = env.reset(seed=0)
        for job in (0, 1, 0):
            obs, *_ = env.step(job)
        states.append(graph_state(obs, n, m))
    return states


def test_a_batch_scores_each_graph_as_it_would_alone():
    policy = _policy()
    states = _states(3)
    with torch.no_grad():
        both, values = policy(GraphBatch.collate(states))
        for row, state in enumerate(states):
            alone, value = policy(GraphBatch.collate([state]))
            n = len(state[2])
            torch.testing.assert_close(both[row, :n], alone[0], rtol=1e-5, atol=1e-5)
            assert torch.isinf(both[row, n:]).all()
            torch.testing.assert_close(values[row], value[0], rtol=1e-5, atol=1e-5)


def test_finished_jobs_have_probability_zero():
    inst = load_instance("ft06")
    env = JobShopGraphEnv(inst)
    obs, _ = env.reset(seed=0)
    for _ in range(inst.n_machines):  # job 2 finishes
        obs, *_ = env.step(2)
    with torch.no_grad():
        log_probs, _ = _policy()(GraphBatch.collate([graph_state(obs, 6, 6)]))
    probs = log_probs.exp()[0]
    assert probs[2] == 0 and torch.isclose(probs.sum(), torch.tensor(1.0))


def test_greedy_is_deterministic_and_every_schedule_validates():
    inst = load_instance("la01")
    policy = _policy(1)
    a = construct_episodes(inst, policy)[0]
    b = construct_episodes(inst, policy)[0]
    np.testing.assert_array_equal(a.schedule, b.schedule)
    for episode in [a] + construct_episodes(inst, policy, samples=4, seed=2):
        assert check_schedule(inst, episode.schedule, episode.makespan) == episode.makespan


def test_one_ppo_step_makes_better_than_expected_decisions_more_likely():
    """One PPO step on recorded ft06 episodes raises the advantage-weighted log-probability of
    the decisions taken (the surrogate objective, to first order). A gradient of
    the wrong sign, or none, fails this."""
    from rewriter.learn.construct.graph.rollout import evaluate_graphs, graph_batch, play_graph
    from rewriter.learn.construct.networks import ppo_step

    # the policy's loss alone (no value or entropy term: the critic shares the encoder), and a
    # step small enough that the first-order change decides
    cfg = _tiny(instance="ft06", episodes=8, ppo_epochs=1, minibatch=512, lr=1e-2,
                entropy_coef=0.0, value_coef=0.0).check()
    policy = _policy(2)
    envs = [JobShopGraphEnv("ft06") for _ in range(8)]
    episodes = play_graph(policy, envs, [0] * 8, np.random.default_rng(0), record=True)
    batch = graph_batch(episodes, cfg)
    everything = torch.arange(len(batch["actions"]))
    # plain gradient descent: Adam's first step has full size along noise directions too
    optimizer = torch.optim.SGD(policy.parameters(), lr=cfg.lr)
    ppo_step(policy, optimizer, episodes, cfg, np.random.default_rng(1))
    with torch.no_grad():
        log_probs, _ = evaluate_graphs(policy, batch, everything)
    new = log_probs.gather(1, batch["actions"].unsqueeze(1)).squeeze(1)
    change = new - batch["log_probs"]
    adv = batch["advantages"]
    adv = (adv - adv.mean()) / adv.std()  # as the update normalises them
    assert float((change * adv).mean()) > 0


@pytest.mark.slow
def test_ppo_on_one_instance_learns_beyond_its_random_start(tmp_path):
    """Per-instance PPO on ft06 (optimum 55): sampled schedules of the untrained policy average
    about 70; after 60 iterations they average lower by 3 or more."""
    inst = load_instance("ft06")
    cfg = ConstructConfig(network="graph", instance="ft06", iterations=60, episodes=8, lr=3e-3,
                          validate_every=20)
    torch.manual_seed(cfg.seed)
    from rewriter.learn.construct.networks import new_policy

    untrained = np.mean([e.makespan for e in construct_episodes(inst, new_policy(cfg), 64, 1)])
    summary = train_construct(cfg, tmp_path / "ft06", progress="off")
    trained, meta = load_construct_model(tmp_path / "ft06" / "model.pt")
    assert meta["network"] == "graph" and isinstance(trained, GraphConstructPolicy)
    after = np.mean([e.makespan for e in construct_episodes(inst, trained, 64, seed=1)])
    assert after < untrained - 3
    best = json.loads((tmp_path / "ft06" / "best_schedule.json").read_text())
    assert check_schedule(inst, best["starts"], best["makespan"]) == summary.best_makespan


def test_resume_gives_the_parameters_of_an_uninterrupted_run(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train_construct(_tiny(iterations=4), whole, progress="off")
    train_construct(_tiny(iterations=2), parts, progress="off")
    train_construct(_tiny(iterations=4), parts, resume=True, progress="off")
    a = load_construct_model(whole / "model.pt")[0].state_dict()
    b = load_construct_model(parts / "model.pt")[0].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_saved_model_loads_back_identically_and_a_bad_network_is_refused(tmp_path):
    policy = _policy(4)
    path = save_construct_model(tmp_path / "m.pt", policy, {"name": "g"})
    loaded, meta = load_construct_model(path)
    assert meta["network"] == "graph" and loaded.config == policy.config
    assert all(torch.equal(policy.state_dict()[k], v) for k, v in loaded.state_dict().items())
    blob = torch.load(path, weights_only=True)
    blob["network"] = "tree"
    torch.save(blob, tmp_path / "bad.pt")
    with pytest.raises(InputError, match="network 'tree'"):
        load_construct_model(tmp_path / "bad.pt")
    blob["network"] = "jobs"  # a graph policy's weights named as the per-job network's
    torch.save(blob, tmp_path / "bad.pt")
    with pytest.raises(InputError, match="not a valid constructive model file"):
        load_construct_model(tmp_path / "bad.pt")


def test_solve_and_compare_take_a_graph_model(tmp_path, graph_model):
    from rewriter.compare.grid import plan_cells, run_cells

    inst = load_instance("ft06")
    greedy = construct(inst, model=graph_model)
    out = tmp_path / "s.json"
    assert main(["solve", "ft06", "--policy", "construct", "--construct-model", str(graph_model),
                 "--quiet", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["makespan"] == greedy.makespan
    cells = plan_cells("ft06", "construct,construct:3", problem="jssp", model=graph_model)
    records = run_cells(cells, tmp_path / "r.jsonl", progress="off")
    by = {r["method"]: r["makespan"] for r in records}
    assert by["construct"] == greedy.makespan and by["construct:3"] > 0


def test_the_cli_trains_the_graph_network_and_checks_its_options(tmp_path, capsys):
    assert main(["train", "--approach", "construct", "--network", "graph", "--rounds", "1",
                 "--sizes", "3x3", "--episodes", "2", "--iterations", "1",
                 "--validation-sizes", "3x3", "--validation-per-size", "1", "--embed-dim", "8",
                 "--run-dir", str(tmp_path / "g"), "--quiet"]) == 0
    card = json.loads((tmp_path / "g" / "model.json").read_text())
    assert card["network"] == "graph" and card["config"]["rounds"] == 1
    assert main(["train", "--approach", "construct", "--network", "tree",
                 "--run-dir", str(tmp_path / "h")]) == 2
    assert "--network" in capsys.readouterr().err and not (tmp_path / "h").exists()


def test_the_shipped_graph_model_runs_as_the_construct_graph_methods(tmp_path):
    from rewriter.compare.grid import plan_cells, run_cells

    _, meta = load_construct_model(model_file_path())
    assert meta["network"] == "graph" and meta["card"]["name"] == "jssp_construct_graph"
    cells = plan_cells("ft06,la01", "construct-graph,construct-graph:2,construct-graph-time:0.5",
                       problem="jssp")
    records = run_cells(cells, tmp_path / "r.jsonl", progress="off")
    assert len(records) == 6
    for r in records:  # every record's schedule went through the validator
        assert r["makespan"] >= r["upper_bound"]


def model_file_path():
    from rewriter.learn.construct.model_file import SHIPPED_GRAPH, shipped_model_path

    return shipped_model_path(SHIPPED_GRAPH)
