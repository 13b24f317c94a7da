"""Hostile use of the six gymnasium environments: every one refuses a bad action, a step after the
end and bad reset options in the same documented way (docs/environments.md, "Bad actions and
steps after the end"; the checks are rewriter/envs/checks.py).

- an action that is not an integer of the action space (a string, a float, a bool, None, an
  array of the wrong shape or dtype) or lies outside it raises ValueError naming the environment,
  the action and the valid range, and changes nothing: the episode goes on;
- an action inside the space that the mask forbids ends the episode (``"illegal_action"``);
- ``step`` before ``reset`` or after ``terminated`` or ``truncated`` raises ``ResetNeeded`` (a
  RuntimeError and gymnasium's ``gymnasium.error.ResetNeeded``) until ``reset``;
- ``reset(options=...)`` takes None or a dict of the keys the environment knows.
"""

from __future__ import annotations

import re
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs import ENV_IDS
from rewriter.fjsp.generate import compatibility_instance
from rewriter.jssp.instance import JobShopInstance


def two_by_two() -> JobShopInstance:
    return JobShopInstance("two", np.array([[3, 2], [2, 1]]), np.array([[0, 1], [1, 0]]))


KWARGS = {
    "rewriter/JobShop-v0": lambda: {"instance": two_by_two()},
    "rewriter/JobShopDispatch-v0": lambda: {"instance": two_by_two()},
    "rewriter/JobShopGraph-v0": lambda: {"instance": two_by_two()},
    "rewriter/Rewrite-v0": lambda: {"problem": "jssp", "instance": "ft06", "max_steps": 3,
                                    "max_candidates": 64},
    "rewriter/CompatDispatch-v0": lambda: {"instance": compatibility_instance(3, 2, 0)},
    "rewriter/MrtDispatch-v0": lambda: {"instance": "mrt_d2_test_00000", "window": 4},
    "rewriter/FlexibleShop-v0": lambda: {"instance": "prod_3x2_s0"},
}
ALL = pytest.mark.parametrize("env_id", sorted(KWARGS))
MULTI = "rewriter/JobShop-v0"  # the one MultiDiscrete action space: MultiDiscrete([3, 3])
SIZES = {"rewriter/JobShopDispatch-v0": 3, "rewriter/JobShopGraph-v0": 2, "rewriter/Rewrite-v0": 64,
         "rewriter/CompatDispatch-v0": 7, "rewriter/MrtDispatch-v0": 5,
         "rewriter/FlexibleShop-v0": 3}  # Discrete(n) of KWARGS


def make(env_id: str) -> gymnasium.Env:
    return gymnasium.make(env_id, **KWARGS[env_id]())


def mask_of(env) -> np.ndarray:
    """The legal actions: 1-D for Discrete, (M, N + 1) for JobShop-v0."""
    base = env.unwrapped
    return base.legal_mask() if base.spec.id == MULTI else base.action_masks()


def legal_action(env):
    mask = mask_of(env)
    if env.unwrapped.spec.id != MULTI:
        return int(np.flatnonzero(mask)[0])
    noop = mask.shape[1] - 1
    return np.array([np.flatnonzero(row[:noop])[0] if row[:noop].any() else noop for row in mask])


def masked_action(env):
    """An action inside the action space that the mask forbids now (stepping legally until the
    mask forbids something)."""
    for _ in range(20):
        mask = mask_of(env)
        if not mask.all():
            break
        env.step(legal_action(env))
    if env.unwrapped.spec.id != MULTI:
        return int(np.flatnonzero(~mask)[0])
    machine, job = (int(x) for x in np.argwhere(~mask)[0])
    action = np.full(mask.shape[0], mask.shape[1] - 1)
    action[machine] = job
    return action


def bad_actions(env_id: str) -> list:
    """Actions that are not an integer of the space, or lie outside it."""
    if env_id == MULTI:
        m, top = 2, 3
        return ["x", "0", 1.5, None, True, 0, [0] * (m + 1), [0.0] * m, ["0"] * m, [True] * m,
                [[0] * m], np.zeros(m, np.float64), [-1] + [0] * (m - 1), [top] + [0] * (m - 1),
                [2**70] * m, [[0], [0, 0]], {"a": 1}]
    n = SIZES[env_id]
    return ["x", "0", "", 1.5, 0.0, np.float64(0.0), None, True, False, np.bool_(True),
            np.array(True), np.array(0.5), [0], (0,), np.array([0]), -1, n, n + 10, 2**70,
            np.int64(-1), np.uint64(2**64 - 1), np.array(-1), {"a": 1}, object()]


def ids(actions):
    return [repr(a)[:20] for a in actions]


# ---- actions that are not in the action space ----------------------------------------------------
@pytest.mark.parametrize("env_id, action", [(e, a) for e in sorted(KWARGS) for a in bad_actions(e)],
                         ids=[f"{e[9:]}-{i}" for e in sorted(KWARGS) for i in ids(bad_actions(e))])
