"""MRT heuristics, CP-SAT, the validator and the baseline table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.mrt import dispatching as H
from rewriter.mrt.cpsat import solve_mrt_cpsat
from rewriter.errors import InputError
from rewriter.mrt.generate import dataset_instance
from rewriter.mrt.instance import MrtInstance
from rewriter.mrt.schedule import MrtSchedule
from rewriter.mrt.validate import InfeasibleSchedule, check_mrt_schedule, schedule_violations
from rewriter.compare.grid import plan_cells, run_cells
from rewriter import registry
from rewriter.mrt.spec import methods, quoted
from rewriter.compare.tables import render, summary_table, to_csv, to_markdown

from .mrt_strategies import mrt_instances

VARIANTS = {
    "ejf": H.ejf, "ejf-strict": lambda i: H.ejf(i, backfill=False), "sjf": H.sjf,
    "sjf-strict": lambda i: H.sjf(i, backfill=False), "sjfs": H.sjfs,
    "sjfs-strict": lambda i: H.sjfs(i, backfill=False), "sjf-offline": H.sjf_offline,
    "random": H.random_rule, "random-7": lambda i: H.random_rule(i, seed=7),
}


def _left_justified(instance, starts) -> bool:
    ends = set((starts + instance.length).tolist())
    return all(s == a or s in ends for s, a in zip(starts.tolist(), instance.arrival.tolist()))


@settings(max_examples=150, deadline=None)
@given(mrt_instances(), st.sampled_from(sorted(VARIANTS)))
def test_every_heuristic_schedule_is_feasible(instance, name):
    starts = VARIANTS[name](instance)
    assert starts.dtype == np.int64 and starts.shape == (instance.n_jobs,)
    assert schedule_violations(instance, starts) == []
    assert _left_justified(instance, starts)


@pytest.mark.parametrize("d", [2, 20])
def test_heuristics_on_dataset_instances(d):
    for k in range(3):
        inst = dataset_instance(d, "test", k)
        for name in H.HEURISTICS:
            check_mrt_schedule(inst, H.heuristic(name, inst))


@settings(max_examples=80, deadline=None)
@given(mrt_instances())
def test_strict_ejf_starts_jobs_in_arrival_order(instance):
    starts = H.ejf(instance, backfill=False)
    order = instance.arrival_order
    assert np.all(np.diff(starts[order]) >= 0)


def _hand():
    # capacity 10; job 0 (arrives 0, long, demand 6) runs; at time 1 two jobs arrive: job 1 long
    # (12 steps, demand 5) and job 2 short (1 step, demand 5): neither fits until job 0 ends at 10
    return MrtInstance("hand", np.array([10]), np.array([0, 1, 2]), np.array([10, 12, 1]),
                       np.array([[6], [5], [5]]))


def test_rules_differ_as_intended():
    inst = _hand()
    assert H.ejf(inst).tolist() == [0, 10, 10]   # both fit together at 10
    inst2 = MrtInstance("hand2", np.array([10]), np.array([0, 1, 2]), np.array([10, 12, 1]),
                        np.array([[6], [6], [6]]))
    assert H.ejf(inst2).tolist() == [0, 10, 22]   # first come, first served
    assert H.sjf(inst2).tolist() == [0, 11, 10]   # the short one first
    # offline SJF knows the short job arrives at 2 and delays the long job 0 for it
    assert H.sjf_offline(inst2).tolist() == [3, 13, 2]
    assert H.sjfs(inst2).tolist() == [0, 11, 10]


def test_sjfs_is_not_worse_than_sjf_on_average():
    values = {name: np.mean([check_mrt_schedule(i, H.HEURISTICS[name](i))
                             for i in (dataset_instance(2, "test", k) for k in range(15))])
              for name in ("ejf", "sjf", "sjfs", "sjf-offline")}
    assert values["sjf-offline"] < values["sjfs"] <= values["sjf"] < values["ejf"]


def test_unknown_heuristic():
    with pytest.raises(InputError, match="unknown MRT heuristic"):
        H.heuristic("lifo", _hand())


# ---- the validator can fail ----------------------------------------------------------------------
def test_validator_reports_every_kind_of_breach():
    inst = MrtInstance("v", np.array([10, 10]), np.array([0, 2]), np.array([3, 2]), np.array([[6, 1], [5, 1]]))
    assert schedule_violations(inst, [0, 3]) == []
    problems = schedule_violations(inst, [0, 2])
    assert len(problems) == 1 and "time 2: resource 0 uses 11 > capacity 10" in problems[0]
    assert any("before its arrival" in p for p in schedule_violations(inst, [0, 1]))
    assert any("end 6 != start 3 + length 2" in p for p in schedule_violations(inst, [0, 3], ends=[3, 6]))
    assert any("reported average slowdown" in p for p in schedule_violations(inst, [0, 3], average_slowdown_reported=1.0))
    assert schedule_violations(inst, [0, 3], average_slowdown_reported=1.25) == []
    assert "need 2 start times" in schedule_violations(inst, [0])[0]
    with pytest.raises(InfeasibleSchedule, match="capacity"):
        check_mrt_schedule(inst, [0, 2])


# ---- CP-SAT --------------------------------------------------------------------------------------
def _brute_force(instance) -> float:
    """Optimum over all list schedules (they include an optimal schedule for this regular objective)."""
    return min(MrtSchedule.from_priority(instance, p).average_slowdown
               for p in itertools.permutations(range(instance.n_jobs)))


@settings(max_examples=15, deadline=None)
@given(mrt_instances(max_jobs=5, max_resources=2, max_arrival=6, max_length=4))
def test_cpsat_is_optimal_on_tiny_instances(instance):
    result = solve_mrt_cpsat(instance, time_limit=5, workers=1, seed=0)
    assert result.status == "optimal"
    assert check_mrt_schedule(instance, result.starts) == pytest.approx(result.objective)
    assert result.objective == pytest.approx(_brute_force(instance))
    assert result.bound <= result.objective + 1e-9


def test_cpsat_with_hint_is_feasible_and_no_worse():
    inst = dataset_instance(5, "test", 0)
    hint = H.ejf(inst)
    hint_value = check_mrt_schedule(inst, hint)
    result = solve_mrt_cpsat(inst, time_limit=1.0, workers=1, seed=0, hint=hint)
    assert result.starts is not None and result.status in ("optimal", "feasible", "hint")
    value = check_mrt_schedule(inst, result.starts)
    assert value == pytest.approx(result.objective) and value <= hint_value + 1e-9
    assert result.hint_objective == pytest.approx(hint_value)
    assert 1.0 <= result.bound <= value + 1e-9
    with pytest.raises(InputError, match="hint is not a feasible schedule"):
        solve_mrt_cpsat(inst, time_limit=1.0, hint=np.zeros(inst.n_jobs, np.int64))
    with pytest.raises(InputError, match="time limit"):
        solve_mrt_cpsat(inst, time_limit=0)


# ---- the table -----------------------------------------------------------------------------------
def test_the_comparison_table_with_the_papers_figures(tmp_path):
    figures = {(q["method"], q["group"]): q for q in quoted()}
    assert figures["NeuRewriter", "D=2"]["value"] == 2.53 and figures["NeuRewriter", "D=20"]["value"] == 3.94
    assert "Chen" in figures["EJF", "D=2"]["citation"] and "NeurIPS 2019" in figures["EJF", "D=2"]["citation"]
    cells = plan_cells("d2:test:0-2,d20:test:0-2", "ejf,sjf-offline", problem="mrt")
    records = run_cells(cells, tmp_path / "r.jsonl", progress=False)
    header, rows = summary_table(records)
    assert header[:4] == ["group", "instances", "ejf average slowdown", "ejf time s"]
    assert "NeuRewriter average slowdown (quoted)" in header and "EJF average slowdown (quoted)" in header
    assert [r[:2] for r in rows] == [["D=2", 3], ["D=20", 3]]
    assert rows[0][header.index("EJF average slowdown (quoted)")] == 11.11
    assert rows[1][header.index("SJF average slowdown (quoted)")] == 5.0
    sjf_offline = header.index("sjf-offline average slowdown")
    assert rows[0][sjf_offline] < rows[0][2]  # offline SJF beats EJF
    # every row's mean is the mean of the validated schedules' slowdowns
    for d, row in zip((2, 20), rows):
        values = [check_mrt_schedule(dataset_instance(d, "test", k), H.ejf(dataset_instance(d, "test", k)))
                  for k in range(3)]
        assert row[2] == pytest.approx(round(float(np.mean(values)), 2))
    assert "| group | instances |" in to_markdown((header, rows)) and to_csv((header, rows)).startswith("group,")
    assert set(registry.get("mrt").methods()) >= {"ejf", "sjf", "sjfs", "sjf-offline", "random", "cpsat", "rewriter"}
    cells = plan_cells("d5:test:0-0", "cpsat:0.5", problem="mrt", cpsat_workers=1)
    record = run_cells(cells, tmp_path / "r.jsonl", progress=False)[0]
    assert record["method"] == "cpsat:0.5" and record["params"] == {"cpsat_workers": 1}
    assert "Average slowdown per instance" in render([record], "md", quoted=False)
    with pytest.raises(InputError, match="unknown method"):
        plan_cells("d2:test:0-0", "magic", problem="mrt")
