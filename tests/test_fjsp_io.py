"""Flexible job-shop input: FJSPLIB/JSON/CSV round trips, one clear InputError per bad input, the
bundled FJSPLIB benchmarks with their bounds, names (bundled, generated, jssp:) and the generators."""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.errors import InputError
from rewriter.fjsp import generate
from rewriter.fjsp.bundled import (bundled_instances, expand_instance_names, load_instance,
                                   resolve_instance_path)
from rewriter.fjsp.generate import (COMPAT_SIZES, PROD_SIZES, compatibility_instance, evaluation_names,
                                    generated_instance, production_instance)
from rewriter.fjsp.instance import NO_DUE, FlexibleInstance
from rewriter.fjsp.io import (from_job_shop, instance_from_dict, parse_csv, parse_fjsplib, read_instance,
                              write_csv, write_fjsplib, write_json)

DATA = Path(str(files("rewriter.instances") / "fjsp"))
ROOT = Path(__file__).resolve().parents[1]
ROWS = {row["name"]: row for row in csv.DictReader(open(DATA / "bounds.csv", encoding="utf-8"))}

MK_LIKE = """\
3 4 1.67
2  2 1 5 3 4  1 2 7
1  3 1 3 2 3 4 6
3  1 4 2  2 1 6 2 5  1 3 9
"""


# ---- strategies and helpers ---------------------------------------------------------------------
@st.composite
def flexible_instances(draw, single_operation=False, defaults=False):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    jobs = []
    for _ in range(n):
        ops = []
        for _ in range(1 if single_operation else draw(st.integers(1, 4))):
            machines = draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True))
            ops.append([(mach, draw(st.integers(0, 10_000))) for mach in machines])
        jobs.append(ops)
    extra = {}
    if not defaults:
        extra["release"] = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
        extra["due"] = draw(st.lists(st.integers(NO_DUE, 5000), min_size=n, max_size=n))
        extra["weight"] = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True))
    return FlexibleInstance.from_lists(name, m, jobs, **extra)


def same_problem(a: FlexibleInstance, b: FlexibleInstance, ordered: bool = True) -> bool:
    """The same jobs, operations, eligible (machine, duration) pairs, release/due/weight; the pairs'
    order within an operation only when ``ordered`` (a CSV matrix lists machines in column order)."""
    lists = (lambda inst: inst.to_lists()) if ordered else \
        (lambda inst: [[sorted(options) for options in job] for job in inst.to_lists()])
    return (a.n_machines == b.n_machines and lists(a) == lists(b)
            and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("release", "due", "weight")))


def bad(tmp_path, text: str, suffix=".txt", name="bad") -> InputError:
    """The one InputError reading ``text`` gives; it names the file."""
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert info.value.path == str(path)
    return info.value


