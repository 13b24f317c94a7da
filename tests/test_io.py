"""Instance readers and writers: round trips in every format, and one clear InputError per bad input."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.errors import InputError
from rewriter.jssp.generate import random_instance, random_instances
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.io import (instance_from_dict, instance_to_dict, read_instance, read_npy_instances,
                              write_json, write_standard)

FT06 = """\
6 6
2  1  0  3  1  6  3  7  5  3  4  6
1  8  2  5  4 10  5 10  0 10  3  4
2  5  3  4  5  8  0  9  1  1  4  7
1  5  0  5  2  5  3  3  4  8  5  9
2  9  1  3  4  5  5  4  0  3  3  1
1  3  3  3  5  9  0 10  4  4  2  1
"""


# ---- strategies and helpers ---------------------------------------------------------------------
@st.composite
def instances(draw, max_jobs=7, max_machines=7, max_duration=2000, shape=None):
    """Random instances; routes are arbitrary (re-entrant routes are valid instances)."""
    n, m = shape or (draw(st.integers(1, max_jobs)), draw(st.integers(1, max_machines)))
    durations = draw(st.lists(st.lists(st.integers(1, max_duration), min_size=m, max_size=m),
                              min_size=n, max_size=n))
    machines = draw(st.lists(st.lists(st.integers(0, m - 1), min_size=m, max_size=m),
                             min_size=n, max_size=n))
    name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True))
    return JobShopInstance(name, np.array(durations), np.array(machines))


def same(a: JobShopInstance, b: JobShopInstance) -> bool:
    return (a.name == b.name and np.array_equal(a.durations, b.durations)
            and np.array_equal(a.machines, b.machines) and a.lower_bound == b.lower_bound
            and a.upper_bound == b.upper_bound and a.optimal == b.optimal and a.metadata == b.metadata)


def taillard_text(inst: JobShopInstance, header: bool, extras=()) -> str:
    """Taillard's format: durations block, then machines block numbered from 1."""
    rows = lambda matrix: [" ".join(f"{x:4d}" for x in row) for row in matrix.tolist()]
    values = " ".join(str(x) for x in (inst.n_jobs, inst.n_machines, *extras))
    if header:
        lines = ["Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound",
                 "   " + values, "Times", *rows(inst.durations), "Machines", *rows(inst.machines + 1)]
    else:
        lines = [values, *rows(inst.durations), *rows(inst.machines + 1)]
    return "\n".join(lines) + "\n"


def bad(tmp_path, content, filename="bad.txt") -> InputError:
    """Write ``content`` (str or bytes) to a file and return the InputError reading it raises."""
    path = tmp_path / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert filename in str(info.value)
    return info.value


def replace_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


# ---- round trips --------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(instances())
def test_standard_round_trip(inst):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{inst.name}.txt"
        write_standard(inst, path)
        assert path.read_text().startswith(f"# {inst.name}\n")
        assert same(read_instance(path), inst)


@settings(max_examples=40, deadline=None)
@given(instances(), st.none() | st.integers(1, 5000), st.integers(0, 200), st.booleans(),
       st.dictionaries(st.sampled_from(["source", "note", "seed"]), st.integers() | st.text(max_size=8)))
def test_json_round_trip(inst, lower, extra, optimal, metadata):
    inst.lower_bound = lower
    inst.upper_bound = None if lower is None else lower + extra
    inst.optimal = optimal
    inst.metadata = metadata
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "other_name.json"
        write_json(inst, path)
        assert same(read_instance(path), inst)
    assert same(instance_from_dict(json.loads(json.dumps(instance_to_dict(inst)))), inst)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.data())
def test_npy_round_trip(n, m, count, data):
    insts = [data.draw(instances(shape=(n, m))) for _ in range(count)]
    array = np.stack([np.stack([i.durations, i.machines + 1]) for i in insts])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.npy"
        np.save(path, array)
        loaded = read_npy_instances(path)
        assert len(loaded) == len(insts)
        for k, (got, want) in enumerate(zip(loaded, insts)):
            assert got.name == f"batch_{k}"
            assert np.array_equal(got.durations, want.durations)
            assert np.array_equal(got.machines, want.machines)
        k = data.draw(st.integers(0, len(insts) - 1))
        assert np.array_equal(read_instance(path, index=k).durations, insts[k].durations)
        assert read_instance(path, index=k).name == f"batch_{k}"
        single = Path(tmp) / "single.npy"
        np.save(single, array[0])  # the (2, n, m) form
        assert np.array_equal(read_instance(single).machines, insts[0].machines)


