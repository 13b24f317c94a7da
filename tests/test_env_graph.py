"""``rewriter/JobShopGraph-v0``: the checker, a hand-made episode, the placement kernel against a
plain-Python earliest-fit, and schedules rebuilt from random legal play."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs.graph import FEATURES, JobShopGraphEnv, graph_arcs, job_arcs
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.validate import check_schedule

from .reference import random_instance


def two_by_two() -> JobShopInstance:
    """job 0: machine 0 for 3, then machine 1 for 2; job 1: machine 1 for 2, then machine 0 for 1."""
    return JobShopInstance("two", np.array([[3, 2], [2, 1]]), np.array([[0, 1], [1, 0]]))


@pytest.mark.parametrize("kwargs", [{"instance": "ft06"}, {"num_jobs": 5, "num_machines": 3}])
def test_env_checker_passes(kwargs):
    env = gymnasium.make("rewriter/JobShopGraph-v0", **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert not [str(w.message) for w in caught]


def test_two_by_two_step_by_step():
    env = JobShopGraphEnv(two_by_two())
    obs, _ = env.reset(seed=0)
    assert env.makespan_bound() == 5  # job 0's total work
    np.testing.assert_array_equal(obs["action_mask"], [True, True])
    np.testing.assert_array_equal(obs["features"][:, FEATURES.index("candidate")], [1, 0, 1, 0])
    # job 1's first operation: machine 1 at 0, bound of its second 3
    obs, reward, terminated, _, _ = env.step(1)
    assert (reward, terminated) == (0.0, False)
    np.testing.assert_array_equal(obs["machine_order"], [[-1, -1], [2, -1]])
    # job 1's second operation: machine 0 is free, at 2; ends 3
    env.step(1)
    np.testing.assert_array_equal(env.action_masks(), [True, False])
    # job 0's first operation: machine 0 holds [2, 3): no gap of 3 before it, so after: [3, 6)
    _, reward, _, _, _ = env.step(0)
    assert env.makespan_bound() == 8 and reward == pytest.approx(-3 / 3)
    np.testing.assert_array_equal(env._order[0], [3, 0])
    _, reward, terminated, _, info = env.step(0)  # machine 1 free after 2: [6, 8)
    assert terminated and info["termination"] == "done" and info["makespan"] == 8
    np.testing.assert_array_equal(info["schedule"], [[3, 6], [0, 2]])


def test_an_operation_fills_an_earlier_gap():
    # job 0: machine 0 for 2, then machine 1 for 5; job 1: machine 1 for 3
    inst = JobShopInstance("gap", np.array([[2, 5], [3, 1]]), np.array([[0, 1], [1, 0]]))
    env = JobShopGraphEnv(inst)
    env.reset(seed=0)
    env.step(0)  # [0, 2) on machine 0
    env.step(0)  # [2, 7) on machine 1
    env.step(1)  # 3 units on machine 1: the gap [0, 2) is too short, so after: [7, 10)
    assert env._starts[1, 0] == 7
    inst2 = JobShopInstance("gap2", np.array([[3, 5], [3, 1]]), np.array([[0, 1], [1, 0]]))
    env = JobShopGraphEnv(inst2)
    env.reset(seed=0)
    env.step(0)
    env.step(0)  # machine 1: [3, 8)
    env.step(1)  # fits the gap [0, 3) before it
    assert env._starts[1, 0] == 0
    np.testing.assert_array_equal(env._order[1], [2, 1])


def test_an_illegal_action_ends_the_episode_with_the_total_work():
    env = JobShopGraphEnv(two_by_two())
    env.reset(seed=0)
    env.step(0)
    env.step(0)
    _, reward, terminated, _, info = env.step(0)  # job 0 has nothing left
    assert terminated and info["termination"] == "illegal_action" and info["makespan"] == 8
    assert reward == pytest.approx((5 - 8) / 3)


def earliest_fit_oracle(inst: JobShopInstance, jobs: list[int]) -> np.ndarray:
    """Plain Python: each machine a list of (start, end); the first gap that fits, else last."""
    n, m = inst.shape
    starts = np.full((n, m), -1)
    nxt = [0] * n
    lines = [[] for _ in range(m)]
    for j in jobs:
        k = nxt[j]
        d = int(inst.durations[j, k])
        ready = 0 if k == 0 else starts[j, k - 1] + int(inst.durations[j, k - 1])
        busy = sorted(lines[inst.machines[j, k]])
        t = ready
        for s, e in busy:
            if t + d <= s:
                break
            t = max(t, e)
        starts[j, k] = t
        lines[inst.machines[j, k]].append((t, t + d))
        nxt[j] += 1
    return starts


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.booleans(), st.integers(0, 2**31 - 1))
def test_random_play_matches_the_oracle_and_the_validator(n, m, reentrant, seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(rng, n, m, reentrant)
    env = JobShopGraphEnv(inst)
    obs, _ = env.reset(seed=seed)
    chosen, total, terminated = [], 0.0, False
    bound0 = env.makespan_bound()
    while not terminated:
        assert env.observation_space.contains(obs)
        job = int(rng.choice(np.flatnonzero(obs["action_mask"])))
        chosen.append(job)
        obs, reward, terminated, _, info = env.step(job)
        total += reward
    assert info["termination"] == "done" and len(chosen) == n * m
    np.testing.assert_array_equal(info["schedule"], earliest_fit_oracle(inst, chosen))
    assert check_schedule(inst, info["schedule"], info["makespan"]) == info["makespan"]
    assert info["makespan"] <= inst.durations.sum()
    longest = max(int(inst.durations.max()), 1)
    assert total == pytest.approx((bound0 - info["makespan"]) / longest)
    # zero-length operations may share a start: the solution orders ties by their ends
    assert JobShopSolution.from_starts(inst, info["schedule"]).makespan == info["makespan"]
    # the graph: job arcs plus one arc per consecutive pair on every machine
    arcs = graph_arcs(obs["machine_order"], job_arcs(n, m))
    assert arcs.shape[1] == n * (m - 1) + sum(max(c - 1, 0) for c in env._count)


def test_machine_wait_is_the_candidates_wait_for_its_machine():
    env = JobShopGraphEnv(two_by_two())
    env.reset(seed=0)
    obs, *_ = env.step(1)  # job 1 on machine 1 for [0, 2)
    obs, *_ = env.step(1)  # job 1 on machine 0 for [2, 3)
    wait = obs["features"][:, FEATURES.index("machine_wait")]
    # job 0's first operation (3 units, machine 0, ready at 0): no gap of 3 before 2, so it
    # would start at 3: a wait of 3, over the bound 5
    np.testing.assert_allclose(wait, [3 / 5, 0, 0, 0])
