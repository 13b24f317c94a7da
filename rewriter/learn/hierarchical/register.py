"""What the hierarchical policy adds to the flexible shop: the ``hierarchical`` start rule
(``--init hierarchical``) and the ``hierarchical`` comparison method.

Imported by the registry when it builds a spec, so it stays cheap: torch is imported inside the
functions it hands over.
"""

from __future__ import annotations

import time
from functools import cache

from ...core.spec import Method, ProblemSpec, StartRule

HIERARCHICAL = "hierarchical"


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the hierarchical policy's start rule and method, if it is the flexible shop's."""
    if spec.name != "fjsp":
        return spec
    return (spec.with_start_rule(StartRule(HIERARCHICAL, hierarchical_start, "the shipped "
                                           "hierarchical job -> machine policy's greedy schedule "
                                           "(docs/fjsp_hierarchical.md)"))
            .with_methods(fjsp_methods))


def hierarchical_start(instance, *, policy: str = "none", model=None, **_):
    """The hierarchical policy's greedy schedule; ``model`` names its file (None or "default":
    the shipped one) unless the learned rewriter reads ``model`` itself (``policy="learned"``)."""
    from .dispatch import hierarchical_schedule
    from .model_file import resolve_hierarchical

    net, meta = resolve_hierarchical(None if policy == "learned" else model)
    return hierarchical_schedule(instance, net, meta["jobs"])


def _hierarchical(instance, *, seed: int = 0, **_):
    from ...fjsp.solve import solve

    started = time.perf_counter()  # the policy's time is the method's
    return solve(instance, init=HIERARCHICAL, policy="none", seed=seed,
                 start=hierarchical_start(instance), started=started)


@cache  # one set of methods, so a parsed spec equals its re-parse
def fjsp_methods() -> dict[str, Method]:
    return {HIERARCHICAL: Method(HIERARCHICAL, _hierarchical, "the shipped hierarchical job -> "
                                 "machine policy (PPO, docs/fjsp_hierarchical.md), greedy")}
