"""Sizes a hostile file or option can claim, and what they may cost: a header's machine count, a
resource count or a window, an instance range, a Gantt chart of thousands of machines, and the
error paths of the readers on large inputs. Each is refused in one line before anything large is
allocated, or handled in time that grows linearly with the input."""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pytest

from rewriter.cli import main
from rewriter.shop import gantt as charts
from rewriter.core import spec as core_spec
from rewriter.errors import InputError
from rewriter.fjsp.io import instance_from_dict, parse_csv, parse_fjsplib


def _one_line_error(capsys, code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# ---- the number of machines in a flexible-shop file -----------------------------------------------
def test_fjsplib_header_far_beyond_the_machines_used_is_refused():
    with pytest.raises(InputError) as error:
        parse_fjsplib("1 100000000\n1 1 1 5\n", "huge.fjs")
    assert error.value.line == 1
    assert "100000000 machines" in error.value.reason and "use only 1" in error.value.reason


def test_fjsplib_machine_index_near_the_value_limit_is_refused():
    top = 2 ** 40 - 1
    with pytest.raises(InputError) as error:
        parse_fjsplib(f"1 {top}\n1 1 {top} 5\n", "top.fjs")
    assert error.value.line == 1 and "use only 1" in error.value.reason


def test_fjsp_json_n_machines_far_beyond_the_machines_used_is_refused():
    data = {"n_machines": 10 ** 8, "jobs": [{"operations": [[[0, 5]]]}]}
    with pytest.raises(InputError, match="n_machines: .*use only 1"):
        instance_from_dict(data)


def test_a_few_idle_machines_are_still_accepted():
    # a trimmed instance may leave machines idle: up to 1000 (or as many as are used) is fine
    assert parse_fjsplib("1 1001\n1 1 1 5\n").n_machines == 1001
    text = "1 4000\n1 2000 " + " ".join(f"{k} 1" for k in range(1, 2001)) + "\n"
    assert parse_fjsplib(text).n_machines == 4000


def test_solve_of_a_file_claiming_2_pow_40_machines_is_one_line(tmp_path, capsys):
    path = tmp_path / "huge.fjs"
    path.write_text(f"1 {2 ** 40 - 1}\n1 1 1 5\n")
    err = _one_line_error(capsys, main(["solve", str(path), "--problem", "fjsp", "--policy", "none"]))
    assert "huge.fjs, line 1:" in err and "machines" in err


def test_mrt_resources_without_capacity_allocate_nothing_large():
    from rewriter.mrt.io import instance_from_dict as mrt_from_dict

    data = {"resources": 10 ** 7, "jobs": [{"arrival": 0, "length": 1, "demand": [1]}]}
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="demand: expected 10000000 values"):
            mrt_from_dict(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # a default capacity list of 10^7 entries would take 80 MB


def test_mrt_time_profile_beyond_the_cap_is_refused(tmp_path, capsys):
    path = tmp_path / "late.json"
    path.write_text(json.dumps({"resources": 1, "jobs": [
        {"arrival": 2 ** 31 - 1, "length": 1, "demand": [1]},
        {"arrival": 0, "length": 2 ** 31 - 1, "demand": [1]}]}))
    err = _one_line_error(capsys, main(["solve", str(path), "--problem", "mrt"]))
    assert "late.json:" in err and "time steps" in err


def test_mrt_window_beyond_the_jobs_allocates_for_the_jobs_only():
    from rewriter.mrt.instance import MrtInstance
    from rewriter.mrt.problem import MrtState

    instance = MrtInstance("wide", [10], [0, 0, 1], [1, 2, 1], [[1], [2], [3]], window=2 ** 31 - 1)
    state = MrtState.from_starts(instance, [0, 0, 1])
    pairs, _ = state.candidates()
    assert len(pairs) > 0 and (pairs[:, 0] != pairs[:, 1]).all()


# ---- the Gantt chart at many machines --------------------------------------------------------------
def _chart(monkeypatch, machine, n_machines, n_jobs=None, job=None):
    """The figure gantt() would save (not saved: only its artists are counted)."""
    saved = {}
    monkeypatch.setattr(charts, "save_image", lambda fig, path, fmt: saved.setdefault("fig", fig))
    machine = np.asarray(machine)
    start = np.arange(len(machine)) % 50
    job = np.arange(len(machine)) if job is None else np.asarray(job)
    n_jobs = len(machine) if n_jobs is None else n_jobs
    charts.gantt("g.png", machine, start, start + 3, job, n_machines, n_jobs, "heading", 60)
    return saved["fig"].axes[0]


def test_gantt_draws_only_the_machines_used_when_there_are_thousands(monkeypatch):
    ax = _chart(monkeypatch, [0, 7, 19_999], 20_000)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["M0", "M7", "M19999"]
    assert "19997 idle machines not shown" in ax.get_title()


def test_gantt_labels_a_bounded_number_of_rows(monkeypatch):
    ax = _chart(monkeypatch, np.arange(20_000), 20_000)
    assert 0 < len(ax.get_yticks()) <= charts.MAX_ROW_LABELS


def test_gantt_draws_a_bounded_number_of_artists_for_many_jobs(monkeypatch):
    ax = _chart(monkeypatch, np.arange(5_000) % 40, 40)
    assert len(ax.collections) <= 6  # was one per job
    assert len(ax.texts) <= charts.MAX_BAR_LABELS + 1  # and the makespan's note


def test_gantt_of_ten_thousand_machines_renders_in_seconds(tmp_path):
    machine = np.arange(10_000)
    start = np.zeros(10_000, np.int64)
    began = time.monotonic()
    charts.gantt(tmp_path / "g.png", machine, start, start + 5, machine % 300, 10_000, 300, "h", 5)
    assert time.monotonic() - began < 20  # was 100 s: ten thousand tick labels
    assert (tmp_path / "g.png").stat().st_size > 0


# ---- duplicates found in linear time ---------------------------------------------------------------
def test_a_duplicate_machine_at_the_end_of_a_long_operation_is_found_quickly():
    k = 60_000
    pairs = " ".join(f"{x} 1" for x in range(1, k)) + " 1 1"
    began = time.monotonic()
    with pytest.raises(InputError, match="machine 1 is listed twice"):
        parse_fjsplib(f"1 {k}\n1 {k} {pairs}\n")
    assert time.monotonic() - began < 5  # was 47 s


def test_a_duplicate_job_label_in_a_long_csv_is_found_quickly():
    rows = [f"j{k},1" for k in range(40_000)] + ["j7,1"]
    began = time.monotonic()
    with pytest.raises(InputError, match="'j7' appears twice") as error:
        parse_csv("job,m1\n" + "\n".join(rows) + "\n")
    assert time.monotonic() - began < 5  # was 75 s
    assert error.value.line == 40_002


def test_a_wide_csv_header_is_checked_quickly():
    columns = [f"m{k}" for k in range(30_000)]
    began = time.monotonic()
    with pytest.raises(InputError, match="column 'M5' appears twice"):
        parse_csv(",".join(columns + ["M5"]) + "\n" + ",".join(["1"] * 30_001) + "\n")
    assert time.monotonic() - began < 5  # every column was compared with every earlier one


def test_a_method_listed_twice_in_a_long_list_is_found_quickly():
    from rewriter import registry
    from rewriter.compare.methods import parse_methods

    methods = ["fifo"] + [f"random:{k}" for k in range(1, 30_000)] + ["fifo"]
    began = time.monotonic()
    with pytest.raises(InputError, match="listed twice: fifo"):
        parse_methods(",".join(methods), registry.get("jssp"))
    assert time.monotonic() - began < 5


# ---- instance ranges -------------------------------------------------------------------------------
@pytest.mark.parametrize("problem, spec", [
    ("fjsp", "prod_10x5_s0-{last}"),
    ("fjsp", "jssp:rand_5x5_s0-{last}"),
    ("jssp", "rand_10x5_s0-{last}"),
    ("jssp", "ta1-{last}"),
    ("fjsp", "mk01-{last}"),
])
def test_an_instance_range_past_the_cap_is_one_line(problem, spec):
    from rewriter import registry

    cap = core_spec.MAX_INSTANCES
    with pytest.raises(InputError, match=f"at most {cap:,}"):
        registry.get(problem).expand_instances(spec.format(last=2 * cap))


def test_many_ranges_under_the_cap_are_capped_together():
    from rewriter import registry

    cap = core_spec.MAX_INSTANCES
    step = cap // 2
    text = ",".join(f"prod_10x5_s{k * step}-{(k + 1) * step - 1}" for k in range(3))
    with pytest.raises(InputError, match=f"at most {cap:,}"):
        registry.get("fjsp").expand_instances(text)


def test_an_mrt_range_past_its_split_is_one_line():
    from rewriter import registry

    with pytest.raises(InputError, match="0..9999"):
        registry.get("mrt").expand_instances("d2:test:0-100000000")
    assert len(registry.get("mrt").expand_instances("d2:test:0-9999")) == 10_000


def test_compare_with_a_huge_generated_range_is_one_line(tmp_path, capsys):
    code = main(["compare", "--problem", "fjsp", "--instances", "prod_10x5_s0-100000000",
                 "--methods", "mwkr-eet", "--results", str(tmp_path / "r.jsonl")])
    err = _one_line_error(capsys, code)
    assert "prod_10x5_s0-100000000" in err and f"{core_spec.MAX_INSTANCES:,}" in err
