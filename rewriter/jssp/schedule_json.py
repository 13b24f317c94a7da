"""Reading a job-shop schedule JSON (as ``rewriter solve --out`` writes it) for the validator.

Format errors raise :class:`InputError` naming the file and the entry; disagreements between the
fields (an end that is not start + duration, a machine sequence the start times contradict) are
returned as violations, next to those of :func:`~rewriter.jssp.validate.schedule_violations`.
"""

from __future__ import annotations

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
    starts, problems = _parse_schedule(data, instance, path)
    # every violation (limit None), so that validate's count is exact
    return (schedule_violations(instance, starts, data["makespan"], limit=None) + problems,
            int(data["makespan"]))


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
