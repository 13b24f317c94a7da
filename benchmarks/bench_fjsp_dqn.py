"""The DQN dispatcher on the compatibility evaluation set against every dispatching rule and tabu.

    python benchmarks/bench_fjsp_dqn.py --sizes 50x10,100x20,500x100,411x149 --seeds 0,1,2 \\
        --tabu-seconds 10 --out benchmarks/results/fjsp_dqn.md

Per instance (``compat_<n>x<m>_s<seed>``, the generator's fixed evaluation seeds; 411x149 is not
one of its evaluation sizes but the same generator): the makespan of the DQN (the shipped model
nearest the instance's size, or ``--model``) and of the best of the 18 rules (named); tabu search
for ``--tabu-seconds`` on the makespan from the best rule's schedule and from the DQN's; and on
the same instance with **tight due dates** (:func:`rewriter.learn.dqn.sizes.tight_due_dates`: the
tight_ family's due-date draw applied to the compat jobs) the total weighted tardiness of the DQN
(``objective="tardiness"``: the shipped tardiness model), of edd-eet and of the best of the 18
rules on it, and the same on **scaled due dates** (:func:`rewriter.learn.dqn.sizes.scaled_due_dates`:
before the instance's makespan bound, a premise of its own that stays tight at every size, where
the tight draw leaves edd-eet on time from 100x20 up), with edd-eet's share of late jobs under
each draw. Every schedule passes the validator (``rewriter.fjsp.solve`` checks
it). The summary gives, per size, the mean and standard error over instances of the paired
differences the issue's targets name, and a verdict: met (mean difference <= 0), within noise
(above 0 by at most two standard errors) or not met. Then the time and peak memory (maximum
resident set size) of a fresh process that loads the model and schedules each 500-job instance
with the DQN twice: the first run includes loading numba's compiled kernels from its cache, the
second is the steady state (targets: < 2 s, < 3 GB).
Nothing here is tuned: the models were selected on validation seeds >= 100, the seeds here are
the evaluation seeds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rewriter.fjsp.dispatching import RULES
from rewriter.fjsp.generate import compatibility_instance
from rewriter.learn.dqn.sizes import parse_size, scaled_due_dates, tight_due_dates
from rewriter import registry


def solve(instance, *, init="mwkr-eet", **options):
    """A fjsp solve with any policy or start of its spec, the learners' included."""
    return registry.get("fjsp").run(instance, init=init, **options)


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from rewriter.learn.dqn.dispatch import dqn_schedule
from rewriter.learn.dqn.model import resolve_dqn
from rewriter.fjsp.generate import compatibility_instance

