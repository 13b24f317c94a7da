"""Hostile outputs: symbolic links planted beside a results file or given as ``--out``, a full
standard output, and a Dask executor that is interrupted or given a bad address.

Each case is one clear line and exit code 2 (or, for a symbolic link the user named, the write
goes to the file it points to), never a traceback and never a write to a file nobody named.
"""

from __future__ import annotations

import json

import pytest

from rewriter.cli import main

from .processes import code_env as _env

FAST = ["compare", "--problem", "fjsp", "--instances", "mk01", "--methods", "mwkr-eet",
        "--no-progress"]


# ---- FILE.lock and FILE.torn never follow a symbolic link ----------------------------------------
@pytest.mark.parametrize("suffix", [".lock", ".torn"])
def test_a_symlink_planted_as_the_lock_or_torn_file_is_refused_and_its_target_untouched(
        tmp_path, capsys, suffix):
    victim = tmp_path / "victim.txt"
    victim.write_text("data\n")
    results = tmp_path / "r.jsonl"
    results.write_text('{"instance": "mk01", "meth')  # a torn line: the run would set it aside
    (tmp_path / f"r.jsonl{suffix}").symlink_to(victim)
    code = main([*FAST, "--results", str(results)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == (f"rewriter: error: {tmp_path}/r.jsonl{suffix}: is a symbolic link; "
                   f"expected a regular file beside the results file {results}: remove it or "
                   "give another --results\n")
    assert victim.read_text() == "data\n"
    assert results.read_text() == '{"instance": "mk01", "meth'  # nothing set aside, nothing run


@pytest.mark.parametrize("suffix", [".lock", ".torn"])
def test_a_lock_or_torn_path_that_is_no_regular_file_is_refused(tmp_path, capsys, suffix):
    import os

    results = tmp_path / "r.jsonl"
    os.mkfifo(tmp_path / f"r.jsonl{suffix}")  # opening a FIFO for writing would block
    code = main([*FAST, "--results", str(results)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"r.jsonl{suffix}: not a regular file" in err


def test_a_hard_link_planted_as_the_lock_file_is_not_truncated(tmp_path, capsys):
    import os

    victim = tmp_path / "victim.txt"
    victim.write_text("data\n")
    os.link(victim, tmp_path / "r.jsonl.lock")
    code = main([*FAST, "--results", str(tmp_path / "r.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and "r.jsonl.lock: has other hard links" in err, err
    assert victim.read_text() == "data\n"


def test_the_lock_and_torn_files_are_opened_without_following_a_link_made_after_the_check(
        tmp_path, capsys):
    """The check before the run and the open are apart: a link made in between is refused too."""
    from rewriter.compare.grid import ResultsLock, set_aside_torn_line
    from rewriter.errors import InputError

    victim = tmp_path / "victim.txt"
    victim.write_text("data\n")
    results = tmp_path / "r.jsonl"
    results.write_text("torn")
    (tmp_path / "r.jsonl.lock").symlink_to(victim)
    (tmp_path / "r.jsonl.torn").symlink_to(victim)
    with pytest.raises(InputError, match="r.jsonl.lock: is a symbolic link"):
        with ResultsLock(results):
            pass
    with pytest.raises(InputError, match="r.jsonl.torn: is a symbolic link"):
        set_aside_torn_line(results)
    assert victim.read_text() == "data\n" and results.read_text() == "torn"


def test_a_results_file_given_as_a_symlink_is_appended_through_with_its_lock_beside_the_target(
        tmp_path, capsys):
    """As for every output (docs/reliability.md, 2), a link the user names is followed: the file
    it points to gets the records, and its FILE.lock lies beside that file, so two names of one
    results file share one lock."""
    store = tmp_path / "store"
    store.mkdir()
    link = tmp_path / "r.jsonl"
    link.symlink_to(store / "real.jsonl")  # dangling until the first record
    assert main([*FAST, "--results", str(link)]) == 0, capsys.readouterr().err
    assert link.is_symlink() and len((store / "real.jsonl").read_text().splitlines()) == 1
    assert (store / "real.jsonl.lock").is_file() and not (tmp_path / "r.jsonl.lock").exists()
    missing = tmp_path / "gone.jsonl"
    missing.symlink_to(tmp_path / "no-such-dir" / "x.jsonl")
    capsys.readouterr()
    assert main([*FAST, "--results", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-dir' does not exist" in err, err


# ---- a dangling --out symlink: the file it points to is written, the link stays ------------------
def test_a_dangling_symlink_as_out_writes_its_target_and_stays_a_link(tmp_path, capsys):
    from rewriter.atomic import write_atomic

    link = tmp_path / "s.json"
    link.symlink_to(tmp_path / "real.json")  # the target does not exist yet
    assert main(["solve", "ft06", "--policy", "none", "--out", str(link), "--quiet"]) == 0
    assert link.is_symlink() and json.loads((tmp_path / "real.json").read_text())["makespan"] > 0
    other = tmp_path / "t.txt"
    other.symlink_to("relative.txt")  # relative to the link's directory
    write_atomic(other, "new")
    assert other.is_symlink() and (tmp_path / "relative.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.json", "relative.txt", "s.json",
                                                          "t.txt"]  # no temporary file left


def test_a_symlink_out_into_a_missing_directory_or_a_loop_is_one_line_before_the_work(
        tmp_path, capsys):
    from rewriter.atomic import write_atomic
    from rewriter.errors import InputError

    nowhere = tmp_path / "s.json"
    nowhere.symlink_to(tmp_path / "no-such-dir" / "real.json")
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for link in (nowhere, loop):
        assert main(["solve", "ft06", "--policy", "none", "--out", str(link)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err  # no search ran
        assert err.startswith(f"rewriter: error: {link}: cannot write the schedule")
        with pytest.raises(InputError):
            write_atomic(link, "x")
        assert link.is_symlink()
    refused = pytest.raises(InputError, write_atomic, nowhere, "").value
    assert "no-such-dir', which does not exist" in str(refused)


# ---- a full standard output is an output error: exit 2, one line ---------------------------------
@pytest.mark.parametrize("argv, buffered", [
    (["validate", "ft06", "{schedule}"], True), (["validate", "ft06", "{schedule}"], False),
    (["instances"], True), (["--help"], True), (["--help"], False),
    (["solve", "ft06", "--policy", "none", "--out", "-"], True)],
    ids=["validate", "validate-unbuffered", "instances", "help", "help-unbuffered",
         "solve-out-dash"])
def test_a_full_stdout_is_one_line_and_exit_2_never_a_verdict(tmp_path, argv, buffered):
    """Buffered (the default), the error shows when the output is flushed at the end; with
    PYTHONUNBUFFERED, at the first print (where argparse would drop it for --help)."""
    import subprocess
    import sys

    schedule = tmp_path / "s.json"
    if "validate" in argv:
        assert main(["solve", "ft06", "--policy", "none", "--out", str(schedule), "--quiet"]) == 0
    argv = [a.format(schedule=schedule) for a in argv]
    env = {k: v for k, v in _env().items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        done = subprocess.run([sys.executable, "-m", "rewriter", *argv], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    # not 1 ("infeasible" for validate) and not 0: the verdict or the output was lost
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1:] == [
        "rewriter: error: cannot write to standard output: No space left on device"], done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_an_output_error_inside_a_command_is_one_line(tmp_path, capsys, monkeypatch):
    """In the process too: a write to stdout that fails mid-command (here: EIO) is exit 2."""
    import errno
    import io

    class Failing(io.StringIO):
        def write(self, text):
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("sys.stdout", Failing())
    assert main(["instances"]) == 2
    assert capsys.readouterr().err == ("rewriter: error: cannot write to standard output: "
                                       "Input/output error\n")


# ---- Dask: a bad scheduler address is one line at once; Ctrl-C ends the run promptly -------------
@pytest.mark.parametrize("address, why", [
    ("dask://localhost:99999", "port 99999 is not in 1-65535"),
    ("tcp://127.0.0.1:0", "port 0 is not in 1-65535"),
    ("dask://:8786", "no host"),
    ("dask://[::1:8786", "'[::1' is not a host name"),
    ("dask://host name:8786", "'host name' is not a host name"),
    ("tcp://::1:8786", "'::1' is not a host name"),
    ("dask://localhost:", "no port"),
    ("dask://localhost", "no port"),
    ("dask://localhost:87x6", "port '87x6' is not a number"),
    ("dask://localhost:" + "9" * 5000, "port 99999... is not in 1-65535")])
def test_a_bad_dask_scheduler_address_is_one_line_before_anything_runs(tmp_path, capsys, address,
                                                                        why):
    import time

    t0 = time.monotonic()
    code = main([*FAST, "--executor", address, "--results", str(tmp_path / "r.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - t0 < 5, err
    assert err == (f"rewriter: error: --executor {address}: {why}; expected local, dask, or a "
                   "scheduler address dask://HOST:PORT (or tcp://HOST:PORT)\n")
    assert not (tmp_path / "r.jsonl").exists()


def test_ctrl_c_on_a_dask_run_ends_it_within_a_second_or_two_and_leaves_no_process(tmp_path):
    """SIGINT to the client alone (its local workers ignore it anyway) while every worker runs
    a long cell: a graceful close would wait 4-5 s for the cells; the workers are killed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from .processes import alive, descendants

    pytest.importorskip("distributed")
    results = tmp_path / "r.jsonl"
    argv = [sys.executable, "-m", "rewriter", "compare", "--instances", "ta01-04", "--methods",
            "tabu:30", "--executor", "dask", "--workers", "2", "--results", str(results),
            "--no-progress"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(descendants(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the two worker processes
        time.sleep(1.5)  # their cells have started
        workers = descendants(proc.pid)
        assert len(workers) >= 2 and proc.poll() is None
        os.kill(proc.pid, signal.SIGINT)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert elapsed < 3, f"{elapsed:.1f} s from SIGINT to the end of the run"
    assert err.strip().splitlines() == [f"rewriter: interrupted; the finished cells are kept in "
                                        f"{results}: the same command continues the run"], err
    time.sleep(0.3)
    assert not [p for p in workers if alive(p)], "worker processes outlived the run"
