"""Padded environments (``max_jobs`` / ``max_machines``, rewriter/envs/padding.py): one policy
plays every size up to the maximum; padding off (the default) changes nothing; ``action_mask``
in every environment's info; the vectorised example of docs/environments.md runs."""

from __future__ import annotations

import re
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs import ENV_IDS
from rewriter.envs.padding import pad, padded_size
from rewriter.envs.play import random_jobshop_action
from rewriter.fjsp.generate import compatibility_instance
from rewriter.jssp.validate import check_schedule

DOC = Path(__file__).resolve().parents[1] / "docs" / "environments.md"
PAD = dict(max_jobs=15, max_machines=12)
JOBSHOP_IDS = ["rewriter/JobShop-v0", "rewriter/JobShopDispatch-v0", "rewriter/JobShopGraph-v0"]
PADDED_IDS = JOBSHOP_IDS + ["rewriter/CompatDispatch-v0"]


def make(env_id, size, **kw):
    """``env_id`` on a job-shop instance name or, for CompatDispatch-v0, a random (n, m)."""
    if env_id == "rewriter/CompatDispatch-v0":
        return gymnasium.make(env_id, instance=compatibility_instance(*size, 0), **kw)
    return gymnasium.make(env_id, instance=size, **kw)


SIZES = {"rewriter/CompatDispatch-v0": [(4, 3), (9, 5)]}
SMALL_AND_LARGE = lambda env_id: SIZES.get(env_id, ["ft06", "la21"])  # 6x6, 15x10


def random_action(env_id, obs, info, rng):
    if env_id == "rewriter/JobShop-v0":
        return random_jobshop_action(obs, rng)
    return int(rng.choice(np.flatnonzero(info["action_mask"])))


def test_padded_size_and_pad():
    assert padded_size("e", 6, 6, None, None) == (6, 6)
    assert padded_size("e", 6, 6, 15, None) == (15, 6)
    with pytest.raises(ValueError, match="e: the instance has 20 jobs, more than max_jobs=15"):
        padded_size("e", 20, 6, 15, 15)
    with pytest.raises(ValueError, match="max_machines=4"):
        padded_size("e", 6, 6, 15, 4)
    for bad in (0, -1, 2.5, True, "9"):
        with pytest.raises(ValueError, match="max_jobs is a positive integer"):
            padded_size("e", 1, 1, bad, None)
    out = pad(np.array([[1, 2]]), (2, 3), -1)
    assert out.tolist() == [[1, 2, -1], [-1, -1, -1]]


@pytest.mark.parametrize("env_id", PADDED_IDS)
def test_one_size_of_spaces_for_every_instance_and_check_env(env_id):
    small, large = (make(env_id, size, **PAD) for size in SMALL_AND_LARGE(env_id))
    assert small.observation_space.keys() == large.observation_space.keys()
    for key in small.observation_space.keys():
        assert small.observation_space[key].shape == large.observation_space[key].shape, key
    assert small.action_space == large.action_space
    for env in (small, large):
        check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", PADDED_IDS)
def test_a_size_above_the_maximum_is_one_value_error(env_id):
    size = (20, 3) if env_id == "rewriter/CompatDispatch-v0" else "ta21"  # 20 jobs
    with pytest.raises(ValueError, match="the instance has 20 jobs, more than max_jobs=15"):
        make(env_id, size, **PAD)


@pytest.mark.parametrize("env_id", PADDED_IDS)
def test_padded_actions_are_masked_and_refused(env_id):
    env = make(env_id, SMALL_AND_LARGE(env_id)[0], **PAD)
    obs, info = env.reset(seed=0)
    base = env.unwrapped
    n, m = base.num_jobs, base.num_machines
    mask = info["action_mask"]
    assert np.array_equal(mask, obs["action_mask"] if "action_mask" in obs else base.action_masks())
    if env_id == "rewriter/JobShop-v0":
        assert mask.shape == (12, 16) and not mask[:, n:15].any() and mask[:, 15].all()
        assert not mask[m:, :15].any()                     # a padded machine may only no-op
        busy = np.full(12, 15)
        busy[m] = 0                                        # a padded machine takes job 0
        _, _, terminated, _, info = env.step(busy)
        assert terminated and info["illegal_action"] and "padding" in info["detail"]
        return
    if env_id == "rewriter/CompatDispatch-v0":
        pairs = mask[:-1].reshape(15, 12)
        assert not pairs[n:].any() and not pairs[:, m:].any()
        padded = n * 12  # job n (padding), machine 0
    else:
        assert not mask[n:15].any()
        padded = n
    _, reward, terminated, _, info = env.step(padded)
    assert terminated and info["illegal_action"]