@settings(max_examples=40, deadline=None)
@given(instances(), st.booleans(), st.sampled_from([(), (12, 34), (12, 34, 900, 800)]))
def test_taillard_round_trip(inst, header, extras):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{inst.name}.txt"
        path.write_text(taillard_text(inst, header, extras))
        got = read_instance(path)
        assert got.name == inst.name
        assert np.array_equal(got.durations, inst.durations)
        assert np.array_equal(got.machines, inst.machines)
        if len(extras) == 4:
            assert (got.upper_bound, got.lower_bound, got.optimal) == (900, 800, False)
            assert got.metadata == {"time_seed": 12, "machine_seed": 34}
        else:
            assert got.upper_bound is None and got.lower_bound is None


def test_taillard_multi_block_file(tmp_path):
    a, b = random_instances(2, 3, 4, seed=1)
    path = tmp_path / "tai.txt"
    path.write_text(taillard_text(a, True, (1, 2, 50, 50)) + "\n" + taillard_text(b, True))
    first, second = read_instance(path, index=0), read_instance(path, index=1)
    assert first.name == "tai_0" and second.name == "tai_1"
    assert np.array_equal(second.durations, b.durations) and first.optimal
    with pytest.raises(InputError, match="index 2 out of range"):
        read_instance(path, index=2)


def test_comments_description_and_blank_lines(tmp_path):
    path = tmp_path / "ft06.txt"
    path.write_text("# a comment\n\n Fisher and Thompson 6x6 instance, alternate name (mt06)\n"
                    + FT06 + "\n\n")
    inst = read_instance(path)
    assert inst.shape == (6, 6) and inst.name == "ft06"
    assert inst.metadata["description"].startswith("Fisher and Thompson")
    assert inst.durations[0].tolist() == [1, 3, 6, 7, 3, 6]
    assert read_instance(path, name="other").name == "other"


def test_reentrant_routes_are_allowed(tmp_path):
    path = tmp_path / "re.txt"
    path.write_text("2 3\n0 5 0 6 1 7\n2 1 2 2 2 3\n")
    assert read_instance(path).machines.tolist() == [[0, 0, 1], [2, 2, 2]]


def test_json_metadata_bounds(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"name": "x1", "duration_matrix": [[1, 2]], "machines_matrix": [[1, 0]],
                                "metadata": {"optimum": 3}}))
    inst = read_instance(path)
    assert (inst.name, inst.lower_bound, inst.upper_bound, inst.optimal) == ("x1", 3, 3, True)
    path.write_text(json.dumps({"duration_matrix": [[1, 2]], "machines_matrix": [[1, 0]],
                                "metadata": {"upper_bound": 5, "lower_bound": 3}}))
    inst = read_instance(path)
    assert (inst.name, inst.lower_bound, inst.upper_bound, inst.optimal) == ("x", 3, 5, False)


def test_writers_are_atomic_and_leave_no_temp_files(tmp_path):
    inst = random_instance(3, 3, seed=0)
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_standard(inst, target)
    write_json(inst, tmp_path / "out.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.txt"]
    assert same(read_instance(target, name=inst.name), JobShopInstance(inst.name, inst.durations, inst.machines))


# ---- bad input ----------------------------------------------------------------------------------
def test_letter_where_a_number_belongs(tmp_path):
    err = bad(tmp_path, replace_line(FT06, 4, "2  5  3  x3  5  8  0  9  1  1  4  7"), "foo.txt")
    assert str(err) == "foo.txt, line 4: expected an integer duration, found 'x3'".replace(
        "foo.txt", str(tmp_path / "foo.txt"))
    err = bad(tmp_path, replace_line(FT06, 3, "1  8  2  5  y  10  5 10  0 10  3  4"))
    assert "line 3" in str(err) and "expected an integer machine index, found 'y'" in str(err)
    err = bad(tmp_path, replace_line(FT06, 1, "6 six"))
    assert "line 1" in str(err) and "number of machines" in str(err)


def test_too_few_rows(tmp_path):
    text = "\n".join(FT06.splitlines()[:5]) + "\n"
    err = bad(tmp_path, text)
    assert err.line == 5 and "expected 6 job rows, found 4" in str(err) and "ends" in str(err)


