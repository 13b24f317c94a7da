"""The CP-SAT baseline: optimal on small classics, feasible everywhere, warm starts help."""

from __future__ import annotations

import numpy as np
import pytest

from rewriter.jssp.cpsat import CpSatResult, solve_cpsat, to_result
from rewriter.jssp.dispatching import dispatch
from rewriter.errors import InputError
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.generate import random_instance
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.schedule import JobShopSolution
from rewriter.jssp.validate import check_schedule


def _assert_valid(inst: JobShopInstance, r: CpSatResult) -> None:
    assert r.solution is not None and r.makespan is not None
    assert check_schedule(inst, r.solution.start_matrix(), r.makespan) == r.makespan
    assert r.solution.makespan == r.makespan
    assert r.lower_bound <= r.makespan <= r.objective
    assert r.solver_version.startswith("ortools ")


def test_ft06_optimal():
    inst = load_instance("ft06")
    r = solve_cpsat(inst, time_limit=10, workers=2)
    _assert_valid(inst, r)
    assert (r.status, r.makespan, r.lower_bound) == ("optimal", 55, 55)
    assert r.workers == 2 and r.seed == 0 and r.time_limit == 10.0


def test_la01_optimal_within_10s():
    inst = load_instance("la01")
    r = solve_cpsat(inst, time_limit=10, workers=2)
    _assert_valid(inst, r)
    assert (r.status, r.makespan, r.lower_bound) == ("optimal", 666, 666)
    assert r.runtime_s < 10.5


def test_random_8x5_feasible():
    inst = random_instance(8, 5, seed=3)
    r = solve_cpsat(inst, time_limit=5, workers=2)
    _assert_valid(inst, r)
    assert r.makespan >= inst.trivial_lower_bound()
    assert r.status in ("optimal", "feasible")


def test_warm_start_from_mwkr_on_ta01():
    inst = load_instance("ta01")
    mwkr = JobShopSolution(inst, dispatch(inst, "mwkr").order)
    r = solve_cpsat(inst, time_limit=2, workers=2, warm_start=mwkr)
    _assert_valid(inst, r)
    assert r.warm_start_makespan == mwkr.makespan
    assert r.makespan <= mwkr.makespan
    # the same schedule given as flat start times
    r2 = solve_cpsat(inst, time_limit=1, workers=1, warm_start=mwkr.starts)
    _assert_valid(inst, r2)
    assert r2.makespan <= mwkr.makespan


def test_infeasible_warm_start_rejected():
    inst = load_instance("ft06")
    with pytest.raises(InputError):
        solve_cpsat(inst, time_limit=1, warm_start=np.zeros(inst.n_operations, np.int64))
    with pytest.raises(InputError):
        solve_cpsat(inst, time_limit=1, warm_start=[0, 1, 2])


def test_bad_parameters_rejected():
    inst = load_instance("ft06")
    with pytest.raises(InputError):
        solve_cpsat(inst, time_limit=0)
    with pytest.raises(InputError):
        solve_cpsat(inst, time_limit=1, workers=0)


def test_zero_duration_orb07():
    inst = load_instance("orb07")
    assert (inst.durations == 0).any()
    r = solve_cpsat(inst, time_limit=2, workers=2)
    _assert_valid(inst, r)


def test_zero_durations_small():
    inst = JobShopInstance("zeros", durations=[[0, 3, 0], [2, 0, 4], [0, 0, 0]],
                           machines=[[0, 1, 2], [1, 0, 2], [2, 1, 0]])
    r = solve_cpsat(inst, time_limit=5, workers=1)
    _assert_valid(inst, r)
    assert r.status == "optimal" and r.makespan == inst.trivial_lower_bound()


def test_ta41_one_second_one_worker():
    inst = load_instance("ta41")
    r = solve_cpsat(inst, time_limit=1, workers=1)
    assert r.status in ("feasible", "optimal")
    _assert_valid(inst, r)
    assert r.lower_bound <= r.makespan


def test_same_seed_single_worker_is_feasible():
    inst = load_instance("la16")
    for _ in range(2):
        r = solve_cpsat(inst, time_limit=0.5, workers=1, seed=7)
        assert r.status in ("feasible", "optimal")
        assert r.seed == 7 and r.workers == 1
        _assert_valid(inst, r)


def test_to_result():
    inst = load_instance("ft06")
    r = solve_cpsat(inst, time_limit=10, workers=2)
    res = to_result(inst, r)
    assert (res.method, res.init, res.steps, res.status) == ("cpsat", "none", 0, "optimal")
    assert res.makespan == 55 and res.solution is r.solution
    d = res.to_dict()
    assert d["method"] == "cpsat" and d["makespan"] == 55
    info = r.info()
    assert info["lower_bound"] == 55 and info["cpsat_status"] == "optimal"


def test_to_result_without_solution_raises():
    inst = load_instance("ft06")
    r = CpSatResult(solution=None, makespan=None, status="unknown", lower_bound=40, runtime_s=0.1,
                    solver_version="ortools x", workers=1, seed=0, time_limit=0.1)
    with pytest.raises(InputError):
        to_result(inst, r)


def test_keyboard_interrupt_returns_best_so_far():
    import _thread
    import threading

    inst = load_instance("ta41")
    # late enough for a first schedule on a loaded 2-core machine (at 1.5 s there was none yet)
    timer = threading.Timer(4.0, _thread.interrupt_main)
    timer.start()
    try:
        r = solve_cpsat(inst, time_limit=30, workers=2)
    finally:
        timer.cancel()
    assert r.status == "interrupted"
    assert r.runtime_s < 15
    _assert_valid(inst, r)
    assert to_result(inst, r).status == "interrupted"
