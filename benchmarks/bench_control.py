"""Learned control of tabu search against plain tabu and its ablations, in one run.

    python benchmarks/bench_control.py --instances ta41-50 --moves 500000 --seeds 0 \
        --out benchmarks/results/control_ta41-50.md
    python benchmarks/bench_control.py --instances ta41-50,ta61-70,dmu16-20,rand_30x20_s0-4 \
        --moves "" --seconds 10,60 --seeds 0,1,2,3,4 --workers 2 --results control.jsonl

Every method starts from the same MWKR schedule with the same seeds and gets the same budget:
each ``--moves`` budget (tabu moves; deterministic, so a busy machine does not change the
result) and each ``--seconds`` budget (equal wall time; needs a quiet machine). Methods: plain
tabu (``--policy tabu``), the controlled search (``--policy controlled``) with the hand-made
rule, random decisions and the learned controller (the shipped one, or ``--model``); and
``tabu-low``, plain tabu with the controller's "tenure-low" setting throughout (is a learned gain
only a lower tenure?). ``--workers N`` runs N runs side by side, one process (one core)
each, and ``--searches K`` makes every run the best of K independent searches (``solve``'s
``searches``: K processes); every process first runs each method once on ft06, untimed, so that a time budget is not
spent loading numba's kernels or the model. ``--results FILE.jsonl`` keeps every finished run
and skips it when the command is run again; a learned run records which controller it used (the
first 12 hex digits of the model file's SHA-256), so a new model is measured afresh while the
runs of every other method are kept. Random instances by name: ``rand_30x20_s0-4``.

The tables: the mean gap (%) to the bundled best-known upper bound per class and budget (to the
best makespan of the run's methods for an instance without a bound), and the paired difference
of each controlled method against plain tabu per (instance, seed): mean and standard deviation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import statistics
from multiprocessing import get_context
from pathlib import Path

from rewriter import __version__
from rewriter.atomic import write_atomic
from rewriter.compare.grid import append_result, read_results
from rewriter.jssp.bundled import expand_instance_names, load_instance
from rewriter.learn.control.search import TENURE_SCALES, tenure_range
from rewriter import registry
from rewriter.jssp.solve import TabuSettings
from rewriter.jssp.spec import group


def solve(instance, *, init="mwkr", **options):
    """A jssp solve with any policy or start of its spec, the learners' included."""
    return registry.get("jssp").run(instance, init=init, **options)


METHODS = ("tabu", "hand", "random", "learned", "tabu-low")


def controller_id(method: str, model: str | None) -> str:
    """Which trained controller a run of ``method`` used: the first 12 hex digits of the model
    file's SHA-256 for ``learned`` (so a new shipped model never reuses an old model's runs),
    empty for the methods without one."""
    if method != "learned":
        return ""
    from rewriter.learn.control.policy import shipped_control_path

    path = shipped_control_path() if model in (None, "default") else model
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def run_one(name: str, method: str, budget: tuple[str, float], seed: int, model: str | None,
            searches: int = 1):
    unit, amount = budget
    limits = {"steps": int(amount)} if unit == "moves" else {"steps": None, "time_limit": amount}
    control = {} if method.startswith("tabu") else {"policy": "controlled", "controller": method,
                                                    "model": model}
    if method == "tabu-low":
        control["tabu"] = low_tenure(load_instance(name))
    r = solve(load_instance(name), init="mwkr", seed=seed, **{"policy": "tabu", **control},
              searches=searches, **limits)
    return {"instance": name, "class": group(r.instance), "method": method,
            "budget": f"{amount:g} {unit}", "seed": seed, "gap": r.gap_percent,
            "makespan": r.makespan, "moves": r.steps, "restarts": r.restarts,
            "seconds": round(r.runtime_s, 2), "controller": controller_id(method, model),
            "version": __version__, **({"searches": searches} if searches != 1 else {})}


def _key(row: dict) -> tuple:
    return (row["instance"], row["method"], row["budget"], row["seed"], row.get("controller", ""),
            row.get("searches", 1))


def _warm_up(methods: list[str], model: str | None) -> None:
    """Each method once on ft06, untimed: numba's kernels and the model load before any clock."""
    for method in methods:
        run_one("ft06", method, ("moves", 3000), 0, model)


def _run_job(job: tuple) -> dict:
    return run_one(*job)


def run_jobs(jobs: list[tuple], methods: list[str], model: str | None, workers: int):
    """The rows of ``jobs`` as they finish, in ``workers`` processes (1: this process)."""
    if workers <= 1:
        _warm_up(methods, model)
        yield from map(_run_job, jobs)
        return
    with get_context("spawn").Pool(workers, _warm_up, (methods, model)) as pool:
        yield from pool.imap_unordered(_run_job, jobs)


