"""benchmarks/bench_industrial.py: the tables from a small fake results file (no solving), the
resume logic with a fake runner, and one real 1-second run when the collection is there."""

from __future__ import annotations

import csv
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_industrial",
                                               ROOT / "benchmarks" / "bench_industrial.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

BKS = {"tai_100_100_1": 1000, "tai_100_100_2": 2000, "tai_1000_100_1": 5000,
       "tai_1000_100_2": 5000, "bel00": 700}


@pytest.fixture
def data(tmp_path):
    """A collection with bounds and one published engine file, and no instance files."""
    solutions = tmp_path / "data" / "solutions"
    solutions.mkdir(parents=True)
    (solutions / "bks.json").write_text(json.dumps(
        [{"instance": n, "upper_bound": ub, "lower_bound": ub - 1} for n, ub in BKS.items()]))
    (solutions / bench.PUBLISHED[0][1]).write_text(json.dumps(
        [{"instance": "tai_100_100_1", "lb": {"value": 900}, "ub": {"value": 1030}},
         {"instance": "tai_100_100_2", "lb": {"value": 1900}},  # no schedule found
         {"instance": "bel00", "ub": {"value": 700}}]))
    return tmp_path / "data"


def _row(name, method, makespan=None, status="ok", seed=0, steps=None, search_s=None, **extra):
    job = {"name": name, "method": method, "seed": seed, "seconds": 10.0, "cpsat_workers": 2,
           "cpsat_max_ops": 20000, "baseline": "abc1234"}
    row = {"status": status, "n_ops": 10000, "load_s": 0.1, "start_s": 0.2, "solve_s": 10.5,
           "wall_s": 12.0, "validate_s": 0.5, "peak_rss_mib": 300.0, "compiled": 0, **extra}
    if makespan is not None:
        row["makespan"] = makespan
    if steps is not None:
        row.update(steps=steps, search_s=search_s)
    return bench.finish_row(row, job, BKS, slack=1.0)


def _fake_rows():
    return [
        _row("tai_100_100_1", "mwkr", 1300),
        _row("tai_100_100_2", "mwkr", 2600),
        _row("tai_100_100_1", "tabu", 1010, steps=1000, search_s=10.0),   # +1%
        _row("tai_100_100_2", "tabu", 2060, steps=3000, search_s=10.0),   # +3%
        _row("tai_100_100_1", "baseline", 1100, steps=100, search_s=10.0),
        _row("tai_100_100_2", "baseline", 2200, steps=100, search_s=10.0),
        _row("tai_100_100_1", "cpsat", 990, status="INVALID", note="machine 3 overlaps"),
        _row("tai_100_100_2", "cpsat", status="crashed", note="boom"),
        # moves per second: 600/s and 640/s against a measured baseline of 10/s (target 500/s)
        _row("tai_1000_100_1", "tabu", 5100, steps=6000, search_s=10.0),
        _row("tai_1000_100_2", "tabu", 5050, steps=6400, search_s=10.0),
        _row("tai_1000_100_1", "baseline", 5500, steps=100, search_s=10.0),
        _row("tai_1000_100_2", "baseline", status="refused", note="expected 96 values"),
        _row("bel00", "tabu", 707, steps=10, search_s=10.0, solve_s=13.0),  # +1%, limit missed
    ]


def test_finish_row_derives_gap_rate_limit_and_cache():
    row = _row("tai_100_100_1", "tabu", 1010, steps=1000, search_s=4.0, compiled=3)
    assert row["gap"] == pytest.approx(1.0)
    assert row["moves_per_s"] == pytest.approx(250.0)
    assert row["limit_kept"] is True and row["cache"] == "cold"
    assert row["user_wall_s"] == pytest.approx(11.5)  # the benchmark's own validation left out
    late = _row("tai_100_100_1", "tabu", 1010, steps=1, search_s=1.0, solve_s=11.5)
    assert late["limit_kept"] is False and late["cache"] == "warm"
    assert "gap" not in _row("unknown_1", "tabu", 10, steps=1, search_s=1.0)
    assert "moves_per_s" not in _row("bel00", "cpsat", 700, steps=0, search_s=3.0)  # no moves
    # optimal within a millisecond: no rate; a search stuck for its whole budget: rate 0
    assert "moves_per_s" not in _row("bel00", "tabu", 700, steps=1, search_s=0.001,
                                     status_solver="optimal")
    assert _row("bel00", "tabu", 720, steps=0, search_s=9.9,
                status_solver="time_limit")["moves_per_s"] == 0
    assert bench.fmt_gap(100 * 9 / 428900) == "+0.0021%" and bench.fmt_gap(0.0) == "+0.00%"