def test_an_action_outside_the_space_raises_value_error_and_changes_nothing(env_id, action):
    env = make(env_id)
    obs, _ = env.reset(seed=0)
    with pytest.raises(ValueError, match=rf"{re.escape(env_id)}.*action.*(range|0\.\.)"):
        env.step(action)
    np.testing.assert_equal(env.unwrapped._observation(), obs)
    _, _, _, _, info = env.step(legal_action(env))  # the episode goes on, legally
    assert "illegal_action" not in info


@ALL
def test_every_integer_form_of_an_action_is_the_same_action(env_id):
    first = make(env_id)
    first.reset(seed=0)
    action = legal_action(first)
    expected = first.step(action)[0]
    if env_id == MULTI:
        forms = [list(action), tuple(action), np.asarray(action, np.int32),
                 np.asarray(action, np.uint8)]
    else:
        forms = [np.int32(action), np.int64(action), np.uint8(action), np.array(action)]
    for form in forms:
        env = make(env_id)
        env.reset(seed=0)
        np.testing.assert_equal(env.step(form)[0], expected)


@settings(max_examples=40, deadline=None)
@given(action=st.one_of(st.integers(-3, 70), st.floats(allow_nan=True), st.text(max_size=3),
                        st.booleans(), st.none(), st.lists(st.integers(-1, 5), max_size=7)))
def test_any_action_is_played_or_refused_with_value_error(action):
    for env_id in ("rewriter/JobShopDispatch-v0", MULTI):
        env = make(env_id)
        env.reset(seed=0)
        try:
            env.step(action)
        except ValueError as error:
            assert env_id in str(error)
            assert action not in env.action_space or isinstance(action, bool)


# ---- masked actions and steps after the end ------------------------------------------------------
@ALL
def test_a_masked_action_ends_the_episode_as_illegal_action(env_id):
    env = make(env_id)
    env.reset(seed=0)
    action = masked_action(env)
    _, _, terminated, truncated, info = env.step(action)
    assert terminated and not truncated
    assert info["termination"] == "illegal_action" and info["illegal_action"] and info["detail"]


@ALL
def test_a_step_after_the_end_raises_until_reset(env_id):
    env = make(env_id)
    env.reset(seed=0)
    env.step(masked_action(env))
    for _ in range(2):
        with pytest.raises(gymnasium.error.ResetNeeded,
                           match=rf"{re.escape(env_id)}.*ended.*reset\(\)"):
            env.step(legal_action(env))
    with pytest.raises(RuntimeError):
        env.step(masked_action(env))
    env.reset(seed=0)
    env.step(legal_action(env))


@ALL
def test_a_step_before_reset_raises(env_id):
    env = make(env_id).unwrapped  # gym.make's OrderEnforcing would raise first
    with pytest.raises(gymnasium.error.ResetNeeded, match=rf"{re.escape(env_id)}.*reset\(\)"):
        env.step(0 if env_id != MULTI else [0, 0])


def test_rewrite_stops_after_max_steps():
    env = make("rewriter/Rewrite-v0")
    env.reset(seed=0)
    for _ in range(3):
        _, _, terminated, truncated, info = env.step(legal_action(env))
    assert truncated and not terminated and info["steps"] == 3
    with pytest.raises(gymnasium.error.ResetNeeded, match="truncated"):
        env.step(legal_action(env))
    assert env.unwrapped.steps == 3


def test_rewrite_stops_after_an_illegal_action_without_applying_anything():
    env = make("rewriter/Rewrite-v0")
    env.reset(seed=0)
    env.step(masked_action(env))
    cost = env.unwrapped.state.cost()
    with pytest.raises(RuntimeError, match="terminated"):
        env.step(0)
    assert env.unwrapped.state.cost() == cost and env.unwrapped.steps == 0


# ---- reset options -------------------------------------------------------------------------------
@ALL
@pytest.mark.parametrize("options, error", [("str", TypeError), (["instance"], TypeError),
                                            (1, TypeError), ({"bogus": 1}, ValueError)])
def test_bad_reset_options_are_refused(env_id, options, error):
    env = make(env_id)
    with pytest.raises(error, match=rf"{re.escape(env_id)}.*options"):
        env.reset(seed=0, options=options)
    obs, _ = env.reset(seed=0, options={})
    assert obs in env.observation_space


def test_mrt_reset_options_still_take_an_instance():
    env = make("rewriter/MrtDispatch-v0")
    _, info = env.reset(options={"instance": "mrt_d2_test_00001"})
    assert info["instance"] == "mrt_d2_test_00001"


# ---- the checker ---------------------------------------------------------------------------------
@ALL
def test_the_gymnasium_checker_passes(env_id):
    env = make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rewrite-v0's unbounded feature boxes
        check_env(env.unwrapped, skip_render_check=True)


def test_the_six_environments_are_all_here():
    assert sorted(KWARGS) == sorted(ENV_IDS)
    for env_id, n in SIZES.items():
        assert make(env_id).action_space.n == n
    assert make(MULTI).action_space.nvec.tolist() == [3, 3]
