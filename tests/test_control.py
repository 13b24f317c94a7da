"""The controlled tabu search (rewriter.learn.control): valid schedules, the plain-tabu equivalence it
guarantees, every action keeps the schedule valid, training resumes bit-identically, and the
CLI's controller option."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from rewriter.cli import main
from rewriter.learn.control.config import ControlConfig
from rewriter.learn.control.controllers import Hand, numpy_forward, numpy_weights
from rewriter.learn.control.policy import ControlPolicy, ControlPolicyConfig, load_control_model, shipped_control_path
from rewriter.learn.control.search import ACTIONS, CONTINUE, NO_STALL, ControlledSearch
from rewriter.learn.control.train import train_control
from rewriter.core.loop import run
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter import registry
from rewriter.jssp.solve import LocalSearch, TabuSettings, initial_solution
from rewriter.jssp.validate import check_schedule

from . import reference as ref


def solve(instance, *, init="mwkr", **options):
    """A job-shop solve with any policy of its spec: the controlled search is the learned
    controller's, added to the spec by its registration."""
    return registry.get("jssp").run(instance, init=init, **options)


class Always:
    def __init__(self, action):
        self.action = action

    def act(self, obs, search):
        assert obs.shape == (13,) and np.all((0 <= obs) & (obs <= 1))
        return self.action


@pytest.mark.parametrize("controller", ["hand", "random"])
def test_controlled_schedules_pass_the_validator(controller):
    inst = load_instance("ft10")
    r = solve(inst, policy="controlled", controller=controller, steps=12_000, seed=3)
    assert check_schedule(inst, r.solution.start_matrix(), r.makespan) == r.makespan
    assert r.makespan <= r.init_makespan and r.steps == 12_000
    assert r.info == {"controller": controller}


@pytest.mark.parametrize("name", ["ft10", "ta01", "la16"])
def test_continue_only_is_plain_tabu_without_its_own_restarts(name):
    """Between slices the search only asks; with "continue" every time it is the kernel's
    search move for move (same seed, the kernel's stall made unreachable in both)."""
    inst = load_instance(name)
    plain = LocalSearch(initial_solution(inst), "tabu", "n5", TabuSettings(stall=NO_STALL), 4)
    a = run(plain, 9000)
    ctl = ControlledSearch(initial_solution(inst), Always(CONTINUE), seed=4, slice_moves=700)
    b = run(ctl, 9000)
    assert a.best_cost == b.best_cost and [t[::2] for t in a.trace] == [t[::2] for t in b.trace]
    assert np.array_equal(plain.sol.order, ctl.sol.order)
    assert len(ctl.actions) == 9000 // 700


def test_hand_restarts_from_the_best_after_the_stall_at_a_slice_end():
    inst = load_instance("ft10")
    search = ControlledSearch(initial_solution(inst), Hand(), seed=0,
                              tabu=TabuSettings(stall=1500), slice_moves=500)
    run(search, 20_000)
    assert search.restarts == sum(a == ACTIONS.index("restart-best") for a in search.actions) > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), m=st.integers(2, 5),
       actions=st.lists(st.integers(0, len(ACTIONS) - 1), min_size=1, max_size=12))
def test_every_action_keeps_the_schedule_valid(seed, n, m, actions):
    inst = ref.random_instance(np.random.default_rng(seed), n, m)
    search = ControlledSearch(initial_solution(inst, "spt"), Always(CONTINUE), seed=seed,
                              slice_moves=10, elite=3)
    for action in actions:
        search.advance(7)
        search.apply(action)
        sol = search.sol
        assert check_schedule(inst, sol.start_matrix(), sol.makespan) == sol.makespan
        best = search.best()
        assert best.makespan == search.best_cost
        assert check_schedule(inst, best.start_matrix(), best.makespan) == best.makespan


def _tiny(**kw):
    values = dict(sizes=["8x5"], slices=4, slice_moves=100, episodes=2, iterations=3, hidden=8,
                  validation_per_size=1, validate_every=2, minibatch=4)
    return ControlConfig(**{**values, **kw})


