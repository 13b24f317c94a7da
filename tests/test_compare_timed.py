"""Time-budgeted comparison methods, cells whose solver finds no schedule, and the warm-up that
keeps imports out of a cell's time."""

import time

import pytest

from rewriter.compare import cells as cells_module
from rewriter import registry
from rewriter.compare.cells import NO_SCHEDULE, Cell, run_cell, warm_up
from rewriter.compare.grid import finished_records, plan_cells, run_cells
from rewriter.errors import InputError, NoSchedule
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.validate import check_schedule
from rewriter.compare.methods import parse_method
from rewriter.compare.tables import footnote, per_instance_table, render, summary_table, with_gaps


@pytest.mark.parametrize("text, name", [("construct-time:2", "construct-time"),
                                        ("rewriter-time:1.5", "rewriter-time"),
                                        ("controlled:3@spt", "controlled")])
def test_timed_methods_count_seconds(text, name):
    choice = parse_method(text)
    assert choice.name == name and choice.method.budget == "seconds" and choice.kind == "search"
    assert parse_method(choice.spec) == choice


def test_construct_within_keeps_the_best_of_greedy_and_samples():
    from rewriter.learn.construct.decode import construct_episodes, construct_within
    from rewriter.learn.construct.model_file import construct_model

    inst = load_instance("ft06")
    policy, _ = construct_model(None)
    greedy = construct_episodes(inst, policy, 1, 0)[0].makespan
    solution, built, trace = construct_within(inst, policy, 2.0, seed=3)
    assert built > 1  # ft06 decodes in milliseconds: two seconds sample many schedules
    assert solution.makespan <= greedy and trace[0] == (1, trace[0][1], greedy)
    assert [t[2] for t in trace] == sorted((t[2] for t in trace), reverse=True)
    assert trace[-1][2] >= solution.makespan
    assert check_schedule(inst, solution.starts.reshape(inst.n_jobs, -1), solution.makespan) == solution.makespan
    with pytest.raises(InputError, match="positive"):
        construct_within(inst, policy, 0.0)


def test_construct_time_method_returns_a_validated_result_within_its_budget():
    inst = load_instance("ft06")
    t0 = time.perf_counter()
    result = parse_method("construct-time:0.3").run(inst, seed=0)
    assert time.perf_counter() - t0 < 10  # loose: the budget plus loading the model
    assert result.info["samples"] >= 1 and result.makespan >= 55
    assert result.init_cost >= result.makespan  # the greedy schedule, then samples


def test_controlled_method_uses_the_learned_controller():
    result = parse_method("controlled:0.3").run(load_instance("ft06"), seed=0)
    assert result.info["controller"] == "learned" and result.makespan == 55


def _raise_no_schedule(*_, **__):
    raise NoSchedule("CP-SAT found no schedule for ft06 in 1 s")


def test_a_cell_without_schedule_is_a_result_shown_as_a_dash(monkeypatch, tmp_path):
    cell = plan_cells("ft06", "cpsat:1")[0]
    monkeypatch.setattr(type(cell.method), "run", _raise_no_schedule)
    monkeypatch.setattr(cells_module, "warm_up", lambda *a: None)
    record = run_cell(cell)
    assert record["status"] == NO_SCHEDULE and record["makespan"] is None
    assert record["gap_percent"] is None and "no schedule" in record["error"]
    assert record["upper_bound"] == 55 and record["group"] == "ft 6x6"
    # a result, not a failure: a second run does not try it again
    assert list(finished_records([record]).values()) == [record]
    other = {**record, "method": "mwkr", "params": {}, "status": "completed", "makespan": 67,
             "gap_percent": 21.82, "error": None}
    records = with_gaps([record, other])
    header, rows = per_instance_table(records)
    assert rows[0][header.index("cpsat:1 (1 thr)")] is None and rows[0][header.index("mwkr")] == 67
    assert rows[1][header.index("cpsat:1 (1 thr)")] is None  # the group mean
    header, rows = summary_table(records, quoted=False)
    assert rows[0][header.index("cpsat:1 (1 thr) gap %")] is None
    assert rows[0][header.index("mwkr gap %")] == 21.82
    assert "No schedule within the budget: cpsat:1 (1 thr) on ft06" in footnote(records)
    assert "No schedule within the budget" in render([record, other], "md")


def test_no_schedule_cells_do_not_stop_a_parallel_run(monkeypatch, tmp_path):
    from rewriter.compare.methods import Choice

    monkeypatch.setattr(Choice, "run", _raise_no_schedule)
    results = tmp_path / "r.jsonl"
    records = run_cells(plan_cells("ft06,la01", "cpsat:1"), results, workers=2, progress=False)
    assert [r["status"] for r in records] == [NO_SCHEDULE, NO_SCHEDULE]


def test_cpsat_without_a_schedule_is_one_line_for_solve(capsys):
    from rewriter.cli import main

    assert main(["solve", "ta71", "--method", "cpsat", "--time-limit", "0.01",
                 "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no schedule" in err[0]


def test_warm_up_runs_each_method_once_per_process_with_a_small_budget(monkeypatch):
    from rewriter.compare.methods import Choice

    calls = []
    monkeypatch.setattr(Choice, "run", lambda self, inst, **kw: calls.append((self.spec, inst.name)))
    monkeypatch.setattr(cells_module, "_WARM", set())
    spec = registry.get("jssp")
    for text in ("tabu:10", "tabu:10", "tabu:5@spt", "rewriter:200", "mwkr"):
        warm_up(Cell("ta41", parse_method(text), 0, 1, "jssp"), spec)
    warm = spec.warm_up_instance
    assert calls == [("tabu:0.2", warm), ("rewriter:4", warm), ("mwkr", warm)]


def test_every_problem_has_a_loadable_warm_up_instance():
    for name in registry.names():
        spec = registry.get(name)
        if spec.warm_up_instance:
            assert spec.load_instance(spec.warm_up_instance) is not None


def test_a_method_that_refuses_the_warm_up_instance_still_runs_its_cells(monkeypatch):
    from rewriter.compare.methods import Choice

    calls = []

    def run(self, inst, **kw):
        calls.append(inst.name)
        if inst.name == "ft06":
            raise InputError("ft06: not an instance this method takes")
        return "result"

    monkeypatch.setattr(Choice, "run", run)
    monkeypatch.setattr(cells_module, "_WARM", set())
    warm_up(Cell("ta41", parse_method("tabu:10"), 0, 1, "jssp"), registry.get("jssp"))
    assert calls == [registry.get("jssp").warm_up_instance]