def test_row_with_wrong_number_of_values(tmp_path):
    err = bad(tmp_path, replace_line(FT06, 3, "1  8  2  5  4 10  5 10  0 10  3"))
    assert err.line == 3 and "expected 12 values" in str(err) and "found 11" in str(err)
    # A bad first row cannot be told apart from the other format: the message names both.
    err = bad(tmp_path, replace_line(FT06, 2, "2 1 0 3"))
    assert err.line == 2 and "standard" in str(err) and "Taillard" in str(err)


@pytest.mark.parametrize("row, found", [("2  1  0  3  1  6  3  7  5  3  6  6", "6"),
                                        ("2  1  0  3  1  6  3  7  5  3  -1  6", "-1")])
def test_machine_index_out_of_range(tmp_path, row, found):
    err = bad(tmp_path, replace_line(FT06, 2, row))
    assert err.line == 2 and f"machine index {found} out of range; expected 0..5" in str(err)


def test_taillard_machine_numbered_from_zero_is_out_of_range(tmp_path):
    inst = random_instance(3, 3, seed=2)
    text = taillard_text(JobShopInstance("t", inst.durations, inst.machines), header=False)
    text = replace_line(text, 6, "0 1 2")  # the second machine row, numbered from 0 by mistake
    err = bad(tmp_path, text)
    assert err.line == 6
    assert "expected 1..3" in str(err)


def test_zero_duration_is_allowed(tmp_path):
    path = tmp_path / "zero.txt"
    path.write_text(replace_line(FT06, 5, "2  9  1  3  4  0  5  4  0  3  3  1"))
    assert read_instance(path).durations[3, 2] == 0


@pytest.mark.parametrize("value", ["-1", "-4"])
def test_negative_duration(tmp_path, value):
    err = bad(tmp_path, replace_line(FT06, 5, f"2  9  1  3  4  {value}  5  4  0  3  3  1"))
    assert err.line == 5 and f"expected a non-negative duration, found {value}" in str(err)


@pytest.mark.parametrize("content, message", [("", "empty"), ("\n  \n", "empty"),
                                              ("# only a comment\n", "only comments")])
def test_empty_file(tmp_path, content, message):
    assert message in str(bad(tmp_path, content))


