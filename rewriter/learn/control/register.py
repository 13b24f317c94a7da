"""What the learned controller adds to the job shop: the ``controlled`` policy (tabu search
steered by a controller, the job shop's default), its ``--controller`` option and the
``controlled`` comparison method.

Imported by the registry when it builds a spec, so it stays cheap: torch and the numba search are
imported inside the functions it hands over.
"""

from __future__ import annotations

from functools import cache

from ...core.spec import Method, Option, Policy, ProblemSpec

CONTROLLERS = ("hand", "random", "learned")  # kept equal to controllers.CONTROLLERS (a test checks)

CONTROLLER = Option("controller", None, "--policy controlled: who decides between slices of tabu "
                    "moves: learned (the shipped controller, or --model PATH of a trained one; "
                    "docs/control.md; the default), hand (restart from the best after 10000 "
                    "quiet moves, as tabu) or random", choices=CONTROLLERS, kind=str)

#: its budget counts tabu moves, so a run is repeatable: 500,000 moves take about 7 s on ta41
CONTROLLED_STEPS = 500_000


def register(spec: ProblemSpec) -> ProblemSpec:
    """``spec`` with the controlled search, if it is the job shop's."""
    if spec.name != "jssp":
        return spec
    controlled = Policy("controlled", _solve_controlled, "tabu search steered by --controller",
                        default_steps=CONTROLLED_STEPS, options=(CONTROLLER,))
    # tabu steered by the shipped learned controller is the best job-shop method per second
    # measured here (docs/control.md, docs/repair-vs-construct.md): the job shop's default
    return spec.with_policy(controlled, default=True).with_methods(jssp_methods)


def _solve_controlled(instance, **options):
    from .controllers import solve_controlled

    return solve_controlled(instance, **options)


def _controlled(instance, *, budget: float, init: str = "mwkr", seed: int = 0, start=None,
                started=None, **_):
    from .controllers import solve_controlled

    return solve_controlled(instance, init=init, steps=None, time_limit=budget, seed=seed,
                            controller="learned", start=start, started=started)


@cache  # one set of methods, so a parsed spec equals its re-parse
def jssp_methods() -> dict[str, Method]:
    return {"controlled": Method("controlled", _controlled, "tabu search steered by the shipped "
                                 "learned controller (docs/control.md) for S seconds", "seconds",
                                 10.0, takes_init=True)}
