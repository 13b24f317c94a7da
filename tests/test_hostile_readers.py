"""Hostile input for every reader (issue 32): integers past Python's 4300-digit limit, JSON
nested thousands deep, paths that are no regular file (a directory, a FIFO, /dev/zero), files in
one problem's format given without --problem, and line separators other than '\\n'.

Every case must end in one InputError (the CLI: one ``rewriter: error:`` line, exit code 2),
never a traceback, and never exit code 1, which ``validate`` reserves for an infeasible schedule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from rewriter import registry, textfile
from rewriter.cli import main
from rewriter.errors import InputError

from .processes import code_env

HUGE = "9" * 5000                            # past int()'s 4300-digit limit
DEEP = "[" * 100_000 + "]" * 100_000         # past json's recursion limit
MEDIUM = "[" * 900 + "]" * 900               # parses, but breaks repr() inside a reader

# (problem, file name, content): each is malformed only by the hostile value in it
HUGE_INSTANCES = [
    ("jssp", "std.txt", f"1 1\n0 {HUGE}\n"),
    ("jssp", "size.txt", f"{HUGE} 1\n0 5\n"),
    ("jssp", "taillard.txt", f"1 1 {HUGE}\n5\n1\n"),
    ("jssp", "inst.json", f'{{"duration_matrix": [[{HUGE}]], "machines_matrix": [[0]]}}'),
    ("fjsp", "l.txt", f"1 2\n1 1 1 {HUGE}\n"),
    ("fjsp", "head.txt", f"1 {HUGE}\n1 1 1 5\n"),
    ("fjsp", "inst.csv", f"job,M1\na,{HUGE}\n"),
    ("fjsp", "inst.json", f'{{"n_machines": {HUGE}, "jobs": [{{"operations": [[[0, 1]]]}}]}}'),
    ("mrt", "inst.json", f'{{"resources": 1, "jobs": [{{"arrival": {HUGE}, "length": 1, "demand": [1]}}]}}'),
]
DEEP_INSTANCES = [
    ("jssp", "inst.json", f'{{"duration_matrix": {DEEP}, "machines_matrix": [[0]]}}'),
    ("jssp", "medium.json", f'{{"duration_matrix": [[{MEDIUM}]], "machines_matrix": [[0]]}}'),
    ("fjsp", "inst.json", f'{{"n_machines": 1, "jobs": [{{"operations": {DEEP}}}]}}'),
    ("fjsp", "medium.json", f'{{"n_machines": 1, "jobs": [{{"operations": [[[0, {MEDIUM}]]]}}]}}'),
    ("mrt", "inst.json", f'{{"resources": 1, "jobs": {DEEP}}}'),
    ("mrt", "medium.json", f'{{"resources": 1, "jobs": [{{"arrival": {MEDIUM}, "length": 1, "demand": [1]}}]}}'),
]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rewriter: error: "), err
    return err


# ---- huge integers and deep nesting, in every reader (defect 1) ---------------------------------
@pytest.mark.parametrize("problem,name,text", HUGE_INSTANCES + DEEP_INSTANCES,
                         ids=[f"{p}-{n}-{'huge' if i < len(HUGE_INSTANCES) else 'deep'}"
                              for i, (p, n, _) in enumerate(HUGE_INSTANCES + DEEP_INSTANCES)])
def test_a_huge_integer_or_deep_nesting_in_an_instance_is_one_error(tmp_path, problem, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        registry.get(problem).load_instance(str(path))
    assert caught.value.path == str(path)


def test_a_huge_integer_names_its_line(tmp_path, capsys):
    path = tmp_path / "l.txt"
    path.write_text(f"1 2\n1 1 1 {HUGE}\n")
    assert main(["solve", str(path), "--problem", "fjsp", "--policy", "none"]) == 2
    err = _one_error_line(capsys)
    assert "l.txt, line 2:" in err and "too large" in err and HUGE not in err
    path = tmp_path / "l.json"
    path.write_text('{"n_machines": 1,\n "jobs": [{"operations": [[[0, %s]]]}]}' % HUGE)
    assert main(["solve", str(path), "--policy", "none"]) == 2
    err = _one_error_line(capsys)
    assert "l.json, line 2:" in err and "5000 digits is far too large" in err


@pytest.mark.parametrize("instance,body", [
    ("ft06", '{"makespan": 1, "operations": %s}' % DEEP),
    ("ft06", '{"makespan": %s, "operations": []}' % HUGE),
    ("mk01", '{"operations": %s}' % DEEP),
    ("mk01", '{"operations": [{"job": %s, "op": 0, "machine": 0, "start": 0}]}' % HUGE),
    ("mk01", '{"operations": [{"job": 0, "op": 0, "machine": 0, "start": %s}]}' % MEDIUM),
    ("mrt_d2_test_00000", '{"jobs": %s}' % DEEP),
    ("mrt_d2_test_00000", '{"jobs": [{"job": 0, "start": %s}]}' % HUGE),
], ids=["jssp-deep", "jssp-huge", "fjsp-deep", "fjsp-huge", "fjsp-medium", "mrt-deep", "mrt-huge"])
def test_validate_reads_a_hostile_schedule_as_bad_input_not_infeasible(tmp_path, capsys, instance,
                                                                        body):
    path = tmp_path / "schedule.json"
    path.write_text(body)
    assert main(["validate", instance, str(path)]) == 2
    assert "schedule.json" in _one_error_line(capsys)


@pytest.mark.parametrize("line", [DEEP, '{"instance": %s}' % HUGE])
def test_a_hostile_results_line_is_one_error(tmp_path, line):
    from rewriter.compare.grid import read_results

    path = tmp_path / "r.jsonl"
    path.write_text(line + "\n" + json.dumps({"instance": "a", "method": "b", "seed": 0,
                                              "version": "1"}) + "\n")
    with pytest.raises(InputError) as caught:
        read_results(path)
    assert caught.value.line == 1


@pytest.mark.parametrize("card", [DEEP, '{"iterations": %s}' % HUGE])
def test_a_hostile_model_card_is_a_warning(tmp_path, card):
    from rewriter.learn.checkpoint import read_card

    path = tmp_path / "model.json"
    path.write_text(card)
    with pytest.warns(UserWarning, match="model card cannot be read"):
        assert read_card(path) is None


@pytest.mark.parametrize("config", [DEEP, '{"iterations": %s}' % HUGE])
@pytest.mark.parametrize("approach", ["rewrite", "construct"])
def test_a_hostile_training_config_is_one_error(tmp_path, capsys, config, approach):
    path = tmp_path / "config.json"
    path.write_text(config)
    code = main(["train", "--approach", approach, "--config", str(path),
                 "--run-dir", str(tmp_path / "run"), "--quiet"])
    assert code == 2
    assert "config.json" in _one_error_line(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("config", [DEEP, '{"config": {"iterations": %s}}' % HUGE])
def test_a_hostile_saved_run_config_is_one_error_on_resume(tmp_path, capsys, config):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(config)
    assert main(["train", "--run-dir", str(run), "--resume", "--quiet"]) == 2
    _one_error_line(capsys)


@pytest.mark.parametrize("content", [DEEP, '{"makespan": %s}' % HUGE, '{"makespan": "55"}', "[]"])
def test_a_hostile_best_schedule_of_a_constructive_run_is_one_error(tmp_path, content):
    from rewriter.learn.construct.train import _read_best_schedule

    (tmp_path / "best_schedule.json").write_text(content)
    with pytest.raises(InputError):
        _read_best_schedule(tmp_path)
    (tmp_path / "best_schedule.json").write_text('{"makespan": 55}')
    assert _read_best_schedule(tmp_path) == 55


@pytest.mark.parametrize("problem,text", [
    ("jssp", '{"name": "a\\ud800b", "duration_matrix": [[3]], "machines_matrix": [[0]]}'),
    ("fjsp", '{"name": "a\\ud800b", "n_machines": 1, "jobs": [{"operations": [[[0, 3]]]}]}'),
    ("mrt", '{"name": "a\\udc00", "resources": 1, "jobs": [{"arrival": 0, "length": 1, "demand": [1]}]}'),
])
def test_an_unpaired_surrogate_in_a_json_name_is_one_error_not_a_crash_on_output(tmp_path, capsys,
                                                                                  problem, text):
    path = tmp_path / "inst.json"
    path.write_text(text)
    assert main(["solve", str(path), "--policy", "none"]) == 2
    assert "unpaired surrogate" in _one_error_line(capsys)
    # a pair is a character: an emoji in a name is fine
    path.write_text(text.replace("\\ud800", "\\ud83d\\ude00").replace("\\udc00", "\\ud83d\\ude00"))
    assert "\U0001f600" in registry.get(problem).load_instance(str(path)).name


# ---- paths that are no regular file (defects 8 and 17) --------------------------------------------
@pytest.mark.parametrize("problem", ["jssp", "fjsp", "mrt"])
def test_a_directory_or_device_as_instance_says_what_it_is(tmp_path, capsys, problem):
    folder = tmp_path / "inst.json"
    folder.mkdir()
    assert main(["solve", str(folder), "--problem", problem]) == 2
    err = _one_error_line(capsys)
    assert "is a directory" in err and "no such" not in err and "unknown" not in err
    assert main(["solve", "/dev/zero", "--problem", problem]) == 2
    err = _one_error_line(capsys)
    assert "is a character device" in err and "no such" not in err


@pytest.mark.parametrize("instance", ["ft06", "mk01", "mrt_d2_test_00000"])
def test_validate_refuses_a_device_as_schedule_at_once(capsys, instance):
    started = time.monotonic()
    assert main(["validate", instance, "/dev/zero"]) == 2
    assert "is a character device" in _one_error_line(capsys)
    assert time.monotonic() - started < 10


def test_a_file_over_the_size_limit_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(textfile, "MAX_FILE_BYTES", 64)
    path = tmp_path / "big.txt"
    path.write_text("1 1\n0 5\n" + "# padding\n" * 20)
    with pytest.raises(InputError, match="larger than"):
        registry.get("jssp").load_instance(str(path))
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({"makespan": 1, "operations": [], "pad": "x" * 100}))
    assert main(["validate", "ft06", str(schedule)]) == 2
    assert "larger than" in _one_error_line(capsys)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_instance_or_schedule_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    for argv in (["solve", str(fifo), "--problem", "fjsp"], ["solve", str(fifo)],
                 ["validate", "ft06", str(fifo)]):
        done = subprocess.run([sys.executable, "-m", "rewriter", *argv], capture_output=True,
                              text=True, timeout=60, env=code_env())
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "is a FIFO" in done.stderr, done.stderr


# ---- the format decides whose errors are reported (defect 13) -------------------------------------
@pytest.mark.parametrize("name,text,words", [
    ("bad.csv", "job,M1,M2\nx,1\n", "job row 1 has 2 cells"),
    ("bad", "job,M1,M2\nx,1,zz\n", "expected an integer (-1 or a duration) for machine 'M2'"),
    ("bad.json", '{"n_machines": 2, "jobs": [{"operations": [[[5, 1]]]}]}', "machine 5 out of range"),
    ("bad.json", '{"jobs": [{"operations": []}]}', "missing key 'n_machines'"),
])
def test_a_malformed_flexible_file_is_reported_in_its_own_terms(tmp_path, capsys, name, text, words):
    path = tmp_path / name
    path.write_text(text)
    assert main(["solve", str(path), "--policy", "none"]) == 2
    err = _one_error_line(capsys)
    assert words in err and "'n m'" not in err and "duration_matrix" not in err


def test_a_malformed_taillard_file_is_still_a_job_shop_error(tmp_path, capsys):
    path = tmp_path / "ta.txt"
    path.write_text("Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound\n"
                    " 1 1 0 0 5 5\nTimes\n5\nMachines\n7\n")
    assert main(["solve", str(path), "--policy", "none"]) == 2
    assert "machine index 7 out of range" in _one_error_line(capsys)


# ---- line numbers count '\n' only (defect 17) -----------------------------------------------------
@pytest.mark.parametrize("separator", ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_a_line_separator_inside_a_line_does_not_shift_line_numbers(tmp_path, separator):
    jssp = tmp_path / "j.txt"
    jssp.write_text(f"2 1\n0 5{separator}\n0 x\n")
    with pytest.raises(InputError) as caught:
        registry.get("jssp").load_instance(str(jssp))
    assert caught.value.line == 3
    fjsp = tmp_path / "f.txt"
    fjsp.write_text(f"2 1\n1 1 1{separator} 5\n1 1 1 x\n")
    with pytest.raises(InputError) as caught:
        registry.get("fjsp").load_instance(str(fjsp))
    assert caught.value.line == 3


@pytest.mark.parametrize("separator", ["\v", "\u2028"])
def test_a_line_separator_inside_a_line_is_whitespace(tmp_path, separator):
    path = tmp_path / "j.txt"
    path.write_text(f"1 2\n0 5{separator}1 3\n")
    instance = registry.get("jssp").load_instance(str(path))
    assert instance.durations.tolist() == [[5, 3]]


def test_parse_json_refuses_deep_nesting_only_and_plain_int_never_trips_the_digit_limit():
    shallow = "[" * textfile.MAX_JSON_DEPTH + "]" * textfile.MAX_JSON_DEPTH
    assert textfile.parse_json(shallow, "x") is not None
    with pytest.raises(InputError, match="nested more than"):
        textfile.parse_json("[" + shallow + "]", "x")
    # brackets inside strings are text, not nesting
    assert textfile.parse_json(json.dumps({"a": "[" * 5000}), "x") == {"a": "[" * 5000}
    assert textfile.plain_int("0" * 5000 + "7") == 7
    assert textfile.plain_int(HUGE) > 2 ** 64 and textfile.plain_int("-" + HUGE) < -2 ** 64
    assert textfile.plain_int("+4") is None and textfile.plain_int("1_0") is None

