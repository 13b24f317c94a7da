"""Speed of the graph kernels against networkx, measured in the same run.

    python benchmarks/bench_kernels.py [--instances ta61,ta41,ta71] [--seconds 1.0]

For every instance it times, on the MWKR schedule:
- full makespan evaluation (heads by longest path) inside a numba loop, and from Python;
- networkx ``dag_longest_path_length`` on a prebuilt graph with a source and a sink;
- one local-search step's graph work: heads + tails, critical path, N5 moves and their estimates;
- after a swap, the two ways to make heads and tails exact again: a full re-evaluation (what the
  searches did before) and the incremental update tabu search makes (``swap_update``), each timed
  on every acyclic N5 swap of the schedule, made and undone;
and prints a markdown table with the speed-up ratios. Targets (issue 2): a 50x20 evaluation in at
most 5 us (200k evaluations/s on one core) and at least 300x faster than networkx.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
from numba import njit

from rewriter.jssp import kernels as K
from rewriter.jssp.bundled import load_instance
from rewriter.jssp.solve import initial_solution


@njit(cache=True)
def _eval_loop(reps, duration, job_pred, job_succ, mach_pred, mach_succ, heads, topo, indegree):
    total = 0
    for _ in range(reps):
        total += K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                                      topo, indegree)
    return total


@njit(cache=True)
def _step_loop(reps, duration, job_pred, job_succ, mach_pred, mach_succ, heads, tails, topo,
               indegree, path, blocks, moves):
    total = 0
    for _ in range(reps):
        mk = K.heads_and_makespan(duration, job_pred, job_succ, mach_pred, mach_succ, heads,
                                  topo, indegree)
        K.tails_from_topo(duration, job_succ, mach_succ, topo, tails)
        length = K.critical_path(duration, job_pred, mach_pred, heads, mk, path)
        k = K.n5_moves(path, length, mach_succ, job_succ, blocks, moves)
        for i in range(k):
            total += K.swap_estimate(moves[i, 0], moves[i, 1], duration, job_pred, job_succ,
                                     mach_pred, mach_succ, heads, tails)
    return total


@njit(cache=True)
def _swap_loop(reps, incremental, pairs, order, position, duration, job_pred, job_succ, mach_pred,
               mach_succ, heads, tails, topo, topo_pos, indegree, stack, seen):
    """Make and undo each swap of ``pairs`` ``reps`` times, refreshing heads and tails after
    each flip by the incremental update or by a full evaluation."""
    total = 0
    for _ in range(reps):
        for i in range(pairs.shape[0]):
            for u, v in ((pairs[i, 0], pairs[i, 1]), (pairs[i, 1], pairs[i, 0])):
                K.flip_arc(u, v, order, position, mach_pred, mach_succ)
                if incremental:
                    total += K.swap_update_stretch(u, v, duration, job_pred, job_succ,
                                                   mach_pred, mach_succ, heads, tails, topo,
                                                   topo_pos, stack, seen)
                else:
                    total += K.heads_and_makespan(duration, job_pred, job_succ, mach_pred,
                                                  mach_succ, heads, topo, indegree)
                    K.tails_from_topo(duration, job_succ, mach_succ, topo, tails)
    return total


def _swap_update_us(inst, sol, seconds: float) -> tuple[float, float]:
    """Microseconds per swap: (full re-evaluation, incremental update)."""
    pairs = np.array([(u, v) for u, v in sol.moves("n5")
                      if sol.mach_succ[u] == v and not sol.creates_cycle(u, v)], np.int64)
    topo_pos = np.empty(inst.n_operations, np.int64)
    times = []
    for incremental in (False, True):
        K.topo_positions(sol.topo, topo_pos)
        args = (incremental, pairs, sol.order, sol.position, inst.op_duration, inst.job_pred,
                inst.job_succ, sol.mach_pred, sol.mach_succ, sol.heads, sol.tails, sol.topo,
                topo_pos, sol._indegree, sol._stack, sol._seen)
        _swap_loop(1, *args)
        times.append(_per_call(lambda r: _swap_loop(r, *args), seconds) / (2 * len(pairs)) * 1e6)
    return times[0], times[1]


def _per_call(fn, seconds: float) -> float:
    """Seconds per call: repeat until ``seconds`` have passed, best of three rounds."""
    reps = 1
    while True:
        t = time.perf_counter()
        fn(reps)
        spent = time.perf_counter() - t
        if spent > seconds / 10:
            break
        reps *= 4
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn(reps)
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def _networkx_graph(sol) -> nx.DiGraph:
    inst = sol.instance
    g = nx.DiGraph()
    p = inst.op_duration
    for v in range(inst.n_operations):
        g.add_edge("s", v, weight=0)
        g.add_edge(v, "t", weight=int(p[v]))
        for w in (inst.job_succ[v], sol.mach_succ[v]):
            if w >= 0:
                g.add_edge(v, int(w), weight=int(p[v]))
    return g


def bench_instance(name: str, seconds: float) -> dict:
    inst = load_instance(name)
    sol = initial_solution(inst, "mwkr")
    args = (inst.op_duration, inst.job_pred, inst.job_succ, sol.mach_pred, sol.mach_succ,
            sol.heads, sol.topo, sol._indegree)
    step_args = (inst.op_duration, inst.job_pred, inst.job_succ, sol.mach_pred, sol.mach_succ,
                 sol.heads, sol.tails, sol.topo, sol._indegree, sol._path, sol._blocks, sol._moves)
    _eval_loop(1, *args)
    _step_loop(1, *step_args)
    numba_s = _per_call(lambda r: _eval_loop(r, *args), seconds)
    py_s = _per_call(lambda r: [K.heads_and_makespan(*args) for _ in range(r)], seconds)
    step_s = _per_call(lambda r: _step_loop(r, *step_args), seconds)
    g = _networkx_graph(sol)
    assert nx.dag_longest_path_length(g, weight="weight") == sol.makespan
    nx_s = _per_call(lambda r: [nx.dag_longest_path_length(g, weight="weight") for _ in range(r)],
                     seconds)
    full_us, update_us = _swap_update_us(inst, sol, seconds)
    return {"instance": name, "size": f"{inst.n_jobs}x{inst.n_machines}",
            "eval_us": numba_s * 1e6, "evals_per_s": 1 / numba_s, "python_call_us": py_s * 1e6,
            "networkx_us": nx_s * 1e6, "speedup": nx_s / numba_s, "speedup_python_call": nx_s / py_s,
            "step_us": step_s * 1e6, "swap_full_us": full_us, "swap_update_us": update_us}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", default="ta61,ta41,ta71",
                        help="comma-separated bundled instances (default: ta61 = 50x20, ta41, ta71)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per measurement")
    args = parser.parse_args(argv)
    rows = [bench_instance(n, args.seconds) for n in args.instances.split(",")]
    print("| instance | size | makespan eval (numba loop) | evals/s | eval from Python | networkx "
          "| speed-up vs networkx | (from Python) | search step (heads+tails+path+N5+estimates) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['instance']} | {r['size']} | {r['eval_us']:.2f} us | {r['evals_per_s']:,.0f} "
              f"| {r['python_call_us']:.2f} us | {r['networkx_us']:.0f} us | {r['speedup']:,.0f}x "
              f"| {r['speedup_python_call']:,.0f}x | {r['step_us']:.2f} us |")
    print("\n| instance | size | after a swap: full re-evaluation | incremental update | ratio |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['instance']} | {r['size']} | {r['swap_full_us']:.2f} us | "
              f"{r['swap_update_us']:.2f} us | {r['swap_full_us'] / r['swap_update_us']:.2f}x |")
    for r in rows:
        if r["size"] == "50x20":
            ok = r["eval_us"] <= 5.0 and r["speedup"] >= 300
            print(f"\n50x20 target (<= 5 us, >= 300x networkx): {'met' if ok else 'NOT met'} "
                  f"({r['eval_us']:.2f} us, {r['speedup']:,.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
