"""The flexible shop's learned rewriter against tabu search, greedy descent and the random walk at
the same number of steps, from the same mwkr-eet schedule, side by side in one run.

    python benchmarks/bench_fjsp_learned.py --model runs/fjsp_imitation_30m/best.pt \\
        --instances mk01-10,prod_100x50_s0 --steps 200 --out benchmarks/results/fjsp_learned.md

Each cell reports the makespan after STEPS steps and the wall time; every schedule has passed the
validator (``rewriter.fjsp.solve`` checks it before returning).
"""

from __future__ import annotations

import argparse
import time

from rewriter.atomic import write_atomic
from rewriter.fjsp.bundled import expand_instance_names, load_instance
from rewriter.fjsp.solve import solve

POLICIES = ("learned", "tabu", "greedy", "random")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a model.pt trained with --problem fjsp")
    parser.add_argument("--instances", default="mk01-10,prod_100x50_s0")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args()
    header = "| instance | start | " + " | ".join(f"{p} | {p} s" for p in POLICIES) + " |"
    lines = [header, "|" + "---|" * (2 + 2 * len(POLICIES))]
    totals = {p: [] for p in POLICIES}
    for name in expand_instance_names(args.instances):
        inst = load_instance(name)
        cells = []
        start = None
        for policy in POLICIES:
            t0 = time.perf_counter()
            r = solve(inst, policy=policy, steps=args.steps, seed=args.seed,
                      model=args.model if policy == "learned" else None)
            start = r.init_cost
            totals[policy].append(r.makespan / start)
            cells += [str(r.makespan), f"{time.perf_counter() - t0:.1f}"]
        lines.append(f"| {name} | {start} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    mean = {p: sum(v) / len(v) for p, v in totals.items()}
    lines.append("| mean makespan / start | | " + " | ".join(f"{mean[p]:.4f} | " for p in POLICIES) + "|")
    command = (f"python benchmarks/bench_fjsp_learned.py --model {args.model} --instances "
               f"{args.instances} --steps {args.steps} --seed {args.seed}"
               + (f" --out {args.out}" if args.out else ""))
    text = f"`{command}`\n\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
