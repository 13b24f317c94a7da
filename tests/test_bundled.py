"""Bundled benchmark instances: every file loads, sizes and bounds match bounds.csv, names resolve."""

from __future__ import annotations

import csv
import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from rewriter.errors import InputError
from rewriter.jssp.bundled import (bundled_instances, expand_instance_names, load_instance,
                                   resolve_instance_path)

DATA = Path(str(files("rewriter.instances") / "jssp"))
ROWS = {row["name"]: row for row in csv.DictReader(open(DATA / "bounds.csv", encoding="utf-8"))}
# orb07 has a zero-duration operation in the original data (and is the only one)
# (durations must be positive); it is shipped unchanged and fails loudly until that is decided.
ZERO_DURATION = {"orb07"}


def test_every_file_has_a_row_and_the_data_is_complete():
    stems = sorted(p.stem for p in DATA.glob("*.txt"))
    assert len(stems) == 242 == len(ROWS)
    assert {s[:-2] if s.startswith("ta") else s for s in stems} == set(ROWS)
    assert (DATA / "NOTICE").is_file() and "CC BY-SA 4.0" in (DATA / "NOTICE").read_text()
    families = {row["family"] for row in ROWS.values()}
    assert families == {"ft", "la", "abz", "orb", "swv", "yn", "ta", "dmu"}


def test_bounds_csv_agrees_with_bks_json():
    bks = {entry["instance"]: entry for entry in json.loads((DATA / "bks.json").read_text())}
    for name, row in ROWS.items():
        entry = bks[name + "js" if row["family"] == "ta" else name]
        assert (int(row["lower_bound"]), int(row["upper_bound"])) == (entry["lower_bound"], entry["upper_bound"])
        assert row["status"] == ("optimal" if entry["lower_bound"] == entry["upper_bound"] else "open")


@pytest.mark.parametrize("name", sorted(ROWS))
def test_every_bundled_instance_loads_with_its_size_and_bounds(name):
    row = ROWS[name]
    inst = load_instance(name)
    assert (inst.durations == 0).any() == (name in ZERO_DURATION)
    assert inst.name == name
    assert inst.shape == (int(row["n_jobs"]), int(row["n_machines"]))
    assert (inst.lower_bound, inst.upper_bound) == (int(row["lower_bound"]), int(row["upper_bound"]))
    assert inst.optimal == (row["status"] == "optimal")
    assert inst.trivial_lower_bound() <= inst.upper_bound


def test_ft06_and_ta41():
    ft06 = load_instance("ft06")
    assert ft06.shape == (6, 6) and ft06.upper_bound == 55 and ft06.optimal
    ta41 = load_instance("ta41")
    assert ta41.shape == (30, 20) and ta41.upper_bound == 2005 and not ta41.optimal
    assert ta41.lower_bound == 1926


@pytest.mark.parametrize("spelling", ["ta41", "ta41js", "ta41.txt", "TA41", "ta41JS.txt", " ta41 "])
def test_name_variants_resolve_to_the_same_file(spelling):
    assert resolve_instance_path(spelling) == DATA / "ta41js.txt"
    assert load_instance(spelling).name == "ta41"


def test_other_names_resolve():
    assert resolve_instance_path("dmu16") == DATA / "dmu16.txt"
    assert resolve_instance_path("ft06").name == "ft06.txt"
    assert load_instance("ta1").name == "ta01"  # zero padding is optional
    assert load_instance("yn1").shape == (20, 20)


def test_unknown_name_suggests_and_hints():
    with pytest.raises(InputError) as info:
        resolve_instance_path("ta41x")
    assert "did you mean ta41" in str(info.value) and "rewriter instances" in str(info.value)
    with pytest.raises(InputError, match="rewriter instances"):
        load_instance("qqqq")
    with pytest.raises(InputError, match="no such file"):
        load_instance("some/dir/file.txt")


