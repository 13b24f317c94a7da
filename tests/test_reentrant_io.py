"""Re-entrant (Da Col-Teppan) job-shop files, zipped files and files of 10^6 operations (issue 36):
the reader against a plain-Python one, the bulk numpy parse against the line-by-line reader, the
writers' round trips, and one clear error (file, line, what was expected; exit code 2) for each
bad input the issue lists."""

from __future__ import annotations

import io
import json
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter import textfile
from rewriter.cli import main
from rewriter.errors import InputError
from rewriter.jssp import io as jssp_io
from rewriter.jssp.bulkrows import bulk_ints
from rewriter.jssp.instance import JobShopInstance
from rewriter.jssp.io import (instance_from_dict, instance_to_dict, read_instance, reentrant_text,
                              write_json, write_standard)

DATA = Path(__file__).resolve().parents[1] / "instances" / "large"

# 3 jobs on 4 machines: job 0 revisits machine 1, job 1 has one operation, job 2 has a zero
# duration, machine 3 is unused
DCT = """3 4
1 5 0 4 1 3 -1 -1
2 7 -1 -1
0 2 1 0 -1 -1
"""
DCT_ROUTES = [[(1, 5), (0, 4), (1, 3)], [(2, 7)], [(0, 2), (1, 0)]]


# ---- helpers ------------------------------------------------------------------------------------
def routes_of(inst: JobShopInstance) -> list[list[tuple[int, int]]]:
    starts = inst.job_start.tolist()
    pairs = list(zip(inst.op_machine.tolist(), inst.op_duration.tolist()))
    return [pairs[a:b] for a, b in zip(starts[:-1], starts[1:])]


def plain_python_read(text: str) -> tuple[int, list[list[tuple[int, int]]]]:
    """The obvious reader of a well-formed Da Col-Teppan text (comments and blank lines skipped,
    ``-1 -1`` ends optional): (n_machines, routes)."""
    rows = [line.split() for line in text.splitlines()]
    rows = [row for row in rows if row and not row[0].startswith("#")]
    _, m = map(int, rows[0])
    routes = []
    for row in rows[1:]:
        values = [int(tok) for tok in row]
        if values[-2:] == [-1, -1]:
            values = values[:-2]
        routes.append(list(zip(values[0::2], values[1::2])))
    return m, routes


def same_flat(a: JobShopInstance, b: JobShopInstance) -> bool:
    return (a.n_machines == b.n_machines and np.array_equal(a.job_start, b.job_start)
            and np.array_equal(a.op_machine, b.op_machine)
            and np.array_equal(a.op_duration, b.op_duration))


