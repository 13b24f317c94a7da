"""rewriter/FlexibleShop-v0 and its MDP: the schedule is the plain-Python simulation's, the rules'
own schedule when the env is driven by a rule, valid by the independent checker, and the
gymnasium interface (checker, masks, padding, MaskablePPO) holds."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.envs  # noqa: F401  (registers the ids)
from rewriter.envs.flexible_mdp import JOB_FEATURES, MACHINE_FEATURES, FlexibleMDP
from rewriter.fjsp.dispatching import dispatch
from rewriter.fjsp.generate import production_instance
from rewriter.fjsp.instance import FlexibleInstance
from rewriter.fjsp.validate import check_schedule

ENV = "rewriter/FlexibleShop-v0"


def simulate(inst: FlexibleInstance, decisions):
    """The plain-Python meaning of a list of (job, machine): each placed operation starts when
    its job's previous operation has ended (its release for the first) and its machine's last
    placed operation has ended."""
    ready = [int(r) for r in inst.release]
    free = [0] * inst.n_machines
    nxt = [int(s) for s in inst.job_start[:-1]]
    starts, machines = [None] * inst.n_operations, [None] * inst.n_operations
    for job, machine in decisions:
        o = nxt[job]
        duration = dict(inst.eligible(o))[machine]
        starts[o] = max(ready[job], free[machine])
        machines[o] = machine
        ready[job] = free[machine] = starts[o] + duration
        nxt[job] += 1
    return machines, starts


def brute_active_set(inst: FlexibleInstance, mdp: FlexibleMDP) -> set[int]:
    """The Giffler-Thompson conflict set, job by job in plain Python."""
    best = {}
    for j in range(inst.n_jobs):
        o = int(mdp.next_op[j])
        if o >= inst.job_start[j + 1]:
            continue
        options = [(max(int(mdp.ready[j]), int(mdp.free[m])) + d, d, max(int(mdp.ready[j]),
                                                                           int(mdp.free[m])))
                   for m, d in inst.eligible(o)]
        end, _, start = min(options, key=lambda t: (t[0], t[1]))
        best[j] = (start, end)
    cstar = min(end for _, end in best.values())
    picked = {j for j, (s, _) in best.items() if s < cstar}
    return picked or {j for j, (_, e) in best.items() if e == cstar}


def play_random(inst, rng, jobs="active", check_active=False):
    mdp = FlexibleMDP(inst, jobs)
    decisions, total = [], 0
    while not mdp.over:
        if check_active:
            assert set(np.flatnonzero(mdp.pickable).tolist()) == brute_active_set(inst, mdp)
        job = int(rng.choice(np.flatnonzero(mdp.pickable)))
        mdp.choose_job(job)
        machine = int(rng.choice(np.flatnonzero(mdp.machine_mask())))
        total += mdp.choose_machine(machine)
        decisions.append((job, machine))
    return mdp, decisions, total


@st.composite
def small_instances(draw):
    """Awkward small instances: zero durations, single machines, release and due dates."""
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 4))
    jobs = []
    for _ in range(n):
        ops = []
        for _ in range(draw(st.integers(1, 3))):
            chosen = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
            ops.append([(k, draw(st.integers(0, 9))) for k in chosen])
        jobs.append(ops)
    release = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    due = draw(st.lists(st.integers(-1, 40), min_size=n, max_size=n))
    return FlexibleInstance.from_lists("h", m, jobs, release=release, due=due)


@settings(max_examples=60, deadline=None)
@given(small_instances(), st.integers(0, 2**31 - 1), st.sampled_from(["active", "all"]))
def test_random_episodes_match_the_plain_simulation_and_pass_the_checker(inst, seed, jobs):
    mdp, decisions, total = play_random(inst, np.random.default_rng(seed), jobs,
                                        check_active=jobs == "active")
    machines, starts = simulate(inst, decisions)
    assert mdp.assign.tolist() == machines and mdp.start.tolist() == starts
    values = check_schedule(inst, mdp.assign, mdp.start)
    assert total == mdp.makespan == values["makespan"]  # the increments sum to the makespan
    schedule = mdp.schedule()
    assert schedule.heads.tolist() == starts and schedule.makespan == values["makespan"]
    assert mdp.makespan <= mdp.horizon


def mwkr_eet_episode(inst):
    """The env driven by mwkr-eet's two choices (most mean work left among the pickable jobs,
    lowest index on ties; earliest end, then shorter duration)."""
    mdp = FlexibleMDP(inst)
    # added one by one from 0, as the rule's kernel does (a vectorised sum may differ in the
    # last bit and break a tie between two jobs the other way)
    work = np.array([sum(mdp.mean[lo:hi].tolist(), 0.0)
                     for lo, hi in zip(inst.job_start[:-1], inst.job_start[1:])])
    while not mdp.over:
        pickable = np.flatnonzero(mdp.pickable)
        job = int(pickable[np.argmax(work[pickable])])
        mdp.choose_job(job)
        o = int(mdp.next_op[job])
        # min keeps the first of equal keys: the lowest eligibility position, as the rule's loop
        machine = min(inst.eligible(o), key=lambda md: (
            max(int(mdp.ready[job]), int(mdp.free[md[0]])) + md[1], md[1]))[0]
        work[job] -= mdp.mean[o]
        mdp.choose_machine(machine)
    return mdp


@pytest.mark.parametrize("n, m, seed", [(30, 25, 7), (60, 40, 3)])
def test_driven_by_mwkr_eet_the_env_builds_the_rule_schedule(n, m, seed):
    inst = production_instance(n, m, seed)
    mdp = mwkr_eet_episode(inst)
    assign, start, _ = dispatch(inst, "mwkr-eet")
    assert np.array_equal(mdp.assign, assign) and np.array_equal(mdp.start, start)


def test_features_have_their_documented_shapes_and_phase_columns():
    mdp = FlexibleMDP(production_instance(12, 25, 1))
    jobs, machines = mdp.job_features(), mdp.machine_features()
    assert jobs.shape == (12, len(JOB_FEATURES)) and machines.shape == (25, len(MACHINE_FEATURES))
    assert np.array_equal(jobs[:, 1], mdp.pickable.astype(np.float32))
    assert not machines[:, 4:].any()  # the chosen-operation columns are empty in the job phase
    job = int(np.flatnonzero(mdp.pickable)[0])
    mdp.choose_job(job)
    machines = mdp.machine_features()
    assert np.array_equal(machines[:, 4] > 0, mdp.machine_mask())
    eligible = mdp.machine_mask()
    assert machines[eligible, 5].min() == 1.0  # the fastest machine's duration ratio
    assert machines[eligible, 7].min() == 0.0  # the earliest end


def test_env_checker_and_a_random_episode_with_validated_final_info():
    env = gymnasium.make(ENV, instance=production_instance(10, 6, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0)
    rng, total, done, phases = np.random.default_rng(0), 0.0, False, []
    while not done:
        assert env.observation_space.contains(obs)
        phases.append(obs["phase"])
        assert np.array_equal(info["action_mask"], env.unwrapped.action_masks())
        if obs["phase"] == 0:
            assert np.array_equal(info["action_mask"][:10], env.unwrapped.mdp.pickable)
        obs, reward, done, _, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        assert reward <= 0 and (reward == 0 or phases[-1] == 1)
        total += reward
    assert phases[:4] == [0, 1, 0, 1]
    inst = env.unwrapped.mdp.instance
    assert len(phases) == 2 * inst.n_operations
    values = check_schedule(inst, info["machine"], info["start"])
    assert info["makespan"] == values["makespan"] == -total
    assert info["weighted_tardiness"] == values["weighted_tardiness"]


def test_padding_masks_padded_rows_and_a_masked_action_ends_the_episode():
    env = gymnasium.make(ENV, num_jobs=4, num_machines=3, max_jobs=9, max_machines=30)
    assert env.action_space.n == 30
    obs, info = env.reset(seed=5)
    assert obs["jobs"].shape == (9, len(JOB_FEATURES)) and not obs["jobs"][4:].any()
    assert obs["machines"].shape == (30, len(MACHINE_FEATURES)) and not obs["machines"][3:].any()
    assert not info["action_mask"][4:].any()
    _, reward, done, _, info = env.step(7)  # a padded job
    assert done and info["termination"] == "illegal_action"
    assert reward == -env.unwrapped.mdp.horizon
    env.reset(seed=5)
    with pytest.raises(ValueError):
        env.unwrapped.step(30)  # outside the space is a caller's bug, not a move


def test_same_seed_same_random_instance_and_too_large_refused():
    env = gymnasium.make(ENV, num_jobs=6, num_machines=4)
    a, _ = env.reset(seed=3)
    b, _ = env.reset(seed=3)
    assert np.array_equal(a["jobs"], b["jobs"])
    with pytest.raises(ValueError, match="max_jobs"):
        gymnasium.make(ENV, num_jobs=6, num_machines=4, max_jobs=5)


def test_maskable_ppo_plays_it():
    sb3_contrib = pytest.importorskip("sb3_contrib")
    env = gymnasium.make(ENV, num_jobs=5, num_machines=4)
    model = sb3_contrib.MaskablePPO("MultiInputPolicy", env, n_steps=32, batch_size=16, seed=0)
    model.learn(32)
    obs, info = env.reset(seed=0)
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=info["action_mask"], deterministic=True)
        obs, _, done, _, info = env.step(action)
    assert info["termination"] == "done"
