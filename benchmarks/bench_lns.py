"""Large-neighbourhood rewriting side by side with the rules, tabu search and CP-SAT (issue 33):
the same instances, the same wall time, the same seeds, one fresh process per run, resumable.

    python benchmarks/bench_lns.py --problem fjsp --instances prod_411x149_s0,prod_500x149_s0 \\
        --methods rules,tabu,lns,cpsat-warm --seconds 60 --seeds 0-4 \\
        --results benchmarks/results/lns_prod.jsonl --out benchmarks/results/lns_prod.md
    python benchmarks/bench_lns.py --quick        # one small instance, 2 s: a smoke test

Methods (``--methods``, comma separated):

* ``rules``: every dispatching rule of the problem (the flexible shop's 18, the job shop's 10),
  the best one's cost kept with its name (seed-free: run once per instance);
* ``tabu``: tabu search from ``--init`` (default the problem's default rule; EDD-EET for the
  flexible shop's tardiness objectives) for ``--seconds``;
* ``lns`` / ``lns-SELECTOR``: ``--policy lns`` (``--selector SELECTOR``; default adaptive);
* ``cpsat`` / ``cpsat-warm``: OR-Tools CP-SAT for ``--seconds`` on ``--cpsat-workers`` threads,
  cold or with the default rule's schedule as its hint;
* ``batchesK-METHOD`` (flexible shop): ``--batches K`` with METHOD (``rule``, ``tabu``, ``lns``),
  and ``pass-rule``: the default rule in one pass (the batches' single-pass reference).

``--objective`` (flexible shop): makespan, tardiness or combined. Every run goes through
``rewriter.warmup.solve`` (the CLI's path: kernels prepared before the clock, the result
validated) in its own process; its row (cost, makespan, status, seconds, peak memory, what the
search reports) is appended to ``--results`` at once, and a rerun skips the rows it has.
``--out FILE.md`` gets per group and method the mean cost, the mean gap to the best known upper
bound and the mean difference to the best rule (each +- standard error over instances, seeds
averaged per instance first), and the paired difference of every method to ``--reference``
(default tabu) per instance.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_industrial import append_row, fmt, fmt_mean_se, parse_seeds, read_rows  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--problem", default="fjsp", choices=("jssp", "fjsp"))
    p.add_argument("--instances", help="comma-separated names or ranges (as `rewriter compare`)")
    p.add_argument("--methods", default="rules,tabu,lns")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seeds", default="0", help="e.g. 0-4 or 0,2")
    p.add_argument("--objective", default="makespan", choices=("makespan", "tardiness", "combined"))
    p.add_argument("--init", help="the searches' start rule (default: the problem's, edd-eet for "
                   "the flexible shop's tardiness objectives)")
    p.add_argument("--cpsat-workers", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="CP-SAT threads of each lns sub-solve")
    p.add_argument("--reference", default="tabu", help="the method paired differences are to")
    p.add_argument("--results", type=Path, default=Path("/tmp/bench_lns.jsonl"))
    p.add_argument("--out", type=Path, help="the tables as markdown")
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a run may take before it is killed (default 3 x --seconds + 120)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.problem, args.instances, args.seconds = "fjsp", "mk01", 2.0
        args.methods, args.results = "rules,tabu,lns", Path("/tmp/bench_lns_quick.jsonl")
    return args


# ---- one run, in its own process -----------------------------------------------------------------
def child(job: dict) -> dict:
    from rewriter import registry
    from rewriter.warmup import solve

    spec = registry.get(job["problem"])
    instance = spec.load_instance(job["instance"])
    objective = {"objective": job["objective"]} if job["problem"] == "fjsp" else {}
    method, seconds, seed = job["method"], job["seconds"], job["seed"]
    if method == "rules":
        return _best_rule(spec, instance, objective)
    options = dict(init=job["init"], seed=seed, steps=None, time_limit=seconds, **objective)
    if method == "tabu":
        options.update(policy="tabu")
    elif method.startswith("lns"):
        options.update(policy="lns", workers=job["workers"])
        if "-" in method:
            options["selector"] = method.split("-", 1)[1]
    elif method in ("cpsat", "cpsat-warm"):
        options.update(policy="none", method="cpsat", workers=job["cpsat_workers"],
                       warm_start=method == "cpsat-warm")
    elif method == "pass-rule":
        options.update(policy="none", steps=0, time_limit=None)
    elif method.startswith("batches"):
        count, inner = method[len("batches"):].split("-", 1)
        options.update(batches=int(count))
        if inner == "rule":
            options.update(policy="none", steps=0, time_limit=None)
        else:
            options.update(policy=inner, workers=job["workers"]) if inner == "lns" else \
                options.update(policy=inner)
    else:
        raise SystemExit(f"unknown method {method!r}")
    started = time.perf_counter()
    result = solve(spec, instance, **options)
    wall = time.perf_counter() - started
    return _row(result, wall - getattr(result, "compile_s", 0.0))


def _best_rule(spec, instance, objective: dict) -> dict:
    rules = [r for r in spec.init_rules if r not in spec.added_start_rules and r != "random"
             and not r.startswith("random-")]
    best = None
    for rule in rules:
        result = spec.run(instance, init=rule, policy="none", steps=0, seed=0, **objective)
        if best is None or result.cost < best[0].cost:
            best = (result, rule)
    row = _row(best[0], None)
    row["rule"] = best[1]
    return row


def _row(result, solve_s) -> dict:
    info = {k: v for k, v in result.info.items() if k in ("pickers", "weights", "rewrites",
                                                           "region_size", "subsolve_s",
                                                           "polish_moves", "batches")}
    return {"cost": result.cost, "makespan": result.values.get("makespan"),
            "status": result.status, "runtime_s": round(result.runtime_s, 3),
            "solve_s": None if solve_s is None else round(solve_s, 3), "steps": result.steps,
            "upper_bound": getattr(result.instance, "upper_bound", None),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "info": info}


def run_job(job: dict, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "TIMEOUT"}
    if done.returncode != 0:
        return {"status": "CRASH", "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the plan and the tables ---------------------------------------------------------------------
def plan(args) -> list[dict]:
    from rewriter import registry

    spec = registry.get(args.problem)
    names = spec.expand_instances(args.instances)
    init = args.init or ("edd-eet" if args.problem == "fjsp" and args.objective != "makespan"
                         else spec.default_init)
    jobs = []
    for name in names:
        for method in args.methods.split(","):
            for seed in ([0] if method in ("rules", "pass-rule", "batches3-rule")
                         or method.endswith("-rule") else parse_seeds(args.seeds)):
                jobs.append(dict(problem=args.problem, instance=name, method=method, seed=seed,
                                 init=init,
                                 seconds=args.seconds, objective=args.objective,
                                 workers=args.workers, cpsat_workers=args.cpsat_workers))
    # the methods of one (instance, seed) run one after the other: paired runs see the same load
    order = {name: k for k, name in enumerate(names)}
    return sorted(jobs, key=lambda job: (order[job["instance"]], job["seed"]))


def key(row: dict) -> tuple:
    return (row["problem"], row["instance"], row["method"], row["seed"], row["seconds"],
            row["objective"], row["init"])


def group_of(name: str) -> str:
    """prod_411x149_s0 -> prod, tai_100_100_3(.zip) -> tai_100_100, ta41 -> ta, mk01 -> mk."""
    stem = Path(name).name.split(".")[0]
    if re.fullmatch(r"[a-z]+_\d+x\d+_s\d+", stem):
        return stem.split("_")[0]
    if re.fullmatch(r"tai_\d+_\d+_\d+", stem):
        return stem.rsplit("_", 1)[0]
    return stem.rstrip("0123456789") or stem


def short(name: str) -> str:
    return Path(name).name.split(".")[0]


def per_instance(rows: list[dict], method: str, field) -> dict[str, float]:
    """instance -> mean over seeds of field(row) for ``method``."""
    values: dict[str, list[float]] = {}
    for r in rows:
        if r["method"] == method and r.get("cost") is not None:
            v = field(r)
            if v is not None:
                values.setdefault(r["instance"], []).append(v)
    return {k: statistics.fmean(v) for k, v in values.items()}


def mean_se(values) -> tuple:
    values = list(values)
    if not values:
        return None, None
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return statistics.fmean(values), se


def tables(rows: list[dict], reference: str) -> str:
    out = []
    groups = sorted({group_of(r["instance"]) for r in rows})
    for g in groups:
        grows = [r for r in rows if group_of(r["instance"]) == g]
        methods = list(dict.fromkeys(r["method"] for r in grows))
        rule = per_instance(grows, "rules", lambda r: r["cost"])
        ref = per_instance(grows, reference, lambda r: r["cost"])
        out += [f"### {g} ({len({r['instance'] for r in grows})} instances, objective "
                f"{grows[0]['objective']}, {grows[0]['seconds']:g} s)", "",
                f"| method | runs | mean cost | gap to UB % | vs best rule % | vs {reference} "
                "(paired) % | wall s (max) | peak MiB (max) |", "|---|---|---|---|---|---|---|---|"]
        for m in methods:
            mine = [r for r in grows if r["method"] == m and r.get("cost") is not None]
            failed = sum(1 for r in grows if r["method"] == m and r.get("cost") is None)
            cost = per_instance(grows, m, lambda r: r["cost"])
            gap = per_instance(grows, m, lambda r: 100 * (r["cost"] / r["upper_bound"] - 1)
                               if r.get("upper_bound") and grows[0]["objective"] == "makespan"
                               else None)
            vs_rule = [100 * (cost[i] / rule[i] - 1) for i in cost if rule.get(i)]
            paired = [100 * (cost[i] / ref[i] - 1) for i in cost if ref.get(i)]
            wall = max((r.get("runtime_s") or 0 for r in mine), default=None)
            peak = max((r.get("peak_mib") or 0 for r in mine), default=None)
            out.append(f"| {m}{' (' + str(failed) + ' failed)' if failed else ''} | {len(mine)} "
                       f"| {fmt_mean_se(*mean_se(cost.values()), 1)} "
                       f"| {fmt_mean_se(*mean_se(gap.values()))} "
                       f"| {fmt_mean_se(*mean_se(vs_rule))} "
                       f"| {fmt_mean_se(*mean_se(paired)) if m != reference else '-'} "
                       f"| {fmt(wall)} | {fmt(peak, 0)} |")
        best_rules = sorted({r.get("rule") for r in grows if r["method"] == "rules" and r.get("rule")})
        if best_rules:
            out += ["", f"Best rules: {', '.join(best_rules)}."]
        out += ["", *instance_table(grows, methods), ""]
    return "\n".join(out)


def instance_table(rows: list[dict], methods: list[str]) -> list[str]:
    """Per instance and method: the mean cost +- standard error over seeds (runs)."""
    out = ["| instance | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for name in sorted({r["instance"] for r in rows}):
        cells = []
        for m in methods:
            costs = [r["cost"] for r in rows if r["instance"] == name and r["method"] == m
                     and r.get("cost") is not None]
            mean, se = mean_se(costs)
            cells.append(fmt_mean_se(mean, se, 1) + (f" ({len(costs)})" if len(costs) > 1 else ""))
        out.append(f"| {short(name)} | " + " | ".join(cells) + " |")
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    rows = read_rows(args.results)
    if not args.table_only:
        done = {key(r) for r in rows if r.get("status") not in ("CRASH", "TIMEOUT")}
        jobs = [j for j in plan(args) if key(j) not in done]
        timeout = args.timeout or 3 * args.seconds + 120
        for k, job in enumerate(jobs, 1):
            row = {**job, **run_job(job, timeout)}
            append_row(args.results, row)
            rows.append(row)
            print(f"[{k}/{len(jobs)}] {job['instance']} {job['method']} seed {job['seed']}: "
                  f"{row.get('cost')} ({row.get('status')}, {row.get('runtime_s')} s)", flush=True)
    latest = {key(r): r for r in rows}
    text = tables(list(latest.values()), args.reference)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"<!-- {' '.join(sys.argv)} -->\n\n{text}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
