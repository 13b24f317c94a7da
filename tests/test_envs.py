"""The gymnasium environments: the checker, the rules step by step on hand-made instances,
schedules rebuilt from episodes, random legal play, and the rewrite environment against the
package's own random walk."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.core.rewrite_search import random_search
from rewriter.envs.dispatch import FEATURES, JobShopDispatchEnv
from rewriter.envs.jobshop import JobShopEnv
from rewriter.envs.play import random_jobshop_action, random_masked_choice
from rewriter.envs.rewrite import RewriteEnv
from rewriter.errors import InputError
from rewriter.fjsp.validate import check_schedule as check_flexible
from rewriter.jssp.generate import random_instance as generated_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.validate import check_schedule

from .reference import random_instance

DOC = Path(__file__).resolve().parents[1] / "docs" / "environments.md"
NOOP = 2  # the no-op of the 2-job instance


def two_by_two() -> JobShopInstance:
    """job 0: machine 0 for 3, then machine 1 for 2; job 1: machine 1 for 2, then machine 0 for 1.
    Total work 8; the schedule below (both start at 0, second operations at 3) ends at 5."""
    return JobShopInstance("two", np.array([[3, 2], [2, 1]]), np.array([[0, 1], [1, 0]]))


# ---- the checker ---------------------------------------------------------------------------------
UNBOUNDED = "Box observation space m"  # gymnasium's warning about infinite Box bounds


@pytest.mark.parametrize("env_id, kwargs, unbounded", [
    ("rewriter/JobShop-v0", {"instance": "ft06"}, False),
    ("rewriter/JobShop-v0", {"num_jobs": 4, "num_machines": 3, "reward": "sparse"}, False),
    ("rewriter/JobShopDispatch-v0", {"instance": "ft06"}, False),
    ("rewriter/JobShopDispatch-v0", {"num_jobs": 5, "num_machines": 3}, False),
    # the rewrite features have no fixed range (a makespan change, a cost), hence the warnings
    ("rewriter/Rewrite-v0", {"problem": "jssp", "instance": "ft06", "max_steps": 20}, True),
    ("rewriter/Rewrite-v0", {"problem": "jssp", "num_jobs": 5, "num_machines": 3,
                             "include_graph": True, "max_nodes": 15}, True),
    ("rewriter/Rewrite-v0", {"problem": "mrt", "instance": "mrt_d2_test_00000",
                             "max_steps": 5}, True),
])
def test_env_checker_passes(env_id, kwargs, unbounded):
    env = gymnasium.make(env_id, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    messages = [str(w.message) for w in caught]
    if unbounded:
        assert all(UNBOUNDED in m for m in messages), messages
    else:
        assert not messages


def test_make_imports_the_module_from_the_id_prefix():
    env = gymnasium.make("rewriter.envs:rewriter/JobShop-v0", instance="ft06")
    assert isinstance(env.unwrapped, JobShopEnv)


def test_every_id_is_registered():
    for env_id in ("rewriter/JobShop-v0", "rewriter/JobShopDispatch-v0", "rewriter/Rewrite-v0"):
        assert env_id in gymnasium.registry


# ---- JobShop-v0 step by step ---------------------------------------------------------------------
def test_jobshop_two_by_two_step_by_step():
    env = JobShopEnv(two_by_two())
    obs, info = env.reset(seed=0)
    assert info["time"] == 0
    np.testing.assert_array_equal(obs["action_mask"], [[True, False, True], [False, True, True]])
    assert obs["operations_mask"].all()
    np.testing.assert_array_equal(obs["machines_job_ids"], [-1, -1])
    np.testing.assert_array_equal(env.action_masks(), obs["action_mask"].reshape(-1))

    obs, reward, terminated, truncated, info = env.step([0, 1])  # both jobs start at 0
    assert (reward, terminated, truncated, info["time"]) == (-1.0, False, False, 1)
    np.testing.assert_array_equal(obs["machines_job_ids"], [0, 1])
    np.testing.assert_array_equal(obs["machines_remaining_times"], [2, 1])
    np.testing.assert_array_equal(obs["operations_mask"], [[False, True], [False, True]])
    # busy machines may only wait
    np.testing.assert_array_equal(obs["action_mask"], [[False, False, True], [False, False, True]])

    obs, *_ , info = env.step([NOOP, NOOP])
    np.testing.assert_array_equal(obs["machines_job_ids"], [0, -1])
    np.testing.assert_array_equal(obs["machines_remaining_times"], [1, 0])
    # machine 1 is idle, but job 0 (next on machine 1) still runs and job 1's machine is busy
    np.testing.assert_array_equal(obs["action_mask"], [[False, False, True], [False, False, True]])

    obs, *_ = env.step([NOOP, NOOP])
    np.testing.assert_array_equal(obs["action_mask"], [[False, True, True], [True, False, True]])
    obs, reward, terminated, _, info = env.step([1, 0])
    assert not terminated and info["time"] == 4
    np.testing.assert_array_equal(obs["machines_remaining_times"], [0, 1])
    obs, reward, terminated, _, info = env.step([NOOP, NOOP])
    assert terminated and info["termination"] == "done" and info["done"]
    assert info["time"] == info["makespan"] == 5
    np.testing.assert_array_equal(info["schedule"], [[0, 3], [0, 3]])
    assert check_schedule(two_by_two(), info["schedule"], info["makespan"]) == 5
    with pytest.raises(RuntimeError):
        env.step([NOOP, NOOP])


def test_jobshop_sparse_reward_is_minus_the_makespan_at_the_end():
    env = JobShopEnv(two_by_two(), reward="sparse")
    env.reset(seed=0)
    rewards = [env.step(a)[1] for a in ([0, 1], [NOOP, NOOP], [NOOP, NOOP], [1, 0], [NOOP, NOOP])]
    assert rewards == [0.0, 0.0, 0.0, 0.0, -5.0]


# an action outside the action space ([3, NOOP], [-1, NOOP], [0]) raises: tests/test_hostile_envs.py
@pytest.mark.parametrize("action", [[1, 0], [0, 0], [1, NOOP]])
def test_jobshop_illegal_action_ends_the_episode_unapplied(action):
    env = JobShopEnv(two_by_two())
    obs, _ = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(action)
    assert terminated and not truncated
    assert info["termination"] == "illegal_action" and info["illegal_action"]
    assert info["time"] == 0 and (info["schedule"] == -1).all()  # nothing was applied
    assert reward == -8.0  # scored as the serial completion: time 0 + all 8 units of work


def test_jobshop_deadlock_ends_the_episode():
    for reward_kind, expected in (("dense", [-1.0, -1.0, -1.0, -3.0]),
                                  ("sparse", [0.0, 0.0, 0.0, -6.0])):
        env = JobShopEnv(two_by_two(), reward=reward_kind)
        env.reset(seed=0)
        rewards = [env.step(a)[1] for a in ([0, 1], [NOOP, NOOP], [NOOP, NOOP])]
        # at time 3 both machines are idle: waiting on both can never change anything again
        _, reward, terminated, _, info = env.step([NOOP, NOOP])
        assert terminated and info["termination"] == "deadlock" and info["deadlock"]
        assert "makespan" not in info and info["failure_makespan"] == 3 + 3
        assert rewards + [reward] == expected  # either way the return is -(3 + 3)


def test_jobshop_waiting_while_a_machine_runs_is_not_a_deadlock():
    env = JobShopEnv(two_by_two())
    env.reset(seed=0)
    env.step([0, NOOP])  # machine 1 waits, machine 0 runs job 0
    _, _, terminated, _, info = env.step([NOOP, NOOP])
    assert not terminated and info["time"] == 2


def test_jobshop_three_by_three_masks_follow_the_routes():
    # job j visits machines (j, j+1, j+2) mod 3 with durations 1, 2, 3
    machines = np.array([[(j + k) % 3 for k in range(3)] for j in range(3)])
    env = JobShopEnv(JobShopInstance("rot", np.tile([1, 2, 3], (3, 1)), machines))
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs["action_mask"][:, :3], np.eye(3, dtype=bool))
    obs, *_ = env.step([0, 1, 2])  # every job starts its 1-unit first operation
    # after one unit every machine is free and every job's next operation is on the next machine
    np.testing.assert_array_equal(obs["machines_job_ids"], [-1, -1, -1])
    np.testing.assert_array_equal(obs["action_mask"][:, :3], np.roll(np.eye(3, dtype=bool), 1, 0))


# ---- JobShopDispatch-v0 step by step -------------------------------------------------------------
def test_dispatch_two_by_two_step_by_step():
    env = JobShopDispatchEnv(two_by_two())
    obs, info = env.reset(seed=0)
    col = {name: i for i, name in enumerate(FEATURES)}
    np.testing.assert_array_equal(obs["action_mask"], [True, True, False])  # nothing runs: no no-op
    np.testing.assert_array_equal(info["action_mask"], env.action_masks())
    np.testing.assert_allclose(obs["jobs"][:, col["remaining_work"]], [1.0, 3 / 5])
    np.testing.assert_allclose(obs["jobs"][:, col["next_op_duration"]], [1.0, 2 / 3])

    obs, reward, terminated, _, info = env.step(0)  # job 0 on machine 0; job 1 can still start
    assert info["time"] == 0 and reward == pytest.approx(3 / 3) and not terminated
    np.testing.assert_array_equal(obs["action_mask"], [False, True, True])
    assert obs["jobs"][0, col["current_op_left"]] == pytest.approx(1.0)

    obs, reward, *_, info = env.step(1)  # nothing else can start: jump past 2 (machine 1 ends,
    assert info["time"] == 3             # job 1 waits for machine 0) to 3
    assert reward == pytest.approx((2 - 1) / 3)  # 2 units started, machine 1 idle from 2 to 3
    np.testing.assert_array_equal(obs["action_mask"], [True, True, False])
    assert obs["jobs"][1, col["idle_since_last_op"]] == pytest.approx(1 / 3)

    total = 1.0 + 1 / 3
    for job in (1, 0):
        obs, reward, terminated, _, info = env.step(job)
        total += reward
    assert terminated and info["makespan"] == 5 and info["time"] == 5
    np.testing.assert_array_equal(info["schedule"], [[0, 3], [0, 3]])
    assert total == pytest.approx((2 * 8 - 2 * 5) / 3)


def test_dispatch_noop_waits_for_the_next_event():
    env = JobShopDispatchEnv(two_by_two())
    env.reset(seed=0)
    col = {name: i for i, name in enumerate(FEATURES)}
    env.step(0)
    obs, reward, terminated, _, info = env.step(NOOP)
    assert info["time"] == 3 and not terminated
    assert reward == pytest.approx(-3 / 3)  # machine 1 stood idle for 3 units
    assert obs["jobs"][1, col["total_idle"]] == pytest.approx(3 / 5)
    assert obs["jobs"][0, col["ops_done"]] == pytest.approx(0.5)


def test_dispatch_illegal_action_ends_the_episode():
    env = JobShopDispatchEnv(two_by_two())
    env.reset(seed=0)
    env.step(0)
    _, reward, terminated, _, info = env.step(0)  # job 0 is running
    assert terminated and info["termination"] == "illegal_action"
    # the return becomes that of makespan 0 + 8 (the serial completion): (16 - 2 * 8) / 3
    assert 1.0 + reward == pytest.approx(0.0)


# ---- rebuilt schedules and random legal play -----------------------------------------------------
def play_jobshop(env: JobShopEnv, seed: int):
    """Random legal play; returns the last info and the start times rebuilt from the actions."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    inst = env.sim.instance
    rebuilt = np.full(inst.durations.shape, -1)
    done_ops = np.zeros(inst.n_jobs, int)
    rewards, time = [], 0
    while True:
        action = random_jobshop_action(obs, rng)
        for job in action[action < inst.n_jobs]:
            rebuilt[job, done_ops[job]] = time
            done_ops[job] += 1
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        time += 1
        if terminated or truncated:
            return info, rebuilt, rewards


