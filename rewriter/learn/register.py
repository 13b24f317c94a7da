"""What the learned rewriter adds to the problems it serves: the ``learned`` policy (MRT's
default), the job shop's and crew's ``--explore-after`` option, and the ``rewriter`` comparison
methods.

Imported by the registry when it builds a spec, so it stays cheap: torch and the learned search
are imported inside the functions it hands over (their home: :mod:`rewriter.learn.solve`).
"""

from __future__ import annotations

from functools import cache, partial

from ..core.spec import Method, Option, Policy, ProblemSpec

EXPLORE_AFTER = 300  # kept equal to solve.EXPLORE_AFTER (a test checks)
EXPLORE = Option("explore_after", EXPLORE_AFTER, "--policy learned, argmax decoding: sample the "
                 "rewrites while N or more steps have passed without a new best; 0 = never")
HELP = "the shipped neural rewriter, or --model PATH"
#: the crew rewriter's step budget when none is given (the crew spec's 20,000 are tabu steps; a
#: learned step takes 3-10 ms at 50-200 orders)
CREW_STEPS = 500


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the learned rewriter, if it serves it."""
    if spec.name == "jssp":
        return (spec.with_policy(Policy("learned", _solve_jssp, HELP, options=(EXPLORE,)))
                .with_methods(jssp_methods))
    if spec.name == "fjsp":
        return spec.with_policy(Policy("learned", _solve_fjsp, HELP)).with_methods(fjsp_methods)
    if spec.name == "mrt":
        # NeuRewriter's method for MRT, and ahead of every baseline here (docs/benchmarks.md)
        return (spec.with_policy(Policy("learned", _solve_mrt, HELP), default=True)
                .with_methods(mrt_methods))
    if spec.name == "crew":
        # behind the tabu search (docs/crew.md), so not the default
        return (spec.with_policy(Policy("learned", _solve_crew, HELP, default_steps=CREW_STEPS,
                                        options=(EXPLORE,)))
                .with_methods(crew_methods))
    return spec


def _solve_jssp(instance, **options):
    from .solve import solve_jssp

    return solve_jssp(instance, **options)


def _solve_fjsp(instance, **options):
    from .solve import solve_fjsp

    return solve_fjsp(instance, **options)


def _solve_mrt(instance, **options):
    from .solve import solve_mrt

    return solve_mrt(instance, **options)


def _solve_crew(instance, **options):
    from .solve import solve_crew

    return solve_crew(instance, **options)


# ---- comparison methods ------------------------------------------------------------------------
def _budgeted(solve, default_init: str, instance, *, unit: str, budget=None,
              init: str | None = None, seed: int = 0, start=None, started=None, **_):
    """A ``rewriter`` (``unit="steps"``: ``budget`` rewrites) or ``rewriter-time`` (``"seconds"``)
    comparison run of the learned ``solve``, from ``init`` (default ``default_init``) or ``start``."""
    begin = dict(init=init or default_init, seed=seed, start=start, started=started)
    if unit == "seconds":
        return solve(instance, steps=None, time_limit=budget, **begin)
    return solve(instance, steps=None if budget is None else int(budget), **begin)


@cache  # one set of methods, so a parsed spec equals its re-parse
def jssp_methods() -> dict[str, Method]:
    steps, seconds = (partial(_budgeted, _solve_jssp, "mwkr", unit=u) for u in ("steps", "seconds"))
    return {"rewriter": Method("rewriter", steps, "the shipped learned policy, STEPS rewrites",
                               "steps", 200, takes_init=True),
            "rewriter-time": Method("rewriter-time", seconds,
                                    "the shipped learned policy, rewriting for S seconds",
                                    "seconds", 10.0, takes_init=True)}


def _fjsp_rewriter(instance, *, budget: float = 200, init: str | None = None, seed: int = 0,
                   start=None, started=None, **_):
    return _solve_fjsp(instance, init=init or "mwkr-eet", steps=int(budget), seed=seed,
                       start=start, started=started)


@cache
def fjsp_methods() -> dict[str, Method]:
    return {"rewriter": Method("rewriter", _fjsp_rewriter, "the shipped learned policy, STEPS "
                               "rewrites (from mwkr-eet, or @RULE)", "steps", 200,
                               takes_init=True)}


def _mrt_rewriter(instance, *, budget=None, init: str = "ejf", seed: int = 0, **_):
    return _solve_mrt(instance, init=init, seed=seed, steps=None if budget is None else int(budget))


@cache
def mrt_methods() -> dict[str, Method]:
    return {"rewriter": Method("rewriter", _mrt_rewriter, "the shipped learned policy, STEPS "
                               "rewrites", "steps", 50, takes_init=True)}


@cache
def crew_methods() -> dict[str, Method]:
    steps, seconds = (partial(_budgeted, _solve_crew, "insertion", unit=u)
                      for u in ("steps", "seconds"))
    return {"rewriter": Method("rewriter", steps, "the shipped learned policy, STEPS relocations "
                               "(from insertion, or @RULE)", "steps", CREW_STEPS, takes_init=True),
            "rewriter-time": Method("rewriter-time", seconds, "the shipped learned policy, "
                                    "rewriting for S seconds (from insertion, or @RULE)",
                                    "seconds", 10.0, takes_init=True)}