def zipped(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def read_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert str(path) in str(info.value)
    return info.value


def cli_error(path: Path, capsys) -> str:
    """``rewriter solve FILE`` must end in one error line, exit code 2."""
    capsys.readouterr()
    assert main(["solve", str(path), "--policy", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rewriter: error: "), err
    assert str(path) in err
    return err


@st.composite
def ragged_instances(draw, max_jobs=6, max_machines=5, max_ops=7):
    """Random re-entrant instances: jobs of 1..max_ops operations on any machines (revisits,
    unused machines), zero durations allowed, one machine allowed."""
    m = draw(st.integers(1, max_machines))
    routes = draw(st.lists(st.lists(st.tuples(st.integers(0, m - 1), st.integers(0, 10 ** 6)),
                                    min_size=1, max_size=max_ops), min_size=1, max_size=max_jobs))
    name = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True))
    return JobShopInstance.from_routes(name, routes, n_machines=m)


# ---- reading the format -------------------------------------------------------------------------
def test_da_col_teppan_file_with_and_without_the_ends(tmp_path):
    path = tmp_path / "shop.txt"
    path.write_text(DCT)
    inst = read_instance(path)
    assert inst.name == "shop" and inst.n_machines == 4 and not inst.is_rectangular
    assert routes_of(inst) == DCT_ROUTES
    # Windows line ends (as the dct files have) and comments change nothing
    path.write_bytes(("# a comment\n" + DCT).replace("\n", "\r\n").encode())
    assert routes_of(read_instance(path)) == DCT_ROUTES
    # the bel files: the same lines without '-1 -1'
    path.write_text(DCT.replace(" -1 -1", ""))
    assert routes_of(read_instance(path)) == DCT_ROUTES


def test_rows_that_could_be_standard_are_not_taken_for_re_entrant(tmp_path):
    # every row of m pairs: the standard format, read as before
    path = tmp_path / "std.txt"
    path.write_text("2 2\n0 1 1 2\n1 3 0 4\n")
    assert read_instance(path).is_rectangular
    # one row of m pairs among shorter ones, no '-1 -1': a standard file with a bad row
    path.write_text("2 2\n0 1 1 2\n1 3\n")
    with pytest.raises(InputError, match="line 3: expected 4 values"):
        read_instance(path)
    # rows of one length but not m pairs, no '-1 -1': refused, the message names the re-entrant form
    path.write_text("2 3\n0 1 1 2\n1 3 0 4\n")
    with pytest.raises(InputError, match="line 2: .*ended by '-1 -1'"):
        read_instance(path)


@settings(max_examples=60, deadline=None)
@given(ragged_instances(), st.booleans(), st.booleans())
def test_reader_agrees_with_plain_python(inst, ends, crlf):
    text = reentrant_text(inst)
    if not ends:
        text = text.replace(" -1 -1", "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.txt"
        path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
        lengths = inst.job_length
        if not ends and (len(set(lengths.tolist())) < 2 or inst.n_machines in lengths):
            # without the ends, such rows cannot be told from a standard or Taillard file
            return
        got = read_instance(path)
    m, routes = plain_python_read(text)
    assert got.n_machines == m and routes_of(got) == routes == routes_of(inst)


# ---- the bulk parse is the line-by-line reader, only faster -----------------------------------
_NOISE = ["-", "1-2", "--3", "+4", "1_0", "\uff17", "x", "#c", "-1", "-1 -1", "99999999999999999999",
          "-99999999999999999999", "1099511627776", "0", "5", "", "\x0b", "\u2028", "007"]


@settings(max_examples=150, deadline=None)
@given(ragged_instances(max_jobs=4, max_ops=4),
       st.sampled_from(["dct", "bel", "standard", "taillard"]),
       st.lists(st.tuples(st.integers(0, 10 ** 6), st.sampled_from(["insert", "replace", "cut"]),
                          st.sampled_from(_NOISE)), max_size=3))
def test_bulk_parse_gives_what_the_line_by_line_reader_gives(inst, form, edits):
    """The fast path on or off: the same instance, or the same error (message and line)."""
    text = _text_in(form, inst)
    tokens = text.split(" ")
    for where, how, noise in edits:
        i = where % len(tokens)
        if how == "insert":
            tokens.insert(i, noise)
        elif how == "replace":
            tokens[i] = noise
        elif len(tokens) > 1:
            del tokens[i]
    text = " ".join(tokens)
    assert _outcome(text, bulk=True) == _outcome(text, bulk=False)


def _text_in(form: str, inst: JobShopInstance) -> str:
    """The jobs of ``inst`` in a format; standard and Taillard cut every job to the shortest's
    length k and take k machines (machine indices wrapped into range)."""
    if form in ("dct", "bel"):
        text = reentrant_text(inst)
        return text if form == "dct" else text.replace(" -1 -1", "")
    k = int(inst.job_length.min())
    routes = [[(mach % k, dur) for mach, dur in route[:k]] for route in routes_of(inst)]
    if form == "standard":
        rows = [" ".join(f"{a} {b}" for a, b in route) for route in routes]
    else:
        rows = ([" ".join(str(b) for _, b in route) for route in routes]
                + [" ".join(str(a + 1) for a, _ in route) for route in routes])
    return f"{inst.n_jobs} {k}\n" + "\n".join(rows) + "\n"


def _outcome(text: str, bulk: bool):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.txt"
        path.write_bytes(text.encode("utf-8"))
        original = jssp_io.bulk_ints
        if not bulk:
            jssp_io.bulk_ints = lambda *args: None
        try:
            inst = read_instance(path)
        except InputError as exc:
            return ("error", exc.reason, exc.line)
        finally:
            jssp_io.bulk_ints = original
    return ("instance", inst.n_machines, inst.job_start.tolist(), inst.op_machine.tolist(),
            inst.op_duration.tolist(), inst.lower_bound, inst.upper_bound)


@pytest.mark.parametrize("lines, expected", [
    (["1 2", " -3\t4\r"], [1, 2, -3, 4]),
    (["1 -0 007"], [1, 0, 7]),
    (["1-2"], None), (["-"], None), (["1 --2"], None), (["12-"], None), (["+4"], None),
    (["9" * 16], None), (["-" + "9" * 30], None), (["1\u20282"], None), (["1 # c"], None),
    (["  "], None),
])
def test_bulk_ints_refuses_what_is_not_a_plain_integer(lines, expected):
    count = sum(len(line.split()) for line in lines)
    got = bulk_ints(lines, count)
    assert (got is None) if expected is None else got.tolist() == expected


# ---- writers ------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(ragged_instances(), st.none() | st.integers(0, 50))
def test_ragged_round_trips_through_text_and_json(inst, lower):
    inst.lower_bound = lower
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / f"{inst.name}.txt"
        write_standard(inst, text)
        back = read_instance(text)
        assert back.name == inst.name and same_flat(back, inst)
        if not inst.is_rectangular:
            assert text.read_text().splitlines()[2].endswith(" -1 -1")
        path = Path(tmp) / "x.json"
        write_json(inst, path)
        back = read_instance(path)
        assert back.name == inst.name and same_flat(back, inst) and back.lower_bound == lower
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    assert same_flat(again, inst)


def test_a_rectangular_instance_keeps_its_json_form(tmp_path):
    inst = JobShopInstance("r", [[1, 2], [3, 4]], [[0, 1], [1, 0]])
    assert set(instance_to_dict(inst)) == {"name", "duration_matrix", "machines_matrix", "metadata"}


@pytest.mark.parametrize("obj, message", [
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0], [1, 0]], "n_machines": 0},
     "'n_machines' must be a positive integer"),
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0], [1, 0]], "n_machines": True},
     "'n_machines' must be a positive integer"),
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0], [1]], "n_machines": 2},
     "duration_matrix row 1 has 2 values but machines_matrix row 1 has 1"),
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0]], "n_machines": 2},
     "duration_matrix has 2 rows but machines_matrix has 1"),
    ({"duration_matrix": [[1], []], "machines_matrix": [[0], []], "n_machines": 2},
     "'duration_matrix' row 1 is empty"),
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0], [1, 2]], "n_machines": 2},
     "machines_matrix[1][1]: expected a machine index in 0..1, found 2"),
    ({"duration_matrix": [[1], [2, 3]], "machines_matrix": [[0], [1, 0]], "n_machines": 10 ** 8},
     "'n_machines' is 100000000, but the operations use only 2"),
])
def test_ragged_json_with_bad_content(tmp_path, obj, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(obj))
    assert message in read_error(path).reason


