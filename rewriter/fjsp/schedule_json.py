"""Reading a flexible-shop schedule JSON (as ``rewriter solve --out`` writes it) for the validator.

Format errors raise :class:`InputError` naming the file and the entry; a missing or repeated
operation is named (job j op k). Rule violations come from :mod:`.validate`, and a reported
objective value that the schedule does not have is one more violation, as are machine sequences
(optional) that disagree with the operations: an operation listed on another machine than its
own, listed twice or not at all, or after one that the start times put later.
"""

from __future__ import annotations

from ..errors import InputError
from ..shop.sequences import sequence_problems
from .validate import objective_values, schedule_violations


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_schedule_json(instance, data: dict, path: str) -> tuple[list[str], int]:
    """(violations, makespan) of a schedule dict with ``operations`` [{job, op, machine, start}]."""
    ops = data.get("operations")
    if not isinstance(ops, list):
        raise InputError("missing list 'operations'; expected a schedule written by "
                         "`rewriter solve --out`", path=path)
    inst = instance
    n = inst.n_operations
    machines, starts = [None] * n, [None] * n
    for i, entry in enumerate(ops):
        if not isinstance(entry, dict):
            raise InputError(f"operations[{i}]: expected an object {{job, op, machine, start}}", path=path)
        for key in ("job", "op", "machine", "start"):
            if not _is_int(entry.get(key)):
                raise InputError(f"operations[{i}]: '{key}' must be an integer, found "
                                 f"{entry.get(key)!r}", path=path)
        job, op = entry["job"], entry["op"]
        if not 0 <= job < inst.n_jobs or not 0 <= op < inst.job_start[job + 1] - inst.job_start[job]:
            raise InputError(f"operations[{i}]: job {job} op {op} is not an operation of "
                             f"{inst.name}", path=path)
        o = int(inst.job_start[job]) + op
        if starts[o] is not None:
            raise InputError(f"operations[{i}]: job {job} op {op} is listed twice", path=path)
        machines[o], starts[o] = entry["machine"], entry["start"]
    missing = [o for o in range(n) if starts[o] is None]
    if missing:
        o = missing[0]
        raise InputError(f"{len(missing)} operation(s) missing, the first job {int(inst.op_job[o])} "
                         f"op {int(inst.op_index[o])}", path=path)
    problems = schedule_violations(inst, machines, starts)
    if data.get("machine_sequences") is not None:
        problems += _sequence_problems(data["machine_sequences"], inst, machines, starts, path)
    makespan = max(s + inst.duration_table.get((o, m), 0) for o, (m, s) in enumerate(zip(machines, starts)))
    if not problems:
        values = objective_values(inst, machines, starts)
        for key, value in values.items():
            if key in data and data[key] != value:
                problems.append(f"reported {key} {data[key]!r}, but the schedule's is {value}")
        makespan = values["makespan"]
    for i, entry in enumerate(ops):
        o = int(inst.job_start[entry["job"]]) + entry["op"]
        d = inst.duration_table.get((o, entry["machine"]))
        if "end" in entry and d is not None and entry["end"] != entry["start"] + d:
            problems.append(f"job {entry['job']} op {entry['op']}: end {entry['end']!r} != start "
                            f"{entry['start']} + duration {d} on machine {entry['machine']}")
    return problems, makespan


def _sequence_problems(sequences, inst, machines, starts, path: str) -> list[str]:
    """What ``machine_sequences`` (one list of [job, op] per machine, in start order) says
    against the operations' machines and starts; an InputError when it is not such lists."""

    def index(key) -> int:
        return int(inst.job_start[key[0]]) + key[1]

    return sequence_problems(
        sequences, inst.n_machines, path=path,
        operation=lambda pair: None if _operation(pair, inst) is None else (pair[0], pair[1]),
        machine_of=lambda key: machines[index(key)],
        start_of=lambda key: starts[index(key)],
        duration_of=lambda key: inst.duration_table.get((index(key), machines[index(key)]), 0),
        operations=((int(inst.op_job[o]), int(inst.op_index[o])) for o in range(inst.n_operations)),
        bad_pair=lambda pair: f"expected [job, op], an operation of {inst.name}, found {pair!r}")


def _operation(pair, inst) -> int | None:
    """The operation index of a [job, op] pair of ``inst``; None for anything else."""
    if not isinstance(pair, list) or len(pair) != 2 or not all(map(_is_int, pair)):
        return None
    job, op = pair
    if not 0 <= job < inst.n_jobs or not 0 <= op < inst.job_start[job + 1] - inst.job_start[job]:
        return None
    return int(inst.job_start[job]) + op
