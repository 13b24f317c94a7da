"""Learned control of tabu search against plain tabu and its ablations, in one run.

    python benchmarks/bench_control.py --instances ta41-50 --moves 500000 --seeds 0 \
        --model runs/control_v1/model.pt --out benchmarks/results/control_ta41-50.md

Every method starts from the same MWKR schedule with the same seeds and gets the same budget:
each ``--moves`` budget (tabu moves; deterministic, so a busy machine does not change the
result) and each ``--seconds`` budget (equal wall time; needs a quiet machine). Methods: plain
tabu (``--policy tabu``), the controlled search (``--policy controlled``) with the hand-made
rule, random decisions and, with ``--model``, the learned controller; and ``tabu-low``, plain tabu
with the controller's "tenure-low" setting throughout (is a learned gain only a lower tenure?). The tables: the mean gap
(%) to the bundled best-known upper bound per class and budget, and the paired difference of each
controlled method against plain tabu per (instance, seed): mean and standard deviation.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from rewriter.atomic import write_atomic
from rewriter.jssp.bundled import expand_instance_names, load_instance
from rewriter.control.search import TENURE_SCALES, tenure_range
from rewriter.jssp.solve import TabuSettings, solve
from rewriter.jssp.spec import group

METHODS = ("tabu", "hand", "random", "learned", "tabu-low")


def run_one(name: str, method: str, budget: tuple[str, float], seed: int, model: str | None):
    unit, amount = budget
    limits = {"steps": int(amount)} if unit == "moves" else {"steps": None, "time_limit": amount}
    control = {} if method.startswith("tabu") else {"policy": "controlled", "controller": method,
                                                    "model": model}
    if method == "tabu-low":
        control["tabu"] = low_tenure(load_instance(name))
    r = solve(load_instance(name), init="mwkr", seed=seed, **{"policy": "tabu", **control},
              **limits)
    return {"instance": name, "class": group(r.instance), "method": method,
            "budget": f"{amount:g} {unit}", "seed": seed, "gap": r.gap_percent,
            "makespan": r.makespan, "moves": r.steps, "restarts": r.restarts,
            "seconds": round(r.runtime_s, 2)}


def low_tenure(instance) -> TabuSettings:
    """Tabu settings with the tenure range the controller's "tenure-low" action sets."""
    low, high, _, _ = TabuSettings().resolved(instance)
    low, high = tenure_range(low, high, TENURE_SCALES.index(min(TENURE_SCALES)))
    return TabuSettings(tenure_min=low, tenure_max=high)


def tables(rows: list[dict], methods: list[str]) -> str:
    budgets = list(dict.fromkeys(r["budget"] for r in rows))
    classes = list(dict.fromkeys(r["class"] for r in rows))
    out = ["## Mean gap (%) to the best-known upper bound", "",
           "| class | budget | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for cls in classes:
        for budget in budgets:
            cells = [statistics.mean(r["gap"] for r in rows if r["class"] == cls
                                     and r["budget"] == budget and r["method"] == m)
                     for m in methods]
            out.append(f"| {cls} | {budget} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    out += ["", "## Paired difference against plain tabu (gap points; negative: better than tabu)",
            "", "| budget | method | mean | sd | wins / ties / losses |", "|---|---|---|---|---|"]
    key = lambda r: (r["instance"], r["seed"], r["budget"])  # noqa: E731
    tabu = {key(r): r["gap"] for r in rows if r["method"] == "tabu"}
    for budget in budgets:
        for m in methods[1:]:
            d = [r["gap"] - tabu[key(r)] for r in rows if r["method"] == m and r["budget"] == budget]
            sd = statistics.stdev(d) if len(d) > 1 else 0.0
            tally = f"{sum(x < 0 for x in d)} / {sum(x == 0 for x in d)} / {sum(x > 0 for x in d)}"
            out.append(f"| {budget} | {m} | {statistics.mean(d):+.2f} | {sd:.2f} | {tally} |")
    out += ["", "## Every run", "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(str(v) for v in r.values()) + " |" for r in rows]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--instances", default="ta41-50")
    p.add_argument("--moves", default="500000", help="comma-separated move budgets ('' for none)")
    p.add_argument("--seconds", default="", help="comma-separated time budgets (quiet machine)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--model", help="controller model for the learned method (omitted without)")
    p.add_argument("--methods", default="tabu,hand,random,learned",
                   help="comma-separated, tabu first: " + ", ".join(METHODS))
    p.add_argument("--out", help="write the tables (markdown) here, atomically")
    args = p.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m != "learned" or args.model]
    if methods[0] != "tabu" or not set(methods) <= set(METHODS):
        p.error(f"--methods: tabu first, then any of {', '.join(METHODS)}")
    budgets = [("moves", float(x)) for x in args.moves.split(",") if x]
    budgets += [("seconds", float(x)) for x in args.seconds.split(",") if x]
    rows = []
    for budget in budgets:
        for name in expand_instance_names(args.instances):
            for seed in map(int, args.seeds.split(",")):
                for method in methods:
                    rows.append(run_one(name, method, budget, seed, args.model))
                    print(rows[-1], flush=True)
    text = f"Command: `python benchmarks/bench_control.py {' '.join(argv or __import__('sys').argv[1:])}`\n\n"
    text += tables(rows, methods)
    print(text)
    if args.out:
        write_atomic(Path(args.out), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
