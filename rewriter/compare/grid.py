"""``rewriter compare``: every method on every instance, resumable, as the papers' tables.

A *cell* is one (instance, method, seed). Finished cells are appended to a JSON-lines results
file the moment they finish, keyed by instance, method spec, seed and package version, so
re-running the same command skips them, an interrupted run loses no finished cell, and the tables
can be rebuilt from the file alone. A line torn by a crash mid-write is moved to ``FILE.torn``
(with a warning) before the next record is appended, so it never breaks the file.

Where the cells run is the *executor*: ``local`` (this module's process pool, one pipe per
worker) or a Dask distributed cluster (:mod:`rewriter.compare.dask_cluster`). Either one only yields
records; this process alone writes the results file, so the writer, the lock and the resume
logic below are the same for both.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import stat
import sys
import time
import traceback
import warnings
from collections import deque
from pathlib import Path

from .. import registry
from ..core import interrupt
from ..core.progress import Progress
from ..errors import InputError
from .methods import parse_methods
from ..seeding import check_seed
from ..textfile import MAX_FILE_BYTES
from ..textfile import lines as text_lines
from ..textfile import parse_json
from .cells import FAILED, Cell, run_cell


def record_key(record: dict) -> tuple:
    """The identity of a record: instance, method spec, solver settings, seed, version."""
    return (record["instance"], record["method"], json.dumps(record.get("params", {}), sort_keys=True),
            record["seed"], record["version"])


def column_label(record: dict) -> str:
    """Table column of a record: the method spec, with CP-SAT's thread count."""
    workers = record.get("params", {}).get("cpsat_workers")
    return record["method"] + (f" ({workers} thr)" if workers else "")


def read_results(path: str | os.PathLike) -> list[dict]:
    """Records of a results file; a torn last line (killed mid-write) is ignored."""
    path = Path(path)
    if not path.exists():
        return []
    if path.is_dir():
        raise InputError("is a directory; expected a JSON-lines results file", path=path)
    if not path.is_file():
        raise InputError("not a regular file; expected a JSON-lines results file", path=path)
    if path.stat().st_size > MAX_FILE_BYTES:  # as every other reader: never read it all in
        raise InputError(f"larger than {MAX_FILE_BYTES // 2 ** 20} MiB; expected a JSON-lines "
                         "results file", path=path)
    records = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = text_lines(fh.read())
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file; expected a results file of JSON records, one "
                         "per line, as `rewriter compare` writes it", path=path) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = parse_json(line, path)  # nesting and huge integers too: one InputError
            record_key(record)
        except (InputError, KeyError, TypeError):
            if number == len(lines):
                continue  # the run was killed while writing this line
            raise InputError("expected one JSON record per line with instance, method, seed and "
                             "version", path=path, line=number) from None
        records.append(record)
    return records


def tabulated(records: list[dict]) -> list[dict]:
    """The records a table shows: of a cell run several times (by several versions) the last
    record, and no failed cell."""
    latest = {}
    for r in records:
        latest[(r["instance"], r["method"], json.dumps(r.get("params", {})), r["seed"])] = r
    return [r for r in latest.values() if r.get("status") != FAILED]


def _is_record(line: bytes) -> bool:
    try:
        record_key(parse_json(line.decode("utf-8"), None))
    except (ValueError, KeyError, TypeError):  # InputError and UnicodeDecodeError included
        return False
    return True