net, _ = resolve_dqn(sys.argv[4], (int(sys.argv[1]), int(sys.argv[2])))
loaded = time.perf_counter() - t0
instance = compatibility_instance(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
t1 = time.perf_counter()
schedule = dqn_schedule(instance, net)
first = time.perf_counter() - t1
t2 = time.perf_counter()
schedule = dqn_schedule(instance, net)
second = time.perf_counter() - t2
print(json.dumps({"first_s": first, "second_s": second, "load_s": loaded, "makespan": schedule.makespan,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(n: int, m: int, seed: int, seconds: float, model: str) -> dict:
    """Every figure of one instance."""
    inst = compatibility_instance(n, m, seed)
    t0 = time.perf_counter()
    dqn = solve(inst, init="dqn", policy="none", model=model)
    dqn_s = time.perf_counter() - t0
    rules = {rule: solve(inst, init=rule, policy="none", seed=seed).values for rule in RULES}
    best_mk = min(rules, key=lambda r: (rules[r]["makespan"], r))
    tabu_rule = solve(inst, init=best_mk, policy="tabu", steps=None, time_limit=seconds, seed=seed)
    tabu_dqn = solve(inst, init="dqn", policy="tabu", steps=None, time_limit=seconds, seed=seed,
                     model=model)
    return {"instance": inst.name, "size": f"{n}x{m}",
            "dqn_makespan": dqn.values["makespan"], "dqn_s": round(dqn_s, 2),
            "rule_makespan": rules[best_mk]["makespan"], "rule_mk_name": best_mk,
            "tabu_from_rule": tabu_rule.values["makespan"],
            "tabu_from_dqn": tabu_dqn.values["makespan"],
            **lateness(tight_due_dates(inst), "tight", seed, model),
            **lateness(scaled_due_dates(inst), "scaled", seed, model)}


def lateness(instance, draw: str, seed: int, model: str) -> dict:
    """On ``instance`` (a due-date ``draw`` of a compat one): the total weighted tardiness of the
    DQN's tardiness model, of edd-eet and of the best of the 18 rules (named), and edd-eet's share
    of late jobs (how tight the draw is at this size)."""
    runs = {rule: solve(instance, init=rule, policy="none", seed=seed).values for rule in RULES}
    late = {rule: values["weighted_tardiness"] for rule, values in runs.items()}
    best = min(late, key=lambda r: (late[r], r))
    dqn = solve(instance, init="dqn", policy="none", objective="tardiness", model=model)
    return {f"dqn_{draw}_twt": dqn.values["weighted_tardiness"], f"edd_{draw}_twt": late["edd-eet"],
            f"edd_{draw}_late": round(runs["edd-eet"]["late_jobs"] / instance.n_jobs, 2),
            f"rule_{draw}_twt": late[best], f"rule_{draw}_name": best}


def speed(seed: int, model: str) -> dict:
    """DQN time and peak memory on compat_500x100_s<seed>, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", CHILD, "500", "100", str(seed), model],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def verdict(differences: list[float]) -> str:
    """Mean +- standard error of paired differences (method - reference, lower is better) and
    whether the target (at or below the reference) is met: met when the mean stays at or below 0
    by two standard errors, not met when it is above 0 by more than two, otherwise within noise
    (a mean below 0 by less than two standard errors is not claimed)."""
    d = np.asarray(differences, np.float64)
    mean = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
    word = "met" if mean + 2 * se <= 0 else "not met" if mean - 2 * se > 0 else "within noise"
    return f"{mean:+.1f} ± {se:.1f}: {word}"


def summary(rows: list[dict]) -> str:
    """Per size: means, the targets' paired differences and verdicts, and the rules named."""
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        group = [r for r in rows if r["size"] == size]
        mean = lambda k: round(float(np.mean([r[k] for r in group])), 1)  # noqa: E731
        diff = lambda a, b: verdict([r[a] - r[b] for r in group])  # noqa: E731
        out.append({"size": size, "instances": len(group),
                    "dqn makespan": mean("dqn_makespan"), "best rule makespan": mean("rule_makespan"),
                    "dqn - best rule": diff("dqn_makespan", "rule_makespan"),
                    "best rules": ", ".join(sorted({r["rule_mk_name"] for r in group})),
                    "tabu from rule": mean("tabu_from_rule"), "tabu from dqn": mean("tabu_from_dqn"),
                    "tabu dqn - rule": diff("tabu_from_dqn", "tabu_from_rule"),
                    **{key.format(draw): value
                       for draw in ("tight", "scaled")
                       for key, value in (("dqn {} twt", mean(f"dqn_{draw}_twt")),
                                          ("edd-eet {} twt", mean(f"edd_{draw}_twt")),
                                          ("dqn - edd, {}", diff(f"dqn_{draw}_twt", f"edd_{draw}_twt")),
                                          ("edd-eet late share, {}", mean(f"edd_{draw}_late")),
                                          ("best rule {} twt", mean(f"rule_{draw}_twt")))}})
    return table(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50x10,100x20,500x100,411x149")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tabu-seconds", type=float, default=10.0)
    parser.add_argument("--model", default="default",
                        help="a DQN model file (default: the shipped one nearest each size)")
    parser.add_argument("--out", help="also write the tables (markdown, with the command) here, "
                        "and the measured rows beside it (.jsonl)")
    parser.add_argument("--table-only", action="store_true",
                        help="measure nothing: write the tables again from --out's .jsonl")
    args = parser.parse_args()
    if args.table_only:
        rows, speeds = read_rows(args.out)
    else:
        seeds = [int(s) for s in args.seeds.split(",")]
        rows = []
        for size in args.sizes.split(","):
            n, m = parse_size(size)
            for seed in seeds:
                rows.append(measure(n, m, seed, args.tabu_seconds, args.model))
                print(rows[-1], flush=True)
        speeds = [{"instance": f"compat_500x100_s{s}",
                   **{k: round(v, 2) for k, v in speed(s, args.model).items()}} for s in seeds]
    report("bench_fjsp_dqn.py", args, summary(rows), rows, speeds, "DQN speed and memory on 500 "
           "jobs (a fresh process per instance: load_s imports and loads the model, first_s and "
           "second_s schedule the instance twice)")


def read_rows(out: str | None) -> tuple[list[dict], list[dict]]:
    """The measured rows and speed rows a run wrote beside ``out`` (``--table-only``)."""
    if out is None:
        raise SystemExit("--table-only needs --out (the tables' file; its rows are beside it)")
    lines = Path(out).with_suffix(".jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return ([r for r in records if "size" in r], [r for r in records if "size" not in r])


def report(script: str, args, summary_text: str, rows: list[dict], speeds: list[dict],
           speed_title: str) -> None:
    """Print the summary, per-instance and speed tables; with ``--out`` also write them (with
    the command that measured them) and the rows beside them as .jsonl, atomically."""
    text = ("## Summary (means per size)\n\n" + summary_text + "\n## Per instance\n\n"
            + table(rows) + f"\n## {speed_title}\n\n" + table(speeds))
    print(text)
    if args.out:
        from rewriter.atomic import write_atomic

        if args.table_only:  # the command that measured the rows, as the file had it
            command = Path(args.out).read_text().splitlines()[0].strip("`")
        else:
            command = " ".join([f"python benchmarks/{script}", "--sizes", args.sizes, "--seeds",
                                args.seeds, "--tabu-seconds", f"{args.tabu_seconds:g}", "--out",
                                args.out] + (["--model", args.model] if args.model != "default"
                                             else []))
        write_atomic(args.out, f"`{command}`\n\n{text}")
        write_atomic(str(Path(args.out).with_suffix(".jsonl")),
                     "".join(json.dumps(r) + "\n" for r in rows + speeds))


if __name__ == "__main__":
    main()
