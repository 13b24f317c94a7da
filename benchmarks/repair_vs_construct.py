"""Repair or construct? The job-shop study of docs/repair-vs-construct.md, in one command.

    python benchmarks/repair_vs_construct.py --results benchmarks/results/repair_vs_construct.jsonl \
        --out benchmarks/results/repair_vs_construct.md --plot docs/repair_vs_construct.png

Runs ``rewriter compare`` cells (resumable: finished cells stay in ``--results`` and are skipped
when the command is run again), budget by budget, then summarises:

1. the constructive side without a budget: MWKR (active and non-delay) and the two shipped
   constructive policies (per-job features and disjunctive graph) decoded greedily, on every
   instance of ``--instances``;
2. at each budget B of ``--budgets`` (seconds of wall time, one core per cell), the learned
   constructive policy over per-job features sampling for B seconds (``construct-time:B``),
   the learned rewriter
   (``rewriter-time:B``), plain tabu (``tabu:B``), tabu steered by the learned controller
   (``controlled:B``) and CP-SAT with one thread (``cpsat:B``); budgets of ``--long`` seconds or
   more run on ``--long-instances`` only (the first instance of every Taillard class by default).

The summary: per budget, the mean gap per size class and method; the repair advantage (the
constructive policy's gap minus a repairing method's, per instance) and its least-squares trend
against log10(jobs x machines), with a bootstrap 95% interval of the slope; and a plot of both.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from rewriter.atomic import write_atomic
from rewriter.compare.grid import plan_cells, read_results, run_cells

INSTANCES = "ta01-80,dmu01-80"
LONG_INSTANCES = "ta01,ta11,ta21,ta31,ta41,ta51,ta61,ta71"  # the first of each Taillard class
UNTIMED = ("mwkr", "mwkr-nd", "construct", "construct-graph")
TIMED = ("construct-time", "rewriter-time", "tabu", "controlled", "cpsat")
REPAIRS = ("rewriter-time", "controlled", "tabu")  # against construct-time, per instance
TICKS = (225, 300, 450, 600, 1000, 2000)
LABELS = {"mwkr": "MWKR", "mwkr-nd": "MWKR non-delay", "construct": "construct (greedy)",
          "construct-graph": "construct, graph (greedy)",
          "construct-time": "construct (sampling)", "rewriter-time": "rewriter (neural)",
          "tabu": "tabu", "controlled": "tabu + learned controller", "cpsat": "CP-SAT (1 thread)"}


def run(args) -> None:
    """Every cell of the study, stage by stage, in ``args.results``."""
    stages = [(args.instances, ",".join(UNTIMED))]
    for budget in args.budgets:
        instances = args.long_instances if budget >= args.long else args.instances
        stages.append((instances, ",".join(f"{m}:{budget:g}" for m in TIMED)))
    for instances, methods in stages:
        cells = plan_cells(instances, methods, seeds=[args.seed], cpsat_workers=1)
        run_cells(cells, args.results, workers=args.workers, progress=True)


# ---- summary -----------------------------------------------------------------------------------
def gaps_by_method(records: list[dict]) -> dict[str, dict[str, float | None]]:
    """method spec -> instance -> gap (mean over seeds; None where a seed had no schedule)."""
    values: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        values[r["method"]][r["instance"]].append(r.get("gap_percent"))
    return {m: {i: None if None in v else statistics.mean(v) for i, v in by.items()}
            for m, by in values.items()}


def size_classes(records: list[dict]) -> list[tuple[str, int, list[str]]]:
    """(group, jobs x machines, instances), smallest first, Taillard before DMU at equal size."""
    members: dict[str, list[str]] = defaultdict(list)
    area = {}
    for r in records:
        if r["instance"] not in members[r["group"]]:
            members[r["group"]].append(r["instance"])
        area[r["group"]] = r["n_jobs"] * r["n_machines"]
    return sorted(((g, area[g], names) for g, names in members.items()),
                  key=lambda c: (c[1], not c[0].startswith("ta"), c[0]))


def class_mean(gaps: dict[str, float | None], names: list[str]) -> float | None:
    """The class mean; None when an instance is missing or had no schedule (no flattering mean)."""
    values = [gaps.get(n) for n in names]
    return None if not values or None in values else statistics.mean(values)


def trend(points: list[tuple[float, float]], rng: np.random.Generator, draws: int = 2000):
    """Least-squares slope of y against log10(x) per decade, its bootstrap 95% interval and r."""
    x = np.log10([p[0] for p in points])
    y = np.array([p[1] for p in points])
    slope, intercept = np.polyfit(x, y, 1)
    boot = []
    for _ in range(draws):
        idx = rng.integers(0, len(x), len(x))
        if np.ptp(x[idx]) > 0:
            boot.append(np.polyfit(x[idx], y[idx], 1)[0])
    low, high = np.percentile(boot, [2.5, 97.5])
    return slope, intercept, low, high, float(np.corrcoef(x, y)[0, 1])


def advantages(gaps, budget: str, repair: str, area: dict[str, int],
               family: str = "") -> list[tuple[int, float]]:
    """(jobs x machines, construct-time gap - repair gap) per instance where both have one, of
    the instances whose name starts with ``family`` (every one by default)."""
    con, rep = gaps.get(f"construct-time:{budget}", {}), gaps.get(f"{repair}:{budget}", {})
    return [(area[i], con[i] - rep[i]) for i in con
            if i.startswith(family) and i in rep and con[i] is not None and rep[i] is not None]


def _num(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def budgets_in(records: list[dict]) -> list[str]:
    found = {r["method"].split(":")[1] for r in records
             if r["method"].split(":")[0] in TIMED and ":" in r["method"]}
    return sorted(found, key=float)


def quoted_rows() -> dict[str, list[tuple[str, float]]]:
    from rewriter import registry

    rows = defaultdict(list)
    for q in registry.get("jssp").quoted():
        if "PPO" in q["method"] or "L2D" in q["method"]:
            rows[q["group"]].append((q["method"], q["value"]))
    return rows


def summary(records: list[dict], seed_text: str) -> tuple[str, dict]:
    """The study's markdown tables and the numbers the plot draws."""
    records = [r for r in records if r.get("status") != "failed"]
    gaps = gaps_by_method(records)
    classes = size_classes(records)
    area = {r["instance"]: r["n_jobs"] * r["n_machines"] for r in records}
    rng = np.random.default_rng(0)
    quoted = quoted_rows()
    out = [f"Gap (%) to the best-known upper bounds, {seed_text}. Generated by "
           "`benchmarks/repair_vs_construct.py` from the results file; every cell is one "
           "process on one core, two cells side by side on the 2-core machine.\n"]
    head = ["class", "n x m", "inst."] + [LABELS[m] for m in UNTIMED]
    out += ["## Without a budget\n", "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head)]
    for group, size, names in classes:
        present = [n for n in names if n in gaps.get("mwkr", {})]
        row = [group, str(size), str(len(present))]
        row += [_num(class_mean(gaps.get(m, {}), present)) for m in UNTIMED]
        out.append("| " + " | ".join(row) + " |")
    plot = {"classes": classes, "budgets": {}}
    for budget in budgets_in(records):
        methods = [f"{m}:{budget}" for m in TIMED]
        head = (["class", "n x m", "inst."] + [LABELS[m] for m in TIMED]
                + [f"construct - {LABELS[r]}" for r in REPAIRS[:2]])
        out += [f"\n## {budget} s per instance\n", "| " + " | ".join(head) + " |",
                "|" + "---|" * len(head)]
        means = {}
        for group, size, names in classes:
            present = [n for n in names if n in gaps.get(methods[0], {})]
            if not present:
                continue
            row = [group, str(size), str(len(present))]
            cells = {m: class_mean(gaps.get(m, {}), present) for m in methods}
            means[group] = cells
            row += [_num(cells[m]) for m in methods]
            for repair in REPAIRS[:2]:
                a, b = cells[f"construct-time:{budget}"], cells[f"{repair}:{budget}"]
                row.append(_num(None if a is None or b is None else a - b))
            out.append("| " + " | ".join(row) + " |")
        for group, refs in quoted.items():
            if group in means:
                out.append("| " + group + " (quoted) | | | " + "; ".join(
                    f"{m}: {v:.2f}" for m, v in refs) + " |" + " |" * (len(head) - 4))
        fits = {}
        out += ["", f"Repair advantage at {budget} s (construct-time gap minus the repairing "
                "method's, per instance) against log10(jobs x machines):\n",
                "| repairing method | instances | mean advantage | smallest classes (n x m <= 300) "
                "| largest (n x m >= 1000) | slope per decade [95% CI] | r |",
                "|---|---|---|---|---|---|---|"]
        for repair in REPAIRS:
            for family in ("", "ta", "dmu"):
                points = advantages(gaps, budget, repair, area, family)
                if len(points) < 3 or len({s for s, _ in points}) < 2:
                    continue
                if family and len(points) == len(advantages(gaps, budget, repair, area)):
                    continue  # one family only: the same fit as "all"
                slope, intercept, low, high, r = trend(points, rng)
                if not family:
                    fits[repair] = (slope, intercept, points)
                small = [a for s, a in points if s <= 300]
                large = [a for s, a in points if s >= 1000]
                name = LABELS[repair] + (f", {family} only" if family else ", all")
                out.append(f"| {name} | {len(points)} | {statistics.mean(a for _, a in points):.2f} "
                           f"| {_num(statistics.mean(small) if small else None)} "
                           f"| {_num(statistics.mean(large) if large else None)} "
                           f"| {slope:+.2f} [{low:+.2f}, {high:+.2f}] | {r:+.2f} |")
        out += paired_rows(gaps, budget, classes)
        plot["budgets"][budget] = {"means": means, "fits": fits}
    return "\n".join(out) + "\n", plot


def paired_rows(gaps, budget: str, classes) -> list[str]:
    """The learned controller against plain tabu at the same budget, per instance: the mean
    difference of the gaps, its standard deviation, and wins / ties / losses of the controller."""
    con, tabu = gaps.get(f"controlled:{budget}", {}), gaps.get(f"tabu:{budget}", {})
    out = ["", f"Tabu + learned controller against plain tabu at {budget} s, paired per instance "
           "(difference of gaps, negative: the controller is better):\n",
           "| class | instances | mean difference | sd | wins / ties / losses |", "|---|---|---|---|---|"]
    every = []
    for group, _, names in classes + [("all", 0, None)]:
        pairs = ([con[n] - tabu[n] for n in names if n in con and n in tabu]
                 if names is not None else every)
        if names is not None:
            every += pairs
        if not pairs:
            continue
        wins = sum(d < -1e-9 for d in pairs)
        losses = sum(d > 1e-9 for d in pairs)
        sd = statistics.stdev(pairs) if len(pairs) > 1 else 0.0
        out.append(f"| {group} | {len(pairs)} | {statistics.mean(pairs):+.2f} | {sd:.2f} "
                   f"| {wins} / {len(pairs) - wins - losses} / {losses} |")
    return out


def draw(plot: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = list(plot["budgets"])
    if not budgets:
        return
    fig, axes = plt.subplots(2, len(budgets), figsize=(5 * len(budgets), 8), squeeze=False)
    colours = dict(zip(TIMED, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    area = {g: s for g, s, _ in plot["classes"]}
    for col, budget in enumerate(budgets):
        top, bottom = axes[0][col], axes[1][col]
        means = plot["budgets"][budget]["means"]
        for m in TIMED:
            for family, marker in (("ta", "o"), ("dmu", "s")):
                pts = sorted((area[g], v[f"{m}:{budget}"]) for g, v in means.items()
                             if g.startswith(family + " ") and v[f"{m}:{budget}"] is not None)
                if pts:
                    top.plot(*zip(*pts), marker=marker, color=colours[m],
                             label=LABELS[m] if family == "ta" else None,
                             linestyle="-" if family == "ta" else ":")
        top.set_xscale("log")
        top.set_title(f"{budget} s per instance (ta: solid, dmu: dotted)")
        top.set_xlabel("jobs x machines")
        top.set_ylabel("mean gap to best-known bound (%)")
        top.grid(alpha=0.3)
        for repair, (slope, intercept, points) in plot["budgets"][budget]["fits"].items():
            if repair == "tabu":
                continue
            xs, ys = zip(*points)
            bottom.scatter(xs, ys, s=10, alpha=0.4, color=colours[repair])
            grid = np.linspace(math.log10(min(xs)), math.log10(max(xs)), 20)
            bottom.plot(10 ** grid, intercept + slope * grid, color=colours[repair],
                        label=f"{LABELS[repair]}: {slope:+.1f} per decade")
        bottom.axhline(0, color="grey", linewidth=0.8)
        bottom.set_xscale("log")
        bottom.set_xlabel("jobs x machines")
        bottom.set_ylabel("construct gap - repair gap (points)")
        bottom.grid(alpha=0.3)
        if plot["budgets"][budget]["fits"]:
            bottom.legend(fontsize=8)
        for ax in (top, bottom):  # the class sizes as plain numbers, not 10^x minor labels
            ax.set_xticks(TICKS, [str(t) for t in TICKS])
            ax.minorticks_off()
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="benchmarks/results/repair_vs_construct.jsonl",
                    help="results file of the cells (resumable)")
    ap.add_argument("--instances", default=INSTANCES, help="instances of the budgets below --long")
    ap.add_argument("--budgets", default="1,10,60", help="seconds per instance, comma separated")
    ap.add_argument("--long", type=float, default=60.0,
                    help="budgets of this many seconds or more run on --long-instances only")
    ap.add_argument("--long-instances", default=LONG_INSTANCES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2, help="cells side by side, one core each")
    ap.add_argument("--no-run", action="store_true", help="summarise the results file only")
    ap.add_argument("--out", help="write the summary (markdown) here")
    ap.add_argument("--plot", help="write the plot (PNG) here")
    args = ap.parse_args()
    args.budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
    if not args.no_run:
        run(args)
    text, plot = summary(read_results(args.results), f"seed {args.seed}")
    print(text)
    if args.out:
        write_atomic(args.out, text)
    if args.plot:
        draw(plot, args.plot)


if __name__ == "__main__":
    main()