# ---- zipped files -------------------------------------------------------------------------------
def test_a_zip_holding_one_file_is_read_as_that_file(tmp_path):
    inst = JobShopInstance.from_routes("x", DCT_ROUTES, n_machines=4)
    npy = io.BytesIO()
    np.save(npy, np.stack([[[1, 2], [3, 4]], [[1, 2], [2, 1]]]))
    for inner, content in [("inner.txt", DCT), ("long-100-1", DCT), ("i.json", json.dumps(instance_to_dict(inst))),
                           ("std.txt", "2 2\n0 1 1 2\n1 3 0 4\n"), ("b.npy", npy.getvalue())]:
        path = zipped(tmp_path / "dct-long-7.zip", {inner: content})
        got = read_instance(path)
        want = {"i.json": "x", "b.npy": "dct-long-7_0"}.get(inner, "dct-long-7")  # npy: <stem>_<i>
        assert got.name == want, inner
    # known by its magic bytes, whatever its name; folders in the archive do not count
    path = tmp_path / "no_suffix.dat"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("folder/", "")
        archive.writestr("folder/shop.txt", DCT)
    assert routes_of(read_instance(path)) == DCT_ROUTES


def test_a_zip_of_no_file_or_several_is_one_error(tmp_path, capsys):
    empty = zipped(tmp_path / "empty.zip", {})
    assert "holds no file; expected exactly one file" in read_error(empty).reason
    several = zipped(tmp_path / "two.zip", {"a.txt": DCT, "b.txt": DCT})
    assert "holds 2 files ('a.txt', 'b.txt'); expected exactly one file" in read_error(several).reason
    for path in (empty, several):
        cli_error(path, capsys)


