"""rewriter/MrtDispatch-v0: the hand-made semantics, random legal play, the mask and the checker."""

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs.mrt_dispatch import MrtDispatchEnv, cluster_features, job_features
from rewriter.errors import InputError
from rewriter.mrt.instance import MrtInstance
from rewriter.mrt.validate import check_mrt_schedule

from .mrt_strategies import mrt_instances

ADVANCE = 10  # the action index of "advance" with the default window


def _three_jobs() -> MrtInstance:
    """One resource of capacity 10: two jobs of demand 6 at time 0 (lengths 2 and 1), one of
    demand 3 and length 3 at time 1."""
    return MrtInstance("three", [10], [0, 0, 1], [2, 1, 3], [[6], [6], [3]])


@pytest.mark.parametrize("kwargs", [{"resources": 5}, {"instance": "mrt_d2_test_00000"},
                                    {"resources": 2, "window": 3}])
def test_make_and_the_checker_pass_without_warnings(kwargs):
    env = gymnasium.make("rewriter.envs:rewriter/MrtDispatch-v0", **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)
    assert not [str(w.message) for w in caught]


def test_three_jobs_step_by_step():
    env = MrtDispatchEnv(instance=_three_jobs())
    obs, info = env.reset(seed=0)
    # t = 0: jobs 0 and 1 wait and fit; job 2 is still to arrive, so advancing is allowed
    assert info["time"] == 0
    assert np.flatnonzero(obs["action_mask"]).tolist() == [0, 1, ADVANCE]
    # start job 1 (slot 1): job 0 no longer fits (6 > 4 free), so time moves to t = 1, where
    # job 1 ends and job 2 arrives; meanwhile job 0 (length 2) and job 1 (length 1) accrued
    obs, reward, done, _, info = env.step(1)
    assert (info["time"], reward, done) == (1, pytest.approx(-(1 / 2 + 1 / 1)), False)
    # nothing runs and nothing is to arrive: advancing is illegal; slots are jobs 0 and 2
    assert np.flatnonzero(obs["action_mask"]).tolist() == [0, 1]
    np.testing.assert_allclose(obs["jobs"][0], [1, 1, 2 / 15, 1 / 15, 0.6], rtol=1e-6)
    np.testing.assert_allclose(obs["jobs"][1], [1, 1, 3 / 15, 0, 0.3], rtol=1e-6)
    assert not obs["jobs"][2:].any()
    np.testing.assert_allclose(obs["cluster"], [1, 0, 0, 0, 0, 0, 0])
    # start job 2 (slot 1): job 0 still fits (6 <= 7), a decision at the same time, nothing accrued
    obs, reward, done, _, info = env.step(1)
    assert (info["time"], reward, done) == (1, 0.0, False)
    np.testing.assert_allclose(obs["cluster"], [0.7, 0.1, 0.2, 0.2, 0.2, 0, 0], rtol=1e-6)
    # start job 0: the rest runs out, job 0 ends at 3 and job 2 at 4
    obs, reward, done, _, info = env.step(0)
    assert done and info["termination"] == "done" and info["time"] == 4
    assert reward == pytest.approx(-(2 * (1 / 2 + 1 / 3) + 1 / 3))
    assert info["schedule"].tolist() == [1, 0, 1]
    # slowdowns (3 - 0) / 2, (1 - 0) / 1, (4 - 1) / 3
    assert info["average_slowdown"] == pytest.approx((1.5 + 1 + 1) / 3)
    assert check_mrt_schedule(env.cluster.instance, info["schedule"]) == pytest.approx(3.5 / 3)


def test_advance_waits_for_the_next_event_and_an_illegal_action_ends_the_episode():
    env = MrtDispatchEnv(instance=_three_jobs())
    env.reset(seed=0)
    obs, reward, done, _, info = env.step(ADVANCE)  # wait for job 2 with jobs 0 and 1 waiting
    assert (info["time"], reward, done) == (1, pytest.approx(-1.5), False)
    assert np.flatnonzero(obs["action_mask"]).tolist() == [0, 1, 2]
    _, reward, done, _, info = env.step(5)  # an empty slot
    assert done and info["termination"] == "illegal_action"
    # scored as running the rest one at a time from t = 1: 0 at 1, 1 at 3, 2 at 4
    serial = (3 - 0) / 2 + (4 - 0) / 1 + (7 - 1) / 3
    assert reward == pytest.approx(-(serial - 1.5))
    with pytest.raises(RuntimeError):
        env.step(0)


def test_sizes_depend_on_d_and_w_only():
    env = MrtDispatchEnv(resources=3, window=4)
    assert env.observation_space["jobs"].shape == (4, len(job_features(3))) == (4, 7)
    assert env.observation_space["cluster"].shape == (len(cluster_features(3)),) == (9,)
    assert env.action_space.n == 5
    with pytest.raises(InputError):
        env.reset(options={"instance": "mrt_d2_test_00000"})
    with pytest.raises(InputError):
        MrtDispatchEnv()


def test_random_sequences_are_repeatable_by_seed():
    env = MrtDispatchEnv(resources=2)
    a = env.reset(seed=3)[1]["instance"]
    b = env.reset(seed=3)[1]["instance"]
    c = env.reset(seed=4)[1]["instance"]
    assert a == b != c and a.startswith("mrt_d2_rand_s")


def _in_use(instance, starts, t):
    """Resources used at time t by the jobs started so far (recomputed from the start times)."""
    running = (starts >= 0) & (starts <= t) & (t < starts + instance.length)
    return instance.demand[running].sum(0)


@settings(max_examples=60, deadline=None)
@given(instance=mrt_instances(), window=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_random_legal_play_ends_with_a_valid_schedule_and_the_reported_slowdown(instance, window,
                                                                               seed):
    env = MrtDispatchEnv(instance=instance, window=window)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    total, steps, done = 0.0, 0, False
    while not done:
        mask = obs["action_mask"]
        cluster = env.cluster
        free = instance.capacity - _in_use(instance, cluster.starts, cluster.time)
        visible = cluster.waiting[:window]
        for slot in np.flatnonzero(mask[:window]):  # the mask never offers a job that does not fit
            assert slot < len(visible) and (instance.demand[visible[slot]] <= free).all()
        assert mask.any()
        obs, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(mask))))
        total += reward
        steps += 1
        assert steps <= 4 * instance.n_jobs + 100, "the episode does not end"
    assert info["termination"] == "done"
    true = check_mrt_schedule(instance, info["schedule"], average_slowdown_reported=info["average_slowdown"])
    assert -total / instance.n_jobs == pytest.approx(true, rel=1e-9)
