"""Instances to and from the neighbours: job_shop_lib and PyJobShop (each an optional extra),
and the constructors from arrays (JobShopInstance.from_arrays, FlexibleInstance.from_lists)."""

import numpy as np
import pytest

import rewriter
from rewriter import FlexibleInstance, InputError, JobShopInstance
from rewriter.fjsp.validate import objective_values, schedule_violations
from rewriter.jssp.validate import check_schedule

FLEX_JOBS = [[[(0, 3), (1, 3)], [(1, 2)]], [[(0, 4)], [(0, 2), (2, 2)], [(2, 5)]], [[(2, 6)]]]
FLEX_DIFFERENT = [[[(0, 3), (1, 5)], [(1, 2)]], [[(0, 4)], [(0, 2), (2, 3)]], [[(2, 6)]]]


def _same_job_shop(a, b):
    assert isinstance(b, JobShopInstance) and a.name == b.name
    assert np.array_equal(a.durations, b.durations) and np.array_equal(a.machines, b.machines)


def _same_flexible(a, b, weights=True):
    assert isinstance(b, FlexibleInstance) and (a.name, a.n_machines) == (b.name, b.n_machines)
    assert a.to_lists() == b.to_lists()
    assert np.array_equal(a.release, b.release) and np.array_equal(a.due, b.due)
    assert not weights or np.array_equal(a.weight, b.weight)


# ---- constructors ------------------------------------------------------------------------------
def test_from_arrays_builds_the_instance_and_is_exported():
    inst = JobShopInstance.from_arrays("tiny", [[3, 2], [2, 4]], [[0, 1], [1, 0]], upper_bound=7)
    assert inst.shape == (2, 2) and inst.upper_bound == 7
    assert rewriter.solve(inst, steps=5, seed=0).makespan >= inst.trivial_lower_bound()
    same = JobShopInstance.from_arrays("tiny", np.array([[3.0, 2.0], [2.0, 4.0]]), [[0, 1], [1, 0]])
    _same_job_shop(inst, same)


@pytest.mark.parametrize("durations, machines, message", [
    ([[3, 2], [2]], [[0, 1], [1, 0]], "rectangular"),
    ([[3, 2.5], [2, 4]], [[0, 1], [1, 0]], "integers"),
    ([[3, "a"], [2, 4]], [[0, 1], [1, 0]], "integers"),
    ([[3, -1], [2, 4]], [[0, 1], [1, 0]], "non-negative"),
    ([[3, 2], [2, 4]], [[0, 2], [1, 0]], "0..1"),
    ([[3, 2], [2, 4]], [[0, 1]], "same shape"),
])
def test_from_arrays_reports_bad_input_as_input_error(durations, machines, message):
    with pytest.raises(InputError, match=message) as err:
        JobShopInstance.from_arrays("bad", durations, machines)
    assert str(err.value).startswith("bad: ")


def test_flexible_from_lists_reports_bad_input_as_input_error():
    with pytest.raises(InputError, match="machine index"):
        FlexibleInstance.from_lists("bad", 2, [[[(0, 3), (2, 1)]]])


def test_load_instance_returns_our_own_instance_and_refuses_other_objects():
    inst = rewriter.load_instance("ft06")
    assert rewriter.load_instance(inst) is inst
    with pytest.raises(InputError, match="found a dict"):
        rewriter.load_instance({"jobs": []})


# ---- job_shop_lib ------------------------------------------------------------------------------
def test_job_shop_lib_round_trip_of_a_job_shop():
    jsl = pytest.importorskip("job_shop_lib")
    ours = rewriter.load_instance("ft06")
    theirs = rewriter.to_job_shop_lib(ours)
    assert isinstance(theirs, jsl.JobShopInstance) and not theirs.is_flexible
    assert theirs.durations_matrix == ours.durations.tolist()
    back = rewriter.load_instance(theirs)
    _same_job_shop(ours, back)
    assert (back.lower_bound, back.upper_bound, back.optimal) == (55, 55, True)


def test_job_shop_lib_round_trip_of_a_flexible_shop_with_dates():
    pytest.importorskip("job_shop_lib")
    ours = FlexibleInstance.from_lists("flex", 3, FLEX_JOBS, release=[2, 0, 1], due=[9, -1, 12])
    theirs = rewriter.to_job_shop_lib(ours)
    assert theirs.is_flexible and theirs.has_release_dates and theirs.has_due_dates
    _same_flexible(ours, rewriter.load_instance(theirs))


def test_a_job_shop_lib_benchmark_is_our_instance_and_solves():
    bench = pytest.importorskip("job_shop_lib.benchmarking")
    theirs = bench.load_benchmark_instance("ft06")
    ours = rewriter.load_instance(theirs)
    _same_job_shop(rewriter.load_instance("ft06"), ours)
    result = rewriter.solve(ours, steps=200, seed=0)
    assert result.makespan >= 55 and result.gap_percent is not None


def test_job_shop_lib_solver_and_our_validator_agree_on_the_makespan():
    cp = pytest.importorskip("job_shop_lib.constraint_programming")
    ours = rewriter.load_instance("ft06")
    schedule = cp.ORToolsSolver(max_time_in_seconds=20)(rewriter.to_job_shop_lib(ours))
    starts = np.zeros(ours.shape, dtype=np.int64)
    for machine in schedule.schedule:
        for op in machine:
            starts[op.job_id, op.position_in_job] = op.start_time
    assert check_schedule(ours, starts) == schedule.makespan() == 55


