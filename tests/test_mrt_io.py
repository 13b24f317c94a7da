"""MRT instance and schedule JSON: round trips and one clear InputError per malformed file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from rewriter.errors import InputError
from rewriter.mrt.generate import RESOURCE_SIZES, dataset_instance
from rewriter.mrt.instance import MrtInstance
from rewriter.mrt.io import (instance_to_dict, read_instance, read_schedule, write_instance,
                             write_schedule)
from rewriter.mrt.problem import MrtProblem
from rewriter.mrt.validate import check_mrt_schedule

from .mrt_strategies import mrt_instances

GOOD = {"name": "tiny", "resources": 2, "capacity": [10, 10], "window": 10,
        "jobs": [{"arrival": 0, "length": 2, "demand": [5, 1]},
                 {"arrival": 1, "length": 12, "demand": [2, 9]}]}


def same(a: MrtInstance, b: MrtInstance) -> bool:
    return (a.name == b.name and a.window == b.window and np.array_equal(a.capacity, b.capacity)
            and np.array_equal(a.arrival, b.arrival) and np.array_equal(a.length, b.length)
            and np.array_equal(a.demand, b.demand))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mrt_instances())
def test_instance_round_trip(tmp_path, instance):
    path = tmp_path / "inst.json"
    write_instance(instance, path)
    assert same(read_instance(path), instance)
    assert json.loads(path.read_text()) == instance_to_dict(instance)


def test_schedule_round_trip_and_validation(tmp_path):
    instance = dataset_instance(10, "test", 2)
    state = MrtProblem(10).initial_state(instance, "sjf")
    path = tmp_path / "sched.json"
    write_schedule(state, path, method="sjf")
    data = json.loads(path.read_text())
    assert data["method"] == "sjf" and data["instance"] == instance.name
    back = read_schedule(path, instance)
    assert back.instance == instance.name
    assert back.starts.tolist() == state.schedule.starts.tolist()
    assert back.ends.tolist() == (back.starts + instance.length).tolist()
    assert check_mrt_schedule(instance, back.starts, back.ends, back.average_slowdown) == pytest.approx(state.cost())
    # start times + instance work too
    write_schedule(state.schedule.starts, tmp_path / "s2.json", instance=instance)
    assert read_schedule(tmp_path / "s2.json").starts.tolist() == back.starts.tolist()


def test_bundled_samples_match_the_generator():
    folder = Path(__file__).resolve().parents[1] / "instances" / "mrt"
    for d in RESOURCE_SIZES:
        inst = read_instance(folder / f"mrt_d{d}_test_00000.json")
        assert same(inst, dataset_instance(d, "test", 0))


def test_defaults_for_capacity_window_and_name(tmp_path):
    data = {k: v for k, v in GOOD.items() if k not in ("capacity", "window", "name")}
    path = tmp_path / "noname.json"
    path.write_text(json.dumps(data))
    inst = read_instance(path)
    assert inst.name == "noname" and inst.capacity.tolist() == [10, 10] and inst.window == 10


def _bad(tmp_path, data, text=None) -> InputError:
    path = tmp_path / "bad.json"
    path.write_text(text if text is not None else json.dumps(data))
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert str(path) in str(info.value)
    return info.value


def _job(**change):
    job = dict(GOOD["jobs"][0])
    job.update(change)
    return {**GOOD, "jobs": [job, GOOD["jobs"][1]]}


@pytest.mark.parametrize("data, words", [
    ({k: v for k, v in GOOD.items() if k != "jobs"}, ["missing key 'jobs'"]),
    ({k: v for k, v in GOOD.items() if k != "resources"}, ["missing key 'resources'"]),
    ({**GOOD, "jobs": [{"arrival": 0, "demand": [1, 1]}]}, ["jobs[0]", "missing key 'length'"]),
    ({**GOOD, "resources": "2"}, ["'resources'", "expected an integer", '"2"']),
    ({**GOOD, "window": 1.5}, ["'window'", "expected an integer"]),
    (_job(arrival="soon"), ["jobs[0].arrival", "expected an integer"]),
    (_job(length=True), ["jobs[0].length", "expected an integer"]),
    (_job(demand=[1, 2, 3]), ["jobs[0].demand", "expected 2 values", "found 3"]),
    (_job(demand=5), ["jobs[0].demand", "expected a list of integers"]),
    (_job(length=-3), ["jobs[0].length", "expected an integer >= 1", "-3"]),
    (_job(length=0), ["jobs[0].length", ">= 1"]),
    (_job(arrival=-1), ["jobs[0].arrival", ">= 0"]),
    (_job(demand=[11, 1]), ["jobs[0].demand[0]", "exceeds the capacity 10"]),
    (_job(demand=[-1, 1]), ["jobs[0].demand[0]", ">= 0"]),
    ({**GOOD, "capacity": [10]}, ["capacity", "expected 2 values"]),
    ({**GOOD, "capacity": [10, 0]}, ["capacity[1]", "expected an integer >= 1", "found 0"]),
    ({**GOOD, "jobs": []}, ["'jobs'", "non-empty list"]),
    ({**GOOD, "jobs": [1, 2]}, ["jobs[0]", "expected an object"]),
    ({**GOOD, "name": ""}, ["'name'", "non-empty string"]),
    ([1, 2], ["expected a JSON object"]),
])
def test_malformed_instance_files(tmp_path, data, words):
    err = _bad(tmp_path, data)
    for word in words:
        assert word in str(err), (word, str(err))


def test_bad_json_names_the_line(tmp_path):
    text = '{"name": "x", "resources": 2,\n "jobs": [\n  {"arrival": 0, "length": 2 "demand": [1, 1]}\n]}\n'
    err = _bad(tmp_path, None, text)
    assert err.line == 3 and "invalid JSON" in str(err) and ", line 3:" in str(err)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_instance(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="binary content"):
        read_instance(tmp_path / "bin.json")


@pytest.mark.parametrize("data, words", [
    ({"instance": "x"}, ["missing key 'jobs'"]),
    ({"jobs": [{"job": 0, "start": "0"}]}, ["jobs[0].start", "expected an integer"]),
    ({"jobs": [{"job": 0, "start": 0}, {"job": 0, "start": 1}]}, ["job 0 appears twice"]),
    ({"jobs": [{"job": 5, "start": 0}]}, ["jobs[0].job", "0..0"]),
    ({"jobs": [{"start": 0}]}, ["jobs[0]", "missing key 'job'"]),
    ({"jobs": [{"job": 0, "start": -2}]}, ["jobs[0].start", ">= 0"]),
    ({"average_slowdown": "low", "jobs": [{"job": 0, "start": 0}]}, ["'average_slowdown'", "number"]),
])
def test_malformed_schedule_files(tmp_path, data, words):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        read_schedule(path)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_schedule_file_checked_against_instance(tmp_path):
    inst = read_instance_from(GOOD, tmp_path)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"jobs": [{"job": 0, "start": 0, "end": 3}, {"job": 1, "start": 2, "end": 14}]}))
    with pytest.raises(InputError, match=r"jobs\[0\].end: expected start \+ length = 2, found 3"):
        read_schedule(path, inst)
    path.write_text(json.dumps({"jobs": [{"job": 0, "start": 0}]}))
    with pytest.raises(InputError, match="1 entries but instance tiny has 2 jobs"):
        read_schedule(path, inst)


def read_instance_from(data, tmp_path) -> MrtInstance:
    path = tmp_path / "i.json"
    path.write_text(json.dumps(data))
    return read_instance(path)
