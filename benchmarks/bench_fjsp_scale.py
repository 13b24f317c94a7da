"""Flexible shop at production scale: loading, the first schedule, and one makespan evaluation
against networkx, side by side in one run.

For each size (jobs x machines): the time to generate and load the instance (from its name, as
`rewriter solve prod_1000x200_s0` does), to build the mwkr-eet schedule, to evaluate a schedule's
heads and makespan with the numba kernel (median of repeats) and with networkx (longest path over
the same DAG, median of fewer repeats), their ratio, and the peak resident memory of the process.

    python benchmarks/bench_fjsp_scale.py --sizes 100x50,250x100,411x149,500x149,1000x200 \\
        --out benchmarks/results/fjsp_scale.md
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import networkx as nx
import numpy as np

from rewriter.fjsp import kernels as K
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.dispatching import dispatch_schedule


def networkx_makespan(sch) -> int:
    inst = sch.instance
    g = nx.DiGraph()
    for o in range(inst.n_operations):
        g.add_edge("s", o, w=int(sch.op_release[o]))
        g.add_edge(o, "t", w=int(sch.dur[o]))
        if sch.job_succ[o] >= 0:
            g.add_edge(o, int(sch.job_succ[o]), w=int(sch.dur[o]))
        if sch.mach_succ[o] >= 0:
            g.add_edge(o, int(sch.mach_succ[o]), w=int(sch.dur[o]))
    return int(nx.dag_longest_path_length(g, weight="w"))


def measure(size: str, seed: int, repeats: int) -> dict:
    n, m = (int(x) for x in size.split("x"))
    t0 = time.perf_counter()
    inst = load_instance(f"prod_{n}x{m}_s{seed}")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sch = dispatch_schedule(inst, "mwkr-eet")
    dispatch_s = time.perf_counter() - t0
    heads, topo = np.empty_like(sch.heads), np.empty_like(sch.topo)
    args = (sch.job_pred, sch.job_succ, sch.mach_pred, sch.mach_succ, sch.dur, sch.op_release, heads, topo)
    K.heads_and_makespan(*args)  # compiled already; warm the caches
    kernel = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        makespan = K.heads_and_makespan(*args)
        kernel.append(time.perf_counter() - t0)
    slow = []
    for _ in range(max(1, repeats // 20)):
        t0 = time.perf_counter()
        reference = networkx_makespan(sch)
        slow.append(time.perf_counter() - t0)
    assert reference == makespan == sch.makespan
    k, s = statistics.median(kernel), statistics.median(slow)
    return {"size": size, "ops": inst.n_operations, "eligible_pairs": len(inst.elig_machine),
            "load_s": round(load_s, 3), "dispatch_s": round(dispatch_s, 3),
            "load_plus_dispatch_s": round(load_s + dispatch_s, 3), "makespan": makespan,
            "kernel_ms": round(1e3 * k, 3), "networkx_ms": round(1e3 * s, 1),
            "speedup": round(s / k), "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100x50,250x100,411x149,500x149,1000x200")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    args = parser.parse_args()
    rows = [measure(size, args.seed, args.repeats) for size in args.sizes.split(",")]
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        from rewriter.atomic import write_atomic

        command = ("python benchmarks/bench_fjsp_scale.py --sizes " + args.sizes
                   + f" --seed {args.seed} --repeats {args.repeats} --out {args.out}")
        write_atomic(args.out, f"`{command}`\n\n{table}")


if __name__ == "__main__":
    main()
