"""``rewriter compare``: every method on every instance, resumable, as the papers' tables.

A *cell* is one (instance, method, seed). Finished cells are appended to a JSON-lines results
file the moment they finish, keyed by instance, method spec, seed and package version, so
re-running the same command skips them, an interrupted run loses no finished cell, and the tables
can be rebuilt from the file alone. A line torn by a crash mid-write is moved to ``FILE.torn``
(with a warning) before the next record is appended, so it never breaks the file.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .core.progress import Progress
from .errors import InputError
from .methods import Choice, parse_methods
from .seeding import check_seed
from .version import __version__


@dataclass(frozen=True)
class Cell:
    instance: str
    method: Choice
    seed: int
    cpsat_workers: int = 1
    problem: str = ""

    @property
    def params(self) -> dict:
        """Settings outside the spec that change a result: a solver's thread count."""
        return {"cpsat_workers": self.cpsat_workers} if self.method.kind == "solver" else {}

    @property
    def key(self) -> tuple:
        return (self.instance, self.method.spec, json.dumps(self.params, sort_keys=True),
                self.seed, __version__)


def record_key(record: dict) -> tuple:
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
    records = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record_key(record)
        except (json.JSONDecodeError, KeyError, TypeError):
            if number == len(lines):
                continue  # the run was killed while writing this line
            raise InputError("expected one JSON record per line with instance, method, seed and "
                             "version", path=path, line=number) from None
        records.append(record)
    return records


def _is_record(line: bytes) -> bool:
    try:
        record_key(json.loads(line))
    except (ValueError, KeyError, TypeError):  # JSONDecodeError and UnicodeDecodeError included
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
    torn = Path(f"{path}.torn")
    with open(torn, "ab") as fh:  # keep the text, one torn piece per line
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


def _run_cell(cell: Cell) -> dict:
    spec = registry.get(cell.problem) if cell.problem else registry.default()
    inst = spec.load_instance(cell.instance)
    t0 = time.perf_counter()
    result = cell.method.run(inst, seed=cell.seed, threads=cell.cpsat_workers)
    runtime = time.perf_counter() - t0
    extra = {}
    if cell.method.kind == "search":
        extra = {"steps": result.steps, f"init_{result.objective}": result.init_cost}
    elif cell.method.kind == "solver":
        extra = {"solver_lower_bound": result.info.get("lower_bound"),
                 "solver_version": result.info.get("solver_version"), "workers": cell.cpsat_workers}
    return {"instance": cell.instance, "problem": spec.name, "method": cell.method.spec,
            "params": cell.params, "seed": cell.seed, "version": __version__, **result.sizes,
            "family": (getattr(inst, "metadata", {}) or {}).get("family")
            or "".join(c for c in inst.name if c.isalpha()),
            "group": spec.group(inst), "objective": result.objective,
            "upper_bound": result.upper_bound, "lower_bound": result.lower_bound,
            **result.values, "status": result.status, "runtime_s": round(runtime, 3),
            "gap_percent": result.gap_percent, **extra}


def plan_cells(instances: str, methods: str, seeds=(0,), cpsat_workers: int = 1,
               problem: str | None = None) -> list[Cell]:
    """Validate every spec before anything runs, and list the cells."""
    spec = registry.get(problem) if problem else registry.default()
    names = spec.expand_instances(instances)
    for name in names:
        spec.load_instance(name)  # a missing or malformed instance fails now, not mid-run
    parsed = parse_methods(methods, spec)
    seeds = [check_seed(s) for s in seeds]  # 0 <= seed < 2**63
    return [Cell(n, m, s, cpsat_workers, spec.name) for n in names for m in parsed for s in seeds]


def check_cores(cells: list[Cell], workers: int, cores: int | None = None) -> None:
    cores = cores or os.cpu_count() or 1
    threads = max((c.cpsat_workers if c.method.kind == "solver" else 1) for c in cells)
    demand = workers * threads
    if demand > cores:
        warnings.warn(f"{workers} parallel cells x {threads} solver "
                      f"threads = {demand} > {cores} cores: timed methods will get less CPU than "
                      "their budget says and their results will be worse", stacklevel=2)


def run_cells(cells: list[Cell], results_path, workers: int = 1,
              progress: bool | str = True) -> list[dict]:
    """Run the cells not yet in ``results_path``; return every matching record (old and new).
    ``progress``: ``bar``, ``lines`` (a record on stderr every 30 s), ``off``, or True/False."""
    done = {record_key(r): r for r in read_results(results_path)}
    todo = [c for c in cells if c.key not in done]
    if todo:  # records will be appended: a torn last line must not swallow the first
        set_aside_torn_line(results_path)
    if cells:
        check_cores(cells, workers)
    bar = Progress(len(cells), "compare", "cells", initial=len(cells) - len(todo), mode=progress)
    try:
        if workers <= 1:
            for cell in todo:
                record = _run_cell(cell)
                if record["status"] == "interrupted":
                    raise KeyboardInterrupt  # a cut-short cell is not a result
                append_result(results_path, record)
                done[record_key(record)] = record
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending = {pool.submit(_run_cell, c) for c in todo}
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        record = future.result()
                        if record["status"] == "interrupted":
                            raise KeyboardInterrupt  # Ctrl-C reached the workers too
                        append_result(results_path, record)
                        done[record_key(record)] = record
                        bar.update(1)
    finally:
        bar.close()
    return [done[c.key] for c in cells if c.key in done]
