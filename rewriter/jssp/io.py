"""Read and write job-shop instance files; the format is detected from the content.

Formats read by :func:`read_instance`:

* **standard** (OR-Library / JSPLIB): optional ``#`` comment lines and blank lines, optionally one
  free-text description line, a line ``n m``, then n rows of m ``machine duration`` pairs, one row
  per job, machines numbered from 0.
* **Da Col-Teppan** (re-entrant job shops, jobs of any length): a line ``n m``, then one line
  per job of ``machine duration`` pairs, machines numbered from 0, ended by ``-1 -1``; a job may
  visit a machine several times or not at all. Also read without the ``-1 -1`` ends (as the
  ``bel`` files of Boveroux, Ernst & Louveaux are) when the file has exactly n such lines, of
  different lengths, none of them m pairs long (else it would be a standard file). As the rows
  do not show m, the header may declare at most 1000 machines that no operation uses (or as many
  as are used): more is a typo or a hostile header, refused before anything is built.
* **Taillard**: a line ``n m`` (optionally followed on the same line by time seed, machine seed,
  upper bound, lower bound), n rows of m durations, then n rows of m machines numbered from 1.
  Taillard's own header form is read too::

      Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound
               15          15   840612802   398197754        1231        1231
      Times
      <n rows of m durations>
      Machines
      <n rows of m machines, from 1>

  and a file of several such blocks (as Taillard distributes them) holds several instances.
* **JSON**: ``{"name", "duration_matrix", "machines_matrix", "metadata"}``, machines from 0; the
  metadata keys ``optimum``, ``upper_bound``, ``lower_bound`` and ``optimal`` become the bounds.
  With an ``"n_machines"`` key the rows may differ in length (jobs of a re-entrant shop).
* **npy** (the L2D / L2S data sets): an array of shape (N, 2, n, m) or (2, n, m); ``[:, 0]`` are
  durations, ``[:, 1]`` machines numbered from 1.

A plain ``n m`` header is Da Col-Teppan when most rows end with ``-1 -1``, standard when the
first row has 2m values, and Taillard when it has m.
Any of these may come zipped: a ``.zip`` archive (known by its magic bytes) holding exactly one
file is read as that file, and the instance takes the archive's name. The benchmark collection
ScheduleOpt/benchmarks ships its large instances so (Da Col & Teppan's ``tai_*`` and ``dct-*``).
Large files (10^6 operations) are parsed with numpy in one pass (:mod:`.bulkrows`); a file that
pass is unsure of is read line by line, which names the faulty line.
Numbers in the text formats are plain ASCII decimal integers: ``+4``, ``1_0`` or non-ASCII digits
such as ``７`` are errors, not 4, 10 and 7.
Anything that does not fit raises :class:`~rewriter.errors.InputError` naming the file, the line
and what was expected: nothing is guessed silently.

Writers (:func:`write_standard`, :func:`write_json`) replace the target atomically;
:func:`write_standard` writes an instance whose jobs differ in length in the Da Col-Teppan format.
"""

from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path, PurePosixPath

import numpy as np

from ..atomic import write_atomic
from ..errors import InputError
from ..textfile import clip, decode, is_zip, parse_json, plain_int, read_bytes, unzip_one
from ..textfile import lines as text_lines
from .bulkrows import bulk_ints
from .instance import JobShopInstance

_EXPECTED = "a text, JSON or .npy instance file"  # what an unreadable file was expected to be

__all__ = [
    "read_instance", "read_npy_instances", "write_standard", "reentrant_text", "write_json",
    "instance_to_dict", "instance_from_dict",
]

_NPY_MAGIC = b"\x93NUMPY"
# Far beyond any real instance, but small enough that sums of durations never overflow int64.
_MAX_VALUE = 2 ** 40
# Keys of the Taillard header line after n and m, in the order Taillard writes them.
_TAILLARD_EXTRAS = ("time_seed", "machine_seed", "upper_bound", "lower_bound")
_BOUND_KEYS = ("lower_bound", "upper_bound", "optimal")
# Machines no operation uses cost memory only (the dispatcher and the search keep arrays per
# machine): a re-entrant file, whose rows do not show the machine count, may declare this many
# of them or as many as it uses; more is a typo or a hostile header, as in the flexible shop.
_IDLE_MACHINES = 1000