def play_dispatch(env: JobShopDispatchEnv, seed: int):
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    inst = env.sim.instance
    rebuilt = np.full(inst.durations.shape, -1)
    done_ops = np.zeros(inst.n_jobs, int)
    rewards = []
    while True:
        action = random_masked_choice(obs["action_mask"], rng)
        if action < inst.n_jobs:
            rebuilt[action, done_ops[action]] = info["time"]
            done_ops[action] += 1
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        if terminated or truncated:
            return info, rebuilt, rewards


def test_rebuilt_schedule_passes_the_validator_on_ft06():
    env = JobShopEnv("ft06")
    info, rebuilt, rewards = play_jobshop(env, seed=3)
    assert info["termination"] == "done"
    assert check_schedule(env.sim.instance, rebuilt, info["makespan"]) == info["makespan"]
    assert sum(rewards) == -info["makespan"]  # every ft06 duration is positive

    env = JobShopDispatchEnv("ft06")
    info, rebuilt, rewards = play_dispatch(env, seed=3)
    assert check_schedule(env.sim.instance, rebuilt, info["makespan"]) == info["makespan"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), m=st.integers(1, 4),
       reentrant=st.booleans())
def test_random_legal_play_always_ends_with_a_valid_schedule(seed, n, m, reentrant):
    inst = random_instance(np.random.default_rng(seed), n, m, reentrant)
    work, longest = int(inst.durations.sum()), max(int(inst.durations.max()), 1)

    info, rebuilt, rewards = play_jobshop(JobShopEnv(inst), seed)
    assert info["termination"] == "done"
    np.testing.assert_array_equal(rebuilt, info["schedule"])
    assert check_schedule(inst, rebuilt, info["makespan"]) == info["makespan"]
    # one unit per step: the episode is as long as the schedule, or one unit longer when the
    # last operation to start has zero length
    assert -sum(rewards) in (info["makespan"], info["makespan"] + 1)

    info, rebuilt, rewards = play_dispatch(JobShopDispatchEnv(inst), seed)
    assert info["termination"] == "done"
    np.testing.assert_array_equal(rebuilt, info["schedule"])
    assert check_schedule(inst, rebuilt, info["makespan"]) == info["makespan"]
    assert sum(rewards) == pytest.approx((2 * work - m * info["makespan"]) / longest)