def test_a_damaged_or_nested_zip_is_one_error(tmp_path, capsys):
    good = zipped(tmp_path / "good.zip", {"a.txt": DCT * 50}).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good[: len(good) // 2])
    assert "cannot read the zip archive" in read_error(cut).reason
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(good[:40] + bytes(len(good) - 80) + good[-40:])
    assert "zip archive" in read_error(corrupt).reason
    nested = zipped(tmp_path / "nested.zip", {"inner.zip": good})
    assert "holds another zip archive" in read_error(nested).reason
    for path in (cut, corrupt, nested):
        cli_error(path, capsys)


def test_a_zip_bomb_is_refused_before_inflating(tmp_path, monkeypatch):
    path = zipped(tmp_path / "bomb.zip", {"a.txt": "0 " * 5000})
    monkeypatch.setattr(textfile, "MAX_FILE_BYTES", 4000)

    def inflate(*args, **kwargs):
        raise AssertionError("the archive was inflated")

    monkeypatch.setattr(zipfile.ZipFile, "open", inflate)
    err = read_error(path)
    assert "inflates to 10000 bytes" in err.reason and "'a.txt'" in err.reason


def test_a_zip_whose_file_lies_about_its_size_stops_at_the_limit(tmp_path, monkeypatch):
    path = zipped(tmp_path / "liar.zip", {"a.txt": "0 " * 5000})
    monkeypatch.setattr(textfile, "MAX_FILE_BYTES", 4000)
    real = zipfile.ZipFile.infolist

    def understated(self):
        infos = real(self)
        for info in infos:
            info.file_size = 100
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", understated)
    assert "zip archive" in read_error(path).reason


def test_an_error_inside_a_zip_names_the_archive_its_file_and_the_line(tmp_path, capsys):
    path = zipped(tmp_path / "d.zip", {"inner.txt": DCT.replace("2 7 -1 -1", "2 7")})
    err = read_error(path)
    assert str(err).startswith(f"{path} (file inner.txt), line 3: ")
    assert "line 3" in cli_error(path, capsys)


# ---- the bad input: file, line, what was expected; exit code 2 ----------------------------
@pytest.mark.parametrize("text, line, message", [
    (DCT.replace("2 7 -1 -1", "2 7"), 3, "expected job row 2 to end with '-1 -1'"),
    (DCT.replace("2 7 -1 -1", "2 7 1 -1 -1"), 3, "found an odd number of values (3)"),
    (DCT.replace(" -1 -1", "").replace("2 7", "2 7 1"), 3, "found an odd number of values (3)"),
    (DCT.replace("2 7 -1 -1", "-1 -1"), 3, "expected at least one 'machine duration' pair in job row 2"),
    (DCT.replace("2 7", "4 7"), 3, "machine index 4 out of range; expected 0..3"),
    (DCT.replace(" -1 -1", "").replace("2 7", "4 7"), 3, "machine index 4 out of range; expected 0..3"),
    (DCT.replace("2 7", "2 -7"), 3, "expected a non-negative duration, found -7"),
    (DCT.replace("2 7", "2 x"), 3, "expected an integer duration, found 'x'"),
    (DCT.replace("2 7", "2 +7"), 3, "expected an integer duration, found '+7'"),
    (DCT.replace("2 7", "2 " + "9" * 40), 3, "too large"),
    (DCT + "0 1 -1 -1\n", 5, "unexpected content after the 3x4 instance"),
    (DCT.replace("3 4", "4 3"), 4, "expected 4 job rows, found 3, but the file ends here"),
    (DCT.replace("3 4", "3 3 5"), 1, "expected 'n m' (number of jobs and machines) above job rows ended by '-1 -1'"),
    (DCT.replace("3 4", "3 100000000"), 1, "the header declares 100000000 machines, but the operations use only 3"),
])
def test_bad_re_entrant_file(tmp_path, capsys, text, line, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    err = read_error(path)
    assert err.line == line and message in err.reason, str(err)
    assert f"bad.txt, line {line}: " in cli_error(path, capsys)


def test_a_header_promising_a_billion_jobs_is_refused_in_bounded_memory(tmp_path, capsys):
    for text in (DCT.replace("3 4", "1000000000 4"),                   # with the ends
                 DCT.replace("3 4", "1000000000 4").replace(" -1 -1", ""),  # without
                 "1000000000 2\n0 1 1 2\n1 3 0 4\n"):                   # standard rows
        path = tmp_path / "huge.txt"
        path.write_text(text)
        tracemalloc.start()
        started = time.perf_counter()
        try:
            err = read_error(path)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert time.perf_counter() - started < 2 and peak < 2 ** 20, (peak, str(err))
        assert err.line is not None and "1000000000" in err.reason
        cli_error(path, capsys)


# ---- the collection's files (when shared/ is beside the repository) -----------------------------
def _data(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path


def test_the_bel_and_dct_files_read():
    bel = read_instance(_data("BoverouxErnstLouveaux2025/bel00.txt"))
    assert (bel.name, bel.n_jobs, bel.n_machines, bel.n_operations) == ("bel00", 792, 48, 5372)
    assert routes_of(bel)[0] == [(41, 646), (21, 75), (11, 133), (10, 140), (46, 770), (46, 748),
                                 (41, 794)]
    dct = _data("DacolTeppan2022/reentrant/dct-long-100-10000-1.zip")
    inst = read_instance(dct)
    assert (inst.name, inst.n_jobs, inst.n_machines) == ("dct-long-100-10000-1", 103, 100)
    text = zipfile.ZipFile(dct).read("long-100-10000-1").decode()
    m, routes = plain_python_read(text)
    assert inst.n_machines == m and routes_of(inst) == routes


def test_a_million_operations_load_in_well_under_five_seconds():
    path = _data("DacolTeppan2022/standard/tai_1000_1000_1.zip")
    started = time.perf_counter()
    inst = read_instance(path)
    elapsed = time.perf_counter() - started
    assert (inst.name, inst.shape, inst.is_rectangular) == ("tai_1000_1000_1", (1000, 1000), True)
    first = zipfile.ZipFile(path).read("tai_1000_1000_1.txt").decode().splitlines()[1].split()
    assert inst.machines[0, :3].tolist() == [int(t) for t in first[0:6:2]]
    assert inst.durations[0, :3].tolist() == [int(t) for t in first[1:6:2]]
    assert elapsed < 5, elapsed  # ~0.3 s on a quiet core; the budget includes MWKR


def test_the_command_line_solves_the_collection_files(capsys):
    """Load + the initial rule through ``rewriter solve`` (the search is other tests' concern)."""
    bel = _data("BoverouxErnstLouveaux2025/bel00.txt")
    tai = _data("DacolTeppan2022/standard/tai_10_10_1.zip")
    for path, size in ((bel, "792 jobs x 48 machines, 5372 operations"), (tai, "10 jobs x 10 machines")):
        capsys.readouterr()
        assert main(["solve", str(path), "--policy", "none"]) == 0
        assert size in capsys.readouterr().out


@pytest.mark.skipif(not DATA.is_dir(), reason="the industrial-size collection is not here")
def test_a_file_of_the_large_collection_gets_its_published_bounds_and_a_copy_does_not(tmp_path):
    from rewriter.jssp.bundled import load_instance

    original = DATA / "BoverouxErnstLouveaux2025" / "bel01.txt"
    inst = load_instance(original)
    assert (inst.lower_bound, inst.upper_bound, inst.optimal) == (428900, 428900, True)
    zipped = load_instance(DATA / "DacolTeppan2022" / "standard" / "tai_10_10_1.zip")
    assert (zipped.lower_bound, zipped.upper_bound) == (8219, 8219)
    copy = tmp_path / "bel01.txt"
    copy.write_bytes(original.read_bytes())
    assert load_instance(copy).upper_bound is None  # a file elsewhere is not trusted
