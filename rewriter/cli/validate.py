"""``rewriter validate``: check a schedule file with the problem's independent validator."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import registry
from ..errors import InputError
from ..textfile import read_json
from .common import FORMATTER

EPILOG = """\
SCHEDULE.json is the file written by `rewriter solve --out`. The check is independent of the
solver (job shop: job routes, machine overlaps, the reported makespan, the operations' machine
and end fields, machine sequences against the start times; online jobs: arrivals, capacities,
the reported average slowdown). The problem is inferred from INSTANCE unless --problem is given.

exit codes: 0 valid, 1 infeasible (the violations are listed), 2 unreadable or malformed input.

examples:
  rewriter solve ta01 --out ta01.json && rewriter validate ta01 ta01.json
"""

SHOWN = 50  # violations listed at most


def add_parser(sub) -> None:
    p = sub.add_parser("validate", formatter_class=FORMATTER, epilog=EPILOG,
                       help="check a schedule JSON against an instance",
                       description="Check a schedule file with the independent validator; print "
                                   "'valid: OBJECTIVE VALUE' or the violations.")
    p.add_argument("instance", metavar="INSTANCE",
                   help="bundled instance name or path of the instance file the schedule is for")
    p.add_argument("schedule", metavar="SCHEDULE.json",
                   help="schedule JSON as written by `rewriter solve --out`")
    p.add_argument("--problem", choices=registry.names(), default=None,
                   help="problem type (default: inferred from INSTANCE)")


def run(args) -> int:
    spec = registry.get(args.problem) if args.problem else registry.infer(args.instance)
    instance = spec.load_instance(args.instance)
    data = read_schedule_json(args.schedule)
    problems, value = spec.check_schedule(instance, data, args.schedule)
    args.verdict = 1 if problems else 0  # the exit code even if printing fails (cli.main)
    name = data.get("instance")
    if isinstance(name, str) and name != instance.name:
        print(f"note: the schedule names instance {name!r}; checking it against {instance.name!r}",
              file=sys.stderr)
    if problems:
        count = len(problems)
        shown = f" (the first {SHOWN} shown)" if count > SHOWN else ""
        print(f"invalid: {count} violation{'s' if count != 1 else ''}{shown}")
        for problem in problems[:SHOWN]:
            print(f"  - {problem}")
        return 1
    objective = spec.objective.replace("_", " ")
    print(f"valid: {objective} {value if float(value).is_integer() else round(value, 6)}")
    ub = getattr(instance, "upper_bound", None)
    if ub:
        print(f"gap {100.0 * (value - ub) / ub:.2f}% to UB {ub}")
    return 0


def read_schedule_json(path: str) -> dict:
    """The schedule file's JSON object; every way it can fail (no regular file, too large, not
    UTF-8, invalid JSON, nested too deep, a huge integer) is an InputError, never exit code 1."""
    data = read_json(Path(path), "a schedule JSON file written by `rewriter solve --out`")
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object with the schedule, found a "
                         f"{type(data).__name__}", path=path)
    return data
