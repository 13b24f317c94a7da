"""MRT's record in the registry: how every command loads, solves, checks, compares and trains it.

Instances are JSON files, bundled samples (``mrt_d20_test_00000``) or sequences of the seeded
data set by name (``mrt_d20_test_00042``); ``rewriter compare`` takes data-set ranges such as
``d20:test:0-99``. Summary rows group by the resource count D. Its own policies are descent and
a random walk over the rewrites; the learners add the learned rewriter (the default) and the
constructive scheduler when the registry builds the spec (:mod:`rewriter.registry`).
"""

from __future__ import annotations

import json
import re
from functools import cache, partial
from importlib.resources import files
from pathlib import Path

from ..core.spec import Method, Option, ProblemSpec, check_instance_count
from ..errors import InputError, NoSchedule
from ..textfile import read_json
from .presets import TRAIN_PRESETS, TRAIN_RESOURCES

INIT_RULES = ("ejf", "sjf", "sjfs", "sjf-offline", "random")  # = heuristics.HEURISTICS (a test checks)
POLICIES = ("greedy", "random", "none")  # = solve.POLICIES
_NAME = re.compile(r"mrt_d(\d+)_(train|validation|test)_(\d+)")  # = bundled.DATASET_NAME
_RANGE = re.compile(r"d(\d+):(train|validation|test):(\d+)(?:-(\d+))?")


def load_instance(text: str):
    from .bundled import load_instance as load

    return load(text)


def recognizes(text: str) -> bool:
    """A data-set name, or a JSON file with MRT's keys."""
    path = Path(text)
    if not path.is_file():
        return _NAME.fullmatch(path.stem) is not None
    if path.suffix.lower() != ".json":
        return False
    try:
        data = read_json(path, "an MRT instance JSON file")
    except InputError:
        return False
    return isinstance(data, dict) and "resources" in data


def expand_instances(text: str) -> list[str]:
    """``d20:test:0-99`` (a data-set range), data-set names and paths, comma separated."""
    names = []
    for item in filter(None, (t.strip() for t in str(text).split(","))):
        match = _RANGE.fullmatch(item)
        if match:
            d, split, first = int(match.group(1)), match.group(2), int(match.group(3))
            last = int(match.group(4) or first)
            if last < first:
                raise InputError(f"malformed range {item!r}: the last index is below the first")
            _check_split_range(item, split, last)
            check_instance_count(item, last - first + 1, len(names))
            names += [f"mrt_d{d}_{split}_{k:05d}" for k in range(first, last + 1)]
        elif Path(item).is_file() or _NAME.fullmatch(Path(item).stem):
            names.append(item)
        else:
            raise InputError(f"unknown MRT instances {item!r}; expected D:SPLIT:FIRST-LAST (e.g. "
                             "d20:test:0-99), a name such as mrt_d20_test_00000, or a JSON file")
    if not names:
        raise InputError(f"no instances given in {text!r}; expected e.g. d20:test:0-99")
    return list(dict.fromkeys(names))


def _check_split_range(item: str, split: str, last: int) -> None:
    from .generate import split_size

    size = split_size(split)
    if last >= size:
        raise InputError(f"range {item!r} runs past the {split} split; expected indices in 0..{size - 1}")


def check_schedule(instance, data: dict, path: str):
    from .io import read_schedule
    from .validate import average_slowdown, schedule_violations

    schedule = read_schedule(path, instance)
    problems = schedule_violations(instance, schedule.starts, schedule.ends, schedule.average_slowdown,
                                   limit=None)  # all of them: validate reports the exact count
    value = average_slowdown(instance, schedule.starts) if not problems else schedule.average_slowdown
    return problems, value


def group(instance) -> str:
    return f"D={instance.resources}"


def quoted() -> list[dict]:
    data = json.loads((files("rewriter") / "data" / "published_mrt.json").read_text(encoding="utf-8"))
    return [{"method": method, "group": f"D={d}", "value": value, "citation": data["citation"]}
            for method, values in data["results"].items()
            for d, value in zip(data["resources"], values)]




