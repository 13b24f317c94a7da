"""The hierarchical job -> machine policy: its numpy decoder takes the torch policy's choices, the
recorded log-probabilities are the ones PPO re-evaluates, the warm start's teacher is mwkr-eet,
updates learn, model files round-trip and refuse others, and the start rule and comparison method
return validated schedules."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from rewriter.envs.flexible_mdp import FlexibleMDP
from rewriter.errors import InputError
from rewriter.fjsp.dispatching import dispatch
from rewriter.fjsp.generate import production_instance
from rewriter.fjsp.validate import check_schedule
from rewriter.learn.hierarchical.config import HierarchicalConfig
from rewriter.learn.hierarchical.dispatch import GreedyActor, hierarchical_schedule
from rewriter.learn.hierarchical.features import job_view, machine_view
from rewriter.learn.hierarchical.imitation import imitation_update, teacher_episodes
from rewriter.learn.hierarchical.model_file import load_hierarchical, save_hierarchical
from rewriter.learn.hierarchical.policy import HierarchicalPolicy, PolicyConfig
from rewriter.learn.hierarchical.rollout import play
from rewriter.learn.hierarchical.train import (ppo_update, rollout_batch, train_hierarchical)


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as training runs: small batches are slower on more."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def policy(seed: int = 0, hidden: int = 16) -> HierarchicalPolicy:
    torch.manual_seed(seed)
    return HierarchicalPolicy(PolicyConfig(hidden)).eval()


def torch_greedy(net: HierarchicalPolicy, mdp: FlexibleMDP) -> tuple[int, int]:
    """The torch policy's most likely job, then machine (and places the operation)."""
    jv = job_view([mdp])
    with torch.inference_mode():
        embedded, context = net.encode(torch.from_numpy(jv.jobs), torch.from_numpy(jv.alive),
                                       torch.from_numpy(jv.machines))
        job = int(net.job_log_probs(embedded, context, torch.from_numpy(jv.pickable))[0].argmax())
        mdp.choose_job(job)
        mv = machine_view([mdp], jv.machines)
        machine = int(net.machine_log_probs(torch.from_numpy(mv.machines),
                                            torch.from_numpy(mv.eligible),
                                            embedded[:, job], context)[0].argmax())
    mdp.choose_machine(machine)
    return job, machine


@pytest.mark.parametrize("seed, n, m", [(0, 15, 25), (1, 30, 8), (2, 6, 3)])
def test_the_numpy_decoder_takes_the_torch_policys_greedy_choices(seed, n, m):
    net = policy(seed)
    inst = production_instance(n, m, seed + 10)
    fast, slow = FlexibleMDP(inst), FlexibleMDP(inst)
    actor = GreedyActor(net)
    while not slow.over:
        actor.place_next(fast)
        torch_greedy(net, slow)
        assert fast.order == slow.order and np.array_equal(fast.assign, slow.assign)
    schedule = hierarchical_schedule(inst, net)
    check_schedule(inst, schedule.assign, schedule.heads)
    assert schedule.makespan == slow.makespan


def test_recorded_log_probs_are_what_ppo_reevaluates_and_updates_change_them():
    net = policy(3)
    instances = [production_instance(12, 10, s) for s in (20, 21)]
    episodes = play(net, [FlexibleMDP(i) for i in instances], np.random.default_rng(0),
                    record=True)
    for episode, inst in zip(episodes, instances):
        assert len(episode.rewards) == inst.n_operations
        assert -sum(episode.rewards) * episode.norm == pytest.approx(episode.makespan)
        check_schedule(inst, episode.mdp.assign, episode.mdp.start)
    cfg = HierarchicalConfig(minibatch=32, ppo_epochs=2)
    batch = rollout_batch(episodes, cfg)
    with torch.no_grad():
        job_lp, machine_lp, values = net.evaluate(batch)
    joint = (job_lp.gather(1, batch["job_actions"][:, None])
             + machine_lp.gather(1, batch["machine_actions"][:, None])).squeeze(1)
    assert torch.allclose(joint, batch["log_probs"], atol=1e-5)
    assert torch.isfinite(joint).all()  # every taken action was allowed by its mask
    before = [p.detach().clone() for p in net.parameters()]
    losses = ppo_update(net, torch.optim.Adam(net.parameters(), lr=1e-3), batch, cfg,
                        np.random.default_rng(0))
    assert all(np.isfinite(v) for v in losses.values()) and losses["approx_kl"] >= 0
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_the_teacher_breaks_an_equal_work_tie_as_the_rule():
    """On this training instance two jobs' mean work left differs in the last bit only, depending
    on the order of the additions; the teacher must add in the rule's order to follow it."""
    inst = production_instance(411, 149, 174638842)
    episode = teacher_episodes([inst])[0]
    assign, start, _ = dispatch(inst, "mwkr-eet")
    assert np.array_equal(episode.mdp.assign, assign) and np.array_equal(episode.mdp.start, start)


