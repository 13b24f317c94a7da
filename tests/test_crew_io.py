"""The crew data layer: instance files (JSON, CSV), solution files, the seeded generator, the
bundled examples and the independent validator (checked against CrewSchedule and by hand)."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewriter.crew import io as crew_io
from rewriter.crew.bundled import bundled_instances, load_instance, recognizes
from rewriter.crew.generate import (NAME, generate, instance_from_name, instance_name,
                                    witness_routes)
from rewriter.crew.instance import CrewInstance
from rewriter.crew.schedule import TOLERANCE, CrewSchedule
from rewriter.crew.validate import (InfeasibleSchedule, check_crew_schedule, objective_of,
                                    operator_time, violations)
from rewriter.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def same_instance(a: CrewInstance, b: CrewInstance) -> None:
    assert a.name == b.name
    for key in ("orders", "hours", "operators", "capacity", "active"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert (a.speed, a.alpha, a.beta) == (b.speed, b.alpha, b.beta)
    for key in ("start_travel", "order_travel"):
        left, right = getattr(a, key), getattr(b, key)
        assert (left is None) == (right is None)
        if left is not None:
            assert np.array_equal(left, right)


def tiny(**changes) -> CrewInstance:
    """Two orders on a 3-4-5 triangle, two operators (one idle)."""
    values = dict(name="tiny", orders=[[3.0, 4.0], [3.0, 0.0]], hours=[1.0, 2.0],
                  operators=[[0.0, 0.0], [6.0, 0.0]], capacity=[20.0, 20.0],
                  active=[True, False], speed=1.0, alpha=1.0, beta=10.0)
    values.update(changes)
    return CrewInstance(**values)


# ---- JSON and CSV round trips ------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["uniform", "clustered"])
@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_generated_instance_reads_back_exactly(tmp_path, layout, suffix):
    instance = generate(30, 4, layout=layout, seed=5)
    instance.orders[0] = [1 / 3, 2 / 7]  # floats with no short decimal form still read back
    instance.hours[1] = 0.0
    path = tmp_path / f"inst{suffix}"
    crew_io.write_instance(instance, path)
    back = crew_io.read_instance(path)
    same_instance(instance, back)
    if suffix == ".json":
        assert back.metadata == instance.metadata
        assert crew_io.instance_to_dict(back) == json.loads(path.read_text())


def test_explicit_matrices_read_back_and_the_csv_form_refuses_them(tmp_path):
    instance = tiny(start_travel=[[5.0, 3.5], [5.0, 3.0]], order_travel=[[0.0, 4.5], [4.0, 0.0]])
    crew_io.write_instance(instance, tmp_path / "m.json")
    same_instance(instance, crew_io.read_instance(tmp_path / "m.json"))
    only = tiny(order_travel=[[0.0, 4.5], [4.0, 0.0]])  # one matrix alone, the other Euclidean
    crew_io.write_instance(only, tmp_path / "o.json")
    back = crew_io.read_instance(tmp_path / "o.json")
    assert back.start_travel is None and back.order_travel.tolist() == [[0.0, 4.5], [4.0, 0.0]]
    with pytest.raises(InputError, match="no travel matrices; write JSON"):
        crew_io.write_instance(instance, tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()


def test_defaults_and_the_name_from_the_file_stem(tmp_path):
    path = tmp_path / "depot.json"
    path.write_text(json.dumps({"orders": [{"x": 1, "y": 0, "hours": 2}],
                                "operators": [{"x": 0, "y": 0, "capacity": 5, "active": 0}]}))
    instance = crew_io.read_instance(path)
    assert instance.name == "depot"
    assert (instance.speed, instance.alpha, instance.beta) == (1.0, 1.0, 0.0)
    assert instance.active.tolist() == [False]
    named = tmp_path / "x.json"
    named.write_text(json.dumps({"name": "other", "speed": 2, "alpha": 0, "beta": 4.5,
                                 **json.loads(path.read_text())}))
    instance = crew_io.read_instance(named)
    assert (instance.name, instance.speed, instance.alpha, instance.beta) == ("other", 2, 0, 4.5)


def test_the_documented_csv_form_with_comments_short_rows_and_any_case(tmp_path):
    path = tmp_path / "doc.csv"
    path.write_text("\ufeffKind,X,Y,Hours,Capacity,Active\n# a comment\n\nNAME,depot\nspeed,50\n"
                    "beta,3.5\norder,10,20,1.5\norder,10,20,0,,\noperator,0,0,,40,TRUE\n"
                    "operator,5,5,,40,0\n")
    instance = crew_io.read_instance(path)
    assert instance.name == "depot" and instance.speed == 50 and instance.alpha == 1
    assert instance.beta == 3.5
    assert instance.orders.tolist() == [[10, 20], [10, 20]] and instance.hours.tolist() == [1.5, 0]
    assert instance.active.tolist() == [True, False]
    assert crew_io.parse_csv(crew_io.csv_text(instance)).capacity.tolist() == [40, 40]


def test_the_format_of_a_file_without_suffix_is_read_from_its_content(tmp_path):
    instance = generate(5, 2, seed=1)
    (tmp_path / "a").write_text(crew_io.json_text(instance))
    (tmp_path / "b").write_text(crew_io.csv_text(instance))
    (tmp_path / "c").write_text("hello\n")
    same_instance(instance, crew_io.read_instance(tmp_path / "a"))
    same_instance(instance, crew_io.read_instance(tmp_path / "b"))
    with pytest.raises(InputError, match="cannot tell the format"):
        crew_io.read_instance(tmp_path / "c")


# ---- bad instance files: one InputError each, naming the file, item and line ------------------
OK_ORDER = {"x": 1, "y": 2, "hours": 1}
OK_OPERATOR = {"x": 0, "y": 0, "capacity": 10, "active": True}


def instance_json(**changes) -> str:
    data = {"orders": [OK_ORDER, OK_ORDER], "operators": [OK_OPERATOR]}
    data.update(changes)
    return json.dumps(data)


BAD_JSON = [
    ("negative hours", instance_json(orders=[OK_ORDER, {**OK_ORDER, "hours": -2}]),
     r"orders\[1\]\.hours: expected a number >= 0, found -2", None),
    ("NaN", instance_json().replace('"x": 1', '"x": NaN', 1),
     r"orders\[0\]\.x: expected a finite number, found NaN", None),
    ("infinite", instance_json().replace('"y": 2', '"y": -Infinity', 1),
     r"orders\[0\]\.y: expected a finite number", None),
    ("string", instance_json(operators=[{**OK_OPERATOR, "capacity": "10"}]),
     r"operators\[0\]\.capacity: expected a number, found \"10\"", None),
    ("bool number", instance_json(operators=[{**OK_OPERATOR, "x": True}]),
     r"operators\[0\]\.x: expected a number, found true", None),
    ("huge", instance_json(operators=[{**OK_OPERATOR, "capacity": 10 ** 40}]),
     r"operators\[0\]\.capacity: expected a number of absolute value at most", None),
    ("negative capacity", instance_json(operators=[{**OK_OPERATOR, "capacity": -1}]),
     r"operators\[0\]\.capacity: expected a number >= 0, found -1", None),
    ("active", instance_json(operators=[{**OK_OPERATOR, "active": "yes"}]),
     r"operators\[0\]\.active: expected true or false, found \"yes\"", None),
    ("missing key", instance_json(orders=[{"x": 1, "y": 2}]),
     r"orders\[0\]: missing key 'hours'; expected x, y, hours", None),
    ("unknown item key", instance_json(orders=[{**OK_ORDER, "hour": 1}]),
     r"orders\[0\]: unknown key 'hour'", None),
    ("unknown top key", instance_json(bata=3),
     r"unknown key 'bata'; expected name, orders, operators, speed, alpha, beta, travel", None),
    ("missing top key", json.dumps({"orders": [OK_ORDER]}), r"missing key 'operators'", None),
    ("no orders", instance_json(orders=[]), r"orders: expected a non-empty list", None),
    ("item not an object", instance_json(orders=[3]), r"orders\[0\]: expected an object", None),
    ("not an object", "[1, 2]", r"expected a JSON object with keys orders and operators", None),
    ("null speed", instance_json(speed=None), r"speed: expected a number, found null", None),
    ("zero speed", instance_json(speed=0), r"speed: expected a number > 0, found 0", None),
    ("negative beta", instance_json(beta=-1), r"beta: expected a number >= 0, found -1", None),
    ("empty name", instance_json(name=""), r"name: expected a non-empty string", None),
    ("matrix rows", instance_json(travel={"order_order": [[0, 1]]}),
     r"travel\.order_order: expected 2 rows \(one per order\) of 2 travel times, found 1", None),
    ("matrix row", instance_json(travel={"operator_order": [[0, 1, 2]]}),
     r"travel\.operator_order\[0\]: expected 2 travel times", None),
    ("matrix entry", instance_json(travel={"order_order": [[0, "a"], [1, 0]]}),
     r"travel\.order_order\[0\]\[1\]: expected a number, found \"a\"", None),
    ("matrix negative", instance_json(travel={"order_order": [[0, 1], [-1, 0]]}),
     r"travel\.order_order\[1\]\[0\]: expected a number >= 0, found -1", None),
    ("matrix huge", instance_json(travel={"order_order": [[0, 1], [10 ** 30, 0]]}),
     r"travel\.order_order\[1\]\[0\]: expected a number of absolute value", None),
    ("travel key", instance_json(travel={"orders": []}), r"travel: unknown key 'orders'", None),
    ("unreachable", instance_json(orders=[OK_ORDER, {"x": 100, "y": 0, "hours": 1}]),
     r"order 1 is out of every operator's reach", None),
    ("solution file", json.dumps({"routes": [[0]], "objective": 3}), r"this is a solution file", None),
    ("duplicate key", '{"orders": [], "orders": []}', r"the key 'orders' appears twice", None),
    ("invalid", '{"orders": [\n  {"x": 1,}\n]}', r"invalid JSON", 2),
]


@pytest.mark.parametrize("label, text, message, line", BAD_JSON, ids=[c[0] for c in BAD_JSON])
def test_every_bad_json_instance_is_one_input_error(tmp_path, label, text, message, line):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        crew_io.read_instance(path)
    assert info.value.path == str(path) and info.value.line == line
    assert str(info.value).startswith(str(path))


HEADER = "kind,x,y,hours,capacity,active\n"
OK_ROWS = "order,1,2,1,,\noperator,0,0,,10,true\n"
BAD_CSV = [
    ("empty", "", r"the file is empty", None),
    ("header", "kind,x,y\n", r"expected the header kind,x,y,hours,capacity,active", 1),
    ("nan", HEADER + "order,1,2,nan,,\n", r"hours: expected a number, found \"nan\"", 2),
    ("underscore", HEADER + "order,1_0,2,1,,\n", r"x: expected a number, found \"1_0\"", 2),
    ("negative", HEADER + "order,1,2,-2,,\n", r"hours: expected a number >= 0, found -2", 2),
    ("capacity in an order", HEADER + "order,1,2,1,5,\n",
     r"capacity: expected an empty cell in an order row", 2),
    ("hours in an operator", HEADER + OK_ROWS + "operator,0,0,1,10,true\n",
     r"hours: expected an empty cell in an operator row", 4),
    ("active", HEADER + "operator,0,0,,10,yes\n", r"active: expected true, false, 1 or 0", 2),
    ("kind", HEADER + "truck,0,0,,10,true\n", r"unknown kind \"truck\"", 2),
    ("too many cells", HEADER + "order,1,2,1,,,7\n", r"expected at most 6 cells", 2),
    ("no orders", HEADER + "operator,0,0,,10,true\n", r"no order rows", None),
    ("no operators", HEADER + "order,1,2,1,,\n", r"no operator rows", None),
    ("zero speed", HEADER + OK_ROWS + "speed,0\n", r"speed: expected a number > 0", 4),
    ("parameter twice", HEADER + OK_ROWS + "beta,1\nbeta,2\n",
     r"a second beta row \(the first is on line 4\)", 5),
    ("parameter cells", HEADER + OK_ROWS + "alpha,1,2\n", r"y: expected an empty cell in a alpha", 4),
    ("unreachable", HEADER + OK_ROWS + "order,50,0,1,,\n", r"order 1 is out of every", 4),
    ("quote", HEADER + 'order,"1,2,1,,\n', r"malformed CSV|expected a number", 2),
]


@pytest.mark.parametrize("label, text, message, line", BAD_CSV, ids=[c[0] for c in BAD_CSV])
def test_every_bad_csv_instance_is_one_input_error_with_its_line(tmp_path, label, text, message, line):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        crew_io.read_instance(path)
    assert info.value.path == str(path) and info.value.line == line


def test_unreadable_instance_files_are_one_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        crew_io.read_instance(tmp_path / "missing.json")
    with pytest.raises(InputError, match="is a directory"):
        crew_io.read_instance(tmp_path)
    (tmp_path / "bin.json").write_bytes(b"{\x00}")
    with pytest.raises(InputError, match="binary content"):
        crew_io.read_instance(tmp_path / "bin.json")


# ---- solutions ---------------------------------------------------------------------------------
def test_a_solution_reads_back_with_its_extra_keys_first(tmp_path):
    instance = generate(9, 3, seed=2)
    schedule = CrewSchedule(instance, witness_routes(instance.orders, instance.hours,
                                                     instance.operators, instance.speed))
    path = tmp_path / "sol.json"
    crew_io.write_solution(schedule, path, solver="witness", seed=2)
    data = json.loads(path.read_text())
    assert list(data)[:2] == ["solver", "seed"]
    assert data["routes"] == [r.tolist() for r in schedule.routes]
    assert data["objective"] == pytest.approx(schedule.objective)
    back = crew_io.read_solution(path, instance)
    assert [r.tolist() for r in back.routes] == data["routes"]
    assert crew_io.claimed_from_dict(data) == {k: data[k] for k in ("objective", "makespan", "activated")}
    assert violations(instance, data["routes"], crew_io.claimed_from_dict(data)) == []


BAD_ROUTES = [
    ({"objective": 1}, r"missing key 'routes'"),
    ({"routes": {"0": [0]}}, r"routes: expected a list of 2 routes"),
    ({"routes": [[0, 1, 2]]}, r"routes: expected 2 routes \(one per operator of tiny\), found 1"),
    ({"routes": [[0], 1]}, r"routes\[1\]: expected a list of order indices, found 1"),
    ({"routes": [[0], [1.0]]}, r"routes\[1\]\[0\]: expected an order index \(an integer\), found 1\.0"),
    ({"routes": [[True], [1]]}, r"routes\[0\]\[0\]: expected an order index \(an integer\), found true"),
    ({"routes": [["0"], [1]]}, r"routes\[0\]\[0\]: expected an order index"),
    ({"routes": [[0], [2]]}, r"routes\[1\]\[0\]: expected an order index in 0\.\.1, found 2"),
    ({"routes": [[-1], [1]]}, r"routes\[0\]\[0\]: expected an order index in 0\.\.1, found -1"),
]


@pytest.mark.parametrize("data, message", BAD_ROUTES)
def test_malformed_routes_are_one_input_error(tmp_path, data, message):
    path = tmp_path / "sol.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message) as info:
        crew_io.read_solution(path, tiny())
    assert info.value.path == str(path)


def test_reading_a_solution_leaves_duplicates_missing_orders_and_capacity_to_the_validator(tmp_path):
    instance = tiny(capacity=[1.0, 1.0])
    path = tmp_path / "sol.json"
    path.write_text(json.dumps({"routes": [[0, 0], []]}))
    schedule = crew_io.read_solution(path, instance)
    assert [r.tolist() for r in schedule.routes] == [[0, 0], []]
    found = violations(instance, [r.tolist() for r in schedule.routes])
    assert "order 0 is served 2 times (operators 0, 0)" in found
    assert "order 1 is served by no operator" in found
    assert any(text.startswith("operator 0 works") for text in found)


def test_claimed_values_must_be_numbers(tmp_path):
    with pytest.raises(InputError, match=r"makespan: expected a number, found \"3\"") as info:
        crew_io.claimed_from_dict({"makespan": "3"}, path=tmp_path / "s.json")
    assert info.value.path == str(tmp_path / "s.json")
    assert crew_io.claimed_from_dict({"objective": None, "other": "x"}) == {}


# ---- recognising the problem -------------------------------------------------------------------
def test_looks_like_crew_recognises_instances_and_never_raises(tmp_path):
    instance = generate(4, 2, seed=0)
    crew_io.write_instance(instance, tmp_path / "i.json")
    crew_io.write_instance(instance, tmp_path / "i.csv")
    (tmp_path / "mrt.json").write_text(json.dumps({"resources": 2, "jobs": []}))
    (tmp_path / "other.csv").write_text("job,m0\n0,3\n")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00kind,")
    (tmp_path / "i.txt").write_text(crew_io.json_text(instance))
    assert crew_io.looks_like_crew(tmp_path / "i.json")
    assert crew_io.looks_like_crew(str(tmp_path / "i.csv"))
    for name in ("mrt.json", "other.csv", "bad.json", "bin.csv", "i.txt", "missing.json"):
        assert not crew_io.looks_like_crew(tmp_path / name), name
    assert not crew_io.looks_like_crew(tmp_path)
    assert not crew_io.looks_like_crew("\x00")
    assert not crew_io.looks_like_crew(None)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.json")
        assert not crew_io.looks_like_crew(tmp_path / "pipe.json")  # returns, never blocks


# ---- the generator -----------------------------------------------------------------------------
def test_the_generator_is_deterministic_and_pinned():
    a, b = generate(20, 5, seed=7), generate(20, 5, seed=7)
    same_instance(a, b)
    assert not np.array_equal(a.orders, generate(20, 5, seed=8).orders)
    # pinned values: a change of the generator (or of numpy's stream) renames every instance
    instance = generate(3, 2, seed=0)
    assert instance.name == "crew_u3x2_s0"
    assert instance.orders.tolist() == [[63.7, 26.98], [4.1, 1.65], [81.33, 91.28]]
    assert instance.hours.tolist() == [2.02, 2.32, 1.86]
    assert instance.capacity.tolist() == [10.4, 8.29]
    assert instance.active.tolist() == [False, True] and instance.beta == 4.13


@pytest.mark.parametrize("n, m, layout", [(1, 1, "uniform"), (1, 7, "clustered"), (3, 10, "uniform"),
                                          (20, 5, "clustered"), (200, 30, "uniform"),
                                          (1000, 100, "clustered"), (100_000, 5, "uniform")])
def test_every_generated_instance_is_feasible_with_room_to_spare(n, m, layout):
    instance = generate(n, m, layout=layout, seed=3)
    assert (instance.n_orders, instance.n_operators) == (n, m)
    assert instance.reachable.all()
    assert instance.active.sum() == (m + 1) // 2
    assert ((0 <= instance.orders) & (instance.orders <= 100)).all()
    assert ((0.5 <= instance.hours) & (instance.hours <= 3)).all()
    assert instance.beta == round(2 * instance.hours.mean(), 2) and instance.alpha == 1
    routes = witness_routes(instance.orders, instance.hours, instance.operators, instance.speed)
    schedule = CrewSchedule(instance, routes)
    assert sorted(np.concatenate(routes).tolist()) == list(range(n))
    assert (schedule.times <= instance.capacity + TOLERANCE).all()
    assert instance.capacity.sum() >= 1.2 * schedule.times.sum() - 1e-6
    if n <= 1000:
        assert violations(instance, [r.tolist() for r in routes]) == []


def test_clustered_orders_are_closer_together_than_uniform_ones():
    def mean_nearest(instance):
        points = instance.orders[:300]
        d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        return d.min(axis=1).mean()

    assert mean_nearest(generate(300, 5, layout="clustered")) < 0.8 * mean_nearest(generate(300, 5))


@pytest.mark.parametrize("args, message", [
    ((0, 3), r"n_orders: expected an integer from 1 to 100,000, found 0"),
    ((100_001, 3), r"n_orders: expected an integer from 1"),
    ((5, 0), r"n_operators: expected an integer from 1"),
    ((5.0, 2), r"n_orders: expected an integer"),
    ((True, 2), r"n_orders: expected an integer"),
])
def test_the_generator_refuses_bad_sizes(args, message):
    with pytest.raises(InputError, match=message):
        generate(*args)


def test_the_generator_refuses_a_bad_layout_or_seed():
    with pytest.raises(InputError, match="layout: expected one of uniform, clustered"):
        generate(5, 2, layout="grid")
    with pytest.raises(InputError, match="seed: expected an integer >= 0"):
        generate(5, 2, seed=-1)


def test_generated_names_regenerate_their_instances():
    for name, layout in (("crew_u200x30_s0", "uniform"), ("crew_c1000x100_s3", "clustered")):
        assert NAME.fullmatch(name)
        instance = instance_from_name(name)
        assert instance.name == name and instance.metadata["layout"] == layout
        same_instance(instance, generate(instance.n_orders, instance.n_operators, layout=layout,
                                         seed=instance.metadata["seed"]))
    assert instance_name(200, 30, "clustered", 4) == "crew_c200x30_s4"
    for text in ("crew_u200x30_s01", "crew_u0200x30_s1", "crew_x20x3_s0", "crew_u20x3", "ta01",
                 "crew_example_8x3"):
        assert instance_from_name(text) is None, text
    with pytest.raises(InputError, match="n_orders: expected an integer from 1 to 100,000"):
        instance_from_name("crew_u200000x3_s0")


# ---- bundled examples --------------------------------------------------------------------------
def test_bundled_examples_resolve_by_name_path_and_suffix():
    names = bundled_instances()
    assert {"crew_example_8x3", "crew_example_12x4", "crew_example_6x2_matrix"} <= set(names)
    assert sum(path.stat().st_size for path in names.values()) < 20_000
    small = load_instance("crew_example_8x3")
    assert (small.n_orders, small.n_operators) == (8, 3)
    same_instance(small, load_instance("crew_example_8x3.json"))
    same_instance(small, load_instance(str(names["crew_example_8x3"])))
    assert names["crew_example_12x4"].suffix == ".csv"
    assert load_instance("crew_example_12x4").n_orders == 12
    assert load_instance("crew_example_6x2_matrix").order_travel is not None
    assert load_instance("crew_c20x5_s1").name == "crew_c20x5_s1"


def test_recognizes_crew_names_and_files_only(tmp_path):
    crew_io.write_instance(generate(3, 2), tmp_path / "i.csv")
    (tmp_path / "crew_u20x5_s0").write_text("not an instance")  # a file wins over the name
    for text in ("crew_u20x5_s0", "crew_c1000x100_s3", "crew_example_8x3", "crew_example_12x4.csv",
                 str(tmp_path / "i.csv")):
        assert recognizes(text), text
    for text in ("ta01", "mrt_d20_test_00000", "crew_u20x5_s01", str(tmp_path / "crew_u20x5_s0"),
                 "", "\x00"):
        assert not recognizes(text), text


def test_an_unknown_name_lists_what_was_expected():
    with pytest.raises(InputError, match=r"nope: no such file, generated name or bundled example; "
                                         r"expected .*crew_u200x30_s0.*crew_example_8x3"):
        load_instance("nope")


def test_the_bundled_files_are_what_make_examples_writes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples",
                                                  ROOT / "instances" / "crew" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.main(tmp_path):
        assert path.read_text() == (ROOT / "instances" / "crew" / path.name).read_text(), path.name
        instance = load_instance(str(path))  # feasible, and the witness fits its capacities
        routes = witness_routes(instance.orders, instance.hours, instance.operators, instance.speed)
        assert violations(instance, [r.tolist() for r in routes]) == []


def test_the_package_data_globs_cover_the_crew_examples():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"crew/*.json"' in text and '"crew/*.csv"' in text


# ---- the validator -----------------------------------------------------------------------------
def test_objective_of_a_hand_computed_solution():
    instance = tiny()
    # operator 0: 5 to order 0, 1 h, 4 to order 1, 2 h = 12; operator 1 (idle) stays put
    assert objective_of(instance, [[0, 1], []]) == (12.0, 12.0, 0)
    # operator 1 (idle, activated): 3 to order 1, 2 h = 5; operator 0: 5 + 1 = 6
    assert objective_of(instance, [[0], [1]]) == (6.0 + 10.0, 6.0, 1)
    assert operator_time(instance, 1, [1, 0]) == 3 + 2 + 4 + 1
    assert check_crew_schedule(instance, [[0], [1]]) == 16.0
    with_matrix = tiny(start_travel=[[1.0, 2.0], [3.0, 4.0]], order_travel=[[0.0, 7.0], [0.5, 0.0]])
    assert operator_time(with_matrix, 0, [0, 1]) == 1 + 1 + 7 + 2
    assert operator_time(with_matrix, 1, [1, 0]) == 4 + 2 + 0.5 + 1


def test_the_validator_names_every_breach():
    instance = tiny(capacity=[6.0, 4.0])
    assert violations(instance, [[0], [1]]) == ["operator 1 works 5.000000 hours (travel plus "
                                                "service), over its capacity 4"]
    assert violations(instance, [[0, 1, 0], []], limit=None) == [
        "order 0 is served 2 times (operators 0, 0)",
        "operator 0 works 17.000000 hours (travel plus service), over its capacity 6"]
    assert violations(instance, [[0, 5], ["x", True]]) == [
        "operator 0, position 1: order 5 out of range 0..1",
        "operator 1, position 0: 'x' is not an order index",
        "operator 1, position 1: True is not an order index",
        "order 1 is served by no operator"]
    assert violations(instance, [[0, 1]]) == ["need 2 routes (one per operator), got 1"]
    assert violations(instance, 5) == ["routes must be a list of routes, each a list of order indices"]
    assert len(violations(instance, [[0] * 30, [1] * 30], limit=None)) == 4
    numpy_indices = [[np.int64(0)], [np.int64(1)]]
    assert violations(instance, numpy_indices) == violations(instance, [[0], [1]])
    with pytest.raises(InfeasibleSchedule, match="tiny: infeasible solution: operator 1 works"):
        check_crew_schedule(instance, [[0], [1]])


def test_capacity_is_kept_with_tolerance():
    instance = tiny(capacity=[6.0, 5.0 - TOLERANCE / 2])
    assert violations(instance, [[0], [1]]) == []
    instance = tiny(capacity=[6.0, 5.0 - 2 * TOLERANCE])
    assert len(violations(instance, [[0], [1]])) == 1


def test_claimed_values_are_compared_with_the_true_ones():
    instance = tiny()
    routes = [[0], [1]]  # objective 16, makespan 6, activated 1
    assert violations(instance, routes, {"objective": 16.0 + 1e-6, "makespan": 6, "activated": 1}) == []
    found = violations(instance, routes, {"objective": 16.1, "makespan": 5, "activated": 0,
                                          "routes": "ignored"})
    assert found == ["claimed objective 16.1 != true objective 16.0",
                     "claimed makespan 5 != true makespan 6.0",
                     "claimed activated 0 != true activated 1"]
    assert violations(instance, routes, {"makespan": "6"}) == ["claimed makespan '6' is not a number"]


# ---- the validator against CrewSchedule on random small instances -----------------------------
COORD = st.sampled_from([0.0, 1.0, 2.5, 3.0, 7.25])  # few values: coincident points are common


@st.composite
def instances_and_routes(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    orders = [[draw(COORD), draw(COORD)] for _ in range(n)]
    operators = [[draw(COORD), draw(COORD)] for _ in range(m)]
    hours = [draw(st.sampled_from([0.0, 0.5, 1.0, 2.75])) for _ in range(n)]
    capacity = [draw(st.sampled_from([0.0, 3.0, 8.0, 100.0])) for _ in range(m)]
    active = [draw(st.booleans()) for _ in range(m)]
    matrices = draw(st.sampled_from(["none", "start", "between", "both"]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    start = rng.uniform(0, 5, (m, n)).round(2) if matrices in ("start", "both") else None
    between = rng.uniform(0, 5, (n, n)).round(2) if matrices in ("between", "both") else None
    instance = CrewInstance("h", orders, hours, operators, capacity, active,
                            speed=draw(st.sampled_from([0.5, 1.0, 3.0])),
                            alpha=draw(st.sampled_from([0.0, 1.0, 2.5])),
                            beta=draw(st.sampled_from([0.0, 1.0, 7.0])),
                            start_travel=start, order_travel=between)
    # every order once, in a random operator and position; sometimes a duplicate or a gap
    owner = [draw(st.integers(0, m - 1)) for _ in range(n)]
    routes = [[] for _ in range(m)]
    for order in draw(st.permutations(range(n))):
        routes[owner[order]].append(order)
    return instance, routes


def slow_route_time(instance, k, route):
    """Leg by leg, as the problem statement says (the explicit matrices where given)."""
    total, here = 0.0, None
    for order in route:
        if here is None:
            total += (instance.start_travel[k, order] if instance.start_travel is not None else
                      math.dist(instance.operators[k], instance.orders[order]) / instance.speed)
        else:
            total += (instance.order_travel[here, order] if instance.order_travel is not None else
                      math.dist(instance.orders[here], instance.orders[order]) / instance.speed)
        total += instance.hours[order]
        here = order
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_and_routes())
def test_the_validator_agrees_with_crew_schedule(case):
    instance, routes = case
    schedule = CrewSchedule(instance, routes)
    objective, makespan, activated = objective_of(instance, routes)
    assert makespan == pytest.approx(schedule.makespan, rel=1e-12, abs=1e-12)
    assert activated == schedule.activated
    assert objective == pytest.approx(schedule.objective, rel=1e-12, abs=1e-12)
    for k, route in enumerate(routes):
        assert operator_time(instance, k, route) == pytest.approx(slow_route_time(instance, k, route),
                                                                  rel=1e-12, abs=1e-12)
    over = [k for k in range(instance.n_operators)
            if slow_route_time(instance, k, routes[k]) > instance.capacity[k] + TOLERANCE]
    found = violations(instance, routes, schedule.to_dict(), limit=None)
    assert found == [f"operator {k} works {operator_time(instance, k, routes[k]):.6f} hours (travel "
                     f"plus service), over its capacity {instance.capacity[k]:g}" for k in over]
    if not over:
        assert check_crew_schedule(instance, routes) == pytest.approx(schedule.objective)


@settings(max_examples=60, deadline=None)
@given(instances_and_routes(), st.data())
def test_the_validator_catches_a_duplicated_or_dropped_order(case, data):
    instance, routes = case
    k = data.draw(st.integers(0, instance.n_operators - 1))
    order = data.draw(st.integers(0, instance.n_orders - 1))
    owner = next(j for j, route in enumerate(routes) if order in route)
    if data.draw(st.booleans()):
        routes[k].append(order)
        expected = f"order {order} is served 2 times (operators {', '.join(map(str, sorted([owner, k])))})"
    else:
        routes[owner].remove(order)
        expected = f"order {order} is served by no operator"
    assert expected in violations(instance, routes, limit=None)
    with pytest.raises(InfeasibleSchedule, match=re.escape(expected)):
        check_crew_schedule(instance, routes)
