"""The hierarchical job -> machine policy on the production evaluation set against the 18 rules.

    python benchmarks/bench_fjsp_hierarchical.py --sizes 100x50,411x149,500x149 --seeds 0,1,2 \\
        --tabu-seconds 10 --out benchmarks/results/fjsp_hierarchical.md

Per instance (``prod_<n>x<m>_s<seed>``, the generator's fixed evaluation seeds 0-2, which no
training or validation used): the makespan and total weighted tardiness of the policy's greedy
schedule (``--init hierarchical``, the shipped model or ``--model``) and its solve time, and of
the best of the 18 rules (named, by makespan); on ``tight_<n>x<m>_s<seed>`` (the same jobs with
tight due dates) the policy's total weighted tardiness against edd-eet's, the best rule's and
mwkr-eet's (the rule it was warm-started from);
tabu search for ``--tabu-seconds`` on the makespan from the best rule's schedule and from the
policy's (0: skipped). Every schedule passes the validator (``rewriter.fjsp.solve`` checks it).
The summary gives per size the means and, for each target, the mean and standard error over the
instances of the paired difference (policy - reference, lower is better) with a verdict: met
(mean <= 0), within noise (above 0 by at most two standard errors) or not met. Then, in a fresh
process per 500-job instance, the time to load the model (imports included), to schedule twice
(the first run loads numba's cached kernels) and the peak resident memory (targets: < 2 s, < 3 GB).
The machine is shared with other jobs: times are wall times under that load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from bench_fjsp_dqn import read_rows, report, table, verdict  # the DQN bench's tables, verdict, report
from rewriter import registry
from rewriter.fjsp.dispatching import RULES
from rewriter.fjsp.generate import generated_instance


def solve(instance, *, init="mwkr-eet", **options):
    """A fjsp solve with any start of its spec, the learners' included."""
    return registry.get("fjsp").run(instance, init=init, **options)


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from rewriter.learn.hierarchical.dispatch import hierarchical_schedule
from rewriter.learn.hierarchical.model_file import resolve_hierarchical
from rewriter.fjsp.generate import generated_instance

policy, meta = resolve_hierarchical(sys.argv[2])
loaded = time.perf_counter() - t0
instance = generated_instance(sys.argv[1])
times = []
for _ in range(2):
    t1 = time.perf_counter()
    schedule = hierarchical_schedule(instance, policy, meta["jobs"])
    times.append(time.perf_counter() - t1)
print(json.dumps({"load_s": loaded, "first_s": times[0], "second_s": times[1],
                  "makespan": schedule.makespan,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def speed(name: str, model: str) -> dict:
    """Load and schedule times and peak memory of a fresh process on instance ``name``."""
    out = subprocess.run([sys.executable, "-c", CHILD, name, model], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int, m: int, seed: int, seconds: float, model: str) -> dict:
    """Every figure of one instance."""
    inst = generated_instance(f"prod_{n}x{m}_s{seed}")
    t0 = time.perf_counter()
    ours = solve(inst, init="hierarchical", policy="none", model=model).values
    ours_s = time.perf_counter() - t0
    rules = {rule: solve(inst, init=rule, policy="none", seed=seed).values for rule in RULES}
    best = min(rules, key=lambda r: (rules[r]["makespan"], r))
    tight = generated_instance(f"tight_{n}x{m}_s{seed}")
    late = {rule: solve(tight, init=rule, policy="none", seed=seed).values["weighted_tardiness"]
            for rule in RULES}
    best_late = min(late, key=lambda r: (late[r], r))
    ours_tight = solve(tight, init="hierarchical", policy="none", model=model).values
    row = {"instance": inst.name, "size": f"{n}x{m}", "policy_makespan": ours["makespan"],
           "policy_s": round(ours_s, 2), "rule_makespan": rules[best]["makespan"],
           "rule_name": best, "mwkr_eet_makespan": rules["mwkr-eet"]["makespan"],
           "policy_twt": ours["weighted_tardiness"], "rule_twt": rules[best]["weighted_tardiness"],
           "policy_tight_twt": ours_tight["weighted_tardiness"],
           "policy_tight_makespan": ours_tight["makespan"], "edd_tight_twt": late["edd-eet"],
           "mwkr_eet_tight_twt": late["mwkr-eet"],
           "best_tight_twt": late[best_late], "best_tight_name": best_late}
    if seconds > 0:
        row["tabu_from_rule"] = solve(inst, init=best, policy="tabu", steps=None,
                                      time_limit=seconds, seed=seed).values["makespan"]
        row["tabu_from_policy"] = solve(inst, init="hierarchical", policy="tabu", steps=None,
                                        time_limit=seconds, seed=seed,
                                        model=model).values["makespan"]
    return row


def summary(rows: list[dict]) -> str:
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        group = [r for r in rows if r["size"] == size]
        mean = lambda k: round(float(np.mean([r[k] for r in group])), 1)  # noqa: E731
        diff = lambda a, b: verdict([r[a] - r[b] for r in group])  # noqa: E731
        line = {"size": size, "instances": len(group),
                "policy makespan": mean("policy_makespan"),
                "best rule makespan": mean("rule_makespan"),
                "policy - best rule": diff("policy_makespan", "rule_makespan"),
                "best rules": ", ".join(sorted({r["rule_name"] for r in group})),
                "policy s": mean("policy_s"),
                "policy tight twt": mean("policy_tight_twt"),
                "edd-eet tight twt": mean("edd_tight_twt"),
                "mwkr-eet tight twt": mean("mwkr_eet_tight_twt"),
                "policy - edd (tight twt)": diff("policy_tight_twt", "edd_tight_twt"),
                "best rule tight twt": mean("best_tight_twt")}
        if "tabu_from_rule" in group[0]:
            line.update({"tabu from rule": mean("tabu_from_rule"),
                         "tabu from policy": mean("tabu_from_policy"),
                         "tabu policy - rule": diff("tabu_from_policy", "tabu_from_rule")})
        out.append(line)
    return table(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100x50,411x149,500x149")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tabu-seconds", type=float, default=10.0)
    parser.add_argument("--model", default="default",
                        help="a hierarchical model file (default: the shipped one)")
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
            n, m = (int(x) for x in size.lower().split("x"))
            for seed in seeds:
                rows.append(measure(n, m, seed, args.tabu_seconds, args.model))
                print(json.dumps(rows[-1]), flush=True)
        speeds = [{"instance": f"prod_500x149_s{s}",
                   **{k: round(v, 2) for k, v in speed(f"prod_500x149_s{s}", args.model).items()}}
                  for s in seeds]
    report("bench_fjsp_hierarchical.py", args, summary(rows), rows, speeds, "Speed and memory on "
           "500 jobs (a fresh process per instance: load_s imports and loads the model, first_s "
           "and second_s schedule it twice)")

if __name__ == "__main__":
    main()
