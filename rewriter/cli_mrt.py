"""``rewriter solve --problem mrt`` and ``rewriter compare --problem mrt``.

An MRT instance is a JSON file (see :mod:`rewriter.mrt.io`) or a bundled sample name
(``mrt_d20_test_00000``). The search starts from a heuristic schedule and applies the learned
rewriter (the shipped D = 20 model by default) for ``--steps`` rewrites.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from importlib import resources
from pathlib import Path

from .errors import InputError

MRT_POLICIES = ("learned", "greedy", "random", "none")


def load_mrt_instance(text: str):
    from .mrt.io import read_instance

    path = Path(text)
    if not path.is_file():
        bundled = Path(str(resources.files("rewriter.instances").joinpath("mrt", f"{Path(text).stem}.json")))
        if not bundled.is_file():
            raise InputError(f"{text}: no such MRT instance file or bundled sample "
                             "(e.g. mrt_d20_test_00000)")
        path = bundled
    return read_instance(path)


def rewrite_mrt(instance, init: str = "ejf", steps: int = 50, policy: str = "learned",
                model=None, samples: int = 1, greedy: bool = False, seed: int = 0,
                time_limit=None, progress: bool = False):
    """(best state, outcome) of rewriting the ``init`` schedule of ``instance``."""
    from .core.search import learned_search
    from .models import load_policy
    from .mrt.problem import MrtProblem

    problem = MrtProblem(resources=instance.resources)
    state = problem.initial_state(instance, init, seed=seed)
    if policy == "none" or steps == 0:
        return state, None
    if policy == "random":
        from .core.search import random_search
        outcome = random_search(state, steps, seed=seed, time_limit=time_limit)
    elif policy == "greedy":
        from .core.search import greedy_search
        outcome = greedy_search(state, steps, time_limit=time_limit)
    else:
        net, meta = load_policy(model, "mrt")
        keep = meta.get("card", {}).get("config", {}).get("pc_min")
        outcome = learned_search(state, net, steps, samples=samples, greedy=greedy, seed=seed,
                                 time_limit=time_limit, progress=progress,
                                 negative_q_keep=keep if keep is not None and not greedy else None)
    return outcome.best, outcome


def cmd_solve_mrt(args) -> int:
    from .atomic import write_atomic
    from .mrt.validate import check_mrt_schedule

    import json

    instance = load_mrt_instance(args.instance)
    init = args.init if args.init != "mwkr" else "ejf"  # the JSSP default means "not given"
    policy = args.policy if args.policy in MRT_POLICIES else None
    if policy is None:
        raise InputError(f"--policy {args.policy} is a job-shop policy; MRT takes "
                         + ", ".join(MRT_POLICIES))
    t0 = time.perf_counter()
    progress = args.progress if args.progress is not None else (not args.quiet and sys.stderr.isatty())
    best, outcome = rewrite_mrt(instance, init, args.steps, policy, args.model, args.samples,
                                args.decoding == "argmax", args.seed, args.time_limit, progress)
    slowdown = check_mrt_schedule(instance, best.schedule.starts)
    runtime = time.perf_counter() - t0
    from .mrt.io import schedule_to_dict
    init_value = best.cost() if outcome is None else outcome.initial_cost
    if args.out:
        data = schedule_to_dict(instance, best.schedule.starts, method="rewriter" if policy == "learned" else policy,
                                init=init, init_average_slowdown=round(init_value, 4),
                                steps=0 if outcome is None else outcome.steps, seed=args.seed,
                                runtime_s=round(runtime, 4))
        write_atomic(args.out, json.dumps(data, indent=1) + "\n")
    if not args.quiet:
        if args.out:
            print(f"wrote schedule: {args.out}\n")
        rows = [("instance", instance.name), ("jobs / resources", f"{instance.n_jobs} / {instance.resources}"),
                ("initial (" + init + ")", f"{init_value:.4f}"),
                ("policy", policy), ("steps", 0 if outcome is None else outcome.steps),
                ("average slowdown", f"{slowdown:.4f}"), ("runtime s", f"{runtime:.2f}"),
                ("status", "completed" if outcome is None else outcome.status)]
        width = max(len(k) for k, _ in rows)
        print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    return 0


def cmd_compare_mrt(args) -> int:
    from .atomic import write_atomic
    from .mrt.compare import METHODS, baseline_table
    from .tables import to_csv, to_latex, to_markdown

    try:
        resources_list = [int(x) for x in (args.resources or "2,5,10,20").split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--resources: expected comma-separated integers, got {args.resources!r}") from None
    specs = [m.strip() for m in (args.methods or "ejf,sjf,sjfs,sjf-offline,random,cpsat:10,rewriter:50").split(",") if m.strip()]
    methods, cpsat_limit = [], 10.0
    for spec in specs:
        name, _, budget = spec.partition(":")
        if name == "cpsat":
            cpsat_limit = float(budget or 10)
            methods.append("cpsat")
        elif name == "rewriter":
            steps = int(budget or 50)
            methods.append((f"rewriter:{steps}", partial(_rewriter_starts, steps=steps,
                                                           model=args.model)))
        elif name in ("greedy", "random-walk"):
            steps = int(budget or 50)
            policy = "greedy" if name == "greedy" else "random"
            methods.append((f"{name}:{steps}", partial(_rewriter_starts, steps=steps, policy=policy)))
        elif name in METHODS:
            methods.append(name)
        else:
            raise InputError(f"unknown MRT method {spec!r}; expected "
                             + ", ".join(list(METHODS) + ["cpsat:S", "rewriter:STEPS", "greedy:STEPS",
                                                          "random-walk:STEPS"]))
    header, rows = baseline_table(resources_list, split=args.split, count=args.count,
                                  methods=methods, cpsat_time_limit=cpsat_limit,
                                  cpsat_count=args.cpsat_count, cpsat_workers=args.cpsat_workers,
                                  quoted=not args.no_quoted)
    table = (header, rows)
    print(to_markdown(table))
    if args.out:
        fmt = Path(args.out).suffix.lower().lstrip(".")
        render = {"md": to_markdown, "csv": to_csv, "tex": to_latex}.get(fmt)
        if render is None:
            raise InputError(f"--out {args.out}: expected a .md, .csv or .tex file")
        write_atomic(args.out, render(table) + ("\n" if fmt != "csv" else ""))
        print(f"wrote table: {args.out}")
    return 0


def _rewriter_starts(instance, steps: int, model=None, policy: str = "learned"):
    """Start times after rewriting the EJF schedule (learned policy, greedy descent or random
    walk over the same rewrites)."""
    best, _ = rewrite_mrt(instance, "ejf", steps, policy, model, seed=0)
    return best.schedule.starts
