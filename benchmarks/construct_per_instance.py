"""Tassel et al.'s protocol: the constructive PPO trained on each instance separately.

    python benchmarks/construct_per_instance.py --instances ta41-50 --minutes 10 --parallel 2 \
        --runs runs/construct-per-instance --out benchmarks/results/construct_per_instance.md

Each instance gets its own run, ``rewriter train --problem jssp --approach construct
--instance NAME --time-limit-minutes M`` in ``RUNS/NAME`` (one core each, ``--parallel`` side
by side). A run that finished is skipped, one that was interrupted is resumed, so the command
can be repeated until every run is done. The table: the best makespan any training episode
reached (the run's ``best_schedule.json``, checked by the validator when it was written), its gap
to the bundled best-known upper bound, and Tassel et al.'s makespan and gap for the instance
where the package quotes them (``rewriter/data/published.json``).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

from rewriter.atomic import write_atomic
from rewriter.jssp.bundled import expand_instance_names, load_instance

TASSEL = "Tassel et al. 2021 (PPO, per instance)"


def tassel_makespans() -> dict[str, int]:
    data = json.loads((files("rewriter") / "data" / "published.json").read_text(encoding="utf-8"))
    table = data["tassel_2021_makespans"]
    column = table["columns"].index(TASSEL)
    return {name: row[column] for name, row in table["rows"].items()}


def command(name: str, run_dir: Path, args) -> list[str]:
    base = [sys.executable, "-m", "rewriter", "train", "--problem", "jssp", "--approach",
            "construct", "--run-dir", str(run_dir), "--time-limit-minutes", f"{args.minutes:g}",
            "--iterations", "1000000", "--quiet"]
    if (run_dir / "checkpoint.pt").is_file():
        return base + ["--resume"]
    return base + ["--instance", name, "--seed", str(args.seed)]


def finished(run_dir: Path) -> bool:
    return (run_dir / "model.pt").is_file() and (run_dir / "best_schedule.json").is_file()


def train_all(names: list[str], args) -> None:
    """Every unfinished run, ``args.parallel`` at a time; a failed run stops the command."""
    todo = [n for n in names if not finished(Path(args.runs) / n)]
    running: list[tuple[str, subprocess.Popen]] = []
    while todo or running:
        while todo and len(running) < args.parallel:
            name = todo.pop(0)
            run_dir = Path(args.runs) / name
            print(f"training on {name} for {args.minutes:g} min -> {run_dir}", flush=True)
            running.append((name, subprocess.Popen(command(name, run_dir, args))))
        time.sleep(2)
        for name, proc in list(running):
            if proc.poll() is not None:
                running.remove((name, proc))
                if proc.returncode != 0:
                    for _, other in running:
                        other.terminate()
                    sys.exit(f"training on {name} ended with exit code {proc.returncode}")
                print(f"{name} done", flush=True)


def run_facts(run_dir: Path) -> dict:
    best = json.loads((run_dir / "best_schedule.json").read_text(encoding="utf-8"))
    with open(run_dir / "log.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {"best": best["makespan"], "found_at": best.get("iteration"),
            "iterations": len(rows), "minutes": float(rows[-1].get("wall_s", 0) or 0) / 60
            if rows else 0.0}


def table(names: list[str], args) -> str:
    tassel = tassel_makespans()
    lines = ["| instance | UB | best makespan | gap % | found at iteration | iterations | "
             "training min | Tassel et al. makespan | Tassel gap % | difference (points) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ours, theirs = [], []
    for name in names:
        inst = load_instance(name)
        ub = inst.upper_bound
        facts = run_facts(Path(args.runs) / name)
        gap = 100.0 * (facts["best"] - ub) / ub
        ours.append(gap)
        cells = [name, str(ub), str(facts["best"]), f"{gap:.2f}", str(facts["found_at"]),
                 str(facts["iterations"]), f"{facts['minutes']:.1f}"]
        if name in tassel:
            their = 100.0 * (tassel[name] - ub) / ub
            theirs.append(their)
            cells += [str(tassel[name]), f"{their:.2f}", f"{gap - their:+.2f}"]
        else:
            cells += ["-", "-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    mean = statistics.mean(ours)
    tail = ["", f"Mean gap: {mean:.2f}% over {len(ours)} instances"]
    if theirs and len(theirs) == len(ours):
        tail[-1] += (f"; Tassel et al.: {statistics.mean(theirs):.2f}% "
                     f"(difference {mean - statistics.mean(theirs):+.2f} points)")
    return "\n".join(lines + tail) + ".\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default="ta41-50")
    ap.add_argument("--minutes", type=float, default=10.0, help="training time per instance")
    ap.add_argument("--parallel", type=int, default=2, help="runs side by side, one core each")
    ap.add_argument("--runs", default="runs/construct-per-instance", help="run directories")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write the table (markdown) here")
    args = ap.parse_args()
    names = expand_instance_names(args.instances)
    train_all(names, args)
    text = table(names, args)
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
