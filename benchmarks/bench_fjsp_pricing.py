"""The flexible shop's tabu search with every move priced exactly (``pricing=exact``, the search
before issue 36) and with moves priced from the current heads and tails, only a shortlist
evaluated exactly (``pricing=estimate``, rewriter/fjsp/pricing.py), at equal wall time:

    python benchmarks/bench_fjsp_pricing.py --instances tight_411x149_s0,tight_500x149_s0,tight_1000x200_s0 \\
        --objective tardiness --seconds 60 --seeds 0 --out benchmarks/results/fjsp_pricing_tight.md

Tardiness runs start from EDD (``edd-eet``), makespan runs from ``mwkr-eet``. Each cell is run in
this process one at a time (after an untimed warm-up that compiles the kernels) and appended to
``<out>.jsonl``: a rerun skips the cells already there. Every schedule passes the validator
(``rewriter.fjsp.solve`` checks it before returning).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rewriter.fjsp.bundled import load_instance
from rewriter.fjsp.search import FlexibleTabuSettings
from rewriter.fjsp.solve import solve

INIT = {"tardiness": "edd-eet", "makespan": "mwkr-eet"}


def measure(name: str, objective: str, pricing: str, seconds: float, seed: int) -> dict:
    inst = load_instance(name)
    r = solve(inst, init=INIT[objective], policy="tabu", steps=None, time_limit=seconds,
              objective=objective, seed=seed, tabu=FlexibleTabuSettings(pricing=pricing))
    return {"instance": name, "objective": objective, "pricing": pricing, "seed": seed,
            "seconds": seconds, "start": r.init_cost, "best": r.cost, "steps": r.steps,
            "steps_per_s": round(r.steps / max(r.runtime_s, 1e-9), 1),
            "below_start_pct": round(100 * (r.init_cost - r.cost) / r.init_cost, 2) if r.init_cost else 0.0}


def warm_up(objective: str) -> None:
    inst = load_instance("tight_30x10_s0")
    for pricing in ("exact", "estimate"):
        solve(inst, init=INIT[objective], policy="tabu", steps=3, objective=objective,
              tabu=FlexibleTabuSettings(pricing=pricing))


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="tight_411x149_s0,tight_500x149_s0,tight_1000x200_s0")
    parser.add_argument("--objective", default="tardiness", choices=sorted(INIT))
    parser.add_argument("--pricings", default="exact,estimate")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--out", required=True, help="markdown table; cells kept in <out>.jsonl")
    args = parser.parse_args()
    cells = Path(args.out + ".jsonl")
    done = [json.loads(line) for line in cells.read_text().splitlines()] if cells.exists() else []
    key = lambda r: (r["instance"], r["objective"], r["pricing"], r["seed"], r["seconds"])  # noqa: E731
    have = {key(r) for r in done}
    warm_up(args.objective)
    for name in args.instances.split(","):
        for seed in map(int, args.seeds.split(",")):
            for pricing in args.pricings.split(","):
                if (name, args.objective, pricing, seed, args.seconds) in have:
                    continue
                row = measure(name, args.objective, pricing, args.seconds, seed)
                print(row, flush=True)
                with cells.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                done.append(row)
    command = (f"python benchmarks/bench_fjsp_pricing.py --instances {args.instances} --objective "
               f"{args.objective} --pricings {args.pricings} --seconds {args.seconds:g} --seeds "
               f"{args.seeds} --out {args.out}")
    from rewriter.atomic import write_atomic

    write_atomic(args.out, f"`{command}`\n\n{table(done)}")
    print(table(done))


if __name__ == "__main__":
    main()
