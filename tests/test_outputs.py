"""Output hygiene: where results go, in which format, and what an output may never destroy."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading

import pytest

from rewriter.atomic import write_atomic
from rewriter.cli import main
from rewriter.errors import InputError


def test_out_dash_writes_the_schedule_to_stdout_and_the_summary_to_stderr(capsys):
    assert main(["solve", "ft06", "--policy", "tabu", "--steps", "50", "--out", "-"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["instance"] == "ft06" and len(data["operations"]) == 36
    assert "final makespan" in err


def test_out_csv_writes_one_row_per_operation(tmp_path):
    path = tmp_path / "s.csv"
    assert main(["solve", "ft06", "--policy", "tabu", "--steps", "50", "--out", str(path), "-q"]) == 0
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 36 and list(rows[0]) == ["job", "op", "machine", "start", "end"]
    assert all(int(r["end"]) > int(r["start"]) for r in rows)


@pytest.mark.parametrize("name", ["s.txt", "s", "s.json.bak"])
def test_an_output_suffix_that_is_not_understood_is_an_error(tmp_path, capsys, name):
    assert main(["solve", "ft06", "--steps", "1", "--out", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert "expected a file name ending in .json or .csv" in err and err.count("\n") == 1
    assert not (tmp_path / name).exists()
    assert main(["solve", "ft06", "--steps", "1", "--trace", str(tmp_path / "t.txt")]) == 2


def test_a_write_through_a_symlink_replaces_the_file_not_the_link(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_an_existing_file_keeps_its_permissions_and_a_read_only_one_is_refused(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text("{}")
    os.chmod(path, 0o640)
    write_atomic(path, "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "x"
    os.chmod(path, 0o444)
    with pytest.raises(InputError, match="read-only"):
        write_atomic(path, "y")
    assert main(["solve", "ft06", "--policy", "tabu", "--steps", "5", "--out", str(path)]) == 2
    assert path.read_text() == "x" and "read-only" in capsys.readouterr().err


def test_a_pipe_is_written_in_place_never_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = io.StringIO()

    def read():
        with open(fifo) as fh:
            received.write(fh.read())

    reader = threading.Thread(target=read)
    reader.start()
    assert main(["solve", "ft06", "--policy", "tabu", "--steps", "5", "--out", str(fifo), "-q"]) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received.getvalue())["instance"] == "ft06"


def test_compare_shows_names_and_gaps_to_the_best_where_no_bound_is_known(tmp_path, capsys):
    from rewriter.jssp.generate import random_instance
    from rewriter.jssp.io import write_standard

    path = tmp_path / "rand_6x4.txt"
    write_standard(random_instance(6, 4, seed=1), path)
    assert main(["compare", "--instances", f"ft06,{path}", "--methods", "fifo,mwkr",
                 "--results", str(tmp_path / "r.jsonl"), "--no-quoted"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| rand_6x4 "))
    assert str(tmp_path) not in out.split("results:")[0]
    assert "No known upper bound for rand_6x4: their gaps are to the best result in the row" in out
    gaps = next(line for line in out.splitlines() if "(rand" in line)
    assert "0.00" in gaps and " - " not in gaps and row


def test_a_long_run_without_a_terminal_prints_progress_lines(tmp_path, capsys):
    assert main(["compare", "--instances", "ft06,la01", "--methods", "fifo",
                 "--results", str(tmp_path / "r.jsonl")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("compare: 0/2 cells (0%)") and err[-1].startswith("compare: 2/2 cells (100%)")
    assert main(["compare", "--instances", "ft06", "--methods", "fifo", "--no-progress",
                 "--results", str(tmp_path / "r.jsonl")]) == 0
    assert capsys.readouterr().err == ""


def test_progress_lines_come_every_interval(capsys, monkeypatch):
    from rewriter.core import progress

    clock = iter([0.0, 10.0, 31.0, 40.0, 70.0, 71.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    bar = progress.Progress(5, "train", "it", mode="lines")
    for _ in range(4):
        bar.update(1, val="1.5%")
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["train: 0/5 it (0%), 0 s", "train: 2/5 it (40%), 31 s, val 1.5%",
                     "train: 4/5 it (80%), 70 s, val 1.5%", "train: 4/5 it (80%), 71 s, val 1.5%"]
