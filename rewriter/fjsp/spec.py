"""The flexible job shop's record in the registry: how every command loads, solves, checks and
compares it. Heavy modules (numba kernels, OR-Tools) are imported inside the functions.

The learners add the learned rewriter (``--policy learned``) and the DQN dispatcher (``--init
dqn``) when the registry builds the spec (:mod:`rewriter.registry`)."""

from __future__ import annotations

from functools import cache, partial

from ..core.read_once import ReadOnce
from ..core.spec import Method, Option, ProblemSpec
from ..errors import InputError
from ..shop.lns import LNS_HELP, SELECTOR_HELP, WORKERS_HELP
from ..shop.regions import SELECTORS
from .presets import TRAIN_PRESETS

JOB_RULES = ("fifo", "mwkr", "mor", "spt", "edd", "random")   # = dispatching.JOB_RULES (a test checks)
MACHINE_RULES = ("eet", "spt", "lload")                        # = dispatching.MACHINE_RULES
RULES = tuple(f"{j}-{m}" for j in JOB_RULES for m in MACHINE_RULES)
OBJECTIVES = ("makespan", "tardiness", "combined")             # = schedule.OBJECTIVES
POLICIES = ("tabu", "greedy", "random", "lns", "none")         # = solve.POLICIES
MOVES = ("full", "n5", "n5+reassign")                          # = moves.MOVE_SETS
DEFAULT_STEPS = 2000                                           # = solve.DEFAULT_STEPS


def _load(text: str):
    from .bundled import load_instance

    return load_instance(text)


# A bundled or generated flexible-shop name, or a file that reads as a flexible instance.
# Recognised by reading it; the instance read is kept for the load that follows.
_read_once = ReadOnce(_load)
load_instance = _read_once.load_instance
recognizes = _read_once.recognizes


def claims_file(text: str) -> bool:
    """Is ``text`` a file in one of the flexible shop's own formats, even a malformed one? A
    ``.csv`` file or two first lines with commas (a compatibility matrix; Taillard's header has a
    comma but no second line with one), or a JSON object with ``n_machines`` or ``jobs`` and
    none of the job shop's or MRT's keys."""
    from pathlib import Path

    from ..textfile import lines, parse_json, read_text
    from .io import text_format

    path = Path(text)
    if not path.is_file():
        return False
    try:
        content = read_text(path, "an instance file")
        form = text_format(content, path)
        if form == "csv":
            first_two = [line for line in lines(content) if line.strip()][:2]
            return path.suffix.lower() == ".csv" or all("," in line for line in first_two)
        data = parse_json(content, path) if form == "json" else None
    except InputError:
        return False
    return (isinstance(data, dict) and ("n_machines" in data or "jobs" in data)
            and not {"resources", "duration_matrix", "machines_matrix"} & set(data))


def solve(instance, *, batches: int | None = None, **options):
    """The single pass (:func:`rewriter.fjsp.solve.solve`), or with ``batches`` K the jobs in
    release order in K batches, each by that single pass (:mod:`rewriter.fjsp.batches`)."""
    from .solve import solve as run

    if batches is None:
        return run(instance, **options)
    from .batches import solve_batched

    return solve_batched(instance, batches, run, **options)


def rewrite_problem(options: dict):
    from .rewrite import FlexibleRewriteProblem

    return FlexibleRewriteProblem(moves=options.get("moves", "full"))


def check_schedule(instance, data: dict, path: str):
    from .schedule_json import check_schedule_json

    return check_schedule_json(instance, data, path)


def expand_instances(text: str) -> list[str]:
    from .bundled import expand_instance_names

    return expand_instance_names(text)


def group(instance) -> str:
    family = instance.metadata.get("family") or "".join(c for c in instance.name if c.isalpha())
    return f"{family} {instance.n_jobs}x{instance.n_machines}"


def plot_schedule(result, path: str) -> None:
    from .gantt import plot_gantt

    plot_gantt(result, path)


def adopt(value):
    """Our instance of a job_shop_lib ``JobShopInstance`` or a PyJobShop ``ProblemData`` (a job
    shop or a flexible one), else None; the converters import neither library for other values."""
    from . import interop_job_shop_lib, interop_pyjobshop

    if interop_job_shop_lib.is_job_shop_lib_instance(value):
        return interop_job_shop_lib.from_job_shop_lib(value)
    if interop_pyjobshop.is_pyjobshop_data(value):
        return interop_pyjobshop.from_pyjobshop(value)
    return None


def quoted() -> list[dict]:
    """Published Brandimarte results (rewriter/data/published_fjsp.json): per table group, the
    mean gap of the quoted makespans to the bundled best-known upper bounds."""
    import json
    from importlib.resources import files

    from .bundled import load_instance as load

    data = json.loads((files("rewriter") / "data" / "published_fjsp.json").read_text(encoding="utf-8"))
    instances = [load(name) for name in data["instances"]]
    out = []
    for method, entry in data["results"].items():
        gaps: dict[str, list[float]] = {}
        for inst, makespan in zip(instances, entry["makespans"], strict=True):
            gaps.setdefault(group(inst), []).append(100.0 * (makespan / inst.upper_bound - 1.0))
        out += [{"method": method, "group": g, "value": round(sum(v) / len(v), 2),
                 "citation": entry["citation"]} for g, v in gaps.items()]
    return out


