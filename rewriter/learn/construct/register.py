"""What the constructive schedulers add to the problems they serve: the job shop's ``construct``
policy and start rule and its ``construct*`` comparison methods, MRT's ``construct`` method.

Imported by the registry when it builds a spec, so it stays cheap: torch and the decoders are
imported inside the functions it hands over.
"""

from __future__ import annotations

from functools import cache

from ...core.spec import Method, Option, Policy, ProblemSpec, StartRule
from ...errors import InputError
from ...seeding import check_seed

MODEL = Option("construct_model", None, "--policy construct and --init construct: a model "
               "written by `rewriter train --approach construct` (default: the shipped "
               "rewriter/models/jssp_construct.pt)", kind=str)


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the constructive scheduler's policies and methods, if it serves it."""
    if spec.name == "jssp":
        return (spec.with_policy(Policy("construct", _construct_policy, "the shipped constructive "
                                        "policy builds the schedule, greedily or the best of "
                                        "--samples K", options=(MODEL,), starts_from_init=False))
                .with_start_rule(StartRule("construct", _construct_start, "the shipped "
                                           "constructive model's greedy schedule", (MODEL,)))
                .with_methods(jssp_methods))
    if spec.name == "mrt":
        return spec.with_methods(mrt_methods)
    return spec


# ---- the job shop ------------------------------------------------------------------------------
def _construct_policy(instance, *, construct_model=None, samples: int = 1, seed=0,
                      decoding=None, searches: int = 1, steps=None, time_limit=None, **_):
    """``--policy construct``: the model builds the schedule and nothing rewrites it."""
    from .decode import construct

    if decoding is not None:
        raise InputError("decoding is an option of the learned policy, not of construct")
    if steps is not None and steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"time limit must be positive, got {time_limit}")
    seed = 0 if seed is None else check_seed(seed)
    if searches != 1:
        raise InputError("searches side by side are an option of the tabu and controlled "
                         "policies, not of construct")
    if samples < 1:
        raise InputError(f"samples must be >= 1, got {samples}")
    return construct(instance, model=construct_model, samples=samples, seed=seed)


def _construct_start(instance, *, construct_model=None, **_):
    """``--init construct``: the model's greedy schedule, which the policy then rewrites."""
    from .decode import construct

    return construct(instance, model=construct_model).solution


def _construct(instance, *, budget=None, seed: int = 0, model=None, **_):
    from .decode import construct

    return construct(instance, model=model, samples=1 if budget is None else int(budget),
                     seed=seed)


def _construct_timed(instance, *, budget: float, seed: int = 0, model=None, **_):
    from .decode import construct

    return construct(instance, model=model, time_limit=budget, seed=seed)


def _shipped_graph() -> str:
    from .model_file import SHIPPED_GRAPH, shipped_model_path

    return str(shipped_model_path(SHIPPED_GRAPH))


def _construct_graph(instance, *, budget=None, seed: int = 0, **_):
    return _construct(instance, budget=budget, seed=seed, model=_shipped_graph())


def _construct_graph_timed(instance, *, budget: float, seed: int = 0, **_):
    return _construct_timed(instance, budget=budget, seed=seed, model=_shipped_graph())


@cache  # one set of methods, so a parsed spec equals its re-parse
def jssp_methods() -> dict[str, Method]:
    return {
        "construct": Method("construct", _construct, "the shipped constructive policy "
                            "(docs/construct.md), greedy; construct:K keeps the best of K "
                            "sampled schedules", "samples", None, uses_model=True),
        "construct-time": Method("construct-time", _construct_timed, "the shipped constructive "
                                 "policy for S seconds: its greedy schedule, then the best of as "
                                 "many sampled ones as the time allows", "seconds", 10.0,
                                 uses_model=True),
        "construct-graph": Method("construct-graph", _construct_graph, "the shipped graph "
                                  "constructive policy (message passing over the partial "
                                  "disjunctive graph, docs/construct.md), greedy; "
                                  "construct-graph:K keeps the best of K sampled schedules",
                                  "samples", None),
        "construct-graph-time": Method("construct-graph-time", _construct_graph_timed,
                                       "the shipped graph constructive policy for S seconds: "
                                       "greedy, then sampled while the time allows",
                                       "seconds", 10.0),
    }


# ---- MRT ---------------------------------------------------------------------------------------
def _construct_mrt(instance, *, budget=None, seed: int = 0, model=None, **_):
    from .mrt.decode import construct_mrt

    return construct_mrt(instance, model=model, samples=1 if budget is None else int(budget),
                         seed=seed)


@cache
def mrt_methods() -> dict[str, Method]:
    return {"construct": Method("construct", _construct_mrt, "a constructive DeepRM-style policy "
                                "for the instance's D (--construct-model; "
                                "docs/construct-mrt.md), greedy; construct:K keeps the best of "
                                "K sampled schedules", "samples", None, uses_model=True)}
