"""The constructive MRT scheduler (DeepRM's approach): baseline, training, resuming, CLI, compare."""

import json

import numpy as np
import pytest
import torch

from rewriter.cli import main
from rewriter.learn.construct.decode import construct
from rewriter.learn.construct.model_file import load_construct_model
from rewriter.learn.construct.mrt.config import MrtConstructConfig
from rewriter.learn.construct.mrt.decode import construct_mrt, decode_episodes
from rewriter.learn.construct.mrt.reinforce import accrued_by, advantages
from rewriter.learn.construct.mrt.train import new_policy, train_mrt_construct
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance as load_jssp
from rewriter.mrt.generate import dataset_instance
from rewriter.mrt.validate import check_mrt_schedule

TINY = dict(resources=2, window=4, embed_dim=16, heads=2, iterations=4, sequences=2, rollouts=3,
            validation_sequences=2, validate_every=2)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A model trained for two iterations (its quality does not matter here)."""
    run = tmp_path_factory.mktemp("construct_mrt") / "run"
    train_mrt_construct(MrtConstructConfig(**{**TINY, "iterations": 2}), run, progress="off")
    return run / "model.pt"


def _policy(seed=0):
    torch.manual_seed(seed)
    return new_policy(MrtConstructConfig(**TINY)).eval()


def test_the_time_baseline_is_exact_and_zero_for_identical_rollouts():
    inst = dataset_instance(2, "test", 0)
    episodes = decode_episodes(inst, _policy(), window=4, samples=3, seed=1)
    for e in episodes:
        # the cost curve at the end is the total slowdown the environment reported
        total = accrued_by(inst, e.schedule, np.array([10**6]))[0]
        assert total / inst.n_jobs == pytest.approx(e.average_slowdown)
        assert accrued_by(inst, e.schedule, np.array([0]))[0] == 0
    same = [decode_episodes(inst, _policy(), window=4)[0] for _ in range(3)]
    for e in same:  # greedy episodes record nothing: give them their decision times
        e.times = list(range(0, 60, 3))
    assert all(np.allclose(a, 0) for a in advantages(same))
    # a rollout that ends up worse than the others gets negative advantages
    worse = [e for e in decode_episodes(inst, _policy(), window=4, samples=4, seed=2)]
    for e in worse:
        e.times = [0, 5, 10]
    adv = advantages(worse)
    k = int(np.argmax([e.average_slowdown for e in worse]))
    assert adv[k][0] < 0


def test_greedy_and_sampled_decoding_validate_with_the_reported_slowdown(tiny_model):
    inst = dataset_instance(2, "test", 3)
    for samples in (1, 3):
        result = construct_mrt(inst, model=tiny_model, samples=samples, seed=0)
        starts = result.solution.starts
        value = check_mrt_schedule(inst, starts)
        assert result.values["average_slowdown"] == pytest.approx(value, abs=1e-6)
        assert result.method == "construct" and result.info["samples"] == samples
    again = construct_mrt(inst, model=tiny_model)
    greedy = construct_mrt(inst, model=tiny_model, samples=1)
    assert again.values == greedy.values  # greedy decoding is deterministic


def test_resume_gives_the_parameters_of_an_uninterrupted_run(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train_mrt_construct(MrtConstructConfig(**TINY), whole, progress="off")
    args = ["train", "--problem", "mrt", "--approach", "construct", "--resources", "2",
            "--window", "4", "--embed-dim", "16", "--heads", "2", "--sequences", "2",
            "--rollouts", "3", "--validation-sequences", "2", "--validate-every", "2", "--quiet",
            "--run-dir", str(parts)]
    assert main(args + ["--iterations", "2"]) == 0
    with pytest.raises(FileExistsError):
        train_mrt_construct(MrtConstructConfig(**TINY), parts, progress="off")
    assert main(args + ["--iterations", "4", "--resume"]) == 0
    a = load_construct_model(whole / "model.pt")[0].state_dict()
    b = load_construct_model(parts / "model.pt")[0].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (whole / "log.csv").read_text() .count("\n") == (parts / "log.csv").read_text().count("\n") == 5
    card = json.loads((parts / "model.json").read_text())
    assert card["problem"] == "mrt" and card["iterations"] == 4 and card["resources"] == 2
    config = json.loads((parts / "config.json").read_text())
    assert config["approach"] == "construct" and config["config"]["problem"] == "mrt"
    assert (parts / "curves.png").is_file() and (parts / "best.pt").is_file()


def test_cli_refuses_options_of_the_other_trainers(tmp_path, capsys):
    run = str(tmp_path / "r")
    assert main(["train", "--problem", "mrt", "--window", "3", "--run-dir", run]) == 2
    assert main(["train", "--problem", "jssp", "--approach", "construct", "--rollouts", "3",
                 "--run-dir", run]) == 2
    assert main(["train", "--problem", "mrt", "--approach", "construct", "--sizes", "4x3",
                 "--run-dir", run]) == 2
    err = capsys.readouterr().err
    assert "--window" in err and "--rollouts" in err and "--sizes" in err


def test_compare_runs_construct_with_the_given_model(tmp_path, tiny_model):
    from rewriter.compare.grid import plan_cells, run_cells

    cells = plan_cells("d2:test:0-1", "sjf,construct,construct:3", problem="mrt",
                       model=str(tiny_model))
    records = run_cells(cells, tmp_path / "results.jsonl", progress="off")
    assert {r["method"] for r in records} == {"sjf", "construct", "construct:3"}
    for r in records:
        assert r["average_slowdown"] >= 1
        assert r["params"] == ({} if r["method"] == "sjf" else {"model": str(tiny_model)})
    with pytest.raises(InputError, match="no such model"):
        plan_cells("d2:test:0", "construct", problem="mrt", model=str(tmp_path / "none.pt"))


def test_a_model_for_another_d_or_problem_is_one_clear_error(tiny_model):
    with pytest.raises(InputError, match="for D = 2; the instance has D = 5"):
        construct_mrt(dataset_instance(5, "test", 0), model=tiny_model)
    with pytest.raises(InputError, match="a constructive model for mrt, not jssp"):
        construct(load_jssp("ft06"), model=tiny_model)
    with pytest.raises(InputError, match="no shipped constructive model mrt_construct_d3.pt"):
        construct_mrt(dataset_instance(3, "test", 0))  # models are shipped for D = 2, 5, 10, 20


@pytest.mark.parametrize("resources", [2, 5, 10, 20])
def test_the_shipped_model_of_each_published_d_schedules_its_instances(resources):
    result = construct_mrt(dataset_instance(resources, "test", 0))  # validated inside
    assert result.method == "construct" and result.info["model"] == f"mrt_construct_d{resources}"
