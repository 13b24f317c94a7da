"""Method specs for comparisons: ``mwkr``, ``tabu:60``, ``cpsat:60``, ``greedy``, ``random:500``.

A spec is a method name and an optional budget after a colon: seconds for ``tabu`` and ``cpsat``,
steps for ``random``, ``greedy`` and ``rewriter`` (the shipped learned policy) (greedy stops at its local optimum anyway). Every dispatching
rule (``fifo``, ``mwkr``, ...) is a method with no budget; ``mwkr-nd`` uses non-delay generation.
Local searches start from MWKR unless the spec says otherwise with ``@rule``
(``tabu:60@spt``). :func:`run_method` runs one spec on one instance and returns a flat record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .jssp.dispatching import RULES, dispatch

from .errors import InputError
from .jssp.instance import JobShopInstance
from .jssp.validate import check_schedule

SEARCHES = {"tabu": "seconds", "random": "steps", "greedy": "steps", "rewriter": "steps"}
SOLVERS = {"cpsat": "seconds"}
DEFAULT_BUDGET = {"tabu": 60.0, "cpsat": 60.0, "random": 200, "greedy": None, "rewriter": 200}


@dataclass(frozen=True)
class Method:
    """One column of a comparison: what runs and with which budget."""

    name: str  # fifo ... random (rules), tabu, greedy, random-walk, cpsat
    budget: float | None = None
    init: str = "mwkr"
    nondelay: bool = False

    @property
    def spec(self) -> str:
        """The canonical spec string, also the column title and the results-file key."""
        if self.name in RULES:
            return self.name + ("-nd" if self.nondelay else "")
        text = self.name if self.name != "random-walk" else "random"
        if self.budget is not None:
            text += f":{self.budget:g}"
        if self.name != "cpsat" and self.init != "mwkr":
            text += f"@{self.init}"
        return text

    @property
    def kind(self) -> str:
        return "rule" if self.name in RULES else ("solver" if self.name == "cpsat" else "search")

    @property
    def budget_unit(self) -> str | None:
        if self.name == "cpsat" or self.name == "tabu":
            return "s"
        if self.name in ("greedy", "random-walk", "rewriter"):
            return "steps"
        return None


def parse_method(text: str) -> Method:
    """Parse one spec; raises :class:`InputError` naming what was expected."""
    raw = text.strip().lower()
    if not raw:
        raise InputError("empty method spec")
    body, _, init = raw.partition("@")
    name, _, budget_text = body.partition(":")
    if name.endswith("-nd") and name[:-3] in RULES and not budget_text and not init:
        return Method(name[:-3], nondelay=True)
    if name in RULES and name != "random" or (name == "random" and not budget_text and not init):
        if budget_text or init:
            raise InputError(f"method {text!r}: a dispatching rule takes no budget or @init")
        return Method(name)
    if name not in SEARCHES and name not in SOLVERS:
        known = ", ".join(list(RULES) + [r + "-nd" for r in RULES]
                          + ["tabu:S", "greedy", "random:STEPS", "rewriter:STEPS", "cpsat:S"])
        raise InputError(f"unknown method {name!r} in {text!r}; expected one of: {known}")
    budget = DEFAULT_BUDGET[name]
    if budget_text:
        try:
            budget = float(budget_text)
        except ValueError:
            raise InputError(f"method {text!r}: expected a number after ':', found {budget_text!r}") from None
        if budget <= 0:
            raise InputError(f"method {text!r}: the budget must be positive")
        if (SEARCHES.get(name) == "steps") and budget != int(budget):
            raise InputError(f"method {text!r}: the budget of {name} counts steps, expected an integer")
    if init:
        if name == "cpsat":
            raise InputError(f"method {text!r}: cpsat takes no @init")
        if init not in RULES:
            raise InputError(f"method {text!r}: unknown initial rule {init!r}; expected one of: {', '.join(RULES)}")
    return Method("random-walk" if name == "random" else name, budget, init or "mwkr")


def parse_methods(text: str) -> list[Method]:
    methods = [parse_method(part) for part in text.split(",") if part.strip()]
    if not methods:
        raise InputError("no methods given; e.g. --methods fifo,mwkr,tabu:60,cpsat:60")
    specs = [m.spec for m in methods]
    duplicates = sorted({s for s in specs if specs.count(s) > 1})
    if duplicates:
        raise InputError(f"method listed twice: {', '.join(duplicates)}")
    return methods


def run_method(instance: JobShopInstance, method: Method, seed: int = 0,
               cpsat_workers: int = 1) -> dict:
    """Run ``method`` on ``instance``; returns makespan, status, runtime and solver details.

    Every schedule is checked by the independent validator before it is reported.
    """
    t0 = time.perf_counter()
    extra: dict = {}
    if method.kind == "rule":
        built = dispatch(instance, rule=method.name, mode="nondelay" if method.nondelay else "active",
                         seed=seed)
        starts = built.starts.reshape(instance.shape)
        makespan, status = int(built.makespan), "completed"
    elif method.kind == "solver":
        from .baselines.cpsat import solve_cpsat

        res = solve_cpsat(instance, time_limit=method.budget, workers=cpsat_workers, seed=seed)
        if res.solution is None:
            raise RuntimeError(f"CP-SAT found no schedule for {instance.name} in {method.budget:g} s")
        starts = res.solution.start_matrix()
        makespan, status = int(res.makespan), res.status
        extra = {"solver_lower_bound": res.lower_bound, "solver_version": res.solver_version,
                 "workers": cpsat_workers}
    else:
        from .jssp.solve import solve

        policy = {"random-walk": "random", "rewriter": "learned"}.get(method.name, method.name)
        if method.budget_unit == "s":
            r = solve(instance, init=method.init, policy=policy, steps=None,
                      time_limit=method.budget, seed=seed)
        else:
            steps = None if method.budget is None else int(method.budget)
            r = solve(instance, init=method.init, policy=policy, steps=steps, seed=seed)
        starts = r.solution.start_matrix()
        makespan, status = r.makespan, r.status
        extra = {"steps": r.steps, "init_makespan": r.init_makespan}
    runtime = time.perf_counter() - t0
    check_schedule(instance, starts, makespan)
    ub = instance.upper_bound
    return {"makespan": makespan, "status": status, "runtime_s": round(runtime, 3),
            "gap_percent": None if not ub else round(100.0 * (makespan - ub) / ub, 2), **extra}