@pytest.mark.parametrize("content", [b"6 6\n\x00\x01\x02", b"6 6\n2 1 \xff\xfe 3\n", b"\x89PNG\r\n\x1a\n\x00"])
def test_binary_file(tmp_path, content):
    err = bad(tmp_path, content, "blob.bin")
    assert "binary" in str(err) or "UTF-8" in str(err)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file") as info:
        read_instance(tmp_path / "nope.txt")
    assert "nope.txt" in str(info.value)
    with pytest.raises(InputError, match="is a directory") as info:
        read_instance(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_trailing_content_is_an_error(tmp_path):
    err = bad(tmp_path, FT06 + "1 2 3\n")
    assert err.line == 8 and "unexpected content after the 6x6 instance" in str(err)
    # A header saying 5 jobs for 6 rows is the same mistake.
    err = bad(tmp_path, replace_line(FT06, 1, "5 6"))
    assert err.line == 7


def test_description_needs_a_valid_header_after_it(tmp_path):
    err = bad(tmp_path, "some words\n6 6 6\n" + "\n".join(FT06.splitlines()[1:]))
    assert err.line == 1 and "expected 'n m'" in str(err)


def test_standard_header_with_extra_numbers(tmp_path):
    err = bad(tmp_path, replace_line(FT06, 1, "6 6 55"))
    assert err.line == 2 and "only valid for Taillard" in str(err)


def test_taillard_header_form_errors(tmp_path):
    inst = random_instance(2, 3, seed=3)
    text = taillard_text(inst, header=True)
    err = bad(tmp_path, text.replace("Machines\n", ""))
    assert "expected a 'Machines' line" in str(err) and err.line == 6
    err = bad(tmp_path, text.replace("Times", "Tmes"))
    assert "expected a 'Times' line" in str(err) and err.line == 3
    err = bad(tmp_path, "\n".join(text.splitlines()[:5]))
    assert "ends" in str(err) and err.line == 5


def test_bad_json(tmp_path):
    err = bad(tmp_path, '{"name": "x",\n "duration_matrix": [[1, 2],\n', "x.json")
    assert "invalid JSON" in str(err) and err.line == 3
    err = bad(tmp_path, '{"name": "x",\n "duration_matrix": [[1, 2]] oops}', "y.json")
    assert err.line == 2


@pytest.mark.parametrize("obj, message", [
    ({"name": "x", "duration_matrix": [[1, 2]]}, "missing key 'machines_matrix'"),
    ({"name": "x"}, "missing keys 'duration_matrix', 'machines_matrix'"),
    ([1, 2], "expected a JSON object"),
    ({"duration_matrix": [[1, 2], [3]], "machines_matrix": [[0, 1], [1]]}, "row 1 has 1 values, expected 2"),
    ({"duration_matrix": [[1, 2]], "machines_matrix": [[0, 1], [1, 0]]}, "expected the same shape"),
    ({"duration_matrix": [], "machines_matrix": []}, "non-empty list"),
    ({"duration_matrix": [[1, "2"]], "machines_matrix": [[0, 1]]}, "expected an integer, found '2'"),
    ({"duration_matrix": [[1, 2.5]], "machines_matrix": [[0, 1]]}, "expected an integer, found 2.5"),
    ({"duration_matrix": [[1, True]], "machines_matrix": [[0, 1]]}, "expected an integer, found True"),
    ({"duration_matrix": [[1, -2]], "machines_matrix": [[0, 1]]}, "expected a non-negative duration"),
    ({"duration_matrix": [[1, 2]], "machines_matrix": [[0, 2]]}, "expected a machine index in 0..1"),
    ({"duration_matrix": [[1]], "machines_matrix": [[0]], "metadata": [1]}, "'metadata' must be an object"),
    ({"duration_matrix": [[1]], "machines_matrix": [[0]], "metadata": {"optimum": "7"}}, "must be an integer"),
    ({"duration_matrix": [[1]], "machines_matrix": [[0]], "name": 5}, "'name' must be"),
])
def test_json_with_bad_content(tmp_path, obj, message):
    assert message in str(bad(tmp_path, json.dumps(obj), "bad.json"))


@pytest.mark.parametrize("array, message", [
    (np.ones((3, 4, 4), dtype=np.int64), "shape (N, 2, n, m) or (2, n, m), found (3, 4, 4)"),
    (np.ones((2, 4), dtype=np.int64), "found (2, 4)"),
    (np.ones((1, 3, 2, 2), dtype=np.int64), "found (1, 3, 2, 2)"),
    (np.full((2, 2, 2), 1.5), "expected integer durations and machines"),
    (np.array([[[1, 2]], [[0, 1]]]), "expected machines numbered 1..2, found 0"),
    (np.array([[[1, -3]], [[1, 2]]]), "expected non-negative durations, found -3"),
])
def test_npy_with_bad_content(tmp_path, array, message):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert message in str(info.value) and "bad.npy" in str(info.value)


def test_npy_damaged_and_index(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.ones((2, 2, 3, 3), dtype=np.int64))
    with pytest.raises(InputError, match="index 5 out of range: the file holds 2 instances"):
        read_instance(path, index=5)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(InputError, match="cannot read the .npy array"):
        read_instance(path)
    with pytest.raises(InputError, match="index 1 out of range"):
        read_instance(_write(tmp_path / "one.txt", FT06), index=1)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- generator ----------------------------------------------------------------------------------
def test_generator_is_seeded_and_in_range():
    a, b = random_instance(15, 10, seed=7), random_instance(15, 10, seed=7)
    assert a.name == "rand_15x10_s7" and a.shape == (15, 10)
    assert np.array_equal(a.durations, b.durations) and np.array_equal(a.machines, b.machines)
    assert not np.array_equal(a.durations, random_instance(15, 10, seed=8).durations)
    assert a.durations.min() >= 1 and a.durations.max() <= 99
    assert all(sorted(row) == list(range(10)) for row in a.machines.tolist())
    narrow = random_instance(20, 20, seed=1, low=5, high=6, name="n")
    assert narrow.name == "n" and set(np.unique(narrow.durations)) == {5, 6}
    batch = random_instances(3, 4, 5, seed=2)
    assert [i.name for i in batch] == ["rand_4x5_s2_0", "rand_4x5_s2_1", "rand_4x5_s2_2"]
    assert all(np.array_equal(x.durations, y.durations) for x, y in zip(batch, random_instances(3, 4, 5, seed=2)))
    assert not np.array_equal(batch[0].durations, batch[1].durations)
    with pytest.raises(InputError):
        random_instance(0, 3)
    with pytest.raises(InputError):
        random_instance(3, 3, low=5, high=4)
