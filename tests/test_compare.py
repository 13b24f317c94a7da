"""Method specs, the resumable comparison runner and the tables."""

import json

import pytest

from rewriter import __version__
from rewriter.compare.grid import append_result, plan_cells, read_results, run_cells
from rewriter.errors import InputError
from rewriter.compare.methods import parse_method, parse_methods
from rewriter.compare.tables import per_instance_table, render, summary_table


@pytest.mark.parametrize("text, spec, kind", [
    ("mwkr", "mwkr", "rule"), ("FIFO", "fifo", "rule"), ("random", "random", "rule"),
    ("spt-nd", "spt-nd", "rule"), ("tabu:60", "tabu:60", "search"), ("tabu", "tabu:60", "search"),
    ("tabu:0.5@spt", "tabu:0.5@spt", "search"), ("greedy", "greedy", "search"),
    ("random:500", "random:500", "search"), ("cpsat:60", "cpsat:60", "solver")])
def test_parse_method(text, spec, kind):
    m = parse_method(text)
    assert m.spec == spec and m.kind == kind
    assert parse_method(m.spec) == m  # the spec round-trips


@pytest.mark.parametrize("text, message", [
    ("annealing", "unknown method"), ("tabu:x", "expected a number"), ("tabu:-5", "positive"),
    ("mwkr:5", "takes no budget"), ("random:2.5", "integer"), ("tabu:5@edd", "unknown initial rule"),
    ("cpsat:5@mwkr", "no @init"), ("rewriter:2.5", "expected an integer"), ("", "empty")])
def test_bad_method_specs(text, message):
    with pytest.raises(InputError, match=message):
        parse_method(text)


def test_duplicate_and_empty_method_lists():
    with pytest.raises(InputError, match="twice"):
        parse_methods("mwkr,tabu:60,tabu")
    with pytest.raises(InputError, match="no methods"):
        parse_methods(" , ")


@pytest.mark.parametrize("instances", ["ta41-", "ta50-41", "nosuch1", "ta99"])
def test_bad_instance_specs_fail_before_running(instances):
    with pytest.raises(InputError):
        plan_cells(instances, "mwkr")


def test_run_is_resumable_and_skips_finished_cells(tmp_path):
    results = tmp_path / "results.jsonl"
    cells = plan_cells("ft06,la01", "fifo,mwkr,tabu:0.3,greedy,cpsat:2")
    records = run_cells(cells, results, workers=1, progress=False)
    assert len(records) == 10 == len(read_results(results))
    by = {(r["instance"], r["method"]): r for r in records}
    assert by["ft06", "cpsat:2"]["makespan"] == 55 and by["ft06", "tabu:0.3"]["makespan"] == 55
    assert by["ft06", "mwkr"]["gap_percent"] == round(100 * (67 - 55) / 55, 2)
    assert all(r["version"] == __version__ and r["seed"] == 0 for r in records)
    # second run: nothing new is computed or appended
    lines = results.read_text().splitlines()
    again = run_cells(cells, results, workers=1, progress=False)
    assert results.read_text().splitlines() == lines
    assert [r["makespan"] for r in again] == [r["makespan"] for r in records]
    # a new method only adds its own cells
    more = plan_cells("ft06,la01", "fifo,spt")
    run_cells(more, results, workers=2, progress=False)
    assert len(read_results(results)) == 12
    # CP-SAT's thread count is part of a cell's key and of its column title
    two = run_cells(plan_cells("ft06", "cpsat:2", cpsat_workers=2), results, progress=False)
    assert len(read_results(results)) == 13 and two[0]["params"] == {"cpsat_workers": 2}
    header, _ = per_instance_table(read_results(results))
    assert "cpsat:2 (1 thr)" in header and "cpsat:2 (2 thr)" in header


def test_torn_last_line_is_ignored_but_a_bad_middle_line_is_an_error(tmp_path):
    path = tmp_path / "r.jsonl"
    good = {"instance": "ft06", "method": "mwkr", "seed": 0, "version": __version__}
    append_result(path, good)
    with open(path, "a") as fh:
        fh.write('{"instance": "ft06", "meth')
    assert read_results(path) == [good]
    with open(path, "a") as fh:
        fh.write("\n" + json.dumps(good) + "\n")
    with pytest.raises(InputError, match="line 2"):
        read_results(path)


def _records():
    out = []
    for inst, ub, size in (("ta61", 2868, (50, 20)), ("ta62", 2869, (50, 20)), ("ft06", 55, (6, 6))):
        for method, mk in (("mwkr", int(ub * 1.3)), ("tabu:60", int(ub * 1.03))):
            out.append({"instance": inst, "method": method, "seed": 0, "version": __version__,
                        "family": inst[:2], "n_jobs": size[0], "n_machines": size[1],
                        "upper_bound": ub, "lower_bound": ub, "makespan": mk, "runtime_s": 1.0,
                        "gap_percent": round(100 * (mk - ub) / ub, 2), "status": "completed"})
    return out


