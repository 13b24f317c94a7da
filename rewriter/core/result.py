"""What every solve returns, for every problem and every method: one :class:`Result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..version import __version__
from .frames import pandas


@dataclass
class Result:
    """The best solution found, how it was found, and how long it took.

    ``values`` holds the solution's objective values by name, the problem's objective first
    (``{"makespan": 57}``, ``{"average_slowdown": 3.1}``); they also read as attributes
    (``result.makespan``), and ``init_<objective>`` reads the initial solution's objective.
    ``schedule`` is the problem's part of the schedule JSON (operations, machine sequences...),
    ``sizes`` the instance's dimensions as the JSON names them.
    """

    problem: str
    instance: Any
    solution: Any
    objective: str
    values: dict
    method: str
    init: str
    init_cost: float
    steps: int
    seed: int | None
    runtime_s: float
    status: str  # completed | local_optimum | optimal | stuck | time_limit | interrupted
    trace: list[tuple[int, float, float]] = field(default_factory=list)  # (step, seconds, best)
    restarts: int = 0
    info: dict = field(default_factory=dict)  # method-specific facts (solver bound, model, ...)
    sizes: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)
    #: the instance's best-known bounds are bounds of this objective (not so for a tardiness
    #: objective on an instance whose bounds are makespans)
    bounded: bool = True
    #: seconds spent compiling (or loading) the method's numba kernels before the search's clock
    #: started (:mod:`rewriter.warmup`); not part of ``runtime_s``
    compile_s: float = 0.0

    def __getattr__(self, name: str):
        # only reached for names that are not fields: the objective values by name
        if name.startswith("__") or name in ("values", "objective", "init_cost", "bounded"):
            raise AttributeError(name)
        if name in self.values:
            return self.values[name]
        if name == f"init_{self.objective}":
            return self.init_cost
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def cost(self):
        """The objective value (lower is better)."""
        return self.values[self.objective]

    @property
    def upper_bound(self):
        return getattr(self.instance, "upper_bound", None) if self.bounded else None

    @property
    def lower_bound(self):
        return getattr(self.instance, "lower_bound", None) if self.bounded else None

    @property
    def gap_percent(self) -> float | None:
        """(cost - best-known upper bound) / upper bound x 100, when the bound is known."""
        ub = self.upper_bound
        if not ub:
            return None
        return round(100.0 * (self.cost - ub) / ub, 2)

    def plot(self, ax=None, path=None, title: str | None = None):
        """The schedule's Gantt chart on ``ax`` (a new figure, shown inline in Jupyter, without
        one), saved to ``path`` when given (a file name or a file object); returns the Axes.
        An InputError for a problem whose schedules have no Gantt chart (MRT)."""
        draw = getattr(self.solution, "plot_gantt", None)
        if draw is None:
            raise InputError(f"a {self.problem} schedule has no Gantt chart")
        return draw(ax=ax, path=path, title=title, note=f"{self.method} from {self.init}")

    def plot_trace(self, ax=None, path=None, title: str | None = None):
        """The convergence plot (best cost against the step) on ``ax`` (a new figure without
        one), saved to ``path`` when given; returns the Axes (:func:`rewriter.core.charts.plot_trace`)."""
        from .charts import plot_trace

        return plot_trace(self, path, title, ax=ax)

    def to_dict(self) -> dict:
        """The schedule JSON: the header every problem shares, then the problem's schedule."""
        return {
            "instance": self.instance.name, "problem": self.problem, **self.sizes, **self.values,
            "upper_bound": self.upper_bound, "lower_bound": self.lower_bound,
            "gap_percent": self.gap_percent, "method": self.method, "init": self.init,
            "steps": self.steps, "seed": self.seed, "runtime_s": round(self.runtime_s, 4),
            "compile_s": round(self.compile_s, 4), "status": self.status, f"init_{self.objective}": self.init_cost,
            "version": __version__, **({"info": self.info} if self.info else {}),
            **self.schedule,
        }

    def to_dataframe(self):
        """The schedule as a pandas DataFrame: one row per operation (job, op, machine, start,
        end) or, for a problem whose schedule places whole jobs (MRT), one row per job (job,
        start, end); then the per-job columns the instance has (:meth:`job_columns` of the
        instance: due date and lateness, arrival and slowdown, ...). Needs pandas (extra
        ``frames``)."""
        pd = pandas("Result.to_dataframe()")
        rows = self.schedule.get("operations", self.schedule.get("jobs", []))
        frame = pd.DataFrame(rows)
        job_columns = getattr(self.instance, "job_columns", None)
        if job_columns is None or frame.empty:
            return frame
        job_end = frame.groupby("job")["end"].max().reindex(range(self.instance.n_jobs))
        extra = pd.DataFrame(job_columns(job_end.to_numpy()))
        return frame.join(extra, on="job") if len(extra.columns) else frame

    def trace_frame(self):
        """The search's trace as a pandas DataFrame: step, time_s (seconds since the search
        started) and best (the best objective so far). Needs pandas (extra ``frames``)."""
        pd = pandas("Result.trace_frame()")
        return pd.DataFrame(self.trace, columns=["step", "time_s", "best"])
