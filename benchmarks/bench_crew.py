"""Orders and operators (issue 38): the rules, OR-Tools routing, tabu search, the cluster method
and the learned start rule side by side, on generated instances from 20 to 10,000 orders: the
same instances, the same wall time per method, one fresh process per run, resumable.

    python benchmarks/bench_crew.py --sizes crew_u20x5,crew_u200x30,crew_u1000x100 \\
        --seeds 0-4 \\
        --methods nearest,insertion,sweep,routing:60,tabu:60,cluster:60,network,network+tabu:60 \\
        --results benchmarks/results/crew.jsonl --out benchmarks/results/crew.md
    python benchmarks/bench_crew.py --sizes crew_u10000x500 --seeds 0-4 \\
        --methods insertion,tabu:60,cluster:60,network,network+tabu:60 \\
        --results benchmarks/results/crew.jsonl --out benchmarks/results/crew.md
    python benchmarks/bench_crew.py --results benchmarks/results/crew.jsonl --table-only \\
        --out benchmarks/results/crew.md     # the tables of every row so far
    python benchmarks/bench_crew.py --quick  # two small instances, 2 s: a smoke test

(routing at 10,000 orders finds no solution in 60 s: rewriter.crew.routing's docstring; leave it
out there.) Methods (``--methods``, comma separated; ``:S`` a method's seconds, default
``--seconds``):

* ``nearest``, ``insertion``, ``sweep``: the construction rule alone (deterministic: run with
  seed 0 only);
* ``routing:S``: OR-Tools routing (guided local search) for S seconds;
* ``cpsat:S``: the exact CP-SAT model from the insertion routes, S seconds (up to 60 orders;
  status optimal where it proves the optimum);
* ``tabu:S``: tabu search from the insertion rule's routes for S seconds (rewriting alone);
* ``cluster:S``: ``--method cluster`` (rewriter.crew.cluster: the insertion routes clustered,
  each cluster re-solved by OR-Tools routing, stitched, tabu over the whole) for S seconds;
* ``network``: the learned start rule alone (``--init network --policy none``), and
  ``network+tabu:S``: its routes improved by tabu search for S seconds (both need the crew
  network, rewriter.learn.crew: the shipped one or ``--model PATH``; a run without one is a
  CRASH row). Their labels name the model by its training run (``network@crew3``,
  ``network+tabu@crew3:60``, from the card's ``config.name``), so the rows of a new model are
  new rows beside the old model's, and a rerun with the same model adds only what is missing.

Instances: each of ``--sizes`` with each of ``--seeds`` (``crew_u1000x100`` and seeds 0-4:
crew_u1000x100_s0 .. _s4); every method runs on the same instances (paired), with solver seed
``--run-seed``. Adding seeds to a results file runs only the new (instance, method) pairs:
``--seeds 0-4`` after ``--seeds 0-1`` runs seeds 2-4. Every run goes through ``rewriter.warmup.solve`` in its own process (the CLI's
path: the search kernels prepared before the clock; for ``cluster``, whose tabu phase uses
the same kernels, they are prepared the same way, and the time is recorded as
``compile_s``); its row (cost, makespan, activated operators, status, seconds, peak memory)
is appended to ``--results`` at once, and a rerun skips the rows it has. ``--out FILE.md`` gets
per size and method the mean cost and the mean paired difference to ``--reference`` (default
``insertion``; each +- standard error over instances), the mean makespan and activations and
the largest wall time, then a table per instance.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_industrial import append_row, fmt, fmt_mean_se, parse_seeds, read_rows  # noqa: E402

RULES = ("nearest", "insertion", "sweep")
TIMED = ("routing", "cpsat", "tabu", "cluster", "network+tabu")
DEFAULT_METHODS = "nearest,insertion,sweep,routing,tabu,cluster"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="crew_u20x5,crew_u200x30,crew_u1000x100,crew_u10000x500",
                   help="comma-separated generated sizes (crew_u1000x100)")
    p.add_argument("--seeds", default="0", help="instance seeds, e.g. 0-4 or 0,2")
    p.add_argument("--methods", default=DEFAULT_METHODS, help="e.g. insertion,tabu:60,cluster:60")
    p.add_argument("--seconds", type=float, default=60.0, help="a timed method's default seconds")
    p.add_argument("--run-seed", type=int, default=0, help="the solvers' seed")
    p.add_argument("--model", help="the crew network's model.pt for network and network+tabu "
                   "(default: the shipped one)")
    p.add_argument("--reference", default="insertion", help="the method paired differences are to")
    p.add_argument("--results", type=Path, default=Path("/tmp/bench_crew.jsonl"))
    p.add_argument("--out", type=Path, help="the tables as markdown")
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a run may take before it is killed (default: 3 x its seconds "
                   "+ 120)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.seeds, args.seconds = "crew_u200x30", "0-1", 2.0
        args.methods = "insertion,routing:2,tabu:2,cluster:2"
        args.results = Path("/tmp/bench_crew_quick.jsonl")
    return args


def split_method(text: str, default_seconds: float) -> tuple[str, float | None]:
    """'tabu:60' -> ('tabu', 60.0); 'tabu' -> ('tabu', default); 'insertion' -> ('insertion',
    None)."""
    name, _, seconds = text.strip().partition(":")
    if name in RULES or name == "network":
        if seconds:
            raise SystemExit(f"{name} is a rule: it takes no seconds ({text!r})")
        return name, None
    if name not in TIMED:
        raise SystemExit(f"unknown method {name!r}; expected one of "
                         f"{', '.join(RULES + ('network',) + TIMED)}")
    return name, float(seconds) if seconds else default_seconds


# ---- one run, in its own process -----------------------------------------------------------------
def child(job: dict) -> dict:
    from rewriter import registry
    from rewriter.warmup import solve

    spec = registry.get("crew")
    instance = spec.load_instance(job["instance"])
    name, seconds, seed = job["method"], job["seconds"], job["seed"]
    options = dict(seed=seed, steps=None, time_limit=seconds)
    if name.startswith("network") and job.get("model"):
        options["model"] = job["model"]
    if name in RULES or name == "network":
        options.update(init=name, policy="none", steps=0, time_limit=None)
    elif name == "routing":
        options.update(init="insertion", policy="none", method="routing")
    elif name == "cpsat":  # the exact model (up to 60 orders): the optimum where it proves one
        options.update(init="insertion", policy="none", method="cpsat", warm_start=True)
    elif name == "tabu":
        options.update(init="insertion", policy="tabu")
    elif name == "network+tabu":
        options.update(init="network", policy="tabu")
    elif name == "cluster":
        options.update(init="insertion", policy="tabu", method="cluster")
    compile_s = 0.0  # warmup.solve prepares the search kernels, for cluster's tabu phase too
    started = time.perf_counter()
    result = solve(spec, instance, **options)
    wall = time.perf_counter() - started
    compile_s += getattr(result, "compile_s", 0.0)
    info = {k: v for k, v in result.info.items()
            if k in ("clusters", "stitched_cost", "horizon", "clustered_s", "solved_s",
                     "improved")}
    return {"cost": result.cost, "makespan": result.values.get("makespan"),
            "activated": result.values.get("activated"), "status": result.status,
            "runtime_s": round(result.runtime_s, 3), "compile_s": round(compile_s, 3),
            "solve_s": round(wall - getattr(result, "compile_s", 0.0), 3),
            "steps": result.steps, "init_cost": result.init_cost,
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "info": info}


def run_job(job: dict, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "TIMEOUT"}
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:]
        # a solver that found nothing in its time is a result (routing at 10,000 orders), not a crash
        status = "no_schedule" if last and "NoSchedule" in last[0] else "CRASH"
        return {"status": status, "error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the plan and the tables ---------------------------------------------------------------------
def model_tag(model: str | None) -> str:
    """The crew network's name in a row's label: its card's training run (``config.name``),
    else the file's stem; ``model`` None is the shipped one."""
    path = Path(model) if model else (Path(__file__).resolve().parents[1] / "rewriter" /
                                      "models" / "crew.pt")
    try:
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return str(card["config"]["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return path.stem


def label_of(name: str, seconds: float | None, tag: str | None) -> str:
    """'tabu:60', 'insertion', 'network@crew3', 'network+tabu@crew3:60'."""
    base = f"{name}@{tag}" if tag else name
    return base if seconds is None else f"{base}:{seconds:g}"


def plan(args) -> list[dict]:
    """Every (instance, method) once with ``--run-seed``; the methods of one instance one after
    the other, so paired runs see about the same machine load."""
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    methods = [split_method(m, args.seconds) for m in args.methods.split(",") if m.strip()]
    tag = model_tag(args.model) if any(n.startswith("network") for n, _ in methods) else None
    jobs = []
    for seed in parse_seeds(args.seeds):
        for size in sizes:
            for name, seconds in methods:
                run_seed = 0 if seconds is None else args.run_seed
                jobs.append(dict(size=size, instance=f"{size}_s{seed}", method=name,
                                 label=label_of(name, seconds,
                                                tag if name.startswith("network") else None),
                                 seconds=seconds, seed=run_seed,
                                 **({"model": args.model} if name.startswith("network")
                                    and args.model else {})))
    return jobs


def key(row: dict) -> tuple:
    return row["instance"], row["label"], row["seed"]


def per_instance(rows: list[dict], label: str, field: str) -> dict[str, float]:
    """instance -> mean over its runs of ``field`` for ``label``."""
    values: dict[str, list[float]] = {}
    for r in rows:
        if r["label"] == label and r.get(field) is not None:
            values.setdefault(r["instance"], []).append(float(r[field]))
    return {k: statistics.fmean(v) for k, v in values.items()}


def mean_se(values) -> tuple:
    values = list(values)
    if not values:
        return None, None
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return statistics.fmean(values), se


def tables(rows: list[dict], reference: str) -> str:
    out = []
    for size in dict.fromkeys(r["size"] for r in rows):
        srows = [r for r in rows if r["size"] == size]
        labels = list(dict.fromkeys(r["label"] for r in srows))
        ref_label = next((lab for lab in labels if lab.split(":")[0] == reference), None)
        ref = per_instance(srows, ref_label, "cost") if ref_label else {}
        out += [f"### {size} ({len({r['instance'] for r in srows})} instances)", "",
                f"| method | runs | mean cost | vs {reference} (paired) % | makespan | activated "
                "| wall s (max) | peak MiB (max) |", "|---|---|---|---|---|---|---|---|"]
        for label in labels:
            mine = [r for r in srows if r["label"] == label and r.get("cost") is not None]
            failed = sum(1 for r in srows if r["label"] == label and r.get("cost") is None)
            cost = per_instance(srows, label, "cost")
            paired = [100 * (cost[i] / ref[i] - 1) for i in cost if ref.get(i)]
            wall = max((r.get("runtime_s") or 0 for r in mine), default=None)
            peak = max((r.get("peak_mib") or 0 for r in mine), default=None)
            out.append(
                f"| {label}{' (' + str(failed) + ' without a solution)' if failed else ''} | {len(mine)} "
                f"| {fmt_mean_se(*mean_se(cost.values()))} "
                f"| {fmt_mean_se(*mean_se(paired)) if label != ref_label else '-'} "
                f"| {fmt_mean_se(*mean_se(per_instance(srows, label, 'makespan').values()))} "
                f"| {fmt_mean_se(*mean_se(per_instance(srows, label, 'activated').values()), 1)} "
                f"| {fmt(wall)} | {fmt(peak, 0)} |")
        out += ["", *instance_table(srows, labels), ""]
    return "\n".join(out)


def instance_table(rows: list[dict], labels: list[str]) -> list[str]:
    out = ["| instance | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for name in sorted({r["instance"] for r in rows}):
        cells = []
        for label in labels:
            found = [r for r in rows if r["instance"] == name and r["label"] == label]
            cost = per_instance(found, label, "cost").get(name)
            cells.append(fmt(cost) if cost is not None else
                         (found[-1].get("status", "-") if found else "-"))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    rows = read_rows(args.results)
    if not args.table_only:
        done = {key(r) for r in rows if r.get("status") not in ("CRASH", "TIMEOUT")}
        jobs = [j for j in plan(args) if key(j) not in done]
        for k, job in enumerate(jobs, 1):
            timeout = args.timeout or 3 * (job["seconds"] or 20) + 120
            row = {**job, **run_job(job, timeout)}
            append_row(args.results, row)
            rows.append(row)
            print(f"[{k}/{len(jobs)}] {job['instance']} {job['label']}: {row.get('cost')} "
                  f"({row.get('status')}, {row.get('runtime_s')} s)", flush=True)
    latest = {key(r): r for r in rows}
    text = tables(list(latest.values()), args.reference)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"<!-- {' '.join(sys.argv)} -->\n\n{text}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
