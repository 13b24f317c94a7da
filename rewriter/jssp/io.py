"""Read and write job-shop instance files; the format is detected from the content.

Formats read by :func:`read_instance`:

* **standard** (OR-Library / JSPLIB): optional ``#`` comment lines and blank lines, optionally one
  free-text description line, a line ``n m``, then n rows of m ``machine duration`` pairs, one row
  per job, machines numbered from 0.
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
* **npy** (the L2D / L2S data sets): an array of shape (N, 2, n, m) or (2, n, m); ``[:, 0]`` are
  durations, ``[:, 1]`` machines numbered from 1.

A plain ``n m`` header is standard when the first row has 2m values and Taillard when it has m.
Numbers in the text formats are plain ASCII decimal integers: ``+4``, ``1_0`` or non-ASCII digits
such as ``７`` are errors, not 4, 10 and 7.
Anything that does not fit raises :class:`~rewriter.errors.InputError` naming the file, the line
and what was expected: nothing is guessed silently.

Writers (:func:`write_standard`, :func:`write_json`) replace the target atomically.
"""

from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path

import numpy as np

from ..atomic import write_atomic
from ..errors import InputError
from ..textfile import clip, decode, parse_json, plain_int, read_bytes
from ..textfile import lines as text_lines
from .instance import JobShopInstance

_EXPECTED = "a text, JSON or .npy instance file"  # what an unreadable file was expected to be

__all__ = [
    "read_instance", "read_npy_instances", "write_standard", "write_json",
    "instance_to_dict", "instance_from_dict",
]

_NPY_MAGIC = b"\x93NUMPY"
# Far beyond any real instance, but small enough that sums of durations never overflow int64.
_MAX_VALUE = 2 ** 40
# Keys of the Taillard header line after n and m, in the order Taillard writes them.
_TAILLARD_EXTRAS = ("time_seed", "machine_seed", "upper_bound", "lower_bound")
_BOUND_KEYS = ("lower_bound", "upper_bound", "optimal")


# ---- public readers ----------------------------------------------------------------------------
def read_instance(path, name: str | None = None, index: int = 0) -> JobShopInstance:
    """Read one instance from a standard, Taillard, JSON or npy file (detected from the content).

    ``name`` defaults to the JSON ``name`` field or the file stem (``<stem>_<index>`` when the file
    holds several instances); ``index`` picks the instance of a multi-instance file.
    """
    path = Path(path)
    data = read_bytes(path)
    if path.suffix.lower() == ".npy" or data.startswith(_NPY_MAGIC):
        instances = read_npy_instances(path, _data=data)
        return _pick(instances, index, path, name)
    text = decode(data, path, _EXPECTED)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        obj = parse_json(text, path)
        return _pick([instance_from_dict(obj, path=path, default_name=path.stem)], index, path, name)
    return _pick(_parse_text(text, path), index, path, name)


def read_npy_instances(path, *, _data: bytes | None = None) -> list[JobShopInstance]:
    """Every instance of an L2D/L2S ``.npy`` file: shape (N, 2, n, m) or (2, n, m), machines from 1.

    Instances are named ``<stem>_<i>``.
    """
    path = Path(path)
    data = read_bytes(path) if _data is None else _data
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
    """Write the standard format: a ``# name`` comment, ``n m``, then aligned ``machine duration`` rows."""
    width = len(str(max(int(instance.durations.max()), int(instance.machines.max()))))
    lines = [f"# {instance.name}", f"{instance.n_jobs} {instance.n_machines}"]
    for mach_row, dur_row in zip(instance.machines.tolist(), instance.durations.tolist()):
        lines.append(" ".join(f"{mach:>{width}} {dur:>{width}}" for mach, dur in zip(mach_row, dur_row)))
    write_atomic(Path(path), "\n".join(lines) + "\n")


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
    return {
        "name": instance.name,
        "duration_matrix": instance.durations.tolist(),
        "machines_matrix": instance.machines.tolist(),
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
    durations = _json_matrix(data["duration_matrix"], "duration_matrix", fail)
    machines = _json_matrix(data["machines_matrix"], "machines_matrix", fail)
    if len(durations) != len(machines) or len(durations[0]) != len(machines[0]):
        raise fail(f"duration_matrix is {len(durations)}x{len(durations[0])} but machines_matrix is "
                   f"{len(machines)}x{len(machines[0])}; expected the same shape")
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
    return JobShopInstance(name, np.array(durations), np.array(machines), lower_bound=lower,
                           upper_bound=upper, optimal=optimal, metadata=metadata)


# ---- JSON helpers ------------------------------------------------------------------------------
def _json_matrix(value, key, fail) -> list[list[int]]:
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise fail(f"'{key}' must be a non-empty list of rows (lists of integers)")
    width = len(value[0])
    if width == 0:
        raise fail(f"'{key}' row 0 is empty; expected at least one operation per job")
    for j, row in enumerate(value):
        if len(row) != width:
            raise fail(f"'{key}' row {j} has {len(row)} values, expected {width} like row 0 "
                       "(the matrix must be rectangular)")
        for k, x in enumerate(row):
            # bool is an int subclass in Python; true/false in a matrix is a mistake, not a 1/0.
            if isinstance(x, bool) or not isinstance(x, int) or abs(x) >= _MAX_VALUE:
                raise fail(f"'{key}'[{j}][{k}]: expected an integer, found {x!r}")
    return value


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
    width = len(row[1].split())
    if width == 2 * m and not extras:
        instance = _parse_standard_rows(lines, n, m, metadata)
    elif width == m:
        instance = _parse_taillard_rows(lines, n, m, {**metadata, **extras})
    elif extras:  # only Taillard's size line has more than 'n m'
        standard = (f"; a standard file with {m} 'machine duration' pairs per row has the "
                    f"header '{n} {m}'" if width == 2 * m else "")
        raise lines.error(f"expected {m} durations in job row 1, found {width} values: the header "
                          f"{text_!r} has more than 'n m', which is only valid for Taillard files"
                          f"{standard}", row[0])
    else:
        raise lines.error(f"expected {2 * m} values (standard: {m} 'machine duration' pairs) or {m} "
                          f"durations (Taillard) in job row 1, found {width}", row[0])
    trailing = lines.next()
    if trailing is not None:
        raise lines.error(f"unexpected content after the {n}x{m} instance: {trailing[1][:40]!r} "
                          "(are n and m in the header right?)", trailing[0])
    return [instance]


def _parse_standard_rows(lines: _Lines, n: int, m: int, metadata: dict) -> JobShopInstance:
    durations, machines = [], []
    for j in range(n):
        line, tokens = lines.row(2 * m, f"values ({m} 'machine duration' pairs)", f"job row {j + 1}",
                                 f"{n} job rows, found {j}")
        machines.append([_machine(lines, tok, m, 0, line) for tok in tokens[0::2]])
        durations.append([_duration(lines, tok, line) for tok in tokens[1::2]])
    return JobShopInstance(lines.path.stem, np.array(durations), np.array(machines), metadata=metadata)


def _parse_taillard_rows(lines: _Lines, n: int, m: int, metadata: dict) -> JobShopInstance:
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
    metadata = dict(metadata)
    lower, upper = metadata.pop("lower_bound", None), metadata.pop("upper_bound", None)
    return JobShopInstance(lines.path.stem, np.array(durations), np.array(machines), lower_bound=lower,
                           upper_bound=upper, optimal=lower is not None and lower == upper,
                           metadata=metadata)


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
