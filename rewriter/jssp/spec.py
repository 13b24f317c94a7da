"""The job shop's record in the registry: how every command loads, solves, checks, compares and
trains it. Heavy modules (numba kernels, OR-Tools) are imported inside the functions.

Its own policies are the searches of :mod:`rewriter.jssp.solve`; the learners add theirs (the
learned rewriter, the constructive policy, the learned controller) when the registry builds the
spec (:mod:`rewriter.registry`)."""

from __future__ import annotations

import json
from functools import cache, partial
from importlib.resources import files
from pathlib import Path

from ..core.read_once import ReadOnce
from ..core.spec import Method, Option, ProblemSpec
from ..errors import InputError, NoSchedule
from ..shop.lns import LNS_HELP, SELECTOR_HELP, WORKERS_HELP
from ..shop.regions import SELECTORS
from .presets import TRAIN_PRESETS

# kept equal to dispatching.RULES / MODES, schedule.MOVE_KINDS, rewrite.EXPERTS and
# solve.POLICIES (a test checks): reading them from those modules would load numba for
# `rewriter --help`
RULES = ("fifo", "spt", "lpt", "mwkr", "lwkr", "mor", "lor", "sjf", "ejf", "random")
MODES = ("active", "nondelay")
MOVE_KINDS = ("n5", "n1", "adjacent", "n7")
EXPERTS = ("tabu", "rollout")
POLICIES = ("tabu", "greedy", "greedy-first", "random", "lns", "none")


def _load(text: str):
    from .bundled import load_instance

    return load_instance(text)


# A bundled job-shop name, or a file that reads as a job-shop instance.
# Recognised by reading it; the instance read is kept for the load that follows.
_read_once = ReadOnce(_load)
load_instance = _read_once.load_instance
recognizes = _read_once.recognizes


def solve(instance, *, method: str = "search", workers: int = 2, warm_start: bool = False,
          init: str = "mwkr", init_mode: str = "active", seed=0, time_limit=None, **options):
    """:func:`rewriter.jssp.solve.solve`, or OR-Tools CP-SAT with ``method="cpsat"`` (its hint,
    with ``warm_start``, the ``start`` schedule or else the ``init`` rule's)."""
    if method == "cpsat":
        from .cpsat import solve_cpsat, to_result
        from .solve import start_solution

        if workers < 1:
            raise InputError("--workers must be at least 1")
        if options.get("searches", 1) != 1:
            raise InputError("--searches is an option of --method search (CP-SAT's own threads "
                             "are --workers)")
        hint = (start_solution(instance, init, init_mode, seed, options.get("start"))
                if warm_start else None)
        return to_result(instance, solve_cpsat(instance, time_limit=time_limit or 60.0,
                                               workers=workers, seed=seed, warm_start=hint))
    if method != "search":
        raise InputError(f"unknown method {method!r}; expected search or cpsat")
    from .solve import solve as search

    if options.get("policy") == "lns":
        options["workers"] = workers
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
                  policy="none", steps=0, seed=seed)


def _search(instance, *, policy: str, unit: str, budget=None, init: str = "mwkr", seed: int = 0,
            start=None, started=None, **_):
    from .solve import solve as search

    begin = dict(init=init, policy=policy, seed=seed, start=start, started=started)
    if unit == "seconds":
        return search(instance, steps=None, time_limit=budget, **begin)
    return search(instance, steps=None if budget is None else int(budget), **begin)


def _lns(instance, *, budget: float = 60.0, init: str = "mwkr", seed: int = 0, threads: int = 1,
         start=None, started=None, **_):
    from .solve import solve as search

    return search(instance, init=init, policy="lns", steps=None, time_limit=budget, seed=seed,
                  start=start, started=started, workers=threads)


def _cpsat(instance, *, budget: float, seed: int = 0, threads: int = 1, **_):
    from .cpsat import solve_cpsat, to_result

    res = solve_cpsat(instance, time_limit=budget, workers=threads, seed=seed)
    if res.solution is None:
        raise NoSchedule(f"CP-SAT found no schedule for {instance.name} in {budget:g} s")
    return to_result(instance, res)


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
                ("random-walk", "random", "steps", 200, "random walk of STEPS moves (random:STEPS)"))
    for name, policy, unit, default, text in searches:
        out[name] = Method(name, partial(_search, policy=policy, unit=unit), text, unit, default,
                           takes_init=True, spec_name="random" if name == "random-walk" else None)
    out["lns"] = Method("lns", _lns, LNS_HELP, "seconds", 60.0, takes_init=True,
                        uses_threads=True)
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
    init_rules=RULES,
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
                   "instances (rand_30x20_s0-4: seeds 0 to 4; reentrant_30x20_s0-4: jobs of 1 to "
                   "40 operations, machines revisited) or paths",
    default_policy="tabu",  # the learned controller's registration makes its search the default
    default_steps=200,
    policy_steps={"lns": 50},  # rewrites of a tenth of a second or more each
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
        Option("window", None, "--policy tabu: search windows of N operations (those starting "
               "in one stretch of time, the rest of the schedule fixed) one after another, so a "
               "move costs what the window costs; default: 20000 on instances of more than 200000 "
               "operations, else none; 0: never", kind=int),
        Option("searches", 1, "--policy tabu or controlled: run N independent searches side by "
               "side, one process each, with seeds SEED to SEED+N-1, and keep the best schedule "
               "(on 2 cores, --searches 2 uses both)"),
        Option("selector", None, SELECTOR_HELP, choices=SELECTORS, kind=str, only_for=("lns",)),
        Option("workers", 2, WORKERS_HELP),
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
             "random_reentrant_instance": "rewriter.jssp.generate",
             "check_schedule": "rewriter.jssp.validate", "TabuSettings": "rewriter.jssp.search"},
)
