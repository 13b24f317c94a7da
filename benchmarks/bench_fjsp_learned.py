"""The flexible shop's learned rewriter against tabu search, greedy descent and the random walk at
the same number of steps, from the same mwkr-eet schedule, beside the best dispatching rule and the
DQN dispatcher, side by side in one run.

    python benchmarks/bench_fjsp_learned.py --model treelstm=rewriter/models/fjsp.pt \\
        --instances mk01-10,prod_411x149_s0,prod_500x149_s0 --steps 200,1000 \\
        --results benchmarks/results/fjsp_learned.jsonl --out benchmarks/results/fjsp_learned.md

Every cell is one ``rewriter.fjsp.solve`` call (which validates the schedule before returning) and
reports the makespan and the wall time. ``--equal-time`` adds a tabu run given each learned run's
wall time (the per-second comparison). ``--results`` keeps every finished cell in a JSON-lines
file, so an interrupted run resumes where it stopped. The best rule is the smallest makespan over
all the package's dispatching rules; the DQN column is filled on single-operation instances only
(the DQN's MDP has no job routes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from rewriter.atomic import write_atomic
from rewriter.fjsp.bundled import expand_instance_names, load_instance
from rewriter.fjsp.dispatching import RULES, dispatch_schedule
from rewriter import registry


def solve(instance, *, init="mwkr-eet", **options):
    """A fjsp solve with any policy or start of its spec, the learners' included."""
    return registry.get("fjsp").run(instance, init=init, **options)


SEARCHES = ("tabu", "greedy", "random")


def parse_models(items: list[str]) -> dict[str, str]:
    """``NAME=PATH`` (or a bare PATH, named ``learned``) -> {name: path}."""
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        out[name if sep else "learned"] = path if sep else item
    return out


class Cells:
    """Finished cells by key, appended to a JSON-lines file as they finish (resume)."""

    def __init__(self, path: str | None):
        self.path, self.done = path, {}
        if path and os.path.isfile(path):
            with open(path) as f:
                for line in f:
                    if line.strip():
                        row = json.loads(line)
                        self.done[row["key"]] = row
        elif path and os.path.exists(path):
            raise SystemExit(f"{path}: exists and is not a regular file")

    def get(self, key: str, compute):
        if key not in self.done:
            t0 = time.perf_counter()
            makespan, steps = compute()
            row = {"key": key, "makespan": makespan, "steps": steps,
                   "seconds": round(time.perf_counter() - t0, 3)}
            self.done[key] = row
            if self.path:
                with open(self.path, "a") as f:
                    f.write(json.dumps(row) + "\n")
        return self.done[key]


def best_rule(inst) -> tuple[str, int]:
    spans = {rule: dispatch_schedule(inst, rule).makespan for rule in RULES}
    rule = min(spans, key=lambda r: (spans[r], r))
    return rule, int(spans[rule])


def dqn_makespan(inst):
    if int(inst.job_start[-1]) != inst.n_jobs:  # multi-operation jobs: outside the DQN's MDP
        return None
    r = solve(inst, init="dqn", policy="none", steps=0)
    return int(r.makespan)


def run_instance(name: str, args, models: dict[str, str], cells: Cells) -> dict:
    inst = load_instance(name)
    row = {"instance": name}
    rule = cells.get(f"{name}|rule", lambda: (best_rule(inst)[1], 0))
    start = cells.get(f"{name}|start", lambda: (int(dispatch_schedule(inst, "mwkr-eet").makespan), 0))
    dqn = cells.get(f"{name}|dqn", lambda: (dqn_makespan(inst), 0))
    row.update(rule=rule["makespan"], start=start["makespan"], dqn=dqn["makespan"])
    for steps in args.steps:
        for label, path in models.items():
            cell = cells.get(f"{name}|{label}|{steps}|{args.seed}", lambda: _solve(
                inst, "learned", args.seed, steps=steps, model=path))
            row[f"{label}@{steps}"] = cell
            if args.equal_time:
                row[f"tabu={label}@{steps}"] = cells.get(
                    f"{name}|tabu-time|{cell['seconds']}|{args.seed}",
                    lambda: _solve(inst, "tabu", args.seed, steps=None, time_limit=cell["seconds"]))
        for policy in SEARCHES:
            row[f"{policy}@{steps}"] = cells.get(f"{name}|{policy}|{steps}|{args.seed}",
                                                 lambda: _solve(inst, policy, args.seed, steps=steps))
    return row


def _solve(inst, policy, seed, **budget):
    r = solve(inst, policy=policy, seed=seed, **budget)
    return int(r.makespan), int(r.steps)


def table(rows: list[dict], columns: list[str]) -> list[str]:
    """Makespans (and seconds) per instance; then the mean of makespan / best rule per column."""
    lines = ["| instance | best rule | dqn | start | "
             + " | ".join(f"{c} | s" for c in columns) + " |",
             "|---|---:|---:|---:|" + "---:|---:|" * len(columns)]
    for row in rows:
        cells = [f"{row[c]['makespan']} | {row[c]['seconds']:.1f}" for c in columns]
        dqn = "n/a" if row["dqn"] is None else str(row["dqn"])
        lines.append(f"| {row['instance']} | {row['rule']} | {dqn} | {row['start']} | "
                     + " | ".join(cells) + " |")
    ratio = {c: statistics.fmean(row[c]["makespan"] / row["rule"] for row in rows) for c in columns}
    lines.append("| **mean makespan / best rule** | 1 | | "
                 f"{statistics.fmean(r['start'] / r['rule'] for r in rows):.4f} | "
                 + " | ".join(f"**{ratio[c]:.4f}** | " for c in columns) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True,
                        help="NAME=PATH of a model trained with --problem fjsp (repeatable)")
    parser.add_argument("--instances", default="mk01-10,prod_100x50_s0")
    parser.add_argument("--steps", default="200", help="step budgets, comma separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--equal-time", action="store_true",
                        help="add tabu given each learned run's wall time")
    parser.add_argument("--results", help="JSON-lines file of finished cells (resume)")
    parser.add_argument("--out", help="markdown file for the table")
    args = parser.parse_args()
    args.steps = [int(s) for s in args.steps.split(",")]
    models = parse_models(args.model)
    cells = Cells(args.results)
    for path in models.values():  # load the model and compile the kernels outside the timings
        solve(load_instance("mk01"), policy="learned", steps=2, model=path)
    rows = []
    for name in expand_instance_names(args.instances):
        rows.append(run_instance(name, args, models, cells))
        print(f"{name}: done", flush=True)
    columns = []
    for steps in args.steps:
        for label in models:
            columns += [f"{label}@{steps}"] + ([f"tabu={label}@{steps}"] if args.equal_time else [])
        columns += [f"{p}@{steps}" for p in SEARCHES]
    command = ("python benchmarks/bench_fjsp_learned.py "
               + " ".join(f"--model {m}" for m in args.model)
               + f" --instances {args.instances} --steps {','.join(map(str, args.steps))}"
               + f" --seed {args.seed}" + (" --equal-time" if args.equal_time else "")
               + (f" --results {args.results}" if args.results else "")
               + (f" --out {args.out}" if args.out else ""))
    text = (f"`{command}`\n\n`tabu=M@S`: tabu given the wall time of model M's run at S steps.\n\n"
            + "\n".join(table(rows, columns)) + "\n")
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
