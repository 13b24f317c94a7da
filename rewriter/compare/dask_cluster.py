"""``rewriter compare --executor dask``: the cells of a comparison on a Dask distributed cluster.

Dask distributed is pure Python (no native core to build or match), so a cluster is a
``pip install`` and two commands (``dask scheduler``, ``dask worker``). Each cell is one task that
claims ``cell.threads`` units of the worker resource ``cpus``; a worker offers as many as it
has cores reserved for it, so a CP-SAT cell with T threads only runs where T cores are free.
When some worker declares no ``cpus`` (a plain ``dask worker``), no cell claims any: every
worker thread is one CPU slot, a cell takes one, and cells of T threads run at most
(the cluster's threads) / T at a time.

The client (this process) alone writes the results file: :func:`dask_records` yields each
record as its task finishes and :func:`rewriter.compare.grid.run_cells` appends it, exactly as for
the local process pool. Failures:

* a worker that dies loses its running cell; the scheduler runs it again on another worker,
  once (``allowed-failures`` is 1 on the local cluster; start a remote scheduler with
  ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1`` for the same); a second death ends the
  cell as failed;
* a cell that raises is caught inside its task (so Dask never retries it on its own) and is
  submitted once more by the client; a second exception ends it as failed;
* a failed cell is one record with status ``failed`` and its error; the run goes on, and the
  next run of the same command tries it again.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import traceback
import uuid
import warnings
from contextlib import contextmanager

from .cells import Cell, failed_record, run_cell
from ..errors import InputError

#: how to get the engine, in the message shown without it
INSTALL = "pip install 'dask[distributed]' (from a source tree: pip install -e '.[distributed]')"
#: seconds to wait for a remote scheduler to answer (Dask retries a refused connection until then)
CONNECT_TIMEOUT = 10
#: seconds to wait for a scheduler that answered to have a worker (workers may still be starting)
WORKER_TIMEOUT = 30
#: seconds to wait for the scheduler to take a closing client's goodbye after a Ctrl-C
CLOSE_TIMEOUT = 1


def parse_executor(text: str) -> str:
    """``local``, ``dask`` or a scheduler address ``tcp://HOST:PORT`` (``dask://`` is read as
    ``tcp://``); anything else, or a Dask executor without Dask installed, is an InputError."""
    given = text = text.strip()
    if text == "local":
        return text
    if text.startswith("dask://"):
        text = "tcp://" + text[len("dask://"):]
    if text != "dask":
        wrong = address_problem(text[len("tcp://"):]) if text.startswith("tcp://") else ""
        if wrong is not None:  # "": not an address at all
            raise InputError(f"--executor {given}: {wrong + '; ' if wrong else ''}expected local, "
                             "dask, or a scheduler address dask://HOST:PORT (or tcp://HOST:PORT)")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(f"--executor {given} needs Dask distributed, which is not installed: "
                         f"{INSTALL}") from None
    return text


def address_problem(address: str) -> str | None:
    """What is wrong with a scheduler address ``HOST:PORT`` (None: nothing), found here rather
    than by a connection that waits out its timeout: a port outside 1-65535, no host, a host
    with spaces or slashes (an IPv6 address goes in brackets: ``[::1]:8786``)."""
    host, colon, port = address.rpartition(":")
    if not colon or not port:
        return "no port"
    if not (port.isascii() and port.isdigit()):
        return f"port {port!r} is not a number"
    digits = port.lstrip("0")
    if len(digits) > 5 or not 1 <= int(digits or "0") <= 65535:
        return f"port {port if len(port) <= 8 else port[:5] + '...'} is not in 1-65535"
    if not host:
        return "no host"
    bracketed = host.startswith("[") and host.endswith("]")
    bare = host[1:-1] if bracketed else host
    if (not bare or any(c.isspace() or c in "/[]@?#" for c in bare)
            or (":" in bare and not bracketed)):
        return f"{host!r} is not a host name"
    return None