# ---- FJSPLIB ------------------------------------------------------------------------------------
def test_fjsplib_reads_the_documented_example(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(MK_LIKE)
    inst = read_instance(path)
    assert inst.name == "tiny" and inst.n_jobs == 3 and inst.n_machines == 4 and inst.n_operations == 6
    assert inst.to_lists() == [[[(0, 5), (2, 4)], [(1, 7)]], [[(0, 3), (1, 3), (3, 6)]],
                               [[(3, 2)], [(0, 6), (1, 5)], [(2, 9)]]]
    assert read_instance(path, name="other").name == "other"


def test_fjsplib_header_forms_blank_lines_and_tabs():
    for header in ("3 4", "3 4 2", "3\t4\t1.15", "3 4 .5"):
        text = header + "\n\n" + MK_LIKE.split("\n", 1)[1].replace("  ", "\t") + "\n\n"
        assert parse_fjsplib(text).to_lists() == parse_fjsplib(MK_LIKE).to_lists()
    assert parse_fjsplib("1 1\r\n1 1 1 0\r\n").to_lists() == [[[(0, 0)]]]  # CRLF, zero duration


@settings(max_examples=60, deadline=None)
@given(flexible_instances(defaults=True))
def test_fjsplib_round_trip(inst):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inst.fjs"
        write_fjsplib(inst, path)
        back = read_instance(path)
    assert same_problem(inst, back) and back.name == "inst"


@pytest.mark.parametrize("text, line, words", [
    ("", None, "empty"),
    ("\n  \n", None, "empty"),
    ("3\n", 1, "header"),
    ("3 4 2 7\n", 1, "header"),
    ("3 x\n", 1, "number of machines"),
    ("+3 4\n", 1, "number of jobs"),
    ("1_0 4\n", 1, "number of jobs"),
    ("\uff13 4\n", 1, "number of jobs"),
    ("3 4 avg\n", 1, "average"),
    ("3 4 1.2.3\n", 1, "average"),
    ("0 4\n", 1, "at least one job"),
    ("1 0\n1 1 1 3\n", 1, "at least one job"),
    ("2 2\n1 1 1 3\n", 2, "expected 2 job lines"),
    ("1 2\n1 1 1 3\n\n1 1 2 4\n", 4, "found more"),
    ("1 2\n0\n", 2, "at least one operation"),
    ("1 2\n1 0\n", 2, "at least one eligible machine"),
    ("1 2\n1 3 1 1 2 2 1 1\n", 2, "only 2"),
    ("1 2\n1 1 0 5\n", 2, "machine 0 out of range"),
    ("1 2\n1 1 3 5\n", 2, "machine 3 out of range"),
    ("1 2\n1 2 1 5 1 6\n", 2, "listed twice"),
    ("1 2\n1 1 1 -5\n", 2, "non-negative duration"),
    ("1 2\n1 1 1 2.5\n", 2, "expected integers"),
    ("1 2\n1 1 1 +5\n", 2, "expected integers"),
    ("1 2\n2 1 1 5\n", 2, "line ends"),
    ("1 2\n1 2 1 5\n", 2, "line ends"),
    ("1 2\n1 1 1 5 7\n", 2, "left over"),
    ("1 2\n\n\n1 1 1 99999999999999\n", 4, "too large"),
])
def test_fjsplib_bad_input(tmp_path, text, line, words):
    error = bad(tmp_path, text)
    assert error.line == line and words in error.reason, error


def test_fjsplib_binary_and_encoding_and_missing(tmp_path):
    assert "NUL" in bad(tmp_path, b"2 2\x00\n").reason
    error = bad(tmp_path, b"1 1\n1 1 1 \xff\n")
    assert error.line == 2 and "UTF-8" in error.reason
    with pytest.raises(InputError, match="no such file"):
        read_instance(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="directory"):
        read_instance(tmp_path)


def test_a_job_shop_file_is_refused_with_a_hint(tmp_path):
    from rewriter.jssp.bundled import resolve_instance_path as jssp_path

    path = tmp_path / "ft06.txt"
    shutil.copyfile(jssp_path("ft06"), path)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert f"jssp:{path}" in str(info.value) and info.value.line is not None
    inst = load_instance(f"jssp:{path}")
    assert inst.n_jobs == 6 and inst.lower_bound is None  # a copy is not trusted to share bounds


def test_write_fjsplib_refuses_release_due_weight(tmp_path):
    base = [[[(0, 3)]], [[(0, 4), (1, 2)]]]
    for extra in ({"release": [0, 5]}, {"due": [NO_DUE, 9]}, {"weight": [1, 2]}):
        inst = FlexibleInstance.from_lists("x", 2, base, **extra)
        with pytest.raises(InputError, match="FJSPLIB format cannot hold"):
            write_fjsplib(inst, tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


# ---- JSON ---------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(flexible_instances(), st.integers(0, 500), st.integers(0, 500), st.booleans(), st.booleans())
def test_json_round_trip(inst, lower, extra, with_bounds, optimal):
    if with_bounds:
        inst.lower_bound, inst.upper_bound, inst.optimal = lower, lower + extra, optimal
    inst.metadata = {"source": "test", "tags": [1, "a"], "nested": {"k": None}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inst.json"
        write_json(inst, path)
        back = read_instance(path)
        text_path = Path(tmp) / "other.data"  # detected by content
        text_path.write_text(path.read_text())
        again = read_instance(text_path)
    assert same_problem(inst, back) and same_problem(inst, again)
    assert (back.name, back.lower_bound, back.upper_bound, back.optimal, back.metadata) == \
        (inst.name, inst.lower_bound, inst.upper_bound, inst.optimal, inst.metadata)


def test_json_minimal_form_and_defaults():
    inst = instance_from_dict({"n_machines": 2, "jobs": [{"operations": [[[1, 4]]]}]}, default_name="mini")
    assert inst.name == "mini" and inst.to_lists() == [[[(1, 4)]]]
    assert (inst.release[0], inst.due[0], inst.weight[0]) == (0, NO_DUE, 1)
    assert inst.lower_bound is None and not inst.optimal
    exact = instance_from_dict({"n_machines": 1, "jobs": [{"operations": [[[0, 4]]]}],
                                "lower_bound": 4, "upper_bound": 4})
    assert exact.optimal


def _one_op(*pairs):
    """A two-machine instance whose one job has one operation with these [machine, duration] pairs."""
    return {"n_machines": 2, "jobs": [_json_job(operations=[[list(p) for p in pairs]])]}


def _json_job(**changes):
    job = {"operations": [[[0, 3], [1, 4]], [[1, 5]]], "release": 0, "due": None, "weight": 1}
    job.update(changes)
    return job


@pytest.mark.parametrize("data, words", [
    ([], "expected a JSON object"),
    ({"jobs": [_json_job()]}, "missing key 'n_machines'"),
    ({"n_machines": 2}, "missing key 'jobs'"),
    ({"n_machines": 2, "jobs": [_json_job()], "jbos": 1}, "unknown key 'jbos'"),
    ({"n_machines": True, "jobs": [_json_job()]}, "n_machines: expected an integer"),
    ({"n_machines": 2.0, "jobs": [_json_job()]}, "n_machines: expected an integer"),
    ({"n_machines": 0, "jobs": [_json_job()]}, "n_machines: expected an integer >= 1"),
    ({"name": "", "n_machines": 2, "jobs": [_json_job()]}, "name: expected a non-empty string"),
    ({"name": 5, "n_machines": 2, "jobs": [_json_job()]}, "name: expected a non-empty string"),
    ({"n_machines": 2, "jobs": []}, "jobs: expected a non-empty list"),
    ({"n_machines": 2, "jobs": {}}, "jobs: expected a non-empty list"),
    ({"n_machines": 2, "jobs": [_json_job(), 3]}, "jobs[1]: expected an object"),
    ({"n_machines": 2, "jobs": [{"ops": []}]}, "jobs[0]: unknown key 'ops'"),
    ({"n_machines": 2, "jobs": [{"release": 1}]}, "jobs[0]: missing key 'operations'"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[])]}, "jobs[0].operations: expected a non-empty list"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[[[0, 1]], []])]},
     "jobs[0].operations[1]: expected a non-empty list"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[[[0, 1, 2]]])]}, "jobs[0].operations[0][0]: expected a [machine"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[[{"m": 0}]])]}, "jobs[0].operations[0][0]: expected a [machine"),
    ({"n_machines": 2, "jobs": [_json_job(), _json_job(operations=[[[0, 1]], [[True, 1]]])]},
     "jobs[1].operations[1][0][0]: expected an integer"),
    (_one_op((2, 1)), "jobs[0].operations[0][0][0]: machine 2 out of range"),
    (_one_op((-1, 1)), "jobs[0].operations[0][0][0]: expected an integer >= 0"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[[[0, 1], [1, 2], [0, 3]]])]},
     "jobs[0].operations[0][2][0]: machine 0 is listed twice"),
    (_one_op((0, -1)), "jobs[0].operations[0][0][1]: expected an integer >= 0"),
    (_one_op((0, 1.5)), "jobs[0].operations[0][0][1]: expected an integer"),
    (_one_op((0, "3")), "jobs[0].operations[0][0][1]: expected an integer"),
    ({"n_machines": 2, "jobs": [_json_job(operations=[[[0, 2 ** 50]]])]}, "jobs[0].operations[0][0][1]"),
    ({"n_machines": 2, "jobs": [_json_job(release=-1)]}, "jobs[0].release: expected an integer >= 0"),
    ({"n_machines": 2, "jobs": [_json_job(release=None)]}, "jobs[0].release: expected an integer"),
    ({"n_machines": 2, "jobs": [_json_job(due=-1)]}, "jobs[0].due: expected an integer >= 0 or null"),
    ({"n_machines": 2, "jobs": [_json_job(due=False)]}, "jobs[0].due: expected an integer or null"),
    ({"n_machines": 2, "jobs": [_json_job(weight="1")]}, "jobs[0].weight: expected an integer"),
    ({"n_machines": 2, "jobs": [_json_job()], "lower_bound": 5, "upper_bound": 4}, "lower_bound: the lower bound 5"),
    ({"n_machines": 2, "jobs": [_json_job()], "upper_bound": 4.5}, "upper_bound: expected an integer"),
    ({"n_machines": 2, "jobs": [_json_job()], "optimal": 1}, "optimal: expected true or false"),
    ({"n_machines": 2, "jobs": [_json_job()], "metadata": []}, "metadata: expected an object"),
    ({"name": "ft", "duration_matrix": [[1]], "machines_matrix": [[0]]}, "classic job-shop JSON"),
])
def test_json_bad_input(tmp_path, data, words):
    error = bad(tmp_path, json.dumps(data), suffix=".json")
    assert words in error.reason and error.line is None, error


