"""The DQN dispatcher: the specification's MDP step by step, random masked play, the Q-network's
masking, DQN updates, the makespan rewards, n-step returns, the rule teacher and the margin loss,
the shipped model per size, and the integration with solve and compare."""

from __future__ import annotations

import json

import gymnasium
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.cli import main
from rewriter.envs.compat import CompatDispatchEnv
from rewriter.envs.play import random_masked_choice
from rewriter.errors import InputError
from rewriter.learn.dqn.config import DQNConfig
from rewriter.learn.dqn.features import FeatureScales, decision
from rewriter.learn.dqn.learn import choose, td_step
from rewriter.envs.compat_mdp import CompatMDP, default_horizon
from rewriter.learn.dqn.model import load_dqn, save_dqn, shipped_path
from rewriter.learn.dqn.network import Batch, QNetwork
from rewriter.learn.dqn.replay import ReplayBuffer, Transition
from rewriter.fjsp.generate import compatibility_instance
from rewriter.fjsp.instance import FlexibleInstance
from rewriter.fjsp.validate import check_schedule

WAIT = 6  # n * m of the 3 x 2 instance below


def three_by_two(**extra) -> FlexibleInstance:
    """job 0: m0 3 or m1 5, due 4; job 1: m0 2 only, due 10; job 2: m1 4 only, due 6."""
    return FlexibleInstance.from_lists("hand3x2", 2, [[[(0, 3), (1, 5)]], [[(0, 2)]], [[(1, 4)]]],
                                       due=np.array([4, 10, 6]), **extra)


def mask_of(*allowed: int) -> list[bool]:
    return [i in allowed for i in range(WAIT + 1)]


def test_the_mdp_step_by_step():
    env = CompatDispatchEnv(three_by_two())
    obs, info = env.reset(seed=0)
    assert env.mdp.horizon == default_horizon(env.mdp.instance) == 5 + 2 + 4 + 1
    assert obs["state"].shape == (4 * 3 + 2 * 2,) and env.action_space.n == 7
    # time 0: every compatible pair; no wait (nothing runs, nothing is still to be released)
    assert info["action_mask"].tolist() == mask_of(0, 1, 2, 5) == env.action_masks().tolist()
    obs, reward, done, _, info = env.step(2)            # job 1 -> m0: 10 - 2 - 0
    assert (reward, done, info["time"]) == (8.0, False, 0)
    assert info["action_mask"].tolist() == mask_of(1, 5, WAIT)  # time stays: m1 is still idle
    state = obs["state"].reshape(-1)
    assert state[4:8].tolist()[0] == 1.0 and state[12] > 0 and state[13] == pytest.approx(1 / 3)
    obs, reward, done, _, info = env.step(WAIT)         # wait: to job 1's end
    assert (reward, info["time"]) == (-1.0, 2)
    assert info["action_mask"].tolist() == mask_of(0, 1, 5)  # nothing runs: no wait
    _, reward, _, _, info = env.step(5)                 # job 2 -> m1 at 2: 6 - 4 - 2
    assert (reward, info["time"]) == (0.0, 2) and info["action_mask"].tolist() == mask_of(0, WAIT)
    _, reward, done, _, info = env.step(0)              # job 0 -> m0 at 2: 4 - 3 - 2, then the
    assert (reward, done, info["termination"]) == (-1.0, True, "done")  # jumps to 5 and 6; terminal 0
    assert info["time"] == 6 and (info["makespan"], info["total_tardiness"], info["late_jobs"]) == (6, 1, 1)
    assert info["begin"].tolist() == [2, 0, 2] and info["machine"].tolist() == [0, 0, 1]
    with pytest.raises(RuntimeError):
        env.step(0)