def run_cell_task(cell: Cell) -> tuple:
    """The task a worker runs: ``("ok", record)``, or ``("error", text)`` when the cell raised
    (caught here, so the client decides on the retry and Dask's own retry never runs it too)."""
    try:
        return "ok", run_cell(cell)
    except Exception as exc:  # noqa: BLE001 - reported to the client as the cell's error
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return "error", f"{type(exc).__name__}: {exc} ({os.path.basename(last.filename)}:{last.lineno})"


def start_local_cluster(workers: int, cpus: int):
    """A Dask cluster on this machine: ``workers`` processes of one thread, each offering
    ``cpus`` units of the ``cpus`` resource; a task whose worker dies is run once more, then
    fails. Returns the ``LocalCluster`` (close it when done).

    On Linux the worker processes are forked, as the local pool's are: they start with this
    process's modules already imported (0.5 s for two workers instead of 4 s spawned)."""
    import dask
    from distributed import LocalCluster

    settings = {"distributed.scheduler.allowed-failures": 1}
    if sys.platform.startswith("linux"):
        settings["distributed.worker.multiprocessing-method"] = "fork"
    with dask.config.set(settings):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            resources={"cpus": cpus}, dashboard_address=None,
                            # CRITICAL: a worker that loses the scheduler while the client shuts
                            # the cluster down (Ctrl-C) logs an ERROR with a traceback; a cell's
                            # own failure reaches the client as its record, not as a log line
                            silence_logs=logging.CRITICAL, preload=[__name__])


def dask_setup(worker) -> None:
    """Run by each worker of the local cluster as it starts (Dask's preload hook): ignore
    SIGINT. A Ctrl-C in the terminal reaches the whole process group; the client, which gets it
    too, ends the cluster itself, so no worker dies printing a traceback of its own."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def local_workers(workers: int, threads: int, cores: int | None = None) -> int:
    """How many workers a local cluster gets: ``workers``, but no more than fit the cores when
    every one runs a cell of ``threads`` threads (at least one); warns when fewer."""
    cores = cores or os.cpu_count() or 1
    fit = max(1, min(workers, cores // threads))
    if fit < workers:
        warnings.warn(f"--executor dask: {workers} workers x {threads} solver threads > {cores} "
                      f"cores: starting {fit} worker{'s' * (fit > 1)} so that the solver's "
                      "threads are not oversubscribed", stacklevel=3)
    return fit


def check_workers(client, address: str, threads: int) -> int | None:
    """How the cells of ``threads`` threads share the cluster's workers: None when every worker
    declares the resource ``cpus`` (each cell claims ``threads`` of it), else how many cells run
    at once when the workers count one CPU slot per thread (a plain ``dask worker``, which
    Dask users start without ``--resources``): the cluster's threads // ``threads``, at least 1.
    Fails at once, instead of waiting forever, when there is no worker or no worker declaring
    ``cpus`` offers ``threads`` of them."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise InputError(f"--executor {address}: the scheduler has no worker after "
                         f"{WORKER_TIMEOUT} s; start some with: dask worker {address} "
                         f"--nthreads 1 --resources cpus={threads}") from None
    workers = list(client.scheduler_info(n_workers=-1)["workers"].values())
    if not all("cpus" in (w.get("resources") or {}) for w in workers):
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers) // threads)
    offers = [w["resources"]["cpus"] for w in workers]
    if max(offers, default=0) < threads:
        raise InputError(f"--executor {address}: no worker offers {threads} 'cpus' (the cells "
                         f"need {threads}; the most any worker offers is {max(offers, default=0):g}): "
                         f"start the workers with: dask worker {address} --nthreads 1 "
                         f"--resources cpus={threads}")
    return None


def connect(address: str):
    """A Dask client of the scheduler at ``address``; an InputError when it does not answer."""
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--executor {address}: cannot reach the Dask scheduler "
                         f"({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None