def set_aside_torn_line(path: str | os.PathLike, check_record: bool = True) -> int:
    """Move a torn last line of a results file to ``PATH.torn`` and cut it from the file.

    A line is torn when the file does not end with a newline (a run was killed mid-write) or, with
    ``check_record``, when the last line is not a record. Appending after it would glue the next
    record onto it and break the file, losing that cell. The torn bytes are appended to
    ``PATH.torn`` (kept, not lost) and a warning says how many; returns that number (0: nothing).
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return 0
    if not data or (data.endswith(b"\n") and not check_record):
        return 0
    body = data[:-1] if data.endswith(b"\n") else data
    start = body.rfind(b"\n") + 1  # where the last line begins
    last = data[start:]
    if last.endswith(b"\n") and (not last.strip() or _is_record(last)):
        return 0
    torn = Path(f"{results_target(path)}.torn")
    fd = _open_beside(torn, os.O_WRONLY | os.O_APPEND, path)
    with os.fdopen(fd, "ab") as fh:  # keep the text, one torn piece per line
        fh.write(last if last.endswith(b"\n") else last + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    with open(path, "r+b") as fh:
        fh.truncate(start)
        fh.flush()
        os.fsync(fh.fileno())
    warnings.warn(f"{path}: the last line was torn (a run killed while writing it?): set aside "
                  f"{len(last)} bytes in {torn}; the records before it are kept", stacklevel=2)
    return len(last)


def append_result(path: str | os.PathLike, record: dict) -> None:
    """Append one record and make it durable before returning (one line, flushed and fsynced).

    The record always starts a line of its own: an unterminated last line is set aside first.
    """
    set_aside_torn_line(path, check_record=False)
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def finished_records(records) -> dict:
    """The records that count as done, by key: a failed cell is run again by the next run."""
    return {record_key(r): r for r in records if r.get("status") != FAILED}


def plan_cells(instances: str, methods: str, seeds=(0,), cpsat_workers: int = 1,
               problem: str | None = None, model: str | None = None) -> list[Cell]:
    """Validate every spec before anything runs, and list the cells; ``model``: the model file
    of the learned methods that take one (``construct``), instead of the shipped one."""
    spec = registry.get(problem) if problem else registry.default()
    names = spec.expand_instances(instances)
    for name in names:
        spec.load_instance(name)  # a missing or malformed instance fails now, not mid-run
    parsed = parse_methods(methods, spec)
    seeds = [check_seed(s) for s in seeds]  # 0 <= seed < 2**63
    if model is not None and not Path(model).is_file():
        raise InputError(f"{model}: no such model file")
    return [Cell(n, m, s, cpsat_workers, spec.name, str(model or "")) for n in names
            for m in parsed for s in seeds]


def check_cores(cells: list[Cell], workers: int, cores: int | None = None) -> None:
    """Warn when ``workers`` parallel cells with their solver threads need more than the cores."""
    cores = cores or os.cpu_count() or 1
    threads = max(c.threads for c in cells)
    demand = workers * threads
    if demand > cores:
        warnings.warn(f"{workers} parallel cells x {threads} solver "
                      f"threads = {demand} > {cores} cores: timed methods will get less CPU than "
                      "their budget says and their results will be worse", stacklevel=2)


def check_results_file(path: str | os.PathLike) -> None:
    """Fail before any cell runs, not after the first, when the results cannot be appended:
    the directory must exist and be writable (for the file, ``FILE.lock`` and ``FILE.torn``), and
    an existing file must be a regular file that is not read-only. A symbolic link is followed:
    its target's directory counts, and ``FILE.lock`` and ``FILE.torn`` must not be links."""
    path = Path(path)
    target = results_target(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise InputError(f"cannot use the results file: {exc.strerror or exc}", path=path) from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode):
            raise InputError("is a directory; expected a JSON-lines results file", path=path)
        if not stat.S_ISREG(status.st_mode):
            raise InputError("not a regular file; expected a JSON-lines results file", path=path)
        if not status.st_mode & 0o222 or not os.access(path, os.W_OK):
            raise InputError("the results file is read-only; make it writable or give another "
                             "--results", path=path)
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write the results: directory '{parent}' does not exist",
                         path=path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write the results: directory '{parent}' is not writable",
                         path=path)
    for suffix in (".lock", ".torn"):
        _check_beside(Path(f"{target}{suffix}"), path)


def results_target(path: str | os.PathLike) -> Path:
    """The file a results path names. A symbolic link the user gives is followed, as for every
    output (docs/reliability.md, 2), and ``FILE.lock`` and ``FILE.torn`` lie beside the file it
    points to: two names of one results file share one lock."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _refuse_beside(path: Path, status: os.stat_result, results) -> None:
    """Refuse ``FILE.lock`` or ``FILE.torn`` unless it is a regular file of one link. The run
    truncates and appends to them without the user naming them: a symbolic or hard link planted
    in the results directory would make it write to any file the user can write."""
    if stat.S_ISLNK(status.st_mode):
        what = "is a symbolic link"
    elif not stat.S_ISREG(status.st_mode):
        what = "not a regular file"
    elif status.st_nlink > 1:
        what = "has other hard links"
    else:
        return
    raise InputError(f"{what}; expected a regular file beside the results file {results}: "
                     "remove it or give another --results", path=path)


def _check_beside(path: Path, results) -> None:
    """Before the run: refuse ``path`` (``FILE.lock``, ``FILE.torn``) if it exists but is no
    plain regular file."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot use it beside the results file {results}: "
                         f"{exc.strerror or exc}", path=path) from None
    _refuse_beside(path, status, results)


