"""The job shop's record in the registry: how every command loads, solves, checks, compares and
trains it. Heavy modules (numba kernels, torch, OR-Tools) are imported inside the functions."""

from __future__ import annotations

import json
from functools import cache, partial
from importlib.resources import files
from pathlib import Path

from ..core.spec import Method, Option, ProblemSpec
from ..errors import InputError, NoSchedule
from .presets import TRAIN_PRESETS

# kept equal to dispatching.RULES / MODES, solution.MOVE_KINDS and rewrite.EXPERTS (a test checks): reading them
# from those modules would load numba for `rewriter --help`
RULES = ("fifo", "spt", "lpt", "mwkr", "lwkr", "mor", "lor", "sjf", "ejf", "random")
MODES = ("active", "nondelay")
MOVE_KINDS = ("n5", "n1", "adjacent", "n7")
EXPERTS = ("tabu", "rollout")  # kept equal to rewrite.EXPERTS
POLICIES = ("learned", "tabu", "greedy", "greedy-first", "random", "none", "construct",
            "controlled")
CONTROLLERS = ("hand", "random", "learned")  # kept equal to control.controllers.CONTROLLERS
EXPLORE_AFTER = 300  # kept equal to solve.EXPLORE_AFTER (a test checks)


def load_instance(text: str):
    from .bundled import load_instance as load

    return load(text)


def recognizes(text: str) -> bool:
    """A bundled job-shop name, or a file that reads as a job-shop instance."""
    try:
        load_instance(text)
    except (InputError, OSError):
        return False
    return True


def solve(instance, *, method: str = "search", workers: int = 2, warm_start: bool = False,
          init: str = "mwkr", init_mode: str = "active", seed=0, time_limit=None, **options):
    """:func:`rewriter.jssp.solve.solve`, or OR-Tools CP-SAT with ``method="cpsat"``."""
    if method == "cpsat":
        from .cpsat import solve_cpsat, to_result
        from .solve import initial_solution

        if workers < 1:
            raise InputError("--workers must be at least 1")
        if options.get("searches", 1) != 1:
            raise InputError("--searches is an option of --method search (CP-SAT's own threads "
                             "are --workers)")
        hint = (initial_solution(instance, init, init_mode, seed, options.get("construct_model"))
                if warm_start else None)
        return to_result(instance, solve_cpsat(instance, time_limit=time_limit or 60.0,
                                               workers=workers, seed=seed, warm_start=hint))
    if method != "search":
        raise InputError(f"unknown method {method!r}; expected search or cpsat")
    from .solve import solve as search

    return search(instance, init=init, init_mode=init_mode, seed=seed, time_limit=time_limit,
                  **options)


def check_schedule(instance, data: dict, path: str):
    from .schedule_json import check_schedule_json

    return check_schedule_json(instance, data, path)


def expand_instances(text: str) -> list[str]:
    from .bundled import expand_instance_names

    return expand_instance_names(text)


def group(instance) -> str:
    family = instance.metadata.get("family") or "".join(c for c in instance.name if c.isalpha())
    return f"{family} {instance.n_jobs}x{instance.n_machines}"


def list_instances() -> list[dict]:
    from .bundled import bundled_instances

    return [{**row, "size": f"{row['n_jobs']}x{row['n_machines']}"} for row in bundled_instances()]


def quoted() -> list[dict]:
    data = json.loads((files("rewriter") / "data" / "published.json").read_text(encoding="utf-8"))
    return [{"method": r["method"], "group": r["group"], "value": r["gap_percent"],
             "citation": r["citation"]} for r in data["results"]]


def rewrite_problem(options: dict):
    from .rewrite import JobShopProblem

    return JobShopProblem(moves=options.get("moves", "n5"), expert=options.get("expert", "tabu"))


def plot_schedule(result, path: str) -> None:
    from .gantt import plot_gantt

    plot_gantt(result, path)


# ---- comparison methods ------------------------------------------------------------------------
def _rule(instance, *, rule: str, nondelay: bool, seed: int = 0, **_):
    from .solve import solve as search

    return search(instance, init=rule, init_mode="nondelay" if nondelay else "active",
                  policy="none", seed=seed)