def dask_records(todo: list[Cell], executor: str, workers: int):
    """Yield the records of ``todo`` as their tasks finish: on a local cluster of ``workers``
    processes (``executor == "dask"``) or on the scheduler at ``executor``. A cell that failed
    twice is yielded as a :func:`~rewriter.compare.grid.failed_record`. Closing the generator (or
    Ctrl-C) cancels what is still queued and closes the client and any cluster it started."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    if not todo:
        return
    threads = max(cell.threads for cell in todo)
    slots = None      # cells at once on workers without the resource cpus (None: each claims it)
    in_flight = None  # cells submitted at a time (None: all, the scheduler spaces them out)
    cluster = client = None
    futures = {}  # key of a pending task -> (index of its cell, attempt, future)
    finished = False
    try:
        if executor == "dask":
            from distributed import Client

            size = local_workers(workers, threads)
            with holding_sigint():  # a Ctrl-C is raised once both exist, and ends them
                cluster = start_local_cluster(size, threads)
                client = Client(cluster)
        else:
            client = connect(executor)
            slots = check_workers(client, executor, threads)
            if slots is not None and threads > 1:  # one thread slot each: keep T cores per cell
                in_flight = slots
        run = uuid.uuid4().hex[:8]  # task keys of this run, unlike any earlier run's

        def submit(index: int, attempt: int):
            cell = todo[index]
            claim = None if slots is not None else {"cpus": cell.threads}
            future = client.submit(run_cell_task, cell, key=f"rewriter-cell-{run}-{index}-{attempt}",
                                   resources=claim, pure=False)
            futures[future.key] = (index, attempt, future)
            return future

        waiting = list(range(len(todo)))[::-1]  # popped from the end: the first cell first
        first = len(todo) if in_flight is None else min(in_flight, len(todo))
        pending = as_completed([submit(waiting.pop(), 1) for _ in range(first)])
        for future in pending:
            index, attempt, _ = futures.pop(future.key)
            cell = todo[index]
            try:
                outcome = future.result()
            except KilledWorker as exc:  # its workers died: the scheduler has retried it already
                outcome = ("died", f"the worker running it died (KilledWorker: {exc})",
                           exc.allowed_failures + 1)
            finally:
                future.release()
            if outcome[0] == "error" and attempt < 2:
                pending.add(submit(index, attempt + 1))
                continue
            if waiting:  # this cell is done: the next one takes its place
                pending.add(submit(waiting.pop(), 1))
            if outcome[0] == "ok":
                yield outcome[1]
            else:
                yield failed_record(cell, outcome[1],
                                    attempts=outcome[2] if outcome[0] == "died" else attempt)
        finished = True
    finally:
        shut_down(client, cluster, [f for _, _, f in futures.values()], at_once=not finished)


@contextmanager
def holding_sigint():
    """Within, SIGINT is held (blocked) in this thread and in the threads and processes started
    here: a Ctrl-C while ``LocalCluster`` starts would leave a cluster half started, which then
    fails to close and whose worker processes outlive the run. It is raised on leaving."""
    held = (hasattr(signal, "pthread_sigmask")
            and threading.current_thread() is threading.main_thread())
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if held else None
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def shut_down(client, cluster, futures, at_once: bool) -> None:
    """Cancel ``futures``, close the client and the local cluster (either may be None).

    ``at_once`` (Ctrl-C, an error, the caller stopped early): within a second, not the 4-5 s a
    graceful close takes while cells run. The worker processes of a local cluster are killed
    before it is closed (a worker asked to close waits for its running cell, which nothing can
    cut short; the client alone writes results, so no record is lost), and a remote scheduler
    that does not answer is not waited for."""
    if at_once:
        # the connections cut here are expected: distributed would log each one with a
        # traceback ("Batched Comm Closed") after the run's own one line
        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.split(".")[0] == "distributed":
                logging.getLogger(name).setLevel(logging.CRITICAL)
    if client is not None:
        try:
            client.cancel(futures, force=True)
        except Exception:  # noqa: BLE001 - the client may already have lost the scheduler
            pass
        try:
            client.close(timeout=CLOSE_TIMEOUT if at_once else CONNECT_TIMEOUT)
        except Exception:  # noqa: BLE001 - not answering: it is dropped, not waited for
            pass
    if cluster is not None:
        if at_once:
            for nanny in list(cluster.workers.values()):
                try:
                    nanny.close_gracefully()  # a status only: the killed worker is not restarted
                    if nanny.pid:
                        os.kill(nanny.pid, signal.SIGKILL)
                except (OSError, AttributeError):
                    pass
        cluster.close()