def test_tables_have_rows_per_instance_and_group_means():
    header, rows = per_instance_table(_records())
    assert header == ["instance", "size", "UB", "mwkr", "tabu:60"]
    assert [r[0] for r in rows] == ["ta61", "ta62", "mean gap % (ta 50x20)", "ft06", "mean gap % (ft 6x6)"]
    assert rows[0][2:] == [2868, int(2868 * 1.3), int(2868 * 1.03)]
    header, rows = summary_table(_records())
    assert header[:6] == ["group", "instances", "mwkr gap %", "mwkr time s", "tabu:60 gap %", "tabu:60 time s"]
    assert any("(quoted)" in h for h in header)  # published results exist for ta 50x20 only
    ta, ft = rows
    assert ta[0] == "ta 50x20" and ta[1] == 2 and all(v is None for v in ft[6:])
    assert any(v is not None for v in ta[6:])


@pytest.mark.parametrize("fmt, marker", [("md", "| instance |"), ("csv", "instance,size,UB"),
                                         ("tex", r"\begin{tabular}")])
def test_render_formats(fmt, marker):
    text = render(_records(), fmt)
    assert marker in text and "ta61" in text
    if fmt == "tex":
        assert r"gap \%" in text and "%" not in text.replace(r"\%", "")


def test_method_budget_units():
    assert parse_method("tabu:60").method.budget == "seconds" and parse_method("greedy").method.budget == "steps"
    assert parse_method("mwkr").method.budget is None


def test_compare_command_end_to_end(tmp_path, capsys):
    from rewriter.cli import main

    results = tmp_path / "r.jsonl"
    args = ["compare", "--instances", "ft06,la01", "--methods", "fifo,mwkr,tabu:0.2,cpsat:2",
            "--results", str(results), "--no-progress"]
    assert main(args + ["--out", str(tmp_path / "t.md"), "--plot", str(tmp_path / "g.png")]) == 0
    out = capsys.readouterr().out
    assert "| ft06 | 6x6 | 55 |" in out and "mean gap % (ft 6x6)" in out
    assert (tmp_path / "t.md").read_text().startswith("### Makespan per instance")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(results.read_text().splitlines()) == 8
    # tables from the file alone, in LaTeX and CSV
    assert main(["compare", "--results", str(results), "--out", str(tmp_path / "t.tex")]) == 0
    assert r"\begin{tabular}" in (tmp_path / "t.tex").read_text()
    assert main(["compare", "--results", str(results), "--out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_text().startswith("instance,size,UB,fifo,mwkr")


@pytest.mark.parametrize("args, message", [
    (["--instances", "ta41-", "--methods", "mwkr"], "ta41-"),
    (["--instances", "ft06", "--methods", "bogus:3"], "unknown method"),
    (["--instances", "nosuch", "--methods", "mwkr"], "nosuch"),
    (["--instances", "ft06"], "both --instances and --methods"),
    (["--instances", "ft06", "--methods", "mwkr", "--out", "t.docx"], ".md, .csv or .tex"),
    (["--results", "missing.jsonl"], "no such results file")])
def test_compare_bad_specs_fail_before_running(tmp_path, capsys, monkeypatch, args, message):
    from rewriter.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["compare", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "compare-results.jsonl").exists()


def test_solve_with_cpsat_method(tmp_path, capsys):
    from rewriter.cli import main

    out = tmp_path / "s.json"
    assert main(["solve", "ft06", "--method", "cpsat", "--time-limit", "5", "--warm-start",
                 "--out", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["method"] == "cpsat" and data["makespan"] == 55 and data["status"] == "optimal"
    assert data["info"]["solver_version"].startswith("ortools")
    assert main(["validate", "ft06", str(out)]) == 0


@pytest.mark.parametrize("executor, message", [
    ("dask", "--executor dask needs Dask distributed, which is not installed: pip install "
             "'dask[distributed]'"),
    ("dask://host-without-port", "expected local, dask, or a scheduler address")])
def test_executor_without_dask_or_with_a_bad_address_is_one_line(tmp_path, capsys, monkeypatch,
                                                                 executor, message):
    import sys

    from rewriter.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    results = tmp_path / "r.jsonl"
    assert main(["compare", "--instances", "ft06", "--methods", "fifo", "--executor", executor,
                 "--results", str(results), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"rewriter: error: --executor {executor}") and message in err
    assert err.count("\n") == 1 and not results.exists()


def test_compare_refuses_a_results_file_over_the_size_cap_in_one_line(tmp_path, capsys):
    """As every other reader: a results file over MAX_FILE_BYTES (here a sparse one) is one line,
    exit 2, before any of it is read."""
    from rewriter.cli import main
    from rewriter.textfile import MAX_FILE_BYTES

    results = tmp_path / "huge.jsonl"
    with open(results, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    assert main(["compare", "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "huge.jsonl" in err and f"larger than {MAX_FILE_BYTES // 2 ** 20} MiB" in err
    with pytest.raises(InputError, match="larger than"):
        read_results(results)