def _search(instance, *, policy: str, unit: str, budget=None, init: str = "mwkr", seed: int = 0,
            controller: str | None = None, **_):
    from .solve import solve as search

    if unit == "seconds":
        return search(instance, init=init, policy=policy, steps=None, time_limit=budget, seed=seed,
                      controller=controller)
    return search(instance, init=init, policy=policy, seed=seed, controller=controller,
                  steps=None if budget is None else int(budget))


def _cpsat(instance, *, budget: float, seed: int = 0, threads: int = 1, **_):
    from .cpsat import solve_cpsat, to_result

    res = solve_cpsat(instance, time_limit=budget, workers=threads, seed=seed)
    if res.solution is None:
        raise NoSchedule(f"CP-SAT found no schedule for {instance.name} in {budget:g} s")
    return to_result(instance, res)


def _construct(instance, *, budget=None, seed: int = 0, model=None, **_):
    from ..learn.construct.decode import construct

    return construct(instance, model=model, samples=1 if budget is None else int(budget),
                     seed=seed)


def _construct_timed(instance, *, budget: float, seed: int = 0, model=None, **_):
    from ..learn.construct.decode import construct

    return construct(instance, model=model, time_limit=budget, seed=seed)


def _shipped_graph() -> str:
    from ..learn.construct.model_file import SHIPPED_GRAPH, shipped_model_path

    return str(shipped_model_path(SHIPPED_GRAPH))


def _construct_graph(instance, *, budget=None, seed: int = 0, **_):
    return _construct(instance, budget=budget, seed=seed, model=_shipped_graph())


def _construct_graph_timed(instance, *, budget: float, seed: int = 0, **_):
    return _construct_timed(instance, budget=budget, seed=seed, model=_shipped_graph())


@cache  # one set of methods, so a parsed spec equals its re-parse
def methods() -> dict[str, Method]:
    out = {}
    for rule in RULES:
        out[rule] = Method(rule, partial(_rule, rule=rule, nondelay=False),
                           f"the {rule} dispatching rule (active schedules)")
        out[rule + "-nd"] = Method(rule + "-nd", partial(_rule, rule=rule, nondelay=True),
                                   f"the {rule} dispatching rule (non-delay schedules)")
    searches = (("tabu", "tabu", "seconds", 60.0, "tabu search for S seconds"),
                ("greedy", "greedy", "steps", None, "best-improvement descent (to its local optimum)"),
                ("random-walk", "random", "steps", 200, "random walk of STEPS moves (random:STEPS)"),
                ("rewriter", "learned", "steps", 200, "the shipped learned policy, STEPS rewrites"),
                ("rewriter-time", "learned", "seconds", 10.0,
                 "the shipped learned policy, rewriting for S seconds"),
                ("controlled", "controlled", "seconds", 10.0,
                 "tabu search steered by the shipped learned controller (docs/control.md) for S "
                 "seconds"))
    for name, policy, unit, default, text in searches:
        run = partial(_search, policy=policy, unit=unit,
                      controller="learned" if policy == "controlled" else None)
        out[name] = Method(name, run, text, unit, default, takes_init=True,
                           spec_name="random" if name == "random-walk" else None)
    out["construct"] = Method("construct", _construct, "the shipped constructive policy "
                              "(docs/construct.md), greedy; construct:K keeps the best of K "
                              "sampled schedules", "samples", None, uses_model=True)
    out["construct-time"] = Method("construct-time", _construct_timed, "the shipped "
                                   "constructive policy for S seconds: its greedy schedule, then "
                                   "the best of as many sampled ones as the time allows",
                                   "seconds", 10.0, uses_model=True)
    out["construct-graph"] = Method("construct-graph", _construct_graph, "the shipped graph "
                                    "constructive policy (message passing over the partial "
                                    "disjunctive graph, docs/construct.md), greedy; "
                                    "construct-graph:K keeps the best of K sampled schedules",
                                    "samples", None)
    out["construct-graph-time"] = Method("construct-graph-time", _construct_graph_timed,
                                         "the shipped graph constructive policy for S seconds: "
                                         "greedy, then sampled while the time allows",
                                         "seconds", 10.0)
    out["cpsat"] = Method("cpsat", _cpsat, "OR-Tools CP-SAT for S seconds", "seconds", 60.0,
                          uses_threads=True)
    return out


