"""Build instances/fjsp/bounds.csv from instances/fjsp/bks.json for the shipped FJSPLIB files.

Run from the repository root: ``python instances/make_fjsp_bounds.py``. The CSV is a derivative
of bks.json (CC BY-SA 4.0, see fjsp/NOTICE) and is shipped so that loading bounds needs no JSON
parse of the whole benchmark list. Columns:

    name,family,family_long,n_jobs,n_machines,lower_bound,upper_bound,status,ub_source,lb_source

``name`` is the bks.json ``instance`` name, which is also the shipped file's stem; ``n_jobs`` and
``n_machines`` come from the file's header (bks.json's ``size`` disagrees for kacem1, ``4 x 6``,
and fattahi6, ``3 x 2``, whose files use 5 and 3 machines: the file wins, and the script prints
every such disagreement); ``status``
is ``optimal`` when the bounds meet and ``open`` otherwise (bks.json's own ``closed``/``open`` must
agree); the sources are the first entry of ub_data/lb_data written as ``SOLVER (DATE)``.

``--copy-from DIR`` first (re)copies the instance files from a checkout of ScheduleOpt/benchmarks'
``flexible-jobshop/instances/fjsp`` folder (``DIR/<Family>/*.txt``, Hurink's files in
``DIR/HurinkJurischThole1994/<set>/``) with ``--bks FILE`` (default ``DIR/bks.json``, else
``DIR/../../solutions/bks.json``), renaming them by :func:`bundled_name`, byte for byte otherwise.
Either way every bks.json entry must have exactly one file and every file one entry.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "fjsp"
COLUMNS = ["name", "family", "family_long", "n_jobs", "n_machines", "lower_bound", "upper_bound",
           "status", "ub_source", "lb_source"]
HURINK = "HurinkJurischThole1994"
DPP = "DauzerePeresPaulli1994"


def bundled_name(relative: Path) -> str:
    """The shipped stem of a source file, given its path relative to the family folders.

    * Hurink, Jurisch and Thole: ``HurinkJurischThole1994/<set>/<stem>.txt`` -> ``<stem>_<set>``
      (``edata/la09.txt`` -> ``la09_edata``): the four sets share file names;
    * Dauzere-Peres and Paulli: ``DauzerePeresPaulli1994/<NN>a.txt`` -> ``dpp<NN>a``;
    * every other family: the file stem unchanged (``mk01``, ``behnke12``, ``mt10xx``, ``kacem3``).
    """
    parts = relative.parts
    if parts[0] == HURINK:
        if len(parts) != 3:
            raise SystemExit(f"{relative}: expected {HURINK}/<set>/<name>.txt")
        return f"{relative.stem}_{parts[1]}"
    if len(parts) != 2:
        raise SystemExit(f"{relative}: expected <Family>/<name>.txt")
    if parts[0] == DPP:
        return f"dpp{relative.stem}"
    return relative.stem


def natural_key(name: str):
    """Family letters, suffix, number: la01_edata .. la40_edata before la01_rdata; mk2 before mk10."""
    match = re.fullmatch(r"([a-z]+)(\d+)(.*)", name)
    return (match.group(1), match.group(3), int(match.group(2)), name) if match else (name, "", -1, name)


def header_size(path: Path) -> tuple[int, int]:
    """``jobs machines`` from the first non-blank line of an FJSPLIB file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            n, m = line.split()[:2]
            return int(n), int(m)
    raise SystemExit(f"{path}: no header line")


def source(entries) -> str:
    if not entries:
        return ""
    first = entries[0]
    solver, date = first.get("solver") or "unknown", first.get("date")
    return f"{solver} ({date})" if date else solver


def copy_files(source_dir: Path, bks_file: Path) -> None:
    """Copy every source file to HERE under its bundled name, and bks.json beside them."""
    sources = sorted(p for p in source_dir.rglob("*.txt") if p.name != "SOURCE.txt")
    names: dict[str, Path] = {}
    for path in sources:
        name = bundled_name(path.relative_to(source_dir))
        if name in names:
            raise SystemExit(f"{path} and {names[name]} would both be named {name}.txt")
        names[name] = path
    expected = {entry["instance"] for entry in json.loads(bks_file.read_text("utf-8"))}
    _check_match(set(names), expected)
    HERE.mkdir(exist_ok=True)
    for old in HERE.glob("*.txt"):
        old.unlink()
    for name, path in names.items():
        shutil.copyfile(path, HERE / f"{name}.txt")
    shutil.copyfile(bks_file, HERE / "bks.json")
    print(f"copied {len(names)} instance files and bks.json to {HERE}")


def _check_match(files: set[str], entries: set[str]) -> None:
    missing, extra = sorted(entries - files), sorted(files - entries)
    if missing or extra:
        raise SystemExit(f"bks.json entries without a file: {missing[:10]}; files without an entry: {extra[:10]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copy-from", type=Path, help="folder of the FJSPLIB family folders to copy from")
    parser.add_argument("--bks", type=Path, help="bks.json to copy (default: beside or above --copy-from)")
    args = parser.parse_args(argv)
    if args.copy_from is not None:
        bks_file = args.bks
        if bks_file is None:
            candidates = [args.copy_from / "bks.json", args.copy_from.parent.parent / "solutions" / "bks.json"]
            bks_file = next((p for p in candidates if p.is_file()), None)
            if bks_file is None:
                raise SystemExit("no bks.json found beside --copy-from; pass --bks")
        copy_files(args.copy_from, bks_file)

    entries = json.loads((HERE / "bks.json").read_text("utf-8"))
    bks = {entry["instance"]: entry for entry in entries}
    if len(bks) != len(entries):
        raise SystemExit("bks.json names an instance twice")
    paths = {path.stem: path for path in HERE.glob("*.txt")}
    _check_match(set(paths), set(bks))
    rows = []
    for name, path in sorted(paths.items()):
        entry = bks[name]
        n, m = header_size(path)
        if entry.get("size") and [int(x) for x in entry["size"].split("x")] != [n, m]:
            print(f"note: {path.name}: the header says {n} x {m}, bks.json's size {entry['size']!r} "
                  "(the file's header is used)")
        lb, ub = entry["lower_bound"], entry["upper_bound"]
        status = "optimal" if lb == ub else "open"
        if entry.get("status") not in (None, "closed" if lb == ub else "open"):
            raise SystemExit(f"{name}: bounds {lb}/{ub} but bks.json status {entry['status']!r}")
        rows.append({
            "name": name,
            "family": entry["family"],
            "family_long": entry["family_long"],
            "n_jobs": n,
            "n_machines": m,
            "lower_bound": lb,
            "upper_bound": ub,
            "status": status,
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
