"""Tabu search quality and speed on Taillard instances, against the best-known upper bounds.

    python benchmarks/bench_tabu.py --instances ta41-50 --time-limit 60 --workers 2 --seed 0

Prints one row per instance (MWKR start, tabu result, gap to the best-known upper bound,
iterations, moves/s) and the mean gap, as a markdown table; ``--out FILE.csv`` also saves it.
Targets (issue 2): at least 10k tabu moves/s on 50x20 (``--speed-instance``, default ta61) and a
mean gap of at most 4% on ta41-50 with 60 s per instance.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
from concurrent.futures import ProcessPoolExecutor

from rewriter.jssp.bundled import expand_instance_names, load_instance
from rewriter.jssp.solve import solve


def run_one(args: tuple[str, float, int]) -> dict:
    name, time_limit, seed = args
    inst = load_instance(name)
    r = solve(inst, init="mwkr", policy="tabu", steps=None, time_limit=time_limit, seed=seed)
    return {"instance": name, "size": f"{inst.n_jobs}x{inst.n_machines}",
            "upper_bound": inst.upper_bound, "init_makespan": r.init_makespan,
            "makespan": r.makespan, "gap_percent": r.gap_percent, "iterations": r.steps,
            "moves_per_s": round(r.steps / r.runtime_s), "restarts": r.restarts,
            "runtime_s": round(r.runtime_s, 1), "status": r.status}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", default="ta41-50", help="instance spec (default ta41-50)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1)),
                        help="instances solved in parallel, one core each (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-instance", default="ta61",
                        help="instance for the single-process moves/s figure ('' to skip)")
    parser.add_argument("--out", help="also write the per-instance table as CSV")
    args = parser.parse_args(argv)

    if args.speed_instance:
        row = run_one((args.speed_instance, 5.0, args.seed))
        print(f"speed: {row['moves_per_s']:,} tabu moves/s on {args.speed_instance} ({row['size']}),"
              f" one process, 5 s (target >= 10,000)\n")
    names = expand_instance_names(args.instances)
    jobs = [(n, args.time_limit, args.seed) for n in names]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(run_one, jobs))
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in cols) + " |")
    gaps = [r["gap_percent"] for r in rows if r["gap_percent"] is not None]
    if gaps:
        print(f"\nmean gap to best-known UB: {statistics.mean(gaps):.2f}% over {len(gaps)} instances "
              f"({args.time_limit:g} s each, {args.workers} parallel, seed {args.seed})")
    if args.out:
        with open(args.out, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
