"""Large-neighbourhood rewriting (issue 33) against slow, obvious oracles.

* :func:`rewriter.shop.subsolve.resolve` on job shops and flexible shops: with every operation
  free, the optimum (brute force over the routes' interleavings; CP-SAT's proven optimum of the
  flexible shop); with a random free subset, a schedule the independent validators accept, no
  worse than the incumbent, and in which every fixed operation keeps its machine and its order
  among the fixed operations of that machine (checked in plain Python); with none free, the
  incumbent's cost; hypothesis over awkward instances (re-entrant jobs, zero durations, one
  machine, jobs of one operation, due dates, weights).
* :func:`rewriter.shop.regions.pick`: what each rule guarantees, read from its code; the
  adaptive roulette's drift and floor over many draws.
* :class:`rewriter.jssp.lns.JobShopRewrite`: after each rewrite (its windows, the trimming of a
  region spread wider than ``scope``) the schedule is no worse, its heads and tails are exact
  (a fresh evaluation and networkx) and it validates.
* End to end through the Python API, the registry and the command line: every selector, both
  shops, makespan and tardiness, the time limit, the step budget, the refusals.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rewriter
from rewriter import registry, warmup
from rewriter.cli import main
from rewriter.errors import InputError
from rewriter.fjsp.cpsat import solve_fjsp_cpsat
from rewriter.fjsp.generate import compatibility_instance, production_instance
from rewriter.fjsp.instance import NO_DUE, FlexibleInstance
from rewriter.fjsp.lns import FlexibleRewrite
from rewriter.fjsp.schedule import FlexibleSchedule
from rewriter.fjsp.validate import check_schedule as check_flexible
from rewriter.jssp.generate import random_reentrant_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.lns import JobShopRewrite
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.search import TabuSettings
from rewriter.jssp.validate import check_schedule as check_job_shop
from rewriter.shop.regions import RULES, SELECTORS, AdaptivePicker, View, pick
from rewriter.shop.subsolve import Schedule, Shop, resolve

from .reentrant import (feasible_makespan, heads_tails_networkx, random_acyclic_order,
                        reentrant_instances, routes_of)
from .reference import random_instance

FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- shops and schedules as a sub-solve takes them ---------------------------------------------
def job_shop(inst: JobShopInstance) -> Shop:
    """A job shop: one eligible machine per operation, no release, no due date, weight 1."""
    n = inst.n_operations
    return Shop(inst.n_machines, inst.job_start, np.arange(n + 1), inst.op_machine,
                inst.op_duration, np.zeros(inst.n_jobs, np.int64), np.full(inst.n_jobs, -1),
                np.ones(inst.n_jobs, np.int64))


def job_shop_schedule(sol: JobShopSolution) -> Schedule:
    inst = sol.instance
    return Schedule(inst.op_machine.copy(), sol.heads.copy(), inst.op_duration.copy(),
                    sol.order.copy(), inst.machine_start.copy())


def flexible_shop(inst: FlexibleInstance) -> Shop:
    return Shop(inst.n_machines, inst.job_start, inst.elig_start, inst.elig_machine,
                inst.elig_duration, inst.release, inst.due, inst.weight)


def flexible_schedule(s: FlexibleSchedule) -> Schedule:
    sequences = s.sequences()
    flat = np.array([o for q in sequences for o in q], np.int64)
    bounds = np.cumsum([0] + [len(q) for q in sequences]).astype(np.int64)
    return Schedule(s.assign.copy(), s.heads.copy(), s.dur.copy(), flat, bounds)


def random_flexible_schedule(inst: FlexibleInstance, rng: np.random.Generator) -> FlexibleSchedule:
    """Random eligible machines, machines ordered by random keys that rise along every job."""
    assign = [int(rng.choice([m for m, _ in inst.eligible(o)])) for o in range(inst.n_operations)]
    keys = inst.op_index + rng.random(inst.n_operations) * 0.999
    return FlexibleSchedule.from_starts(inst, assign, keys)


def sequences_of(schedule: Schedule) -> list[list[int]]:
    bounds = schedule.sequence_start.tolist()
    return [schedule.sequence[a:b].tolist() for a, b in zip(bounds, bounds[1:])]


def fixed_operations_moved(before: Schedule, free: np.ndarray, assign, sequences) -> list[str]:
    """Plain Python: every operation that was not free on the machine it had, and each machine's
    fixed operations in the order they had; the sequences cover every operation once, each on
    its own machine. Returns what breaks that."""
    problems = []
    fixed = [not f for f in np.asarray(free, bool).tolist()]
    assign = [int(m) for m in assign]
    listed = sorted(int(o) for q in sequences for o in q)
    if listed != list(range(len(fixed))):
        problems.append("the sequences do not list every operation once")
    for m, q in enumerate(sequences):
        problems += [f"op {int(o)} listed on machine {m}, assigned {assign[int(o)]}"
                     for o in q if assign[int(o)] != m]
    for o, kept in enumerate(fixed):
        if kept and assign[o] != int(before.assign[o]):
            problems.append(f"fixed op {o} moved from machine {int(before.assign[o])} to {assign[o]}")
    for m, (old, new) in enumerate(zip(sequences_of(before), sequences)):
        old_fixed = [o for o in old if fixed[o]]
        new_fixed = [int(o) for o in new if fixed[int(o)]]
        if old_fixed != new_fixed:
            problems.append(f"machine {m}: fixed order {old_fixed} became {new_fixed}")
    return problems


def flexible_cost(inst: FlexibleInstance, schedule: FlexibleSchedule, objective: str,
                  weights: tuple[int, int]) -> int:
    """The cost a sub-solve minimises, from the independent validator's figures (raises when the
    schedule breaks a rule)."""
    values = check_flexible(inst, schedule.assign, schedule.heads)
    p, q = weights
    return {"makespan": values["makespan"], "tardiness": values["weighted_tardiness"],
            "combined": q * values["makespan"] + p * values["weighted_tardiness"]}[objective]


# ---- brute force ---------------------------------------------------------------------------------
def brute_force(inst: JobShopInstance) -> tuple[int, int]:
    """The least (makespan, total completion time of the jobs) over every interleaving of the
    routes, each operation appended to its machine at its earliest start (every semi-active
    schedule is one of them, and a regular objective has an optimum among them), by
    depth-first search over the interleavings."""
    routes = routes_of(inst)
    best = [None]

    def extend(nxt, job_ready, machine_ready):
        if all(k == len(r) for k, r in zip(nxt, routes)):
            value = (max(job_ready), sum(job_ready))
            best[0] = value if best[0] is None else min(best[0], value)
            return
        for j, route in enumerate(routes):
            if nxt[j] < len(route):
                machine, p = route[nxt[j]]
                end = max(job_ready[j], machine_ready[machine]) + p
                extend(nxt[:j] + (nxt[j] + 1,) + nxt[j + 1:],
                       job_ready[:j] + (end,) + job_ready[j + 1:],
                       machine_ready[:machine] + (end,) + machine_ready[machine + 1:])

    extend((0,) * len(routes), (0,) * len(routes), (0,) * inst.n_machines)
    return best[0]


def brute_force_makespan(inst: JobShopInstance) -> int:
    return brute_force(inst)[0]


def total_completion_of(sol: JobShopSolution) -> int:
    return sum(int(sol.heads[o] + sol.instance.op_duration[o]) for o in
               (int(b) - 1 for b in sol.instance.job_start[1:]))


def test_the_brute_force_oracle_on_a_hand_solved_instance():
    # two jobs crossing two machines: 3+2 and 2+3, the crossing order gives 3 + 3 + ... = 6
    inst = JobShopInstance.from_routes("hand", [[(0, 3), (1, 2)], [(1, 2), (0, 3)]], n_machines=2)
    assert brute_force(inst) == (6, 11)  # job 0 ends at 5, job 1 at 6
    inst = JobShopInstance.from_routes("one", [[(0, 4), (0, 1)], [(0, 2)]], n_machines=1)
    assert brute_force(inst) == (7, 9)  # the short job first: 2, then 2+4+1 = 7


# ---- resolve on job shops ------------------------------------------------------------------------
def job_shop_rewrite(inst: JobShopInstance, start: JobShopSolution, free: np.ndarray,
                     time_limit: float, seed: int = 0) -> JobShopSolution:
    """``resolve`` on a job shop, its answer checked every way; returns the new schedule."""
    incumbent = job_shop_schedule(start)
    out = resolve(job_shop(inst), incumbent, free, time_limit=time_limit, seed=seed, workers=1,
                  bound=start.makespan)
    assert out.sequences is not None, out.status  # the incumbent is a solution, given as a hint
    new = JobShopSolution(inst, np.concatenate(out.sequences))
    assert fixed_operations_moved(incumbent, free, out.assign, out.sequences) == []
    assert check_job_shop(inst, new.starts, new.makespan) == new.makespan
    assert feasible_makespan(inst, new.starts) == new.makespan
    # semi-active starts are never later than CP-SAT's, which are no worse than the bound
    assert new.makespan <= out.objective <= start.makespan
    if not np.any(free):
        assert out.objective == new.makespan == start.makespan
    return new


@pytest.mark.parametrize("seed", range(6))
def test_every_operation_free_gives_the_brute_force_optimum_of_a_job_shop(seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(rng, 3, 3, reentrant=seed % 2 == 1)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    free = np.ones(inst.n_operations, bool)
    out = resolve(job_shop(inst), job_shop_schedule(start), free, time_limit=10, workers=1,
                  bound=start.makespan)
    assert out.status == "optimal"
    new = job_shop_rewrite(inst, start, free, 10)
    makespan, completion = brute_force(inst)
    assert out.objective == new.makespan == makespan
    # the second criterion: the least total completion time among the optimal makespans
    assert out.completion == total_completion_of(new) == completion


@FEW
@given(inst=reentrant_instances(max_jobs=3, max_machines=3, max_ops=3, max_duration=9))
def test_every_operation_free_on_awkward_job_shops_gives_the_brute_force_optimum(inst):
    if inst.n_operations > 8:  # the interleavings stay few
        inst = JobShopInstance.from_routes(inst.name, [r[:2] for r in routes_of(inst)],
                                           n_machines=inst.n_machines)
    rng = np.random.default_rng(inst.n_operations)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    new = job_shop_rewrite(inst, start, np.ones(inst.n_operations, bool), 10)
    assert new.makespan == brute_force_makespan(inst)


@FEW
@given(inst=reentrant_instances(max_jobs=4, max_machines=3, max_ops=4),
       seed=st.integers(0, 2**20), share=st.sampled_from([0.0, 0.2, 0.5, 0.8]))
def test_a_random_free_subset_of_a_job_shop_gives_a_valid_schedule_no_worse(inst, seed, share):
    rng = np.random.default_rng(seed)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    free = rng.random(inst.n_operations) < share
    job_shop_rewrite(inst, start, free, 1.0, seed)


@pytest.mark.parametrize("seed", range(3))
def test_a_random_free_subset_of_a_classic_job_shop(seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(rng, 6, 5, reentrant=seed == 2)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    for share in (0.0, 0.3, 0.6):
        job_shop_rewrite(inst, start, rng.random(inst.n_operations) < share, 1.0, seed)


@pytest.mark.parametrize("free", [[False, False, False], [False, False, True]])
def test_fixed_zero_duration_operations_keep_their_order(free):
    # one machine, three jobs of one operation; the incumbent runs the two zero-length ones in
    # the order 1, 0 (both at time 0), then job 2; they are fixed, so that order must stay
    inst = JobShopInstance.from_routes("zeros", [[(0, 0)], [(0, 0)], [(0, 4)]], n_machines=1)
    start = JobShopSolution(inst, [1, 0, 2])
    assert start.heads.tolist() == [0, 0, 0] and start.makespan == 4
    incumbent = job_shop_schedule(start)
    out = resolve(job_shop(inst), incumbent, np.array(free), time_limit=1, workers=1,
                  bound=start.makespan)
    assert out.objective == 4
    assert [q.tolist() for q in out.sequences][0][:2] == [1, 0]
    flexible = FlexibleInstance.from_lists("zeros", 1, [[[(0, 0)]], [[(0, 0)]], [[(0, 4)]]])
    start = FlexibleSchedule(flexible, [0, 0, 0], [[1, 0, 2]])
    out = resolve(flexible_shop(flexible), flexible_schedule(start), np.array(free),
                  time_limit=1, workers=1, bound=start.makespan)
    assert [q.tolist() for q in out.sequences][0][:2] == [1, 0]


# ---- resolve on flexible shops -----------------------------------------------------------------
@st.composite
def flexible_instances(draw, max_jobs: int = 4, max_machines: int = 3, max_ops: int = 3):
    """One machine or several, jobs of one operation or several revisiting machines, 1..all
    machines eligible, durations with ties and zeros, releases, due dates (or none), weights
    0..3."""
    n_machines = draw(st.integers(1, max_machines))
    n_jobs = draw(st.integers(1, max_jobs))
    duration = st.integers(0, 3 if draw(st.booleans()) else 15)
    jobs = []
    for _ in range(n_jobs):
        ops = []
        for _ in range(draw(st.integers(1, max_ops))):
            machines = draw(st.lists(st.integers(0, n_machines - 1), min_size=1,
                                     max_size=n_machines, unique=True))
            ops.append([(m, draw(duration)) for m in machines])
        jobs.append(ops)
    column = lambda values: draw(st.lists(values, min_size=n_jobs, max_size=n_jobs))  # noqa: E731
    return FlexibleInstance.from_lists(
        "hyp_flexible", n_machines, jobs, release=column(st.integers(0, 6)),
        due=column(st.one_of(st.just(NO_DUE), st.integers(0, 30))),
        weight=column(st.integers(0, 3)))


OBJECTIVE_WEIGHTS = [("makespan", (0, 1)), ("tardiness", (0, 1)), ("combined", (1, 1)),
                     ("combined", (3, 2)), ("combined", (1, 4))]


def flexible_rewrite(inst: FlexibleInstance, start: FlexibleSchedule, free: np.ndarray,
                     objective: str, weights: tuple[int, int], time_limit: float,
                     seed: int = 0):
    """``resolve`` on a flexible shop, its answer checked every way; returns (the new schedule,
    CP-SAT's answer)."""
    incumbent = flexible_schedule(start)
    before = flexible_cost(inst, start, objective, weights)
    out = resolve(flexible_shop(inst), incumbent, free, objective=objective, weights=weights,
                  time_limit=time_limit, seed=seed, workers=1, bound=before)
    assert out.sequences is not None, out.status
    new = FlexibleSchedule(inst, out.assign, [q.tolist() for q in out.sequences])
    assert fixed_operations_moved(incumbent, free, out.assign, out.sequences) == []
    cost = flexible_cost(inst, new, objective, weights)
    assert cost <= out.objective <= before
    if not np.any(free):
        assert out.objective == cost == before
    return new, out


@pytest.mark.parametrize("objective,weights", OBJECTIVE_WEIGHTS)
@pytest.mark.parametrize("seed", range(2))
def test_every_operation_free_gives_the_optimum_of_a_flexible_shop(seed, objective, weights):
    inst = production_instance(3, 3, seed)
    assert inst.has_due_dates
    start = random_flexible_schedule(inst, np.random.default_rng(seed))
    new, out = flexible_rewrite(inst, start, np.ones(inst.n_operations, bool), objective,
                                weights, 10)
    assert out.status == "optimal"
    p, q = weights
    exact = solve_fjsp_cpsat(inst, time_limit=10, workers=1, objective=objective,
                             tardiness_weight=p / q)
    assert exact.status == "optimal"
    assert out.objective == pytest.approx(q * exact.objective)
    assert flexible_cost(inst, new, objective, weights) == out.objective


@pytest.mark.parametrize("objective,weights", OBJECTIVE_WEIGHTS)
@pytest.mark.parametrize("make", [lambda: production_instance(8, 4, 1),
                                  lambda: compatibility_instance(12, 4, 2)],
                         ids=["prod_8x4", "compat_12x4"])
def test_a_random_free_subset_of_a_generated_flexible_shop(make, objective, weights):
    inst = make()
    rng = np.random.default_rng(7)
    start = random_flexible_schedule(inst, rng)
    for share in (0.0, 0.3, 0.6):
        flexible_rewrite(inst, start, rng.random(inst.n_operations) < share, objective, weights,
                         1.0, 3)


@FEW
@given(inst=flexible_instances(), seed=st.integers(0, 2**20),
       share=st.sampled_from([0.0, 0.3, 0.7, 1.0]), choice=st.sampled_from(OBJECTIVE_WEIGHTS))
def test_a_random_free_subset_of_an_awkward_flexible_shop(inst, seed, share, choice):
    rng = np.random.default_rng(seed)
    start = random_flexible_schedule(inst, rng)
    free = rng.random(inst.n_operations) < share
    objective, weights = choice
    new, out = flexible_rewrite(inst, start, free, objective, weights, 1.0, seed)
    if free.all() and out.status == "optimal":
        exact = solve_fjsp_cpsat(inst, time_limit=10, workers=1, objective=objective,
                                 tardiness_weight=weights[0] / weights[1])
        assert out.objective == pytest.approx(weights[1] * exact.objective)


def test_a_bound_below_the_optimum_gives_no_schedule():
    rng = np.random.default_rng(4)
    inst = random_instance(rng, 3, 3)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    optimum = brute_force_makespan(inst)
    out = resolve(job_shop(inst), job_shop_schedule(start), np.ones(inst.n_operations, bool),
                  time_limit=10, workers=1, bound=optimum - 1)
    assert out.status == "infeasible" and out.sequences is None and out.objective is None


def test_durations_too_large_for_a_second_criterion_give_the_cost_alone():
    # CP-SAT reports its objective as a double: at durations of 10^8 the makespan scaled above
    # the total completion time is past 2^53, so the sub-solve minimises the makespan alone
    rng = np.random.default_rng(5)
    small = random_instance(rng, 3, 3)
    inst = JobShopInstance.from_flat("large", small.op_duration * 10**8 + 7, small.op_machine,
                                     small.job_start, small.n_machines)
    start = JobShopSolution(inst, random_acyclic_order(rng, inst))
    out = resolve(job_shop(inst), job_shop_schedule(start), np.ones(inst.n_operations, bool),
                  time_limit=10, workers=1, bound=start.makespan)
    assert out.status == "optimal" and out.completion is None
    new = job_shop_rewrite(inst, start, np.ones(inst.n_operations, bool), 10)
    assert out.objective == new.makespan == brute_force_makespan(inst)


@FEW
@given(inst=flexible_instances(max_jobs=5, max_ops=4), seed=st.integers(0, 2**20),
       choice=st.sampled_from(OBJECTIVE_WEIGHTS))
def test_flexible_rewrites_keep_the_schedule_valid_and_no_worse(inst, seed, choice):
    objective, weights = choice
    rng = np.random.default_rng(seed)
    problem = FlexibleRewrite(random_flexible_schedule(inst, rng), objective,
                              weights[0] / weights[1], weights)
    for _ in range(3):
        before, best = problem.cost, problem.best_cost
        free = np.flatnonzero(rng.random(inst.n_operations) < 0.5)
        out = problem.rewrite(free if free.shape[0] else np.array([0]), 0.3,
                              int(rng.integers(2**31 - 1)), 1)
        assert out.cost == problem.cost <= before
        assert problem.cost == flexible_cost(inst, problem.schedule, objective, weights)
        assert problem.best_cost == min(best, problem.cost)
        assert flexible_cost(inst, problem.best(), objective, weights) == problem.best_cost


# ---- the region pickers --------------------------------------------------------------------------
def job_shop_view(inst: JobShopInstance, seed: int) -> View:
    sol = JobShopSolution(inst, random_acyclic_order(np.random.default_rng(seed), inst))
    return JobShopRewrite(sol, TabuSettings()).view()


def flexible_view(inst: FlexibleInstance, seed: int, objective: str) -> View:
    start = random_flexible_schedule(inst, np.random.default_rng(seed))
    return FlexibleRewrite(start, objective, 1.0, (0, 1) if objective != "combined" else (1, 1)).view()


def check_pick(rule: str, view: View, size: int, seed: int) -> np.ndarray:
    """What every rule guarantees, and what each one guarantees of its own (from its code)."""
    n = view.n_operations
    chosen = pick(rule, view, size, np.random.default_rng(seed))
    want = min(max(size, 1), n)
    assert chosen.dtype.kind == "i"
    assert chosen.tolist() == sorted(set(chosen.tolist()))
    assert 0 <= chosen.min() and chosen.max() < n
    assert 1 <= chosen.shape[0] <= want
    if rule in ("random", "window", "late-jobs"):
        assert chosen.shape[0] == want
    if rule == "window" or (rule == "critical" and not view.critical.any()):
        assert_consecutive_in_start_order(view, chosen, want)
    if rule == "late-jobs":
        assert_job_suffixes(view, chosen)
    if rule == "critical" and view.critical.any():
        assert_critical_stretch_and_its_machines(view, chosen, want)
    if rule == "bottleneck" and view.duration.sum() > 0:
        assert chosen.shape[0] <= want
        if view.eligible is None:  # the busiest (1..3) machines, each with some load
            machines = set(view.assign[chosen].tolist())
            load = np.bincount(view.assign, weights=view.duration, minlength=view.n_machines)
            assert len(machines) <= min(3, view.n_machines)
            assert all(load[m] > 0 for m in machines)
    return chosen


def assert_consecutive_in_start_order(view: View, chosen: np.ndarray, want: int) -> None:
    """``want`` operations, and every operation starting strictly between the first and the last
    start chosen is chosen (ties at the two ends may go either way)."""
    assert chosen.shape[0] == want
    low, high = view.start[chosen].min(), view.start[chosen].max()
    inside = set(np.flatnonzero((view.start > low) & (view.start < high)).tolist())
    assert inside <= set(chosen.tolist())
    at_ends = np.flatnonzero((view.start == low) | (view.start == high)).shape[0]
    assert len(inside) + at_ends >= want


def assert_job_suffixes(view: View, chosen: np.ndarray) -> None:
    """Whole jobs, last operations first: per job a suffix of its operations, at most one job
    taken in part."""
    picked = set(chosen.tolist())
    partial = 0
    for j in range(view.job_start.shape[0] - 1):
        ops = list(range(int(view.job_start[j]), int(view.job_start[j + 1])))
        mine = [o in picked for o in ops]
        k = sum(mine)
        assert mine == [False] * (len(ops) - k) + [True] * k, (j, mine)
        partial += 0 < k < len(ops)
    assert partial <= 1


def assert_critical_stretch_and_its_machines(view: View, chosen: np.ndarray, want: int) -> None:
    """At least two operations of the critical path (or the whole of a shorter one, or
    ``want`` below two); every operation chosen on (or, in a flexible shop, eligible for) a
    machine of a critical one chosen."""
    path = np.flatnonzero(view.critical)
    on_path = chosen[view.critical[chosen]]
    assert on_path.shape[0] >= min(2, path.shape[0], want)
    machines = np.zeros(view.n_machines, bool)
    machines[view.assign[on_path]] = True
    near = machines[view.assign[chosen]]
    if view.eligible is not None:
        near |= view.eligible[chosen][:, machines].any(axis=1)
    assert near.all()
    assert chosen.shape[0] <= want


@FEW
@given(inst=reentrant_instances(max_jobs=6, max_machines=4, max_ops=6), rule=st.sampled_from(RULES),
       size=st.integers(0, 60), seed=st.integers(0, 2**20))
def test_each_picker_on_job_shop_schedules(inst, rule, size, seed):
    check_pick(rule, job_shop_view(inst, seed), size, seed)


@FEW
@given(inst=flexible_instances(max_jobs=5, max_ops=4), rule=st.sampled_from(RULES),
       objective=st.sampled_from(["makespan", "tardiness", "combined"]),
       size=st.integers(0, 30), seed=st.integers(0, 2**20))
def test_each_picker_on_flexible_schedules(inst, rule, objective, size, seed):
    check_pick(rule, flexible_view(inst, seed, objective), size, seed)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("size", [0, 1, 2, 8, 25, 10**6])
def test_each_picker_at_every_size_on_a_generated_shop(rule, size):
    inst = random_reentrant_instance(8, 4, seed=3, max_ops=6)
    for seed in range(5):
        check_pick(rule, job_shop_view(inst, seed), size, seed)
        check_pick(rule, flexible_view(production_instance(6, 4, seed), seed, "tardiness"), size,
                   seed)


def synthetic_view(n_jobs: int, ops_per_job: int, critical, lateness) -> View:
    """Jobs of ``ops_per_job`` operations on two machines, back to back."""
    n = n_jobs * ops_per_job
    duration = np.full(n, 2, np.int64)
    return View(np.arange(n, dtype=np.int64) * 2, duration, np.arange(n, dtype=np.int64) % 2,
                np.arange(0, n + 1, ops_per_job, dtype=np.int64), np.asarray(critical, bool),
                np.asarray(lateness, float), 2)


@pytest.mark.parametrize("size", [0, 1])
def test_critical_at_sizes_below_two(size):
    # the stretch of the path is 2 operations at least, and the operations near it fill the
    # rest of ``size``: below 2 there is no rest, yet it returned all but one of the candidates
    # (argpartition with a count of -1)
    inst = random_reentrant_instance(8, 4, seed=3, max_ops=6)
    for seed in range(5):
        view = job_shop_view(inst, seed)
        assert view.critical.sum() >= 2
        chosen = pick("critical", view, size, np.random.default_rng(seed))
        assert 1 <= chosen.shape[0] <= 2, chosen.tolist()


@pytest.mark.parametrize("size", [1, 4, 8])
def test_critical_with_a_path_of_one_operation(size):
    # a tardiness view marks the late jobs' operations: one late job of one operation is a
    # "path" of one operation (FlexibleRewrite.view)
    view = synthetic_view(6, 1, [False, False, True, False, False, False], [0, 0, 5, 0, 0, 0])
    for seed in range(5):
        chosen = check_pick("critical", view, size, seed)
        assert 2 in chosen.tolist()


def test_critical_in_a_flexible_tardiness_view_with_one_late_job_of_one_operation():
    # the whole chain: FlexibleRewrite's tardiness view of a schedule where exactly one job (of
    # one operation) is late
    inst = FlexibleInstance.from_lists("one_late", 2, [[[(0, 5)]], [[(1, 3)], [(0, 2)]],
                                                       [[(1, 4)]]],
                                       due=[2, 100, 100])
    start = FlexibleSchedule(inst, [0, 1, 0, 1], [[0, 2], [1, 3]])
    problem = FlexibleRewrite(start, "tardiness", 1.0, (0, 1))
    view = problem.view()
    assert np.flatnonzero(view.critical).tolist() == [0]
    check_pick("critical", view, 8, 0)
    # through the API: the lns policy picks with it (raised ValueError: high <= 0)
    r = rewriter.solve(inst, policy="lns", selector="critical", objective="tardiness", steps=3,
                       time_limit=2, seed=0, workers=1)
    assert r.cost == 3  # job 0 takes 5 from 0 on machine 0, due at 2


def test_late_jobs_with_some_jobs_not_late():
    # View.lateness is ">= 0": jobs on time carry 0
    view = synthetic_view(5, 2, np.zeros(10, bool), [0, 3, 0, 0, 1])
    for size in (1, 3, 6, 10):
        chosen = check_pick("late-jobs", view, size, 0)  # raised ValueError (p with zeros)
        if size <= 4:  # the late jobs (1 and 4) first
            assert set(chosen.tolist()) <= {2, 3, 8, 9}


# ---- the adaptive roulette -------------------------------------------------------------------------
def draws(picker: AdaptivePicker, count: int, seed: int = 0) -> Counter:
    rng = np.random.default_rng(seed)
    return Counter(picker.choose(rng) for _ in range(count))


def test_adaptive_moves_weight_toward_the_rule_that_gains():
    picker = AdaptivePicker()
    assert set(draws(picker, 2000)) == set(RULES)  # all equal at first
    shares = []
    for _ in range(12):
        for rule in RULES:
            picker.update(rule, 0.02 if rule == "critical" else 0.0, 0.1)
        shares.append(draws(picker, 2000)["critical"] / 2000)
    weights = picker.state()
    assert all(weights["critical"] > w for r, w in weights.items() if r != "critical")
    assert shares[-1] > shares[0] > 1 / len(RULES)
    # a rule that stops gaining loses its weight to one that gains
    for _ in range(12):
        picker.update("critical", 0.0, 0.1)
        picker.update("window", 0.05, 0.1)
    weights = picker.state()
    assert weights["window"] > weights["critical"]
    counts = draws(picker, 4000)
    assert counts["window"] == max(counts.values())


def test_adaptive_gain_per_second_not_gain():
    picker = AdaptivePicker(("random", "window"))
    for _ in range(10):
        picker.update("random", 0.02, 1.0)   # 0.02 per second
        picker.update("window", 0.01, 0.1)   # 0.1 per second
    assert picker.weights[1] > picker.weights[0]


@pytest.mark.parametrize("floor", [0.05, 0.1])
def test_adaptive_never_gives_a_rule_less_than_its_floor(floor):
    picker = AdaptivePicker(floor=floor)
    for _ in range(60):  # one rule gains every time, the others never
        for rule in RULES:
            picker.update(rule, 0.1 if rule == "random" else 0.0, 0.1)
    count = 40000
    counts = draws(picker, count, seed=3)
    sigma = np.sqrt(count * floor * (1 - floor))
    for rule in RULES:
        assert counts[rule] >= count * floor - 4 * sigma, (rule, counts[rule] / count, floor)


# ---- JobShopRewrite: windows, boundary precedences, trimming ---------------------------------------
def assert_exact(rw: JobShopRewrite) -> None:
    inst, sol = rw.inst, rw.sol
    fresh = JobShopSolution(inst, sol.order)
    assert sol.heads.tolist() == fresh.heads.tolist()
    assert sol.tails.tolist() == fresh.tails.tolist()
    assert sol.makespan == fresh.makespan == rw.cost
    heads, tails, makespan = heads_tails_networkx(inst, sol.order)
    assert (fresh.heads.tolist(), fresh.tails.tolist(), fresh.makespan) == (heads, tails, makespan)
    assert check_job_shop(inst, fresh.starts, fresh.makespan) == rw.cost
    assert rw.best_cost <= rw.cost and rw.best().makespan == rw.best_cost


def rewrite_many(rw: JobShopRewrite, rng: np.random.Generator, rounds: int, spread: bool) -> None:
    n = rw.n_operations
    for _ in range(rounds):
        before, best = rw.cost, rw.best_cost
        if spread:  # a region over the whole schedule
            free = np.flatnonzero(rng.random(n) < 0.4)
            if free.shape[0] == 0:
                free = np.array([int(rng.integers(n))])
        else:
            free = pick(str(rng.choice(RULES)), rw.view(), int(rng.integers(1, n + 1)), rng)
        out = rw.rewrite(free, 0.3, int(rng.integers(2**31 - 1)), 1)
        assert out.cost == rw.cost <= before
        assert rw.best_cost == min(best, rw.cost)
        assert_exact(rw)


@FEW
@given(inst=reentrant_instances(max_jobs=6, max_machines=4, max_ops=6),
       seed=st.integers(0, 2**20), spread=st.booleans(), scope=st.sampled_from([2, 10, 3000]))
def test_job_shop_rewrites_keep_the_schedule_exact_and_no_worse(inst, seed, spread, scope):
    rng = np.random.default_rng(seed)
    rw = JobShopRewrite(JobShopSolution(inst, random_acyclic_order(rng, inst)), TabuSettings(),
                        scope=scope)
    rewrite_many(rw, rng, 3, spread)


@pytest.mark.parametrize("seed", range(3))
def test_job_shop_rewrites_over_the_whole_schedule_with_a_small_scope(seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(rng, 8, 5, reentrant=seed == 1)
    rw = JobShopRewrite(JobShopSolution(inst, random_acyclic_order(rng, inst)), TabuSettings(),
                        scope=10)
    start = rw.cost
    rewrite_many(rw, rng, 6, spread=True)
    rewrite_many(rw, rng, 4, spread=False)
    assert rw.cost <= start


def test_a_job_shop_rewrite_improves_a_poor_schedule():
    # every operation free in one window: the rewrite is an exact solve of the whole instance
    rng = np.random.default_rng(0)
    inst = random_instance(rng, 3, 3)
    rw = JobShopRewrite(JobShopSolution(inst, random_acyclic_order(rng, inst)), TabuSettings())
    rw.rewrite(np.arange(inst.n_operations), 10.0, 0, 1)
    assert rw.cost == brute_force_makespan(inst)
    assert_exact(rw)


# ---- end to end --------------------------------------------------------------------------------
REENTRANT = random_reentrant_instance(10, 4, seed=0, max_ops=6)  # tabu alone stalls above its bound


def assert_lns_result(result, selector: str, init_cost) -> None:
    """Validated on creation (Result); the policy's own report."""
    assert result.method == "lns"
    assert result.status in ("completed", "time_limit", "optimal")
    assert result.cost <= init_cost == result.init_cost
    info = result.info
    assert info["selector"] == selector and info["rewrites"] == result.steps
    if selector in RULES and result.steps:
        assert set(info["pickers"]) == {selector}
    else:  # adaptive and learned choose among the rules' regions: tallied by the rule
        assert set(info["pickers"]) <= set(RULES)


@pytest.mark.parametrize("selector", SELECTORS)
def test_every_selector_solves_job_shops(selector):
    ft06 = rewriter.load_instance("ft06")
    r = rewriter.solve(ft06, policy="lns", selector=selector, time_limit=1, seed=0, workers=1)
    assert_lns_result(r, selector, r.init_cost)
    assert r.makespan == 55 and r.status == "optimal"  # ft06's optimum is its bound
    r = registry.get("jssp").run(REENTRANT, init="mwkr", policy="lns", selector=selector,
                                 steps=3, time_limit=2, seed=1, workers=1)
    assert_lns_result(r, selector, r.init_cost)
    assert r.steps >= 1 and r.makespan >= REENTRANT.proven_lower_bound()


@pytest.mark.parametrize("objective", ["makespan", "tardiness"])
@pytest.mark.parametrize("selector", [s for s in SELECTORS if s != "learned"])  # no shipped model
def test_every_selector_solves_flexible_shops(selector, objective):
    inst = rewriter.load_instance("tight_12x5_s0")  # late jobs the polish leaves late
    r = registry.get("fjsp").run(inst, init="mwkr-eet", policy="lns", selector=selector,
                                 objective=objective, steps=2, time_limit=1, seed=0, workers=1)
    assert_lns_result(r, selector, r.init_cost)
    assert r.steps >= 1
    values = r.values
    assert r.cost == (values["makespan"] if objective == "makespan" else values["weighted_tardiness"])


def test_a_step_is_one_rewrite_and_the_first_polish_none():
    r = rewriter.solve(REENTRANT, policy="lns", selector="random", steps=3, seed=2, workers=1)
    assert r.steps == 3 or r.status == "optimal"
    assert r.info["rewrites"] == r.steps and r.info["pickers"]["random"]["rewrites"] == r.steps
    r = rewriter.solve(REENTRANT, policy="lns", selector="random", steps=0, seed=2, workers=1)
    assert r.steps == 0 and r.info["rewrites"] == 0 and r.cost <= r.init_cost


@pytest.mark.parametrize("name,problem", [("ta21", "jssp"), ("prod_100x50_s0", "fjsp")])
def test_the_time_limit_ends_the_run(name, problem):
    inst = rewriter.load_instance(name)
    r = registry.get(problem).run(inst, init="mwkr" if problem == "jssp" else "mwkr-eet",
                                  policy="lns", steps=None, time_limit=2, seed=0, workers=1)
    assert r.status in ("time_limit", "optimal")
    assert r.runtime_s <= 2.5, r.runtime_s
    assert r.cost <= r.init_cost


@pytest.mark.parametrize("problem,init", [("jssp", "mwkr"), ("fjsp", "mwkr-eet")])
def test_the_untimed_warm_up_of_the_lns_policy_is_short(problem, init):
    # rewriter.solve, the command line and compare run the policy once before the clock, on the
    # problem's warm-up instance with a few steps and no time limit (rewriter.warmup.prepare),
    # in every process: that run must stay short once the kernels are compiled
    spec = registry.get(problem)
    tiny = random_reentrant_instance(4, 3, seed=0) if problem == "jssp" else production_instance(4, 3, 0)
    spec.run(tiny, init=init, policy="lns", steps=1, time_limit=0.5, seed=0, workers=1)  # compiled
    inst = spec.load_instance(spec.warm_up_instance)
    started = time.perf_counter()
    spec.run(inst, init=init, policy="lns", seed=0, workers=1,
             steps=warmup.WARM_UP_STEPS.get("lns", warmup.DEFAULT_WARM_UP_STEPS))
    # (it took 11 s on the flexible shop when its first polish ran to 10^6 moves without a best)
    assert time.perf_counter() - started < 6.0


def test_the_python_api_refuses_a_run_without_budget_and_a_selector_of_another_policy():
    ft06 = rewriter.load_instance("ft06")
    with pytest.raises(InputError, match="step budget or a time limit"):
        rewriter.solve(ft06, policy="lns", steps=None, time_limit=None)
    with pytest.raises(InputError, match="selector is an option of the lns policy"):
        rewriter.solve(ft06, policy="tabu", selector="random", steps=5)
    with pytest.raises(InputError, match="unknown selector"):
        rewriter.solve(ft06, policy="lns", selector="bogus", steps=1)
    mk = rewriter.load_instance("mk01")
    with pytest.raises(InputError, match="step budget or a time limit"):
        registry.get("fjsp").run(mk, init="mwkr-eet", policy="lns", steps=None)


@pytest.mark.parametrize("name", ["ft06", "mk01"])
def test_the_command_line_refuses_in_one_line(name, capsys):
    assert main(["solve", name, "--policy", "tabu", "--selector", "random", "--steps", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "selector is an option of the lns policy" in err
    assert main(["solve", name, "--policy", "lns", "--selector", "bogus", "--time-limit", "1"]) == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err


@pytest.mark.parametrize("name,extra", [("la16", ["--selector", "window"]),
                                        ("tight_12x5_s0", ["--objective", "tardiness",
                                                           "--time-limit", "2"])])
def test_the_command_line_counts_rewrites_as_steps(name, extra, tmp_path, capsys):
    out = tmp_path / "lns.json"
    assert main(["solve", name, "--policy", "lns", "--steps", "3", "--workers", "1", "-q",
                 "--out", str(out), *extra]) == 0
    data = json.loads(out.read_text())
    assert data["steps"] <= 3 and data["info"]["rewrites"] == data["steps"]
    assert main(["validate", name, str(out)]) == 0
    assert capsys.readouterr().out.startswith("valid")


def _lns_run(problem, seed: int):
    """Four rewrites of a short search bounded by steps alone; what it reports."""
    from rewriter.core.loop import run
    from rewriter.shop.lns import LargeNeighbourhoodSearch, LnsSettings

    settings = LnsSettings(first_stall=3000, polish=500, subsolve=0.05, min_subsolve=0.02)
    search = LargeNeighbourhoodSearch(problem, settings, seed)
    outcome = run(search, 4)
    info = search.info()
    return outcome.best_cost, outcome.steps, {k: info[k] for k in
                                              ("region_size", "subsolve_s", "polish_moves",
                                               "pickers", "weights")}


@pytest.mark.parametrize("case", ["jssp", "reentrant", "fjsp-tardiness", "fjsp-two-threads"])
def test_a_run_bounded_by_steps_alone_is_repeatable(case):
    """Without a time limit every sub-solve is limited by CP-SAT's deterministic time on one
    thread (whatever the search's workers) and a polish stops at a step counted from its last
    new best, so a seed and a step budget give the same run, adaptation and all."""
    from rewriter.fjsp.dispatching import dispatch_schedule
    from rewriter.fjsp.lns import FlexibleRewrite
    from rewriter.jssp.lns import JobShopRewrite
    from rewriter.jssp.search import TabuSettings
    from rewriter.jssp.solve import initial_solution
    from rewriter.shop.lns import LnsSettings

    def problem():
        if case in ("jssp", "reentrant"):
            name = "la16" if case == "jssp" else "reentrant_10x4_s1"
            return JobShopRewrite(initial_solution(rewriter.load_instance(name), "mwkr"),
                                  TabuSettings())
        inst = rewriter.load_instance("tight_12x5_s0")
        objective = "tardiness" if case == "fjsp-tardiness" else "makespan"
        return FlexibleRewrite(dispatch_schedule(inst, "edd-eet", 0), objective, 1.0, (0, 1))

    if case == "fjsp-two-threads":  # two workers asked for: one thread all the same
        import rewriter.shop.lns as lns_module
        assert LnsSettings(workers=2).check().workers == 2
        first = _two_thread_run(problem(), lns_module)
        assert first == _two_thread_run(problem(), lns_module)
        return
    assert _lns_run(problem(), 7) == _lns_run(problem(), 7)


def _two_thread_run(problem, lns_module):
    from rewriter.core.loop import run

    search = lns_module.LargeNeighbourhoodSearch(
        problem, lns_module.LnsSettings(first_stall=3000, polish=500, workers=2, subsolve=0.05,
                                       min_subsolve=0.02), 3)
    outcome = run(search, 4)
    return outcome.best_cost, search.info()["polish_moves"], search.info()["pickers"]


def test_the_lns_policy_has_its_own_default_budget():
    for problem in ("jssp", "fjsp"):
        assert registry.get(problem).steps_for("lns") == 50


def test_ctrl_c_during_a_sub_solve_ends_the_search_with_the_best_so_far(monkeypatch):
    """CP-SAT takes the Ctrl-C of a sub-solve (it stops and returns what it has); the search must
    stop there too, not go on to the next rewrite, and return its best schedule."""
    import os
    import signal
    import threading

    import rewriter.shop.subsolve as subsolve
    from rewriter.core.loop import run
    from rewriter.fjsp.dispatching import dispatch_schedule
    from rewriter.fjsp.lns import FlexibleRewrite
    from rewriter.shop.lns import LargeNeighbourhoodSearch, LnsSettings

    real, calls = subsolve.solve_interruptibly, []

    def interrupted(solver, model, callback, name):  # a Ctrl-C 0.3 s into the first sub-solve
        if not calls:
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        calls.append(name)
        return real(solver, model, callback, name)

    monkeypatch.setattr(subsolve, "solve_interruptibly", interrupted)
    inst = rewriter.load_instance("prod_40x10_s0")
    problem = FlexibleRewrite(dispatch_schedule(inst, "mwkr-eet", 0), "makespan", 1.0, (0, 1))
    # a region of every operation and 20 s: CP-SAT cannot prove it optimal in 0.3 s
    settings = LnsSettings(size=inst.n_operations, subsolve=20.0, max_subsolve=20.0,
                           first_stall=100, selector="random")
    search = LargeNeighbourhoodSearch(problem, settings, 0)
    outcome = run(search, None, time_limit=60)
    assert outcome.status == "interrupted" and outcome.runtime_s < 10
    assert len(calls) == 1 and search.steps == 0
    assert outcome.best_cost <= outcome.initial_cost


@pytest.mark.parametrize("name,policy", [("ft06", "learned"), ("ft06", "controlled"),
                                         ("ft06", "construct"), ("mk01", "learned")])
def test_a_selector_given_to_a_learners_policy_is_refused_in_one_line(name, policy, capsys):
    """The learners' policies take their own keywords; the selector reaches none of them."""
    assert main(["solve", name, "--policy", policy, "--selector", "window", "--steps", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"selector is an option of the lns policy, not of {policy}" in err