def test_json_syntax_errors_name_the_line(tmp_path):
    error = bad(tmp_path, '{\n "n_machines": 2,\n "jobs": [\n  {"operations": [[[0, 1]]],}\n ]\n}\n', suffix=".json")
    assert error.line == 4 and "invalid JSON" in error.reason
    error = bad(tmp_path, '{"n_machines": 2, "jobs": [], "n_machines": 3}', suffix=".json")
    assert "appears twice" in error.reason
    error = bad(tmp_path, '{"n_machines": 2, "jobs": [{"operations": [[[0, NaN]]]}]}', suffix=".json")
    assert "jobs[0].operations[0][0][1]" in error.reason


# ---- CSV ----------------------------------------------------------------------------------------
CSV_EXAMPLE = """\
job,M1,M2,M3,release,due,weight
a,5,-1,7,0,20,1
b,-1,3,3,2,,2
c,4,4,-1,0,-1,1
"""


def test_csv_reads_the_documented_example(tmp_path):
    path = tmp_path / "cm.csv"
    path.write_text(CSV_EXAMPLE)
    inst = read_instance(path)
    assert inst.name == "cm" and inst.n_machines == 3 and inst.n_jobs == 3
    assert inst.to_lists() == [[[(0, 5), (2, 7)]], [[(1, 3), (2, 3)]], [[(0, 4), (1, 4)]]]
    assert inst.release.tolist() == [0, 2, 0] and inst.due.tolist() == [20, NO_DUE, NO_DUE]
    assert inst.weight.tolist() == [1, 2, 1]
    assert inst.metadata == {"machine_names": ["M1", "M2", "M3"], "job_names": ["a", "b", "c"]}