SPEC = ProblemSpec(
    name="jssp",
    title="job shop: jobs of operations, each on one machine; minimise the makespan",
    instance_type="rewriter.jssp.instance.JobShopInstance",
    objective="makespan",
    load_instance=load_instance,
    recognizes=recognizes,
    init_rules=RULES + ("construct",),  # construct: the shipped constructive model, greedy
    default_init="mwkr",
    policies=POLICIES,
    solve=solve,
    check_schedule=check_schedule,
    methods=methods,
    expand_instances=expand_instances,
    group=group,
    rewrite_problem=rewrite_problem,
    has_bounds=True,
    warm_up_instance="ta01",  # 15x15: its searches run their whole budget, short of the optimum
    instances_help="ranges and families (ta41-50, dmu16-20, ta), names (ft06), generated random "
                   "instances (rand_30x20_s0-4: seeds 0 to 4) or paths",
    # tabu steered by the shipped learned controller is the best job-shop method per second
    # measured here (docs/control.md, docs/repair-vs-construct.md); its budget counts tabu moves,
    # so a run is repeatable: 500,000 moves take about 7 s on ta41 (30x20)
    default_policy="controlled",
    default_steps=200,
    policy_steps={"controlled": 500_000},
    default_decoding="argmax",
    solve_options=(
        Option("method", "search", "search: the --init schedule improved by --policy; cpsat: the "
               "OR-Tools CP-SAT model, stopped by --time-limit (default 60 s)",
               choices=("search", "cpsat")),
        Option("init_mode", "active", "schedule generation scheme of the initial schedule: active "
               "(Giffler-Thompson) or nondelay", choices=MODES),
        Option("moves", None, "neighbourhood: n5 (swap at critical block ends), n1 (any adjacent "
               "pair on the critical path), adjacent (any adjacent pair on a machine) or n7 (N5 "
               "plus insertions to and from the ends of critical blocks); default: the model's "
               "own for --policy learned, n5 otherwise", choices=MOVE_KINDS, kind=str),
        Option("tie_break", "random", "--policy tabu: how moves of equal makespan are chosen: "
               "random, or pressure (the move leaving the fewest operations near the makespan)",
               choices=("random", "pressure")),
        Option("explore_after", EXPLORE_AFTER, "--policy learned, argmax decoding: sample the "
               "rewrites while N or more steps have passed without a new best; 0 = never"),
        Option("construct_model", None, "--policy construct and --init construct: a model "
               "written by `rewriter train --approach construct` (default: the shipped "
               "rewriter/models/jssp_construct.pt)", kind=str),
        Option("controller", None, "--policy controlled: who decides between slices of tabu "
               "moves: learned (the shipped controller, or --model PATH of a trained one; "
               "docs/control.md; the default), hand (restart from the best after 10000 quiet "
               "moves, as tabu) or random",
               choices=CONTROLLERS, kind=str),
        Option("searches", 1, "--policy tabu or controlled: run N independent searches side by "
               "side, one process each, with seeds SEED to SEED+N-1, and keep the best schedule "
               "(on 2 cores, --searches 2 uses both)"),
        Option("workers", 2, "--method cpsat: CP-SAT search threads"),
        Option("warm_start", False, "--method cpsat: give CP-SAT the --init schedule as a hint"),
    ),
    train_options=(
        Option("moves", "n5", "candidate rewrites: adjacent, n1, n5 or n7 (as for solve --moves)",
               choices=MOVE_KINDS),
        Option("expert", "tabu", "the rewrite --imitation-coef teaches: tabu (tabu search's rule: "
               "lowest makespan after the move, then lowest pressure, recent flips tabu) or "
               "rollout (each of that rule's 4 first moves followed by 10 steps of the rule; "
               "the move whose continuation reaches the lowest makespan)", choices=EXPERTS),
    ),
    train_presets=TRAIN_PRESETS,
    list_instances=list_instances,
    quoted=quoted,
    plot_schedule=plot_schedule,
    exports={"JobShopInstance": "rewriter.jssp.instance", "JobShopSolution": "rewriter.jssp.schedule",
             "bundled_instances": "rewriter.jssp.bundled", "random_instance": "rewriter.jssp.generate",
             "check_schedule": "rewriter.jssp.validate", "TabuSettings": "rewriter.jssp.search"},
)