def list_instances() -> list[dict]:
    from .bundled import bundled_instances

    return [{**row, "size": f"{row['n_jobs']}x{row['n_machines']}"} for row in bundled_instances()]


# ---- comparison methods ------------------------------------------------------------------------
def _rule(instance, *, rule: str, seed: int = 0, **_):
    from .solve import solve as run

    return run(instance, init=rule, policy="none", seed=seed)


def _tabu(instance, *, budget: float = 60.0, init: str | None = None, seed: int = 0, start=None,
          started=None, **_):
    from .solve import solve as run

    return run(instance, init=init or "mwkr-eet", policy="tabu", steps=None, time_limit=budget,
               seed=seed, start=start, started=started)


def _lns(instance, *, budget: float = 60.0, init: str | None = None, seed: int = 0,
         threads: int = 1, start=None, started=None, **_):
    from .solve import solve as run

    return run(instance, init=init or "mwkr-eet", policy="lns", steps=None, time_limit=budget,
               seed=seed, start=start, started=started, workers=threads)


def _cpsat(instance, *, budget: float, seed: int = 0, threads: int = 1, **_):
    from .solve import solve as run

    return run(instance, method="cpsat", time_limit=budget, workers=threads, seed=seed)


@cache  # one set of methods, so a parsed spec equals its re-parse
def methods() -> dict[str, Method]:
    out = {rule: Method(rule, partial(_rule, rule=rule), f"the {rule} dispatching rule")
           for rule in RULES}
    out["tabu"] = Method("tabu", _tabu, "tabu search for S seconds (from mwkr-eet, or @RULE)",
                         "seconds", 60.0, takes_init=True)
    out["lns"] = Method("lns", _lns, LNS_HELP + " (from mwkr-eet, or @RULE)", "seconds", 60.0,
                        takes_init=True, uses_threads=True)
    out["cpsat"] = Method("cpsat", _cpsat, "OR-Tools CP-SAT for S seconds", "seconds", 60.0,
                          uses_threads=True)
    return out


SPEC = ProblemSpec(
    name="fjsp",
    warm_up_instance="compat_20x5_s0",  # every method takes it, the DQN included
    title="flexible job shop: eligible machines with their own durations, release and due dates",
    instance_type="rewriter.fjsp.instance.FlexibleInstance",
    objective="makespan",
    load_instance=load_instance,
    recognizes=recognizes,
    claims_file=claims_file,
    init_rules=RULES,
    default_init="mwkr-eet",
    policies=POLICIES,
    solve=solve,
    check_schedule=check_schedule,
    methods=methods,
    expand_instances=expand_instances,
    group=group,
    rewrite_problem=rewrite_problem,
    has_bounds=True,
    instances_help="ranges and families (mk01-10, behnke), names (mk01, la09_edata), generated "
                   "sets (prod_411x149_s0) or paths",
    default_policy="tabu",
    default_steps=DEFAULT_STEPS,
    policy_steps={"lns": 50},  # rewrites of a tenth of a second or more each
    solve_options=(
        Option("objective", "makespan", "what to minimise: makespan, tardiness (total weighted "
               "tardiness) or combined (makespan + W x total weighted tardiness)",
               choices=OBJECTIVES),
        Option("tardiness_weight", 1.0, "W of the combined objective"),
        Option("method", "search", "search: the --init schedule improved by --policy (tabu, "
               "greedy, random or none) for --steps steps (default 2000) or --time-limit; "
               "cpsat: OR-Tools CP-SAT stopped by --time-limit (default 60 s)",
               choices=("search", "cpsat")),
        Option("moves", "full", "search neighbourhood: full (every position of a critical "
               "operation on every eligible machine), n5 (critical-block swaps only) or "
               "n5+reassign", choices=MOVES),
        Option("selector", None, SELECTOR_HELP, choices=SELECTORS, kind=str, only_for=("lns",)),
        Option("workers", 2, WORKERS_HELP),
        Option("warm_start", False, "--method cpsat: give CP-SAT the --init schedule as a hint"),
        Option("batches", None, "schedule the jobs in release order in K batches of near-equal "
               "size, each by the same method (its share of --time-limit and --steps), each "
               "after the earlier ones on every machine: the batch baseline of a single pass "
               "(1: the single pass)", kind=int),
    ),
    train_options=(
        Option("moves", "full", "candidate rewrites: full, n5 or n5+reassign (as for solve --moves)",
               choices=MOVES),
    ),
    train_presets=TRAIN_PRESETS,
    list_instances=list_instances,
    quoted=quoted,
    plot_schedule=plot_schedule,
    exports={"FlexibleInstance": "rewriter.fjsp.instance",
             "FlexibleSchedule": "rewriter.fjsp.schedule",
             "to_job_shop_lib": "rewriter.fjsp.interop_job_shop_lib",
             "to_pyjobshop": "rewriter.fjsp.interop_pyjobshop"},
    adopt=adopt,
)