def test_existing_path_wins_and_copies_get_no_bounds(tmp_path, monkeypatch):
    copy = tmp_path / "ft06.txt"
    shutil.copy(DATA / "ft06.txt", copy)
    inst = load_instance(copy)
    assert inst.name == "ft06" and inst.upper_bound is None  # not trusted: not the bundled file
    mine = tmp_path / "mine.txt"
    shutil.copy(DATA / "la01.txt", mine)
    assert load_instance(str(mine)).name == "mine"
    # A file in the working directory named like a bundled instance is taken over the bundled one.
    (tmp_path / "ta41").write_text("2 1\n0 5\n0 6\n")
    monkeypatch.chdir(tmp_path)
    assert load_instance("ta41").shape == (2, 1)
    bundled = load_instance(DATA / "ta41js.txt")  # the bundled file by its path keeps its bounds
    assert bundled.name == "ta41" and bundled.upper_bound == 2005


def test_bundled_instances_listing_is_natural_order():
    rows = bundled_instances()
    names = [row["name"] for row in rows]
    assert len(rows) == 242
    assert names.index("ft06") < names.index("ft10") < names.index("ft20") < names.index("la01")
    ta = [n for n in names if n.startswith("ta")]
    assert ta == [f"ta{k:02d}" for k in range(1, 81)]
    assert set(rows[0]) == {"name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status"}
    ta41 = next(row for row in rows if row["name"] == "ta41")
    assert (ta41["n_jobs"], ta41["n_machines"], ta41["upper_bound"], ta41["status"]) == (30, 20, 2005, "open")


def test_expand_instance_names(tmp_path):
    assert expand_instance_names("ta41-50") == [f"ta{k}" for k in range(41, 51)]
    assert expand_instance_names("ta41-ta43,dmu16-20") == ["ta41", "ta42", "ta43", "dmu16", "dmu17",
                                                           "dmu18", "dmu19", "dmu20"]
    assert expand_instance_names("ft") == ["ft06", "ft10", "ft20"]
    assert expand_instance_names("ta")[:2] == ["ta01", "ta02"] and len(expand_instance_names("ta")) == 80
    assert expand_instance_names("ft06, la01,FT06,ta41js") == ["ft06", "la01", "ta41"]
    assert expand_instance_names("la1-3") == ["la01", "la02", "la03"]
    path = tmp_path / "my-instance.txt"
    path.write_text("1 1\n0 1\n")
    assert expand_instance_names(f"{path},ft06") == [str(path), "ft06"]


@pytest.mark.parametrize("spec, message", [
    ("ta41-", "malformed range"), ("ta41-xx", "malformed range"), ("-50", "malformed range"),
    ("ta50-41", "smaller than the first"), ("ta41-dmu50", "same family"),
    ("ta79-82", "ta81, ta82"), ("ta99", "unknown instance"), ("", "no instances given"),
    (" , ", "no instances given"), ("nosuch/file.txt", "no such file"),
])
def test_expand_instance_names_errors(spec, message):
    with pytest.raises(InputError, match=message):
        expand_instance_names(spec)


def test_generated_random_instances_by_name():
    from rewriter.jssp.generate import random_instance

    assert expand_instance_names("rand_30x20_s0-2,ta01,RAND_5x4_s7") == [
        "rand_30x20_s0", "rand_30x20_s1", "rand_30x20_s2", "ta01", "rand_5x4_s7"]
    inst = load_instance("rand_5x4_s7")
    same = random_instance(5, 4, seed=7)
    assert inst.name == "rand_5x4_s7" and inst.upper_bound is None
    assert (inst.durations == same.durations).all() and (inst.machines == same.machines).all()
    assert inst.metadata["family"] == "rand"
    with pytest.raises(InputError, match="backwards"):
        expand_instance_names("rand_30x20_s4-0")
    with pytest.raises(InputError, match="expected 1..2000 jobs"):
        load_instance("rand_0x20_s1")
