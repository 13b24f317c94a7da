"""The DQN dispatcher on the compatibility evaluation set against every dispatching rule and tabu.

    python benchmarks/bench_fjsp_dqn.py --sizes 50x10,100x20,250x50,500x100 --seeds 0,1,2 \\
        --tabu-seconds 10 --out benchmarks/results/fjsp_dqn.md

Per instance (``compat_<n>x<m>_s<seed>``, the generator's fixed evaluation set): the DQN's
makespan and total tardiness; the best of the 18 rules on each (the rule named); tabu search for
``--tabu-seconds`` from mwkr-eet on the makespan, from edd-eet on the total tardiness (weights are
1 on these instances, so weighted and total tardiness agree), and from the DQN's schedule on the
makespan. Every schedule passes the validator (``rewriter.fjsp.solve`` checks it). Then the time
and peak memory (maximum resident set size) of a fresh process that loads the model and
schedules each 500-job instance with the DQN twice: the first run includes loading numba's
compiled kernels from its cache, the second is the steady state. The issue's targets are < 2 s
and < 3 GB. ``dqn_s`` in the per-instance table is the DQN's whole ``solve`` in this process
(its first row includes loading the model and the kernels).
Nothing here is tuned: the model is the shipped one, the seeds are the evaluation seeds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from rewriter.fjsp.dispatching import RULES
from rewriter.fjsp.generate import compatibility_instance
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

net, _ = resolve_dqn(sys.argv[4])
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


def size_of(text: str) -> tuple[int, int]:
    n, m = text.lower().split("x")
    return int(n), int(m)


def measure(n: int, m: int, seed: int, seconds: float, model: str) -> dict:
    """Every figure of one instance."""
    inst = compatibility_instance(n, m, seed)
    t0 = time.perf_counter()
    dqn = solve(inst, init="dqn", policy="none", model=model)
    dqn_s = time.perf_counter() - t0
    rules = {rule: solve(inst, init=rule, policy="none", seed=seed).values for rule in RULES}
    best_mk = min(rules, key=lambda r: (rules[r]["makespan"], r))
    best_td = min(rules, key=lambda r: (rules[r]["total_tardiness"], r))
    tabu_mk = solve(inst, init="mwkr-eet", policy="tabu", steps=None, time_limit=seconds, seed=seed)
    tabu_td = solve(inst, init="edd-eet", policy="tabu", steps=None, time_limit=seconds, seed=seed,
                    objective="tardiness")
    tabu_dqn = solve(inst, init="dqn", policy="tabu", steps=None, time_limit=seconds, seed=seed,
                     model=model)
    return {"instance": inst.name, "size": f"{n}x{m}",
            "dqn_makespan": dqn.values["makespan"], "dqn_tardiness": dqn.values["total_tardiness"],
            "dqn_s": round(dqn_s, 2),
            "rule_makespan": rules[best_mk]["makespan"], "rule_mk_name": best_mk,
            "rule_tardiness": rules[best_td]["total_tardiness"], "rule_td_name": best_td,
            "tabu_makespan": tabu_mk.values["makespan"],
            "tabu_tardiness": tabu_td.values["total_tardiness"],
            "tabu_from_dqn_makespan": tabu_dqn.values["makespan"]}


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


def summary(rows: list[dict]) -> str:
    """Per size: means, and on how many instances the DQN beats the best rule."""
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        group = [r for r in rows if r["size"] == size]
        mean = lambda k: round(float(np.mean([r[k] for r in group])), 1)  # noqa: E731
        out.append({"size": size, "instances": len(group),
                    "dqn makespan": mean("dqn_makespan"), "best rule makespan": mean("rule_makespan"),
                    "tabu makespan": mean("tabu_makespan"), "tabu@dqn makespan": mean("tabu_from_dqn_makespan"),
                    "dqn tardiness": mean("dqn_tardiness"), "best rule tardiness": mean("rule_tardiness"),
                    "tabu tardiness": mean("tabu_tardiness"),
                    "dqn < rule (makespan)": sum(r["dqn_makespan"] < r["rule_makespan"] for r in group),
                    "dqn < rule (tardiness)": sum(r["dqn_tardiness"] < r["rule_tardiness"] for r in group)})
    return table(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50x10,100x20,250x50,500x100")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tabu-seconds", type=float, default=10.0)
    parser.add_argument("--model", default="default", help="a DQN model file (default: the shipped one)")
    parser.add_argument("--out", help="also write the tables (markdown, with the command) here")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for size in args.sizes.split(","):
        n, m = size_of(size)
        for seed in seeds:
            rows.append(measure(n, m, seed, args.tabu_seconds, args.model))
            print(rows[-1], flush=True)
    speeds = [{"instance": f"compat_500x100_s{s}", **{k: round(v, 2) for k, v in speed(s, args.model).items()}}
              for s in seeds]
    text = ("## Summary (means per size)\n\n" + summary(rows) + "\n## Per instance\n\n" + table(rows)
            + "\n## DQN speed and memory on 500 jobs (a fresh process per instance: load_s imports "
              "and loads the model, first_s and second_s schedule the instance twice)\n\n" + table(speeds))
    print(text)
    if args.out:
        from rewriter.atomic import write_atomic

        command = " ".join(["python benchmarks/bench_fjsp_dqn.py", "--sizes", args.sizes, "--seeds",
                            args.seeds, "--tabu-seconds", f"{args.tabu_seconds:g}", "--out", args.out]
                           + (["--model", args.model] if args.model != "default" else []))
        write_atomic(args.out, f"`{command}`\n\n{text}")


if __name__ == "__main__":
    main()