def test_the_teacher_is_mwkr_eet_and_imitation_learns_its_choices():
    instances = [production_instance(15, 12, s) for s in (30, 31)]
    episodes = teacher_episodes(instances)
    for episode, inst in zip(episodes, instances):
        assign, start, _ = dispatch(inst, "mwkr-eet")
        assert np.array_equal(episode.mdp.assign, assign)
        assert np.array_equal(episode.mdp.start, start)
    net = policy(4)
    cfg = HierarchicalConfig()
    batch = rollout_batch(episodes, replace(cfg, gae_lambda=1.0))
    # with lambda 1 and zero values the return is the whole rest of the episode
    first = len(episodes[0].rewards)
    assert batch["returns"][0].item() == pytest.approx(-episodes[0].makespan / episodes[0].norm,
                                                       rel=1e-5)
    assert batch["returns"][first - 1].item() == pytest.approx(episodes[0].rewards[-1], rel=1e-5)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    start = imitation_update(net, optimizer, batch, 1, 64, 0.5, rng)["policy_loss"]
    end = imitation_update(net, optimizer, batch, 25, 64, 0.5, rng)["policy_loss"]
    assert end < 0.6 * start


def test_a_model_file_round_trips_and_other_files_are_refused(tmp_path):
    net = policy(5)
    path = save_hierarchical(tmp_path / "m.pt", net, {"note": "test"}, jobs="all")
    loaded, meta = load_hierarchical(path)
    assert meta["jobs"] == "all" and meta["card"]["note"] == "test"
    inst = production_instance(10, 6, 1)
    assert np.array_equal(hierarchical_schedule(inst, net).assign,
                          hierarchical_schedule(inst, loaded).assign)
    other = tmp_path / "other.pt"
    torch.save({"format": "rewriter-construct-1", "state_dict": {}}, other)
    with pytest.raises(InputError, match="holds a learned constructive scheduler .*expected a "
                                         "hierarchical job -> machine policy"):
        load_hierarchical(other)
    torch.save({"format": "rewriter-fjsp-hierarchical-1", "jobs": "active",
                "policy_config": {"hidden": 0}}, other)
    with pytest.raises(InputError, match="not a valid hierarchical policy model"):
        load_hierarchical(other)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(InputError, match="text.pt"):
        load_hierarchical(tmp_path / "text.pt")


@pytest.mark.parametrize("values, option", [({"validation_seeds": [1, 100]}, "validation_seeds"),
                                            ({"stages": ["50by30"]}, "stages"),
                                            ({"jobs": "some"}, "jobs"),
                                            ({"imitation_iterations": -1}, "imitation_iterations"),
                                            ({"hiddn": 3}, "hiddn")])
def test_bad_training_options_are_one_error_naming_them(values, option):
    with pytest.raises(InputError, match=option):
        HierarchicalConfig.from_dict(values)


def test_a_tiny_run_writes_its_directory_and_resumes(tmp_path):
    cfg = HierarchicalConfig(stages=("8x6", "12x6"), validation_sizes=("10x6",),
                             validation_seeds=(100,), hidden=8, imitation_iterations=1,
                             decisions_per_iteration=60, timesteps=300, validate_every=1,
                             minibatch=32, ppo_epochs=1, time_limit_minutes=None)
    summary = train_hierarchical(cfg, tmp_path / "run")
    run = tmp_path / "run"
    for name in ("config.json", "log.csv", "curves.png", "checkpoint.pt", "best.pt", "model.pt",
                 "model.json"):
        assert (run / name).is_file(), name
    rows = (run / "log.csv").read_text().splitlines()
    assert rows[1].split(",")[2] == "imitation" and rows[2].split(",")[2] == "ppo"
    assert summary["timesteps"] >= 300
    card = json.loads((run / "model.json").read_text())
    assert card["kind"] == "hierarchical" and card["config"]["stages"] == ["8x6", "12x6"]
    more = train_hierarchical(replace(cfg, timesteps=600), run, resume=True)
    assert more["iterations"] > summary["iterations"] and more["timesteps"] >= 600