def test_the_horizon_ends_an_episode_with_the_terminal_reward():
    env = CompatDispatchEnv(three_by_two(), horizon=3)
    env.reset()
    rewards = [env.step(a)[1] for a in (2, WAIT, 5)]
    _, reward, done, truncated, info = env.step(0)      # -1, then time jumps to 5 >= 3
    assert rewards == [8.0, -1.0, 0.0] and done and not truncated
    assert info["termination"] == "horizon" and info["time"] == 5 and info["unfinished_jobs"] == 1
    assert reward == -1.0 + (6 - 5)                     # job 2 (due 6) still runs at 5


def test_an_illegal_action_ends_the_episode_and_multi_operation_jobs_are_refused():
    env = CompatDispatchEnv(three_by_two())
    env.reset()
    _, reward, done, _, info = env.step(3)              # job 1 on m1: incompatible
    assert done and info["termination"] == "illegal_action"
    assert reward == (4 - 12) + (10 - 12) + (6 - 12)
    with pytest.raises(InputError, match="single-operation"):
        CompatDispatchEnv("mk01")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 8), m=st.integers(1, 4), seed=st.integers(0, 10**6),
       release=st.sampled_from([0.0, 0.7]), play=st.integers(0, 2**31))
def test_random_masked_play_builds_valid_schedules(n, m, seed, release, play):
    instance = compatibility_instance(n, m, seed, release_horizon=release)
    env = gymnasium.make("rewriter.envs:rewriter/CompatDispatch-v0", instance=instance).unwrapped
    _, info = env.reset(seed=play)
    rng = np.random.default_rng(play)
    total, done, steps = 0.0, False, 0
    while not done:
        assert info["action_mask"].any()
        _, reward, done, _, info = env.step(random_masked_choice(info["action_mask"], rng))
        total, steps = total + reward, steps + 1
        assert steps <= 3 * n  # n assignments, and a wait only ever moves to one of 2n events
    assert info["termination"] == "done"
    values = check_schedule(instance, info["machine"], info["begin"])
    assert values["makespan"] == info["makespan"] and values["total_tardiness"] == info["total_tardiness"]
    ends = info["begin"] + np.array([env.mdp.durations[j, k] for j, k in enumerate(info["machine"])])
    # undiscounted, the return is the sum over jobs of deadline - completion, less one per wait
    assert total == pytest.approx(float((instance.due - ends).sum()) - info["waits"])


def _decisions(instance, count=40, seed=0):
    """Decision points of random masked play."""
    mdp, rng, out = CompatMDP(instance), np.random.default_rng(seed), []
    scales = FeatureScales(mdp)
    while not mdp.over and len(out) < count:
        d = decision(mdp, scales)
        out.append((d, mdp.pair_mask().copy(), mdp.can_wait()))
        pair = d.action(int(rng.integers(d.n_pairs + int(d.can_wait))))
        mdp.wait() if pair is None else mdp.assign(*pair)
    return out


def test_the_q_network_never_selects_a_masked_action():
    torch.manual_seed(0)
    net = QNetwork().eval()
    with torch.no_grad():
        net.wait_head[-1].bias.fill_(1e6)  # waiting looks best wherever it is offered
    rng = np.random.default_rng(0)
    seen_no_wait = 0
    for d, mask, can_wait in _decisions(compatibility_instance(12, 3, 4)):
        assert d.n_pairs == mask.sum() and can_wait == d.can_wait
        for action in (net.greedy(d), choose(net, d, 1.0, rng), choose(net, d, 0.0, rng)):
            pair = d.action(action)
            assert (pair is None and can_wait) or (pair is not None and mask[pair])
        seen_no_wait += not can_wait
    assert seen_no_wait  # the case where the wait is masked was met


def test_the_numba_greedy_choice_is_the_argmax_of_the_torch_network():
    torch.manual_seed(3)
    net = QNetwork().eval()
    for d, _, _ in _decisions(compatibility_instance(15, 4, 2, release_horizon=0.5), seed=1):
        with torch.no_grad():
            pair_a, wait_a = net.advantages(Batch.of([d]))
        assert net.greedy(d) == int(torch.argmax(torch.cat([pair_a, wait_a])))


