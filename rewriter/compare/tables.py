"""Comparison tables from result records, in markdown, CSV or LaTeX.

Two tables, as in the papers:
1. per instance: one row per instance, one column per method (makespan), the best-known upper
   bound, and after each group (family and size) a row with the group's mean gap per method;
2. summary: one row per group, mean gap % and mean time per method, plus quoted published
   results for the group where ``data/published.json`` has them (marked "quoted").
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

Table = tuple[list[str], list[list]]


def _column(record: dict) -> str:
    from .grid import column_label

    return column_label(record)


def _group(record: dict) -> str:
    # records written before groups were stored are job-shop records
    return record.get("group") or f"{record['family']} {record['n_jobs']}x{record['n_machines']}"


def _objective(record: dict) -> str:
    return record.get("objective", "makespan")


def _size(record: dict) -> str:
    dims = [str(record[k]) for k in ("n_jobs", "n_machines", "resources") if k in record]
    ops = f", {record['n_operations']} ops" if "n_operations" in record else ""  # ragged routes
    return "x".join(dims) + ops


def _missing(record: dict) -> bool:
    """The record of a solver that found no schedule within its budget (no cost, no gap)."""
    return record.get(_objective(record)) is None


def _mean(values):
    values = [v for v in values if v is not None]
    return round(statistics.mean(values), 2) if values else None


def _ordered(values):
    seen = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


def _measure(records: list[dict]) -> str:
    """What the group rows average: the gap where the instances have bounds, else the objective."""
    if not records or any(r.get("gap_percent") is not None for r in records):
        return "mean gap %"
    return "mean " + _objective(records[0]).replace("_", " ")


def _name(instance: str) -> str:
    """An instance's name in a table: a path shows as its file's stem."""
    return Path(instance).stem if ("/" in instance or "\\" in instance) else instance


def published_results(records: list[dict] | None = None) -> list[dict]:
    """Quoted reference results of the records' problems: method, group, value, citation (never
    produced by this package)."""
    from .. import registry

    problems = _ordered(r.get("problem", registry.default().name) for r in records or [{}])
    quoted = []
    for name in problems:
        spec = registry.get(name)
        quoted += spec.quoted() if spec.quoted else []
    return quoted


def with_gaps(records: list[dict]) -> list[dict]:
    """The records, where an instance of a problem with bounds has no known upper bound, with
    the gap to the best result in its row instead (marked ``gap_to_best``)."""
    from .. import registry

    best: dict[str, float] = {}
    for r in records:
        if not _missing(r):
            best[r["instance"]] = min(best.get(r["instance"], float("inf")), r[_objective(r)])
    out = []
    for r in records:
        problem = r.get("problem")
        bounded = registry.get(problem).has_bounds if problem else True
        if (r.get("gap_percent") is None and bounded and not _missing(r)
                and best[r["instance"]] > 0):
            ref = best[r["instance"]]
            r = {**r, "gap_percent": round(100.0 * (r[_objective(r)] - ref) / ref, 2),
                 "gap_to_best": True}
        out.append(r)
    return out


def footnote(records: list[dict]) -> str:
    """Which instances' gaps are to the best result in the row, and which cells have no schedule
    (none: empty)."""
    names = _ordered(_name(r["instance"]) for r in records if r.get("gap_to_best"))
    text = ""
    if names:
        text = (f"No known upper bound for {', '.join(names)}: their gaps are to the best result "
                "in the row.\n")
    for status, what in (("refused", "Refused (the method cannot take the instance; its record "
                                     "says why)"), (None, "No schedule within the budget")):
        missing = _ordered(f"{_column(r)} on {_name(r['instance'])}" for r in records
                           if _missing(r) and (r.get("status") == "refused") == (status is not None))
        if missing:
            text += (f"{what}: {', '.join(missing)}; shown as -, and so are the group means they "
                     "belong to.\n")
    return text


def _group_mean(cells: list[dict], key):
    """The mean of ``key`` over ``cells``; None when a cell has no schedule, since a mean over
    the others would flatter the method."""
    if any(_missing(c) for c in cells):
        return None
    return _mean(key(c) for c in cells)


def per_instance_table(records: list[dict]) -> Table:
    methods = _ordered(_column(r) for r in records)
    instances = _ordered(r["instance"] for r in records)
    by_cell: dict[tuple, list[dict]] = {}
    info = {}
    for r in records:
        by_cell.setdefault((r["instance"], _column(r)), []).append(r)
        info[r["instance"]] = r
    header = ["instance", "size", "UB"] + methods
    rows = []
    groups = _ordered(_group(info[i]) for i in instances)
    for group in groups:
        members = [i for i in instances if _group(info[i]) == group]
        for inst in members:
            row = [_name(inst), _size(info[inst]), info[inst]["upper_bound"]]
            for m in methods:
                cell = by_cell.get((inst, m))
                row.append(None if not cell or any(_missing(c) for c in cell) else
                           round(statistics.mean(c[_objective(c)] for c in cell), 4)
                           if len(cell) > 1 else cell[0][_objective(cell[0])])
            rows.append(row)
        measure = _measure(records)
        gap_row = [f"{measure} ({group})", "", ""]
        for m in methods:
            cells = [c for i in members for c in by_cell.get((i, m), [])]
            gap_row.append(_group_mean(cells, (lambda c: c["gap_percent"]) if measure == "mean gap %"
                                       else (lambda c: c[_objective(c)])))
        rows.append(gap_row)
    return header, rows


def summary_table(records: list[dict], quoted: bool = True) -> Table:
    methods = _ordered(_column(r) for r in records)
    groups = _ordered(_group(r) for r in records)
    refs = published_results(records) if quoted else []
    ref_methods = _ordered(p["method"] for p in refs if p["group"] in groups)
    measure = _measure(records)
    header = ["group", "instances"]
    for m in methods:
        header += [f"{m} {measure.removeprefix('mean ')}", f"{m} time s"]
    header += [f"{m} {measure.removeprefix('mean ')} (quoted)" for m in ref_methods]
    rows = []
    for g in groups:
        members = [r for r in records if _group(r) == g]
        row = [g, len(_ordered(r["instance"] for r in members))]
        for m in methods:
            cells = [r for r in members if _column(r) == m]
            gaps = [r.get("gap_percent") for r in cells]
            value = _group_mean(cells, (lambda r: r.get("gap_percent"))
                                if any(v is not None for v in gaps) else (lambda r: r[_objective(r)]))
            row += [value, _mean(r["runtime_s"] for r in cells)]
        for m in ref_methods:
            row.append(next((p["value"] for p in refs if p["group"] == g and p["method"] == m), None))
        rows.append(row)
    return header, rows


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def to_markdown(table: Table) -> str:
    header, rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_text(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    header, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue()


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
        "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _tex_escape(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)


def to_latex(table: Table, caption: str = "") -> str:
    header, rows = table
    lines = [r"\begin{table}[ht]", r"\centering", r"\small",
             r"\begin{tabular}{l" + "r" * (len(header) - 1) + "}", r"\toprule",
             " & ".join(_tex_escape(h) for h in header) + r" \\", r"\midrule"]
    for row in rows:
        lines.append(" & ".join(_tex_escape(_text(v)) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(r"\caption{" + _tex_escape(caption) + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def render(records: list[dict], fmt: str, quoted: bool = True) -> str:
    """Both tables in one document of format ``md``, ``csv`` or ``tex``."""
    records = with_gaps(records)
    note = footnote(records)
    per_instance = per_instance_table(records)
    summary = summary_table(records, quoted)
    title = _objective(records[0]).replace("_", " ").capitalize() if records else "Cost"
    if fmt == "md":
        return (f"### {title} per instance\n\n" + to_markdown(per_instance)
                + f"\n### {_measure(records).capitalize()} and mean time, by group\n\n"
                + to_markdown(summary) + (f"\n{note}" if note else ""))
    if fmt == "csv":
        return to_csv(per_instance) + "\n" + to_csv(summary)
    if fmt == "tex":
        return (to_latex(per_instance, f"{title} per instance")
                + "\n" + to_latex(summary, f"{_measure(records).capitalize()} and mean time (s)"
                                   + (f". {note.strip()}" if note else "")))
    raise ValueError(f"unknown table format {fmt!r}; expected md, csv or tex")
