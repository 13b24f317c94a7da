"""Flexible shop at production scale: tabu search vs the best dispatching rule vs CP-SAT.

For each generated instance: every one of the 18 dispatching rules (the best is reported), tabu
search for S seconds from the mwkr-eet schedule, and OR-Tools CP-SAT for S seconds (2 threads),
once on its own and once hinted with the mwkr-eet schedule; the instance's lower bounds (the
trivial one and the eligibility load bound, a linear program) put the gains in scale. Each timed method runs in its own process, which reports its peak resident memory (ru_maxrss,
including the instance and the Python/numba/OR-Tools runtime). Cells run one at a time.

    python benchmarks/bench_fjsp_tabu.py --instances prod_411x149_s0,prod_500x149_s0,prod_1000x200_s0 \\
        --seconds 60 --out benchmarks/results/fjsp_tabu_prod.md

(The Brandimarte and Behnke-Geiger comparisons run through ``rewriter compare``; the commands
are in benchmarks/results/fjsp_tabu.md.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def load_lower_bound(inst) -> dict:
    """The instance's trivial bound (a job's release plus its shortest work; the shortest work
    spread over all machines) and the eligibility load bound: the least C such that a fractional
    assignment of every operation to its eligible machines, at their durations, loads no machine
    above C (a linear program, OR-Tools GLOP)."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    cap = solver.NumVar(0, solver.infinity(), "C")
    load = [[] for _ in range(inst.n_machines)]
    for o in range(inst.n_operations):
        shares = []
        for e in range(inst.elig_start[o], inst.elig_start[o + 1]):
            x = solver.NumVar(0, 1, "")
            shares.append(x)
            load[inst.elig_machine[e]].append(int(inst.elig_duration[e]) * x)
        solver.Add(solver.Sum(shares) == 1)
    for terms in load:
        if terms:
            solver.Add(solver.Sum(terms) <= cap)
    solver.Minimize(cap)
    solver.Solve()
    return {"trivial_bound": inst.trivial_lower_bound(), "load_bound": round(cap.solution_value(), 1)}


def one(instance: str, method: str, seconds: float) -> dict:
    import resource
    import time

    from rewriter.fjsp.bundled import load_instance
    from rewriter.fjsp.dispatching import RULES
    from rewriter.fjsp.solve import solve

    inst = load_instance(instance)
    t0 = time.perf_counter()
    if method == "rules":
        results = {rule: solve(inst, init=rule, policy="none").makespan for rule in RULES}
        rule = min(results, key=results.get)
        out = {"makespan": results[rule], "rule": rule, **load_lower_bound(inst)}
    elif method == "tabu":
        solve(inst, steps=1)  # load the compiled kernels outside the timed run
        t0 = time.perf_counter()
        r = solve(inst, policy="tabu", steps=None, time_limit=seconds, seed=0)
        out = {"makespan": r.makespan, "init": r.init_cost, "steps": r.steps, "restarts": r.restarts}
    else:
        from rewriter.errors import InputError

        try:
            r = solve(inst, method="cpsat", time_limit=seconds, workers=2, seed=0,
                      warm_start=method == "cpsat_warm")  # hinted with the mwkr-eet schedule
            out = {"makespan": r.makespan, "status": r.info.get("cpsat_status"),
                   "lower_bound": r.info.get("lower_bound")}
        except InputError:  # CP-SAT found no schedule within the time limit
            out = {"makespan": None, "status": f"no schedule in {seconds:g} s"}
    out.update(instance=instance, method=method, seconds=round(time.perf_counter() - t0, 1),
               peak_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               n_jobs=inst.n_jobs, n_machines=inst.n_machines, n_operations=inst.n_operations)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="prod_411x149_s0,prod_500x149_s0,prod_1000x200_s0")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--out")
    ap.add_argument("--one", nargs=2, metavar=("INSTANCE", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.seconds)))
        return
    rows = []
    for name in args.instances.split(","):
        cells = {}
        for method in ("rules", "tabu", "cpsat", "cpsat_warm"):
            proc = subprocess.run([sys.executable, __file__, "--one", name, method, "--seconds",
                                   str(args.seconds)], capture_output=True, text=True)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                cells[method] = {"makespan": None, "peak_mib": None, "seconds": None}
            else:
                cells[method] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(json.dumps(cells[method]), flush=True)
        rows.append((name, cells))
    out = f" --out {args.out}" if args.out else ""
    lines = [f"Command: `python benchmarks/bench_fjsp_tabu.py --instances {args.instances} "
             f"--seconds {args.seconds:g}{out}` (one cell at a time)", "",
             f"| instance | ops | lower bound (trivial / load LP) | best rule | rule makespan | "
             f"tabu {args.seconds:g} s | tabu vs rule | tabu steps | tabu peak MiB | "
             f"CP-SAT {args.seconds:g} s (2 thr) | CP-SAT status | CP-SAT peak MiB | "
             f"CP-SAT {args.seconds:g} s from mwkr-eet | its status |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in rows:
        rule, tabu, cp, warm = c["rules"], c["tabu"], c["cpsat"], c["cpsat_warm"]
        gain = (f"{100 * (rule['makespan'] - tabu['makespan']) / rule['makespan']:.2f}% better"
                if rule["makespan"] and tabu["makespan"] else "-")
        bound = f"{rule.get('trivial_bound', '-')} / {rule.get('load_bound', '-')}"
        lines.append(f"| {name} | {tabu.get('n_operations', '-')} | {bound} | {rule.get('rule', '-')} | "
                     f"{rule['makespan']} | {tabu['makespan']} | {gain} | {tabu.get('steps', '-')} | "
                     f"{tabu['peak_mib']} | {cp['makespan']} | {cp.get('status', '-')} | {cp['peak_mib']} | "
                     f"{warm['makespan']} | {warm.get('status', '-')} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        from rewriter.atomic import write_atomic

        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