# ---- public readers ----------------------------------------------------------------------------
def read_instance(path, name: str | None = None, index: int = 0) -> JobShopInstance:
    """Read one instance from a standard, Da Col-Teppan, Taillard, JSON or npy file (detected from
    the content), plain or zipped.

    ``name`` defaults to the JSON ``name`` field or the file stem (the archive's stem for a zip;
    ``<stem>_<index>`` when the file holds several instances); ``index`` picks the instance of a
    multi-instance file.
    """
    path = Path(path)
    data = read_bytes(path)
    source = path
    if is_zip(path, data):
        member, data = unzip_one(data, path, _EXPECTED)
        source = _Member(path, member)
    if source.suffix.lower() == ".npy" or data.startswith(_NPY_MAGIC):
        return _pick(_npy_instances(data, source), index, source, name)
    text = decode(data, source, _EXPECTED)
    if source.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        obj = parse_json(text, source)
        return _pick([instance_from_dict(obj, path=source, default_name=source.stem)], index,
                     source, name)
    return _pick(_parse_text(text, source), index, source, name)


def read_npy_instances(path) -> list[JobShopInstance]:
    """Every instance of an L2D/L2S ``.npy`` file: shape (N, 2, n, m) or (2, n, m), machines from 1.

    Instances are named ``<stem>_<i>``.
    """
    path = Path(path)
    return _npy_instances(read_bytes(path), path)


class _Member:
    """The file inside a zip archive: messages name it ``archive.zip (file inner.txt)``, the
    instance takes the archive's stem (the collections name the archive, not its content)."""

    def __init__(self, archive: Path, member: str):
        self.archive = archive
        self.stem = archive.stem
        self.name = archive.name
        self.suffix = PurePosixPath(member).suffix
        self.member = member

    def __str__(self) -> str:
        return f"{self.archive} (file {clip(self.member, 40)})"


def _npy_instances(data: bytes, path) -> list[JobShopInstance]:
    if not data.startswith(_NPY_MAGIC):
        raise InputError("not a .npy file (missing the NUMPY header)", path=path)
    try:
        array = np.load(BytesIO(data), allow_pickle=False)
    except Exception as exc:  # numpy raises several types for a damaged header or payload
        raise InputError(f"cannot read the .npy array: {exc}", path=path) from None
    shape = array.shape
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1] != 2 or 0 in array.shape:
        raise InputError(f"expected an array of shape (N, 2, n, m) or (2, n, m), found {shape}", path=path)
    if array.dtype.kind not in "iuf" or (array.dtype.kind == "f" and not np.all(array == np.round(array))):
        raise InputError(f"expected integer durations and machines, found dtype {array.dtype}", path=path)
    if np.abs(array).max() >= _MAX_VALUE:
        raise InputError(f"values must be below {_MAX_VALUE}", path=path)
    array = array.astype(np.int64)
    m = array.shape[3]
    instances = []
    for i, (durations, machines) in enumerate(array):
        where = f"instance {i}: " if len(array) > 1 else ""
        if (durations < 0).any():
            j, k = np.argwhere(durations < 0)[0]
            raise InputError(f"{where}expected non-negative durations, found {durations[j, k]} "
                             f"(job {j}, operation {k})", path=path)
        if (machines < 1).any() or (machines > m).any():
            j, k = np.argwhere((machines < 1) | (machines > m))[0]
            raise InputError(f"{where}expected machines numbered 1..{m}, found {machines[j, k]} "
                             f"(job {j}, operation {k})", path=path)
        instances.append(JobShopInstance(f"{path.stem}_{i}", durations, machines - 1,
                                         metadata={"source": path.name, "index": i}))
    return instances


