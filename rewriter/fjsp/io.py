"""Read and write flexible job-shop instances: FJSPLIB text, JSON and the compatibility-matrix CSV.

The formats are described in full in ``docs/fjsp_formats.md``; in short:

* **FJSPLIB** (text): a header line ``jobs machines [average machines per operation]`` (the
  average may be a decimal and is ignored), then one line per job: its number of operations,
  then per operation the number ``k`` of eligible machines followed by ``k`` pairs
  ``machine duration``, machines numbered from 1. Blank lines are ignored.
* **JSON**: ``{"name", "n_machines", "jobs": [{"operations": [[[machine, duration], ...], ...],
  "release", "due", "weight"}], "lower_bound", "upper_bound", "optimal", "metadata"}``, machines
  from 0; only ``n_machines`` and ``jobs`` (and each job's ``operations``) are required.
* **CSV** (compatibility matrix): one row per single-operation job under a header row; the
  optional columns ``job``, ``release``, ``due`` and ``weight`` are recognised by name, every
  other column is a machine (in order); a machine cell holds ``-1`` (not compatible) or the
  duration.

:func:`read_instance` picks the format by suffix (``.json``, ``.csv``), else by content (``{``
first: JSON; a comma in the first non-blank line: CSV; otherwise FJSPLIB). It reads these three
formats only: a classic job-shop file is loaded through :func:`from_job_shop` (``load_instance
("jssp:ft06")`` in :mod:`rewriter.fjsp.bundled`), never by guessing.

Numbers in the text formats are plain ASCII decimal integers: ``+4``, ``1_0`` or ``７`` are
errors, not 4, 10 and 7. Anything that does not fit raises one
:class:`~rewriter.errors.InputError` naming the file, the line (text formats) or the JSON path,
and what was expected. Writers replace the target atomically.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np

from ..atomic import write_atomic
from ..errors import InputError
from ..textfile import PLAIN_INT, clip, decode, parse_json_strict, plain_int, read_bytes, shown
from ..textfile import lines as text_lines
from .instance import NO_DUE, FlexibleInstance

_EXPECTED = "an FJSPLIB, JSON or CSV instance file"  # what an unreadable file was expected to be

__all__ = [
    "read_instance", "read_fjsplib", "read_json", "read_csv", "parse_fjsplib", "parse_csv",
    "write_fjsplib", "write_json", "write_csv", "instance_to_dict", "instance_from_dict",
    "from_job_shop", "CSV_OPTIONAL_COLUMNS",
]

# Far beyond any real instance, but small enough that sums of durations never overflow int64.
_MAX_VALUE = 2 ** 40
_PLAIN_INTS = re.compile(r"-?[0-9]+(?: -?[0-9]+)*")
# FJSPLIB's optional third header number (average eligible machines per operation): 2, 1.15, .5
_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
CSV_OPTIONAL_COLUMNS = ("job", "release", "due", "weight")
_JSON_KEYS = ("name", "n_machines", "jobs", "lower_bound", "upper_bound", "optimal", "metadata")
_JOB_KEYS = ("operations", "release", "due", "weight")
# Machines no operation can run on cost memory only (the dispatcher and the search keep arrays and
# lists per machine): a file may declare this many of them, or as many as the machines used.
# More is a typo or a hostile header ('1 100000000' took 6.6 GB), refused before anything is built.
_IDLE_MACHINES = 1000
# The numbers of an FJSPLIB text are parsed as Python objects (about 100 bytes each): the largest
# generated instance (prod_1000x200) writes 152,596 of them; a 100 MB line of digits took 9.2 GB
# and 47 s before this cap, counted without splitting the text.
_MAX_NUMBERS = 5_000_000


# ---- reading: dispatch -------------------------------------------------------------------------
def read_instance(path, name: str | None = None) -> FlexibleInstance:
    """Read an FJSPLIB, JSON or CSV file (suffix ``.json``/``.csv``, otherwise by content).

    ``name`` defaults to the JSON ``name`` field, else the file stem.
    """
    def parse(text: str, path: Path) -> FlexibleInstance:
        form = text_format(text, path)
        if form == "json":
            return _json_text(text, path)
        if form == "csv":
            return parse_csv(text, path)
        return _fjsplib_with_hint(text, path)

    return _read(path, name, parse)


def text_format(text: str, path: Path) -> str:
    """"json", "csv" or "fjsplib": the format :func:`read_instance` reads ``text`` as."""
    suffix = path.suffix.lower()
    first = next((line for line in text_lines(text) if line.strip()), "")
    if suffix == ".json" or (suffix != ".csv" and first.lstrip().startswith("{")):
        return "json"
    if suffix == ".csv" or "," in first:
        return "csv"
    return "fjsplib"


def read_fjsplib(path, name: str | None = None) -> FlexibleInstance:
    """Read an FJSPLIB file whatever its suffix."""
    return _read(path, name, _fjsplib_with_hint)


def read_json(path, name: str | None = None) -> FlexibleInstance:
    """Read a JSON instance file whatever its suffix."""
    return _read(path, name, _json_text)


def read_csv(path, name: str | None = None) -> FlexibleInstance:
    """Read a compatibility-matrix CSV file whatever its suffix."""
    return _read(path, name, parse_csv)


def _read(path, name: str | None, parse) -> FlexibleInstance:
    path = Path(path)
    instance = parse(decode(read_bytes(path), path, _EXPECTED), path)
    if name is not None:
        instance.name = name
    return instance


# ---- FJSPLIB -----------------------------------------------------------------------------------
def parse_fjsplib(text: str, path=None, name: str | None = None) -> FlexibleInstance:
    """An instance from FJSPLIB text; ``path`` only names the source in errors (and the default name)."""
    path = Path(path) if path is not None else None

    def fail(message, line=None):
        return InputError(message, path=path if path is not None else "<text>", line=line)

    numbers = _count_numbers(text)
    if numbers > _MAX_NUMBERS:
        raise fail(f"{numbers:,} values, more than an FJSPLIB instance of this package may hold "
                   f"({_MAX_NUMBERS:,}; the largest bundled one has about 150,000)")
    # split at '\n' only, so that a '\v' inside a line keeps the line numbers
    lines = [(number, line.split()) for number, line in enumerate(text_lines(text), 1) if line.strip()]

    def integer(token, what, line):
        value = plain_int(token)
        if value is None:
            raise fail(f"expected an integer {what}, found {clip(token)!r}", line)
        if abs(value) >= _MAX_VALUE:
            raise fail(f"{what} {clip(token)} is too large", line)
        return value

    if not lines:
        raise fail("the file is empty; expected a 'jobs machines [average]' header line")
    header_line, header = lines[0]
    if not 2 <= len(header) <= 3:
        raise fail(f"expected the header 'jobs machines [average machines per operation]', found "
                   f"{len(header)} values", header_line)
    n = integer(header[0], "number of jobs", header_line)
    m = integer(header[1], "number of machines", header_line)
    if n < 1 or m < 1:
        raise fail(f"expected at least one job and one machine, found {n} {m}", header_line)
    if len(header) == 3 and _PLAIN_DECIMAL.fullmatch(header[2]) is None:
        raise fail(f"expected a number (average machines per operation) as the third header value, "
                   f"found {header[2]!r}", header_line)
    if len(lines) - 1 < n:
        last = lines[-1][0]
        raise fail(f"expected {n} job lines after the header, found {len(lines) - 1}", last)
    if len(lines) - 1 > n:
        extra_line, extra = lines[n + 1]
        raise fail(f"expected {n} job lines after the header (as it says), found more: "
                   f"{' '.join(extra)[:40]!r}", extra_line)

    job_start, elig_start, machines, durations = [0], [0], [], []
    for j, (line, tokens) in enumerate(lines[1:]):
        where = f"job {j + 1}"
        if _PLAIN_INTS.fullmatch(" ".join(tokens)) is None:
            bad = next(token for token in tokens if PLAIN_INT.fullmatch(token) is None)
            raise fail(f"{where}: expected integers, found {clip(bad)!r}", line)
        # all plain integers (just checked): int() at full speed, plain_int() for the long ones,
        # which int() refuses past 4300 digits
        values = [int(token) if len(token) < 20 else plain_int(token) for token in tokens]
        if max(map(abs, values)) >= _MAX_VALUE:
            largest = tokens[values.index(max(values, key=abs))]
            raise fail(f"{where}: value {clip(largest)} is too large", line)
        size = len(values)

        def short(what):
            return fail(f"{where}: the line ends after {size} values; expected {what}", line)

        n_ops, pos = values[0], 1
        if n_ops < 1:
            raise fail(f"{where}: expected at least one operation, found {n_ops}", line)
        for k in range(n_ops):
            op = f"operation {k + 1}"
            if pos >= size:
                raise short(f"the number of eligible machines of {op} (the job has {n_ops} operations)")
            count = values[pos]
            if count < 1:
                raise fail(f"{where}, {op}: expected at least one eligible machine, found {count}", line)
            if count > m:
                raise fail(f"{where}, {op}: {count} eligible machines, but there are only {m}", line)
            if pos + 1 + 2 * count > size:
                raise short(f"{count} 'machine duration' pairs for {op}")
            op_machines = values[pos + 1:pos + 1 + 2 * count:2]
            op_durations = values[pos + 2:pos + 2 + 2 * count:2]
            pos += 1 + 2 * count
            if min(op_machines) < 1 or max(op_machines) > m:
                bad = next(x for x in op_machines if not 1 <= x <= m)
                raise fail(f"{where}, {op}: machine {bad} out of range; expected 1..{m}", line)
            if len(set(op_machines)) != count:
                raise fail(f"{where}, {op}: machine {_first_repeat(op_machines)} is listed twice", line)
            if min(op_durations) < 0:
                raise fail(f"{where}, {op}: expected a non-negative duration, found {min(op_durations)}", line)
            machines.extend(x - 1 for x in op_machines)
            durations.extend(op_durations)
            elig_start.append(len(machines))
        if pos != size:
            raise fail(f"{where}: {size - pos} values left over after its {n_ops} operations "
                       f"(expected {pos} values on the line, found {size})", line)
        job_start.append(len(elig_start) - 1)
    used = _idle_machines_fit(m, machines)
    if used is not None:
        raise fail(f"the header declares {m} machines, but the operations use only {used}; expected at "
                   f"most {used + max(_IDLE_MACHINES, used)} (machines no operation can use only take memory)",
                   header_line)
    default = path.stem if path is not None else "instance"
    return FlexibleInstance(name or default, m, np.array(job_start), np.array(elig_start),
                            np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64))


def _count_numbers(text: str) -> int:
    """The whitespace-separated tokens of ``text``, counted over its bytes without splitting."""
    data = np.frombuffer(text.encode("utf-8", "replace"), np.uint8)
    if data.shape[0] == 0:
        return 0
    blank = data <= 32
    return int(np.count_nonzero(blank[:-1] & ~blank[1:])) + int(not blank[0])


def _first_repeat(values):
    """The first value that appears a second time in ``values`` (None when all differ)."""
    seen = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _idle_machines_fit(m: int, machines: list[int]) -> int | None:
    """None when ``m`` machines leave few enough idle for the ``machines`` used (see
    _IDLE_MACHINES), else the number used."""
    if m <= _IDLE_MACHINES:
        return None
    used = len(set(machines))
    return None if m - used <= max(_IDLE_MACHINES, used) else used


def _fjsplib_with_hint(text: str, path: Path) -> FlexibleInstance:
    """FJSPLIB, and when it fails on a file the job-shop reader accepts, a hint to load it as one."""
    try:
        return parse_fjsplib(text, path)
    except InputError as exc:
        try:
            from ..jssp.io import read_instance as read_job_shop

            read_job_shop(path)
        except (InputError, ValueError, OSError):
            raise exc from None
        raise InputError(f"{exc.reason} (the file reads as a classic job-shop file: load it as "
                         f"'jssp:{path}')", path=exc.path, line=exc.line) from None


def write_fjsplib(instance: FlexibleInstance, path) -> None:
    """Write FJSPLIB text (machines from 1). Release dates, due dates and weights have no place
    in the format: an instance with any that is not the default (0, none, 1) is refused."""
    _require_defaults(instance, "FJSPLIB")
    write_atomic(Path(path), fjsplib_text(instance))


def fjsplib_text(instance: FlexibleInstance) -> str:
    counts = np.diff(instance.elig_start)
    average = f"{counts.mean():.2f}".rstrip("0").rstrip(".")
    lines = [f"{instance.n_jobs} {instance.n_machines} {average}"]
    machine, duration = (instance.elig_machine + 1).tolist(), instance.elig_duration.tolist()
    starts = instance.elig_start.tolist()
    for j in range(instance.n_jobs):
        first, last = int(instance.job_start[j]), int(instance.job_start[j + 1])
        parts = [str(last - first)]
        for op in range(first, last):
            lo, hi = starts[op], starts[op + 1]
            parts.append(str(hi - lo))
            parts.extend(f"{machine[i]} {duration[i]}" for i in range(lo, hi))
        lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def _require_defaults(instance: FlexibleInstance, fmt: str) -> None:
    for field, default, what in (("release", 0, "release dates"), ("due", NO_DUE, "due dates"),
                                  ("weight", 1, "weights")):
        values = getattr(instance, field)
        if np.any(values != default):
            j = int(np.flatnonzero(values != default)[0])
            raise InputError(f"{instance.name}: the {fmt} format cannot hold {what} (job {j} has "
                             f"{field} {int(values[j])}); write JSON instead")


# ---- JSON --------------------------------------------------------------------------------------
def write_json(instance: FlexibleInstance, path) -> None:
    """Write the JSON form: top-level keys one per line, one job per line."""
    write_atomic(Path(path), json_text(instance))


def json_text(instance: FlexibleInstance) -> str:
    data = instance_to_dict(instance)
    jobs = data.pop("jobs")
    body = [f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in data.items()]
    job_lines = ",\n".join("  " + json.dumps(job, ensure_ascii=False) for job in jobs)
    body.insert(2, f' "jobs": [\n{job_lines}\n ]')
    return "{\n" + ",\n".join(body) + "\n}\n"


def instance_to_dict(instance: FlexibleInstance) -> dict:
    """The JSON form; the bounds and ``optimal`` only when a bound is known."""
    jobs = []
    for j, operations in enumerate(instance.to_lists()):
        due = int(instance.due[j])
        jobs.append({
            "operations": [[[m, d] for m, d in options] for options in operations],
            "release": int(instance.release[j]),
            "due": None if due == NO_DUE else due,
            "weight": int(instance.weight[j]),
        })
    data = {"name": instance.name, "n_machines": int(instance.n_machines), "jobs": jobs}
    if instance.lower_bound is not None or instance.upper_bound is not None or instance.optimal:
        data["lower_bound"] = None if instance.lower_bound is None else int(instance.lower_bound)
        data["upper_bound"] = None if instance.upper_bound is None else int(instance.upper_bound)
        data["optimal"] = bool(instance.optimal)
    data["metadata"] = dict(instance.metadata)
    return data


def _json_text(text: str, path: Path) -> FlexibleInstance:
    data = parse_json_strict(text, path)
    return instance_from_dict(data, path=path, default_name=path.stem)


def instance_from_dict(data, path=None, default_name: str = "instance") -> FlexibleInstance:
    """An instance from its JSON form, every field checked; errors name ``path`` and the JSON path."""
    def fail(where, message):
        return InputError(f"{where}: {message}" if where else message, path=path)

    def integer(value, where, low=0, allow_none=False):
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            kind = "an integer" + (" or null" if allow_none else "")
            raise fail(where, f"expected {kind}, found {shown(value)}")
        if value < low or value >= _MAX_VALUE:
            raise fail(where, f"expected an integer >= {low}" + (" or null" if allow_none else "")
                       + f", found {value}")
        return value

    if not isinstance(data, dict):
        raise fail("", f"expected a JSON object with n_machines and jobs, found {type(data).__name__}")
    if "duration_matrix" in data or "machines_matrix" in data:
        as_job_shop = f"'jssp:{path}'" if path is not None else "a job-shop instance"
        raise fail("", f"this is a classic job-shop JSON file (duration_matrix, machines_matrix); load it as {as_job_shop}")
    unknown = [key for key in data if key not in _JSON_KEYS]
    if unknown:
        raise fail("", f"unknown key {unknown[0]!r}; expected {', '.join(_JSON_KEYS)}")
    for key in ("n_machines", "jobs"):
        if key not in data:
            raise fail("", f"missing key {key!r}; expected {{name, n_machines, jobs, ...}}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise fail("name", f"expected a non-empty string, found {shown(name)}")
    m = integer(data["n_machines"], "n_machines", low=1)
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise fail("jobs", "expected a non-empty list of jobs")
    job_start, elig_start, machines, durations = [0], [0], [], []
    release, due, weight = [], [], []
    for j, job in enumerate(jobs):
        where = f"jobs[{j}]"
        if not isinstance(job, dict):
            raise fail(where, f"expected an object with 'operations', found {shown(job)}")
        unknown = [key for key in job if key not in _JOB_KEYS]
        if unknown:
            raise fail(where, f"unknown key {unknown[0]!r}; expected {', '.join(_JOB_KEYS)}")
        if "operations" not in job:
            raise fail(where, "missing key 'operations'")
        operations = job["operations"]
        if not isinstance(operations, list) or not operations:
            raise fail(f"{where}.operations", "expected a non-empty list of operations")
        for k, options in enumerate(operations):
            op_where = f"{where}.operations[{k}]"
            if not isinstance(options, list) or not options:
                raise fail(op_where, "expected a non-empty list of [machine, duration] pairs "
                                     "(an operation needs at least one eligible machine)")
            seen = set()
            for i, pair in enumerate(options):
                pair_where = f"{op_where}[{i}]"
                if not isinstance(pair, list) or len(pair) != 2:
                    raise fail(pair_where, f"expected a [machine, duration] pair, found {shown(pair)}")
                machine = integer(pair[0], f"{pair_where}[0]")
                if machine >= m:
                    raise fail(f"{pair_where}[0]", f"machine {machine} out of range; expected 0..{m - 1}")
                if machine in seen:
                    raise fail(f"{pair_where}[0]", f"machine {machine} is listed twice for this operation")
                seen.add(machine)
                machines.append(machine)
                durations.append(integer(pair[1], f"{pair_where}[1]"))
            elig_start.append(len(machines))
        job_start.append(len(elig_start) - 1)
        release.append(integer(job.get("release", 0), f"{where}.release"))
        job_due = integer(job.get("due"), f"{where}.due", allow_none=True)
        due.append(NO_DUE if job_due is None else job_due)
        weight.append(integer(job.get("weight", 1), f"{where}.weight"))
    used = _idle_machines_fit(m, machines)
    if used is not None:
        raise fail("n_machines", f"{m} machines, but the operations use only {used}; expected at most "
                                 f"{used + max(_IDLE_MACHINES, used)} (machines no operation can use "
                                 "only take memory)")
    lower = integer(data.get("lower_bound"), "lower_bound", allow_none=True)
    upper = integer(data.get("upper_bound"), "upper_bound", allow_none=True)
    if lower is not None and upper is not None and lower > upper:
        raise fail("lower_bound", f"the lower bound {lower} exceeds the upper bound {upper}")
    optimal = data.get("optimal", lower is not None and lower == upper)
    if not isinstance(optimal, bool):
        raise fail("optimal", f"expected true or false, found {shown(optimal)}")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail("metadata", f"expected an object, found {shown(metadata)}")
    return FlexibleInstance(name, m, np.array(job_start), np.array(elig_start),
                            np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64),
                            release=np.array(release), due=np.array(due), weight=np.array(weight),
                            lower_bound=lower, upper_bound=upper, optimal=optimal, metadata=dict(metadata))


# ---- CSV (compatibility matrix) ----------------------------------------------------------------
def parse_csv(text: str, path=None, name: str | None = None) -> FlexibleInstance:
    """An instance of single-operation jobs from a compatibility-matrix CSV (see the module doc).

    The machine column names go to ``metadata["machine_names"]``, a ``job`` column to
    ``metadata["job_names"]``, so that :func:`write_csv` writes them back.
    """
    path = Path(path) if path is not None else None
    source = path if path is not None else "<text>"

    def fail(message, line=None):
        return InputError(message, path=source, line=line)

    reader = csv.reader(io.StringIO(text))
    header, header_line = None, None
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if header is None:
                header, header_line = [cell.strip() for cell in record], reader.line_num
            else:
                rows.append((reader.line_num, record))
    except csv.Error as exc:
        raise fail(f"malformed CSV: {exc}", reader.line_num) from None
    if header is None:
        raise fail("the file is empty; expected a header row naming the machine columns")
    if len(header) == 1 and ";" in header[0]:
        raise fail("the header is one column containing ';'; expected comma-separated columns", header_line)
    for i, column in enumerate(header):
        if not column:
            raise fail(f"column {i + 1} of the header has no name", header_line)
    twice = _first_repeat(column.lower() for column in header)
    if twice is not None:
        column = [c for c in header if c.lower() == twice][1]
        raise fail(f"column {column!r} appears twice in the header", header_line)
    optional = {column.lower(): i for i, column in enumerate(header) if column.lower() in CSV_OPTIONAL_COLUMNS}
    machine_columns = [i for i, column in enumerate(header) if column.lower() not in CSV_OPTIONAL_COLUMNS]
    if not machine_columns:
        raise fail("the header names no machine column (every column other than "
                   f"{', '.join(CSV_OPTIONAL_COLUMNS)} is a machine)", header_line)
    if not rows:
        raise fail("no job rows after the header; expected one row per job", header_line)

    def integer(cell, what, line):
        value = plain_int(cell)
        if value is None:
            raise fail(f"expected an integer {what}, found {clip(cell)!r}", line)
        if abs(value) >= _MAX_VALUE:
            raise fail(f"{what} {clip(cell)} is too large", line)
        return value

    m = len(machine_columns)
    elig_start, machines, durations = [0], [], []
    release, due, weight, job_names = [], [], [], []
    for j, (line, record) in enumerate(rows):
        if len(record) != len(header):
            raise fail(f"job row {j + 1} has {len(record)} cells, expected {len(header)} like the header", line)
        cells = [cell.strip() for cell in record]
        for index, column in enumerate(machine_columns):
            cell, label = cells[column], f"machine {header[column]!r}"
            value = integer(cell, f"(-1 or a duration) for {label}", line)
            if value < -1:
                raise fail(f"expected -1 (not compatible) or a duration >= 0 for {label}, found {value}", line)
            if value >= 0:
                machines.append(index)
                durations.append(value)
        if len(machines) == elig_start[-1]:
            raise fail(f"job row {j + 1} has no compatible machine (every machine cell is -1)", line)
        elig_start.append(len(machines))
        if "job" in optional:
            job_names.append(cells[optional["job"]])
            if not job_names[-1]:
                raise fail(f"job row {j + 1}: the 'job' cell is empty", line)
        if "release" in optional:
            value = integer(cells[optional["release"]], "release date", line)
            if value < 0:
                raise fail(f"expected a release date >= 0, found {value}", line)
            release.append(value)
        if "due" in optional:
            cell = cells[optional["due"]]
            value = NO_DUE if cell == "" else integer(cell, "due date (or empty/-1 for none)", line)
            if value < NO_DUE:
                raise fail(f"expected a due date >= 0, or empty or -1 for none, found {value}", line)
            due.append(value)
        if "weight" in optional:
            value = integer(cells[optional["weight"]], "weight", line)
            if value < 0:
                raise fail(f"expected a weight >= 0, found {value}", line)
            weight.append(value)
    if len(set(job_names)) != len(job_names):
        duplicate = _first_repeat(job_names)
        line = rows[job_names.index(duplicate, job_names.index(duplicate) + 1)][0]
        raise fail(f"job {duplicate!r} appears twice in the 'job' column", line)
    n = len(rows)
    metadata = {"machine_names": [header[i] for i in machine_columns]}
    if job_names:
        metadata["job_names"] = job_names
    default = path.stem if path is not None else "instance"
    return FlexibleInstance(name or default, m, np.arange(n + 1), np.array(elig_start),
                            np.array(machines, dtype=np.int64), np.array(durations, dtype=np.int64),
                            release=np.array(release) if release else None,
                            due=np.array(due) if due else None,
                            weight=np.array(weight) if weight else None, metadata=metadata)


def write_csv(instance: FlexibleInstance, path) -> None:
    """Write the compatibility-matrix CSV: ``job``, one column per machine, ``release``, ``due``,
    ``weight``. Only for instances whose jobs all have exactly one operation."""
    write_atomic(Path(path), csv_text(instance))


def csv_text(instance: FlexibleInstance) -> str:
    counts = np.diff(instance.job_start)
    if np.any(counts != 1):
        j = int(np.flatnonzero(counts != 1)[0])
        raise InputError(f"{instance.name}: the compatibility CSV holds single-operation jobs only, "
                         f"but job {j} has {int(counts[j])} operations; write JSON or FJSPLIB instead")
    n, m = instance.n_jobs, instance.n_machines
    names = instance.metadata.get("machine_names")
    if not _valid_column_names(names, m):
        names = [f"m{i}" for i in range(m)]
    job_names = instance.metadata.get("job_names")
    if not (isinstance(job_names, list) and len(job_names) == n and all(isinstance(x, str) and x and x == x.strip() for x in job_names)
            and len(set(job_names)) == n):
        job_names = [str(j) for j in range(n)]
    matrix = np.full((n, m), -1, dtype=np.int64)
    # one operation per job: operation j is job j
    matrix[np.repeat(np.arange(n), np.diff(instance.elig_start)), instance.elig_machine] = instance.elig_duration
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["job", *names, "release", "due", "weight"])
    for j in range(n):
        due = int(instance.due[j])
        writer.writerow([job_names[j], *matrix[j].tolist(), int(instance.release[j]),
                         "" if due == NO_DUE else due, int(instance.weight[j])])
    return out.getvalue()


def _valid_column_names(names, m: int) -> bool:
    if not (isinstance(names, list) and len(names) == m and all(isinstance(x, str) for x in names)):
        return False
    cleaned = [x.strip() for x in names]
    lowered = [x.lower() for x in cleaned]
    return (all(cleaned) and cleaned == names and len(set(lowered)) == m
            and not any(x in CSV_OPTIONAL_COLUMNS for x in lowered))


# ---- the classic job shop ----------------------------------------------------------------------
def from_job_shop(instance) -> FlexibleInstance:
    """A :class:`~rewriter.jssp.instance.JobShopInstance` as a flexible instance: the same jobs
    and routes, one eligible machine per operation; the name, bounds and metadata are kept (the
    problem is the same, so are its makespan bounds) and ``metadata["source_problem"]`` is ``jssp``."""
    metadata = {**instance.metadata, "source_problem": "jssp"}  # routes of any length
    return FlexibleInstance(instance.name, instance.n_machines, instance.job_start.copy(),
                            np.arange(instance.n_operations + 1), instance.op_machine.copy(),
                            instance.op_duration.copy(),
                            lower_bound=instance.lower_bound, upper_bound=instance.upper_bound,
                            bounds_curated=instance.bounds_curated,
                            optimal=instance.optimal, metadata=metadata)


# ---- files -------------------------------------------------------------------------------------
