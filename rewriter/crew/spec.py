"""The orders-and-operators problem's record in the registry (``--problem crew``).

Instances are JSON or CSV files (recognised without ``--problem``), generated names
(``crew_u200x30_s0``: 200 uniform orders, 30 operators, seed 0; ``crew_c...``: clustered) and
bundled examples (``crew_example_8x3``); ``rewriter compare`` also takes seed ranges
(``crew_u200x30_s0-4``). Heavy modules (numba kernels, OR-Tools) are imported inside the
functions handed over.
"""

from __future__ import annotations

import re
from functools import cache, partial

from ..core.spec import Method, Option, ProblemSpec, check_instance_count
from ..errors import InputError, NoSchedule
from .presets import TRAIN_PRESETS

INIT_RULES = ("nearest", "insertion", "sweep")  # = dispatching.RULES (a test checks)
POLICIES = ("tabu", "greedy", "none")           # = solve.POLICIES
_SEEDS = re.compile(r"(crew_[uc][1-9][0-9]*x[1-9][0-9]*_s)(0|[1-9][0-9]*)-(0|[1-9][0-9]*)")


def load_instance(text: str):
    from .bundled import load_instance as load

    return load(text)


def recognizes(text: str) -> bool:
    from .bundled import recognizes as known

    return known(text)


def claims_file(text: str) -> bool:
    from .io import looks_like_crew

    return looks_like_crew(text)


def expand_instances(text: str) -> list[str]:
    """Names, paths and seed ranges (``crew_u200x30_s0-4``), comma separated."""
    names: list[str] = []
    for item in filter(None, (t.strip() for t in str(text).split(","))):
        match = _SEEDS.fullmatch(item)
        if match:
            first, last = int(match.group(2)), int(match.group(3))
            if last < first:
                raise InputError(f"malformed range {item!r}: the last seed is below the first")
            check_instance_count(item, last - first + 1, len(names))
            names += [f"{match.group(1)}{s}" for s in range(first, last + 1)]
        elif recognizes(item):
            names.append(item)
        else:
            raise InputError(f"unknown crew instances {item!r}; expected a JSON or CSV file, a "
                             "generated name such as crew_u200x30_s0 (or a seed range "
                             "crew_u200x30_s0-4), or a bundled example such as crew_example_8x3")
    if not names:
        raise InputError(f"no instances given in {text!r}; expected e.g. crew_u200x30_s0-4")
    return list(dict.fromkeys(names))


def check_schedule(instance, data: dict, path: str):
    from .io import claimed_from_dict, routes_from_dict
    from .validate import objective_of, violations

    routes = routes_from_dict(data, instance, path)
    problems = violations(instance, routes, claimed_from_dict(data, path), limit=None)
    value = None if problems else objective_of(instance, routes)[0]
    return problems, value


def list_instances() -> list[dict]:
    """The bundled examples (no best-known bounds: the exact model proves the small ones)."""
    from .bundled import bundled_instances, load_instance as load

    rows = []
    for name in sorted(bundled_instances()):
        inst = load(name)
        rows.append({"name": name, "family": "example", "size": group(inst), "lower_bound": None,
                     "upper_bound": None, "status": "bundled"})
    return rows


def group(instance) -> str:
    return f"{instance.n_orders}x{instance.n_operators}"


def solve(instance, **options):
    from .solve import solve as run

    return run(instance, **options)


def rewrite_problem(options: dict):
    """The learned rewriter's view of the problem (:mod:`rewriter.crew.rewrite`)."""
    from .rewrite import CrewRewriteProblem

    return CrewRewriteProblem()


# ---- comparison methods ------------------------------------------------------------------------
def _rule(instance, *, rule: str, seed: int = 0, **_):
    return solve(instance, init=rule, policy="none", steps=0, seed=seed)


def _search(instance, *, policy: str, budget: float = 10.0, init: str | None = None,
            seed: int = 0, start=None, started=None, **_):
    return solve(instance, init=init or "insertion", policy=policy, time_limit=budget, seed=seed,
                 start=start, started=started)


def _solver(instance, *, method: str, budget: float = 10.0, seed: int = 0, threads: int = 1, **_):
    return solve(instance, method=method, time_limit=budget, seed=seed, workers=threads)


@cache  # one set of methods, so a parsed spec equals its re-parse
def methods() -> dict[str, Method]:
    out = {rule: Method(rule, partial(_rule, rule=rule), f"the {rule} rule") for rule in INIT_RULES}
    out["tabu"] = Method("tabu", partial(_search, policy="tabu"), "tabu search over relocate, "
                         "swap, 2-opt and or-opt moves for S seconds (from insertion, or @RULE)",
                         "seconds", 10.0, takes_init=True)
    out["greedy"] = Method("greedy", partial(_search, policy="greedy"), "greedy descent over "
                           "the same moves for S seconds", "seconds", 10.0, takes_init=True)
    out["cpsat"] = Method("cpsat", partial(_solver, method="cpsat"), "the exact CP-SAT model "
                          "for S seconds (up to 60 orders)", "seconds", 10.0, uses_threads=True)
    out["routing"] = Method("routing", partial(_solver, method="routing"), "OR-Tools routing "
                            "(guided local search) for S seconds", "seconds", 10.0)
    out["cluster"] = Method("cluster", partial(_solver, method="cluster"), "the insertion "
                            "rule's routes clustered, each cluster re-solved by OR-Tools "
                            "routing, then tabu search over the whole, all in S seconds",
                            "seconds", 10.0)
    return out


SPEC = ProblemSpec(
    name="crew",
    warm_up_instance="crew_example_8x3",
    title="orders onto travelling operators: alpha x makespan + beta x activated operators",
    instance_type="rewriter.crew.instance.CrewInstance",
    objective="cost",  # alpha x makespan + beta x activated ("objective" in solution files)
    load_instance=load_instance,
    recognizes=recognizes,
    claims_file=claims_file,
    init_rules=INIT_RULES,
    default_init="insertion",
    policies=POLICIES,
    solve=solve,
    check_schedule=check_schedule,
    methods=methods,
    expand_instances=expand_instances,
    group=group,
    rewrite_problem=rewrite_problem,
    instances_help="generated names and seed ranges (crew_u200x30_s0-4, crew_c1000x100_s0), "
                   "bundled examples (crew_example_8x3) or JSON/CSV paths",
    default_policy="tabu",
    default_steps=20000,
    solve_options=(
        Option("method", "search", "search: the --init routes improved by --policy (tabu, "
               "greedy or none) for --steps steps or --time-limit; cpsat: the exact model (up "
               "to 60 orders; optimal when proven); routing: OR-Tools routing with guided "
               "local search; both for --time-limit seconds (default 10); cluster: the "
               "--init routes cut into clusters of about 75 orders, each re-solved by OR-Tools "
               "routing, stitched, then tabu search over the whole, all in --time-limit "
               "seconds (default 10; for 1,000-10,000 orders)",
               choices=("search", "cpsat", "routing", "cluster")),
        Option("workers", 1, "--method cpsat: CP-SAT search threads"),
        Option("warm_start", False, "--method cpsat or routing: start from the --init routes"),
    ),
    list_instances=list_instances,
    train_presets=TRAIN_PRESETS,
    searching_methods=("search", "cluster"),  # cluster ends with the tabu search
    exports={"CrewInstance": "rewriter.crew.instance", "CrewSchedule": "rewriter.crew.schedule"},
)