# ---- public writers ----------------------------------------------------------------------------
def write_standard(instance: JobShopInstance, path) -> None:
    """Write the standard format: a ``# name`` comment, ``n m``, then aligned ``machine duration``
    rows; an instance whose jobs differ in length (:attr:`~JobShopInstance.is_rectangular` false)
    is written in the Da Col-Teppan format, each row ended by ``-1 -1``."""
    if not instance.is_rectangular:
        write_atomic(Path(path), reentrant_text(instance))
        return
    width = len(str(max(int(instance.durations.max()), int(instance.machines.max()))))
    lines = [f"# {instance.name}", f"{instance.n_jobs} {instance.n_machines}"]
    for mach_row, dur_row in zip(instance.machines.tolist(), instance.durations.tolist()):
        lines.append(" ".join(f"{mach:>{width}} {dur:>{width}}" for mach, dur in zip(mach_row, dur_row)))
    write_atomic(Path(path), "\n".join(lines) + "\n")


def reentrant_text(instance: JobShopInstance) -> str:
    """The Da Col-Teppan text of any instance: a ``# name`` comment, ``n m``, then one line per job
    of ``machine duration`` pairs ended by ``-1 -1``."""
    lines = [f"# {instance.name}", f"{instance.n_jobs} {instance.n_machines}"]
    pairs = np.stack([instance.op_machine, instance.op_duration], axis=1).tolist()
    starts = instance.job_start.tolist()
    for begin, end in zip(starts[:-1], starts[1:]):
        lines.append(" ".join(f"{mach} {dur}" for mach, dur in pairs[begin:end]) + " -1 -1")
    return "\n".join(lines) + "\n"


def write_json(instance: JobShopInstance, path) -> None:
    """Write ``{name, duration_matrix, machines_matrix, metadata}`` (bounds go into metadata)."""
    write_atomic(Path(path), json.dumps(instance_to_dict(instance), indent=1) + "\n")


def instance_to_dict(instance: JobShopInstance) -> dict:
    """The JSON form of an instance; known bounds are stored in ``metadata``."""
    metadata = dict(instance.metadata)
    for key in _BOUND_KEYS:
        metadata.pop(key, None)
    if instance.lower_bound is not None:
        metadata["lower_bound"] = int(instance.lower_bound)
    if instance.upper_bound is not None:
        metadata["upper_bound"] = int(instance.upper_bound)
    if instance.optimal or "lower_bound" in metadata or "upper_bound" in metadata:
        metadata["optimal"] = bool(instance.optimal)
    if instance.is_rectangular:
        return {
            "name": instance.name,
            "duration_matrix": instance.durations.tolist(),
            "machines_matrix": instance.machines.tolist(),
            "metadata": metadata,
        }
    # jobs of different lengths: one row per job, and the machine count the rows cannot show
    starts = instance.job_start.tolist()
    durations, machines = instance.op_duration.tolist(), instance.op_machine.tolist()
    return {
        "name": instance.name,
        "duration_matrix": [durations[a:b] for a, b in zip(starts[:-1], starts[1:])],
        "machines_matrix": [machines[a:b] for a, b in zip(starts[:-1], starts[1:])],
        "n_machines": instance.n_machines,
        "metadata": metadata,
    }