def test_training_runs_and_resumes_bit_identically(tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train_control(_tiny(), whole, progress="off")
    train_control(_tiny(iterations=2), parts, progress="off")
    with pytest.raises(FileExistsError):
        train_control(_tiny(), parts, progress="off")
    train_control(_tiny(), parts, resume=True, progress="off")
    a = load_control_model(whole / "model.pt")[0].state_dict()
    b = load_control_model(parts / "model.pt")[0].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    strip = lambda p: [",".join(r.split(",")[:1] + r.split(",")[2:])  # noqa: E731 (wall_s)
                       for r in (p / "log.csv").read_text().splitlines()]
    assert strip(whole) == strip(parts)
    r = solve(load_instance("ft06"), policy="controlled", controller="learned",
              model=str(whole / "model.pt"), steps=3000, seed=0)
    assert check_schedule(r.instance, r.solution.start_matrix(), r.makespan) == r.makespan


def test_the_shipped_controller_steers_a_search():
    r = solve(load_instance("ft10"), policy="controlled", controller="learned", steps=6000, seed=0)
    assert check_schedule(r.instance, r.solution.start_matrix(), r.makespan) == r.makespan
    assert r.makespan < r.init_cost


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_the_numpy_forward_pass_is_the_networks(seed, shipped):
    """Searches decide with the NumPy copy of the network; training records torch's numbers."""
    torch.manual_seed(seed)
    policy = load_control_model(shipped_control_path())[0] if shipped else ControlPolicy(
        ControlPolicyConfig(hidden=int(seed % 50) + 1))
    obs = np.random.default_rng(seed).random(13, dtype=np.float32)
    log_probs, value = numpy_forward(numpy_weights(policy), obs)
    with torch.no_grad():
        expected, expected_value = policy(torch.from_numpy(obs)[None], None,
                                          torch.ones(1, len(ACTIONS), dtype=torch.bool))
    np.testing.assert_allclose(log_probs, expected[0].numpy(), atol=1e-5)
    assert value == pytest.approx(float(expected_value[0]), abs=1e-5)


def test_cli_rejects_a_bad_controller_with_one_message(capsys):
    assert main(["solve", "ft06", "--policy", "controlled", "--controller", "smart"]) == 2
    err = capsys.readouterr().err
    assert "--controller: invalid choice: 'smart'" in err and "hand" in err
    assert main(["solve", "ft06", "--policy", "controlled", "--controller", "learned", "--model",
                 "nothing.pt"]) == 2
    assert "nothing.pt" in capsys.readouterr().err
    with pytest.raises(InputError, match="unknown controller"):
        solve(load_instance("ft06"), policy="controlled", controller="smart", steps=10)
    with pytest.raises(InputError, match="controlled policy only"):
        solve(load_instance("ft06"), policy="tabu", controller="hand", steps=10)


def test_the_job_shop_default_is_the_learned_controller_with_a_move_budget(tmp_path, capsys):
    from rewriter import registry
    from rewriter import solve as api_solve
    from rewriter.cli import main

    spec = registry.get("jssp")
    assert spec.default_policy == "controlled" and spec.steps_for("controlled") == 500_000
    assert spec.steps_for("learned") == spec.default_steps == 200
    r = api_solve(load_instance("ft06"))
    assert r.method == "controlled" and r.info == {"controller": "learned"} and r.makespan == 55
    out = tmp_path / "s.json"
    assert main(["solve", "ft06", "--out", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["makespan"] == 55


def test_a_model_file_picks_its_policy_when_none_is_given(capsys):
    from importlib.resources import files

    from rewriter.cli import main

    models = files("rewriter.models")
    for name, policy in (("jssp.pt", "learned"), ("jssp_control.pt", "controlled (learned controller")):
        assert main(["solve", "ft06", "--model", str(models / name), "--steps", "20"]) == 0
        assert f"| policy           | {policy}" in capsys.readouterr().out


def test_options_of_other_policies_are_refused(capsys):
    from rewriter.cli import main

    assert main(["solve", "ft06", "--samples", "4"]) == 2
    assert "samples are an option of the learned and construct policies" in capsys.readouterr().err
    assert main(["solve", "ft06", "--policy", "tabu", "--decoding", "sample"]) == 2
    assert "decoding is an option of the learned policy" in capsys.readouterr().err


def test_every_training_option_is_explained_in_help():
    from dataclasses import fields

    from rewriter.cli import build_parser
    from rewriter.learn.control.config import HELP, ControlConfig

    assert set(HELP) == {f.name for f in fields(ControlConfig)}
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    text = train.format_help()
    for f in fields(ControlConfig):
        assert "--" + f.name.replace("_", "-") in text
    assert "tabu moves between two controller decisions" in " ".join(text.split())
