"""Deadlines at production scale: total weighted tardiness of the EDD schedule, of tabu search
started from it, and of CP-SAT warm-started from it, side by side with the same time budget.

    python benchmarks/bench_fjsp_deadlines.py --instances tight_411x149_s0,tight_500x149_s0,tight_1000x200_s0 \\
        --seconds 60 --out benchmarks/results/fjsp_deadlines_tight.md

Every schedule passes the validator (``rewriter.fjsp.solve`` checks it before returning). CP-SAT
gets two threads and the EDD schedule as a hint; a CP-SAT run that returns no schedule is shown
as such.
"""

from __future__ import annotations

import argparse

from rewriter.errors import InputError
from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.solve import solve


def measure(name: str, seconds: float) -> dict:
    inst = load_instance(name)
    edd = solve(inst, init="edd-eet", policy="none", objective="tardiness")
    tabu = solve(inst, init="edd-eet", policy="tabu", steps=None, time_limit=seconds,
                 objective="tardiness", seed=0)
    try:
        cpsat = solve(inst, init="edd-eet", method="cpsat", time_limit=seconds, workers=2,
                      warm_start=True, objective="tardiness", seed=0)
        cp_value, cp_status = cpsat.cost, cpsat.status
    except InputError:
        cp_value, cp_status = None, "no schedule"
    return {"instance": name, "jobs_with_due": int((inst.due >= 0).sum()),
            "edd_tardiness": edd.cost, "edd_late": edd.values["late_jobs"],
            "tabu_tardiness": tabu.cost, "tabu_late": tabu.values["late_jobs"],
            "tabu_steps": tabu.steps, "cpsat_tardiness": cp_value, "cpsat_status": cp_status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="tight_411x149_s0,tight_500x149_s0,tight_1000x200_s0")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", help="also write the table (markdown, with the command) here")
    args = parser.parse_args()
    rows = [measure(name, args.seconds) for name in args.instances.split(",")]
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join("-" if r[k] is None else str(r[k]) for k in keys) + " |" for r in rows]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        from rewriter.atomic import write_atomic

        command = (f"python benchmarks/bench_fjsp_deadlines.py --instances {args.instances} "
                   f"--seconds {args.seconds:g} --out {args.out}")
        write_atomic(args.out, f"`{command}`\n\n{table}")


if __name__ == "__main__":
    main()
