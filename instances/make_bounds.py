"""Build instances/jssp/bounds.csv from instances/jssp/bks.json for the shipped instance files.

Run from anywhere: ``python instances/make_bounds.py``. The CSV is a derivative of bks.json
(CC BY-SA 4.0, see jssp/NOTICE) and is shipped so that loading bounds needs no JSON parse of the
whole benchmark list. Columns:

    name,family,n_jobs,n_machines,lower_bound,upper_bound,status,ub_source,lb_source

``name`` is the canonical name (``ta41``, not the file stem ``ta41js``); ``status`` is ``optimal``
when the bounds meet and ``open`` otherwise; the sources are the first entry of ub_data/lb_data
written as ``SOLVER (DATE)``.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "jssp"
COLUMNS = ["name", "family", "n_jobs", "n_machines", "lower_bound", "upper_bound", "status",
           "ub_source", "lb_source"]


def canonical_name(stem: str) -> str:
    """``ta41js`` -> ``ta41``; every other stem is already canonical."""
    return re.sub(r"^(ta\d+)js$", r"\1", stem.lower())


def natural_key(name: str):
    prefix, number = re.match(r"([a-z]+)(\d*)", name).groups()
    return prefix, int(number or 0), name


def header_size(path: Path) -> tuple[int, int]:
    """The ``n m`` line of a standard-format file (the first line that is not a # comment)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            n, m = line.split()[:2]
            return int(n), int(m)
    raise SystemExit(f"{path}: no 'n m' line")


def source(entries) -> str:
    if not entries:
        return ""
    first = entries[0]
    solver, date = first.get("solver") or "unknown", first.get("date")
    return f"{solver} ({date})" if date else solver


def main() -> int:
    bks = {entry["instance"]: entry for entry in json.loads((HERE / "bks.json").read_text("utf-8"))}
    rows = []
    for path in sorted(HERE.glob("*.txt")):
        entry = bks.get(path.stem)
        if entry is None:
            raise SystemExit(f"{path.name}: no entry {path.stem!r} in bks.json")
        n, m = header_size(path)
        lb, ub = entry["lower_bound"], entry["upper_bound"]
        rows.append({
            "name": canonical_name(path.stem),
            "family": entry["family"],
            "n_jobs": n,
            "n_machines": m,
            "lower_bound": lb,
            "upper_bound": ub,
            "status": "optimal" if lb == ub else "open",
            "ub_source": source(entry.get("ub_data")),
            "lb_source": source(entry.get("lb_data")),
        })
    rows.sort(key=lambda row: natural_key(row["name"]))
    with open(HERE / "bounds.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {HERE / 'bounds.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
