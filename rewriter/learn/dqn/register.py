"""What the DQN dispatcher adds to the flexible shop: the ``dqn`` start rule (``--init dqn``,
single-operation instances only) and the ``dqn`` comparison method.

Imported by the registry when it builds a spec, so it stays cheap: torch is imported inside the
functions it hands over.
"""

from __future__ import annotations

import time
from functools import cache

from ...core.spec import Method, ProblemSpec, StartRule

DQN = "dqn"


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the DQN dispatcher's start rule and method, if it is the flexible shop's."""
    if spec.name != "fjsp":
        return spec
    return (spec.with_start_rule(StartRule(DQN, dqn_start, "the DQN dispatcher shipped for the "
                                           "nearest size (single-operation jobs: compat_*)"))
            .with_methods(fjsp_methods))


def dqn_start(instance, *, policy: str = "none", model=None, objective: str = "makespan", **_):
    """The DQN dispatcher's schedule; ``model`` names its file (None or "default": the shipped
    one for the ``objective`` trained nearest the instance's size) unless the learned rewriter
    reads ``model`` itself (``policy="learned"``)."""
    from .dispatch import dqn_schedule
    from .model import resolve_dqn

    net, _ = resolve_dqn(None if policy == "learned" else model,
                         (instance.n_jobs, instance.n_machines), objective)
    return dqn_schedule(instance, net)


def _dqn(instance, *, seed: int = 0, objective: str = "makespan", **_):
    from ...fjsp.solve import solve

    started = time.perf_counter()  # the dispatcher's time is the method's
    return solve(instance, init=DQN, policy="none", seed=seed, objective=objective,
                 start=dqn_start(instance, objective=objective), started=started)


@cache  # one set of methods, so a parsed spec equals its re-parse
def fjsp_methods() -> dict[str, Method]:
    return {DQN: Method(DQN, _dqn, "the shipped DQN dispatcher (single-operation jobs: compat_*)")}
