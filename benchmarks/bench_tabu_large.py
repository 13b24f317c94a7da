"""Tabu search on a very large random job shop: peak memory and moves/s.

    python benchmarks/bench_tabu_large.py --jobs 2000 --machines 50 --moves n5,n7 --steps n5:2000,n7:5

Each neighbourhood runs in a fresh process (so its peak resident memory is its own): a random
instance (``rewriter.jssp.generate.random_instance``, seed ``--instance-seed``), the MWKR start,
then ``--steps`` tabu iterations from that start with the default settings. Prints one markdown row
per neighbourhood: peak resident memory (``resource.getrusage`` maxrss) of the whole process
(Python, NumPy, numba and the instance included), the time of the start and of the solve, moves/s
of the search (the solve's fixed cost, measured by a 0-step solve, taken off), and the makespans.
An ``n_ops x n_ops`` tabu matrix, as kept before the tabu memory became a hash table, would need
``8 n_ops^2`` bytes (74.5 GiB at 2000 x 50).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time


def run_one(n_jobs: int, n_machines: int, moves: str, steps: int, instance_seed: int, seed: int) -> dict:
    import resource

    from rewriter.jssp.bundled import load_instance
    from rewriter.jssp.generate import random_instance
    from rewriter.jssp.solve import initial_solution, solve

    solve(load_instance("ft06"), policy="tabu", moves=moves, steps=2, seed=seed)  # load the kernels
    inst = random_instance(n_jobs, n_machines, seed=instance_seed)
    tic = time.perf_counter()
    start = initial_solution(inst, "mwkr")
    init_s = time.perf_counter() - tic
    tic = time.perf_counter()  # what a solve costs besides its steps (copy, final validation)
    solve(inst, policy="tabu", moves=moves, steps=0, seed=seed, start=start)
    fixed_s = time.perf_counter() - tic
    tic = time.perf_counter()
    r = solve(inst, policy="tabu", moves=moves, steps=steps, seed=seed, start=start)
    search_s = time.perf_counter() - tic
    steps_s = max(search_s - fixed_s, 1e-9)
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"instance": inst.name, "size": f"{n_jobs}x{n_machines}", "moves": moves,
            "ops": inst.n_operations, "steps": r.steps, "init_makespan": r.init_makespan,
            "makespan": r.makespan, "init_s": round(init_s, 2), "solve_s": round(search_s, 2),
            "fixed_s": round(fixed_s, 2), "moves_per_s": round(r.steps / steps_s, 1),
            "peak_rss_mib": round(maxrss_kib / 1024), "status": r.status,
            "n2_matrix_gib": round(8 * inst.n_operations ** 2 / 2**30, 1)}


def _steps(spec: str, kinds: list[str]) -> dict[str, int]:
    out = {}
    for part in spec.split(","):
        kind, _, value = part.rpartition(":")
        for k in ([kind] if kind else kinds):
            out[k] = int(value)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--moves", default="n5,n7", help="neighbourhoods, one process each")
    parser.add_argument("--steps", default="n5:2000,n7:5",
                        help="tabu iterations, per neighbourhood as KIND:N or one N for all "
                             "(N7 rates every insertion exactly: ~10 s a step at 2000x50)")
    parser.add_argument("--instance-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0, help="seed of the search")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one neighbourhood
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.moves.split(",") if k.strip()]
    steps = _steps(args.steps, kinds)
    if args.one:
        row = run_one(args.jobs, args.machines, args.one, steps[args.one], args.instance_seed,
                      args.seed)
        print(json.dumps(row))
        return 0
    print("command: python benchmarks/bench_tabu_large.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    rows = []
    for kind in kinds:
        cmd = [sys.executable, __file__, "--one", kind] + (sys.argv[1:] if argv is None else list(argv))
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            rows.append({"moves": kind, "status": f"failed: {tail}"})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    cols = ["instance", "size", "ops", "moves", "steps", "init_makespan", "makespan", "init_s",
            "solve_s", "fixed_s", "moves_per_s", "peak_rss_mib", "n2_matrix_gib", "status"]
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    print("\ninit_s: the MWKR start; solve_s: the tabu solve from it; fixed_s: the same solve with 0 "
          "steps (copy, final validation); moves_per_s = steps / (solve_s - fixed_s); "
          "peak_rss_mib: the whole process (interpreter, NumPy, numba, instance, search); "
          "n2_matrix_gib: what an n_ops x n_ops tabu matrix alone would take")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
