"""Why the DQN dispatcher loses to the rules: three measurements on the training distribution.

    python benchmarks/diagnose_fjsp_dqn.py --model rewriter/models/fjsp_dqn_50x10.pt \\
        --sizes 50x10,100x20,500x100 --seeds 100,101,102 [--log runs/fjsp_dqn/log.csv]

1. **Learning curve** (``--log``): per validation of a training run, its greedy makespan against the
   reference rule's on the same validation instances.
2. **Assignment quality** on validation seeds (never the evaluation seeds 0-2): per method (the DQN,
   mwkr-eet and the best of the 18 rules on each instance) the makespan, the mean over jobs of the
   chosen duration over the job's fastest eligible duration, the share of the machines' time up to
   the makespan left idle (1 - total work / (m x makespan)), and the mean over machines of
   (makespan - the machine's last end) / makespan, the unbalance at the end.
3. **Q-value sanity** on the DQN's own greedy trajectories: at every decision, every candidate job
   whose fastest compatible machine is idle and at least twice as fast as each of its other idle
   compatible machines has a known best machine; the share of those jobs for which the network's Q
   ranks that machine first among the job's pairs.
"""

from __future__ import annotations

import argparse
import csv

import numpy as np

from rewriter.envs.compat_mdp import CompatMDP
from rewriter.fjsp.dispatching import RULES, dispatch_schedule
from rewriter.fjsp.generate import compatibility_instance
from rewriter.learn.dqn.features import FeatureScales, decision
from rewriter.learn.dqn.model import load_dqn, resolve_dqn
from rewriter.learn.dqn.network import Batch
from rewriter.learn.dqn.sizes import parse_size


def curve(path: str) -> list[str]:
    """One line per validation row of a run's log.csv: DQN / rule makespan."""
    lines = ["episode  val_makespan  rule_makespan  ratio"]
    with open(path) as handle:
        for row in csv.DictReader(handle):
            dqn, rule = float(row["val_makespan"]), float(row["val_rule_makespan"])
            lines.append(f"{row['episode']:>7}  {dqn:12.1f}  {rule:13.1f}  {dqn / rule:5.2f}")
    return lines


def quality(instance, machine: np.ndarray, begin: np.ndarray) -> dict:
    """Makespan, mean chosen / fastest duration, idle share and end unbalance of a schedule."""
    mdp = CompatMDP(instance)
    durations = mdp.durations
    jobs = np.arange(len(machine))
    chosen = durations[jobs, machine]
    fastest = np.where(mdp.compatible, durations, np.iinfo(np.int64).max).min(1)
    ends = begin + chosen
    makespan = int(ends.max())
    last = np.zeros(instance.n_machines)
    np.maximum.at(last, machine, ends)
    return {"makespan": makespan, "over_fastest": float(np.mean(chosen / fastest)),
            "idle_share": 1 - chosen.sum() / (instance.n_machines * makespan),
            "end_unbalance": float(np.mean((makespan - last) / makespan))}


def rule_quality(instance, rule: str) -> dict:
    schedule = dispatch_schedule(instance, rule)
    ops = np.arange(instance.n_jobs)
    return quality(instance, schedule.assign[ops], schedule.heads[ops])


def dqn_trajectory(net, instance) -> tuple[dict, int, int]:
    """(quality of the greedy schedule, jobs with a known best machine, of which Q ranks it first)."""
    mdp = CompatMDP(instance)
    scales = FeatureScales(mdp)
    known = right = 0
    while not mdp.over:
        d = decision(mdp, scales)
        pair_q, _ = net(Batch.of([d]))
        pair_q = pair_q.detach().numpy()
        for a in range(len(d.jobs)):
            rows = np.flatnonzero(d.pair_job == a)
            if len(rows) < 2:
                continue  # one choice or none
            j = d.jobs[a]
            idle_best = d.pair_x[rows, 2]  # duration over the job's fastest
            here = mdp.durations[j, d.machines[d.pair_machine[rows]]]
            first = int(np.argmin(here))
            if idle_best[first] > 1.0 + 1e-6:
                continue  # the job's fastest machine is busy
            others = np.delete(here, first)
            if others.min() >= 2 * here[first]:
                known += 1
                right += int(np.argmax(pair_q[rows]) == first)
        action = net.greedy(d)
        pair = d.action(action)
        mdp.wait() if pair is None else mdp.assign(*pair)
    return quality(instance, mdp.job_machine, mdp.begin), known, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--sizes", default="50x10,100x20,500x100")
    parser.add_argument("--seeds", default="100,101,102")
    parser.add_argument("--log", help="a training run's log.csv for the learning curve")
    args = parser.parse_args()
    if args.log:
        print("\n".join(curve(args.log)))
    net = load_dqn(args.model)[0] if args.model != "default" else None
    keys = ("makespan", "over_fastest", "idle_share", "end_unbalance")
    print(f"{'size':>8} {'method':>10} " + " ".join(f"{k:>13}" for k in keys) + "  Q ranks the known best first")
    for size in args.sizes.split(","):
        n, m = parse_size(size)
        table = {"dqn": [], "mwkr-eet": [], "best rule": []}
        known = right = 0
        for seed in (int(s) for s in args.seeds.split(",")):
            instance = compatibility_instance(n, m, seed)
            model = net if net is not None else resolve_dqn(None, (n, m))[0]
            q, k, r = dqn_trajectory(model, instance)
            table["dqn"].append(q)
            known, right = known + k, right + r
            table["mwkr-eet"].append(rule_quality(instance, "mwkr-eet"))
            table["best rule"].append(min((rule_quality(instance, rule) for rule in RULES),
                                          key=lambda v: v["makespan"]))
        for method, rows in table.items():
            means = [np.mean([row[k] for row in rows]) for k in keys]
            sanity = f"  {right}/{known} = {right / max(known, 1):.2f}" if method == "dqn" else ""
            print(f"{size:>8} {method:>10} " + " ".join(f"{v:13.3f}" for v in means) + sanity)


if __name__ == "__main__":
    main()