def _open_beside(path: Path, flags: int, results) -> int:
    """``os.open`` of ``FILE.lock`` or ``FILE.torn`` (created if missing) that never follows a
    symbolic link, never blocks on a FIFO, and checks the file it opened (a link made since
    :func:`_check_beside` is refused too); other errors are raised as OSError."""
    flags |= (os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
              | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(path, flags, 0o666)
    except OSError:
        if os.path.islink(path):  # O_NOFOLLOW refused it (ELOOP)
            _refuse_beside(path, os.lstat(path), results)
        raise
    try:
        _refuse_beside(path, os.fstat(fd), results)
    except InputError:
        os.close(fd)
        raise
    return fd


class ResultsLock:
    """An advisory lock on ``FILE.lock`` (``fcntl.flock``, not blocking) for one run on a
    results file: a second run on the same file fails at once instead of computing every cell a
    second time. The lock file holds the owner's process id; it is left in place (deleting it
    would let two runs lock two different files). It is never opened through a symbolic link
    (see :func:`_open_beside`): truncating it must not truncate another file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lock_path = Path(f"{results_target(path)}.lock")
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # no flock (Windows): no lock
            return self
        try:
            fd = _open_beside(self.lock_path, os.O_RDWR, self.path)
        except OSError as exc:
            raise InputError(f"cannot create the lock file {self.lock_path}: "
                             f"{exc.strerror or exc}", path=self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                owner = os.read(fd, 32).decode("ascii", "replace").strip()
            except OSError:
                owner = ""
            os.close(fd)
            who = f" (process {owner})" if owner.isdigit() else ""
            raise InputError(f"another `rewriter compare`{who} is running on this results file "
                             f"and holds {self.lock_path}; wait for it to finish or give another "
                             "--results", path=self.path) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None
        return False


def run_cells(cells: list[Cell], results_path, workers: int = 1,
              progress: bool | str = True, executor: str = "local") -> list[dict]:
    """Run the cells not yet in ``results_path``; return every matching record (old and new).
    ``progress``: ``bar``, ``lines`` (a record on stderr every 30 s), ``off``, or True/False.
    ``executor``: ``local`` (``workers`` processes here), ``dask`` (a local Dask cluster of
    ``workers`` processes) or ``tcp://HOST:PORT`` / ``dask://HOST:PORT`` (a running scheduler).

    While cells run, the results file is locked (:class:`ResultsLock`): a second run on it is
    an :class:`InputError`. Ctrl-C (a SIGINT to this process, or to its process group) stops the
    run: the workers are ended, every finished cell is already in the file, and
    KeyboardInterrupt is raised. A cell that fails on a distributed executor (twice: see
    :mod:`rewriter.compare.dask_cluster`) is recorded as failed, warned about and left out of the
    returned records; the next run tries it again."""
    if executor != "local":
        from .dask_cluster import parse_executor

        executor = parse_executor(executor)  # Dask missing or a bad address: fail before running
    done = finished_records(read_results(results_path))
    if not any(c.key not in done for c in cells):
        return [done[c.key] for c in cells if c.key in done]
    check_results_file(results_path)
    with ResultsLock(results_path):
        done = finished_records(read_results(results_path))  # as of taking the lock
        todo = [c for c in cells if c.key not in done]
        if todo:  # records will be appended: a torn last line must not swallow the first
            set_aside_torn_line(results_path)
        if cells and executor == "local":
            check_cores(cells, workers)
        bar = Progress(len(cells), "compare", "cells", initial=len(cells) - len(todo),
                       mode=progress)
        finished, failed = None, []
        try:
            finished = cell_records(todo, workers, executor)
            for record in finished:
                if record["status"] == "interrupted":
                    raise KeyboardInterrupt  # a cut-short cell is not a result
                append_result(results_path, record)
                if record["status"] == FAILED:
                    failed.append(record)
                else:
                    done[record_key(record)] = record
                bar.update(1)
                interrupt.check()  # one swallowed outside the cell's search
        finally:
            if finished is not None:
                finished.close()  # ends the workers now, not when garbage is collected
            bar.close()
    for record in failed:
        warnings.warn(f"{record['instance']} with {record['method']} (seed {record['seed']}) "
                      f"failed {record['attempts']} times: {record['error']}; the same command "
                      "runs it again", stacklevel=2)
    return [done[c.key] for c in cells if c.key in done]


def cell_records(todo: list[Cell], workers: int, executor: str = "local"):
    """A generator of the records of ``todo`` as they finish, on ``executor``; closing it ends
    the workers (the local pool's processes, or the Dask client and the cluster it started)."""
    if executor == "local":
        if workers <= 1:
            return (run_cell(cell) for cell in todo)
        return _run_parallel(todo, workers)
    from .dask_cluster import dask_records

    return dask_records(todo, executor, workers)


# ---- parallel cells ----------------------------------------------------------------------------
class WorkerError(RuntimeError):
    """A cell failed in a worker process (the worker's traceback is the message)."""


def _worker(conn) -> None:
    """Run the cells sent over ``conn`` until None, the end of the pipe, or the parent's death
    (the parent process changes: this worker was re-parented).

    SIGINT is ignored: a Ctrl-C to the whole process group reaches the parent, which ends the
    workers itself, so no worker dies holding half a message."""
    parent = os.getppid()  # the run's process, or the fork server that started this worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != parent:  # the parent died without ending us
                    return
            cell = conn.recv()
        except (EOFError, OSError):
            return
        if cell is None:
            return
        try:
            reply = ("ok", run_cell(cell))
        except BaseException as exc:  # noqa: BLE001 - sent back to the parent
            text = traceback.format_exc()
            try:
                pickle.loads(pickle.dumps(exc))
            except Exception:  # noqa: BLE001
                exc = WorkerError(text)
            reply = ("error", exc, text)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Pool:
    """``workers`` processes, one pipe each; ``close(kill=True)`` ends them at once.

    No queue or lock is shared between processes, so ending a worker at any moment cannot leave
    another (or the parent at exit) waiting on a lock it held."""

    def __init__(self, workers: int):
        import multiprocessing

        ctx = multiprocessing.get_context()
        self.procs = []
        # SIGINT is blocked while the workers start, so none is interrupted before it ignores
        # SIGINT; one that arrives meanwhile reaches the parent when the mask is restored
        masked = hasattr(signal, "pthread_sigmask")
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
        try:
            for _ in range(workers):
                here, there = ctx.Pipe()
                proc = ctx.Process(target=_worker, args=(there,), daemon=True,
                                   name="rewriter-compare-worker")
                try:
                    proc.start()
                finally:
                    there.close()
                self.procs.append((proc, here))
        except BaseException:
            self.close(kill=True)
            raise
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def close(self, kill: bool) -> None:
        for proc, conn in self.procs:
            try:
                if kill:
                    proc.terminate()
                else:
                    conn.send(None)
            except (OSError, ValueError, AttributeError):
                pass
        deadline = time.monotonic() + (2.0 if kill else 10.0)
        for proc, conn in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
        self.procs = []


def _run_parallel(todo: list[Cell], workers: int):
    """Yield the records of ``todo`` as they finish, in ``workers`` processes."""
    from multiprocessing.connection import wait

    queue = deque(todo)
    pool = _Pool(min(workers, len(todo)))
    busy = {}  # connection -> (process, cell)
    idle = list(pool.procs)
    clean = False
    try:
        while queue or busy:
            while queue and idle:
                proc, conn = idle.pop()
                cell = queue.popleft()
                conn.send(cell)
                busy[conn] = (proc, cell)
            for conn in wait(list(busy)):
                proc, cell = busy.pop(conn)
                try:
                    reply = conn.recv()
                except (EOFError, OSError):
                    proc.join(1.0)
                    raise WorkerError(f"the worker process running {cell.instance} with "
                                      f"{cell.method.spec} died (exit code {proc.exitcode})") from None
                if reply[0] == "error":
                    exc, text = reply[1], reply[2]
                    if isinstance(exc, InputError):
                        raise exc
                    raise exc from WorkerError(text)
                idle.append((proc, conn))
                yield reply[1]
        clean = True
    finally:
        pool.close(kill=not clean)