def test_random_instances_are_repeatable_by_seed():
    env = JobShopEnv(num_jobs=4, num_machines=3)
    first = env.reset(seed=7)[0]["operations_durations"]
    other = env.reset(seed=8)[0]["operations_durations"]
    again = env.reset(seed=7)[0]["operations_durations"]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == (4, 3)
    # the info names the instance, so it can be rebuilt outside the environment
    name = env.reset(seed=7)[1]["instance"]
    seed = int(re.fullmatch(r"rand_4x3_s(\d+)", name).group(1))
    np.testing.assert_array_equal(generated_instance(4, 3, seed=seed).durations, first)


def test_bad_construction_is_one_clear_error():
    with pytest.raises(InputError, match="num_jobs and num_machines"):
        JobShopEnv()
    with pytest.raises(InputError, match="unknown reward"):
        JobShopEnv("ft06", reward="shaped")
    with pytest.raises(InputError, match="6x6"):
        JobShopDispatchEnv("ft06", num_jobs=3, num_machines=3)


# ---- Rewrite-v0 ----------------------------------------------------------------------------------
def play_rewrite(env: RewriteEnv, seed: int, permutation_draws: bool = False):
    """Random masked play; with ``permutation_draws`` each step draws like the package's random
    walk (the first of a random permutation of the candidates)."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    initial, rewards, infos = info["cost"], [], []
    while True:
        legal = np.flatnonzero(obs["candidate_mask"])
        action = int(legal[rng.permutation(len(legal))[0]]) if permutation_draws else \
            random_masked_choice(obs["candidate_mask"], rng)
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
        infos.append(info)
        if terminated or truncated:
            return initial, rewards, infos


@pytest.mark.parametrize("problem, instance", [("jssp", "ta01"), ("mrt", "mrt_d5_test_00000")])
def test_rewrite_rewards_sum_to_the_cost_decrease(problem, instance):
    env = RewriteEnv(problem, instance, max_steps=30)
    initial, rewards, infos = play_rewrite(env, seed=1)
    assert len(rewards) == 30 and not any(i.get("illegal_action") for i in infos)
    assert all(i["applied"] for i in infos)  # a masked-in candidate always applies
    assert infos[-1]["candidates_dropped"] == 0
    assert sum(rewards) == pytest.approx(initial - infos[-1]["cost"])
    assert infos[-1]["best_cost"] == pytest.approx(min([initial] + [i["cost"] for i in infos]))


def test_rewrite_matches_the_package_random_walk_with_the_same_seed():
    # the random walk draws a permutation of the candidates from a generator seeded with its
    # seed and applies the first (every job-shop candidate applies): an agent that draws the
    # same way from the same generator must take the same rewrites and reach the same costs
    env = RewriteEnv("jssp", "ta01", init="mwkr", max_steps=60)
    initial, rewards, infos = play_rewrite(env, seed=5, permutation_draws=True)
    outcome = random_search(env.problem.initial_state(env.fixed_instance, "mwkr"), 60, seed=5)
    assert outcome.initial_cost == initial
    assert outcome.best_cost == infos[-1]["best_cost"]
    # the walk records (step, best cost) at each new best; its trace ends with the final best
    walk_bests = [(step, cost) for step, _, cost in outcome.trace[1:-1]]
    best, env_bests = initial, []
    for step, info in enumerate(infos, start=1):
        if info["cost"] < best:
            best = info["cost"]
            env_bests.append((step, best))
    assert walk_bests == env_bests and len(env_bests) > 3


def test_rewrite_illegal_action_and_truncation():
    env = RewriteEnv("jssp", "ft06", max_steps=2)
    obs, info = env.reset(seed=0)
    count = info["candidates"]
    assert obs["candidate_mask"].sum() == count and (obs["candidate_pairs"][count:] == -1).all()
    np.testing.assert_array_equal(env.action_masks(), obs["candidate_mask"])
    _, reward, terminated, truncated, info = env.step(count)  # a padding row
    assert terminated and not truncated and reward == 0.0 and info["illegal_action"]
    env.reset(seed=0)
    env.step(0)
    _, _, terminated, truncated, _ = env.step(0)
    assert truncated and not terminated


def test_rewrite_without_candidates_ends_at_the_first_step():
    one_job = JobShopInstance("one", np.array([[1, 2, 3]]), np.array([[0, 1, 2]]))
    env = RewriteEnv("jssp", one_job)  # one job: no machine order to change
    obs, info = env.reset(seed=0)
    assert info["candidates"] == 0 and not obs["candidate_mask"].any()
    _, reward, terminated, _, info = env.step(0)
    assert terminated and reward == 0.0 and info["termination"] == "no_candidates"


def test_rewrite_runs_the_flexible_shop():
    env = gymnasium.make("rewriter/Rewrite-v0", problem="fjsp", instance="mk01", init="mwkr-eet",
                         max_steps=5)
    obs, info = env.reset(seed=0)
    start, total = info["cost"], 0.0
    for _ in range(5):
        legal = np.flatnonzero(obs["candidate_mask"])
        obs, reward, terminated, truncated, info = env.step(int(legal[0]))
        total += reward
        if terminated or truncated:
            break
    state = env.unwrapped.state
    schedule = state.schedule()
    assert check_flexible(state.instance, schedule.assign, schedule.heads)["makespan"] == state.cost()
    assert info["cost"] == state.cost() and start - state.cost() == total  # rewards: cost decreases


def test_rewrite_random_instances_and_graph():
    env = RewriteEnv("jssp", num_jobs=4, num_machines=3, include_graph=True, max_nodes=12)
    obs, info = env.reset(seed=2)
    assert obs in env.observation_space and obs["node_mask"].all()
    assert env.state.instance.shape == (4, 3)
    again, _ = env.reset(seed=2)
    np.testing.assert_array_equal(obs["node_features"], again["node_features"])


def test_rewrite_refuses_a_problem_without_a_rewrite_interface():
    import dataclasses

    from rewriter import registry

    registry.register(dataclasses.replace(registry.get("fjsp"), name="norewrite", rewrite_problem=None))
    try:
        with pytest.raises(InputError, match="'norewrite' has no rewrite interface.*jssp, mrt, fjsp"):
            gymnasium.make("rewriter/Rewrite-v0", problem="norewrite")
    finally:
        registry.unregister("norewrite")
    with pytest.raises(InputError, match="unknown init"):
        RewriteEnv("jssp", "ft06", init="best")


def test_the_documented_agent_loop_runs(capsys):
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- example: agent -->\s*```python\n(.*?)```", text, re.S).group(1)
    assert len([line for line in block.splitlines() if line.strip()]) <= 20
    exec(compile(block, str(DOC), "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert f"It prints `{printed}`" in text  # the doc quotes what the example really prints
