"""The check a shop schedule file's ``machine_sequences`` gets against its operations: one list of
[job, op] per machine, in start order, each operation listed once on its own machine."""

from __future__ import annotations

from typing import Callable, Iterable

from ..errors import InputError

Key = tuple[int, int]  # (job, op)


def sequence_problems(sequences, n_machines: int, *, operation: Callable[[object], Key | None],
                      machine_of: Callable[[Key], int], start_of: Callable[[Key], int],
                      duration_of: Callable[[Key], int], operations: Iterable[Key],
                      bad_pair: Callable[[object], str], path: str) -> list[str]:
    """The violations ``sequences`` shows against the operations' machines and starts (an entry
    on another machine, listed twice, missing, or in an order the starts contradict); an
    InputError when it is not one list of pairs per machine. ``operation(pair)`` is the pair as a
    (job, op) key of the instance, None when it is none; ``bad_pair(pair)`` says what was expected."""
    if not isinstance(sequences, list) or len(sequences) != n_machines:
        found = (f"{len(sequences)} lists" if isinstance(sequences, list)
                 else f"a {type(sequences).__name__}")
        raise InputError(f"'machine_sequences' must hold one list per machine ({n_machines}), "
                         f"found {found}", path=path)
    problems, seen = [], set()
    for machine, seq in enumerate(sequences):
        if not isinstance(seq, list):
            raise InputError(f"machine_sequences[{machine}]: expected a list of [job, op] pairs",
                             path=path)
        previous = None
        for pos, pair in enumerate(seq):
            key = operation(pair)
            if key is None:
                raise InputError(f"machine_sequences[{machine}][{pos}]: {bad_pair(pair)}", path=path)
            job, op = key
            if key in seen:
                problems.append(f"machine_sequences: job {job} op {op} appears more than once")
            seen.add(key)
            if machine_of(key) != machine:
                problems.append(f"machine_sequences[{machine}] lists job {job} op {op}, which runs "
                                f"on machine {machine_of(key)}")
                continue
            if previous is not None:
                end = start_of(previous) + duration_of(previous)
                if start_of(key) < end:
                    problems.append(
                        f"machine {machine}: the sequence puts job {previous[0]} op {previous[1]} "
                        f"(start {start_of(previous)}, end {end}) before job {job} op {op} "
                        f"(start {start_of(key)}), which the start times contradict")
            previous = key
    missing = [key for key in operations if key not in seen]
    if missing:
        problems.append(f"machine_sequences: {len(missing)} operation"
                        f"{'s' if len(missing) != 1 else ''} missing: {operations_text(missing)}")
    return problems


def operations_text(keys: list[Key], shown: int = 5) -> str:
    """'job 0 op 3, job 2 op 1 and 4 more'."""
    text = ", ".join(f"job {j} op {k}" for j, k in keys[:shown])
    return text + (f" and {len(keys) - shown} more" if len(keys) > shown else "")