def test_dqn_updates_change_the_parameters_with_a_finite_loss():
    torch.manual_seed(0)
    cfg = DQNConfig(batch_size=16)
    online, target = QNetwork(), QNetwork()
    target.load_state_dict(online.state_dict())
    buffer = ReplayBuffer(100)
    points = _decisions(compatibility_instance(10, 3, 1), count=30)
    for (d, _, _), nxt in zip(points, points[1:] + [None]):
        buffer.add(Transition(d, 0, 0.1, None if nxt is None else nxt[0], nxt is None))
    before = [p.detach().clone() for p in online.parameters()]
    optimizer = torch.optim.Adam(online.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(0)
    losses = [td_step(online, target, optimizer, buffer.sample(cfg.batch_size, rng), cfg) for _ in range(3)]
    assert all(np.isfinite(losses))
    assert any(not torch.equal(a, b) for a, b in zip(before, online.parameters()))
    pair_q, wait_q = online(Batch.of([t.state for t in buffer.items[:4]]))
    assert torch.isfinite(pair_q).all()


def test_a_saved_dqn_loads_and_another_model_file_is_one_clear_error(tmp_path):
    net = QNetwork()
    path = save_dqn(tmp_path / "d.pt", net, {"note": "test"})
    loaded, card = load_dqn(path)
    assert card == {"note": "test"}
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values()))
    from rewriter.models import default_model_path

    with pytest.raises(InputError, match="not a DQN dispatcher model .a rewrite policy"):
        load_dqn(default_model_path("jssp"))
    assert main(["solve", "compat_20x5_s0", "--init", "dqn", "--model",
                 str(default_model_path("jssp")), "-q"]) == 2
    # a model of a version with fewer pair features (the first shipped one read 5)
    from rewriter.learn.dqn.network import NetConfig

    older = save_dqn(tmp_path / "older.pt", QNetwork(NetConfig(pair_features=5)))
    with pytest.raises(InputError, match="reads 5 pair features, this version computes 7"):
        load_dqn(older)
    assert main(["solve", "compat_20x5_s0", "--init", "dqn", "--model", str(older), "-q"]) == 2