def test_tables_from_a_fake_results_file(tmp_path, data):
    results = tmp_path / "results.jsonl"
    for row in _fake_rows():
        bench.append_row(results, row)
    text, summary = bench.build_tables(bench.read_rows(results), data, "abc1234", "# header")
    by = {(s["family"], s["method"]): s for s in summary}
    tabu = by[("tai_100_100", "tabu")]
    assert (tabu["gap"], tabu["gap_se"], tabu["ok"]) == pytest.approx((2.0, 1.0, 2))
    assert tabu["moves_per_s"] == pytest.approx(200.0)
    assert by[("tai_100_100", "cpsat")]["ok"] == 0 and by[("tai_100_100", "cpsat")]["invalid"] == 1
    assert "crashed 1" in by[("tai_100_100", "cpsat")]["other"]
    optal = by[("tai_100_100", "OptalCP")]
    assert optal["source"] == "published" and optal["gap"] == pytest.approx(3.0)
    assert optal["other"] == "none found 1"
    assert by[("bel", "tabu")]["limit_kept"] == "0/1"
    # the invalid schedule is reported loudly and left out of the means
    assert "**INVALID SCHEDULES**" in text and "machine 3 overlaps" in text
    assert "| tabu from MWKR | 2 (2) | 2.00 ± 1.00 |" in text
    assert "| mean gap ≤ 2.4%: OptalCP's published 600 s mean (2.40%) | 2.00 ± 1.00 %" in text
    assert "1,030 (+3.00%)" in text and "none found" in text
    speed = [line for line in text.splitlines() if "moves/s ≥" in line]  # tai_1000_100 only
    assert len(speed) == 1
    assert "(10.0/s, measured baseline) = 500/s | 620.0 ± 20.0 | met |" in speed[0]
    assert "bel" in text and "| mean gap ≤ 0%: the optimum on every instance | 1.00 %" in text
    assert "| operations |" not in text  # every family here has one size
    run = bench.settings(bench.read_rows(results), bench.parse_args([]))
    assert (run["seconds"], run["baseline"], run["slack"], run["max_ops"]) == (
        "10", "abc1234", "1", "20,000")  # the run's settings, not the rebuilding command's

    out = bench.write_report(tmp_path / "report.md", text, summary)
    assert (tmp_path / "report.md").read_text().startswith("# header")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["family"], r["method"]) for r in rows} == set(by)
    assert float(next(r for r in rows if r["method"] == "tabu" and r["family"] == "tai_100_100")
                 ["gap"]) == pytest.approx(2.0)


def test_moves_per_second_by_size_for_a_family_of_several_sizes():
    rows = [_row("dct-long-100-10000-1", "tabu", 610000, steps=1000, search_s=10.0),
            _row("dct-short-100-10000-1", "tabu", 610000, steps=3000, search_s=10.0),
            _row("dct-long-100-100000-1", "tabu", 650000, steps=50, search_s=10.0, n_ops=100000)]
    lines = bench.rates_by_size("dct", rows)
    assert lines[0] == "| operations | tabu moves/s ± SE |"
    assert lines[2:4] == ["| ~10^4 | 200 ± 100 |", "| ~10^5 | 5 |"]


def test_verdicts():
    assert bench.verdict(2.0, 1.0, 2.4) == "met"
    assert bench.verdict(3.0, 0.5, 2.4) == "within noise"   # 0.6 above, two SEs = 1.0
    assert bench.verdict(4.0, 0.5, 2.4) == "not met"
    assert bench.verdict(4.0, None, 2.4) == "not met"
    assert bench.verdict(None, None, 2.4) == "no runs"
    assert bench.verdict(450.0, 30.0, 500.0, higher_is_better=True) == "within noise"
    assert bench.verdict(350.0, 30.0, 500.0, higher_is_better=True) == "not met"


def test_the_last_row_of_a_run_counts():
    rows = [_row("bel00", "tabu", 720, steps=1, search_s=1.0),
            _row("bel00", "tabu", 700, steps=1, search_s=1.0)]
    assert bench.latest(rows)[("bel00", "tabu", 0)]["makespan"] == 700


def test_selection_families_and_seeds(tmp_path):
    for folder, names in (("DacolTeppan2022/standard", ["tai_10_10_1.zip", "tai_100_100_2.zip",
                                                         "tai_100_100_6.zip"]),
                          ("DacolTeppan2022/reentrant", ["dct-long-100-10000-1.zip"]),
                          ("BoverouxErnstLouveaux2025", ["bel00.txt", "bel01.txt", "notes.md"])):
        (tmp_path / folder).mkdir(parents=True)
        for name in names:
            (tmp_path / folder / name).write_text("")
    available = bench.catalog(tmp_path)
    assert sorted(available) == ["bel00", "bel01", "dct-long-100-10000-1", "tai_100_100_2",
                                 "tai_10_10_1"]
    assert bench.select(available, "bel0*,tai_100_100") == ["tai_100_100_2", "bel00", "bel01"]
    assert bench.select(available, "dct,bel01") == ["bel01", "dct-long-100-10000-1"]
    assert sorted(["tai_10_10_1", "bel00", "tai_1000_1000_1", "tai_1000_100_2", "tai_1000_100_10",
                   "dct-short-1", "tai_100_100_1"], key=bench.run_order) == [
        "tai_100_100_1", "tai_1000_100_2", "tai_1000_100_10", "tai_1000_1000_1", "bel00",
        "dct-short-1", "tai_10_10_1"]  # the families by size, then the others
    with pytest.raises(SystemExit, match="'tai_9' matches no instance"):
        bench.select(available, "tai_9")
    assert bench.family_of("tai_1000_1000_5") == "tai_1000_1000"
    assert bench.parse_seeds("0-4") == [0, 1, 2, 3, 4] and bench.parse_seeds("0,3") == [0, 3]


