"""The crew problem's learned rewriter against the crew search's greedy descent and tabu search,
at the same number of steps and at the same wall time, from the same insertion routes, paired
on the same instances (issue 38, method 3).

    python benchmarks/bench_crew_rewriter.py --sizes crew_u10x4,crew_u50x8,crew_u200x30 \\
        --seeds 0-4 --steps 500,2000 --results benchmarks/results/crew_rewriter.jsonl \\
        --out benchmarks/results/crew_rewriter.md

Per instance (each of ``--sizes`` with each of ``--seeds``) and step budget S:

* ``learned:S``: ``--policy learned`` (the shipped model, or ``--model``), S relocations from the
  insertion routes, argmax decoding;
* ``tabu:S`` and ``greedy:S``: the crew search (rewriter.crew.search: relocate, swap, 2-opt and
  or-opt, with its sweep) for S steps (greedy stops earlier at a local optimum);
* ``descent:S``: best-improvement descent over the learned policy's own candidates (the same
  relocations, rewriter.core.rewrite_search.Descent): what the policy's moves give a greedy rule;
* ``tabu@learned:S`` and ``greedy@learned:S``: tabu search and greedy descent given the wall time
  the learned run took (the per-second comparison).

Then the rule alone (``insertion``) and, for instances of at most 12 orders, CP-SAT for 10 s
(``cpsat``: the proven optimum where its status is optimal). Every run is one call in this
process after a warm-up of each method (numba kernels and the model loaded before any clock);
every schedule is validated by the solve that returns it. Rows go to ``--results`` (JSON lines)
as they finish, a rerun skips the rows it has. ``--out`` gets per size and budget the mean cost
of each method and its paired difference to the learned run (mean +- standard error over
instances), the mean steps and seconds. The machine's load average is recorded with each row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_industrial import (append_row, fmt_mean_se, mean_se, parse_seeds,  # noqa: E402
                              read_rows)

from rewriter import registry  # noqa: E402
from rewriter.atomic import write_atomic  # noqa: E402

EXACT_UP_TO = 12  # orders: CP-SAT proves these optimal in seconds (docs/crew.md)
SEARCHES = ("learned", "tabu", "greedy", "descent", "tabu@learned", "greedy@learned")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="crew_u50x8,crew_u200x30",
                   help="comma-separated generated sizes (crew_u200x30)")
    p.add_argument("--seeds", default="0-4", help="instance seeds, e.g. 0-4")
    p.add_argument("--steps", default="500,2000", help="step budgets, comma separated")
    p.add_argument("--run-seed", type=int, default=0, help="the searches' seed")
    p.add_argument("--model", help="the crew rewriter's model.pt (default: the shipped one)")
    p.add_argument("--results", type=Path, default=Path("/tmp/bench_crew_rewriter.jsonl"))
    p.add_argument("--out", type=Path, help="the Markdown report")
    p.add_argument("--table-only", action="store_true", help="write --out from --results only")
    return p.parse_args(argv)


# ---- runs --------------------------------------------------------------------------------------
def run(method: str, instance, budget: int, args, seconds: float | None = None) -> dict:
    """One run of ``method`` (a name of SEARCHES, ``insertion`` or ``cpsat``) -> its row."""
    spec = registry.get("crew")
    common = dict(init="insertion", seed=args.run_seed)
    if method == "learned":
        result = spec.run(instance, policy="learned", steps=budget, model=args.model, **common)
    elif method in ("tabu", "greedy"):
        result = spec.run(instance, policy=method, steps=budget, **common)
    elif method.endswith("@learned"):
        result = spec.run(instance, policy=method.split("@")[0], steps=None,
                          time_limit=max(seconds, 1e-3), **common)
    elif method == "descent":
        return _descent(instance, budget)
    elif method == "insertion":
        result = spec.run(instance, policy="none", steps=0, **common)
    else:  # cpsat
        result = spec.run(instance, policy="none", method="cpsat", time_limit=10.0, **common)
    return {"cost": result.values["cost"], "steps": result.steps,
            "seconds": round(result.runtime_s, 4), "status": result.status}


def _descent(instance, budget: int) -> dict:
    """Best-improvement descent over the learned policy's candidates (the same relocations)."""
    from rewriter.core.rewrite_search import descent_search
    from rewriter.crew.rewrite import CrewRewriteProblem
    from rewriter.crew.validate import check_crew_schedule

    t0 = time.perf_counter()
    state = CrewRewriteProblem().initial_state(instance, "insertion")
    outcome = descent_search(state, budget, started=t0)
    best = outcome.best.schedule()
    check_crew_schedule(instance, best.routes)
    return {"cost": round(best.objective, 9), "steps": outcome.steps,
            "seconds": round(outcome.runtime_s, 4), "status": outcome.status}


