"""Two hierarchical model files, paired, on production-size validation instances: is a continued
run's model better than the shipped one beyond the noise of picking it?

    python benchmarks/compare_fjsp_hierarchical_models.py rewriter/models/fjsp_hierarchical.pt \\
        runs/fjsp_hierarchical_ft/best.pt --seeds 100,101,102,103 \\
        --seeds-fresh 104,105,106,107,108,109,110,111 \\
        --out benchmarks/results/fjsp_hierarchical_continued.md

Per random ``prod`` instance (validation seeds only, never the evaluation seeds 0-2): both
models' greedy makespans (each schedule checked by the validator) and the best of the 18 rules'.
``--seeds`` are the seeds a run picked its model on (its figure there is optimistic: the best of
many validations), ``--seeds-fresh`` seeds no run has seen; per group: the mean gaps (%) to the
best rule and the paired makespan difference B - A (mean ± standard error; better or worse only
beyond two standard errors).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from bench_fjsp_dqn import table  # the DQN benchmark's markdown table
from rewriter.atomic import write_atomic
from rewriter.fjsp.dispatching import RULES, dispatch_schedule
from rewriter.fjsp.generate import production_instance
from rewriter.fjsp.validate import check_schedule
from rewriter.learn.hierarchical.dispatch import hierarchical_schedule
from rewriter.learn.hierarchical.model_file import load_hierarchical


def greedy_makespan(inst, policy) -> int:
    schedule = hierarchical_schedule(inst, policy, "active")
    return int(check_schedule(inst, schedule.assign, schedule.heads)["makespan"])


def rows_of(group: str, seeds, sizes, a, b) -> list[dict]:
    out = []
    for size in sizes:
        n, m = map(int, size.split("x"))
        for seed in seeds:
            inst = production_instance(n, m, seed)
            best = min(dispatch_schedule(inst, rule).makespan for rule in RULES)
            out.append({"group": group, "size": size, "seed": seed, "best_rule": best,
                        "A": greedy_makespan(inst, a), "B": greedy_makespan(inst, b)})
    return out


def paired(differences: list[int]) -> str:
    """Mean ± standard error of B - A; B better or worse only beyond two standard errors."""
    d = np.asarray(differences, np.float64)
    mean, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
    word = "B better" if mean < -2 * se else "B worse" if mean > 2 * se else "level (within 2 SE)"
    return f"{mean:+.2f} ± {se:.2f}: {word}"


def summary(rows: list[dict]) -> dict:
    gap = lambda key: np.mean([(r[key] - r["best_rule"]) / r["best_rule"] * 100 for r in rows])
    return {"group": rows[0]["group"], "instances": len(rows),
            "A vs best rule %": f"{gap('A'):+.3f}", "B vs best rule %": f"{gap('B'):+.3f}",
            "B - A makespan": paired([r["B"] - r["A"] for r in rows]),
            "B better / level / worse": "/".join(str(sum(f(r["B"] - r["A"], 0) for r in rows))
                                                 for f in (int.__lt__, int.__eq__, int.__gt__))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="model A (the reference, e.g. the shipped one)")
    parser.add_argument("b", help="model B (e.g. a continued run's best.pt)")
    parser.add_argument("--sizes", default="411x149,500x149")
    parser.add_argument("--seeds", default="100,101,102,103")
    parser.add_argument("--seeds-fresh", default="104,105,106,107,108,109,110,111")
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    a, b = load_hierarchical(args.a)[0], load_hierarchical(args.b)[0]
    sizes = args.sizes.split(",")
    groups = [rows_of(name, [int(s) for s in seeds.split(",")], sizes, a, b)
              for name, seeds in (("picked on", args.seeds), ("fresh", args.seeds_fresh)) if seeds]
    every = [r for g in groups for r in g]
    text = (f"A = `{args.a}`, B = `{args.b}`\n\n## Summary\n\n"
            + table([summary(g) for g in groups] + [{**summary(every), "group": "all"}])
            + "\n## Per instance (greedy makespans)\n\n" + table(every))
    print(text)
    if args.out:
        write_atomic(args.out, "`python benchmarks/compare_fjsp_hierarchical_models.py "
                     f"{args.a} {args.b} --sizes {args.sizes} --seeds {args.seeds} "
                     f"--seeds-fresh {args.seeds_fresh} --out {args.out}`\n\n" + text)


if __name__ == "__main__":
    main()
