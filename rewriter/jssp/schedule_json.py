"""Reading a job-shop schedule JSON (as ``rewriter solve --out`` writes it) for the validator.

Format errors raise :class:`InputError` naming the file and the entry; disagreements between the
fields (an end that is not start + duration, a machine sequence the start times contradict) are
returned as violations, next to those of :func:`~rewriter.jssp.validate.schedule_violations`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..shop.sequences import operations_text, sequence_problems
from .validate import schedule_violations


def check_schedule_json(instance, data: dict, path: str) -> tuple[list[str], int]:
    """(violations, makespan) of a schedule dict with ``makespan`` and ``operations`` (one entry
    ``{job, op, start, ...}`` per operation, ``op`` the position in the job's route, so the same
    layout serves routes of any length)."""
    for key in ("makespan", "operations"):
        if key not in data:
            raise InputError(f"missing key '{key}'; expected a schedule written by "
                             "`rewriter solve --out` (keys makespan, operations, ...)", path=path)
    if not _is_int(data.get("makespan")):
        raise InputError(f"'makespan' must be an integer, found {data.get('makespan')!r}", path=path)
    starts = _parse_fast(data, instance)
    if starts is not None:
        problems = []
    else:  # entry by entry: the first format error raised, every inconsistency named
        starts, problems = _parse_schedule(data, instance, path)
    # every violation (limit None), so that validate's count is exact
    return (schedule_violations(instance, starts, data["makespan"], limit=None) + problems,
            int(data["makespan"]))


def _parse_fast(data: dict, instance) -> np.ndarray | None:
    """The flat start times of a well-formed, self-consistent schedule (the common case, and the
    one that matters at a million operations) in a few list and numpy passes; None at the first
    sign of anything else, so that :func:`_parse_schedule` finds it and names it."""
    ops, n_ops = data["operations"], instance.n_operations
    if not isinstance(ops, list) or len(ops) != n_ops or any(
            key in data and data[key] != size
            for key, size in (("n_jobs", instance.n_jobs), ("n_machines", instance.n_machines))):
        return None
    if not all(type(entry) is dict for entry in ops):
        return None
    columns = {key: [entry.get(key) for entry in ops] for key in ("job", "op", "start")}
    job, op, start = (_int_column(columns[key]) for key in ("job", "op", "start"))
    if job is None or op is None or start is None:
        return None
    if ((job < 0) | (job >= instance.n_jobs)).any():
        return None
    if ((op < 0) | (op >= instance.job_length[job])).any():
        return None
    flat = instance.job_start[job] + op
    if not (np.bincount(flat, minlength=n_ops) == 1).all():  # listed twice, so one is missing
        return None
    for key, truth in (("machine", instance.op_machine[flat]),
                       ("end", start + instance.op_duration[flat])):
        listed = [entry[key] for entry in ops if key in entry]
        if listed and (len(listed) != n_ops or not np.array_equal(_int_column(listed), truth)):
            return None  # some entries without it, or a disagreement: named entry by entry
    starts = np.empty(n_ops, np.int64)
    starts[flat] = start
    sequences = data.get("machine_sequences")
    if sequences is not None and not _sequences_agree(sequences, instance, starts):
        return None
    return starts


def _int_column(values: list) -> np.ndarray | None:
    """The values as int64 when every one is a plain int (no bool, float or None) that fits."""
    if not all(type(v) is int for v in values):
        return None
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return None


def _sequences_agree(sequences, instance, starts: np.ndarray) -> bool:
    """Does ``machine_sequences`` list every operation once, on its own machine, in an order the
    start times keep? (False for anything else, malformed included.)"""
    n_ops = instance.n_operations
    if (not isinstance(sequences, list) or len(sequences) != instance.n_machines
            or not all(type(seq) is list for seq in sequences)):
        return False
    pairs = [pair for seq in sequences for pair in seq]
    if len(pairs) != n_ops or not all(type(pair) is list and len(pair) == 2 for pair in pairs):
        return False
    job, op = _int_column([p[0] for p in pairs]), _int_column([p[1] for p in pairs])
    if job is None or op is None or ((job < 0) | (job >= instance.n_jobs)).any():
        return False
    if ((op < 0) | (op >= instance.job_length[job])).any():
        return False
    flat = instance.job_start[job] + op
    listed_on = np.repeat(np.arange(instance.n_machines), [len(seq) for seq in sequences])
    if not (np.bincount(flat, minlength=n_ops) == 1).all() or not np.array_equal(
            instance.op_machine[flat], listed_on):
        return False
    same = listed_on[1:] == listed_on[:-1]
    ends = starts[flat[:-1]] + instance.op_duration[flat[:-1]]
    return bool((starts[flat[1:]][same] >= ends[same]).all())


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _listing(instance) -> str:
    """What 'operations' must list: '{n * m} operations ({n} jobs x {m})' or, for routes of
    different lengths, '{N} operations of {n} jobs'."""
    n, m = instance.n_jobs, instance.n_machines
    if instance.is_rectangular:
        return f"{n * m} operations ({n} jobs x {m})"
    return f"{instance.n_operations} operations of {n} jobs"


def _op_range(instance, job: int) -> str:
    return f"op 0..{int(instance.job_length[job]) - 1}"


def _parse_schedule(data: dict, instance, path: str):
    """(start times per job, consistency problems) of a schedule dict; format errors raise
    InputError. Job j's ``op`` counts 0..job_length[j] - 1 (the position in its route)."""
    n, m = instance.n_jobs, instance.n_machines
    lengths = instance.job_length.tolist()
    for key, size in (("n_jobs", n), ("n_machines", m)):
        if key in data and data[key] != size:
            raise InputError(f"'{key}' is {data[key]!r} but instance {instance.name} has {size}; "
                             f"expected a schedule for a {n}x{m} instance", path=path)
    ops = data["operations"]
    if not isinstance(ops, list):
        raise InputError(f"'operations' must list the {_listing(instance)} of "
                         f"instance {instance.name}, found a {type(ops).__name__}", path=path)
    starts = [[None] * length for length in lengths]
    problems = []
    for i, entry in enumerate(ops):
        if not isinstance(entry, dict):
            raise InputError(f"operations[{i}]: expected an object {{job, op, start, ...}}, "
                             f"found {entry!r}", path=path)
        for key in ("job", "op", "start"):
            if not _is_int(entry.get(key)):
                raise InputError(f"operations[{i}]: '{key}' must be an integer, found "
                                 f"{entry.get(key)!r}", path=path)
        job, op, start = entry["job"], entry["op"], entry["start"]
        if not (0 <= job < n and 0 <= op < lengths[job]):
            if instance.is_rectangular:
                expected = f"op 0..{m - 1}"
            elif 0 <= job < n:
                expected = f"{_op_range(instance, job)} for job {job}"
            else:
                expected = "an op of the job's route"
            raise InputError(f"operations[{i}]: job {job} op {op} is not an operation of "
                             f"instance {instance.name} (expected job 0..{n - 1} and "
                             f"{expected}); an extra operation", path=path)
        if starts[job][op] is not None:
            raise InputError(f"operations[{i}]: job {job} op {op} is listed twice (an extra "
                             "operation)", path=path)
        starts[job][op] = start
        flat = instance.operation(job, op)
        duration, machine = int(instance.op_duration[flat]), int(instance.op_machine[flat])
        if "machine" in entry and entry["machine"] != machine:
            problems.append(f"job {job} op {op} is listed on machine {entry['machine']!r} but "
                            f"runs on machine {machine}")
        if "end" in entry and entry["end"] != start + duration:
            problems.append(f"job {job} op {op}: end {entry['end']!r} != start {start} + "
                            f"duration {duration}")
    missing = [(j, k) for j in range(n) for k in range(lengths[j]) if starts[j][k] is None]
    if missing:
        raise InputError(f"'operations' lists {instance.n_operations - len(missing)} of the "
                         f"{instance.n_operations} operations of instance {instance.name}; "
                         f"missing: {operations_text(missing)}", path=path)
    if data.get("machine_sequences") is not None:
        problems += _sequence_problems(data["machine_sequences"], instance, starts, path)
    return starts, problems


def _sequence_problems(sequences, instance, starts, path: str) -> list[str]:
    n, m = instance.n_jobs, instance.n_machines
    lengths = instance.job_length.tolist()

    def operation(pair):
        if (not isinstance(pair, list) or len(pair) != 2 or not all(map(_is_int, pair))
                or not (0 <= pair[0] < n and 0 <= pair[1] < lengths[pair[0]])):
            return None
        return pair[0], pair[1]

    def flat(key):
        return instance.operation(*key)

    ops_text = f"op 0..{m - 1}" if instance.is_rectangular else "op 0..(job's operations - 1)"
    return sequence_problems(
        sequences, m, operation=operation, path=path,
        machine_of=lambda key: int(instance.op_machine[flat(key)]),
        start_of=lambda key: starts[key[0]][key[1]],
        duration_of=lambda key: int(instance.op_duration[flat(key)]),
        operations=((j, k) for j in range(n) for k in range(lengths[j])),
        bad_pair=lambda pair: f"expected [job, op] with job 0..{n - 1} and {ops_text}, "
                              f"found {pair!r}")
