"""Schedules, traces and comparisons as pandas DataFrames (Result.to_dataframe, trace_frame,
rewriter.read_results, rewriter.pivot), and the one error when pandas is missing."""

import builtins
import glob
import math
import re

import pytest

pd = pytest.importorskip("pandas")

import rewriter  # noqa: E402
from rewriter import FlexibleInstance  # noqa: E402
from rewriter.cli import main  # noqa: E402
from rewriter.compare import tables  # noqa: E402
from rewriter.compare.grid import read_results as read_records  # noqa: E402
from rewriter.compare.grid import tabulated  # noqa: E402


def test_job_shop_schedule_frame_has_one_row_per_operation():
    inst = rewriter.load_instance("ft06")
    result = rewriter.solve(inst, steps=20, seed=0)
    frame = result.to_dataframe()
    assert len(frame) == inst.n_jobs * inst.n_machines
    assert list(frame.columns) == ["job", "op", "machine", "start", "end"]
    assert frame["end"].max() == result.makespan
    durations = inst.durations[frame["job"], frame["op"]]
    assert ((frame["end"] - frame["start"]) == durations).all()
    assert (inst.machines[frame["job"], frame["op"]] == frame["machine"]).all()


def test_flexible_frame_shows_due_dates_and_lateness_where_the_instance_has_them():
    jobs = [[[(0, 3), (1, 5)], [(1, 2)]], [[(0, 4)], [(0, 2), (1, 3)]], [[(1, 6)]]]
    inst = FlexibleInstance.from_lists("due3", 2, jobs, due=[5, -1, 4])
    result = rewriter.solve(inst, steps=10, seed=0)
    frame = result.to_dataframe()
    assert len(frame) == inst.n_operations
    completion = frame.groupby("job")["end"].max()
    for job, due in enumerate([5, None, 4]):
        rows = frame[frame["job"] == job]
        if due is None:
            assert rows["due"].isna().all() and rows["lateness"].isna().all()
        else:
            assert (rows["due"] == due).all()
            assert (rows["lateness"] == completion[job] - due).all()
    plain = rewriter.solve(FlexibleInstance.from_lists("plain", 2, jobs), steps=10, seed=0)
    assert "due" not in plain.to_dataframe().columns  # no due dates: no such columns


def test_mrt_frame_has_one_row_per_job_with_its_slowdown():
    inst = rewriter.load_instance("mrt_d5_test_00000")
    result = rewriter.solve(inst, steps=5, seed=0)
    frame = result.to_dataframe()
    assert len(frame) == inst.n_jobs
    assert {"job", "start", "end", "arrival", "length", "slowdown", "demand_0"} <= set(frame.columns)
    assert frame["slowdown"].mean() == pytest.approx(result.average_slowdown, abs=1e-6)


def test_trace_frame():
    result = rewriter.solve(rewriter.load_instance("ft06"), steps=20, seed=0)
    trace = result.trace_frame()
    assert list(trace.columns) == ["step", "time_s", "best"]
    assert len(trace) == len(result.trace) and trace["best"].iloc[-1] == result.makespan
    assert trace["best"].is_monotonic_decreasing


def test_a_missing_pandas_is_one_error_naming_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    result = rewriter.solve(rewriter.load_instance("ft06"), steps=2, seed=0)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    for call in (result.to_dataframe, result.trace_frame,
                 lambda: rewriter.read_results("benchmarks/results/compare.jsonl")):
        with pytest.raises(ImportError, match=r"rewriter\[frames\]"):
            call()


def _compare_results() -> list[str]:
    """The results files of `rewriter compare` among the benchmarks (others are other scripts')."""
    paths = []
    for path in sorted(glob.glob("benchmarks/results/*.jsonl")):
        try:
            records = read_records(path)
        except rewriter.InputError:
            continue
        if records and all("runtime_s" in r and "upper_bound" in r for r in records):
            paths.append(path)
    return paths


def _same(value, cell) -> bool:
    if value is None:
        return cell is None or (isinstance(cell, float) and math.isnan(cell))
    return value == cell


@pytest.mark.parametrize("path", _compare_results())
def test_pivot_is_the_table_compare_builds(path):
    frame = rewriter.read_results(path)
    records = tables.with_gaps(tabulated(read_records(path)))
    assert len(frame) == len(records)  # one row per cell
    for name, (header, rows) in (("instances", tables.per_instance_table(records)),
                                 ("summary", tables.summary_table(records))):
        table = frame.pipe(rewriter.pivot, table=name)
        assert list(table.columns) == header and len(table) == len(rows)
        for row, cells in zip(rows, table.itertuples(index=False)):
            assert all(_same(v, c) for v, c in zip(row, cells)), (name, row, cells)


def _markdown_rows(text: str, title: str) -> list[list[str]]:
    block = text.split(title, 1)[1].split("###", 1)[0]
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in block.splitlines() if line.startswith("|")][2:]


@pytest.mark.parametrize("path", _compare_results())
def test_pivot_equals_the_table_compare_prints(path, capsys):
    assert main(["compare", "--results", path]) == 0
    printed = capsys.readouterr().out
    frame = rewriter.read_results(path)
    for title, name in ((" per instance", "instances"), (" and mean time, by group", "summary")):
        shown = _markdown_rows(printed, title)
        table = rewriter.pivot(frame, table=name)
        assert len(shown) == len(table)
        for line, cells in zip(shown, table.itertuples(index=False)):
            for text, cell in zip(line, cells):
                if text == "-":
                    assert cell is None or math.isnan(cell)
                elif re.fullmatch(r"-?\d+(\.\d+)?", text):
                    assert float(text) == pytest.approx(cell, abs=0.005)
                else:
                    assert text == str(cell)


def test_pivot_names_its_tables():
    frame = rewriter.read_results(_compare_results()[0])
    with pytest.raises(ValueError, match="instances, summary"):
        rewriter.pivot(frame, table="per_method")