def test_csv_optional_columns_anywhere_or_absent():
    inst = parse_csv("Due, x , y\n\n 7 , 1, -1\n\n,0,2\n")
    assert inst.to_lists() == [[[(0, 1)]], [[(0, 0), (1, 2)]]]
    assert inst.due.tolist() == [7, NO_DUE] and inst.release.tolist() == [0, 0] and inst.weight.tolist() == [1, 1]
    assert inst.metadata == {"machine_names": ["x", "y"]}


@settings(max_examples=60, deadline=None)
@given(flexible_instances(single_operation=True), st.booleans())
def test_csv_round_trip(inst, names):
    if names:
        inst.metadata = {"machine_names": [f"Press {i}" for i in range(inst.n_machines)],
                         "job_names": [f"order-{j}" for j in range(inst.n_jobs)]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inst.csv"
        write_csv(inst, path)
        back = read_instance(path)
        by_content = Path(tmp) / "inst.matrix"
        by_content.write_text(path.read_text())
        again = read_instance(by_content)
    assert same_problem(inst, back, ordered=False) and same_problem(inst, again, ordered=False)
    assert back.name == "inst"
    if names:
        assert back.metadata == inst.metadata


def test_write_csv_refuses_multi_operation_jobs(tmp_path):
    inst = FlexibleInstance.from_lists("two", 2, [[[(0, 3)]], [[(0, 4)], [(1, 2)]]])
    with pytest.raises(InputError, match="job 1 has 2 operations"):
        write_csv(inst, tmp_path / "two.csv")
    assert not (tmp_path / "two.csv").exists()


@pytest.mark.parametrize("text, line, words", [
    ("", None, "empty"),
    ("\n\n", None, "empty"),
    ("m1,m2\n", 1, "no job rows"),
    ("job,due\na,3\n", 1, "no machine column"),
    ("m1,,m3\n1,2,3\n", 1, "column 2 of the header has no name"),
    ("m1,M1\n1,2\n", 1, "appears twice"),
    ("m1,due,Due\n1,2,3\n", 1, "appears twice"),
    ("m1;m2\n1;2\n", 1, "';'"),
    ("m1,m2\n1,2\n3\n", 3, "job row 2 has 1 cells, expected 2"),
    ("m1,m2\n1,2,3\n", 2, "has 3 cells"),
    ("m1,m2\n\n1,\n", 3, "machine 'm2'"),
    ("m1,m2\n1,x\n", 2, "machine 'm2'"),
    ("m1,m2\n1,1.5\n", 2, "machine 'm2'"),
    ("m1,m2\n1,+2\n", 2, "machine 'm2'"),
    ("m1,m2\n1,-2\n", 2, "-1 (not compatible) or a duration"),
    ("m1,m2\n1,2\n-1,-1\n", 3, "no compatible machine"),
    ("m1,release\n1,-1\n", 2, "release date >= 0"),
    ("m1,release\n1,\n", 2, "release date"),
    ("m1,due\n1,-2\n", 2, "due date >= 0"),
    ("m1,due\n1,soon\n", 2, "due date"),
    ("m1,weight\n1,-1\n", 2, "weight >= 0"),
    ("m1,weight\n1,1.5\n", 2, "weight"),
    ("job,m1\na,1\n,2\n", 3, "'job' cell is empty"),
    ("job,m1\na,1\nb,2\na,3\n", 4, "'a' appears twice"),
    ('m1,m2\n"1,2\n', None, ""),  # an unterminated quote: one row with one cell, or a csv error
])
def test_csv_bad_input(tmp_path, text, line, words):
    error = bad(tmp_path, text, suffix=".csv")
    if words:
        assert error.line == line and words in error.reason, error


# ---- format detection and the job shop ---------------------------------------------------------
def test_format_detection_by_suffix_and_content(tmp_path):
    inst = FlexibleInstance.from_lists("d", 3, [[[(0, 1), (2, 2)]], [[(1, 5)]]])
    for writer, suffix in ((write_fjsplib, ".fjs"), (write_json, ".json"), (write_csv, ".csv")):
        path = tmp_path / f"d{suffix}"
        writer(inst, path)
        assert same_problem(read_instance(path), inst, ordered=False)
        plain = tmp_path / "d.txt"
        plain.write_text(path.read_text())
        assert same_problem(read_instance(plain), inst, ordered=False)
    # a suffix wins over the content
    (tmp_path / "j.csv").write_text('{"n_machines": 1}')
    with pytest.raises(InputError):
        read_instance(tmp_path / "j.csv")


def test_from_job_shop_keeps_routes_and_bounds():
    from rewriter.jssp.bundled import load_instance as load_job_shop

    ft06 = load_job_shop("ft06")
    flex = from_job_shop(ft06)
    assert flex.n_jobs == 6 and flex.n_machines == 6 and flex.n_operations == 36
    assert np.all(np.diff(flex.elig_start) == 1)
    assert flex.elig_machine.tolist() == ft06.machines.reshape(-1).tolist()
    assert flex.elig_duration.tolist() == ft06.durations.reshape(-1).tolist()
    assert (flex.lower_bound, flex.upper_bound, flex.optimal) == (55, 55, True)
    assert flex.metadata["source_problem"] == "jssp"


@pytest.mark.parametrize("name, bounds", [("ft06", (55, 55)), ("la01", (666, 666)), ("JSSP:ta41", (1926, 2005))])
def test_job_shop_names_load_with_the_prefix(name, bounds):
    from rewriter.jssp.bundled import load_instance as load_job_shop

    spec = name if name.lower().startswith("jssp:") else f"jssp:{name}"
    flex = load_instance(spec)
    shop = load_job_shop(spec.split(":", 1)[1])
    assert (flex.lower_bound, flex.upper_bound) == bounds == (shop.lower_bound, shop.upper_bound)
    assert flex.optimal == shop.optimal and flex.name == shop.name
    assert flex.to_lists() == [[[(int(m), int(d))] for m, d in zip(mr, dr)]
                               for mr, dr in zip(shop.machines, shop.durations)]


def test_job_shop_names_without_the_prefix_are_refused_with_a_hint():
    for name in ("ft06", "la01"):
        with pytest.raises(InputError, match=f"'jssp:{name}'"):
            load_instance(name)
    with pytest.raises(InputError, match="jssp:nope"):
        load_instance("jssp:nope")
    with pytest.raises(InputError, match="expected a job-shop name"):
        load_instance("jssp:")


# ---- bundled FJSPLIB benchmarks ----------------------------------------------------------------
def test_every_bks_entry_has_exactly_one_file_and_vice_versa():
    bks = json.loads((DATA / "bks.json").read_text("utf-8"))
    names = [entry["instance"] for entry in bks]
    stems = sorted(path.stem for path in DATA.glob("*.txt"))
    assert len(names) == len(set(names)) == len(stems) == len(ROWS) == 402
    assert set(names) == set(stems) == set(ROWS)
    notice = (DATA / "NOTICE").read_text()
    assert "CC BY-SA 4.0" in notice and "79f0edc1a2e95ed0e3cc105e79a6d03910a6d091" in notice
    for entry in bks:
        row = ROWS[entry["instance"]]
        assert (int(row["lower_bound"]), int(row["upper_bound"])) == (entry["lower_bound"], entry["upper_bound"])
        assert row["family"] == entry["family"] and row["family_long"] == entry["family_long"]
        assert row["status"] == ("optimal" if entry["status"] == "closed" else "open")


def test_every_bundled_file_reads_with_the_size_of_bounds_csv():
    for name, row in ROWS.items():
        inst = read_instance(DATA / f"{name}.txt")
        assert (inst.n_jobs, inst.n_machines) == (int(row["n_jobs"]), int(row["n_machines"])), name
        assert inst.trivial_lower_bound() <= int(row["upper_bound"]), name


def test_bounds_csv_is_what_the_script_makes(tmp_path):
    """make_fjsp_bounds.py, run on a copy, writes the shipped bounds.csv byte for byte."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fjsp_bounds", ROOT / "instances" / "make_fjsp_bounds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path
    for path in DATA.glob("*.txt"):
        (tmp_path / path.name).symlink_to(path)
    shutil.copyfile(DATA / "bks.json", tmp_path / "bks.json")
    assert module.main([]) == 0
    assert (tmp_path / "bounds.csv").read_bytes() == (DATA / "bounds.csv").read_bytes()
    assert module.bundled_name(Path("HurinkJurischThole1994/edata/la09.txt")) == "la09_edata"
    assert module.bundled_name(Path("DauzerePeresPaulli1994/05a.txt")) == "dpp05a"
    assert module.bundled_name(Path("Brandimarte1993/mk01.txt")) == "mk01"


def test_bundled_names_resolve_with_bounds_and_family():
    mk01 = load_instance("mk01")
    assert (mk01.name, mk01.n_jobs, mk01.n_machines, mk01.lower_bound, mk01.upper_bound, mk01.optimal) == \
        ("mk01", 10, 6, 40, 40, True)
    assert mk01.metadata["family"] == "mk"
    for spelling in ("MK01", "mk1", "mk01.txt", " mk01 "):
        assert resolve_instance_path(spelling) == DATA / "mk01.txt"
    assert load_instance("la9_EDATA").name == "la09_edata"
    open_one = next(name for name, row in ROWS.items() if row["status"] == "open")
    inst = load_instance(open_one)
    assert inst.lower_bound < inst.upper_bound and not inst.optimal
    assert load_instance(DATA / "mk02.txt").upper_bound == int(ROWS["mk02"]["upper_bound"])


def test_a_copy_of_a_bundled_file_gets_no_bounds(tmp_path):
    copy = tmp_path / "mk01.txt"
    shutil.copyfile(DATA / "mk01.txt", copy)
    inst = load_instance(copy)
    assert inst.name == "mk01" and inst.lower_bound is None and "family" not in inst.metadata


def test_bundled_instances_rows():
    rows = bundled_instances()
    assert len(rows) == 402
    assert set(rows[0]) == {"name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status"}
    mk = [row["name"] for row in rows if row["family"] == "mk"]
    assert mk == [f"mk{k:02d}" for k in range(1, 16)]


def test_unknown_names_give_one_error_with_close_matches(tmp_path):
    with pytest.raises(InputError, match="did you mean mk15"):
        load_instance("mk16")
    with pytest.raises(InputError, match="group of 15 instances"):
        load_instance("mk")
    with pytest.raises(InputError, match="no such file"):
        load_instance(tmp_path / "nothing.json")
    with pytest.raises(InputError, match="unknown flexible job-shop instance"):
        load_instance("prod_0100x50_s0")


def test_expand_instance_names(tmp_path):
    assert expand_instance_names("mk01-03") == ["mk01", "mk02", "mk03"]
    assert expand_instance_names("mk1-mk2, MK02") == ["mk01", "mk02"]
    assert expand_instance_names("la01-02_edata,la01_rdata-la02_rdata") == \
        ["la01_edata", "la02_edata", "la01_rdata", "la02_rdata"]
    assert expand_instance_names("dpp01a-03a") == ["dpp01a", "dpp02a", "dpp03a"]
    assert len(expand_instance_names("behnke")) == 60 and len(expand_instance_names("la")) == 160
    assert len(expand_instance_names("edata")) == 66 and len(expand_instance_names("mk,edata,mk")) == 81
    assert expand_instance_names("prod_100x50_s0-2") == ["prod_100x50_s0", "prod_100x50_s1", "prod_100x50_s2"]
    assert expand_instance_names("prod") == evaluation_names("prod") and len(evaluation_names("prod")) == 15
    assert expand_instance_names("compat")[0] == "compat_50x10_s0"
    assert expand_instance_names("jssp:ft06,jssp:la01-02") == ["jssp:ft06", "jssp:la01", "jssp:la02"]
    path = tmp_path / "x.txt"
    path.write_text(MK_LIKE)
    assert expand_instance_names(f"{path},kacem1") == [str(path), "kacem1"]
    for spec, words in (("", "no instances"), ("mk01-20", "mk16"), ("dpp01-03", "dpp01a"),
                        ("mk03-01", "smaller"), ("mk01-la03", "same family"), ("qq", "unknown"),
                        ("la01_edata-02_rdata", "same suffix"), ("prod_100x50_s2-0", "smaller")):
        with pytest.raises(InputError, match=words):
            expand_instance_names(spec)


# ---- generated instances -----------------------------------------------------------------------
def _as_arrays(inst):
    return [getattr(inst, k).tolist() for k in ("job_start", "elig_start", "elig_machine", "elig_duration",
                                                 "release", "due", "weight")]


def test_generators_are_deterministic_and_seeds_differ():
    a, b = production_instance(30, 25, 7), production_instance(30, 25, 7)
    assert _as_arrays(a) == _as_arrays(b) and _as_arrays(a) != _as_arrays(production_instance(30, 25, 8))
    c, d = compatibility_instance(30, 8, 7), compatibility_instance(30, 8, 7)
    assert _as_arrays(c) == _as_arrays(d) and _as_arrays(c) != _as_arrays(compatibility_instance(30, 8, 8))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 2 ** 63 - 1), st.floats(0, 1),
       st.integers(1, 50), st.floats(0, 3))
def test_compatibility_instance_properties(n, m, seed, masked, max_duration, horizon):
    inst = compatibility_instance(n, m, seed, max_duration=max_duration, masked=masked, release_horizon=horizon)
    counts = np.diff(inst.elig_start)
    assert inst.n_operations == n and np.all(np.diff(inst.job_start) == 1)
    assert np.all(counts == m - min(m - 1, int(np.floor(masked * m + 0.5))))
    assert inst.elig_duration.min() >= 1 and inst.elig_duration.max() <= max_duration
    assert np.all(inst.due >= inst.release) and inst.has_due_dates
    assert np.all(inst.weight == 1) and (horizon > 0 or np.all(inst.release == 0))
    assert inst.name.startswith(f"compat_{n}x{m}_s{seed}")


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 30), st.integers(1, 40), st.integers(0, 10 ** 6))
def test_production_instance_properties(n, m, seed):
    inst = production_instance(n, m, seed)
    ops, counts = np.diff(inst.job_start), np.diff(inst.elig_start)
    assert inst.n_jobs == n and ops.min() >= 1 and ops.max() <= 5
    assert counts.min() >= min(20, m) and counts.max() <= min(30, m)
    assert inst.elig_duration.min() >= 1 and inst.elig_duration.max() <= 150
    assert np.all(inst.due > inst.release) and np.all(inst.weight == 1)
    assert inst.name == f"prod_{n}x{m}_s{seed}"


def test_generated_names_load_directly():
    for name in ("prod_100x50_s0", "COMPAT_50x10_S1"):
        inst = load_instance(name)
        assert inst.name == name.lower() and inst.lower_bound is None
        assert _as_arrays(inst) == _as_arrays(generated_instance(name))
    assert _as_arrays(load_instance("prod_100x50_s0")) == _as_arrays(production_instance(100, 50, 0))
    assert _as_arrays(load_instance("compat_50x10_s1")) == _as_arrays(compatibility_instance(50, 10, 1))
    assert [f"prod_{n}x{m}_s{s}" for n, m in PROD_SIZES for s in (0, 1, 2)] == evaluation_names("prod")
    assert len(COMPAT_SIZES) == 5 and (1000, 200) in PROD_SIZES
    assert compatibility_instance(5, 3, 0, slack=2).name == "compat_5x3_s0_custom"


def test_the_tight_family_is_the_production_shop_with_tighter_due_dates():
    prod, tight = load_instance("prod_100x50_s1"), load_instance("tight_100x50_s1")
    assert tight.name == "tight_100x50_s1" and tight.metadata["family"] == "tight"
    for key in ("job_start", "elig_start", "elig_machine", "elig_duration", "release", "weight"):
        assert np.array_equal(getattr(prod, key), getattr(tight, key)), key
    mean_op = np.add.reduceat(prod.elig_duration, prod.elig_start[:-1]) / np.diff(prod.elig_start)
    work = np.add.reduceat(mean_op, prod.job_start[:-1])
    # due = release + rint(slack x work): within half a unit of the slack range
    assert np.all(prod.due - prod.release >= 1.5 * work - 0.5)
    assert np.all(tight.due - tight.release <= 1.7 * work + 0.5) and np.all(tight.due < prod.due)
    # one uniform draw per job, rescaled: both slacks are the same affine function of it
    u_prod = (prod.due - prod.release - 1.5 * work) / (2.5 * work)
    u_tight = (tight.due - tight.release - 0.7 * work) / work
    assert np.all(np.abs(u_prod - u_tight) <= 0.5 / work + 0.2 / work + 1e-9)
    assert evaluation_names("tight") == [n.replace("prod", "tight") for n in evaluation_names("prod")]
    assert expand_instance_names("tight_100x50_s0-1") == ["tight_100x50_s0", "tight_100x50_s1"]
    with pytest.raises(InputError, match="slack"):
        production_instance(5, 5, 0, due_slack=(2.0, 1.0))


def test_generated_names_never_clash_with_bundled_names():
    assert not any(generate.parse_generated_name(name) for name in ROWS)


def test_generator_arguments_are_checked():
    for call in (lambda: production_instance(0, 5, 0), lambda: production_instance(5, True, 0),
                 lambda: production_instance(5, 5, -1), lambda: production_instance(100_000, 1000, 0),
                 lambda: compatibility_instance(5, 5, 0, masked=1.5),
                 lambda: compatibility_instance(5, 5, 0, max_duration=0),
                 lambda: compatibility_instance(5, 5, 0, slack=float("nan"))):
        with pytest.raises(InputError):
            call()


def test_largest_evaluation_size_generates_and_loads_fast():
    for name in ("prod_1000x200_s0", "compat_1000x200_s0"):
        start = time.perf_counter()
        inst = load_instance(name)
        assert time.perf_counter() - start < 2.0
        assert inst.n_jobs == 1000 and inst.n_machines == 200


# ---- docs and packaging ------------------------------------------------------------------------
def test_documented_examples_parse():
    doc = (ROOT / "docs" / "fjsp_formats.md").read_text()
    blocks = re.findall(r"```(\w*)\n(.*?)```", doc, flags=re.S)
    texts = [body for lang, body in blocks if lang == ""]
    assert parse_fjsplib(texts[0]).to_lists() == parse_fjsplib(MK_LIKE).to_lists()
    assert parse_csv(texts[1]).to_lists() == parse_csv(CSV_EXAMPLE).to_lists()
    example = json.loads(next(body for lang, body in blocks if lang == "json"))
    inst = instance_from_dict(example)
    assert inst.due.tolist() == [30, NO_DUE] and inst.release.tolist() == [0, 4] and not inst.optimal


def test_package_data_globs_cover_the_fjsp_files():
    text = (ROOT / "pyproject.toml").read_text()
    for glob in ("fjsp/*.txt", "fjsp/*.csv", "fjsp/*.json", "fjsp/NOTICE"):
        assert f'"{glob}"' in text
    assert '"rewriter.fjsp"' in text


def test_a_text_of_too_many_numbers_is_refused_before_it_is_split(monkeypatch, tmp_path):
    """The FJSPLIB parser builds Python objects per number: a file of more than _MAX_NUMBERS is
    one line naming the count, read without splitting (a 100 MB line took 9.2 GB before)."""
    import rewriter.fjsp.io as fio

    monkeypatch.setattr(fio, "_MAX_NUMBERS", 20)
    path = tmp_path / "many.fjs"
    path.write_text("2 3\n" + "1 1 1 5 " * 6 + "\n1 1 2 4\n")
    with pytest.raises(InputError, match=r"30 values, more than an FJSPLIB instance"):
        fio.read_fjsplib(path)
    assert fio._count_numbers(" 1  22\n\t333 ") == 3 and fio._count_numbers("") == 0
    path.write_text("2 3\n1 1 1 5\n1 1 2 4\n")  # under the cap: read as before
    assert fio.read_fjsplib(path).n_jobs == 2