def test_a_flexible_job_shop_lib_instance_solves():
    # job_shop_lib's CP solver schedules classic job shops only: ours solves their flexible one
    jsl = pytest.importorskip("job_shop_lib")
    theirs = jsl.JobShopInstance([[jsl.Operation([0, 1], 3), jsl.Operation(1, 2)],
                                  [jsl.Operation(0, 4), jsl.Operation([0, 2], 2), jsl.Operation(2, 5)],
                                  [jsl.Operation(2, 6)]], name="flex")
    ours = rewriter.load_instance(theirs)
    _same_flexible(FlexibleInstance.from_lists("flex", 3, FLEX_JOBS), ours)
    assert rewriter.solve(ours, method="cpsat", time_limit=20).makespan == 11


def test_job_shop_lib_what_has_no_counterpart_is_refused():
    jsl = pytest.importorskip("job_shop_lib")
    with pytest.raises(InputError, match="different times"):
        rewriter.to_job_shop_lib(FlexibleInstance.from_lists("x", 3, FLEX_DIFFERENT))
    with pytest.raises(InputError, match="deadline"):
        rewriter.load_instance(jsl.JobShopInstance([[jsl.Operation(0, 3, deadline=5)]], name="d"))
    with pytest.raises(InputError, match="not an integer"):
        rewriter.load_instance(jsl.JobShopInstance([[jsl.Operation(0, 2.5)]], name="f"))


# ---- PyJobShop ---------------------------------------------------------------------------------
def test_pyjobshop_round_trip_of_a_job_shop():
    pyjobshop = pytest.importorskip("pyjobshop")
    ours = rewriter.load_instance("ft06")
    data = rewriter.to_pyjobshop(ours)
    assert isinstance(data, pyjobshop.ProblemData)
    assert (data.num_jobs, data.num_machines, data.num_tasks) == (6, 6, 36)
    back = rewriter.load_instance(data)
    assert isinstance(back, JobShopInstance)
    back.name = ours.name  # a ProblemData has no name
    _same_job_shop(ours, back)


def test_pyjobshop_round_trip_of_a_flexible_shop_with_dates_and_weights():
    pytest.importorskip("pyjobshop")
    ours = FlexibleInstance.from_lists("pyjobshop", 3, FLEX_DIFFERENT, release=[2, 0, 1],
                                       due=[9, -1, 12], weight=[2, 1, 3])
    _same_flexible(ours, rewriter.load_instance(rewriter.to_pyjobshop(ours)))


@pytest.mark.parametrize("make", [lambda: rewriter.load_instance("ft06"),
                                  lambda: FlexibleInstance.from_lists("flex", 3, FLEX_DIFFERENT)])
def test_pyjobshop_solver_and_ours_agree_on_the_optimum(make):
    pyjobshop = pytest.importorskip("pyjobshop")
    ours = make()
    theirs = pyjobshop.solve(rewriter.to_pyjobshop(ours), time_limit=20, display=False)
    assert theirs.status == pyjobshop.SolveStatus.OPTIMAL
    result = rewriter.solve(ours, method="cpsat", time_limit=20)
    assert result.makespan == theirs.objective
    if isinstance(ours, FlexibleInstance):  # their schedule passes our validator
        tasks = theirs.best.tasks
        machines = [t.resources[0] for t in tasks]
        starts = [t.start for t in tasks]
        assert schedule_violations(ours, machines, starts) == []
        assert objective_values(ours, machines, starts)["makespan"] == theirs.objective


def test_pyjobshop_what_has_no_counterpart_is_refused():
    pyjobshop = pytest.importorskip("pyjobshop")

    def model_with(extra):
        model = pyjobshop.Model()
        machine = model.add_machine()
        job = model.add_job()
        tasks = [model.add_task(job=job) for _ in range(2)]
        for task in tasks:
            model.add_mode(task, machine, 3)
        extra(model, machine, tasks)
        return model.data()

    cases = {
        "not a step of a job's route": lambda m, r, t: (m.add_end_before_start(t[0], t[1]),
                                                          m.add_end_before_start(t[1], t[0])),
        "not ordered": lambda m, r, t: None,
        "Renewable": lambda m, r, t: (m.add_end_before_start(t[0], t[1]), m.add_renewable(2)),
        "setup times": lambda m, r, t: (m.add_end_before_start(t[0], t[1]),
                                        m.add_setup_time(r, t[0], t[1], 2)),
    }
    for message, extra in cases.items():
        with pytest.raises(InputError, match=message):
            rewriter.load_instance(model_with(extra))


def test_a_missing_neighbour_is_one_error_naming_its_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without(name, *args, **kwargs):
        if name.split(".")[0] in ("job_shop_lib", "pyjobshop"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    inst = rewriter.load_instance("ft06")
    monkeypatch.setattr(builtins, "__import__", without)
    with pytest.raises(ImportError, match=r"rewriter\[job_shop_lib\]"):
        rewriter.to_job_shop_lib(inst)
    with pytest.raises(ImportError, match=r"rewriter\[pyjobshop\]"):
        rewriter.to_pyjobshop(inst)