def rewrite_problem(options: dict):
    from .problem import MrtProblem

    resources = options.get("resources", 20)
    low, high = TRAIN_RESOURCES
    if isinstance(resources, bool) or not isinstance(resources, int) or not low <= resources <= high:
        raise InputError(f"--resources: expected an integer from {low} to {high} (the paper uses 2, "
                         f"5, 10 and 20; a policy trained at D <= 20 runs at every D <= 20), got "
                         f"{json.dumps(resources)}")
    return MrtProblem(resources=resources)


def solve(instance, **options):
    from .solve import solve as run

    return run(instance, **options)


# ---- comparison methods ------------------------------------------------------------------------
def _heuristic(instance, *, rule: str, seed: int = 0, **_):
    from .solve import solve as run

    return run(instance, init=rule, policy="none", steps=0, seed=seed)


def _search(instance, *, policy: str, budget=None, init: str = "ejf", seed: int = 0, **_):
    from .solve import solve as run

    return run(instance, init=init, policy=policy, seed=seed,
               steps=None if budget is None else int(budget))


def _cpsat(instance, *, budget: float, seed: int = 0, threads: int = 1, **_):
    import time

    from .cpsat import solve_mrt_cpsat
    from .solve import make_result
    from .validate import average_slowdown

    t0 = time.perf_counter()
    res = solve_mrt_cpsat(instance, time_limit=budget, workers=threads, seed=seed)
    if res.starts is None:
        raise NoSchedule(f"{instance.name}: CP-SAT found no schedule in {budget:g} s ({res.status})")
    runtime = time.perf_counter() - t0
    status = {"optimal": "optimal"}.get(res.status, "time_limit")
    value = average_slowdown(instance, res.starts)
    return make_result(instance, res.starts, "cpsat", "none", value, 0, seed, runtime, status,
                       [(0, round(runtime, 4), value)])


@cache  # one set of methods, so a parsed spec equals its re-parse
def methods() -> dict[str, Method]:
    out = {rule: Method(rule, partial(_heuristic, rule=rule), f"the {rule} heuristic")
           for rule in INIT_RULES}
    for name, policy, text in (("greedy", "greedy", "descent over the rewriter's rewrites"),
                               ("random-walk", "random", "random walk over the rewriter's rewrites")):
        out[name] = Method(name, partial(_search, policy=policy), text, "steps", 50, takes_init=True)
    out["cpsat"] = Method("cpsat", _cpsat, "OR-Tools CP-SAT (offline) for S seconds", "seconds",
                          10.0, uses_threads=True)
    return out


SPEC = ProblemSpec(
    name="mrt",
    warm_up_instance="mrt_d2_test_00000",
    title="online multi-resource jobs (NeuRewriter): minimise the average job slowdown",
    instance_type="rewriter.mrt.instance.MrtInstance",
    objective="average_slowdown",
    load_instance=load_instance,
    recognizes=recognizes,
    init_rules=INIT_RULES,
    default_init="ejf",
    policies=POLICIES,
    solve=solve,
    check_schedule=check_schedule,
    methods=methods,
    expand_instances=expand_instances,
    group=group,
    rewrite_problem=rewrite_problem,
    instances_help="data-set ranges D:SPLIT:FIRST-LAST (d20:test:0-99), names or paths",
    default_policy="greedy",  # the learned rewriter's registration makes it the default
    default_steps=50,
    default_decoding="sample",
    train_options=(
        Option("resources", 20, "number of resource types D, 1 to 20 (the paper uses 2, 5, 10, "
                                "20; a policy trained at any D <= 20 runs at every D <= 20)"),
    ),
    train_presets=TRAIN_PRESETS,
    quoted=quoted,
    exports={"MrtInstance": "rewriter.mrt.instance"},
)
