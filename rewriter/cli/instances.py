"""``rewriter instances``: the bundled benchmark instances with sizes and bounds."""

from __future__ import annotations

import csv
import sys

from .. import registry
from ..errors import InputError
from .common import FORMATTER, table

EPILOG = """\
examples:
  rewriter instances
  rewriter instances --family ta
  rewriter instances --family dmu --format csv > dmu.csv
"""

KEYS = ("name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status")
SIZED_KEYS = ("name", "family", "size", "lower_bound", "upper_bound", "status")


def add_parser(sub) -> None:
    listed = [n for n in registry.names() if registry.get(n).list_instances]
    p = sub.add_parser("instances", formatter_class=FORMATTER, epilog=EPILOG,
                       help="list the bundled benchmark instances with sizes and bounds",
                       description="List the bundled instances: name, family, size, best-known "
                                   "lower and upper bound, status.")
    p.add_argument("--problem", choices=listed, default=listed[0] if listed else None,
                   help="whose instances (default: %(default)s)")
    p.add_argument("--family", metavar="NAME", help="only this family (ft, la, abz, orb, swv, yn, ta, dmu)")
    p.add_argument("--format", choices=("md", "csv"), default="md",
                   help="output format: md (aligned markdown table) or csv (default: %(default)s)")


def run(args) -> int:
    rows = registry.get(args.problem).list_instances()
    if args.family:
        families = sorted({row["family"] for row in rows})
        family = args.family.strip().lower()
        if family not in families:
            raise InputError(f"unknown family {args.family!r}; expected one of: {', '.join(families)}")
        rows = [row for row in rows if row["family"] == family]
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        # a shop's rows name jobs and machines; another problem's give its size as one column
        keys = KEYS if all(k in row for row in rows for k in KEYS) else SIZED_KEYS
        writer.writerow(keys)
        writer.writerows([row[key] for key in keys] for row in rows)
        return 0
    lines = [(row["name"], row["family"], row["size"], str(row["lower_bound"]),
              str(row["upper_bound"]), row["status"]) for row in rows]
    print(table(("name", "family", "size", "lower bound", "upper bound", "status"), lines))
    print(f"\n{len(rows)} instance{'s' if len(rows) != 1 else ''}")
    return 0