def test_solve_and_compare_run_the_shipped_dqn(tmp_path, capsys):
    assert shipped_path().is_file() and shipped_path().with_suffix(".json").is_file()
    out = tmp_path / "s.json"
    assert main(["solve", "compat_20x5_s0", "--init", "dqn", "--steps", "30", "-q",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["init"] == "dqn" and data["makespan"] <= data["init_makespan"]
    assert main(["validate", "compat_20x5_s0", str(out)]) == 0
    results = tmp_path / "r.jsonl"
    assert main(["compare", "--problem", "fjsp", "--instances", "compat_20x5_s0", "--methods",
                 "dqn,edd-eet", "--no-progress", "--results", str(results)]) == 0
    records = [json.loads(line) for line in results.read_text().splitlines()]
    dqn = [r for r in records if r["method"] == "dqn"]
    assert len(dqn) == 1 and dqn[0]["instance"] == "compat_20x5_s0" and dqn[0]["makespan"] > 0
    capsys.readouterr()
    assert main(["solve", "mk01", "--init", "dqn", "-q"]) == 2
    assert "single-operation" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs", [{"instance": "compat_6x3_s0"}, {"num_jobs": 5, "num_machines": 2}])
def test_the_env_checker_passes_without_warnings(kwargs):
    import warnings

    from gymnasium.utils.env_checker import check_env

    env = gymnasium.make("rewriter.envs:rewriter/CompatDispatch-v0", **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert not [str(w.message) for w in caught]
    assert "rewriter/CompatDispatch-v0" in gymnasium.registry


def test_the_replay_buffer_survives_a_checkpoint_exactly():
    buffer = ReplayBuffer(25)  # smaller than what is added: the ring has wrapped
    points = _decisions(compatibility_instance(10, 3, 1), count=40)
    for i, ((d, _, _), nxt) in enumerate(zip(points, points[1:] + [None])):
        buffer.add(Transition(d, i % 3, 0.1 * i, None if nxt is None else nxt[0], nxt is None))
    back = ReplayBuffer.restore(buffer.state())
    assert (back.capacity, back.next, len(back)) == (buffer.capacity, buffer.next, len(buffer))
    for a, b in zip(buffer.items, back.items):
        assert (a.action, a.reward, a.done) == (b.action, b.reward, b.done)
        for x, y in ((a.state, b.state), (a.next_state, b.next_state)):
            assert (x is None) == (y is None)
            if x is not None:
                assert (x.can_wait, x.baseline) == (y.can_wait, y.baseline)
                for name in ("jobs", "machines", "job_x", "machine_x", "pair_job",
                             "pair_machine", "pair_x", "global_x"):
                    u, v = getattr(x, name), getattr(y, name)
                    assert u.dtype == v.dtype and np.array_equal(u, v)
    # a decision shared by two transitions stays one object
    shared = [(i, j) for i, a in enumerate(buffer.items) for j, b in enumerate(buffer.items)
              if a.next_state is not None and a.next_state is b.state]
    assert shared and all(back.items[i].next_state is back.items[j].state for i, j in shared)


def _train_dqn(argv: list[str]) -> int:
    from rewriter.cli import main

    return main(["train", "--approach", "dqn", *argv])


def test_an_interrupted_dqn_run_resumes_to_the_same_model(tmp_path):
    main = _train_dqn
    small = ["--sizes", "8x3", "--validation-sizes", "8x3", "--validation-seeds", "100",
             "--validate-every", "2", "--warmup", "20", "--batch-size", "8", "--train-every", "1",
             "--target-every", "5", "--time-limit-minutes", "5", "--quiet"]
    assert main(["--run-dir", str(tmp_path / "whole"), "--episodes", "6", *small]) == 0
    assert main(["--run-dir", str(tmp_path / "cut"), "--episodes", "4", *small]) == 0
    assert main(["--run-dir", str(tmp_path / "cut"), "--resume", "--episodes", "6",
                 "--quiet"]) == 0
    whole, cut = load_dqn(tmp_path / "whole" / "model.pt")[0], load_dqn(tmp_path / "cut" / "model.pt")[0]
    for a, b in zip(whole.state_dict().values(), cut.state_dict().values()):
        assert torch.equal(a, b)
    columns = lambda p: [line.split(",")[:3] + line.split(",")[4:] for line in  # noqa: E731
                         (p / "log.csv").read_text().splitlines()]              # all but wall_s
    assert columns(tmp_path / "whole") == columns(tmp_path / "cut")
    assert len(columns(tmp_path / "cut")) == 4  # header and episodes 2, 4, 6


def _older_layout(blob: dict) -> dict:
    """A checkpoint as the DQN trainer wrote it before it shared the checkpoint code."""
    extra = blob["extra"]
    return {"online": blob["model"], "target": extra["target"], "optimizer": blob["optimizer"],
            "rng": blob["rng"], "torch_rng": extra["torch_rng"], "buffer": extra["buffer"],
            "episode": blob["iteration"], "steps": blob["global_steps"],
            "updates": extra["updates"], "best": blob["best_validation"],
            "wall_s": blob["wall_s"], "rows": json.dumps(extra["rows"])}


def test_a_dqn_run_checkpointed_in_the_older_layout_resumes_to_the_same_model(tmp_path, capsys):
    main = _train_dqn
    small = ["--sizes", "8x3", "--validation-sizes", "8x3", "--validation-seeds", "100",
             "--validate-every", "2", "--warmup", "10", "--batch-size", "4", "--train-every", "1",
             "--target-every", "3", "--time-limit-minutes", "5", "--quiet",
             "--demo-episodes", "0"]  # the older trainer had no demonstrations
    assert main(["--run-dir", str(tmp_path / "whole"), "--episodes", "4", *small]) == 0
    assert main(["--run-dir", str(tmp_path / "cut"), "--episodes", "2", *small]) == 0
    checkpoint = tmp_path / "cut" / "checkpoint.pt"
    blob = torch.load(checkpoint, weights_only=True)
    assert set(blob["extra"]) == {"target", "buffer", "demos", "torch_rng", "updates", "rows"}
    torch.save(_older_layout(blob), checkpoint)
    assert main(["--run-dir", str(tmp_path / "cut"), "--resume", "--episodes", "4",
                 "--quiet"]) == 0
    whole, cut = load_dqn(tmp_path / "whole" / "model.pt")[0], load_dqn(tmp_path / "cut" / "model.pt")[0]
    for a, b in zip(whole.state_dict().values(), cut.state_dict().values()):
        assert torch.equal(a, b)
    # a shared checkpoint without the DQN's own state (another trainer's) is one clear line
    del blob["extra"]
    torch.save(blob, checkpoint)
    assert main(["--run-dir", str(tmp_path / "cut"), "--resume", "--episodes", "6",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checkpoint.pt" in err and "Traceback" not in err


def test_dqn_resume_refuses_what_it_cannot_continue(tmp_path, capsys):
    main = _train_dqn

    assert main(["--run-dir", str(tmp_path / "none"), "--resume"]) == 2
    assert "no DQN run to resume" in capsys.readouterr().err
    assert main(["--run-dir", str(tmp_path / "none"), "--resume", "--lr", "0.1"]) == 2
    assert "cannot change --lr" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text('{"config": {}}')
    (tmp_path / "bad" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    assert main(["--run-dir", str(tmp_path / "bad"), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checkpoint.pt" in err and "Traceback" not in err


# ---- the learner's reward, n-step returns, the teacher, the margin loss, the shipped sizes -----
def _random_play(instance, kind: str, seed: int) -> tuple[float, CompatMDP, list[float]]:
    """Random masked play with the learner's reward ``kind``: (return, the MDP, the rewards)."""
    from rewriter.envs.compat_mdp import LearnerReward

    mdp = CompatMDP(instance)
    reward = LearnerReward(kind, mdp, 1.0)
    rng = np.random.default_rng(seed)
    rewards = []
    while not mdp.over:
        mask = mdp.pair_mask()
        pairs = np.argwhere(mask)
        if mdp.can_wait() and (not len(pairs) or rng.random() < 0.3):
            r = reward.waited(mdp.wait())
        else:
            job, machine = pairs[rng.integers(len(pairs))]
            r = reward.assigned(int(job), mdp.assign(int(job), int(machine)))
        rewards.append(r + (reward.terminal() if mdp.over else 0.0))
    return float(sum(rewards)), mdp, rewards


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 8), m=st.integers(1, 4), seed=st.integers(0, 50),
       release=st.sampled_from([0.0, 0.7]), slack=st.sampled_from([0.1, 1.5]))
def test_the_makespan_rewards_sum_to_minus_the_makespan_and_the_tardiness(n, m, seed, release, slack):
    instance = compatibility_instance(n, m, seed, release_horizon=release, slack=slack)
    total, mdp, _ = _random_play(instance, "makespan", seed)
    values = check_schedule(instance, mdp.job_machine, mdp.begin)
    assert total == -values["makespan"]
    total, mdp, _ = _random_play(instance, "makespan+tardiness", seed)
    values = check_schedule(instance, mdp.job_machine, mdp.begin)
    assert total == -(values["makespan"] + values["weighted_tardiness"])
    # the spec reward is the environment's, unchanged
    total, mdp, rewards = _random_play(instance, "spec", seed)
    ends = mdp.begin + mdp.job_duration
    assert total == pytest.approx(float((mdp.deadline - ends).sum()) - mdp.waits)


def test_the_makespan_baseline_is_a_lower_bound_of_what_is_still_to_come():
    """At every decision of random play, minus the baseline never exceeds the makespan increase
    still to come: it bounds the part of the return no action changes."""
    from rewriter.envs.compat_mdp import LearnerReward

    for seed in range(5):
        instance = compatibility_instance(9, 3, seed, release_horizon=0.5)
        mdp = CompatMDP(instance)
        reward = LearnerReward("makespan", mdp, 1.0)
        rng = np.random.default_rng(seed)
        bounds = []
        while not mdp.over:
            bounds.append((reward.latest, -reward.baseline()))
            pairs = np.argwhere(mdp.pair_mask())
            job, machine = pairs[rng.integers(len(pairs))]
            reward.assigned(int(job), mdp.assign(int(job), int(machine)))
        makespan = check_schedule(instance, mdp.job_machine, mdp.begin)["makespan"]
        assert all(bound <= makespan - latest + 1e-9 for latest, bound in bounds)


@settings(max_examples=30, deadline=None)
@given(rewards=st.lists(st.integers(-5, 5), min_size=1, max_size=9), n=st.integers(1, 4),
       gamma=st.sampled_from([1.0, 0.5]))
def test_n_step_transitions_match_the_sums_computed_one_by_one(rewards, n, gamma):
    from rewriter.learn.dqn.replay import NStep

    states = [f"s{i}" for i in range(len(rewards) + 1)]  # stand-ins for decisions
    nstep, out = NStep(n, gamma), []
    for t, r in enumerate(rewards):
        last = t == len(rewards) - 1
        out += nstep.push(states[t], t, float(r), None, None if last else states[t + 1])
    assert [t.action for t in out] == list(range(len(rewards)))
    for t in out:
        i = t.action
        horizon = min(n, len(rewards) - i)
        assert t.reward == pytest.approx(sum(gamma ** k * rewards[i + k] for k in range(horizon)))
        assert t.done == (i + n >= len(rewards))
        assert t.next_state == (None if t.done else states[i + n])


@pytest.mark.parametrize("n, m, seed", [(12, 3, 0), (30, 6, 1), (7, 7, 2)])
def test_the_teacher_replayed_in_the_mdp_builds_the_best_rule_schedule(n, m, seed):
    from rewriter.fjsp.dispatching import RULES, dispatch_schedule
    from rewriter.learn.dqn.imitation import teacher_actions, teacher_schedule

    instance = compatibility_instance(n, m, seed)
    machine, start, rule = teacher_schedule(instance, "makespan")
    assert dispatch_schedule(instance, rule).makespan == min(
        dispatch_schedule(instance, r).makespan for r in RULES)
    mdp = CompatMDP(instance)
    scales = FeatureScales(mdp)
    while not mdp.over:
        d = decision(mdp, scales)
        shown = teacher_actions(d, mdp, machine, start)
        assert len(shown)
        pair = d.action(int(shown[-1]))
        mdp.wait() if pair is None else mdp.assign(*pair)
    assert np.array_equal(mdp.job_machine, machine) and np.array_equal(mdp.begin, start)


def test_the_margin_loss_is_zero_only_when_a_teacher_action_leads_by_the_margin():
    from rewriter.learn.dqn.learn import margin_loss

    d = _decisions(compatibility_instance(6, 2, 0), count=1)[0][0]
    states = Batch.of([d])
    pair_q = torch.zeros(d.n_pairs)
    wait_q = torch.tensor([-torch.inf if not d.can_wait else -5.0])
    shown = Transition(d, 0, 0.0, None, True, np.array([0]))
    assert float(margin_loss(pair_q, wait_q, states, [shown], 0.1)) == pytest.approx(0.1)
    pair_q[0] = 0.2  # leads every other action by more than the margin
    assert float(margin_loss(pair_q, wait_q, states, [shown], 0.1)) == 0.0
    pair_q[1] = 0.5  # another action leads the teacher's by 0.3
    assert float(margin_loss(pair_q, wait_q, states, [shown], 0.1)) == pytest.approx(0.4)
    unshown = Transition(d, 0, 0.0, None, True)
    assert float(margin_loss(pair_q, wait_q, states, [unshown], 0.1)) == 0.0


def test_a_demonstration_survives_a_checkpoint_of_the_replay_buffer():
    buffer = ReplayBuffer(10)
    points = _decisions(compatibility_instance(6, 2, 1), count=3)
    buffer.add(Transition(points[0][0], 0, 0.5, points[1][0], False, np.array([0, 2])))
    buffer.add(Transition(points[1][0], 1, -0.5, None, True))
    again = ReplayBuffer.restore(buffer.state())
    assert np.array_equal(again.items[0].expert, [0, 2]) and again.items[1].expert is None


def test_each_instance_gets_the_shipped_model_of_the_nearest_size():
    from rewriter.learn.dqn.model import SHIPPED_SIZES, TARDINESS_SIZES, nearest_size

    assert nearest_size(50, 10) == (50, 10) and nearest_size(60, 12) == (50, 10)
    assert nearest_size(100, 20) == (100, 20) and nearest_size(200, 40) == (100, 20)
    assert nearest_size(411, 149) == (500, 100) and nearest_size(1000, 200) == (500, 100)
    assert nearest_size(3, 2) == (50, 10) and nearest_size(500, 100, TARDINESS_SIZES) == (100, 20)
    assert nearest_size(60, 12, TARDINESS_SIZES) == (50, 10)
    assert shipped_path((500, 100), "tardiness") == shipped_path((100, 20), "combined") != shipped_path()
    assert shipped_path((50, 10), "tardiness").name == "fjsp_dqn_tardiness_50x10.pt"
    assert shipped_path((100, 20), "tardiness").name == "fjsp_dqn_tardiness_100x20.pt"
    for size in SHIPPED_SIZES:
        assert shipped_path(size).is_file() and shipped_path(size).with_suffix(".json").is_file()


@pytest.mark.parametrize("kind", ["makespan", "makespan+tardiness"])
def test_the_environment_offers_the_makespan_rewards(kind):
    env = gymnasium.make("rewriter/CompatDispatch-v0", instance="compat_12x3_s2", reward=kind)
    _, info = env.reset(seed=0)
    rng, total, done = np.random.default_rng(1), 0.0, False
    while not done:
        _, r, done, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        total += r
    late = info["total_tardiness"] if kind == "makespan+tardiness" else 0  # weights are 1
    assert info["termination"] == "done" and total == -(info["makespan"] + late)
    with pytest.raises(InputError, match="reward must be one of"):
        CompatDispatchEnv("compat_6x3_s0", reward="earliness")


def test_a_run_starts_from_another_models_weights_of_the_same_architecture(tmp_path, capsys):
    from rewriter.learn.dqn.network import NetConfig

    torch.manual_seed(5)
    start = save_dqn(tmp_path / "start.pt", QNetwork())
    small = ["--sizes", "6x2", "--validation-sizes", "6x2", "--validation-seeds", "100",
             "--validate-every", "1", "--episodes", "1", "--demo-episodes", "0", "--warmup", "1000",
             "--quiet"]  # no update: the model is the one it started from
    assert _train_dqn(["--run-dir", str(tmp_path / "a"), "--init-model", str(start), *small]) == 0
    trained = load_dqn(tmp_path / "a" / "model.pt")[0]
    assert all(torch.equal(a, b) for a, b in zip(load_dqn(start)[0].state_dict().values(),
                                                 trained.state_dict().values()))
    other = save_dqn(tmp_path / "other.pt", QNetwork(NetConfig(hidden=8)))
    assert _train_dqn(["--run-dir", str(tmp_path / "b"), "--init-model", str(other), *small]) == 2
    assert "architecture" in capsys.readouterr().err


def test_the_time_limit_holds_during_the_warm_start(tmp_path):
    """Demonstrations and pre-training updates that would take minutes stop at the limit."""
    import time

    from rewriter.learn.dqn.train import train

    cfg = DQNConfig(sizes=("8x3",), validation_sizes=("8x3",), validation_seeds=(100,),
                    demo_episodes=100_000, pretrain_updates=1_000_000, batch_size=4,
                    time_limit_minutes=0.02)
    began = time.perf_counter()
    summary = train(cfg, tmp_path / "run", progress="off")
    assert summary.status == "time_limit" and summary.episodes == 0
    assert time.perf_counter() - began < 1.2 * 60 * 0.02 + 10
    assert load_dqn(tmp_path / "run" / "model.pt")[0] is not None


def test_the_last_models_card_describes_the_last_weights(tmp_path):
    """model.json: the episodes the weights have seen, the validation figures only when the last
    validation was at the end (a run stopped by its time limit has episodes after it)."""
    import dataclasses

    from rewriter.learn.dqn.train import train

    cfg = DQNConfig(sizes=("6x2",), validation_sizes=("6x2",), validation_seeds=(100,),
                    validate_every=2, episodes=3, demo_episodes=0, warmup=1000)
    assert train(cfg, tmp_path / "r", progress="off").episodes == 3
    card = json.loads((tmp_path / "r" / "model.json").read_text())
    assert card["episodes"] == 3 and card["validation_at_save"]["val_makespan"] > 0
    assert [row["episode"] for row in card["curve"]] == [2, 3]
    stopped = dataclasses.replace(cfg, episodes=10**6, validate_every=10**6,
                                  time_limit_minutes=0.01)
    summary = train(stopped, tmp_path / "t", progress="off")
    card = json.loads((tmp_path / "t" / "model.json").read_text())
    assert summary.status == "time_limit" and summary.episodes > 0
    assert card["episodes"] == summary.episodes and card["validation_at_save"] == {}


def test_warmup_zero_trains_and_a_negative_warmup_is_refused(tmp_path, capsys):
    small = ["--sizes", "6x2", "--validation-sizes", "6x2", "--validation-seeds", "100",
             "--episodes", "2", "--demo-episodes", "0", "--batch-size", "4", "--quiet"]
    assert _train_dqn(["--run-dir", str(tmp_path / "a"), "--warmup", "0", *small]) == 0
    assert _train_dqn(["--run-dir", str(tmp_path / "b"), "--warmup", "-5", *small]) == 2
    err = capsys.readouterr().err
    assert "warmup" in err and "Traceback" not in err


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 10**6))
def test_scaled_due_dates_lie_before_the_makespan_bound_and_keep_the_jobs(n, m, seed):
    from rewriter.learn.dqn.sizes import SCALED_SLACK, random_instance

    plain = compatibility_instance(n, m, seed)
    scaled = random_instance(f"{n}x{m}", seed, "scaled")
    # the bound, one job at a time: each job's fastest compatible duration
    fastest = [min(plain.elig_duration[plain.elig_start[j]:plain.elig_start[j + 1]]) for j in range(n)]
    bound = max(sum(fastest) / m, max(fastest))
    low, high = SCALED_SLACK
    assert all(round(low * bound) <= d - r <= round(high * bound)
               for d, r in zip(scaled.due, scaled.release))
    for name in ("job_start", "elig_start", "elig_machine", "elig_duration", "release", "weight"):
        assert np.array_equal(getattr(scaled, name), getattr(plain, name))
    assert np.array_equal(random_instance(f"{n}x{m}", seed, "scaled").due, scaled.due)


def test_scaled_due_dates_leave_edd_late_on_a_fair_share_of_jobs_at_every_size():
    """Where the tight draw leaves edd-eet on time (100 x 20 and up), the scaled one does not."""
    from rewriter.fjsp.dispatching import dispatch_schedule
    from rewriter.learn.dqn.sizes import random_instance

    for size, n in (("50x10", 50), ("100x20", 100), ("500x100", 500)):
        late = dispatch_schedule(random_instance(size, 100, "scaled"), "edd-eet").values()["late_jobs"]
        assert 0.25 * n <= late <= 0.8 * n
    assert dispatch_schedule(random_instance("100x20", 100, "tight"), "edd-eet").values()["late_jobs"] <= 5
