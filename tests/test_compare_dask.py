"""``rewriter compare --executor dask``: the same records as the process pool, a worker killed
mid-run, a cell that raises, and a client interrupted by Ctrl-C then resumed."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from rewriter.compare.grid import Cell, plan_cells, read_results, record_key, run_cells  # noqa: E402
from rewriter.compare.dask_cluster import start_local_cluster  # noqa: E402
from rewriter.compare.methods import parse_method  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: deterministic cells (rules and step-budget searches): equal records on every executor
DETERMINISTIC = ("ft06,la01", "fifo,mwkr,greedy,random:200")


def _values(records):
    return sorted((r["instance"], r["method"], r["makespan"], r.get("steps"), r["status"])
                  for r in records)


def test_a_local_dask_cluster_gives_the_records_of_the_process_pool(tmp_path):
    cells = plan_cells(*DETERMINISTIC)
    pool = run_cells(cells, tmp_path / "pool.jsonl", workers=2, progress=False)
    dask = run_cells(cells, tmp_path / "dask.jsonl", workers=2, progress=False, executor="dask")
    assert len(dask) == len(cells) == 8
    assert _values(dask) == _values(pool)
    lines = (tmp_path / "dask.jsonl").read_text().splitlines()
    assert len(lines) == 8 and len({record_key(r) for r in read_results(tmp_path / "dask.jsonl")}) == 8


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_killed_worker_loses_only_its_cell_and_a_failing_cell_is_recorded_once(tmp_path):
    from distributed import Client

    cells = plan_cells("ft06,la01,la02,la03", "tabu:1")
    bad = Cell("no-such-instance", parse_method("fifo"), 0, 1, "jssp")  # raises in the worker
    results = tmp_path / "r.jsonl"
    cluster = start_local_cluster(2, 1)
    try:
        client = Client(cluster)
        out = {}
        runner = threading.Thread(target=lambda: out.update(records=run_cells(
            cells + [bad], results, progress=False, executor=cluster.scheduler_address)))
        with pytest.warns(UserWarning, match="no-such-instance with fifo .* failed 2 times"):
            runner.start()
            busy = {}

            def tabu_running():  # a worker has been running a tabu cell for a while
                busy.update({w: k for w, k in client.processing().items() if k})
                return bool(busy)

            _wait(tabu_running, 60, "a running cell")
            time.sleep(0.4)
            victim = next(iter(busy))
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            runner.join(120)
        assert not runner.is_alive()
        client.close()
    finally:
        cluster.close()
    records = read_results(results)
    done = [r for r in records if r["status"] != "failed"]
    assert _values(out["records"]) == _values(done)
    assert sorted(r["instance"] for r in done) == ["ft06", "la01", "la02", "la03"]
    assert len({record_key(r) for r in done}) == 4 == len(out["records"])
    failed = [r for r in records if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["attempts"] == 2 and "no-such-instance" in failed[0]["error"]


def test_ctrl_c_on_the_client_keeps_the_finished_cells_and_the_same_command_completes(tmp_path):
    results = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "rewriter", "compare", "--instances", "ft06,la01,la02,la03,la04,la05",
               "--methods", "tabu:1", "--executor", "dask", "--workers", "2", "--results",
               str(results), "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait(lambda: results.exists() and results.read_text().count("\n") >= 1, 90,
              "the first finished cell")
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the client and its workers
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # no worker outlived the client
        os.killpg(proc.pid, 0)
    assert err.strip().splitlines() == [f"rewriter: interrupted; the finished cells are kept in "
                                        f"{results}: the same command continues the run"]
    kept = read_results(results)
    assert 1 <= len(kept) < 6
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    records = read_results(results)
    assert len(records) == 6 == len({record_key(r) for r in records})
    assert records[:len(kept)] == kept  # the cells of the first run were not run again


def test_workers_started_without_resources_count_one_cpu_slot_per_thread(tmp_path):
    """A plain ``dask worker`` (no ``--resources cpus=N``) serves a comparison: each of its
    threads runs one cell, and cells of T threads run (the cluster's threads) / T at a time."""
    import dask
    from distributed import Client, LocalCluster

    from rewriter.compare.dask_cluster import check_workers

    with dask.config.set({"distributed.worker.multiprocessing-method": "fork"}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                               dashboard_address=None, silence_logs=50)  # no resources
    try:
        with Client(cluster) as client:
            address = cluster.scheduler_address
            assert [check_workers(client, address, t) for t in (1, 2, 3)] == [2, 1, 1]
        cells = plan_cells(*DETERMINISTIC)
        pool = run_cells(cells, tmp_path / "pool.jsonl", workers=1, progress=False)
        dask_records = run_cells(cells, tmp_path / "dask.jsonl", progress=False,
                                 executor=cluster.scheduler_address)
        # a solver cell of 2 threads takes both: the cells go one at a time, every one runs
        two = plan_cells("ft06", "fifo,mwkr,cpsat:2", cpsat_workers=2)
        paced = run_cells(two, tmp_path / "two.jsonl", progress=False,
                          executor=cluster.scheduler_address)
    finally:
        cluster.close()
    assert len(dask_records) == len(cells) == 8
    assert _values(dask_records) == _values(pool)
    assert sorted((r["method"], r["status"]) for r in paced) == [
        ("cpsat:2", "optimal"), ("fifo", "completed"), ("mwkr", "completed")]
