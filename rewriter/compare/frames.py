"""A comparison as pandas DataFrames: the tidy results (one row per cell) and the tables
``rewriter compare`` prints, pivoted from them by :mod:`rewriter.compare.tables` itself.

::

    import rewriter
    frame = rewriter.read_results("compare-results.jsonl")
    frame.pipe(rewriter.pivot)                     # the per-instance table compare prints
    rewriter.pivot(frame, table="summary")         # the summary by group
"""

from __future__ import annotations

import math
import os

from ..core.frames import pandas
from . import tables
from .grid import read_results as read_records
from .grid import tabulated

TABLES = ("instances", "summary")


def read_results(path: str | os.PathLike):
    """The tidy comparison of a results file of ``rewriter compare``: one row per cell
    (instance, method, settings, seed), its last record when the cell was run several times,
    failed cells left out, as the printed tables do; one column per record field. Needs pandas
    (extra ``frames``)."""
    pd = pandas("rewriter.read_results()")
    return pd.DataFrame(tabulated(read_records(path)))


def _records(frame) -> list[dict]:
    """The frame's rows as the records they were read from: a field a row has no value for
    (NaN or None) is left out, as it was in the record, except the upper bound the tables read
    from every record."""
    records = []
    for row in frame.to_dict("records"):
        record = {k: v for k, v in row.items() if not _absent(v)}
        record.setdefault("upper_bound", None)
        records.append(record)
    return records


def _absent(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pivot(frame, table: str = "instances", quoted: bool = True):
    """The table ``rewriter compare`` prints of the tidy ``frame``: ``table="instances"``, one
    row per instance and a row of group means after each group, one column per method;
    ``"summary"``, one row per group, mean gap and mean time per method (with the quoted
    published results unless ``quoted=False``). Missing values (no schedule) are NaN."""
    pd = pandas("rewriter.pivot()")
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of: {', '.join(TABLES)}")
    records = tables.with_gaps(_records(frame))
    header, rows = (tables.per_instance_table(records) if table == "instances"
                    else tables.summary_table(records, quoted))
    return pd.DataFrame(rows, columns=header)