def instance_from_dict(data, path=None, default_name: str = "instance") -> JobShopInstance:
    """Build an instance from its JSON form, checking every field; errors name ``path``."""
    def fail(message):
        return InputError(message, path=path)

    if not isinstance(data, dict):
        raise fail(f"expected a JSON object with duration_matrix and machines_matrix, found {type(data).__name__}")
    missing = [key for key in ("duration_matrix", "machines_matrix") if key not in data]
    if missing:
        raise fail(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                   "expected {name, duration_matrix, machines_matrix, metadata}")
    # 'n_machines' (written for jobs of different lengths) frees the rows from being one width
    n_machines = data.get("n_machines")
    if n_machines is not None and (isinstance(n_machines, bool) or not isinstance(n_machines, int)
                                   or not 1 <= n_machines < _MAX_VALUE):
        raise fail(f"'n_machines' must be a positive integer, found {clip(repr(n_machines))}")
    ragged = n_machines is not None
    durations = _json_matrix(data["duration_matrix"], "duration_matrix", fail, ragged)
    machines = _json_matrix(data["machines_matrix"], "machines_matrix", fail, ragged)
    if ragged:
        _same_row_lengths(durations, machines, fail)
        m = n_machines
    elif len(durations) != len(machines) or len(durations[0]) != len(machines[0]):
        raise fail(f"duration_matrix is {len(durations)}x{len(durations[0])} but machines_matrix is "
                   f"{len(machines)}x{len(machines[0])}; expected the same shape")
    else:
        m = len(durations[0])
    for j, (d_row, m_row) in enumerate(zip(durations, machines)):
        for k, (dur, mach) in enumerate(zip(d_row, m_row)):
            if dur < 0:
                raise fail(f"duration_matrix[{j}][{k}]: expected a non-negative duration, found {dur}")
            if not 0 <= mach < m:
                raise fail(f"machines_matrix[{j}][{k}]: expected a machine index in 0..{m - 1}, found {mach}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise fail(f"'name' must be a non-empty string, found {name!r}")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise fail(f"'metadata' must be an object, found {type(metadata).__name__}")
    metadata = dict(metadata)
    lower, upper, optimal = _bounds_from_metadata(metadata, fail)
    if not ragged:
        return JobShopInstance(name, np.array(durations), np.array(machines), lower_bound=lower,
                               upper_bound=upper, optimal=optimal, metadata=metadata)
    op_machine = np.array([mach for row in machines for mach in row], dtype=np.int64)
    used = _idle_machines_refused(m, op_machine)
    if used is not None:
        raise fail(f"'n_machines' is {m}, but the operations use only {used}; expected at most "
                   f"{used + max(_IDLE_MACHINES, used)} (machines no operation uses only take memory)")
    job_start = np.concatenate([[0], np.cumsum([len(row) for row in durations])])
    return JobShopInstance.from_flat(name, [dur for row in durations for dur in row], op_machine,
                                     job_start, m, lower_bound=lower, upper_bound=upper,
                                     optimal=optimal, metadata=metadata)


# ---- JSON helpers ------------------------------------------------------------------------------
def _json_matrix(value, key, fail, ragged: bool = False) -> list[list[int]]:
    """The rows of ``value``, checked: lists of integers, all as long as row 0 unless ``ragged``."""
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise fail(f"'{key}' must be a non-empty list of rows (lists of integers)")
    width = len(value[0])
    if width == 0:
        raise fail(f"'{key}' row 0 is empty; expected at least one operation per job")
    for j, row in enumerate(value):
        if ragged and not row:
            raise fail(f"'{key}' row {j} is empty; expected at least one operation per job")
        if not ragged and len(row) != width:
            raise fail(f"'{key}' row {j} has {len(row)} values, expected {width} like row 0 "
                       "(the matrix must be rectangular unless 'n_machines' is given)")
        for k, x in enumerate(row):
            # bool is an int subclass in Python; true/false in a matrix is a mistake, not a 1/0.
            if isinstance(x, bool) or not isinstance(x, int) or abs(x) >= _MAX_VALUE:
                raise fail(f"'{key}'[{j}][{k}]: expected an integer, found {x!r}")
    return value


def _same_row_lengths(durations: list, machines: list, fail) -> None:
    if len(durations) != len(machines):
        raise fail(f"duration_matrix has {len(durations)} rows but machines_matrix has "
                   f"{len(machines)}; expected one row per job in both")
    for j, (d_row, m_row) in enumerate(zip(durations, machines)):
        if len(d_row) != len(m_row):
            raise fail(f"duration_matrix row {j} has {len(d_row)} values but machines_matrix row "
                       f"{j} has {len(m_row)}; expected one machine per duration")


def _bounds_from_metadata(metadata: dict, fail):
    """Pop lower/upper/optimal from metadata; ``optimum`` (kept) sets both bounds."""
    def as_int(key, value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"metadata '{key}' must be an integer, found {value!r}")
        return value

    optimum = as_int("optimum", metadata.get("optimum"))
    lower = as_int("lower_bound", metadata.pop("lower_bound", optimum))
    upper = as_int("upper_bound", metadata.pop("upper_bound", optimum))
    default = lower is not None and lower == upper
    optimal = metadata.pop("optimal", default)
    if not isinstance(optimal, bool):
        raise fail(f"metadata 'optimal' must be true or false, found {optimal!r}")
    return lower, upper, optimal


# ---- text formats ------------------------------------------------------------------------------
class _Lines:
    """A cursor over the content lines of a text file, skipping blank and ``#`` comment lines."""

    def __init__(self, text: str, path: Path):
        self.lines = text_lines(text)  # at '\n' only, so that a '\v' keeps the line numbers
        self.path = path
        self.pos = 0

    @property
    def last_line(self) -> int:
        return len(self.lines)

    def next(self) -> tuple[int, str] | None:
        """(1-based line number, stripped text) of the next content line, or None at the end."""
        while self.pos < len(self.lines):
            text = self.lines[self.pos].strip()
            self.pos += 1
            if text and not text.startswith("#"):
                return self.pos, text
        return None

    def peek(self) -> tuple[int, str] | None:
        pos = self.pos
        item = self.next()
        self.pos = pos
        return item

    def error(self, message: str, line: int | None = None) -> InputError:
        return InputError(message, path=self.path, line=line)

    def integer(self, token: str, what: str, line: int) -> int:
        # plain ASCII decimal digits only: int() would also read '1_0', '+4' and full-width digits
        value = plain_int(token)
        if value is None:
            raise self.error(f"expected an integer {what}, found {clip(token)!r}", line)
        if abs(value) >= _MAX_VALUE:
            raise self.error(f"{what} {clip(token)} is too large", line)
        return value

    def row(self, expected: int, what: str, row_label: str, total_label: str):
        """The next content line as exactly ``expected`` tokens."""
        item = self.next()
        if item is None:
            raise self.error(f"expected {total_label}, but the file ends here", self.last_line)
        line, text = item
        tokens = text.split()
        if len(tokens) != expected:
            raise self.error(f"expected {expected} {what} in {row_label}, found {len(tokens)}", line)
        return line, tokens


def _is_int(token: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", token) is not None


def _is_taillard_header(text: str) -> bool:
    return text.lower().startswith("nb of jobs")


def _parse_text(text: str, path: Path) -> list[JobShopInstance]:
    """All instances in a standard or Taillard text file (several only for Taillard's header form)."""
    lines = _Lines(text, path)
    first = lines.peek()
    if first is None:
        raise lines.error("the file is empty" if not text.strip() else
                          "the file holds only comments; expected an 'n m' line")
    if _is_taillard_header(first[1]):
        instances = []
        while lines.peek() is not None:
            instances.append(_parse_taillard_block(lines))
        return instances
    metadata = {}
    if not _is_int(first[1].split()[0]):
        # An OR-Library copy may put a free-text description before 'n m'; accept it only then.
        lines.next()
        following = lines.peek()
        if following is None or not all(map(_is_int, following[1].split())) or len(following[1].split()) != 2:
            raise lines.error(f"expected 'n m' (number of jobs and machines), found {first[1]!r}", first[0])
        metadata["description"] = first[1]
    line, text_ = lines.next()
    tokens = text_.split()
    if len(tokens) < 2 or len(tokens) > 2 + len(_TAILLARD_EXTRAS):
        raise lines.error(f"expected 'n m' (number of jobs and machines), found {text_!r}", line)
    n, m, extras = _size_line(lines, tokens, line)
    row = lines.peek()
    if row is None:
        raise lines.error(f"expected {n} job rows after 'n m', but the file ends here", lines.last_line)
    widths, terminated = _row_widths(lines)
    width = widths[0]
    if 2 * terminated >= len(widths):  # most rows end with '-1 -1': Da Col-Teppan
        if extras:
            raise lines.error("expected 'n m' (number of jobs and machines) above job rows ended "
                              f"by '-1 -1', found {text_!r}", line)
        instance = _parse_reentrant_rows(lines, widths, n, m, True, line, metadata)
    elif width == 2 * m and not extras:
        instance = _parse_standard_rows(lines, widths, n, m, metadata)
    elif not extras and _unterminated_reentrant(widths, n, m):
        instance = _parse_reentrant_rows(lines, widths, n, m, False, line, metadata)
    elif width == m:
        instance = _parse_taillard_rows(lines, widths, n, m, {**metadata, **extras})
    elif extras:  # only Taillard's size line has more than 'n m'
        standard = (f"; a standard file with {m} 'machine duration' pairs per row has the "
                    f"header '{n} {m}'" if width == 2 * m else "")
        raise lines.error(f"expected {m} durations in job row 1, found {width} values: the header "
                          f"{text_!r} has more than 'n m', which is only valid for Taillard files"
                          f"{standard}", row[0])
    else:
        reentrant = ""
        if width % 2 == 0:
            lines_for_jobs = (f" (the header promises {n} jobs, the file has {len(widths)} lines)"
                              if len(widths) != n else "")
            reentrant = ("; a re-entrant (Da Col-Teppan) file has one line of 'machine duration' "
                         f"pairs per job, ended by '-1 -1'{lines_for_jobs}")
        raise lines.error(f"expected {2 * m} values (standard: {m} 'machine duration' pairs) or {m} "
                          f"durations (Taillard) in job row 1, found {width}{reentrant}", row[0])
    trailing = lines.next()
    if trailing is not None:
        raise lines.error(f"unexpected content after the {n}x{m} instance: {trailing[1][:40]!r} "
                          "(are n and m in the header right?)", trailing[0])
    return [instance]


def _row_widths(lines: _Lines) -> tuple[list[int], int]:
    """The number of values on each content line after the cursor, and how many of those lines
    end with the pair ``-1 -1`` (a Da Col-Teppan job's end)."""
    widths, terminated = [], 0
    for raw in lines.lines[lines.pos:]:
        tokens = raw.split()
        if tokens and not tokens[0].startswith("#"):
            widths.append(len(tokens))
            terminated += tokens[-2:] == ["-1", "-1"]
    return widths, terminated


def _unterminated_reentrant(widths: list[int], n: int, m: int) -> bool:
    """Do the rows read as Da Col-Teppan without the ``-1 -1`` ends (the bel files): one line per
    job, of different lengths, none of the ``2m`` values of a standard row? A standard file with
    a bad row, or a header with the wrong ``m``, is not taken for one."""
    return len(widths) == n and 2 * m not in widths and len(set(widths)) > 1


def _bulk(lines: _Lines, widths: list[int], rows: int) -> np.ndarray | None:
    """Every value of the ``rows`` remaining content lines in one numpy pass, the cursor moved
    past them; None, the cursor unmoved, when the line-by-line reader must look (see bulkrows)."""
    if len(widths) != rows:
        return None
    values = bulk_ints(lines.lines[lines.pos:], sum(widths))
    if values is not None:
        lines.pos = len(lines.lines)
    return values


def _in_range(machines: np.ndarray, durations: np.ndarray, m: int) -> bool:
    """The checks of :func:`_machine` and :func:`_duration`, on whole arrays."""
    return bool(machines.size == 0 or (machines.min() >= 0 and machines.max() < m
                                        and durations.min() >= 0 and durations.max() < _MAX_VALUE))


def _parse_standard_rows(lines: _Lines, widths: list[int], n: int, m: int,
                         metadata: dict) -> JobShopInstance:
    if all(width == 2 * m for width in widths):
        start = lines.pos
        values = _bulk(lines, widths, n)
        if values is not None:
            pairs = values.reshape(n, m, 2)
            if _in_range(pairs[:, :, 0], pairs[:, :, 1], m):
                return JobShopInstance(lines.path.stem, pairs[:, :, 1], pairs[:, :, 0], metadata=metadata)
            lines.pos = start  # rewind: the line-by-line reader names the value out of range
    durations, machines = [], []
    for j in range(n):
        line, tokens = lines.row(2 * m, f"values ({m} 'machine duration' pairs)", f"job row {j + 1}",
                                 f"{n} job rows, found {j}")
        machines.append([_machine(lines, tok, m, 0, line) for tok in tokens[0::2]])
        durations.append([_duration(lines, tok, line) for tok in tokens[1::2]])
    return JobShopInstance(lines.path.stem, np.array(durations), np.array(machines), metadata=metadata)


def _parse_taillard_rows(lines: _Lines, widths: list[int], n: int, m: int,
                         metadata: dict) -> JobShopInstance:
    if all(width == m for width in widths):
        start = lines.pos
        values = _bulk(lines, widths, 2 * n)
        if values is not None:
            durations, machines = values[:n * m].reshape(n, m), values[n * m:].reshape(n, m) - 1
            if _in_range(machines, durations, m):
                return _taillard_instance(lines, durations, machines, metadata)
            lines.pos = start
    durations = []
    for j in range(n):
        line, tokens = lines.row(m, "durations", f"duration row {j + 1}",
                                 f"{n} rows of durations then {n} rows of machines, found {j} rows")
        durations.append([_duration(lines, tok, line) for tok in tokens])
    return _finish_taillard(lines, n, m, durations, metadata)


def _finish_taillard(lines: _Lines, n: int, m: int, durations, metadata: dict) -> JobShopInstance:
    machines = []
    for j in range(n):
        line, tokens = lines.row(m, "machines", f"machine row {j + 1}",
                                 f"{n} rows of machines after the durations, found {j}")
        machines.append([_machine(lines, tok, m, 1, line) - 1 for tok in tokens])
    return _taillard_instance(lines, np.array(durations), np.array(machines), metadata)


def _taillard_instance(lines: _Lines, durations, machines, metadata: dict) -> JobShopInstance:
    """The instance, the bounds of Taillard's size line (in ``metadata``) as its bounds."""
    metadata = dict(metadata)
    lower, upper = metadata.pop("lower_bound", None), metadata.pop("upper_bound", None)
    return JobShopInstance(lines.path.stem, durations, machines, lower_bound=lower,
                           upper_bound=upper, optimal=lower is not None and lower == upper,
                           metadata=metadata)


def _parse_reentrant_rows(lines: _Lines, widths: list[int], n: int, m: int, terminated: bool,
                          header_line: int, metadata: dict) -> JobShopInstance:
    """Da Col-Teppan rows: one line per job of ``machine duration`` pairs (machines from 0),
    ended by ``-1 -1`` when ``terminated``; jobs of any length, machines revisited or unused."""
    end = 2 if terminated else 0
    if all(width % 2 == 0 and width > end for width in widths):
        start = lines.pos
        values = _bulk(lines, widths, n)
        if values is not None:
            lengths = (np.array(widths, dtype=np.int64) - end) // 2
            if terminated:
                ends = np.cumsum(widths)
                keep = np.ones(values.size, dtype=bool)
                keep[ends - 1] = keep[ends - 2] = False
                ended = (values[ends - 1] == -1).all() and (values[ends - 2] == -1).all()
                values = values[keep] if ended else values[:0]
            pairs = values.reshape(-1, 2)
            if len(pairs) == lengths.sum() and _in_range(pairs[:, 0], pairs[:, 1], m):
                return _reentrant_instance(lines, pairs[:, 0], pairs[:, 1], lengths, m,
                                           header_line, metadata)
            lines.pos = start  # rewind: the line-by-line reader names the fault
    machines, durations, lengths = [], [], []
    for j in range(n):
        item = lines.next()
        if item is None:
            raise lines.error(f"expected {n} job rows, found {j}, but the file ends here", lines.last_line)
        line, text = item
        tokens = text.split()
        row = f"job row {j + 1}"
        if terminated:
            if tokens[-2:] != ["-1", "-1"]:
                raise lines.error(f"expected {row} to end with '-1 -1' (every job of this file ends "
                                  f"so), found {clip(' '.join(tokens[-2:]), 30)!r} at its end", line)
            tokens = tokens[:-2]
        if len(tokens) % 2:
            raise lines.error(f"expected 'machine duration' pairs in {row}, found an odd number of "
                              f"values ({len(tokens)})", line)
        if not tokens:
            raise lines.error(f"expected at least one 'machine duration' pair in {row}, found none", line)
        machines += [_machine(lines, tok, m, 0, line) for tok in tokens[0::2]]
        durations += [_duration(lines, tok, line) for tok in tokens[1::2]]
        lengths.append(len(tokens) // 2)
    return _reentrant_instance(lines, np.array(machines), np.array(durations), np.array(lengths), m,
                               header_line, metadata)


def _reentrant_instance(lines: _Lines, machines, durations, lengths, m: int, header_line: int,
                        metadata: dict) -> JobShopInstance:
    used = _idle_machines_refused(m, machines)
    if used is not None:
        raise lines.error(f"the header declares {m} machines, but the operations use only {used}; "
                          f"expected at most {used + max(_IDLE_MACHINES, used)} (machines no "
                          "operation uses only take memory)", header_line)
    job_start = np.concatenate([[0], np.cumsum(lengths)])
    return JobShopInstance.from_flat(lines.path.stem, durations, machines, job_start, m,
                                     metadata=metadata)


def _idle_machines_refused(m: int, machines: np.ndarray) -> int | None:
    """The number of machines used when ``m`` leaves too many idle (see _IDLE_MACHINES), else None."""
    if m <= _IDLE_MACHINES:
        return None
    used = int(np.unique(machines).size)
    return None if m - used <= max(_IDLE_MACHINES, used) else used


def _parse_taillard_block(lines: _Lines) -> JobShopInstance:
    """One block of Taillard's own form: header words, values line, Times, durations, Machines, machines."""
    header_line, header = lines.next()
    if not _is_taillard_header(header):
        raise lines.error(f"expected a 'Nb of jobs, Nb of Machines, ...' header, found {header[:40]!r}",
                          header_line)
    item = lines.next()
    if item is None:
        raise lines.error("expected the values line after the header, but the file ends here", lines.last_line)
    line, values = item
    tokens = values.replace(",", " ").split()
    if not 2 <= len(tokens) <= 2 + len(_TAILLARD_EXTRAS):
        raise lines.error(f"expected 2 to 6 numbers (jobs, machines, seeds, bounds), found {len(tokens)}", line)
    n, m, extras = _size_line(lines, tokens, line)
    _expect_label(lines, ("times", "processing times", "durations"), "Times")
    durations = []
    for j in range(n):
        line, tokens = lines.row(m, "durations", f"duration row {j + 1}", f"{n} rows of durations, found {j}")
        durations.append([_duration(lines, tok, line) for tok in tokens])
    _expect_label(lines, ("machines",), "Machines")
    return _finish_taillard(lines, n, m, durations, extras)


def _expect_label(lines: _Lines, labels: tuple[str, ...], shown: str) -> None:
    item = lines.next()
    if item is None:
        raise lines.error(f"expected a '{shown}' line, but the file ends here", lines.last_line)
    line, text = item
    if text.lower().rstrip(" :") not in labels:
        raise lines.error(f"expected a '{shown}' line, found {text[:40]!r}", line)



def _size_line(lines: _Lines, tokens: list[str], line: int) -> tuple[int, int, dict]:
    """``n m`` and the optional Taillard extras (seeds, bounds) of a size line."""
    n = lines.integer(tokens[0], "number of jobs", line)
    m = lines.integer(tokens[1], "number of machines", line)
    if n < 1 or m < 1:
        raise lines.error(f"expected positive numbers of jobs and machines, found {n} {m}", line)
    extras = {key: lines.integer(tok, key.replace("_", " "), line)
              for key, tok in zip(_TAILLARD_EXTRAS, tokens[2:])}
    return n, m, extras

def _duration(lines: _Lines, token: str, line: int) -> int:
    value = lines.integer(token, "duration", line)
    if value < 0:  # zero is allowed: orb07 has a zero-length operation
        raise lines.error(f"expected a non-negative duration, found {value}", line)
    return value


def _machine(lines: _Lines, token: str, m: int, base: int, line: int) -> int:
    value = lines.integer(token, "machine index", line)
    if not base <= value < m + base:
        raise lines.error(f"machine index {value} out of range; expected {base}..{m - 1 + base}", line)
    return value


# ---- files -------------------------------------------------------------------------------------



def _pick(instances: list, index: int, path: Path, name: str | None):
    if not 0 <= index < len(instances):
        raise InputError(f"index {index} out of range: the file holds {len(instances)} "
                         f"instance{'s' if len(instances) != 1 else ''}", path=path)
    instance = instances[index]
    if name is not None:
        instance.name = name
    elif len(instances) > 1:
        instance.name = f"{path.stem}_{index}"
    return instance