def test_zips_are_extracted_once_for_plain_text_readers(tmp_path):
    archive = tmp_path / "long-1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("long-1", "2 1\n0 5 -1 -1\n0 3 -1 -1\n")
    path = bench.plain_text(archive, "dct-long-1", tmp_path / "cache")
    assert path.name == "dct-long-1.txt" and path.read_text().startswith("2 1")
    assert bench.plain_text(tmp_path / "x.txt", "x", tmp_path) == tmp_path / "x.txt"
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a", "1")
        zf.writestr("b", "2")
    with pytest.raises(ValueError, match="expected one file in the zip, found 2"):
        bench.plain_text(two, "two", tmp_path / "cache")


def test_a_rerun_skips_finished_runs_and_retries_failed_ones(tmp_path, data, monkeypatch):
    instance = tmp_path / "tai_100_100_1.txt"
    instance.write_text("not read by the fake runner")
    calls = []

    def fake_run_job(job, env, timeout):
        calls.append((job["method"], job["seed"]))
        if job["method"] == "tabu" and job["seed"] == 1 and len(calls) < 4:
            return {"status": "crashed", "note": "Segmentation fault", "wall_s": 1.0}
        return {"status": "ok", "makespan": 1000 + job["seed"], "steps": 10, "search_s": 1.0,
                "solve_s": 1.0, "wall_s": 2.0, "n_ops": 10000}

    monkeypatch.setattr(bench, "run_job", fake_run_job)
    results = tmp_path / "r.jsonl"
    argv = ["--files", str(instance), "--methods", "mwkr,tabu,baseline", "--seeds", "0-1",
            "--seconds", "1", "--data", str(data), "--results", str(results),
            "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "r.md")]
    assert bench.main(argv) == 0
    assert calls == [("mwkr", 0), ("tabu", 0), ("tabu", 1)]  # the baseline has no checkout
    rows = bench.read_rows(results)
    assert [r["status"] for r in rows] == ["ok", "ok", "crashed", "not run", "not run"]
    assert bench.main(argv) == 0 and len(calls) == 3           # all recorded: nothing reruns
    assert bench.main(argv + ["--retry-failed"]) == 0
    assert calls[3:] == [("tabu", 1)]
    assert bench.main(argv[:-6] + ["--seconds", "2"] + argv[-6:]) == 0  # another budget: all again
    assert len(calls) == 7
    report = (tmp_path / "r.md").read_text()
    assert "| today's tabu (baseline) | 2 (0) |" in report and "not run 2" in report


@pytest.mark.skipif(not (bench.DEFAULT_DATA / "DacolTeppan2022").is_dir(),
                    reason="the ScheduleOpt collection is not there")
def test_one_real_run_of_one_second(tmp_path):
    results = tmp_path / "r.jsonl"
    assert bench.main(["--instances", "tai_10_10_1", "--methods", "mwkr,tabu", "--seconds", "1",
                       "--results", str(results), "--cache-dir", str(tmp_path)]) == 0
    rows = {r["method"]: r for r in bench.read_rows(results)}
    assert set(rows) == {"mwkr", "tabu"}
    for row in rows.values():
        assert row["status"] == "ok", row
        assert row["n_ops"] == 100 and row["makespan"] >= row["bks"] == 8219
        assert row["peak_rss_mib"] > 10 and row["wall_s"] > 0
    assert rows["tabu"]["makespan"] <= rows["mwkr"]["makespan"]
    assert rows["tabu"]["steps"] > 0 and rows["tabu"]["limit_kept"] is True


def test_a_run_that_fails_is_a_row(tmp_path):
    env = bench.method_env("tabu", None, tmp_path)
    job = {"name": "x", "path": str(tmp_path / "missing.txt"), "method": "tabu", "seed": 0,
           "seconds": 1.0, "cpsat_workers": 1, "cpsat_max_ops": 10}
    assert bench.run_job(job, env, timeout=0.01)["status"] == "timeout"
    refused = bench.run_job(job, env, timeout=60)
    assert refused["status"] == "refused" and "missing.txt" in refused["note"]
    crashed = bench.run_job({k: v for k, v in job.items() if k != "seconds"}, env, timeout=60)
    assert crashed["status"] == "crashed" and "KeyError: 'seconds'" in crashed["note"]


def test_a_baseline_checkout_must_hold_the_package(tmp_path, data):
    with pytest.raises(SystemExit, match="no checkout of the package there"):
        bench.plan(bench.parse_args(["--files", __file__, "--data", str(data),
                                     "--baseline-src", str(tmp_path)]))
