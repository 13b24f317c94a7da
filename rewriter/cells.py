"""A cell of ``rewriter compare``: one (instance, method, seed), how it runs, and the record
it leaves. Every executor (the local process pool of :mod:`rewriter.compare`, the Dask cluster of
:mod:`rewriter.compare_dask`) runs cells through :func:`run_cell`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from . import registry
from .methods import Choice
from .version import __version__


@dataclass(frozen=True)
class Cell:
    """One (instance, method, seed) of a comparison, with the solver's thread count."""

    instance: str
    method: Choice
    seed: int
    cpsat_workers: int = 1
    problem: str = ""
    model: str = ""               # a learned method's model file ("": its shipped one)

    @property
    def params(self) -> dict:
        """Settings outside the spec that change a result: a solver's thread count, a learned
        method's model file."""
        if self.method.method.uses_model and self.model:
            return {"model": self.model}
        return {"cpsat_workers": self.cpsat_workers} if self.method.kind == "solver" else {}

    @property
    def threads(self) -> int:
        """Cores the cell keeps busy: the solver's thread count, 1 for everything else."""
        return self.cpsat_workers if self.method.kind == "solver" else 1

    @property
    def key(self) -> tuple:
        """The cell's identity in the results file (see :func:`record_key`)."""
        return (self.instance, self.method.spec, json.dumps(self.params, sort_keys=True),
                self.seed, __version__)


#: status of a record whose cell failed on every attempt (distributed executors only)
FAILED = "failed"


def failed_record(cell: Cell, error: str, attempts: int) -> dict:
    """The record of a cell that failed ``attempts`` times; ``error`` is the last failure."""
    return {"instance": cell.instance, "problem": cell.problem, "method": cell.method.spec,
            "params": cell.params, "seed": cell.seed, "version": __version__,
            "status": FAILED, "error": error, "attempts": attempts}


def run_cell(cell: Cell) -> dict:
    """Run one cell in this process; its record (everything the tables need)."""
    spec = registry.get(cell.problem) if cell.problem else registry.default()
    inst = spec.load_instance(cell.instance)
    t0 = time.perf_counter()
    result = cell.method.run(inst, seed=cell.seed, threads=cell.cpsat_workers, model=cell.model)
    runtime = time.perf_counter() - t0
    extra = {}
    if cell.method.kind == "search":
        extra = {"steps": result.steps, f"init_{result.objective}": result.init_cost}
    elif cell.method.kind == "solver":
        extra = {"solver_lower_bound": result.info.get("lower_bound"),
                 "solver_version": result.info.get("solver_version"), "workers": cell.cpsat_workers}
    return {"instance": cell.instance, "problem": spec.name, "method": cell.method.spec,
            "params": cell.params, "seed": cell.seed, "version": __version__, **result.sizes,
            "family": (getattr(inst, "metadata", {}) or {}).get("family")
            or "".join(c for c in inst.name if c.isalpha()),
            "group": spec.group(inst), "objective": result.objective,
            "upper_bound": result.upper_bound, "lower_bound": result.lower_bound,
            **result.values, "status": result.status, "runtime_s": round(runtime, 3),
            "gap_percent": result.gap_percent, **extra}