def test_solve_and_compare_run_the_shipped_policy(tmp_path, capsys):
    from rewriter.cli import main
    from rewriter.learn.hierarchical.model_file import shipped_path

    assert shipped_path().is_file() and shipped_path().with_suffix(".json").is_file()
    out = tmp_path / "s.json"
    assert main(["solve", "prod_30x25_s0", "--init", "hierarchical", "--policy", "none", "-q",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["init"] == "hierarchical" and data["makespan"] == data["init_makespan"]
    assert main(["validate", "prod_30x25_s0", str(out)]) == 0
    results = tmp_path / "r.jsonl"
    assert main(["compare", "--problem", "fjsp", "--instances", "prod_30x25_s0", "--methods",
                 "hierarchical,mwkr-eet", "--no-progress", "--results", str(results)]) == 0
    records = [json.loads(line) for line in results.read_text().splitlines()]
    ours = [r for r in records if r["method"] == "hierarchical"]
    assert len(ours) == 1 and ours[0]["makespan"] == data["makespan"]
    capsys.readouterr()
    text = tmp_path / "not_a_model.pt"
    text.write_text("x")
    assert main(["solve", "prod_30x25_s0", "--init", "hierarchical", "--policy", "none",
                 "--model", str(text), "-q"]) == 2
    assert "not_a_model.pt" in capsys.readouterr().err


# ---- rewriter train --approach hierarchical ------------------------------------------------------
TINY = ["--stages", "8x6,12x6", "--validation-sizes", "10x6", "--validation-seeds", "100",
        "--hidden", "8", "--imitation-iterations", "1", "--decisions-per-iteration", "60",
        "--timesteps", "400", "--validate-every", "1", "--minibatch", "32", "--ppo-epochs", "1",
        "--quiet"]


def test_the_cli_trains_stops_on_ctrl_c_with_130_and_resumes_to_the_same_weights(tmp_path,
                                                                                  monkeypatch):
    """Ctrl-C in the third iteration keeps the second's checkpoint; the same command with
    --resume ends with the weights of an uninterrupted run."""
    from rewriter.cli import main
    from rewriter.learn.hierarchical import train as trainer

    args = ["train", "--approach", "hierarchical", *TINY, "--time-limit-minutes", "60"]
    assert main(args + ["--run-dir", str(tmp_path / "whole")]) == 0
    real_update, calls = trainer.ppo_update, []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # iteration 1 imitates, iterations 2, 3, ... are PPO
            raise KeyboardInterrupt
        return real_update(*a, **k)

    monkeypatch.setattr(trainer, "ppo_update", interrupted)
    assert main(args + ["--run-dir", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(trainer, "ppo_update", real_update)
    assert torch.load(tmp_path / "cut" / "checkpoint.pt", weights_only=True)["iteration"] == 2
    assert main(["train", "--run-dir", str(tmp_path / "cut"), "--resume", "--quiet"]) == 0
    a = load_hierarchical(tmp_path / "whole" / "model.pt")[0].state_dict()
    b = load_hierarchical(tmp_path / "cut" / "model.pt")[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    config = json.loads((tmp_path / "cut" / "config.json").read_text())
    assert config["approach"] == "hierarchical" and config["config"]["stages"] == ["8x6", "12x6"]


@pytest.mark.parametrize("argv, message", [
    (["--buffer-size", "3"], "not options of --approach hierarchical: --buffer-size"),
    (["--slices", "3"], "--slices"),
    (["--problem", "jssp"], "fjsp"),
    (["--validation-seeds", "0,100"], "validation_seeds"),
    (["--stages", "50by30"], "stages"),
])
def test_the_cli_refuses_a_bad_or_foreign_option_in_one_line(tmp_path, capsys, argv, message):
    from rewriter.cli import main

    run = tmp_path / "run"
    assert main(["train", "--approach", "hierarchical", "--run-dir", str(run), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not run.exists()


def test_a_resumed_cli_run_may_change_only_its_budget(tmp_path, capsys):
    from rewriter.cli import main

    run = str(tmp_path / "run")
    assert main(["train", "--approach", "hierarchical", "--run-dir", run, *TINY]) == 0
    assert main(["train", "--run-dir", run, "--resume", "--lr", "0.1"]) == 2
    assert "cannot change --lr" in capsys.readouterr().err
    assert main(["train", "--run-dir", run, "--resume", "--timesteps", "800", "--quiet"]) == 0
    assert json.loads((tmp_path / "run" / "model.json").read_text())["timesteps"] >= 800


def test_init_model_starts_from_its_weights_and_must_beat_them(tmp_path):
    """The starting weights are validated as iteration 0; a run that cannot move them (a
    vanishing learning rate) never writes best.pt, and its model keeps them."""
    import csv

    from rewriter.learn.hierarchical.train import validate, validation_set

    start = tmp_path / "start.pt"
    save_hierarchical(start, policy(3, hidden=8))
    cfg = HierarchicalConfig(stages=("8x6",), validation_sizes=("10x6",), validation_seeds=(100,),
                             hidden=8, init_model=str(start), imitation_iterations=0, lr=1e-30,
                             decisions_per_iteration=60, timesteps=200, validate_every=1,
                             minibatch=32, ppo_epochs=1, time_limit_minutes=None)
    train_hierarchical(cfg, tmp_path / "run")
    rows = list(csv.DictReader((tmp_path / "run" / "log.csv").open()))
    expected = validate(load_hierarchical(start)[0], validation_set(cfg), "active")
    assert rows[0]["phase"] == "init" and rows[0]["iteration"] == "0"
    assert float(rows[0]["val_vs_best_rule_pct"]) == round(expected["val_vs_best_rule_pct"], 3)
    assert len(rows) > 2 and not (tmp_path / "run" / "best.pt").exists()
    a = load_hierarchical(start)[0].state_dict()
    b = load_hierarchical(tmp_path / "run" / "model.pt")[0].state_dict()
    assert all(torch.allclose(a[k], b[k]) for k in a)
    with pytest.raises(InputError, match="architecture"):
        train_hierarchical(replace(cfg, hidden=16), tmp_path / "other")
