"""The orders-and-operators problem behind the registry: solve, validate and compare through the
command line and the Python API, every method's result validated, files recognised without
--problem, bad input in one line."""

from __future__ import annotations

import json

import pytest

import rewriter
from rewriter import registry
from rewriter.cli import main
from rewriter.crew import dispatching, solve as crew_solve, spec as crew_spec
from rewriter.crew.bundled import load_instance
from rewriter.crew.generate import generate
from rewriter.crew.io import write_instance
from rewriter.crew.validate import objective_of
from rewriter.errors import InputError


def test_the_spec_lists_the_modules_own_rules_and_policies():
    assert crew_spec.INIT_RULES == dispatching.RULES
    assert crew_spec.POLICIES == crew_solve.POLICIES
    assert "crew" in registry.names()


@pytest.mark.parametrize("policy", ["tabu", "greedy", "none"])
@pytest.mark.parametrize("init", dispatching.RULES)
def test_every_rule_and_policy_through_the_api(init, policy):
    inst = load_instance("crew_example_12x4")
    r = rewriter.solve(inst, init=init, policy=policy, steps=300, seed=1)
    assert r.problem == "crew" and r.cost <= r.init_cost + 1e-9
    assert r.cost == pytest.approx(objective_of(inst, r.schedule["routes"])[0])
    assert r.values["makespan"] <= r.cost / inst.alpha + 1e-9 or inst.beta > 0


def test_exact_and_routing_methods_agree_with_the_search_on_a_small_instance():
    inst = load_instance("crew_example_8x3")
    exact = rewriter.solve(inst, method="cpsat", time_limit=10)
    assert exact.status == "optimal"
    routing = rewriter.solve(inst, method="routing", time_limit=2)
    tabu = rewriter.solve(inst, steps=2000, seed=0)
    assert exact.cost <= routing.cost + 1e-6 and exact.cost <= tabu.cost + 1e-6
    assert exact.info["bound"] <= exact.cost + 1e-6


def test_a_seed_makes_the_search_repeatable():
    inst = generate(60, 8, seed=3)
    a = rewriter.solve(inst, steps=500, seed=7)
    b = rewriter.solve(inst, steps=500, seed=7)
    assert a.schedule["routes"] == b.schedule["routes"]


def test_a_json_file_is_recognised_solved_and_validated(tmp_path, capsys):
    path = tmp_path / "orders.json"
    write_instance(generate(30, 5, layout="clustered", seed=2), path)
    out = tmp_path / "solution.json"
    assert main(["solve", str(path), "--time-limit", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["problem"] == "crew" and len(data["routes"]) == 5
    assert main(["validate", str(path), str(out)]) == 0
    data["routes"][0] = data["routes"][0][1:] if data["routes"][0] else [0]
    out.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["validate", str(path), str(out)]) == 1
    assert "invalid" in capsys.readouterr().out


def test_a_time_limit_is_kept_on_a_large_instance():
    inst = generate(2000, 40, seed=0)
    r = rewriter.solve(inst, time_limit=1.0, seed=0)
    assert r.runtime_s < 1.5 and r.cost <= r.init_cost


@pytest.mark.parametrize("argv, expected", [
    (["solve", "crew_example_8x3", "--policy", "lns", "--steps", "5"], "lns"),
    (["solve", "crew_example_8x3", "--method", "cpsat", "--workers", "0"], "workers"),
    (["solve", "crew_u100x5_s0", "--method", "cpsat", "--time-limit", "1"], "60"),
    (["solve", "crew_example_8x3", "--init", "fifo", "--steps", "5"], "fifo"),
])
def test_bad_options_are_one_line(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


def test_an_unreachable_order_is_named(tmp_path, capsys):
    path = tmp_path / "far.json"
    path.write_text(json.dumps({"orders": [{"x": 0, "y": 0, "hours": 1},
                                           {"x": 1000, "y": 0, "hours": 1}],
                                "operators": [{"x": 0, "y": 0, "capacity": 5, "active": True}]}))
    assert main(["solve", str(path), "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "order 1" in err[0]


def test_compare_runs_every_kind_of_method(tmp_path):
    results = tmp_path / "r.jsonl"
    code = main(["compare", "--problem", "crew", "--instances", "crew_example_8x3,crew_u40x5_s0-1",
                 "--methods", "nearest,insertion,sweep,tabu:1,routing:1,cpsat:2", "--seeds", "0",
                 "--results", str(results), "--out", str(tmp_path / "t.md")])
    assert code == 0
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert {r["method"] for r in rows} >= {"nearest", "insertion", "sweep"}
    assert len(rows) == 3 * 6


def test_seed_ranges_expand_and_bad_names_are_refused():
    assert crew_spec.expand_instances("crew_u20x3_s0-2") == [f"crew_u20x3_s{s}" for s in range(3)]
    with pytest.raises(InputError, match="unknown crew instances"):
        crew_spec.expand_instances("ta41")


@pytest.mark.parametrize("form", ["md", "csv"])
def test_the_bundled_examples_are_listed(form, capsys):
    assert main(["instances", "--problem", "crew", "--format", form]) == 0
    out = capsys.readouterr().out
    assert "crew_example_8x3" in out and "crew_example_6x2_matrix" in out
