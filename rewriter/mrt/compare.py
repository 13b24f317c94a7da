"""Baseline table for MRT: mean average slowdown per D and method, beside the paper's figures.

A *method* is a callable ``instance -> starts`` (start time per job, instance order);
:data:`METHODS` maps names to them and can be extended (``METHODS["rewriter"] = ...``). Every
schedule is checked by the independent validator before it is counted. The paper's figures
(:func:`published_mrt`, from ``rewriter/data/published_mrt.json``) are added as separate columns
marked "(quoted)". Render the returned ``(header, rows)`` with :func:`rewriter.tables.to_markdown`
or :func:`rewriter.tables.to_csv`.
"""

from __future__ import annotations

import json
import statistics
import time
from functools import partial
from importlib.resources import files

from ..errors import InputError
from ..tables import Table
from .generate import dataset_instance, split_size
from .validate import check_mrt_schedule

__all__ = ["METHODS", "cpsat_method", "published_mrt", "baseline_table", "evaluate"]


def _heuristic(name: str):
    def run(instance):
        from .heuristics import heuristic

        return heuristic(name, instance)

    run.__name__ = name
    return run


def cpsat_method(instance, time_limit: float = 10.0, workers: int = 2, seed: int = 0, hint: str | None = None):
    """CP-SAT offline (``hint``: a heuristic name whose schedule is passed as hint)."""
    from ..baselines.mrt_cpsat import solve_mrt_cpsat
    from .heuristics import heuristic

    starts = None if hint is None else heuristic(hint, instance)
    result = solve_mrt_cpsat(instance, time_limit=time_limit, workers=workers, seed=seed, hint=starts)
    if result.starts is None:
        raise RuntimeError(f"{instance.name}: CP-SAT found no schedule in {time_limit} s ({result.status})")
    return result.starts


#: name -> callable(instance) -> starts
METHODS = {name: _heuristic(name) for name in ("ejf", "sjf", "sjfs", "sjf-offline", "random")}
METHODS["cpsat"] = cpsat_method


def published_mrt() -> dict:
    """The quoted figures: ``{"citation", "resources": [2, 5, 10, 20], "results": {method: [...]}}``."""
    return json.loads((files("rewriter") / "data" / "published_mrt.json").read_text(encoding="utf-8"))


def evaluate(method, resources: int, split: str = "test", count: int = 100) -> tuple[float, float]:
    """(mean average slowdown, mean seconds per instance) of ``method`` on the first ``count``
    sequences of ``split``; every schedule is validated."""
    if not 1 <= count <= split_size(split):
        raise InputError(f"count must be in 1..{split_size(split)}, got {count}")
    values, seconds = [], []
    for index in range(count):
        instance = dataset_instance(resources, split, index)
        t0 = time.perf_counter()
        starts = method(instance)
        seconds.append(time.perf_counter() - t0)
        values.append(check_mrt_schedule(instance, starts))
    return statistics.mean(values), statistics.mean(seconds)


def baseline_table(D_values=(2, 5, 10, 20), split: str = "test", count: int = 100,
                   methods=("ejf", "sjf", "sjfs", "sjf-offline", "random"), cpsat_time_limit: float = 10.0,
                   cpsat_count: int | None = None, cpsat_workers: int = 2, quoted: bool = True,
                   times: bool = False) -> Table:
    """Rows ``[D, instances, <method>..., <quoted method>...]`` of mean average slowdown.

    ``methods``: names of :data:`METHODS` or ``(label, callable)`` pairs. ``cpsat`` runs with
    ``cpsat_time_limit`` seconds on the first ``cpsat_count`` (default ``count``) instances;
    its column label says how many. ``times`` adds a mean-seconds column per method.
    """
    resolved = []
    for m in methods:
        if isinstance(m, tuple):
            resolved.append((m[0], m[1], count))
        elif m == "cpsat":
            n = count if cpsat_count is None else cpsat_count
            label = f"cpsat {cpsat_time_limit:g}s" + ("" if n == count else f" (first {n})")
            resolved.append((label, partial(cpsat_method, time_limit=cpsat_time_limit, workers=cpsat_workers), n))
        elif m in METHODS:
            resolved.append((m, METHODS[m], count))
        else:
            raise InputError(f"unknown MRT method {m!r}; expected one of {', '.join(METHODS)}")
    published = published_mrt() if quoted else {"resources": [], "results": {}}
    header = ["D", "instances"]
    for label, _, _ in resolved:
        header += [label] + ([f"{label} time s"] if times else [])
    header += [f"{name} (quoted)" for name in published["results"]]
    rows = []
    for d in D_values:
        row = [d, count]
        for _, method, n in resolved:
            mean, secs = evaluate(method, d, split, n)
            row += [round(mean, 2)] + ([round(secs, 3)] if times else [])
        for values in published["results"].values():
            row.append(values[published["resources"].index(d)] if d in published["resources"] else None)
        rows.append(row)
    return header, rows
