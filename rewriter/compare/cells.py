"""A cell of ``rewriter compare``: one (instance, method, seed), how it runs, and the record
it leaves. Every executor (the local process pool of :mod:`rewriter.compare.grid`, the Dask cluster of
:mod:`rewriter.compare.dask_cluster`) runs cells through :func:`run_cell`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace

from .. import registry
from ..errors import NoSchedule, NotApplicable
from .methods import Choice
from ..version import __version__


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
#: status of a record whose solver found no schedule within its budget (a result, not a failure)
NO_SCHEDULE = "no_schedule"
#: the method cannot take the instance (errors.NotApplicable): recorded, not a failure
REFUSED = "refused"


def failed_record(cell: Cell, error: str, attempts: int) -> dict:
    """The record of a cell that failed ``attempts`` times; ``error`` is the last failure."""
    return {"instance": cell.instance, "problem": cell.problem, "method": cell.method.spec,
            "params": cell.params, "seed": cell.seed, "version": __version__,
            "status": FAILED, "error": error, "attempts": attempts}


def run_cell(cell: Cell) -> dict:
    """Run one cell in this process; its record (everything the tables need)."""
    spec = registry.get(cell.problem) if cell.problem else registry.default()
    warm_up(cell, spec)
    inst = spec.load_instance(cell.instance)
    t0 = time.perf_counter()
    try:
        result = cell.method.run(inst, seed=cell.seed, threads=cell.cpsat_workers, model=cell.model)
    except NoSchedule as exc:
        return _no_schedule_record(cell, spec, inst, NO_SCHEDULE, exc.reason,
                                   time.perf_counter() - t0)
    except NotApplicable as exc:
        return _no_schedule_record(cell, spec, inst, REFUSED, str(exc), time.perf_counter() - t0)
    runtime = time.perf_counter() - t0
    extra = {}
    if cell.method.kind == "search":
        extra = {"steps": result.steps, f"init_{result.objective}": result.init_cost}
    elif cell.method.kind == "solver":
        extra = {"solver_lower_bound": result.info.get("lower_bound"),
                 "solver_version": result.info.get("solver_version"), "workers": cell.cpsat_workers}
    return {**_identity(cell, spec, inst), **result.sizes, "objective": result.objective,
            "upper_bound": result.upper_bound, "lower_bound": result.lower_bound,
            **result.values, "status": result.status, "runtime_s": round(runtime, 3),
            "gap_percent": result.gap_percent, **extra}


def _identity(cell: Cell, spec, inst) -> dict:
    """What every record of ``cell`` says of itself: its key and the instance's group."""
    return {"instance": cell.instance, "problem": spec.name, "method": cell.method.spec,
            "params": cell.params, "seed": cell.seed, "version": __version__,
            "family": (getattr(inst, "metadata", {}) or {}).get("family")
            or "".join(c for c in inst.name if c.isalpha()),
            "group": spec.group(inst)}


_WARM: set[tuple] = set()  # (problem, method, model) already run once in this process


def warm_up(cell: Cell, spec) -> None:
    """The first time this process meets the cell's method, run it once, unrecorded, on the
    problem's small warm-up instance with a small budget.

    A cell's time then counts the method's work only, as in a program that has been running:
    imports, numba's cached kernels and model files are loaded before the clock starts, and a
    1-second budget is not half spent on them in whichever cell a worker process runs first."""
    key = (spec.name, cell.method.name, cell.model)
    if key in _WARM or not spec.warm_up_instance:
        return
    _WARM.add(key)
    choice, unit = cell.method, cell.method.method.budget
    if unit == "seconds":
        choice = replace(choice, budget=min(choice.budget, 0.2))
    elif unit in ("steps", "samples") and choice.budget is not None:
        choice = replace(choice, budget=min(choice.budget, 4))
    try:
        result = choice.run(spec.load_instance(spec.warm_up_instance), seed=0,
                            threads=cell.cpsat_workers, model=cell.model)
    except Exception:  # noqa: BLE001 - best effort: the cell itself reports what is wrong
        return
    if getattr(result, "status", None) == "interrupted":
        raise KeyboardInterrupt  # the search kept its Ctrl-C as a status; the compare must stop


def _no_schedule_record(cell: Cell, spec, inst, status: str, reason: str,
                        runtime: float) -> dict:
    """The record of a cell without a schedule (its solver found none: ``no_schedule``; its
    method cannot take the instance: ``refused``): no cost, no gap, the reason."""
    return {**_identity(cell, spec, inst), **_sizes(inst), "objective": spec.objective,
            spec.objective: None,
            "upper_bound": getattr(inst, "upper_bound", None),
            "lower_bound": getattr(inst, "lower_bound", None), "status": status,
            "error": reason, "runtime_s": round(runtime, 3), "gap_percent": None}


def _sizes(inst) -> dict:
    """The instance's dimensions under the names its results use (``n_jobs``, ``n_machines``,
    ``resources``; ``n_operations`` too for a job shop whose routes differ in length, which
    n_jobs x n_machines does not give)."""
    sizes = {k: getattr(inst, k) for k in ("n_jobs", "n_machines", "resources") if hasattr(inst, k)}
    if getattr(inst, "is_rectangular", True) is False:
        sizes["n_operations"] = inst.n_operations
    return sizes
