"""The constructive job-shop scheduler: masking, decoding, PPO, resuming, methods and model kinds."""

import json
import shutil

import numpy as np
import pytest
import torch

from rewriter.cli import main
from rewriter.learn.construct import model_file
from rewriter.learn.construct.config import ConstructConfig
from rewriter.learn.construct.decode import construct, construct_episodes, construct_solution
from rewriter.learn.construct.model_file import load_construct_model, save_construct_model
from rewriter.learn.construct.policy import ConstructPolicy, NumpyActor, PolicyConfig, pad_observations
from rewriter.learn.construct.rollout import play
from rewriter.learn.construct.train import train_construct
from rewriter.learn.checkpoint import load_model
from rewriter.envs.dispatch import JobShopDispatchEnv
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.generate import random_instance
from rewriter.jssp.validate import check_schedule

SHIPPED_REWRITER = model_file.Path(__file__).parents[1] / "rewriter" / "models" / "jssp.pt"


def _policy(seed: int = 0, layers: int = 0) -> ConstructPolicy:
    torch.manual_seed(seed)
    return ConstructPolicy(PolicyConfig(embed_dim=16, heads=2, layers=layers)).eval()


def _tiny(**changes) -> ConstructConfig:
    values = dict(sizes=["4x3", "5x4"], episodes=3, iterations=4, validation_sizes=["5x4"],
                  validation_per_size=1, validate_every=2, embed_dim=16, heads=2, minibatch=32)
    values.update(changes)
    return ConstructConfig(**values)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A constructive model trained for two iterations (its quality does not matter here)."""
    run = tmp_path_factory.mktemp("construct") / "run"
    train_construct(_tiny(iterations=2), run, progress="off")
    return run / "model.pt"


@pytest.mark.parametrize("layers", [0, 1])
def test_masked_actions_have_probability_zero(layers):
    """Illegal actions and padding slots get exactly zero probability; the rest sums to one."""
    rng = np.random.default_rng(3)
    observations = []
    for jobs in (3, 5, 4):  # padded together: 5 slots
        env = JobShopDispatchEnv(instance=random_instance(jobs, 3, seed=jobs))
        obs, _ = env.reset(seed=0)
        for _ in range(int(rng.integers(0, 4))):
            legal = np.flatnonzero(obs["action_mask"])
            obs, *_ = env.step(int(rng.choice(legal)))
        observations.append(obs)
    features, valid, mask = pad_observations(observations, 5)
    mask[0, 0] = False if mask[0].sum() > 1 else mask[0, 0]  # one more masked action somewhere
    log_probs, values = _policy(layers=layers)(torch.from_numpy(features), torch.from_numpy(valid),
                                               torch.from_numpy(mask))
    probs = log_probs.exp().detach().numpy()
    assert (probs[~mask] == 0).all() and (probs[mask] > 0).all()
    assert np.allclose(probs.sum(1), 1.0) and values.shape == (3,)
    assert not valid[0, 3:].any() and not mask[0, 3:5].any()  # padding is never legal


def test_the_numpy_actor_of_decoding_matches_the_torch_policy():
    env = JobShopDispatchEnv(instance=random_instance(7, 4, seed=2))
    observations = [env.reset(seed=0)[0]]
    for action in (0, 1, 7):
        observations.append(env.step(action)[0])
    features, valid, mask = pad_observations(observations, 9)
    policy = _policy(seed=6)
    expected, _ = policy(torch.from_numpy(features), torch.from_numpy(valid),
                         torch.from_numpy(mask))
    got = NumpyActor(policy)(features, valid, mask)
    assert np.array_equal(np.isfinite(got), mask)
    assert np.allclose(got[mask], expected.detach().numpy()[mask], atol=1e-5)
    # and both decode ft06 to the same schedule (the torch path is the one training records)
    inst = load_instance("ft06")
    recorded = play(policy, [JobShopDispatchEnv(instance=inst)], [0], 6, None, record=True)[0]
    assert np.array_equal(recorded.schedule, construct_episodes(inst, policy)[0].schedule)


def test_greedy_decoding_is_deterministic_and_the_schedule_validates():
    inst = load_instance("ft06")
    policy = _policy()
    first, again = construct_episodes(inst, policy)[0], construct_episodes(inst, policy)[0]
    assert np.array_equal(first.schedule, again.schedule) and first.makespan == again.makespan
    # the environment's schedule passes the independent validator with the makespan it reports
    assert check_schedule(inst, first.schedule, first.makespan) == first.makespan
    solution = construct_solution(inst, policy)
    assert solution.makespan <= first.makespan  # the same machine orders, started at once
    sampled = construct_episodes(inst, policy, samples=4, seed=5)
    assert [e.makespan for e in sampled] == [e.makespan for e in
                                             construct_episodes(inst, policy, samples=4, seed=5)]
    for episode in sampled:
        assert check_schedule(inst, episode.schedule, episode.makespan) == episode.makespan


def test_ppo_on_one_instance_learns_far_beyond_its_random_start(tmp_path):
    """Tassel's protocol on ft06 (optimum 55): the untrained policy's sampled schedules average
    about 90; after 20 PPO iterations they average under 72 and the best seen is within 5 of
    the optimum. A broken gradient (wrong sign, no update) stays near 90."""
    inst = load_instance("ft06")
    cfg = ConstructConfig(instance="ft06", iterations=20, episodes=8, lr=1e-3, validate_every=10)
    torch.manual_seed(cfg.seed)
    before = ConstructPolicy()
    untrained = np.mean([e.makespan for e in construct_episodes(inst, before, 64, seed=1)])
    summary = train_construct(cfg, tmp_path / "ft06", progress="off")
    trained, _ = load_construct_model(tmp_path / "ft06" / "model.pt")
    after = np.mean([e.makespan for e in construct_episodes(inst, trained, 64, seed=1)])
    assert untrained > 85 and after < 72
    assert summary.best_makespan <= 60
    best = json.loads((tmp_path / "ft06" / "best_schedule.json").read_text())
    assert check_schedule(inst, best["starts"], best["makespan"]) == summary.best_makespan
    rows = (tmp_path / "ft06" / "log.csv").read_text().splitlines()
    assert len(rows) == 21 and all(np.isfinite(float(v)) for v in rows[-1].split(",")[6:11])


def test_resume_gives_the_parameters_of_an_uninterrupted_run(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train_construct(_tiny(iterations=4), whole, progress="off")
    train_construct(_tiny(iterations=2), parts, progress="off")
    with pytest.raises(FileExistsError):
        train_construct(_tiny(iterations=4), parts, progress="off")
    train_construct(_tiny(iterations=4), parts, resume=True, progress="off")
    a = load_construct_model(whole / "model.pt")[0].state_dict()
    b = load_construct_model(parts / "model.pt")[0].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (whole / "log.csv").read_text().count("\n") == (parts / "log.csv").read_text().count("\n")


def test_interrupted_cli_run_resumes_with_the_same_command(tmp_path, monkeypatch):
    """Ctrl-C in the middle of iteration 3 keeps the checkpoint of iteration 2; the same command
    with --resume finishes with the parameters of an uninterrupted run."""
    from rewriter.learn.construct import train as trainer

    args = ["train", "--problem", "jssp", "--approach", "construct", "--sizes", "4x3",
            "--episodes", "2", "--iterations", "4", "--validation-sizes", "4x3",
            "--validation-per-size", "1", "--embed-dim", "16", "--heads", "2", "--quiet"]
    assert main(args + ["--run-dir", str(tmp_path / "whole")]) == 0
    real_update, calls = trainer.ppo_step, []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_update(*a, **k)

    monkeypatch.setattr(trainer, "ppo_step", interrupted)
    assert main(args + ["--run-dir", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(trainer, "ppo_step", real_update)
    saved = torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)
    assert saved["iteration"] == 2
    assert main(args + ["--run-dir", str(tmp_path / "cut"), "--resume"]) == 0
    a = load_construct_model(tmp_path / "whole" / "model.pt")[0].state_dict()
    b = load_construct_model(tmp_path / "cut" / "model.pt")[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    card = json.loads((tmp_path / "cut" / "model.json").read_text())
    assert card["kind"] == "construct" and card["iterations"] == 4 and card["command"]


def test_compare_records_construct_and_sampled_construct(tmp_path, monkeypatch, tiny_model):
    from rewriter.compare.grid import plan_cells, read_results, run_cells

    monkeypatch.setattr(model_file, "shipped_model_path", lambda: tiny_model)
    results = tmp_path / "results.jsonl"
    cells = plan_cells("ft06,la01", "mwkr,construct,construct:4", problem="jssp")
    records = run_cells(cells, results, progress="off")
    assert {r["method"] for r in records} == {"mwkr", "construct", "construct:4"}
    assert len(read_results(results)) == 6
    for r in records:
        assert r["makespan"] >= r["upper_bound"] and r["gap_percent"] is not None
    by = {(r["instance"], r["method"]): r["makespan"] for r in records}
    # the best of 4 samples is a schedule of its own, validated like every other
    assert all(by[(i, "construct:4")] > 0 for i in ("ft06", "la01"))


def test_solve_policy_and_init_construct(tmp_path, tiny_model, capsys):
    inst = load_instance("ft06")
    greedy = construct(inst, model=tiny_model)
    assert greedy.method == "construct" and greedy.info["decoding"] == "greedy"
    out = tmp_path / "s.json"
    assert main(["solve", "ft06", "--policy", "construct", "--construct-model", str(tiny_model),
                 "--quiet", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["makespan"] == greedy.makespan
    assert main(["validate", "ft06", str(out)]) == 0
    assert main(["solve", "ft06", "--init", "construct", "--construct-model", str(tiny_model),
                 "--policy", "tabu", "--steps", "200", "--quiet", "--out", str(out)]) == 0
    repaired = json.loads(out.read_text())
    assert repaired["init_makespan"] == greedy.makespan >= repaired["makespan"]


def test_a_model_of_the_wrong_kind_is_one_clear_error(tiny_model, capsys):
    with pytest.raises(InputError, match="holds a learned rewriting policy.*expected a learned "
                                         "constructive scheduler"):
        load_construct_model(SHIPPED_REWRITER)
    with pytest.raises(InputError, match="holds a learned constructive scheduler.*expected a "
                                         "learned rewriting policy"):
        load_model(tiny_model)
    assert main(["solve", "ft06", "--policy", "construct", "--construct-model",
                 str(SHIPPED_REWRITER)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rewriting policy" in err
    assert main(["solve", "ft06", "--model", str(tiny_model), "--steps", "5"]) == 2
    assert "constructive scheduler" in capsys.readouterr().err


def test_train_cli_refuses_options_of_the_other_approach(tmp_path, capsys):
    assert main(["train", "--approach", "construct", "--run-dir", str(tmp_path / "a"),
                 "--moves", "n7"]) == 2
    assert "--moves" in capsys.readouterr().err
    assert main(["train", "--run-dir", str(tmp_path / "b"), "--layers", "2"]) == 2
    assert "--approach construct only" in capsys.readouterr().err
    assert main(["train", "--approach", "construct", "--run-dir", str(tmp_path / "c"),
                 "--embed-dim", "30", "--heads", "4"]) == 2
    assert "multiple of --heads" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


def test_a_saved_model_loads_back_identically(tmp_path):
    policy = _policy(seed=4, layers=1)
    path = save_construct_model(tmp_path / "m.pt", policy, {"name": "test"})
    loaded, meta = load_construct_model(path)
    assert meta["card"] == {"name": "test"} and loaded.config == policy.config
    assert all(torch.equal(policy.state_dict()[k], v) for k, v in loaded.state_dict().items())
    shutil.copy(path, tmp_path / "copy.pt")
    blob = torch.load(tmp_path / "copy.pt", weights_only=True)
    blob["policy_config"]["embed_dim"] = 0
    torch.save(blob, tmp_path / "copy.pt")
    with pytest.raises(InputError, match="not a valid constructive model file"):
        load_construct_model(tmp_path / "copy.pt")
