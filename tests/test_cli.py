"""The ``rewriter`` command line end to end: solve, validate, instances, and every error path."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import pytest

from rewriter.cli import main
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.validate import check_schedule

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def summary_value(out: str, field: str) -> str:
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] == field:
            return cells[1]
    raise AssertionError(f"no {field!r} row in:\n{out}")


@pytest.fixture(scope="module")
def ta01_files(tmp_path_factory):
    """One `solve ta01` run writing every output, shared by the tests that read them."""
    folder = tmp_path_factory.mktemp("ta01")
    paths = {key: folder / name for key, name in
             (("out", "ta01.json"), ("gantt", "ta01.png"), ("trace", "ta01.csv"),
              ("convergence", "conv.png"))}
    code = main(["solve", "ta01", "--steps", "200", "--no-progress",
                 *(arg for key, path in paths.items() for arg in (f"--{key}", str(path)))])
    assert code == 0
    return paths


# ---- solve -------------------------------------------------------------------------------------
def test_solve_ft06_with_tabu_reaches_the_optimum(capsys):
    code, out, err = run(capsys, "solve", "ft06", "--policy", "tabu", "--no-progress")
    assert code == 0, err
    assert summary_value(out, "final makespan") == "55"
    assert summary_value(out, "instance") == "ft06"
    assert summary_value(out, "status") == "optimal"
    last = out.strip().splitlines()[-1]
    assert "gap" in last and "0.00" in last  # the summary ends with the gap line
    for field in ("size", "init rule", "initial makespan", "lower bound", "upper bound", "steps",
                  "restarts", "time"):
        summary_value(out, field)


def test_solve_ta01_writes_a_valid_schedule_json(ta01_files):
    data = json.loads(ta01_files["out"].read_text())
    instance = load_instance("ta01")
    assert data["instance"] == "ta01" and data["n_jobs"] == 15 and data["n_machines"] == 15
    assert data["steps"] == 200 and data["upper_bound"] == 1231
    starts = [[None] * instance.n_machines for _ in range(instance.n_jobs)]
    for entry in data["operations"]:
        starts[entry["job"]][entry["op"]] = entry["start"]
        assert entry["end"] == entry["start"] + instance.durations[entry["job"], entry["op"]]
    assert check_schedule(instance, starts, data["makespan"]) == data["makespan"]


def test_solve_ta01_writes_pngs_and_a_monotone_trace(ta01_files):
    for key in ("gantt", "convergence"):
        blob = ta01_files[key].read_bytes()
        assert len(blob) > 1000 and blob.startswith(PNG_MAGIC)
    with open(ta01_files["trace"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["step", "time_s", "best_makespan"]
    best = [int(row["best_makespan"]) for row in rows]
    steps = [int(row["step"]) for row in rows]
    assert len(best) >= 2 and all(a >= b for a, b in zip(best, best[1:]))
    assert steps == sorted(steps) and steps[-1] == 200
    assert best[-1] == json.loads(ta01_files["out"].read_text())["makespan"]
    # no temporary files left beside the outputs
    assert not [p for p in ta01_files["out"].parent.iterdir() if p.name.endswith(".tmp")]


def test_solve_prints_the_paths_it_wrote(capsys, tmp_path):
    out_path = tmp_path / "s.json"
    code, out, _ = run(capsys, "solve", "ft06", "--steps", "10", "--out", out_path, "--no-progress")
    assert code == 0 and str(out_path) in out and out_path.is_file()
    code, out, err = run(capsys, "solve", "ft06", "--steps", "10", "--quiet")
    assert code == 0 and out == "" and err == ""


def test_time_limit_with_steps_zero_runs_until_the_limit(capsys):
    tic = time.perf_counter()
    code, out, err = run(capsys, "solve", "ta41", "--policy", "tabu", "--time-limit", "1", "--steps", "0",
                         "--no-progress")
    elapsed = time.perf_counter() - tic
    assert code == 0, err
    assert summary_value(out, "status") == "time_limit"
    assert 0.9 <= elapsed < 4.0
    assert int(summary_value(out, "steps")) > 200


# ---- validate ----------------------------------------------------------------------------------
def test_validate_accepts_the_written_schedule(capsys, ta01_files):
    makespan = json.loads(ta01_files["out"].read_text())["makespan"]
    code, out, err = run(capsys, "validate", "ta01", ta01_files["out"])
    assert code == 0, err
    assert out.splitlines()[0] == f"valid: makespan {makespan}"


def test_validate_rejects_an_overlap(capsys, ta01_files, tmp_path):
    data = json.loads(ta01_files["out"].read_text())
    # move the second operation of machine 0 onto the first one's start: an overlap
    (j1, o1), (j2, o2) = data["machine_sequences"][0][:2]
    ops = {(e["job"], e["op"]): e for e in data["operations"]}
    first, second = ops[j1, o1], ops[j2, o2]
    second["end"] += first["start"] - second["start"]
    second["start"] = first["start"]
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data))
    code, out, _ = run(capsys, "validate", "ta01", bad)
    assert code == 1
    assert out.startswith("invalid:") and "overlaps" in out


def test_validate_rejects_a_wrong_makespan_and_inconsistent_sequences(capsys, ta01_files, tmp_path):
    data = json.loads(ta01_files["out"].read_text())
    data["makespan"] -= 1
    seq = data["machine_sequences"][3]
    seq[0], seq[1] = seq[1], seq[0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, out, _ = run(capsys, "validate", "ta01", bad)
    assert code == 1
    assert "reported makespan" in out and "machine 3: the sequence" in out


@pytest.mark.parametrize("content, expected", [
    ('{"makespan": 3', "line"),
    ("[1, 2]", "expected a JSON object"),
    ('{"makespan": 3}', "missing key 'operations'"),
    ('{"makespan": 3, "operations": []}', "lists 0 of the 225 operations"),
    ('{"makespan": "x", "operations": []}', "'makespan' must be an integer"),
])
def test_validate_malformed_schedule_files_exit_2(capsys, tmp_path, content, expected):
    path = tmp_path / "broken.json"
    path.write_text(content)
    code, out, err = run(capsys, "validate", "ta01", path)
    assert code == 2 and out == ""
    assert err.startswith("rewriter: error: ") and str(path) in err and expected in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_validate_a_schedule_of_another_size_exits_2(capsys, ta01_files):
    code, _, err = run(capsys, "validate", "ft06", ta01_files["out"])
    assert code == 2 and "6x6" in err


# ---- instances ---------------------------------------------------------------------------------
def test_instances_lists_ta41(capsys):
    code, out, _ = run(capsys, "instances")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("| ta41 "))
    assert "30x20" in row and "2005" in row and "1926" in row


def test_instances_family_filter_and_csv(capsys):
    code, out, _ = run(capsys, "instances", "--family", "ft", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["name"] for r in rows] == ["ft06", "ft10", "ft20"]
    assert rows[0]["n_jobs"] == "6" and rows[0]["upper_bound"] == "55"
    code, _, err = run(capsys, "instances", "--family", "nope")
    assert code == 2 and "unknown family" in err


# ---- bad input ---------------------------------------------------------------------------------
def test_unknown_instance_name(capsys):
    code, out, err = run(capsys, "solve", "ta411")
    assert code == 2 and out == ""
    assert err.startswith("rewriter: error: ") and ("did you mean" in err or "rewriter instances" in err)
    assert "Traceback" not in err


def test_malformed_instance_file_names_file_and_line(capsys, tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("2 2\n0 1 1 2\n0 x 1 1\n")
    code, _, err = run(capsys, "solve", path)
    assert code == 2
    assert f"{path}, line 3" in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [
    ["solve", "ft06", "--init", "nosuchrule"],
    ["solve", "ft06", "--time-limit", "-1"],
    ["solve", "ft06", "--time-limit", "nan"],
    ["solve", "ft06", "--steps", "-5"],
    ["solve", "ft06", "--policy", "annealing"],
    ["solve", "ft06", "--moves", "n9"],
    ["solve", "ft06", "--decoding", "beam"],
    ["solve", "ft06", "--decoding", "argmax", "--samples", "2"],
    ["solve"],
    ["frobnicate"],
])
def test_bad_options_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "error" in err and "Traceback" not in err


def test_mrt_solve_names_a_missing_instance(capsys):
    code, _, err = run(capsys, "solve", "ft06", "--problem", "mrt")
    assert code == 2 and "no such MRT instance" in err


@pytest.mark.parametrize("option", ["--out", "--gantt", "--trace", "--convergence"])
def test_unwritable_outputs_fail_before_solving(capsys, tmp_path, option):
    name = {"--out": "x.json", "--trace": "x.csv"}.get(option, "x.png")
    code, _, err = run(capsys, "solve", "ft06", option, tmp_path / "missing" / name)
    assert code == 2 and "does not exist" in err and err.count("\n") == 1
    code, _, err = run(capsys, "solve", "ft06", option, tmp_path)
    assert code == 2 and "is a directory" in err


# ---- help and version --------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [[], ["solve"], ["validate"], ["instances"]])
def test_help(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0 and out.startswith("usage: rewriter")
    assert "examples:" in out


def test_solve_help_explains_every_option(capsys):
    _, out, _ = run(capsys, "solve", "--help")
    for option in ("--init", "--init-mode", "--policy", "--moves", "--steps", "--time-limit",
                   "--seed", "--out", "--gantt", "--trace", "--convergence", "--quiet",
                   "--progress", "--problem", "mwkr", "tabu", "n5"):
        assert option in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip().startswith("rewriter 0.")


def test_no_command_prints_help(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "usage: rewriter" in err


# ---- a real process ----------------------------------------------------------------------------
def test_subprocess_module_entry_points(tmp_path):
    out = tmp_path / "ft06.json"
    proc = subprocess.run([sys.executable, "-m", "rewriter.cli", "solve", "ft06", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and json.loads(out.read_text())["makespan"] == 55
    assert proc.stdout.strip().splitlines()[-1].startswith("| gap")
    proc = subprocess.run([sys.executable, "-m", "rewriter", "validate", "ft06", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("valid: makespan 55")
    proc = subprocess.run([sys.executable, "-m", "rewriter", "solve", "nosuch.txt"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("rewriter: error:")
    assert "Traceback" not in proc.stderr


def test_mrt_compare_and_solve_with_search_baselines(capsys, tmp_path):
    out = tmp_path / "t.csv"
    assert main(["compare", "--problem", "mrt", "--instances", "d2:test:0-1", "--no-quoted",
                 "--methods", "ejf,greedy:5,random-walk:5", "--results", str(tmp_path / "r.jsonl"),
                 "--out", str(out)]) == 0
    summary = list(csv.reader(out.read_text().split("\n\n")[1].splitlines()))
    assert summary[0] == ["group", "instances", "ejf average slowdown", "ejf time s",
                          "greedy:5 average slowdown", "greedy:5 time s",
                          "random-walk:5 average slowdown", "random-walk:5 time s"]
    assert summary[1][:2] == ["D=2", "2"]
    ejf, greedy, walk = (float(x) for x in summary[1][2::2])
    assert greedy <= ejf and walk <= ejf
    schedule = tmp_path / "s.json"
    assert main(["solve", "--problem", "mrt", "mrt_d2_test_00000", "--policy", "greedy", "--steps", "5",
                 "--out", str(schedule)]) == 0
    data = json.loads(schedule.read_text())
    assert data["method"] == "greedy" and data["steps"] <= 5
    assert data["average_slowdown"] <= data["init_average_slowdown"]
