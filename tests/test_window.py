"""Windows of a schedule (rewriter.jssp.window) against networkx: a window's instance has exactly
the longest path of the whole schedule through the window, its fixed ends never move, and after
pasting any of its schedules the whole makespan is max(that path, the longest path avoiding the
window)."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rewriter.errors import InputError
from rewriter.jssp.generate import random_reentrant_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.search import LocalSearch, TabuSettings
from rewriter.jssp.solve import solve, window_size
from rewriter.jssp.validate import check_schedule
from rewriter.jssp.window import WindowedTabu, cut, paste, paste_and_update

from . import reference as ref

cases = st.tuples(st.integers(1, 7), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans(),
                  st.floats(0, 1), st.floats(0, 1))


def _window(n, m, seed, reentrant, a, b):
    rng = np.random.default_rng(seed)
    inst = ref.random_instance(rng, n, m, reentrant)
    sol = JobShopSolution(inst, ref.random_acyclic_order(rng, inst))
    t0, t1 = sorted((int(a * sol.makespan), int(b * sol.makespan)))
    return rng, inst, sol, t0, t1


def _inside(sol, t0, t1):
    return {int(v) for v in np.flatnonzero((sol.heads >= t0) & (sol.heads <= t1))}


def _longest_avoiding(inst, order, inside) -> int:
    """The longest path (sum of durations) of the schedule through no operation of ``inside``."""
    g = ref.graph(inst, order)
    g.remove_nodes_from(inside)
    p = inst.op_duration
    best = {}
    for v in nx.topological_sort(g):
        best[v] = p[v] + max((best[u] for u in g.predecessors(v)), default=0)
    return max(best.values(), default=0)


@settings(max_examples=150, deadline=None)
@given(cases)
def test_a_windows_instance_has_the_schedules_longest_path_through_the_window(case):
    _, inst, sol, t0, t1 = _window(*case)
    window = cut(sol, t0, t1)
    inside = _inside(sol, t0, t1)
    if window is None:
        assert not inside
        return
    heads, tails, _ = ref.heads_tails(inst, sol.order)
    p = inst.op_duration
    through = max(heads[v] + p[v] + tails[v] for v in inside)
    sub = JobShopSolution(window.instance, window.order)
    assert sub.makespan == through
    assert sorted(int(v) for v in window.original if v >= 0) == sorted(inside)
    restored = sol.order.copy()
    paste(window, window.order, restored)  # its own sequences give the schedule back
    assert restored.tolist() == sol.order.tolist()


@settings(max_examples=120, deadline=None)
@given(cases, st.integers(1, 30))
def test_after_any_search_of_a_window_the_whole_makespan_is_the_larger_of_the_two_paths(case, walk):
    rng, inst, sol, t0, t1 = _window(*case)
    window = cut(sol, t0, t1)
    if window is None:
        return
    sub = JobShopSolution(window.instance, window.order)
    fixed = {int(v): int(sub.position[v]) for v in range(window.n_movable, window.instance.n_operations)}
    search = LocalSearch(sub, "random", "adjacent", TabuSettings(), int(rng.integers(1 << 30)),
                         n_movable=window.n_movable)
    search.advance(walk)
    assert {v: int(sub.position[v]) for v in fixed} == fixed  # the machines' ends never move
    order = sol.order.copy()
    paste(window, sub.order, order)
    pasted = JobShopSolution(inst, order)  # raises on a cycle
    avoiding = _longest_avoiding(inst, sol.order, _inside(sol, t0, t1))
    assert pasted.makespan == ref.makespan_networkx(inst, order) == max(sub.makespan, avoiding)


@pytest.mark.parametrize("reentrant", [False, True])
def test_windowed_tabu_returns_a_valid_schedule_no_worse_than_its_start_and_repeats(reentrant):
    if reentrant:
        inst = random_reentrant_instance(30, 6, seed=3, min_ops=1, max_ops=12)
    else:
        inst = ref.random_instance(np.random.default_rng(4), 25, 6)
    first = solve(inst, policy="tabu", steps=3000, seed=5, window=40)
    again = solve(inst, policy="tabu", steps=3000, seed=5, window=40)
    check_schedule(inst, first.solution.starts, first.makespan)
    assert first.makespan <= first.init_makespan
    assert first.makespan == again.makespan and first.steps == again.steps


def test_windows_are_chosen_by_size_and_refused_where_they_do_not_apply():
    big = random_reentrant_instance(2100, 50, seed=0, min_ops=90, max_ops=110)
    small = ref.random_instance(np.random.default_rng(0), 10, 5)
    assert big.n_operations > 200_000
    assert window_size(big, "tabu", None, None) == 20_000
    assert window_size(big, "tabu", "n7", None) == 0
    assert window_size(small, "tabu", None, None) == 0
    assert window_size(small, "tabu", None, 10) == 10
    assert window_size(small, "tabu", None, 1000) == 0  # larger than the instance: no window
    for policy, moves, window in (("greedy", None, 10), ("tabu", "n7", 10), ("tabu", None, -1)):
        with pytest.raises(InputError):
            window_size(small, policy, moves, window)


def test_the_controlled_policy_is_tabu_in_windows_where_tabu_works_in_windows():
    from rewriter.learn.control.controllers import solve_controlled
    from rewriter.learn.solve import solve_jssp

    inst = ref.random_instance(np.random.default_rng(6), 12, 5)
    controlled = solve_controlled(inst, steps=800, seed=2, window=20)
    tabu = solve(inst, policy="tabu", steps=800, seed=2, window=20)
    assert controlled.method == "controlled" and controlled.info["controller"] == "none"
    assert (controlled.makespan, controlled.steps) == (tabu.makespan, tabu.steps)
    assert controlled.info["window"] == 20 and controlled.info["windows"] >= 1
    with pytest.raises(InputError, match="windows are an option of tabu"):
        solve_jssp(inst, steps=5, window=20)


#: fixed seeds, not hypothesis: on some tiny windows (seed 0, re-entrant, 5 operations) the tabu
#: kernel loops without end, before and after windows were updated in place (not a close's doing)
SEEDS = range(0, 12)


def _instance_with_zeros(rng, reentrant: bool):
    """A random instance, re-entrant or not, about a fifth of its durations zero."""
    if reentrant:
        inst = random_reentrant_instance(int(rng.integers(3, 20)), int(rng.integers(2, 6)),
                                         seed=int(rng.integers(1 << 30)), min_ops=1, max_ops=10)
    else:
        inst = ref.random_instance(rng, int(rng.integers(3, 15)), int(rng.integers(2, 6)))
    durations = inst.op_duration.copy()
    durations[rng.random(durations.shape[0]) < 0.2] = 0
    return JobShopInstance.from_flat(inst.name, durations, inst.op_machine, inst.job_start,
                                     inst.n_machines)


def _assert_topological(sol):
    inst = sol.instance
    at = np.empty(inst.n_operations, np.int64)
    at[sol.topo] = np.arange(inst.n_operations)
    for pred in (inst.job_pred, sol.mach_pred):
        v = np.flatnonzero(pred >= 0)
        assert (at[pred[v]] < at[v]).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reentrant", [False, True])
def test_after_every_window_the_schedule_is_what_a_full_evaluation_gives(seed, reentrant):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(2, 25))
    inst = _instance_with_zeros(rng, reentrant)
    # random keys rising along the flat ids rise along every job: an acyclic order
    keys = np.cumsum(rng.random(inst.n_operations) + 1e-9)
    sol = JobShopSolution(inst, np.lexsort((keys, inst.op_machine)))
    search = WindowedTabu(sol, TabuSettings(), seed, size, stall=20)
    pasted = 0
    for _ in range(40):  # a window closes at the end of every call that finishes one
        before = sol.order.copy()
        search.advance(50)
        pasted += not np.array_equal(before, sol.order)
        fresh = JobShopSolution(inst, sol.order)
        assert sol.makespan == fresh.makespan
        assert np.array_equal(sol.heads, fresh.heads) and np.array_equal(sol.tails, fresh.tails)
        for links in ("position", "mach_pred", "mach_succ"):
            assert np.array_equal(getattr(sol, links), getattr(fresh, links))
        _assert_topological(sol)
    assert pasted > 0


@settings(max_examples=120, deadline=None)
@given(cases, st.integers(1, 30))
def test_pasting_any_search_of_a_window_updates_the_schedule_as_a_full_evaluation(case, walk):
    rng, inst, sol, t0, t1 = _window(*case)
    window = cut(sol, t0, t1)
    if window is None:
        return
    sub = JobShopSolution(window.instance, window.order)
    LocalSearch(sub, "random", "adjacent", TabuSettings(), int(rng.integers(1 << 30)),
                n_movable=window.n_movable).advance(walk)
    makespan = paste_and_update(window, sub.order, sol, np.empty(inst.n_operations, np.int64))
    fresh = JobShopSolution(inst, sol.order)
    assert makespan == fresh.makespan
    assert np.array_equal(sol.heads, fresh.heads) and np.array_equal(sol.tails, fresh.tails)
    for links in ("position", "mach_pred", "mach_succ"):
        assert np.array_equal(getattr(sol, links), getattr(fresh, links))
    _assert_topological(sol)