def with_gaps(rows: list[dict]) -> list[dict]:
    """The rows, an instance without a known bound measured against the best makespan of any row
    of it (the gap is then to the best of this run's methods)."""
    best = {}
    for r in rows:
        best[r["instance"]] = min(best.get(r["instance"], r["makespan"]), r["makespan"])
    return [r if r["gap"] is not None else
            {**r, "gap": round(100.0 * (r["makespan"] - best[r["instance"]]) / best[r["instance"]], 2)}
            for r in rows]


def low_tenure(instance) -> TabuSettings:
    """Tabu settings with the tenure range the controller's "tenure-low" action sets."""
    low, high, _, _ = TabuSettings().resolved(instance)
    low, high = tenure_range(low, high, TENURE_SCALES.index(min(TENURE_SCALES)))
    return TabuSettings(tenure_min=low, tenure_max=high)


def tables(rows: list[dict], methods: list[str]) -> str:
    rows = with_gaps(rows)
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
            "", "Per (instance, seed) pair: the method's gap minus plain tabu's.", "",
            "| budget | class | method | mean | sd | wins / ties / losses |",
            "|---|---|---|---|---|---|"]
    key = lambda r: (r["instance"], r["seed"], r["budget"])  # noqa: E731
    tabu = {key(r): r["gap"] for r in rows if r["method"] == "tabu"}
    for budget in budgets:
        for cls in classes + ["all"]:
            for m in methods[1:]:
                d = [r["gap"] - tabu[key(r)] for r in rows if r["method"] == m
                     and r["budget"] == budget and cls in ("all", r["class"])]
                sd = statistics.stdev(d) if len(d) > 1 else 0.0
                tally = (f"{sum(x < 0 for x in d)} / {sum(x == 0 for x in d)} / "
                         f"{sum(x > 0 for x in d)}")
                out.append(f"| {budget} | {cls} | {m} | {statistics.mean(d):+.2f} | {sd:.2f} | "
                           f"{tally} |")
    columns = sorted({c for r in rows for c in r})  # read-back rows are key-sorted; some lack keys
    out += ["", "## Every run", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--instances", default="ta41-50")
    p.add_argument("--moves", default="500000", help="comma-separated move budgets ('' for none)")
    p.add_argument("--seconds", default="", help="comma-separated time budgets (quiet machine)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--model", help="controller model of the learned method (default: the shipped "
                                   "one)")
    p.add_argument("--methods", default="tabu,hand,random,learned",
                   help="comma-separated, tabu first: " + ", ".join(METHODS))
    p.add_argument("--out", help="write the tables (markdown) here, atomically")
    p.add_argument("--workers", type=int, default=1, help="runs side by side, one core each")
    p.add_argument("--searches", type=int, default=1,
                   help="every run is the best of this many searches side by side, one core each "
                        "(solve's --searches; seeds SEED to SEED+N-1), so --workers times this "
                        "many cores are busy")
    p.add_argument("--results", help="JSON-lines file of finished runs: kept, and skipped when "
                                     "the command runs again")
    args = p.parse_args(argv)
    methods = args.methods.split(",")
    if methods[0] != "tabu" or not set(methods) <= set(METHODS):
        p.error(f"--methods: tabu first, then any of {', '.join(METHODS)}")
    budgets = [("moves", float(x)) for x in args.moves.split(",") if x]
    budgets += [("seconds", float(x)) for x in args.seconds.split(",") if x]
    jobs = [(name, method, budget, seed, args.model, args.searches) for budget in budgets
            for name in expand_instance_names(args.instances)
            for seed in map(int, args.seeds.split(",")) for method in methods]
    ids = {m: controller_id(m, args.model) for m in methods}
    job_key = lambda j: (j[0], j[1], f"{j[2][1]:g} {j[2][0]}", j[3], ids[j[1]], j[5])  # noqa: E731
    wanted = {job_key(j) for j in jobs}
    done = {_key(r): r for r in (read_results(args.results) if args.results else [])
            if _key(r) in wanted}
    todo = [j for j in jobs if job_key(j) not in done]
    for row in run_jobs(todo, methods, args.model, args.workers):
        done[_key(row)] = row
        if args.results:
            append_result(args.results, row)
        print(json.dumps(row), flush=True)
    rows = [done[job_key(j)] for j in jobs]
    text = f"Command: `python benchmarks/bench_control.py {shlex.join(argv or sys.argv[1:])}`\n\n"
    text += tables(rows, methods)
    print(text)
    if args.out:
        write_atomic(Path(args.out), text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