def native(env_id, action, n, m, big_n, big_m):
    """A padded env's action for the unpadded env."""
    if env_id == "rewriter/JobShop-v0":
        action = np.asarray(action)[:m]
        return np.where(action == big_n, n, action)
    if env_id == "rewriter/JobShopDispatch-v0":
        return n if action == big_n else action
    if env_id == "rewriter/CompatDispatch-v0":
        return n * m if action == big_n * big_m else action // big_m * m + action % big_m
    return action


@pytest.mark.parametrize("env_id", PADDED_IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_padding_changes_nothing_but_the_shapes(env_id, seed):
    """The same episode in a padded and an unpadded env: the same rewards and endings, and every
    observation is the unpadded one in the leading corner (operation ids renumbered for the
    graph env)."""
    size = SMALL_AND_LARGE(env_id)[0]
    padded, plain = make(env_id, size, **PAD), make(env_id, size)
    (obs_p, info_p), (obs_u, info_u) = padded.reset(seed=seed), plain.reset(seed=seed)
    n, m = plain.unwrapped.num_jobs, plain.unwrapped.num_machines
    rng, done = np.random.default_rng(seed), False
    while not done:
        action = random_action(env_id, obs_p, info_p, rng)
        obs_p, r_p, done, _, info_p = padded.step(action)
        obs_u, r_u, done_u, _, info_u = plain.step(native(env_id, action, n, m, 15, 12))
        assert r_p == r_u and done == done_u
        assert padded.observation_space.contains(obs_p)
        for key, value in obs_u.items():
            if key == "features":  # (N x M, F) -> rows j * max_machines + k
                value = pad(value.reshape(n, m, -1), (15, 12, value.shape[1]))
                assert np.array_equal(obs_p[key].reshape(15, 12, -1), value)
            elif key == "machine_order":
                renumbered = np.where(value >= 0, value // m * 12 + value % m, -1)
                assert np.array_equal(obs_p[key][:m, :value.shape[1]], renumbered)
                assert (obs_p[key][m:] == -1).all() and (obs_p[key][:, value.shape[1]:] == -1).all()
            elif key == "state":
                jobs, machines = obs_p[key][:60].reshape(15, 4), obs_p[key][60:].reshape(12, 2)
                assert np.array_equal(jobs[:n].ravel(), value[:4 * n])
                assert np.array_equal(machines[:m].ravel(), value[4 * n:])
                assert not jobs[n:].any() and not machines[m:].any()
            elif key == "action_mask" and env_id == "rewriter/JobShopGraph-v0":  # no no-op
                assert np.array_equal(obs_p[key][:n], value) and not obs_p[key][n:].any()
            elif key == "action_mask" and env_id != "rewriter/JobShop-v0":
                assert obs_p[key][-1] == value[-1] and np.array_equal(obs_p[key][:n], value[:n])
                assert not obs_p[key][n:-1].any()
            elif key == "action_mask":
                assert np.array_equal(obs_p[key][:m, :n], value[:, :n])
                assert np.array_equal(obs_p[key][:m, 15], value[:, n])
            else:
                corner = obs_p[key][tuple(slice(0, s) for s in value.shape)]
                assert np.array_equal(corner, value), key
    assert info_p["termination"] == info_u["termination"] == "done"
    for key in ("makespan", "schedule"):
        if key in info_u:
            assert np.array_equal(info_p[key], info_u[key])


def greedy_policy(weights):
    """A fixed linear scorer of the padded job features: the same function on every size."""
    def act(obs):
        scores = obs["jobs"] @ weights
        return int(np.flatnonzero(obs["action_mask"])[np.argmax(
            np.append(scores, -np.inf)[obs["action_mask"]])])
    return act


def test_one_policy_steps_on_every_size():
    """A policy built for the padded space of one size finishes instances of other sizes (6x6,
    10x10, 15x10) with valid schedules."""
    act = greedy_policy(np.array([0, 1, 0, 0, 0, 0, -1, 0], np.float32))  # most work left
    for name in ("ft06", "ft10", "la21"):
        env = gymnasium.make("rewriter/JobShopDispatch-v0", instance=name, **PAD)
        obs, _ = env.reset(seed=0)
        done = False
        while not done:
            obs, _, done, _, info = env.step(act(obs))
            assert env.observation_space.contains(obs)
        assert info["termination"] == "done", name
        check_schedule(env.unwrapped.sim.instance, info["schedule"], info["makespan"])


def test_a_maskable_ppo_trained_on_one_size_plays_another():
    sb3_contrib = pytest.importorskip("sb3_contrib")
    train = gymnasium.make("rewriter/JobShopDispatch-v0", instance="ft06", **PAD)
    model = sb3_contrib.MaskablePPO("MultiInputPolicy", train, n_steps=64, batch_size=32,
                                    n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=64)
    env = gymnasium.make("rewriter/JobShopDispatch-v0", instance="ft10", **PAD)
    obs, info = env.reset(seed=0)
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=info["action_mask"], deterministic=True)
        obs, _, done, _, info = env.step(action)
    assert info["termination"] == "done" and info["makespan"] >= 930  # ft10's optimum


@pytest.mark.parametrize("env_id", sorted(ENV_IDS))
def test_every_env_has_the_action_mask_in_info(env_id):
    kwargs = {"rewriter/Rewrite-v0": {"problem": "jssp", "instance": "ft06", "max_steps": 3},
              "rewriter/CompatDispatch-v0": {"instance": compatibility_instance(3, 2, 0)},
              "rewriter/MrtDispatch-v0": {"instance": "mrt_d2_test_00000"},
              "rewriter/FlexibleShop-v0": {"instance": "prod_3x2_s0"}}.get(
        env_id, {"instance": "ft06"})
    env = gymnasium.make(env_id, **kwargs)
    obs, info = env.reset(seed=0)
    base = env.unwrapped
    expected = base.legal_mask() if env_id == "rewriter/JobShop-v0" else base.action_masks()
    assert np.array_equal(info["action_mask"], expected)
    rng = np.random.default_rng(0)
    _, _, _, _, info = env.step(random_action(env_id, obs, info, rng))
    expected = base.legal_mask() if env_id == "rewriter/JobShop-v0" else base.action_masks()
    assert np.array_equal(info["action_mask"], expected)


def test_the_documented_vector_example_runs(capsys):
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- example: vector -->\s*```python\n(.*?)```", text, re.S).group(1)
    exec(compile(block, str(DOC), "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert f"It prints `{printed}`" in text.replace("\n", " ")


def test_jobshop_max_duration_gives_one_observation_space_for_every_instance():
    """ft06 (6x6, longest 10) and la21 (15x10, longest 99) padded with max_duration=100 have
    equal observation spaces, bounds included; without it the duration bounds differ."""
    spaces = []
    for name in ("ft06", "la21"):
        env = gymnasium.make("rewriter/JobShop-v0", instance=name, max_duration=100, **PAD)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        spaces.append(env.observation_space)
        check_env(env.unwrapped, skip_render_check=True)
    assert spaces[0] == spaces[1]
    assert spaces[0]["operations_durations"].high.max() == 100
    plain = [gymnasium.make("rewriter/JobShop-v0", instance=name, **PAD).observation_space
             for name in ("ft06", "la21")]
    assert plain[0] != plain[1]  # the default: bounded by each instance's longest operation
    assert plain[0]["operations_durations"].high.max() == 10


def test_jobshop_an_operation_longer_than_max_duration_is_one_value_error_at_reset():
    env = gymnasium.make("rewriter/JobShop-v0", instance="la21", max_duration=50, **PAD)
    with pytest.raises(ValueError, match=r"la21 takes 99, more than max_duration=50; make the "
                                         r"environment with max_duration >= 99"):
        env.reset(seed=0)
    random = gymnasium.make("rewriter/JobShop-v0", num_jobs=4, num_machines=3, high=99,
                            max_duration=20)
    with pytest.raises(ValueError, match=r"takes \d+, more than max_duration=20"):
        random.reset(seed=0)
    for bad in (0, -3, 2.5, True, "99"):
        with pytest.raises(ValueError, match="max_duration is a positive integer or None"):
            gymnasium.make("rewriter/JobShop-v0", instance="ft06", max_duration=bad)
