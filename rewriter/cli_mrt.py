"""``rewriter solve --problem mrt`` and ``rewriter compare --problem mrt``.

An MRT instance is a JSON file (see :mod:`rewriter.mrt.io`) or a bundled sample name
(``mrt_d20_test_00000``). The search starts from a heuristic schedule and applies the learned
rewriter (the shipped D = 20 model by default) for ``--steps`` rewrites.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from .errors import InputError

MRT_POLICIES = ("learned", "greedy", "random", "none")


def cmd_solve_mrt(args) -> int:
    from .atomic import write_atomic
    from .mrt.solve import load_instance, solve

    import json

    instance = load_instance(args.instance)
    init = args.init if args.init != "mwkr" else "ejf"  # the JSSP default means "not given"
    if args.policy not in MRT_POLICIES:
        raise InputError(f"--policy {args.policy} is a job-shop policy; MRT takes "
                         + ", ".join(MRT_POLICIES))
    progress = args.progress if args.progress is not None else (not args.quiet and sys.stderr.isatty())
    steps = None if args.steps == 0 and args.time_limit is not None else args.steps
    result = solve(instance, init=init, policy=args.policy, steps=steps,
                   time_limit=args.time_limit, seed=args.seed, progress=progress,
                   model=args.model, samples=args.samples, decoding=args.decoding)
    if args.out:
        write_atomic(args.out, json.dumps(result.to_dict(), indent=1) + "\n")
    if not args.quiet:
        if args.out:
            print(f"wrote schedule: {args.out}\n")
        rows = [("instance", instance.name), ("jobs / resources", f"{instance.n_jobs} / {instance.resources}"),
                ("initial (" + init + ")", f"{result.init_cost:.4f}"),
                ("policy", args.policy), ("steps", result.steps),
                ("average slowdown", f"{result.cost:.4f}"), ("runtime s", f"{result.runtime_s:.2f}"),
                ("status", result.status)]
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
    from .mrt.solve import solve

    return solve(instance, init="ejf", steps=steps, policy=policy, model=model, seed=0).solution.starts
