"""Reading a flexible-shop schedule JSON (as ``rewriter solve --out`` writes it) for the validator.

Format errors raise :class:`InputError` naming the file and the entry; a missing or repeated
operation is named (job j op k). Rule violations come from :mod:`.validate`, and a reported
objective value that the schedule does not have is one more violation, as are machine sequences
(optional) that disagree with the operations: an operation listed on another machine than its
own, listed twice or not at all, or after one that the start times put later.
"""

from __future__ import annotations

from ..errors import InputError
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
    m = inst.n_machines
    if not isinstance(sequences, list) or len(sequences) != m:
        found = (f"{len(sequences)} lists" if isinstance(sequences, list)
                 else f"a {type(sequences).__name__}")
        raise InputError(f"'machine_sequences' must hold one list per machine ({m}), found {found}",
                         path=path)
    problems = []
    seen = set()
    for machine, seq in enumerate(sequences):
        if not isinstance(seq, list):
            raise InputError(f"machine_sequences[{machine}]: expected a list of [job, op] pairs",
                             path=path)
        previous = None
        for pos, pair in enumerate(seq):
            o = _operation(pair, inst)
            if o is None:
                raise InputError(f"machine_sequences[{machine}][{pos}]: expected [job, op], an "
                                 f"operation of {inst.name}, found {pair!r}", path=path)
            job, op = pair
            if o in seen:
                problems.append(f"machine_sequences: job {job} op {op} appears more than once")
            seen.add(o)
            if machines[o] != machine:
                problems.append(f"machine_sequences[{machine}] lists job {job} op {op}, which runs "
                                f"on machine {machines[o]}")
                continue
            if previous is not None:
                end = starts[previous] + inst.duration_table.get((previous, machine), 0)
                if starts[o] < end:
                    problems.append(
                        f"machine {machine}: the sequence puts job {int(inst.op_job[previous])} op "
                        f"{int(inst.op_index[previous])} (start {starts[previous]}, end {end}) "
                        f"before job {job} op {op} (start {starts[o]}), which the start times "
                        "contradict")
            previous = o
    missing = [o for o in range(inst.n_operations) if o not in seen]
    if missing:
        shown = ", ".join(f"job {int(inst.op_job[o])} op {int(inst.op_index[o])}" for o in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        problems.append(f"machine_sequences: {len(missing)} operation"
                        f"{'s' if len(missing) != 1 else ''} missing: {shown}{more}")
    return problems


def _operation(pair, inst) -> int | None:
    """The operation index of a [job, op] pair of ``inst``; None for anything else."""
    if not isinstance(pair, list) or len(pair) != 2 or not all(map(_is_int, pair)):
        return None
    job, op = pair
    if not 0 <= job < inst.n_jobs or not 0 <= op < inst.job_start[job + 1] - inst.job_start[job]:
        return None
    return int(inst.job_start[job]) + op
