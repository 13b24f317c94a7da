"""Does the encoder's reverse Tree-LSTM pass help? Equal-budget training runs with and without it.

    python research/ablate_reverse.py --seeds 1,2 --iterations 40 \\
        --out research/results/ablation_reverse.md

For every seed, trains ``rewriter train --problem jssp --reverse`` and ``--no-reverse`` for the same
number of iterations (default settings otherwise) into ``runs/ablation/VARIANT-sSEED`` (a run
that already finished there is reused, so the script can be re-run to re-print the table), then
runs every model from MWKR on the benchmark instances and reports the mean gap (%) to the
best-known upper bound per size class after each step count, a row per run and a mean row per
variant. Training time is wall time as measured by the run (two runs train side by side).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_learned import _group, best_at, run_one  # noqa: E402

from rewriter.atomic import write_atomic  # noqa: E402
from rewriter.learn.config import DECODINGS  # noqa: E402
from rewriter.jssp.bundled import expand_instance_names  # noqa: E402

VARIANTS = ("reverse", "no-reverse")


def train_command(run_dir: Path, variant: str, seed: int, iterations: int) -> list[str]:
    return [sys.executable, "-m", "rewriter", "train", "--problem", "jssp", "--run-dir",
            str(run_dir), f"--{variant}", "--iterations", str(iterations), "--seed", str(seed),
            "--quiet"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2", help="training seeds (default: 1,2)")
    parser.add_argument("--iterations", type=int, default=40, help="training iterations per run")
    parser.add_argument("--runs", default="runs/ablation", help="folder of the training runs")
    parser.add_argument("--instances", default="ta01-10,ta21-30,ta41-50")
    parser.add_argument("--steps", default="100,200", help="step counts reported")
    parser.add_argument("--decoding", choices=("default",) + DECODINGS, default="sample",
                        help="decoding of the evaluation searches (default: sample, as the "
                             "recorded results were measured before argmax became solve's default)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", help="save the table (.md)")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    counts = sorted(int(s) for s in args.steps.split(","))
    runs = {(v, s): Path(args.runs) / f"{v}-s{s}" for v in VARIANTS for s in seeds}
    todo = [(key, path) for key, path in runs.items() if not (path / "model.pt").is_file()]
    # two at a time: one torch thread each on this 2-core machine
    for i in range(0, len(todo), 2):
        procs = []
        for (variant, seed), path in todo[i:i + 2]:
            cmd = train_command(path, variant, seed, args.iterations)
            if (path / "checkpoint.pt").is_file():  # finish an interrupted run (its saved config)
                cmd = [sys.executable, "-m", "rewriter", "train", "--run-dir", str(path),
                       "--resume", "--iterations", str(args.iterations), "--quiet"]
            print("training:", " ".join(cmd[1:]), flush=True)
            procs.append(subprocess.Popen(cmd))
        if any(p.wait() != 0 for p in procs):
            return 1
    names = expand_instance_names(args.instances)
    jobs = [(n, "rewriter", counts[-1], 0, str(path / "model.pt"), "n5", args.decoding, 0)
            for path in runs.values() for n in names]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run_one, jobs))
    groups = list(dict.fromkeys(_group(r) for r in results))
    header = ["variant", "seed", "train min", "steps"] + groups + ["mean"]
    rows, per_variant = [], {}
    for i, ((variant, seed), path) in enumerate(runs.items()):
        mine = results[i * len(names):(i + 1) * len(names)]
        card = json.loads((path / "model.json").read_text())
        for k in counts:
            gaps = {g: [100.0 * (best_at(r["trace"], k) - r["upper_bound"]) / r["upper_bound"]
                        for r in mine if _group(r) == g] for g in groups}
            means = [statistics.mean(gaps[g]) for g in groups]
            overall = statistics.mean([x for g in groups for x in gaps[g]])
            rows.append([variant, seed, round(card["training_wall_s"] / 60, 1), k]
                        + [round(x, 2) for x in means] + [round(overall, 2)])
            per_variant.setdefault((variant, k), []).append(means + [overall])
    for (variant, k), values in per_variant.items():
        rows.append([variant, "mean", "", k] + [round(statistics.mean(col), 2)
                                                for col in zip(*values)])
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    table = "\n".join(lines)
    print(f"{args.iterations} training iterations per run; start MWKR; N5 moves; gap % to UB\n")
    print(table)
    if args.out:
        write_atomic(args.out, table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