def warm_up(args) -> None:
    """Every method once on a small instance: kernels compiled, the model loaded."""
    instance = registry.get("crew").load_instance("crew_u20x4_s99")
    for method in SEARCHES + ("insertion",):
        run(method, instance, 20, args, seconds=0.05)


def plan(args) -> list[tuple[str, int, str, int]]:
    jobs = []
    for size in filter(None, (s.strip() for s in args.sizes.split(","))):
        for seed in parse_seeds(args.seeds):
            name = f"{size}_s{seed}"
            jobs.append((name, 0, "insertion", seed))
            if int(size.split("x")[0][len("crew_u"):]) <= EXACT_UP_TO:
                jobs.append((name, 0, "cpsat", seed))
            for budget in (int(b) for b in args.steps.split(",")):
                jobs += [(name, budget, method, seed) for method in SEARCHES]
    return jobs


def run_all(args) -> None:
    done = {(r["instance"], r["budget"], r["method"]) for r in read_rows(args.results)}
    todo = [job for job in plan(args) if job[:3] not in done]
    if not todo:
        return
    warm_up(args)
    learned_seconds = {(r["instance"], r["budget"]): r["seconds"]
                       for r in read_rows(args.results) if r["method"] == "learned"}
    for k, (name, budget, method, seed) in enumerate(todo, 1):
        instance = registry.get("crew").load_instance(name)
        row = run(method, instance, budget, args, learned_seconds.get((name, budget)))
        if method == "learned":
            learned_seconds[(name, budget)] = row["seconds"]
        row = {"instance": name, "size": name.rsplit("_s", 1)[0], "seed": seed, "budget": budget,
               "method": method, **row, "load": round(os.getloadavg()[0], 2),
               "model": args.model or "shipped"}
        append_row(args.results, row)
        print(f"[{k}/{len(todo)}] {name} {method}:{budget} cost {row['cost']:.4f} "
              f"steps {row['steps']} {row['seconds']:.2f}s", flush=True)


# ---- report ------------------------------------------------------------------------------------
def report(rows: list[dict]) -> str:
    lines = ["# The crew rewriter against greedy descent and tabu search", "",
             "Generated by `benchmarks/bench_crew_rewriter.py` (its docstring says what each "
             "method is). Mean over instances +- standard error; *vs learned*: the paired "
             "difference method - learned (negative: the method is better). Same insertion start "
             "for every method; one process, runs one after the other.", ""]
    loads = [r["load"] for r in rows if "load" in r]
    if loads:
        lines += [f"Load average (1 min) during the runs: {min(loads):.2f} to {max(loads):.2f} "
                  f"on 2 cores (a shared machine).", ""]
    sizes = list(dict.fromkeys(r["size"] for r in rows))
    for size in sizes:
        mine = [r for r in rows if r["size"] == size]
        by = {(r["instance"], r["budget"], r["method"]): r for r in mine}
        instances = sorted({r["instance"] for r in mine})
        lines += [f"## {size} ({len(instances)} instances)", ""]
        single = [m for m in ("insertion", "cpsat") if any(r["method"] == m for r in mine)]
        for method in single:
            costs = [by[(i, 0, method)]["cost"] for i in instances if (i, 0, method) in by]
            optimal = sum(by[(i, 0, method)]["status"] == "optimal" for i in instances
                          if (i, 0, method) in by)
            extra = f", {optimal} of {len(costs)} proven optimal" if method == "cpsat" else ""
            lines.append(f"- {method}: {fmt_mean_se(*mean_se(costs), 3)}{extra}")
        lines.append("")
        budgets = sorted({r["budget"] for r in mine if r["budget"]})
        lines += ["| steps | method | cost | vs learned | vs cpsat (%) | steps done | seconds |",
                  "|---|---|---|---|---|---|---|"]
        for budget in budgets:
            for method in SEARCHES:
                keys = [i for i in instances if (i, budget, method) in by]
                if not keys:
                    continue
                cost = [by[(i, budget, method)]["cost"] for i in keys]
                diff = [by[(i, budget, method)]["cost"] - by[(i, budget, "learned")]["cost"]
                        for i in keys if (i, budget, "learned") in by]
                gap = [100 * (by[(i, budget, method)]["cost"] / by[(i, 0, "cpsat")]["cost"] - 1)
                       for i in keys if (i, 0, "cpsat") in by]
                steps = statistics.fmean(by[(i, budget, method)]["steps"] for i in keys)
                secs = statistics.fmean(by[(i, budget, method)]["seconds"] for i in keys)
                vs = "-" if method == "learned" else fmt_mean_se(*mean_se(diff), 3)
                lines.append(f"| {budget} | {method} | {fmt_mean_se(*mean_se(cost), 3)} | {vs} "
                             f"| {fmt_mean_se(*mean_se(gap), 2) if gap else '-'} | {steps:.0f} "
                             f"| {secs:.2f} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.table_only:
        run_all(args)
    if args.out:
        write_atomic(args.out, report(read_rows(args.results)))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
